//! Deriving releases from rows: edge cases the watches produce.

use ripcord::model::derive::derive_namespace;
use ripcord::model::objects::object_from_json;
use ripcord::model::{ClusterCache, Phase, RevisionRole};
use serde_json::json;

fn deployment(revision: i64, image: &str) -> serde_json::Value {
    json!({
        "kind": "Deployment",
        "metadata": { "name": "web", "namespace": "ns", "generation": 1,
                      "annotations": { "deployment.kubernetes.io/revision": revision.to_string() } },
        "spec": { "replicas": 2, "selector": {}, "template": { "spec": { "containers": [{ "name": "app", "image": image }] } } },
        "status": { "observedGeneration": 1, "replicas": 2, "updatedReplicas": 2, "readyReplicas": 2, "availableReplicas": 2 }
    })
}

fn replicaset(revision: i64, image: &str, replicas: i32) -> serde_json::Value {
    json!({
        "kind": "ReplicaSet",
        "metadata": { "name": format!("web-{revision}"), "namespace": "ns",
                      "annotations": { "deployment.kubernetes.io/revision": revision.to_string() },
                      "ownerReferences": [{ "apiVersion": "apps/v1", "kind": "Deployment", "name": "web", "uid": "u", "controller": true }] },
        "spec": { "replicas": replicas, "selector": {}, "template": { "spec": { "containers": [{ "name": "app", "image": image }] } } },
        "status": { "replicas": replicas, "readyReplicas": replicas }
    })
}

#[test]
fn a_new_replicaset_seen_before_its_deployment_update_means_progressing() {
    let mut cache = ClusterCache::default();
    for v in [
        deployment(1, "nginx:1.25"),
        replicaset(1, "nginx:1.25", 2),
        replicaset(2, "nginx:1.26", 0),
    ] {
        cache.apply(object_from_json(&v).expect("valid object"));
    }
    let releases = derive_namespace("ctx", "ns", &cache.namespaces["ns"]);
    let web = &releases[0];
    assert_eq!(web.phase, Phase::Progressing, "{}", web.message);
    assert_eq!(web.revisions[0].number, 2);
    assert_eq!(web.revisions[0].role, RevisionRole::Canary);
    assert_eq!(web.revisions[1].role, RevisionRole::Stable);
    assert_eq!(web.stable.ready, 2);
}

#[test]
fn malformed_and_partial_objects_name_themselves_and_do_not_panic() {
    let err = object_from_json(
        &json!({ "kind": "Rollout", "metadata": { "name": "r", "namespace": "ns" }, "spec": {} }),
    )
    .expect_err("a Rollout without a strategy");
    assert!(
        err.to_string().contains("Rollout ns/r") && err.to_string().contains("spec.strategy"),
        "{err}"
    );
    let err = object_from_json(&json!({ "kind": "Deployment", "metadata": { "name": "d" }, "spec": { "replicas": "three" } }))
        .expect_err("a string where a number belongs");
    assert!(err.to_string().contains("Deployment d"), "{err}");
    // A Deployment with no status at all (just created) is fine: it is progressing.
    let partial = json!({ "kind": "Deployment", "metadata": { "name": "new", "namespace": "ns", "generation": 1 },
                          "spec": { "selector": {}, "template": {} } });
    let mut cache = ClusterCache::default();
    cache.apply(object_from_json(&partial).expect("partial but valid"));
    let releases = derive_namespace("ctx", "ns", &cache.namespaces["ns"]);
    assert_eq!(releases[0].phase, Phase::Progressing);
}
