//! Helpers for tests against the real API server testbed (`scripts/testbed up`).
//!
//! Each test gets its own namespace, deleted when the guard drops (also when the test panics).
#![allow(dead_code)] // each test binary uses a different subset

use k8s_openapi::api::apps::v1::{Deployment, ReplicaSet};
use k8s_openapi::api::core::v1::Namespace;
use kube::api::{ListParams, ObjectMeta, PostParams};
use kube::config::{KubeConfigOptions, Kubeconfig};
use kube::{Api, Client, Config};
use serde_json::json;
use std::future::Future;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

pub const ADMIN: &str = "testbed-admin";
pub const VIEWER: &str = "testbed-viewer";
pub const NSVIEWER: &str = "testbed-nsviewer";
/// The one namespace where `testbed-nsviewer` has the `view` role.
pub const NSVIEWER_NAMESPACE: &str = "team-a";

pub struct Testbed {
    pub kubeconfig: PathBuf,
    pub admin: Client,
}

/// The testbed, or `None` (after saying so) when it is not running. Under CI a missing
/// testbed fails the test instead: a silently skipped e2e suite proves nothing.
pub async fn testbed() -> Option<Testbed> {
    let kubeconfig = kubeconfig_path();
    if !kubeconfig.is_file() {
        if std::env::var_os("CI").is_some() {
            panic!(
                "testbed not running: no kubeconfig at {} (run `scripts/testbed up`, or set \
                 RIPCORD_TESTBED_KUBECONFIG)",
                kubeconfig.display()
            );
        }
        eprintln!("testbed not running: skipped");
        return None;
    }
    let admin = client(&kubeconfig, ADMIN).await;
    Some(Testbed { kubeconfig, admin })
}

pub fn kubeconfig_path() -> PathBuf {
    match std::env::var_os("RIPCORD_TESTBED_KUBECONFIG") {
        Some(p) if !p.is_empty() => PathBuf::from(p),
        _ => Path::new(env!("CARGO_MANIFEST_DIR")).join(".testbed/kubeconfig"),
    }
}

/// The testbed's state directory, beside its kubeconfig.
pub fn state_dir() -> PathBuf {
    kubeconfig_path()
        .parent()
        .expect("kubeconfig in the state dir")
        .to_path_buf()
}

/// Runs `scripts/testbed ARGS` on this testbed; panics when it fails.
pub fn testbed_script(args: &[&str]) {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/testbed");
    let status = Command::new(script)
        .args(args)
        .env("RIPCORD_TESTBED_DIR", state_dir())
        .status()
        .expect("scripts/testbed runs");
    assert!(
        status.success(),
        "scripts/testbed {} failed",
        args.join(" ")
    );
}

/// The URL of the testbed's Prometheus.
pub fn prometheus_url() -> String {
    let file = state_dir().join("prometheus-url");
    std::fs::read_to_string(&file)
        .unwrap_or_else(|e| panic!("no Prometheus on the testbed ({}: {e})", file.display()))
        .trim()
        .to_owned()
}

/// The example HTTP analysis config, its rate windows short enough for a test's minute of
/// data.
pub fn http_analysis() -> String {
    ripcord::config::analysis_examples()[0]
        .1
        .replace("[1m]", "[10s]")
}

/// Stops the testbed's Prometheus; the guard starts it again however the test ends.
pub fn stop_prometheus() -> RestartPrometheus {
    let guard = RestartPrometheus;
    testbed_script(&["stop-prometheus"]);
    guard
}

pub struct RestartPrometheus;

impl Drop for RestartPrometheus {
    fn drop(&mut self) {
        testbed_script(&["start-prometheus"]);
    }
}

pub async fn client(kubeconfig: &Path, context: &str) -> Client {
    // Two rustls crypto providers are linked in; the app picks one the same way.
    ripcord::cluster::connect::install_crypto_provider();
    let kc = Kubeconfig::read_from(kubeconfig)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", kubeconfig.display()));
    let options = KubeConfigOptions {
        context: Some(context.to_string()),
        ..Default::default()
    };
    let config = Config::from_custom_kubeconfig(kc, &options)
        .await
        .unwrap_or_else(|e| panic!("context {context} in {}: {e}", kubeconfig.display()));
    Client::try_from(config).unwrap_or_else(|e| panic!("client for {context}: {e}"))
}

impl Testbed {
    pub async fn client(&self, context: &str) -> Client {
        client(&self.kubeconfig, context).await
    }

    /// A fresh namespace `rc-<prefix>-<random>`, deleted when the guard drops.
    pub async fn namespace(&self, prefix: &str) -> TestNamespace {
        let name = format!("rc-{prefix}-{}", suffix());
        let api: Api<Namespace> = Api::all(self.admin.clone());
        let ns = Namespace {
            metadata: ObjectMeta {
                name: Some(name.clone()),
                labels: Some([("ripcord.dev/e2e".to_string(), "true".to_string())].into()),
                ..Default::default()
            },
            ..Default::default()
        };
        api.create(&PostParams::default(), &ns)
            .await
            .unwrap_or_else(|e| panic!("create namespace {name}: {e}"));
        // The namespace controller creates the default ServiceAccount; pods need it.
        let sa: Api<k8s_openapi::api::core::v1::ServiceAccount> =
            Api::namespaced(self.admin.clone(), &name);
        wait_until(
            &format!("default ServiceAccount in {name}"),
            Duration::from_secs(30),
            || async { sa.get_opt("default").await.ok().flatten() },
        )
        .await;
        TestNamespace {
            name,
            kubeconfig: self.kubeconfig.clone(),
        }
    }

    /// Runs kubectl as the admin; panics with its output when it fails.
    pub fn kubectl(&self, ns: &str, args: &[&str]) -> String {
        let (ok, out) = self.kubectl_status(ns, args);
        assert!(ok, "kubectl {} failed: {out}", args.join(" "));
        out
    }

    /// Runs kubectl as the admin; (success, stdout + stderr).
    pub fn kubectl_status(&self, ns: &str, args: &[&str]) -> (bool, String) {
        let output = Command::new(kubectl_bin())
            .arg("--kubeconfig")
            .arg(&self.kubeconfig)
            .args(["--context", ADMIN, "-n", ns])
            .args(args)
            .output()
            .unwrap_or_else(|e| panic!("cannot run kubectl: {e}"));
        let mut text = String::from_utf8_lossy(&output.stdout).into_owned();
        // Drop the client/server version-skew warning; it is noise in assertions.
        for line in String::from_utf8_lossy(&output.stderr).lines() {
            if !line.starts_with("WARNING: version difference") {
                text.push_str(line);
                text.push('\n');
            }
        }
        (output.status.success(), text)
    }

    /// Applies `manifest` (JSON or YAML) as the admin.
    pub fn apply(&self, ns: &str, manifest: &str) {
        let file = tempfile::NamedTempFile::new().expect("temp file");
        std::fs::write(file.path(), manifest).expect("write the manifest");
        self.kubectl(ns, &["apply", "-f", &file.path().display().to_string()]);
    }

    /// Merges `status` into the status subresource of `kind/name`, as its controller would.
    pub fn patch_status(&self, ns: &str, kind: &str, name: &str, status: &serde_json::Value) {
        self.kubectl(
            ns,
            &[
                "patch",
                kind,
                name,
                "--subresource=status",
                "--type=merge",
                "-p",
                &status.to_string(),
            ],
        );
    }

    /// A guard that deletes `kind/name` in `ns` when dropped, for objects a test must put
    /// into a shared namespace (such as team-a, where the nsviewer may look).
    pub fn temporary(&self, ns: &str, kind: &str, name: &str) -> TempObject {
        TempObject {
            ns: ns.to_string(),
            kind: kind.to_string(),
            name: name.to_string(),
            kubeconfig: self.kubeconfig.clone(),
        }
    }

    pub fn deployments(&self, ns: &str) -> Api<Deployment> {
        Api::namespaced(self.admin.clone(), ns)
    }

    pub fn replica_sets(&self, ns: &str) -> Api<ReplicaSet> {
        Api::namespaced(self.admin.clone(), ns)
    }

    pub async fn create_deployment(&self, ns: &str, deployment: &Deployment) -> Deployment {
        let name = deployment.metadata.name.clone().unwrap_or_default();
        self.deployments(ns)
            .create(&PostParams::default(), deployment)
            .await
            .unwrap_or_else(|e| panic!("create deployment {ns}/{name}: {e}"))
    }

    pub async fn get_deployment(&self, ns: &str, name: &str) -> Deployment {
        self.deployments(ns)
            .get(name)
            .await
            .unwrap_or_else(|e| panic!("get deployment {ns}/{name}: {e}"))
    }

    /// Waits until the Deployment has seen its latest spec and every wanted replica is an
    /// updated, ready one and no old pods are left.
    pub async fn wait_rolled_out(&self, ns: &str, name: &str) -> Deployment {
        let api = self.deployments(ns);
        wait_until(
            &format!("deployment {ns}/{name} rolled out"),
            Duration::from_secs(60),
            || async {
                let d = api.get(name).await.ok()?;
                rolled_out(&d).then_some(d)
            },
        )
        .await
    }

    /// The ReplicaSets the Deployment owns, oldest revision first.
    pub async fn owned_replica_sets(&self, ns: &str, deployment: &Deployment) -> Vec<ReplicaSet> {
        let uid = deployment.metadata.uid.clone().unwrap_or_default();
        let mut sets: Vec<ReplicaSet> = self
            .replica_sets(ns)
            .list(&ListParams::default())
            .await
            .unwrap_or_else(|e| panic!("list replicasets in {ns}: {e}"))
            .items
            .into_iter()
            .filter(|rs| {
                rs.metadata
                    .owner_references
                    .iter()
                    .flatten()
                    .any(|o| o.uid == uid)
            })
            .collect();
        sets.sort_by_key(|rs| revision(&rs.metadata).unwrap_or(0));
        sets
    }
}

pub fn rolled_out(d: &Deployment) -> bool {
    let want = d.spec.as_ref().and_then(|s| s.replicas).unwrap_or(1);
    let generation = d.metadata.generation.unwrap_or(0);
    let Some(s) = d.status.as_ref() else {
        return false;
    };
    s.observed_generation.unwrap_or(0) >= generation
        && s.updated_replicas.unwrap_or(0) == want
        && s.ready_replicas.unwrap_or(0) == want
        && s.available_replicas.unwrap_or(0) == want
        && s.replicas.unwrap_or(0) == want
}

pub fn revision(meta: &ObjectMeta) -> Option<i64> {
    meta.annotations
        .as_ref()?
        .get("deployment.kubernetes.io/revision")?
        .parse()
        .ok()
}

pub struct TestNamespace {
    pub name: String,
    kubeconfig: PathBuf,
}

impl Drop for TestNamespace {
    fn drop(&mut self) {
        // Synchronous and quick (--wait=false), so it also runs when a test panics.
        let _ = Command::new(kubectl_bin())
            .arg("--kubeconfig")
            .arg(&self.kubeconfig)
            .args(["--context", ADMIN, "delete", "namespace", &self.name])
            .args(["--wait=false", "--ignore-not-found"])
            .output();
    }
}

pub struct TempObject {
    ns: String,
    kind: String,
    name: String,
    kubeconfig: PathBuf,
}

impl Drop for TempObject {
    fn drop(&mut self) {
        let _ = Command::new(kubectl_bin())
            .arg("--kubeconfig")
            .arg(&self.kubeconfig)
            .args([
                "--context",
                ADMIN,
                "-n",
                &self.ns,
                "delete",
                &self.kind,
                &self.name,
            ])
            .args(["--wait=false", "--ignore-not-found"])
            .output();
    }
}

fn kubectl_bin() -> String {
    std::env::var("KUBECTL").unwrap_or_else(|_| "kubectl".into())
}

fn suffix() -> String {
    use std::collections::hash_map::RandomState;
    use std::hash::{BuildHasher, Hasher};
    let mut h = RandomState::new().build_hasher();
    h.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default(),
    );
    h.write_u32(std::process::id());
    let mut n = h.finish();
    let mut s = String::new();
    for _ in 0..6 {
        let d = (n % 36) as u8;
        s.push(char::from(if d < 10 { b'0' + d } else { b'a' + d - 10 }));
        n /= 36;
    }
    s
}

/// Polls `probe` every 200 ms until it returns `Some`, or panics naming `what`.
pub async fn wait_until<T, F, Fut>(what: &str, timeout: Duration, mut probe: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let start = Instant::now();
    loop {
        if let Some(value) = probe().await {
            return value;
        }
        if start.elapsed() > timeout {
            panic!("timed out after {timeout:?} waiting for {what}");
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Labels `d` as the canary of the Deployment `stable`.
pub fn canary_of(d: &mut Deployment, stable: &str) {
    d.metadata
        .labels
        .get_or_insert_with(Default::default)
        .insert(
            ripcord::model::objects::CANARY_OF_LABEL.into(),
            stable.into(),
        );
}

/// A stable Deployment `name` and its canary `name-canary`, each `(image, replicas)`,
/// labelled as a team would label them.
pub fn canary_pair(name: &str, stable: (&str, i32), canary: (&str, i32)) -> [Deployment; 2] {
    let s = web_deployment(
        name,
        stable.0,
        stable.1,
        &[("app", name), ("track", "stable")],
    );
    let mut c = web_deployment(
        &format!("{name}-canary"),
        canary.0,
        canary.1,
        &[("app", name), ("track", "canary")],
    );
    canary_of(&mut c, name);
    [s, c]
}

/// An Argo Rollout named `name` on `image`, with a canary strategy of one step and a pause.
pub fn argo_rollout(name: &str, image: &str) -> serde_json::Value {
    json!({
        "apiVersion": "argoproj.io/v1alpha1", "kind": "Rollout",
        "metadata": { "name": name },
        "spec": {
            "replicas": 1,
            "selector": { "matchLabels": { "app": name } },
            "template": {
                "metadata": { "labels": { "app": name } },
                "spec": { "containers": [{ "name": "app", "image": image }] }
            },
            "strategy": { "canary": { "steps": [{ "setWeight": 20 }, { "pause": {} }] } }
        }
    })
}

/// A Deployment like one a team would ship: probes, resources, env, a rolling strategy
/// that keeps capacity (maxUnavailable 0), and a short progress deadline so that a bad
/// image stalls it within seconds.
pub fn web_deployment(
    name: &str,
    image: &str,
    replicas: i32,
    labels: &[(&str, &str)],
) -> Deployment {
    let labels: serde_json::Map<String, serde_json::Value> = labels
        .iter()
        .map(|(k, v)| (k.to_string(), json!(v)))
        .collect();
    serde_json::from_value(json!({
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {
            "name": name,
            "labels": labels,
            "annotations": { "kubernetes.io/change-cause": format!("deploy {image}") }
        },
        "spec": {
            "replicas": replicas,
            "revisionHistoryLimit": 5,
            "progressDeadlineSeconds": 10,
            "minReadySeconds": 0,
            "selector": { "matchLabels": labels },
            "strategy": {
                "type": "RollingUpdate",
                "rollingUpdate": { "maxSurge": 1, "maxUnavailable": 0 }
            },
            "template": {
                "metadata": {
                    "labels": labels,
                    "annotations": { "prometheus.io/scrape": "true", "prometheus.io/port": "9090" }
                },
                "spec": {
                    "terminationGracePeriodSeconds": 20,
                    "containers": [{
                        "name": "app",
                        "image": image,
                        "ports": [
                            { "name": "http", "containerPort": 8080 },
                            { "name": "metrics", "containerPort": 9090 }
                        ],
                        "env": [
                            { "name": "LOG_LEVEL", "value": "info" },
                            { "name": "POD_NAME", "valueFrom": { "fieldRef": { "fieldPath": "metadata.name" } } }
                        ],
                        "resources": {
                            "requests": { "cpu": "100m", "memory": "128Mi" },
                            "limits": { "memory": "256Mi" }
                        },
                        "readinessProbe": {
                            "httpGet": { "path": "/healthz", "port": "http" },
                            "periodSeconds": 5
                        },
                        "livenessProbe": {
                            "httpGet": { "path": "/healthz", "port": "http" },
                            "initialDelaySeconds": 10
                        }
                    }]
                }
            }
        }
    }))
    .unwrap_or_else(|e| panic!("fixture deployment {name}: {e}"))
}
