//! ripcord's view of an Argo Rollout equals `kubectl argo rollouts get rollout`: for every
//! object set the plugin's own tests use, the status, message, strategy, step, SetWeight,
//! ActualWeight and revision tree that the plugin's tests expect.

mod common;
use common::argo_fixtures::*;

use ripcord::model::derive::derive_namespace;
use ripcord::model::objects::object_from_json;
use ripcord::model::{ClusterCache, Kind, Release};
use std::collections::BTreeSet;

/// Every release derived from one fixture set, by namespace.
fn releases_of(objects: &[serde_json::Value]) -> Vec<Release> {
    let mut cache = ClusterCache::default();
    for v in objects {
        let object = object_from_json(v).unwrap_or_else(|e| panic!("{e}"));
        cache.apply(object);
    }
    cache
        .namespaces
        .iter()
        .flat_map(|(ns, rows)| derive_namespace("fixture", ns, rows))
        .collect()
}

#[test]
fn every_fixture_rollout_reads_as_the_plugin_prints_it() {
    let mut checked = BTreeSet::new();
    for dir in fixture_sets() {
        let set = dir
            .file_name()
            .and_then(|n| n.to_str())
            .expect("a set name");
        let releases = releases_of(&load_set(&dir));
        let rollouts: Vec<&Release> = releases
            .iter()
            .filter(|r| r.key.kind == Kind::ArgoRollout)
            .collect();
        assert!(!rollouts.is_empty(), "no Rollout in {set}");
        for r in rollouts {
            let want = EXPECTED
                .iter()
                .find(|e| e.set == set && e.name == r.key.name)
                .unwrap_or_else(|| panic!("no expectation for {set}/{}", r.key.name));
            let a = r.argo.as_deref().expect("an Argo Rollout's plugin status");
            let got = (
                a.status.as_str(),
                a.message.as_str(),
                a.strategy.as_str(),
                a.step.as_deref(),
                a.set_weight,
                a.actual_weight,
            );
            let expected = (
                want.status,
                want.message,
                want.strategy,
                want.step,
                want.set_weight,
                want.actual_weight,
            );
            assert_eq!(got, expected, "{set}/{}", r.key.name);
            // The console's own step count is the plugin's.
            let step = r.step.map(|(n, m)| format!("{n}/{m}"));
            assert_eq!(step.as_deref(), want.step, "{set}/{}", r.key.name);
            let tree: Vec<(i64, &str)> = r
                .revisions
                .iter()
                .map(|v| (v.number, info_of(v.role)))
                .collect();
            assert_eq!(tree, want.revisions, "{set}/{}", r.key.name);
            checked.insert((set.to_owned(), r.key.name.clone()));
        }
    }
    // Every expectation was met by a fixture: none is left unchecked.
    let all: BTreeSet<(String, String)> = EXPECTED
        .iter()
        .map(|e| (e.set.to_owned(), e.name.to_owned()))
        .collect();
    assert_eq!(checked, all);
}

#[test]
fn an_aborted_rollout_carries_its_analysis_run_with_the_measurement_that_failed_it() {
    let dir = fixture_sets()
        .into_iter()
        .find(|d| d.ends_with("rollout-aborted"))
        .expect("the rollout-aborted set");
    let releases = releases_of(&load_set(&dir));
    let r = releases
        .iter()
        .find(|r| r.key.name == "rollout-background-analysis")
        .expect("the rollout");
    let a = r.argo.as_deref().expect("plugin status");
    // The plugin's tree: `rollout-background-analysis-db976bc44-2  AnalysisRun  ✖ Failed ... ✖ 1`.
    let [run] = a.analysis_runs.as_slice() else {
        panic!("one analysis run: {:?}", a.analysis_runs)
    };
    assert_eq!(
        (
            run.name.as_str(),
            run.revision,
            run.phase.as_str(),
            run.kind.as_str()
        ),
        (
            "rollout-background-analysis-db976bc44-2",
            2,
            "Failed",
            "Background"
        )
    );
    let [metric] = run.metrics.as_slice() else {
        panic!("one metric: {:?}", run.metrics)
    };
    assert_eq!(
        (metric.name.as_str(), metric.failed, metric.failure_limit),
        ("web", 1, 0)
    );
    assert_eq!(metric.success_condition, "result == \"true\"");
    let values: Vec<(&str, &str)> = metric
        .measurements
        .iter()
        .map(|m| (m.phase.as_str(), m.value.as_str()))
        .collect();
    assert_eq!(values, vec![("Failed", "false")]);
    assert_eq!(
        a.abort_message.as_deref(),
        Some("metric \"web\" assessed Failed due to failed (1) > failureLimit (0)")
    );
    assert_eq!(r.phase, ripcord::model::Phase::Aborted);
    assert_eq!(r.verdict, Some(ripcord::model::Verdict::Fail));
}

#[test]
fn services_point_at_the_revisions_their_selectors_name() {
    let dir = fixture_sets()
        .into_iter()
        .find(|d| d.ends_with("blue-green"))
        .expect("the blue-green set");
    let releases = releases_of(&load_set(&dir));
    let r = releases
        .iter()
        .find(|r| r.key.name == "bluegreen-demo")
        .expect("the rollout");
    let services: Vec<(i64, Vec<String>)> = r
        .revisions
        .iter()
        .map(|v| (v.number, v.services.clone()))
        .collect();
    assert_eq!(
        services,
        vec![
            (11, vec!["bluegreen-demo-preview".to_string()]),
            (10, vec!["bluegreen-demo".to_string()]),
            (8, vec![]),
        ]
    );
    assert_eq!(r.phase, ripcord::model::Phase::WaitingForPromotion);
}

#[test]
fn an_experiment_step_carries_its_experiment_replica_sets_and_analysis_run() {
    let dir = fixture_sets()
        .into_iter()
        .find(|d| d.ends_with("experiment-analysis"))
        .expect("the experiment-analysis set");
    let releases = releases_of(&load_set(&dir));
    let r = releases
        .iter()
        .find(|r| r.key.name == "rollout-experiment-analysis")
        .expect("the rollout");
    let a = r.argo.as_deref().expect("plugin status");
    // TestExperimentAnalysisRolloutInfo: one Experiment and one AnalysisRun, on revision 2.
    let experiments: Vec<(&str, i64, &str)> = a
        .experiments
        .iter()
        .map(|e| (e.name.as_str(), e.revision, e.phase.as_str()))
        .collect();
    assert_eq!(
        experiments,
        vec![(
            "rollout-experiment-analysis-6f646bf7b7-1-vcv27",
            2,
            "Running"
        )]
    );
    let e = &a.experiments[0];
    // TestExperimentInfo: the experiment's images are blue (baseline) and yellow (canary).
    let templates: Vec<(&str, &str, i32, Vec<String>)> = e
        .templates
        .iter()
        .map(|t| {
            (
                t.name.as_str(),
                t.status.as_str(),
                t.available,
                t.images.clone(),
            )
        })
        .collect();
    assert_eq!(
        templates,
        vec![
            (
                "baseline",
                "Running",
                1,
                vec!["argoproj/rollouts-demo:blue".to_string()]
            ),
            (
                "canary",
                "Running",
                1,
                vec!["argoproj/rollouts-demo:yellow".to_string()]
            ),
        ]
    );
    let sets: Vec<(&str, usize)> = e
        .replica_sets
        .iter()
        .map(|rs| (rs.object.as_str(), rs.pods.len()))
        .collect();
    assert_eq!(
        sets,
        vec![
            (
                "rollout-experiment-analysis-6f646bf7b7-1-vcv27-baseline-7d768b8b5f",
                1
            ),
            (
                "rollout-experiment-analysis-6f646bf7b7-1-vcv27-canary-7699dcf5d",
                1
            ),
        ]
    );
    let runs: Vec<(i64, &str)> = a
        .analysis_runs
        .iter()
        .map(|run| (run.revision, run.phase.as_str()))
        .collect();
    assert_eq!(runs, vec![(2, "Inconclusive")]);
    // The tree's `✔ 4,✖ 4,? 1,⚠ 1`.
    let m = &a.analysis_runs[0].metrics;
    let sum = |f: fn(&ripcord::model::MetricSummary) -> i64| m.iter().map(f).sum::<i64>();
    assert_eq!(
        (
            sum(|m| m.successful),
            sum(|m| m.failed),
            sum(|m| m.inconclusive),
            sum(|m| m.error)
        ),
        (4, 4, 1, 1)
    );
}
