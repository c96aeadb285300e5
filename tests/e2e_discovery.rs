//! A CRD installed or removed while ripcord watches is noticed: its kind's rows come and go.
//!
//! The shared testbed's Argo and Flagger CRDs stay installed for everyone, so this test
//! installs a look-alike Rollout CRD in a group of its own and hands it to discovery.

mod common;
use common::testbed::{self, testbed, wait_until};
use common::watching;

use kube::api::GroupVersionKind;
use ripcord::cluster::watch::{self, Scope};
use ripcord::model::objects::{Change, Object, ObjectKind};
use ripcord::model::{ClusterReport, ConnState};
use serde_json::json;
use std::time::Duration;
use tokio::sync::mpsc;

/// Collects what the watches sent until `done` holds for the changes seen so far.
async fn until(
    rx: &mut mpsc::Receiver<ClusterReport>,
    seen: &mut Vec<Change>,
    states: &mut Vec<ConnState>,
    what: &str,
    within: Duration,
    done: impl Fn(&[Change]) -> bool,
) {
    let deadline = tokio::time::Instant::now() + within;
    while !done(seen) {
        let left = deadline.saturating_duration_since(tokio::time::Instant::now());
        match tokio::time::timeout(left, rx.recv()).await {
            Ok(Some(ClusterReport::Changes { changes, .. })) => seen.extend(changes),
            Ok(Some(ClusterReport::Connection { state, .. })) => states.push(state),
            Ok(Some(_)) => {}
            Ok(None) => panic!("the watches stopped before {what}"),
            Err(_) => panic!("{what}: not within {within:?}; saw {seen:?}"),
        }
    }
}

fn has_rollout(changes: &[Change], name: &str) -> bool {
    changes.iter().any(|c| match c {
        Change::Applied(Object::ArgoRollout(r)) => r.meta.name == name,
        Change::Reset { objects, .. } => objects
            .iter()
            .any(|o| matches!(o, Object::ArgoRollout(r) if r.meta.name == name)),
        _ => false,
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crd_that_appears_or_disappears_is_noticed() {
    let Some(tb) = testbed().await else { return };
    let ns = tb.namespace("discover").await;
    let group = format!("{}.e2e.ripcord.dev", ns.name.replace('-', ""));
    let crd_name = format!("rollouts.{group}");
    let _crd = tb.temporary("default", "crd", &crd_name);
    let cluster = watching::cluster(&tb, testbed::ADMIN).await;
    let (tx, mut rx) = mpsc::channel::<ClusterReport>(1024);
    // A short round so the test is quick; the console's is watch::DISCOVERY_EVERY (20 s).
    watch::spawn_discovering(
        cluster,
        Scope::Namespaces(vec![ns.name.clone()]),
        Vec::new(),
        vec![(
            ObjectKind::ArgoRollout,
            GroupVersionKind::gvk(&group, "v1alpha1", "Rollout"),
        )],
        Duration::from_secs(2),
        tx,
    );
    assert!(watch::DISCOVERY_EVERY <= Duration::from_secs(60));

    // Installed after the watches started.
    tb.apply(
        &ns.name,
        &json!({
            "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
            "metadata": { "name": crd_name },
            "spec": {
                "group": group, "scope": "Namespaced",
                "names": { "plural": "rollouts", "singular": "rollout", "kind": "Rollout", "listKind": "RolloutList" },
                "versions": [{ "name": "v1alpha1", "served": true, "storage": true,
                    "subresources": { "status": {} },
                    "schema": { "openAPIV3Schema": { "type": "object", "x-kubernetes-preserve-unknown-fields": true } } }]
            }
        })
        .to_string(),
    );
    tb.kubectl(
        &ns.name,
        &[
            "wait",
            "--for=condition=Established",
            &format!("crd/{crd_name}"),
            "--timeout=60s",
        ],
    );
    let mut rollout = testbed::argo_rollout("web", "web:1");
    rollout["apiVersion"] = json!(format!("{group}/v1alpha1"));
    // The new API may take a moment to be served for writes.
    let file = tempfile::NamedTempFile::new().expect("temp file");
    std::fs::write(file.path(), rollout.to_string()).expect("write");
    let path = file.path().display().to_string();
    wait_until("the Rollout created", Duration::from_secs(30), || async {
        tb.kubectl_status(&ns.name, &["apply", "-f", &path])
            .0
            .then_some(())
    })
    .await;
    let (mut seen, mut states) = (Vec::new(), Vec::new());
    until(
        &mut rx,
        &mut seen,
        &mut states,
        "the new kind's rows",
        Duration::from_secs(60),
        |c| has_rollout(c, "web"),
    )
    .await;

    // Removed: the rows go.
    seen.clear();
    tb.kubectl("default", &["delete", "crd", &crd_name, "--wait=false"]);
    until(&mut rx, &mut seen, &mut states, "the rows gone", Duration::from_secs(60), |c| {
        c.iter().any(|c| {
            matches!(c, Change::Reset { kind: ObjectKind::ArgoRollout, objects, .. } if objects.is_empty())
        })
    })
    .await;
    // Its watch is stopped, not retried forever: the context settles back to synced.
    let settled = tokio::time::Instant::now() + Duration::from_secs(10);
    while let Ok(Some(report)) = tokio::time::timeout_at(settled, rx.recv()).await {
        if let ClusterReport::Connection { state, .. } = report {
            states.push(state);
        }
    }
    assert_eq!(states.last(), Some(&ConnState::Synced), "{states:?}");
}
