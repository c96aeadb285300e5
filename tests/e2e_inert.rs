//! Hostile strings in a cluster never reach the terminal: control sequences planted in a
//! Deployment's image and annotation, an Event and an Argo Rollout's spec and status are
//! drawn and printed in their visible form, checked on the raw byte stream.

mod common;
use common::cli::{stderr, stdout, Cli};
use common::testbed;
use common::tmux::Tmux;

use std::time::Duration;
use testbed::*;

/// A title change, an OSC 52 clipboard write, a screen clear and a bare carriage return.
const TITLE: &str = "\u{1b}]0;PWN\u{7}";
const CLIPBOARD: &str = "\u{1b}]52;c;cm0gLXJmIC8gIyBwd25lZA==\u{7}";
const CLEAR: &str = "\u{1b}[2JCLEARED";
const RETURN: &str = "\rPWNCR";

fn payload() -> String {
    format!("{TITLE}{CLIPBOARD}{CLEAR}{RETURN}\u{9b}2J\u{9d}0;C1\u{7}")
}

/// No planted sequence is live in `bytes`: each payload's body appears only in its visible
/// form, never right after an ESC (or as a C1 control).
fn assert_inert(bytes: &[u8], what: &str) {
    let text = String::from_utf8_lossy(bytes);
    for body in ["]0;PWN", "]52;c;", "[2JCLEARED", "0;C1"] {
        for (at, _) in text.match_indices(body) {
            let before = text[..at].chars().next_back();
            assert!(
                !matches!(before, Some('\u{1b}' | '\u{9d}' | '\u{9b}')),
                "{what}: a live {body:?} at byte {at}, after {:?}",
                &text[text[..at]
                    .char_indices()
                    .rev()
                    .nth(120)
                    .map_or(0, |(i, _)| i)..at]
            );
        }
    }
    assert!(!text.contains("\rPWNCR"), "{what}: a bare CR was written");
    assert!(
        !text.contains('\u{9b}') && !text.contains('\u{9d}'),
        "{what}: a C1 control"
    );
    assert!(!text.contains('\u{7}'), "{what}: a BEL");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn control_sequences_planted_in_the_cluster_never_reach_the_terminal() {
    let Some(tb) = testbed().await else { return };
    let ns = tb.namespace("inert").await;
    let evil = payload();
    // The image, and (through web_deployment) the change-cause annotation.
    let image = format!("nginx:1.25{evil}");
    tb.create_deployment(
        &ns.name,
        &web_deployment("web", &image, 1, &[("app", "web")]),
    )
    .await;
    tb.apply(
        &ns.name,
        &serde_json::json!({
            "apiVersion": "v1", "kind": "Event",
            "metadata": { "name": "web.planted" },
            "involvedObject": { "apiVersion": "apps/v1", "kind": "Deployment", "name": "web", "namespace": ns.name },
            "type": "Warning", "reason": "Planted", "message": format!("event{evil}"),
            "firstTimestamp": "2026-11-21T09:00:00Z", "lastTimestamp": "2026-11-21T09:00:00Z",
            "count": 1, "source": { "component": "e2e" }
        })
        .to_string(),
    );
    tb.apply(
        &ns.name,
        &serde_json::json!({
            "apiVersion": "argoproj.io/v1alpha1", "kind": "Rollout",
            "metadata": { "name": "evil" },
            "spec": {
                "replicas": 1,
                "selector": { "matchLabels": { "app": "evil" } },
                "template": {
                    "metadata": { "labels": { "app": "evil" } },
                    "spec": { "containers": [{ "name": "app", "image": format!("nginx:1.25{evil}") }] }
                },
                "strategy": { "canary": { "steps": [
                    { "setWeight": 20 },
                    { "pause": { "duration": format!("1h{evil}") } },
                    { "analysis": { "templates": [{ "templateName": format!("t{evil}") }] } }
                ] } }
            }
        })
        .to_string(),
    );
    let status = serde_json::json!({ "status": {
        "phase": format!("Paused{evil}"), "message": format!("msg{evil}"),
        "currentStepIndex": 1, "stableRS": "abc", "currentPodHash": "def",
        "pauseConditions": [{ "reason": format!("why{evil}") }],
        "conditions": [{ "type": "Progressing", "status": "True", "reason": "R", "message": format!("cond{evil}") }]
    }});
    tb.patch_status(&ns.name, "rollout", "evil", &status);

    // The console, recorded byte for byte by `script`.
    let cli = Cli::new(&tb.kubeconfig);
    let log = cli.dir().join("bytes");
    let command = format!(
        "script -q -f -c '{}' {}",
        cli.shell_line(&format!("-n {}", ns.name)),
        log.display()
    );
    let t = Tmux::start("inert", &command, 200, 50).timeout(Duration::from_secs(40));
    t.wait_for("both releases", |s| {
        s.contains("web") && s.contains("evil") && s.contains("synced")
    });
    // Every detail view: images, events, steps, conditions.
    let mut seen = String::new();
    for _ in 0..2 {
        t.keys(&["Enter"]);
        std::thread::sleep(Duration::from_millis(1500));
        seen.push_str(&t.screen());
        t.keys(&["Escape"]);
        std::thread::sleep(Duration::from_millis(300));
        t.keys(&["j"]);
    }
    t.keys(&["q"]);
    t.wait_for("a clean exit", |s| s.contains("EXITED 0"));
    let bytes = std::fs::read(&log).expect("the byte stream was recorded");
    assert_inert(&bytes, "the console");
    // What was drawn says what is there, visibly.
    assert!(seen.contains("^[]0;PWN"), "no visible payload:\n{seen}");
    assert!(
        String::from_utf8_lossy(&bytes).contains("^[]52;c;"),
        "the clipboard write is not shown visibly"
    );

    let out = cli.run(&["status", "-n", &ns.name, "-o", "table"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_inert(&out.stdout, "status -o table");
    assert!(
        !out.stdout.iter().any(|b| *b < 0x20 && *b != b'\n'),
        "a control byte in the table"
    );
    let out = cli.run(&["status", "-n", &ns.name, "-o", "json"]);
    assert!(!out.stdout.contains(&0x1b), "a raw ESC in the JSON");

    // A reason with control sequences is posted and journaled inert.
    let out = cli.run(&[
        "pause",
        "deployment/web",
        "-n",
        &ns.name,
        "--yes",
        "--reason",
        &format!("because{evil}"),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let events = tb.kubectl(&ns.name, &["get", "events", "-o", "json"]);
    let events: serde_json::Value = serde_json::from_str(&events).expect("events JSON");
    let posted: Vec<&str> = events["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter(|e| e["source"]["component"] == "ripcord")
        .filter_map(|e| e["message"].as_str())
        .collect();
    assert_eq!(posted.len(), 1, "{posted:?}");
    assert!(
        !posted[0].contains('\u{1b}') && !posted[0].contains('\r'),
        "{posted:?}"
    );
    assert!(posted[0].contains("because^[]0;PWN"), "{posted:?}");
    let out = cli.run(&["journal"]);
    assert_inert(&out.stdout, "journal");
    assert!(stdout(&out).contains("because^[]0;PWN"));
    let journal = std::fs::read_to_string(cli.dir().join("journal.jsonl")).expect("journal");
    assert!(!journal.contains("\\u001b"), "{journal}");
}
