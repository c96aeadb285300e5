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
    use super::split_replicas;

    #[test]
    fn split_rounds_to_the_nearest_pod_and_keeps_the_total() {
        assert_eq!(split_replicas(5, 20), (4, 1));
        assert_eq!(split_replicas(5, 30), (4, 1)); // 1.5 pods: the tie goes to stable
        assert_eq!(split_replicas(5, 31), (3, 2));
        assert_eq!(split_replicas(4, 100), (0, 4));
        assert_eq!(split_replicas(4, 0), (4, 0));
        assert_eq!(split_replicas(0, 50), (0, 0));
    }
}
