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
        .flat_map(|e| match e {
            Effect::Analyze(batch) => batch.iter().map(|r| r.key.name.clone()).collect(),
            _ => vec![],
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
                Effect::Analyze(batch) => batch.into_iter().next().map(|r| r.key),
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
            if let Effect::Analyze(batch) = e {
                steps.extend(batch.iter().map(|r| r.step));
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
        Some(Effect::Analyze(batch)) => batch[0].key.clone(),
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

/// Answers any query with one series per side value it asks for (`label=~"a|b"`), in each
/// namespace it asks for, and counts the queries.
struct Counting {
    queries: std::sync::atomic::AtomicUsize,
}

impl ripcord::metrics::RangeSource for Counting {
    fn describe(&self) -> String {
        "counting".into()
    }

    fn range<'a>(
        &'a self,
        query: &'a str,
        start: chrono::DateTime<chrono::Utc>,
        end: chrono::DateTime<chrono::Utc>,
        step: std::time::Duration,
    ) -> futures::future::BoxFuture<
        'a,
        Result<Vec<ripcord::metrics::Series>, ripcord::metrics::QueryError>,
    > {
        self.queries
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let asked = |label: &str| -> Vec<String> {
            let Some(at) = query.find(&format!("{label}=~\"")) else {
                return vec![];
            };
            let rest = &query[at + label.len() + 3..];
            rest[..rest.find('"').unwrap_or(0)]
                .split('|')
                .map(str::to_owned)
                .collect()
        };
        let (hashes, namespaces) = (asked("pod_template_hash"), asked("namespace"));
        let series = hashes
            .iter()
            .flat_map(|h| namespaces.iter().map(move |ns| (h, ns)))
            .map(|(h, ns)| ripcord::metrics::Series {
                points: (0..20)
                    .map(|i| {
                        let t = start.timestamp() + i * step.as_secs() as i64;
                        (t as f64, 0.01 + (i % 3) as f64 * 0.001)
                    })
                    .take_while(|(t, _)| *t <= end.timestamp() as f64)
                    .collect(),
                labels: vec![
                    ("namespace".into(), ns.clone()),
                    ("pod_template_hash".into(), h.clone()),
                ],
            })
            .collect();
        Box::pin(async move { Ok(series) })
    }
}

struct CountingSources(std::sync::Arc<Counting>);

impl ripcord::metrics::feed::Sources for CountingSources {
    fn source(&self, _: &str) -> Option<std::sync::Arc<dyn ripcord::metrics::RangeSource>> {
        Some(self.0.clone())
    }

    fn config<'a>(
        &'a self,
        _: &'a ripcord::model::ReleaseKey,
    ) -> futures::future::BoxFuture<'a, Result<ripcord::analysis::config::AnalysisConfig, String>>
    {
        Box::pin(async { Ok(ripcord::metrics::feed::demo_analysis()) })
    }
}

/// One query per metric per refresh, however many canaries are in flight: the refresh's
/// judgements go out as one batch, each metric's template runs once over every side, and
/// every canary still gets its own judgement from both of its sides' series.
#[test]
fn queries_per_refresh_stay_flat_from_1_to_50_canaries() {
    let metrics = ripcord::metrics::feed::demo_analysis().metrics.len();
    let mut counts = Vec::new();
    for (namespaces, pairs) in [(1, 1), (5, 2), (5, 10)] {
        let spec = ScaleSpec {
            namespaces,
            deployments_per_namespace: 24,
            replicas: 2,
            canary_pairs_per_namespace: pairs,
        };
        let mut state = state(&spec, true);
        let effects = tick(&mut state, 1);
        let batches: Vec<_> = effects
            .iter()
            .filter_map(|e| match e {
                Effect::Analyze(batch) => Some(batch.clone()),
                _ => None,
            })
            .collect();
        assert_eq!(batches.len(), 1, "one batch per refresh");
        let batch = &batches[0];
        assert_eq!(batch.len(), namespaces * spec.pairs_per_namespace());
        let counting = std::sync::Arc::new(Counting {
            queries: Default::default(),
        });
        let msgs = futures::executor::block_on(ripcord::metrics::feed::judge_batch(
            &CountingSources(counting.clone()),
            batch,
        ));
        assert_eq!(msgs.len(), batch.len());
        for msg in msgs {
            match msg {
                Msg::Analysis {
                    key,
                    result: Ok(report),
                    ..
                } => assert!(
                    report
                        .panels
                        .iter()
                        .all(|p| !p.canary.is_empty() && !p.baseline.is_empty()),
                    "{key}: both sides measured"
                ),
                other => panic!("{other:?}"),
            }
        }
        let queries = counting.queries.load(std::sync::atomic::Ordering::SeqCst);
        counts.push((batch.len(), queries));
    }
    assert_eq!(counts[0].0, 1);
    assert_eq!(counts[2].0, 50);
    assert!(
        counts.iter().all(|&(_, q)| q == metrics),
        "one query per metric whatever the canaries: {counts:?}"
    );
}

/// A judgement against a baseline without pods or samples is no verdict: the panel says
/// why and the queue keeps the controller's verdict; with the old pods' samples still in
/// the window it counts.
#[test]
fn a_judgement_against_a_baseline_without_pods_is_no_verdict() {
    let spec = ScaleSpec {
        namespaces: 1,
        deployments_per_namespace: 2,
        replicas: 2,
        canary_pairs_per_namespace: 1,
    };
    let mut state = state(&spec, true);
    let key = match tick(&mut state, 1).into_iter().next() {
        Some(Effect::Analyze(batch)) => batch[0].key.clone(),
        other => panic!("{other:?}"),
    };
    let release = state.releases.get_mut(&key).expect("the pair");
    for r in &mut release.revisions {
        if r.role == ripcord::model::RevisionRole::Stable {
            r.replicas = Default::default();
        }
    }
    let report = |baseline: Vec<(f64, f64)>| Report {
        summary: ripcord::analysis::score::score(&[], &[], Default::default()),
        panels: vec![ripcord::analysis::report::Panel {
            metric: "error ratio".into(),
            canary_query: String::new(),
            baseline_query: String::new(),
            canary: vec![(1.0, 0.1)],
            baseline,
            threshold: None,
        }],
        source: "http://p:9090".into(),
    };
    let at = state.now;
    update(
        &mut state,
        Msg::Analysis {
            key: key.clone(),
            at,
            result: Ok(report(vec![])),
        },
    );
    let panel = &state.analyses[&key];
    assert!(panel.report.is_none());
    let why = panel.error.as_deref().unwrap_or_default();
    assert!(why.starts_with("not judged: baseline has no pods"), "{why}");
    assert!(ripcord::app::analysis::ripcord_panel(&state, &state.releases[&key]).is_none());
    update(
        &mut state,
        Msg::Analysis {
            key: key.clone(),
            at,
            result: Ok(report(vec![(1.0, 0.1)])),
        },
    );
    assert!(state.analyses[&key].report.is_some());
}

#[test]
fn another_analysis_config_named_is_judged_at_once() {
    let spec = ScaleSpec {
        namespaces: 1,
        deployments_per_namespace: 2,
        replicas: 2,
        canary_pairs_per_namespace: 2,
    };
    let mut state = state(&spec, true);
    let first = tick(&mut state, 1);
    let judged = analyses(&first);
    assert_eq!(judged.len(), spec.pairs_per_namespace(), "{judged:?}");
    assert!(analyses(&tick(&mut state, 1)).is_empty());
    // One pair's annotation now names a ConfigMap: it alone is judged again, by that name.
    let key = state
        .releases
        .keys()
        .find(|k| k.name == judged[0])
        .cloned()
        .expect("a judged pair");
    state.releases.get_mut(&key).expect("pair").analysis_config = Some("web-analysis".into());
    let effects = tick(&mut state, 1);
    assert_eq!(analyses(&effects), vec![key.name.clone()]);
    let named = effects.iter().find_map(|e| match e {
        Effect::Analyze(batch) => batch.first().map(|r| r.config_name.clone()),
        _ => None,
    });
    assert_eq!(named, Some(Some("web-analysis".to_owned())));
    // Asked for under that name: not again before the interval.
    assert!(analyses(&tick(&mut state, 1)).is_empty());
}
