//! Edits to a flag definition as stored (a flagd document, or a `FeatureFlag`'s
//! `spec.flagSpec`): enable or disable, change the default variant, change the weights of
//! its `fractional` split. Each edit is checked by loading the result again, and shown as a
//! line diff of the flag before and after.

use super::{FlagSet, State};
use serde_json::Value;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Edit {
    State(State),
    DefaultVariant(String),
    /// New weights for the split, by variant; every variant of the split, no other.
    Weights(Vec<(String, i64)>),
}

/// Why an edit was refused; nothing is changed then.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EditError(pub String);

impl std::fmt::Display for EditError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for EditError {}

fn refuse<T>(message: impl Into<String>) -> Result<T, EditError> {
    Err(EditError(message.into()))
}

fn flag_mut<'a>(root: &'a mut Value, key: &str) -> Result<&'a mut Value, EditError> {
    let flags = match root.get_mut("flags") {
        Some(f) => f,
        None => return refuse("the definition has no \"flags\""),
    };
    let found = match flags {
        Value::Object(map) => map.get_mut(key),
        Value::Array(list) => list
            .iter_mut()
            .find(|f| f.get("key").and_then(Value::as_str) == Some(key)),
        _ => None,
    };
    found.ok_or_else(|| EditError(format!("no flag {key:?}")))
}

/// The first `fractional` of a rule, where its buckets can be edited in place (not inside a
/// shared `$ref`, which other flags may use).
fn fractional_mut(rule: &mut Value) -> Option<&mut Vec<Value>> {
    match rule {
        Value::Object(map) if map.len() == 1 => {
            let is_fractional = map.contains_key("fractional");
            let (_, args) = map.iter_mut().next()?;
            if is_fractional {
                return args.as_array_mut();
            }
            match args {
                Value::Array(items) => items.iter_mut().find_map(fractional_mut),
                other => fractional_mut(other),
            }
        }
        Value::Array(items) => items.iter_mut().find_map(fractional_mut),
        _ => None,
    }
}

/// Applies `edit` to flag `key` of the document `root`, returning the new document. The
/// result must load as a flag definition, or the edit is refused.
pub fn apply(root: &Value, key: &str, edit: &Edit) -> Result<Value, EditError> {
    let mut out = root.clone();
    let flag = flag_mut(&mut out, key)?;
    match edit {
        Edit::State(state) => {
            flag["state"] = Value::String(state.as_str().to_string());
        }
        Edit::DefaultVariant(variant) => {
            let known = flag
                .get("variants")
                .and_then(Value::as_object)
                .is_some_and(|v| v.contains_key(variant));
            if !known {
                return refuse(format!("{key:?} has no variant {variant:?}"));
            }
            flag["defaultVariant"] = Value::String(variant.clone());
        }
        Edit::Weights(weights) => {
            let names = variant_names(
                flag.get("variants")
                    .and_then(Value::as_object)
                    .into_iter()
                    .flat_map(|v| v.keys()),
                flag.get("targeting"),
            );
            check_weights(key, &names, weights)?;
            let Some(targeting) = flag.get_mut("targeting") else {
                return refuse(format!("{key:?} has no targeting, so no split to change"));
            };
            let Some(args) = fractional_mut(targeting) else {
                return refuse(format!(
                    "{key:?} has no fractional split of its own (one in a shared $ref is \
                     edited there)"
                ));
            };
            set_weights(args, weights, key)?;
        }
    }
    let problems = super::schema::problems(&out);
    if !problems.is_empty() {
        return refuse(format!(
            "the result would not conform to flagd's schema: {}",
            problems.join("; ")
        ));
    }
    let set = FlagSet::from_value("edit", out.clone(), None)
        .map_err(|e| EditError(format!("the result would not load: {}", e.message)))?;
    if let Some(e) = set.invalid.values().next() {
        return refuse(format!("the result would not load: {}", e.message));
    }
    Ok(out)
}

/// The names of a flag's variants, those of its split first in the split's order (as the
/// weights are typed), then the others.
pub fn variant_names<'a>(
    variants: impl IntoIterator<Item = &'a String>,
    targeting: Option<&Value>,
) -> Vec<String> {
    let mut names: Vec<String> = targeting
        .and_then(weights)
        .map(|w| w.into_iter().map(|(v, _)| v).collect())
        .unwrap_or_default();
    for v in variants {
        if !names.contains(v) {
            names.push(v.clone());
        }
    }
    names
}

/// What weights typed for flag `key`, whose variants are `names`, must be: each for one of
/// its variants, none negative, adding up to more than 0 and at most 2147483647.
pub fn check_weights(
    key: &str,
    names: &[String],
    weights: &[(String, i64)],
) -> Result<(), EditError> {
    let mut total = 0i64;
    for (variant, weight) in weights {
        if !names.contains(variant) {
            return refuse(format!(
                "{variant} is not a variant of {key} (variants: {})",
                names.join(", ")
            ));
        }
        if *weight < 0 {
            return refuse(format!("the weight of {variant:?} is negative"));
        }
        total = total.saturating_add(*weight);
    }
    if total == 0 || total > i64::from(i32::MAX) {
        return refuse("the weights must add up to more than 0 and at most 2147483647");
    }
    Ok(())
}

fn set_weights(args: &mut [Value], weights: &[(String, i64)], key: &str) -> Result<(), EditError> {
    let mut seen = Vec::new();
    for bucket in args.iter_mut() {
        let Value::Array(entry) = bucket else {
            continue; // the bucketing key
        };
        let Some(Value::String(variant)) = entry.first() else {
            return refuse(format!(
                "a bucket of {key:?} is computed and cannot be edited"
            ));
        };
        let Some((_, weight)) = weights.iter().find(|(v, _)| v == variant) else {
            return refuse(format!("no weight given for {variant:?}"));
        };
        seen.push(variant.clone());
        let weight = Value::from(*weight);
        match entry.len() {
            1 => entry.push(weight),
            _ => entry[1] = weight,
        }
    }
    if let Some((extra, _)) = weights.iter().find(|(v, _)| !seen.contains(v)) {
        return refuse(format!("{extra:?} is not in the split of {key:?}"));
    }
    Ok(())
}

/// The weights of the split a weights edit changes (the first `fractional` of `targeting`
/// outside a shared `$ref`), by variant; a bucket without a weight weighs 1. `None` when
/// there is no such split or a bucket is computed.
pub fn weights(targeting: &Value) -> Option<Vec<(String, i64)>> {
    let mut rule = targeting.clone();
    let args = fractional_mut(&mut rule)?;
    let mut out = Vec::new();
    for bucket in args.iter() {
        let Value::Array(entry) = bucket else {
            continue; // the bucketing key
        };
        let Some(Value::String(variant)) = entry.first() else {
            return None;
        };
        let weight = match entry.get(1) {
            None => 1,
            Some(w) => w.as_i64()?,
        };
        out.push((variant.clone(), weight));
    }
    (!out.is_empty()).then_some(out)
}

/// Weights as typed: `on=25,off=75` (spaces allowed).
pub fn parse_weights(text: &str) -> Result<Vec<(String, i64)>, EditError> {
    text.split(',')
        .filter(|pair| !pair.trim().is_empty())
        .map(|pair| {
            let Some((variant, weight)) = pair.split_once('=') else {
                return refuse(format!("{:?} is not VARIANT=WEIGHT", pair.trim()));
            };
            let Ok(weight) = weight.trim().parse::<i64>() else {
                return refuse(format!("{:?} is not a whole number", weight.trim()));
            };
            Ok((variant.trim().to_string(), weight))
        })
        .collect()
}

/// Weights as `on=25,off=75`.
pub fn weights_text(weights: &[(String, i64)]) -> String {
    weights
        .iter()
        .map(|(v, n)| format!("{v}={n}"))
        .collect::<Vec<_>>()
        .join(",")
}

/// The flag `key` before and after, as pretty JSON lines marked `-`, `+` or ` `.
pub fn diff(before: &Value, after: &Value, key: &str) -> String {
    let show = |root: &Value| {
        let mut copy = root.clone();
        flag_mut(&mut copy, key)
            .ok()
            .map(|f| serde_json::to_string_pretty(f).unwrap_or_default())
            .unwrap_or_default()
    };
    line_diff(&show(before), &show(after))
}

/// The diff to show for an edit of flag `key` stored as `text`: the flag's lines when the
/// text is edited in place (only its changed values change), else the whole text as it
/// will be written instead, so that what is shown is what is written.
pub fn stored_diff(text: &str, before: &Value, after: &Value, key: &str) -> String {
    if rewrite_text(text, before, after).is_some() {
        return diff(before, after, key);
    }
    match stored_text(text, before, after) {
        Ok(written) => line_diff(text, &written),
        Err(_) => diff(before, after, key),
    }
}

/// `a` and `b` line by line, each line marked `-`, `+` or ` `, the old before the new.
fn line_diff(a: &str, b: &str) -> String {
    let (a, b): (Vec<&str>, Vec<&str>) = (a.lines().collect(), b.lines().collect());
    // Longest common subsequence of lines; flags are small.
    let mut lcs = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for i in (0..a.len()).rev() {
        for j in (0..b.len()).rev() {
            lcs[i][j] = if a[i] == b[j] {
                lcs[i + 1][j + 1] + 1
            } else {
                lcs[i + 1][j].max(lcs[i][j + 1])
            };
        }
    }
    let (mut i, mut j, mut out) = (0, 0, String::new());
    while i < a.len() || j < b.len() {
        if i < a.len() && j < b.len() && a[i] == b[j] {
            out.push_str(&format!("  {}\n", a[i]));
            i += 1;
            j += 1;
        } else if i < a.len() && (j == b.len() || lcs[i + 1][j] >= lcs[i][j + 1]) {
            // Unified order: the old line first, then the new.
            out.push_str(&format!("- {}\n", a[i]));
            i += 1;
        } else {
            out.push_str(&format!("+ {}\n", b[j]));
            j += 1;
        }
    }
    out
}

/// Where each value of a JSON text lies, so that an edit can replace only what changed.
struct Node {
    start: usize,
    end: usize,
    kind: NodeKind,
}

enum NodeKind {
    Scalar,
    Object(Vec<(String, Node)>),
    Array(Vec<Node>),
}

struct Scanner<'a> {
    text: &'a str,
    at: usize,
}

impl Scanner<'_> {
    fn byte(&self) -> Option<u8> {
        self.text.as_bytes().get(self.at).copied()
    }

    fn blank(&mut self) {
        while self.byte().is_some_and(|b| b.is_ascii_whitespace()) {
            self.at += 1;
        }
    }

    fn string(&mut self) -> Option<()> {
        if self.byte()? != b'"' {
            return None;
        }
        self.at += 1;
        loop {
            match self.byte()? {
                b'\\' => self.at += 2,
                b'"' => {
                    self.at += 1;
                    return Some(());
                }
                _ => self.at += 1,
            }
        }
    }

    /// Moves past `close` or a comma before the next item; `true` at the end.
    fn after_item(&mut self, close: u8) -> Option<bool> {
        self.blank();
        match self.byte()? {
            b',' => {
                self.at += 1;
                Some(false)
            }
            b if b == close => {
                self.at += 1;
                Some(true)
            }
            _ => None,
        }
    }

    fn value(&mut self, depth: usize) -> Option<Node> {
        if depth > 256 {
            return None;
        }
        self.blank();
        let start = self.at;
        let kind = match self.byte()? {
            b'{' => {
                self.at += 1;
                let mut fields = Vec::new();
                self.blank();
                if self.byte()? == b'}' {
                    self.at += 1;
                } else {
                    loop {
                        self.blank();
                        let key_at = self.at;
                        self.string()?;
                        let key: String = serde_json::from_str(&self.text[key_at..self.at]).ok()?;
                        self.blank();
                        if self.byte()? != b':' {
                            return None;
                        }
                        self.at += 1;
                        fields.push((key, self.value(depth + 1)?));
                        if self.after_item(b'}')? {
                            break;
                        }
                    }
                }
                NodeKind::Object(fields)
            }
            b'[' => {
                self.at += 1;
                let mut items = Vec::new();
                self.blank();
                if self.byte()? == b']' {
                    self.at += 1;
                } else {
                    loop {
                        items.push(self.value(depth + 1)?);
                        if self.after_item(b']')? {
                            break;
                        }
                    }
                }
                NodeKind::Array(items)
            }
            b'"' => {
                self.string()?;
                NodeKind::Scalar
            }
            _ => {
                while self
                    .byte()
                    .is_some_and(|b| !matches!(b, b',' | b'}' | b']') && !b.is_ascii_whitespace())
                {
                    self.at += 1;
                }
                if self.at == start {
                    return None;
                }
                NodeKind::Scalar
            }
        };
        Some(Node {
            start,
            end: self.at,
            kind,
        })
    }
}

/// The replacements that turn the text of `node` (which reads as `before`) into `after`:
/// only values that differ are rewritten, so every other byte stays as written.
fn changes(
    node: &Node,
    before: &Value,
    after: &Value,
    out: &mut Vec<(usize, usize, String)>,
) -> Option<()> {
    if before == after {
        return Some(());
    }
    match (&node.kind, before, after) {
        (NodeKind::Object(fields), Value::Object(b), Value::Object(a))
            if a.len() == b.len() && a.keys().all(|k| b.contains_key(k)) =>
        {
            for (key, new) in a {
                let old = &b[key];
                if old != new {
                    // A key given twice reads as its last.
                    let (_, field) = fields.iter().rev().find(|(k, _)| k == key)?;
                    changes(field, old, new, out)?;
                }
            }
        }
        (NodeKind::Array(items), Value::Array(b), Value::Array(a))
            if a.len() == b.len() && items.len() == b.len() =>
        {
            for ((item, old), new) in items.iter().zip(b).zip(a) {
                changes(item, old, new, out)?;
            }
        }
        _ => out.push((node.start, node.end, serde_json::to_string(after).ok()?)),
    }
    Some(())
}

/// `text` (which reads as `before`) changed to read as `after`, keeping its own key order,
/// indentation and trailing newline: only the values that differ are rewritten. `None`
/// when the text cannot be edited so; the caller then writes the document anew.
pub fn rewrite_text(text: &str, before: &Value, after: &Value) -> Option<String> {
    let mut scanner = Scanner { text, at: 0 };
    let root = scanner.value(0)?;
    let mut edits = Vec::new();
    changes(&root, before, after, &mut edits)?;
    let mut out = text.to_string();
    edits.sort_by_key(|(start, _, _)| std::cmp::Reverse(*start));
    for (start, end, with) in edits {
        out.replace_range(start..end, &with);
    }
    // Written only if it reads back as the edit.
    (serde_json::from_str::<Value>(&out).ok()? == *after).then_some(out)
}

/// The text to store for `after`, in place of `text`: edited in place where it can be,
/// else the whole document written anew (keeping a trailing newline).
pub fn stored_text(text: &str, before: &Value, after: &Value) -> Result<String, EditError> {
    if let Some(edited) = rewrite_text(text, before, after) {
        return Ok(edited);
    }
    let mut whole = serde_json::to_string_pretty(after).map_err(|e| EditError(e.to_string()))?;
    if text.ends_with('\n') {
        whole.push('\n');
    }
    Ok(whole)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn doc() -> Value {
        json!({"flags": {
            "checkout": {"state": "ENABLED", "variants": {"on": true, "off": false},
                         "defaultVariant": "off",
                         "targeting": {"if": [{"var": "beta"}, "on",
                                              {"fractional": [{"var": "targetingKey"}, ["on", 10], ["off", 90]]}]}},
            "shared": {"state": "ENABLED", "variants": {"a": 1}, "defaultVariant": "a",
                       "targeting": {"$ref": "split"}},
            "plain": {"state": "ENABLED", "variants": {"a": 1, "b": 2}, "defaultVariant": "a"}
        }, "$evaluators": {"split": {"fractional": [["a", 1]]}}})
    }

    #[test]
    fn state_and_default_variant() {
        let out = apply(&doc(), "checkout", &Edit::State(State::Disabled)).expect("applies");
        assert_eq!(out["flags"]["checkout"]["state"], "DISABLED");
        assert_eq!(
            out["flags"]["plain"],
            doc()["flags"]["plain"],
            "others untouched"
        );
        let out = apply(&doc(), "plain", &Edit::DefaultVariant("b".into())).expect("applies");
        assert_eq!(out["flags"]["plain"]["defaultVariant"], "b");
        let e = apply(&doc(), "plain", &Edit::DefaultVariant("c".into())).unwrap_err();
        assert!(e.0.contains("no variant \"c\""), "{e}");
        let e = apply(&doc(), "ghost", &Edit::State(State::Enabled)).unwrap_err();
        assert_eq!(e.0, "no flag \"ghost\"");
    }

    #[test]
    fn weights_of_the_split() {
        let w = |pairs: &[(&str, i64)]| {
            Edit::Weights(pairs.iter().map(|(v, n)| (v.to_string(), *n)).collect())
        };
        let out = apply(&doc(), "checkout", &w(&[("on", 50), ("off", 50)])).expect("applies");
        assert_eq!(
            out["flags"]["checkout"]["targeting"]["if"][2]["fractional"],
            json!([{"var": "targetingKey"}, ["on", 50], ["off", 50]])
        );
        for (edit, words) in [
            (w(&[("on", 50)]), "no weight given for \"off\""),
            (
                w(&[("on", 50), ("maybe", 50)]),
                "maybe is not a variant of checkout (variants: on, off)",
            ),
            (w(&[("on", -1), ("off", 5)]), "negative"),
            (w(&[("on", 0), ("off", 0)]), "add up"),
        ] {
            let e = apply(&doc(), "checkout", &edit).unwrap_err();
            assert!(e.0.contains(words), "{edit:?}: {e}");
        }
        let e = apply(&doc(), "shared", &w(&[("a", 2)])).unwrap_err();
        assert!(e.0.contains("shared $ref"), "{e}");
        let e = apply(&doc(), "plain", &w(&[("a", 2)])).unwrap_err();
        assert!(e.0.contains("no targeting"), "{e}");
    }

    #[test]
    fn weights_are_read_and_typed_back() {
        let rule = &doc()["flags"]["checkout"]["targeting"];
        let found = weights(rule).expect("a split");
        assert_eq!(found, [("on".to_string(), 10), ("off".to_string(), 90)]);
        assert_eq!(weights_text(&found), "on=10,off=90");
        assert_eq!(parse_weights(" on = 10, off=90 ").expect("parses"), found);
        assert_eq!(
            weights(&json!({"fractional": [["a"], ["b", 3]]})),
            Some(vec![("a".to_string(), 1), ("b".to_string(), 3)])
        );
        assert_eq!(weights(&json!({"if": [true, "a"]})), None);
        assert!(parse_weights("on:10")
            .unwrap_err()
            .0
            .contains("VARIANT=WEIGHT"));
        assert!(parse_weights("on=ten")
            .unwrap_err()
            .0
            .contains("whole number"));
    }

    #[test]
    fn an_edit_that_would_not_load_is_refused() {
        let mut broken = doc();
        // The schema allows any name here; a default variant that is not a variant does not load.
        broken["flags"]["plain"]["defaultVariant"] = json!("zzz");
        let e = apply(&broken, "checkout", &Edit::State(State::Disabled)).unwrap_err();
        assert!(e.0.starts_with("the result would not load"), "{e}");
    }

    #[test]
    fn an_edit_to_a_definition_outside_the_schema_is_refused() {
        let mut mixed = doc();
        mixed["flags"]["plain"]["variants"]["b"] = json!("two");
        let e = apply(&mixed, "checkout", &Edit::State(State::Disabled)).unwrap_err();
        assert!(
            e.0.contains("schema") && e.0.contains("variants mix"),
            "{e}"
        );
    }

    #[test]
    fn the_diff_marks_changed_lines() {
        let after = apply(&doc(), "checkout", &Edit::State(State::Disabled)).expect("applies");
        let d = diff(&doc(), &after, "checkout");
        let removed = d.find("-   \"state\": \"ENABLED\"");
        let added = d.find("+   \"state\": \"DISABLED\"");
        assert!(removed.is_some() && added.is_some(), "{d}");
        assert!(removed < added, "the old line comes first:\n{d}");
        assert_eq!(
            d.lines().filter(|l| l.starts_with(['-', '+'])).count(),
            2,
            "{d}"
        );
        assert!(d
            .lines()
            .any(|l| l.starts_with("  ") && l.contains("defaultVariant")));
    }

    #[test]
    fn a_stored_text_changes_only_the_edited_values() {
        let text = "{\n    \"flags\": {\n        \"zeta\": {\"state\": \"ENABLED\", \"variants\": {\"on\": true, \"off\": false}, \"defaultVariant\": \"on\"},\n        \"alpha\": {\n            \"state\": \"ENABLED\",\n            \"variants\": {\"a\": 1, \"b\": 2},\n            \"defaultVariant\": \"a\",\n            \"targeting\": {\"fractional\": [[\"a\"], [\"b\", 3]]}\n        }\n    }\n}\n";
        let before: Value = serde_json::from_str(text).expect("JSON");
        let after = apply(&before, "zeta", &Edit::State(State::Disabled)).expect("applies");
        let written = stored_text(text, &before, &after).expect("written");
        assert_eq!(
            written,
            text.replace(
                "\"state\": \"ENABLED\", \"variants\": {\"on\"",
                "\"state\": \"DISABLED\", \"variants\": {\"on\""
            )
        );
        let weights = Edit::Weights(vec![("a".into(), 5), ("b".into(), 5)]);
        let after = apply(&before, "alpha", &weights).expect("applies");
        let written = stored_text(text, &before, &after).expect("written");
        assert!(written.contains("[[\"a\",5], [\"b\", 5]]"), "{written}");
        assert!(written.ends_with("}\n"));
        let changed: Vec<_> = text
            .lines()
            .zip(written.lines())
            .filter(|(a, b)| a != b)
            .collect();
        assert_eq!(changed.len(), 1, "{changed:?}");
        assert_eq!(
            serde_json::from_str::<Value>(&written).expect("JSON"),
            after
        );
    }

    #[test]
    fn a_text_that_cannot_be_edited_in_place_shows_all_it_rewrites() {
        let before = json!({"flags": {"a": {"state": "ENABLED", "variants": {"on": true}}}});
        let after = apply(&before, "a", &Edit::State(State::Disabled)).expect("applies");
        // Edited in place: the flag's lines.
        let text = serde_json::to_string(&before).expect("JSON");
        let d = stored_diff(&text, &before, &after, "a");
        assert!(d.contains("-   \"state\": \"ENABLED\","), "{d}");
        // A text that does not read as the document it came with is written anew, and the
        // diff is of the whole text as written.
        let odd = "{\"flags\": {\"a\": {\"state\": \"ENABLED\", \"variants\": {\"on\": true}}}, \"x\": 1}\n";
        let d = stored_diff(odd, &before, &after, "a");
        assert!(
            d.lines()
                .next()
                .is_some_and(|l| l.starts_with("- {\"flags\"")),
            "{d}"
        );
        assert!(d.contains("+     \"a\": {"), "{d}");
    }
}
