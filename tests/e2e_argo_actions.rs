//! ripcord's Argo Rollouts actions against the real API server: each action on one Rollout,
//! and on an identical twin the patches `kubectl argo rollouts` sends for it (written out
//! here from the plugin's `pkg/kubectl-argo-rollouts/cmd/*`); the two must end up equal.
//!
//! No Argo controller runs on the testbed: the test writes the status a controller would.

mod common;
use common::testbed::{self, testbed, Testbed};

use kube::api::{ApiResource, DynamicObject, GroupVersionKind, Patch, PatchParams, PostParams};
use kube::{Api, Client};
use ripcord::cluster::actions::{self, argo};
use ripcord::model::ops::{ActionOutcome, ActionRequest, Op};
use ripcord::model::{Kind, ReleaseKey};
use serde_json::{json, Value};

fn request(ns: &str, name: &str, op: Op) -> ActionRequest {
    ActionRequest {
        key: ReleaseKey {
            context: testbed::ADMIN.into(),
            namespace: ns.into(),
            kind: Kind::ArgoRollout,
            name: name.into(),
        },
        op,
        reason: None,
        dry_run: false,
    }
}

fn rollout(name: &str, image: &str, paused: bool) -> Value {
    json!({
        "apiVersion": "argoproj.io/v1alpha1", "kind": "Rollout",
        "metadata": {
            "name": name,
            "annotations": { argo::ROLLOUT_REVISION_ANNOTATION: "3" },
            "labels": { "team": "web" }
        },
        "spec": {
            "replicas": 2,
            "paused": paused,
            "selector": { "matchLabels": { "app": "web" } },
            "template": {
                "metadata": { "labels": { "app": "web" } },
                "spec": { "containers": [{ "name": "app", "image": image }] }
            },
            "strategy": { "canary": { "steps": [
                { "setWeight": 20 }, { "pause": {} }, { "setWeight": 50 }, { "pause": { "duration": "10m" } }
            ] } }
        }
    })
}

/// A plugin patch: merge on the status subresource or the object, or a JSON patch.
enum Sent {
    Status(Value),
    Spec(Value),
    Json(Value),
}

struct Twins {
    api: Api<DynamicObject>,
    ns: String,
}

impl Twins {
    fn new(client: &Client, ns: &str, resource: &ApiResource) -> Self {
        Twins {
            api: Api::namespaced_with(client.clone(), ns, resource),
            ns: ns.to_string(),
        }
    }

    /// Creates `ours-NAME` and `theirs-NAME` alike, with the same status.
    async fn create(&self, name: &str, body: &Value, status: &Value) -> (String, String) {
        let mut names = Vec::new();
        for who in ["ours", "theirs"] {
            let full = format!("{who}-{name}");
            let mut body = body.clone();
            body["metadata"]["name"] = json!(full);
            let object: DynamicObject = serde_json::from_value(body).expect("an object");
            self.api
                .create(&PostParams::default(), &object)
                .await
                .unwrap_or_else(|e| panic!("create {full}: {e}"));
            if !status.is_null() {
                self.patch_status_or_object(&full, &json!({ "status": status }))
                    .await;
            }
            names.push(full);
        }
        (names.remove(0), names.remove(0))
    }

    async fn patch_status_or_object(&self, name: &str, patch: &Value) {
        let params = PatchParams::default();
        match self
            .api
            .patch_status(name, &params, &Patch::Merge(patch))
            .await
        {
            Ok(_) => {}
            Err(kube::Error::Api(s)) if s.code == 404 => {
                self.api
                    .patch(name, &params, &Patch::Merge(patch))
                    .await
                    .unwrap_or_else(|e| panic!("patch {name}: {e}"));
            }
            Err(e) => panic!("patch {name}/status: {e}"),
        }
    }

    /// The plugin's patches, in its order, on `name`.
    async fn send(&self, name: &str, patches: Vec<Sent>) {
        let params = PatchParams::default();
        for patch in patches {
            let sent = match &patch {
                Sent::Status(p) => self.api.patch_status(name, &params, &Patch::Merge(p)).await,
                Sent::Spec(p) => self.api.patch(name, &params, &Patch::Merge(p)).await,
                Sent::Json(p) => {
                    let ops = serde_json::from_value(p.clone()).expect("a JSON patch");
                    self.api.patch(name, &params, &Patch::<()>::Json(ops)).await
                }
            };
            sent.unwrap_or_else(|e| panic!("the plugin's patch on {name}: {e}"));
        }
    }

    async fn get(&self, name: &str) -> Value {
        let object = self
            .api
            .get(name)
            .await
            .unwrap_or_else(|e| panic!("get {name}: {e}"));
        serde_json::to_value(object).expect("json")
    }

    /// Spec, status, labels, annotations and generation of both twins are equal.
    async fn assert_same(&self, ours: &str, theirs: &str, what: &str) -> Value {
        let (a, b) = (self.get(ours).await, self.get(theirs).await);
        for field in ["spec", "status"] {
            assert_eq!(
                a[field], b[field],
                "{what}: {field} of {ours} and {theirs} in {}",
                self.ns
            );
        }
        for field in ["labels", "annotations", "generation"] {
            assert_eq!(
                a["metadata"][field], b["metadata"][field],
                "{what}: metadata.{field}"
            );
        }
        a
    }
}

fn ok(outcome: &ActionOutcome) -> &str {
    match &outcome.result {
        Ok(text) => text,
        Err(e) => panic!("{:?} failed: {e}", outcome.request.op),
    }
}

struct Case {
    name: &'static str,
    paused: bool,
    status: Value,
    op: Op,
    plugin: Vec<Sent>,
}

fn cases() -> Vec<Case> {
    let pause_step = json!({
        "currentStepIndex": 1,
        "pauseConditions": [{ "reason": "CanaryPauseStep", "startTime": "2026-01-01T00:00:00Z" }],
        "controllerPause": true,
        "currentPodHash": "new", "stableRS": "old"
    });
    vec![
        // promote.go getPatches, default case, pause conditions present.
        Case {
            name: "promote-paused-step",
            paused: false,
            status: pause_step.clone(),
            op: Op::Promote { step: None },
            plugin: vec![Sent::Status(
                json!({ "status": { "pauseConditions": null } }),
            )],
        },
        // Default case, no pause condition, spec.paused: step index + 1, then unpause.
        Case {
            name: "promote-user-paused",
            paused: true,
            status: json!({ "currentStepIndex": 0, "currentPodHash": "new", "stableRS": "old" }),
            op: Op::Promote { step: None },
            plugin: vec![
                Sent::Status(
                    json!({ "status": { "pauseConditions": null, "currentStepIndex": 1 } }),
                ),
                Sent::Spec(json!({ "spec": { "paused": false } })),
            ],
        },
        // Default case, an inconclusive step analysis paused by the controller.
        Case {
            name: "promote-inconclusive",
            paused: false,
            status: json!({
                "currentStepIndex": 2, "controllerPause": true,
                "pauseConditions": [{ "reason": "InconclusiveAnalysisRun", "startTime": "2026-01-01T00:00:00Z" }],
                "canary": { "currentStepAnalysisRunStatus": { "name": "ar", "status": "Inconclusive" } }
            }),
            op: Op::Promote { step: None },
            plugin: vec![Sent::Status(json!({ "status": {
                "pauseConditions": null, "controllerPause": false, "currentStepIndex": 3
            } }))],
        },
        // --full: promoteFull when the canary hash differs from the stable, then unpause.
        Case {
            name: "promote-full",
            paused: true,
            status: pause_step.clone(),
            op: Op::PromoteFull,
            plugin: vec![
                Sent::Status(json!({ "status": { "promoteFull": true } })),
                Sent::Spec(json!({ "spec": { "paused": false } })),
            ],
        },
        Case {
            name: "abort",
            paused: false,
            status: pause_step.clone(),
            op: Op::Abort,
            plugin: vec![Sent::Status(json!({ "status": { "abort": true } }))],
        },
        Case {
            name: "retry",
            paused: false,
            status: json!({ "abort": true, "currentStepIndex": 0 }),
            op: Op::Retry,
            plugin: vec![Sent::Status(json!({ "status": { "abort": false } }))],
        },
        Case {
            name: "pause",
            paused: false,
            status: json!({ "currentStepIndex": 0 }),
            op: Op::Pause,
            plugin: vec![Sent::Spec(json!({ "spec": { "paused": true } }))],
        },
        // The plugin's former `resume`, and promote's unpause patch.
        Case {
            name: "resume",
            paused: true,
            status: json!({ "currentStepIndex": 0 }),
            op: Op::Resume,
            plugin: vec![Sent::Spec(json!({ "spec": { "paused": false } }))],
        },
        // `promote --skip-current-step`'s patch, to the setWeight 50 step.
        Case {
            name: "set-weight",
            paused: false,
            status: pause_step,
            op: Op::SetWeight { weight: 50 },
            plugin: vec![Sent::Status(json!({ "status": { "currentStepIndex": 2 } }))],
        },
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_argo_action_equals_the_plugins_patches() {
    let Some(tb) = testbed().await else { return };
    let ns = tb.namespace("argo-act").await;
    let twins = Twins::new(&tb.admin, &ns.name, &argo::rollout_resource());
    for case in cases() {
        let body = rollout(case.name, "web:3", case.paused);
        let (ours, theirs) = twins.create(case.name, &body, &case.status).await;
        let before = twins.get(&ours).await;
        let outcome = actions::execute(&tb.admin, &request(&ns.name, &ours, case.op)).await;
        ok(&outcome);
        assert_eq!(outcome.revision_before, Some(3), "{}", case.name);
        twins.send(&theirs, case.plugin).await;
        let after = twins.assert_same(&ours, &theirs, case.name).await;
        if let (Op::SetWeight { .. }, Ok(text)) = (case.op, &outcome.result) {
            // The message counts steps as the step column does: currentStepIndex/steps.
            let index = &after["status"]["currentStepIndex"];
            assert!(text.contains(&format!("step {index}/")), "{text}");
        }
        assert_ne!(
            (&before["spec"], &before["status"]),
            (&after["spec"], &after["status"]),
            "{}: nothing changed",
            case.name
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restart_sets_restart_at_to_now_like_the_plugin() {
    let Some(tb) = testbed().await else { return };
    let ns = tb.namespace("argo-restart").await;
    let twins = Twins::new(&tb.admin, &ns.name, &argo::rollout_resource());
    let (ours, theirs) = twins
        .create("restart", &rollout("restart", "web:3", false), &Value::Null)
        .await;
    let start = chrono::Utc::now() - chrono::Duration::seconds(1);
    ok(&actions::execute(&tb.admin, &request(&ns.name, &ours, Op::Restart)).await);
    let stamp = twins.get(&ours).await["spec"]["restartAt"]
        .as_str()
        .expect("restartAt set")
        .to_string();
    // time.RFC3339 in UTC: seconds, and a Z.
    let at = chrono::DateTime::parse_from_rfc3339(&stamp).expect("RFC 3339");
    assert!(stamp.ends_with('Z') && !stamp.contains('.'), "{stamp}");
    assert!(at >= start && at <= chrono::Utc::now(), "{stamp}");
    twins
        .send(
            &theirs,
            vec![Sent::Spec(json!({ "spec": { "restartAt": stamp } }))],
        )
        .await;
    twins.assert_same(&ours, &theirs, "restart").await;
}

/// Three ReplicaSets owned by the Rollout, revisions 1 to 3, as the controller leaves them.
async fn history(tb: &Testbed, ns: &str, owner: &Value) -> Vec<Value> {
    let rs_api: Api<DynamicObject> = Api::namespaced_with(
        tb.admin.clone(),
        ns,
        &ApiResource::from_gvk_with_plural(
            &GroupVersionKind::gvk("apps", "v1", "ReplicaSet"),
            "replicasets",
        ),
    );
    let owner_name = owner["metadata"]["name"].as_str().expect("name");
    let mut out = Vec::new();
    for revision in 1..=3 {
        let hash = format!("h{revision}");
        let body = json!({
            "apiVersion": "apps/v1", "kind": "ReplicaSet",
            "metadata": {
                "name": format!("{owner_name}-{hash}"),
                "labels": { "app": "web", argo::ROLLOUT_HASH_LABEL: hash },
                "annotations": { argo::ROLLOUT_REVISION_ANNOTATION: revision.to_string() },
                "ownerReferences": [{
                    "apiVersion": "argoproj.io/v1alpha1", "kind": "Rollout",
                    "name": owner_name, "uid": owner["metadata"]["uid"],
                    "controller": true, "blockOwnerDeletion": true
                }]
            },
            "spec": {
                "replicas": 0,
                "selector": { "matchLabels": { "app": "web", argo::ROLLOUT_HASH_LABEL: hash } },
                "template": {
                    "metadata": { "labels": { "app": "web", argo::ROLLOUT_HASH_LABEL: hash },
                                  "annotations": { "build": format!("b{revision}") } },
                    "spec": { "containers": [{ "name": "app", "image": format!("web:{revision}"),
                                               "env": [{ "name": "REV", "value": revision.to_string() }] }] }
                }
            }
        });
        let object: DynamicObject = serde_json::from_value(body).expect("rs");
        let created = rs_api
            .create(&PostParams::default(), &object)
            .await
            .expect("create a ReplicaSet");
        out.push(serde_json::to_value(created).expect("json"));
    }
    out
}

/// undo.go: the RS template, less the hash label, replaces /spec/template in one JSON patch.
fn plugin_undo_patch(rs: &Value) -> Sent {
    let mut template = rs["spec"]["template"].clone();
    template["metadata"]["labels"]
        .as_object_mut()
        .expect("labels")
        .remove(argo::ROLLOUT_HASH_LABEL);
    Sent::Json(json!([{ "op": "replace", "path": "/spec/template", "value": template }]))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn undo_restores_the_replica_set_template_like_the_plugin() {
    let Some(tb) = testbed().await else { return };
    let ns = tb.namespace("argo-undo").await;
    let twins = Twins::new(&tb.admin, &ns.name, &argo::rollout_resource());
    for (case, to) in [("undo", None), ("undo-to-1", Some(1))] {
        let (ours, theirs) = twins
            .create(case, &rollout(case, "web:3", false), &Value::Null)
            .await;
        let ours_rs = history(&tb, &ns.name, &twins.get(&ours).await).await;
        let theirs_rs = history(&tb, &ns.name, &twins.get(&theirs).await).await;
        let outcome =
            actions::execute(&tb.admin, &request(&ns.name, &ours, Op::Rollback { to })).await;
        let said = ok(&outcome).to_string();
        let revision = to.unwrap_or(2) as usize;
        assert!(said.contains(&format!("revision {revision}")), "{said}");
        twins
            .send(&theirs, vec![plugin_undo_patch(&theirs_rs[revision - 1])])
            .await;
        let after = twins.assert_same(&ours, &theirs, case).await;
        assert_eq!(
            after["spec"]["template"]["spec"]["containers"][0]["image"],
            format!("web:{revision}")
        );
        assert!(ours_rs.len() == 3);
    }
    // Asking for the revision already running changes nothing and says so, as the plugin does.
    let (ours, _) = twins
        .create("same", &rollout("same", "web:3", false), &Value::Null)
        .await;
    let ours_rs = history(&tb, &ns.name, &twins.get(&ours).await).await;
    let mut current = ours_rs[2]["spec"]["template"].clone();
    current["metadata"]["labels"]
        .as_object_mut()
        .expect("labels")
        .remove(argo::ROLLOUT_HASH_LABEL);
    twins
        .send(
            &ours,
            vec![Sent::Json(
                json!([{ "op": "replace", "path": "/spec/template", "value": current }]),
            )],
        )
        .await;
    let before = twins.get(&ours).await;
    let outcome = actions::execute(
        &tb.admin,
        &request(&ns.name, &ours, Op::Rollback { to: Some(3) }),
    )
    .await;
    assert!(
        ok(&outcome).contains("skipped rollback"),
        "{:?}",
        outcome.result
    );
    assert_eq!(twins.get(&ours).await["spec"], before["spec"]);
    let outcome = actions::execute(
        &tb.admin,
        &request(&ns.name, &ours, Op::Rollback { to: Some(9) }),
    )
    .await;
    assert!(
        matches!(&outcome.result, Err(e) if e.to_string().contains("unable to find specified revision 9")),
        "{:?}",
        outcome.result
    );
}

/// A CRD like the Rollout's but without a status subresource, in a group of its own, so
/// the plugin's fallback can be exercised without touching the shared Argo CRD.
struct NoStatusCrd {
    tb_kubeconfig: std::path::PathBuf,
    name: String,
    resource: ApiResource,
}

impl Drop for NoStatusCrd {
    fn drop(&mut self) {
        let _ = std::process::Command::new("kubectl")
            .arg("--kubeconfig")
            .arg(&self.tb_kubeconfig)
            .args(["--context", testbed::ADMIN, "delete", "crd", &self.name])
            .args(["--wait=false", "--ignore-not-found"])
            .output();
    }
}

async fn no_status_crd(tb: &Testbed, ns: &str) -> NoStatusCrd {
    // The namespace name is unique; its tail keeps the group unique too.
    let group = format!("{}.e2e.ripcord.dev", ns.replace('-', ""));
    let name = format!("rollouts.{group}");
    let crd = json!({
        "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
        "metadata": { "name": name },
        "spec": {
            "group": group, "scope": "Namespaced",
            "names": { "plural": "rollouts", "singular": "rollout", "kind": "Rollout", "listKind": "RolloutList" },
            "versions": [{
                "name": "v1alpha1", "served": true, "storage": true,
                "schema": { "openAPIV3Schema": { "type": "object", "x-kubernetes-preserve-unknown-fields": true } }
            }]
        }
    });
    let guard = NoStatusCrd {
        tb_kubeconfig: tb.kubeconfig.clone(),
        name: name.clone(),
        resource: ApiResource::from_gvk_with_plural(
            &GroupVersionKind::gvk(&group, "v1alpha1", "Rollout"),
            "rollouts",
        ),
    };
    tb.apply(ns, &crd.to_string());
    tb.kubectl(
        ns,
        &[
            "wait",
            "--for=condition=Established",
            &format!("crd/{name}"),
            "--timeout=60s",
        ],
    );
    guard
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_status_subresource_the_plugins_fallback_is_taken() {
    let Some(tb) = testbed().await else { return };
    let ns = tb.namespace("argo-nostatus").await;
    let crd = no_status_crd(&tb, &ns.name).await;
    let twins = Twins::new(&tb.admin, &ns.name, &crd.resource);
    let retype = |mut body: Value| {
        body["apiVersion"] = json!(format!("{}/v1alpha1", crd.resource.group));
        body
    };
    let status = json!({ "currentStepIndex": 0, "currentPodHash": "new", "stableRS": "old" });
    let fallbacks = [
        // promote: the status patch 404s, so the unified patch goes on the object.
        (
            "promote",
            true,
            Op::Promote { step: None },
            json!({ "spec": { "paused": false }, "status": { "pauseConditions": null, "currentStepIndex": 1 } }),
        ),
        (
            "promote-full",
            true,
            Op::PromoteFull,
            json!({ "spec": { "paused": false }, "status": { "promoteFull": true } }),
        ),
        (
            "abort",
            false,
            Op::Abort,
            json!({ "status": { "abort": true } }),
        ),
        (
            "retry",
            false,
            Op::Retry,
            json!({ "status": { "abort": false } }),
        ),
    ];
    for (case, paused, op, patch) in fallbacks {
        let body = retype(rollout(case, "web:3", paused));
        // Only an aborted Rollout has something to retry.
        let mut status = status.clone();
        if op == Op::Retry {
            status["abort"] = json!(true);
        }
        let (ours, theirs) = twins.create(case, &body, &status).await;
        let mut revision = None;
        let result = argo::run_on(
            &tb.admin,
            crd.resource.clone(),
            &request(&ns.name, &ours, op),
            &mut revision,
        )
        .await;
        let said = result.unwrap_or_else(|e| panic!("{case}: {e}"));
        if case.starts_with("promote") {
            assert!(said.contains("no status subresource"), "{case}: {said}");
        }
        twins.send(&theirs, vec![Sent::Spec(patch)]).await;
        let after = twins.assert_same(&ours, &theirs, case).await;
        assert_ne!(after["status"], status, "{case}: status unchanged");
    }
}

/// RBAC scoped to named objects: a Role with `resourceNames` for one Rollout and one
/// Deployment reads as allowed for those, and denied for others and namespace-wide.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn named_rbac_reads_as_allowed_for_the_named_objects() {
    use ripcord::cluster::access::AccessCache;
    use ripcord::model::ops::{Actuator, Operation};
    use ripcord::model::Permission;
    let Some(tb) = testbed().await else { return };
    let ns = tb.namespace("argo-rbac").await;
    tb.apply(
        &ns.name,
        &json!({
            "apiVersion": "v1", "kind": "List", "items": [
                { "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role",
                  "metadata": { "name": "just-web" },
                  "rules": [
                    { "apiGroups": ["argoproj.io"], "resources": ["rollouts", "rollouts/status"],
                      "resourceNames": ["web"], "verbs": ["get", "patch"] },
                    { "apiGroups": ["apps"], "resources": ["deployments"],
                      "resourceNames": ["web"], "verbs": ["get", "patch"] }
                  ] },
                { "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
                  "metadata": { "name": "just-web" },
                  "roleRef": { "apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "just-web" },
                  "subjects": [{ "apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": "viewer" }] }
            ]
        })
        .to_string(),
    );
    let viewer = tb.client(testbed::VIEWER).await;
    let access = AccessCache::default();
    let check = |kind, name: &'static str, op| {
        let (viewer, access, ns) = (viewer.clone(), &access, ns.name.clone());
        async move {
            access
                .check_release(&viewer, testbed::VIEWER, &ns, kind, name, op, &[])
                .await
                .expect("the preflight answers")
        }
    };
    for op in [
        Operation::Promote,
        Operation::Abort,
        Operation::Pause,
        Operation::SetWeight,
    ] {
        assert_eq!(
            check(Kind::ArgoRollout, "web", op).await,
            Permission::Allowed,
            "{op:?}"
        );
        let other = check(Kind::ArgoRollout, "api", op).await;
        assert!(
            matches!(&other, Permission::Denied(why) if why.contains("rollouts.argoproj.io \"api\"")),
            "{op:?}: {other:?}"
        );
    }
    assert_eq!(
        check(Kind::Deployment, "web", Operation::Pause).await,
        Permission::Allowed
    );
    // Undo lists ReplicaSets, which no name can scope: still denied, and says so.
    let undo = check(Kind::ArgoRollout, "web", Operation::Rollback).await;
    assert!(
        matches!(&undo, Permission::Denied(why) if why.contains("list replicasets.apps") && !why.contains("rollouts")),
        "{undo:?}"
    );
    // Without the name, the same user reads as denied: the check the preflight used to make.
    let unnamed = access
        .check(
            &viewer,
            testbed::VIEWER,
            &ns.name,
            Kind::ArgoRollout,
            Operation::Abort,
        )
        .await
        .expect("answers");
    assert!(matches!(unnamed, Permission::Denied(_)), "{unnamed:?}");

    // The actuator's own preflight names the release too.
    let connect = ripcord::cluster::connect::ConnectOptions {
        kubeconfig: Some(tb.kubeconfig.clone()),
        contexts: vec![testbed::VIEWER.into()],
    };
    let clusters = ripcord::cluster::connect::connect_clusters(&connect)
        .await
        .expect("connect");
    let actuator =
        actions::KubeActuator::new(clusters, std::sync::Arc::new(AccessCache::default()));
    let key = |name: &str| ReleaseKey {
        context: testbed::VIEWER.into(),
        namespace: ns.name.clone(),
        kind: Kind::ArgoRollout,
        name: name.into(),
    };
    assert_eq!(
        actuator.permission(&key("web"), Operation::Abort).await,
        Ok(Permission::Allowed)
    );
    assert!(matches!(
        actuator.permission(&key("api"), Operation::Abort).await,
        Ok(Permission::Denied(_))
    ));
}

/// A canary pair's preflight names both Deployments it patches: RBAC on exactly the stable
/// and its canary reads as allowed, and leaving the canary out says which one is missing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pairs_preflight_names_its_canary_too() {
    use ripcord::cluster::access::AccessCache;
    use ripcord::model::ops::{Actuator, Operation};
    use ripcord::model::Permission;
    let Some(tb) = testbed().await else { return };
    let ns = tb.namespace("pair-rbac").await;
    for d in testbed::canary_pair("shop", ("shop:1", 1), ("shop:2", 1)) {
        tb.create_deployment(&ns.name, &d).await;
    }
    let role = |names: &[&str]| {
        json!({
            "apiVersion": "v1", "kind": "List", "items": [
                { "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role",
                  "metadata": { "name": "shop" },
                  "rules": [
                    { "apiGroups": ["apps"], "resources": ["deployments"],
                      "resourceNames": names, "verbs": ["get", "patch"] },
                    { "apiGroups": ["apps"], "resources": ["deployments"], "verbs": ["list"] }
                  ] },
                { "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
                  "metadata": { "name": "shop" },
                  "roleRef": { "apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "shop" },
                  "subjects": [{ "apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": "viewer" }] }
            ]
        })
        .to_string()
    };
    let connect = ripcord::cluster::connect::ConnectOptions {
        kubeconfig: Some(tb.kubeconfig.clone()),
        contexts: vec![testbed::VIEWER.into()],
    };
    let key = ReleaseKey {
        context: testbed::VIEWER.into(),
        namespace: ns.name.clone(),
        kind: Kind::CanaryPair,
        name: "shop".into(),
    };
    let permission = || async {
        let clusters = ripcord::cluster::connect::connect_clusters(&connect)
            .await
            .expect("connect");
        let actuator =
            actions::KubeActuator::new(clusters, std::sync::Arc::new(AccessCache::default()));
        actuator
            .permission(&key, Operation::SetWeight)
            .await
            .expect("answers")
    };
    tb.apply(&ns.name, &role(&["shop", "shop-canary"]));
    assert_eq!(permission().await, Permission::Allowed);
    tb.apply(&ns.name, &role(&["shop"]));
    let only_stable = permission().await;
    assert!(
        matches!(&only_stable, Permission::Denied(why) if why.contains("patch deployments.apps \"shop-canary\"")),
        "{only_stable:?}"
    );
}

/// `ripcord set-weight rollout/NAME W` with a weight no step of the Rollout names is bad
/// input: exit 2, and the Rollout is left as it was.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn set_weight_refuses_a_weight_the_rollouts_steps_do_not_name() {
    let Some(tb) = testbed().await else { return };
    let ns = tb.namespace("argo-weight").await;
    let twins = Twins::new(&tb.admin, &ns.name, &argo::rollout_resource());
    let status = json!({ "currentStepIndex": 0, "currentPodHash": "new", "stableRS": "old" });
    let (ours, _) = twins
        .create("weight", &rollout("weight", "web:3", false), &status)
        .await;
    let before = twins.get(&ours).await;
    let cli = common::cli::Cli::new(&tb.kubeconfig);
    let target = format!("rollout/{ours}");
    let out = cli.run(&[
        "set-weight",
        &target,
        "33",
        "-n",
        &ns.name,
        "--yes",
        "--reason",
        "t",
    ]);
    let text = common::cli::text(&out);
    assert_eq!(out.status.code(), Some(2), "{text}");
    assert!(text.contains("33% is not a step"), "{text}");
    let after = twins.get(&ours).await;
    assert_eq!(before["status"], after["status"]);
    assert_eq!(before["spec"], after["spec"]);
}

/// A promote or set-weight on an aborted Rollout would move its step with `status.abort`
/// still set: the CLI refuses it as bad input (exit 2), the actuator refuses it too, and a
/// retry of a Rollout that is not aborted is refused rather than reported as done.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_aborted_rollout_refuses_promote_and_set_weight_until_retried() {
    let Some(tb) = testbed().await else { return };
    let ns = tb.namespace("argo-aborted").await;
    let twins = Twins::new(&tb.admin, &ns.name, &argo::rollout_resource());
    let status =
        json!({ "abort": true, "currentStepIndex": 1, "currentPodHash": "new", "stableRS": "old" });
    let (ours, _) = twins
        .create("aborted", &rollout("aborted", "web:3", false), &status)
        .await;
    let before = twins.get(&ours).await;
    let cli = common::cli::Cli::new(&tb.kubeconfig);
    let target = format!("rollout/{ours}");
    for args in [
        vec!["promote", &target, "-n", &ns.name, "--yes"],
        vec![
            "set-weight",
            &target,
            "50",
            "-n",
            &ns.name,
            "--yes",
            "--reason",
            "t",
        ],
    ] {
        let out = cli.run(&args);
        let text = common::cli::text(&out);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {text}");
        assert!(text.contains("aborted: retry first"), "{text}");
    }
    for op in [Op::Promote { step: None }, Op::SetWeight { weight: 50 }] {
        let outcome = actions::execute(&tb.admin, &request(&ns.name, &ours, op)).await;
        let why = outcome.result.expect_err("refused").to_string();
        assert!(why.contains("aborted: retry first"), "{why}");
    }
    let after = twins.get(&ours).await;
    assert_eq!(before["status"], after["status"]);
    assert_eq!(before["spec"], after["spec"]);

    let running = json!({ "currentStepIndex": 1, "currentPodHash": "new", "stableRS": "old" });
    let (fine, _) = twins
        .create("running", &rollout("running", "web:3", false), &running)
        .await;
    let outcome = actions::execute(&tb.admin, &request(&ns.name, &fine, Op::Retry)).await;
    let why = outcome.result.expect_err("refused").to_string();
    assert!(why.contains("not aborted"), "{why}");
    let out = cli.run(&["retry", &format!("rollout/{fine}"), "-n", &ns.name, "--yes"]);
    assert_eq!(out.status.code(), Some(2), "{}", common::cli::text(&out));
}

/// `ripcord set-weight` on a blue-green Rollout says it has no canary weight, exit 2, and
/// lists no weights.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn set_weight_on_a_blue_green_rollout_is_bad_input() {
    let Some(tb) = testbed().await else { return };
    let ns = tb.namespace("argo-bg-weight").await;
    let twins = Twins::new(&tb.admin, &ns.name, &argo::rollout_resource());
    let mut body = rollout("bg", "web:3", false);
    body["spec"]["strategy"] =
        json!({ "blueGreen": { "activeService": "bg-active", "previewService": "bg-preview" } });
    let (ours, _) = twins
        .create("bg", &body, &json!({ "currentPodHash": "new" }))
        .await;
    let cli = common::cli::Cli::new(&tb.kubeconfig);
    let target = format!("rollout/{ours}");
    let out = cli.run(&[
        "set-weight",
        &target,
        "50",
        "-n",
        &ns.name,
        "--yes",
        "--reason",
        "t",
    ]);
    let text = common::cli::text(&out);
    assert_eq!(out.status.code(), Some(2), "{text}");
    assert!(
        text.contains("blue-green Rollout has no canary weight"),
        "{text}"
    );
    assert!(!text.contains("none"), "{text}");
}

/// A set-weight to the step the Rollout is already at changes nothing: refused, exit 2 from
/// the CLI and a refusal from the actuator, the Rollout untouched.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn set_weight_to_the_current_step_is_refused() {
    let Some(tb) = testbed().await else { return };
    let ns = tb.namespace("argo-noop").await;
    let twins = Twins::new(&tb.admin, &ns.name, &argo::rollout_resource());
    let status = json!({ "currentStepIndex": 2, "currentPodHash": "new", "stableRS": "old" });
    let (ours, _) = twins
        .create("noop", &rollout("noop", "web:3", false), &status)
        .await;
    let before = twins.get(&ours).await;
    let cli = common::cli::Cli::new(&tb.kubeconfig);
    let target = format!("rollout/{ours}");
    let out = cli.run(&[
        "set-weight",
        &target,
        "50",
        "-n",
        &ns.name,
        "--yes",
        "--reason",
        "t",
    ]);
    let text = common::cli::text(&out);
    assert_eq!(out.status.code(), Some(2), "{text}");
    assert!(text.contains("already at step 2/4"), "{text}");
    let outcome = actions::execute(
        &tb.admin,
        &request(&ns.name, &ours, Op::SetWeight { weight: 50 }),
    )
    .await;
    let why = outcome.result.expect_err("refused").to_string();
    assert!(why.contains("already at step 2/4"), "{why}");
    let after = twins.get(&ours).await;
    assert_eq!(before["status"], after["status"]);
}
