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

/// The index of the step being run; `None` once every step is done (or there are none).
pub fn current_step(a: &ArgoRolloutRow) -> Option<usize> {
    if a.strategy != Strategy::Canary || a.steps.is_empty() {
        return None;
    }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::objects::{argo_rollout_row, Meta};
    use crate::model::release::Condition;
    use serde_json::json;

    fn rollout(status: serde_json::Value) -> ArgoRolloutRow {
        argo_rollout_row(&json!({
            "metadata": { "name": "r", "namespace": "shop", "generation": 3 },
            "spec": { "replicas": 2, "strategy": { "canary": { "steps": [
                { "setWeight": 20 }, { "pause": {} }, { "setWeight": 60 }, { "pause": { "duration": "1m" } }
            ] } } },
            "status": status
        }))
        .expect("a rollout")
    }

    fn rs(hash: &str, available: i32) -> ReplicaSetRow {
        ReplicaSetRow {
            meta: Meta::default(),
            revision: 1,
            template_hash: hash.into(),
            images: vec![],
            replicas: available,
            ready: available,
            available,
        }
    }

    #[test]
    fn every_canary_step_kind_reads_and_shows_what_it_does() {
        let a = argo_rollout_row(&json!({
            "metadata": { "name": "r", "namespace": "shop" },
            "spec": { "strategy": { "canary": { "steps": [
                { "setWeight": 5 },
                { "pause": { "duration": 30 } },
                { "analysis": { "templates": [{ "templateName": "errors" }] } },
                { "experiment": { "templates": [{ "name": "baseline" }, { "name": "canary" }] } },
                { "setCanaryScale": { "replicas": 2 } },
                { "setCanaryScale": { "weight": 25 } },
                { "setCanaryScale": { "matchTrafficWeight": true } },
                { "setHeaderRoute": { "name": "beta" } },
                { "setMirrorRoute": { "name": "shadow" } },
                { "plugin": { "name": "acme/step" } }
            ] } } }
        }))
        .expect("a rollout");
        let shown: Vec<String> = a.steps.iter().map(ToString::to_string).collect();
        assert_eq!(
            shown,
            [
                "setWeight 5%",
                "pause 30s",
                "analysis errors",
                "experiment baseline,canary",
                "setCanaryScale replicas 2",
                "setCanaryScale weight 25%",
                "setCanaryScale matchTrafficWeight",
                "setHeaderRoute beta",
                "setMirrorRoute shadow",
                "plugin acme/step",
            ]
        );
    }

    #[test]
    fn durations_read_as_the_controller_writes_them() {
        assert_eq!(duration_secs("10s"), Some(10));
        assert_eq!(duration_secs("1h30m"), Some(5400));
        assert_eq!(duration_secs("90"), Some(90));
        assert_eq!(duration_secs("1500ms"), Some(1));
        assert_eq!(duration_secs("soon"), None);
        assert_eq!(duration_secs("5"), Some(5));
        assert_eq!(duration_secs("5x"), None);
        let start = chrono::DateTime::parse_from_rfc3339("2026-01-01T00:00:00Z")
            .expect("a time")
            .with_timezone(&chrono::Utc);
        let later = start + chrono::Duration::seconds(25);
        assert_eq!(pause_left("1m", start, later), Some(35));
        assert_eq!(pause_left("10s", start, later), Some(0));
    }

    #[test]
    fn a_controller_phase_wins_once_its_generation_is_observed() {
        let a = rollout(
            json!({ "phase": "Paused", "message": "CanaryPauseStep", "observedGeneration": "3",
                                "pauseConditions": [{ "reason": "CanaryPauseStep" }], "controllerPause": true }),
        );
        assert_eq!(phase(&a), ("Paused".into(), "CanaryPauseStep".into()));
        let stale = rollout(json!({ "phase": "Healthy", "observedGeneration": "2" }));
        assert_eq!(
            phase(&stale),
            progressing("waiting for rollout spec update to be observed")
        );
        // A numeric observedGeneration from a newer controller is read the same way.
        let numeric = rollout(json!({ "phase": "Healthy", "observedGeneration": 2 }));
        assert_eq!(phase(&numeric).0, "Progressing");
        // Before v0.10 it was a hash: always observed.
        let hash = rollout(json!({ "phase": "Healthy", "observedGeneration": "7d8f9c" }));
        assert_eq!(phase(&hash).0, "Healthy");
        let unpausing = rollout(json!({ "phase": "Paused", "controllerPause": true }));
        assert_eq!(
            phase(&unpausing),
            progressing("waiting for rollout to unpause")
        );
    }

    #[test]
    fn an_old_controller_phase_comes_from_conditions_pauses_and_replicas() {
        let mut a = rollout(
            json!({ "updatedReplicas": 2, "availableReplicas": 2, "replicas": 2,
                                    "stableRS": "s", "currentPodHash": "s" }),
        );
        assert_eq!(legacy_phase(&a), ("Healthy".into(), String::new()));
        a.current_hash = "c".into();
        assert_eq!(
            legacy_phase(&a),
            progressing("waiting for all steps to complete")
        );
        a.status_replicas = 3;
        assert_eq!(
            legacy_phase(&a),
            progressing("old replicas are pending termination")
        );
        a.traffic_routing = true;
        assert_eq!(
            legacy_phase(&a),
            progressing("waiting for all steps to complete")
        );
        a.available = 1;
        assert_eq!(
            legacy_phase(&a),
            progressing("updated replicas are still becoming available")
        );
        a.updated = 1;
        assert_eq!(
            legacy_phase(&a),
            progressing("more replicas need to be updated")
        );
        a.restart_at = Some(chrono::Utc::now());
        assert_eq!(legacy_phase(&a), progressing("rollout is restarting"));
        a.pause_reasons = vec!["CanaryPauseStep".into()];
        assert_eq!(
            legacy_phase(&a),
            ("Paused".into(), "CanaryPauseStep".into())
        );
        a.paused = true;
        assert_eq!(
            legacy_phase(&a),
            ("Paused".into(), "manually paused".into())
        );
        a.conditions.push(Condition {
            type_: "Progressing".into(),
            status: "False".into(),
            reason: "RolloutAborted".into(),
            message: "metric failed".into(),
        });
        assert_eq!(
            legacy_phase(&a),
            ("Degraded".into(), "RolloutAborted: metric failed".into())
        );
        a.conditions.insert(
            0,
            Condition {
                type_: "InvalidSpec".into(),
                status: "True".into(),
                reason: "InvalidSpec".into(),
                message: "bad selector".into(),
            },
        );
        assert_eq!(
            legacy_phase(&a),
            ("Degraded".into(), "InvalidSpec: bad selector".into())
        );
    }

    #[test]
    fn an_old_blue_green_waits_for_its_cutover_and_its_post_promotion_analysis() {
        let mut a = argo_rollout_row(&json!({
            "metadata": { "name": "bg", "namespace": "shop" },
            "spec": { "replicas": 1, "strategy": { "blueGreen": { "activeService": "a",
                      "postPromotionAnalysis": { "templates": [{ "templateName": "t" }] } } } },
            "status": { "updatedReplicas": 1, "availableReplicas": 1, "currentPodHash": "new",
                        "stableRS": "old", "blueGreen": { "activeSelector": "old" } }
        }))
        .expect("a rollout");
        assert_eq!(
            legacy_phase(&a),
            progressing("active service cutover pending")
        );
        a.active_selector = "new".into();
        assert_eq!(
            legacy_phase(&a),
            progressing("waiting for analysis to complete")
        );
        a.post_promotion_status = Some("Successful".into());
        assert_eq!(
            legacy_phase(&a),
            progressing("waiting for post-promotion verification to complete")
        );
        a.stable_rs = "new".into();
        assert_eq!(legacy_phase(&a).0, "Healthy");
    }

    #[test]
    fn weights_follow_the_current_step_the_router_and_the_available_pods() {
        let mut a = rollout(json!({ "currentStepIndex": 1, "availableReplicas": 4,
                                    "stableRS": "s", "currentPodHash": "c" }));
        let sets = [rs("s", 3), rs("c", 1)];
        let sets: Vec<&ReplicaSetRow> = sets.iter().collect();
        assert_eq!(set_weight(&a), 20);
        assert_eq!(actual_weight(&a, &sets), 25);
        a.traffic_routing = true;
        assert_eq!(
            actual_weight(&a, &sets),
            20,
            "no router weight yet: the set weight"
        );
        a.weight = Some(15);
        assert_eq!(actual_weight(&a, &sets), 15);
        a.max_traffic_weight = Some(1000);
        a.current_step = Some(4);
        assert_eq!((set_weight(&a), actual_weight(&a, &sets)), (1000, 1000));
        a.current_step = Some(3);
        a.aborted = true;
        assert_eq!(set_weight(&a), 0);
        a.available = 0;
        assert_eq!(actual_weight(&a, &sets), 0);
    }
}
