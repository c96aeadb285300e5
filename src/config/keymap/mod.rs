//! Key bindings: which key sequence runs which [`Action`] in which screen.
//!
//! Files use yazi's shape, one array of `{ on, run, desc }` per section:
//!
//! ```toml
//! [home]
//! keymap = [
//!   { on = "j", run = "down", desc = "Move down" },
//!   { on = ["g", "g"], run = "top", desc = "Go to top" },
//! ]
//! ```
//!
//! `names` holds the names (built-in keymaps, actions, sections), `chords` the key syntax,
//! `parse` the reading of files; this module lays files over each other and looks keys up.
//! Screens fall through to `[global]`; the overlays (`[help]`, `[confirm]`) and text fields
//! (`[input]`) use their own section alone.

mod chords;
mod names;
mod parse;

use std::collections::HashMap;
use std::ops::Range;

use crossterm::event::{KeyCode, KeyModifiers};

pub use chords::KeyChord;
use names::DEFAULT_KEYMAP;
pub use names::{
    action_by_name, action_name, builtin_keymap_source, Section, ACTIONS, KEYMAP_NAMES,
};
pub(crate) use parse::looks_like_path;
pub use parse::resolve_keymap;
use parse::{parse_entries, ParsedBinding};

use super::issues::ConfigIssue;
use super::toml_tree::Source;
use crate::action::Action;

/// One key sequence bound to an action.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Binding {
    pub keys: Vec<KeyChord>,
    pub action: Action,
    pub desc: String,
}

impl Binding {
    /// The sequence as help shows it, chords separated by spaces: `g g`.
    pub fn keys_display(&self) -> String {
        keys_display(&self.keys)
    }
}

fn keys_display(keys: &[KeyChord]) -> String {
    keys.iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(" ")
}

/// The answer to "what do the keys typed so far mean?".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lookup {
    /// Run this and clear the pending keys.
    Action(Action),
    /// The keys start a longer binding: keep them and wait for more.
    Prefix,
    /// Nothing: clear the pending keys.
    None,
}

/// All bindings, per section. A `noop` binding stays stored: it hides the
/// key from later sections in a lookup but never shows in help.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Keymap {
    sections: [Vec<Binding>; Section::COUNT],
}

impl Keymap {
    /// A keymap with no bindings at all.
    pub fn empty() -> Keymap {
        Keymap::default()
    }

    /// The built-in keymap (keymaps/default.toml). A test keeps it free of
    /// issues; should it ever have one, the valid entries still load.
    pub fn default_keymap() -> Keymap {
        let (mut keymap, _) = Keymap::parse("default", DEFAULT_KEYMAP);
        keymap.ensure_quit("default");
        keymap
    }

    /// The default keymap with an optional user file `(name, contents)`
    /// laid over it.
    pub fn load(user: Option<(&str, &str)>) -> (Keymap, Vec<ConfigIssue>) {
        let mut keymap = Keymap::default_keymap();
        let mut issues = Vec::new();
        if let Some((name, text)) = user {
            issues.extend(keymap.overlay(name, text));
            issues.extend(keymap.ensure_quit(name));
        }
        (keymap, issues)
    }

    /// `--keymap NAME|FILE` (a complete keymap; `None` is the default) with
    /// the user's keymap.toml laid over it. An unusable base falls back to
    /// the default keymap.
    pub fn load_named(
        base: Option<&str>,
        user: Option<(&str, &str)>,
    ) -> (Keymap, Vec<ConfigIssue>) {
        let mut issues = Vec::new();
        let mut keymap = match base.map(resolve_keymap) {
            None => Keymap::default_keymap(),
            Some(Err(issue)) => {
                issues.push(issue);
                Keymap::default_keymap()
            }
            Some(Ok((name, text))) => {
                let source = Source {
                    file: &name,
                    text: &text,
                };
                match source.parse() {
                    Err(issue) => {
                        issues.push(issue);
                        Keymap::default_keymap()
                    }
                    Ok(_) => {
                        let (mut keymap, found) = Keymap::parse(&name, &text);
                        issues.extend(found);
                        issues.extend(keymap.ensure_quit(&name));
                        keymap
                    }
                }
            }
        };
        if let Some((name, text)) = user {
            issues.extend(keymap.overlay(name, text));
            issues.extend(keymap.ensure_quit(name));
        }
        (keymap, issues)
    }

    /// A keymap made from one file alone, nothing laid under it.
    pub fn parse(name: &str, text: &str) -> (Keymap, Vec<ConfigIssue>) {
        let mut keymap = Keymap::empty();
        let issues = keymap.overlay(name, text);
        (keymap, issues)
    }

    /// Lays a file over this keymap: an entry whose `on` equals an existing
    /// one in the same section replaces it (`run = "noop"` unbinds it), other
    /// entries are added. Bad entries are reported and skipped; a file that
    /// is not valid TOML changes nothing.
    pub fn overlay(&mut self, name: &str, text: &str) -> Vec<ConfigIssue> {
        let source = Source { file: name, text };
        let mut issues = Vec::new();
        let entries = match source.parse() {
            Ok(entries) => entries,
            Err(issue) => return vec![issue],
        };
        let parsed = parse_entries(source, &entries, &mut issues);

        // Where each key sequence came from in this file, to place conflicts.
        let mut origin: HashMap<(Section, Vec<KeyChord>), Range<usize>> = HashMap::new();
        for ParsedBinding {
            section,
            binding,
            span,
        } in parsed
        {
            let list = &mut self.sections[section.index()];
            origin.insert((section, binding.keys.clone()), span);
            match list.iter_mut().find(|b| b.keys == binding.keys) {
                Some(existing) => *existing = binding,
                None => list.push(binding),
            }
        }
        issues.extend(self.prefix_conflicts(source, &origin));
        issues
    }

    /// A binding that is a strict prefix of another makes the longer one
    /// unreachable (there is no timeout). Reported once per pair, at the
    /// entry of this file involved in it.
    fn prefix_conflicts(
        &self,
        source: Source<'_>,
        origin: &HashMap<(Section, Vec<KeyChord>), Range<usize>>,
    ) -> Vec<ConfigIssue> {
        let mut issues = Vec::new();
        for section in Section::ALL {
            let list = &self.sections[section.index()];
            for short in list {
                for long in list.iter().filter(|b| b.action != Action::Noop) {
                    if long.keys.len() <= short.keys.len() || !long.keys.starts_with(&short.keys) {
                        continue;
                    }
                    let at = |b: &Binding| origin.get(&(section, b.keys.clone())).cloned();
                    let span = match (at(short), at(long)) {
                        // Both from this file: blame the later entry.
                        (Some(a), Some(b)) => {
                            if a.start >= b.start {
                                a
                            } else {
                                b
                            }
                        }
                        (a, b) => match a.or(b) {
                            Some(span) => span,
                            None => continue,
                        },
                    };
                    issues.push(source.issue(
                        span,
                        format!(
                            "`{}` ({}) hides `{}` ({}) in [{section}]",
                            short.keys_display(),
                            action_name(short.action),
                            long.keys_display(),
                            action_name(long.action),
                        ),
                        "no binding that starts with another binding's keys",
                    ));
                }
            }
        }
        issues
    }

    /// The keys no keymap may lose: a way out, and a way to confirm.
    fn ensure_quit(&mut self, name: &str) -> Vec<ConfigIssue> {
        let mut issues: Vec<ConfigIssue> = self.ensure_quit_only(name).into_iter().collect();
        issues.extend(self.ensure_confirm(name));
        issues
    }

    /// Without a `confirm` key no dangerous action could ever run: bind `y`.
    fn ensure_confirm(&mut self, name: &str) -> Option<ConfigIssue> {
        let list = &mut self.sections[Section::Confirm.index()];
        if list.iter().any(|b| b.action == Action::Confirm) {
            return None;
        }
        let keys = vec![KeyChord::new(KeyCode::Char('y'), KeyModifiers::NONE)];
        list.retain(|b| b.keys != keys);
        list.push(Binding {
            keys,
            action: Action::Confirm,
            desc: "Yes, do it".to_string(),
        });
        Some(ConfigIssue::new(
            name,
            "no key in [confirm] runs `confirm`; y now confirms",
            "a [confirm] binding with run = \"confirm\"",
        ))
    }

    /// Without a way out the user would be stuck in raw mode: bind `<C-c>`.
    fn ensure_quit_only(&mut self, name: &str) -> Option<ConfigIssue> {
        let global = &mut self.sections[Section::Global.index()];
        if global.iter().any(|b| b.action == Action::Quit) {
            return None;
        }
        let keys = vec![KeyChord::new(KeyCode::Char('c'), KeyModifiers::CONTROL)];
        global.retain(|b| b.keys != keys);
        global.push(Binding {
            keys,
            action: Action::Quit,
            desc: "Quit".to_string(),
        });
        Some(ConfigIssue::new(
            name,
            "no key in [global] runs `quit`; <C-c> now quits",
            "a [global] binding with run = \"quit\"",
        ))
    }

    /// What `pending` means, searching `sections` in order: the first
    /// section where it is a binding or the start of one decides.
    pub fn lookup(&self, sections: &[Section], pending: &[KeyChord]) -> Lookup {
        if pending.is_empty() {
            return Lookup::None;
        }
        for &section in sections {
            let list = &self.sections[section.index()];
            if let Some(binding) = list.iter().find(|b| b.keys == pending) {
                return match binding.action {
                    Action::Noop => Lookup::None,
                    action => Lookup::Action(action),
                };
            }
            let is_prefix = list.iter().any(|b| {
                b.action != Action::Noop
                    && b.keys.len() > pending.len()
                    && b.keys.starts_with(pending)
            });
            if is_prefix {
                return Lookup::Prefix;
            }
        }
        Lookup::None
    }

    /// The visible bindings of a section, in file order (for help).
    pub fn bindings(&self, section: Section) -> impl Iterator<Item = &Binding> {
        self.sections[section.index()]
            .iter()
            .filter(|b| b.action != Action::Noop)
    }

    /// The keymap for `--read-only`: every mutating binding is gone. Its keys
    /// become `noop`, so they do not fall through to another section.
    pub fn without_mutating(&self) -> Keymap {
        let mut keymap = self.clone();
        for list in &mut keymap.sections {
            for binding in list.iter_mut().filter(|b| b.action.is_mutating()) {
                binding.action = Action::Noop;
            }
        }
        keymap
    }

    /// The keys of the first binding for `action` in `section`, for hints.
    pub fn keys_for(&self, section: Section, action: Action) -> Option<String> {
        self.bindings(section)
            .find(|b| b.action == action)
            .map(Binding::keys_display)
    }

    /// Like [`Keymap::keys_for`], trying several sections in order.
    pub fn keys_for_any(&self, sections: &[Section], action: Action) -> Option<String> {
        sections.iter().find_map(|&s| self.keys_for(s, action))
    }
}

#[cfg(test)]
mod tests {
    use super::names::default_desc;
    use super::*;
    use crossterm::event::KeyEvent;

    fn chord(text: &str) -> KeyChord {
        KeyChord::parse(text).expect("valid key")
    }

    #[test]
    fn parses_and_displays_round_trip() {
        for text in [
            "j",
            "G",
            "?",
            "/",
            "<Enter>",
            "<C-r>",
            "<A-x>",
            "<BackTab>",
            "<F5>",
            "<Space>",
            "<C-->",
            "<C-Up>",
            "<S-Up>",
            "<C-A-Delete>",
        ] {
            assert_eq!(chord(text).to_string(), text);
        }
        assert_eq!(chord("<S-Tab>").to_string(), "<BackTab>");
        assert_eq!(chord("<S-g>").to_string(), "G");
        assert_eq!(chord("<c-R>").to_string(), "<C-R>");
        assert_eq!(chord("<esc>").to_string(), "<Esc>");
        assert_eq!(chord(" ").to_string(), "<Space>");
    }

    #[test]
    fn rejects_nonsense() {
        for text in [
            "", "gg", "<>", "<C-foo>", "<X-a>", "<S-1>", "<F13>", "<Enter", "Enter>",
        ] {
            assert!(KeyChord::parse(text).is_err(), "{text:?} should not parse");
        }
    }

    #[test]
    fn normalises_terminal_shift_variants() {
        let plain = KeyChord::from_event(&KeyEvent::new(KeyCode::Char('G'), KeyModifiers::NONE));
        let shifted = KeyChord::from_event(&KeyEvent::new(KeyCode::Char('G'), KeyModifiers::SHIFT));
        let lower_shifted =
            KeyChord::from_event(&KeyEvent::new(KeyCode::Char('g'), KeyModifiers::SHIFT));
        assert_eq!(plain, chord("G"));
        assert_eq!(shifted, chord("G"));
        assert_eq!(lower_shifted, chord("G"));
        let backtab = KeyChord::from_event(&KeyEvent::new(KeyCode::BackTab, KeyModifiers::SHIFT));
        assert_eq!(backtab, chord("<S-Tab>"));
        let question =
            KeyChord::from_event(&KeyEvent::new(KeyCode::Char('?'), KeyModifiers::SHIFT));
        assert_eq!(question, chord("?"));
    }

    #[test]
    fn action_names_agree_with_serde() {
        use serde::de::value::{Error, StrDeserializer};
        use serde::Deserialize;
        for action in ACTIONS {
            let name = action_name(action);
            let de = StrDeserializer::<Error>::new(name);
            assert_eq!(Action::deserialize(de).ok(), Some(action), "{name}");
        }
    }

    #[test]
    fn default_desc_is_readable() {
        assert_eq!(default_desc(Action::NextContext), "Next context");
    }
}
