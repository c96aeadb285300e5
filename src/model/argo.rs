//! An Argo Rollout's status, message, step and weights, computed by the same rules as
//! `kubectl argo rollouts get rollout`, so the console never disagrees with the plugin.
//!
//! Pure: a Rollout row and its ReplicaSet rows in, the plugin's fields out. Controllers
//! since v1.0 write `status.phase` and `status.message`; for older ones (and while a spec
//! change is not yet observed) the phase is worked out from conditions, pause state and
//! replica counts, as the plugin does.

use super::objects::{ArgoRolloutRow, ReplicaSetRow};
use super::release::{StepKind, Strategy};

/// The fields the plugin prints in its header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PluginStatus {
    pub status: String,
    pub message: String,
    /// `Canary` or `BlueGreen`.
    pub strategy: &'static str,
    /// `(currentStepIndex, steps)`, when both exist.
    pub step: Option<(usize, usize)>,
    pub set_weight: Option<i32>,
    pub actual_weight: Option<i32>,
}

/// The plugin's view of `a`, whose ReplicaSets are `sets`.
pub fn plugin_status(a: &ArgoRolloutRow, sets: &[&ReplicaSetRow]) -> PluginStatus {
    let (status, message) = phase(a);
    let canary = a.strategy == Strategy::Canary;
    PluginStatus {
        status,
        message,
        strategy: if canary { "Canary" } else { "BlueGreen" },
        step: match a.current_step {
            Some(i) if canary && !a.steps.is_empty() => Some((i, a.steps.len())),
            _ => None,
        },
        set_weight: canary.then(|| set_weight(a)),
        actual_weight: canary.then(|| actual_weight(a, sets)),
    }
}

/// Status and message: the controller's own once it writes them, unless the spec or an
/// unpause has not been acted on yet.
pub fn phase(a: &ArgoRolloutRow) -> (String, String) {
    if !generation_observed(a) {
        return progressing("waiting for rollout spec update to be observed");
    }
    if unpausing(a) {
        return progressing("waiting for rollout to unpause");
    }
    if !a.phase.is_empty() {
        return (a.phase.clone(), a.message.clone());
    }
    legacy_phase(a)
}

fn progressing(why: &str) -> (String, String) {
    ("Progressing".into(), why.into())
}

/// `status.observedGeneration` is a number since v0.10; an older hash counts as observed.
fn generation_observed(a: &ArgoRolloutRow) -> bool {
    match a.observed_generation.parse::<i64>() {
        Ok(observed) => observed >= a.generation,
        Err(_) => true,
    }
}

/// The user cleared the pause conditions and the controller has not reacted yet.
fn unpausing(a: &ArgoRolloutRow) -> bool {
    a.controller_pause && a.pause_reasons.is_empty()
}

/// Whether the update is over: the stable ReplicaSet is the desired one.
fn fully_promoted(a: &ArgoRolloutRow) -> bool {
    a.stable_rs == a.current_hash
}

/// The phase controllers before v1.0 left to their clients.
pub fn legacy_phase(a: &ArgoRolloutRow) -> (String, String) {
    let degraded = |why: String| ("Degraded".to_string(), why);
    for c in &a.conditions {
        if c.type_ == "InvalidSpec" {
            return degraded(format!("InvalidSpec: {}", c.message));
        }
        if c.reason == "RolloutAborted" || c.reason == "ProgressDeadlineExceeded" {
            return degraded(format!("{}: {}", c.reason, c.message));
        }
    }
    if a.paused {
        return ("Paused".into(), "manually paused".into());
    }
    if let Some(reason) = a.pause_reasons.first() {
        return ("Paused".into(), reason.clone());
    }
    if a.restart_at
        .is_some_and(|at| a.restarted_at.is_none_or(|done| done != at))
    {
        return progressing("rollout is restarting");
    }
    if a.updated < a.replicas {
        return progressing("more replicas need to be updated");
    }
    if a.available < a.updated {
        return progressing("updated replicas are still becoming available");
    }
    match a.strategy {
        Strategy::BlueGreen => {
            if a.active_selector.is_empty() || a.active_selector != a.current_hash {
                return progressing("active service cutover pending");
            }
            if a.stable_rs.is_empty() || !fully_promoted(a) {
                let analysis_done = matches!(
                    a.post_promotion_status.as_deref(),
                    Some("Successful" | "Failed" | "Error" | "Inconclusive")
                );
                return progressing(if a.post_promotion_analysis && !analysis_done {
                    "waiting for analysis to complete"
                } else {
                    "waiting for post-promotion verification to complete"
                });
            }
        }
        _ => {
            // Only a basic canary: a traffic router keeps old pods up on purpose.
            if !a.traffic_routing && a.status_replicas > a.updated {
                return progressing("old replicas are pending termination");
            }
            if a.stable_rs.is_empty() || !fully_promoted(a) {
                return progressing("waiting for all steps to complete");
            }
        }
    }
    ("Healthy".into(), String::new())
}

/// The index of the step being run; `None` once every step is done (or there are none, as
/// for a blue-green, whose spec has no steps).
pub fn current_step(a: &ArgoRolloutRow) -> Option<usize> {
    let i = a.current_step.unwrap_or(0);
    (i < a.steps.len()).then_some(i)
}

/// The traffic weight that means "everything": 100 unless the router says otherwise.
pub fn max_weight(a: &ArgoRolloutRow) -> i32 {
    match a.max_traffic_weight {
        Some(w) if a.traffic_routing => w,
        _ => 100,
    }
}

/// The weight the current step asks for: the nearest setWeight at or before it.
pub fn set_weight(a: &ArgoRolloutRow) -> i32 {
    if a.aborted {
        return 0;
    }
    let Some(i) = current_step(a) else {
        return max_weight(a);
    };
    a.steps[..=i]
        .iter()
        .rev()
        .find_map(|s| match s {
            StepKind::SetWeight { weight } => Some(i32::from(*weight)),
            _ => None,
        })
        .unwrap_or(0)
}

/// The weight actually served: the router's when it reports one, otherwise the canary's
/// share of available pods.
pub fn actual_weight(a: &ArgoRolloutRow, sets: &[&ReplicaSetRow]) -> i32 {
    if current_step(a).is_none() {
        return max_weight(a);
    }
    if a.available <= 0 {
        return 0;
    }
    if a.traffic_routing {
        return a.weight.map_or_else(|| set_weight(a), i32::from);
    }
    sets.iter()
        .filter(|rs| rs.template_hash != a.stable_rs && rs.template_hash == a.current_hash)
        .map(|rs| rs.available * max_weight(a) / a.available)
        .next_back()
        .unwrap_or(0)
}

/// A Rollout duration (`"30s"`, `"5m"`, `"1h30m"`, or bare seconds) in seconds.
pub fn duration_secs(text: &str) -> Option<i64> {
    let text = text.trim();
    if let Ok(secs) = text.parse::<i64>() {
        return Some(secs);
    }
    let mut total = 0i64;
    let mut number = String::new();
    let mut chars = text.chars().peekable();
    let mut any = false;
    while let Some(c) = chars.next() {
        if c.is_ascii_digit() {
            number.push(c);
            continue;
        }
        let n: i64 = number.parse().ok()?;
        number.clear();
        let unit = match c {
            'h' => 3600,
            'm' if chars.peek() == Some(&'s') => {
                chars.next();
                // Milliseconds round down to whole seconds.
                total += n / 1000;
                any = true;
                continue;
            }
            'm' => 60,
            's' => 1,
            _ => return None,
        };
        total += n * unit;
        any = true;
    }
    (any && number.is_empty()).then_some(total)
}

/// Seconds left of a timed pause that started at `since`, at `now` (never negative).
pub fn pause_left(
    duration: &str,
    since: chrono::DateTime<chrono::Utc>,
    now: chrono::DateTime<chrono::Utc>,
) -> Option<i64> {
    let secs = duration_secs(duration)?;
    Some((secs - (now - since).num_seconds()).max(0))
}
