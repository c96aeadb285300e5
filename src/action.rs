//! What a key can ask for. Keymaps name these in `run = "..."` (snake_case).

use crate::model::ops::Operation;
use serde::{Deserialize, Serialize};

/// A user intent, produced by the keymap and consumed by `update`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    Quit,
    Help,
    /// The full list of configuration problems.
    Problems,
    Back,
    Up,
    Down,
    PageUp,
    PageDown,
    Top,
    Bottom,
    Open,
    Filter,
    NextContext,
    PrevContext,
    NextNamespace,
    PrevNamespace,
    AllNamespaces,
    NextSort,
    Promote,
    PromoteFull,
    Pause,
    Resume,
    Abort,
    Retry,
    Rollback,
    Restart,
    /// Demo only: stop or start the simulated clock.
    ToggleClock,
    /// Demo only: run the simulated clock faster or slower.
    SpeedUp,
    SlowDown,
    /// Detail view: the next (or previous) panel takes j/k and the arrows.
    NextPanel,
    PrevPanel,
    /// Unbinds a key when a user file lays it over the default.
    Noop,
}

impl Action {
    /// The cluster operation this action performs, if any.
    pub fn operation(self) -> Option<Operation> {
        Some(match self {
            Action::Promote => Operation::Promote,
            Action::PromoteFull => Operation::PromoteFull,
            Action::Pause => Operation::Pause,
            Action::Resume => Operation::Resume,
            Action::Abort => Operation::Abort,
            Action::Retry => Operation::Retry,
            Action::Rollback => Operation::Rollback,
            Action::Restart => Operation::Restart,
            _ => return None,
        })
    }

    /// Whether the action changes a cluster (and so vanishes in read-only mode).
    pub fn is_mutating(self) -> bool {
        self.operation().is_some()
    }

    /// Whether the action is dangerous: it needs confirmation and is marked in help.
    pub fn is_dangerous(self) -> bool {
        self.operation().is_some_and(Operation::is_dangerous)
    }
}
