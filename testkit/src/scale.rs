//! Synthetic clusters at the testbed's scale, for benches and scale tests.
//!
//! The objects mirror the benchmark suite's fixture (bench/fixtures/full.json, which
//! bench/ripbench/fixture.py creates on the testbed): `rc-scale-NN` namespaces of Deployments
//! and canary pairs, pod templates sized like real services, and the labels, owner
//! references, conditions, container statuses and managedFields that server-side apply, the
//! controllers and the fake kubelet leave on them, so that reading them costs what it costs
//! against the testbed. Everything is a pure function of the spec (and of the seed, for churn).

use chrono::{DateTime, Duration};
use ripcord::model::objects::{object_from_json, Change, Object, ObjectKind, CANARY_OF_LABEL};
use ripcord::sim::{ts, Rng, Time};
use serde_json::{json, Map, Value};
use std::collections::HashMap;

/// The kube context the synthetic objects are fed under.
pub const CONTEXT: &str = "scale";
pub const NAMESPACE_PREFIX: &str = "rc-scale-";
/// Service names, as the bench fixture's; an index suffix keeps them unique.
const WORDS: &[&str] = &[
    "checkout",
    "payments",
    "cart",
    "search",
    "catalog",
    "ledger",
    "gateway",
    "auth",
    "profile",
    "orders",
    "shipping",
    "inventory",
    "pricing",
    "reviews",
    "notify",
    "media",
    "billing",
    "session",
    "ranking",
    "quotes",
    "invoice",
    "refunds",
    "fraud",
    "loyalty",
];
const TEAMS: &[&str] = &["core", "growth", "platform", "commerce", "risk", "data"];
const TIERS: &[&str] = &["frontend", "backend", "worker"];
/// Fake nodes pods are bound to, as the testbed's fake kubelet registers them.
const NODES: u64 = 3;
/// What the fake kubelet (Python's urllib) is recorded as in managedFields.
const KUBELET_MANAGER: &str = "Python-urllib";
const STABLE_VERSION: &str = "1.4.2";
const CANARY_VERSION: &str = "1.5.0";

/// How big a synthetic cluster is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ScaleSpec {
    pub namespaces: usize,
    /// Deployments per namespace, both Deployments of each canary pair included.
    pub deployments_per_namespace: usize,
    /// Pods per Deployment on average: a pair splits its 2 × replicas 90/10 between stable
    /// and canary (18 + 2 for 10), so pod counts stay exact.
    pub replicas: i32,
    /// Stable/canary pairs per namespace; each takes two of the namespace's Deployments.
    pub canary_pairs_per_namespace: usize,
}

impl ScaleSpec {
    /// bench/fixtures/full.json: 20 namespaces of 40 Deployments × 10 replicas and 5 canary
    /// pairs of 18 + 2: 1,000 Deployments, 10,000 pods, 900 releases.
    pub fn testbed() -> Self {
        ScaleSpec {
            namespaces: 20,
            deployments_per_namespace: 50,
            replicas: 10,
            canary_pairs_per_namespace: 5,
        }
    }

    pub fn deployments(&self) -> usize {
        self.namespaces * self.deployments_per_namespace
    }

    pub fn pods(&self) -> usize {
        self.deployments() * self.replicas.max(0) as usize
    }

    pub fn pairs_per_namespace(&self) -> usize {
        self.canary_pairs_per_namespace
            .min(self.deployments_per_namespace / 2)
    }

    /// Releases the console should derive: a pair counts once.
    pub fn releases(&self) -> usize {
        self.namespaces * (self.deployments_per_namespace - self.pairs_per_namespace())
    }

    /// (stable, canary) replicas of a pair.
    fn pair_split(&self) -> (i32, i32) {
        let total = 2 * self.replicas.max(0);
        let canary = (total + 9) / 10;
        (total - canary, canary)
    }
}

/// The virtual "now" the fixture is built at; ages are measured from it.
pub fn now() -> Time {
    DateTime::from_timestamp(1_748_854_800, 0).unwrap_or_default() // 2025-06-02T09:00:00Z
}

pub fn namespace(index: usize) -> String {
    format!("{NAMESPACE_PREFIX}{index:02}")
}

/// One Deployment of the fixture, with everything its objects are built from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Workload {
    pub namespace: String,
    pub name: String,
    /// `app.kubernetes.io/name`: shared by a pair's two Deployments.
    pub app: String,
    pub team: &'static str,
    pub tier: &'static str,
    pub version: &'static str,
    /// "stable" or "canary".
    pub track: &'static str,
    pub canary_of: Option<String>,
    pub replicas: i32,
    /// About a third of the services run a proxy sidecar.
    pub sidecar: bool,
    pub created: Time,
    /// The pod-template-hash of its only ReplicaSet.
    pub hash: String,
}

impl Workload {
    fn new(
        namespace: &str,
        name: String,
        app: &str,
        canary_of: Option<String>,
        replicas: i32,
    ) -> Self {
        let (track, version) = match canary_of {
            Some(_) => ("canary", CANARY_VERSION),
            None => ("stable", STABLE_VERSION),
        };
        let image = format!("{app}:{version}");
        Workload {
            namespace: namespace.into(),
            team: pick(TEAMS, &[namespace, app, "team"]),
            tier: pick(TIERS, &[namespace, app, "tier"]),
            version,
            track,
            replicas,
            sidecar: fnv(&[namespace, &name, "sidecar"]) % 100 < 35,
            // Spread over the past week so the age sort has something to sort.
            created: now()
                - Duration::minutes((fnv(&[namespace, &name, "age"]) % 10_000) as i64 + 5),
            hash: token(fnv(&[namespace, &name, &image]), 10),
            app: app.into(),
            canary_of,
            name,
        }
    }

    fn image(&self) -> String {
        format!(
            "registry.example.com/{}/{}:{}",
            self.team, self.app, self.version
        )
    }

    fn rs_name(&self) -> String {
        format!("{}-{}", self.name, self.hash)
    }
}

/// One kind of synthetic release and the objects it is made of. More kinds (Argo Rollouts,
/// Flagger Canaries, flag sets) become variants here, with their counts in `ScaleSpec`.
// A thousand of these live only while a fixture is built; boxing would buy nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Generator {
    /// A Deployment rolled out at revision 1: one ReplicaSet, every pod ready.
    Deployment(Workload),
    /// A stable Deployment and a `-canary` Deployment on a newer version, labelled canary-of
    /// the stable one.
    CanaryPair { stable: Workload, canary: Workload },
}

impl Generator {
    /// The Deployments (and so the pods) behind this release.
    pub fn workloads(&self) -> Vec<&Workload> {
        match self {
            Generator::Deployment(w) => vec![w],
            Generator::CanaryPair { stable, canary } => vec![stable, canary],
        }
    }

    fn emit(&self, out: &mut impl FnMut(Value)) {
        for w in self.workloads() {
            out(deployment_json(w, w.replicas));
            out(replicaset_json(w, w.replicas));
            for replica in 0..w.replicas.max(0) as usize {
                out(pod_json(w, replica, &PodState::default()));
            }
        }
    }
}

/// FNV-1a: names and choices must not depend on generation order, so churn can rebuild any
/// single pod without building the rest.
fn fnv(parts: &[&str]) -> u64 {
    let mut h: u64 = 0xcbf29ce484222325;
    for part in parts {
        for b in part.bytes().chain([0xff]) {
            h = (h ^ b as u64).wrapping_mul(0x100000001b3);
        }
    }
    h
}

fn pick<T: Copy>(list: &[T], parts: &[&str]) -> T {
    list[(fnv(parts) % list.len() as u64) as usize]
}

/// Characters the controllers use in generated names.
fn token(seed: u64, len: usize) -> String {
    const ALPHABET: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";
    let mut rng = Rng::new(seed);
    (0..len)
        .map(|_| ALPHABET[(rng.next_u64() % ALPHABET.len() as u64) as usize] as char)
        .collect()
}

fn uid(parts: &[&str]) -> String {
    let mut rng = Rng::new(fnv(parts));
    let (a, b) = (rng.next_u64(), rng.next_u64());
    format!(
        "{:08x}-{:04x}-4{:03x}-8{:03x}-{:012x}",
        a >> 32,
        (a >> 16) & 0xffff,
        a & 0xfff,
        b >> 52,
        b & 0xffff_ffff_ffff
    )
}

/// Every release of the fixture, namespace by namespace, in the bench fixture's order.
pub fn generators(spec: &ScaleSpec) -> Vec<Generator> {
    let pairs = spec.pairs_per_namespace();
    let (stable_replicas, canary_replicas) = spec.pair_split();
    let mut out = Vec::new();
    for ns in (0..spec.namespaces).map(namespace) {
        for i in 0..spec.deployments_per_namespace - 2 * pairs {
            let name = format!("{}-{i:02}", WORDS[i % WORDS.len()]);
            out.push(Generator::Deployment(Workload::new(
                &ns,
                name.clone(),
                &name,
                None,
                spec.replicas,
            )));
        }
        for i in 0..pairs {
            let app = format!("{}-pair-{i:02}", WORDS[(i + 7) % WORDS.len()]);
            out.push(Generator::CanaryPair {
                stable: Workload::new(&ns, app.clone(), &app, None, stable_replicas),
                canary: Workload::new(
                    &ns,
                    format!("{app}-canary"),
                    &app,
                    Some(app.clone()),
                    canary_replicas,
                ),
            });
        }
    }
    out
}

/// Calls `out` with every object of the fixture, without holding them all at once.
pub fn for_each_object(spec: &ScaleSpec, mut out: impl FnMut(Value)) {
    for g in generators(spec) {
        g.emit(&mut out);
    }
}

/// Every object of the fixture as the API server would list it.
pub fn objects(spec: &ScaleSpec) -> Vec<Value> {
    let mut out = Vec::with_capacity(spec.pods() + 2 * spec.deployments());
    for_each_object(spec, |v| out.push(v));
    out
}

fn parse(v: &Value) -> Object {
    // The generator builds every object itself: one that does not parse is a bug here.
    object_from_json(v).unwrap_or_else(|e| panic!("scale fixture built a bad object: {e}"))
}

/// Every object of the fixture, read into rows as a watcher would, one change each.
pub fn changes(spec: &ScaleSpec) -> Vec<Change> {
    let mut out = Vec::with_capacity(spec.pods() + 2 * spec.deployments());
    for_each_object(spec, |v| out.push(Change::Applied(parse(&v))));
    out
}

/// The fixture as the watchers' initial lists deliver it: one all-namespace reset per kind,
/// Deployments first (the shortest list), pods last.
pub fn resets(spec: &ScaleSpec) -> Vec<Change> {
    let mut by_kind: Vec<(ObjectKind, Vec<Object>)> = [
        ObjectKind::Deployment,
        ObjectKind::ReplicaSet,
        ObjectKind::Pod,
    ]
    .into_iter()
    .map(|k| (k, Vec::new()))
    .collect();
    for_each_object(spec, |v| {
        let object = parse(&v);
        if let Some((_, list)) = by_kind.iter_mut().find(|(k, _)| *k == object.kind()) {
            list.push(object);
        }
    });
    by_kind
        .into_iter()
        .map(|(kind, objects)| Change::Reset {
            kind,
            namespace: None,
            objects,
        })
        .collect()
}

/// What churn has done to one pod so far.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct PodState {
    /// Why the container is not running (CrashLoopBackOff), if it is not.
    waiting: Option<&'static str>,
    restarts: i32,
    /// The bench churn generator's annotation.
    churn_annotation: Option<u32>,
    /// A label some controller or person keeps rewriting.
    churn_label: Option<u32>,
    /// Updates so far; feeds resourceVersion.
    updates: u32,
}

/// The kinds of pod update churn produces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum PodUpdate {
    /// What bench/ripbench/churn.py does: a metadata-only change nothing on screen shows.
    Annotate,
    CrashLoop,
    Recover,
    Restart,
    Relabel,
}

impl PodUpdate {
    fn pick(rng: &mut Rng, pod: &PodState) -> PodUpdate {
        // A crash-looping pod mostly stays down and restarts, sometimes comes back.
        if pod.waiting.is_some() {
            return match rng.next_u64() % 3 {
                0 => PodUpdate::Recover,
                _ => PodUpdate::Restart,
            };
        }
        match rng.next_u64() % 10 {
            0..=3 => PodUpdate::Annotate,
            4..=5 => PodUpdate::Restart,
            6..=7 => PodUpdate::CrashLoop,
            _ => PodUpdate::Relabel,
        }
    }

    fn apply(self, pod: &mut PodState, n: u32) {
        match self {
            PodUpdate::Annotate => pod.churn_annotation = Some(n),
            PodUpdate::CrashLoop => {
                pod.waiting = Some("CrashLoopBackOff");
                pod.restarts += 1;
            }
            PodUpdate::Recover => pod.waiting = None,
            PodUpdate::Restart => pod.restarts += 1,
            PodUpdate::Relabel => pod.churn_label = Some(n),
        }
        pod.updates += 1;
    }
}

/// `n` pod updates (annotation bumps as the bench churn generator makes, restarts, crash
/// loops, recoveries, label changes) spread over the fixture's pods, as a pod watcher sees
/// them on a busy cluster. The same seed gives the same updates; a pod updated twice carries
/// both updates.
pub fn churn(spec: &ScaleSpec, n: usize, seed: u64) -> Vec<Change> {
    let gens = generators(spec);
    let workloads: Vec<&Workload> = gens
        .iter()
        .flat_map(Generator::workloads)
        .filter(|w| w.replicas > 0)
        .collect();
    let mut rng = Rng::new(seed);
    let mut pods: HashMap<(usize, usize), PodState> = HashMap::new();
    let mut out = Vec::with_capacity(n);
    if workloads.is_empty() {
        return out;
    }
    for i in 0..n {
        let w = (rng.next_u64() % workloads.len() as u64) as usize;
        let replica = (rng.next_u64() % workloads[w].replicas as u64) as usize;
        let pod = pods.entry((w, replica)).or_default();
        PodUpdate::pick(&mut rng, pod).apply(pod, i as u32);
        out.push(Change::Applied(parse(&pod_json(
            workloads[w],
            replica,
            pod,
        ))));
    }
    out
}

/// One pod of Deployment `namespace/name` goes into CrashLoopBackOff, with the status
/// updates the controllers then write to its ReplicaSet and Deployment: a change that alters
/// one row of the queue. Empty if there is no such Deployment.
pub fn unready_one(spec: &ScaleSpec, namespace: &str, name: &str) -> Vec<Change> {
    let gens = generators(spec);
    let Some(w) = gens
        .iter()
        .flat_map(Generator::workloads)
        .find(|w| w.namespace == namespace && w.name == name && w.replicas > 0)
    else {
        return Vec::new();
    };
    let pod = PodState {
        waiting: Some("CrashLoopBackOff"),
        restarts: 1,
        updates: 1,
        ..PodState::default()
    };
    let ready = w.replicas - 1;
    [
        pod_json(w, 0, &pod),
        replicaset_json(w, ready),
        deployment_json(w, ready),
    ]
    .iter()
    .map(|v| Change::Applied(parse(v)))
    .collect()
}

/// The managedFields field set (FieldsV1) naming every field of `v`, keyed the way the API
/// server keys list items.
fn field_set(v: &Value) -> Value {
    let Value::Object(map) = v else {
        return json!({});
    };
    let fields = map
        .iter()
        .map(|(k, child)| (format!("f:{k}"), member_set(k, child)))
        .collect();
    Value::Object(fields)
}

fn member_set(key: &str, v: &Value) -> Value {
    // Atomic lists and scalars are owned whole.
    const ATOMIC: &[&str] = &[
        "args",
        "containerStatuses",
        "tolerations",
        "sources",
        "items",
    ];
    let mut set = match v {
        Value::Object(m) if !m.is_empty() => field_set(v),
        Value::Array(items) if !ATOMIC.contains(&key) => {
            let keyed: Map<String, Value> = items
                .iter()
                .filter_map(|item| Some((list_key(item)?, member_set("", item))))
                .collect();
            Value::Object(keyed)
        }
        _ => return json!({}),
    };
    set[".".to_owned()] = json!({});
    set
}

/// `k:{...}`: how an associative list names an item (ports by port and protocol).
fn list_key(item: &Value) -> Option<String> {
    let key = match (item.get("containerPort"), item.get("protocol")) {
        (Some(port), Some(protocol)) => json!({ "containerPort": port, "protocol": protocol }),
        _ => ["uid", "name", "type", "ip"]
            .into_iter()
            .find_map(|k| Some(json!({ k: item.get(k)?.clone() })))?,
    };
    Some(format!("k:{key}"))
}

fn managed(
    manager: &str,
    operation: &str,
    time: &str,
    subresource: Option<&str>,
    fields: Value,
) -> Value {
    let mut entry = json!({
        "manager": manager,
        "operation": operation,
        "apiVersion": "v1",
        "time": time,
        "fieldsType": "FieldsV1",
        "fieldsV1": field_set(&fields),
    });
    // Only nested sets carry ".": the top level (f:metadata, f:spec, f:status) does not.
    if let Some(top) = entry["fieldsV1"].as_object_mut() {
        for set in top.values_mut().filter_map(Value::as_object_mut) {
            set.remove(".");
        }
    }
    if let Some(sub) = subresource {
        entry["subresource"] = json!(sub);
    }
    entry
}

fn labels(w: &Workload) -> Value {
    json!({
        "app.kubernetes.io/name": w.app,
        "app.kubernetes.io/instance": format!("{}-{}", w.app, w.track),
        "app.kubernetes.io/version": w.version,
        "app.kubernetes.io/part-of": w.team,
        "app.kubernetes.io/managed-by": "ripcord-bench",
        "team": w.team,
        "tier": w.tier,
        "track": w.track,
    })
}

fn template_annotations() -> Value {
    json!({
        "prometheus.io/scrape": "true",
        "prometheus.io/port": "9090",
        "kubectl.kubernetes.io/default-container": "app"
    })
}

fn http_probe(path: &str, port: Value, period: i32, initial_delay: Option<i32>) -> Value {
    let mut probe = json!({
        "httpGet": { "path": path, "port": port, "scheme": "HTTP" },
        "periodSeconds": period, "timeoutSeconds": 1, "successThreshold": 1, "failureThreshold": 3
    });
    if let Some(d) = initial_delay {
        probe["initialDelaySeconds"] = json!(d);
    }
    probe
}

/// The bench fixture's pod template as the API server stores it (defaults filled in).
fn template_spec(w: &Workload) -> Value {
    let field = |path: &str| json!({ "fieldRef": { "apiVersion": "v1", "fieldPath": path } });
    let defaults = json!({
        "terminationMessagePath": "/dev/termination-log",
        "terminationMessagePolicy": "File",
        "imagePullPolicy": "IfNotPresent"
    });
    let mut app = json!({
        "name": "app",
        "image": w.image(),
        "args": ["--config=/etc/app/config.yaml", "--listen=:8080"],
        "ports": [
            { "name": "http", "containerPort": 8080, "protocol": "TCP" },
            { "name": "metrics", "containerPort": 9090, "protocol": "TCP" }
        ],
        "env": [
            { "name": "APP_NAME", "value": w.app },
            { "name": "APP_VERSION", "value": w.version },
            { "name": "LOG_LEVEL", "value": pick(&["info", "warn", "debug"], &[&w.name, "log"]) },
            { "name": "HTTP_PORT", "value": "8080" },
            { "name": "METRICS_PORT", "value": "9090" },
            { "name": "OTEL_EXPORTER_OTLP_ENDPOINT", "value": "http://otel-collector.observability:4317" },
            { "name": "DATABASE_URL", "valueFrom": { "secretKeyRef": { "name": format!("{}-db", w.app), "key": "url" } } },
            { "name": "POD_NAME", "valueFrom": field("metadata.name") },
            { "name": "POD_NAMESPACE", "valueFrom": field("metadata.namespace") },
            { "name": "NODE_NAME", "valueFrom": field("spec.nodeName") }
        ],
        "resources": {
            "requests": {
                "cpu": pick(&["50m", "100m", "250m"], &[&w.name, "cpu"]),
                "memory": pick(&["64Mi", "128Mi", "256Mi"], &[&w.name, "memory"])
            },
            "limits": { "cpu": "1", "memory": "512Mi" }
        },
        "readinessProbe": http_probe("/readyz", json!("http"), 5, None),
        "livenessProbe": http_probe("/healthz", json!("http"), 10, Some(10)),
        "volumeMounts": [
            { "name": "config", "mountPath": "/etc/app", "readOnly": true },
            { "name": "tmp", "mountPath": "/tmp" }
        ],
        "securityContext": {
            "runAsNonRoot": true, "runAsUser": 10001,
            "allowPrivilegeEscalation": false, "readOnlyRootFilesystem": true
        }
    });
    merge(&mut app, &defaults);
    let mut containers = vec![app];
    if w.sidecar {
        let mut proxy = json!({
            "name": "proxy",
            "image": "registry.example.com/platform/proxy:1.28.1",
            "args": ["--service-node", w.app, "--upstream", "127.0.0.1:8080"],
            "ports": [{ "name": "proxy", "containerPort": 15001, "protocol": "TCP" }],
            "resources": {
                "requests": { "cpu": "20m", "memory": "48Mi" },
                "limits": { "cpu": "500m", "memory": "128Mi" }
            },
            "readinessProbe": http_probe("/ready", json!(15021), 5, None)
        });
        merge(&mut proxy, &defaults);
        containers.push(proxy);
    }
    json!({
        "containers": containers,
        "volumes": [
            { "name": "config", "configMap": { "name": format!("{}-config", w.app), "defaultMode": 420 } },
            { "name": "tmp", "emptyDir": { "sizeLimit": "64Mi" } }
        ],
        "terminationGracePeriodSeconds": 30,
        "securityContext": { "fsGroup": 10001 },
        "tolerations": [{ "key": "workload", "operator": "Equal", "value": w.tier, "effect": "NoSchedule" }],
        "restartPolicy": "Always",
        "dnsPolicy": "ClusterFirst",
        "schedulerName": "default-scheduler"
    })
}

/// Adds the fields of `extra` to the object `v`.
fn merge(v: &mut Value, extra: &Value) {
    if let (Value::Object(v), Value::Object(extra)) = (v, extra) {
        v.extend(extra.iter().map(|(k, x)| (k.clone(), x.clone())));
    }
}

fn deployment_json(w: &Workload, ready: i32) -> Value {
    let mut own_labels = labels(w);
    if let Some(stable) = &w.canary_of {
        own_labels[CANARY_OF_LABEL] = json!(stable);
    }
    let created = ts(w.created);
    let settled = ready == w.replicas;
    let rs = w.rs_name();
    let (progress_reason, progress_message) = if settled {
        (
            "NewReplicaSetAvailable",
            format!("ReplicaSet \"{rs}\" has successfully progressed."),
        )
    } else {
        (
            "ReplicaSetUpdated",
            format!("ReplicaSet \"{rs}\" is progressing."),
        )
    };
    let applied_meta = json!({
        "labels": own_labels,
        "annotations": {
            "kubernetes.io/change-cause": format!("deploy {} {}", w.app, w.version),
            "team.example.com/owner": format!("{}@example.com", w.team)
        }
    });
    let spec = json!({
        "replicas": w.replicas,
        "revisionHistoryLimit": 10,
        "progressDeadlineSeconds": 600,
        "selector": { "matchLabels": { "app.kubernetes.io/name": w.app, "track": w.track } },
        "strategy": { "type": "RollingUpdate", "rollingUpdate": { "maxSurge": "25%", "maxUnavailable": "25%" } },
        "template": {
            "metadata": { "labels": labels(w), "annotations": template_annotations() },
            "spec": template_spec(w)
        }
    });
    let status = json!({
        "observedGeneration": 1,
        "replicas": w.replicas,
        "updatedReplicas": w.replicas,
        "readyReplicas": ready,
        "availableReplicas": ready,
        "conditions": [
            { "type": "Available", "status": if settled { "True" } else { "False" },
              "reason": if settled { "MinimumReplicasAvailable" } else { "MinimumReplicasUnavailable" },
              "message": "Deployment has minimum availability.",
              "lastUpdateTime": created, "lastTransitionTime": created },
            { "type": "Progressing", "status": "True", "reason": progress_reason,
              "message": progress_message, "lastUpdateTime": ts(now()), "lastTransitionTime": created }
        ]
    });
    let mut metadata = json!({
        "name": w.name,
        "namespace": w.namespace,
        "uid": uid(&[&w.namespace, &w.name]),
        "resourceVersion": (fnv(&[&w.name, "rv"]) % 1_000_000).to_string(),
        "generation": 1,
        "creationTimestamp": created,
        "managedFields": [
            managed("ripcord-bench", "Apply", &created, None,
                json!({ "metadata": applied_meta, "spec": spec })),
            managed("kube-controller-manager", "Update", &ts(now()), Some("status"),
                json!({ "metadata": { "annotations": { "deployment.kubernetes.io/revision": "1" } },
                        "status": status }))
        ]
    });
    merge(&mut metadata, &applied_meta);
    metadata["annotations"]["deployment.kubernetes.io/revision"] = json!("1");
    json!({
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": metadata,
        "spec": spec,
        "status": status
    })
}

fn owner(kind: &str, name: &str, uid: &str) -> Value {
    json!([{
        "apiVersion": if kind == "ReplicaSet" || kind == "Deployment" { "apps/v1" } else { "v1" },
        "kind": kind, "name": name, "uid": uid, "controller": true, "blockOwnerDeletion": true
    }])
}

fn pod_labels(w: &Workload) -> Value {
    let mut labels = labels(w);
    labels["pod-template-hash"] = json!(w.hash);
    labels
}

fn replicaset_json(w: &Workload, ready: i32) -> Value {
    let name = w.rs_name();
    let created = ts(w.created);
    let meta = json!({
        "labels": pod_labels(w),
        "annotations": {
            "deployment.kubernetes.io/desired-replicas": w.replicas.to_string(),
            "deployment.kubernetes.io/max-replicas": (w.replicas + (w.replicas + 3) / 4).to_string(),
            "deployment.kubernetes.io/revision": "1"
        },
        "ownerReferences": owner("Deployment", &w.name, &uid(&[&w.namespace, &w.name]))
    });
    let spec = json!({
        "replicas": w.replicas,
        "selector": { "matchLabels": { "app.kubernetes.io/name": w.app, "track": w.track, "pod-template-hash": w.hash } },
        "template": {
            "metadata": { "labels": pod_labels(w), "annotations": template_annotations() },
            "spec": template_spec(w)
        }
    });
    let status = json!({
        "replicas": w.replicas,
        "fullyLabeledReplicas": w.replicas,
        "readyReplicas": ready,
        "availableReplicas": ready,
        "observedGeneration": 1
    });
    let mut metadata = json!({
        "name": name,
        "namespace": w.namespace,
        "uid": uid(&[&w.namespace, &name]),
        "resourceVersion": (fnv(&[&name, "rv"]) % 1_000_000).to_string(),
        "generation": 1,
        "creationTimestamp": created,
        "managedFields": [
            managed("kube-controller-manager", "Update", &created, None,
                json!({ "metadata": meta, "spec": spec })),
            managed("kube-controller-manager", "Update", &ts(now()), Some("status"),
                json!({ "status": status }))
        ]
    });
    merge(&mut metadata, &meta);
    json!({
        "apiVersion": "apps/v1",
        "kind": "ReplicaSet",
        "metadata": metadata,
        "spec": spec,
        "status": status
    })
}

/// A pod of `w`, as the fake kubelet leaves it after `state`'s updates.
fn pod_json(w: &Workload, replica: usize, state: &PodState) -> Value {
    let rs = w.rs_name();
    let rs_uid = uid(&[&w.namespace, &rs]);
    let name = format!(
        "{rs}-{}",
        token(fnv(&[&w.namespace, &rs, &replica.to_string()]), 5)
    );
    let pod_uid = uid(&[&w.namespace, &name]);
    let seq = fnv(&[&w.namespace, &name]);
    let ip = format!("10.244.{}.{}", (seq >> 8) % 256, seq % 250 + 1);
    let created = ts(w.created + Duration::seconds(1 + replica as i64 % 5));
    let started = ts(w.created + Duration::seconds(4 + replica as i64 % 5));
    let ready = state.waiting.is_none();
    let ready_text = if ready { "True" } else { "False" };
    let not_ready = (!ready).then_some((
        "ContainersNotReady",
        "containers with unready status: [app]",
    ));
    let condition = |type_: &str, status: &str, why: Option<(&str, &str)>| {
        let mut c = json!({ "type": type_, "status": status, "lastProbeTime": null, "lastTransitionTime": started });
        if let Some((reason, message)) = why {
            c["reason"] = json!(reason);
            c["message"] = json!(message);
        }
        c
    };

    let mut spec = template_spec(w);
    let token_volume = format!("kube-api-access-{}", token(seq, 5));
    for c in spec["containers"].as_array_mut().into_iter().flatten() {
        if let Some(mounts) = c["volumeMounts"].as_array_mut() {
            mounts.push(json!({ "name": token_volume, "readOnly": true,
                "mountPath": "/var/run/secrets/kubernetes.io/serviceaccount" }));
        }
    }
    if let Some(volumes) = spec["volumes"].as_array_mut() {
        volumes.push(json!({
            "name": token_volume,
            "projected": {
                "sources": [
                    { "serviceAccountToken": { "expirationSeconds": 3607, "path": "token" } },
                    { "configMap": { "name": "kube-root-ca.crt", "items": [{ "key": "ca.crt", "path": "ca.crt" }] } },
                    { "downwardAPI": { "items": [{ "path": "namespace",
                        "fieldRef": { "apiVersion": "v1", "fieldPath": "metadata.namespace" } }] } }
                ],
                "defaultMode": 420
            }
        }));
    }
    if let Some(tolerations) = spec["tolerations"].as_array_mut() {
        for key in [
            "node.kubernetes.io/not-ready",
            "node.kubernetes.io/unreachable",
        ] {
            tolerations.push(json!({ "key": key, "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 300 }));
        }
    }
    let controller_fields = json!({
        "metadata": {
            "generateName": "", "labels": pod_labels(w), "annotations": template_annotations(),
            "ownerReferences": owner("ReplicaSet", &rs, &rs_uid)
        },
        "spec": spec.clone()
    });
    merge(
        &mut spec,
        &json!({
            "nodeName": format!("fake-node-{}", seq % NODES),
            "serviceAccountName": "default",
            "serviceAccount": "default",
            "priority": 0,
            "enableServiceLinks": true,
            "preemptionPolicy": "PreemptLowerPriority"
        }),
    );

    let statuses: Vec<Value> = spec["containers"]
        .as_array()
        .into_iter()
        .flatten()
        .enumerate()
        .map(|(i, c)| {
            let cname = c["name"].as_str().unwrap_or_default();
            // Only the app container crash-loops; the sidecar keeps running.
            let down = state.waiting.filter(|_| i == 0);
            let mut s = json!({
                "name": cname,
                "image": c["image"],
                "imageID": format!("docker-pullable://{}", c["image"].as_str().unwrap_or_default()),
                "containerID": format!("containerd://{}{i}", pod_uid.replace('-', "")),
                "restartCount": if i == 0 { state.restarts } else { 0 },
                "ready": down.is_none(),
                "started": down.is_none(),
                "state": match down {
                    Some(reason) => json!({ "waiting": { "reason": reason,
                        "message": format!("back-off 10s restarting failed container={cname} pod={name}") } }),
                    None => json!({ "running": { "startedAt": started } }),
                },
            });
            if i == 0 && state.restarts > 0 {
                s["lastState"] = json!({ "terminated": { "exitCode": 1, "reason": "Error",
                    "startedAt": started, "finishedAt": ts(now()) } });
            }
            s
        })
        .collect();
    let status = json!({
        "phase": "Running",
        "conditions": [
            condition("Initialized", "True", None),
            condition("Ready", ready_text, not_ready),
            condition("ContainersReady", ready_text, not_ready),
            condition("PodScheduled", "True", None)
        ],
        "hostIP": "127.0.0.1",
        "podIP": ip,
        "podIPs": [{ "ip": ip }],
        "startTime": started,
        "containerStatuses": statuses,
        "qosClass": "Burstable"
    });

    let mut labels = pod_labels(w);
    if let Some(n) = state.churn_label {
        labels["ripcord.dev/churn"] = json!(n.to_string());
    }
    let mut annotations = template_annotations();
    if let Some(n) = state.churn_annotation {
        annotations["bench.ripcord.dev/churn"] = json!(n.to_string());
    }
    let mut fields = vec![
        managed(
            "kube-controller-manager",
            "Update",
            &created,
            None,
            controller_fields,
        ),
        managed(
            KUBELET_MANAGER,
            "Update",
            &started,
            Some("status"),
            json!({ "status": status }),
        ),
    ];
    if state.churn_annotation.is_some() || state.churn_label.is_some() {
        fields.push(managed(
            "ripbench",
            "Update",
            &ts(now()),
            None,
            json!({ "metadata": { "annotations": {}, "labels": {} } }),
        ));
    }
    json!({
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": name,
            "generateName": format!("{rs}-"),
            "namespace": w.namespace,
            "uid": pod_uid,
            "resourceVersion": (seq % 1_000_000 + state.updates as u64).to_string(),
            "creationTimestamp": created,
            "labels": labels,
            "annotations": annotations,
            "ownerReferences": owner("ReplicaSet", &rs, &rs_uid),
            "managedFields": fields
        },
        "spec": spec,
        "status": status
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    /// Small enough for debug builds, with every kind of release in it.
    fn small() -> ScaleSpec {
        ScaleSpec {
            namespaces: 2,
            deployments_per_namespace: 6,
            replicas: 3,
            canary_pairs_per_namespace: 1,
        }
    }

    #[test]
    fn every_object_parses_into_a_full_row() {
        let objects = objects(&small());
        assert_eq!(objects.len(), 2 * 6 * (2 + 3));
        for v in &objects {
            let object = object_from_json(v).unwrap_or_else(|e| panic!("{e}: {v}"));
            let meta = object.meta();
            assert!(meta.created.is_some(), "{}", meta.name);
            match object {
                Object::Pod(p) => {
                    assert_eq!(p.status, "Running");
                    assert!(p.ready);
                    assert_eq!(p.template_hash.len(), 10);
                    assert_eq!(
                        p.meta.owner.as_ref().map(|o| o.0.as_str()),
                        Some("ReplicaSet")
                    );
                }
                Object::ReplicaSet(rs) => {
                    assert_eq!(rs.revision, 1);
                    assert_eq!(rs.ready, rs.replicas);
                    assert_eq!(
                        rs.meta.owner.as_ref().map(|o| o.0.as_str()),
                        Some("Deployment")
                    );
                }
                Object::Deployment(d) => assert_eq!(d.available, d.replicas),
                other => panic!("unexpected {:?}", other.kind()),
            }
        }
    }

    #[test]
    fn pods_carry_a_realistic_managed_fields_block() {
        let pod = objects(&ScaleSpec {
            namespaces: 1,
            deployments_per_namespace: 1,
            replicas: 1,
            canary_pairs_per_namespace: 0,
        })
        .pop()
        .expect("a pod");
        let size = serde_json::to_string(&pod).expect("json").len();
        let managed = serde_json::to_string(&pod["metadata"]["managedFields"])
            .expect("json")
            .len();
        assert!((4_000..12_000).contains(&size), "pod is {size} bytes");
        assert!(managed > 2_000, "managedFields is {managed} bytes");
    }

    #[test]
    fn deterministic() {
        let spec = small();
        assert_eq!(objects(&spec), objects(&spec));
        assert_eq!(churn(&spec, 200, 9), churn(&spec, 200, 9));
        assert_ne!(churn(&spec, 200, 9), churn(&spec, 200, 10));
    }

    #[test]
    fn resets_hold_one_list_per_kind() {
        let lens: Vec<(ObjectKind, usize)> = resets(&small())
            .into_iter()
            .filter_map(|c| match c {
                Change::Reset { kind, objects, .. } => Some((kind, objects.len())),
                _ => None,
            })
            .collect();
        assert_eq!(
            lens,
            [
                (ObjectKind::Deployment, 12),
                (ObjectKind::ReplicaSet, 12),
                (ObjectKind::Pod, 36)
            ]
        );
    }

    #[test]
    fn churn_updates_existing_pods() {
        let spec = small();
        let known: HashSet<_> = changes(&spec)
            .iter()
            .filter_map(|c| match c {
                Change::Applied(o @ Object::Pod(_)) => Some(o.object_ref()),
                _ => None,
            })
            .collect();
        let updates = churn(&spec, 500, 1);
        assert_eq!(updates.len(), 500);
        let mut crashing = 0;
        for c in &updates {
            let Change::Applied(Object::Pod(p)) = c else {
                panic!("churn made {c:?}");
            };
            assert!(known.contains(&Object::Pod(p.clone()).object_ref()));
            crashing += usize::from(p.status == "CrashLoopBackOff");
        }
        assert!(crashing > 0 && crashing < 500, "{crashing} crash loops");
    }

    #[test]
    fn pairs_split_their_pods_90_10() {
        let gens = generators(&ScaleSpec::testbed());
        let pairs: Vec<_> = gens
            .iter()
            .filter_map(|g| match g {
                Generator::CanaryPair { stable, canary } => Some((stable, canary)),
                Generator::Deployment(_) => None,
            })
            .collect();
        assert_eq!(pairs.len(), 100);
        for (stable, canary) in pairs {
            assert_eq!((stable.replicas, canary.replicas), (18, 2));
            assert_eq!(canary.canary_of.as_deref(), Some(stable.name.as_str()));
            assert_eq!(canary.name, format!("{}-canary", stable.name));
        }
    }

    #[test]
    fn unready_one_degrades_one_release() {
        let changes = unready_one(&ScaleSpec::testbed(), "rc-scale-03", "auth-31");
        assert_eq!(changes.len(), 3);
        let Change::Applied(Object::Deployment(d)) = &changes[2] else {
            panic!("{changes:?}");
        };
        assert_eq!((d.meta.namespace.as_str(), d.ready), ("rc-scale-03", 9));
        assert!(unready_one(&ScaleSpec::testbed(), "rc-scale-03", "nope").is_empty());
    }
}
