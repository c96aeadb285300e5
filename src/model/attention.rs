//! What needs a human first, and why: one rule for the console's queue and for `status`.

use super::{MetricSeries, Metrics, Phase, Release, Verdict};

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

/// Samples averaged when comparing canary and baseline, to ride out one noisy point.
const RECENT: usize = 3;

fn recent_mean(samples: &[f64]) -> Option<f64> {
    let recent = &samples[samples.len().saturating_sub(RECENT)..];
    (!recent.is_empty()).then(|| recent.iter().sum::<f64>() / recent.len() as f64)
}

/// A running canary whose recent metric is at least twice its baseline's, and more than one
/// unit above it, is failing whatever its controller has decided so far.
fn bad_canary_metrics(r: &Release, metrics: &Metrics) -> Option<String> {
    let running = r.canary.desired > 0 || r.canary.ready > 0;
    if !running {
        return None;
    }
    metrics.series.iter().find_map(|m: &MetricSeries| {
        let canary = recent_mean(&m.canary)?;
        let baseline = recent_mean(&m.baseline)?;
        (canary > 2.0 * baseline && canary - baseline > 1.0).then(|| {
            format!(
                "canary {} {} vs {}",
                crate::model::text::inert(&m.name),
                short(canary),
                short(baseline)
            )
        })
    })
}

fn short(x: f64) -> String {
    if x >= 100.0 {
        format!("{x:.0}")
    } else {
        format!("{x:.1}")
    }
}
