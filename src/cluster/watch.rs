//! Watches (never polling LISTs) for every kind a release is made of, one per kind and
//! scope, turned into compact rows as they arrive and sent to `update` as messages.
//!
//! Each watch resumes after a dropped connection or an apiserver restart, with backoff;
//! a relist replaces what the cache had, so changes made while it was down show up.

use super::access::{AccessCache, AccessCheck, AccessError};
use super::connect::Cluster;
use super::watched::{api_in, Watchable, WatchedObject};
use crate::model::objects::{Change, ObjectKind, ObjectRef};
use crate::model::text::error_chain;
use crate::model::ClusterReport;
use crate::model::ConnState;
use futures::{FutureExt, StreamExt};
use k8s_openapi::api::core::v1::Namespace;
use kube::api::{Api, ApiResource, DynamicObject, GroupVersionKind, ListParams};
use kube::runtime::watcher::{self, Event};
use kube::Client;
use std::collections::BTreeMap;
use std::time::Duration;
use tokio::sync::mpsc;

/// Changes are sent in batches of at most this many, so one burst does not starve input.
const BATCH: usize = 256;
/// Backoff between attempts to restart a failed watch.
const MIN_RETRY: Duration = Duration::from_millis(500);
const MAX_RETRY: Duration = Duration::from_secs(30);

/// Which namespaces a context's watches cover.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    AllNamespaces,
    Namespaces(Vec<String>),
}

/// What the user asked for with `-n` / `-A`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Requested {
    Namespace(String),
    AllNamespaces,
}

/// A kind to watch and where its API lives.
#[derive(Debug, Clone)]
pub struct WatchedKind {
    pub kind: ObjectKind,
    pub resource: ApiResource,
}

fn gvk(group: &str, version: &str, kind: &str) -> GroupVersionKind {
    GroupVersionKind::gvk(group, version, kind)
}

/// The built-in kinds every cluster has.
pub fn core_kinds() -> Vec<WatchedKind> {
    [
        (
            ObjectKind::Deployment,
            gvk("apps", "v1", "Deployment"),
            "deployments",
        ),
        (
            ObjectKind::ReplicaSet,
            gvk("apps", "v1", "ReplicaSet"),
            "replicasets",
        ),
        (ObjectKind::Pod, gvk("", "v1", "Pod"), "pods"),
        (ObjectKind::Event, gvk("", "v1", "Event"), "events"),
    ]
    .into_iter()
    .map(|(kind, gvk, plural)| WatchedKind {
        kind,
        resource: ApiResource::from_gvk_with_plural(&gvk, plural),
    })
    .collect()
}

/// Custom kinds found by discovery; a cluster without their CRDs simply has none.
pub async fn discovered_kinds(client: &Client) -> Vec<WatchedKind> {
    let mut out = Vec::new();
    for (kind, gvk) in custom_kinds() {
        if let Ok((resource, _)) = kube::discovery::pinned_kind(client, &gvk).await {
            out.push(WatchedKind { kind, resource });
        }
    }
    out
}

/// The optional kinds, found by discovery when their CRDs are installed.
pub fn custom_kinds() -> Vec<(ObjectKind, GroupVersionKind)> {
    vec![
        (
            ObjectKind::ArgoRollout,
            gvk("argoproj.io", "v1alpha1", "Rollout"),
        ),
        (
            ObjectKind::FlaggerCanary,
            gvk("flagger.app", "v1beta1", "Canary"),
        ),
        (
            ObjectKind::AnalysisRun,
            gvk("argoproj.io", "v1alpha1", "AnalysisRun"),
        ),
        (
            ObjectKind::Experiment,
            gvk("argoproj.io", "v1alpha1", "Experiment"),
        ),
    ]
}

/// How often a running console looks for CRDs installed or removed since it started.
pub const DISCOVERY_EVERY: Duration = Duration::from_secs(20);
const DISCOVERY_TIMEOUT: Duration = Duration::from_secs(10);

/// Reading Deployments through a watch: what the console needs in a namespace.
const WATCH_DEPLOYMENTS: AccessCheck = AccessCheck {
    verb: "watch",
    group: "apps",
    resource: "deployments",
    subresource: None,
};

/// Why a context cannot be read, by what the user can do about it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScopeError {
    /// The cluster did not answer; trying again later may work.
    #[error("{0}")]
    Unreachable(String),
    /// The user may not read what the console needs.
    #[error("{0}")]
    Denied(String),
    /// The API server rejected the credentials (HTTP 401).
    #[error("{0}")]
    CredentialsRejected(String),
    /// No credentials could be obtained from the kubeconfig (a failing exec plugin, say).
    #[error("{0}")]
    Kubeconfig(String),
}

impl ScopeError {
    /// As the console's header shows it. Only an unreachable cluster is worth retrying.
    pub fn conn_state(&self) -> ConnState {
        match self {
            ScopeError::Unreachable(why) => ConnState::Reconnecting(why.clone()),
            ScopeError::Denied(why)
            | ScopeError::CredentialsRejected(why)
            | ScopeError::Kubeconfig(why) => ConnState::Denied(why.clone()),
        }
    }

    pub fn is_retryable(&self) -> bool {
        matches!(self, ScopeError::Unreachable(_))
    }
}

/// What a failed request to `context` means for the user, in a sentence.
pub fn classify(context: &str, doing: &str, e: &kube::Error) -> ScopeError {
    let inert = crate::model::text::inert_owned;
    match e {
        kube::Error::Api(s) if s.code == 401 => ScopeError::CredentialsRejected(format!(
            "credentials rejected by {context}: {} ({REJECTED_HINT})",
            inert(&s.message)
        )),
        kube::Error::Api(s) if s.is_forbidden() => {
            ScopeError::Denied(format!("{context}: {doing}: {}", inert(&s.message)))
        }
        kube::Error::Api(s) => ScopeError::Unreachable(format!(
            "{context}: {doing}: {} ({})",
            inert(&s.message),
            s.code
        )),
        kube::Error::Auth(_) => {
            ScopeError::Kubeconfig(format!("{context}: no credentials: {}", error_chain(e)))
        }
        _ => ScopeError::Unreachable(format!(
            "{context} is unreachable: {doing}: {}",
            error_chain(e)
        )),
    }
}

/// What rejected credentials mean for the user.
const REJECTED_HINT: &str =
    "the kubeconfig's token or certificate is not accepted; log in again or fix the kubeconfig";

fn access_error(e: AccessError) -> ScopeError {
    match e {
        AccessError::Unreachable { context, message } => {
            ScopeError::Unreachable(format!("{context} is unreachable: {message}"))
        }
        AccessError::CredentialsRejected { context, message } => ScopeError::CredentialsRejected(
            format!("credentials rejected by {context}: {message} ({REJECTED_HINT})"),
        ),
        e @ AccessError::Credentials { .. } => ScopeError::Kubeconfig(e.to_string()),
        e @ AccessError::Failed { .. } => ScopeError::Unreachable(e.to_string()),
    }
}

/// [`resolve_scope_detailed`], as the console's connection state.
pub async fn resolve_scope(
    cluster: &Cluster,
    requested: &Requested,
    configured: &[String],
    access: &AccessCache,
) -> Result<Scope, ConnState> {
    resolve_scope_detailed(cluster, requested, configured, access)
        .await
        .map_err(|e| e.conn_state())
}

/// Picks the widest scope the user can actually read. A user who may not list
/// Deployments cluster-wide still sees the namespaces they can read: those they may list,
/// the kubeconfig context's, and `configured` ones (for users who may not list namespaces).
pub async fn resolve_scope_detailed(
    cluster: &Cluster,
    requested: &Requested,
    configured: &[String],
    access: &AccessCache,
) -> Result<Scope, ScopeError> {
    let client = &cluster.client;
    let context = cluster.context.as_str();
    if let Requested::Namespace(ns) = requested {
        return Ok(Scope::Namespaces(vec![ns.clone()]));
    }
    // An empty namespace asks about all namespaces at once.
    if access
        .allowed(client, context, "", WATCH_DEPLOYMENTS)
        .await
        .map_err(access_error)?
    {
        return Ok(Scope::AllNamespaces);
    }
    let mut candidates: Vec<String> = match Api::<Namespace>::all(client.clone())
        .list_metadata(&ListParams::default())
        .await
    {
        Ok(list) => list
            .items
            .into_iter()
            .filter_map(|n| n.metadata.name)
            .collect(),
        Err(kube::Error::Api(status)) if status.is_forbidden() => Vec::new(),
        Err(e) => return Err(classify(context, "listing namespaces", &e)),
    };
    for ns in configured.iter().chain([&cluster.namespace]) {
        if !candidates.contains(ns) {
            candidates.push(ns.clone());
        }
    }
    let mut readable = Vec::new();
    for ns in candidates {
        if access
            .allowed(client, context, &ns, WATCH_DEPLOYMENTS)
            .await
            .map_err(access_error)?
        {
            readable.push(ns);
        }
    }
    if readable.is_empty() {
        return Err(ScopeError::Denied(format!(
            "user {} may not watch deployments cluster-wide or in any namespace it can see \
             (tried {}; list more under [contexts.\"{}\"] namespaces in config.toml)",
            cluster.user, cluster.namespace, cluster.context
        )));
    }
    Ok(Scope::Namespaces(readable))
}

/// How one watch is doing, for the context's connection state.
#[derive(Debug, Clone)]
enum WatchState {
    Listing,
    Synced,
    /// An optional kind the user may not read: reported once, then left out.
    Skipped,
    Failed(String),
    Denied(String),
}

fn describe(context: &str, plural: &str, e: &watcher::Error) -> WatchState {
    let doing = format!("watching {plural}");
    let classified = match e {
        watcher::Error::InitialListFailed(k)
        | watcher::Error::WatchStartFailed(k)
        | watcher::Error::WatchFailed(k) => classify(context, &doing, k),
        watcher::Error::WatchError(s) => classify(context, &doing, &kube::Error::Api(s.clone())),
        other => ScopeError::Unreachable(format!(
            "{context}: {doing}: {}",
            crate::model::text::inert(&other.to_string())
        )),
    };
    match classified {
        ScopeError::Unreachable(why) => WatchState::Failed(why),
        ScopeError::Denied(why)
        | ScopeError::CredentialsRejected(why)
        | ScopeError::Kubeconfig(why) => WatchState::Denied(why),
    }
}

/// Where watches send what they see: any message type a `ClusterReport` converts into.
pub trait Report: From<ClusterReport> + Send + 'static {}
impl<M: From<ClusterReport> + Send + 'static> Report for M {}

/// Starts every watch for one context; the tasks end when the console does.
pub fn spawn<M: Report>(
    cluster: Cluster,
    scope: Scope,
    kinds: Vec<WatchedKind>,
    msgs: mpsc::Sender<M>,
) {
    spawn_discovering(cluster, scope, kinds, Vec::new(), DISCOVERY_EVERY, msgs);
}

/// Starts the watches of `kinds`, and of each of `custom` while its CRD is installed: a
/// CRD that appears or disappears is noticed within `every`, its rows come or go with it.
pub fn spawn_discovering<M: Report>(
    cluster: Cluster,
    scope: Scope,
    kinds: Vec<WatchedKind>,
    custom: Vec<(ObjectKind, GroupVersionKind)>,
    every: Duration,
    msgs: mpsc::Sender<M>,
) {
    let namespaces: Vec<Option<String>> = match scope {
        Scope::AllNamespaces => vec![None],
        Scope::Namespaces(list) => list.into_iter().map(Some).collect(),
    };
    let (status_tx, status_rx) = mpsc::unbounded_channel();
    let mut watches = 0;
    if !custom.is_empty() {
        let first = watches + 1;
        watches += custom.len() * namespaces.len();
        tokio::spawn(discover(
            cluster.clone(),
            custom,
            namespaces.clone(),
            first,
            every,
            status_tx.clone(),
            msgs.clone(),
        ));
    }
    for ns in &namespaces {
        for kind in &kinds {
            watches += 1;
            let (cluster, kind, ns) = (cluster.clone(), kind.clone(), ns.clone());
            let (status, msgs) = (status_tx.clone(), msgs.clone());
            if kind.kind.is_custom() {
                tokio::spawn(run_watch::<DynamicObject, M>(
                    cluster, kind, ns, watches, status, msgs,
                ));
            } else {
                tokio::spawn(run_watch::<WatchedObject, M>(
                    cluster, kind, ns, watches, status, msgs,
                ));
            }
        }
    }
    tokio::spawn(supervise(cluster.context.clone(), watches, status_rx, msgs));
}

/// Whether a discovery error says the kind is not served (as opposed to not answering).
fn not_served(e: &kube::Error) -> bool {
    match e {
        kube::Error::Api(s) => s.code == 404,
        kube::Error::Discovery(_) => true,
        _ => false,
    }
}

/// Keeps one watch per namespace running for each custom kind while the API serves it.
/// A kind that goes away stops its watches and empties its rows; one that comes back is
/// watched again. Watch ids start at `first`, kind by kind, namespace by namespace.
async fn discover<M: Report>(
    cluster: Cluster,
    custom: Vec<(ObjectKind, GroupVersionKind)>,
    namespaces: Vec<Option<String>>,
    first: usize,
    every: Duration,
    status: mpsc::UnboundedSender<(usize, WatchState)>,
    msgs: mpsc::Sender<M>,
) {
    let mut running: Vec<Option<Vec<tokio::task::JoinHandle<()>>>> =
        custom.iter().map(|_| None).collect();
    let id = |k: usize, n: usize| first + k * namespaces.len() + n;
    loop {
        for (k, (kind, gvk)) in custom.iter().enumerate() {
            let found = tokio::time::timeout(
                DISCOVERY_TIMEOUT,
                kube::discovery::pinned_kind(&cluster.client, gvk),
            )
            .await;
            match found {
                Ok(Ok((resource, _))) if running[k].is_none() => {
                    let watched = WatchedKind {
                        kind: *kind,
                        resource,
                    };
                    let handles = namespaces
                        .iter()
                        .enumerate()
                        .map(|(n, ns)| {
                            tokio::spawn(run_watch::<DynamicObject, M>(
                                cluster.clone(),
                                watched.clone(),
                                ns.clone(),
                                id(k, n),
                                status.clone(),
                                msgs.clone(),
                            ))
                        })
                        .collect();
                    running[k] = Some(handles);
                }
                Ok(Err(e)) if not_served(&e) => {
                    if let Some(handles) = running[k].take() {
                        for handle in handles {
                            handle.abort();
                        }
                        let mut gone: Vec<Change> = namespaces
                            .iter()
                            .map(|ns| Change::Reset {
                                kind: *kind,
                                namespace: ns.clone(),
                                objects: Vec::new(),
                            })
                            .collect();
                        if !flush(&msgs, &cluster.context, &mut gone).await {
                            return;
                        }
                    }
                    for n in 0..namespaces.len() {
                        let _ = status.send((id(k, n), WatchState::Skipped));
                    }
                }
                // Served and watched already, or no answer: look again next round.
                _ => {}
            }
        }
        if msgs.is_closed() {
            return;
        }
        tokio::time::sleep(every).await;
    }
}

/// Folds the state of each watch into the context's connection state.
async fn supervise<M: Report>(
    context: String,
    watches: usize,
    mut status: mpsc::UnboundedReceiver<(usize, WatchState)>,
    msgs: mpsc::Sender<M>,
) {
    let mut states: BTreeMap<usize, WatchState> = BTreeMap::new();
    let mut shown = None;
    while let Some((id, state)) = status.recv().await {
        states.insert(id, state);
        let failed = states.values().find_map(|s| match s {
            WatchState::Failed(e) => Some(ConnState::Reconnecting(e.clone())),
            _ => None,
        });
        let denied = states.values().find_map(|s| match s {
            WatchState::Denied(e) => Some(ConnState::Denied(e.clone())),
            _ => None,
        });
        let synced = states.len() == watches
            && states
                .values()
                .all(|s| matches!(s, WatchState::Synced | WatchState::Skipped));
        let conn = failed.or(denied).unwrap_or(if synced {
            ConnState::Synced
        } else {
            ConnState::Connecting
        });
        if shown.as_ref() != Some(&conn) {
            shown = Some(conn.clone());
            let report = ClusterReport::Connection {
                context: context.clone(),
                state: conn,
            };
            if msgs.send(report.into()).await.is_err() {
                return;
            }
        }
    }
}

fn object_ref(kind: ObjectKind, obj: &impl Watchable) -> ObjectRef {
    ObjectRef {
        kind,
        namespace: obj.meta().namespace.clone().unwrap_or_default(),
        name: obj.meta().name.clone().unwrap_or_default(),
    }
}

/// Sends pending changes as one message; false when the console has gone.
async fn flush<M: Report>(
    msgs: &mpsc::Sender<M>,
    context: &str,
    pending: &mut Vec<Change>,
) -> bool {
    if pending.is_empty() {
        return true;
    }
    let changes = std::mem::take(pending);
    let context = context.to_owned();
    msgs.send(ClusterReport::Changes { context, changes }.into())
        .await
        .is_ok()
}

/// Runs one watch forever. After any error the watch is started again from a fresh list
/// (with backoff), so the cache is rebuilt from what the server has now and the context
/// shows synced again only once that list is in.
async fn run_watch<K: Watchable, M: Report>(
    cluster: Cluster,
    kind: WatchedKind,
    namespace: Option<String>,
    id: usize,
    status: mpsc::UnboundedSender<(usize, WatchState)>,
    msgs: mpsc::Sender<M>,
) {
    let api: Api<K> = api_in(&cluster.client, &kind.resource, namespace.as_deref());
    let context = cluster.context.as_str();
    let mut delay = MIN_RETRY;
    let mut pending: Vec<Change> = Vec::new();
    let _ = status.send((id, WatchState::Listing));
    loop {
        let config = watcher::Config::default().page_size(500);
        let mut stream = std::pin::pin!(watcher::watcher(api.clone(), config));
        let mut relist: Vec<crate::model::objects::Object> = Vec::new();
        loop {
            // Wait for the next event; once something is pending, take only what has already
            // arrived with it. A burst goes out as one message and a lone change at once.
            let next = if pending.is_empty() {
                stream.next().await
            } else {
                match stream.next().now_or_never() {
                    Some(item) => item,
                    None => {
                        if !flush(&msgs, context, &mut pending).await {
                            return;
                        }
                        continue;
                    }
                }
            };
            let Some(item) = next else { return };
            let row = match item {
                Ok(Event::Init) => {
                    relist.clear();
                    continue;
                }
                Ok(Event::InitApply(obj)) => obj.into_row(kind.kind).map(|row| relist.push(row)),
                Ok(Event::InitDone) => {
                    pending.push(Change::Reset {
                        kind: kind.kind,
                        namespace: namespace.clone(),
                        objects: std::mem::take(&mut relist),
                    });
                    let _ = status.send((id, WatchState::Synced));
                    delay = MIN_RETRY;
                    // The draw loop returns the list's freed memory once it has folded this in.
                    if !flush(&msgs, context, &mut pending).await {
                        return;
                    }
                    Ok(())
                }
                Ok(Event::Apply(obj)) => obj
                    .into_row(kind.kind)
                    .map(|row| pending.push(Change::Applied(row))),
                Ok(Event::Delete(obj)) => {
                    pending.push(Change::Deleted(object_ref(kind.kind, &obj)));
                    Ok(())
                }
                Err(e) => {
                    let state = describe(context, &kind.resource.plural, &e);
                    // Argo Rollouts and Flagger Canaries are optional: a user who may not
                    // read them still gets everything else.
                    if let (WatchState::Denied(why), true) = (&state, kind.kind.is_custom()) {
                        let _ = status.send((id, WatchState::Skipped));
                        let text = format!("{context}: {} left out: {why}", kind.resource.plural);
                        let _ = msgs.send(ClusterReport::Problem(text).into()).await;
                        return;
                    }
                    let _ = status.send((id, state));
                    break;
                }
            };
            if let Err(problem) = row {
                if msgs
                    .send(ClusterReport::Problem(format!("{context}: {problem}")).into())
                    .await
                    .is_err()
                {
                    return;
                }
            }
            if pending.len() >= BATCH && !flush(&msgs, context, &mut pending).await {
                return;
            }
        }
        if !flush(&msgs, context, &mut pending).await {
            return;
        }
        tokio::time::sleep(delay).await;
        delay = (delay * 2).min(MAX_RETRY);
    }
}

/// Watches the one namespace a console was started on (`-n NS`), so that a namespace that
/// does not exist, or is deleted, is said instead of an empty screen that looks like a
/// slow sync. A user who may not read namespaces is simply not told.
pub async fn watch_namespace<M: Report>(
    cluster: Cluster,
    namespace: String,
    msgs: mpsc::Sender<M>,
) {
    let api: Api<Namespace> = Api::all(cluster.client.clone());
    let config = watcher::Config::default().fields(&format!("metadata.name={namespace}"));
    let mut stream = std::pin::pin!(watcher::watcher(api, config));
    let context = cluster.context.as_str();
    let mut seen = false;
    let mut said: Option<String> = None;
    while let Some(item) = stream.next().await {
        let problem = match item {
            Ok(Event::Init) => {
                seen = false;
                None
            }
            Ok(Event::InitApply(ns) | Event::Apply(ns)) => {
                seen = true;
                let terminating = ns.metadata.deletion_timestamp.is_some();
                terminating.then(|| format!("{context}: namespace {namespace} is being deleted"))
            }
            Ok(Event::InitDone) => (!seen).then(|| {
                format!("{context}: namespace {namespace} does not exist: nothing to show")
            }),
            Ok(Event::Delete(_)) => {
                seen = false;
                Some(format!(
                    "{context}: namespace {namespace} was deleted: nothing to show"
                ))
            }
            Err(e) => {
                if matches!(describe(context, "namespaces", &e), WatchState::Denied(_)) {
                    return;
                }
                tokio::time::sleep(MAX_RETRY / 6).await;
                None
            }
        };
        if let Some(text) = problem {
            if said.as_ref() != Some(&text) {
                let text = crate::model::text::inert_owned(&text);
                if msgs
                    .send(ClusterReport::Problem(text.clone()).into())
                    .await
                    .is_err()
                {
                    return;
                }
                said = Some(text);
            }
        } else if seen {
            said = None;
        }
    }
}
