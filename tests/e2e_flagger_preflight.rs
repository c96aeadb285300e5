//! The Flagger gate preflight on the real API server: the service proxy is asked about
//! the gate's Service in the namespace the webhook URL names, and a refusal says which.

mod common;
use common::testbed::{self, testbed};

use ripcord::cluster::access::AccessCache;
use ripcord::cluster::actions;
use ripcord::model::ops::{Actuator, Operation};
use ripcord::model::{Kind, Permission, ReleaseKey};
use serde_json::json;
use std::time::Duration;

/// A Role for the testbed's viewer, bound in the namespace it is applied to.
fn role(name: &str, rules: serde_json::Value) -> String {
    json!({
        "apiVersion": "v1", "kind": "List", "items": [
            { "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role",
              "metadata": { "name": name }, "rules": rules },
            { "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
              "metadata": { "name": name },
              "roleRef": { "apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": name },
              "subjects": [{ "apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": "viewer" }] }
        ]
    })
    .to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_gate_preflight_checks_the_service_in_the_namespace_its_url_names() {
    let Some(tb) = testbed().await else { return };
    let apps = tb.namespace("flg-pre-apps").await;
    let gates = tb.namespace("flg-pre-gates").await;
    // The confirm gate is served from the other namespace, the rollback gate from this one.
    let canary = json!({
        "apiVersion": "flagger.app/v1beta1", "kind": "Canary",
        "metadata": { "name": "podinfo" },
        "spec": {
            "targetRef": { "apiVersion": "apps/v1", "kind": "Deployment", "name": "podinfo" },
            "service": { "port": 9898 },
            "analysis": { "interval": "1m", "threshold": 5, "webhooks": [
                { "name": "ask", "type": "confirm-rollout",
                  "url": format!("http://lt.{}.svc.cluster.local:8080/gate/check", gates.name) },
                { "name": "back", "type": "rollback",
                  "url": format!("http://lt.{}/rollback/check", apps.name) }
            ] }
        }
    });
    tb.apply(&apps.name, &canary.to_string());
    tb.apply(
        &apps.name,
        &role(
            "read-canaries",
            json!([{ "apiGroups": ["flagger.app"], "resources": ["canaries"], "verbs": ["get"] }]),
        ),
    );
    tb.apply(
        &gates.name,
        &role(
            "open-gates",
            json!([{ "apiGroups": [""], "resources": ["services/proxy"],
                     "resourceNames": ["lt:8080"], "verbs": ["create"] }]),
        ),
    );
    let connect = ripcord::cluster::connect::ConnectOptions {
        kubeconfig: Some(tb.kubeconfig.clone()),
        contexts: vec![testbed::VIEWER.into()],
    };
    let key = ReleaseKey {
        context: testbed::VIEWER.into(),
        namespace: apps.name.clone(),
        kind: Kind::FlaggerCanary,
        name: "podinfo".into(),
    };
    let permission = |op| {
        let (connect, key) = (connect.clone(), key.clone());
        async move {
            let clusters = ripcord::cluster::connect::connect_clusters(&connect)
                .await
                .expect("connect");
            let actuator =
                actions::KubeActuator::new(clusters, std::sync::Arc::new(AccessCache::default()));
            actuator.permission(&key, op).await.expect("answers")
        }
    };
    // Allowed by the Role in the gate's namespace alone.
    testbed::wait_until(
        "the viewer may open the confirm gate",
        Duration::from_secs(30),
        || async { (permission(Operation::Promote).await == Permission::Allowed).then_some(()) },
    )
    .await;
    // The rollback gate's Service is in the Canary's namespace, where no Role allows it:
    // the refusal names the Service, the namespace and the gate.
    let denied = permission(Operation::Abort).await;
    let Permission::Denied(why) = &denied else {
        panic!("the rollback gate was allowed: {denied:?}");
    };
    assert!(
        why.contains(&format!("services/proxy \"lt:80\" in {}", apps.name))
            && why.contains(&format!(
                "rollback gate of webhook back, service {}/lt:80",
                apps.name
            )),
        "{why}"
    );
}
