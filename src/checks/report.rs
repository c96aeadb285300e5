//! Findings as a table, as JSON, and as SARIF 2.1.0 for code-scanning tools.

use super::codes;
use super::inventory::{Inventory, Source};
use super::load::LoadError;
use crate::model::text::inert;
use crate::model::{Finding, Severity};
use serde_json::{json, Value};

/// A finding with the file and line of its object, when it came from a file.
#[derive(Debug, Clone, PartialEq)]
pub struct Located {
    pub finding: Finding,
    pub source: Option<Source>,
}

pub fn locate(inv: &Inventory, findings: Vec<Finding>) -> Vec<Located> {
    findings
        .into_iter()
        .map(|finding| Located {
            source: inv.source_of(&finding.object).cloned(),
            finding,
        })
        .collect()
}

/// Counts per severity, most severe first.
pub fn counts(found: &[Located]) -> Vec<(Severity, usize)> {
    Severity::ALL
        .into_iter()
        .map(|s| (s, found.iter().filter(|f| f.finding.severity == s).count()))
        .collect()
}

fn summary(found: &[Located]) -> String {
    let parts: Vec<String> = counts(found)
        .into_iter()
        .filter(|(_, n)| *n > 0)
        .map(|(s, n)| format!("{n} {s}"))
        .collect();
    match found.len() {
        0 => "no findings".to_owned(),
        1 => format!("1 finding: {}", parts.join(", ")),
        n => format!("{n} findings: {}", parts.join(", ")),
    }
}

/// One finding per block: severity, code, object and where, then message and remedy.
pub fn table(found: &[Located]) -> String {
    let mut out = String::new();
    for l in found {
        let f = &l.finding;
        let place = match &l.source {
            Some(s) => format!(" ({}:{})", s.file, s.line),
            None => String::new(),
        };
        let path = if f.path.is_empty() {
            String::new()
        } else {
            format!(" {}", f.path)
        };
        out.push_str(&format!(
            "{:<8} {:<7} {}{}{}\n         {}\n         fix: {}\n",
            f.severity.word().to_uppercase(),
            f.code,
            inert(&f.object.to_string()),
            inert(&path),
            inert(&place),
            inert(&f.message),
            f.remediation,
        ));
    }
    out.push_str(&summary(found));
    out.push('\n');
    out
}

pub fn json(found: &[Located], errors: &[LoadError]) -> Value {
    let findings: Vec<Value> = found
        .iter()
        .map(|l| {
            let f = &l.finding;
            let title = codes::by_id(f.code).map_or("", |c| c.title);
            json!({
                "code": f.code,
                "severity": f.severity,
                "title": title,
                "object": f.object,
                "path": f.path,
                "message": f.message,
                "remediation": f.remediation,
                "file": l.source.as_ref().map(|s| &s.file),
                "line": l.source.as_ref().map(|s| s.line),
            })
        })
        .collect();
    let summary: serde_json::Map<String, Value> = counts(found)
        .into_iter()
        .map(|(s, n)| (s.word().to_owned(), json!(n)))
        .collect();
    let errors: Vec<Value> = errors
        .iter()
        .map(|e| json!({"file": e.file, "line": e.line, "message": e.message}))
        .collect();
    json!({ "findings": findings, "summary": summary, "errors": errors })
}

fn level(s: Severity) -> &'static str {
    match s {
        Severity::Critical | Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low => "note",
    }
}

/// The score code-scanning tools rank security results by (0 to 10).
fn security_severity(s: Severity) -> &'static str {
    match s {
        Severity::Critical => "9.5",
        Severity::High => "8.0",
        Severity::Medium => "5.5",
        Severity::Low => "3.0",
    }
}

fn physical(file: &str, line: usize) -> Value {
    json!({
        "physicalLocation": {
            "artifactLocation": { "uri": file },
            "region": { "startLine": line.max(1) }
        }
    })
}

/// A SARIF 2.1.0 log with one run; every code is a rule, so viewers can explain each.
pub fn sarif(found: &[Located], errors: &[LoadError]) -> Value {
    let rules: Vec<Value> = codes::CODES
        .iter()
        .map(|c| {
            json!({
                "id": c.id,
                "name": c.title,
                "shortDescription": { "text": c.title },
                "help": { "text": c.remediation },
                "defaultConfiguration": { "level": level(c.severity) },
                "properties": {
                    "security-severity": security_severity(c.severity),
                    "tags": ["security"],
                },
            })
        })
        .collect();
    let results: Vec<Value> = found
        .iter()
        .map(|l| {
            let f = &l.finding;
            let index = codes::CODES.iter().position(|c| c.id == f.code);
            let name = if f.path.is_empty() {
                f.object.to_string()
            } else {
                format!("{} {}", f.object, f.path)
            };
            let mut location = match &l.source {
                Some(s) => physical(&s.file, s.line),
                None => json!({}),
            };
            location["logicalLocations"] = json!([{ "fullyQualifiedName": name, "kind": "object" }]);
            json!({
                "ruleId": f.code,
                "ruleIndex": index,
                "level": level(f.severity),
                "message": { "text": format!("{}: {} Fix: {}", f.object, f.message, f.remediation) },
                "locations": [location],
                "properties": { "severity": f.severity },
            })
        })
        .collect();
    let notifications: Vec<Value> = errors
        .iter()
        .map(|e| {
            json!({
                "level": "error",
                "message": { "text": e.message },
                "locations": [physical(&e.file, e.line)],
            })
        })
        .collect();
    json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": { "driver": {
                "name": "ripcord",
                "version": env!("CARGO_PKG_VERSION"),
                "rules": rules,
            }},
            "invocations": [{
                "executionSuccessful": errors.is_empty(),
                "toolExecutionNotifications": notifications,
            }],
            "results": results,
        }]
    })
}
