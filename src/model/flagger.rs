//! A Flagger Canary's analysis settings, read with Flagger's own defaults.
//!
//! Pure. Flagger fills in what a Canary leaves out when it runs the analysis (threshold 1,
//! interval 60s, max weight 100); the console shows the values in force, not the gaps.

use super::objects::FlaggerCanaryRow;
use super::release::FlaggerDetail;

/// The total weight Flagger shifts to.
const TOTAL_WEIGHT: u8 = 100;

/// Failed checks before rollback: Flagger counts an unset or zero threshold as 1.
pub fn threshold(c: &FlaggerCanaryRow) -> i64 {
    if c.threshold > 0 {
        c.threshold
    } else {
        1
    }
}

/// The weight at which the canary is promoted: the last stepWeights entry, else
/// maxWeight, else everything.
pub fn max_weight(c: &FlaggerCanaryRow) -> u8 {
    match c.step_weights.last() {
        Some(last) => (*last).min(TOTAL_WEIGHT),
        None if c.max_weight > 0 => c.max_weight,
        None => TOTAL_WEIGHT,
    }
}

/// The canary weights Flagger goes through, in order; none for an analysis by iterations
/// (A/B testing, blue-green), which shifts no weight.
pub fn step_weights(c: &FlaggerCanaryRow) -> Vec<u8> {
    if c.step_weight > 0 {
        let max = max_weight(c);
        let mut out: Vec<u8> = (1..)
            .map(|k: u32| (k * u32::from(c.step_weight)).min(u32::from(max)) as u8)
            .take_while(|w| *w < max)
            .collect();
        out.push(max);
        return out;
    }
    c.step_weights
        .iter()
        .map(|w| (*w).min(TOTAL_WEIGHT))
        .collect()
}

/// The interval Flagger runs the analysis at: 60s when unset.
pub fn interval(c: &FlaggerCanaryRow) -> String {
    if c.interval.is_empty() {
        "60s".into()
    } else {
        c.interval.clone()
    }
}

/// Everything the detail view and `-o json` show about a Canary's analysis.
pub fn detail(c: &FlaggerCanaryRow) -> FlaggerDetail {
    let by_weight =
        c.analysis_iterations.is_none() || c.step_weight > 0 || !c.step_weights.is_empty();
    FlaggerDetail {
        phase: c.phase.clone(),
        canary_weight: c.weight,
        iterations: c.iterations,
        failed_checks: c.failed_checks,
        target: c.target.clone(),
        primary: format!("{}-primary", c.target),
        interval: interval(c),
        threshold: threshold(c),
        max_weight: by_weight.then(|| max_weight(c)),
        step_weight: (c.step_weight > 0).then_some(c.step_weight),
        step_weights: c.step_weights.clone(),
        analysis_iterations: c.analysis_iterations,
        skip_analysis: c.skip_analysis,
        suspended: c.suspended,
        metrics: c.metrics.clone(),
        webhooks: c.webhooks.clone(),
    }
}
