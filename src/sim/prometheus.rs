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

/// Cheap to clone; the world keeps it up to date as templates come and go.
#[derive(Debug, Clone, Default)]
pub struct SimPrometheus {
    sides: Arc<RwLock<HashMap<String, SideProfile>>>,
}

/// More points than this in one answer is a mistake in the step.
const MAX_POINTS: f64 = 11_000.0;

impl SimPrometheus {
    pub fn update(&self, world: &World) {
        let sides = world.side_profiles();
        *self.sides.write().unwrap_or_else(|p| p.into_inner()) = sides;
    }

    fn side(&self, hash: &str) -> Option<SideProfile> {
        self.sides
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .get(hash)
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

/// The pod-template-hash a query selects.
fn selected_hash(query: &str) -> Option<&str> {
    let at = query.find("pod_template_hash=\"")? + "pod_template_hash=\"".len();
    let len = query[at..].find('"')?;
    Some(&query[at..at + len])
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
            let Some(hash) = selected_hash(query) else {
                return Err(QueryError::Rejected(
                    "the demo's Prometheus answers pod_template_hash selectors only".into(),
                ));
            };
            let Some(side) = self.side(hash) else {
                return Ok(Vec::new());
            };
            let latency = query.contains("histogram_quantile");
            let step = step.as_secs().max(1) as i64;
            let (from, to) = (start.timestamp(), end.timestamp());
            if ((to - from) / step) as f64 > MAX_POINTS {
                return Err(QueryError::Rejected(
                    "too many points; raise the step".into(),
                ));
            }
            let points = (0..)
                .map(|i| from + i * step)
                .take_while(|t| *t <= to)
                .map(|t| {
                    let at = chrono::DateTime::from_timestamp(t, 0).unwrap_or(start);
                    let pct = error_pct(&side, at);
                    let value = if latency {
                        (120.0 + pct * 40.0 + wobble(hash, t, 1) * 30.0) / 1000.0
                    } else {
                        (pct + wobble(hash, t, 2) * 0.2).max(0.0) / 100.0
                    };
                    (t as f64, value)
                })
                .collect();
            Ok(vec![Series { points }])
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
        assert_eq!(
            selected_hash("x{a=\"b\", pod_template_hash=\"7d9f\"}"),
            Some("7d9f")
        );
        assert_eq!(wobble("7d9f", 5, 1), wobble("7d9f", 5, 1));
        assert!((-0.5..0.5).contains(&wobble("7d9f", 5, 1)));
    }
}
