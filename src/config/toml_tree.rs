//! A TOML tree that remembers where things are.
//!
//! `toml::Spanned` cannot wrap tables (implicit ones such as `contexts` in
//! `[contexts."prod"]` have no span and make it fail), so tables keep the span
//! of each key and arrays keep the span of each element. That is enough to
//! put every problem on the right line, and because any value is accepted
//! here, type errors are found per entry by the callers instead of failing
//! the whole file.

use std::fmt;
use std::ops::Range;

use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use toml::Spanned;

use super::issues::ConfigIssue;

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum TomlNode {
    Str(String),
    Int(i64),
    Float(f64),
    Bool(bool),
    Array(Vec<Spanned<TomlNode>>),
    Table(Vec<Entry>),
}

/// One `key = value` of a table; `span` is the key's.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Entry {
    pub key: String,
    pub span: Range<usize>,
    pub value: TomlNode,
}

impl TomlNode {
    /// "a string", "an integer"... for "found ..." messages.
    pub fn kind(&self) -> &'static str {
        match self {
            TomlNode::Str(_) => "a string",
            TomlNode::Int(_) => "an integer",
            TomlNode::Float(_) => "a float",
            TomlNode::Bool(_) => "a boolean",
            TomlNode::Array(_) => "an array",
            TomlNode::Table(_) => "a table",
        }
    }
}

/// A file being checked: its display name and text, to place issues.
#[derive(Clone, Copy)]
pub(crate) struct Source<'a> {
    pub file: &'a str,
    pub text: &'a str,
}

impl Source<'_> {
    pub fn issue(
        &self,
        span: Range<usize>,
        problem: impl Into<String>,
        expected: impl Into<String>,
    ) -> ConfigIssue {
        ConfigIssue::at(self.file, self.text, span, problem, expected)
    }

    /// Parses the whole file; a syntax error is the only way this fails.
    pub fn parse(&self) -> Result<Vec<Entry>, ConfigIssue> {
        match toml::from_str::<TomlNode>(self.text) {
            Ok(TomlNode::Table(entries)) => Ok(entries),
            // A TOML document is always a table; keep the type honest anyway.
            Ok(other) => Err(ConfigIssue::new(
                self.file,
                format!("the file is {}, not a table", other.kind()),
                "a TOML document",
            )),
            Err(e) => Err(ConfigIssue::from_toml(self.file, self.text, &e)),
        }
    }

    /// Where an entry's value starts: after its key, the `=` and the blanks. A problem with
    /// the value points there, not at the start of the line.
    pub fn value_span(&self, entry: &Entry) -> Range<usize> {
        let rest = self.text.get(entry.span.end..).unwrap_or("");
        let Some(eq) = rest.find('=') else {
            return entry.span.clone();
        };
        let after = &rest[eq + 1..];
        let blanks = after.len() - after.trim_start_matches([' ', '\t']).len();
        let start = entry.span.end + eq + 1 + blanks;
        start..start
    }

    /// The usual "`key` must be X, found Y" issue.
    pub fn wrong_type(&self, entry: &Entry, what: &str, expected: &str) -> ConfigIssue {
        self.issue(
            entry.span.clone(),
            format!(
                "`{}` must be {what}, found {}",
                entry.key,
                entry.value.kind()
            ),
            expected,
        )
    }
}

impl<'de> Deserialize<'de> for TomlNode {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(NodeVisitor)
    }
}

struct NodeVisitor;

impl<'de> Visitor<'de> for NodeVisitor {
    type Value = TomlNode;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a TOML value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<TomlNode, E> {
        Ok(TomlNode::Bool(v))
    }

    fn visit_i64<E>(self, v: i64) -> Result<TomlNode, E> {
        Ok(TomlNode::Int(v))
    }

    fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<TomlNode, E> {
        i64::try_from(v)
            .map(TomlNode::Int)
            .map_err(|_| E::custom("integer out of range"))
    }

    fn visit_f64<E>(self, v: f64) -> Result<TomlNode, E> {
        Ok(TomlNode::Float(v))
    }

    fn visit_str<E>(self, v: &str) -> Result<TomlNode, E> {
        Ok(TomlNode::Str(v.to_string()))
    }

    fn visit_string<E>(self, v: String) -> Result<TomlNode, E> {
        Ok(TomlNode::Str(v))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<TomlNode, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element::<Spanned<TomlNode>>()? {
            items.push(item);
        }
        Ok(TomlNode::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<TomlNode, A::Error> {
        let mut entries = Vec::new();
        while let Some(key) = map.next_key::<Spanned<String>>()? {
            let span = key.span();
            let value = map.next_value::<TomlNode>()?;
            entries.push(Entry {
                key: key.into_inner(),
                span,
                value,
            });
        }
        Ok(TomlNode::Table(entries))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Vec<Entry>, ConfigIssue> {
        Source {
            file: "t.toml",
            text,
        }
        .parse()
    }

    #[test]
    fn keeps_key_spans_in_implicit_tables() {
        let text = "fps = 3\n[contexts.\"prod\"]\nread_only = true\n";
        let entries = parse(text).expect("parses");
        let TomlNode::Table(contexts) = &entries[1].value else {
            panic!("contexts is a table");
        };
        let TomlNode::Table(prod) = &contexts[0].value else {
            panic!("prod is a table");
        };
        let line = |span: &Range<usize>| super::super::issues::line_col(text, span.start).0;
        assert_eq!(line(&prod[0].span), 3);
        assert_eq!(prod[0].key, "read_only");
    }

    #[test]
    fn arrays_of_tables_and_dotted_keys_parse() {
        let text = "a.b = 1\n[[home.keymap]]\non = \"j\"\nrun = \"down\"\n";
        assert!(parse(text).is_ok());
    }

    #[test]
    fn dates_are_an_issue_not_a_panic() {
        let issue = parse("\n\nfps = 1979-05-27\n").expect_err("dates are refused");
        assert_eq!(issue.line, Some(3));
        assert!(issue.problem.contains("dates"), "{issue}");
    }

    #[test]
    fn syntax_errors_have_a_line() {
        let issue = parse("a = 1\nb = \n").expect_err("syntax error");
        assert_eq!(issue.line, Some(2));
    }
}
