//! Compact rows for the Kubernetes objects a release is made of.
//!
//! A typed `Pod` costs tens of kilobytes; a row keeps only what the console shows, so ten
//! thousand pods fit in a few megabytes. Rows of built-in kinds (Deployments, ReplicaSets,
//! Pods, Events) come from [`super::wire`]'s structs, rows of custom resources (Argo
//! Rollouts, Flagger Canaries) from their JSON, and a malformed object becomes an error that
//! names it.

use super::release::{
    Condition, ExperimentTemplate, FlaggerMetric, FlaggerWebhook, Measurement, MetricSummary,
    StepKind, Strategy,
};
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
    AnalysisRun,
    Experiment,
}

impl ObjectKind {
    /// Kinds defined by CRDs, read from a JSON tree rather than the built-in reader.
    pub fn is_custom(self) -> bool {
        matches!(
            self,
            ObjectKind::ArgoRollout
                | ObjectKind::FlaggerCanary
                | ObjectKind::AnalysisRun
                | ObjectKind::Experiment
        )
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
            ObjectKind::AnalysisRun => "AnalysisRun",
            ObjectKind::Experiment => "Experiment",
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
    /// The `ripcord.dev/analysis` annotation: the ConfigMap its canary is judged by.
    pub analysis_config: Option<String>,
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
    pub available: i32,
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
    /// The `ripcord.dev/analysis` annotation: the ConfigMap its canary is judged by.
    pub analysis_config: Option<String>,
    /// `spec.replicas`, 1 when unset (as the controller defaults it).
    pub replicas: i32,
    pub paused: bool,
    pub strategy: Strategy,
    pub steps: Vec<StepKind>,
    pub phase: String,
    pub message: String,
    pub current_step: Option<usize>,
    /// `status.stableRS`, or the active selector when an old blue-green status has none.
    pub stable_hash: String,
    /// `status.stableRS` as written.
    pub stable_rs: String,
    pub current_hash: String,
    pub aborted: bool,
    pub pause_reasons: Vec<String>,
    /// When the first pause condition started.
    pub paused_at: Option<DateTime<Utc>>,
    /// When a blue-green pause for promotion ends by itself: its `BlueGreenPause` start
    /// plus `autoPromotionSeconds` (ignored when `autoPromotionEnabled` is false).
    pub auto_promote_at: Option<DateTime<Utc>>,
    pub weight: Option<u8>,
    pub analysis_status: Option<String>,
    pub analysis_message: String,
    pub background_status: Option<String>,
    pub background_message: String,
    pub conditions: Vec<Condition>,
    pub generation: i64,
    /// `status.observedGeneration`: a number as text since v0.10, a hash before.
    pub observed_generation: String,
    pub controller_pause: bool,
    pub restart_at: Option<DateTime<Utc>>,
    pub restarted_at: Option<DateTime<Utc>>,
    pub status_replicas: i32,
    pub updated: i32,
    pub ready: i32,
    pub available: i32,
    /// Canary: `maxSurge` resolved against `spec.replicas` (rounded up, default 25%).
    pub max_surge: i32,
    /// Canary: whether a traffic router is configured, and its maxTrafficWeight.
    pub traffic_routing: bool,
    pub max_traffic_weight: Option<i32>,
    pub canary_service: String,
    pub stable_service: String,
    /// Blue-green.
    pub active_service: String,
    pub preview_service: String,
    pub active_selector: String,
    pub preview_selector: String,
    pub post_promotion_analysis: bool,
    pub post_promotion_status: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct AnalysisRunRow {
    pub meta: Meta,
    pub revision: i64,
    /// The `rollout-type` label: Background, Step, PrePromotion, PostPromotion.
    pub run_type: String,
    /// The `step-index` label of a step's run: which canary step started it.
    pub step_index: Option<usize>,
    pub phase: String,
    pub message: String,
    pub metrics: Vec<super::release::MetricSummary>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ExperimentRow {
    pub meta: Meta,
    pub revision: i64,
    pub phase: String,
    pub message: String,
    pub templates: Vec<super::release::ExperimentTemplate>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct FlaggerCanaryRow {
    pub meta: Meta,
    /// The `ripcord.dev/analysis` annotation: the ConfigMap its canary is judged by.
    pub analysis_config: Option<String>,
    pub target: String,
    pub phase: String,
    pub weight: u8,
    /// `analysis.maxWeight` and `analysis.stepWeight` as written (0 when unset).
    pub max_weight: u8,
    pub step_weight: u8,
    pub step_weights: Vec<u8>,
    pub failed_checks: i64,
    pub iterations: i64,
    /// `analysis.threshold` as written (0 when unset).
    pub threshold: i64,
    pub interval: String,
    pub analysis_iterations: Option<i64>,
    pub skip_analysis: bool,
    pub suspended: bool,
    pub metrics: Vec<super::release::FlaggerMetric>,
    pub webhooks: Vec<super::release::FlaggerWebhook>,
    pub conditions: Vec<Condition>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Object {
    Deployment(DeploymentRow),
    ReplicaSet(ReplicaSetRow),
    Pod(PodRow),
    Event(EventRow),
    /// Boxed: a Rollout row is several times the size of the others.
    ArgoRollout(Box<ArgoRolloutRow>),
    FlaggerCanary(FlaggerCanaryRow),
    AnalysisRun(AnalysisRunRow),
    Experiment(ExperimentRow),
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
            Object::AnalysisRun(o) => &o.meta,
            Object::Experiment(o) => &o.meta,
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
            Object::AnalysisRun(_) => ObjectKind::AnalysisRun,
            Object::Experiment(_) => ObjectKind::Experiment,
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
        analysis_config: clean_opt(
            m.and_then(|m| m.annotations.as_ref())
                .and_then(|a| a.analysis.clone()),
        ),
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
        ready: o
            .status
            .as_ref()
            .and_then(|s| s.ready_replicas)
            .unwrap_or(0),
        available: o.status.and_then(|s| s.available_replicas).unwrap_or(0),
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

fn templates_at(v: &Value) -> Vec<String> {
    v.get("templates")
        .and_then(Value::as_array)
        .map(|ts| {
            ts.iter()
                .filter_map(|t| text_at(t, &["templateName"]).or_else(|| text_at(t, &["name"])))
                .collect()
        })
        .unwrap_or_default()
}

/// A duration as a custom resource writes it: `"30s"`, or a bare number of seconds.
fn duration_at(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(clean(s.clone())),
        Value::Null => None,
        other => Some(clean(format!("{other}s"))),
    }
}

/// An int-or-string field (the controller reads the int; a string must be a number).
fn int_or_string(v: Option<&Value>) -> Option<i64> {
    match v? {
        Value::String(s) => s.trim().parse().ok(),
        other => other.as_i64(),
    }
}

fn time_at(v: &Value, path: &[&str]) -> Option<DateTime<Utc>> {
    str_at(v, path).and_then(|s| {
        DateTime::parse_from_rfc3339(s)
            .ok()
            .map(|t| t.with_timezone(&Utc))
    })
}

fn argo_step(step: &Value) -> StepKind {
    if let Some(w) = int_at(step, &["setWeight"]) {
        return StepKind::SetWeight { weight: weight(w) };
    }
    if let Some(p) = step.get("pause") {
        let duration = p.get("duration").and_then(duration_at);
        return StepKind::Pause { duration };
    }
    if let Some(a) = step.get("analysis") {
        return StepKind::Analysis {
            templates: templates_at(a),
        };
    }
    if let Some(e) = step.get("experiment") {
        return StepKind::Experiment {
            templates: templates_at(e),
        };
    }
    if let Some(s) = step.get("setCanaryScale") {
        let scale = if let Some(w) = int_at(s, &["weight"]) {
            format!("weight {w}%")
        } else if s.get("matchTrafficWeight").and_then(Value::as_bool) == Some(true) {
            "matchTrafficWeight".into()
        } else if let Some(r) = int_at(s, &["replicas"]) {
            format!("replicas {r}")
        } else {
            String::new()
        };
        return StepKind::SetCanaryScale { scale };
    }
    let named = |key: &str| {
        step.get(key)
            .map(|h| text_at(h, &["name"]).unwrap_or_default())
    };
    if let Some(name) = named("setHeaderRoute") {
        return StepKind::SetHeaderRoute { name };
    }
    if let Some(name) = named("setMirrorRoute") {
        return StepKind::SetMirrorRoute { name };
    }
    if let Some(name) = named("plugin") {
        return StepKind::Plugin { name };
    }
    let text = step
        .as_object()
        .and_then(|o| o.keys().next().cloned())
        .map(clean)
        .unwrap_or_else(|| "step".into());
    StepKind::Other { text }
}

fn bool_at(v: &Value, path: &[&str]) -> bool {
    path.iter()
        .try_fold(v, |v, k| v.get(k))
        .and_then(Value::as_bool)
        .unwrap_or(false)
}

/// A canary's `maxSurge` in pods: a count, or a percentage of `replicas` rounded up (the
/// controller reads `"25"` as 25% too); 25% when unset.
fn canary_max_surge(value: Option<&Value>, replicas: i32) -> i32 {
    let percent = |p: i64| (i64::from(replicas.max(0)) * p + 99) / 100;
    let pods = match value {
        Some(Value::Number(n)) => n.as_i64().unwrap_or(0),
        Some(Value::String(s)) => s.trim().trim_end_matches('%').parse().map_or(0, percent),
        _ => percent(25),
    };
    pods.clamp(0, i64::from(i32::MAX)) as i32
}

fn i32_at(v: &Value, path: &[&str]) -> i32 {
    int_at(v, path).unwrap_or(0).clamp(0, i32::MAX as i64) as i32
}

/// A field written as a number by some controller versions and as text by others.
fn text_or_number_at(v: &Value, path: &[&str]) -> String {
    match path.iter().try_fold(v, |v, k| v.get(k)) {
        Some(Value::String(s)) => clean(s.clone()),
        Some(Value::Number(n)) => n.to_string(),
        _ => String::new(),
    }
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
    let pause_conditions = status
        .get("pauseConditions")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let pause_reasons = pause_conditions
        .iter()
        .filter_map(|p| text_at(p, &["reason"]))
        .collect();
    let stable_rs = text_at(&status, &["stableRS"]).unwrap_or_default();
    let active_selector = text_at(&status, &["blueGreen", "activeSelector"]).unwrap_or_default();
    let stable_hash = if stable_rs.is_empty() {
        active_selector.clone()
    } else {
        stable_rs.clone()
    };
    let canary = strategy_v.get("canary").cloned().unwrap_or_default();
    let blue_green = strategy_v.get("blueGreen").cloned().unwrap_or_default();
    let traffic = canary.get("trafficRouting").filter(|t| !t.is_null());
    let replicas = int_at(v, &["spec", "replicas"]).unwrap_or(1) as i32;
    Ok(ArgoRolloutRow {
        max_surge: if canary.is_object() {
            canary_max_surge(canary.get("maxSurge"), replicas)
        } else {
            0
        },
        analysis_config: analysis_annotation(v),
        replicas,
        paused: bool_at(v, &["spec", "paused"]),
        strategy,
        steps,
        phase: text_at(&status, &["phase"]).unwrap_or_default(),
        message: text_at(&status, &["message"]).unwrap_or_default(),
        current_step: int_at(&status, &["currentStepIndex"]).map(|i| i.max(0) as usize),
        stable_hash,
        stable_rs,
        current_hash: text_at(&status, &["currentPodHash"]).unwrap_or_default(),
        aborted: bool_at(&status, &["abort"]),
        pause_reasons,
        paused_at: pause_conditions
            .iter()
            .filter_map(|p| time_at(p, &["startTime"]))
            .min(),
        auto_promote_at: auto_promote_at(v, &blue_green, &pause_conditions),
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
        background_status: text_at(
            &status,
            &["canary", "currentBackgroundAnalysisRunStatus", "status"],
        ),
        background_message: text_at(
            &status,
            &["canary", "currentBackgroundAnalysisRunStatus", "message"],
        )
        .unwrap_or_default(),
        conditions: conditions_at(v),
        generation: int_at(v, &["metadata", "generation"]).unwrap_or(0),
        observed_generation: text_or_number_at(&status, &["observedGeneration"]),
        controller_pause: bool_at(&status, &["controllerPause"]),
        restart_at: time_at(v, &["spec", "restartAt"]),
        restarted_at: time_at(&status, &["restartedAt"]),
        status_replicas: i32_at(&status, &["replicas"]),
        updated: i32_at(&status, &["updatedReplicas"]),
        ready: i32_at(&status, &["readyReplicas"]),
        available: i32_at(&status, &["availableReplicas"]),
        traffic_routing: traffic.is_some(),
        max_traffic_weight: traffic
            .and_then(|t| int_at(t, &["maxTrafficWeight"]))
            .map(|w| w as i32),
        canary_service: text_at(&canary, &["canaryService"]).unwrap_or_default(),
        stable_service: text_at(&canary, &["stableService"]).unwrap_or_default(),
        active_service: text_at(&blue_green, &["activeService"]).unwrap_or_default(),
        preview_service: text_at(&blue_green, &["previewService"]).unwrap_or_default(),
        active_selector,
        preview_selector: text_at(&status, &["blueGreen", "previewSelector"]).unwrap_or_default(),
        post_promotion_analysis: blue_green
            .get("postPromotionAnalysis")
            .is_some_and(|a| !a.is_null()),
        post_promotion_status: text_at(
            &status,
            &["blueGreen", "postPromotionAnalysisRunStatus", "status"],
        ),
        meta,
    })
}

/// Measurements kept per metric: the controller keeps ten by default.
const MEASUREMENTS_KEPT: usize = 20;

/// Reads an Argo AnalysisRun: each metric's limits beside what was measured.
pub fn analysis_run_row(v: &Value) -> Result<AnalysisRunRow, ObjectError> {
    let meta = json_meta(ObjectKind::AnalysisRun, v)?;
    let status = v.get("status").cloned().unwrap_or_default();
    let results: Vec<Value> = status
        .get("metricResults")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let specs: Vec<Value> = v
        .pointer("/spec/metrics")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let result_of = |name: &str| {
        results
            .iter()
            .find(|r| str_at(r, &["name"]) == Some(name))
            .cloned()
            .unwrap_or_default()
    };
    let metric = |spec: &Value, result: &Value| {
        let measurements: Vec<Measurement> = result
            .get("measurements")
            .and_then(Value::as_array)
            .map(|ms| {
                let skip = ms.len().saturating_sub(MEASUREMENTS_KEPT);
                ms.iter()
                    .skip(skip)
                    .map(|m| Measurement {
                        phase: text_at(m, &["phase"]).unwrap_or_default(),
                        value: text_at(m, &["value"]).unwrap_or_default(),
                        message: text_at(m, &["message"]).unwrap_or_default(),
                        started: time_at(m, &["startedAt"]),
                        finished: time_at(m, &["finishedAt"]),
                    })
                    .collect()
            })
            .unwrap_or_default();
        MetricSummary {
            name: text_at(spec, &["name"])
                .or_else(|| text_at(result, &["name"]))
                .unwrap_or_default(),
            phase: text_at(result, &["phase"]).unwrap_or_else(|| "Pending".into()),
            message: text_at(result, &["message"]).unwrap_or_default(),
            success_condition: text_at(spec, &["successCondition"]).unwrap_or_default(),
            failure_condition: text_at(spec, &["failureCondition"]).unwrap_or_default(),
            interval: spec
                .get("interval")
                .and_then(duration_at)
                .unwrap_or_default(),
            count: int_or_string(spec.get("count")).unwrap_or(0),
            failure_limit: int_or_string(spec.get("failureLimit")).unwrap_or(0),
            inconclusive_limit: int_or_string(spec.get("inconclusiveLimit")).unwrap_or(0),
            // The controller's default when the spec leaves it out.
            consecutive_error_limit: int_or_string(spec.get("consecutiveErrorLimit")).unwrap_or(4),
            successful: int_at(result, &["successful"]).unwrap_or(0),
            failed: int_at(result, &["failed"]).unwrap_or(0),
            inconclusive: int_at(result, &["inconclusive"]).unwrap_or(0),
            error: int_at(result, &["error"]).unwrap_or(0),
            consecutive_error: int_at(result, &["consecutiveError"]).unwrap_or(0),
            measurements,
        }
    };
    let mut metrics: Vec<MetricSummary> = specs
        .iter()
        .map(|spec| {
            metric(
                spec,
                &result_of(str_at(spec, &["name"]).unwrap_or_default()),
            )
        })
        .collect();
    // Results of metrics the spec no longer names (dry-run, or a template edited since).
    for r in &results {
        let name = str_at(r, &["name"]).unwrap_or_default();
        if !specs.iter().any(|s| str_at(s, &["name"]) == Some(name)) {
            metrics.push(metric(&Value::Null, r));
        }
    }
    Ok(AnalysisRunRow {
        revision: argo_revision_of(v),
        run_type: v
            .pointer("/metadata/labels/rollout-type")
            .and_then(Value::as_str)
            .map(|t| clean(t.to_owned()))
            .unwrap_or_default(),
        step_index: v
            .pointer("/metadata/labels/step-index")
            .and_then(Value::as_str)
            .and_then(|i| i.parse().ok()),
        phase: text_at(&status, &["phase"]).unwrap_or_else(|| "Pending".into()),
        message: text_at(&status, &["message"]).unwrap_or_default(),
        metrics,
        meta,
    })
}

/// A custom object's `ripcord.dev/analysis` annotation, if set.
fn analysis_annotation(v: &Value) -> Option<String> {
    v.pointer("/metadata/annotations/ripcord.dev~1analysis")
        .and_then(Value::as_str)
        .and_then(|s| clean_opt(Some(s.to_owned())))
}

fn argo_revision_of(v: &Value) -> i64 {
    v.pointer("/metadata/annotations")
        .and_then(|a| a.get(ARGO_REVISION_ANNOTATION))
        .and_then(Value::as_str)
        .and_then(|r| r.parse().ok())
        .unwrap_or(0)
}

/// Reads an Argo Experiment: each template's status and pod counts.
pub fn experiment_row(v: &Value) -> Result<ExperimentRow, ObjectError> {
    let meta = json_meta(ObjectKind::Experiment, v)?;
    let statuses: Vec<Value> = v
        .pointer("/status/templateStatuses")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let templates = v
        .pointer("/spec/templates")
        .and_then(Value::as_array)
        .map(|ts| {
            ts.iter()
                .map(|t| {
                    let name = text_at(t, &["name"]).unwrap_or_default();
                    let status = statuses
                        .iter()
                        .find(|s| str_at(s, &["name"]) == Some(name.as_str()))
                        .cloned()
                        .unwrap_or_default();
                    ExperimentTemplate {
                        status: text_at(&status, &["status"]).unwrap_or_else(|| "Pending".into()),
                        message: text_at(&status, &["message"]).unwrap_or_default(),
                        replicas: int_at(t, &["replicas"]).unwrap_or(1) as i32,
                        ready: i32_at(&status, &["readyReplicas"]),
                        available: i32_at(&status, &["availableReplicas"]),
                        images: images_of_template(t),
                        name,
                    }
                })
                .collect()
        })
        .unwrap_or_default();
    Ok(ExperimentRow {
        revision: argo_revision_of(v),
        phase: text_at(v, &["status", "phase"]).unwrap_or_else(|| "Pending".into()),
        message: text_at(v, &["status", "message"]).unwrap_or_default(),
        templates,
        meta,
    })
}

fn images_of_template(t: &Value) -> Vec<String> {
    t.pointer("/template/spec/containers")
        .and_then(Value::as_array)
        .map(|cs| cs.iter().filter_map(|c| text_at(c, &["image"])).collect())
        .unwrap_or_default()
}

/// Reads a Flagger Canary (flagger.app/v1beta1).
pub fn flagger_canary_row(v: &Value) -> Result<FlaggerCanaryRow, ObjectError> {
    let meta = json_meta(ObjectKind::FlaggerCanary, v)?;
    let target = str_at(v, &["spec", "targetRef", "name"]).ok_or_else(|| ObjectError {
        object: format!("Canary {}/{}", meta.namespace, meta.name),
        problem: "spec.targetRef.name is missing".into(),
    })?;
    let analysis = v
        .pointer("/spec/analysis")
        .or_else(|| v.pointer("/spec/canaryAnalysis"))
        .cloned()
        .unwrap_or_default();
    let list = |key: &str| {
        analysis
            .get(key)
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default()
    };
    let metrics = list("metrics")
        .iter()
        .map(|m| FlaggerMetric {
            name: text_at(m, &["name"]).unwrap_or_default(),
            interval: m.get("interval").and_then(duration_at).unwrap_or_default(),
            min: m.pointer("/thresholdRange/min").and_then(Value::as_f64),
            max: m
                .pointer("/thresholdRange/max")
                .and_then(Value::as_f64)
                // The older single threshold is an upper bound.
                .or_else(|| m.get("threshold").and_then(Value::as_f64)),
            template: text_at(m, &["templateRef", "name"]).unwrap_or_default(),
        })
        .collect();
    let webhooks = list("webhooks")
        .iter()
        .map(|h| FlaggerWebhook {
            name: text_at(h, &["name"]).unwrap_or_default(),
            type_: text_at(h, &["type"])
                .filter(|t| !t.is_empty())
                .unwrap_or_else(|| "rollout".into()),
            url: text_at(h, &["url"]).unwrap_or_default(),
        })
        .collect();
    Ok(FlaggerCanaryRow {
        analysis_config: analysis_annotation(v),
        target: clean(target.to_owned()),
        phase: text_at(v, &["status", "phase"]).unwrap_or_else(|| "Initializing".into()),
        weight: weight(int_at(v, &["status", "canaryWeight"]).unwrap_or(0)),
        max_weight: weight(int_at(&analysis, &["maxWeight"]).unwrap_or(0)),
        step_weight: weight(int_at(&analysis, &["stepWeight"]).unwrap_or(0)),
        step_weights: list("stepWeights")
            .iter()
            .filter_map(Value::as_i64)
            .map(weight)
            .collect(),
        failed_checks: int_at(v, &["status", "failedChecks"]).unwrap_or(0),
        iterations: int_at(v, &["status", "iterations"]).unwrap_or(0),
        threshold: int_at(&analysis, &["threshold"]).unwrap_or(0),
        interval: analysis
            .get("interval")
            .and_then(duration_at)
            .unwrap_or_default(),
        analysis_iterations: int_at(&analysis, &["iterations"]).filter(|i| *i > 0),
        skip_analysis: bool_at(v, &["spec", "skipAnalysis"]),
        suspended: bool_at(v, &["spec", "suspend"]),
        metrics,
        webhooks,
        conditions: conditions_at(v),
        meta,
    })
}

/// When the controller promotes a paused blue-green Rollout by itself, if it will: the
/// countdown runs from the `BlueGreenPause` condition's start; a manual pause stops it.
fn auto_promote_at(
    rollout: &Value,
    blue_green: &Value,
    pause_conditions: &[Value],
) -> Option<DateTime<Utc>> {
    let secs = int_at(blue_green, &["autoPromotionSeconds"]).filter(|s| *s > 0)?;
    if blue_green
        .get("autoPromotionEnabled")
        .and_then(Value::as_bool)
        == Some(false)
        || bool_at(rollout, &["spec", "paused"])
    {
        return None;
    }
    pause_conditions
        .iter()
        .filter(|p| text_at(p, &["reason"]).as_deref() == Some("BlueGreenPause"))
        .filter_map(|p| time_at(p, &["startTime"]))
        .min()
        .map(|start| start + chrono::Duration::seconds(secs))
}

/// The row of a built-in object (see [`ObjectKind::is_custom`]).
pub fn builtin_row(kind: ObjectKind, o: WireObject) -> Result<Object, ObjectError> {
    match kind {
        ObjectKind::Deployment => deployment_row(o).map(Object::Deployment),
        ObjectKind::ReplicaSet => replicaset_row(o).map(Object::ReplicaSet),
        ObjectKind::Pod => pod_row(o).map(Object::Pod),
        ObjectKind::Event => event_row(o).map(Object::Event),
        ObjectKind::ArgoRollout
        | ObjectKind::FlaggerCanary
        | ObjectKind::AnalysisRun
        | ObjectKind::Experiment => Err(ObjectError {
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
        ObjectKind::ArgoRollout => argo_rollout_row(v).map(|r| Object::ArgoRollout(Box::new(r))),
        ObjectKind::FlaggerCanary => flagger_canary_row(v).map(Object::FlaggerCanary),
        ObjectKind::AnalysisRun => analysis_run_row(v).map(Object::AnalysisRun),
        ObjectKind::Experiment => experiment_row(v).map(Object::Experiment),
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
        "AnalysisRun" => ObjectKind::AnalysisRun,
        "Experiment" => ObjectKind::Experiment,
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
    fn a_blue_green_pause_with_auto_promotion_seconds_says_when_it_promotes() {
        let rollout = |blue_green: Value, paused: bool, reason: &str| {
            argo_rollout_row(&json!({
                "metadata": { "name": "bg", "namespace": "shop" },
                "spec": { "paused": paused, "strategy": { "blueGreen": blue_green } },
                "status": { "controllerPause": true, "pauseConditions": [
                    { "reason": reason, "startTime": "2024-05-01T10:00:00Z" }
                ] }
            }))
            .expect("a rollout")
            .auto_promote_at
        };
        let at: DateTime<Utc> = "2024-05-01T10:02:00Z".parse().expect("a time");
        let seconds = json!({ "activeService": "a", "autoPromotionSeconds": 120 });
        assert_eq!(rollout(seconds.clone(), false, "BlueGreenPause"), Some(at));
        // Ignored when auto promotion is off, while paused by hand, for another pause,
        // and without the setting.
        let off = json!({ "autoPromotionSeconds": 120, "autoPromotionEnabled": false });
        assert_eq!(rollout(off, false, "BlueGreenPause"), None);
        assert_eq!(rollout(seconds.clone(), true, "BlueGreenPause"), None);
        assert_eq!(rollout(seconds, false, "PausedByUser"), None);
        assert_eq!(rollout(json!({}), false, "BlueGreenPause"), None);
    }

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
    fn analysis_runs_and_canary_settings_are_inert_in_their_rows() {
        let run = json!({
            "kind": "AnalysisRun",
            "metadata": { "name": "r", "namespace": "shop", "labels": { "rollout-type": EVIL } },
            "spec": { "metrics": [{ "name": EVIL, "successCondition": EVIL, "failureCondition": EVIL,
                                    "interval": EVIL }] },
            "status": { "phase": EVIL, "message": EVIL, "metricResults": [{
                "name": EVIL, "phase": EVIL, "message": EVIL,
                "measurements": [{ "phase": EVIL, "value": EVIL, "message": EVIL }]
            }] }
        });
        let Ok(Object::AnalysisRun(r)) = object_from_json(&run) else {
            panic!("an analysis run row")
        };
        let m = &r.metrics[0];
        let x = &m.measurements[0];
        let mut texts = vec![
            &r.run_type,
            &r.phase,
            &r.message,
            &m.name,
            &m.phase,
            &m.message,
        ];
        texts.extend([&m.success_condition, &m.failure_condition, &m.interval]);
        texts.extend([&x.phase, &x.value, &x.message]);
        let canary = json!({
            "kind": "Canary",
            "metadata": { "name": "c", "namespace": "shop" },
            "spec": { "targetRef": { "name": "web" }, "analysis": {
                "interval": EVIL,
                "metrics": [{ "name": EVIL, "interval": EVIL, "templateRef": { "name": EVIL } }],
                "webhooks": [{ "name": EVIL, "type": EVIL, "url": EVIL }] } }
        });
        let Ok(Object::FlaggerCanary(c)) = object_from_json(&canary) else {
            panic!("a canary row")
        };
        let (fm, hook) = (&c.metrics[0], &c.webhooks[0]);
        texts.extend([&c.interval, &fm.name, &fm.interval, &fm.template]);
        texts.extend([&hook.name, &hook.type_, &hook.url]);
        assert_eq!(texts.len(), 19);
        for text in texts {
            assert!(is_inert(text) && text.contains("^[]0;PWN^G"), "{text:?}");
        }
    }

    #[test]
    fn an_error_naming_a_bad_object_is_inert() {
        let e = ObjectError {
            object: format!("Pod shop/{EVIL}"),
            problem: EVIL.into(),
        };
        assert!(is_inert(&e.to_string()), "{e}");
    }

    #[test]
    fn a_deployment_keeps_the_analysis_config_its_annotation_names() {
        let row = |annotations: Value| {
            let o: WireObject = serde_json::from_value(json!({
                "metadata": { "name": "web", "namespace": "shop", "annotations": annotations },
            }))
            .expect("object");
            deployment_row(o).expect("row")
        };
        let d = row(json!({ "ripcord.dev/analysis": "web-analysis" }));
        assert_eq!(d.analysis_config.as_deref(), Some("web-analysis"));
        assert_eq!(row(json!({})).analysis_config, None);
        // Argo Rollouts and Flagger Canaries carry it on their own objects.
        let annotated = json!({
            "metadata": { "name": "web", "namespace": "shop",
                          "annotations": { "ripcord.dev/analysis": "web-analysis" } },
            "spec": { "targetRef": { "name": "web" }, "strategy": { "canary": {} } },
        });
        let rollout = argo_rollout_row(&annotated).expect("rollout");
        assert_eq!(rollout.analysis_config.as_deref(), Some("web-analysis"));
        let canary = flagger_canary_row(&annotated).expect("canary");
        assert_eq!(canary.analysis_config.as_deref(), Some("web-analysis"));
    }
}
