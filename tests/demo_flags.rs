//! The demo's flags are flagd definitions, evaluated by the same code as any flag source's.

use ripcord::flags::{FlagType, Reason, State};
use ripcord::sim::World;
use serde_json::json;

#[test]
fn the_demos_flags_evaluate_as_flagd_definitions() {
    let mut world = World::demo(7);
    let flags: Vec<_> = world
        .take_flags()
        .into_iter()
        .flat_map(|(_, f)| f.flags)
        .collect();
    let flag = |key: &str| {
        flags
            .iter()
            .find(|f| f.key == key)
            .unwrap_or_else(|| panic!("the demo has {key}"))
    };

    let one_click = flag("checkout.one-click");
    let old_app = one_click.evaluate(&json!({"app_version": "1.8.4"}), 0, FlagType::Boolean);
    assert_eq!(
        (old_app.value, old_app.reason),
        (Some(json!(false)), Reason::TargetingMatch)
    );
    let new_app = one_click.evaluate(&json!({"app_version": "1.9.0"}), 0, FlagType::Boolean);
    assert_eq!(
        (new_app.value, new_app.reason),
        (Some(json!(true)), Reason::Default)
    );

    let tax = flag("checkout.new-tax-engine");
    assert_eq!(tax.state, State::Disabled);
    assert_eq!(
        tax.evaluate(&json!({}), 0, FlagType::Boolean).reason,
        Reason::Disabled
    );

    // 3-D Secure: on for these countries, else a fixed 80/20 split by targeting key.
    let three_ds = flag("payments.3ds-v2");
    let de = three_ds.evaluate(&json!({"country": "de"}), 0, FlagType::Boolean);
    assert_eq!(de.value, Some(json!(true)));
    let on = (0..1000)
        .filter(|i| {
            let ctx = json!({"country": "us", "targetingKey": format!("user-{i}")});
            three_ds.evaluate(&ctx, 0, FlagType::Boolean).value == Some(json!(true))
        })
        .count();
    assert!((740..860).contains(&on), "{on} of 1000 in the 80% bucket");
}

mod common;
use common::demo::{demo_state, press, press_code, select, type_text};
use crossterm::event::KeyCode;
use ripcord::analysis::config::Side;
use ripcord::analysis::report::Report;
use ripcord::analysis::score::Verdict;
use ripcord::app::{update, Effect, Msg, State as Console};
use ripcord::metrics::feed::demo_analysis;
use ripcord::metrics::{analyze_report, Window};
use ripcord::sim::prometheus::SimPrometheus;

/// ripcord's own judgement of `name` now, as the console asks for it.
async fn judge(
    world: &mut World,
    state: &mut Console,
    prometheus: &SimPrometheus,
    name: &str,
) -> Option<Report> {
    for msg in ripcord::sim::driver::pending(world) {
        update(state, msg);
    }
    update(state, Msg::Tick(world.now));
    state.analyses.clear();
    let request = ripcord::app::analysis::due(state)
        .into_iter()
        .flat_map(|e| match e {
            Effect::Analyze(batch) => batch,
            _ => Vec::new(),
        })
        .find(|r| r.key.name == name)?;
    let side = |selector| Side {
        namespace: &request.key.namespace,
        name: &request.key.name,
        selector,
    };
    let report = analyze_report(
        prometheus,
        &demo_analysis(),
        &side(&request.canary),
        &side(&request.baseline),
        Window {
            end: request.end,
            length: chrono::Duration::from_std(request.window).expect("a window"),
            step: request.step,
        },
    )
    .await
    .expect("the simulated Prometheus answers");
    Some(report)
}

/// The canary's mean of the metric named `metric` over the last `secs` seconds of a report.
fn recent_canary(report: &Report, metric: &str, secs: f64) -> f64 {
    recent(report, metric, secs, true)
}

fn recent_baseline(report: &Report, metric: &str, secs: f64) -> f64 {
    recent(report, metric, secs, false)
}

fn recent(report: &Report, metric: &str, secs: f64, canary: bool) -> f64 {
    let panel = report
        .panels
        .iter()
        .find(|p| p.metric.contains(metric))
        .unwrap_or_else(|| panic!("no {metric} panel"));
    let series = if canary {
        &panel.canary
    } else {
        &panel.baseline
    };
    let end = series.last().map_or(0.0, |(t, _)| *t);
    let recent: Vec<f64> = series
        .iter()
        .filter(|(t, _)| *t > end - secs)
        .map(|(_, v)| *v)
        .collect();
    recent.iter().sum::<f64>() / recent.len().max(1) as f64
}

/// The demo's kill switch: checkout 1.9.0 fails because of one-click checkout; turning the
/// flag off in the console, through the same edit code as a cluster's flags, brings the
/// canary's errors down and ripcord's own verdict with them.
#[tokio::test]
async fn turning_the_kill_switch_off_brings_the_bad_canarys_verdict_back() {
    let (mut world, mut state) = demo_state();
    state.settings.production_pattern = "no-context-is-production".into();
    let prometheus = SimPrometheus::default();
    world.attach_prometheus(prometheus.clone());
    let before = judge(&mut world, &mut state, &prometheus, "checkout")
        .await
        .expect("checkout is judged");
    assert_eq!(
        before.summary.verdict,
        Verdict::Fail,
        "{:?}",
        before.summary.reasons
    );
    assert!(recent_canary(&before, "error", 60.0) > 3.0 * recent_baseline(&before, "error", 60.0));

    select(&mut state, "checkout");
    press_code(&mut state, KeyCode::Enter);
    press(&mut state, '4');
    let mut effects = press(&mut state, 'x');
    while let Some(effect) = effects.pop() {
        match effect {
            Effect::FlagPrepare(request) => {
                let result = world.flag_prepare(&request);
                update(&mut state, Msg::FlagPrepared { request, result });
                type_text(&mut state, "errors since one-click");
                press_code(&mut state, KeyCode::Enter);
                update(
                    &mut state,
                    Msg::Drawn {
                        width: 80,
                        height: 24,
                        extents: Default::default(),
                    },
                );
                effects.extend(press(&mut state, 'y'));
            }
            Effect::FlagWrite { request, version } => {
                let written = world.flag_write(&request, &version);
                update(&mut state, Msg::FlagWritten { request, written });
            }
            _ => {}
        }
    }
    let status = state
        .status
        .as_ref()
        .map(|s| s.text.clone())
        .unwrap_or_default();
    assert!(
        status.contains("✔ set checkout.one-click to DISABLED"),
        "{status}"
    );

    // Within a minute the canary's errors are the baseline's again...
    let mut soon = (world.clone(), state.clone());
    soon.0.advance(60.0);
    let report = judge(&mut soon.0, &mut soon.1, &prometheus, "checkout")
        .await
        .expect("still judged");
    let (canary, baseline) = (
        recent_canary(&report, "error", 60.0),
        recent_baseline(&report, "error", 60.0),
    );
    assert!(
        canary < baseline * 1.5,
        "canary {canary} vs baseline {baseline}"
    );
    // ...and once the judged window holds only what followed, the verdict is a pass; the
    // rollout, its own analysis passed, waits at its last step for a person.
    world.advance(300.0);
    let after = judge(&mut world, &mut state, &prometheus, "checkout")
        .await
        .expect("the canary is still up for judging");
    assert_eq!(
        after.summary.verdict,
        Verdict::Pass,
        "{:?}",
        after.summary.reasons
    );
    assert!(after.summary.score > before.summary.score);

    // Without the flip the same minutes end the other way.
    let (mut control, mut control_state) = demo_state();
    let control_prometheus = SimPrometheus::default();
    control.attach_prometheus(control_prometheus.clone());
    control.advance(300.0);
    let verdict = judge(
        &mut control,
        &mut control_state,
        &control_prometheus,
        "checkout",
    )
    .await
    .map(|r| r.summary.verdict);
    assert_ne!(verdict, Some(Verdict::Pass));
    let phase = control_state
        .releases
        .values()
        .find(|r| r.key.name == "checkout")
        .map(|r| r.phase);
    assert_eq!(phase, Some(ripcord::model::Phase::Aborted));
}
