//! What one judgement of a release shows: each metric's two series as queried, the PromQL
//! that ran, the threshold, and the scored summary. Plain data, made by `metrics` and kept
//! in `State`.

use super::judge::{Direction, MetricRule};
use super::score::Summary;
use std::time::Duration;

/// One metric's panel: both sides plotted together.
#[derive(Debug, Clone, PartialEq)]
pub struct Panel {
    pub metric: String,
    pub canary_query: String,
    pub baseline_query: String,
    /// (unix seconds, value), oldest first; several series of a side (one per pod, say)
    /// are averaged per timestamp.
    pub canary: Vec<(f64, f64)>,
    pub baseline: Vec<(f64, f64)>,
    /// The value above (or below) which the canary counts as worse: the baseline's mean
    /// times the allowed ratio.
    pub threshold: Option<f64>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    pub summary: Summary,
    pub panels: Vec<Panel>,
    /// Where the data came from: a URL, a service, or the demo's simulated Prometheus.
    pub source: String,
}

/// Points on a chart: a braille chart draws two per cell across.
const POINTS_PER_CELL: u32 = 2;
/// Prometheus's own floor; finer is no more data.
const MIN_STEP: Duration = Duration::from_secs(1);

/// The range step that gives about one point per dot across a chart `width` cells wide.
pub fn fit_step(window: Duration, width: u16) -> Duration {
    let points = (u32::from(width) * POINTS_PER_CELL).max(1);
    (window / points).max(MIN_STEP)
}

/// Where the line between acceptable and worse lies for a metric, given the baseline's
/// mean: for a metric that must not rise, the allowed increase; must not fall, the allowed
/// decrease; either way, the rise.
pub fn threshold(rule: &MetricRule, baseline_mean: Option<f64>) -> Option<f64> {
    let mean = baseline_mean?;
    if !mean.is_finite() {
        return None;
    }
    Some(match rule.direction {
        Direction::Decrease => mean * rule.allowed_decrease,
        Direction::Increase | Direction::Either => mean * rule.allowed_increase,
    })
}

/// Series of one side averaged per timestamp, oldest first.
pub fn average(series: &[Vec<(f64, f64)>]) -> Vec<(f64, f64)> {
    let mut sums: std::collections::BTreeMap<i64, (f64, u32)> = Default::default();
    for s in series {
        for &(t, v) in s {
            if v.is_finite() {
                // Timestamps from one range query share a grid; millisecond keys merge them.
                let e = sums.entry((t * 1000.0).round() as i64).or_default();
                e.0 += v;
                e.1 += 1;
            }
        }
    }
    sums.into_iter()
        .map(|(t, (sum, n))| (t as f64 / 1000.0, sum / f64::from(n)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_step_fits_the_chart() {
        let ten_minutes = Duration::from_secs(600);
        assert_eq!(fit_step(ten_minutes, 60), Duration::from_secs(5));
        assert_eq!(fit_step(ten_minutes, 150), Duration::from_secs(2));
        // Never below Prometheus's second, never a division by zero.
        assert_eq!(
            fit_step(Duration::from_secs(30), 200),
            Duration::from_secs(1)
        );
        assert_eq!(fit_step(ten_minutes, 0), Duration::from_secs(600));
    }

    #[test]
    fn sides_average_per_timestamp_and_thresholds_follow_the_direction() {
        let avg = average(&[
            vec![(1.0, 2.0), (2.0, 4.0)],
            vec![(1.0, 4.0), (2.0, f64::NAN)],
        ]);
        assert_eq!(avg, vec![(1.0, 3.0), (2.0, 4.0)]);
        let mut rule = MetricRule {
            allowed_increase: 1.5,
            allowed_decrease: 0.5,
            ..MetricRule::default()
        };
        assert_eq!(threshold(&rule, Some(2.0)), Some(3.0));
        rule.direction = Direction::Decrease;
        assert_eq!(threshold(&rule, Some(2.0)), Some(1.0));
        assert_eq!(threshold(&rule, None), None);
    }
}
