//! What an analysis judges: metrics as PromQL templates with their rules, in weighted
//! groups, and the score thresholds. Read from TOML by `config::analysis`.

use super::judge::{MetricRule, DEFAULT_CONFIDENCE};
use super::score::Thresholds;

/// The placeholder a query must contain: each side's pod selector.
pub const SELECTOR: &str = "{{selector}}";
/// Every placeholder a query may use.
pub const PLACEHOLDERS: [&str; 3] = [SELECTOR, "{{namespace}}", "{{name}}"];

#[derive(Debug, Clone, PartialEq)]
pub struct AnalysisConfig {
    pub confidence: f64,
    pub thresholds: Thresholds,
    /// Group name and weight; a metric's group without an entry weighs 1.
    pub groups: Vec<(String, f64)>,
    pub metrics: Vec<MetricSpec>,
}

impl Default for AnalysisConfig {
    fn default() -> Self {
        AnalysisConfig {
            confidence: DEFAULT_CONFIDENCE,
            thresholds: Thresholds::default(),
            groups: Vec::new(),
            metrics: Vec::new(),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct MetricSpec {
    pub name: String,
    pub group: String,
    /// PromQL with `{{selector}}` where each side's label matchers go.
    pub query: String,
    pub rule: MetricRule,
}

/// Where a query runs: the release's namespace and name, and one side's label matchers
/// (for example `pod_template_hash="5d8f7"` or `version="canary"`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Side<'a> {
    pub namespace: &'a str,
    pub name: &'a str,
    pub selector: &'a str,
}

impl MetricSpec {
    /// The query for one side, placeholders filled in.
    pub fn query_for(&self, side: &Side<'_>) -> String {
        self.query
            .replace(SELECTOR, side.selector)
            .replace("{{namespace}}", side.namespace)
            .replace("{{name}}", side.name)
    }
}

/// Placeholders in `query` that ripcord does not know, for config errors.
pub fn unknown_placeholders(query: &str) -> Vec<String> {
    let mut found = Vec::new();
    let mut rest = query;
    while let Some(start) = rest.find("{{") {
        let Some(len) = rest[start..].find("}}") else {
            found.push(rest[start..].to_owned());
            break;
        };
        let placeholder = &rest[start..start + len + 2];
        if !PLACEHOLDERS.contains(&placeholder) {
            found.push(placeholder.to_owned());
        }
        rest = &rest[start + len + 2..];
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queries_are_filled_per_side() {
        let spec = MetricSpec {
            name: "errors".into(),
            group: "errors".into(),
            query: r#"sum(rate(http_requests_total{namespace="{{namespace}}", {{selector}}, code=~"5.."}[1m]))"#.into(),
            rule: MetricRule::default(),
        };
        let side = Side {
            namespace: "shop",
            name: "checkout",
            selector: r#"pod_template_hash="abc""#,
        };
        assert_eq!(
            spec.query_for(&side),
            r#"sum(rate(http_requests_total{namespace="shop", pod_template_hash="abc", code=~"5.."}[1m]))"#
        );
    }

    #[test]
    fn unknown_placeholders_are_found() {
        assert!(unknown_placeholders("x{ {{selector}} } {{namespace}}").is_empty());
        assert_eq!(
            unknown_placeholders("x{{selectr}} {{name}} {{oops"),
            ["{{selectr}}", "{{oops"]
        );
        // Back to back, and one reported once even when it holds another's opening.
        assert_eq!(unknown_placeholders("{{x}}{{y}}"), ["{{x}}", "{{y}}"]);
        assert_eq!(unknown_placeholders("{{ab{{}}"), ["{{ab{{}}"]);
    }
}
