//! The live console in a real pseudo-terminal (tmux) against the testbed: a change made with
//! kubectl shows up, and an action taken with the keyboard reaches the cluster and the journal.

mod common;
use common::cli::Cli;
use common::testbed;
use common::tmux::Tmux;

use std::time::Duration;
use testbed::*;

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

    let cli = Cli::new(&tb.kubeconfig);
    let t = Tmux::ripcord("live", &cli, &format!("-n {}", ns.name), 140, 30);

    t.wait_for("the deployment, healthy", |s| {
        s.contains("shop") && s.contains("Healthy") && s.contains("synced")
    });
    tb.kubectl(&ns.name, &["rollout", "pause", "deployment/shop"]);
    t.wait_for("the pause made with kubectl", |s| s.contains("Paused"));

    // Resume from the keyboard: not dangerous, runs at once.
    t.keys(&["r"]);
    t.wait_for("the resume result", |s| {
        s.contains("✔ resume deployment/shop")
    });
    wait_until("spec.paused to clear", Duration::from_secs(20), || async {
        let d = tb.get_deployment(&ns.name, "shop").await;
        (d.spec.and_then(|s| s.paused) != Some(true)).then_some(())
    })
    .await;

    // Restart is dangerous: it asks first.
    t.keys(&["R"]);
    t.wait_for("the confirmation", |s| {
        s.contains("confirm") && s.contains("restart deployment/shop")
    });
    t.keys(&["y"]);
    t.wait_for("the restart result", |s| {
        s.contains("✔ restart deployment/shop")
    });
    let d = tb.get_deployment(&ns.name, "shop").await;
    let restarted = d
        .spec
        .and_then(|s| s.template.metadata)
        .and_then(|m| m.annotations)
        .is_some_and(|a| a.contains_key("kubectl.kubernetes.io/restartedAt"));
    assert!(restarted, "the restart reached the cluster");

    t.keys(&["q"]);
    t.wait_for("a clean exit", |s| s.contains("EXITED 0"));
    let journal =
        std::fs::read_to_string(cli.dir().join("journal.jsonl")).expect("the journal was written");
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
    let cli = Cli::new(&tb.kubeconfig);
    let t = Tmux::ripcord("nshead", &cli, &format!("-n {}", ns.name), 160, 30);
    t.wait_for("the namespace in the header", |s| {
        s.contains(&format!("ns:{}", ns.name)) && s.contains("shop")
    });
    // Deleted while watched: said, instead of an empty list that looks like a slow sync.
    tb.kubectl(&ns.name, &["delete", "namespace", &ns.name, "--wait=false"]);
    t.wait_for("the deletion said", |s| {
        s.contains("being deleted") || s.contains("was deleted")
    });
    let missing = format!("{}-gone", ns.name);
    let t = Tmux::ripcord("nsgone", &cli, &format!("-n {missing}"), 160, 30);
    t.wait_for("the missing namespace said", |s| {
        s.contains("does not exist")
    });
}
