//! Compact rows for the Kubernetes objects a release is made of.
//!
//! A typed `Pod` costs tens of kilobytes; a row keeps only what the console shows, so ten
//! thousand pods fit in a few megabytes. Rows come from typed objects (Deployments,
//! ReplicaSets, Pods, Events) or from raw JSON for custom resources (Argo Rollouts, Flagger
//! Canaries), and a malformed object becomes an error that names it.

use super::release::{Condition, StepKind, Strategy};
use chrono::{DateTime, Utc};
use k8s_openapi::api::apps::v1::{Deployment, ReplicaSet};
use k8s_openapi::api::core::v1::{Event, Pod, PodSpec};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, Time};
use serde_json::Value;
use std::fmt;

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
#[error("{object}: {problem}")]
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

pub fn to_utc(t: &Time) -> Option<DateTime<Utc>> {
    DateTime::from_timestamp(t.0.as_second(), t.0.subsec_nanosecond().max(0) as u32)
}

fn meta_of(kind: ObjectKind, m: &ObjectMeta) -> Result<Meta, ObjectError> {
    let name = m.name.clone().ok_or_else(|| ObjectError {
        object: format!("{kind} without a name"),
        problem: "metadata.name is missing".into(),
    })?;
    let owner = m.owner_references.as_ref().and_then(|refs| {
        refs.iter()
            .find(|r| r.controller == Some(true))
            .or(refs.first())
            .map(|r| (r.kind.clone(), r.name.clone()))
    });
    Ok(Meta {
        namespace: m.namespace.clone().unwrap_or_default(),
        name,
        created: m.creation_timestamp.as_ref().and_then(to_utc),
        owner,
    })
}

fn label<'a>(m: &'a ObjectMeta, key: &str) -> Option<&'a str> {
    m.labels.as_ref()?.get(key).map(String::as_str)
}

fn revision_of(m: &ObjectMeta) -> i64 {
    m.annotations
        .as_ref()
        .and_then(|a| {
            a.get(REVISION_ANNOTATION)
                .or_else(|| a.get(ARGO_REVISION_ANNOTATION))
        })
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

fn images_of(spec: Option<&PodSpec>) -> Vec<String> {
    spec.map(|s| {
        s.containers
            .iter()
            .filter_map(|c| c.image.clone())
            .collect()
    })
    .unwrap_or_default()
}

pub fn deployment_row(d: &Deployment) -> Result<DeploymentRow, ObjectError> {
    let meta = meta_of(ObjectKind::Deployment, &d.metadata)?;
    let spec = d.spec.as_ref();
    let status = d.status.clone().unwrap_or_default();
    let strategy = match spec
        .and_then(|s| s.strategy.as_ref())
        .and_then(|s| s.type_.as_deref())
    {
        Some("Recreate") => Strategy::Recreate,
        _ => Strategy::RollingUpdate,
    };
    Ok(DeploymentRow {
        generation: d.metadata.generation.unwrap_or(0),
        revision: revision_of(&d.metadata),
        canary_of: label(&d.metadata, CANARY_OF_LABEL).map(str::to_owned),
        replicas: spec.and_then(|s| s.replicas).unwrap_or(1),
        paused: spec.and_then(|s| s.paused).unwrap_or(false),
        strategy,
        images: images_of(spec.and_then(|s| s.template.spec.as_ref())),
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
                type_: c.type_,
                status: c.status,
                reason: c.reason.unwrap_or_default(),
                message: c.message.unwrap_or_default(),
            })
            .collect(),
        meta,
    })
}

pub fn replicaset_row(rs: &ReplicaSet) -> Result<ReplicaSetRow, ObjectError> {
    let meta = meta_of(ObjectKind::ReplicaSet, &rs.metadata)?;
    let status = rs.status.as_ref();
    let spec = rs.spec.as_ref();
    let template_hash = label(&rs.metadata, "pod-template-hash")
        .or_else(|| label(&rs.metadata, "rollouts-pod-template-hash"))
        .unwrap_or_default()
        .to_owned();
    Ok(ReplicaSetRow {
        revision: revision_of(&rs.metadata),
        template_hash,
        images: images_of(
            spec.and_then(|s| s.template.as_ref())
                .and_then(|t| t.spec.as_ref()),
        ),
        replicas: spec.and_then(|s| s.replicas).unwrap_or(1),
        ready: status.and_then(|s| s.ready_replicas).unwrap_or(0),
        meta,
    })
}

pub fn pod_row(p: &Pod) -> Result<PodRow, ObjectError> {
    let meta = meta_of(ObjectKind::Pod, &p.metadata)?;
    let status = p.status.as_ref();
    let containers = status
        .and_then(|s| s.container_statuses.as_deref())
        .unwrap_or_default();
    let waiting = containers.iter().find_map(|c| {
        c.state
            .as_ref()
            .and_then(|s| s.waiting.as_ref())
            .and_then(|w| w.reason.clone())
    });
    let ready = status
        .and_then(|s| s.conditions.as_ref())
        .is_some_and(|cs| cs.iter().any(|c| c.type_ == "Ready" && c.status == "True"));
    let phase = status
        .and_then(|s| s.phase.clone())
        .unwrap_or_else(|| "Pending".into());
    let terminating = p.metadata.deletion_timestamp.is_some();
    Ok(PodRow {
        template_hash: label(&p.metadata, "pod-template-hash")
            .or_else(|| label(&p.metadata, "rollouts-pod-template-hash"))
            .unwrap_or_default()
            .to_owned(),
        status: if terminating {
            "Terminating".into()
        } else {
            waiting.unwrap_or(phase)
        },
        ready,
        restarts: containers.iter().map(|c| c.restart_count).sum(),
        meta,
    })
}

pub fn event_row(e: &Event) -> Result<EventRow, ObjectError> {
    let meta = meta_of(ObjectKind::Event, &e.metadata)?;
    let last_seen = e
        .last_timestamp
        .as_ref()
        .and_then(to_utc)
        .or_else(|| {
            e.event_time
                .as_ref()
                .and_then(|t| DateTime::from_timestamp(t.0.as_second(), 0))
        })
        .or(meta.created);
    Ok(EventRow {
        involved_kind: e.involved_object.kind.clone().unwrap_or_default(),
        involved_name: e.involved_object.name.clone().unwrap_or_default(),
        warning: e.type_.as_deref() == Some("Warning"),
        reason: e.reason.clone().unwrap_or_default(),
        message: e.message.clone().unwrap_or_default(),
        count: e.count.unwrap_or(1),
        last_seen,
        meta,
    })
}

/// Reads the metadata of a custom resource given as JSON.
fn json_meta(kind: ObjectKind, v: &Value) -> Result<Meta, ObjectError> {
    let m: ObjectMeta = serde_json::from_value(v.get("metadata").cloned().unwrap_or_default())
        .map_err(|e| ObjectError {
            object: format!("{kind} (unreadable metadata)"),
            problem: e.to_string(),
        })?;
    meta_of(kind, &m)
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
                    type_: str_at(c, &["type"]).unwrap_or_default().into(),
                    status: str_at(c, &["status"]).unwrap_or_default().into(),
                    reason: str_at(c, &["reason"]).unwrap_or_default().into(),
                    message: str_at(c, &["message"]).unwrap_or_default().into(),
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
            Value::String(s) => s.clone(),
            other => format!("{other}s"),
        });
        return StepKind::Pause { duration };
    }
    if let Some(a) = step.get("analysis") {
        let templates = a
            .get("templates")
            .and_then(Value::as_array)
            .map(|ts| {
                ts.iter()
                    .filter_map(|t| str_at(t, &["templateName"]).map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default();
        return StepKind::Analysis { templates };
    }
    let text = step
        .as_object()
        .and_then(|o| o.keys().next().cloned())
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
        .map(|ps| {
            ps.iter()
                .filter_map(|p| str_at(p, &["reason"]).map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    let stable_hash = str_at(&status, &["stableRS"])
        .or_else(|| str_at(&status, &["blueGreen", "activeSelector"]))
        .unwrap_or_default()
        .to_owned();
    Ok(ArgoRolloutRow {
        replicas: int_at(v, &["spec", "replicas"]).unwrap_or(1) as i32,
        paused: v
            .pointer("/spec/paused")
            .and_then(Value::as_bool)
            .unwrap_or(false),
        strategy,
        steps,
        phase: str_at(&status, &["phase"]).unwrap_or_default().into(),
        message: str_at(&status, &["message"]).unwrap_or_default().into(),
        current_step: int_at(&status, &["currentStepIndex"]).map(|i| i.max(0) as usize),
        stable_hash,
        current_hash: str_at(&status, &["currentPodHash"])
            .unwrap_or_default()
            .into(),
        aborted: status
            .get("abort")
            .and_then(Value::as_bool)
            .unwrap_or(false),
        pause_reasons,
        weight: int_at(&status, &["canary", "weights", "canary", "weight"]).map(weight),
        analysis_status: str_at(
            &status,
            &["canary", "currentStepAnalysisRunStatus", "status"],
        )
        .map(str::to_owned),
        analysis_message: str_at(
            &status,
            &["canary", "currentStepAnalysisRunStatus", "message"],
        )
        .unwrap_or_default()
        .into(),
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
        target: target.to_owned(),
        phase: str_at(v, &["status", "phase"])
            .unwrap_or("Initializing")
            .into(),
        weight: weight(int_at(v, &["status", "canaryWeight"]).unwrap_or(0)),
        max_weight: weight(int_at(&analysis, &["maxWeight"]).unwrap_or(50)),
        step_weight: weight(int_at(&analysis, &["stepWeight"]).unwrap_or(10)).max(1),
        failed_checks: int_at(v, &["status", "failedChecks"]).unwrap_or(0),
        threshold: int_at(&analysis, &["threshold"]).unwrap_or(5),
        conditions: conditions_at(v),
        meta,
    })
}

/// Reads any supported object from JSON, as the simulator and dynamic watchers produce it.
pub fn object_from_json(v: &Value) -> Result<Object, ObjectError> {
    fn typed<T: serde::de::DeserializeOwned>(v: &Value, kind: &str) -> Result<T, ObjectError> {
        T::deserialize(v).map_err(|e| ObjectError {
            object: format!(
                "{kind} {}",
                str_at(v, &["metadata", "name"]).unwrap_or("(unnamed)")
            ),
            problem: e.to_string(),
        })
    }
    match str_at(v, &["kind"]).unwrap_or_default() {
        "Deployment" => deployment_row(&typed(v, "Deployment")?).map(Object::Deployment),
        "ReplicaSet" => replicaset_row(&typed(v, "ReplicaSet")?).map(Object::ReplicaSet),
        "Pod" => pod_row(&typed(v, "Pod")?).map(Object::Pod),
        "Event" => event_row(&typed(v, "Event")?).map(Object::Event),
        "Rollout" => argo_rollout_row(v).map(Object::ArgoRollout),
        "Canary" => flagger_canary_row(v).map(Object::FlaggerCanary),
        other => Err(ObjectError {
            object: format!("object of kind {other:?}"),
            problem: "not a kind ripcord watches".into(),
        }),
    }
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
