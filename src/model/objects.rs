//! Compact rows for the Kubernetes objects a release is made of.
//!
//! A typed `Pod` costs tens of kilobytes; a row keeps only what the console shows, so ten
//! thousand pods fit in a few megabytes. Rows of built-in kinds (Deployments, ReplicaSets,
//! Pods, Events) come from [`super::wire`]'s structs, rows of custom resources (Argo
//! Rollouts, Flagger Canaries) from their JSON, and a malformed object becomes an error that
//! names it.

use super::release::{Condition, StepKind, Strategy};
use super::text::{inert_owned, is_inert};
use super::wire::{WireLabels, WireMeta, WireObject, WireSpec};
use chrono::{DateTime, Timelike, Utc};
use serde::Deserialize;
use serde_json::Value;
use std::fmt;

use super::text::inert;

/// A string from a cluster, made inert where it enters a row: every view, table and JSON
/// output reads rows, so none of them can be handed a control sequence.
fn clean(text: String) -> String {
    if is_inert(&text) {
        text
    } else {
        inert_owned(&text)
    }
}

fn clean_opt(text: Option<String>) -> Option<String> {
    text.map(clean)
}

/// A string field of a custom resource, made inert.
fn text_at(v: &Value, path: &[&str]) -> Option<String> {
    str_at(v, path).map(|s| clean(s.to_owned()))
}

/// Label that ties a canary Deployment to its stable Deployment.
pub const CANARY_OF_LABEL: &str = "ripcord.dev/canary-of";
pub const REVISION_ANNOTATION: &str = "deployment.kubernetes.io/revision";
/// Argo Rollouts keeps its own revision number on ReplicaSets.
pub const ARGO_REVISION_ANNOTATION: &str = "rollout.argoproj.io/revision";

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ObjectKind {
    Deployment,
    ReplicaSet,
    Pod,
    Event,
    ArgoRollout,
    FlaggerCanary,
}

impl ObjectKind {
    /// Kinds defined by CRDs, read from a JSON tree rather than the built-in reader.
    pub fn is_custom(self) -> bool {
        matches!(self, ObjectKind::ArgoRollout | ObjectKind::FlaggerCanary)
    }
}

impl fmt::Display for ObjectKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ObjectKind::Deployment => "Deployment",
            ObjectKind::ReplicaSet => "ReplicaSet",
            ObjectKind::Pod => "Pod",
            ObjectKind::Event => "Event",
            ObjectKind::ArgoRollout => "Rollout",
            ObjectKind::FlaggerCanary => "Canary",
        })
    }
}

/// Names an object in messages, as `Kind ns/name`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ObjectRef {
    pub kind: ObjectKind,
    pub namespace: String,
    pub name: String,
}

impl fmt::Display for ObjectRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}/{}", self.kind, self.namespace, self.name)
    }
}

/// An object that could not be read; the console shows it and carries on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}: {}", inert(.object), inert(.problem))]
pub struct ObjectError {
    pub object: String,
    pub problem: String,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Meta {
    pub namespace: String,
    pub name: String,
    pub created: Option<DateTime<Utc>>,
    /// The controlling owner, as (kind, name).
    pub owner: Option<(String, String)>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct DeploymentRow {
    pub meta: Meta,
    pub generation: i64,
    pub revision: i64,
    pub canary_of: Option<String>,
    pub replicas: i32,
    pub paused: bool,
    pub strategy: Strategy,
    pub images: Vec<String>,
    pub observed_generation: i64,
    pub status_replicas: i32,
    pub updated: i32,
    pub ready: i32,
    pub available: i32,
    pub conditions: Vec<Condition>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ReplicaSetRow {
    pub meta: Meta,
    pub revision: i64,
    pub template_hash: String,
    pub images: Vec<String>,
    pub replicas: i32,
    pub ready: i32,
}

#[derive(Debug, Clone, PartialEq)]
pub struct PodRow {
    pub meta: Meta,
    pub template_hash: String,
    pub status: String,
    pub ready: bool,
    pub restarts: i32,
}

#[derive(Debug, Clone, PartialEq)]
pub struct EventRow {
    pub meta: Meta,
    pub involved_kind: String,
    pub involved_name: String,
    pub warning: bool,
    pub reason: String,
    pub message: String,
    pub count: i32,
    pub last_seen: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ArgoRolloutRow {
    pub meta: Meta,
    pub replicas: i32,
    pub paused: bool,
    pub strategy: Strategy,
    pub steps: Vec<StepKind>,
    pub phase: String,
    pub message: String,
    pub current_step: Option<usize>,
    pub stable_hash: String,
    pub current_hash: String,
    pub aborted: bool,
    pub pause_reasons: Vec<String>,
    pub weight: Option<u8>,
    pub analysis_status: Option<String>,
    pub analysis_message: String,
    pub conditions: Vec<Condition>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct FlaggerCanaryRow {
    pub meta: Meta,
    pub target: String,
    pub phase: String,
    pub weight: u8,
    pub max_weight: u8,
    pub step_weight: u8,
    pub failed_checks: i64,
    pub threshold: i64,
    pub conditions: Vec<Condition>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Object {
    Deployment(DeploymentRow),
    ReplicaSet(ReplicaSetRow),
    Pod(PodRow),
    Event(EventRow),
    ArgoRollout(ArgoRolloutRow),
    FlaggerCanary(FlaggerCanaryRow),
}

impl Object {
    pub fn meta(&self) -> &Meta {
        match self {
            Object::Deployment(o) => &o.meta,
            Object::ReplicaSet(o) => &o.meta,
            Object::Pod(o) => &o.meta,
            Object::Event(o) => &o.meta,
            Object::ArgoRollout(o) => &o.meta,
            Object::FlaggerCanary(o) => &o.meta,
        }
    }

    pub fn kind(&self) -> ObjectKind {
        match self {
            Object::Deployment(_) => ObjectKind::Deployment,
            Object::ReplicaSet(_) => ObjectKind::ReplicaSet,
            Object::Pod(_) => ObjectKind::Pod,
            Object::Event(_) => ObjectKind::Event,
            Object::ArgoRollout(_) => ObjectKind::ArgoRollout,
            Object::FlaggerCanary(_) => ObjectKind::FlaggerCanary,
        }
    }

    pub fn object_ref(&self) -> ObjectRef {
        let meta = self.meta();
        ObjectRef {
            kind: self.kind(),
            namespace: meta.namespace.clone(),
            name: meta.name.clone(),
        }
    }
}

fn meta_of(kind: ObjectKind, m: Option<&WireMeta>) -> Result<Meta, ObjectError> {
    let unnamed = || ObjectError {
        object: format!("{kind} without a name"),
        problem: "metadata.name is missing".into(),
    };
    let m = m.ok_or_else(unnamed)?;
    let name = m.name.clone().ok_or_else(unnamed)?;
    let owner = m.owner_references.as_ref().and_then(|refs| {
        refs.iter()
            .find(|r| r.controller == Some(true))
            .or(refs.first())
            .map(|r| (clean(r.kind.clone()), clean(r.name.clone())))
    });
    Ok(Meta {
        namespace: clean(m.namespace.clone().unwrap_or_default()),
        name: clean(name),
        created: m.creation_timestamp,
        owner,
    })
}

fn labels(m: Option<&WireMeta>) -> Option<&WireLabels> {
    m?.labels.as_ref()
}

fn template_hash(m: Option<&WireMeta>) -> String {
    labels(m)
        .and_then(|l| {
            l.pod_template_hash
                .clone()
                .or_else(|| l.rollouts_pod_template_hash.clone())
        })
        .map(clean)
        .unwrap_or_default()
}

fn revision_of(m: Option<&WireMeta>) -> i64 {
    m.and_then(|m| m.annotations.as_ref())
        .and_then(|a| a.revision.as_ref().or(a.argo_revision.as_ref()))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

fn images_of(spec: Option<&WireSpec>) -> Vec<String> {
    spec.and_then(|s| s.template.as_ref())
        .and_then(|t| t.spec.as_ref())
        .and_then(|s| s.containers.as_ref())
        .map(|cs| {
            cs.iter()
                .filter_map(|c| c.image.clone().map(clean))
                .collect()
        })
        .unwrap_or_default()
}

fn deployment_row(o: WireObject) -> Result<DeploymentRow, ObjectError> {
    let m = o.metadata.as_ref();
    let meta = meta_of(ObjectKind::Deployment, m)?;
    let spec = o.spec.as_ref();
    let status = o.status.unwrap_or_default();
    let strategy = match spec
        .and_then(|s| s.strategy.as_ref())
        .and_then(|s| s.type_.as_deref())
    {
        Some("Recreate") => Strategy::Recreate,
        _ => Strategy::RollingUpdate,
    };
    Ok(DeploymentRow {
        generation: m.and_then(|m| m.generation).unwrap_or(0),
        revision: revision_of(m),
        canary_of: clean_opt(labels(m).and_then(|l| l.canary_of.clone())),
        replicas: spec.and_then(|s| s.replicas).unwrap_or(1),
        paused: spec.and_then(|s| s.paused).unwrap_or(false),
        strategy,
        images: images_of(spec),
        observed_generation: status.observed_generation.unwrap_or(0),
        status_replicas: status.replicas.unwrap_or(0),
        updated: status.updated_replicas.unwrap_or(0),
        ready: status.ready_replicas.unwrap_or(0),
        available: status.available_replicas.unwrap_or(0),
        conditions: status
            .conditions
            .unwrap_or_default()
            .into_iter()
            .map(|c| Condition {
                type_: clean(c.type_),
                status: clean(c.status),
                reason: clean(c.reason.unwrap_or_default()),
                message: clean(c.message.unwrap_or_default()),
            })
            .collect(),
        meta,
    })
}

fn replicaset_row(o: WireObject) -> Result<ReplicaSetRow, ObjectError> {
    let m = o.metadata.as_ref();
    let meta = meta_of(ObjectKind::ReplicaSet, m)?;
    let spec = o.spec.as_ref();
    Ok(ReplicaSetRow {
        revision: revision_of(m),
        template_hash: template_hash(m),
        images: images_of(spec),
        replicas: spec.and_then(|s| s.replicas).unwrap_or(1),
        ready: o.status.and_then(|s| s.ready_replicas).unwrap_or(0),
        meta,
    })
}

fn pod_row(o: WireObject) -> Result<PodRow, ObjectError> {
    let m = o.metadata.as_ref();
    let meta = meta_of(ObjectKind::Pod, m)?;
    let status = o.status.unwrap_or_default();
    let containers = status.container_statuses.unwrap_or_default();
    let waiting = containers.iter().find_map(|c| {
        c.state
            .as_ref()
            .and_then(|s| s.waiting.as_ref())
            .and_then(|w| w.reason.clone())
    });
    let ready = status
        .conditions
        .as_ref()
        .is_some_and(|cs| cs.iter().any(|c| c.type_ == "Ready" && c.status == "True"));
    let terminating = m.is_some_and(|m| m.deletion_timestamp.is_some());
    Ok(PodRow {
        template_hash: template_hash(m),
        status: if terminating {
            "Terminating".into()
        } else {
            clean(waiting.unwrap_or_else(|| status.phase.unwrap_or_else(|| "Pending".into())))
        },
        ready,
        restarts: containers.iter().map(|c| c.restart_count).sum(),
        meta,
    })
}

fn event_row(o: WireObject) -> Result<EventRow, ObjectError> {
    let meta = meta_of(ObjectKind::Event, o.metadata.as_ref())?;
    let involved = o.involved_object.unwrap_or_default();
    Ok(EventRow {
        involved_kind: clean(involved.kind.unwrap_or_default()),
        involved_name: clean(involved.name.unwrap_or_default()),
        warning: o.type_.as_deref() == Some("Warning"),
        reason: clean(o.reason.unwrap_or_default()),
        message: clean(o.message.unwrap_or_default()),
        count: o.count.unwrap_or(1),
        last_seen: o
            .last_timestamp
            .or(o.event_time.and_then(|t| t.with_nanosecond(0)))
            .or(meta.created),
        meta,
    })
}

/// Reads the metadata of a custom resource given as JSON.
fn json_meta(kind: ObjectKind, v: &Value) -> Result<Meta, ObjectError> {
    let m = match v.get("metadata") {
        Some(m) => Some(WireMeta::deserialize(m).map_err(|e| ObjectError {
            object: format!("{kind} (unreadable metadata)"),
            problem: e.to_string(),
        })?),
        None => None,
    };
    meta_of(kind, m.as_ref())
}

fn str_at<'a>(v: &'a Value, path: &[&str]) -> Option<&'a str> {
    path.iter().try_fold(v, |v, k| v.get(k))?.as_str()
}

fn int_at(v: &Value, path: &[&str]) -> Option<i64> {
    path.iter().try_fold(v, |v, k| v.get(k))?.as_i64()
}

fn conditions_at(v: &Value) -> Vec<Condition> {
    v.pointer("/status/conditions")
        .and_then(Value::as_array)
        .map(|cs| {
            cs.iter()
                .map(|c| Condition {
                    type_: text_at(c, &["type"]).unwrap_or_default(),
                    status: text_at(c, &["status"]).unwrap_or_default(),
                    reason: text_at(c, &["reason"]).unwrap_or_default(),
                    message: text_at(c, &["message"]).unwrap_or_default(),
                })
                .collect()
        })
        .unwrap_or_default()
}

fn weight(v: i64) -> u8 {
    v.clamp(0, 100) as u8
}

fn argo_step(step: &Value) -> StepKind {
    if let Some(w) = int_at(step, &["setWeight"]) {
        return StepKind::SetWeight { weight: weight(w) };
    }
    if let Some(p) = step.get("pause") {
        let duration = p.get("duration").map(|d| match d {
            Value::String(s) => clean(s.clone()),
            other => clean(format!("{other}s")),
        });
        return StepKind::Pause { duration };
    }
    if let Some(a) = step.get("analysis") {
        let templates = a
            .get("templates")
            .and_then(Value::as_array)
            .map(|ts| {
                ts.iter()
                    .filter_map(|t| text_at(t, &["templateName"]))
                    .collect()
            })
            .unwrap_or_default();
        return StepKind::Analysis { templates };
    }
    let text = step
        .as_object()
        .and_then(|o| o.keys().next().cloned())
        .map(clean)
        .unwrap_or_else(|| "step".into());
    StepKind::Other { text }
}

/// Reads an Argo Rollout (argoproj.io/v1alpha1) with whatever status its controller wrote.
pub fn argo_rollout_row(v: &Value) -> Result<ArgoRolloutRow, ObjectError> {
    let meta = json_meta(ObjectKind::ArgoRollout, v)?;
    let object = format!("Rollout {}/{}", meta.namespace, meta.name);
    let strategy_v = v.pointer("/spec/strategy").ok_or_else(|| ObjectError {
        object: object.clone(),
        problem: "spec.strategy is missing (expected canary or blueGreen)".into(),
    })?;
    let strategy = if strategy_v.get("blueGreen").is_some() {
        Strategy::BlueGreen
    } else if strategy_v.get("canary").is_some() {
        Strategy::Canary
    } else {
        return Err(ObjectError {
            object,
            problem: "spec.strategy has neither canary nor blueGreen".into(),
        });
    };
    let steps = strategy_v
        .pointer("/canary/steps")
        .and_then(Value::as_array)
        .map(|s| s.iter().map(argo_step).collect())
        .unwrap_or_default();
    let status = v.get("status").cloned().unwrap_or_default();
    let pause_reasons = status
        .get("pauseConditions")
        .and_then(Value::as_array)
        .map(|ps| ps.iter().filter_map(|p| text_at(p, &["reason"])).collect())
        .unwrap_or_default();
    let stable_hash = text_at(&status, &["stableRS"])
        .or_else(|| text_at(&status, &["blueGreen", "activeSelector"]))
        .unwrap_or_default();
    Ok(ArgoRolloutRow {
        replicas: int_at(v, &["spec", "replicas"]).unwrap_or(1) as i32,
        paused: v
            .pointer("/spec/paused")
            .and_then(Value::as_bool)
            .unwrap_or(false),
        strategy,
        steps,
        phase: text_at(&status, &["phase"]).unwrap_or_default(),
        message: text_at(&status, &["message"]).unwrap_or_default(),
        current_step: int_at(&status, &["currentStepIndex"]).map(|i| i.max(0) as usize),
        stable_hash,
        current_hash: text_at(&status, &["currentPodHash"]).unwrap_or_default(),
        aborted: status
            .get("abort")
            .and_then(Value::as_bool)
            .unwrap_or(false),
        pause_reasons,
        weight: int_at(&status, &["canary", "weights", "canary", "weight"]).map(weight),
        analysis_status: text_at(
            &status,
            &["canary", "currentStepAnalysisRunStatus", "status"],
        ),
        analysis_message: text_at(
            &status,
            &["canary", "currentStepAnalysisRunStatus", "message"],
        )
        .unwrap_or_default(),
        conditions: conditions_at(v),
        meta,
    })
}

/// Reads a Flagger Canary (flagger.app/v1beta1).
pub fn flagger_canary_row(v: &Value) -> Result<FlaggerCanaryRow, ObjectError> {
    let meta = json_meta(ObjectKind::FlaggerCanary, v)?;
    let target = str_at(v, &["spec", "targetRef", "name"]).ok_or_else(|| ObjectError {
        object: format!("Canary {}/{}", meta.namespace, meta.name),
        problem: "spec.targetRef.name is missing".into(),
    })?;
    let analysis = v.pointer("/spec/analysis").cloned().unwrap_or_default();
    Ok(FlaggerCanaryRow {
        target: clean(target.to_owned()),
        phase: text_at(v, &["status", "phase"]).unwrap_or_else(|| "Initializing".into()),
        weight: weight(int_at(v, &["status", "canaryWeight"]).unwrap_or(0)),
        max_weight: weight(int_at(&analysis, &["maxWeight"]).unwrap_or(50)),
        step_weight: weight(int_at(&analysis, &["stepWeight"]).unwrap_or(10)).max(1),
        failed_checks: int_at(v, &["status", "failedChecks"]).unwrap_or(0),
        threshold: int_at(&analysis, &["threshold"]).unwrap_or(5),
        conditions: conditions_at(v),
        meta,
    })
}

/// The row of a built-in object (see [`ObjectKind::is_custom`]).
pub fn builtin_row(kind: ObjectKind, o: WireObject) -> Result<Object, ObjectError> {
    match kind {
        ObjectKind::Deployment => deployment_row(o).map(Object::Deployment),
        ObjectKind::ReplicaSet => replicaset_row(o).map(Object::ReplicaSet),
        ObjectKind::Pod => pod_row(o).map(Object::Pod),
        ObjectKind::Event => event_row(o).map(Object::Event),
        ObjectKind::ArgoRollout | ObjectKind::FlaggerCanary => Err(ObjectError {
            object: format!(
                "{kind} {}",
                o.metadata.and_then(|m| m.name).unwrap_or_default()
            ),
            problem: "a custom resource is read from its JSON, not as a built-in kind".into(),
        }),
    }
}

/// The row of a custom resource, from its JSON.
pub fn custom_row(kind: ObjectKind, v: &Value) -> Result<Object, ObjectError> {
    match kind {
        ObjectKind::ArgoRollout => argo_rollout_row(v).map(Object::ArgoRollout),
        ObjectKind::FlaggerCanary => flagger_canary_row(v).map(Object::FlaggerCanary),
        _ => Err(ObjectError {
            object: format!(
                "{kind} {}",
                str_at(v, &["metadata", "name"]).unwrap_or_default()
            ),
            problem: "a built-in kind is read by the built-in reader, not as a custom resource"
                .into(),
        }),
    }
}

/// Reads any supported object from JSON, as the simulator produces it; `kind` says which.
pub fn object_from_json(v: &Value) -> Result<Object, ObjectError> {
    let kind = match str_at(v, &["kind"]).unwrap_or_default() {
        "Deployment" => ObjectKind::Deployment,
        "ReplicaSet" => ObjectKind::ReplicaSet,
        "Pod" => ObjectKind::Pod,
        "Event" => ObjectKind::Event,
        "Rollout" => ObjectKind::ArgoRollout,
        "Canary" => ObjectKind::FlaggerCanary,
        other => {
            return Err(ObjectError {
                object: format!("object of kind {other:?}"),
                problem: "not a kind ripcord watches".into(),
            })
        }
    };
    if kind.is_custom() {
        return custom_row(kind, v);
    }
    let o = WireObject::deserialize(v).map_err(|e| ObjectError {
        object: format!(
            "{kind} {}",
            str_at(v, &["metadata", "name"]).unwrap_or("(unnamed)")
        ),
        problem: e.to_string(),
    })?;
    builtin_row(kind, o)
}

/// A change to the objects of one cluster, from a watcher or the simulator.
// Rows move once from the source into the cache; boxing them would cost an allocation per event.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq)]
pub enum Change {
    Applied(Object),
    Deleted(ObjectRef),
    /// A full (re)list of one kind: everything of that kind in `namespace` (all namespaces
    /// when `None`) is replaced, so objects deleted while the watch was down disappear.
    Reset {
        kind: ObjectKind,
        namespace: Option<String>,
        objects: Vec<Object>,
    },
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::text::is_inert;
    use serde_json::json;

    const EVIL: &str = "x\u{1b}]0;PWN\u{7}\u{1b}]52;c;cm0gLXJm\u{7}\u{1b}[2J\r\u{9b}2J";

    #[test]
    fn every_string_from_a_cluster_is_inert_in_its_row() {
        let deployment = json!({
            "kind": "Deployment",
            "metadata": { "name": "web", "namespace": "shop" },
            "spec": { "template": { "spec": { "containers": [{ "image": EVIL }] } } },
            "status": { "conditions": [{ "type": EVIL, "status": EVIL, "reason": EVIL, "message": EVIL }] }
        });
        let Ok(Object::Deployment(d)) = object_from_json(&deployment) else {
            panic!("a deployment row")
        };
        let mut texts = d.images.clone();
        for c in &d.conditions {
            texts.extend([&c.type_, &c.status, &c.reason, &c.message].map(|s| s.to_string()));
        }
        let event = json!({
            "kind": "Event",
            "metadata": { "name": "e", "namespace": "shop" },
            "involvedObject": { "kind": EVIL, "name": EVIL },
            "reason": EVIL, "message": EVIL
        });
        let Ok(Object::Event(e)) = object_from_json(&event) else {
            panic!("an event row")
        };
        texts.extend([e.involved_kind, e.involved_name, e.reason, e.message]);
        let rollout = json!({
            "kind": "Rollout",
            "metadata": { "name": "r", "namespace": "shop" },
            "spec": { "strategy": { "canary": { "steps": [
                { "pause": { "duration": EVIL } },
                { "analysis": { "templates": [{ "templateName": EVIL }] } },
                { EVIL: {} }
            ] } } },
            "status": {
                "phase": EVIL, "message": EVIL, "stableRS": EVIL, "currentPodHash": EVIL,
                "pauseConditions": [{ "reason": EVIL }],
                "canary": { "currentStepAnalysisRunStatus": { "status": EVIL, "message": EVIL } },
                "conditions": [{ "type": "Progressing", "status": "False", "reason": EVIL, "message": EVIL }]
            }
        });
        let Ok(Object::ArgoRollout(r)) = object_from_json(&rollout) else {
            panic!("a rollout row")
        };
        texts.extend(r.steps.iter().map(ToString::to_string));
        texts.extend([
            r.phase,
            r.message,
            r.stable_hash,
            r.current_hash,
            r.analysis_message,
        ]);
        texts.extend(r.analysis_status);
        texts.extend(r.pause_reasons);
        texts.extend(r.conditions.iter().map(|c| c.message.clone()));
        let canary = json!({
            "kind": "Canary",
            "metadata": { "name": "c", "namespace": "shop" },
            "spec": { "targetRef": { "name": EVIL } },
            "status": { "phase": EVIL, "conditions": [{ "type": "Promoted", "status": "False", "message": EVIL }] }
        });
        let Ok(Object::FlaggerCanary(c)) = object_from_json(&canary) else {
            panic!("a canary row")
        };
        texts.extend([c.target, c.phase, c.conditions[0].message.clone()]);
        assert!(texts.len() > 20);
        for text in &texts {
            assert!(is_inert(text), "{text:?}");
            assert!(!text.contains('\u{1b}') && !text.contains('\r'), "{text:?}");
        }
        assert!(d.images[0].contains("^[]0;PWN^G"), "{}", d.images[0]);
        let steps: Vec<String> = r.steps.iter().map(ToString::to_string).collect();
        assert!(steps.iter().all(|s| is_inert(s)), "{steps:?}");
        assert!(steps[0].contains("^[]52;"), "{steps:?}");
    }

    #[test]
    fn an_error_naming_a_bad_object_is_inert() {
        let e = ObjectError {
            object: format!("Pod shop/{EVIL}"),
            problem: EVIL.into(),
        };
        assert!(is_inert(&e.to_string()), "{e}");
    }
}
