//! One metric of a canary judged against its baseline, Kayenta-style: a Mann-Whitney test
//! says whether the two differ, the Hodges-Lehmann interval says in which direction, and
//! the mean ratio says whether the difference is large enough to matter.

use super::mann_whitney::{hodges_lehmann, mann_whitney_u, Shift};
use serde::{Deserialize, Serialize};

/// Which way a metric may not move.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// Only a rise is bad (errors, latency).
    #[default]
    Increase,
    /// Only a fall is bad (throughput, success ratio).
    Decrease,
    Either,
}

/// What to do with NaN samples (Prometheus returns them for 0/0 ratios).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum NanStrategy {
    #[default]
    Remove,
    /// Count them as zero, as for an error ratio with no requests.
    Replace,
}

/// How one metric is judged.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MetricRule {
    pub direction: Direction,
    /// A failure of this metric fails the whole analysis.
    pub critical: bool,
    /// No canary data is a failure, not "no data".
    pub must_have_data: bool,
    pub nan_strategy: NanStrategy,
    /// Mean ratio canary/baseline up to which a significant rise still passes.
    pub allowed_increase: f64,
    /// Mean ratio at or above which a rise of a critical metric fails everything.
    pub critical_increase: f64,
    /// Mean ratio down to which a significant fall still passes.
    pub allowed_decrease: f64,
    pub critical_decrease: f64,
}

impl Default for MetricRule {
    fn default() -> Self {
        MetricRule {
            direction: Direction::Increase,
            critical: false,
            must_have_data: false,
            nan_strategy: NanStrategy::Remove,
            allowed_increase: 1.0,
            critical_increase: 1.0,
            allowed_decrease: 1.0,
            critical_decrease: 1.0,
        }
    }
}

/// Kayenta's default confidence for the judge's interval.
pub const DEFAULT_CONFIDENCE: f64 = 0.98;
/// Fewer samples than this on a side and the metric is not judged: a handful of points
/// makes any difference look insignificant (a pass by default) or a small one look
/// significant.
pub const FEW_SAMPLES: usize = 10;

/// The per-metric answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Outcome {
    Pass,
    /// The canary is significantly and materially higher.
    High,
    Low,
    NoData,
    Error,
    /// Data on both sides, but too little on one to judge: neither a pass nor a failure.
    FewSamples,
}

impl Outcome {
    pub fn label(self) -> &'static str {
        match self {
            Outcome::Pass => "pass",
            Outcome::High => "high",
            Outcome::Low => "low",
            Outcome::NoData => "no data",
            Outcome::Error => "error",
            Outcome::FewSamples => "few samples",
        }
    }
}

/// One metric's judgement with its evidence.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MetricJudgement {
    pub outcome: Outcome,
    /// Failed and critical: the analysis fails whatever the other metrics say.
    pub critical_failure: bool,
    pub p_value: Option<f64>,
    pub shift: Option<Shift>,
    pub canary_mean: Option<f64>,
    pub baseline_mean: Option<f64>,
    /// canary mean / baseline mean.
    pub ratio: Option<f64>,
    /// Samples counted on each side (NaN and infinities dropped).
    pub canary_samples: usize,
    pub baseline_samples: usize,
    pub reason: String,
    pub warning: Option<String>,
}

impl MetricJudgement {
    pub fn failed(&self) -> bool {
        matches!(self.outcome, Outcome::High | Outcome::Low | Outcome::Error)
            || self.critical_failure
    }

    /// Neither side has a sample: nothing has been scraped yet.
    pub fn no_data_on_either_side(&self) -> bool {
        self.outcome == Outcome::NoData && self.canary_samples == 0 && self.baseline_samples == 0
    }

    fn without_test(
        outcome: Outcome,
        critical_failure: bool,
        samples: (usize, usize),
        reason: String,
    ) -> Self {
        MetricJudgement {
            outcome,
            critical_failure,
            p_value: None,
            shift: None,
            canary_mean: None,
            baseline_mean: None,
            ratio: None,
            canary_samples: samples.0,
            baseline_samples: samples.1,
            reason,
            warning: None,
        }
    }
}

/// The samples a judgement counts: infinities dropped, NaN dropped or made 0.
pub fn clean(samples: &[f64], strategy: NanStrategy) -> Vec<f64> {
    samples
        .iter()
        .filter(|v| !v.is_infinite())
        .filter_map(|&v| match (v.is_nan(), strategy) {
            (false, _) => Some(v),
            (true, NanStrategy::Remove) => None,
            (true, NanStrategy::Replace) => Some(0.0),
        })
        .collect()
}

fn mean(v: &[f64]) -> f64 {
    v.iter().sum::<f64>() / v.len() as f64
}

/// Judges `canary` against `baseline` for the metric called `name`.
pub fn judge_metric(
    name: &str,
    rule: &MetricRule,
    canary: &[f64],
    baseline: &[f64],
    confidence: f64,
) -> MetricJudgement {
    let canary = clean(canary, rule.nan_strategy);
    let baseline = clean(baseline, rule.nan_strategy);
    let samples = (canary.len(), baseline.len());
    if canary.is_empty() && baseline.is_empty() {
        // Nothing scraped on either side yet: no evidence against the canary, even for a
        // metric that must have data.
        return MetricJudgement::without_test(
            Outcome::NoData,
            false,
            samples,
            format!("{name}: no canary and baseline data yet"),
        );
    }
    if canary.is_empty() || baseline.is_empty() {
        let side = if canary.is_empty() {
            "canary"
        } else {
            "baseline"
        };
        // The baseline is measured and the canary is not: that is what must_have_data is for.
        let required = rule.must_have_data && canary.is_empty();
        let outcome = if required {
            Outcome::Error
        } else {
            Outcome::NoData
        };
        let reason = if required {
            format!("{name}: no {side} data, and this metric must have data")
        } else {
            format!("{name}: no {side} data")
        };
        return MetricJudgement::without_test(outcome, required && rule.critical, samples, reason);
    }
    let (Some(test), Some(shift)) = (
        mann_whitney_u(&canary, &baseline),
        hodges_lehmann(&baseline, &canary, confidence),
    ) else {
        return MetricJudgement::without_test(
            Outcome::Error,
            rule.critical,
            samples,
            format!("{name}: samples could not be compared"),
        );
    };
    let (canary_mean, baseline_mean) = (mean(&canary), mean(&baseline));
    let ratio = ratio_of(canary_mean, baseline_mean);
    if canary.len() < FEW_SAMPLES || baseline.len() < FEW_SAMPLES {
        // Not judged: the values are evidence to show, not a verdict.
        return MetricJudgement {
            outcome: Outcome::FewSamples,
            critical_failure: false,
            p_value: Some(test.p),
            shift: Some(shift),
            canary_mean: Some(canary_mean),
            baseline_mean: Some(baseline_mean),
            ratio: Some(ratio),
            canary_samples: samples.0,
            baseline_samples: samples.1,
            reason: format!(
                "{name}: {}; so far canary {} vs baseline {} (×{})",
                too_few(samples),
                num(canary_mean),
                num(baseline_mean),
                num(ratio)
            ),
            warning: None,
        };
    }
    let outcome = classify(rule, test.p, &shift, ratio, confidence);
    let critical_failure = rule.critical
        && match outcome {
            Outcome::High => ratio >= rule.critical_increase,
            Outcome::Low => ratio <= rule.critical_decrease,
            _ => false,
        };
    let reason = reason(
        name,
        rule,
        outcome,
        critical_failure,
        canary_mean,
        baseline_mean,
        ratio,
        test.p,
    );
    MetricJudgement {
        outcome,
        critical_failure,
        p_value: Some(test.p),
        shift: Some(shift),
        canary_mean: Some(canary_mean),
        baseline_mean: Some(baseline_mean),
        ratio: Some(ratio),
        canary_samples: samples.0,
        baseline_samples: samples.1,
        reason,
        warning: None,
    }
}

/// "too few samples to judge: canary 1, baseline 1".
pub fn too_few((canary, baseline): (usize, usize)) -> String {
    format!("too few samples to judge: canary {canary}, baseline {baseline}")
}

/// Pass, High or Low from the test, the interval and the ratio. The interval decides the
/// direction; the ratio decides whether it matters. The test must agree: the interval's
/// ends are order statistics and can sit off zero when the test finds no difference.
fn classify(rule: &MetricRule, p: f64, shift: &Shift, ratio: f64, confidence: f64) -> Outcome {
    let significant = p < 1.0 - confidence;
    let higher = significant && shift.lower > 0.0;
    let lower = significant && shift.upper < 0.0;
    if higher && ratio > rule.allowed_increase && rule.direction != Direction::Decrease {
        Outcome::High
    } else if lower && ratio < rule.allowed_decrease && rule.direction != Direction::Increase {
        Outcome::Low
    } else {
        Outcome::Pass
    }
}

/// canary/baseline, with a zero baseline giving 1 when both are zero and ∞ otherwise.
fn ratio_of(canary: f64, baseline: f64) -> f64 {
    if baseline == 0.0 {
        if canary == 0.0 {
            1.0
        } else {
            f64::INFINITY * canary.signum()
        }
    } else {
        canary / baseline
    }
}

/// A readable reason: "error ratio: canary 0.081 vs baseline 0.01 (×8.1 > critical ×1.5),
/// p < 1e-9".
#[allow(clippy::too_many_arguments)]
fn reason(
    name: &str,
    rule: &MetricRule,
    outcome: Outcome,
    critical: bool,
    canary: f64,
    baseline: f64,
    ratio: f64,
    p: f64,
) -> String {
    let bound = match (outcome, critical) {
        (Outcome::High, true) => format!(" ≥ critical ×{}", num(rule.critical_increase)),
        // A critical metric between its bounds fails itself but not the analysis (Kayenta
        // marks it critical only at or beyond the critical bound): say so.
        (Outcome::High, false) if rule.critical => format!(
            " > allowed ×{}, under critical ×{}",
            num(rule.allowed_increase),
            num(rule.critical_increase)
        ),
        (Outcome::High, false) => format!(" > allowed ×{}", num(rule.allowed_increase)),
        (Outcome::Low, true) => format!(" ≤ critical ×{}", num(rule.critical_decrease)),
        (Outcome::Low, false) if rule.critical => format!(
            " < allowed ×{}, above critical ×{}",
            num(rule.allowed_decrease),
            num(rule.critical_decrease)
        ),
        (Outcome::Low, false) => format!(" < allowed ×{}", num(rule.allowed_decrease)),
        _ => String::new(),
    };
    let p = p_text(p);
    format!(
        "{name}: canary {} vs baseline {} (×{}{bound}), {p}",
        num(canary),
        num(baseline),
        num(ratio)
    )
}

/// A p-value as the reasons give it, to three significant digits: "p < 1e-9",
/// "p = 3.13e-8", "p = 0.0183".
pub fn p_text(p: f64) -> String {
    if p < 1e-9 {
        "p < 1e-9".to_owned()
    } else if p < 1e-3 {
        format!("p = {p:.2e}")
    } else {
        format!("p = {}", num(p))
    }
}

/// Three significant digits, without trailing zeros.
pub fn num(v: f64) -> String {
    if !v.is_finite() {
        return if v.is_nan() {
            "NaN".into()
        } else {
            "∞".into()
        };
    }
    if v == 0.0 {
        return "0".into();
    }
    let digits = (2 - v.abs().log10().floor() as i32).clamp(0, 12) as usize;
    let text = format!("{v:.digits$}");
    if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.').to_owned()
    } else {
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_sample_a_side_is_not_judged_however_far_apart() {
        let rule = MetricRule {
            critical: true,
            must_have_data: true,
            critical_increase: 1.5,
            ..MetricRule::default()
        };
        let j = judge_metric(
            "error ratio",
            &rule,
            &[0.101],
            &[0.0088],
            DEFAULT_CONFIDENCE,
        );
        assert_eq!(j.outcome, Outcome::FewSamples, "{j:?}");
        assert!(!j.failed() && !j.critical_failure);
        assert_eq!((j.canary_samples, j.baseline_samples), (1, 1));
        assert_eq!(
            j.reason,
            "error ratio: too few samples to judge: canary 1, baseline 1; so far canary 0.101 \
             vs baseline 0.0088 (×11.5)"
        );
    }

    fn series(base: f64, step: f64, n: usize) -> Vec<f64> {
        (0..n).map(|i| base + step * (i % 7) as f64).collect()
    }

    #[test]
    fn p_values_read_well() {
        assert_eq!(p_text(1.8267179110955043e-4), "p = 1.83e-4");
        assert_eq!(p_text(3.13e-8), "p = 3.13e-8");
        assert_eq!(p_text(1e-12), "p < 1e-9");
        assert_eq!(p_text(1.0), "p = 1");
        assert_eq!(p_text(0.0183456), "p = 0.0183");
    }

    #[test]
    fn numbers_read_well() {
        assert_eq!(num(8.1), "8.1");
        assert_eq!(num(0.0812345), "0.0812");
        assert_eq!(num(1234.4), "1234");
        assert_eq!(num(1.5), "1.5");
        assert_eq!(num(2.0), "2");
        assert_eq!(num(f64::INFINITY), "∞");
    }

    #[test]
    fn a_clear_rise_is_high_and_says_why() {
        let rule = MetricRule {
            critical: true,
            critical_increase: 1.5,
            ..MetricRule::default()
        };
        let j = judge_metric(
            "error ratio",
            &rule,
            &series(0.08, 0.001, 30),
            &series(0.01, 0.001, 30),
            0.98,
        );
        assert_eq!(j.outcome, Outcome::High);
        assert!(j.critical_failure);
        assert!(j.failed());
        assert!(
            j.reason.starts_with(
                "error ratio: canary 0.0828 vs baseline 0.0128 (×6.45 ≥ critical ×1.5)"
            ),
            "{}",
            j.reason
        );
        assert!(
            j.reason.contains("≥ critical ×1.5") && j.reason.contains("p < 1e-9"),
            "{}",
            j.reason
        );
        assert!(j.warning.is_none());
    }

    #[test]
    fn a_rise_within_the_allowed_ratio_passes() {
        let rule = MetricRule {
            allowed_increase: 1.2,
            ..MetricRule::default()
        };
        let j = judge_metric(
            "latency",
            &rule,
            &series(110.0, 1.0, 40),
            &series(100.0, 1.0, 40),
            0.98,
        );
        assert_eq!(j.outcome, Outcome::Pass, "{}", j.reason);
        assert!(j.shift.is_some_and(|s| s.lower > 0.0));
    }

    #[test]
    fn direction_decides_which_change_is_bad() {
        let up = series(2.0, 0.01, 30);
        let down = series(1.0, 0.01, 30);
        let decrease = MetricRule {
            direction: Direction::Decrease,
            ..MetricRule::default()
        };
        assert_eq!(
            judge_metric("rps", &decrease, &up, &down, 0.98).outcome,
            Outcome::Pass
        );
        assert_eq!(
            judge_metric("rps", &decrease, &down, &up, 0.98).outcome,
            Outcome::Low
        );
        let either = MetricRule {
            direction: Direction::Either,
            ..MetricRule::default()
        };
        assert_eq!(
            judge_metric("x", &either, &up, &down, 0.98).outcome,
            Outcome::High
        );
        assert_eq!(
            judge_metric("x", &either, &down, &up, 0.98).outcome,
            Outcome::Low
        );
        assert_eq!(
            judge_metric("x", &MetricRule::default(), &down, &up, 0.98).outcome,
            Outcome::Pass
        );
    }

    #[test]
    fn missing_data_is_no_data_unless_required() {
        let j = judge_metric("errors", &MetricRule::default(), &[], &[1.0], 0.98);
        assert_eq!(j.outcome, Outcome::NoData);
        assert!(!j.failed());
        let required = MetricRule {
            must_have_data: true,
            critical: true,
            ..MetricRule::default()
        };
        let j = judge_metric("errors", &required, &[f64::NAN], &[1.0], 0.98);
        assert_eq!(j.outcome, Outcome::Error);
        assert!(j.critical_failure);
        assert!(j.reason.contains("must have data"));
    }

    #[test]
    fn nan_strategy_replace_counts_nan_as_zero() {
        let replace = MetricRule {
            nan_strategy: NanStrategy::Replace,
            direction: Direction::Either,
            ..MetricRule::default()
        };
        let canary = vec![f64::NAN; 20];
        let baseline = series(0.5, 0.1, 20);
        assert_eq!(
            judge_metric("x", &replace, &canary, &baseline, 0.98).outcome,
            Outcome::Low
        );
        assert_eq!(
            judge_metric("x", &MetricRule::default(), &canary, &baseline, 0.98).outcome,
            Outcome::NoData
        );
    }

    #[test]
    fn nothing_scraped_is_no_data_on_either_side_and_one_side_missing_is_not() {
        let rule = MetricRule::default();
        let j = |c: &[f64], b: &[f64]| judge_metric("errors", &rule, c, b, 0.98);
        assert!(j(&[], &[]).no_data_on_either_side());
        assert!(!j(&[], &[1.0]).no_data_on_either_side());
        assert!(!j(&[1.0], &[]).no_data_on_either_side());
        assert!(!j(&[1.0; 12], &[1.0; 12]).no_data_on_either_side());
    }

    #[test]
    fn no_data_says_which_side_is_missing() {
        let rule = MetricRule::default();
        let reason = |c: &[f64], b: &[f64]| judge_metric("errors", &rule, c, b, 0.98).reason;
        assert_eq!(reason(&[], &[]), "errors: no canary and baseline data yet");
        assert_eq!(reason(&[], &[1.0]), "errors: no canary data");
        assert_eq!(reason(&[1.0], &[]), "errors: no baseline data");
        // Required data missing fails the metric, and the analysis only when critical.
        let required = MetricRule {
            must_have_data: true,
            ..MetricRule::default()
        };
        let j = judge_metric("errors", &required, &[], &[1.0], 0.98);
        assert_eq!(j.outcome, Outcome::Error);
        assert!(!j.critical_failure);
        let critical = MetricRule {
            critical: true,
            ..MetricRule::default()
        };
        let j = judge_metric("errors", &critical, &[], &[1.0], 0.98);
        assert_eq!(j.outcome, Outcome::NoData);
        assert!(!j.critical_failure);
    }

    /// `scale` times each value of `v`: an exact mean ratio of `scale`.
    fn scaled(v: &[f64], scale: f64) -> Vec<f64> {
        v.iter().map(|x| x * scale).collect()
    }

    #[test]
    fn a_ratio_exactly_at_the_allowed_bound_passes() {
        let baseline = series(1.0, 0.125, 30);
        let up = MetricRule {
            allowed_increase: 2.0,
            ..MetricRule::default()
        };
        let j = judge_metric("x", &up, &scaled(&baseline, 2.0), &baseline, 0.98);
        assert_eq!(
            (j.ratio, j.outcome),
            (Some(2.0), Outcome::Pass),
            "{}",
            j.reason
        );
        let down = MetricRule {
            direction: Direction::Decrease,
            allowed_decrease: 0.5,
            ..MetricRule::default()
        };
        let j = judge_metric("x", &down, &scaled(&baseline, 0.5), &baseline, 0.98);
        assert_eq!(
            (j.ratio, j.outcome),
            (Some(0.5), Outcome::Pass),
            "{}",
            j.reason
        );
        // Just beyond the bound, the same shape fails.
        let j = judge_metric("x", &down, &scaled(&baseline, 0.25), &baseline, 0.98);
        assert_eq!(j.outcome, Outcome::Low, "{}", j.reason);
    }

    #[test]
    fn a_significant_fall_within_the_allowed_ratio_passes() {
        let down = MetricRule {
            direction: Direction::Decrease,
            allowed_decrease: 0.5,
            ..MetricRule::default()
        };
        let baseline = series(1.0, 0.01, 30);
        let j = judge_metric("rps", &down, &scaled(&baseline, 0.9), &baseline, 0.98);
        assert!(j.p_value.is_some_and(|p| p < 0.02), "{j:?}");
        assert_eq!(j.outcome, Outcome::Pass, "{}", j.reason);
    }

    #[test]
    fn a_fall_the_test_cannot_confirm_passes() {
        let down = MetricRule {
            direction: Direction::Decrease,
            ..MetricRule::default()
        };
        let shift = Shift {
            estimate: -0.5,
            lower: -0.5,
            upper: -0.5,
        };
        // One sample a side: p = 1, while the interval sits below zero.
        assert_eq!(
            classify(&down, 1.0, &shift, 0.5, DEFAULT_CONFIDENCE),
            Outcome::Pass
        );
    }

    #[test]
    fn an_interval_that_touches_zero_is_no_difference() {
        // A third of the canary equals the baseline: the interval's near end is exactly 0.
        let zeros = vec![0.0; 30];
        let mut canary = vec![0.0; 10];
        canary.extend([1.0; 20]);
        let either = MetricRule {
            direction: Direction::Either,
            ..MetricRule::default()
        };
        let j = judge_metric("x", &either, &canary, &zeros, 0.98);
        assert!(j.p_value.is_some_and(|p| p < 0.02), "{j:?}");
        assert_eq!(j.shift.map(|s| s.lower), Some(0.0), "{j:?}");
        assert_eq!(j.outcome, Outcome::Pass, "{}", j.reason);
        let j = judge_metric("x", &either, &zeros, &canary, 0.98);
        assert_eq!(j.shift.map(|s| s.upper), Some(0.0), "{j:?}");
        assert_eq!(j.outcome, Outcome::Pass, "{}", j.reason);
    }

    #[test]
    fn the_ratio_of_two_zero_means_is_one_and_of_a_zero_baseline_infinite() {
        let either = MetricRule {
            direction: Direction::Either,
            ..MetricRule::default()
        };
        let j = judge_metric("x", &either, &[0.0; 12], &[0.0; 12], 0.98);
        assert_eq!((j.ratio, j.outcome), (Some(1.0), Outcome::Pass));
        let j = judge_metric("x", &either, &[-1.0; 12], &[0.0; 12], 0.98);
        assert_eq!(j.ratio, Some(f64::NEG_INFINITY));
        let j = judge_metric("x", &either, &[1.0; 12], &[0.0; 12], 0.98);
        assert_eq!(j.ratio, Some(f64::INFINITY));
    }

    #[test]
    fn reasons_name_the_bound_that_was_crossed() {
        let high = series(2.0, 0.01, 30);
        let low = series(1.0, 0.01, 30);
        let rule = |direction, critical| MetricRule {
            direction,
            critical,
            allowed_increase: 1.2,
            critical_increase: 5.0,
            allowed_decrease: 0.8,
            critical_decrease: 0.1,
            ..MetricRule::default()
        };
        let bound = |r: &MetricRule, c: &[f64], b: &[f64]| {
            let j = judge_metric("x", r, c, b, 0.98);
            let start = j.reason.find(" (×").expect("a ratio");
            j.reason[start..]
                .split(')')
                .next()
                .unwrap_or_default()
                .to_owned()
        };
        let up = rule(Direction::Increase, false);
        assert_eq!(bound(&up, &high, &low), " (×1.97 > allowed ×1.2");
        let up = rule(Direction::Increase, true);
        assert_eq!(
            bound(&up, &high, &low),
            " (×1.97 > allowed ×1.2, under critical ×5"
        );
        let down = rule(Direction::Decrease, false);
        assert_eq!(bound(&down, &low, &high), " (×0.507 < allowed ×0.8");
        let down = rule(Direction::Decrease, true);
        assert_eq!(
            bound(&down, &low, &high),
            " (×0.507 < allowed ×0.8, above critical ×0.1"
        );
        let far = MetricRule {
            critical_decrease: 0.6,
            ..rule(Direction::Decrease, true)
        };
        assert_eq!(bound(&far, &low, &high), " (×0.507 ≤ critical ×0.6");
    }

    #[test]
    fn a_p_value_equal_to_one_minus_the_confidence_is_not_significant() {
        let rule = MetricRule {
            direction: Direction::Either,
            ..MetricRule::default()
        };
        let up = Shift {
            estimate: 1.0,
            lower: 0.5,
            upper: 1.5,
        };
        let down = Shift {
            estimate: -1.0,
            lower: -1.5,
            upper: -0.5,
        };
        assert_eq!(classify(&rule, 0.5, &up, 2.0, 0.5), Outcome::Pass);
        assert_eq!(classify(&rule, 0.5, &down, 0.5, 0.5), Outcome::Pass);
        assert_eq!(classify(&rule, 0.49, &up, 2.0, 0.5), Outcome::High);
        assert_eq!(classify(&rule, 0.49, &down, 0.5, 0.5), Outcome::Low);
    }

    #[test]
    fn a_p_value_at_a_boundary_reads_as_the_larger_form() {
        assert_eq!(p_text(1e-9), "p = 1.00e-9");
        assert_eq!(p_text(1e-3), "p = 0.001");
    }

    #[test]
    fn ten_samples_a_side_are_enough_and_fewer_on_either_side_are_not_judged() {
        let rule = MetricRule::default();
        let outcome = |c: usize, b: usize| {
            judge_metric("x", &rule, &series(1.0, 0.1, c), &series(1.0, 0.1, b), 0.98).outcome
        };
        assert_eq!(outcome(FEW_SAMPLES, FEW_SAMPLES), Outcome::Pass);
        assert_eq!(outcome(3, 30), Outcome::FewSamples);
        assert_eq!(outcome(30, 3), Outcome::FewSamples);
        assert_eq!(outcome(FEW_SAMPLES - 1, 30), Outcome::FewSamples);
        // A clear rise on few samples is not a failure either: it is not judged yet.
        let j = judge_metric(
            "x",
            &rule,
            &series(5.0, 0.1, 5),
            &series(1.0, 0.1, 30),
            0.98,
        );
        assert_eq!(j.outcome, Outcome::FewSamples);
        assert!(!j.failed());
    }

    #[test]
    fn nothing_on_either_side_is_no_data_even_when_required() {
        let required = MetricRule {
            must_have_data: true,
            critical: true,
            ..MetricRule::default()
        };
        let j = judge_metric("errors", &required, &[], &[f64::NAN], 0.98);
        assert_eq!(j.outcome, Outcome::NoData);
        assert!(j.no_data_on_either_side() && !j.failed() && !j.critical_failure);
        assert_eq!(j.reason, "errors: no canary and baseline data yet");
        // The baseline measured and the canary not: still an error.
        let j = judge_metric("errors", &required, &[], &[0.1], 0.98);
        assert_eq!(j.outcome, Outcome::Error);
        assert!(j.critical_failure && !j.no_data_on_either_side());
    }
}
