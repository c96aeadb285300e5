//! What needs a human first, and why: one rule for the console's queue and for `status`.

use super::{MetricSeries, Metrics, Phase, Release, Verdict};
use crate::analysis::judge::{judge_metric, MetricRule, Outcome, DEFAULT_CONFIDENCE};

/// How urgently a release needs a human, most urgent first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Rank {
    /// Degraded, aborted, a failing analysis, or a canary whose own metrics are bad.
    Failing,
    /// Waiting for someone to promote it.
    Waiting,
    Paused,
    Progressing,
    Unknown,
    Healthy,
}

/// Where a release ranks in the queue and the short reason the row shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attention {
    pub rank: Rank,
    pub production: bool,
    pub reason: String,
    /// The rank comes from the canary's own metrics, not from the controller.
    pub from_metrics: bool,
}

impl Attention {
    /// The sort key: rank first, production before the rest at the same rank.
    pub fn order(&self) -> (Rank, bool) {
        (self.rank, !self.production)
    }
}

/// The attention of one release, from what the cluster says and what its metrics show.
pub fn attention_of(r: &Release, metrics: &Metrics, production: bool) -> Attention {
    let mut from_metrics = false;
    let (rank, reason) = if r.verdict == Some(Verdict::Fail) {
        (Rank::Failing, "analysis failing".to_owned())
    } else if r.phase == Phase::Degraded {
        (Rank::Failing, "degraded".to_owned())
    } else if r.phase == Phase::Aborted {
        (Rank::Failing, "aborted".to_owned())
    } else if let Some(why) = bad_canary_metrics(r, metrics) {
        from_metrics = true;
        (Rank::Failing, why)
    } else {
        match r.phase {
            Phase::WaitingForPromotion => (Rank::Waiting, "awaiting promotion".to_owned()),
            Phase::Paused => (Rank::Paused, "paused".to_owned()),
            Phase::Progressing => (Rank::Progressing, "progressing".to_owned()),
            Phase::Healthy => (Rank::Healthy, "healthy".to_owned()),
            _ => (Rank::Unknown, "state unknown".to_owned()),
        }
    };
    Attention {
        rank,
        production,
        reason,
        from_metrics,
    }
}

/// The recent samples judged: the canary's latest behaviour, not its healthy start.
const RECENT: usize = 6;

/// How much worse than its baseline a canary's metric may get before it counts as failing
/// (a mean ratio): a rise must be statistically clear and at least this large.
const ALLOWED_RISE: f64 = 1.5;

/// A running canary whose recent metric the canary judge finds clearly and materially above
/// its baseline is failing, whatever its controller has decided so far.
fn bad_canary_metrics(r: &Release, metrics: &Metrics) -> Option<String> {
    let running = r.canary.desired > 0 || r.canary.ready > 0;
    if !running {
        return None;
    }
    let rule = MetricRule {
        allowed_increase: ALLOWED_RISE,
        ..MetricRule::default()
    };
    let recent = |v: &[f64]| v[v.len().saturating_sub(RECENT)..].to_vec();
    metrics.series.iter().find_map(|m: &MetricSeries| {
        let name = crate::model::text::inert(&m.name);
        let j = judge_metric(
            &name,
            &rule,
            &recent(&m.canary),
            &recent(&m.baseline),
            DEFAULT_CONFIDENCE,
        );
        (j.outcome == Outcome::High).then_some(j.reason)
    })
}
