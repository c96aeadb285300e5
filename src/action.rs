//! What a key can ask for. Keymaps name these in `run = "..."` (snake_case).

use crate::model::ops::Operation;
use serde::{Deserialize, Serialize};

/// Declares `Action` from one list: each variant with the name keymaps use, in the order
/// help lists them. The enum, `Action::ALL`, `name` and `from_name` all come from it.
macro_rules! actions {
    ($( $(#[$doc:meta])* $variant:ident = $name:literal, )*) => {
        /// A user intent, produced by the keymap and consumed by `update`.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        pub enum Action {
            $( $(#[$doc])* #[serde(rename = $name)] $variant, )*
        }

        impl Action {
            /// Every action, in the order help lists them.
            pub const ALL: [Action; [$($name),*].len()] = [$(Action::$variant,)*];

            /// The name a keymap's `run` uses.
            pub fn name(self) -> &'static str {
                match self {
                    $(Action::$variant => $name,)*
                }
            }

            /// The action a `run` value names.
            pub fn from_name(name: &str) -> Option<Action> {
                match name {
                    $($name => Some(Action::$variant),)*
                    _ => None,
                }
            }
        }
    };
}

actions! {
    Quit = "quit",
    Help = "help",
    /// The full list of configuration problems.
    Problems = "problems",
    Back = "back",
    Up = "up",
    Down = "down",
    PageUp = "page_up",
    PageDown = "page_down",
    Top = "top",
    Bottom = "bottom",
    Open = "open",
    Filter = "filter",
    NextContext = "next_context",
    PrevContext = "prev_context",
    NextNamespace = "next_namespace",
    PrevNamespace = "prev_namespace",
    AllNamespaces = "all_namespaces",
    NextSort = "next_sort",
    /// The security view: every finding of the namespaces shown, by severity.
    Security = "security",
    Promote = "promote",
    PromoteFull = "promote_full",
    Pause = "pause",
    Resume = "resume",
    Abort = "abort",
    Retry = "retry",
    Rollback = "rollback",
    Restart = "restart",
    /// Asks for a canary weight, then sets it (canary pairs, Argo canaries with steps).
    SetWeight = "set_weight",
    /// Demo only: stop or start the simulated clock.
    ToggleClock = "toggle_clock",
    /// Demo only: run the simulated clock faster or slower.
    SpeedUp = "speed_up",
    SlowDown = "slow_down",
    /// Detail view: the next (or previous) tab.
    NextTab = "next_tab",
    PrevTab = "prev_tab",
    /// Detail view: one tab by name.
    TabOverview = "tab_overview",
    TabSteps = "tab_steps",
    TabAnalysis = "tab_analysis",
    TabFlags = "tab_flags",
    TabSecurity = "tab_security",
    TabEvents = "tab_events",
    /// Analysis tab: copy the shown metric's PromQL to the clipboard (OSC 52).
    CopyQuery = "copy_query",
    /// Flags tab: type an evaluation context and see what every flag gives for it.
    EvaluateFlags = "evaluate_flags",
    /// Flags tab: enable or disable the flag under the cursor.
    FlagToggle = "flag_toggle",
    /// Flags tab: choose another default variant for the flag under the cursor.
    FlagDefault = "flag_default",
    /// Flags tab: change the weights of the flag's fractional split.
    FlagWeights = "flag_weights",
    /// Confirmation dialog: run the action (never bound to Enter).
    Confirm = "confirm",
    /// Dialogs and text input: close without doing anything.
    Cancel = "cancel",
    /// Text input: accept what was typed.
    Submit = "submit",
    /// Text input with more than one field: move to the other one.
    NextField = "next_field",
    /// Unbinds a key when a user file lays it over the default.
    Noop = "noop",
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
            Action::SetWeight => Operation::SetWeight,
            _ => return None,
        })
    }

    /// Whether the action edits a feature flag.
    pub fn is_flag_edit(self) -> bool {
        matches!(
            self,
            Action::FlagToggle | Action::FlagDefault | Action::FlagWeights
        )
    }

    /// Whether the action changes a cluster (and so vanishes in read-only mode).
    pub fn is_mutating(self) -> bool {
        self.operation().is_some() || self.is_flag_edit()
    }

    /// Whether the action is dangerous: it needs confirmation and is marked in help.
    pub fn is_dangerous(self) -> bool {
        self.operation().is_some_and(Operation::is_dangerous) || self.is_flag_edit()
    }
}
