//! flagd flag definitions: `{"flags": {...}, "$evaluators": {...}, "metadata": {...}}`, read
//! from a file, a ConfigMap or a `FeatureFlag`'s `spec.flagSpec`.

use super::logic::Node;
use serde_json::{Map, Value};
use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    Enabled,
    Disabled,
}

impl State {
    pub fn as_str(self) -> &'static str {
        match self {
            State::Enabled => "ENABLED",
            State::Disabled => "DISABLED",
        }
    }
}

/// One flag, its targeting compiled.
#[derive(Debug, Clone, PartialEq)]
pub struct Flag {
    pub key: String,
    pub state: State,
    pub variants: Map<String, Value>,
    /// `None` when missing, null or empty: the caller's default then applies.
    pub default_variant: Option<String>,
    /// The rule as written, `$ref`s replaced; `None` when absent or `{}`.
    pub targeting: Option<Value>,
    pub rule: Option<Node>,
    pub metadata: Map<String, Value>,
    /// What an evaluation reports: the set's metadata overlaid by the flag's.
    pub resolved_metadata: Arc<Map<String, Value>>,
    /// Line of the flag's key in its source (1-based; 0 when unknown).
    pub line: usize,
    /// The source it was read from, as [`FlagSet::source`] names it: where an edit goes.
    pub source: String,
}

impl Flag {
    /// Whether `other` defines the same flag: where its key sits in the text does not count,
    /// so a flag that only moved in its file has not changed.
    pub fn same_definition(&self, other: &Flag) -> bool {
        self.key == other.key
            && self.state == other.state
            && self.variants == other.variants
            && self.default_variant == other.default_variant
            && self.targeting == other.targeting
            && self.metadata == other.metadata
            && self.resolved_metadata == other.resolved_metadata
            && self.source == other.source
    }
}

/// Whether two lists of flags define the same flags, in the same order.
pub fn same_definitions(a: &[Flag], b: &[Flag]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.same_definition(y))
}

/// The flags of one source.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct FlagSet {
    /// Where they came from: a path, or `configmap/NS/NAME`.
    pub source: String,
    pub flags: BTreeMap<String, Flag>,
    pub metadata: Map<String, Value>,
    /// Flags that break flagd's schema or do not load, by key, with where and why: the
    /// others load without them.
    pub invalid: BTreeMap<String, DefinitionError>,
}

/// A definition that cannot be used, with where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DefinitionError {
    pub source: String,
    pub line: usize,
    pub column: usize,
    pub message: String,
}

impl fmt::Display for DefinitionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.line, self.column) {
            (0, _) => write!(f, "{}: {}", self.source, self.message),
            (line, 0) => write!(f, "{}:{line}: {}", self.source, self.message),
            (line, column) => write!(f, "{}:{line}:{column}: {}", self.source, self.message),
        }
    }
}

impl std::error::Error for DefinitionError {}

/// A JSON parse error without the position serde appends, for messages that give the
/// position once themselves (`file:line:col`).
pub fn json_error_text(e: &serde_json::Error) -> String {
    let text = e.to_string();
    let suffix = format!(" at line {} column {}", e.line(), e.column());
    match text.strip_suffix(&suffix) {
        Some(bare) => bare.to_string(),
        None => text,
    }
}

/// Line and column (1-based) of the first `"key":` in `text`, for error messages.
fn position_of_key(text: &str, key: &str) -> (usize, usize) {
    let quoted = serde_json::to_string(key).unwrap_or_default();
    let mut from = 0;
    while let Some(found) = text[from..].find(&quoted) {
        let at = from + found;
        let after = text[at + quoted.len()..].trim_start();
        if after.starts_with(':') {
            let line = text[..at].matches('\n').count() + 1;
            let column = at - text[..at].rfind('\n').map_or(0, |n| n + 1) + 1;
            return (line, column);
        }
        from = at + quoted.len();
    }
    (0, 0)
}

/// Replaces every `{"$ref": NAME}` naming a shared evaluator with it (to a bounded depth, so
/// evaluators that refer to each other in a loop stop).
fn substitute_refs(value: &mut Value, evaluators: &Map<String, Value>, depth: usize) {
    match value {
        Value::Object(map) => {
            if map.len() == 1 {
                if let Some(Value::String(name)) = map.get("$ref") {
                    if let Some(shared) = evaluators.get(name) {
                        if depth < 32 {
                            *value = shared.clone();
                            substitute_refs(value, evaluators, depth + 1);
                        }
                        return;
                    }
                }
            }
            for v in map.values_mut() {
                substitute_refs(v, evaluators, depth);
            }
        }
        Value::Array(items) => {
            for v in items {
                substitute_refs(v, evaluators, depth);
            }
        }
        _ => {}
    }
}

impl FlagSet {
    /// Parses flagd JSON from `text`; `source` names it in errors.
    pub fn parse(source: &str, text: &str) -> Result<FlagSet, DefinitionError> {
        let root: Value = serde_json::from_str(text).map_err(|e| DefinitionError {
            source: source.to_string(),
            line: e.line(),
            column: e.column(),
            message: format!("not valid JSON: {}", json_error_text(&e)),
        })?;
        FlagSet::from_value(source, root, Some(text))
    }

    /// Builds from JSON already parsed; `text`, when known, gives errors a line.
    pub fn from_value(
        source: &str,
        root: Value,
        text: Option<&str>,
    ) -> Result<FlagSet, DefinitionError> {
        let fail = |key: &str, message: String| {
            let (line, column) = text.map_or((0, 0), |t| position_of_key(t, key));
            DefinitionError {
                source: source.to_string(),
                line,
                column,
                message,
            }
        };
        let Value::Object(mut root) = root else {
            return Err(fail("", "a flag definition is a JSON object".into()));
        };
        let evaluators = match root.remove("$evaluators") {
            None | Some(Value::Null) => Map::new(),
            Some(Value::Object(e)) => e,
            Some(_) => {
                return Err(fail(
                    "$evaluators",
                    "\"$evaluators\" must be an object".into(),
                ))
            }
        };
        let metadata = match root.remove("metadata") {
            None | Some(Value::Null) => Map::new(),
            Some(Value::Object(m)) => m,
            Some(_) => return Err(fail("metadata", "\"metadata\" must be an object".into())),
        };
        let entries: Vec<(String, Value)> = match root.remove("flags") {
            Some(Value::Object(flags)) => flags.into_iter().collect(),
            Some(Value::Array(flags)) => {
                let mut out = Vec::new();
                for flag in flags {
                    let key = flag.get("key").and_then(Value::as_str).map(str::to_string);
                    match key {
                        Some(key) => out.push((key, flag)),
                        None => {
                            return Err(fail("flags", "a flag in the list has no \"key\"".into()))
                        }
                    }
                }
                out
            }
            Some(_) => return Err(fail("flags", "\"flags\" must be an object".into())),
            None => return Err(fail("", "no \"flags\" in the definition".into())),
        };
        let mut flags = BTreeMap::new();
        let mut invalid = BTreeMap::new();
        for (key, raw) in entries {
            let line = text.map_or(0, |t| position_of_key(t, &key).0);
            // The schema's rules, as an edit is held to them; a flag breaking them is told
            // where it is and left out, and the others still load.
            let problems = match &raw {
                Value::Object(f) => super::schema::flag_problems(&key, f),
                _ => Vec::new(),
            };
            let parsed = parse_flag(&key, raw, &evaluators, line).and_then(|flag| {
                if problems.is_empty() {
                    Ok(flag)
                } else {
                    Err(problems.join("; "))
                }
            });
            let mut flag = match parsed {
                Ok(flag) => flag,
                Err(message) => {
                    invalid.insert(key.clone(), fail(&key, message));
                    continue;
                }
            };
            let mut resolved = metadata.clone();
            for (k, v) in &flag.metadata {
                if !v.is_null() {
                    resolved.insert(k.clone(), v.clone());
                }
            }
            flag.resolved_metadata = Arc::new(resolved);
            flag.source = source.to_string();
            flags.insert(key, flag);
        }
        Ok(FlagSet {
            source: source.to_string(),
            flags,
            metadata,
            invalid,
        })
    }
}

fn parse_flag(
    key: &str,
    raw: Value,
    evaluators: &Map<String, Value>,
    line: usize,
) -> Result<Flag, String> {
    let Value::Object(mut raw) = raw else {
        return Err(format!("flag {key:?} must be an object"));
    };
    let state = match raw.get("state") {
        Some(Value::String(s)) if s == "ENABLED" => State::Enabled,
        Some(Value::String(s)) if s == "DISABLED" => State::Disabled,
        Some(other) => {
            return Err(format!(
                "flag {key:?}: state must be \"ENABLED\" or \"DISABLED\", not {other}"
            ))
        }
        None => return Err(format!("flag {key:?} has no state")),
    };
    let variants = match raw.remove("variants") {
        Some(Value::Object(v)) if !v.is_empty() => v,
        Some(Value::Object(_)) => return Err(format!("flag {key:?} has no variants")),
        Some(_) => return Err(format!("flag {key:?}: variants must be an object")),
        None => return Err(format!("flag {key:?} has no variants")),
    };
    let default_variant = match raw.get("defaultVariant") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) if s.is_empty() => None,
        Some(Value::String(s)) => {
            if !variants.contains_key(s) {
                return Err(format!(
                    "flag {key:?}: the default variant {s:?} is not one of its variants"
                ));
            }
            Some(s.clone())
        }
        Some(other) => {
            return Err(format!(
                "flag {key:?}: defaultVariant must be a variant's name, not {other}"
            ))
        }
    };
    let targeting = match raw.remove("targeting") {
        None | Some(Value::Null) => None,
        Some(Value::Object(o)) if o.is_empty() => None,
        Some(mut rule) => {
            if !rule.is_object() {
                return Err(format!("flag {key:?}: targeting must be an object"));
            }
            substitute_refs(&mut rule, evaluators, 0);
            Some(rule)
        }
    };
    let metadata = match raw.remove("metadata") {
        None | Some(Value::Null) => Map::new(),
        Some(Value::Object(m)) => m,
        Some(_) => return Err(format!("flag {key:?}: metadata must be an object")),
    };
    Ok(Flag {
        key: key.to_string(),
        state,
        variants,
        default_variant,
        rule: targeting.as_ref().map(Node::compile),
        targeting,
        metadata,
        resolved_metadata: Arc::default(),
        line,
        source: String::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_flags_evaluators_and_metadata() {
        let text = r#"{
  "flags": {
    "a": {"state": "ENABLED", "variants": {"on": true, "off": false}, "defaultVariant": "on",
          "targeting": {"if": [{"$ref": "vip"}, "off"]}, "metadata": {"team": "x"}},
    "b": {"state": "DISABLED", "variants": {"x": 1}, "targeting": {}}
  },
  "$evaluators": {"vip": {"in": ["@vip.com", {"var": "email"}]}},
  "metadata": {"flagSetId": "shop"}
}"#;
        let set = FlagSet::parse("f.json", text).expect("parses");
        let a = &set.flags["a"];
        assert_eq!(a.state, State::Enabled);
        assert_eq!(a.default_variant.as_deref(), Some("on"));
        assert_eq!(a.line, 3);
        assert_eq!(a.source, "f.json");
        assert_eq!(
            a.targeting,
            Some(serde_json::json!({"if": [{"in": ["@vip.com", {"var": "email"}]}, "off"]}))
        );
        assert_eq!(a.metadata["team"], "x");
        let b = &set.flags["b"];
        assert_eq!(b.state, State::Disabled);
        assert_eq!(b.default_variant, None);
        assert_eq!(b.targeting, None);
        assert_eq!(set.metadata["flagSetId"], "shop");
    }

    #[test]
    fn flags_may_be_a_list() {
        let text = r#"{"flags": [{"key": "k", "state": "ENABLED", "variants": {"a": "A"}, "defaultVariant": "a"}]}"#;
        let set = FlagSet::parse("f.json", text).expect("parses");
        assert!(set.flags.contains_key("k"));
    }

    #[test]
    fn errors_point_at_file_and_line() {
        let bad_json = "{\n  \"flags\": {\n    \"a\": {,}\n  }\n}";
        let e = FlagSet::parse("f.json", bad_json).unwrap_err();
        assert_eq!((e.line, e.column), (3, 11));
        assert!(
            e.to_string().starts_with("f.json:3:11: not valid JSON"),
            "{e}"
        );

        let unknown_default = "{\n  \"flags\": {\n    \"a\": {\"state\": \"ENABLED\", \"variants\": {\"on\": true}, \"defaultVariant\": \"of\"}\n  }\n}";
        let e = first_error(unknown_default);
        assert_eq!(e.line, 3);
        assert!(
            e.message.contains("\"of\" is not one of its variants"),
            "{e}"
        );

        for (text, words) in [
            (r#"[]"#, "JSON object"),
            (r#"{}"#, "no \"flags\""),
            (r#"{"flags": 1}"#, "must be an object"),
            (r#"{"flags": {"a": {"variants": {"x": 1}}}}"#, "no state"),
            (
                r#"{"flags": {"a": {"state": "ON", "variants": {"x": 1}}}}"#,
                "state must be",
            ),
            (r#"{"flags": {"a": {"state": "ENABLED"}}}"#, "no variants"),
            (
                r#"{"flags": {"a": {"state": "ENABLED", "variants": {}}}}"#,
                "no variants",
            ),
            (
                r#"{"flags": {"a": {"state": "ENABLED", "variants": {"x": 1}, "targeting": 3}}}"#,
                "targeting must be",
            ),
            (
                r#"{"flags": {"a": {"state": "ENABLED", "variants": {"x": 1}, "defaultVariant": 1}}}"#,
                "defaultVariant must be",
            ),
            (r#"{"flags": {}, "$evaluators": []}"#, "$evaluators"),
            (r#"{"flags": [{"state": "ENABLED"}]}"#, "no \"key\""),
        ] {
            let e = first_error(text);
            assert!(e.message.contains(words), "{text}: {e}");
        }
    }

    /// The set's own error, or else its first flag's.
    fn first_error(text: &str) -> DefinitionError {
        match FlagSet::parse("f.json", text) {
            Err(e) => e,
            Ok(set) => set.invalid.into_values().next().expect("an invalid flag"),
        }
    }

    #[test]
    fn a_flag_outside_the_schema_is_left_out_where_it_is_and_the_others_load() {
        let text = "{\"flags\": {\n  \"mixed\": {\"state\": \"ENABLED\", \"variants\": {\"a\": true, \"b\": \"x\"}},\n  \"typo\": {\"state\": \"ENABLED\", \"variants\": {\"a\": 1}, \"defaultvariant\": \"a\"},\n  \"fine\": {\"state\": \"ENABLED\", \"variants\": {\"a\": 1}}\n}}";
        let set = FlagSet::parse("f.json", text).expect("the set loads");
        assert_eq!(set.flags.keys().collect::<Vec<_>>(), ["fine"]);
        assert_eq!(
            set.invalid["mixed"].to_string(),
            "f.json:2:3: flag \"mixed\": variants mix boolean, string"
        );
        assert_eq!(
            set.invalid["typo"].to_string(),
            "f.json:3:3: flag \"typo\": unknown field \"defaultvariant\""
        );
    }

    #[test]
    fn a_ref_to_no_evaluator_is_kept_and_refs_loops_stop() {
        let text = r#"{"flags": {"a": {"state": "ENABLED", "variants": {"x": 1}, "targeting": {"if": [{"$ref": "none"}, "x"]}}},
            "$evaluators": {"loop": {"$ref": "loop"}}}"#;
        let set = FlagSet::parse("f.json", text).expect("parses");
        assert_eq!(
            set.flags["a"].targeting,
            Some(serde_json::json!({"if": [{"$ref": "none"}, "x"]}))
        );
        let looping = r#"{"flags": {"a": {"state": "ENABLED", "variants": {"x": 1}, "targeting": {"$ref": "loop"}}},
            "$evaluators": {"loop": {"$ref": "loop"}}}"#;
        assert!(FlagSet::parse("f.json", looping).is_ok());
    }
}
