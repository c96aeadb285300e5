//! Carries out operations on a real cluster, the way the trusted tools do them.
//!
//! Deployments are changed exactly as `kubectl rollout pause|resume|undo|restart` change them,
//! so that an engineer who checks ripcord's work with kubectl sees the same objects. A canary
//! pair (a stable Deployment plus a Deployment labelled `ripcord.dev/canary-of=<stable>`) is
//! driven with the same patches. Every API call has a deadline; every failure becomes an
//! `ActionFailure` whose kind the caller turns into an exit code or a status line.
//!
//! This module holds the call plumbing and the actuator; each kind's operations live in a
//! file of their own, and Events in `events`.

pub mod argo;
mod deployment;
pub mod events;
pub mod flagger;
mod pair;

pub use events::{event_reason, post_event};

use super::access::{AccessCache, AccessError, Further};
use super::connect::Cluster;
use crate::model::objects::{CANARY_OF_LABEL, REVISION_ANNOTATION};
use crate::model::ops::{
    ActionFailure, ActionOutcome, ActionRequest, Actuator, BoxFuture, CheckError, Operation, Why,
};
use crate::model::text::error_chain;
use crate::model::{Kind, Permission, ReleaseKey};
use k8s_openapi::api::apps::v1::{Deployment, ReplicaSet};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta};
use kube::api::{ListParams, Patch, PatchParams};
use kube::{Api, Client};
use serde_json::Value;
use std::collections::HashMap;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

/// The annotation `kubectl rollout restart` sets on the pod template.
pub const RESTARTED_AT_ANNOTATION: &str = "kubectl.kubernetes.io/restartedAt";
/// The label the deployment controller adds to ReplicaSet templates; never part of a
/// Deployment's own template.
pub const POD_TEMPLATE_HASH_LABEL: &str = "pod-template-hash";
/// Field manager recorded in managedFields, so `kubectl get -o yaml` shows who changed what.
pub const FIELD_MANAGER: &str = "ripcord";

/// How long one API call may take before the cluster counts as unreachable.
const CALL_TIMEOUT: Duration = Duration::from_secs(20);
/// How long to wait for the deployment controller to record a new revision.
const SETTLE_TIMEOUT: Duration = Duration::from_secs(3);
const SETTLE_POLL: Duration = Duration::from_millis(150);

/// What ripcord can carry out on a real cluster; no key or command offers the rest there.
pub fn supports(kind: Kind, op: Operation) -> Result<(), Why> {
    use Operation::*;
    match kind {
        Kind::Deployment => match op {
            Pause | Resume | Rollback | Restart => Ok(()),
            Promote | PromoteFull | Abort | Retry => {
                Err("a plain Deployment has no canary to promote, abort or retry")
            }
            SetWeight => Err("a plain Deployment has no canary to weigh"),
        },
        Kind::CanaryPair => match op {
            Promote | PromoteFull | Abort | Rollback | Restart | SetWeight => Ok(()),
            Pause | Resume => Err("a canary pair has no controller to pause"),
            Retry => Err("a canary pair has no analysis to retry"),
        },
        // set-weight needs a setWeight step of that weight; `argo` says so when there is none.
        Kind::ArgoRollout => Ok(()),
        // promote opens a confirm gate, promote --full skips the analysis, abort and
        // rollback open the rollback gate, pause and resume suspend the Canary.
        Kind::FlaggerCanary => match op {
            Promote | PromoteFull | Pause | Resume | Abort | Rollback => Ok(()),
            Retry => Err("Flagger starts a new analysis by itself when the target changes"),
            Restart => Err("restart the target Deployment: Flagger analyses the change"),
            SetWeight => Err("Flagger sets a canary's weight from its analysis steps"),
        },
    }
}

/// Carries out `request` and reports what happened. Never panics; every failure is in
/// `result`.
pub async fn execute(client: &Client, request: &ActionRequest) -> ActionOutcome {
    let mut outcome = ActionOutcome {
        request: request.clone(),
        result: Err(ActionFailure::Rejected("not run".into())),
        revision_before: None,
        revision_after: None,
    };
    let key = &request.key;
    if let Err(why) = supports(key.kind, request.op.kind()) {
        outcome.result = Err(ActionFailure::Rejected(format!(
            "{} {}/{}: {why}",
            request.op.verb(),
            key.kind.target_prefix(),
            key.name
        )));
        return outcome;
    }
    if key.kind == Kind::ArgoRollout {
        let resource = argo::rollout_resource();
        outcome.result = argo::run_on(
            client,
            resource.clone(),
            request,
            &mut outcome.revision_before,
        )
        .await;
        outcome.revision_after = if request.dry_run {
            outcome.revision_before
        } else {
            argo::Rollouts::new(client, &key.namespace, false, resource)
                .get(&key.name)
                .await
                .ok()
                .and_then(|r| argo::rollout_revision(&r))
        };
        return outcome;
    }
    let kube = Kube::new(client, &key.namespace, request.dry_run);
    outcome.result = match key.kind {
        Kind::Deployment => deployment::run(&kube, request, &mut outcome.revision_before).await,
        Kind::CanaryPair => pair::run(&kube, request, &mut outcome.revision_before).await,
        Kind::FlaggerCanary => {
            outcome.result = flagger::run(client, request).await;
            return outcome;
        }
        // Handled above.
        Kind::ArgoRollout => return outcome,
    };
    let may_have_changed =
        !request.dry_run && !matches!(outcome.result, Err(ActionFailure::Unreachable(_)));
    outcome.revision_after = if may_have_changed {
        // Re-read after failures too: a pair action can fail halfway.
        kube.settled_revision(&key.name).await
    } else {
        outcome.revision_before
    };
    outcome
}

/// The actuator over the connected clusters, one client per context.
pub struct KubeActuator {
    clusters: HashMap<String, Cluster>,
    access: Arc<AccessCache>,
}

impl KubeActuator {
    pub fn new(clusters: impl IntoIterator<Item = Cluster>, access: Arc<AccessCache>) -> Self {
        KubeActuator {
            clusters: clusters
                .into_iter()
                .map(|c| (c.context.clone(), c))
                .collect(),
            access,
        }
    }

    fn not_connected(context: &str) -> String {
        format!("no connection to context {context}")
    }
}

impl Actuator for KubeActuator {
    fn supports(&self, kind: Kind, op: Operation) -> Result<(), Why> {
        supports(kind, op)
    }

    fn permission<'a>(
        &'a self,
        key: &'a ReleaseKey,
        op: Operation,
    ) -> BoxFuture<'a, Result<Permission, CheckError>> {
        Box::pin(async move {
            let Some(cluster) = self.clusters.get(&key.context) else {
                return Err(CheckError::Unreachable(Self::not_connected(&key.context)));
            };
            let extra = further_objects(&cluster.client, key, op).await;
            self.access
                .check_release(
                    &cluster.client,
                    &key.context,
                    &key.namespace,
                    key.kind,
                    &key.name,
                    op,
                    &extra,
                )
                .await
                .map_err(|e| match e {
                    AccessError::CredentialsRejected { .. } => {
                        CheckError::CredentialsRejected(e.to_string())
                    }
                    AccessError::Credentials { .. } => CheckError::NoCredentials(e.to_string()),
                    other => CheckError::Unreachable(other.to_string()),
                })
        })
    }

    fn execute<'a>(&'a self, request: &'a ActionRequest) -> BoxFuture<'a, ActionOutcome> {
        Box::pin(async move {
            match self.clusters.get(&request.key.context) {
                Some(cluster) => execute(&cluster.client, request).await,
                None => ActionOutcome {
                    request: request.clone(),
                    result: Err(ActionFailure::Unreachable(Self::not_connected(
                        &request.key.context,
                    ))),
                    revision_before: None,
                    revision_after: None,
                },
            }
        })
    }

    fn announce<'a>(
        &'a self,
        request: &'a ActionRequest,
        outcome: &'a ActionOutcome,
    ) -> BoxFuture<'a, Result<(), String>> {
        Box::pin(async move {
            let Some(cluster) = self.clusters.get(&request.key.context) else {
                return Err(Self::not_connected(&request.key.context));
            };
            post_event(&cluster.client, request, outcome, &cluster.user)
                .await
                .map(|_| ())
                .map_err(|e| e.to_string())
        })
    }

    fn user(&self, context: &str) -> String {
        self.clusters
            .get(context)
            .map(|c| c.user.clone())
            .unwrap_or_default()
    }
}

/// Objects besides the release that `op` writes to, by name, for the preflight: a pair's
/// canary Deployment, a Flagger gate's Service. When it cannot be found here the list
/// check or the action says why.
async fn further_objects(client: &Client, key: &ReleaseKey, op: Operation) -> Vec<Further> {
    if supports(key.kind, op).is_err() {
        return Vec::new();
    }
    if key.kind == Kind::FlaggerCanary {
        // The proxy is asked about the gate's Service, by the name and in the namespace
        // the webhook URL gives it.
        return match flagger::gate_for(client, key, op).await {
            Some(gate) => vec![gate_check(&gate)],
            None => Vec::new(),
        };
    }
    if key.kind != Kind::CanaryPair || op == Operation::Rollback {
        return Vec::new();
    }
    match Kube::new(client, &key.namespace, true)
        .canary_of(&key.name)
        .await
    {
        Ok(canary) => vec![Further {
            check: super::access::PATCH_DEPLOYMENTS,
            name: Some(name_of(&canary).to_string()),
            namespace: None,
            what: None,
        }],
        Err(_) => Vec::new(),
    }
}

/// The service proxy check a gate needs, about its own Service and namespace.
pub fn gate_check(gate: &flagger::Gate) -> Further {
    Further {
        check: super::access::PROXY_SERVICES,
        name: Some(gate.service.clone()),
        namespace: Some(gate.namespace.clone()),
        what: Some(format!(
            "the {} gate of webhook {}, service {}/{}",
            gate.hook_type, gate.webhook, gate.namespace, gate.service
        )),
    }
}

/// The revision annotation of a Deployment or ReplicaSet, if it parses.
pub fn revision_of(meta: &ObjectMeta) -> Option<i64> {
    meta.annotations
        .as_ref()?
        .get(REVISION_ANNOTATION)?
        .trim()
        .parse()
        .ok()
}

// ---------------------------------------------------------------------------------------
// API access

/// What an action did, as a dry run words what it would have done.
fn said(dry_run: bool, text: String) -> String {
    if dry_run {
        format!("dry run: would have {text}")
    } else {
        text
    }
}

/// Patches go out under ripcord's field manager; a dry run is sent as one, so the apiserver
/// checks it without storing it.
fn patch_params(dry_run: bool) -> PatchParams {
    let params = PatchParams {
        field_manager: Some(FIELD_MANAGER.into()),
        ..Default::default()
    };
    if dry_run {
        params.dry_run()
    } else {
        params
    }
}

/// The Deployment API of one namespace, with deadlines, dry run and error mapping.
struct Kube<'a> {
    deployments: Api<Deployment>,
    replica_sets: Api<ReplicaSet>,
    ns: &'a str,
    dry_run: bool,
}

impl<'a> Kube<'a> {
    fn new(client: &Client, ns: &'a str, dry_run: bool) -> Self {
        Kube {
            deployments: Api::namespaced(client.clone(), ns),
            replica_sets: Api::namespaced(client.clone(), ns),
            ns,
            dry_run,
        }
    }

    fn say(&self, text: String) -> String {
        said(self.dry_run, text)
    }

    fn params(&self) -> PatchParams {
        patch_params(self.dry_run)
    }

    async fn get(&self, name: &str) -> Result<Deployment, ActionFailure> {
        call(
            self.deployments.get(name),
            "get",
            "deployments.apps",
            self.ns,
            Some(name),
        )
        .await
    }

    async fn merge(&self, name: &str, patch: &Value) -> Result<Deployment, ActionFailure> {
        call(
            self.deployments
                .patch(name, &self.params(), &Patch::Merge(patch)),
            "patch",
            "deployments.apps",
            self.ns,
            Some(name),
        )
        .await
    }

    async fn json_patch(&self, name: &str, ops: Value) -> Result<Deployment, ActionFailure> {
        // The JSON-patch type comes from kube's own dependency; building it through serde
        // spares a direct dependency on that crate.
        let ops = serde_json::from_value(ops).map_err(|e| {
            ActionFailure::Rejected(format!("internal error building a JSON patch: {e}"))
        })?;
        call(
            self.deployments
                .patch(name, &self.params(), &Patch::<()>::Json(ops)),
            "patch",
            "deployments.apps",
            self.ns,
            Some(name),
        )
        .await
    }

    /// The ReplicaSets the Deployment controls, found the way kubectl finds them: by the
    /// Deployment's selector, then by controller owner uid.
    async fn owned_replica_sets(
        &self,
        deployment: &Deployment,
    ) -> Result<Vec<ReplicaSet>, ActionFailure> {
        let uid = deployment.metadata.uid.clone().unwrap_or_default();
        let selector = deployment
            .spec
            .as_ref()
            .map(|s| selector_string(&s.selector))
            .unwrap_or_default();
        let list = call(
            self.replica_sets
                .list(&ListParams::default().labels(&selector)),
            "list",
            "replicasets.apps",
            self.ns,
            None,
        )
        .await?;
        Ok(list
            .items
            .into_iter()
            .filter(|rs| {
                rs.metadata
                    .owner_references
                    .iter()
                    .flatten()
                    .any(|o| o.controller == Some(true) && !uid.is_empty() && o.uid == uid)
            })
            .collect())
    }

    async fn canary_of(&self, stable: &str) -> Result<Deployment, ActionFailure> {
        let selector = format!("{CANARY_OF_LABEL}={stable}");
        let list = call(
            self.deployments
                .list(&ListParams::default().labels(&selector)),
            "list",
            "deployments.apps",
            self.ns,
            None,
        )
        .await?;
        let mut canaries: Vec<Deployment> = list
            .items
            .into_iter()
            .filter(|d| name_of(d) != stable)
            .collect();
        match canaries.len() {
            0 => Err(ActionFailure::Rejected(format!(
                "pair/{stable} in {}: no canary Deployment labelled {selector}",
                self.ns
            ))),
            1 => Ok(canaries.remove(0)),
            _ => Err(ActionFailure::Rejected(format!(
                "pair/{stable} in {}: {} Deployments are labelled {selector} ({}); leave one",
                self.ns,
                canaries.len(),
                canaries.iter().map(name_of).collect::<Vec<_>>().join(", ")
            ))),
        }
    }

    /// The revision once the controller has seen the latest spec. `None` when it has not
    /// within a few seconds (a busy controller): an unknown "after" is better in the
    /// journal than a stale one that looks like nothing changed.
    async fn settled_revision(&self, name: &str) -> Option<i64> {
        let deadline = tokio::time::Instant::now() + SETTLE_TIMEOUT;
        loop {
            let read = tokio::time::timeout(SETTLE_TIMEOUT, self.deployments.get_opt(name)).await;
            if let Ok(Ok(Some(d))) = read {
                let generation = d.metadata.generation.unwrap_or(0);
                let observed = d
                    .status
                    .as_ref()
                    .and_then(|s| s.observed_generation)
                    .unwrap_or(0);
                if observed >= generation {
                    return revision_of(&d.metadata);
                }
            }
            if tokio::time::Instant::now() >= deadline {
                return None;
            }
            tokio::time::sleep(SETTLE_POLL).await;
        }
    }
}

/// Runs one API call with a deadline and names the failure.
async fn call<T>(
    fut: impl Future<Output = Result<T, kube::Error>>,
    verb: &str,
    resource: &str,
    ns: &str,
    name: Option<&str>,
) -> Result<T, ActionFailure> {
    match tokio::time::timeout(CALL_TIMEOUT, fut).await {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(err)) => Err(failure(err, verb, resource, ns, name)),
        Err(_) => Err(ActionFailure::Unreachable(format!(
            "{verb} {resource} in {ns}: no answer within {} s",
            CALL_TIMEOUT.as_secs()
        ))),
    }
}

/// Sorts a client error into the kind the caller acts on.
pub fn failure(
    err: kube::Error,
    verb: &str,
    resource: &str,
    ns: &str,
    name: Option<&str>,
) -> ActionFailure {
    let object = match name {
        Some(n) => format!("{resource} {ns}/{n}"),
        None => format!("{resource} in {ns}"),
    };
    match err {
        kube::Error::Api(status) => match status.code {
            401 | 403 => {
                ActionFailure::Forbidden(format!("{verb} {resource} in {ns}: {}", status.message))
            }
            404 => ActionFailure::Rejected(match name {
                Some(n) => format!("{resource} \"{n}\" not found in {ns}"),
                None => format!("{verb} {resource} in {ns}: not found: {}", status.message),
            }),
            // An overloaded or half-started control plane: retrying later may work.
            502..=504 => ActionFailure::Unreachable(format!(
                "{verb} {object}: {} ({})",
                status.message, status.code
            )),
            _ => ActionFailure::Rejected(format!("{verb} {object}: {}", status.message)),
        },
        kube::Error::Auth(e) => {
            ActionFailure::Forbidden(format!("{verb} {object}: credentials: {e}"))
        }
        kube::Error::HyperError(_)
        | kube::Error::Service(_)
        | kube::Error::ReadEvents(_)
        | kube::Error::RustlsTls(_)
        | kube::Error::TlsRequired => {
            ActionFailure::Unreachable(format!("{verb} {object}: {}", error_chain(&err)))
        }
        other => ActionFailure::Rejected(format!("{verb} {object}: {}", error_chain(&other))),
    }
}

/// The same failure kind, with what had already happened in front of it.
fn after(failure: ActionFailure, done: &str) -> ActionFailure {
    match failure {
        ActionFailure::Forbidden(m) => ActionFailure::Forbidden(format!("{done} {m}")),
        ActionFailure::Unreachable(m) => ActionFailure::Unreachable(format!("{done} {m}")),
        ActionFailure::Rejected(m) => ActionFailure::Rejected(format!("{done} {m}")),
    }
}

/// A label selector as the API's query string: `k=v,k in (a,b),k notin (c),k,!k`.
pub fn selector_string(selector: &LabelSelector) -> String {
    let mut parts: Vec<String> = selector
        .match_labels
        .iter()
        .flatten()
        .map(|(k, v)| format!("{k}={v}"))
        .collect();
    for e in selector.match_expressions.iter().flatten() {
        let values = e.values.clone().unwrap_or_default().join(",");
        parts.push(match e.operator.as_str() {
            "In" => format!("{} in ({values})", e.key),
            "NotIn" => format!("{} notin ({values})", e.key),
            "Exists" => e.key.clone(),
            "DoesNotExist" => format!("!{}", e.key),
            // Unknown operators match nothing server-side too; keep the key so the list
            // stays narrow and the owner filter decides.
            _ => e.key.clone(),
        });
    }
    parts.join(",")
}

fn name_of<K: kube::Resource>(object: &K) -> &str {
    object.meta().name.as_deref().unwrap_or("")
}

fn replicas(deployment: &Deployment) -> i32 {
    // The API defaults an unset count to 1.
    deployment
        .spec
        .as_ref()
        .and_then(|s| s.replicas)
        .unwrap_or(1)
}

fn to_json<T: serde::Serialize>(value: &T) -> Result<Value, ActionFailure> {
    serde_json::to_value(value)
        .map_err(|e| ActionFailure::Rejected(format!("internal error encoding a patch: {e}")))
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use k8s_openapi::api::core::v1::{Container, PodSpec, PodTemplateSpec};
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelectorRequirement;

    pub(crate) fn template(image: &str, labels: &[(&str, &str)]) -> PodTemplateSpec {
        PodTemplateSpec {
            metadata: Some(ObjectMeta {
                labels: Some(
                    labels
                        .iter()
                        .map(|(k, v)| (k.to_string(), v.to_string()))
                        .collect(),
                ),
                ..Default::default()
            }),
            spec: Some(PodSpec {
                containers: vec![Container {
                    name: "app".into(),
                    image: Some(image.into()),
                    ..Default::default()
                }],
                ..Default::default()
            }),
        }
    }

    #[test]
    fn selectors_render_as_query_strings() {
        let selector = LabelSelector {
            match_labels: Some([("app".to_string(), "web".to_string())].into()),
            match_expressions: Some(vec![
                LabelSelectorRequirement {
                    key: "tier".into(),
                    operator: "In".into(),
                    values: Some(vec!["a".into(), "b".into()]),
                },
                LabelSelectorRequirement {
                    key: "legacy".into(),
                    operator: "DoesNotExist".into(),
                    values: None,
                },
            ]),
        };
        assert_eq!(selector_string(&selector), "app=web,tier in (a,b),!legacy");
    }

    #[test]
    fn api_errors_sort_into_failure_kinds() {
        let status = |code: u16| {
            kube::Error::Api(
                kube::core::Status {
                    code,
                    message: format!("message {code}"),
                    ..Default::default()
                }
                .boxed(),
            )
        };
        assert_eq!(
            failure(
                status(403),
                "patch",
                "deployments.apps",
                "team-a",
                Some("web")
            ),
            ActionFailure::Forbidden("patch deployments.apps in team-a: message 403".into())
        );
        assert_eq!(
            failure(
                status(404),
                "get",
                "deployments.apps",
                "team-a",
                Some("web")
            ),
            ActionFailure::Rejected("deployments.apps \"web\" not found in team-a".into())
        );
        assert!(matches!(
            failure(status(503), "get", "deployments.apps", "a", None),
            ActionFailure::Unreachable(_)
        ));
        assert!(matches!(
            failure(status(422), "patch", "deployments.apps", "a", Some("w")),
            ActionFailure::Rejected(_)
        ));
    }
}
