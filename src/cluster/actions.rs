//! Carries out operations on a real cluster, the way the trusted tools do them.
//!
//! Deployments are changed exactly as `kubectl rollout pause|resume|undo|restart` change them,
//! so that an engineer who checks ripcord's work with kubectl sees the same objects. A canary
//! pair (a stable Deployment plus a Deployment labelled `ripcord.dev/canary-of=<stable>`) is
//! driven with the same patches. Every API call has a deadline; every failure becomes an
//! `ActionFailure` whose kind the caller turns into an exit code or a status line.

use crate::model::objects::{CANARY_OF_LABEL, REVISION_ANNOTATION};
use crate::model::ops::{
    pair_promote_target, split_replicas, supports, ActionFailure, ActionOutcome, ActionRequest,
    Operation,
};
use crate::model::Kind;
use chrono::{SecondsFormat, Utc};
use k8s_openapi::api::apps::v1::{Deployment, ReplicaSet};
use k8s_openapi::api::core::v1::{Event, EventSource, ObjectReference, PodTemplateSpec};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta, Time};
use kube::api::{ListParams, Patch, PatchParams, PostParams};
use kube::{Api, Client};
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;
use std::future::Future;
use std::time::Duration;

/// The annotation `kubectl rollout restart` sets on the pod template.
pub const RESTARTED_AT_ANNOTATION: &str = "kubectl.kubernetes.io/restartedAt";
/// The label the deployment controller adds to ReplicaSet templates; never part of a
/// Deployment's own template.
pub const POD_TEMPLATE_HASH_LABEL: &str = "pod-template-hash";
/// Field manager recorded in managedFields, so `kubectl get -o yaml` shows who changed what.
pub const FIELD_MANAGER: &str = "ripcord";

/// Annotations a rollback keeps from the Deployment instead of taking them from the
/// ReplicaSet, as `kubectl rollout undo` does.
const ANNOTATIONS_TO_SKIP: &[&str] = &[
    "kubectl.kubernetes.io/last-applied-configuration",
    REVISION_ANNOTATION,
    "deployment.kubernetes.io/revision-history",
    "deployment.kubernetes.io/desired-replicas",
    "deployment.kubernetes.io/max-replicas",
    "deprecated.deployment.rollback.to",
];

/// How long one API call may take before the cluster counts as unreachable.
const CALL_TIMEOUT: Duration = Duration::from_secs(20);
/// How long to wait for the deployment controller to record a new revision.
const SETTLE_TIMEOUT: Duration = Duration::from_secs(3);
const SETTLE_POLL: Duration = Duration::from_millis(150);
/// The API server rejects longer event messages on newer versions.
const EVENT_MESSAGE_LIMIT: usize = 1024;

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
    if let Err(why) = supports(key.kind, request.op) {
        outcome.result = Err(ActionFailure::Rejected(format!(
            "{} {}/{}: {why}",
            request.op.verb(),
            key.kind.target_prefix(),
            key.name
        )));
        return outcome;
    }
    let kube = Kube::new(client, &key.namespace, request.dry_run);
    outcome.result = match key.kind {
        Kind::Deployment => deployment_op(&kube, request, &mut outcome.revision_before).await,
        Kind::CanaryPair => pair_op(&kube, request, &mut outcome.revision_before).await,
        Kind::ArgoRollout | Kind::FlaggerCanary => Err(ActionFailure::Rejected(format!(
            "{} {}/{}: {} actions arrive with Argo Rollouts support",
            request.op.verb(),
            key.kind.target_prefix(),
            key.name,
            match key.kind {
                Kind::ArgoRollout => "Argo Rollout",
                _ => "Flagger Canary",
            }
        ))),
    };
    let may_have_changed = !request.dry_run
        && matches!(key.kind, Kind::Deployment | Kind::CanaryPair)
        && !matches!(outcome.result, Err(ActionFailure::Unreachable(_)));
    outcome.revision_after = if may_have_changed {
        // Re-read after failures too: a pair action can fail halfway.
        kube.settled_revision(&key.name).await
    } else {
        outcome.revision_before
    };
    outcome
}

/// Creates a core/v1 Event on the action's target, so that `kubectl describe` and every
/// event watcher show who did what. Returns the event's name.
pub async fn post_event(
    client: &Client,
    request: &ActionRequest,
    outcome: &ActionOutcome,
    user: &str,
) -> Result<String, ActionFailure> {
    let key = &request.key;
    let ns = key.namespace.as_str();
    let (api_version, kind) = match key.kind {
        Kind::Deployment | Kind::CanaryPair => ("apps/v1", "Deployment"),
        Kind::ArgoRollout => ("argoproj.io/v1alpha1", "Rollout"),
        Kind::FlaggerCanary => ("flagger.app/v1beta1", "Canary"),
    };
    // The uid lets `kubectl describe` find the event; without it the event still lists.
    let uid = match key.kind {
        Kind::Deployment | Kind::CanaryPair => {
            let api: Api<Deployment> = Api::namespaced(client.clone(), ns);
            match tokio::time::timeout(CALL_TIMEOUT, api.get_opt(&key.name)).await {
                Ok(Ok(Some(d))) => d.metadata.uid,
                _ => None,
            }
        }
        _ => None,
    };
    let now = Utc::now();
    let time = k8s_openapi::jiff::Timestamp::from_second(now.timestamp())
        .ok()
        .map(Time);
    let (event_type, result) = match &outcome.result {
        Ok(text) => ("Normal", format!("ok: {text}")),
        Err(failure) => ("Warning", format!("error: {failure}")),
    };
    let mut message = format!(
        "{user} ran {}{}",
        request.op.verb(),
        if request.dry_run { " (dry run)" } else { "" }
    );
    if let Some(reason) = request.reason.as_deref().filter(|r| !r.trim().is_empty()) {
        // Whoever reads the Event (kubectl, other consoles) gets no control sequence from us.
        message.push_str(&format!(" because: {}", crate::model::text::inert(reason)));
    }
    message.push_str(&format!("; {result}"));
    let event = Event {
        metadata: ObjectMeta {
            // client-go's naming: the object's name and a nanosecond stamp in hex.
            // 236 + "." + 16 hex digits fits the 253 a name may have.
            name: Some(format!(
                "{}.{:x}",
                key.name.chars().take(236).collect::<String>(),
                now.timestamp_nanos_opt().unwrap_or_default()
            )),
            namespace: Some(ns.to_string()),
            ..Default::default()
        },
        involved_object: ObjectReference {
            api_version: Some(api_version.into()),
            kind: Some(kind.into()),
            name: Some(key.name.clone()),
            namespace: Some(ns.to_string()),
            uid,
            ..Default::default()
        },
        reason: Some(event_reason(request.op)),
        message: Some(truncate(
            &crate::model::text::inert(&message),
            EVENT_MESSAGE_LIMIT,
        )),
        type_: Some(event_type.into()),
        source: Some(EventSource {
            component: Some("ripcord".into()),
            host: None,
        }),
        reporting_component: Some("ripcord".into()),
        reporting_instance: Some(user.to_string()),
        first_timestamp: time.clone(),
        last_timestamp: time,
        count: Some(1),
        ..Default::default()
    };
    let api: Api<Event> = Api::namespaced(client.clone(), ns);
    let params = PostParams {
        dry_run: request.dry_run,
        field_manager: Some(FIELD_MANAGER.into()),
    };
    let created = call(api.create(&params, &event), "create", "events", ns, None).await?;
    Ok(created.metadata.name.unwrap_or_default())
}

/// The event reason for an operation: `Ripcord` and the verb in PascalCase.
pub fn event_reason(op: Operation) -> String {
    let mut reason = String::from("Ripcord");
    for part in op.verb().split('-') {
        let mut chars = part.chars();
        if let Some(first) = chars.next() {
            reason.extend(first.to_uppercase());
            reason.push_str(chars.as_str());
        }
    }
    reason
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
// Deployment

async fn deployment_op(
    kube: &Kube<'_>,
    request: &ActionRequest,
    revision_before: &mut Option<i64>,
) -> Result<String, ActionFailure> {
    let name = request.key.name.as_str();
    let deployment = kube.get(name).await?;
    *revision_before = revision_of(&deployment.metadata);
    let text = match request.op {
        Operation::Pause => set_paused(kube, &deployment, true).await?,
        Operation::Resume => set_paused(kube, &deployment, false).await?,
        Operation::Restart => restart(kube, &deployment, &restart_stamp()).await?,
        Operation::Rollback => undo(kube, &deployment, request.to_revision).await?,
        other => {
            return Err(ActionFailure::Rejected(format!(
                "{} is not an operation on a Deployment",
                other.verb()
            )))
        }
    };
    Ok(kube.say(text))
}

async fn set_paused(
    kube: &Kube<'_>,
    deployment: &Deployment,
    paused: bool,
) -> Result<String, ActionFailure> {
    let name = name_of(deployment);
    let now_paused = deployment
        .spec
        .as_ref()
        .and_then(|s| s.paused)
        .unwrap_or(false);
    if now_paused == paused {
        // kubectl's wording, so runbooks that quote it still read right.
        let state = if paused {
            "is already paused"
        } else {
            "is not paused"
        };
        return Err(ActionFailure::Rejected(format!(
            "deployments.apps \"{name}\" {state}"
        )));
    }
    kube.merge(name, &json!({ "spec": { "paused": paused } }))
        .await?;
    Ok(format!(
        "deployment.apps/{name} {}",
        if paused { "paused" } else { "resumed" }
    ))
}

fn restart_stamp() -> String {
    Utc::now().to_rfc3339_opts(SecondsFormat::Secs, true)
}

async fn restart(
    kube: &Kube<'_>,
    deployment: &Deployment,
    stamp: &str,
) -> Result<String, ActionFailure> {
    let name = name_of(deployment);
    if deployment
        .spec
        .as_ref()
        .and_then(|s| s.paused)
        .unwrap_or(false)
    {
        return Err(ActionFailure::Rejected(format!(
            "deployments.apps \"{name}\" can't restart paused deployment (run rollout resume first)"
        )));
    }
    let patch = json!({
        "spec": { "template": { "metadata": { "annotations": { RESTARTED_AT_ANNOTATION: stamp } } } }
    });
    kube.merge(name, &patch).await?;
    Ok(format!("deployment.apps/{name} restarted"))
}

/// `kubectl rollout undo [--to-revision=N]`: put an older ReplicaSet's template back on the
/// Deployment with one JSON patch, and the ReplicaSet's annotations with it.
async fn undo(
    kube: &Kube<'_>,
    deployment: &Deployment,
    to_revision: Option<i64>,
) -> Result<String, ActionFailure> {
    let name = name_of(deployment);
    let wanted = to_revision.unwrap_or(0);
    if wanted < 0 {
        return Err(revision_not_found(wanted));
    }
    let replica_sets = kube.owned_replica_sets(deployment).await?;
    let target = pick_revision(&replica_sets, wanted).ok_or_else(|| {
        if wanted > 0 {
            revision_not_found(wanted)
        } else {
            ActionFailure::Rejected(format!(
                "no rollout history found for deployment \"{name}\""
            ))
        }
    })?;
    let target_revision = revision_of(&target.metadata).unwrap_or(wanted);
    let spec = deployment.spec.as_ref();
    if spec.and_then(|s| s.paused).unwrap_or(false) {
        return Err(ActionFailure::Rejected(format!(
            "you cannot rollback a paused deployment; resume deployment/{name} first and try again"
        )));
    }
    let mut template = target
        .spec
        .as_ref()
        .and_then(|s| s.template.clone())
        .ok_or_else(|| {
            ActionFailure::Rejected(format!(
                "ReplicaSet {}/{} has no pod template",
                kube.ns,
                name_of(target)
            ))
        })?;
    let current = spec.map(|s| s.template.clone()).unwrap_or_default();
    if templates_equal(&template, &current) {
        return Err(ActionFailure::Rejected(format!(
            "skipped rollback (current template already matches revision {target_revision})"
        )));
    }
    if let Some(labels) = template.metadata.as_mut().and_then(|m| m.labels.as_mut()) {
        labels.remove(POD_TEMPLATE_HASH_LABEL);
    }

    // The Deployment keeps its own bookkeeping annotations; everything else comes from the
    // ReplicaSet (change-cause and the like), exactly as kubectl computes it.
    let mut annotations = BTreeMap::new();
    let own = deployment.metadata.annotations.clone().unwrap_or_default();
    for skip in ANNOTATIONS_TO_SKIP {
        if let Some(v) = own.get(*skip) {
            annotations.insert(skip.to_string(), v.clone());
        }
    }
    for (k, v) in target.metadata.annotations.iter().flatten() {
        if !ANNOTATIONS_TO_SKIP.contains(&k.as_str()) {
            annotations.insert(k.clone(), v.clone());
        }
    }
    let template = to_json(&template)?;
    // "replace" needs the member to exist; "add" on a missing one does the same job.
    let annotations_op = if deployment.metadata.annotations.is_some() {
        "replace"
    } else {
        "add"
    };
    let ops = json!([
        { "op": "replace", "path": "/spec/template", "value": template },
        { "op": annotations_op, "path": "/metadata/annotations", "value": annotations },
    ]);
    kube.json_patch(name, ops).await?;
    Ok(format!(
        "deployment.apps/{name} rolled back to revision {target_revision}"
    ))
}

fn revision_not_found(revision: i64) -> ActionFailure {
    ActionFailure::Rejected(format!(
        "unable to find specified revision {revision} in history"
    ))
}

/// Revision `wanted`, or for 0 the newest revision below the newest one.
fn pick_revision(replica_sets: &[ReplicaSet], wanted: i64) -> Option<&ReplicaSet> {
    let mut numbered: Vec<(i64, &ReplicaSet)> = replica_sets
        .iter()
        .filter_map(|rs| revision_of(&rs.metadata).map(|r| (r, rs)))
        .collect();
    if wanted > 0 {
        return numbered
            .into_iter()
            .find(|(r, _)| *r == wanted)
            .map(|(_, rs)| rs);
    }
    numbered.sort_by_key(|(r, _)| std::cmp::Reverse(*r));
    numbered.get(1).map(|(_, rs)| *rs)
}

/// Templates compared the way kubectl does: ignoring the pod-template-hash label, and with
/// empty maps and lists equal to absent ones.
fn templates_equal(a: &PodTemplateSpec, b: &PodTemplateSpec) -> bool {
    let norm = |t: &PodTemplateSpec| {
        let mut t = t.clone();
        if let Some(labels) = t.metadata.as_mut().and_then(|m| m.labels.as_mut()) {
            labels.remove(POD_TEMPLATE_HASH_LABEL);
        }
        serde_json::to_value(&t).map(prune_empty).ok()
    };
    match (norm(a), norm(b)) {
        (Some(a), Some(b)) => a == b,
        _ => false,
    }
}

fn prune_empty(value: Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.into_iter()
                .map(|(k, v)| (k, prune_empty(v)))
                .filter(|(_, v)| !is_empty(v))
                .collect::<Map<_, _>>(),
        ),
        Value::Array(items) => Value::Array(items.into_iter().map(prune_empty).collect()),
        other => other,
    }
}

fn is_empty(value: &Value) -> bool {
    match value {
        Value::Null => true,
        Value::Object(m) => m.is_empty(),
        Value::Array(a) => a.is_empty(),
        _ => false,
    }
}

// ---------------------------------------------------------------------------------------
// Canary pair

async fn pair_op(
    kube: &Kube<'_>,
    request: &ActionRequest,
    revision_before: &mut Option<i64>,
) -> Result<String, ActionFailure> {
    let stable_name = request.key.name.as_str();
    let stable = kube.get(stable_name).await?;
    *revision_before = revision_of(&stable.metadata);
    // Rollback touches only the stable side; everything else needs the canary.
    if request.op == Operation::Rollback {
        return undo(kube, &stable, request.to_revision)
            .await
            .map(|t| kube.say(t));
    }
    let canary = kube.canary_of(stable_name).await?;
    let text = match request.op {
        Operation::Promote => promote_step(kube, &stable, &canary, request.weight).await?,
        Operation::PromoteFull => promote(kube, &stable, &canary).await?,
        Operation::Abort => abort(kube, &canary).await?,
        Operation::SetWeight => set_weight(kube, &stable, &canary, request.weight).await?,
        Operation::Restart => {
            let stamp = restart_stamp();
            let mut text = restart(kube, &stable, &stamp).await?;
            if replicas(&canary) > 0 {
                let done = restart(kube, &canary, &stamp)
                    .await
                    .map_err(|e| after(e, &format!("{text}, but")))?;
                text = format!("{text}; {done}");
            } else {
                text.push_str(&format!(
                    "; canary deployment.apps/{} has 0 replicas, not restarted",
                    name_of(&canary)
                ));
            }
            text
        }
        other => {
            return Err(ActionFailure::Rejected(format!(
                "{} is not an operation on a canary pair",
                other.verb()
            )))
        }
    };
    Ok(kube.say(text))
}

/// One step: the canary's share of replicas moves up to the next pair step.
async fn promote_step(
    kube: &Kube<'_>,
    stable: &Deployment,
    canary: &Deployment,
    requested: Option<u8>,
) -> Result<String, ActionFailure> {
    let (weight, _, _) = pair_promote_target(requested, replicas(stable), replicas(canary))
        .map_err(|why| {
            ActionFailure::Rejected(format!("canary deployment.apps/{}: {why}", name_of(canary)))
        })?;
    let text = set_weight(kube, stable, canary, Some(weight)).await?;
    Ok(format!("promoted one step: {text}"))
}

/// The stable Deployment takes the canary's pod template, keeping its own values for the
/// labels its selector matches (so its pods stay its own), then the canary goes to zero.
async fn promote(
    kube: &Kube<'_>,
    stable: &Deployment,
    canary: &Deployment,
) -> Result<String, ActionFailure> {
    let stable_name = name_of(stable);
    let canary_name = name_of(canary);
    let canary_template = canary
        .spec
        .as_ref()
        .map(|s| s.template.clone())
        .unwrap_or_default();
    let stable_template = stable
        .spec
        .as_ref()
        .map(|s| s.template.clone())
        .unwrap_or_default();
    let template = promoted_template(stable, &canary_template);
    let images = images_of(&template);

    let mut done = Vec::new();
    if templates_equal(&template, &stable_template) {
        done.push(format!(
            "deployment.apps/{stable_name} already runs the canary's template"
        ));
    } else {
        let ops =
            json!([{ "op": "replace", "path": "/spec/template", "value": to_json(&template)? }]);
        kube.json_patch(stable_name, ops).await?;
        done.push(format!(
            "deployment.apps/{stable_name} now runs the canary's template ({images})"
        ));
    }
    if replicas(canary) > 0 {
        kube.merge(canary_name, &json!({ "spec": { "replicas": 0 } }))
            .await
            .map_err(|e| after(e, &format!("{}, but", done.join("; "))))?;
        done.push(format!("canary deployment.apps/{canary_name} scaled to 0"));
    } else {
        done.push(format!(
            "canary deployment.apps/{canary_name} already at 0 replicas"
        ));
    }
    Ok(format!("promoted: {}", done.join("; ")))
}

/// The canary's template with the stable selector's labels set to the stable's values, and
/// without the pair label (that belongs on the Deployment, not on stable pods).
fn promoted_template(stable: &Deployment, canary_template: &PodTemplateSpec) -> PodTemplateSpec {
    let mut template = canary_template.clone();
    let stable_labels = stable
        .spec
        .as_ref()
        .and_then(|s| s.template.metadata.as_ref())
        .and_then(|m| m.labels.clone())
        .unwrap_or_default();
    let selector_keys = stable
        .spec
        .as_ref()
        .map(|s| selector_keys(&s.selector))
        .unwrap_or_default();
    let meta = template.metadata.get_or_insert_with(Default::default);
    let labels = meta.labels.get_or_insert_with(Default::default);
    labels.remove(POD_TEMPLATE_HASH_LABEL);
    labels.remove(CANARY_OF_LABEL);
    for key in selector_keys {
        match stable_labels.get(&key) {
            Some(v) => {
                labels.insert(key, v.clone());
            }
            None => {
                labels.remove(&key);
            }
        }
    }
    template
}

fn selector_keys(selector: &LabelSelector) -> Vec<String> {
    let mut keys: Vec<String> = selector
        .match_labels
        .iter()
        .flatten()
        .map(|(k, _)| k.clone())
        .collect();
    keys.extend(
        selector
            .match_expressions
            .iter()
            .flatten()
            .map(|e| e.key.clone()),
    );
    keys
}

async fn abort(kube: &Kube<'_>, canary: &Deployment) -> Result<String, ActionFailure> {
    let name = name_of(canary);
    if replicas(canary) == 0 {
        return Ok(format!(
            "aborted: canary deployment.apps/{name} already at 0 replicas (nothing changed)"
        ));
    }
    kube.merge(name, &json!({ "spec": { "replicas": 0 } }))
        .await?;
    Ok(format!(
        "aborted: canary deployment.apps/{name} scaled to 0"
    ))
}

async fn set_weight(
    kube: &Kube<'_>,
    stable: &Deployment,
    canary: &Deployment,
    weight: Option<u8>,
) -> Result<String, ActionFailure> {
    let weight = weight
        .ok_or_else(|| ActionFailure::Rejected("set-weight needs a weight (0-100)".into()))?;
    if weight > 100 {
        return Err(ActionFailure::Rejected(format!(
            "weight {weight} is out of range: use 0-100"
        )));
    }
    let (stable_name, canary_name) = (name_of(stable), name_of(canary));
    let (s_now, c_now) = (replicas(stable), replicas(canary));
    let total = s_now + c_now;
    if total == 0 {
        return Err(ActionFailure::Rejected(format!(
            "deployment.apps/{stable_name} and its canary both have 0 replicas: nothing to split"
        )));
    }
    let (s_new, c_new) = split_replicas(total, weight);
    let summary = format!(
        "weight {weight}% of {total}: stable {stable_name} {s_new}, canary {canary_name} {c_new}"
    );
    if (s_new, c_new) == (s_now, c_now) {
        return Ok(format!("{summary} (nothing changed)"));
    }
    // Grow one side before shrinking the other, so serving capacity never dips.
    let steps = if c_new > c_now {
        [(canary_name, c_new), (stable_name, s_new)]
    } else {
        [(stable_name, s_new), (canary_name, c_new)]
    };
    let mut done: Vec<String> = Vec::new();
    for (name, count) in steps {
        kube.merge(name, &json!({ "spec": { "replicas": count } }))
            .await
            .map_err(|e| {
                if done.is_empty() {
                    e
                } else {
                    after(e, &format!("{}, but", done.join("; ")))
                }
            })?;
        done.push(format!("deployment.apps/{name} scaled to {count}"));
    }
    Ok(summary)
}

// ---------------------------------------------------------------------------------------
// API access

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
        if self.dry_run {
            format!("dry run: would have {text}")
        } else {
            text
        }
    }

    fn params(&self) -> PatchParams {
        let mut params = PatchParams {
            field_manager: Some(FIELD_MANAGER.into()),
            ..Default::default()
        };
        if self.dry_run {
            params = params.dry_run();
        }
        params
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
            ActionFailure::Unreachable(format!("{verb} {object}: {}", chain(&err)))
        }
        other => ActionFailure::Rejected(format!("{verb} {object}: {}", chain(&other))),
    }
}

/// An error and its causes on one line: kube's own message alone often hides the cause.
fn chain(err: &dyn std::error::Error) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        let more = cause.to_string();
        if !text.contains(&more) {
            text.push_str(": ");
            text.push_str(&more);
        }
        source = cause.source();
    }
    text
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

fn images_of(template: &PodTemplateSpec) -> String {
    let images: Vec<&str> = template
        .spec
        .iter()
        .flat_map(|s| s.containers.iter())
        .filter_map(|c| c.image.as_deref())
        .collect();
    if images.is_empty() {
        "no image".into()
    } else {
        images.join(", ")
    }
}

fn to_json<T: serde::Serialize>(value: &T) -> Result<Value, ActionFailure> {
    serde_json::to_value(value)
        .map_err(|e| ActionFailure::Rejected(format!("internal error encoding a patch: {e}")))
}

fn truncate(text: &str, limit: usize) -> String {
    if text.len() <= limit {
        return text.to_string();
    }
    let mut end = limit.saturating_sub(3);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}...", &text[..end])
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::api::apps::v1::{DeploymentSpec, ReplicaSetSpec};
    use k8s_openapi::api::core::v1::{Container, PodSpec};
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelectorRequirement;

    fn template(image: &str, labels: &[(&str, &str)]) -> PodTemplateSpec {
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

    fn rs(revision: &str) -> ReplicaSet {
        ReplicaSet {
            metadata: ObjectMeta {
                name: Some(format!("web-{revision}")),
                annotations: Some([(REVISION_ANNOTATION.to_string(), revision.to_string())].into()),
                ..Default::default()
            },
            spec: Some(ReplicaSetSpec::default()),
            status: None,
        }
    }

    #[test]
    fn event_reasons_are_pascal_case() {
        assert_eq!(event_reason(Operation::Pause), "RipcordPause");
        assert_eq!(event_reason(Operation::Rollback), "RipcordRollback");
        assert_eq!(event_reason(Operation::SetWeight), "RipcordSetWeight");
        assert_eq!(event_reason(Operation::PromoteFull), "RipcordPromoteFull");
    }

    #[test]
    fn rollback_picks_the_previous_revision_or_the_named_one() {
        let sets = vec![rs("3"), rs("1"), rs("5"), rs("x"), rs("4")];
        let name = |r: Option<&ReplicaSet>| r.and_then(|r| r.metadata.name.clone());
        assert_eq!(name(pick_revision(&sets, 0)).as_deref(), Some("web-4"));
        assert_eq!(name(pick_revision(&sets, 1)).as_deref(), Some("web-1"));
        assert_eq!(name(pick_revision(&sets, 2)), None);
        assert_eq!(name(pick_revision(&sets[..1], 0)), None);
    }

    #[test]
    fn templates_compare_without_the_hash_label_and_empty_maps() {
        let a = template("web:1", &[("app", "web"), (POD_TEMPLATE_HASH_LABEL, "abc")]);
        let mut b = template("web:1", &[("app", "web")]);
        assert!(templates_equal(&a, &b));
        if let Some(m) = b.metadata.as_mut() {
            m.annotations = Some(BTreeMap::new());
        }
        assert!(templates_equal(&a, &b));
        assert!(!templates_equal(&a, &template("web:2", &[("app", "web")])));
    }

    #[test]
    fn promotion_keeps_the_stable_selector_labels() {
        let stable = Deployment {
            spec: Some(DeploymentSpec {
                selector: LabelSelector {
                    match_labels: Some(
                        [("app", "web"), ("track", "stable")]
                            .iter()
                            .map(|(k, v)| (k.to_string(), v.to_string()))
                            .collect(),
                    ),
                    match_expressions: None,
                },
                template: template("web:1", &[("app", "web"), ("track", "stable")]),
                ..Default::default()
            }),
            ..Default::default()
        };
        let canary = template(
            "web:2",
            &[
                ("app", "web"),
                ("track", "canary"),
                ("build", "77"),
                (CANARY_OF_LABEL, "web"),
            ],
        );
        let promoted = promoted_template(&stable, &canary);
        let labels = promoted.metadata.and_then(|m| m.labels).unwrap_or_default();
        assert_eq!(labels.get("track").map(String::as_str), Some("stable"));
        assert_eq!(labels.get("app").map(String::as_str), Some("web"));
        assert_eq!(labels.get("build").map(String::as_str), Some("77"));
        assert!(!labels.contains_key(CANARY_OF_LABEL));
        assert_eq!(images_of(&promoted_template(&stable, &canary)), "web:2");
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
    fn long_event_messages_are_cut_on_a_char_boundary() {
        let text = "é".repeat(600);
        let cut = truncate(&text, 1024);
        assert!(cut.len() <= 1024 && cut.ends_with("..."));
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
