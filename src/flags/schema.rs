//! The rules of flagd's flag schema (`flags.json`) on a definition, checked before an edit
//! is written: flags keyed by non-empty names; `state` ENABLED or DISABLED; at least one
//! variant, all of one type (boolean, number, string or object); `defaultVariant` a string
//! or null; `targeting` and `$evaluators` objects; metadata values strings, numbers or
//! booleans; and no field in a flag but those (`key` too, in the list form): a misspelt
//! field, such as `defaultvariant`, would otherwise change what the flag serves unseen.
//! The targeting rules' own grammar (`targeting.json`) is not checked here. Loading a
//! definition applies these rules to each flag, as an edit does before it is written.

use serde_json::{Map, Value};

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

fn metadata(at: &str, v: &Value, out: &mut Vec<String>) {
    let Value::Object(map) = v else {
        out.push(format!("{at}: metadata must be an object"));
        return;
    };
    for (k, v) in map {
        if !matches!(v, Value::String(_) | Value::Number(_) | Value::Bool(_)) {
            out.push(format!(
                "{at}: metadata {k:?} is {}, not a string, number or boolean",
                kind(v)
            ));
        }
    }
}

/// The fields a flag may have.
const FIELDS: [&str; 6] = [
    "state",
    "variants",
    "defaultVariant",
    "targeting",
    "metadata",
    "key",
];

/// Every way flag `key` breaks the rules above; empty when it conforms.
pub fn flag_problems(key: &str, f: &Map<String, Value>) -> Vec<String> {
    let mut out = Vec::new();
    flag(key, f, &mut out);
    out
}

fn flag(key: &str, flag: &Map<String, Value>, out: &mut Vec<String>) {
    let at = format!("flag {key:?}");
    for field in flag.keys() {
        if !FIELDS.contains(&field.as_str()) {
            out.push(format!("{at}: unknown field {field:?}"));
        }
    }
    match flag.get("state") {
        Some(Value::String(s)) if s == "ENABLED" || s == "DISABLED" => {}
        Some(other) => out.push(format!("{at}: state {other} is not ENABLED or DISABLED")),
        None => out.push(format!("{at}: no state")),
    }
    match flag.get("variants") {
        Some(Value::Object(variants)) if !variants.is_empty() => {
            let mut kinds: Vec<&str> = variants.values().map(kind).collect();
            kinds.sort_unstable();
            kinds.dedup();
            match kinds.as_slice() {
                [one] if ["boolean", "number", "string", "object"].contains(one) => {}
                [one] => out.push(format!("{at}: variants are {one}s")),
                many => out.push(format!("{at}: variants mix {}", many.join(", "))),
            }
            if variants.keys().any(String::is_empty) {
                out.push(format!("{at}: a variant has an empty name"));
            }
        }
        Some(_) => out.push(format!(
            "{at}: variants must be an object with at least one"
        )),
        None => out.push(format!("{at}: no variants")),
    }
    match flag.get("defaultVariant") {
        None | Some(Value::Null | Value::String(_)) => {}
        Some(other) => out.push(format!("{at}: defaultVariant is {}", kind(other))),
    }
    if let Some(t) = flag.get("targeting") {
        if !t.is_object() {
            out.push(format!("{at}: targeting must be an object"));
        }
    }
    if let Some(m) = flag.get("metadata") {
        metadata(&at, m, out);
    }
}

/// Every way `doc` breaks the schema's rules above; empty when it conforms.
pub fn problems(doc: &Value) -> Vec<String> {
    let mut out = Vec::new();
    let Value::Object(root) = doc else {
        return vec!["a definition is a JSON object".into()];
    };
    match root.get("flags") {
        Some(Value::Object(flags)) => {
            for (key, f) in flags {
                if key.is_empty() {
                    out.push("a flag has an empty key".into());
                }
                match f {
                    Value::Object(f) => flag(key, f, &mut out),
                    other => out.push(format!("flag {key:?} is {}", kind(other))),
                }
            }
        }
        Some(Value::Array(flags)) => {
            for f in flags {
                let key = f.get("key").and_then(Value::as_str).unwrap_or("");
                match f {
                    Value::Object(f) => flag(key, f, &mut out),
                    other => out.push(format!("a flag is {}", kind(other))),
                }
            }
        }
        _ => out.push("\"flags\" must be an object".into()),
    }
    if let Some(e) = root.get("$evaluators") {
        if !e.is_object() {
            out.push("\"$evaluators\" must be an object".into());
        }
    }
    if let Some(m) = root.get("metadata") {
        metadata("the flag set", m, &mut out);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_schema_fixtures_own_examples_conform() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../shared/fixtures/flagd/testbed/evaluator/flags/testkit-flags.json");
        let text = std::fs::read_to_string(&dir).expect("the flagd testbed flags");
        let doc: Value = serde_json::from_str(&text).expect("JSON");
        assert_eq!(problems(&doc), Vec::<String>::new());
    }

    #[test]
    fn finds_what_the_schema_forbids() {
        let doc = json!({
            "flags": {
                "mixed": {"state": "ENABLED", "variants": {"a": true, "b": "x"}},
                "arrays": {"state": "ENABLED", "variants": {"a": [1]}},
                "bad-state": {"state": "ON", "variants": {"a": 1}},
                "bad-default": {"state": "ENABLED", "variants": {"a": 1}, "defaultVariant": 1},
                "bad-meta": {"state": "ENABLED", "variants": {"a": 1}, "metadata": {"m": [1]}},
                "empty-name": {"state": "ENABLED", "variants": {"": 1}},
                "typo": {"state": "ENABLED", "variants": {"a": 1}, "defaultvariant": "a"},
                "": {"state": "ENABLED", "variants": {"a": 1}},
                "ok": {"state": "DISABLED", "variants": {"a": {"x": 1}, "b": {}}, "defaultVariant": null}
            },
            "metadata": {"set": {"nested": true}}
        });
        let found = problems(&doc).join("\n");
        for words in [
            "flag \"mixed\": variants mix boolean, string",
            "flag \"arrays\": variants are arrays",
            "flag \"bad-state\": state \"ON\"",
            "flag \"bad-default\": defaultVariant is number",
            "flag \"bad-meta\": metadata \"m\" is array",
            "flag \"empty-name\": a variant has an empty name",
            "a flag has an empty key",
            "flag \"typo\": unknown field \"defaultvariant\"",
            "the flag set: metadata \"set\" is object",
        ] {
            assert!(found.contains(words), "{words} not in:\n{found}");
        }
        assert!(!found.contains("\"ok\""), "{found}");
    }
}
