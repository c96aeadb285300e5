//! Synthetic clusters at the testbed's scale, for benches and scale tests.
//!
//! The objects look like what the testbed's API server hands out at 20 namespaces × 50
//! Deployments × 10 replicas: Deployments with their ReplicaSet, and pods with the labels,
//! owner references, conditions, container statuses and managedFields that the controllers
//! and the fake kubelet write, so that parsing costs what it costs against a real cluster.
//! Everything is a pure function of the spec (and of the seed, for churn): no clock, no RNG
//! state shared between calls.

use super::{ts, Rng, Time};
use crate::model::objects::{object_from_json, Change, Object, ObjectKind, CANARY_OF_LABEL};
use chrono::{DateTime, Duration};
use serde_json::{json, Value};
use std::collections::HashMap;

/// The kube context the synthetic objects are fed under.
pub const CONTEXT: &str = "scale";
/// Service names; a namespace's Deployments cycle through them with a numeric suffix.
const SERVICES: &[&str] = &[
    "api-gateway",
    "checkout",
    "cart",
    "catalog",
    "search",
    "payments",
    "auth",
    "inventory",
    "shipping",
    "notifications",
    "recommendations",
    "billing",
];
/// Fake nodes pods are bound to, as the testbed's fake kubelet registers them.
const NODES: usize = 3;

/// How big a synthetic cluster is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ScaleSpec {
    pub namespaces: usize,
    /// Deployments per namespace, canaries included.
    pub deployments_per_namespace: usize,
    /// Replicas of every Deployment, canaries included, so pod counts stay exact.
    pub replicas: i32,
    /// Stable/canary pairs per namespace; each pair takes two of the namespace's Deployments.
    pub canary_pairs_per_namespace: usize,
}

impl ScaleSpec {
    /// The testbed's scale run: 20 × 50 × 10 = 10,000 pods, with two canary pairs per namespace.
    pub fn testbed() -> Self {
        ScaleSpec {
            namespaces: 20,
            deployments_per_namespace: 50,
            replicas: 10,
            canary_pairs_per_namespace: 2,
        }
    }

    pub fn deployments(&self) -> usize {
        self.namespaces * self.deployments_per_namespace
    }

    pub fn pods(&self) -> usize {
        self.deployments() * self.replicas.max(0) as usize
    }

    fn pairs_per_namespace(&self) -> usize {
        self.canary_pairs_per_namespace
            .min(self.deployments_per_namespace / 2)
    }

    /// Releases the console should derive: a pair counts once.
    pub fn releases(&self) -> usize {
        self.namespaces * (self.deployments_per_namespace - self.pairs_per_namespace())
    }
}

/// The virtual "now" the fixture is built at; ages are measured from it.
pub fn now() -> Time {
    DateTime::from_timestamp(1_748_854_800, 0).unwrap_or_default() // 2025-06-02T09:00:00Z
}

/// One Deployment of the fixture, with everything its objects are built from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Workload {
    pub namespace: String,
    pub name: String,
    pub image: String,
    pub canary_of: Option<String>,
    pub replicas: i32,
    pub created: Time,
    /// The pod-template-hash of its only ReplicaSet.
    pub hash: String,
}

/// One kind of synthetic release and the objects it is made of. More kinds (Argo Rollouts,
/// Flagger Canaries, flag sets) become variants here, with their counts in `ScaleSpec`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Generator {
    /// A Deployment rolled out at revision 1: one ReplicaSet, every pod ready.
    Deployment(Workload),
    /// A stable Deployment and a `-canary` Deployment on a newer image, tied by the
    /// canary-of label.
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

/// FNV-1a: names and hashes must not depend on generation order, so churn can rebuild any
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

fn workload(
    spec: &ScaleSpec,
    ns: usize,
    index: usize,
    name: String,
    canary_of: Option<String>,
) -> Workload {
    let namespace = format!("team-{ns:02}");
    let service = SERVICES[index % SERVICES.len()];
    let patch = if canary_of.is_some() { 1 } else { 0 };
    let image = format!(
        "registry.example.com/{namespace}/{service}:1.{}.{patch}",
        index % 7
    );
    // Spread creation over the past days so the age sort has something to sort.
    let created = now() - Duration::minutes(((ns * 977 + index * 131) % 10_000) as i64 + 5);
    let hash = token(fnv(&[&namespace, &name, &image]), 10);
    Workload {
        namespace,
        name,
        image,
        canary_of,
        replicas: spec.replicas,
        created,
        hash,
    }
}

/// Every release of the fixture, namespace by namespace.
pub fn generators(spec: &ScaleSpec) -> Vec<Generator> {
    let pairs = spec.pairs_per_namespace();
    let mut out = Vec::new();
    for ns in 0..spec.namespaces {
        let name = |i: usize| format!("{}-{i:02}", SERVICES[i % SERVICES.len()]);
        for p in 0..pairs {
            let stable_name = name(p);
            out.push(Generator::CanaryPair {
                stable: workload(spec, ns, p, stable_name.clone(), None),
                canary: workload(
                    spec,
                    ns,
                    p,
                    format!("{stable_name}-canary"),
                    Some(stable_name),
                ),
            });
        }
        for i in 2 * pairs..spec.deployments_per_namespace {
            out.push(Generator::Deployment(workload(spec, ns, i, name(i), None)));
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
    /// A label some controller or person keeps rewriting.
    churn_label: Option<u32>,
    /// Updates so far; feeds resourceVersion.
    updates: u32,
}

/// The kinds of pod update churn produces, in proportions like a busy cluster's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum PodUpdate {
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
            0..=3 => PodUpdate::Restart,
            4..=5 => PodUpdate::CrashLoop,
            _ => PodUpdate::Relabel,
        }
    }

    fn apply(self, pod: &mut PodState, n: u32) {
        match self {
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

/// `n` pod updates (restarts, crash loops, recoveries, label changes) spread over the
/// fixture's pods, as a watcher sees them on a busy cluster. The same seed gives the same
/// updates; a pod updated twice carries both updates.
pub fn churn(spec: &ScaleSpec, n: usize, seed: u64) -> Vec<Change> {
    let gens = generators(spec);
    let workloads: Vec<&Workload> = gens.iter().flat_map(Generator::workloads).collect();
    let mut rng = Rng::new(seed);
    let mut pods: HashMap<(usize, usize), PodState> = HashMap::new();
    let mut out = Vec::with_capacity(n);
    if workloads.is_empty() || spec.replicas <= 0 {
        return out;
    }
    for i in 0..n {
        let w = (rng.next_u64() % workloads.len() as u64) as usize;
        let replica = (rng.next_u64() % spec.replicas as u64) as usize;
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

/// One pod of the `index`th Deployment of namespace `ns` goes into CrashLoopBackOff, with the
/// status updates the controllers then write to its ReplicaSet and Deployment: a change that
/// alters one row of the queue.
pub fn unready_one(spec: &ScaleSpec, ns: usize, index: usize) -> Vec<Change> {
    let gens = generators(spec);
    let Some(w) = gens
        .iter()
        .flat_map(Generator::workloads)
        .filter(|w| w.namespace == format!("team-{ns:02}"))
        .nth(index)
    else {
        return Vec::new();
    };
    let pod = PodState {
        waiting: Some("CrashLoopBackOff"),
        restarts: 1,
        churn_label: None,
        updates: 1,
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

fn labels(w: &Workload) -> Value {
    json!({
        "app": w.name,
        "app.kubernetes.io/name": w.name,
        "app.kubernetes.io/part-of": w.namespace,
    })
}

/// The pod template of the testbed's `web_deployment`: probes, resources, env.
fn template_spec(w: &Workload) -> Value {
    json!({
        "terminationGracePeriodSeconds": 20,
        "containers": [{
            "name": "app",
            "image": w.image,
            "ports": [
                { "name": "http", "containerPort": 8080, "protocol": "TCP" },
                { "name": "metrics", "containerPort": 9090, "protocol": "TCP" }
            ],
            "env": [
                { "name": "LOG_LEVEL", "value": "info" },
                { "name": "POD_NAME", "valueFrom": { "fieldRef": { "apiVersion": "v1", "fieldPath": "metadata.name" } } }
            ],
            "resources": {
                "requests": { "cpu": "100m", "memory": "128Mi" },
                "limits": { "memory": "256Mi" }
            },
            "readinessProbe": {
                "httpGet": { "path": "/healthz", "port": "http", "scheme": "HTTP" },
                "periodSeconds": 5, "timeoutSeconds": 1, "successThreshold": 1, "failureThreshold": 3
            },
            "livenessProbe": {
                "httpGet": { "path": "/healthz", "port": "http", "scheme": "HTTP" },
                "initialDelaySeconds": 10, "periodSeconds": 10, "timeoutSeconds": 1,
                "successThreshold": 1, "failureThreshold": 3
            },
            "terminationMessagePath": "/dev/termination-log",
            "terminationMessagePolicy": "File",
            "imagePullPolicy": "IfNotPresent"
        }],
        "restartPolicy": "Always",
        "dnsPolicy": "ClusterFirst",
        "schedulerName": "default-scheduler",
        "securityContext": {}
    })
}

fn deployment_json(w: &Workload, ready: i32) -> Value {
    let mut labels = labels(w);
    if let Some(stable) = &w.canary_of {
        labels[CANARY_OF_LABEL] = json!(stable);
    }
    let settled = ready == w.replicas;
    let progressing = if settled {
        json!({ "type": "Progressing", "status": "True", "reason": "NewReplicaSetAvailable",
                "message": format!("ReplicaSet \"{}-{}\" has successfully progressed.", w.name, w.hash),
                "lastUpdateTime": ts(w.created), "lastTransitionTime": ts(w.created) })
    } else {
        json!({ "type": "Progressing", "status": "True", "reason": "ReplicaSetUpdated",
                "message": format!("ReplicaSet \"{}-{}\" is progressing.", w.name, w.hash),
                "lastUpdateTime": ts(now()), "lastTransitionTime": ts(w.created) })
    };
    json!({
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {
            "name": w.name,
            "namespace": w.namespace,
            "uid": uid(&[&w.namespace, &w.name]),
            "resourceVersion": (fnv(&[&w.name, "rv"]) % 1_000_000).to_string(),
            "generation": 1,
            "creationTimestamp": ts(w.created),
            "labels": labels,
            "annotations": {
                "deployment.kubernetes.io/revision": "1",
                "kubernetes.io/change-cause": format!("deploy {}", w.image)
            }
        },
        "spec": {
            "replicas": w.replicas,
            "revisionHistoryLimit": 5,
            "progressDeadlineSeconds": 600,
            "selector": { "matchLabels": { "app": w.name } },
            "strategy": { "type": "RollingUpdate", "rollingUpdate": { "maxSurge": 1, "maxUnavailable": 0 } },
            "template": {
                "metadata": { "labels": labels, "annotations": { "prometheus.io/scrape": "true", "prometheus.io/port": "9090" } },
                "spec": template_spec(w)
            }
        },
        "status": {
            "observedGeneration": 1,
            "replicas": w.replicas,
            "updatedReplicas": w.replicas,
            "readyReplicas": ready,
            "availableReplicas": ready,
            "unavailableReplicas": if settled { Value::Null } else { json!(w.replicas - ready) },
            "conditions": [
                { "type": "Available", "status": if settled { "True" } else { "False" },
                  "reason": if settled { "MinimumReplicasAvailable" } else { "MinimumReplicasUnavailable" },
                  "message": "Deployment has minimum availability.",
                  "lastUpdateTime": ts(w.created), "lastTransitionTime": ts(w.created) },
                progressing
            ]
        }
    })
}

fn rs_name(w: &Workload) -> String {
    format!("{}-{}", w.name, w.hash)
}

fn replicaset_json(w: &Workload, ready: i32) -> Value {
    let name = rs_name(w);
    let mut labels = labels(w);
    labels["pod-template-hash"] = json!(w.hash);
    json!({
        "apiVersion": "apps/v1",
        "kind": "ReplicaSet",
        "metadata": {
            "name": name,
            "namespace": w.namespace,
            "uid": uid(&[&w.namespace, &name]),
            "resourceVersion": (fnv(&[&name, "rv"]) % 1_000_000).to_string(),
            "generation": 1,
            "creationTimestamp": ts(w.created),
            "labels": labels,
            "annotations": {
                "deployment.kubernetes.io/desired-replicas": w.replicas.to_string(),
                "deployment.kubernetes.io/max-replicas": (w.replicas + 1).to_string(),
                "deployment.kubernetes.io/revision": "1"
            },
            "ownerReferences": [{
                "apiVersion": "apps/v1", "kind": "Deployment", "name": w.name,
                "uid": uid(&[&w.namespace, &w.name]), "controller": true, "blockOwnerDeletion": true
            }]
        },
        "spec": {
            "replicas": w.replicas,
            "selector": { "matchLabels": { "app": w.name, "pod-template-hash": w.hash } },
            "template": {
                "metadata": { "labels": labels, "annotations": { "prometheus.io/scrape": "true", "prometheus.io/port": "9090" } },
                "spec": template_spec(w)
            }
        },
        "status": {
            "replicas": w.replicas,
            "fullyLabeledReplicas": w.replicas,
            "readyReplicas": ready,
            "availableReplicas": ready,
            "observedGeneration": 1
        }
    })
}

/// What the API server keeps in metadata.managedFields for a pod created by the replicaset
/// controller and run by a kubelet: a few kilobytes per pod that every watch event carries.
fn managed_fields(rs_uid: &str, ip: &str, created: &str, started: &str) -> Value {
    let owner = format!("k:{{\"uid\":\"{rs_uid}\"}}");
    let pod_ip = format!("k:{{\"ip\":\"{ip}\"}}");
    let condition = || json!({ ".": {}, "f:lastProbeTime": {}, "f:lastTransitionTime": {}, "f:status": {}, "f:type": {} });
    let probe = || {
        json!({
            ".": {}, "f:failureThreshold": {}, "f:periodSeconds": {}, "f:successThreshold": {},
            "f:timeoutSeconds": {}, "f:initialDelaySeconds": {},
            "f:httpGet": { ".": {}, "f:path": {}, "f:port": {}, "f:scheme": {} }
        })
    };
    let port = || json!({ ".": {}, "f:containerPort": {}, "f:name": {}, "f:protocol": {} });
    json!([
        {
            "manager": "kube-controller-manager",
            "operation": "Update",
            "apiVersion": "v1",
            "time": created,
            "fieldsType": "FieldsV1",
            "fieldsV1": {
                "f:metadata": {
                    "f:annotations": { ".": {}, "f:prometheus.io/port": {}, "f:prometheus.io/scrape": {} },
                    "f:generateName": {},
                    "f:labels": { ".": {}, "f:app": {}, "f:app.kubernetes.io/name": {},
                                  "f:app.kubernetes.io/part-of": {}, "f:pod-template-hash": {} },
                    "f:ownerReferences": { ".": {}, owner: {} }
                },
                "f:spec": {
                    "f:containers": {
                        "k:{\"name\":\"app\"}": {
                            ".": {},
                            "f:env": {
                                ".": {},
                                "k:{\"name\":\"LOG_LEVEL\"}": { ".": {}, "f:name": {}, "f:value": {} },
                                "k:{\"name\":\"POD_NAME\"}": { ".": {}, "f:name": {},
                                    "f:valueFrom": { ".": {}, "f:fieldRef": {} } }
                            },
                            "f:image": {},
                            "f:imagePullPolicy": {},
                            "f:livenessProbe": probe(),
                            "f:name": {},
                            "f:ports": {
                                ".": {},
                                "k:{\"containerPort\":8080,\"protocol\":\"TCP\"}": port(),
                                "k:{\"containerPort\":9090,\"protocol\":\"TCP\"}": port()
                            },
                            "f:readinessProbe": probe(),
                            "f:resources": { ".": {}, "f:limits": { ".": {}, "f:memory": {} },
                                             "f:requests": { ".": {}, "f:cpu": {}, "f:memory": {} } },
                            "f:terminationMessagePath": {},
                            "f:terminationMessagePolicy": {}
                        }
                    },
                    "f:dnsPolicy": {},
                    "f:enableServiceLinks": {},
                    "f:restartPolicy": {},
                    "f:schedulerName": {},
                    "f:securityContext": {},
                    "f:terminationGracePeriodSeconds": {}
                }
            }
        },
        {
            "manager": "fake-kubelet",
            "operation": "Update",
            "apiVersion": "v1",
            "time": started,
            "fieldsType": "FieldsV1",
            "subresource": "status",
            "fieldsV1": {
                "f:status": {
                    "f:conditions": {
                        "k:{\"type\":\"ContainersReady\"}": condition(),
                        "k:{\"type\":\"Initialized\"}": condition(),
                        "k:{\"type\":\"Ready\"}": condition()
                    },
                    "f:containerStatuses": {},
                    "f:hostIP": {},
                    "f:phase": {},
                    "f:podIP": {},
                    "f:podIPs": { ".": {}, pod_ip: { ".": {}, "f:ip": {} } },
                    "f:startTime": {}
                }
            }
        }
    ])
}

/// A pod of `w`, as the fake kubelet leaves it after `state`'s updates.
fn pod_json(w: &Workload, replica: usize, state: &PodState) -> Value {
    let rs = rs_name(w);
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
    let not_ready_why = (!ready).then_some((
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
    let mut container = json!({
        "name": "app",
        "image": w.image,
        "imageID": format!("docker-pullable://{}", w.image),
        "containerID": format!("containerd://{}0", pod_uid.replace('-', "")),
        "restartCount": state.restarts,
        "ready": ready,
        "started": ready,
        "state": match state.waiting {
            Some(reason) => json!({ "waiting": { "reason": reason,
                "message": format!("back-off 10s restarting failed container=app pod={name}") } }),
            None => json!({ "running": { "startedAt": started } }),
        },
    });
    if state.restarts > 0 {
        container["lastState"] = json!({ "terminated": { "exitCode": 1, "reason": "Error",
            "startedAt": started, "finishedAt": ts(now()) } });
    }
    let mut labels = labels(w);
    labels["pod-template-hash"] = json!(w.hash);
    if let Some(n) = state.churn_label {
        labels["ripcord.dev/churn"] = json!(n.to_string());
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
            "annotations": { "prometheus.io/scrape": "true", "prometheus.io/port": "9090" },
            "ownerReferences": [{
                "apiVersion": "apps/v1", "kind": "ReplicaSet", "name": rs, "uid": rs_uid,
                "controller": true, "blockOwnerDeletion": true
            }],
            "managedFields": managed_fields(&rs_uid, &ip, &created, &started)
        },
        "spec": {
            "volumes": [{
                "name": format!("kube-api-access-{}", token(seq, 5)),
                "projected": {
                    "sources": [
                        { "serviceAccountToken": { "expirationSeconds": 3607, "path": "token" } },
                        { "configMap": { "name": "kube-root-ca.crt", "items": [{ "key": "ca.crt", "path": "ca.crt" }] } },
                        { "downwardAPI": { "items": [{ "path": "namespace",
                            "fieldRef": { "apiVersion": "v1", "fieldPath": "metadata.namespace" } }] } }
                    ],
                    "defaultMode": 420
                }
            }],
            "containers": template_spec(w)["containers"].clone(),
            "restartPolicy": "Always",
            "terminationGracePeriodSeconds": 20,
            "dnsPolicy": "ClusterFirst",
            "serviceAccountName": "default",
            "serviceAccount": "default",
            "nodeName": format!("fake-node-{}", replica % NODES),
            "securityContext": {},
            "schedulerName": "default-scheduler",
            "tolerations": [
                { "key": "node.kubernetes.io/not-ready", "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 300 },
                { "key": "node.kubernetes.io/unreachable", "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 300 }
            ],
            "priority": 0,
            "enableServiceLinks": true,
            "preemptionPolicy": "PreemptLowerPriority"
        },
        "status": {
            "phase": "Running",
            "conditions": [
                condition("Initialized", "True", None),
                condition("Ready", ready_text, not_ready_why),
                condition("ContainersReady", ready_text, not_ready_why),
                condition("PodScheduled", "True", None)
            ],
            "hostIP": "127.0.0.1",
            "podIP": ip,
            "podIPs": [{ "ip": ip }],
            "startTime": started,
            "containerStatuses": [container],
            "qosClass": "Burstable"
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::objects::Object;
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

    // The one test that parses the whole testbed-sized fixture: counts, parsing, unique names.
    #[test]
    fn testbed_fixture_has_10k_pods_that_all_parse() {
        let spec = ScaleSpec::testbed();
        assert_eq!(spec.pods(), 10_000);
        assert_eq!(spec.deployments(), 1_000);
        assert_eq!(spec.releases(), 960);
        let mut kinds: HashMap<ObjectKind, usize> = HashMap::new();
        let mut refs = HashSet::new();
        let mut canaries = 0;
        for change in changes(&spec) {
            let Change::Applied(object) = change else {
                panic!("{change:?}");
            };
            *kinds.entry(object.kind()).or_default() += 1;
            if let Object::Deployment(d) = &object {
                canaries += usize::from(d.canary_of.is_some());
            }
            assert!(refs.insert(object.object_ref()), "{}", object.object_ref());
        }
        assert_eq!(kinds[&ObjectKind::Pod], 10_000);
        assert_eq!(kinds[&ObjectKind::Deployment], 1_000);
        assert_eq!(kinds[&ObjectKind::ReplicaSet], 1_000);
        assert_eq!(kinds.len(), 3);
        assert_eq!(canaries, 40);
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
                    assert_eq!(rs.ready, 3);
                    assert_eq!(
                        rs.meta.owner.as_ref().map(|o| o.0.as_str()),
                        Some("Deployment")
                    );
                }
                Object::Deployment(d) => assert_eq!(d.available, 3),
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
    fn unready_one_degrades_one_release() {
        let changes = unready_one(&ScaleSpec::testbed(), 3, 10);
        assert_eq!(changes.len(), 3);
        let Change::Applied(Object::Deployment(d)) = &changes[2] else {
            panic!("{changes:?}");
        };
        assert_eq!((d.meta.namespace.as_str(), d.ready), ("team-03", 9));
    }
}
