//! The headless commands, run as the real binary against the testbed: output, exit codes
//! and the journal.

mod common;
use common::cli::{json, json_lines, stdout, text, unreachable_kubeconfig, Cli};
use common::testbed;

use std::time::Duration;
use testbed::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn status_json_and_a_rollback_recorded_in_the_journal() {
    let Some(tb) = testbed().await else { return };
    let ns = tb.namespace("cli").await;
    let cli = Cli::new(&tb.kubeconfig);
    tb.create_deployment(
        &ns.name,
        &web_deployment("api", "nginx:1.25", 2, &[("app", "api")]),
    )
    .await;
    tb.wait_rolled_out(&ns.name, "api").await;
    tb.kubectl(
        &ns.name,
        &["set", "image", "deployment/api", "app=nginx:1.26-crash"],
    );
    wait_until("api to stall", Duration::from_secs(60), || async {
        let out = cli.run(&["status", "deployment/api", "-n", &ns.name, "-o", "json"]);
        let v = json(&out);
        (v["releases"][0]["phase"] == "degraded").then_some(())
    })
    .await;

    // A release that is not there prints no table, only why, and exits 1.
    let out = cli.run(&["status", "nope", "-n", &ns.name]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert_eq!(stdout(&out), "", "{}", text(&out));
    assert!(text(&out).contains("no release \"nope\""), "{}", text(&out));

    let out = cli.run(&["status", "api", "-n", &ns.name, "-o", "json"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let release = &json(&out)["releases"][0];
    assert_eq!(release["kind"], "deployment");
    assert_eq!(release["context"], ADMIN);
    assert_eq!(release["namespace"], ns.name.as_str());
    assert_eq!(release["revision"], 2);
    assert_eq!(release["stable"]["ready"], 2, "{release}");
    assert!(
        release["message"]
            .as_str()
            .is_some_and(|m| m.starts_with("pod api-") && m.contains("crash-looping")),
        "{release}"
    );

    // A dangerous action without a terminal needs --yes, and changes nothing without it.
    let out = cli.run(&["rollback", "deployment/api", "-n", &ns.name]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("--yes"), "{}", text(&out));

    let out = cli.run(&[
        "rollback",
        "deployment/api",
        "-n",
        &ns.name,
        "--yes",
        "--reason",
        "crash loop",
        "--to-revision",
        "1",
        "-o",
        "json",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let outcome = json(&out);
    assert_eq!(outcome["request"]["op"], "rollback");
    // The operation's parameters sit beside its name, and only those it has.
    assert_eq!(outcome["request"]["to"], 1, "{outcome}");
    assert!(outcome["request"].get("weight").is_none(), "{outcome}");
    assert!(outcome["result"]["Ok"].is_string(), "{outcome}");
    tb.wait_rolled_out(&ns.name, "api").await;
    let out = cli.run(&["status", "deployment/api", "-n", &ns.name, "-o", "json"]);
    let release = &json(&out)["releases"][0];
    assert_eq!(release["phase"], "healthy", "{release}");
    assert_eq!(release["revision"], 3);
    assert_eq!(release["revisions"][0]["images"][0], "nginx:1.25");

    let out = cli.run(&["journal", "-o", "json"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let lines = json_lines(&out);
    assert_eq!(
        lines.len(),
        1,
        "only attempted actions are journalled: {lines:?}"
    );
    assert_eq!(lines[0]["action"], "rollback");
    assert_eq!(lines[0]["name"], "api");
    assert_eq!(lines[0]["reason"], "crash loop");
    assert_eq!(lines[0]["revision_before"], 2);
    assert_eq!(lines[0]["to_revision"], 1);
    assert!(lines[0].get("weight").is_none(), "{}", lines[0]);
    assert_eq!(lines[0]["user"], "admin");
    let table = cli.run(&["journal"]);
    assert!(stdout(&table).contains("rollback"), "{}", text(&table));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exit_codes_say_what_went_wrong() {
    let Some(tb) = testbed().await else { return };
    let cli = Cli::new(&tb.kubeconfig);
    // Bad usage.
    let out = cli.run(&["pause", "widget/x"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    // Permission denied: the viewer has no RBAC at all.
    let out = cli.run(&["status", "--context", VIEWER]);
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));
    assert!(
        text(&out).contains("may not watch deployments"),
        "{}",
        text(&out)
    );
    let out = cli.run(&[
        "restart",
        "deployment/x",
        "--context",
        VIEWER,
        "-n",
        NSVIEWER_NAMESPACE,
        "--yes",
    ]);
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));
    // Unreachable: a kubeconfig that points at a closed port.
    let dir = tempfile::tempdir().expect("temp dir");
    let dead = unreachable_kubeconfig(dir.path());
    let out = cli.run(&["status", "--kubeconfig", dead.to_str().expect("utf-8 path")]);
    assert_eq!(out.status.code(), Some(4), "{}", text(&out));
    // An unknown context is bad input.
    let out = cli.run(&["status", "--context", "nope"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        text(&out).contains("testbed-admin"),
        "the error lists the known contexts: {}",
        text(&out)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn production_contexts_need_a_reason_and_read_only_contexts_refuse() {
    let Some(tb) = testbed().await else { return };
    let ns = tb.namespace("guard").await;
    let cli = Cli::new(&tb.kubeconfig);
    tb.create_deployment(
        &ns.name,
        &web_deployment("svc", "nginx:1.25", 1, &[("app", "svc")]),
    )
    .await;
    tb.wait_rolled_out(&ns.name, "svc").await;
    std::fs::write(
        cli.dir().join("config.toml"),
        "production_pattern = \"testbed-admin\"\n",
    )
    .expect("config");
    let out = cli.run(&["pause", "deployment/svc", "-n", &ns.name, "--yes"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        text(&out).contains("--reason is required"),
        "{}",
        text(&out)
    );
    let out = cli.run(&[
        "pause",
        "deployment/svc",
        "-n",
        &ns.name,
        "--yes",
        "--reason",
        "freeze",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let paused = tb.get_deployment(&ns.name, "svc").await;
    assert_eq!(paused.spec.and_then(|s| s.paused), Some(true));

    std::fs::write(
        cli.dir().join("config.toml"),
        "[contexts.\"testbed-admin\"]\nread_only = true\n",
    )
    .expect("config");
    let out = cli.run(&["resume", "deployment/svc", "-n", &ns.name, "--yes"]);
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));
    assert!(text(&out).contains("read-only"), "{}", text(&out));
    let still = tb.get_deployment(&ns.name, "svc").await;
    assert_eq!(
        still.spec.and_then(|s| s.paused),
        Some(true),
        "read-only changed nothing"
    );
}

/// On a real cluster ripcord acts on Argo Rollouts as on the other kinds: a dangerous action
/// needs a confirmation (exit 2 without one, nothing tried), a dry run changes nothing, and
/// an abort with --yes sets the plugin's `status.abort`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_argo_rollout_action_is_confirmed_then_carried_out() {
    let Some(tb) = testbed().await else { return };
    let ns = tb.namespace("cli-argo").await;
    let cli = Cli::new(&tb.kubeconfig);
    tb.apply(
        &ns.name,
        &argo_rollout("ro", "registry.example/ro:2").to_string(),
    );
    let out = cli.run(&["abort", "rollout/ro", "-n", &ns.name]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("--yes"), "{}", text(&out));
    let out = cli.run(&["journal", "-o", "json"]);
    assert!(out.stdout.is_empty(), "nothing was tried: {}", text(&out));

    let out = cli.run(&["abort", "rollout/ro", "-n", &ns.name, "--yes", "--dry-run"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(text(&out).contains("dry run"), "{}", text(&out));
    let out = cli.run(&["abort", "rollout/ro", "-n", &ns.name, "--yes"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let (_, json) = tb.kubectl_status(&ns.name, &["get", "rollout", "ro", "-o", "json"]);
    let rollout: serde_json::Value = serde_json::from_str(&json).expect("json");
    assert_eq!(rollout["status"]["abort"], true, "{json}");
}

/// `-o json` on a failure prints the failure as JSON: an action the user may not do gives the
/// outcome's `{"Err": {"kind": "forbidden", ...}}`, on stdout, with exit 3.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_forbidden_action_prints_its_failure_as_json() {
    let Some(tb) = testbed().await else { return };
    let ns = tb.namespace("cli-json403").await;
    tb.create_deployment(
        &ns.name,
        &web_deployment("svc", "registry.example/svc:1.0", 1, &[("app", "svc")]),
    )
    .await;
    let cli = Cli::new(&tb.kubeconfig);
    let out = cli.run(&[
        "pause",
        "deployment/svc",
        "-n",
        &ns.name,
        "--context",
        VIEWER,
        "--yes",
        "-o",
        "json",
    ]);
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));
    let v = json(&out);
    assert_eq!(v["result"]["Err"]["kind"], "forbidden", "{v}");
    assert!(v["result"]["Err"]["message"].is_string(), "{v}");
}
