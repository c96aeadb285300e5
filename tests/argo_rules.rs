//! The rules ripcord reads an Argo Rollout's status by, case by case: phase and message as
//! controllers write them or leave them to clients, steps, durations and weights.

use ripcord::model::argo::*;
use ripcord::model::objects::{argo_rollout_row, Meta};
use ripcord::model::objects::{ArgoRolloutRow, ReplicaSetRow};
use ripcord::model::release::Condition;
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

fn progressing(why: &str) -> (String, String) {
    ("Progressing".into(), why.into())
}

#[test]
fn only_a_canary_with_steps_has_a_step() {
    let bg = argo_rollout_row(&json!({
        "metadata": { "name": "bg", "namespace": "shop" },
        "spec": { "strategy": { "blueGreen": { "activeService": "a" } } },
        "status": { "currentStepIndex": 0 }
    }))
    .expect("a rollout");
    assert_eq!(plugin_status(&bg, &[]).step, None);
    let stepless = argo_rollout_row(&json!({
        "metadata": { "name": "c", "namespace": "shop" },
        "spec": { "strategy": { "canary": {} } },
        "status": { "currentStepIndex": 0 }
    }))
    .expect("a rollout");
    assert_eq!(plugin_status(&stepless, &[]).step, None);
    let stepped = rollout(json!({ "currentStepIndex": 1 }));
    assert_eq!(plugin_status(&stepped, &[]).step, Some((1, 4)));
}

#[test]
fn a_restart_the_controller_has_done_is_over() {
    let mut a = rollout(
        json!({ "updatedReplicas": 2, "availableReplicas": 2, "replicas": 2,
                                "stableRS": "s", "currentPodHash": "s" }),
    );
    let at = chrono::DateTime::parse_from_rfc3339("2026-01-01T00:00:00Z")
        .expect("a time")
        .with_timezone(&chrono::Utc);
    a.restart_at = Some(at);
    assert_eq!(legacy_phase(&a), progressing("rollout is restarting"));
    a.restarted_at = Some(at - chrono::Duration::seconds(60));
    assert_eq!(legacy_phase(&a), progressing("rollout is restarting"));
    a.restarted_at = Some(at);
    assert_eq!(legacy_phase(&a), ("Healthy".into(), String::new()));
}

#[test]
fn a_router_weight_limit_counts_only_with_a_router() {
    let mut a = rollout(json!({ "currentStepIndex": 4 }));
    a.max_traffic_weight = Some(1000);
    assert_eq!(max_weight(&a), 100);
    a.traffic_routing = true;
    assert_eq!(max_weight(&a), 1000);
}

#[test]
fn a_duration_needs_a_unit_after_every_number() {
    assert_eq!(duration_secs("1m30"), None);
    assert_eq!(duration_secs(""), None);
    assert_eq!(duration_secs("1m30s"), Some(90));
}

#[test]
fn only_the_current_revisions_pods_count_as_canary_weight() {
    let a = rollout(json!({ "currentStepIndex": 1, "availableReplicas": 6,
                            "stableRS": "s", "currentPodHash": "c" }));
    // An older revision still draining is neither stable nor canary.
    let sets = [rs("c", 1), rs("old", 2), rs("s", 3)];
    let sets: Vec<&ReplicaSetRow> = sets.iter().collect();
    assert_eq!(actual_weight(&a, &sets), 16);
}
