//! The console's analysis requests: only releases with a canary in flight are judged, so
//! the queries per refresh follow the canaries, not the fleet; a failed judgement keeps
//! the last data, marked stale.

use chrono::Duration;
use ripcord::analysis::report::Report;
use ripcord::analysis::score::{Summary, Verdict};
use ripcord::app::analysis::{ANALYSIS_EVERY_SECS, FOCUSED_EVERY_SECS};
use ripcord::app::{update, Effect, Mode, Msg, State};
use ripcord::config::keymap::Keymap;
use ripcord::config::Settings;
use ripcord::model::ConnState;
use ripcord_testkit::scale::{self, ScaleSpec};
use std::path::Path;

fn state(spec: &ScaleSpec, prometheus: bool) -> State {
    let text = if prometheus {
        format!(
            "[contexts.\"{}\"]\nprometheus = \"http://p:9090\"\n",
            scale::CONTEXT
        )
    } else {
        String::new()
    };
    let (settings, issues) = Settings::load(Path::new("config.toml"), &text);
    assert!(issues.is_empty(), "{issues:?}");
    let mut state = State::new(
        Mode::Live,
        Keymap::default_keymap(),
        settings,
        false,
        scale::now(),
    );
    update(
        &mut state,
        Msg::Connection {
            context: scale::CONTEXT.into(),
            state: ConnState::Synced,
        },
    );
    for change in scale::resets(spec) {
        update(
            &mut state,
            Msg::Cluster {
                context: scale::CONTEXT.into(),
                changes: vec![change],
            },
        );
    }
    state
}

fn analyses(effects: &[Effect]) -> Vec<String> {
    effects
        .iter()
        .filter_map(|e| match e {
            Effect::Analyze(r) => Some(r.key.name.clone()),
            _ => None,
        })
        .collect()
}

fn tick(state: &mut State, secs: i64) -> Vec<Effect> {
    let now = state.now + Duration::seconds(secs);
    update(state, Msg::Tick(now))
}

#[test]
fn queries_follow_the_canaries_in_flight_not_the_healthy_releases() {
    let small = ScaleSpec {
        namespaces: 2,
        deployments_per_namespace: 6,
        replicas: 2,
        canary_pairs_per_namespace: 1,
    };
    let big = ScaleSpec {
        deployments_per_namespace: 60,
        ..small
    };
    let mut counts = Vec::new();
    for spec in [small, big] {
        let mut state = state(&spec, true);
        assert_eq!(state.releases.len(), spec.releases());
        let first = analyses(&tick(&mut state, 1));
        // One judgement per pair (a canary in flight), none for the healthy Deployments.
        assert_eq!(
            first.len(),
            spec.namespaces * spec.pairs_per_namespace(),
            "{first:?}"
        );
        // Not again before the interval is up, then again.
        assert!(analyses(&tick(&mut state, 1)).is_empty());
        assert_eq!(
            analyses(&tick(&mut state, ANALYSIS_EVERY_SECS)).len(),
            first.len()
        );
        counts.push(first.len());
        // The release open in the detail view is judged more often, and only it.
        let open = tick(&mut state, ANALYSIS_EVERY_SECS)
            .into_iter()
            .find_map(|e| match e {
                Effect::Analyze(r) => Some(r.key),
                _ => None,
            })
            .expect("a release judged");
        state.view = ripcord::app::View::Detail(open.clone());
        let focused = analyses(&tick(&mut state, FOCUSED_EVERY_SECS));
        assert_eq!(focused, vec![open.name]);
    }
    assert_eq!(
        counts[0], counts[1],
        "ten times the healthy releases, the same queries"
    );

    // A context without a Prometheus is not judged at all.
    let mut state = state(&small, false);
    assert!(analyses(&tick(&mut state, 1)).is_empty());
}

#[test]
fn the_step_fits_the_terminal_width() {
    let spec = ScaleSpec {
        namespaces: 1,
        deployments_per_namespace: 2,
        replicas: 2,
        canary_pairs_per_namespace: 1,
    };
    let mut steps = Vec::new();
    for width in [80, 200] {
        let mut state = state(&spec, true);
        update(&mut state, Msg::Resize { width, height: 24 });
        for e in tick(&mut state, 1) {
            if let Effect::Analyze(r) = e {
                steps.push(r.step);
            }
        }
    }
    assert_eq!(steps.len(), 2);
    assert!(
        steps[0] > steps[1],
        "a wider chart gets a finer step: {steps:?}"
    );
}

#[test]
fn a_failed_judgement_keeps_the_last_report_as_stale() {
    let spec = ScaleSpec {
        namespaces: 1,
        deployments_per_namespace: 2,
        replicas: 2,
        canary_pairs_per_namespace: 1,
    };
    let mut state = state(&spec, true);
    let key = match tick(&mut state, 1).into_iter().next() {
        Some(Effect::Analyze(r)) => r.key,
        other => panic!("{other:?}"),
    };
    let report = Report {
        summary: Summary {
            score: 100.0,
            verdict: Verdict::Pass,
            groups: vec![],
            metrics: vec![],
            reasons: vec![],
            warnings: vec![],
        },
        panels: vec![],
        source: "http://p:9090".into(),
    };
    let at = state.now;
    update(
        &mut state,
        Msg::Analysis {
            key: key.clone(),
            at,
            result: Ok(report.clone()),
        },
    );
    let panel = &state.analyses[&key];
    assert!(!panel.stale());
    update(
        &mut state,
        Msg::Analysis {
            key: key.clone(),
            at: at + Duration::seconds(15),
            result: Err("Prometheus at http://p:9090 is unreachable".into()),
        },
    );
    let panel = &state.analyses[&key];
    assert!(panel.stale());
    assert_eq!(panel.report.as_ref(), Some(&report));
    assert_eq!(panel.measured, Some(at), "the age is the last data's");
}
