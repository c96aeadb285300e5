//! Operations on a release, and which kinds support them.

use super::release::Kind;
use serde::{Deserialize, Serialize};

/// A change to a release, the only kind of action that writes to a cluster.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Operation {
    Promote,
    PromoteFull,
    Pause,
    Resume,
    Abort,
    Retry,
    Rollback,
    Restart,
    /// Canary pair only: split replicas to the nearest achievable weight.
    SetWeight,
}

impl Operation {
    pub const ALL: [Operation; 9] = [
        Operation::Promote,
        Operation::PromoteFull,
        Operation::Pause,
        Operation::Resume,
        Operation::Abort,
        Operation::Retry,
        Operation::Rollback,
        Operation::Restart,
        Operation::SetWeight,
    ];

    pub fn is_dangerous(self) -> bool {
        matches!(
            self,
            Operation::PromoteFull | Operation::Abort | Operation::Rollback | Operation::Restart
        )
    }

    /// The verb as the CLI and the journal spell it.
    pub fn verb(self) -> &'static str {
        match self {
            Operation::Promote => "promote",
            Operation::PromoteFull => "promote-full",
            Operation::Pause => "pause",
            Operation::Resume => "resume",
            Operation::Abort => "abort",
            Operation::Retry => "retry",
            Operation::Rollback => "rollback",
            Operation::Restart => "restart",
            Operation::SetWeight => "set-weight",
        }
    }
}

/// Whether `kind` supports `op`; the error says why not, for a disabled key or the CLI.
pub fn supports(kind: Kind, op: Operation) -> Result<(), &'static str> {
    use Operation::*;
    let ok = match kind {
        Kind::Deployment => matches!(op, Pause | Resume | Rollback | Restart),
        Kind::CanaryPair => matches!(
            op,
            Promote | PromoteFull | Abort | Rollback | Restart | SetWeight
        ),
        Kind::ArgoRollout => op != SetWeight,
        Kind::FlaggerCanary => false,
    };
    if ok {
        Ok(())
    } else {
        Err(match (kind, op) {
            (Kind::FlaggerCanary, _) => "Flagger drives this canary; act on it through Flagger",
            (Kind::Deployment, Promote | PromoteFull | Abort | Retry) => {
                "a plain Deployment has no canary to promote, abort or retry"
            }
            (Kind::CanaryPair, Pause | Resume) => "a canary pair has no controller to pause",
            _ => "not supported for this kind",
        })
    }
}

/// One operation requested on one release, from a key or the command line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ActionRequest {
    pub key: super::ReleaseKey,
    pub op: Operation,
    pub to_revision: Option<i64>,
    /// For `SetWeight`: the canary's share of replicas, in percent.
    pub weight: Option<u8>,
    pub reason: Option<String>,
    /// Check and report, change nothing.
    pub dry_run: bool,
}

/// What an actuator did with a request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ActionOutcome {
    pub request: ActionRequest,
    pub result: Result<String, ActionFailure>,
    pub revision_before: Option<i64>,
    pub revision_after: Option<i64>,
}

/// Why an action failed; the kind decides the CLI's exit code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[serde(tag = "kind", content = "message", rename_all = "kebab-case")]
pub enum ActionFailure {
    #[error("permission denied: {0}")]
    Forbidden(String),
    #[error("cluster unreachable: {0}")]
    Unreachable(String),
    #[error("{0}")]
    Rejected(String),
}

/// Canary weights `promote` steps a canary pair through, when config.toml names none.
pub const DEFAULT_PAIR_STEPS: [u8; 4] = [10, 25, 50, 75];

/// The weight one `promote` moves a canary pair to: the first step above the canary's
/// share of `stable + canary` replicas that puts at least one more pod on the canary.
/// At the last step the answer says how to promote fully.
pub fn next_pair_step(steps: &[u8], stable: i32, canary: i32) -> Result<u8, String> {
    let total = stable.max(0) + canary.max(0);
    if canary <= 0 {
        return Err("the canary is scaled to 0: nothing to promote".into());
    }
    steps
        .iter()
        .copied()
        .find(|&w| split_replicas(total, w).1 > canary)
        .ok_or_else(|| {
            let share = (f64::from(canary) * 100.0 / f64::from(total.max(1))).round();
            let listed: Vec<String> = steps.iter().map(|w| format!("{w}%")).collect();
            format!(
                "the canary is at its last step ({share}% of {total} pods; steps {}): \
                 P or promote --full promotes it fully",
                listed.join(", ")
            )
        })
}

/// The weight a request carries: for `promote` on a canary pair, the next of the configured
/// `steps` from the pair's desired replicas; `None` for everything else.
pub fn promote_weight(
    kind: Kind,
    op: Operation,
    steps: &[u8],
    stable: i32,
    canary: i32,
) -> Result<Option<u8>, String> {
    match (kind, op) {
        (Kind::CanaryPair, Operation::Promote) => next_pair_step(steps, stable, canary).map(Some),
        _ => Ok(None),
    }
}

/// Where one `promote` of a canary pair goes, as (weight, stable, canary) replicas: to
/// `requested` when the caller resolved the configured steps, else to the next default
/// step. A requested weight that would not add a canary pod is refused.
pub fn pair_promote_target(
    requested: Option<u8>,
    stable: i32,
    canary: i32,
) -> Result<(u8, i32, i32), String> {
    if canary <= 0 {
        return Err("the canary is scaled to 0: nothing to promote".into());
    }
    let weight = match requested {
        Some(w) => w.min(100),
        None => next_pair_step(&DEFAULT_PAIR_STEPS, stable, canary)?,
    };
    let (s, c) = split_replicas(stable.max(0) + canary.max(0), weight);
    if c <= canary {
        return Err(format!(
            "the canary already has {canary} of {} pods, at or above the {weight}% step: \
             P or promote --full promotes it fully",
            s + c
        ));
    }
    Ok((weight, s, c))
}

/// Splits `total` replicas so the canary's share is as close to `weight`% as whole pods
/// allow; returns (stable, canary). Ties go to the stable side.
pub fn split_replicas(total: i32, weight: u8) -> (i32, i32) {
    let total = total.max(0);
    let canary = ((total as f64) * f64::from(weight.min(100)) / 100.0 - 0.5).ceil() as i32;
    let canary = canary.clamp(0, total);
    (total - canary, canary)
}

#[cfg(test)]
mod tests {
    use super::{next_pair_step, split_replicas, DEFAULT_PAIR_STEPS};

    #[test]
    fn split_rounds_to_the_nearest_pod_and_keeps_the_total() {
        assert_eq!(split_replicas(5, 20), (4, 1));
        assert_eq!(split_replicas(5, 30), (4, 1)); // 1.5 pods: the tie goes to stable
        assert_eq!(split_replicas(5, 31), (3, 2));
        assert_eq!(split_replicas(4, 100), (0, 4));
        assert_eq!(split_replicas(4, 0), (4, 0));
        assert_eq!(split_replicas(0, 50), (0, 0));
    }

    #[test]
    fn a_pair_step_is_the_first_that_moves_a_pod() {
        let steps = DEFAULT_PAIR_STEPS;
        // 1 of 10 is 10%: 25% puts 2 pods on the canary.
        assert_eq!(next_pair_step(&steps, 9, 1), Ok(25));
        // 1 of 5 is 20%: 25% would still be 1 pod, so 50% (2 pods) is next.
        assert_eq!(next_pair_step(&steps, 4, 1), Ok(50));
        assert_eq!(next_pair_step(&steps, 5, 5), Ok(75));
        let last = next_pair_step(&steps, 1, 3).unwrap_err();
        assert!(
            last.contains("last step") && last.contains("--full"),
            "{last}"
        );
        assert!(next_pair_step(&steps, 4, 0)
            .unwrap_err()
            .contains("scaled to 0"));
        assert_eq!(next_pair_step(&[30, 60], 10, 0).ok(), None);
        assert_eq!(next_pair_step(&[30, 60], 7, 3), Ok(60));
    }
}
