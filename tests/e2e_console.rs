//! The live console in a real pseudo-terminal (tmux) against the testbed: a change made with
//! kubectl shows up, and an action taken with the keyboard reaches the cluster and the journal.

mod common;
use common::testbed;

use std::process::Command;
use std::time::{Duration, Instant};
use testbed::*;

fn tmux(args: &[&str]) -> String {
    let out = Command::new("tmux")
        .args(args)
        .output()
        .expect("tmux must be installed");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn wait_screen(session: &str, what: &str, ok: impl Fn(&str) -> bool) -> String {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let screen = tmux(&["capture-pane", "-p", "-t", session]);
        if ok(&screen) {
            return screen;
        }
        assert!(
            Instant::now() < deadline,
            "timed out waiting for {what}; screen:\n{screen}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_live_console_follows_the_cluster_and_acts_on_it() {
    let Some(tb) = testbed().await else { return };
    let ns = tb.namespace("console").await;
    tb.create_deployment(
        &ns.name,
        &web_deployment("shop", "nginx:1.25", 2, &[("app", "shop")]),
    )
    .await;
    tb.wait_rolled_out(&ns.name, "shop").await;

    let dirs = tempfile::tempdir().expect("temp dir");
    let session = format!("ripcord-live-{}", std::process::id());
    let command = format!(
        "KUBECONFIG={} RIPCORD_CONFIG_DIR={dir} RIPCORD_DATA_DIR={dir} {bin} -n {ns}; echo EXITED $?; sleep 60",
        tb.kubeconfig.display(),
        dir = dirs.path().display(),
        bin = env!("CARGO_BIN_EXE_ripcord"),
        ns = ns.name,
    );
    let started = Command::new("tmux")
        .args(["new-session", "-d", "-s", &session, "-x", "140", "-y", "30"])
        .arg(command)
        .status()
        .expect("tmux must be installed");
    assert!(started.success());
    struct Kill(String);
    impl Drop for Kill {
        fn drop(&mut self) {
            tmux(&["kill-session", "-t", &self.0]);
        }
    }
    let _kill = Kill(session.clone());

    wait_screen(&session, "the deployment, healthy", |s| {
        s.contains("shop") && s.contains("Healthy") && s.contains("synced")
    });
    tb.kubectl(&ns.name, &["rollout", "pause", "deployment/shop"]);
    wait_screen(&session, "the pause made with kubectl", |s| {
        s.contains("Paused")
    });

    // Resume from the keyboard: not dangerous, runs at once.
    tmux(&["send-keys", "-t", &session, "r"]);
    wait_screen(&session, "the resume result", |s| {
        s.contains("✔ resume deployment/shop")
    });
    wait_until("spec.paused to clear", Duration::from_secs(20), || async {
        let d = tb.get_deployment(&ns.name, "shop").await;
        (d.spec.and_then(|s| s.paused) != Some(true)).then_some(())
    })
    .await;

    // Restart is dangerous: it asks first.
    tmux(&["send-keys", "-t", &session, "R"]);
    wait_screen(&session, "the confirmation", |s| {
        s.contains("confirm") && s.contains("restart deployment/shop")
    });
    tmux(&["send-keys", "-t", &session, "y"]);
    wait_screen(&session, "the restart result", |s| {
        s.contains("✔ restart deployment/shop")
    });
    let d = tb.get_deployment(&ns.name, "shop").await;
    let restarted = d
        .spec
        .and_then(|s| s.template.metadata)
        .and_then(|m| m.annotations)
        .is_some_and(|a| a.contains_key("kubectl.kubernetes.io/restartedAt"));
    assert!(restarted, "the restart reached the cluster");

    tmux(&["send-keys", "-t", &session, "q"]);
    wait_screen(&session, "a clean exit", |s| s.contains("EXITED 0"));
    let journal = std::fs::read_to_string(dirs.path().join("journal.jsonl"))
        .expect("the journal was written");
    let actions: Vec<String> = journal
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).expect("a JSON line")["action"].to_string()
        })
        .collect();
    assert_eq!(actions, vec!["\"resume\"", "\"restart\""], "{journal}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_a_namespace_the_header_names_it_and_a_missing_one_is_said() {
    let Some(tb) = testbed().await else { return };
    let ns = tb.namespace("nshead").await;
    tb.create_deployment(
        &ns.name,
        &web_deployment("shop", "nginx:1.25", 1, &[("app", "shop")]),
    )
    .await;
    let dirs = tempfile::tempdir().expect("temp dir");
    let start = |name: &str, namespace: &str| {
        let session = format!("ripcord-{name}-{}", std::process::id());
        let command = format!(
            "KUBECONFIG={} RIPCORD_CONFIG_DIR={dir} RIPCORD_DATA_DIR={dir} {bin} -n {namespace}; sleep 60",
            tb.kubeconfig.display(),
            dir = dirs.path().display(),
            bin = env!("CARGO_BIN_EXE_ripcord"),
        );
        let started = Command::new("tmux")
            .args(["new-session", "-d", "-s", &session, "-x", "160", "-y", "30"])
            .arg(command)
            .status()
            .expect("tmux must be installed");
        assert!(started.success());
        session
    };
    struct Kill(String);
    impl Drop for Kill {
        fn drop(&mut self) {
            tmux(&["kill-session", "-t", &self.0]);
        }
    }
    let session = Kill(start("nshead", &ns.name));
    wait_screen(&session.0, "the namespace in the header", |s| {
        s.contains(&format!("ns:{}", ns.name)) && s.contains("shop")
    });
    // Deleted while watched: said, instead of an empty list that looks like a slow sync.
    tb.kubectl(&ns.name, &["delete", "namespace", &ns.name, "--wait=false"]);
    wait_screen(&session.0, "the deletion said", |s| {
        s.contains("being deleted") || s.contains("was deleted")
    });
    let missing = format!("{}-gone", ns.name);
    let session = Kill(start("nsgone", &missing));
    wait_screen(&session.0, "the missing namespace said", |s| {
        s.contains("does not exist")
    });
}
