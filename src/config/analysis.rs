//! The analysis config file: metrics to judge a canary by. Every problem is reported with
//! its line and column; a bad metric is dropped and the others still load.

use super::issues::{unknown, ConfigIssue};
use super::toml_tree::{Entry, Source, TomlNode};
use crate::analysis::config::{unknown_placeholders, AnalysisConfig, MetricSpec, SELECTOR};
use crate::analysis::judge::{Direction, MetricRule, NanStrategy};
use std::path::Path;

const KEYS: [&str; 5] = ["confidence", "pass", "marginal", "groups", "metrics"];
const METRIC_KEYS: [&str; 11] = [
    "name",
    "group",
    "query",
    "direction",
    "critical",
    "must_have_data",
    "nan_strategy",
    "allowed_increase",
    "critical_increase",
    "allowed_decrease",
    "critical_decrease",
];

/// Reads an analysis config; what is wrong is reported and left out.
pub fn load(path: &Path, contents: &str) -> (AnalysisConfig, Vec<ConfigIssue>) {
    let file = path.display().to_string();
    let source = Source {
        file: &file,
        text: contents,
    };
    let mut config = AnalysisConfig::default();
    let mut issues = Vec::new();
    let entries = match source.parse() {
        Ok(entries) => entries,
        Err(issue) => return (config, vec![issue]),
    };
    for entry in &entries {
        match entry.key.as_str() {
            "confidence" => match number(&entry.value) {
                Some(v) if v > 0.5 && v < 1.0 => config.confidence = v,
                _ => issues.push(at_value(
                    &source,
                    entry,
                    "`confidence` must be a number between 0.5 and 1",
                    "for example 0.98 (the default)",
                )),
            },
            key @ ("pass" | "marginal") => match number(&entry.value) {
                Some(v) if (0.0..=100.0).contains(&v) => {
                    if key == "pass" {
                        config.thresholds.pass = v;
                    } else {
                        config.thresholds.marginal = v;
                    }
                }
                _ => issues.push(at_value(
                    &source,
                    entry,
                    format!("`{key}` must be a score from 0 to 100"),
                    "pass = 95, marginal = 75 (the defaults)",
                )),
            },
            "groups" => match &entry.value {
                TomlNode::Table(groups) => {
                    for g in groups {
                        match number(&g.value) {
                            Some(w) if w > 0.0 => config.groups.push((g.key.clone(), w)),
                            _ => issues.push(at_value(
                                &source,
                                g,
                                format!("group `{}` needs a positive weight", g.key),
                                "[groups] errors = 2",
                            )),
                        }
                    }
                }
                _ => issues.push(wrong_type(&source, entry, "a table", "[groups] errors = 2")),
            },
            "metrics" => match &entry.value {
                TomlNode::Array(items) => {
                    for item in items {
                        let span = item.span();
                        match item.get_ref() {
                            TomlNode::Table(fields) => {
                                if let Some(m) = metric(&source, span.clone(), fields, &mut issues)
                                {
                                    let same = |o: &MetricSpec| {
                                        o.name.trim().eq_ignore_ascii_case(m.name.trim())
                                    };
                                    if config.metrics.iter().any(same) {
                                        issues.push(source.issue(
                                            span,
                                            format!("metric `{}` is defined twice", m.name),
                                            "one [[metrics]] entry per name",
                                        ));
                                    } else {
                                        config.metrics.push(m);
                                    }
                                }
                            }
                            other => issues.push(source.issue(
                                span,
                                format!("a metric must be a table, found {}", other.kind()),
                                "[[metrics]] entries",
                            )),
                        }
                    }
                }
                _ => issues.push(wrong_type(
                    &source,
                    entry,
                    "an array of tables",
                    "[[metrics]]",
                )),
            },
            other => issues.push(source.issue(
                entry.span.clone(),
                unknown("key", other, &KEYS),
                KEYS.join(", "),
            )),
        }
    }
    if config.thresholds.marginal > config.thresholds.pass {
        let problem = format!(
            "`marginal` ({}) is above `pass` ({})",
            config.thresholds.marginal, config.thresholds.pass
        );
        // At whichever of the two the file sets, `marginal` first.
        let at = ["marginal", "pass"]
            .iter()
            .find_map(|k| entries.iter().find(|e| e.key == *k));
        issues.push(match at {
            Some(e) => at_value(&source, e, problem, "marginal ≤ pass"),
            None => ConfigIssue::new(&file, problem, "marginal ≤ pass"),
        });
    }
    if !entries.iter().any(|e| e.key == "metrics") {
        issues.push(ConfigIssue::new(
            &file,
            "no metrics: there is nothing to judge",
            "at least one [[metrics]] entry with a name and a query",
        ));
    }
    (config, issues)
}

/// A problem with an entry's value, placed at the value.
fn at_value(
    source: &Source<'_>,
    entry: &Entry,
    problem: impl Into<String>,
    expected: impl Into<String>,
) -> ConfigIssue {
    source.issue(source.value_span(entry), problem, expected)
}

/// "`key` must be X, found Y", at the value.
fn wrong_type(source: &Source<'_>, entry: &Entry, what: &str, expected: &str) -> ConfigIssue {
    at_value(
        source,
        entry,
        format!(
            "`{}` must be {what}, found {}",
            entry.key,
            entry.value.kind()
        ),
        expected,
    )
}

fn number(node: &TomlNode) -> Option<f64> {
    match node {
        TomlNode::Float(v) => Some(*v),
        TomlNode::Int(v) => Some(*v as f64),
        _ => None,
    }
}

fn metric(
    source: &Source<'_>,
    span: std::ops::Range<usize>,
    fields: &[Entry],
    issues: &mut Vec<ConfigIssue>,
) -> Option<MetricSpec> {
    let before = issues.len();
    let mut name = None;
    let mut group = None;
    let mut query = None;
    let mut rule = MetricRule::default();
    for f in fields {
        let text = |expected: &str, issues: &mut Vec<ConfigIssue>| match &f.value {
            TomlNode::Str(s) if !s.trim().is_empty() => Some(s.clone()),
            TomlNode::Str(_) => {
                issues.push(at_value(
                    source,
                    f,
                    format!("`{}` is empty", f.key),
                    expected,
                ));
                None
            }
            _ => {
                issues.push(wrong_type(source, f, "a string", expected));
                None
            }
        };
        let flag = |issues: &mut Vec<ConfigIssue>| match f.value {
            TomlNode::Bool(b) => Some(b),
            _ => {
                issues.push(wrong_type(source, f, "true or false", "true or false"));
                None
            }
        };
        let ratio = |increase: bool, issues: &mut Vec<ConfigIssue>| {
            let expected = if increase {
                "a mean ratio canary/baseline of 1 or more, e.g. 1.2 for +20%"
            } else {
                "a mean ratio canary/baseline above 0 and at most 1, e.g. 0.8 for −20%"
            };
            match number(&f.value) {
                Some(v) if increase && v >= 1.0 => Some(v),
                Some(v) if !increase && v > 0.0 && v <= 1.0 => Some(v),
                Some(v) => {
                    issues.push(at_value(
                        source,
                        f,
                        format!("`{}` ({v}) is out of range", f.key),
                        expected,
                    ));
                    None
                }
                None => {
                    issues.push(wrong_type(source, f, "a number", expected));
                    None
                }
            }
        };
        match f.key.as_str() {
            "name" => name = text("a name such as \"error ratio\"", issues),
            "group" => group = text("a group name such as \"errors\"", issues),
            "query" => {
                query = text("PromQL with {{selector}}", issues).filter(|q| {
                    let unknown = unknown_placeholders(q);
                    if !unknown.is_empty() {
                        issues.push(at_value(
                            source,
                            f,
                            format!("unknown placeholder {}", unknown.join(", ")),
                            "{{selector}}, {{namespace}}, {{name}}",
                        ));
                        false
                    } else if !q.contains(SELECTOR) {
                        issues.push(at_value(
                            source,
                            f,
                            "the query has no {{selector}}, so canary and baseline would be the same series",
                            r#"e.g. sum(rate(http_requests_total{ {{selector}}, code=~"5.." }[1m]))"#,
                        ));
                        false
                    } else {
                        true
                    }
                })
            }
            "direction" => match &f.value {
                TomlNode::Str(s) if s == "increase" => rule.direction = Direction::Increase,
                TomlNode::Str(s) if s == "decrease" => rule.direction = Direction::Decrease,
                TomlNode::Str(s) if s == "either" => rule.direction = Direction::Either,
                _ => issues.push(at_value(
                    source,
                    f,
                    "`direction` must be increase, decrease or either",
                    "increase (a rise is bad), decrease (a fall is bad) or either",
                )),
            },
            "nan_strategy" => match &f.value {
                TomlNode::Str(s) if s == "remove" => rule.nan_strategy = NanStrategy::Remove,
                TomlNode::Str(s) if s == "replace" => rule.nan_strategy = NanStrategy::Replace,
                _ => issues.push(at_value(
                    source,
                    f,
                    "`nan_strategy` must be remove or replace",
                    "remove (drop NaN samples) or replace (count them as 0)",
                )),
            },
            "critical" => rule.critical = flag(issues).unwrap_or(rule.critical),
            "must_have_data" => rule.must_have_data = flag(issues).unwrap_or(rule.must_have_data),
            "allowed_increase" => {
                rule.allowed_increase = ratio(true, issues).unwrap_or(rule.allowed_increase)
            }
            "critical_increase" => {
                rule.critical_increase = ratio(true, issues).unwrap_or(rule.critical_increase)
            }
            "allowed_decrease" => {
                rule.allowed_decrease = ratio(false, issues).unwrap_or(rule.allowed_decrease)
            }
            "critical_decrease" => {
                rule.critical_decrease = ratio(false, issues).unwrap_or(rule.critical_decrease)
            }
            other => issues.push(source.issue(
                f.span.clone(),
                unknown("metric key", other, &METRIC_KEYS),
                METRIC_KEYS.join(", "),
            )),
        }
    }
    // A critical bound looser than the allowed one would never fire: say so where it is set.
    let set = |key: &str| fields.iter().find(|f| f.key == key);
    if let (Some(c), true) = (
        set("critical_increase"),
        rule.critical_increase < rule.allowed_increase,
    ) {
        issues.push(at_value(
            source,
            c,
            format!(
                "`critical_increase` ({}) is below `allowed_increase` ({}): it would never fire",
                rule.critical_increase, rule.allowed_increase
            ),
            "critical_increase ≥ allowed_increase",
        ));
    }
    if let (Some(c), true) = (
        set("critical_decrease"),
        rule.critical_decrease > rule.allowed_decrease,
    ) {
        issues.push(at_value(
            source,
            c,
            format!(
                "`critical_decrease` ({}) is above `allowed_decrease` ({}): it would never fire",
                rule.critical_decrease, rule.allowed_decrease
            ),
            "critical_decrease ≤ allowed_decrease",
        ));
    }
    // Unset, the critical bound is the allowed one.
    rule.critical_increase = rule.critical_increase.max(rule.allowed_increase);
    rule.critical_decrease = rule.critical_decrease.min(rule.allowed_decrease);
    let (Some(name), Some(query)) = (name, query) else {
        if issues.len() == before {
            issues.push(source.issue(
                span,
                "a metric needs a `name` and a `query`",
                "name = \"error ratio\", query = \"... {{selector}} ...\"",
            ));
        }
        return None;
    };
    let group = group.unwrap_or_else(|| name.clone());
    (issues.len() == before).then_some(MetricSpec {
        name,
        group,
        query,
        rule,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load_str(text: &str) -> (AnalysisConfig, Vec<String>) {
        let (config, issues) = load(Path::new("analysis.toml"), text);
        (config, issues.iter().map(|i| i.to_string()).collect())
    }

    #[test]
    fn shipped_examples_load_without_problems() {
        for (name, text) in crate::config::analysis_examples() {
            let (config, issues) = load(Path::new(name), text);
            assert!(issues.is_empty(), "{name}: {issues:?}");
            assert!(!config.metrics.is_empty(), "{name}");
        }
    }

    #[test]
    fn a_full_metric_is_read() {
        let (config, issues) = load_str(
            r#"
confidence = 0.95
pass = 90
marginal = 60
[groups]
errors = 3
[[metrics]]
name = "error ratio"
group = "errors"
query = "sum(rate(x{ {{selector}} }[1m]))"
direction = "either"
critical = true
must_have_data = true
nan_strategy = "replace"
allowed_increase = 1.2
critical_increase = 1.5
allowed_decrease = 0.8
critical_decrease = 0.5
"#,
        );
        assert!(issues.is_empty(), "{issues:?}");
        assert_eq!(config.confidence, 0.95);
        assert_eq!(
            (config.thresholds.pass, config.thresholds.marginal),
            (90.0, 60.0)
        );
        assert_eq!(config.groups, [("errors".to_owned(), 3.0)]);
        let m = &config.metrics[0];
        assert_eq!(
            (m.name.as_str(), m.group.as_str()),
            ("error ratio", "errors")
        );
        assert_eq!(m.rule.direction, Direction::Either);
        assert!(m.rule.critical && m.rule.must_have_data);
        assert_eq!(m.rule.nan_strategy, NanStrategy::Replace);
        assert_eq!(
            (m.rule.allowed_increase, m.rule.critical_increase),
            (1.2, 1.5)
        );
        assert_eq!(
            (m.rule.allowed_decrease, m.rule.critical_decrease),
            (0.8, 0.5)
        );
    }

    #[test]
    fn problems_name_their_line_and_the_good_metrics_still_load() {
        let (config, issues) = load_str(
            r#"confidence = 2
[[metrics]]
name = "ok"
query = "x{ {{selector}} }"
[[metrics]]
name = "no selector"
query = "sum(x)"
[[metrics]]
name = "typo"
query = "x{ {{selectr}} }"
direction = "up"
[[metrics]]
name = "bounds"
query = "x{ {{selector}} }"
allowed_increase = 0.5
treshold = 1
"#,
        );
        assert_eq!(config.metrics.len(), 1, "{issues:?}");
        assert_eq!(config.metrics[0].name, "ok");
        let text = issues.join("\n");
        assert!(
            text.contains("analysis.toml:1:14: `confidence` must be"),
            "{text}"
        );
        assert!(
            text.contains("analysis.toml:7:9: the query has no {{selector}}"),
            "{text}"
        );
        assert!(
            text.contains("analysis.toml:10:9: unknown placeholder {{selectr}}"),
            "{text}"
        );
        assert!(
            text.contains("analysis.toml:11:13: `direction` must be"),
            "{text}"
        );
        assert!(
            text.contains("analysis.toml:15:20: `allowed_increase` (0.5) is out of range"),
            "{text}"
        );
        assert!(
            text.contains("analysis.toml:16:1: unknown metric key `treshold`"),
            "{text}"
        );
    }

    #[test]
    fn duplicates_missing_fields_and_empty_files_are_reported() {
        let (_, issues) = load_str("[[metrics]]\nname = \"a\"\nquery = \"x{ {{selector}} }\"\n[[metrics]]\nname = \"a\"\nquery = \"y{ {{selector}} }\"\n[[metrics]]\ngroup = \"g\"\n");
        let text = issues.join("\n");
        assert!(text.contains("metric `a` is defined twice"), "{text}");
        assert!(text.contains("needs a `name` and a `query`"), "{text}");
        let (_, issues) = load_str("pass = 70\nmarginal = 80\n");
        let text = issues.join("\n");
        assert!(
            text.contains("`marginal` (80) is above `pass` (70)"),
            "{text}"
        );
        assert!(text.contains("no metrics"), "{text}");
    }

    #[test]
    fn metric_problems_are_typed_placed_at_their_value_and_checked_against_each_other() {
        let (config, issues) = load_str(
            r#"[[metrics]]
name = "errors"
query = "x{ {{selector}} }"
allowed_increase = "high"
critical_increase = 0.5

[[metrics]]
name = "latency"
query = ""

[[metrics]]
name = "errors"
query = "y{ {{selector}} }"
allowed_increase = 1.5
critical_increase = 1.2
allowed_decrease = 0.8
critical_decrease = 0.9
"#,
        );
        let find = |what: &str| {
            issues
                .iter()
                .find(|i| i.contains(what))
                .unwrap_or_else(|| panic!("{what:?} not in {issues:#?}"))
                .clone()
        };
        assert!(
            find("`allowed_increase` must be a number, found a string")
                .starts_with("analysis.toml:4:20:"),
            "{issues:#?}"
        );
        assert!(
            find("`critical_increase` (0.5) is out of range").starts_with("analysis.toml:5:21:")
        );
        assert!(find("`query` is empty").starts_with("analysis.toml:9:9:"));
        assert!(!issues
            .iter()
            .any(|i| i.contains("found a string") && i.contains("query")));
        assert!(find(
            "`critical_increase` (1.2) is below `allowed_increase` (1.5): it would never fire"
        )
        .starts_with("analysis.toml:15:21:"));
        assert!(
            find("`critical_decrease` (0.9) is above `allowed_decrease` (0.8)")
                .starts_with("analysis.toml:17:21:")
        );
        assert!(config.metrics.is_empty(), "{config:?}");
        // One name twice, however it is spaced or capitalised.
        let (config, issues) = load_str(
            "[[metrics]]\nname = \"errors\"\nquery = \"x{ {{selector}} }\"\n\
             [[metrics]]\nname = \"Errors \"\nquery = \"y{ {{selector}} }\"\n",
        );
        assert_eq!(config.metrics.len(), 1);
        assert!(
            issues.iter().any(|i| i.contains("defined twice")),
            "{issues:#?}"
        );
    }
}
