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

use std::collections::HashMap;
use std::fmt;
use std::ops::Range;
use std::str::FromStr;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::issues::{unknown, ConfigIssue};
use super::toml_tree::{Entry, Source, TomlNode};
use crate::action::Action;

const DEFAULT_KEYMAP: &str = include_str!("../../keymaps/default.toml");
const K9S_KEYMAP: &str = include_str!("../../keymaps/k9s.toml");

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

/// Every action, in the order help lists them.
pub const ACTIONS: [Action; 32] = [
    Action::Quit,
    Action::Help,
    Action::Problems,
    Action::Back,
    Action::Up,
    Action::Down,
    Action::PageUp,
    Action::PageDown,
    Action::Top,
    Action::Bottom,
    Action::Open,
    Action::Filter,
    Action::NextContext,
    Action::PrevContext,
    Action::NextNamespace,
    Action::PrevNamespace,
    Action::AllNamespaces,
    Action::NextSort,
    Action::Promote,
    Action::PromoteFull,
    Action::Pause,
    Action::Resume,
    Action::Abort,
    Action::Retry,
    Action::Rollback,
    Action::Restart,
    Action::ToggleClock,
    Action::SpeedUp,
    Action::SlowDown,
    Action::NextPanel,
    Action::PrevPanel,
    Action::Noop,
];

/// The name a keymap's `run` uses. The match is exhaustive on purpose: a new
/// action fails to compile here until it is named (and added to [`ACTIONS`]).
pub fn action_name(action: Action) -> &'static str {
    match action {
        Action::Quit => "quit",
        Action::Help => "help",
        Action::Problems => "problems",
        Action::Back => "back",
        Action::Up => "up",
        Action::Down => "down",
        Action::PageUp => "page_up",
        Action::PageDown => "page_down",
        Action::Top => "top",
        Action::Bottom => "bottom",
        Action::Open => "open",
        Action::Filter => "filter",
        Action::NextContext => "next_context",
        Action::PrevContext => "prev_context",
        Action::NextNamespace => "next_namespace",
        Action::PrevNamespace => "prev_namespace",
        Action::AllNamespaces => "all_namespaces",
        Action::NextSort => "next_sort",
        Action::Promote => "promote",
        Action::PromoteFull => "promote_full",
        Action::Pause => "pause",
        Action::Resume => "resume",
        Action::Abort => "abort",
        Action::Retry => "retry",
        Action::Rollback => "rollback",
        Action::Restart => "restart",
        Action::ToggleClock => "toggle_clock",
        Action::SpeedUp => "speed_up",
        Action::SlowDown => "slow_down",
        Action::NextPanel => "next_panel",
        Action::PrevPanel => "prev_panel",
        Action::Noop => "noop",
    }
}

/// The action a `run` value names.
pub fn action_by_name(name: &str) -> Option<Action> {
    ACTIONS.into_iter().find(|&a| action_name(a) == name)
}

/// Where a binding applies. Screens look keys up in their own section first,
/// then in `Global`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Section {
    Global,
    Home,
    Detail,
    Demo,
}

impl Section {
    pub const ALL: [Section; 4] = [
        Section::Global,
        Section::Home,
        Section::Detail,
        Section::Demo,
    ];

    /// The TOML table name.
    pub fn name(self) -> &'static str {
        match self {
            Section::Global => "global",
            Section::Home => "home",
            Section::Detail => "detail",
            Section::Demo => "demo",
        }
    }

    pub fn from_name(name: &str) -> Option<Section> {
        Section::ALL.into_iter().find(|s| s.name() == name)
    }

    fn index(self) -> usize {
        self as usize
    }
}

impl fmt::Display for Section {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One key press with its modifiers, normalised so that what a terminal
/// sends and what a keymap file says compare equal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct KeyChord {
    code: KeyCode,
    modifiers: KeyModifiers,
}

impl KeyChord {
    /// Builds a normalised chord:
    /// - Shift is dropped from characters (terminals disagree on sending it
    ///   with `G`), after upper-casing a shifted lower-case letter;
    /// - Shift+Tab becomes BackTab, which carries no Shift;
    /// - only Control, Alt, Shift and Super are kept.
    pub fn new(code: KeyCode, modifiers: KeyModifiers) -> KeyChord {
        let mut modifiers = modifiers
            & (KeyModifiers::CONTROL
                | KeyModifiers::ALT
                | KeyModifiers::SHIFT
                | KeyModifiers::SUPER);
        let shift = modifiers.contains(KeyModifiers::SHIFT);
        let code = match code {
            KeyCode::Char(c) => {
                modifiers.remove(KeyModifiers::SHIFT);
                KeyCode::Char(if shift { c.to_ascii_uppercase() } else { c })
            }
            KeyCode::Tab if shift => {
                modifiers.remove(KeyModifiers::SHIFT);
                KeyCode::BackTab
            }
            KeyCode::BackTab => {
                modifiers.remove(KeyModifiers::SHIFT);
                KeyCode::BackTab
            }
            other => other,
        };
        KeyChord { code, modifiers }
    }

    /// The chord of a terminal key event (its kind, press or release, is the
    /// caller's business).
    pub fn from_event(event: &KeyEvent) -> KeyChord {
        KeyChord::new(event.code, event.modifiers)
    }

    pub fn code(&self) -> KeyCode {
        self.code
    }

    pub fn modifiers(&self) -> KeyModifiers {
        self.modifiers
    }

    /// Parses the keymap syntax: `j`, `G`, `<Enter>`, `<C-r>`, `<A-x>`, `<S-Tab>`.
    pub fn parse(text: &str) -> Result<KeyChord, String> {
        let mut chars = text.chars();
        match (chars.next(), chars.next()) {
            (None, _) => return Err("empty key".to_string()),
            (Some(c), None) => return Ok(KeyChord::new(KeyCode::Char(c), KeyModifiers::NONE)),
            _ => {}
        }
        let Some(inner) = text
            .strip_prefix('<')
            .and_then(|rest| rest.strip_suffix('>'))
            .filter(|inner| !inner.is_empty())
        else {
            return Err("not a single key; a sequence is an array like [\"g\", \"g\"]".to_string());
        };

        let mut modifiers = KeyModifiers::NONE;
        let mut rest = inner;
        // Peel `X-` prefixes while something is left after them, so `<C-->` is Ctrl+minus.
        while let Some((m, after)) = split_modifier(rest) {
            let flag = match m.to_ascii_uppercase() {
                'C' => KeyModifiers::CONTROL,
                'A' | 'M' => KeyModifiers::ALT,
                'S' => KeyModifiers::SHIFT,
                'D' => KeyModifiers::SUPER,
                _ => return Err(format!("unknown modifier `{m}-`")),
            };
            modifiers |= flag;
            rest = after;
        }

        let mut chars = rest.chars();
        let code = match (chars.next(), chars.next()) {
            (Some(c), None) => {
                if modifiers.contains(KeyModifiers::SHIFT) && !c.is_ascii_alphabetic() {
                    return Err(
                        "Shift goes only with letters and named keys; write the shifted character itself"
                            .to_string(),
                    );
                }
                KeyCode::Char(c)
            }
            _ => named_key(rest).ok_or_else(|| format!("unknown key name `{rest}`"))?,
        };
        Ok(KeyChord::new(code, modifiers))
    }
}

/// `C-rest` → (`C`, `rest`) when `rest` is not empty.
fn split_modifier(text: &str) -> Option<(char, &str)> {
    let mut chars = text.chars();
    let m = chars.next()?;
    let after = chars.as_str().strip_prefix('-')?;
    (!after.is_empty()).then_some((m, after))
}

fn named_key(name: &str) -> Option<KeyCode> {
    let lower = name.to_ascii_lowercase();
    let code = match lower.as_str() {
        "enter" | "return" | "cr" => KeyCode::Enter,
        "esc" | "escape" => KeyCode::Esc,
        "tab" => KeyCode::Tab,
        "backtab" => KeyCode::BackTab,
        "up" => KeyCode::Up,
        "down" => KeyCode::Down,
        "left" => KeyCode::Left,
        "right" => KeyCode::Right,
        "pageup" | "pgup" => KeyCode::PageUp,
        "pagedown" | "pgdn" => KeyCode::PageDown,
        "home" => KeyCode::Home,
        "end" => KeyCode::End,
        "space" => KeyCode::Char(' '),
        "backspace" | "bs" => KeyCode::Backspace,
        "delete" | "del" => KeyCode::Delete,
        "insert" | "ins" => KeyCode::Insert,
        "lt" => KeyCode::Char('<'),
        "gt" => KeyCode::Char('>'),
        _ => {
            let n: u8 = lower.strip_prefix('f')?.parse().ok()?;
            if !(1..=12).contains(&n) {
                return None;
            }
            KeyCode::F(n)
        }
    };
    Some(code)
}

impl FromStr for KeyChord {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        KeyChord::parse(s)
    }
}

impl fmt::Display for KeyChord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = match self.code {
            KeyCode::Char(' ') => "Space".to_string(),
            KeyCode::Char(c) if self.modifiers.is_empty() => return write!(f, "{c}"),
            KeyCode::Char(c) => c.to_string(),
            KeyCode::Enter => "Enter".to_string(),
            KeyCode::Esc => "Esc".to_string(),
            KeyCode::Tab => "Tab".to_string(),
            KeyCode::BackTab => "BackTab".to_string(),
            KeyCode::Up => "Up".to_string(),
            KeyCode::Down => "Down".to_string(),
            KeyCode::Left => "Left".to_string(),
            KeyCode::Right => "Right".to_string(),
            KeyCode::PageUp => "PageUp".to_string(),
            KeyCode::PageDown => "PageDown".to_string(),
            KeyCode::Home => "Home".to_string(),
            KeyCode::End => "End".to_string(),
            KeyCode::Backspace => "Backspace".to_string(),
            KeyCode::Delete => "Delete".to_string(),
            KeyCode::Insert => "Insert".to_string(),
            KeyCode::F(n) => format!("F{n}"),
            other => format!("{other:?}"),
        };
        f.write_str("<")?;
        for (flag, prefix) in [
            (KeyModifiers::CONTROL, "C-"),
            (KeyModifiers::ALT, "A-"),
            (KeyModifiers::SHIFT, "S-"),
            (KeyModifiers::SUPER, "D-"),
        ] {
            if self.modifiers.contains(flag) {
                f.write_str(prefix)?;
            }
        }
        write!(f, "{name}>")
    }
}

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
    sections: [Vec<Binding>; 4],
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

    /// Without a way out the user would be stuck in raw mode: bind `<C-c>`.
    fn ensure_quit(&mut self, name: &str) -> Option<ConfigIssue> {
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

/// A keymap by built-in name, or else read as a file path. Returns the name
/// to show in messages and the contents.
pub fn resolve_keymap(arg: &str) -> Result<(String, String), ConfigIssue> {
    if let Some(text) = builtin_keymap_source(arg) {
        return Ok((arg.to_string(), text.to_string()));
    }
    std::fs::read_to_string(arg)
        .map(|text| (arg.to_string(), text))
        .map_err(|e| {
            let problem = if e.kind() == std::io::ErrorKind::NotFound && !looks_like_path(arg) {
                unknown("keymap", arg, &KEYMAP_NAMES)
            } else {
                format!("cannot read keymap file: {e}")
            };
            ConfigIssue::new(
                arg,
                problem,
                format!(
                    "a keymap name ({}) or a readable file",
                    KEYMAP_NAMES.join(", ")
                ),
            )
        })
}

/// A bare word is meant as a name, not a file in the current directory.
pub(crate) fn looks_like_path(arg: &str) -> bool {
    arg.contains(std::path::MAIN_SEPARATOR) || arg.contains('/') || arg.ends_with(".toml")
}

struct ParsedBinding {
    section: Section,
    binding: Binding,
    span: Range<usize>,
}

const SECTION_NAMES: &str = "global, home, detail or demo";

fn parse_entries(
    source: Source<'_>,
    entries: &[Entry],
    issues: &mut Vec<ConfigIssue>,
) -> Vec<ParsedBinding> {
    let mut out: Vec<ParsedBinding> = Vec::new();
    for entry in entries {
        let Some(section) = Section::from_name(&entry.key) else {
            let names: Vec<&str> = Section::ALL.iter().map(|s| s.name()).collect();
            issues.push(source.issue(
                entry.span.clone(),
                unknown("section", &entry.key, &names),
                SECTION_NAMES,
            ));
            continue;
        };
        let TomlNode::Table(fields) = &entry.value else {
            issues.push(source.wrong_type(entry, "a table", "[section] with keymap = [...]"));
            continue;
        };
        for field in fields {
            if field.key != "keymap" {
                issues.push(source.issue(
                    field.span.clone(),
                    unknown(&format!("key in [{section}]"), &field.key, &["keymap"]),
                    "keymap = [ { on = ..., run = ..., desc = ... } ]",
                ));
                continue;
            }
            let TomlNode::Array(items) = &field.value else {
                issues.push(source.wrong_type(field, "an array", "keymap = [ { on, run, desc } ]"));
                continue;
            };
            for item in items {
                let Some(binding) =
                    parse_binding(source, section, item.get_ref(), item.span(), issues)
                else {
                    continue;
                };
                let duplicate = out
                    .iter()
                    .find(|p| p.section == section && p.binding.keys == binding.keys);
                if let Some(first) = duplicate {
                    let (line, _) = super::issues::line_col(source.text, first.span.start);
                    issues.push(source.issue(
                        item.span(),
                        format!(
                            "`{}` is bound twice in [{section}] (first on line {line}); this one is ignored",
                            binding.keys_display()
                        ),
                        "each key sequence once per section",
                    ));
                    continue;
                }
                out.push(ParsedBinding {
                    section,
                    binding,
                    span: item.span(),
                });
            }
        }
    }
    out
}

fn parse_binding(
    source: Source<'_>,
    section: Section,
    node: &TomlNode,
    span: Range<usize>,
    issues: &mut Vec<ConfigIssue>,
) -> Option<Binding> {
    const SHAPE: &str = "{ on = \"j\", run = \"down\", desc = \"Move down\" }";
    let TomlNode::Table(fields) = node else {
        issues.push(source.issue(
            span,
            format!("a keymap entry must be a table, found {}", node.kind()),
            SHAPE,
        ));
        return None;
    };
    let mut keys = None;
    let mut action = None;
    let mut desc = None;
    let mut ok = true;
    for field in fields {
        match field.key.as_str() {
            "on" => match parse_on(source, field) {
                Ok(k) => keys = Some(k),
                Err(issue) => {
                    issues.push(issue);
                    ok = false;
                }
            },
            "run" => match &field.value {
                TomlNode::Str(name) => match action_by_name(name) {
                    Some(a) => action = Some(a),
                    None => {
                        let names: Vec<&str> = ACTIONS.iter().map(|&a| action_name(a)).collect();
                        issues.push(source.issue(
                            field.span.clone(),
                            unknown("action", name, &names),
                            "an action such as quit, down, open, promote, restart or noop",
                        ));
                        ok = false;
                    }
                },
                _ => {
                    issues.push(source.wrong_type(field, "a string", "run = \"down\""));
                    ok = false;
                }
            },
            "desc" => match &field.value {
                TomlNode::Str(text) => desc = Some(text.clone()),
                _ => {
                    issues.push(source.wrong_type(field, "a string", "desc = \"Move down\""));
                    ok = false;
                }
            },
            other => {
                issues.push(source.issue(
                    field.span.clone(),
                    unknown("field", other, &["on", "run", "desc"]),
                    "only on, run and desc",
                ));
                ok = false;
            }
        }
    }
    for (missing, what) in [(keys.is_none(), "on"), (action.is_none(), "run")] {
        // A field that was present but bad has been reported already.
        if missing && !fields.iter().any(|f| f.key == what) {
            issues.push(source.issue(
                span.clone(),
                format!("keymap entry in [{section}] has no `{what}`"),
                SHAPE,
            ));
        }
    }
    let (keys, action) = (keys?, action?);
    if !ok {
        return None;
    }
    let desc = desc.unwrap_or_else(|| default_desc(action));
    Some(Binding { keys, action, desc })
}

fn parse_on(source: Source<'_>, field: &Entry) -> Result<Vec<KeyChord>, ConfigIssue> {
    const EXPECTED: &str =
        "a key like \"j\", \"<C-r>\", \"<Enter>\", or an array like [\"g\", \"g\"]";
    let bad_key = |span: Range<usize>, text: &str, why: String| {
        source.issue(span, format!("bad key `{text}`: {why}"), EXPECTED)
    };
    match &field.value {
        TomlNode::Str(text) => KeyChord::parse(text)
            .map(|k| vec![k])
            .map_err(|why| bad_key(field.span.clone(), text, why)),
        TomlNode::Array(items) if items.is_empty() => {
            Err(source.issue(field.span.clone(), "`on` is an empty array", EXPECTED))
        }
        TomlNode::Array(items) => items
            .iter()
            .map(|item| match item.get_ref() {
                TomlNode::Str(text) => {
                    KeyChord::parse(text).map_err(|why| bad_key(item.span(), text, why))
                }
                other => Err(source.issue(
                    item.span(),
                    format!("a key must be a string, found {}", other.kind()),
                    EXPECTED,
                )),
            })
            .collect(),
        _ => Err(source.wrong_type(field, "a string or an array of strings", EXPECTED)),
    }
}

/// "next_context" → "Next context", for entries without a `desc`.
fn default_desc(action: Action) -> String {
    let words = action_name(action).replace('_', " ");
    let mut chars = words.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => words,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
