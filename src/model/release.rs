//! One release in flight, whatever drives it.

use chrono::{DateTime, Utc};
use serde::Serialize;
use std::fmt;

/// What drives a release.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    Deployment,
    CanaryPair,
    ArgoRollout,
    FlaggerCanary,
}

impl Kind {
    /// The prefix of a `KIND/NAME` target on the command line.
    pub fn target_prefix(self) -> &'static str {
        match self {
            Kind::Deployment => "deployment",
            Kind::CanaryPair => "pair",
            Kind::ArgoRollout => "rollout",
            Kind::FlaggerCanary => "canary",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Strategy {
    RollingUpdate,
    Recreate,
    Canary,
    BlueGreen,
}

impl fmt::Display for Strategy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Strategy::RollingUpdate => "rolling",
            Strategy::Recreate => "recreate",
            Strategy::Canary => "canary",
            Strategy::BlueGreen => "blue-green",
        })
    }
}

/// Where a release stands, in the order a human should look at it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Phase {
    WaitingForPromotion,
    Degraded,
    Aborted,
    Paused,
    Progressing,
    Unknown,
    Healthy,
}

impl Phase {
    pub fn label(self) -> &'static str {
        match self {
            Phase::WaitingForPromotion => "Waiting",
            Phase::Degraded => "Degraded",
            Phase::Aborted => "Aborted",
            Phase::Paused => "Paused",
            Phase::Progressing => "Progressing",
            Phase::Unknown => "Unknown",
            Phase::Healthy => "Healthy",
        }
    }

    /// A glyph so that status never rests on colour alone.
    pub fn icon(self) -> &'static str {
        match self {
            Phase::WaitingForPromotion => "◉",
            Phase::Degraded => "✖",
            Phase::Aborted => "↩",
            Phase::Paused => "‖",
            Phase::Progressing => "◌",
            Phase::Unknown => "?",
            Phase::Healthy => "✔",
        }
    }
}

/// The canary judge's answer, or the analysis controller's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Verdict {
    Pass,
    Running,
    Inconclusive,
    Fail,
}

impl Verdict {
    pub fn label(self) -> &'static str {
        match self {
            Verdict::Pass => "pass",
            Verdict::Running => "run",
            Verdict::Inconclusive => "incon",
            Verdict::Fail => "FAIL",
        }
    }
}

/// Identifies a release across clusters.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct ReleaseKey {
    pub context: String,
    pub namespace: String,
    pub kind: Kind,
    pub name: String,
}

impl fmt::Display for ReleaseKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}/{} in {}/{}",
            self.kind.target_prefix(),
            self.name,
            self.context,
            self.namespace
        )
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Replicas {
    pub ready: i32,
    pub desired: i32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum RevisionRole {
    /// The revision serving traffic while a canary runs (pair, Argo canary, Flagger).
    Stable,
    Canary,
    /// Deployment: the ReplicaSet of the current pod template.
    New,
    /// Blue-green: the live colour.
    Active,
    /// Blue-green: the colour waiting for promotion.
    Preview,
    Old,
}

impl RevisionRole {
    pub fn label(self) -> &'static str {
        match self {
            RevisionRole::Stable => "stable",
            RevisionRole::Canary => "canary",
            RevisionRole::New => "new",
            RevisionRole::Active => "active",
            RevisionRole::Preview => "preview",
            RevisionRole::Old => "old",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PodSummary {
    pub name: String,
    pub status: String,
    pub ready: bool,
    pub restarts: i32,
    pub created: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Revision {
    pub number: i64,
    pub role: RevisionRole,
    /// The ReplicaSet that carries this revision; for the live sides of a canary pair or a
    /// Flagger canary, their Deployment.
    pub object: String,
    /// The pod-template-hash of this revision's pods, for metric selectors; empty if unknown.
    #[serde(skip)]
    pub template_hash: String,
    pub images: Vec<String>,
    pub replicas: Replicas,
    pub created: Option<DateTime<Utc>>,
    pub pods: Vec<PodSummary>,
    /// Services whose selector the controller points at this revision (Argo Rollouts).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub services: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "kebab-case", tag = "type")]
pub enum StepKind {
    SetWeight {
        weight: u8,
    },
    Pause {
        duration: Option<String>,
    },
    Analysis {
        templates: Vec<String>,
    },
    Experiment {
        templates: Vec<String>,
    },
    /// Canary pods scaled apart from the traffic weight: `weight`, `replicas` or
    /// `matchTrafficWeight`, as written.
    SetCanaryScale {
        scale: String,
    },
    SetHeaderRoute {
        name: String,
    },
    SetMirrorRoute {
        name: String,
    },
    Plugin {
        name: String,
    },
    Other {
        text: String,
    },
}

impl fmt::Display for StepKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StepKind::SetWeight { weight } => write!(f, "setWeight {weight}%"),
            StepKind::Pause { duration: Some(d) } => write!(f, "pause {d}"),
            StepKind::Pause { duration: None } => f.write_str("pause (until promoted)"),
            StepKind::Analysis { templates } => write!(f, "analysis {}", templates.join(",")),
            StepKind::Experiment { templates } if templates.is_empty() => f.write_str("experiment"),
            StepKind::Experiment { templates } => write!(f, "experiment {}", templates.join(",")),
            StepKind::SetCanaryScale { scale } => write!(f, "setCanaryScale {scale}"),
            StepKind::SetHeaderRoute { name } => write!(f, "setHeaderRoute {name}"),
            StepKind::SetMirrorRoute { name } => write!(f, "setMirrorRoute {name}"),
            StepKind::Plugin { name } => write!(f, "plugin {name}"),
            StepKind::Other { text } => f.write_str(text),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum StepState {
    Done,
    Current,
    /// The step the update stopped at because its check failed.
    Failed,
    Pending,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Step {
    pub kind: StepKind,
    pub state: StepState,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Condition {
    #[serde(rename = "type")]
    pub type_: String,
    pub status: String,
    pub reason: String,
    pub message: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EventSummary {
    pub warning: bool,
    pub reason: String,
    pub message: String,
    pub count: i32,
    pub last_seen: Option<DateTime<Utc>>,
}

/// Everything the console knows about one release.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Release {
    pub key: ReleaseKey,
    pub strategy: Strategy,
    pub phase: Phase,
    pub message: String,
    /// The current step and the step count, for step-driven strategies. For an Argo
    /// Rollout the first number is `status.currentStepIndex`, as its kubectl plugin shows it
    /// (steps completed); elsewhere it is the 1-based current step.
    pub step: Option<(usize, usize)>,
    /// Percentage of traffic (or ready pods, without a mesh) on the canary.
    pub weight: Option<u8>,
    pub stable: Replicas,
    pub canary: Replicas,
    pub verdict: Option<Verdict>,
    pub verdict_reason: String,
    pub created: Option<DateTime<Utc>>,
    pub revisions: Vec<Revision>,
    pub steps: Vec<Step>,
    pub conditions: Vec<Condition>,
    pub events: Vec<EventSummary>,
    /// What the Argo Rollouts controller and its kubectl plugin say, for an Argo Rollout.
    pub argo: Option<Box<ArgoDetail>>,
    /// Flagger's own status and analysis settings, for a Flagger Canary.
    pub flagger: Option<Box<FlaggerDetail>>,
    /// The ConfigMap its `ripcord.dev/analysis` annotation names (on the object that
    /// carries it, as `metrics::configmap` reads it): a change makes a judgement due at once.
    #[serde(skip)]
    pub analysis_config: Option<String>,
}

/// An Argo Rollout's status as `kubectl argo rollouts get rollout` shows it, and the
/// analysis behind it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ArgoDetail {
    /// The plugin's Status: Healthy, Progressing, Paused, Degraded (or what a newer
    /// controller writes).
    pub status: String,
    pub message: String,
    /// `Canary` or `BlueGreen`, as the plugin names them.
    pub strategy: String,
    /// `currentStepIndex/steps`, when the Rollout has steps and a current index.
    pub step: Option<String>,
    /// Canary only: the weight the current step sets, and the weight actually served.
    pub set_weight: Option<i32>,
    pub actual_weight: Option<i32>,
    /// The controller's reason for an abort, when the update was aborted.
    pub abort_message: Option<String>,
    /// When the current pause step (or blue-green pause) started, for its time remaining.
    pub paused_at: Option<DateTime<Utc>>,
    /// Blue-green with `autoPromotionSeconds`: when its pause for promotion ends by itself.
    pub auto_promote_at: Option<DateTime<Utc>>,
    /// AnalysisRuns owned by the Rollout, newest revision first.
    pub analysis_runs: Vec<AnalysisRunSummary>,
    /// Experiments owned by the Rollout, newest revision first.
    pub experiments: Vec<ExperimentSummary>,
    /// A canary without a traffic router, whose weight is a pod count: `spec.replicas` and
    /// `maxSurge` in pods, for the split the controller will make.
    #[serde(skip)]
    pub basic_canary: Option<(i32, i32)>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ExperimentSummary {
    pub name: String,
    pub revision: i64,
    pub phase: String,
    pub message: String,
    pub templates: Vec<ExperimentTemplate>,
    /// The Experiment's ReplicaSets and their pods.
    pub replica_sets: Vec<Revision>,
    pub analysis_runs: Vec<AnalysisRunSummary>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ExperimentTemplate {
    pub name: String,
    pub status: String,
    pub message: String,
    pub replicas: i32,
    pub ready: i32,
    pub available: i32,
    pub images: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AnalysisRunSummary {
    pub name: String,
    pub revision: i64,
    /// `Background`, `Step`, `PrePromotion`, `PostPromotion` (the run's rollout-type label).
    pub kind: String,
    pub phase: String,
    pub message: String,
    pub created: Option<DateTime<Utc>>,
    pub metrics: Vec<MetricSummary>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MetricSummary {
    pub name: String,
    pub phase: String,
    pub message: String,
    pub success_condition: String,
    pub failure_condition: String,
    pub interval: String,
    /// Measurements wanted (0: until the run ends).
    pub count: i64,
    pub failure_limit: i64,
    pub inconclusive_limit: i64,
    pub consecutive_error_limit: i64,
    pub successful: i64,
    pub failed: i64,
    pub inconclusive: i64,
    pub error: i64,
    pub consecutive_error: i64,
    /// Oldest first, as the controller keeps them.
    pub measurements: Vec<Measurement>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Measurement {
    pub phase: String,
    pub value: String,
    pub message: String,
    pub started: Option<DateTime<Utc>>,
    pub finished: Option<DateTime<Utc>>,
}

/// A Flagger Canary's status and the analysis it runs.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FlaggerDetail {
    /// Flagger's phase as it wrote it (Initializing, Progressing, WaitingPromotion, ...).
    pub phase: String,
    pub canary_weight: u8,
    pub iterations: i64,
    pub failed_checks: i64,
    pub target: String,
    pub primary: String,
    pub interval: String,
    pub threshold: i64,
    pub max_weight: Option<u8>,
    pub step_weight: Option<u8>,
    pub step_weights: Vec<u8>,
    /// Fixed iterations (A/B testing and blue-green), when set.
    pub analysis_iterations: Option<i64>,
    pub skip_analysis: bool,
    pub suspended: bool,
    pub metrics: Vec<FlaggerMetric>,
    pub webhooks: Vec<FlaggerWebhook>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FlaggerMetric {
    pub name: String,
    pub interval: String,
    pub min: Option<f64>,
    pub max: Option<f64>,
    pub template: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FlaggerWebhook {
    pub name: String,
    /// Flagger's hook type; `rollout` when none is given.
    #[serde(rename = "type")]
    pub type_: String,
    pub url: String,
}

impl Release {
    /// `auto-promotes in 1m20s` while a blue-green pause counts down to its promotion, at
    /// `now`; the console's clock comes in messages, so this is computed when drawn.
    pub fn auto_promotion_note(&self, now: DateTime<Utc>) -> Option<String> {
        let at = self.argo.as_deref()?.auto_promote_at?;
        let left = (at - now).num_seconds();
        Some(if left > 0 {
            format!("auto-promotes in {}", super::display::countdown(left))
        } else {
            "auto-promotes now".to_owned()
        })
    }

    /// The words for the two sides of this kind of release, (base, new): a Deployment's
    /// base and update, blue-green's active and preview, a canary's stable and canary.
    pub fn side_labels(&self) -> (&'static str, &'static str) {
        match (self.key.kind, self.strategy) {
            // The same words whether or not a rollout is in flight: the base side holds the
            // old ReplicaSets' pods during one and every pod once it is over, when the
            // update side is empty. "new"/"old" would trade places between the two.
            (Kind::Deployment, _) => ("base", "update"),
            (_, Strategy::BlueGreen) => ("active", "preview"),
            _ => ("stable", "canary"),
        }
    }

    /// The weights set-weight may choose, smallest first: an Argo canary moves only to one
    /// of its own setWeight steps; `None` for kinds that take any whole percentage.
    pub fn weight_choices(&self) -> Option<Vec<u8>> {
        if self.key.kind != Kind::ArgoRollout {
            return None;
        }
        let mut weights: Vec<u8> = self
            .set_weight_steps()
            .into_iter()
            .map(|(_, w)| w)
            .collect();
        weights.sort_unstable();
        weights.dedup();
        Some(weights)
    }

    /// The setWeight steps, as (step index, weight), in step order.
    fn set_weight_steps(&self) -> Vec<(i64, u8)> {
        self.steps
            .iter()
            .enumerate()
            .filter_map(|(i, s)| match s.kind {
                StepKind::SetWeight { weight } => Some((i as i64, weight)),
                _ => None,
            })
            .collect()
    }

    /// What set-weight to `weight` will do, in the confirmation's words: for an Argo canary
    /// the step it moves to and the traffic split; for a pair the split of its pods, and
    /// when whole pods cannot meet the weight, what they come to.
    pub fn set_weight_preview(&self, weight: u8) -> Vec<String> {
        use super::ops::{achieved_weight, split_replicas, weight_step};
        match self.key.kind {
            Kind::ArgoRollout => {
                let steps = self.set_weight_steps();
                let (current, total) = self.step.unwrap_or((0, self.steps.len()));
                let mut out = Vec::new();
                if let Some(to) = weight_step(&steps, current as i64, weight) {
                    out.push(format!("step {current}/{total} → {to}/{total}"));
                }
                let basic = self.argo.as_ref().and_then(|a| a.basic_canary);
                let Some((replicas, max_surge)) = basic else {
                    out.push(format!(
                        "canary {weight}% / stable {}%",
                        100 - weight.min(100)
                    ));
                    return out;
                };
                // No traffic router: the weight is the canary's share of pods.
                let (canary, stable) = super::ops::argo_basic_split(replicas, weight, max_surge);
                let pods = canary + stable;
                let achieved = achieved_weight(stable, canary);
                out.push(format!(
                    "canary {canary} of {pods} pods ({achieved}%), stable {stable}"
                ));
                if pods > replicas {
                    out.push(format!(
                        "{} surge pod above the {replicas} replicas while the step lasts",
                        pods - replicas
                    ));
                }
                if achieved != weight {
                    out.push(format!(
                        "{weight}% is not possible on {replicas} pods: Argo makes {canary} of \
                         {pods} = {achieved}%"
                    ));
                }
                out
            }
            Kind::CanaryPair => {
                let total = self.stable.desired.max(0) + self.canary.desired.max(0);
                if total == 0 {
                    return vec!["stable and canary both have 0 replicas: nothing to split".into()];
                }
                let (stable, canary) = split_replicas(total, weight);
                let achieved = achieved_weight(stable, canary);
                let mut out = vec![format!(
                    "canary {canary} of {total} pods ({achieved}%), stable {stable}"
                )];
                if achieved != weight {
                    out.push(format!(
                        "{weight}% is not possible on {total} pods: {canary} of {total} = {achieved}%"
                    ));
                }
                out
            }
            Kind::Deployment | Kind::FlaggerCanary => Vec::new(),
        }
    }

    /// Why `op` cannot run on this release in its present state, if it cannot: the check
    /// the console (before any confirmation) and the CLI (exit 2) share.
    pub fn state_refusal(&self, op: super::ops::Operation) -> Option<String> {
        match self.key.kind {
            // Blue-green has no canary weight to set: a weight prompt could only fail.
            Kind::ArgoRollout
                if self.strategy == Strategy::BlueGreen
                    && op == super::ops::Operation::SetWeight =>
            {
                Some("a blue-green Rollout has no canary weight: it has no weight steps".into())
            }
            Kind::ArgoRollout => {
                super::ops::argo_abort_refusal(op, self.phase == Phase::Aborted).map(String::from)
            }
            Kind::FlaggerCanary => {
                let phase = &self.flagger.as_ref()?.phase;
                super::ops::flagger_phase_refusal(op, phase)
                    .map(|why| format!("canary '{}' {why}", self.key.name))
            }
            Kind::Deployment | Kind::CanaryPair => None,
        }
    }

    /// Why set-weight may not choose `weight` here, if it may not: the one check the
    /// console's prompt and the CLI share.
    pub fn weight_refused(&self, weight: u8) -> Option<String> {
        let choices = self.weight_choices()?;
        if !choices.contains(&weight) {
            return Some(format!(
                "{weight}% is not a step of this rollout: choose {}",
                weight_list(&choices)
            ));
        }
        // The step it would move to is the one the rollout is at: nothing would change.
        let (current, total) = self.step?;
        let steps = self.set_weight_steps();
        (super::ops::weight_step(&steps, current as i64, weight) == Some(current as i64))
            .then(|| format!("already at step {current}/{total} (setWeight {weight})"))
    }

    /// Revisions a rollback may target, newest first: never the one being rolled out, and
    /// for a pair (whose rollback acts on the stable Deployment) not the stable's own.
    pub fn rollback_targets(&self) -> impl Iterator<Item = &Revision> {
        let current = self.current_revision();
        let pair = self.key.kind == Kind::CanaryPair;
        self.revisions.iter().filter(move |r| {
            Some(r.number) != current
                && !matches!(
                    r.role,
                    RevisionRole::Canary | RevisionRole::Preview | RevisionRole::New
                )
                && !(pair && r.role == RevisionRole::Stable)
        })
    }

    /// The revision being rolled out (or, when none is, the newest).
    pub fn current_revision(&self) -> Option<i64> {
        self.revisions
            .iter()
            .find(|r| {
                matches!(
                    r.role,
                    RevisionRole::Canary | RevisionRole::Preview | RevisionRole::New
                )
            })
            .or_else(|| self.revisions.first())
            .map(|r| r.number)
    }

    /// The images of the revision being rolled out (or running).
    pub fn current_images(&self) -> Option<&Vec<String>> {
        let current = self.current_revision()?;
        self.revisions
            .iter()
            .find(|r| r.number == current)
            .map(|r| &r.images)
    }
}

/// Weights as a prompt lists them: `20, 50, 80`, or `none` for a rollout without any.
pub fn weight_list(weights: &[u8]) -> String {
    match weights {
        [] => "none (it has no setWeight step)".into(),
        w => w.iter().map(u8::to_string).collect::<Vec<_>>().join(", "),
    }
}
