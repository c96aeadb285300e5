//! The console's flag source over clusters: watches (never polling LISTs) of `FeatureFlag`s
//! and `FeatureFlagSource`s while their CRDs are installed, labelled ConfigMaps, and the
//! workloads whose pod templates link flags. Each object is cut down to its
//! [`Entry`] as it arrives; one task folds them in and tells each release's flags.

use super::cluster::{feature_flag_gvk, feature_flag_source_gvk, from_config_map, ConfigMapSource};
use super::live::{Annotated, Entry, Index, Input, News, ObjKey, SourceKind};
use super::FlagSet;
use crate::cluster::connect::Cluster;
use crate::cluster::watch::Scope;
use crate::model::objects::CANARY_OF_LABEL;
use futures::StreamExt;
use k8s_openapi::api::core::v1::ConfigMap;
use kube::api::{Api, ApiResource, DynamicObject, GroupVersionKind};
use kube::runtime::watcher::{self, Event};
use kube::runtime::WatchStreamExt;
use serde_json::Value;
use std::collections::BTreeMap;
use std::time::Duration;
use tokio::sync::mpsc;

/// How long changes are gathered before the flags are worked out again: a burst (a relist)
/// costs one pass, and a change still shows within a fraction of a second.
const GATHER: Duration = Duration::from_millis(100);
const DISCOVERY_TIMEOUT: Duration = Duration::from_secs(10);

/// The console's flag source: one task folding what every context and file reports.
#[derive(Clone)]
pub struct FlagSource {
    input: mpsc::Sender<Input>,
    configmaps: ConfigMapSource,
    every: Duration,
}

impl FlagSource {
    /// Starts the task that tells `out` each release's flags; `every` is how often a
    /// context looks for the OpenFeature CRDs appearing or going.
    pub fn start<M: From<News> + Send + 'static>(
        configmaps: ConfigMapSource,
        every: Duration,
        out: mpsc::Sender<M>,
    ) -> FlagSource {
        let (input, rx) = mpsc::channel(1024);
        tokio::spawn(fold(rx, out));
        FlagSource {
            input,
            configmaps,
            every,
        }
    }

    /// Where file watchers and other reporters send what they see.
    pub fn input(&self) -> mpsc::Sender<Input> {
        self.input.clone()
    }

    /// Watches what links flags to releases in `scope` of `cluster`.
    pub fn watch(&self, cluster: &Cluster, scope: &Scope) {
        let namespaces: Vec<Option<String>> = match scope {
            Scope::AllNamespaces => vec![None],
            Scope::Namespaces(list) => list.iter().cloned().map(Some).collect(),
        };
        let deployments = ApiResource::from_gvk_with_plural(
            &GroupVersionKind::gvk("apps", "v1", "Deployment"),
            "deployments",
        );
        let configmaps = ApiResource::from_gvk_with_plural(
            &GroupVersionKind::gvk("", "v1", "ConfigMap"),
            "configmaps",
        );
        for ns in &namespaces {
            let watched = Watched {
                context: cluster.context.clone(),
                client: cluster.client.clone(),
                namespace: ns.clone(),
                input: self.input.clone(),
            };
            tokio::spawn(
                watched
                    .clone()
                    .run(deployments.clone(), SourceKind::Deployment, None),
            );
            let data_key = self.configmaps.data_key.clone();
            tokio::spawn(watched.run(
                configmaps.clone(),
                SourceKind::ConfigMap,
                Some((self.configmaps.label.clone(), data_key)),
            ));
        }
        let optional = vec![
            (SourceKind::FeatureFlag, feature_flag_gvk()),
            (SourceKind::FeatureFlagSource, feature_flag_source_gvk()),
            (
                SourceKind::Rollout,
                GroupVersionKind::gvk("argoproj.io", "v1alpha1", "Rollout"),
            ),
            (
                SourceKind::Canary,
                GroupVersionKind::gvk("flagger.app", "v1beta1", "Canary"),
            ),
        ];
        tokio::spawn(discover(
            cluster.clone(),
            optional,
            namespaces,
            self.every,
            self.input.clone(),
        ));
    }
}

/// Folds inputs into the index, a gathered burst at a time, and sends the news.
async fn fold<M: From<News> + Send + 'static>(mut rx: mpsc::Receiver<Input>, out: mpsc::Sender<M>) {
    let mut index = Index::default();
    while let Some(first) = rx.recv().await {
        index.apply(first);
        let until = tokio::time::Instant::now() + GATHER;
        while let Ok(Some(input)) = tokio::time::timeout_at(until, rx.recv()).await {
            index.apply(input);
        }
        for news in index.news() {
            if out.send(news.into()).await.is_err() {
                return;
            }
        }
    }
}

/// One watch: a kind in a namespace (or everywhere) of one context.
#[derive(Clone)]
struct Watched {
    context: String,
    client: kube::Client,
    namespace: Option<String>,
    input: mpsc::Sender<Input>,
}

impl Watched {
    /// Runs until the console goes (or the task is aborted when the kind's CRD goes).
    /// `labelled` narrows ConfigMaps to a label selector and maybe one data key.
    async fn run(
        self,
        resource: ApiResource,
        kind: SourceKind,
        labelled: Option<(String, Option<String>)>,
    ) {
        let api: Api<DynamicObject> = match &self.namespace {
            Some(ns) => Api::namespaced_with(self.client.clone(), ns, &resource),
            None => Api::all_with(self.client.clone(), &resource),
        };
        let mut config = watcher::Config::default().page_size(500);
        let mut data_key = None;
        if let Some((label, key)) = labelled {
            config = config.labels(&label);
            data_key = key;
        }
        let mut stream = std::pin::pin!(watcher::watcher(api, config).default_backoff());
        let mut relist = Vec::new();
        let mut told_denied = false;
        let entry =
            |obj: &DynamicObject| (key_of(kind, obj), entry_of(kind, obj, data_key.as_deref()));
        while let Some(event) = stream.next().await {
            let input = match event {
                Ok(Event::Init) => {
                    relist.clear();
                    continue;
                }
                Ok(Event::InitApply(obj)) => {
                    relist.push(entry(&obj));
                    continue;
                }
                Ok(Event::InitDone) => Input::Reset {
                    context: self.context.clone(),
                    kind,
                    namespace: self.namespace.clone(),
                    entries: std::mem::take(&mut relist),
                },
                Ok(Event::Apply(obj)) => {
                    let (key, entry) = entry(&obj);
                    Input::Applied {
                        context: self.context.clone(),
                        key,
                        entry,
                    }
                }
                Ok(Event::Delete(obj)) => Input::Deleted {
                    context: self.context.clone(),
                    key: key_of(kind, &obj),
                },
                Err(
                    watcher::Error::InitialListFailed(kube::Error::Api(s))
                    | watcher::Error::WatchStartFailed(kube::Error::Api(s)),
                ) if s.is_forbidden() => {
                    // Said once; the backoff keeps trying, so granted rights are picked up.
                    if told_denied {
                        continue;
                    }
                    told_denied = true;
                    Input::Problem(format!(
                        "{}: flags: may not watch {}{}: {}",
                        self.context,
                        resource.plural,
                        self.namespace
                            .as_deref()
                            .map(|ns| format!(" in {ns}"))
                            .unwrap_or_default(),
                        s.message
                    ))
                }
                // Lost connections are the release watches' to report; this one retries.
                Err(_) => continue,
            };
            if self.input.send(input).await.is_err() {
                return;
            }
        }
    }
}

fn key_of(kind: SourceKind, obj: &DynamicObject) -> ObjKey {
    ObjKey {
        kind,
        namespace: obj.metadata.namespace.clone().unwrap_or_default(),
        name: obj.metadata.name.clone().unwrap_or_default(),
    }
}

fn template_annotations(spec: Option<&Value>) -> Annotated {
    let annotations: Option<BTreeMap<String, String>> = spec
        .and_then(|s| s.pointer("/template/metadata/annotations"))
        .and_then(|a| serde_json::from_value(a.clone()).ok());
    Annotated::from_annotations(annotations.as_ref())
}

/// What the flags need of an object of `kind`, and nothing more.
fn entry_of(kind: SourceKind, obj: &DynamicObject, data_key: Option<&str>) -> Entry {
    let spec = obj.data.get("spec");
    let text = |pointer: &str| {
        spec.and_then(|s| s.pointer(pointer))
            .and_then(Value::as_str)
            .map(str::to_string)
    };
    match kind {
        SourceKind::FeatureFlag => Entry::Sets(vec![super::cluster::from_feature_flag(obj)]),
        SourceKind::ConfigMap => {
            let map = ConfigMap {
                metadata: obj.metadata.clone(),
                data: obj
                    .data
                    .get("data")
                    .and_then(|d| serde_json::from_value(d.clone()).ok()),
                ..ConfigMap::default()
            };
            let sets: Vec<Result<FlagSet, _>> = from_config_map(&map, data_key);
            Entry::Sets(sets)
        }
        SourceKind::FeatureFlagSource => Entry::Source(super::cluster::sources_of(obj)),
        SourceKind::Deployment => Entry::Deployment {
            links: template_annotations(spec),
            canary_of: obj
                .metadata
                .labels
                .as_ref()
                .and_then(|l| l.get(CANARY_OF_LABEL))
                .cloned(),
        },
        SourceKind::Rollout => Entry::Rollout {
            links: template_annotations(spec),
            workload: text("/workloadRef/name"),
        },
        SourceKind::Canary => Entry::Canary {
            target: text("/targetRef/name").unwrap_or_default(),
        },
    }
}

/// Whether a discovery error says the kind is not served (as opposed to not answering).
fn not_served(e: &kube::Error) -> bool {
    match e {
        kube::Error::Api(s) => s.code == 404,
        kube::Error::Discovery(_) => true,
        _ => false,
    }
}

/// Keeps a watch per namespace of each optional kind while the API serves it: quiet
/// while its CRD is absent, started when it appears, stopped (its entries dropped) when it
/// goes.
async fn discover(
    cluster: Cluster,
    kinds: Vec<(SourceKind, GroupVersionKind)>,
    namespaces: Vec<Option<String>>,
    every: Duration,
    input: mpsc::Sender<Input>,
) {
    let mut running: Vec<Option<Vec<tokio::task::JoinHandle<()>>>> =
        kinds.iter().map(|_| None).collect();
    loop {
        for (k, (kind, gvk)) in kinds.iter().enumerate() {
            let found = tokio::time::timeout(
                DISCOVERY_TIMEOUT,
                kube::discovery::pinned_kind(&cluster.client, gvk),
            )
            .await;
            match found {
                Ok(Ok((resource, _))) if running[k].is_none() => {
                    let handles = namespaces
                        .iter()
                        .map(|ns| {
                            let watched = Watched {
                                context: cluster.context.clone(),
                                client: cluster.client.clone(),
                                namespace: ns.clone(),
                                input: input.clone(),
                            };
                            tokio::spawn(watched.run(resource.clone(), *kind, None))
                        })
                        .collect();
                    running[k] = Some(handles);
                }
                Ok(Err(e)) if not_served(&e) => {
                    if let Some(handles) = running[k].take() {
                        for handle in handles {
                            handle.abort();
                        }
                        for ns in &namespaces {
                            let gone = Input::Reset {
                                context: cluster.context.clone(),
                                kind: *kind,
                                namespace: ns.clone(),
                                entries: Vec::new(),
                            };
                            if input.send(gone).await.is_err() {
                                return;
                            }
                        }
                    }
                }
                // Served and watched already, or no answer: look again next round.
                _ => {}
            }
        }
        if input.is_closed() {
            return;
        }
        tokio::time::sleep(every).await;
    }
}
