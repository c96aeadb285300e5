//! The analysis tab over ripcord's own judgement: both sides plotted per metric with the
//! threshold, each metric's verdict and reason, the score and verdict, the PromQL that ran
//! and the key that copies it; and the queue's verdict column saying whose verdict it is.

mod common;

use common::demo::*;
use crossterm::event::KeyCode;
use ratatui::backend::TestBackend;
use ratatui::Terminal;
use ripcord::analysis::config::{AnalysisConfig, Side};
use ripcord::analysis::judge::judge_metric;
use ripcord::analysis::report::{average, threshold, Panel, Report};
use ripcord::analysis::score::{score, Judged};
use ripcord::app::{update, Effect, Msg, State};
use ripcord::config::theme::Theme;

fn frame(state: &mut State, width: u16, height: u16) -> Terminal<TestBackend> {
    update(state, Msg::Resize { width, height });
    let mut terminal = Terminal::new(TestBackend::new(width, height)).expect("test terminal");
    let mut extents = ripcord::app::Extents::default();
    terminal
        .draw(|f| extents = ripcord::ui::render_measured(f, state, &Theme::default()))
        .expect("draw");
    update(
        state,
        Msg::Drawn {
            width,
            height,
            extents,
        },
    );
    terminal
}

/// A judgement of checkout by the example HTTP config: its error ratio well above the
/// baseline's, its latency alike. Numbers made by the real judge.
fn report(end: i64) -> Report {
    report_of(end, 60)
}

/// [`report`] over the last `points` points of each side (at most 60).
fn report_of(end: i64, points: i64) -> Report {
    let (config, issues) = ripcord::config::analysis::load(
        std::path::Path::new("http.toml"),
        ripcord::config::analysis_examples()[0].1,
    );
    assert!(issues.is_empty(), "{issues:?}");
    let config: AnalysisConfig = config;
    let series = |base: f64, wobble: f64| -> Vec<(f64, f64)> {
        (60 - points..60)
            .map(|i| {
                let t = (end - 300 + i * 5) as f64;
                (t, base + wobble * ((i * 7 % 11) as f64 / 10.0))
            })
            .collect()
    };
    let sides = [
        (series(0.08, 0.01), series(0.01, 0.004)),
        (series(0.21, 0.02), series(0.20, 0.02)),
    ];
    let side = |selector| Side {
        namespace: "shop",
        name: "checkout",
        selector,
    };
    let mut judged = Vec::new();
    let mut panels = Vec::new();
    for (metric, (canary, baseline)) in config.metrics.iter().zip(sides) {
        let values = |s: &[(f64, f64)]| s.iter().map(|p| p.1).collect::<Vec<_>>();
        let j = judge_metric(
            &metric.name,
            &metric.rule,
            &values(&canary),
            &values(&baseline),
            config.confidence,
        );
        panels.push(Panel {
            metric: metric.name.clone(),
            canary_query: metric.query_for(&side("pod_template_hash=\"7d9f\"")),
            baseline_query: metric.query_for(&side("pod_template_hash=\"5c4b\"")),
            canary: average(&[canary]),
            baseline: average(&[baseline]),
            threshold: threshold(&metric.rule, j.baseline_mean),
        });
        judged.push(Judged {
            metric: metric.name.clone(),
            group: metric.group.clone(),
            critical: metric.rule.critical,
            judgement: j,
        });
    }
    Report {
        summary: score(&judged, &config.groups, config.thresholds),
        panels,
        source: "http://prometheus.monitoring:9090".into(),
    }
}

/// The demo with checkout judged by ripcord 20 s ago, its detail open on the analysis tab.
fn judged_checkout() -> State {
    let (_, mut state) = demo_state();
    select(&mut state, "checkout");
    let key = state.selected_key().cloned().expect("checkout");
    let at = state.now - chrono::Duration::seconds(20);
    update(
        &mut state,
        Msg::Analysis {
            key,
            at,
            result: Ok(report(at.timestamp())),
        },
    );
    press_code(&mut state, KeyCode::Enter);
    press(&mut state, '3');
    state
}

#[test]
fn analysis_tab_80x24() {
    let mut state = judged_checkout();
    insta::assert_snapshot!(frame(&mut state, 80, 24).backend());
}

#[test]
fn analysis_tab_160x48() {
    let mut state = judged_checkout();
    insta::assert_snapshot!(frame(&mut state, 160, 48).backend());
}

#[test]
fn the_tab_shows_both_sides_the_reason_and_the_promql_and_goes_stale_with_its_age() {
    let mut state = judged_checkout();
    let screen = rendered_text(&mut state, 160, 48);
    for expected in [
        "score 0 FAIL",
        "judged 20s ago on http://prometheus.monitoring:9090",
        "1/2 error ratio  high: error ratio: canary",
        "canary",
        "baseline",
        "threshold",
        "pod_template_hash=\"7d9f\"",
        "pod_template_hash=\"5c4b\"",
    ] {
        assert!(screen.contains(expected), "{expected:?} not in\n{screen}");
    }
    // j moves to the next metric.
    press(&mut state, 'j');
    let screen = rendered_text(&mut state, 160, 48);
    assert!(screen.contains("2/2 p99 latency  pass"), "{screen}");

    // Prometheus goes down: the data stays, stale, with its age.
    let key = state.selected_key().cloned().expect("checkout");
    let now = state.now;
    update(
        &mut state,
        Msg::Analysis {
            key,
            at: now,
            result: Err("Prometheus at http://prometheus.monitoring:9090 is unreachable".into()),
        },
    );
    let screen = rendered_text(&mut state, 160, 48);
    assert!(
        screen.contains(
            "⚠ stale, 20s old: Prometheus at http://prometheus.monitoring:9090 is unreachable"
        ),
        "{screen}"
    );
    assert!(
        screen.contains("2/2 p99 latency"),
        "the last data stays\n{screen}"
    );
}

#[test]
fn c_copies_the_shown_metrics_promql_and_only_there() {
    let mut state = judged_checkout();
    frame(&mut state, 160, 48);
    let effects = press(&mut state, 'c');
    let copied: Vec<&String> = effects
        .iter()
        .filter_map(|e| match e {
            Effect::Copy(text) => Some(text),
            _ => None,
        })
        .collect();
    assert_eq!(copied.len(), 1, "{effects:?}");
    assert!(
        copied[0].contains("pod_template_hash=\"7d9f\""),
        "{}",
        copied[0]
    );
    assert!(
        copied[0].contains("pod_template_hash=\"5c4b\""),
        "{}",
        copied[0]
    );
    assert!(
        copied[0].contains("5..") || copied[0].contains("code"),
        "{}",
        copied[0]
    );
    // On another tab there is nothing to copy, and it says so.
    press(&mut state, '1');
    let effects = press(&mut state, 'c');
    assert!(!effects.iter().any(|e| matches!(e, Effect::Copy(_))));
    let screen = rendered_text(&mut state, 160, 48);
    assert!(screen.contains("nothing to copy"), "{screen}");
}

#[test]
fn the_verdict_column_says_when_the_verdict_is_ripcords() {
    let mut state = judged_checkout();
    press_code(&mut state, KeyCode::Esc);
    // A release ripcord has not judged yet (its first judgement still out) shows its
    // controller's verdict.
    state.analyses.retain(|k, _| k.name != "podinfo");
    let screen = rendered_text(&mut state, 160, 48);
    let line = screen
        .lines()
        .find(|l| l.contains("checkout"))
        .expect("checkout's row");
    assert!(line.contains("rc✖ FAIL"), "{line}");
    // Its controller's verdict is unmarked.
    assert!(
        screen
            .lines()
            .any(|l| !l.contains("rc") && (l.contains("✔ pass") || l.contains("… run"))),
        "{screen}"
    );
}

#[test]
fn too_few_samples_show_as_judging_never_as_pass_or_fail() {
    let (_, mut state) = demo_state();
    select(&mut state, "checkout");
    let key = state.selected_key().cloned().expect("checkout");
    let at = state.now;
    // Its error ratio ×8 on one point a side: not judged.
    update(
        &mut state,
        Msg::Analysis {
            key: key.clone(),
            at,
            result: Ok(report_of(at.timestamp(), 1)),
        },
    );
    let a = ripcord::app::attention(&state, &state.releases[&key]);
    assert_ne!(a.rank, ripcord::app::Rank::Failing, "{a:?}");
    let screen = rendered_text(&mut state, 160, 48);
    let line = screen
        .lines()
        .find(|l| l.contains("checkout"))
        .expect("checkout's row");
    assert!(line.contains("rc… few"), "{line}");
    press_code(&mut state, KeyCode::Enter);
    press(&mut state, '3');
    let screen = rendered_text(&mut state, 160, 48);
    assert!(
        screen.contains("ripcord judging… (few samples)"),
        "{screen}"
    );
    assert!(
        screen.contains(
            "error ratio  few samples: error ratio: too few samples to judge: canary 1, baseline 1"
        ),
        "{screen}"
    );
    assert!(!screen.contains("score"), "{screen}");
}

fn rendered_text(state: &mut State, width: u16, height: u16) -> String {
    let terminal = frame(state, width, height);
    let buffer = terminal.backend().buffer().clone();
    let mut text = String::new();
    for y in 0..buffer.area.height {
        for x in 0..buffer.area.width {
            text.push_str(buffer[(x, y)].symbol());
        }
        text.push('\n');
    }
    text
}

#[test]
fn the_promql_wraps_at_80_columns_and_no_legend_covers_the_chart() {
    for width in [80, 120] {
        let mut state = judged_checkout();
        let screen = rendered_text(&mut state, width, 40);
        // Each side's selector is on screen, however narrow.
        for selector in ["pod_template_hash=\"7d9f\"", "pod_template_hash=\"5c4b\""] {
            assert!(
                screen.contains(selector),
                "{width}: {selector} cut off\n{screen}"
            );
        }
        // "threshold" is named once, beside the PromQL: no legend box over the data.
        assert_eq!(
            screen.matches("threshold").count(),
            1,
            "{width} columns:\n{screen}"
        );
    }
}

#[test]
fn the_summary_line_is_marked_stale_while_prometheus_is_down() {
    let mut state = judged_checkout();
    press(&mut state, '1');
    let screen = rendered_text(&mut state, 160, 48);
    assert!(screen.contains("canary metrics failing"), "{screen}");
    assert!(!screen.contains("stale"), "{screen}");
    let key = state.selected_key().cloned().expect("checkout");
    let now = state.now;
    update(
        &mut state,
        Msg::Analysis {
            key,
            at: now,
            result: Err("Prometheus at http://prometheus.monitoring:9090 is unreachable".into()),
        },
    );
    let screen = rendered_text(&mut state, 160, 48);
    assert!(
        screen.contains("⚠ stale, 20s old: ✖ canary metrics failing"),
        "{screen}"
    );
}
