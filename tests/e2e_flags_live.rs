//! The console's live flag source against the testbed: FeatureFlags, FeatureFlagSources,
//! labelled ConfigMaps and the Deployments linking them, watched; what reaches the console
//! goes through the same channel and `update` as the release watches.

mod common;
use common::{testbed, watching};

use ripcord::app::{update, Msg, State};
use ripcord::cluster::watch::Scope;
use ripcord::flags::cluster::ConfigMapSource;
use ripcord::flags::watch::FlagSource;
use std::time::{Duration, Instant};
use testbed::*;
use tokio::sync::mpsc;
use watching::*;

fn feature_flag(name: &str, state: &str) -> String {
    serde_json::json!({
        "apiVersion": "core.openfeature.dev/v1beta1",
        "kind": "FeatureFlag",
        "metadata": {"name": name},
        "spec": {"flagSpec": {"flags": {
            "new-checkout": {
                "state": state,
                "variants": {"on": true, "off": false},
                "defaultVariant": "off",
                "targeting": {"fractional": [["on", 10], ["off", 90]]}
            }
        }}}
    })
    .to_string()
}

fn deployment_linked(name: &str, annotations: serde_json::Value) -> String {
    serde_json::json!({
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name},
        "spec": {
            "replicas": 0,
            "selector": {"matchLabels": {"app": name}},
            "template": {
                "metadata": {"labels": {"app": name}, "annotations": annotations},
                "spec": {"containers": [{"name": "app", "image": "nginx:1.25"}]}
            }
        }
    })
    .to_string()
}

/// The release watches and the flag source of `ns`, on one channel as in the console.
async fn console(tb: &Testbed, ns: &str) -> mpsc::Receiver<Msg> {
    let cluster = cluster(tb, ADMIN).await;
    let scope = Scope::Namespaces(vec![ns.to_owned()]);
    let (tx, rx) = mpsc::channel(1024);
    ripcord::cluster::watch::spawn(
        cluster.clone(),
        scope.clone(),
        ripcord::cluster::watch::core_kinds(),
        tx.clone(),
    );
    let flags = FlagSource::start(ConfigMapSource::default(), Duration::from_secs(2), tx);
    flags.watch(&cluster, &scope);
    rx
}

/// Feeds messages into `state` until `done` holds; what problems were told come back.
async fn until(
    state: &mut State,
    rx: &mut mpsc::Receiver<Msg>,
    what: &str,
    done: impl Fn(&State) -> bool,
) -> Vec<String> {
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut problems = Vec::new();
    while !done(state) {
        let left = deadline.saturating_duration_since(Instant::now());
        match tokio::time::timeout(left, rx.recv()).await {
            Ok(Some(msg)) => {
                if let Msg::Problem(p) = &msg {
                    problems.push(p.clone());
                }
                update(state, msg);
            }
            Ok(None) => panic!("the sources stopped while waiting for {what}"),
            Err(_) => panic!(
                "timed out waiting for {what}; flags: {:?}; problems: {problems:?}",
                state.flags
            ),
        }
    }
    problems
}

fn states(state: &State, key: &ripcord::model::ReleaseKey) -> Vec<(String, String)> {
    state
        .flags_of(key)
        .flags
        .iter()
        .map(|f| (f.key.clone(), f.state.as_str().to_string()))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn flags_follow_their_feature_flag_live() {
    let Some(tb) = testbed().await else { return };
    let ns = tb.namespace("flags-live").await;
    let mut rx = console(&tb, &ns.name).await;
    let mut state = live_state();
    let web = deployment_key(&ns.name, "web");
    let ui = deployment_key(&ns.name, "ui");

    tb.apply(&ns.name, &feature_flag("shop", "ENABLED"));
    tb.apply(
        &ns.name,
        &serde_json::json!({
            "apiVersion": "core.openfeature.dev/v1beta1",
            "kind": "FeatureFlagSource",
            "metadata": {"name": "shop-source"},
            "spec": {"sources": [{"source": "shop", "provider": "kubernetes"}]}
        })
        .to_string(),
    );
    tb.apply(
        &ns.name,
        &deployment_linked(
            "web",
            serde_json::json!({"openfeature.dev/featureflagsource": "shop-source"}),
        ),
    );
    // A second release linked by ripcord's annotation to a ConfigMap, one key of which is
    // broken: the other key's flags still arrive, and the broken one is named.
    tb.apply(
        &ns.name,
        &serde_json::json!({
            "apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": "ui-flags", "labels": {"ripcord.dev/flagd": "true"}},
            "data": {
                "ui.json": r#"{"flags": {"banner": {"state": "ENABLED", "variants": {"big": 1}, "defaultVariant": "big"}}}"#,
                "bad.json": "{\n  \"flags\": [}"
            }
        })
        .to_string(),
    );
    tb.apply(
        &ns.name,
        &deployment_linked("ui", serde_json::json!({"ripcord.dev/flags": "ui-flags"})),
    );
    let problems = until(&mut state, &mut rx, "both releases' flags", |s| {
        states(s, &web) == [("new-checkout".to_string(), "ENABLED".to_string())]
            && states(s, &ui) == [("banner".to_string(), "ENABLED".to_string())]
    })
    .await;
    let bad = format!("configmap/{}/ui-flags/bad.json:2:", ns.name);
    if !problems.iter().any(|p| p.contains(&bad)) {
        until(&mut state, &mut rx, "the broken key to be named", |s| {
            s.messages.iter().any(|m| m.text.contains(&bad))
        })
        .await;
    }

    // An edit arrives.
    tb.apply(&ns.name, &feature_flag("shop", "DISABLED"));
    until(&mut state, &mut rx, "the edit", |s| {
        states(s, &web) == [("new-checkout".to_string(), "DISABLED".to_string())]
    })
    .await;
    assert_eq!(
        states(&state, &ui),
        [("banner".to_string(), "ENABLED".to_string())],
        "the other release's flags stay"
    );

    // Deleted, and the flags go.
    tb.kubectl(&ns.name, &["delete", "featureflag", "shop"]);
    until(&mut state, &mut rx, "the flags to go", |s| {
        s.flags_of(&web).flags.is_empty()
    })
    .await;
    assert!(!state.flags_of(&ui).flags.is_empty());
}

/// The console itself, in a real terminal: a Deployment linked to a FeatureFlag and to a
/// key of a `--flags` file shows both on its queue row, and editing the file marks it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_console_counts_cluster_and_file_flags_and_marks_an_edit() {
    use common::cli::Cli;
    use common::tmux::Tmux;
    let Some(tb) = testbed().await else { return };
    let ns = tb.namespace("flags-tui").await;
    tb.apply(&ns.name, &feature_flag("shop", "ENABLED"));
    tb.apply(
        &ns.name,
        &deployment_linked(
            "web",
            serde_json::json!({"ripcord.dev/flags": "shop, dark-mode"}),
        ),
    );
    let cli = Cli::new(&tb.kubeconfig);
    let file = cli.dir().join("flags.json");
    let flag = |state: &str| {
        format!(
            "{{\"flags\": {{\n  \"dark-mode\": {{\"state\": \"{state}\", \"variants\": {{\"on\": true}}, \"defaultVariant\": \"on\"}}\n}}}}"
        )
    };
    std::fs::write(&file, flag("ENABLED")).expect("write");
    let t = Tmux::ripcord(
        "flags-live",
        &cli,
        &format!(
            "--context {ADMIN} -n {} --flags {}",
            ns.name,
            file.display()
        ),
        120,
        30,
    )
    .timeout(Duration::from_secs(60));
    // After the findings badge, if any.
    let row = |s: &str, badge: &str| {
        s.lines()
            .any(|l| l.starts_with("web ") && l.contains(badge))
    };
    t.wait_for("web with its two flags", |s| row(s, "⚑2 "));
    std::fs::write(&file, flag("DISABLED")).expect("write");
    t.wait_for("the edit marked", |s| row(s, "⚑2*"));
    // A broken edit is said with its position; the flags stay.
    std::fs::write(&file, flag("DISABLED").replace("\"on\": true", "\"on\": ")).expect("write");
    let screen = t.wait_for("the error", |s| s.contains("flags.json:2:"));
    assert!(row(&screen, "⚑2*"), "{screen}");
}
