//! Short, stable text for times, counts and kinds.

use crate::config::theme::Slot;
use crate::model::{Kind, Phase, Replicas, Rollout, Strategy, Verdict};
use chrono::{DateTime, Utc};

/// kubectl-style age: `45s`, `12m`, `3h`, `9d`.
pub fn age(since: DateTime<Utc>, now: DateTime<Utc>) -> String {
    let secs = (now - since).num_seconds().max(0);
    match secs {
        0..=119 => format!("{secs}s"),
        120..=7199 => format!("{}m", secs / 60),
        7200..=172_799 => format!("{}h", secs / 3600),
        _ => format!("{}d", secs / 86_400),
    }
}

pub fn age_opt(since: Option<DateTime<Utc>>, now: DateTime<Utc>) -> String {
    since.map(|s| age(s, now)).unwrap_or_else(|| "-".into())
}

/// Kind and strategy; `narrow` gives the 8-column form.
pub fn kind_label(r: &Rollout, narrow: bool) -> &'static str {
    if narrow {
        return match (r.key.kind, r.strategy) {
            (Kind::Deployment, _) => "deploy",
            (Kind::CanaryPair, _) => "pair",
            (Kind::ArgoRollout, Strategy::BlueGreen) => "argo-bg",
            (Kind::ArgoRollout, _) => "argo-can",
            (Kind::FlaggerCanary, _) => "flagger",
        };
    }
    match (r.key.kind, r.strategy) {
        (Kind::Deployment, Strategy::Recreate) => "deploy/recreate",
        (Kind::Deployment, _) => "deploy/rolling",
        (Kind::CanaryPair, _) => "pair/canary",
        (Kind::ArgoRollout, Strategy::BlueGreen) => "argo/bluegreen",
        (Kind::ArgoRollout, _) => "argo/canary",
        (Kind::FlaggerCanary, _) => "flagger/canary",
    }
}

pub fn replicas(r: Replicas) -> String {
    format!("{}/{}", r.ready, r.desired)
}

pub fn phase_slot(phase: Phase) -> Slot {
    match phase {
        Phase::WaitingForPromotion => Slot::Paused,
        Phase::Degraded => Slot::Degraded,
        Phase::Aborted => Slot::Aborted,
        Phase::Paused => Slot::Paused,
        Phase::Progressing => Slot::Progressing,
        Phase::Unknown => Slot::Muted,
        Phase::Healthy => Slot::Healthy,
    }
}

pub fn verdict_text(v: Option<Verdict>) -> String {
    match v {
        None => "-".into(),
        Some(v) => {
            let icon = match v {
                Verdict::Pass => "✔",
                Verdict::Running => "…",
                Verdict::Inconclusive => "?",
                Verdict::Fail => "✖",
            };
            format!("{icon} {}", v.label())
        }
    }
}

pub fn verdict_slot(v: Option<Verdict>) -> Slot {
    match v {
        Some(Verdict::Pass) => Slot::VerdictPass,
        Some(Verdict::Fail) => Slot::VerdictFail,
        Some(Verdict::Inconclusive) => Slot::VerdictInconclusive,
        Some(Verdict::Running) => Slot::Progressing,
        None => Slot::Muted,
    }
}

/// Eight-level bars for a small series, scaled to its own maximum.
pub fn sparkline(values: &[f64], max: f64) -> String {
    const BARS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
    values
        .iter()
        .map(|v| {
            let level = if max > 0.0 {
                (v / max * 7.0).round()
            } else {
                0.0
            };
            BARS[level.clamp(0.0, 7.0) as usize]
        })
        .collect()
}
