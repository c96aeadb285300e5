//! `ripcord check` on the testbed: who can change a release through Roles, ClusterRoles,
//! both kinds of binding and aggregation; findings on live objects with no value shown; and
//! what users with fewer rights get.

mod common;
use common::cli::{json, stderr, text, Cli};
use common::testbed::*;
use serde_json::Value;

fn who_can(report: &Value, name: &str) -> Vec<String> {
    let mut found: Vec<String> = report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| f["code"] == "RBAC001" && f["object"]["name"] == name)
        .map(|f| f["message"].as_str().expect("message").to_owned())
        .collect();
    found.sort();
    found
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn who_can_change_a_release_counts_roles_cluster_roles_both_bindings_and_aggregation() {
    let Some(tb) = testbed().await else { return };
    let ns = tb.namespace("whocan").await;
    let n = ns.name.as_str();
    let other = tb.namespace("whocan-other").await;
    tb.create_deployment(
        n,
        &web_deployment("web", "nginx:1.25", 1, &[("app", "web")]),
    )
    .await;
    let agg_label = format!("ripcord-e2e/{n}");
    let _guards = [
        tb.temporary(n, "clusterrole", &format!("{n}-patcher")),
        tb.temporary(n, "clusterrole", &format!("{n}-release")),
        tb.temporary(n, "clusterrole", &format!("{n}-release-part")),
        tb.temporary(n, "clusterrolebinding", &format!("{n}-oncall")),
    ];
    tb.apply(
        n,
        &format!(
            r#"
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {{name: deployer, namespace: {n}}}
rules:
- {{apiGroups: [apps], resources: [deployments], verbs: [get, update]}}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {{name: ci-deploys, namespace: {n}}}
roleRef: {{apiGroup: rbac.authorization.k8s.io, kind: Role, name: deployer}}
subjects:
- {{kind: ServiceAccount, name: ci, namespace: {n}}}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {{name: {n}-patcher}}
rules:
- {{apiGroups: [apps], resources: [deployments], verbs: [patch]}}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {{name: alice-patches, namespace: {n}}}
roleRef: {{apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: {n}-patcher}}
subjects:
- {{kind: User, name: alice}}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {{name: {n}-release}}
aggregationRule:
  clusterRoleSelectors:
  - matchLabels: {{"{agg_label}": "true"}}
rules: []
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: {n}-release-part
  labels: {{"{agg_label}": "true"}}
rules:
- {{apiGroups: [apps], resources: [deployments], verbs: [update, patch]}}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {{name: {n}-oncall}}
roleRef: {{apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: {n}-release}}
subjects:
- {{kind: Group, name: {n}-oncall}}
"#
        ),
    );
    // The same ClusterRole bound in another namespace grants nothing here.
    tb.apply(
        &other.name,
        &format!(
            r#"
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {{name: bob-patches, namespace: {o}}}
roleRef: {{apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: {n}-patcher}}
subjects:
- {{kind: User, name: bob}}
"#,
            o = other.name
        ),
    );
    let cli = Cli::new(&tb.kubeconfig);
    let out = cli.run(&["check", "--context", ADMIN, "-n", n, "-o", "json"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let report = json(&out);
    let who = who_can(&report, "web");
    let expect = [
        format!("Group {n}-oncall can update, patch it through ClusterRoleBinding {n}-oncall → ClusterRole {n}-release"),
        format!("ServiceAccount {n}/ci can update it through RoleBinding {n}/ci-deploys → Role deployer"),
        format!("User alice can patch it through RoleBinding {n}/alice-patches → ClusterRole {n}-patcher"),
    ];
    for e in &expect {
        assert!(who.contains(e), "missing {e:?} in {who:#?}");
    }
    assert!(
        !who.iter().any(|w| w.contains("bob")),
        "a binding in another namespace counts: {who:#?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn live_findings_show_no_values_and_a_kubectl_applied_secret_leaks_through_last_applied() {
    let Some(tb) = testbed().await else { return };
    let ns = tb.namespace("checklive").await;
    let n = ns.name.as_str();
    tb.apply(
        n,
        &format!(
            r#"
apiVersion: v1
kind: Secret
metadata: {{name: db, namespace: {n}}}
stringData: {{password: planted-live-password-1}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {{name: api, namespace: {n}}}
spec:
  replicas: 0
  selector: {{matchLabels: {{app: api}}}}
  template:
    metadata: {{labels: {{app: api}}}}
    spec:
      containers:
      - name: api
        image: nginx:latest
        env:
        - {{name: AWS_ACCESS_KEY_ID, value: AKIALIVEPLANTED0001X}}
        - {{name: DB_PASSWORD, valueFrom: {{secretKeyRef: {{name: db, key: pasword}}}}}}
        - {{name: API_TOKEN, valueFrom: {{secretKeyRef: {{name: gone, key: token}}}}}}
"#
        ),
    );
    let cli = Cli::new(&tb.kubeconfig);
    for format in ["table", "json", "sarif"] {
        let out = cli.run(&["check", "--context", ADMIN, "-n", n, "-o", format]);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out));
        let all = text(&out);
        for value in [
            "planted-live-password-1",
            "AKIALIVEPLANTED0001X",
            "LIVEPLANTED",
        ] {
            assert!(!all.contains(value), "{value} in the {format} output");
        }
    }
    let report = json(&cli.run(&["check", "--context", ADMIN, "-n", n, "-o", "json"]));
    let codes: Vec<(String, String)> = report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| {
            (
                f["code"].as_str().unwrap_or_default().to_owned(),
                f["object"]["name"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    for (code, object) in [
        ("SEC002", "api"),
        ("SEC008", "db"),
        ("SEC009", "api"),
        ("SEC010", "api"),
        ("IMG001", "api"),
        ("RBAC006", "api"),
    ] {
        assert!(
            codes.contains(&(code.to_owned(), object.to_owned())),
            "{code} on {object} in {codes:?}"
        );
    }
    // --fail-on turns the critical AWS key into a failed check.
    let out = cli.run(&[
        "check",
        "--context",
        ADMIN,
        "-n",
        n,
        "--fail-on",
        "critical",
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn users_with_fewer_rights_get_what_they_may_read_or_a_denial() {
    let Some(tb) = testbed().await else { return };
    let cli = Cli::new(&tb.kubeconfig);
    // No RBAC at all: nothing to check, and the exit code says why.
    let out = cli.run(&["check", "--context", VIEWER, "-n", NSVIEWER_NAMESPACE]);
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));
    assert!(
        stderr(&out).contains("cannot list deployments"),
        "{}",
        stderr(&out)
    );

    // `view` in one namespace: the workloads are checked, Secrets and RBAC are said to be
    // skipped.
    let name = format!("check-nsviewer-{}", std::process::id());
    let _guard = tb.temporary(NSVIEWER_NAMESPACE, "deployment", &name);
    tb.apply(
        NSVIEWER_NAMESPACE,
        &format!(
            r#"
apiVersion: apps/v1
kind: Deployment
metadata: {{name: {name}}}
spec:
  replicas: 0
  selector: {{matchLabels: {{app: {name}}}}}
  template:
    metadata: {{labels: {{app: {name}}}}}
    spec:
      containers:
      - {{name: app, image: "nginx:1.25", env: [{{name: SERVICE_TOKEN, value: "hQ8s-Zr2pW9xL4vK-live"}}]}}
"#
        ),
    );
    let out = cli.run(&[
        "check",
        "--context",
        NSVIEWER,
        "-n",
        NSVIEWER_NAMESPACE,
        "-o",
        "json",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let err = stderr(&out);
    for skipped in ["may not list secrets", "may not list rolebindings"] {
        assert!(err.contains(skipped), "{skipped}: {err}");
    }
    let report = json(&out);
    let mine: Vec<&Value> = report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| f["object"]["name"] == name.as_str())
        .collect();
    assert!(mine.iter().any(|f| f["code"] == "SEC001"), "{mine:#?}");
    assert!(!text(&out).contains("hQ8s-Zr2pW9xL4vK-live"));
    // Unknown Secrets are not taken as missing when they could not be listed.
    assert!(!mine.iter().any(|f| f["code"] == "SEC009"), "{mine:#?}");
}

/// The console's findings source: a new RoleBinding and a fixed env var each change the
/// release's findings within a second of the change.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn live_findings_follow_a_new_binding_and_a_fixed_env_var_within_a_second() {
    use ripcord::cluster::connect::Cluster;
    use ripcord::cluster::watch::Scope;
    use ripcord::model::{Findings, Kind, ReleaseKey};
    use std::time::Duration;
    let Some(tb) = testbed().await else { return };
    let ns = tb.namespace("checkwatch").await;
    let n = ns.name.clone();
    tb.apply(
        &n,
        &format!(
            r#"
apiVersion: v1
kind: ServiceAccount
metadata: {{name: api, namespace: {n}}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {{name: api, namespace: {n}}}
spec:
  replicas: 0
  selector: {{matchLabels: {{app: api}}}}
  template:
    metadata: {{labels: {{app: api}}}}
    spec:
      serviceAccountName: api
      containers:
      - name: api
        image: nginx:1.25
        env: [{{name: API_TOKEN, value: "hQ8s-Zr2pW9xL4vK"}}]
"#
        ),
    );
    let cluster = Cluster {
        context: ADMIN.to_owned(),
        client: tb.client(ADMIN).await,
        user: "admin".to_owned(),
        namespace: n.clone(),
    };
    let (tx, mut rx) = tokio::sync::mpsc::channel(64);
    let task = tokio::spawn(ripcord::cluster::findings::run(
        cluster,
        Scope::Namespaces(vec![n.clone()]),
        Default::default(),
        tx,
    ));
    let key = ReleaseKey {
        context: ADMIN.to_owned(),
        namespace: n.clone(),
        kind: Kind::Deployment,
        name: "api".to_owned(),
    };
    let has = |f: &Findings, code: &str| f.items.iter().any(|i| i.code == code);
    let mut latest = Findings::default();
    wait_for(&mut rx, &key, &mut latest, "the first check", &|f| {
        has(f, "SEC001")
    })
    .await;
    assert!(!has(&latest, "SEC012"));

    tb.apply(
        &n,
        &format!(
            r#"
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {{name: secrets, namespace: {n}}}
rules: [{{apiGroups: [""], resources: [secrets], verbs: [list]}}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {{name: api-secrets, namespace: {n}}}
roleRef: {{apiGroup: rbac.authorization.k8s.io, kind: Role, name: secrets}}
subjects: [{{kind: ServiceAccount, name: api, namespace: {n}}}]
"#
        ),
    );
    let took = wait_for(&mut rx, &key, &mut latest, "the binding", &|f| {
        has(f, "SEC012")
    })
    .await;
    assert!(took < Duration::from_secs(1), "the binding took {took:?}");

    tb.kubectl(&n, &["set", "env", "deployment/api", "API_TOKEN-"]);
    let took = wait_for(&mut rx, &key, &mut latest, "the fix", &|f| {
        !has(f, "SEC001")
    })
    .await;
    assert!(took < Duration::from_secs(1), "the fix took {took:?}");
    task.abort();
}

/// Waits for a release's findings to satisfy `want`, and says how long that took.
async fn wait_for(
    rx: &mut tokio::sync::mpsc::Receiver<(ripcord::model::ReleaseKey, ripcord::model::Findings)>,
    key: &ripcord::model::ReleaseKey,
    latest: &mut ripcord::model::Findings,
    what: &str,
    want: &dyn Fn(&ripcord::model::Findings) -> bool,
) -> std::time::Duration {
    let start = std::time::Instant::now();
    while !want(latest) {
        let got = tokio::time::timeout(std::time::Duration::from_secs(20), rx.recv())
            .await
            .unwrap_or_else(|_| panic!("no findings update for {what}: {latest:#?}"))
            .expect("the source runs");
        if &got.0 == key {
            *latest = got.1;
        }
    }
    start.elapsed()
}
