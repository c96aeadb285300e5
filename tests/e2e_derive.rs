//! What the console says about Deployments in states the real controller produces: paused
//! after finishing, and blocked by a quota. Skipped with a note when the testbed is down.

mod common;
use common::{testbed, watching};

use kube::api::{Patch, PatchParams};
use ripcord::model::{Phase, Replicas, RevisionRole};
use serde_json::json;
use std::time::Duration;
use testbed::*;
use watching::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_paused_deployment_that_finished_shows_paused_with_no_new_share() {
    let Some(tb) = testbed().await else { return };
    let ns = tb.namespace("pausedone").await;
    let ns = ns.name.as_str();
    let mut rx = watch_namespace(cluster(&tb, ADMIN).await, ns);
    let mut state = live_state();
    let key = deployment_key(ns, "web");
    tb.create_deployment(
        ns,
        &web_deployment("web", "registry.example/web:1.0", 1, &[("app", "web")]),
    )
    .await;
    tb.wait_rolled_out(ns, "web").await;
    tb.deployments(ns)
        .patch(
            "web",
            &PatchParams::default(),
            &Patch::Merge(&json!({ "spec": { "paused": true } })),
        )
        .await
        .expect("pause");
    pump(
        &mut state,
        &mut rx,
        "web to show paused",
        Duration::from_secs(60),
        |_| {},
        |s| release(s, &key).is_some_and(|r| r.phase == Phase::Paused && r.stable.ready == 1),
    )
    .await;
    let r = release(&state, &key).expect("web");
    assert_eq!(r.weight, None, "nothing is being rolled out: {}", r.message);
    assert_eq!(
        r.stable,
        Replicas {
            ready: 1,
            desired: 1
        }
    );
    assert_eq!(r.canary, Replicas::default());
    let roles: Vec<RevisionRole> = r.revisions.iter().map(|v| v.role).collect();
    assert_eq!(roles, vec![RevisionRole::New]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_quota_that_stops_pods_makes_the_release_degraded_with_the_reason() {
    let Some(tb) = testbed().await else { return };
    let ns = tb.namespace("podquota").await;
    let ns = ns.name.as_str();
    quota(&tb, ns, "pods", 1, 0);
    let mut rx = watch_namespace(cluster(&tb, ADMIN).await, ns);
    let mut state = live_state();
    let key = deployment_key(ns, "web");
    tb.create_deployment(ns, &patient("web", 2)).await;
    pump(
        &mut state,
        &mut rx,
        "web to turn degraded by the pod quota",
        Duration::from_secs(90),
        |_| {},
        |s| release(s, &key).is_some_and(|r| r.phase == Phase::Degraded),
    )
    .await;
    let r = release(&state, &key).expect("web");
    // The controller's own words: ReplicaFailure / FailedCreate ... exceeded quota.
    let condition = r
        .conditions
        .iter()
        .find(|c| c.type_ == "ReplicaFailure" && c.status == "True")
        .unwrap_or_else(|| panic!("no ReplicaFailure in {:?}", r.conditions));
    assert!(
        condition.message.contains("exceeded quota"),
        "{condition:?}"
    );
    assert!(
        r.message.contains(&condition.reason) && r.message.contains(&condition.message),
        "{} does not carry {condition:?}",
        r.message
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replicaset_create_error_makes_the_release_degraded_with_the_reason() {
    let Some(tb) = testbed().await else { return };
    let ns = tb.namespace("rsquota").await;
    let ns = ns.name.as_str();
    tb.create_deployment(ns, &patient("web", 1)).await;
    tb.wait_rolled_out(ns, "web").await;
    quota(&tb, ns, "count/replicasets.apps", 1, 1);
    let mut rx = watch_namespace(cluster(&tb, ADMIN).await, ns);
    let mut state = live_state();
    let key = deployment_key(ns, "web");
    pump(
        &mut state,
        &mut rx,
        "web to be seen healthy",
        Duration::from_secs(60),
        |_| {},
        |s| release(s, &key).is_some_and(|r| r.phase == Phase::Healthy),
    )
    .await;
    tb.kubectl(
        ns,
        &[
            "set",
            "image",
            "deployment/web",
            "app=registry.example/web:1.1",
        ],
    );
    let mut seen = Vec::new();
    pump(
        &mut state,
        &mut rx,
        "web to turn degraded by the ReplicaSet quota",
        Duration::from_secs(90),
        |s| {
            if let Some(r) = release(s, &key) {
                seen.push((r.phase, r.message.clone()));
            }
        },
        |s| release(s, &key).is_some_and(|r| r.phase == Phase::Degraded),
    )
    .await;
    let r = release(&state, &key).expect("web");
    assert!(
        r.message.contains("ReplicaSetCreateError") && r.message.contains("exceeded quota"),
        "{}",
        r.message
    );
    assert!(
        r.conditions
            .iter()
            .any(|c| c.type_ == "Progressing" && c.status == "False"),
        "{:?}",
        r.conditions
    );
    eprintln!("phases seen: {seen:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_kubectl_rollout_undo_the_good_template_is_new_and_the_crashing_one_old() {
    let Some(tb) = testbed().await else { return };
    let ns = tb.namespace("undoroles").await;
    let ns = ns.name.as_str();
    tb.create_deployment(ns, &patient("web", 2)).await;
    tb.wait_rolled_out(ns, "web").await;
    tb.kubectl(
        ns,
        &[
            "set",
            "image",
            "deployment/web",
            "app=registry.example/web:2.0-crash",
        ],
    );
    let mut rx = watch_namespace(cluster(&tb, ADMIN).await, ns);
    let mut state = live_state();
    let key = deployment_key(ns, "web");
    let role_of = |r: &ripcord::model::Release, image: &str| {
        r.revisions
            .iter()
            .find(|v| v.images.iter().any(|i| i == image))
            .map(|v| v.role)
    };
    pump(
        &mut state,
        &mut rx,
        "the crashing revision to be the new one",
        Duration::from_secs(60),
        |_| {},
        |s| {
            release(s, &key).is_some_and(|r| {
                role_of(r, "registry.example/web:2.0-crash") == Some(RevisionRole::New)
                    && r.revisions.len() == 2
            })
        },
    )
    .await;
    tb.kubectl(ns, &["rollout", "undo", "deployment/web"]);
    pump(
        &mut state,
        &mut rx,
        "the good revision to be new again",
        Duration::from_secs(60),
        |_| {},
        |s| {
            release(s, &key)
                .is_some_and(|r| role_of(r, "registry.example/web:1.0") == Some(RevisionRole::New))
        },
    )
    .await;
    let r = release(&state, &key).expect("web");
    assert_eq!(
        role_of(r, "registry.example/web:2.0-crash"),
        Some(RevisionRole::Old),
        "{:?}",
        r.revisions
    );
    assert!(r
        .revisions
        .iter()
        .all(|v| matches!(v.role, RevisionRole::New | RevisionRole::Old)));
    assert_eq!(r.current_revision(), Some(3));
}

/// A new revision whose pod crash-loops is Degraded with that pod as the reason, long before
/// the progress deadline; for a Deployment and for a pair's canary.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn crash_looping_pods_make_the_release_degraded_before_the_deadline() {
    let Some(tb) = testbed().await else { return };
    let ns = tb.namespace("crashloop").await;
    let ns = ns.name.as_str();
    let mut rx = watch_namespace(cluster(&tb, ADMIN).await, ns);
    let mut state = live_state();
    let key = deployment_key(ns, "crashy");
    let crashy = patient_on("crashy", 1, "registry.example/crashy:1.0-crash");
    tb.create_deployment(ns, &crashy).await;
    // The pair: a healthy stable and a crash-looping canary.
    tb.create_deployment(ns, &patient("shop", 2)).await;
    let mut canary = patient_on("shop-canary", 1, "registry.example/shop:2.0-crash");
    canary_of(&mut canary, "shop");
    tb.create_deployment(ns, &canary).await;
    let pair = ripcord::model::ReleaseKey {
        kind: ripcord::model::Kind::CanaryPair,
        name: "shop".into(),
        ..key.clone()
    };
    pump(
        &mut state,
        &mut rx,
        "crashy and the shop pair to turn degraded",
        Duration::from_secs(90),
        |_| {},
        |s| {
            [&key, &pair]
                .iter()
                .all(|k| release(s, k).is_some_and(|r| r.phase == Phase::Degraded))
        },
    )
    .await;
    let r = release(&state, &key).expect("crashy");
    assert!(
        // The restart count follows once the kubelet has restarted the container.
        r.message.starts_with("pod crashy-") && r.message.contains("crash-looping"),
        "{}",
        r.message
    );
    assert!(
        !r.conditions
            .iter()
            .any(|c| c.type_ == "Progressing" && c.status == "False"),
        "the deadline has not passed: {:?}",
        r.conditions
    );
    let p = release(&state, &pair).expect("shop pair");
    assert!(
        p.message.starts_with("canary: pod shop-canary-") && p.message.contains("crash-looping"),
        "{}",
        p.message
    );
}

/// A Deployment whose progress deadline is far off, so the first blocking condition the
/// controller sets is the one under test.
fn patient(name: &str, replicas: i32) -> k8s_openapi::api::apps::v1::Deployment {
    patient_on(name, replicas, "registry.example/web:1.0")
}

fn patient_on(name: &str, replicas: i32, image: &str) -> k8s_openapi::api::apps::v1::Deployment {
    let mut d = web_deployment(name, image, replicas, &[("app", name)]);
    if let Some(spec) = d.spec.as_mut() {
        spec.progress_deadline_seconds = Some(600);
    }
    d
}

/// A ResourceQuota on `resource`, with the usage the quota controller would have counted
/// written in directly (the testbed runs no quota controller; admission keeps it current).
fn quota(tb: &Testbed, ns: &str, resource: &str, hard: i64, used: i64) {
    tb.kubectl(
        ns,
        &[
            "create",
            "quota",
            "limit",
            &format!("--hard={resource}={hard}"),
        ],
    );
    let status = json!({ "status": { "hard": { resource: hard.to_string() },
                                     "used": { resource: used.to_string() } } });
    tb.patch_status(ns, "quota", "limit", &status);
}
