//! Targeting rules in words, one line, and the split of a `fractional` rule, for people.

use super::logic::bucket_weights;
use serde_json::Value;

/// A one-line reading of a targeting rule, e.g.
/// `if email ends with "@acme.com" then "on" else split "a" 50% / "b" 50%`.
pub fn summary(rule: &Value) -> String {
    let mut out = String::new();
    write(rule, &mut out, 0);
    out
}

fn literal(v: &Value) -> String {
    match v {
        Value::String(s) => format!("{s:?}"),
        other => other.to_string(),
    }
}

fn args(v: &Value) -> &[Value] {
    match v {
        Value::Array(a) => a,
        other => std::slice::from_ref(other),
    }
}

fn write(rule: &Value, out: &mut String, depth: usize) {
    if depth > 12 {
        out.push('…');
        return;
    }
    let Value::Object(map) = rule else {
        out.push_str(&literal(rule));
        return;
    };
    if map.len() != 1 {
        out.push_str(&literal(rule));
        return;
    }
    let Some((op, value)) = map.iter().next() else {
        return;
    };
    let a = args(value);
    let sub = |v: &Value, out: &mut String| write(v, out, depth + 1);
    let infix = |word: &str, out: &mut String| {
        for (i, v) in a.iter().enumerate() {
            if i > 0 {
                out.push_str(&format!(" {word} "));
            }
            sub(v, out);
        }
    };
    match op.as_str() {
        "var" => match a.first() {
            Some(Value::String(path)) => out.push_str(path),
            Some(other) => out.push_str(&literal(other)),
            None => out.push_str("context"),
        },
        "if" | "?:" => {
            let mut i = 0;
            while i + 1 < a.len() {
                out.push_str(if i == 0 { "if " } else { " else if " });
                sub(&a[i], out);
                out.push_str(" then ");
                sub(&a[i + 1], out);
                i += 2;
            }
            if a.len() % 2 == 1 {
                out.push_str(if a.len() == 1 { "" } else { " else " });
                sub(&a[a.len() - 1], out);
            }
        }
        "==" | "===" => infix("=", out),
        "!=" | "!==" => infix("≠", out),
        "<" | "<=" | ">" | ">=" => infix(op, out),
        "and" | "or" => infix(op, out),
        "+" | "-" | "*" | "/" | "%" => infix(op, out),
        "!" => {
            out.push_str("not ");
            if let Some(v) = a.first() {
                sub(v, out);
            }
        }
        "!!" => {
            if let Some(v) = a.first() {
                sub(v, out);
            }
            out.push_str(" is set");
        }
        "in" => {
            if let [needle, hay, ..] = a {
                sub(needle, out);
                out.push_str(" in ");
                sub(hay, out);
            }
        }
        "starts_with" | "ends_with" => {
            if let [s, t, ..] = a {
                sub(s, out);
                out.push_str(if op == "starts_with" {
                    " starts with "
                } else {
                    " ends with "
                });
                sub(t, out);
            }
        }
        "sem_ver" => {
            if let [v, o, t, ..] = a {
                sub(v, out);
                out.push_str(&format!(" {} ", o.as_str().unwrap_or("?")));
                out.push_str(literal(t).trim_matches('"'));
            }
        }
        "fractional" => {
            out.push_str("split ");
            let (by, buckets) = match a.first() {
                Some(Value::Array(_)) | None => (None, a),
                Some(first) => (Some(first), &a[1..]),
            };
            let shares = split(buckets);
            let parts: Vec<String> = match &shares {
                Some(shares) => shares
                    .iter()
                    .map(|(name, pct)| format!("{} {}%", literal(name), round(*pct)))
                    .collect(),
                None => buckets
                    .iter()
                    .map(|b| {
                        let mut s = String::new();
                        sub(b, &mut s);
                        s
                    })
                    .collect(),
            };
            out.push_str(&parts.join(" / "));
            match by {
                Some(v) if !v.is_null() => {
                    out.push_str(" by ");
                    sub(v, out);
                }
                _ => out.push_str(" by targetingKey"),
            }
        }
        "$ref" => out.push_str(&format!("$ref {}", literal(value))),
        "cat" => infix("+", out),
        _ => {
            out.push_str(op);
            out.push('(');
            for (i, v) in a.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                sub(v, out);
            }
            out.push(')');
        }
    }
}

fn round(pct: f64) -> String {
    if (pct - pct.round()).abs() < 0.05 {
        format!("{}", pct.round())
    } else {
        format!("{pct:.1}")
    }
}

/// The shares of `[variant, weight]` buckets in percent; `None` when a weight is not a plain
/// number or all are zero.
fn split(buckets: &[Value]) -> Option<Vec<(Value, f64)>> {
    let weights = bucket_weights(buckets)?;
    let total: i64 = weights.iter().map(|(_, w)| w).sum();
    if total == 0 {
        return None;
    }
    Some(
        weights
            .into_iter()
            .map(|(v, w)| (v.clone(), 100.0 * w as f64 / total as f64))
            .collect(),
    )
}

/// The first `fractional` in a rule with literal weights, as (variant, percent) pairs.
pub fn fractional_split(rule: &Value) -> Option<Vec<(String, f64)>> {
    match rule {
        Value::Object(map) if map.len() == 1 => {
            let (op, value) = map.iter().next()?;
            if op == "fractional" {
                let a = args(value);
                let buckets = match a.first() {
                    Some(Value::Array(_)) => a,
                    Some(_) => &a[1..],
                    None => a,
                };
                return split(buckets).map(|shares| {
                    shares
                        .into_iter()
                        .map(|(v, p)| {
                            let name = match v {
                                Value::String(s) => s,
                                other => other.to_string(),
                            };
                            (name, p)
                        })
                        .collect()
                });
            }
            args(value).iter().find_map(fractional_split)
        }
        Value::Array(items) => items.iter().find_map(fractional_split),
        _ => None,
    }
}

/// Glyphs of a split's successive variants.
pub const BAR_GLYPHS: [char; 5] = ['█', '▓', '▒', '░', '▚'];

/// A text bar of `width` cells for a split, each variant's share in its own glyph.
pub fn bar(split: &[(String, f64)], width: usize) -> String {
    let mut out = String::with_capacity(width * 3);
    let mut filled = 0.0;
    for (i, (_, pct)) in split.iter().enumerate() {
        let start = out.chars().count();
        filled += pct * width as f64 / 100.0;
        let end = (filled.round() as usize).min(width);
        let mark = BAR_GLYPHS[i % BAR_GLYPHS.len()];
        for _ in start..end {
            out.push(mark);
        }
    }
    while out.chars().count() < width {
        out.push('·');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reads_rules_as_words() {
        assert_eq!(
            summary(&json!({"if": [{"ends_with": [{"var": "email"}, "@acme.com"]}, "on", "off"]})),
            r#"if email ends with "@acme.com" then "on" else "off""#
        );
        assert_eq!(
            summary(
                &json!({"if": [{"==": [{"var": "tier"}, "gold"]}, "a", {"in": [{"var": "country"}, ["de", "fr"]]}, "b"]})
            ),
            r#"if tier = "gold" then "a" else if country in ["de","fr"] then "b""#
        );
        assert_eq!(
            summary(&json!({"fractional": [["a", 25], ["b", 75]]})),
            r#"split "a" 25% / "b" 75% by targetingKey"#
        );
        assert_eq!(
            summary(&json!({"fractional": [{"var": "user.id"}, ["a", 1], ["b", 2]]})),
            r#"split "a" 33.3% / "b" 66.7% by user.id"#
        );
        assert_eq!(
            summary(&json!({"sem_ver": [{"var": "version"}, ">=", "1.2.0"]})),
            "version >= 1.2.0"
        );
        assert_eq!(
            summary(&json!({"and": [{"!": {"var": "beta"}}, true]})),
            "not beta and true"
        );
        assert_eq!(summary(&json!({"custom": [1, 2]})), "custom(1, 2)");
    }

    #[test]
    fn finds_the_fractional_split_and_draws_it() {
        let rule = json!({"if": [{"var": "x"}, {"fractional": [["on", 10], ["off", 90]]}, "off"]});
        let split = fractional_split(&rule).expect("a split");
        assert_eq!(
            split,
            vec![("on".to_string(), 10.0), ("off".to_string(), 90.0)]
        );
        assert_eq!(bar(&split, 10), "█▓▓▓▓▓▓▓▓▓");
        assert_eq!(fractional_split(&json!({"if": [true, "a"]})), None);
        assert_eq!(
            fractional_split(&json!({"fractional": [["a", {"var": "w"}]]})),
            None,
            "a computed weight has no fixed split"
        );
        assert_eq!(bar(&[("a".into(), 50.0)], 4), "██··");
    }
}
