//! What needs a human first, and why: one rule for the console's queue and for `status`.

use super::{Phase, Release, Verdict};
use crate::analysis::score::{Summary, Verdict as Judged};

/// How urgently a release needs a human, most urgent first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Rank {
    /// Degraded, aborted, or a failing analysis (ripcord's where it judges, else the
    /// controller's).
    Failing,
    /// ripcord's analysis scores the canary marginal: not failing, not good enough.
    Marginal,
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
    /// The rank comes from ripcord's own judgement of the canary, not from the controller.
    pub from_ripcord: bool,
}

impl Attention {
    /// The sort key: rank first, production before the rest at the same rank.
    pub fn order(&self) -> (Rank, bool) {
        (self.rank, !self.production)
    }
}

/// The attention of one release, from what the cluster says and, where ripcord judges the
/// release, its latest judgement (`judged`). ripcord's verdict replaces the controller's;
/// a degraded or aborted release ranks failing whatever either says, and says that first.
pub fn attention_of(r: &Release, judged: Option<&Summary>, production: bool) -> Attention {
    let first_reason = |s: &Summary, otherwise: &str| {
        s.reasons
            .first()
            .map(|why| crate::model::text::inert(why).into_owned())
            .unwrap_or_else(|| otherwise.to_owned())
    };
    let controller_fail = judged.is_none() && r.verdict == Some(Verdict::Fail);
    let mut from_ripcord = false;
    // A degraded or aborted release says so first: its canary's metrics follow from that.
    let (rank, reason) = match judged.map(|s| (s, s.verdict)) {
        _ if r.phase == Phase::Degraded => (Rank::Failing, "degraded".to_owned()),
        _ if r.phase == Phase::Aborted => (Rank::Failing, "aborted".to_owned()),
        Some((s, Judged::Fail)) => {
            from_ripcord = true;
            (Rank::Failing, first_reason(s, "ripcord's analysis failing"))
        }
        _ if controller_fail => (Rank::Failing, "analysis failing".to_owned()),
        Some((s, Judged::Marginal)) => {
            from_ripcord = true;
            let why = first_reason(s, "score below pass");
            (Rank::Marginal, format!("analysis marginal: {why}"))
        }
        _ => match r.phase {
            Phase::WaitingForPromotion => (Rank::Waiting, "awaiting promotion".to_owned()),
            Phase::Paused => (Rank::Paused, "paused".to_owned()),
            Phase::Progressing => (Rank::Progressing, "progressing".to_owned()),
            Phase::Healthy => (Rank::Healthy, "healthy".to_owned()),
            _ => (Rank::Unknown, "state unknown".to_owned()),
        },
    };
    Attention {
        rank,
        production,
        reason,
        from_ripcord,
    }
}
