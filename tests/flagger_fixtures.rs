//! Flagger Canaries from Flagger's own examples, with the status Flagger writes at each phase
//! of an analysis: ripcord's phase, steps, weight and the analysis settings in force.

mod common;
use common::argo_fixtures::shared_dir;

use ripcord::model::derive::derive_namespace;
use ripcord::model::objects::object_from_json;
use ripcord::model::{ClusterCache, Phase, Release, StepState, Verdict};
use serde_json::{json, Value};

fn fixture(name: &str) -> Value {
    let path = shared_dir().join("fixtures/flagger").join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_saphyr::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The Canary of `file` with `status`, beside its target Deployment and the primary Flagger
/// made of it.
fn derive_with(file: &str, status: Value) -> Release {
    let mut canary = fixture(file);
    canary["status"] = status;
    let target = fixture("deployment.yaml");
    let mut primary = target.clone();
    primary["metadata"]["name"] = json!("podinfo-primary");
    let mut cache = ClusterCache::default();
    for mut v in [canary, target, primary] {
        v["metadata"]["namespace"] = json!("test");
        cache.apply(object_from_json(&v).unwrap_or_else(|e| panic!("{e}")));
    }
    let releases = derive_namespace("c", "test", &cache.namespaces["test"]);
    let [r] = <[Release; 1]>::try_from(releases).expect("one release: the Canary claims both");
    r
}

fn status(phase: &str, weight: i64, iterations: i64, failed: i64) -> Value {
    json!({ "phase": phase, "canaryWeight": weight, "iterations": iterations, "failedChecks": failed,
            "conditions": [{ "type": "Promoted", "status": "Unknown", "reason": phase,
                             "message": format!("Canary {phase}") }] })
}

fn states(r: &Release) -> Vec<StepState> {
    r.steps.iter().map(|s| s.state).collect()
}

#[test]
fn the_istio_example_reads_with_its_analysis_settings_metrics_and_webhooks() {
    let r = derive_with("istio-canary.yaml", status("Progressing", 15, 3, 1));
    let f = r.flagger.as_deref().expect("Flagger detail");
    // analysis: interval 15s, threshold 10, maxWeight 50, stepWeight 5.
    assert_eq!(
        (
            f.interval.as_str(),
            f.threshold,
            f.max_weight,
            f.step_weight
        ),
        ("15s", 10, Some(50), Some(5))
    );
    assert_eq!((f.canary_weight, f.iterations, f.failed_checks), (15, 3, 1));
    assert_eq!(
        (f.target.as_str(), f.primary.as_str()),
        ("podinfo", "podinfo-primary")
    );
    let metrics: Vec<(&str, Option<f64>, Option<f64>, &str)> = f
        .metrics
        .iter()
        .map(|m| (m.name.as_str(), m.min, m.max, m.interval.as_str()))
        .collect();
    assert_eq!(
        metrics,
        vec![
            ("request-success-rate", Some(99.0), None, "1m"),
            ("request-duration", None, Some(500.0), "30s"),
        ]
    );
    let hooks: Vec<(&str, &str)> = f
        .webhooks
        .iter()
        .map(|h| (h.name.as_str(), h.type_.as_str()))
        .collect();
    assert_eq!(
        hooks,
        vec![
            ("conformance-test", "pre-rollout"),
            ("load-test", "rollout")
        ]
    );
    // 5, 10, ... 50: at 15% three steps are reached, the third running.
    assert_eq!(r.steps.len(), 10);
    assert_eq!(r.step, Some((3, 10)));
    assert_eq!(
        &states(&r)[..4],
        &[
            StepState::Done,
            StepState::Done,
            StepState::Current,
            StepState::Pending
        ]
    );
    assert_eq!((r.phase, r.weight), (Phase::Progressing, Some(15)));
    assert_eq!(r.verdict, Some(Verdict::Inconclusive));
    assert_eq!(r.verdict_reason, "1 of 10 allowed checks failed");
}

#[test]
fn the_linkerd_example_steps_through_its_step_weights() {
    let r = derive_with("linkerd-canary-steps.yaml", status("Progressing", 25, 5, 0));
    let f = r.flagger.as_deref().expect("Flagger detail");
    assert_eq!(
        f.step_weights,
        vec![5, 10, 15, 20, 25, 30, 35, 40, 45, 50, 55]
    );
    // The last step weight is where Flagger promotes.
    assert_eq!((f.max_weight, f.step_weight), (Some(55), None));
    assert_eq!(r.step, Some((5, 11)));
    let weights: Vec<String> = r.steps.iter().map(|s| s.kind.to_string()).collect();
    assert_eq!(weights.last().map(String::as_str), Some("setWeight 55%"));
}

#[test]
fn each_phase_flagger_writes_reads_as_the_console_phase_and_steps() {
    let file = "istio-canary.yaml";
    let cases = [
        ("Initializing", 0, Phase::Progressing, None),
        ("Initialized", 0, Phase::Healthy, None),
        ("Waiting", 0, Phase::WaitingForPromotion, Some((0, 10))),
        ("Progressing", 50, Phase::Progressing, Some((10, 10))),
        (
            "WaitingPromotion",
            50,
            Phase::WaitingForPromotion,
            Some((10, 10)),
        ),
        ("Promoting", 0, Phase::Progressing, Some((10, 10))),
        ("Finalising", 0, Phase::Progressing, Some((10, 10))),
        ("Succeeded", 0, Phase::Healthy, None),
        ("Failed", 0, Phase::Aborted, None),
    ];
    for (phase, weight, want, step) in cases {
        let r = derive_with(file, status(phase, weight, 0, 0));
        assert_eq!((r.phase, r.step), (want, step), "{phase}");
        assert_eq!(r.flagger.as_deref().map(|f| f.phase.as_str()), Some(phase));
        if matches!(phase, "Promoting" | "Finalising") {
            assert!(states(&r).iter().all(|s| *s == StepState::Done), "{phase}");
        }
    }
    let failed = derive_with(file, status("Failed", 0, 0, 10));
    assert_eq!(failed.verdict, Some(Verdict::Fail));
    // Suspended, the analysis holds where it is.
    let mut suspended = fixture(file);
    suspended["spec"]["suspend"] = json!(true);
    let mut cache = ClusterCache::default();
    suspended["metadata"]["namespace"] = json!("test");
    suspended["status"] = status("Progressing", 10, 2, 0);
    cache.apply(object_from_json(&suspended).expect("a canary"));
    let r = &derive_namespace("c", "test", &cache.namespaces["test"])[0];
    assert_eq!(r.phase, Phase::Paused);
    assert!(r.flagger.as_deref().is_some_and(|f| f.suspended));
}

/// What a Canary leaves out reads as Flagger's defaults, rule by rule.
mod rules {
    use ripcord::model::flagger::*;
    use ripcord::model::objects::flagger_canary_row;
    use ripcord::model::objects::FlaggerCanaryRow;
    use serde_json::json;

    fn canary(analysis: serde_json::Value) -> FlaggerCanaryRow {
        flagger_canary_row(&json!({
            "metadata": { "name": "podinfo", "namespace": "test" },
            "spec": { "targetRef": { "name": "podinfo" }, "analysis": analysis }
        }))
        .expect("a canary")
    }

    #[test]
    fn step_weight_goes_up_to_max_weight_and_step_weights_are_taken_as_written() {
        let c = canary(json!({ "stepWeight": 15, "maxWeight": 50 }));
        assert_eq!(step_weights(&c), vec![15, 30, 45, 50]);
        let c = canary(json!({ "stepWeights": [1, 5, 25, 80] }));
        assert_eq!(step_weights(&c), vec![1, 5, 25, 80]);
        assert_eq!(max_weight(&c), 80);
        let c = canary(json!({ "stepWeight": 20 }));
        assert_eq!(step_weights(&c), vec![20, 40, 60, 80, 100]);
    }

    #[test]
    fn a_canary_that_shifts_weight_has_a_max_weight_even_with_iterations() {
        let c = canary(json!({ "iterations": 10, "stepWeight": 20 }));
        assert_eq!(detail(&c).max_weight, Some(100));
        let c = canary(json!({ "iterations": 10, "stepWeights": [10, 50] }));
        assert_eq!(detail(&c).max_weight, Some(50));
    }

    #[test]
    fn what_a_canary_leaves_out_reads_as_flaggers_defaults() {
        let c = canary(json!({ "iterations": 10 }));
        assert!(step_weights(&c).is_empty());
        let d = detail(&c);
        assert_eq!((d.threshold, d.interval.as_str()), (1, "60s"));
        assert_eq!((d.max_weight, d.analysis_iterations), (None, Some(10)));
        assert_eq!(d.primary, "podinfo-primary");
    }
}
