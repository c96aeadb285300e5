//! `ripcord flags list|get|eval` from files alone, with no kubeconfig anywhere.

mod common;

use common::cli::{json, stderr, stdout, text, Cli};
use std::path::{Path, PathBuf};

const SHOP: &str = r#"{
  "flags": {
    "new-checkout": {
      "state": "ENABLED",
      "variants": {"on": true, "off": false},
      "defaultVariant": "off",
      "targeting": {
        "if": [
          {"ends_with": [{"var": "email"}, "@example.com"]}, "on",
          {"sem_ver": [{"var": "app_version"}, ">=", "2.1.0"]},
          {"fractional": [["on", 10], ["off", 90]]},
          null
        ]
      }
    },
    "banner": {"state": "DISABLED", "variants": {"big": "BIG", "small": "small"}, "defaultVariant": "big"},
    "colour": {"state": "ENABLED", "variants": {"red": "red", "blue": "blue"}, "defaultVariant": "red",
               "targeting": {"if": [{"$ref": "beta"}, "blue"]}}
  },
  "$evaluators": {"beta": {"in": [{"var": "targetingKey"}, ["u1", "u2"]]}}
}"#;

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).expect("write flags");
    path
}

fn p(path: &Path) -> &str {
    path.to_str().expect("utf-8 path")
}

#[test]
fn list_shows_each_flag_with_its_targeting_in_words() {
    let cli = Cli::offline();
    let file = write(cli.dir(), "shop.json", SHOP);
    let out = cli.run(&["flags", "list", "--flags", p(&file)]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let table = stdout(&out);
    let lines: Vec<&str> = table.lines().collect();
    assert!(lines[0].starts_with("KEY"), "{table}");
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("banner") && l.contains("DISABLED")),
        "{table}"
    );
    let checkout = lines
        .iter()
        .find(|l| l.starts_with("new-checkout"))
        .expect("new-checkout listed");
    assert!(
        checkout.contains("ENABLED") && checkout.contains("off=false on=true"),
        "{checkout}"
    );
    // The table is cut to 100 columns off a terminal; the words in full are in the JSON.
    assert!(
        checkout.contains(r#"email ends with "@example.com""#) && checkout.ends_with('…'),
        "{checkout}"
    );
    // The shared evaluator is shown in place, not as a $ref.
    let colour = lines
        .iter()
        .find(|l| l.starts_with("colour"))
        .expect("colour");
    assert!(
        colour.contains(r#"targetingKey in ["u1","u2"]"#),
        "{colour}"
    );

    let out = cli.run(&["flags", "list", "-o", "json", "--flags", p(&file)]);
    let doc = json(&out);
    let flags = doc["flags"].as_array().expect("a list");
    assert_eq!(flags.len(), 3);
    let checkout = flags
        .iter()
        .find(|f| f["key"] == "new-checkout")
        .expect("listed");
    assert_eq!(checkout["default_variant"], "off");
    assert_eq!(checkout["line"], 3);
    assert_eq!(checkout["split"][0]["variant"], "on");
    assert_eq!(checkout["split"][0]["percent"], 10.0);
    let words = checkout["summary"].as_str().expect("a summary");
    assert!(
        words.contains(r#"email ends with "@example.com""#)
            && words.contains(r#"split "on" 10% / "off" 90%"#),
        "{words}"
    );
}

#[test]
fn get_shows_one_flag_and_refuses_an_unknown_key() {
    let cli = Cli::offline();
    let file = write(cli.dir(), "shop.json", SHOP);
    let out = cli.run(&["flags", "get", "new-checkout", "--flags", p(&file)]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let shown = stdout(&out);
    assert!(shown.contains("shop.json:3"), "{shown}");
    assert!(shown.contains("default    off"), "{shown}");
    assert!(
        shown.contains("split      ██▓▓") && shown.contains("on 10.0%, off 90.0%"),
        "{shown}"
    );

    let out = cli.run(&["flags", "get", "nope", "--flags", p(&file)]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(stderr(&out).contains("no flag \"nope\""), "{}", text(&out));
}

#[test]
fn eval_answers_as_flagd_with_the_flags_option_anywhere() {
    let cli = Cli::offline();
    let file = write(cli.dir(), "shop.json", SHOP);
    let eval = |args: &[&str]| cli.run(args);

    let out = eval(&[
        "flags",
        "eval",
        "new-checkout",
        "--flags",
        p(&file),
        "--eval-context",
        r#"{"targetingKey": "u1", "email": "ann@example.com"}"#,
        "-o",
        "json",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let r = json(&out);
    assert_eq!(
        (&r["value"], &r["variant"], &r["reason"]),
        (
            &serde_json::json!(true),
            &serde_json::json!("on"),
            &serde_json::json!("TARGETING_MATCH")
        )
    );

    // --flags before the subcommand, no rule matching: the default variant.
    let out = eval(&[
        "flags",
        "--flags",
        p(&file),
        "eval",
        "new-checkout",
        "--eval-context",
        r#"{"targetingKey": "u1", "app_version": "1.0.0"}"#,
        "-o",
        "json",
    ]);
    let r = json(&out);
    assert_eq!(
        (&r["value"], &r["reason"]),
        (&serde_json::json!(false), &serde_json::json!("DEFAULT"))
    );

    // The fractional branch is deterministic per targeting key: the same answer twice, and
    // both variants across many users.
    let mut seen = std::collections::BTreeSet::new();
    for user in 0..40 {
        let ctx = format!(r#"{{"targetingKey": "user-{user}", "app_version": "2.3.0"}}"#);
        let args = [
            "flags",
            "eval",
            "new-checkout",
            "--flags",
            p(&file),
            "--eval-context",
            &ctx,
            "-o",
            "json",
        ];
        let first = json(&eval(&args));
        assert_eq!(first, json(&eval(&args)), "user-{user}");
        assert_eq!(first["reason"], "TARGETING_MATCH");
        seen.insert(first["variant"].as_str().expect("a variant").to_string());
    }
    assert_eq!(seen.len(), 2, "{seen:?}");

    // Disabled: the caller's default, no value.
    let out = eval(&["flags", "eval", "banner", "--flags", p(&file)]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert_eq!(stdout(&out), "banner: the caller's default (DISABLED)\n");

    // A shared evaluator through $ref.
    let out = eval(&[
        "flags",
        "eval",
        "colour",
        "--flags",
        p(&file),
        "--eval-context",
        r#"{"targetingKey": "u2"}"#,
    ]);
    assert_eq!(
        stdout(&out),
        "colour: \"blue\" (variant blue, TARGETING_MATCH)\n"
    );
}

#[test]
fn eval_without_a_key_answers_for_every_flag() {
    let cli = Cli::offline();
    let file = write(cli.dir(), "shop.json", SHOP);
    let out = cli.run(&["flags", "eval", "--flags", p(&file), "-o", "json"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let doc = json(&out);
    let keys: Vec<&str> = doc["flags"]
        .as_array()
        .expect("a list")
        .iter()
        .map(|r| r["key"].as_str().expect("a key"))
        .collect();
    assert_eq!(keys, ["banner", "colour", "new-checkout"]);
}

#[test]
fn errors_exit_with_their_codes() {
    let cli = Cli::offline();
    let file = write(cli.dir(), "shop.json", SHOP);

    // An unknown key is bad input, from eval as from get: exit 2, nothing on stdout.
    for command in ["eval", "get"] {
        let out = cli.run(&["flags", command, "ghost", "--flags", p(&file), "-o", "json"]);
        assert_eq!(out.status.code(), Some(2), "{command}: {}", text(&out));
        assert!(stdout(&out).is_empty(), "{command}: {}", text(&out));
        assert!(stderr(&out).contains("no flag \"ghost\""), "{}", text(&out));
    }

    // A rule flagd cannot apply: PARSE_ERROR, exit 1.
    let broken = write(
        cli.dir(),
        "broken.json",
        r#"{"flags": {"b": {"state": "ENABLED", "variants": {"x": 1}, "defaultVariant": "x", "targeting": {"if": [{"$ref": "missing"}, "x"]}}}}"#,
    );
    let out = cli.run(&["flags", "eval", "b", "--flags", p(&broken)]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(stdout(&out).contains("error PARSE_ERROR"), "{}", text(&out));

    // A context that is not JSON: where, and exit 2.
    let out = cli.run(&[
        "flags",
        "eval",
        "b",
        "--flags",
        p(&file),
        "--eval-context",
        "{\n  \"a\": }",
    ]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let err = stderr(&out);
    assert!(err.contains("--eval-context:2:8: "), "{err}");
    assert!(!err.contains("line"), "the position is said once: {err}");

    // A definition with a mistake: file:line:col, exit 2.
    let bad = write(cli.dir(), "bad.json", "{\"flags\": {\n  \"a\": {\"state\": \"ENABLED\", \"variants\": {\"x\": 1}, \"defaultVariant\": \"y\"}\n}}");
    let out = cli.run(&["flags", "list", "--flags", p(&bad)]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let err = stderr(&out);
    assert!(
        err.contains("bad.json:2:3:") && err.contains("\"y\" is not one of its variants"),
        "{err}"
    );

    // A flag outside flagd's schema (variants of two types, a misspelt field): each said
    // where it is, the others still listed, and the file is bad input.
    let mixed = write(
        cli.dir(),
        "mixed.json",
        "{\"flags\": {\n  \"fine\": {\"state\": \"ENABLED\", \"variants\": {\"on\": true}},\n  \"mixed\": {\"state\": \"ENABLED\", \"variants\": {\"on\": true, \"off\": 0}},\n  \"typo\": {\"state\": \"ENABLED\", \"variants\": {\"on\": true}, \"defaultvariant\": \"on\"}\n}}",
    );
    let out = cli.run(&["flags", "list", "--flags", p(&mixed)]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let err = stderr(&out);
    assert!(
        err.contains(&format!(
            "{}:3:3: flag \"mixed\": variants mix boolean, number",
            p(&mixed)
        )) && err.contains(&format!(
            "{}:4:3: flag \"typo\": unknown field \"defaultvariant\"",
            p(&mixed)
        )),
        "{err}"
    );
    assert!(stdout(&out).contains("fine "), "{}", text(&out));
    let out = cli.run(&["flags", "eval", "fine", "--flags", p(&mixed)]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let out = cli.run(&["flags", "eval", "mixed", "--flags", p(&mixed)]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        stderr(&out).contains("flag \"mixed\" does not load"),
        "{}",
        text(&out)
    );

    // A missing file, and no file at all.
    let out = cli.run(&["flags", "list", "--flags", "/nonexistent/flags.json"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let out = cli.run(&["flags", "list"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(stderr(&out).contains("--flags FILE"), "{}", text(&out));

    // Links to releases live in the cluster, not in files.
    let out = cli.run(&["flags", "list", "--flags", p(&file), "--release", "web"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(stderr(&out).contains("--release"), "{}", text(&out));

    // --context names a kubeconfig context, never an evaluation context: JSON there is
    // pointed at --eval-context, and with files (no cluster) a context is not ignored.
    for args in [
        vec![
            "flags",
            "eval",
            "colour",
            "--flags",
            p(&file),
            "--context",
            "{}",
        ],
        vec![
            "flags",
            "eval",
            "colour",
            "--flags",
            p(&file),
            "--context",
            "u1",
        ],
        vec!["flags", "list", "--flags", p(&file), "--context", "prod"],
    ] {
        let out = cli.run(&args);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", text(&out));
        assert!(stdout(&out).is_empty(), "{args:?}: {}", text(&out));
        assert!(
            stderr(&out).contains("--eval-context JSON"),
            "{args:?}: {}",
            text(&out)
        );
    }
    // The evaluation context is a JSON object.
    let out = cli.run(&[
        "flags",
        "eval",
        "colour",
        "--flags",
        p(&file),
        "--eval-context",
        "[1]",
    ]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    // And --help says so.
    let help = stdout(&cli.run(&["flags", "eval", "--help"]));
    assert!(help.contains("--eval-context <JSON>"), "{help}");
    assert!(help.contains("kubeconfig context"), "{help}");
}

#[test]
fn a_broken_file_gives_its_position_once() {
    let cli = Cli::offline();
    let bad = write(cli.dir(), "bad.json", "{\n  \"flags\": [}");
    let out = cli.run(&["flags", "list", "--flags", p(&bad)]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let err = stderr(&out);
    assert!(err.contains("bad.json:2:13: not valid JSON"), "{err}");
    assert!(!err.contains("line"), "{err}");
}

#[test]
fn list_fits_its_columns_to_the_width_with_an_ellipsis() {
    let cli = Cli::offline();
    let long_key = format!("k{}", "x".repeat(80));
    let long_variant = "v".repeat(60);
    let flags = format!(
        r#"{{"flags": {{
  "{long_key}": {{"state": "ENABLED", "variants": {{"{long_variant}": "{long_variant}", "b": "1"}}, "defaultVariant": "b",
     "targeting": {{"if": [{{"in": [{{"var": "email"}}, ["a@example.com", "b@example.com", "c@example.com", "d@example.com"]]}}, "b"]}}}},
  "short": {{"state": "ENABLED", "variants": {{"on": true}}, "defaultVariant": "on"}}
}}}}"#
    );
    let file = write(cli.dir(), "long.json", &flags);
    // Not a terminal: 100 columns.
    let out = cli.run(&["flags", "list", "--flags", p(&file)]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let table = stdout(&out);
    for line in table.lines() {
        assert!(
            line.chars().count() <= 100,
            "{} wide: {line}",
            line.chars().count()
        );
    }
    let lines: Vec<&str> = table.lines().collect();
    assert!(
        lines[1].starts_with("kxxx") && lines[1].contains('…'),
        "{table}"
    );
    // Columns still line up: STATE starts at the same place on every row.
    let at = |l: &str| {
        let chars: Vec<char> = l.chars().collect();
        (0..chars.len()).find(|&i| {
            let rest: String = chars[i..].iter().collect();
            rest.starts_with("ENABLED") || rest.starts_with("STATE")
        })
    };
    assert_eq!(at(lines[0]), at(lines[1]), "{table}");
    assert_eq!(at(lines[1]), at(lines[2]), "{table}");
    assert!(lines[2].starts_with("short "), "{table}");
}

#[test]
fn text_from_a_flag_file_reaches_the_terminal_inert() {
    let cli = Cli::offline();
    let file = write(
        cli.dir(),
        "esc.json",
        r#"{"flags": {"k\u001b[31m": {"state": "ENABLED", "variants": {"v\u001b]0;x\u0007": "\u001b[2J"}, "defaultVariant": "v\u001b]0;x\u0007"}}}"#,
    );
    for args in [
        vec!["flags", "list", "--flags", p(&file)],
        vec!["flags", "get", "k\u{1b}[31m", "--flags", p(&file)],
        vec!["flags", "eval", "--flags", p(&file)],
    ] {
        let out = cli.run(&args);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out));
        assert!(!stdout(&out).contains('\u{1b}'), "{args:?}: {}", text(&out));
        assert!(!stdout(&out).contains('\u{7}'), "{args:?}: {}", text(&out));
    }
}

#[test]
fn the_consoles_flags_option_is_checked_before_anything_starts() {
    let cli = Cli::offline();
    let file = write(cli.dir(), "shop.json", SHOP);
    // A mistyped path is said at once, before any cluster or terminal.
    let out = cli.run(&["--flags", "/nonexistent/flags.json"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        stderr(&out).contains("--flags /nonexistent/flags.json"),
        "{}",
        text(&out)
    );
    // Before `flags` it is that command's file; before another command it is refused.
    let out = cli.run(&["--flags", p(&file), "flags", "get", "banner"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let out = cli.run(&["--flags", p(&file), "status"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        stderr(&out).contains("--flags applies to"),
        "{}",
        text(&out)
    );
}

/// `flags eval` with no key names every flag that failed on stderr, not only the first.
#[test]
fn eval_of_every_flag_names_each_that_failed() {
    let cli = Cli::offline();
    let broken = write(
        cli.dir(),
        "two-broken.json",
        r#"{"flags": {
  "a-broken": {"state": "ENABLED", "variants": {"x": 1}, "defaultVariant": "x", "targeting": {"if": [{"$ref": "missing"}, "x"]}},
  "fine": {"state": "ENABLED", "variants": {"x": 1}, "defaultVariant": "x"},
  "z-broken": {"state": "ENABLED", "variants": {"x": 1}, "defaultVariant": "x", "targeting": {"if": [{"nope": []}, "x"]}}
}}"#,
    );
    let out = cli.run(&["flags", "eval", "--flags", p(&broken)]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let err = stderr(&out);
    assert!(
        err.contains("a-broken: ") && err.contains("z-broken: "),
        "{err}"
    );
    assert!(!err.contains("fine"), "{err}");
}

/// A `--flags` file that does not load stops the console before it starts, where it is
/// broken; and `-n`/`-A` beside `--flags` with `ripcord flags` are refused, not ignored.
#[test]
fn a_broken_flags_file_stops_the_console_and_namespaces_need_a_cluster() {
    let cli = Cli::offline();
    let broken = write(cli.dir(), "broken.json", "{\n  \"flags\": [}");
    let out = cli.run(&["--flags", p(&broken)]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        stderr(&out).contains(&format!("{}:2:", p(&broken))),
        "{}",
        text(&out)
    );
    let file = write(cli.dir(), "shop.json", SHOP);
    for option in [&["-n", "shop"][..], &["-A"][..]] {
        let mut args = vec!["flags", "list", "--flags", p(&file)];
        args.extend_from_slice(option);
        let out = cli.run(&args);
        assert_eq!(out.status.code(), Some(2), "{option:?}: {}", text(&out));
        assert!(
            stderr(&out).contains(&format!("{} chooses cluster namespaces", option[0])),
            "{}",
            text(&out)
        );
        assert!(stdout(&out).is_empty(), "{}", text(&out));
    }
}

/// A key two sources define is a warning on stderr naming both, and the later one's is used.
#[test]
fn a_key_defined_twice_is_a_warning_naming_both_sources() {
    let cli = Cli::offline();
    let one = write(cli.dir(), "one.json", SHOP);
    let two = write(
        cli.dir(),
        "two.json",
        r#"{"flags": {"banner": {"state": "ENABLED", "variants": {"big": "BIG"}, "defaultVariant": "big"}}}"#,
    );
    let out = cli.run(&[
        "flags",
        "get",
        "banner",
        "--flags",
        p(&one),
        "--flags",
        p(&two),
        "-o",
        "json",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert_eq!(json(&out)["state"], "ENABLED", "{}", text(&out));
    let err = stderr(&out);
    assert!(
        err.contains(&format!(
            "warning: banner is defined in {} and in {}; {}'s is used",
            p(&one),
            p(&two),
            p(&two)
        )),
        "{err}"
    );
}
