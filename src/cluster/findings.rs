//! The security checks' cluster edge: which kinds they read, listing them once for
//! `ripcord check`, and watching them for the console, where a change re-checks only the
//! namespace it happened in (every namespace for a cluster-scoped RBAC object).

use super::connect::Cluster;
use super::watch::Scope;
use crate::checks::inventory::{group_of, Key};
use crate::checks::releases::split_namespace;
use crate::checks::{Inventory, Settings};
use crate::model::{ChecksStatus, Finding, Findings, ReleaseKey};
use futures::StreamExt;
use kube::api::{Api, ApiResource, DynamicObject, GroupVersionKind};
use kube::runtime::watcher::{self, Event};
use kube::runtime::WatchStreamExt;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;
use tokio::sync::mpsc;

/// A kind the checks read.
#[derive(Debug, Clone)]
pub struct CheckedKind {
    pub gvk: GroupVersionKind,
    pub namespaced: bool,
    /// Without it there is nothing to check: a refusal ends the check.
    pub required: bool,
    /// The CRD that serves it, for kinds that are not built in.
    pub crd: Option<&'static str>,
    /// The console watches it too: its findings can reach a release.
    pub console: bool,
}

fn kind(group: &str, version: &str, kind: &str, namespaced: bool, console: bool) -> CheckedKind {
    CheckedKind {
        gvk: GroupVersionKind::gvk(group, version, kind),
        namespaced,
        required: false,
        crd: None,
        console,
    }
}

fn custom(k: CheckedKind, crd: &'static str) -> CheckedKind {
    CheckedKind {
        crd: Some(crd),
        ..k
    }
}

/// Every kind the checks read, built-in first.
pub fn checked_kinds() -> Vec<CheckedKind> {
    let rbac = "rbac.authorization.k8s.io";
    vec![
        CheckedKind {
            required: true,
            ..kind("apps", "v1", "Deployment", true, true)
        },
        kind("apps", "v1", "StatefulSet", true, false),
        kind("apps", "v1", "DaemonSet", true, false),
        kind("apps", "v1", "ReplicaSet", true, true),
        kind("batch", "v1", "Job", true, false),
        kind("batch", "v1", "CronJob", true, false),
        kind("", "v1", "Pod", true, false),
        kind("", "v1", "Secret", true, true),
        kind("", "v1", "ConfigMap", true, false),
        kind("", "v1", "ServiceAccount", true, true),
        kind(rbac, "v1", "Role", true, true),
        kind(rbac, "v1", "RoleBinding", true, true),
        kind(rbac, "v1", "ClusterRole", false, true),
        kind(rbac, "v1", "ClusterRoleBinding", false, true),
        custom(
            kind("argoproj.io", "v1alpha1", "Rollout", true, true),
            "rollouts.argoproj.io",
        ),
        custom(
            kind("flagger.app", "v1beta1", "Canary", true, true),
            "canaries.flagger.app",
        ),
        custom(
            kind("kyverno.io", "v1", "ClusterPolicy", false, true),
            "clusterpolicies.kyverno.io",
        ),
        custom(
            kind("kyverno.io", "v1", "Policy", true, true),
            "policies.kyverno.io",
        ),
        custom(
            kind(
                "policy.sigstore.dev",
                "v1beta1",
                "ClusterImagePolicy",
                false,
                true,
            ),
            "clusterimagepolicies.policy.sigstore.dev",
        ),
        custom(
            kind(
                "policy.sigstore.dev",
                "v1alpha1",
                "ClusterImagePolicy",
                false,
                true,
            ),
            "clusterimagepolicies.policy.sigstore.dev",
        ),
        custom(
            kind(
                "aquasecurity.github.io",
                "v1alpha1",
                "VulnerabilityReport",
                true,
                true,
            ),
            "vulnerabilityreports.aquasecurity.github.io",
        ),
    ]
}

/// The kinds this cluster serves, with their API; the CRDs found are told to `inv`.
pub async fn discover(
    client: &kube::Client,
    kinds: Vec<CheckedKind>,
    inv: &mut Inventory,
) -> Vec<(ApiResource, CheckedKind)> {
    let mut out = Vec::new();
    let mut found = BTreeSet::new();
    for k in kinds {
        let Some(crd) = k.crd else {
            out.push((ApiResource::from_gvk(&k.gvk), k));
            continue;
        };
        if found.contains(crd) {
            continue;
        }
        if let Ok((resource, _)) = kube::discovery::pinned_kind(client, &k.gvk).await {
            inv.add_crd(crd);
            found.insert(crd);
            out.push((resource, k));
        }
    }
    out
}

/// An object from a LIST or WATCH as the checks read it: its type set (list items come
/// without it), and what no check reads dropped.
pub fn to_value(item: &DynamicObject, resource: &ApiResource) -> Option<Value> {
    let mut value = serde_json::to_value(item).ok()?;
    value["apiVersion"] = Value::String(resource.api_version.clone());
    value["kind"] = Value::String(resource.kind.clone());
    if let Some(meta) = value.get_mut("metadata").and_then(Value::as_object_mut) {
        meta.remove("managedFields");
    }
    // Only a Rollout's status says which side is stable.
    if resource.kind != "Rollout" {
        if let Some(map) = value.as_object_mut() {
            map.remove("status");
        }
    }
    Some(value)
}

/// What a watch saw.
enum Change {
    Apply(Value),
    Delete(Value),
    /// A (re)list: every object of `kind` in `namespace` (or everywhere), replacing those known.
    Relist {
        /// Which watch listed it.
        watch: usize,
        group: String,
        kind: String,
        namespace: Option<String>,
        items: Vec<Value>,
    },
    /// The kind may not be listed: its checks cannot run.
    Denied {
        watch: usize,
        kind: String,
    },
}

/// How long changes are gathered before a re-check: a burst costs one re-check, and the
/// badge still follows within a second.
const GATHER: Duration = Duration::from_millis(150);

/// What the console is told as the checks run.
#[derive(Debug, Clone, PartialEq)]
pub enum Report {
    /// A release's findings changed (empty when it has none left).
    Release(ReleaseKey, Findings),
    /// The findings on objects of a namespace no release claims changed; namespace ""
    /// holds the cluster-scoped objects' (ClusterRoles, ClusterRoleBindings).
    Namespace {
        context: String,
        namespace: String,
        findings: Vec<Finding>,
    },
    /// How many of the watches have listed, and which kinds were refused.
    Status {
        context: String,
        status: ChecksStatus,
    },
}

/// Watches what the checks read in `scope` and sends each release's findings when they
/// change (empty findings when a release has none left).
pub async fn run(
    cluster: Cluster,
    scope: Scope,
    settings: Settings,
    out: mpsc::Sender<(ReleaseKey, Findings)>,
) {
    let (tx, mut rx) = mpsc::channel(64);
    let task = tokio::spawn(run_reporting(cluster, scope, settings, tx));
    while let Some(report) = rx.recv().await {
        if let Report::Release(key, findings) = report {
            if out.send((key, findings)).await.is_err() {
                break;
            }
        }
    }
    task.abort();
}

/// Like [`run`], and also the findings no release claims and how far the listing got.
pub async fn run_reporting(
    cluster: Cluster,
    scope: Scope,
    settings: Settings,
    out: mpsc::Sender<Report>,
) {
    let context = cluster.context.clone();
    let mut inv = Inventory::new();
    let kinds: Vec<CheckedKind> = checked_kinds().into_iter().filter(|k| k.console).collect();
    let kinds = discover(&cluster.client, kinds, &mut inv).await;
    inv.set_secrets_listed(true);
    let namespaces: Vec<Option<String>> = match &scope {
        Scope::AllNamespaces => vec![None],
        Scope::Namespaces(list) => list.iter().cloned().map(Some).collect(),
    };
    let (tx, mut rx) = mpsc::channel::<Change>(1024);
    let mut total = 0;
    for (resource, k) in kinds {
        let scopes: Vec<Option<String>> = if k.namespaced {
            namespaces.clone()
        } else {
            vec![None]
        };
        for ns in scopes {
            tokio::spawn(watch_kind(
                cluster.client.clone(),
                resource.clone(),
                ns,
                total,
                tx.clone(),
            ));
            total += 1;
        }
    }
    drop(tx);
    let mut status = ChecksStatus {
        listed: 0,
        total,
        denied: Vec::new(),
    };
    let report = Report::Status {
        context: context.clone(),
        status: status.clone(),
    };
    if out.send(report).await.is_err() {
        return;
    }
    let mut listed: BTreeSet<usize> = BTreeSet::new();
    let mut sent: BTreeMap<ReleaseKey, Findings> = BTreeMap::new();
    let mut sent_rest: BTreeMap<String, Vec<Finding>> = BTreeMap::new();
    while let Some(first) = rx.recv().await {
        let mut dirty = Dirty::default();
        apply(&mut inv, first, &mut dirty);
        let until = tokio::time::Instant::now() + GATHER;
        while let Ok(Some(change)) = tokio::time::timeout_at(until, rx.recv()).await {
            apply(&mut inv, change, &mut dirty);
        }
        let namespaces: BTreeSet<String> = if dirty.all {
            inv.namespaces()
                .into_iter()
                .chain(sent.keys().map(|k| k.namespace.clone()))
                .chain(sent_rest.keys().cloned())
                .chain(std::iter::once(String::new()))
                .collect()
        } else {
            dirty.namespaces
        };
        for ns in namespaces {
            let (now, rest) = split_namespace(&inv, &settings, &context, &ns);
            if sent_rest.get(&ns).map_or(!rest.is_empty(), |r| *r != rest) {
                let report = Report::Namespace {
                    context: context.clone(),
                    namespace: ns.clone(),
                    findings: rest.clone(),
                };
                if out.send(report).await.is_err() {
                    return;
                }
                sent_rest.insert(ns.clone(), rest);
            }
            let gone: Vec<ReleaseKey> = sent
                .keys()
                .filter(|k| k.namespace == ns && !now.contains_key(*k))
                .cloned()
                .collect();
            for key in gone {
                sent.remove(&key);
                if out
                    .send(Report::Release(key, Findings::default()))
                    .await
                    .is_err()
                {
                    return;
                }
            }
            for (key, findings) in now {
                if sent.get(&key) != Some(&findings) {
                    sent.insert(key.clone(), findings.clone());
                    if out.send(Report::Release(key, findings)).await.is_err() {
                        return;
                    }
                }
            }
        }
        // Told after the findings, so "listed" never comes before what was listed.
        listed.extend(dirty.listed);
        for kind in dirty.denied {
            if !status.denied.contains(&kind) {
                status.denied.push(kind);
            }
        }
        let now = ChecksStatus {
            listed: listed.len(),
            total,
            denied: status.denied.clone(),
        };
        if now != status {
            status = now;
            let report = Report::Status {
                context: context.clone(),
                status: status.clone(),
            };
            if out.send(report).await.is_err() {
                return;
            }
        }
    }
}

#[derive(Default)]
struct Dirty {
    all: bool,
    namespaces: BTreeSet<String>,
    /// Watches that listed (or were refused), and the kinds refused.
    listed: BTreeSet<usize>,
    denied: Vec<String>,
}

impl Dirty {
    fn mark(&mut self, namespace: &str) {
        if namespace.is_empty() {
            self.all = true;
        } else {
            self.namespaces.insert(namespace.to_owned());
        }
    }
}

fn apply(inv: &mut Inventory, change: Change, dirty: &mut Dirty) {
    match change {
        Change::Apply(v) => {
            if let Ok(key) = inv.upsert(v, None) {
                dirty.mark(&key.namespace);
            }
        }
        Change::Delete(v) => {
            if let Ok(key) = Inventory::key_of(&v) {
                inv.remove(&key);
                dirty.mark(&key.namespace);
            }
        }
        Change::Relist {
            watch,
            group,
            kind,
            namespace,
            items,
        } => {
            dirty.listed.insert(watch);
            let known: Vec<Key> = inv
                .keys_of(&group, &kind)
                .filter(|k| namespace.as_ref().is_none_or(|ns| &k.namespace == ns))
                .collect();
            for key in known {
                dirty.mark(&key.namespace);
                inv.remove(&key);
            }
            for v in items {
                if let Ok(key) = inv.upsert(v, None) {
                    dirty.mark(&key.namespace);
                }
            }
        }
        Change::Denied { watch, kind } => {
            dirty.listed.insert(watch);
            if !dirty.denied.contains(&kind) {
                dirty.denied.push(kind.clone());
            }
            if kind == "Secret" {
                inv.set_secrets_listed(false);
                dirty.all = true;
            }
        }
    }
}

async fn watch_kind(
    client: kube::Client,
    resource: ApiResource,
    namespace: Option<String>,
    watch: usize,
    tx: mpsc::Sender<Change>,
) {
    let api: Api<DynamicObject> = match &namespace {
        Some(ns) => Api::namespaced_with(client, ns, &resource),
        None => Api::all_with(client, &resource),
    };
    let config = watcher::Config::default().page_size(500);
    let mut stream = std::pin::pin!(watcher::watcher(api, config).default_backoff());
    let mut relist = Vec::new();
    let group = group_of(&resource.api_version).to_owned();
    while let Some(event) = stream.next().await {
        let change = match event {
            Ok(Event::Init) => {
                relist.clear();
                continue;
            }
            Ok(Event::InitApply(obj)) => {
                relist.extend(to_value(&obj, &resource));
                continue;
            }
            Ok(Event::InitDone) => Change::Relist {
                watch,
                group: group.clone(),
                kind: resource.kind.clone(),
                namespace: namespace.clone(),
                items: std::mem::take(&mut relist),
            },
            Ok(Event::Apply(obj)) => match to_value(&obj, &resource) {
                Some(v) => Change::Apply(v),
                None => continue,
            },
            Ok(Event::Delete(obj)) => match to_value(&obj, &resource) {
                Some(v) => Change::Delete(v),
                None => continue,
            },
            Err(
                watcher::Error::InitialListFailed(kube::Error::Api(s))
                | watcher::Error::WatchStartFailed(kube::Error::Api(s)),
            ) if s.is_forbidden() || s.code == 404 => {
                let _ = tx
                    .send(Change::Denied {
                        watch,
                        kind: resource.kind.clone(),
                    })
                    .await;
                return;
            }
            Err(_) => continue,
        };
        if tx.send(change).await.is_err() {
            return;
        }
    }
}
