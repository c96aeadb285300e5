//! `ripcord flags` against the testbed: FeatureFlag resources (the OpenFeature Operator's
//! CRD) and labelled ConfigMaps, read with one LIST each.

mod common;
use common::cli::{json, stderr, text, Cli};
use common::testbed;

use testbed::*;

fn feature_flag(name: &str) -> String {
    serde_json::json!({
        "apiVersion": "core.openfeature.dev/v1beta1",
        "kind": "FeatureFlag",
        "metadata": {"name": name},
        "spec": {"flagSpec": {
            "flags": {
                "new-checkout": {
                    "state": "ENABLED",
                    "variants": {"on": true, "off": false},
                    "defaultVariant": "off",
                    "targeting": {"if": [{"$ref": "staff"}, "on", {"fractional": [["on", 50], ["off", 50]]}]}
                }
            },
            "$evaluators": {"staff": {"ends_with": [{"var": "email"}, "@example.com"]}}
        }}
    })
    .to_string()
}

fn config_map(name: &str, labelled: bool, data: &[(&str, &str)]) -> String {
    let labels = if labelled {
        serde_json::json!({"ripcord.dev/flagd": "true"})
    } else {
        serde_json::json!({})
    };
    let data: serde_json::Map<String, serde_json::Value> = data
        .iter()
        .map(|(k, v)| (k.to_string(), serde_json::json!(v)))
        .collect();
    serde_json::json!({
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": name, "labels": labels},
        "data": data,
    })
    .to_string()
}

const BANNER: &str = r#"{"flags": {"banner": {"state": "DISABLED", "variants": {"big": "BIG"}, "defaultVariant": "big"}}}"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn flags_from_feature_flags_and_labelled_config_maps() {
    let Some(tb) = testbed().await else { return };
    let ns = tb.namespace("flags").await;
    tb.apply(&ns.name, &feature_flag("shop"));
    tb.apply(
        &ns.name,
        &config_map("ui-flags", true, &[("ui.json", BANNER), ("notes.txt", "x")]),
    );
    tb.apply(
        &ns.name,
        &config_map("broken-flags", true, &[("bad.json", "{\n  \"flags\": [}")]),
    );
    tb.apply(
        &ns.name,
        &config_map(
            "unrelated",
            false,
            &[(
                "other.json",
                r#"{"flags": {"hidden": {"state": "ENABLED", "variants": {"x": 1}}}}"#,
            )],
        ),
    );
    let cli = Cli::new(&tb.kubeconfig);

    let out = cli.run(&["flags", "list", "-n", &ns.name, "-o", "json"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let doc = json(&out);
    let found: Vec<(String, String)> = doc["flags"]
        .as_array()
        .expect("a list")
        .iter()
        .map(|f| {
            (
                f["key"].as_str().unwrap_or_default().to_string(),
                f["source"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect();
    assert_eq!(
        found,
        [
            (
                "banner".to_string(),
                format!("configmap/{}/ui-flags/ui.json", ns.name)
            ),
            (
                "new-checkout".to_string(),
                format!("featureflag/{}/shop", ns.name)
            ),
        ],
        "{}",
        text(&out)
    );
    // The broken definition is reported where it is, and the rest still loads.
    assert!(
        stderr(&out).contains(&format!("configmap/{}/broken-flags/bad.json:2:", ns.name)),
        "{}",
        text(&out)
    );

    // Evaluated with the shared evaluator, a kubeconfig context beside the evaluation's.
    let out = cli.run(&[
        "flags",
        "eval",
        "new-checkout",
        "-n",
        &ns.name,
        "--context",
        ADMIN,
        "--eval-context",
        r#"{"targetingKey": "u1", "email": "ann@example.com"}"#,
        "-o",
        "json",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let r = json(&out);
    assert_eq!(
        (&r["value"], &r["reason"]),
        (
            &serde_json::json!(true),
            &serde_json::json!("TARGETING_MATCH")
        ),
        "{r}"
    );

    let out = cli.run(&["flags", "eval", "banner", "-n", &ns.name, "-o", "json"]);
    assert_eq!(json(&out)["reason"], "DISABLED", "{}", text(&out));

    // A flag in a ConfigMap is changed in place, under its own data key.
    let out = cli.run(&[
        "flags", "set", "banner", "-n", &ns.name, "--state", "enabled", "--reason", "launch",
        "--yes",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let stored = tb.kubectl(
        &ns.name,
        &[
            "get",
            "configmap",
            "ui-flags",
            "-o",
            "jsonpath={.data.ui\\.json}",
        ],
    );
    let stored: serde_json::Value = serde_json::from_str(&stored).expect("flagd JSON kept");
    assert_eq!(stored["flags"]["banner"]["state"], "ENABLED");
    let out = cli.run(&["flags", "eval", "banner", "-n", &ns.name, "-o", "json"]);
    assert_eq!(json(&out)["value"], "BIG", "{}", text(&out));

    let out = cli.run(&["flags", "get", "hidden", "-n", &ns.name]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        stderr(&out).contains("no flag \"hidden\" in the cluster"),
        "{}",
        text(&out)
    );

    // Another label finds the other ConfigMap instead.
    let out = cli.run(&[
        "flags",
        "list",
        "-n",
        &ns.name,
        "--configmap-label",
        "ripcord.dev/flagd!=true",
        "-o",
        "json",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let keys: Vec<String> = json(&out)["flags"]
        .as_array()
        .expect("a list")
        .iter()
        .map(|f| f["key"].as_str().unwrap_or_default().to_string())
        .collect();
    assert!(keys.contains(&"new-checkout".to_string()), "{keys:?}");
    assert!(!keys.contains(&"banner".to_string()), "{keys:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_user_who_may_not_read_the_namespace_is_told_so() {
    let Some(tb) = testbed().await else { return };
    let ns = tb.namespace("flags-denied").await;
    tb.apply(&ns.name, &feature_flag("shop"));
    let cli = Cli::new(&tb.kubeconfig);
    let out = cli.run(&["flags", "list", "-n", &ns.name, "--context", NSVIEWER]);
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));
    assert!(stderr(&out).contains(NSVIEWER), "{}", text(&out));
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_release_shows_the_flags_its_pod_template_links_to() {
    let Some(tb) = testbed().await else { return };
    let ns = tb.namespace("flags-link").await;
    tb.apply(&ns.name, &feature_flag("shop"));
    let other = feature_flag("other").replace("new-checkout", "other-flag");
    tb.apply(&ns.name, &other);
    tb.apply(
        &ns.name,
        &config_map("ui-flags", true, &[("ui.json", BANNER)]),
    );
    tb.apply(
        &ns.name,
        &serde_json::json!({
            "apiVersion": "core.openfeature.dev/v1beta1",
            "kind": "FeatureFlagSource",
            "metadata": {"name": "shop-source"},
            "spec": {"sources": [{"source": format!("{}/shop", ns.name), "provider": "kubernetes"}]}
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
    tb.apply(
        &ns.name,
        &deployment_linked(
            "ui",
            serde_json::json!({"ripcord.dev/flags": "ui-flags, other-flag"}),
        ),
    );
    tb.apply(&ns.name, &deployment_linked("plain", serde_json::json!({})));
    let cli = Cli::new(&tb.kubeconfig);
    let keys = |release: &str| -> Vec<String> {
        let out = cli.run(&[
            "flags",
            "list",
            "-n",
            &ns.name,
            "--release",
            release,
            "-o",
            "json",
        ]);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out));
        json(&out)["flags"]
            .as_array()
            .expect("a list")
            .iter()
            .map(|f| f["key"].as_str().unwrap_or_default().to_string())
            .collect()
    };
    assert_eq!(keys("deployment/web"), ["new-checkout"]);
    assert_eq!(keys("ui"), ["banner", "other-flag"]);
    assert!(keys("plain").is_empty());

    let out = cli.run(&[
        "flags",
        "list",
        "-n",
        &ns.name,
        "--release",
        "deployment/ghost",
    ]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
}

fn flag_state(tb: &Testbed, ns: &str) -> (String, String) {
    let out = tb.kubectl(ns, &["get", "featureflag", "shop", "-o", "json"]);
    let v: serde_json::Value = serde_json::from_str(&out).expect("json");
    (
        v["spec"]["flagSpec"]["flags"]["new-checkout"]["state"]
            .as_str()
            .unwrap_or_default()
            .to_string(),
        v["metadata"]["resourceVersion"]
            .as_str()
            .unwrap_or_default()
            .to_string(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn set_writes_at_the_version_read_refuses_bad_edits_and_posts_an_event() {
    let Some(tb) = testbed().await else { return };
    let ns = tb.namespace("flags-set").await;
    tb.apply(&ns.name, &feature_flag("shop"));
    let cli = Cli::new(&tb.kubeconfig);
    let set = |extra: &[&str]| {
        let mut args = vec!["flags", "set", "new-checkout", "-n", ns.name.as_str()];
        args.extend_from_slice(extra);
        cli.run(&args)
    };

    // Refused before anything is written: no reason, no --yes, an unknown variant.
    let (_, version) = flag_state(&tb, &ns.name);
    let out = set(&["--state", "disabled", "--yes"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let out = set(&["--state", "disabled", "--reason", "kill switch"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(stderr(&out).contains("--yes"), "{}", text(&out));
    let out = set(&["--default-variant", "maybe", "--reason", "x", "--yes"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        stderr(&out).contains("refused, nothing was written"),
        "{}",
        text(&out)
    );
    // Weights are read and checked as the console reads and checks them: a trailing comma
    // is nothing, a variant the flag does not have is named with those it has.
    let out = set(&["--weights", "on=10,maybe=90,", "--reason", "x", "--yes"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        stderr(&out).contains("maybe is not a variant of new-checkout (variants: on, off)"),
        "{}",
        text(&out)
    );
    assert_eq!(flag_state(&tb, &ns.name), ("ENABLED".to_string(), version));

    // The kill switch: shown as a diff, written, and an Event posted.
    let out = set(&[
        "--state",
        "disabled",
        "--reason",
        "errors up after deploy",
        "--yes",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let shown = common::cli::stdout(&out);
    assert!(
        shown.contains("-   \"state\": \"ENABLED\"")
            && shown.contains("+   \"state\": \"DISABLED\""),
        "{shown}"
    );
    assert!(
        shown.lines().any(|l| l == "+   \"state\": \"DISABLED\","),
        "the diff keeps its lines: {shown}"
    );
    assert!(
        shown.find("-   \"state\"") < shown.find("+   \"state\""),
        "the old line comes first: {shown}"
    );
    assert_eq!(flag_state(&tb, &ns.name).0, "DISABLED");
    let journal = common::cli::json_lines(&cli.run(&["journal", "-o", "json"]));
    let last = journal.last().expect("a journal entry");
    assert_eq!(
        (&last["action"], &last["kind"], &last["name"], &last["ok"]),
        (
            &serde_json::json!("flag-set"),
            &serde_json::json!("featureflag"),
            &serde_json::json!("shop"),
            &serde_json::json!(true)
        ),
        "{last}"
    );
    assert_eq!(last["reason"], "errors up after deploy");
    let events = tb.kubectl(
        &ns.name,
        &[
            "get",
            "events",
            "--field-selector",
            "reason=FlagEdited",
            "-o",
            "json",
        ],
    );
    assert!(
        events.contains("errors up after deploy") && events.contains("FeatureFlag"),
        "{events}"
    );

    // A context marked read-only changes nothing.
    std::fs::write(
        cli.dir().join("config.toml"),
        "[contexts.\"testbed-admin\"]\nread_only = true\n",
    )
    .expect("config");
    let out = set(&["--state", "enabled", "--reason", "back on", "--yes"]);
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));
    assert!(stderr(&out).contains("read-only"), "{}", text(&out));
    assert_eq!(flag_state(&tb, &ns.name).0, "DISABLED");
    assert_eq!(
        common::cli::json_lines(&cli.run(&["journal", "-o", "json"])).len(),
        1,
        "a refused change is not an attempt to write"
    );
    std::fs::remove_file(cli.dir().join("config.toml")).expect("config removed");

    // Weights of the split.
    let out = set(&[
        "--weights",
        "on=25,off=75",
        "--reason",
        "ramp",
        "--yes",
        "-o",
        "json",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let spec = tb.kubectl(
        &ns.name,
        &[
            "get",
            "featureflag",
            "shop",
            "-o",
            "jsonpath={.spec.flagSpec.flags.new-checkout.targeting}",
        ],
    );
    assert!(
        spec.contains("[\"on\",25]") && spec.contains("[\"off\",75]"),
        "{spec}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_edit_made_in_between_is_not_overwritten() {
    use ripcord::flags::edit::{apply, Edit};
    use ripcord::flags::write::{load, store, Stored, WriteError};
    let Some(tb) = testbed().await else { return };
    let ns = tb.namespace("flags-race").await;
    tb.apply(&ns.name, &feature_flag("shop"));
    let client = tb.client(ADMIN).await;
    let stored = Stored::FeatureFlag {
        namespace: ns.name.clone(),
        name: "shop".into(),
    };
    let loaded = load(&client, &stored).await.expect("loads");
    // Someone else changes the default variant meanwhile.
    tb.kubectl(&ns.name, &["patch", "featureflag", "shop", "--type=json", "-p",
        r#"[{"op": "replace", "path": "/spec/flagSpec/flags/new-checkout/defaultVariant", "value": "on"}]"#]);
    let after = apply(
        &loaded.document,
        "new-checkout",
        &Edit::State(ripcord::flags::State::Disabled),
    )
    .expect("applies");
    let result = store(&client, &loaded, &after).await;
    assert!(matches!(result, Err(WriteError::Conflict)), "{result:?}");
    let out = tb.kubectl(&ns.name, &["get", "featureflag", "shop", "-o", "jsonpath={.spec.flagSpec.flags.new-checkout.defaultVariant}/{.spec.flagSpec.flags.new-checkout.state}"]);
    assert_eq!(
        out.trim(),
        "on/ENABLED",
        "the other edit stands and ours was not written"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_user_who_may_read_but_not_update_sees_why() {
    let Some(tb) = testbed().await else { return };
    let ns = tb.namespace("flags-ro").await;
    tb.apply(&ns.name, &feature_flag("shop"));
    tb.apply(
        &ns.name,
        &serde_json::json!({
            "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role",
            "metadata": {"name": "flag-reader"},
            "rules": [
                {"apiGroups": ["core.openfeature.dev"], "resources": ["featureflags"], "verbs": ["get", "list", "watch"]},
                {"apiGroups": [""], "resources": ["configmaps"], "verbs": ["get", "list", "watch"]}
            ]
        })
        .to_string(),
    );
    tb.apply(
        &ns.name,
        &serde_json::json!({
            "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
            "metadata": {"name": "flag-reader"},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "flag-reader"},
            "subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": "viewer"}]
        })
        .to_string(),
    );
    let cli = Cli::new(&tb.kubeconfig);
    let out = cli.run(&[
        "flags",
        "list",
        "-n",
        &ns.name,
        "--context",
        VIEWER,
        "-o",
        "json",
    ]);
    assert_eq!(out.status.code(), Some(0), "reads: {}", text(&out));
    let out = cli.run(&[
        "flags",
        "set",
        "new-checkout",
        "-n",
        &ns.name,
        "--context",
        VIEWER,
        "--state",
        "disabled",
        "--reason",
        "kill switch",
        "--yes",
    ]);
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));
    assert!(
        stderr(&out).contains("not allowed to update featureflags.core.openfeature.dev"),
        "{}",
        text(&out)
    );
    let state = tb.kubectl(
        &ns.name,
        &[
            "get",
            "featureflag",
            "shop",
            "-o",
            "jsonpath={.spec.flagSpec.flags.new-checkout.state}",
        ],
    );
    assert_eq!(state.trim(), "ENABLED");
}

/// On a terminal, a change made by someone else between reading and confirming is shown and
/// asked about again; both changes end up stored.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_a_terminal_a_change_in_between_is_shown_and_asked_again() {
    use common::tmux::Tmux;
    let Some(tb) = testbed().await else { return };
    let ns = tb.namespace("flags-tty").await;
    tb.apply(&ns.name, &feature_flag("shop"));
    let cli = Cli::new(&tb.kubeconfig);
    let t = Tmux::ripcord(
        "flags-set",
        &cli,
        &format!(
            "flags set new-checkout -n {} --state disabled --reason 'kill switch'",
            ns.name
        ),
        120,
        60,
    );
    t.wait_text("[y/N]");
    // Someone else changes the default variant while the question is open.
    tb.kubectl(&ns.name, &["patch", "featureflag", "shop", "--type=json", "-p",
        r#"[{"op": "replace", "path": "/spec/flagSpec/flags/new-checkout/defaultVariant", "value": "on"}]"#]);
    t.keys(&["y", "Enter"]);
    // The reloaded state is printed after the notice: read the screen once the question is
    // asked again.
    let screen = t.wait_for("the question again", |s| {
        s.contains("changed by someone else meanwhile") && s.matches("[y/N]").count() == 2
    });
    assert!(
        screen.contains("\"defaultVariant\": \"on\""),
        "the current state is shown: {screen}"
    );
    t.keys(&["y", "Enter"]);
    t.wait_text("EXITED 0");
    let out = tb.kubectl(&ns.name, &["get", "featureflag", "shop", "-o",
        "jsonpath={.spec.flagSpec.flags.new-checkout.defaultVariant}/{.spec.flagSpec.flags.new-checkout.state}"]);
    assert_eq!(out.trim(), "on/DISABLED", "both changes stand");
}

/// The console as the loop runs it: a frame drawn, and `update` told so.
fn drawn(state: &mut ripcord::app::State) {
    use ripcord::app::{update, Msg};
    let mut terminal =
        ratatui::Terminal::new(ratatui::backend::TestBackend::new(120, 40)).expect("terminal");
    let theme = ripcord::config::theme::Theme::default();
    let mut extents = ripcord::app::Extents::default();
    update(
        state,
        Msg::Resize {
            width: 120,
            height: 40,
        },
    );
    terminal
        .draw(|f| extents = ripcord::ui::render_measured(f, state, &theme))
        .expect("draw");
    update(
        state,
        Msg::Drawn {
            width: 120,
            height: 40,
            extents,
        },
    );
}

fn status(state: &ripcord::app::State) -> String {
    state
        .status
        .as_ref()
        .map(|s| s.text.clone())
        .unwrap_or_default()
}

/// A live console that knows the Deployment `name` of `ns` and the flags its pod template
/// links to, read from the cluster, with its flags tab open.
async fn console_on(tb: &Testbed, ns: &str, name: &str) -> ripcord::app::State {
    use ripcord::app::{update, Msg};
    use ripcord::model::objects::{object_from_json, Change};
    let client = tb.client(ADMIN).await;
    let text = tb.kubectl(ns, &["get", "deployment", name, "-o", "json"]);
    let deployment: serde_json::Value = serde_json::from_str(&text).expect("json");
    let object = object_from_json(&deployment).expect("a Deployment");
    let mut state = common::demo::live_state_at(chrono::Utc::now());
    update(
        &mut state,
        Msg::Cluster {
            context: ADMIN.into(),
            changes: vec![Change::Applied(object)],
        },
    );
    let key = state.rows.first().cloned().expect("the release is queued");
    let annotations: std::collections::BTreeMap<String, String> =
        serde_json::from_value(deployment["spec"]["template"]["metadata"]["annotations"].clone())
            .expect("annotations");
    let links = ripcord::flags::cluster::links(&client, ns, &annotations)
        .await
        .expect("links");
    let found = ripcord::flags::cluster::list(&client, Some(ns), &Default::default())
        .await
        .expect("flags");
    let flags = found
        .sets
        .into_iter()
        .flat_map(|s| s.flags.into_values())
        .filter(|f| links.covers(&f.source, &f.key))
        .collect();
    update(
        &mut state,
        Msg::Flags {
            key,
            flags: ripcord::model::Flags {
                flags,
                warnings: Vec::new(),
            },
        },
    );
    common::demo::press_code(&mut state, crossterm::event::KeyCode::Enter);
    common::demo::press(&mut state, '4');
    state
}

/// The console's own flag edit on a ConfigMap source: the rights checked before anything
/// is shown (a viewer is refused there), the diff against what is stored, a reason and
/// `y`; a change made meanwhile is shown and asked about again; the write is journaled
/// and posted as an Event.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_console_flips_a_config_map_flag_after_the_rights_check_diff_and_reason() {
    use common::demo::{press, press_code, type_text};
    use crossterm::event::KeyCode;
    use ripcord::app::{update, Effect, Msg, Overlay};
    use ripcord::flags::flip::{FlagActuator, KubeFlags, Written};
    let Some(tb) = testbed().await else { return };
    let ns = tb.namespace("flags-console").await;
    tb.apply(
        &ns.name,
        &config_map("ui-flags", true, &[("ui.json", BANNER)]),
    );
    tb.apply(
        &ns.name,
        &deployment_linked("ui", serde_json::json!({"ripcord.dev/flags": "ui-flags"})),
    );
    let dir = tempfile::tempdir().expect("a temp dir");
    let journal = ripcord::journal::Journal::at(dir.path().join("journal.jsonl"));
    let actuator = |context: &str, client: kube::Client| {
        let cluster = ripcord::cluster::connect::Cluster {
            context: ADMIN.into(),
            client,
            user: context.into(),
            namespace: ns.name.clone(),
        };
        KubeFlags::new(
            vec![cluster],
            std::sync::Arc::new(Default::default()),
            Some(journal.clone()),
            Default::default(),
            false,
        )
    };
    let stored = || {
        let text = tb.kubectl(
            &ns.name,
            &[
                "get",
                "configmap",
                "ui-flags",
                "-o",
                "jsonpath={.data.ui\\.json}",
            ],
        );
        serde_json::from_str::<serde_json::Value>(&text).expect("flagd JSON")
    };

    // A viewer: refused before any confirmation, nothing written or journaled.
    let viewer = actuator(VIEWER, tb.client(VIEWER).await);
    let mut state = console_on(&tb, &ns.name, "ui").await;
    let effects = press(&mut state, 'x');
    let [Effect::FlagPrepare(request)] = effects.as_slice() else {
        panic!("x asks for the edit to be checked: {effects:?}");
    };
    assert_eq!(
        request.source,
        format!("configmap/{}/ui-flags/ui.json", ns.name)
    );
    let result = viewer.prepare(request).await;
    update(
        &mut state,
        Msg::FlagPrepared {
            request: request.clone(),
            result,
        },
    );
    assert!(state.overlay.is_none(), "a viewer is asked nothing");
    assert!(
        status(&state).contains("not allowed to update configmaps"),
        "{}",
        status(&state)
    );
    assert_eq!(stored()["flags"]["banner"]["state"], "DISABLED");
    assert!(journal.read().expect("journal").is_empty());

    // An admin: the diff, a reason, `y`.
    let admin = actuator(ADMIN, tb.client(ADMIN).await);
    let mut state = console_on(&tb, &ns.name, "ui").await;
    let effects = press(&mut state, 'x');
    let [Effect::FlagPrepare(request)] = effects.as_slice() else {
        panic!("{effects:?}");
    };
    let result = admin.prepare(request).await;
    update(
        &mut state,
        Msg::FlagPrepared {
            request: request.clone(),
            result,
        },
    );
    let Some(Overlay::FlagConfirm(c)) = &state.overlay else {
        panic!("no confirmation: {}", status(&state));
    };
    assert!(
        c.prepared.diff.contains("-   \"state\": \"DISABLED\"")
            && c.prepared.diff.contains("+   \"state\": \"ENABLED\""),
        "{}",
        c.prepared.diff
    );
    drawn(&mut state);
    // `y` before the reason is accepted is part of the reason, not an answer.
    assert!(press(&mut state, 'y').is_empty());
    press_code(&mut state, KeyCode::Backspace);
    type_text(&mut state, "launch the banner");
    press_code(&mut state, KeyCode::Enter);
    drawn(&mut state);

    // Someone else changes the definition while the question is open.
    let changed = r#"{"flags": {"banner": {"state": "DISABLED", "variants": {"big": "BIG", "small": "SMALL"}, "defaultVariant": "big"}}}"#;
    tb.apply(
        &ns.name,
        &config_map("ui-flags", true, &[("ui.json", changed)]),
    );
    let effects = press(&mut state, 'y');
    let [Effect::FlagWrite { request, version }] = effects.as_slice() else {
        panic!("y writes: {effects:?}");
    };
    assert_eq!(request.reason.as_deref(), Some("launch the banner"));
    let written = admin.write(request, version).await;
    assert!(matches!(written, Written::Changed(_)), "{written:?}");
    update(
        &mut state,
        Msg::FlagWritten {
            request: request.clone(),
            written,
        },
    );
    let Some(Overlay::FlagConfirm(c)) = &state.overlay else {
        panic!("asked again: {}", status(&state));
    };
    assert!(
        c.changed && c.prepared.diff.contains("\"small\": \"SMALL\""),
        "the new state is shown: {}",
        c.prepared.diff
    );
    assert_eq!(
        stored()["flags"]["banner"]["state"],
        "DISABLED",
        "not written"
    );
    drawn(&mut state);
    let effects = press(&mut state, 'y');
    let [Effect::FlagWrite { request, version }] = effects.as_slice() else {
        panic!("{effects:?}");
    };
    let written = admin.write(request, version).await;
    assert!(matches!(written, Written::Done(_)), "{written:?}");
    update(
        &mut state,
        Msg::FlagWritten {
            request: request.clone(),
            written,
        },
    );
    assert!(
        status(&state).contains("✔ set banner to ENABLED"),
        "{}",
        status(&state)
    );
    let now = stored();
    assert_eq!(now["flags"]["banner"]["state"], "ENABLED");
    assert_eq!(
        now["flags"]["banner"]["variants"]["small"], "SMALL",
        "the other change stands"
    );

    let entries = journal.read().expect("journal");
    let results: Vec<(bool, String)> = entries.iter().map(|e| (e.ok, e.result.clone())).collect();
    assert_eq!(entries.len(), 2, "{results:?}");
    let last = entries.last().expect("an entry");
    assert_eq!(
        (
            last.action.as_str(),
            last.kind.as_str(),
            last.name.as_str(),
            last.ok
        ),
        ("flag-set", "configmap", "ui-flags/ui.json", true),
        "{results:?}"
    );
    assert_eq!(last.reason.as_deref(), Some("launch the banner"));
    assert!(!entries[0].ok && entries[0].result.contains("changed by someone else"));
    let events = tb.kubectl(
        &ns.name,
        &[
            "get",
            "events",
            "--field-selector",
            "reason=FlagEdited",
            "-o",
            "json",
        ],
    );
    assert!(
        events.contains("launch the banner") && events.contains("ConfigMap"),
        "{events}"
    );
}

/// A flip rewrites only the flipped flag's value: the ConfigMap keeps its key order, its
/// indentation and its trailing newline, and the other flag's text is byte-identical.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_config_map_flip_changes_only_the_flipped_flags_text() {
    let Some(tb) = testbed().await else { return };
    let ns = tb.namespace("flags-text").await;
    let other = r#""zz-other": {"state": "ENABLED",
         "variants": { "on": true, "off": false },   "defaultVariant": "on"}"#;
    let doc = format!(
        "{{\n   \"flags\": {{\n      \"zz-banner\": {{\n         \"state\": \"ENABLED\",\n         \
         \"variants\": {{\"on\": true, \"off\": false}},\n         \"defaultVariant\": \"on\"\n      \
         }},\n      {other}\n   }}\n}}\n"
    );
    tb.apply(
        &ns.name,
        &config_map("two-flags", true, &[("f.json", &doc)]),
    );
    let cli = Cli::new(&tb.kubeconfig);
    let out = cli.run(&[
        "flags",
        "set",
        "zz-banner",
        "-n",
        &ns.name,
        "--state",
        "disabled",
        "--reason",
        "text",
        "--yes",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let stored = tb.kubectl(
        &ns.name,
        &[
            "get",
            "configmap",
            "two-flags",
            "-o",
            "jsonpath={.data.f\\.json}",
        ],
    );
    assert!(stored.contains(other), "the other flag changed:\n{stored}");
    assert_eq!(
        stored.trim_end(),
        doc.replacen("\"ENABLED\"", "\"DISABLED\"", 1).trim_end(),
        "only the flipped value changes"
    );
}

/// A flag in the cluster outside flagd's schema is said where it is, and its siblings load.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cluster_flag_outside_the_schema_is_said_and_its_siblings_load() {
    let Some(tb) = testbed().await else { return };
    let ns = tb.namespace("flags-schema").await;
    let doc = "{\"flags\": {\n  \"fine\": {\"state\": \"ENABLED\", \"variants\": {\"on\": true}},\n  \"mixed\": {\"state\": \"ENABLED\", \"variants\": {\"on\": true, \"off\": \"no\"}}\n}}";
    tb.apply(
        &ns.name,
        &config_map("mixed-flags", true, &[("f.json", doc)]),
    );
    let cli = Cli::new(&tb.kubeconfig);
    let out = cli.run(&["flags", "list", "-n", &ns.name]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(
        stderr(&out).contains(&format!(
            "configmap/{}/mixed-flags/f.json:3:3: flag \"mixed\": variants mix boolean, string",
            ns.name
        )),
        "{}",
        text(&out)
    );
    let shown = common::cli::stdout(&out);
    assert!(
        shown.contains("fine ") && !shown.contains("mixed "),
        "{shown}"
    );
}
