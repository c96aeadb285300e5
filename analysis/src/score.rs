//! From metric judgements to one score and verdict, as Kayenta's canary judge scores: each
//! group scores the share of its metrics that passed, the groups are weighted, a failed
//! critical metric forces 0, and too many metrics without data fail the analysis.

use super::judge::{MetricJudgement, Outcome};
use serde::Serialize;

/// Score thresholds, out of 100.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Thresholds {
    pub pass: f64,
    pub marginal: f64,
}

impl Default for Thresholds {
    fn default() -> Self {
        Thresholds {
            pass: 95.0,
            marginal: 75.0,
        }
    }
}

/// At or above this share of metrics without data, the analysis fails.
pub const NO_DATA_FAIL_SHARE: f64 = 0.5;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Verdict {
    Pass,
    Marginal,
    Fail,
    /// Not judged yet: nothing scraped on either side of any metric.
    NoDataYet,
    /// Not judged yet: a metric has data, but too few samples on a side.
    FewSamples,
}

impl Verdict {
    pub fn label(self) -> &'static str {
        match self {
            Verdict::Pass => "pass",
            Verdict::Marginal => "marginal",
            Verdict::Fail => "FAIL",
            Verdict::NoDataYet => "judging… (no data yet)",
            Verdict::FewSamples => "judging… (few samples)",
        }
    }

    /// A verdict on the canary: pass, marginal or fail, not one still waiting for data.
    pub fn judged(self) -> bool {
        matches!(self, Verdict::Pass | Verdict::Marginal | Verdict::Fail)
    }
}

/// A judged metric and the group it counts in.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Judged {
    pub metric: String,
    pub group: String,
    /// The metric is critical in its config, whether or not it failed.
    pub critical: bool,
    pub judgement: MetricJudgement,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GroupScore {
    pub group: String,
    pub weight: f64,
    /// None when no metric of the group had data.
    pub score: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Summary {
    pub score: f64,
    pub verdict: Verdict,
    pub groups: Vec<GroupScore>,
    /// Each metric's judgement, in config order.
    pub metrics: Vec<Judged>,
    /// Why, worst first: failed metrics' reasons, then the rule that decided.
    pub reasons: Vec<String>,
    pub warnings: Vec<String>,
}

/// Scores `judged` with group `weights` (a group without a weight weighs 1).
pub fn score(judged: &[Judged], weights: &[(String, f64)], thresholds: Thresholds) -> Summary {
    let mut groups: Vec<GroupScore> = Vec::new();
    for j in judged {
        if !groups.iter().any(|g| g.group == j.group) {
            let weight = weights
                .iter()
                .find(|(g, _)| *g == j.group)
                .map_or(1.0, |(_, w)| *w);
            groups.push(GroupScore {
                group: j.group.clone(),
                weight,
                score: None,
            });
        }
    }
    for g in &mut groups {
        let members: Vec<&Judged> = judged
            .iter()
            .filter(|j| {
                j.group == g.group
                    && !matches!(j.judgement.outcome, Outcome::NoData | Outcome::FewSamples)
            })
            .collect();
        if !members.is_empty() {
            let passed = members.iter().filter(|j| !j.judgement.failed()).count();
            g.score = Some(100.0 * passed as f64 / members.len() as f64);
        }
    }
    let scored: Vec<&GroupScore> = groups.iter().filter(|g| g.score.is_some()).collect();
    let total_weight: f64 = scored.iter().map(|g| g.weight).sum();
    let mut score = if total_weight > 0.0 {
        scored
            .iter()
            .map(|g| g.weight * g.score.unwrap_or(0.0))
            .sum::<f64>()
            / total_weight
    } else {
        0.0
    };
    let mut reasons: Vec<String> = judged
        .iter()
        .filter(|j| j.judgement.failed())
        .map(|j| j.judgement.reason.clone())
        .collect();
    let warnings = judged
        .iter()
        .filter_map(|j| j.judgement.warning.clone())
        .collect();
    let no_data = judged
        .iter()
        .filter(|j| j.judgement.outcome == Outcome::NoData)
        .count();
    let critical = judged.iter().find(|j| j.judgement.critical_failure);
    // The metric with the fewest samples on a side, among those not judged for it.
    let fewest = judged
        .iter()
        .filter(|j| j.judgement.outcome == Outcome::FewSamples)
        .map(|j| (j.judgement.canary_samples, j.judgement.baseline_samples))
        .min_by_key(|&(c, b)| c.min(b));
    let verdict = if let Some(c) = critical {
        score = 0.0;
        reasons.push(format!(
            "critical metric {} failed: score forced to 0",
            c.metric
        ));
        Verdict::Fail
    } else if judged.is_empty() {
        reasons.push("no metrics to judge".into());
        Verdict::Fail
    } else if judged.iter().all(|j| j.judgement.no_data_on_either_side()) {
        // Nothing scraped yet, as right after a canary starts: nothing to judge, no score.
        score = 0.0;
        reasons.push("no canary and baseline data yet: nothing to judge".into());
        Verdict::NoDataYet
    } else if let Some(samples) = fewest {
        // Never a pass (nor a failure) on a handful of points: wait for more.
        score = 0.0;
        reasons.push(crate::judge::too_few(samples));
        Verdict::FewSamples
    } else if no_data as f64 >= NO_DATA_FAIL_SHARE * judged.len() as f64 {
        let names: Vec<&str> = judged
            .iter()
            .filter(|j| j.judgement.outcome == Outcome::NoData)
            .map(|j| j.metric.as_str())
            .collect();
        reasons.push(format!(
            "{no_data} of {} metrics have no data ({}): half or more without data fails, \
             whatever the score of the others",
            judged.len(),
            names.join(", ")
        ));
        Verdict::Fail
    } else if score >= thresholds.pass {
        Verdict::Pass
    } else if score >= thresholds.marginal {
        reasons.push(format!(
            "score {score:.0} is below pass {:.0}, at or above marginal {:.0}",
            thresholds.pass, thresholds.marginal
        ));
        Verdict::Marginal
    } else {
        reasons.push(format!(
            "score {score:.0} is below marginal {:.0}",
            thresholds.marginal
        ));
        Verdict::Fail
    };
    Summary {
        score,
        verdict,
        groups,
        metrics: judged.to_vec(),
        reasons,
        warnings,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::judge::MetricJudgement;

    fn judged(metric: &str, group: &str, outcome: Outcome, critical_failure: bool) -> Judged {
        Judged {
            metric: metric.into(),
            group: group.into(),
            critical: critical_failure,
            judgement: MetricJudgement {
                outcome,
                critical_failure,
                p_value: None,
                shift: None,
                canary_mean: None,
                baseline_mean: None,
                ratio: None,
                canary_samples: 0,
                baseline_samples: usize::from(outcome != Outcome::NoData),
                reason: format!("{metric} {}", outcome.label()),
                warning: None,
            },
        }
    }

    #[test]
    fn all_passing_passes_with_100() {
        let s = score(
            &[
                judged("a", "errors", Outcome::Pass, false),
                judged("b", "latency", Outcome::Pass, false),
            ],
            &[],
            Thresholds::default(),
        );
        assert_eq!((s.score, s.verdict), (100.0, Verdict::Pass));
        assert!(s.reasons.is_empty());
    }

    #[test]
    fn groups_are_weighted() {
        // errors 0/1 at weight 3, latency 2/2 at weight 1: (0·3 + 100·1) / 4 = 25.
        let s = score(
            &[
                judged("e", "errors", Outcome::High, false),
                judged("p50", "latency", Outcome::Pass, false),
                judged("p99", "latency", Outcome::Pass, false),
            ],
            &[("errors".into(), 3.0), ("latency".into(), 1.0)],
            Thresholds::default(),
        );
        assert_eq!(s.score, 25.0);
        assert_eq!(s.verdict, Verdict::Fail);
        assert_eq!(s.reasons[0], "e high");
        assert!(s.reasons[1].contains("below marginal 75"));
    }

    #[test]
    fn thresholds_split_pass_marginal_and_fail() {
        let four = |failing: usize| -> Vec<Judged> {
            (0..5)
                .map(|i| {
                    let outcome = if i < failing {
                        Outcome::High
                    } else {
                        Outcome::Pass
                    };
                    judged(&format!("m{i}"), "g", outcome, false)
                })
                .collect()
        };
        assert_eq!(
            score(&four(1), &[], Thresholds::default()).verdict,
            Verdict::Marginal
        ); // 80
        assert_eq!(
            score(&four(2), &[], Thresholds::default()).verdict,
            Verdict::Fail
        ); // 60
        let lenient = Thresholds {
            pass: 80.0,
            marginal: 50.0,
        };
        assert_eq!(score(&four(1), &[], lenient).verdict, Verdict::Pass);
        assert_eq!(score(&four(2), &[], lenient).verdict, Verdict::Marginal);
    }

    #[test]
    fn a_critical_failure_forces_zero() {
        let mut metrics: Vec<Judged> = (0..9)
            .map(|i| judged(&format!("m{i}"), "g", Outcome::Pass, false))
            .collect();
        metrics.push(judged("errors", "g", Outcome::High, true));
        let s = score(&metrics, &[], Thresholds::default());
        assert_eq!((s.score, s.verdict), (0.0, Verdict::Fail));
        assert!(s
            .reasons
            .iter()
            .any(|r| r.contains("critical metric errors failed")));
    }

    /// Kayenta's edges for a critical metric, through the judge: beyond its critical bound
    /// (High or Low) it forces 0; between its allowed and critical bounds it fails itself
    /// and its group, and the score decides, as for any metric.
    #[test]
    fn a_critical_metric_forces_zero_only_beyond_its_critical_bound() {
        use crate::judge::{judge_metric, Direction, MetricRule};
        let series =
            |base: f64, n: usize| -> Vec<f64> { (0..n).map(|i| base + i as f64 * 1e-4).collect() };
        let baseline = series(0.010, 40);
        let rule = |direction| MetricRule {
            direction,
            critical: true,
            allowed_increase: 1.2,
            critical_increase: 1.5,
            allowed_decrease: 0.8,
            critical_decrease: 0.5,
            ..MetricRule::default()
        };
        let run = |canary: &[f64], direction| {
            let j = judge_metric("errors", &rule(direction), canary, &baseline, 0.98);
            let mut metrics: Vec<Judged> = (0..3)
                .map(|i| judged(&format!("m{i}"), "other", Outcome::Pass, false))
                .collect();
            metrics.push(Judged {
                metric: "errors".into(),
                group: "errors".into(),
                critical: true,
                judgement: j,
            });
            score(&metrics, &[], Thresholds::default())
        };
        // ×2: beyond critical, High: 0.
        let s = run(&series(0.020, 40), Direction::Increase);
        assert_eq!(s.metrics[3].judgement.outcome, Outcome::High);
        assert!(s.metrics[3].judgement.critical_failure);
        assert_eq!((s.score, s.verdict), (0.0, Verdict::Fail));
        // ×0.3 with decrease bad: beyond critical, Low: 0.
        let s = run(&series(0.003, 40), Direction::Decrease);
        assert_eq!(s.metrics[3].judgement.outcome, Outcome::Low);
        assert_eq!((s.score, s.verdict), (0.0, Verdict::Fail));
        // ×1.3: High but under critical: its group scores 0, the other 100: 50, not forced.
        let s = run(&series(0.013, 40), Direction::Increase);
        let j = &s.metrics[3].judgement;
        assert_eq!(j.outcome, Outcome::High);
        assert!(!j.critical_failure && j.failed());
        assert!(
            j.reason.contains("> allowed ×1.2, under critical ×1.5"),
            "{}",
            j.reason
        );
        assert_eq!((s.score, s.verdict), (50.0, Verdict::Fail));
        assert!(
            !s.reasons.iter().any(|r| r.contains("forced to 0")),
            "{:?}",
            s.reasons
        );
    }

    #[test]
    fn half_without_data_fails_and_no_data_does_not_count_against_a_group() {
        let s = score(
            &[
                judged("a", "g", Outcome::Pass, false),
                judged("b", "g", Outcome::NoData, false),
            ],
            &[],
            Thresholds::default(),
        );
        assert_eq!(s.score, 100.0);
        assert_eq!(s.verdict, Verdict::Fail);
        assert!(s.reasons[0].contains("1 of 2 metrics have no data (b)"));
        assert!(s.reasons[0].contains("half or more without data fails"));
        let s = score(
            &[
                judged("a", "g", Outcome::Pass, false),
                judged("b", "g", Outcome::Pass, false),
                judged("c", "g", Outcome::NoData, false),
            ],
            &[],
            Thresholds::default(),
        );
        assert_eq!(s.verdict, Verdict::Pass);
    }

    #[test]
    fn nothing_to_judge_fails() {
        let s = score(&[], &[], Thresholds::default());
        assert_eq!((s.score, s.verdict), (0.0, Verdict::Fail));
    }

    #[test]
    fn only_pass_marginal_and_fail_are_verdicts_on_the_canary() {
        let judged = [
            Verdict::Pass,
            Verdict::Marginal,
            Verdict::Fail,
            Verdict::NoDataYet,
            Verdict::FewSamples,
        ]
        .map(Verdict::judged);
        assert_eq!(judged, [true, true, true, false, false]);
    }

    #[test]
    fn verdicts_read_as_the_queue_shows_them() {
        let labels = [Verdict::Pass, Verdict::Marginal, Verdict::Fail].map(Verdict::label);
        assert_eq!(labels, ["pass", "marginal", "FAIL"]);
    }

    #[test]
    fn too_few_samples_never_pass() {
        use crate::judge::{judge_metric, MetricRule, DEFAULT_CONFIDENCE};
        let rule = MetricRule {
            critical: true,
            must_have_data: true,
            allowed_increase: 1.2,
            critical_increase: 1.5,
            ..MetricRule::default()
        };
        let one = Judged {
            metric: "error ratio".into(),
            group: "errors".into(),
            critical: true,
            judgement: judge_metric(
                "error ratio",
                &rule,
                &[0.101],
                &[0.0088],
                DEFAULT_CONFIDENCE,
            ),
        };
        let s = score(
            &[one, judged("p99", "latency", Outcome::Pass, false)],
            &[],
            Thresholds::default(),
        );
        assert_eq!(s.verdict, Verdict::FewSamples);
        assert!(!s.verdict.judged());
        assert_eq!(s.score, 0.0);
        assert_eq!(
            s.reasons,
            ["too few samples to judge: canary 1, baseline 1"],
            "{s:?}"
        );
        // A critical failure on enough data still fails at once.
        let s = score(
            &[
                judged("e", "errors", Outcome::High, true),
                judged("x", "g", Outcome::FewSamples, false),
            ],
            &[],
            Thresholds::default(),
        );
        assert_eq!(s.verdict, Verdict::Fail);
    }

    #[test]
    fn nothing_scraped_on_either_side_is_not_judged_yet() {
        use crate::judge::{judge_metric, MetricRule, DEFAULT_CONFIDENCE};
        let rule = MetricRule {
            critical: true,
            must_have_data: true,
            ..MetricRule::default()
        };
        let empty = |name: &str, canary: &[f64], baseline: &[f64]| Judged {
            metric: name.into(),
            group: "g".into(),
            critical: true,
            judgement: judge_metric(name, &rule, canary, baseline, DEFAULT_CONFIDENCE),
        };
        let s = score(
            &[empty("errors", &[], &[]), empty("latency", &[], &[])],
            &[],
            Thresholds::default(),
        );
        assert_eq!((s.verdict, s.score), (Verdict::NoDataYet, 0.0));
        assert_eq!(s.verdict.label(), "judging… (no data yet)");
        // The canary missing beside a measured baseline is still a critical error.
        let s = score(
            &[empty("errors", &[], &[0.1; 20]), empty("latency", &[], &[])],
            &[],
            Thresholds::default(),
        );
        assert_eq!((s.verdict, s.score), (Verdict::Fail, 0.0));
    }
}
