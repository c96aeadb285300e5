//! Reading keymap files: sections of `{ on, run, desc }` entries, each bad entry reported
//! at its file:line:col and skipped.

use std::ops::Range;

use crossterm::event::KeyCode;

use super::names::{action_by_name, action_name, default_desc, ACTIONS, KEYMAP_NAMES};
use super::{builtin_keymap_source, Binding, KeyChord, Section};
use crate::action::Action;
use crate::config::issues::{unknown, ConfigIssue};
use crate::config::toml_tree::{Entry, Source, TomlNode};

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

pub(super) struct ParsedBinding {
    pub section: Section,
    pub binding: Binding,
    pub span: Range<usize>,
}

const SECTION_NAMES: &str = "global, home, detail, demo, help, confirm or input";

pub(super) fn parse_entries(
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
                // Enter is what people press without reading: it never runs a dangerous action.
                if binding.action == Action::Confirm
                    && binding.keys.iter().any(|k| k.code() == KeyCode::Enter)
                {
                    issues.push(source.issue(
                        item.span(),
                        format!(
                            "`{}` cannot run `confirm`: Enter never confirms",
                            binding.keys_display()
                        ),
                        "a letter such as y",
                    ));
                    continue;
                }
                let duplicate = out
                    .iter()
                    .find(|p| p.section == section && p.binding.keys == binding.keys);
                if let Some(first) = duplicate {
                    let (line, _) = crate::config::issues::line_col(source.text, first.span.start);
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
