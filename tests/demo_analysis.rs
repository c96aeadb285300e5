//! The demo's verdicts come from the real judge: its simulated Prometheus answers the
//! example HTTP analysis for the simulated pods, and the console judges what it answers.

mod common;
use common::demo::demo_state;

use ripcord::analysis::config::Side;
use ripcord::analysis::score::Verdict;
use ripcord::app::{update, Effect, Msg};
use ripcord::metrics::feed::demo_analysis;
use ripcord::metrics::{analyze_report, Window};
use ripcord::sim::prometheus::SimPrometheus;

#[tokio::test]
async fn a_climbing_canary_fails_and_a_steady_one_passes_by_the_judge() {
    let (mut world, mut state) = demo_state();
    let prometheus = SimPrometheus::default();
    world.attach_prometheus(prometheus.clone());
    let config = demo_analysis();
    assert_eq!(config.metrics.len(), 2);

    // Twenty virtual seconds on, every release in flight is asked for afresh.
    world.advance(20.0);
    for msg in ripcord::sim::driver::pending(&mut world) {
        update(&mut state, msg);
    }
    update(&mut state, Msg::Tick(world.now));
    state.analyses.clear();
    let effects = ripcord::app::analysis::due(&mut state);
    let requests: Vec<_> = effects
        .into_iter()
        .flat_map(|e| match e {
            Effect::Analyze(batch) => batch,
            _ => vec![],
        })
        .collect();
    let names: Vec<&str> = requests.iter().map(|r| r.key.name.as_str()).collect();
    assert!(names.contains(&"checkout"), "{names:?}");
    assert!(names.contains(&"payments-api"), "{names:?}");
    for r in &requests {
        let side = |selector| Side {
            namespace: &r.key.namespace,
            name: &r.key.name,
            selector,
        };
        let report = analyze_report(
            &prometheus,
            &config,
            &side(&r.canary),
            &side(&r.baseline),
            Window {
                end: r.end,
                length: chrono::Duration::from_std(r.window).unwrap(),
                step: r.step,
            },
        )
        .await
        .expect("the simulated Prometheus answers");
        update(
            &mut state,
            Msg::Analysis {
                key: r.key.clone(),
                at: r.end,
                result: Ok(report),
            },
        );
    }
    let verdict = |name: &str| {
        let key = requests
            .iter()
            .find(|r| r.key.name == name)
            .unwrap()
            .key
            .clone();
        let report = state.analyses[&key].report.clone().expect("a report");
        assert!(
            report
                .panels
                .iter()
                .all(|p| !p.canary.is_empty() && !p.baseline.is_empty()),
            "{name}: both sides measured"
        );
        (report.summary.verdict, report.summary.reasons.join("; "))
    };
    let (checkout, why) = verdict("checkout");
    assert_eq!(checkout, Verdict::Fail, "{why}");
    assert!(why.contains("error ratio: canary"), "{why}");
    let (payments, why) = verdict("payments-api");
    assert_eq!(payments, Verdict::Pass, "{why}");
}

/// The demo's bad canary tops the queue because ripcord's judge fails it, and the row says
/// ripcord's reason, while its controller's own analysis has not decided yet.
#[test]
fn the_demos_bad_canary_ranks_first_by_ripcords_fail_with_its_reason() {
    use ripcord::app::{attention, Rank};
    let (_, state) = demo_state();
    let first = &state.releases[&state.rows[0]];
    assert_eq!(first.key.name, "checkout");
    let a = attention(&state, first);
    assert_eq!(a.rank, Rank::Failing);
    assert!(a.from_ripcord, "{a:?}");
    let summary = ripcord::app::analysis::ripcord_summary(&state, first).expect("judged");
    assert_eq!(summary.verdict, Verdict::Fail);
    assert_eq!(a.reason, summary.reasons[0]);
    assert!(a.reason.starts_with("error ratio: canary"), "{}", a.reason);
    assert_eq!(first.verdict, Some(ripcord::model::Verdict::Running));
    let message = ripcord::app::queue_message(&state, first);
    assert!(message.starts_with(&a.reason), "{message}");
}

/// Over the demo's first minutes, no simulated controller passes a canary that ripcord's
/// judge fails: both read the same simulated series.
#[test]
fn no_controller_passes_what_ripcord_fails() {
    let (mut world, mut state) = demo_state();
    let mut compared = 0;
    for _ in 0..20 {
        world.advance(15.0);
        state.analyses.clear();
        ripcord_testkit::feed(&mut world, &mut state);
        for r in state.releases.values() {
            let Some(summary) = ripcord::app::analysis::ripcord_summary(&state, r) else {
                continue;
            };
            compared += 1;
            if summary.verdict == Verdict::Fail {
                assert_ne!(
                    r.verdict,
                    Some(ripcord::model::Verdict::Pass),
                    "{} at {}: the controller passes what ripcord fails: {:?}",
                    r.key,
                    world.now,
                    summary.reasons
                );
            }
        }
    }
    assert!(compared > 20, "{compared}");
}

/// The simulated Prometheus has a side's series only from when its pods became ready: a
/// canary's mean is not diluted by invented history, so once its critical error ratio is
/// high it stays high from one judgement to the next.
#[tokio::test]
async fn checkouts_error_ratio_stays_high_once_it_is() {
    use ripcord::analysis::judge::Outcome;
    let (mut world, mut state) = demo_state();
    let prometheus = SimPrometheus::default();
    world.attach_prometheus(prometheus.clone());
    let config = demo_analysis();
    let mut outcomes = Vec::new();
    for _ in 0..24 {
        world.advance(15.0);
        for msg in ripcord::sim::driver::pending(&mut world) {
            update(&mut state, msg);
        }
        update(&mut state, Msg::Tick(world.now));
        state.analyses.clear();
        let Some(r) = ripcord::app::analysis::due(&mut state)
            .into_iter()
            .flat_map(|e| match e {
                Effect::Analyze(batch) => batch,
                _ => vec![],
            })
            .find(|r| r.key.name == "checkout")
        else {
            continue;
        };
        let side = |selector| Side {
            namespace: &r.key.namespace,
            name: &r.key.name,
            selector,
        };
        let report = analyze_report(
            &prometheus,
            &config,
            &side(&r.canary),
            &side(&r.baseline),
            Window {
                end: r.end,
                length: chrono::Duration::from_std(r.window).unwrap(),
                step: r.step,
            },
        )
        .await
        .expect("the simulated Prometheus answers");
        let j = &report.summary.metrics[0].judgement;
        assert_eq!(report.summary.metrics[0].metric, "error ratio");
        // No canary point from before its ReplicaSet existed.
        let created = state.releases[&r.key]
            .revisions
            .iter()
            .find(|rev| rev.template_hash == r.canary_value)
            .and_then(|rev| rev.created)
            .expect("the canary's revision and its creation");
        let panel = &report.panels[0];
        assert!(
            panel
                .canary
                .first()
                .is_some_and(|p| p.0 >= created.timestamp() as f64),
            "canary points from before {created}: {:?}",
            panel.canary.first()
        );
        outcomes.push((world.now, j.outcome, j.reason.clone()));
    }
    assert!(outcomes.len() >= 8, "{outcomes:?}");
    let first_high = outcomes
        .iter()
        .position(|o| o.1 == Outcome::High)
        .unwrap_or_else(|| panic!("never high: {outcomes:?}"));
    for (at, outcome, reason) in &outcomes[first_high..] {
        assert_eq!(*outcome, Outcome::High, "at {at}: {reason}\n{outcomes:?}");
    }
}
