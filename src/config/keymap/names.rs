//! Names: of the built-in keymaps, of the actions a keymap runs, of its sections.

use std::fmt;

use crate::action::Action;

pub(super) const DEFAULT_KEYMAP: &str = include_str!("../../../keymaps/default.toml");
const K9S_KEYMAP: &str = include_str!("../../../keymaps/k9s.toml");

/// Keymaps that ship inside the binary, by the name `--keymap` accepts.
pub const KEYMAP_NAMES: [&str; 2] = ["default", "k9s"];

/// The text of a built-in keymap.
pub fn builtin_keymap_source(name: &str) -> Option<&'static str> {
    match name {
        "default" => Some(DEFAULT_KEYMAP),
        "k9s" => Some(K9S_KEYMAP),
        _ => None,
    }
}

/// Every action, in the order help lists them (declared once, in `crate::action`).
pub const ACTIONS: [Action; Action::ALL.len()] = Action::ALL;

/// The name a keymap's `run` uses.
pub fn action_name(action: Action) -> &'static str {
    action.name()
}

/// The action a `run` value names.
pub fn action_by_name(name: &str) -> Option<Action> {
    Action::from_name(name)
}

/// Where a binding applies. Screens look keys up in their own section first,
/// then in `Global`. `Help`, `Confirm` and `Input` are the overlays' and the
/// text fields' own: they never fall through to another section.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Section {
    Global,
    Home,
    Detail,
    /// The security view: every finding of the namespaces shown.
    Security,
    Demo,
    /// The help and problems overlays.
    Help,
    /// A confirmation answered with a key.
    Confirm,
    /// Typing: the filter, and the production guard's fields.
    Input,
}

impl Section {
    pub const COUNT: usize = 8;
    pub const ALL: [Section; Section::COUNT] = [
        Section::Global,
        Section::Home,
        Section::Detail,
        Section::Security,
        Section::Demo,
        Section::Help,
        Section::Confirm,
        Section::Input,
    ];

    /// The TOML table name.
    pub fn name(self) -> &'static str {
        match self {
            Section::Global => "global",
            Section::Home => "home",
            Section::Detail => "detail",
            Section::Security => "security",
            Section::Demo => "demo",
            Section::Help => "help",
            Section::Confirm => "confirm",
            Section::Input => "input",
        }
    }

    pub fn from_name(name: &str) -> Option<Section> {
        Section::ALL.into_iter().find(|s| s.name() == name)
    }

    pub(super) fn index(self) -> usize {
        self as usize
    }
}

impl fmt::Display for Section {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// "next_context" → "Next context", for entries without a `desc`.
pub(super) fn default_desc(action: Action) -> String {
    let words = action_name(action).replace('_', " ");
    let mut chars = words.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => words,
    }
}
