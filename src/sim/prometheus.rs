//! The demo's Prometheus: answers the example HTTP analysis's PromQL for the simulated pods,
//! behind the same client trait as a real one, so the demo's verdicts come from the real
//! judge. Values are a pure function of each side's error profile and the time, with a
//! deterministic wobble, so any window can be asked for.

use super::{ErrorProfile, Time, World};
use crate::metrics::{QueryError, RangeSource, Series};
use futures::future::BoxFuture;
use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::Duration;

/// What the simulated Prometheus knows of one pod-template-hash.
#[derive(Debug, Clone)]
pub struct SideProfile {
    pub errors: ErrorProfile,
    /// The new side (canary, preview, new ReplicaSet): its errors follow the profile; the
    /// old side's stay at the profile's base.
    pub new_side: bool,
    /// The share of the new side's requests its kill switch flag is on for: what of the
    /// climb it suffers.
    pub share: super::flags::Share,
}

/// One series key's side as the simulated Prometheus serves it.
#[derive(Debug, Clone)]
pub struct SimSide {
    pub profile: SideProfile,
    pub namespace: String,
    /// Since when some of its pods have been ready: only those are scraped, so a side has
    /// series from then on and a side without any has none, as with a real Prometheus.
    pub ready_since: Option<Time>,
}

/// Cheap to clone; the world keeps it up to date as templates come and go.
#[derive(Debug, Clone, Default)]
pub struct SimPrometheus {
    sides: Arc<RwLock<HashMap<String, SimSide>>>,
}

/// More points than this in one answer is a mistake in the step.
const MAX_POINTS: f64 = 11_000.0;

impl SimPrometheus {
    pub fn update(&self, world: &World) {
        let sides = world.side_profiles();
        *self.sides.write().unwrap_or_else(|p| p.into_inner()) = sides;
    }

    fn side(&self, hash: &str) -> Option<SimSide> {
        self.sides
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .get(hash)
            .filter(|s| s.ready_since.is_some())
            .cloned()
    }
}

/// Error percentage of a side at `t`.
fn error_pct(side: &SideProfile, t: Time) -> f64 {
    match (side.errors, side.new_side) {
        (ErrorProfile::Steady(e), _) | (ErrorProfile::Climbing { base: e, .. }, false) => e,
        (
            ErrorProfile::Climbing {
                base,
                per_sec,
                since,
            },
            true,
        ) => base + per_sec * (t - since).num_seconds().max(0) as f64 * side.share.at(t),
    }
}

/// A wobble in [-0.5, 0.5), the same for the same series and second.
fn wobble(hash: &str, t: i64, salt: u64) -> f64 {
    let mut x = 0xcbf2_9ce4_8422_2325_u64 ^ salt;
    for b in hash.bytes().chain(t.to_le_bytes()) {
        x = (x ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
    }
    x ^= x >> 33;
    (x % 10_000) as f64 / 10_000.0 - 0.5
}

/// The labels the simulated pods' sides are selected by.
const SIDE_LABELS: [&str; 3] = ["rollouts_pod_template_hash", "pod_template_hash", "app"];

/// The label a query selects sides by and the values it asks for: one for `L="v"`, each
/// of a grouped query's `L=~"v1|v2"` (regex escapes dropped).
fn selected(query: &str) -> Option<(&'static str, Vec<String>)> {
    let ident = |c: u8| c.is_ascii_alphanumeric() || c == b'_';
    for label in SIDE_LABELS {
        for (at, _) in query.match_indices(label) {
            if at > 0 && ident(query.as_bytes()[at - 1]) {
                continue;
            }
            let rest = &query[at + label.len()..];
            let (regex, rest) = match (rest.strip_prefix("=~\""), rest.strip_prefix("=\"")) {
                (Some(r), _) => (true, r),
                (None, Some(r)) => (false, r),
                _ => continue,
            };
            let text = &rest[..rest.find('"')?];
            let values = if regex {
                text.split('|').map(|v| v.replace('\\', "")).collect()
            } else {
                vec![text.to_owned()]
            };
            return Some((label, values));
        }
    }
    None
}

/// The metrics of the example HTTP analysis the simulated Prometheus serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SimMetric {
    /// Errors over requests, a ratio.
    ErrorRatio,
    /// p99 latency, seconds.
    LatencyP99,
}

impl SimMetric {
    fn of_query(query: &str) -> SimMetric {
        if query.contains("histogram_quantile") {
            SimMetric::LatencyP99
        } else {
            SimMetric::ErrorRatio
        }
    }
}

/// The value series `key` (the label value a query selects) of a side has at unix second
/// `t`: what a query answers, and what the simulated controllers' checks measure.
pub fn value(side: &SideProfile, key: &str, t: i64, metric: SimMetric) -> f64 {
    let at = chrono::DateTime::from_timestamp(t, 0).unwrap_or_default();
    let pct = error_pct(side, at);
    match metric {
        SimMetric::LatencyP99 => (120.0 + pct * 40.0 + wobble(key, t, 1) * 30.0) / 1000.0,
        SimMetric::ErrorRatio => (pct + wobble(key, t, 2) * 0.2).max(0.0) / 100.0,
    }
}

/// The mean of [`value`] over the `secs` seconds up to `end`, one sample a second.
pub fn mean(side: &SideProfile, key: &str, end: Time, secs: i64, metric: SimMetric) -> f64 {
    let end = end.timestamp();
    let n = secs.max(1);
    (end - n + 1..=end)
        .map(|t| value(side, key, t, metric))
        .sum::<f64>()
        / n as f64
}

impl RangeSource for SimPrometheus {
    fn describe(&self) -> String {
        "the demo's simulated Prometheus".into()
    }

    fn range<'a>(
        &'a self,
        query: &'a str,
        start: Time,
        end: Time,
        step: Duration,
    ) -> BoxFuture<'a, Result<Vec<Series>, QueryError>> {
        Box::pin(async move {
            let Some((label, values)) = selected(query) else {
                return Err(QueryError::Rejected(
                    "the demo's Prometheus answers pod_template_hash and app selectors only".into(),
                ));
            };
            let metric = SimMetric::of_query(query);
            let step = step.as_secs().max(1) as i64;
            let (from, to) = (start.timestamp(), end.timestamp());
            if ((to - from) / step) as f64 > MAX_POINTS {
                return Err(QueryError::Rejected(
                    "too many points; raise the step".into(),
                ));
            }
            // One series per side asked for that has pods serving, labelled as a grouped
            // query keeps them.
            // Points only from when its pods became ready: no history before the side existed.
            let series = values
                .iter()
                .filter_map(|key| Some((key, self.side(key)?)))
                .filter_map(|(key, side)| {
                    let since = side.ready_since?.timestamp();
                    let points: Vec<(f64, f64)> = (0..)
                        .map(|i| from + i * step)
                        .take_while(|t| *t <= to)
                        .filter(|t| *t >= since)
                        .map(|t| (t as f64, value(&side.profile, key, t, metric)))
                        .collect();
                    Some((key, side, points)).filter(|(_, _, p)| !p.is_empty())
                })
                .map(|(key, side, points)| Series {
                    points,
                    labels: vec![
                        (label.to_owned(), key.clone()),
                        ("namespace".to_owned(), side.namespace.clone()),
                    ],
                })
                .collect();
            Ok(series)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_climbing_canary_rises_and_its_baseline_does_not() {
        let since = chrono::DateTime::from_timestamp(1_000, 0).unwrap();
        let errors = ErrorProfile::Climbing {
            base: 0.5,
            per_sec: 0.1,
            since,
        };
        let new = SideProfile {
            errors,
            new_side: true,
            share: Default::default(),
        };
        let old = SideProfile {
            errors,
            new_side: false,
            share: Default::default(),
        };
        let later = since + chrono::Duration::seconds(60);
        assert!((error_pct(&new, later) - 6.5).abs() < 1e-9);
        assert!((error_pct(&old, later) - 0.5).abs() < 1e-9);
        let one = |label: &'static str, v: &str| Some((label, vec![v.to_owned()]));
        assert_eq!(
            selected("x{a=\"b\", pod_template_hash=\"7d9f\"}"),
            one("pod_template_hash", "7d9f")
        );
        assert_eq!(
            selected("x{rollouts_pod_template_hash=\"7d9f\"}"),
            one("rollouts_pod_template_hash", "7d9f")
        );
        assert_eq!(
            selected("x{app=\"podinfo-primary\"}"),
            one("app", "podinfo-primary")
        );
        // A grouped query asks for every side at once, regex escapes and all.
        assert_eq!(
            selected("sum by (app) (x{app=~\"podinfo|web\\\\.v2\"})"),
            Some(("app", vec!["podinfo".to_owned(), "web.v2".to_owned()]))
        );
        assert_eq!(wobble("7d9f", 5, 1), wobble("7d9f", 5, 1));
        assert!((-0.5..0.5).contains(&wobble("7d9f", 5, 1)));
    }

    #[tokio::test]
    async fn a_side_has_series_only_from_when_its_pods_became_ready() {
        let at = |t| chrono::DateTime::from_timestamp(t, 0).unwrap();
        let prometheus = SimPrometheus::default();
        let side = |ready_since| SimSide {
            profile: SideProfile {
                errors: ErrorProfile::Steady(1.0),
                new_side: true,
                share: Default::default(),
            },
            namespace: "shop".into(),
            ready_since,
        };
        prometheus.sides.write().unwrap().extend([
            ("c4n4ry".to_owned(), side(Some(at(1_000)))),
            ("0ld".to_owned(), side(Some(at(500)))),
            ("n0tup".to_owned(), side(None)),
        ]);
        let query = |hash: &str| format!("x{{pod_template_hash=\"{hash}\"}}");
        let ask = |hash: &str| {
            let q = query(hash);
            let p = prometheus.clone();
            async move {
                p.range(&q, at(900), at(1_100), Duration::from_secs(10))
                    .await
                    .unwrap()
            }
        };
        let canary = ask("c4n4ry").await;
        let times: Vec<f64> = canary[0].points.iter().map(|p| p.0).collect();
        assert_eq!(times.first(), Some(&1_000.0));
        assert_eq!(times.len(), 11);
        assert_eq!(ask("0ld").await[0].points.len(), 21);
        assert!(ask("n0tup").await.is_empty());
        // A window wholly before the side's pods: no series at all.
        let before = prometheus
            .range(&query("c4n4ry"), at(600), at(900), Duration::from_secs(10))
            .await
            .unwrap();
        assert!(before.is_empty());
    }
}
