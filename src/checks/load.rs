//! Manifests as text into objects: multi-document YAML, JSON, and `List` kinds unpacked.
//! Each object keeps the file and line it starts on; a document that does not parse becomes
//! an error with its file:line, and the other documents are still read.

use super::inventory::{Inventory, Source};
use serde_json::Value;
use std::fmt;

/// A document that could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadError {
    pub file: String,
    pub line: usize,
    pub message: String,
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: {}", self.file, self.line, self.message)
    }
}

/// What one file held.
#[derive(Debug, Default)]
pub struct Loaded {
    pub objects: Vec<(Value, Source)>,
    pub errors: Vec<LoadError>,
    /// Documents that are not Kubernetes objects (no apiVersion or kind), by file:line.
    pub skipped: Vec<Source>,
}

/// Reads every object in a file's text.
pub fn parse(file: &str, text: &str) -> Loaded {
    let mut loaded = Loaded::default();
    let trimmed = text.trim_start();
    if trimmed.starts_with('{') || trimmed.starts_with('[') {
        let start = 1 + text[..text.len() - trimmed.len()].matches('\n').count();
        let mut stream = serde_json::Deserializer::from_str(text).into_iter::<Value>();
        loop {
            match stream.next() {
                None => break,
                Some(Ok(v)) => unpack(
                    v,
                    &Source {
                        file: file.into(),
                        line: start,
                    },
                    &mut loaded,
                ),
                Some(Err(e)) => {
                    loaded.errors.push(LoadError {
                        file: file.into(),
                        line: e.line().max(1),
                        message: format!("invalid JSON: {e}"),
                    });
                    break;
                }
            }
        }
        return loaded;
    }
    for (line, doc) in documents(text) {
        if doc.lines().all(|l| {
            let l = l.trim();
            l.is_empty() || l.starts_with('#')
        }) {
            continue;
        }
        match serde_saphyr::from_str::<Value>(doc) {
            Ok(Value::Null) => {}
            Ok(v) => {
                let first = line
                    + doc
                        .lines()
                        .take_while(|l| {
                            let l = l.trim();
                            l.is_empty() || l.starts_with('#')
                        })
                        .count();
                unpack(
                    v,
                    &Source {
                        file: file.into(),
                        line: first,
                    },
                    &mut loaded,
                )
            }
            Err(e) => {
                let at = e
                    .location()
                    .map_or(1, |l| usize::try_from(l.line()).unwrap_or(1));
                loaded.errors.push(LoadError {
                    file: file.into(),
                    line: line + at.max(1) - 1,
                    message: format!("invalid YAML: {}", yaml_reason(&e.to_string())),
                });
            }
        }
    }
    loaded
}

/// The parser's reason alone: its position is relative to the document, and the snippet
/// it quotes could hold a secret.
fn yaml_reason(message: &str) -> String {
    let first = message.lines().next().unwrap_or_default();
    let first = first.strip_prefix("error: ").unwrap_or(first);
    match first.strip_prefix("line ").and_then(|r| r.split_once(": ")) {
        Some((_, reason)) => reason.to_owned(),
        None => first.to_owned(),
    }
}

/// YAML documents of a stream with the line each starts on (1-based).
fn documents(text: &str) -> Vec<(usize, &str)> {
    let mut docs = Vec::new();
    let mut start_byte = 0;
    let mut start_line = 1;
    let mut offset = 0;
    for (i, line) in text.split_inclusive('\n').enumerate() {
        let bare = line.trim_end();
        let marker = bare == "---" || bare.starts_with("--- ") || bare == "...";
        if marker {
            docs.push((start_line, &text[start_byte..offset]));
            start_byte = offset + line.len();
            start_line = i + 2;
            if let Some(rest) = bare.strip_prefix("--- ") {
                // `--- value` on the marker line: keep it with its document.
                if !rest.trim().is_empty() && !rest.trim().starts_with('#') {
                    start_byte = offset + 4;
                    start_line = i + 1;
                }
            }
        }
        offset += line.len();
    }
    docs.push((start_line, &text[start_byte..]));
    docs
}

/// An object, or each item of a List (nested Lists too).
fn unpack(v: Value, source: &Source, loaded: &mut Loaded) {
    match v {
        Value::Array(items) => {
            for item in items {
                unpack(item, source, loaded);
            }
        }
        Value::Object(mut map) => {
            let is_list = map
                .get("kind")
                .and_then(Value::as_str)
                .is_some_and(|k| k.ends_with("List"))
                && map.get("items").is_some_and(Value::is_array);
            if is_list {
                if let Some(Value::Array(items)) = map.remove("items") {
                    for item in items {
                        unpack(item, source, loaded);
                    }
                }
                return;
            }
            let v = Value::Object(map);
            if Inventory::key_of(&v).is_ok() {
                loaded.objects.push((v, source.clone()));
            } else {
                loaded.skipped.push(source.clone());
            }
        }
        _ => loaded.skipped.push(source.clone()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documents_keep_their_lines() {
        let text = "a: 1\n---\n# note\nkind: x\n---\nb: [\n";
        let loaded = parse("f.yaml", text);
        assert_eq!(loaded.errors.len(), 1, "{:?}", loaded.errors);
        assert_eq!(loaded.errors[0].line, 6, "{}", loaded.errors[0]);
        assert_eq!(
            loaded.errors[0].message,
            "invalid YAML: unclosed bracket '['"
        );
        assert_eq!(loaded.skipped.len(), 2);
        assert_eq!(loaded.skipped[1].line, 4);
    }
}
