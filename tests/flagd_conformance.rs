//! flagd's evaluator conformance suite (Gherkin scenarios and their flag file, in
//! ../shared/fixtures/flagd/testbed/evaluator) run against ripcord's evaluator. Scenarios
//! for the legacy `@fractional-v1` bucketing are skipped and listed; every other one must
//! pass.

use ripcord::flags::{FlagSet, FlagType, Resolution};
use serde_json::{json, Value};
use std::io::Write;
use std::path::{Path, PathBuf};

fn testbed() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/fixtures/flagd/testbed/evaluator")
}

/// Tags whose scenarios are skipped, and why.
const SKIPPED_TAGS: &[(&str, &str)] = &[(
    "@fractional-v1",
    "legacy float bucketing; ripcord evaluates flagd's current bucketing (@fractional-v2)",
)];

#[derive(Debug, Clone)]
struct Step {
    text: String,
    table: Vec<Vec<String>>,
}

#[derive(Debug)]
struct Scenario {
    name: String,
    tags: Vec<String>,
    steps: Vec<Step>,
}

fn cells(line: &str) -> Vec<String> {
    let inner = line.trim().trim_start_matches('|').trim_end_matches('|');
    inner
        .split('|')
        .map(|c| c.trim().replace("\\\"", "\"").replace("\\|", "|"))
        .collect()
}

fn substitute(text: &str, header: &[String], row: &[String]) -> String {
    let mut out = text.to_string();
    for (h, v) in header.iter().zip(row) {
        out = out.replace(&format!("<{h}>"), v);
    }
    out
}

/// A small Gherkin reader: features, tags, backgrounds, scenarios, outlines with several
/// tagged `Examples` tables, and data tables under steps.
fn parse_feature(text: &str, file: &str) -> Vec<Scenario> {
    #[derive(Default)]
    struct Outline {
        name: String,
        tags: Vec<String>,
        steps: Vec<Step>,
        examples: Vec<(Vec<String>, Vec<Vec<String>>)>,
    }
    let mut feature_tags: Vec<String> = Vec::new();
    let mut pending_tags: Vec<String> = Vec::new();
    let mut background: Vec<Step> = Vec::new();
    let mut outlines: Vec<Outline> = Vec::new();
    #[derive(PartialEq)]
    enum Where {
        Top,
        Background,
        Steps,
        Examples,
    }
    let mut at = Where::Top;
    for raw in text.lines() {
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if line.starts_with('@') {
            pending_tags.extend(line.split_whitespace().map(str::to_string));
            continue;
        }
        if line.starts_with("Feature:") {
            feature_tags = std::mem::take(&mut pending_tags);
            continue;
        }
        if line.starts_with("Background:") {
            at = Where::Background;
            continue;
        }
        if let Some(name) = line
            .strip_prefix("Scenario Outline:")
            .or_else(|| line.strip_prefix("Scenario:"))
        {
            let mut tags = feature_tags.clone();
            tags.append(&mut pending_tags);
            outlines.push(Outline {
                name: format!("{file}: {}", name.trim()),
                tags,
                ..Outline::default()
            });
            at = Where::Steps;
            continue;
        }
        if line.starts_with("Examples:") {
            let outline = outlines.last_mut().expect("examples belong to a scenario");
            outline
                .examples
                .push((std::mem::take(&mut pending_tags), Vec::new()));
            at = Where::Examples;
            continue;
        }
        if line.starts_with('|') {
            let row = cells(line);
            match at {
                Where::Examples => {
                    let outline = outlines.last_mut().expect("a scenario");
                    outline.examples.last_mut().expect("examples").1.push(row);
                }
                Where::Background => background.last_mut().expect("a step").table.push(row),
                Where::Steps => outlines
                    .last_mut()
                    .and_then(|o| o.steps.last_mut())
                    .expect("a step")
                    .table
                    .push(row),
                Where::Top => panic!("{file}: a table outside a scenario: {line}"),
            }
            continue;
        }
        let keyword = ["Given ", "When ", "Then ", "And ", "But "]
            .iter()
            .find(|k| line.starts_with(*k));
        let Some(keyword) = keyword else {
            panic!("{file}: cannot read {line:?}");
        };
        let step = Step {
            text: line[keyword.len()..].to_string(),
            table: Vec::new(),
        };
        match at {
            Where::Background => background.push(step),
            Where::Steps => outlines.last_mut().expect("a scenario").steps.push(step),
            _ => panic!("{file}: a step outside a scenario: {line}"),
        }
    }
    let mut out = Vec::new();
    for outline in outlines {
        let steps: Vec<Step> = background.iter().chain(&outline.steps).cloned().collect();
        if outline.examples.is_empty() {
            out.push(Scenario {
                name: outline.name,
                tags: outline.tags,
                steps,
            });
            continue;
        }
        for (example_tags, table) in &outline.examples {
            let Some((header, rows)) = table.split_first() else {
                continue;
            };
            for row in rows {
                let mut tags = outline.tags.clone();
                tags.extend(example_tags.iter().cloned());
                out.push(Scenario {
                    name: format!("{} [{}]", outline.name, row.join(", ")),
                    tags,
                    steps: steps
                        .iter()
                        .map(|s| Step {
                            text: substitute(&s.text, header, row),
                            table: s.table.clone(),
                        })
                        .collect(),
                });
            }
        }
    }
    out
}

/// The text after `marker` up to the step's last quote: a value that may hold quotes itself.
fn last_quoted<'t>(text: &'t str, marker: &str) -> &'t str {
    let start = text.find(marker).map_or(0, |i| i + marker.len());
    let rest = &text[start..];
    rest.strip_suffix('"').unwrap_or(rest)
}

/// The quoted arguments of a step, in order.
fn quoted(text: &str) -> Vec<String> {
    text.split('"')
        .enumerate()
        .filter(|(i, _)| i % 2 == 1)
        .map(|(_, s)| s.to_string())
        .collect()
}

fn flag_type(name: &str) -> FlagType {
    match name {
        "Boolean" => FlagType::Boolean,
        "String" => FlagType::String,
        "Integer" => FlagType::Integer,
        "Float" => FlagType::Float,
        "Object" => FlagType::Object,
        other => panic!("unknown flag type {other}"),
    }
}

fn typed(ty: FlagType, text: &str) -> Value {
    match ty {
        FlagType::Boolean => json!(text == "true"),
        FlagType::Integer => json!(text.parse::<i64>().expect("an integer")),
        FlagType::Float => json!(text.parse::<f64>().expect("a float")),
        FlagType::Object => serde_json::from_str(text).expect("an object"),
        FlagType::String | FlagType::Any => json!(text),
    }
}

fn context_value(ty: &str, text: &str) -> Value {
    match ty {
        "String" => json!(text),
        "Integer" => json!(text.parse::<i64>().expect("an integer")),
        "Float" => json!(text.parse::<f64>().expect("a float")),
        "Boolean" => json!(text == "true"),
        other => panic!("unknown context type {other}"),
    }
}

/// Runs one scenario: `Ok(())`, or why it failed.
fn run(scenario: &Scenario, flags: &FlagSet) -> Result<(), String> {
    let mut flag: Option<(String, FlagType, Value)> = None;
    let mut context = serde_json::Map::new();
    let mut result: Option<Resolution> = None;
    for step in &scenario.steps {
        let text = step.text.as_str();
        let args = quoted(text);
        let resolved = || result.as_ref().ok_or("no evaluation yet".to_string());
        if text == "an evaluator" {
        } else if let Some(rest) = text
            .strip_prefix("a ")
            .filter(|r| r.contains("-flag with key"))
        {
            let ty = flag_type(rest.split('-').next().unwrap_or(""));
            let default = last_quoted(text, "fallback value \"");
            flag = Some((args[0].clone(), ty, typed(ty, default)));
        } else if text.starts_with("a context containing a targeting key") {
            context.insert("targetingKey".into(), json!(args[0]));
        } else if text.starts_with("a context containing a nested property") {
            let inner = context.entry(args[0].clone()).or_insert_with(|| json!({}));
            inner
                .as_object_mut()
                .ok_or("the outer key holds no object")?
                .insert(args[1].clone(), json!(args[2]));
        } else if text.starts_with("a context containing a key") {
            context.insert(args[0].clone(), context_value(&args[1], &args[2]));
        } else if text == "the flag was evaluated with details" {
            let (key, ty, _) = flag.as_ref().ok_or("no flag chosen")?;
            result = Some(flags.evaluate(key, &Value::Object(context.clone()), 1_700_000_000, *ty));
        } else if text.starts_with("the resolved details value should be") {
            let (_, ty, default) = flag.as_ref().ok_or("no flag chosen")?;
            let got = resolved()?.value_or(default.clone());
            let want = typed(*ty, last_quoted(text, "should be \""));
            let same = match ty {
                FlagType::Integer | FlagType::Float => got.as_f64() == want.as_f64(),
                _ => got == want,
            };
            if !same {
                return Err(format!("value {got} instead of {want} ({:?})", resolved()?));
            }
        } else if text.starts_with("the reason should be") {
            let got = resolved()?.reason.as_str();
            if got != args[0] {
                return Err(format!(
                    "reason {got} instead of {} ({:?})",
                    args[0],
                    resolved()?
                ));
            }
        } else if text.starts_with("the error-code should be") {
            let got = resolved()?.error.map(|e| e.as_str());
            if got != Some(args[0].as_str()) {
                return Err(format!("error {got:?} instead of {}", args[0]));
            }
        } else if text == "the resolved metadata should contain" {
            let metadata = &resolved()?.metadata;
            for row in step.table.iter().skip(1) {
                let (key, ty, value) = (&row[0], &row[1], &row[2]);
                let want = context_value(ty, value);
                let got = metadata.get(key);
                let same = match got {
                    Some(g) if g.is_number() => g.as_f64() == want.as_f64(),
                    Some(g) => *g == want,
                    None => false,
                };
                if !same {
                    return Err(format!("metadata {key}: {got:?} instead of {want}"));
                }
            }
        } else if text == "the resolved metadata is empty" {
            if !resolved()?.metadata.is_empty() {
                return Err(format!("metadata {:?}", resolved()?.metadata));
            }
        } else {
            return Err(format!("unsupported step: {text}"));
        }
    }
    Ok(())
}

#[test]
fn flagd_evaluator_gherkin_suite() {
    let dir = testbed();
    let flags_path = dir.join("flags/testkit-flags.json");
    let text = std::fs::read_to_string(&flags_path)
        .unwrap_or_else(|e| panic!("the flagd testbed must be at {}: {e}", flags_path.display()));
    let flags = FlagSet::parse("testkit-flags.json", &text).expect("the suite's flags load");

    let mut features: Vec<PathBuf> = std::fs::read_dir(dir.join("gherkin"))
        .expect("the gherkin directory")
        .map(|e| e.expect("an entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "feature"))
        .collect();
    features.sort();
    assert!(
        features.len() >= 10,
        "only {} feature files",
        features.len()
    );

    let (mut passed, mut skipped, mut failed) = (0, Vec::new(), Vec::new());
    for path in &features {
        let file = path.file_name().unwrap_or_default().to_string_lossy();
        let text = std::fs::read_to_string(path).expect("a feature file");
        for scenario in parse_feature(&text, &file) {
            let skip = SKIPPED_TAGS
                .iter()
                .find(|(tag, _)| scenario.tags.iter().any(|t| t == tag));
            if let Some((tag, why)) = skip {
                skipped.push(format!("{} ({tag}: {why})", scenario.name));
                continue;
            }
            match run(&scenario, &flags) {
                Ok(()) => passed += 1,
                Err(why) => failed.push(format!("{}: {why}", scenario.name)),
            }
        }
    }
    // Straight to stderr, past the test harness's capture, so every run lists the skips.
    let mut report = String::new();
    for s in &skipped {
        report.push_str(&format!("flagd conformance skipped: {s}\n"));
    }
    for f in &failed {
        report.push_str(&format!("flagd conformance FAILED: {f}\n"));
    }
    report.push_str(&format!(
        "flagd conformance: {passed} scenarios passed, {} failed, {} skipped\n",
        failed.len(),
        skipped.len()
    ));
    let _ = std::io::stderr().write_all(report.as_bytes());
    assert!(
        failed.is_empty(),
        "{} scenarios failed:\n{}",
        failed.len(),
        failed.join("\n")
    );
    // The suite has 125 evaluation scenarios besides the legacy ones; a reader that lost them
    // would otherwise pass vacuously.
    assert!(passed >= 120, "only {passed} scenarios ran");
}

#[test]
fn the_testbed_flag_files_load() {
    let dir = testbed().join("../flags");
    let mut loaded = 0;
    for entry in std::fs::read_dir(&dir).expect("the testbed flags directory") {
        let path = entry.expect("an entry").path();
        if path.extension().is_some_and(|e| e == "json") {
            let text = std::fs::read_to_string(&path).expect("readable");
            let name = path.display().to_string();
            let set = FlagSet::parse(&name, &text).unwrap_or_else(|e| panic!("{e}"));
            assert!(!set.flags.is_empty(), "{name} has no flags");
            loaded += 1;
        }
    }
    assert!(loaded >= 5, "only {loaded} flag files");
}

#[test]
fn gherkin_reader_expands_outlines_with_tagged_examples() {
    let text = "@f\nFeature: x\n  Background:\n    Given an evaluator\n  Scenario Outline: o\n    Given a String-flag with key \"<k>\" and a fallback value \"d\"\n    @one\n    Examples: a\n      | k |\n      | x |\n      | y |\n    @two\n    Examples: b\n      | k |\n      | z \\\" |\n";
    let scenarios = parse_feature(text, "t.feature");
    assert_eq!(scenarios.len(), 3);
    assert_eq!(scenarios[0].tags, vec!["@f", "@one"]);
    assert_eq!(scenarios[2].tags, vec!["@f", "@two"]);
    assert_eq!(scenarios[0].steps[0].text, "an evaluator");
    assert!(scenarios[1].steps[1].text.contains("\"y\""));
    assert!(scenarios[2].steps[1].text.contains("z \""));
}
