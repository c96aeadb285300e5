//! The Argo Rollouts plugin's own object sets, loaded into a real API server (each status
//! written through the status subresource, as a controller writes it) and read back through
//! ripcord's watches: the status, message, strategy, step, weights and revision tree must be
//! what `kubectl argo rollouts get rollout` prints for them. No Argo controller runs; the
//! ReplicaSet controller does, and counts the fixture pods itself.

mod common;
use common::argo_fixtures::*;
use common::cli::{json as json_of, text, Cli};
use common::{testbed, watching};

use kube::api::{
    Api, ApiResource, DynamicObject, GroupVersionKind, Patch, PatchParams, PostParams,
};
use ripcord::cluster::watch::{self, Scope};
use ripcord::model::{Kind, Release, ReleaseKey};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::time::Duration;
use testbed::*;
use watching::*;

/// The fixtures' ReplicaSets predate apps/v1, the only group a 1.20 server serves them in.
fn api_version(v: &Value) -> &'static str {
    match v["kind"].as_str() {
        Some("ReplicaSet" | "Deployment") => "apps/v1",
        Some("Pod") => "v1",
        Some("Canary") => "flagger.app/v1beta1",
        _ => "argoproj.io/v1alpha1",
    }
}

fn server_name(name: &str) -> String {
    name.to_lowercase()
}

fn api(tb: &Testbed, ns: &str, v: &Value) -> Api<DynamicObject> {
    let kind = v["kind"].as_str().expect("a kind");
    let (group, version) = api_version(v).split_once('/').unwrap_or(("", "v1"));
    let plural = format!("{}s", kind.to_lowercase());
    let resource =
        ApiResource::from_gvk_with_plural(&GroupVersionKind::gvk(group, version, kind), &plural);
    Api::namespaced_with(tb.admin.clone(), ns, &resource)
}

/// The object as a user would create it in `ns`: no server-set metadata, owned by the
/// Rollout `owner` (name, uid).
fn creatable(v: &Value, ns: &str, owner: Option<(&str, &str)>) -> DynamicObject {
    let mut v = v.clone();
    let meta = v["metadata"].as_object_mut().expect("metadata");
    for field in [
        "uid",
        "resourceVersion",
        "selfLink",
        "creationTimestamp",
        "generation",
        "ownerReferences",
        "generateName",
    ] {
        meta.remove(field);
    }
    meta.insert("namespace".into(), json!(ns));
    // Two fixture names have capitals, which only the plugin's fake client accepts.
    let name = server_name(meta["name"].as_str().expect("a name"));
    meta.insert("name".into(), json!(name));
    if let Some((name, uid)) = owner {
        meta.insert(
            "ownerReferences".into(),
            json!([{ "apiVersion": "argoproj.io/v1alpha1", "kind": "Rollout", "name": server_name(name),
                     "uid": uid, "controller": true, "blockOwnerDeletion": true }]),
        );
    }
    v["apiVersion"] = json!(api_version(&v));
    serde_json::from_value(v).expect("a dynamic object")
}

async fn create(tb: &Testbed, ns: &str, v: &Value, owner: Option<(&str, &str)>) -> String {
    let object = creatable(v, ns, owner);
    let mut tries = 0;
    loop {
        match api(tb, ns, v).create(&PostParams::default(), &object).await {
            Ok(created) => return created.metadata.uid.expect("a uid"),
            // A new namespace's service account token may not exist yet: the server says
            // to retry.
            Err(kube::Error::Api(s)) if s.reason == "ServerTimeout" && tries < 30 => {
                tries += 1;
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
            Err(e) => panic!("create {} {}: {e}", v["kind"], v["metadata"]["name"]),
        }
    }
}

async fn write_status(tb: &Testbed, ns: &str, v: &Value) {
    let name = server_name(v["metadata"]["name"].as_str().expect("a name"));
    api(tb, ns, v)
        .patch_status(
            &name,
            &PatchParams::default(),
            &Patch::Merge(&json!({ "status": v["status"] })),
        )
        .await
        .unwrap_or_else(|e| panic!("status of {} {name}: {e}", v["kind"]));
}

fn of_kind<'a>(objects: &'a [Value], kind: &str) -> Vec<&'a Value> {
    objects.iter().filter(|o| o["kind"] == kind).collect()
}

/// Loads a set: Rollouts (then their status), orphan Pods with their status for the
/// ReplicaSet controller to adopt, AnalysisRuns, then ReplicaSets owned by their Rollout.
async fn load(tb: &Testbed, ns: &str, objects: &[Value]) {
    let mut uids: BTreeMap<String, String> = BTreeMap::new();
    for ro in of_kind(objects, "Rollout") {
        let uid = create(tb, ns, ro, None).await;
        write_status(tb, ns, ro).await;
        uids.insert(
            ro["metadata"]["name"].as_str().unwrap_or_default().into(),
            uid,
        );
    }
    let owner_of = |v: &Value| -> Option<(String, String)> {
        let name = v["metadata"]["ownerReferences"].get(0)?["name"].as_str()?;
        Some((name.to_owned(), uids.get(name)?.clone()))
    };
    for pod in of_kind(objects, "Pod") {
        create(tb, ns, pod, None).await;
        write_status(tb, ns, pod).await;
    }
    for run in of_kind(objects, "AnalysisRun") {
        let (name, uid) = owner_of(run).expect("a run's Rollout");
        create(tb, ns, run, Some((&name, &uid))).await;
    }
    for d in of_kind(objects, "Deployment") {
        create(tb, ns, d, None).await;
    }
    // The ReplicaSet controller must see the pods before their ReplicaSets, or it makes
    // its own; its cache can lag behind the API under load.
    tokio::time::sleep(Duration::from_secs(3)).await;
    for rs in of_kind(objects, "ReplicaSet") {
        let (name, uid) = owner_of(rs).expect("a ReplicaSet's Rollout");
        create(tb, ns, rs, Some((&name, &uid))).await;
    }
}

fn rollout_key(ns: &str, name: &str) -> ReleaseKey {
    ReleaseKey {
        context: ADMIN.into(),
        namespace: ns.into(),
        kind: Kind::ArgoRollout,
        name: name.into(),
    }
}

/// Pods per revision in the plugin's tree, from the fixture pods' template hashes.
fn pods_per_revision(objects: &[Value], rollout_uid: &str) -> Vec<(i64, usize)> {
    let mut out = Vec::new();
    for rs in of_kind(objects, "ReplicaSet") {
        if rs["metadata"]["ownerReferences"][0]["uid"] != rollout_uid {
            continue;
        }
        let hash = &rs["metadata"]["labels"]["rollouts-pod-template-hash"];
        let revision: i64 = rs["metadata"]["annotations"]["rollout.argoproj.io/revision"]
            .as_str()
            .and_then(|r| r.parse().ok())
            .unwrap_or(0);
        let pods = of_kind(objects, "Pod")
            .iter()
            .filter(|p| &p["metadata"]["labels"]["rollouts-pod-template-hash"] == hash)
            .count();
        out.push((revision, pods));
    }
    out.sort_by(|a, b| b.cmp(a));
    out
}

fn matches(r: &Release, want: &Expected, pods: &[(i64, usize)]) -> bool {
    let Some(a) = r.argo.as_deref() else {
        return false;
    };
    let tree: Vec<(i64, &str)> = r
        .revisions
        .iter()
        .map(|v| (v.number, info_of(v.role)))
        .collect();
    let counted: Vec<(i64, usize)> = r
        .revisions
        .iter()
        .map(|v| (v.number, v.pods.len()))
        .collect();
    a.status == want.status
        && a.message == want.message
        && a.strategy == want.strategy
        && a.step.as_deref() == want.step
        && a.set_weight == want.set_weight
        && a.actual_weight == want.actual_weight
        && tree == want.revisions
        && (want.revisions.is_empty() || counted == pods)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_plugin_fixture_sets_read_through_the_watches_as_the_plugin_prints_them() {
    let Some(tb) = testbed().await else { return };
    let cluster = cluster(&tb, ADMIN).await;
    let mut kinds = watch::core_kinds();
    kinds.extend(watch::discovered_kinds(&cluster.client).await);
    assert!(
        kinds
            .iter()
            .any(|k| k.kind == ripcord::model::objects::ObjectKind::AnalysisRun),
        "the testbed serves AnalysisRuns"
    );
    for dir in fixture_sets() {
        let set = dir
            .file_name()
            .and_then(|n| n.to_str())
            .expect("a set")
            .to_owned();
        if set == "experiment-analysis" {
            // Its Experiment's ReplicaSets select the Rollout's own pods: a real ReplicaSet
            // controller would fight over them. tests/argo_plugin.rs checks this set.
            continue;
        }
        let objects = load_set(&dir);
        let guard = tb
            .namespace(&format!("argo-{}", set.replace('_', "-")))
            .await;
        let ns = guard.name.as_str();
        let (tx, mut rx) = tokio::sync::mpsc::channel(1024);
        watch::spawn(
            cluster.clone(),
            Scope::Namespaces(vec![ns.to_owned()]),
            kinds.clone(),
            tx,
        );
        load(&tb, ns, &objects).await;
        let wanted: Vec<(&Expected, Vec<(i64, usize)>)> = EXPECTED
            .iter()
            .filter(|e| e.set == set)
            .map(|e| {
                let ro = of_kind(&objects, "Rollout")
                    .into_iter()
                    .find(|r| r["metadata"]["name"] == e.name)
                    .expect("the expected Rollout in its set");
                let uid = ro["metadata"]["uid"].as_str().unwrap_or_default();
                (e, pods_per_revision(&objects, uid))
            })
            .collect();
        assert!(!wanted.is_empty(), "expectations for {set}");
        let mut state = live_state();
        pump(
            &mut state,
            &mut rx,
            &format!("the {set} set to read as the plugin prints it"),
            Duration::from_secs(60),
            |_| {},
            |s| {
                wanted.iter().all(|(want, pods)| {
                    release(s, &rollout_key(ns, &server_name(want.name)))
                        .is_some_and(|r| matches(r, want, pods))
                })
            },
        )
        .await;
        for (want, _) in &wanted {
            let r =
                release(&state, &rollout_key(ns, &server_name(want.name))).expect("the rollout");
            let a = r.argo.as_deref().expect("plugin status");
            assert_eq!(
                (a.status.as_str(), a.message.as_str(), a.step.as_deref()),
                (want.status, want.message, want.step),
                "{set}/{}",
                want.name
            );
            if set == "rollout-aborted" {
                // The AnalysisRun came through its own watch, measurements and all.
                let run = a.analysis_runs.first().expect("the analysis run");
                assert_eq!(run.phase, "Failed");
                let values: Vec<&str> = run.metrics[0]
                    .measurements
                    .iter()
                    .map(|m| m.value.as_str())
                    .collect();
                assert_eq!(values, vec!["false"]);
            }
        }
    }
}

/// A Flagger example's objects: the Canary with a status Flagger writes mid-analysis, its
/// target Deployment and the primary Flagger makes of it.
async fn load_flagger(tb: &Testbed, ns: &str) {
    let read = |name: &str| -> Value {
        let path = shared_dir().join("fixtures/flagger").join(name);
        let text =
            std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        serde_saphyr::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
    };
    let target = read("deployment.yaml");
    let mut primary = target.clone();
    primary["metadata"]["name"] = json!("podinfo-primary");
    for d in [&target, &primary] {
        create(tb, ns, d, None).await;
    }
    let mut canary = read("istio-canary.yaml");
    canary["status"] = json!({ "phase": "Progressing", "canaryWeight": 10, "iterations": 2,
                               "failedChecks": 1 });
    let api = Api::<DynamicObject>::namespaced_with(
        tb.admin.clone(),
        ns,
        &ApiResource::from_gvk_with_plural(
            &GroupVersionKind::gvk("flagger.app", "v1beta1", "Canary"),
            "canaries",
        ),
    );
    api.create(&PostParams::default(), &creatable(&canary, ns, None))
        .await
        .expect("create the canary");
    api.patch_status(
        "podinfo",
        &PatchParams::default(),
        &Patch::Merge(&json!({ "status": canary["status"] })),
    )
    .await
    .expect("the canary's status");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn status_json_carries_the_plugin_status_steps_analysis_runs_and_flagger_settings() {
    let Some(tb) = testbed().await else { return };
    let guard = tb.namespace("argo-json").await;
    let ns = guard.name.as_str();
    let dir = fixture_sets()
        .into_iter()
        .find(|d| d.ends_with("rollout-aborted"))
        .expect("the rollout-aborted set");
    load(&tb, ns, &load_set(&dir)).await;
    load_flagger(&tb, ns).await;
    let cli = Cli::new(&tb.kubeconfig);
    let releases = wait_until(
        "both releases in status -o json",
        Duration::from_secs(60),
        || async {
            let out = cli.run(&["status", "-n", ns, "-o", "json"]);
            let v = json_of(&out);
            let releases = v["releases"].as_array().cloned().unwrap_or_default();
            let ready = releases.iter().any(|r| {
                r["kind"] == "argo-rollout" && r["argo"]["analysis_runs"][0]["name"].is_string()
            }) && releases.iter().any(|r| r["kind"] == "flagger-canary");
            assert_eq!(out.status.code(), Some(0), "{}", text(&out));
            ready.then_some(releases)
        },
    )
    .await;
    let argo = releases
        .iter()
        .find(|r| r["kind"] == "argo-rollout")
        .expect("the rollout");
    // As TestGetAbortedRollout expects.
    assert_eq!(argo["argo"]["status"], "Degraded");
    assert_eq!(argo["argo"]["step"], "0/2");
    assert_eq!(
        (
            argo["argo"]["set_weight"].as_i64(),
            argo["argo"]["actual_weight"].as_i64()
        ),
        (Some(0), Some(0))
    );
    assert_eq!(argo["step"], json!({ "current": 0, "total": 2 }));
    assert_eq!(
        argo["steps"][0]["kind"],
        json!({ "type": "set-weight", "weight": 10 })
    );
    assert_eq!(
        argo["steps"][1]["kind"],
        json!({ "type": "pause", "duration": null })
    );
    let metric = &argo["argo"]["analysis_runs"][0]["metrics"][0];
    assert_eq!(
        (
            metric["name"].as_str(),
            metric["failure_limit"].as_i64(),
            metric["failed"].as_i64()
        ),
        (Some("web"), Some(0), Some(1))
    );
    assert_eq!(metric["measurements"][0]["value"], "false");
    assert!(argo["conditions"]
        .as_array()
        .is_some_and(|c| c.iter().any(|c| c["reason"] == "RolloutAborted")));
    let flagger = &releases
        .iter()
        .find(|r| r["kind"] == "flagger-canary")
        .expect("the canary")["flagger"];
    assert_eq!(flagger["threshold"], 10);
    assert_eq!(flagger["step_weight"], 5);
    assert_eq!(flagger["max_weight"], 50);
    assert_eq!(flagger["primary"], "podinfo-primary");
    assert_eq!(flagger["failed_checks"], 1);
    assert_eq!(
        flagger["metrics"][0],
        json!({ "name": "request-success-rate", "interval": "1m", "min": 99.0, "max": null, "template": "" })
    );
    assert_eq!(flagger["webhooks"][0]["type"], "pre-rollout");
    assert!(
        argo.get("flagger").is_none()
            && releases
                .iter()
                .all(|r| r["kind"] != "flagger-canary" || r.get("argo").is_none())
    );
}
