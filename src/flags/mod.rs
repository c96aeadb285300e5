//! Feature flags in flagd's format: definitions, evaluation exactly as flagd does it, and
//! the summaries the console shows. Pure: reading sources lives elsewhere.

pub mod cluster;
pub mod definition;
pub mod edit;
pub mod files;
pub mod flip;
pub mod live;
pub mod logic;
pub mod murmur;
pub mod schema;
pub mod semver;
pub mod summary;
pub mod watch;
pub mod write;

pub use definition::{DefinitionError, Flag, FlagSet, State};

use logic::Flagd;
use serde_json::{Map, Value};
use std::sync::Arc;

/// Why a flag resolved as it did (OpenFeature's reasons, as flagd reports them).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reason {
    Static,
    TargetingMatch,
    Default,
    Disabled,
    Error,
}

impl Reason {
    pub fn as_str(self) -> &'static str {
        match self {
            Reason::Static => "STATIC",
            Reason::TargetingMatch => "TARGETING_MATCH",
            Reason::Default => "DEFAULT",
            Reason::Disabled => "DISABLED",
            Reason::Error => "ERROR",
        }
    }
}

/// OpenFeature error codes flagd returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorCode {
    FlagNotFound,
    ParseError,
    TypeMismatch,
    General,
}

impl ErrorCode {
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::FlagNotFound => "FLAG_NOT_FOUND",
            ErrorCode::ParseError => "PARSE_ERROR",
            ErrorCode::TypeMismatch => "TYPE_MISMATCH",
            ErrorCode::General => "GENERAL",
        }
    }
}

/// The type a caller asks a flag for; `Any` takes whatever the variant holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FlagType {
    Boolean,
    String,
    Integer,
    Float,
    Object,
    Any,
}

impl FlagType {
    fn accepts(self, value: &Value) -> bool {
        match self {
            FlagType::Boolean => value.is_boolean(),
            FlagType::String => value.is_string(),
            FlagType::Integer | FlagType::Float => value.is_number(),
            FlagType::Object => value.is_object(),
            FlagType::Any => true,
        }
    }
}

/// One evaluation's outcome. `value` is `None` where the caller's own default applies
/// (disabled, no default variant, an error).
#[derive(Debug, Clone, PartialEq)]
pub struct Resolution {
    pub key: String,
    pub value: Option<Value>,
    pub variant: Option<String>,
    pub reason: Reason,
    pub error: Option<ErrorCode>,
    /// What went wrong, for people.
    pub message: Option<String>,
    pub metadata: Arc<Map<String, Value>>,
}

impl Resolution {
    /// The value, or the caller's `default` where flagd would hand it back.
    pub fn value_or(&self, default: Value) -> Value {
        self.value.clone().unwrap_or(default)
    }

    fn error(
        key: &str,
        code: ErrorCode,
        message: String,
        metadata: Arc<Map<String, Value>>,
    ) -> Self {
        Resolution {
            key: key.to_string(),
            value: None,
            variant: None,
            reason: Reason::Error,
            error: Some(code),
            message: Some(message),
            metadata,
        }
    }
}

/// The key flagd looks a targeting result up by: the result as JSON with its quotes removed,
/// `None` for null.
pub fn variant_key(result: &Value) -> Option<String> {
    match result {
        Value::Null => None,
        // The common case needs no escaping and no copy of anything but the name.
        Value::String(s) if !s.chars().any(escaped_by_flagd) => Some(s.clone()),
        Value::String(s) => Some(escape_like_flagd(s)),
        Value::Bool(b) => Some(b.to_string()),
        Value::Number(n) => Some(json_number(n)),
        other => Some(escape_html(&other.to_string()).replace('"', "")),
    }
}

/// Characters flagd's JSON encoder escapes in a string (it escapes HTML too).
fn escaped_by_flagd(c: char) -> bool {
    c < ' ' || matches!(c, '"' | '\\' | '<' | '>' | '&' | '\u{2028}' | '\u{2029}')
}

/// A string as flagd's encoder writes it, quotes dropped: a variant named with one of
/// those characters is never matched by a targeting result in flagd, and so not here.
fn escape_like_flagd(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '"' => out.push('\\'),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if escaped_by_flagd(c) => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out
}

fn escape_html(text: &str) -> String {
    text.replace('<', "\\u003c")
        .replace('>', "\\u003e")
        .replace('&', "\\u0026")
}

/// A number as JSON writes it in flagd (no trailing `.0`; exponents outside 1e-6..1e21).
fn json_number(n: &serde_json::Number) -> String {
    if n.is_i64() || n.is_u64() {
        return n.to_string();
    }
    let f = n.as_f64().unwrap_or(0.0);
    let abs = f.abs();
    if abs != 0.0 && !(1e-6..1e21).contains(&abs) {
        let text = format!("{f:e}");
        return match text.split_once('e') {
            Some((m, e)) if !e.starts_with('-') => format!("{m}e+{e}"),
            _ => text,
        };
    }
    logic::format_number(f)
}

impl Flag {
    /// Evaluates this flag for `context` at `timestamp` (seconds since the epoch, for
    /// `$flagd.timestamp`). Metadata is the set's, overlaid by the flag's.
    pub fn evaluate(&self, context: &Value, timestamp: i64, ty: FlagType) -> Resolution {
        let metadata = Arc::clone(&self.resolved_metadata);
        let key = self.key.as_str();
        let done = |variant: Option<String>, reason: Reason, metadata: Arc<Map<String, Value>>| {
            let Some(variant) = variant else {
                // No default variant: the caller's default, as flagd's providers report it.
                return Resolution {
                    key: key.to_string(),
                    value: None,
                    variant: None,
                    reason: Reason::Default,
                    error: None,
                    message: None,
                    metadata,
                };
            };
            let value = self.variants.get(&variant).cloned().unwrap_or(Value::Null);
            if !ty.accepts(&value) {
                let mut r = Resolution::error(
                    key,
                    ErrorCode::TypeMismatch,
                    format!("variant {variant:?} of {key:?} is not of the type asked for"),
                    metadata,
                );
                r.variant = Some(variant);
                return r;
            }
            Resolution {
                key: key.to_string(),
                value: Some(value),
                variant: Some(variant),
                reason,
                error: None,
                message: None,
                metadata,
            }
        };
        if self.state == State::Disabled {
            return Resolution {
                key: key.to_string(),
                value: None,
                variant: None,
                reason: Reason::Disabled,
                error: None,
                message: None,
                metadata,
            };
        }
        let Some(rule) = &self.rule else {
            return done(self.default_variant.clone(), Reason::Static, metadata);
        };
        let flagd = Flagd {
            flag_key: key,
            timestamp,
        };
        let result = match rule.eval(context, &flagd) {
            Ok(result) => result,
            Err(e) => {
                return Resolution::error(
                    key,
                    ErrorCode::ParseError,
                    format!("targeting of {key:?}: {e}"),
                    metadata,
                )
            }
        };
        match variant_key(&result) {
            None => done(self.default_variant.clone(), Reason::Default, metadata),
            Some(variant) if self.variants.contains_key(&variant) => {
                done(Some(variant), Reason::TargetingMatch, metadata)
            }
            Some(variant) => Resolution::error(
                key,
                ErrorCode::General,
                format!("targeting of {key:?} chose {variant:?}, which is not a variant"),
                metadata,
            ),
        }
    }
}

impl FlagSet {
    /// Evaluates flag `key`; `FLAG_NOT_FOUND` when there is none.
    pub fn evaluate(&self, key: &str, context: &Value, timestamp: i64, ty: FlagType) -> Resolution {
        match self.flags.get(key) {
            Some(flag) => flag.evaluate(context, timestamp, ty),
            None => Resolution::error(
                key,
                ErrorCode::FlagNotFound,
                format!("no flag {key:?}"),
                Arc::new(self.metadata.clone()),
            ),
        }
    }
}

/// The warning for flag `key` defined by two sources, the later one's used.
pub fn shadow_warning(key: &str, earlier: &str, later: &str) -> String {
    format!("{key} is defined in {earlier} and in {later}; {later}'s is used")
}

/// Flags from several sources; a key defined twice is the later source's, as in flagd.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Catalog {
    pub sets: Vec<FlagSet>,
}

impl Catalog {
    pub fn new(sets: Vec<FlagSet>) -> Catalog {
        Catalog { sets }
    }

    /// The flag under `key` and the set it comes from.
    pub fn get(&self, key: &str) -> Option<(&Flag, &FlagSet)> {
        self.sets
            .iter()
            .rev()
            .find_map(|set| set.flags.get(key).map(|flag| (flag, set)))
    }

    /// Why flag `key` did not load, when no source defines it in a form that does.
    pub fn invalid(&self, key: &str) -> Option<&DefinitionError> {
        if self.get(key).is_some() {
            return None;
        }
        self.sets.iter().rev().find_map(|set| set.invalid.get(key))
    }

    /// Every flag that did not load, with where and why.
    pub fn all_invalid(&self) -> impl Iterator<Item = &DefinitionError> {
        self.sets.iter().flat_map(|set| set.invalid.values())
    }

    /// A warning for each key more than one source defines, naming them.
    pub fn duplicates(&self) -> Vec<String> {
        let mut seen: std::collections::BTreeMap<&str, &str> = Default::default();
        let mut out = Vec::new();
        for set in &self.sets {
            for key in set.flags.keys() {
                if let Some(earlier) = seen.insert(key, &set.source) {
                    out.push(shadow_warning(key, earlier, &set.source));
                }
            }
        }
        out
    }

    /// Every flag in key order, each from the source that wins it.
    pub fn flags(&self) -> Vec<(&Flag, &FlagSet)> {
        let mut keys: Vec<&str> = self
            .sets
            .iter()
            .flat_map(|s| s.flags.keys().map(String::as_str))
            .collect();
        keys.sort_unstable();
        keys.dedup();
        keys.into_iter().filter_map(|k| self.get(k)).collect()
    }

    pub fn evaluate(&self, key: &str, context: &Value, timestamp: i64, ty: FlagType) -> Resolution {
        match self.get(key) {
            Some((flag, _)) => flag.evaluate(context, timestamp, ty),
            None => Resolution::error(
                key,
                ErrorCode::FlagNotFound,
                format!("no flag {key:?}"),
                Arc::default(),
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn set() -> FlagSet {
        FlagSet::parse(
            "t.json",
            r#"{"flags": {
  "static": {"state": "ENABLED", "variants": {"on": true, "off": false}, "defaultVariant": "on"},
  "off": {"state": "DISABLED", "variants": {"on": true}, "defaultVariant": "on"},
  "no-default": {"state": "ENABLED", "variants": {"on": true}},
  "targeted": {"state": "ENABLED", "variants": {"a": "A", "b": "B", "1": "one", "true": "yes"},
     "defaultVariant": "a",
     "targeting": {"if": [{"==": [{"var": "who"}, "b"]}, "b",
                          {"==": [{"var": "who"}, "num"]}, 1,
                          {"==": [{"var": "who"}, "bool"]}, true,
                          {"==": [{"var": "who"}, "ghost"]}, "ghost",
                          {"==": [{"var": "who"}, "broken"]}, {"nope": []},
                          null]}},
  "meta": {"state": "ENABLED", "variants": {"on": true}, "defaultVariant": "on",
           "metadata": {"owner": "team-a"}}
}, "metadata": {"owner": "set", "env": "prod"}}"#,
        )
        .expect("parses")
    }

    fn eval(key: &str, ctx: Value, ty: FlagType) -> Resolution {
        set().evaluate(key, &ctx, 0, ty)
    }

    #[test]
    fn static_and_disabled() {
        let r = eval("static", json!({}), FlagType::Boolean);
        assert_eq!(
            (r.value, r.variant.as_deref(), r.reason),
            (Some(json!(true)), Some("on"), Reason::Static)
        );
        let r = eval("off", json!({}), FlagType::Boolean);
        assert_eq!(
            (r.value.clone(), r.variant.clone(), r.reason, r.error),
            (None, None, Reason::Disabled, None)
        );
        assert_eq!(r.value_or(json!(false)), json!(false));
    }

    #[test]
    fn no_default_variant_gives_the_callers_default() {
        let r = eval("no-default", json!({}), FlagType::Boolean);
        assert_eq!(
            (r.value.clone(), r.reason, r.error),
            (None, Reason::Default, None)
        );
        assert_eq!(r.value_or(json!(false)), json!(false));
    }

    #[test]
    fn targeting_reasons_and_errors() {
        let r = eval("targeted", json!({"who": "b"}), FlagType::String);
        assert_eq!(
            (r.value, r.reason),
            (Some(json!("B")), Reason::TargetingMatch)
        );
        let r = eval("targeted", json!({"who": "nobody"}), FlagType::String);
        assert_eq!(
            (r.value, r.variant.as_deref(), r.reason),
            (Some(json!("A")), Some("a"), Reason::Default)
        );
        // Non-string results name variants by their JSON text.
        let r = eval("targeted", json!({"who": "num"}), FlagType::String);
        assert_eq!(r.value, Some(json!("one")));
        let r = eval("targeted", json!({"who": "bool"}), FlagType::String);
        assert_eq!(r.value, Some(json!("yes")));
        let r = eval("targeted", json!({"who": "ghost"}), FlagType::String);
        assert_eq!(
            (r.reason, r.error),
            (Reason::Error, Some(ErrorCode::General))
        );
        let r = eval("targeted", json!({"who": "broken"}), FlagType::String);
        assert_eq!(
            (r.reason, r.error),
            (Reason::Error, Some(ErrorCode::ParseError))
        );
        assert!(r.message.unwrap().contains("nope"));
    }

    #[test]
    fn type_mismatch_and_not_found() {
        let r = eval("static", json!({}), FlagType::String);
        assert_eq!(
            (r.reason, r.error, r.value),
            (Reason::Error, Some(ErrorCode::TypeMismatch), None)
        );
        let r = eval("targeted", json!({}), FlagType::Integer);
        assert_eq!(r.error, Some(ErrorCode::TypeMismatch));
        let r = eval("static", json!({}), FlagType::Any);
        assert_eq!(r.error, None);
        let r = eval("nothing", json!({}), FlagType::Boolean);
        assert_eq!(
            (r.reason, r.error),
            (Reason::Error, Some(ErrorCode::FlagNotFound))
        );
    }

    #[test]
    fn metadata_overlays_the_sets() {
        let r = eval("meta", json!({}), FlagType::Boolean);
        assert_eq!(r.metadata["owner"], "team-a");
        assert_eq!(r.metadata["env"], "prod");
    }

    #[test]
    fn a_later_source_wins_a_key() {
        let one = FlagSet::parse("one", r#"{"flags": {"a": {"state": "ENABLED", "variants": {"x": 1}, "defaultVariant": "x"}, "b": {"state": "ENABLED", "variants": {"x": 1}, "defaultVariant": "x"}}}"#).unwrap();
        let two = FlagSet::parse("two", r#"{"flags": {"a": {"state": "DISABLED", "variants": {"y": 2}, "defaultVariant": "y"}}}"#).unwrap();
        let catalog = Catalog::new(vec![one, two]);
        assert_eq!(
            catalog.get("a").map(|(_, s)| s.source.as_str()),
            Some("two")
        );
        assert_eq!(
            catalog.get("b").map(|(_, s)| s.source.as_str()),
            Some("one")
        );
        let keys: Vec<_> = catalog.flags().iter().map(|(f, _)| f.key.clone()).collect();
        assert_eq!(keys, ["a", "b"]);
        assert_eq!(
            catalog.evaluate("a", &json!({}), 0, FlagType::Any).reason,
            Reason::Disabled
        );
        assert_eq!(
            catalog.evaluate("zz", &json!({}), 0, FlagType::Any).error,
            Some(ErrorCode::FlagNotFound)
        );
    }

    #[test]
    fn variant_keys_match_flagds_json_text() {
        assert_eq!(variant_key(&json!(1)), Some("1".into()));
        assert_eq!(variant_key(&json!(1.0)), Some("1".into()));
        assert_eq!(variant_key(&json!(0.5)), Some("0.5".into()));
        assert_eq!(variant_key(&json!(1e21)), Some("1e+21".into()));
        assert_eq!(variant_key(&json!(false)), Some("false".into()));
        assert_eq!(variant_key(&json!(["a", 1])), Some("[a,1]".into()));
        assert_eq!(variant_key(&Value::Null), None);
        // flagd's encoder escapes HTML characters and quotes before looking the name up.
        assert_eq!(variant_key(&json!("a<b")), Some("a\\u003cb".into()));
        assert_eq!(variant_key(&json!("say \"hi\"")), Some("say \\hi\\".into()));
        assert_eq!(variant_key(&json!("a\\b\n")), Some("a\\\\b\\n".into()));
        assert_eq!(variant_key(&json!({"k": "<"})), Some("{k:\\u003c}".into()));
    }
}
