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
}

impl Operation {
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
        }
    }
}

/// Whether `kind` supports `op`; the error says why not, for a disabled key or the CLI.
pub fn supports(kind: Kind, op: Operation) -> Result<(), &'static str> {
    use Operation::*;
    let ok = match kind {
        Kind::Deployment => matches!(op, Pause | Resume | Rollback | Restart),
        Kind::CanaryPair => matches!(op, Promote | PromoteFull | Abort | Rollback | Restart),
        Kind::ArgoRollout => true,
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
    pub reason: Option<String>,
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
