//! The console's flag source as `update` sees it: flags that arrive before their release,
//! `--flags` files reloaded as they change, and the queue's flag badge.

mod common;

use common::demo::live_state_at;
use ripcord::app::{update, Msg, State};
use ripcord::flags::FlagSet;
use ripcord::model::objects::{object_from_json, Change};
use ripcord::model::{Flags, Kind, ReleaseKey};

const CTX: &str = "prod";

fn web() -> ReleaseKey {
    ReleaseKey {
        context: CTX.into(),
        namespace: "shop".into(),
        kind: Kind::Deployment,
        name: "web".into(),
    }
}

fn flags(states: &[(&str, &str)]) -> Flags {
    let body: Vec<String> = states
        .iter()
        .map(|(k, s)| {
            format!(
                r#""{k}": {{"state": "{s}", "variants": {{"on": true}}, "defaultVariant": "on"}}"#
            )
        })
        .collect();
    let set = FlagSet::parse("t.json", &format!(r#"{{"flags": {{{}}}}}"#, body.join(",")))
        .expect("flags");
    Flags {
        flags: set.flags.into_values().collect(),
    }
}

fn deployment_arrives(state: &mut State) {
    let web = object_from_json(&serde_json::json!({
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": { "name": "web", "namespace": "shop", "uid": "w-1" },
        "spec": { "replicas": 1, "selector": { "matchLabels": { "app": "web" } },
                  "template": { "metadata": { "labels": { "app": "web" } },
                                "spec": { "containers": [{ "name": "c", "image": "w:1" }] } } }
    }))
    .expect("a deployment");
    update(
        state,
        Msg::Cluster {
            context: CTX.into(),
            changes: vec![Change::Applied(web)],
        },
    );
}

#[test]
fn flags_told_before_their_release_arrives_are_shown_when_it_does() {
    let mut state = live_state_at(chrono::Utc::now());
    // The flag source heard of the Deployment before the release watch did.
    update(
        &mut state,
        Msg::Flags {
            key: web(),
            flags: flags(&[("dark-mode", "ENABLED")]),
        },
    );
    assert!(state.flags.is_empty(), "only shown releases hold flags");
    deployment_arrives(&mut state);
    assert!(state.releases.contains_key(&web()));
    assert_eq!(state.flags_of(&web()), &flags(&[("dark-mode", "ENABLED")]));
    assert!(state.flags_waiting.is_empty());

    // Flags that went again before their release came are not kept.
    let other = ReleaseKey {
        name: "api".into(),
        ..web()
    };
    update(
        &mut state,
        Msg::Flags {
            key: other.clone(),
            flags: flags(&[("x", "ENABLED")]),
        },
    );
    update(
        &mut state,
        Msg::Flags {
            key: other,
            flags: Flags::default(),
        },
    );
    assert!(state.flags_waiting.is_empty());
}
