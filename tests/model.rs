//! Deriving releases from rows: edge cases the watches produce.

use ripcord::model::derive::derive_namespace;
use ripcord::model::objects::object_from_json;
use ripcord::model::{ClusterCache, Phase, Release, RevisionRole, StepState};
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
    assert_eq!(web.revisions[0].role, RevisionRole::New);
    assert_eq!(web.revisions[1].role, RevisionRole::Old);
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

fn derive(objects: &[serde_json::Value]) -> Vec<Release> {
    let mut cache = ClusterCache::default();
    for v in objects {
        cache.apply(object_from_json(v).expect("valid object"));
    }
    derive_namespace("ctx", "ns", &cache.namespaces["ns"])
}

/// `web` with `replicas` desired, every one updated and available unless `status` says more.
fn deployment_with(
    revision: i64,
    paused: bool,
    conditions: serde_json::Value,
) -> serde_json::Value {
    let mut d = deployment(revision, "nginx:1.26");
    d["spec"]["paused"] = json!(paused);
    d["status"]["conditions"] = conditions;
    d
}

#[test]
fn a_paused_deployment_that_finished_shows_paused_without_a_new_share() {
    let releases = derive(&[
        deployment_with(2, true, json!([])),
        replicaset(2, "nginx:1.26", 2),
        replicaset(1, "nginx:1.25", 0),
    ]);
    let web = &releases[0];
    assert_eq!(web.phase, Phase::Paused, "{}", web.message);
    assert_eq!(web.weight, None, "nothing is being rolled out");
    assert_eq!((web.stable.ready, web.stable.desired), (2, 2));
    assert_eq!((web.canary.ready, web.canary.desired), (0, 0));
}

#[test]
fn a_condition_that_blocks_the_rollout_makes_it_degraded_with_its_reason() {
    let cases = [
        json!([{ "type": "Progressing", "status": "False", "reason": "ReplicaSetCreateError",
                 "message": "Failed to create new replica set \"web-2\": exceeded quota" }]),
        json!([{ "type": "Progressing", "status": "False", "reason": "ProgressDeadlineExceeded",
                 "message": "ReplicaSet \"web-2\" has timed out progressing." }]),
        json!([{ "type": "Progressing", "status": "True", "reason": "ReplicaSetUpdated", "message": "progressing" },
               { "type": "ReplicaFailure", "status": "True", "reason": "FailedCreate",
                 "message": "pods \"web-2-x\" is forbidden: exceeded quota" }]),
    ];
    for conditions in cases {
        let mut d = deployment_with(2, false, conditions.clone());
        // The controller has not caught up: without the condition this reads "waiting".
        d["metadata"]["generation"] = json!(3);
        d["status"]["observedGeneration"] = json!(3);
        d["status"]["updatedReplicas"] = json!(0);
        let releases = derive(&[d, replicaset(1, "nginx:1.25", 2)]);
        let web = &releases[0];
        let blocking = conditions
            .as_array()
            .and_then(|cs| {
                cs.iter()
                    .find(|c| c["status"] != "True" || c["type"] == "ReplicaFailure")
            })
            .expect("a blocking condition");
        assert_eq!(web.phase, Phase::Degraded, "{conditions}: {}", web.message);
        let reason = blocking["reason"].as_str().unwrap_or_default();
        let message = blocking["message"].as_str().unwrap_or_default();
        assert!(
            web.message.contains(reason) && web.message.contains(message),
            "{}",
            web.message
        );
    }
    // Progressing=True and a cleared ReplicaFailure are no reason to worry.
    let fine = deployment_with(
        2,
        false,
        json!([{ "type": "Progressing", "status": "True", "reason": "NewReplicaSetAvailable", "message": "" },
               { "type": "ReplicaFailure", "status": "False", "reason": "", "message": "" }]),
    );
    let releases = derive(&[fine, replicaset(2, "nginx:1.26", 2)]);
    assert_eq!(releases[0].phase, Phase::Healthy, "{}", releases[0].message);
    assert_eq!(releases[0].weight, None);
}

#[test]
fn after_a_rollback_the_current_template_is_new_whatever_its_age() {
    // `kubectl rollout undo`: the old template's ReplicaSet (created first) gets revision 3.
    let mut d = deployment(3, "nginx:1.25");
    d["status"]["updatedReplicas"] = json!(1);
    let mut good = replicaset(3, "nginx:1.25", 2);
    good["metadata"]["name"] = json!("web-good");
    good["metadata"]["creationTimestamp"] = json!("2026-01-01T00:00:00Z");
    good["status"]["readyReplicas"] = json!(1);
    let mut bad = replicaset(2, "nginx:crash", 1);
    bad["metadata"]["creationTimestamp"] = json!("2026-02-01T00:00:00Z");
    bad["status"]["readyReplicas"] = json!(0);
    let releases = derive(&[d, good, bad]);
    let web = &releases[0];
    let role = |name: &str| {
        web.revisions
            .iter()
            .find(|r| r.object == name)
            .map(|r| r.role)
    };
    assert_eq!(role("web-good"), Some(RevisionRole::New));
    assert_eq!(role("web-2"), Some(RevisionRole::Old));
    assert_eq!(web.current_revision(), Some(3));
    assert!(web.rollback_targets().all(|r| r.object != "web-good"));
}

fn pair_deployment(
    name: &str,
    revision: i64,
    replicas: i32,
    canary_of: Option<&str>,
) -> serde_json::Value {
    let mut d = deployment(revision, "app:1");
    d["metadata"]["name"] = json!(name);
    d["metadata"]["creationTimestamp"] = json!("2026-01-01T00:00:00Z");
    if let Some(stable) = canary_of {
        d["metadata"]["labels"] = json!({ "ripcord.dev/canary-of": stable });
    }
    d["spec"]["replicas"] = json!(replicas);
    for f in [
        "replicas",
        "updatedReplicas",
        "readyReplicas",
        "availableReplicas",
    ] {
        d["status"][f] = json!(replicas);
    }
    d
}

fn owned_rs(owner: &str, name: &str, revision: i64, created: &str) -> serde_json::Value {
    let mut rs = replicaset(revision, "app:1", 1);
    rs["metadata"]["name"] = json!(name);
    rs["metadata"]["creationTimestamp"] = json!(created);
    rs["metadata"]["ownerReferences"][0]["name"] = json!(owner);
    rs
}

#[test]
fn a_pairs_revisions_are_numbered_apart_and_aged_by_their_template() {
    let releases = derive(&[
        pair_deployment("api", 2, 4, None),
        pair_deployment("api-canary", 1, 1, Some("api")),
        owned_rs("api", "api-old", 1, "2026-01-01T00:00:00Z"),
        owned_rs("api", "api-promoted", 2, "2026-03-01T00:00:00Z"),
        owned_rs("api-canary", "api-canary-1", 1, "2026-03-02T00:00:00Z"),
    ]);
    let pair = &releases[0];
    let listed: Vec<(i64, RevisionRole, &str)> = pair
        .revisions
        .iter()
        .map(|r| (r.number, r.role, r.object.as_str()))
        .collect();
    assert_eq!(
        listed,
        vec![
            (3, RevisionRole::Canary, "api-canary"),
            (2, RevisionRole::Stable, "api"),
            (1, RevisionRole::Old, "api-old"),
        ]
    );
    let created = |role| {
        pair.revisions
            .iter()
            .find(|r| r.role == role)
            .and_then(|r| r.created)
            .map(|t| t.to_rfc3339())
    };
    assert_eq!(
        created(RevisionRole::Stable).as_deref(),
        Some("2026-03-01T00:00:00+00:00")
    );
    assert_eq!(
        created(RevisionRole::Canary).as_deref(),
        Some("2026-03-02T00:00:00+00:00")
    );
    let targets: Vec<i64> = pair.rollback_targets().map(|r| r.number).collect();
    assert_eq!(
        targets,
        vec![1],
        "a pair rolls its stable back to an earlier template"
    );
}

fn argo(status: serde_json::Value, blue_green: bool) -> serde_json::Value {
    let strategy = if blue_green {
        json!({ "blueGreen": { "activeService": "a" } })
    } else {
        json!({ "canary": { "steps": [{ "setWeight": 20 }, { "analysis": { "templates": [{ "templateName": "err" }] } }, { "setWeight": 60 }] } })
    };
    json!({ "kind": "Rollout", "metadata": { "name": "ro", "namespace": "ns" },
            "spec": { "replicas": 2, "strategy": strategy }, "status": status })
}

#[test]
fn argo_steps_fail_at_a_failed_analysis_and_are_pending_outside_an_update() {
    let failed = derive(&[argo(
        json!({ "phase": "Degraded", "abort": true, "stableRS": "a", "currentPodHash": "b",
                "currentStepIndex": 1,
                "canary": { "currentStepAnalysisRunStatus": { "status": "Failed", "message": "10% > 5%" } } }),
        false,
    )]);
    let states: Vec<StepState> = failed[0].steps.iter().map(|s| s.state).collect();
    assert_eq!(
        states,
        vec![StepState::Done, StepState::Failed, StepState::Pending]
    );
    // As `kubectl argo rollouts get` counts: currentStepIndex of the steps.
    assert_eq!(failed[0].step, Some((1, 3)));
    assert_eq!(
        failed[0].weight,
        Some(0),
        "aborted: traffic is back on stable"
    );
    // Rolled back (or completed): stable and current are one template, no step ran.
    let settled = derive(&[argo(
        json!({ "phase": "Healthy", "stableRS": "a", "currentPodHash": "a", "currentStepIndex": 3 }),
        false,
    )]);
    assert!(settled[0]
        .steps
        .iter()
        .all(|s| s.state == StepState::Pending));
    // The plugin still shows the index: every step done.
    assert_eq!((settled[0].step, settled[0].weight), (Some((3, 3)), None));
    let bg = derive(&[argo(
        json!({ "phase": "Healthy", "stableRS": "a", "currentPodHash": "a" }),
        true,
    )]);
    assert_eq!(bg[0].weight, None);
}

fn pod(
    owner: &str,
    name: &str,
    ready: bool,
    restarts: i32,
    waiting: Option<&str>,
) -> serde_json::Value {
    let state = match waiting {
        Some(reason) => json!({ "waiting": { "reason": reason } }),
        None => json!({ "running": {} }),
    };
    json!({
        "kind": "Pod",
        "metadata": { "name": name, "namespace": "ns",
                      "ownerReferences": [{ "apiVersion": "apps/v1", "kind": "ReplicaSet", "name": owner, "uid": "u", "controller": true }] },
        "spec": { "containers": [{ "name": "app", "image": "app:2" }] },
        "status": { "phase": "Running",
                    "conditions": [{ "type": "Ready", "status": if ready { "True" } else { "False" } }],
                    "containerStatuses": [{ "name": "app", "image": "app:2", "imageID": "", "ready": ready,
                                            "restartCount": restarts, "state": state }] }
    })
}

#[test]
fn a_new_revision_whose_pods_crash_loop_is_degraded_at_once() {
    // A new Deployment, its one pod crash-looping: no deadline condition yet.
    let mut d = deployment(1, "crashy:1");
    d["spec"]["replicas"] = json!(1);
    d["status"] = json!({ "observedGeneration": 1, "replicas": 1, "updatedReplicas": 1,
                          "readyReplicas": 0, "availableReplicas": 0 });
    let cases = [
        (
            Some("CrashLoopBackOff"),
            35,
            "pod web-1-a crash-looping (35 restarts)",
        ),
        (
            Some("ImagePullBackOff"),
            0,
            "pod web-1-a cannot pull its image (ImagePullBackOff)",
        ),
        (
            Some("ErrImagePull"),
            0,
            "pod web-1-a cannot pull its image (ErrImagePull)",
        ),
        (None, 2, "pod web-1-a not ready after 2 restarts"),
    ];
    for (waiting, restarts, expected) in cases {
        let releases = derive(&[
            d.clone(),
            replicaset(1, "crashy:1", 1),
            pod("web-1", "web-1-a", false, restarts, waiting),
        ]);
        assert_eq!(
            releases[0].phase,
            Phase::Degraded,
            "{waiting:?}: {}",
            releases[0].message
        );
        assert_eq!(releases[0].message, expected);
    }
    // A pod still starting, never restarted, is ordinary progress.
    let releases = derive(&[
        d.clone(),
        replicaset(1, "crashy:1", 1),
        pod("web-1", "web-1-a", false, 0, Some("ContainerCreating")),
    ]);
    assert_eq!(
        releases[0].phase,
        Phase::Progressing,
        "{}",
        releases[0].message
    );
}

#[test]
fn a_pairs_crash_looping_canary_makes_the_pair_degraded() {
    let mut canary = pair_deployment("api-canary", 1, 1, Some("api"));
    canary["status"]["readyReplicas"] = json!(0);
    canary["status"]["availableReplicas"] = json!(0);
    let mut canary_rs = owned_rs("api-canary", "api-canary-1", 1, "2026-03-02T00:00:00Z");
    canary_rs["status"]["readyReplicas"] = json!(0);
    let releases = derive(&[
        pair_deployment("api", 1, 4, None),
        canary,
        owned_rs("api", "api-1", 1, "2026-01-01T00:00:00Z"),
        canary_rs,
        pod(
            "api-canary-1",
            "api-canary-1-x",
            false,
            7,
            Some("CrashLoopBackOff"),
        ),
    ]);
    let pair = &releases[0];
    assert_eq!(pair.phase, Phase::Degraded, "{}", pair.message);
    assert_eq!(
        pair.message,
        "canary: pod api-canary-1-x crash-looping (7 restarts)"
    );
}

#[test]
fn when_the_templates_replicaset_was_never_created_nothing_is_new() {
    let mut d = deployment(1, "nginx:1.28");
    d["metadata"]["generation"] = json!(2);
    d["status"]["observedGeneration"] = json!(2);
    d["status"]["updatedReplicas"] = json!(0);
    d["status"]["conditions"] = json!([{ "type": "Progressing", "status": "False",
        "reason": "ReplicaSetCreateError",
        "message": "Failed to create new replica set \"web-2\": exceeded quota" }]);
    let releases = derive(&[d, replicaset(1, "nginx:1.27", 2)]);
    let web = &releases[0];
    assert_eq!(web.phase, Phase::Degraded);
    let roles: Vec<RevisionRole> = web.revisions.iter().map(|v| v.role).collect();
    assert_eq!(
        roles,
        vec![RevisionRole::Old],
        "nginx:1.27 is not the template"
    );
    assert_ne!(web.weight, Some(100));
    assert_eq!(web.canary.desired, 0);
}

#[test]
fn a_promoted_pairs_revisions_count_their_own_pods_and_list_no_empty_canary() {
    let mut stable = pair_deployment("api", 2, 5, None);
    stable["status"]["readyReplicas"] = json!(4);
    let mut promoted = owned_rs("api", "api-new", 2, "2026-03-01T00:00:00Z");
    promoted["spec"]["replicas"] = json!(3);
    promoted["status"] = json!({ "replicas": 3, "readyReplicas": 3 });
    let mut old = owned_rs("api", "api-old", 1, "2026-01-01T00:00:00Z");
    old["spec"]["replicas"] = json!(2);
    old["status"] = json!({ "replicas": 2, "readyReplicas": 1 });
    let releases = derive(&[
        stable,
        pair_deployment("api-canary", 1, 0, Some("api")),
        promoted,
        old,
    ]);
    let pair = &releases[0];
    let listed: Vec<(RevisionRole, i32, i32)> = pair
        .revisions
        .iter()
        .map(|r| (r.role, r.replicas.ready, r.replicas.desired))
        .collect();
    assert_eq!(
        listed,
        vec![(RevisionRole::Stable, 3, 3), (RevisionRole::Old, 1, 2)]
    );
    // The release's sides still count the whole Deployments.
    assert_eq!((pair.stable.ready, pair.stable.desired), (4, 5));
}
