//! `ripcord check -f` as a pipeline runs it: files and directories, every output format,
//! exit codes, and no planted secret in anything it prints.

mod common;

use common::cli::{stderr, stdout, Cli};
use serde_json::Value;
use std::path::{Path, PathBuf};

fn corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/checks")
}

fn codes(report: &Value) -> Vec<String> {
    let mut codes: Vec<String> = report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| f["code"].as_str().expect("code").to_owned())
        .collect();
    codes.sort();
    codes.dedup();
    codes
}

fn json_of(out: &std::process::Output) -> Value {
    serde_json::from_str(&stdout(out)).unwrap_or_else(|e| panic!("{e}: {}", stdout(out)))
}

const DEPLOYMENT_LIST: &str = r#"# a List, as kubectl get -o yaml prints it
apiVersion: v1
kind: List
items:
- apiVersion: apps/v1
  kind: Deployment
  metadata: {name: web, namespace: shop}
  spec:
    template:
      spec:
        containers:
        - name: web
          image: nginx:latest
---
apiVersion: v1
kind: ConfigMap
metadata: {name: settings, namespace: shop}
data:
  mode: fast
"#;

const ROLE_JSON: &str = r#"{"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role",
 "metadata": {"name": "all", "namespace": "shop"},
 "rules": [{"apiGroups": ["*"], "resources": ["*"], "verbs": ["get"]}]}"#;

#[test]
fn files_and_directories_of_yaml_json_and_lists_are_all_checked() {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::create_dir(dir.path().join("nested")).expect("mkdir");
    std::fs::write(dir.path().join("nested/list.yaml"), DEPLOYMENT_LIST).expect("write");
    std::fs::write(dir.path().join("role.json"), ROLE_JSON).expect("write");
    std::fs::write(dir.path().join("notes.txt"), "not a manifest [").expect("write");
    let flagger = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/fixtures/flagger");
    let cli = Cli::offline();
    let out = cli.run(&[
        "check",
        "-f",
        &dir.path().display().to_string(),
        &flagger.display().to_string(),
        "-o",
        "json",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let report = json_of(&out);
    let found = codes(&report);
    for code in ["IMG001", "RBAC002", "IMG002"] {
        assert!(found.contains(&code.to_owned()), "{code} in {found:?}");
    }
    let web = report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .find(|f| f["object"]["name"] == "web")
        .expect("the List's Deployment");
    assert!(web["file"]
        .as_str()
        .expect("file")
        .ends_with("nested/list.yaml"));
    assert_eq!(web["line"], 2, "the line the List starts on");
    let podinfo = report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .any(|f| f["object"]["name"] == "podinfo" && f["object"]["kind"] == "Deployment");
    assert!(podinfo, "the Flagger fixture's Deployment");
}

#[test]
fn a_manifest_that_does_not_parse_is_named_by_file_and_line_and_the_rest_are_checked() {
    let dir = tempfile::tempdir().expect("temp dir");
    let broken = dir.path().join("broken.yaml");
    // The bad line holds a token: the error must not quote it.
    std::fs::write(
        &broken,
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\ndata:\n  token: [ghp_a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8\n",
    )
    .expect("write");
    let good = corpus().join("IMG001/bad.yaml");
    let cli = Cli::offline();
    for format in ["table", "json", "sarif"] {
        let out = cli.run(&[
            "check",
            "-f",
            &broken.display().to_string(),
            &good.display().to_string(),
            "-o",
            format,
        ]);
        assert_eq!(out.status.code(), Some(2), "{format}: {}", stderr(&out));
        let err = stderr(&out);
        assert!(err.contains(&format!("{}:", broken.display())), "{err}");
        assert!(
            !err.contains("a1B2c3D4e5F6"),
            "the error quotes the token: {err}"
        );
        assert!(
            stdout(&out).contains("IMG001"),
            "{format}: the other file is checked"
        );
        assert!(!stdout(&out).contains("a1B2c3D4e5F6"));
    }
    let out = cli.run(&["check", "-f", &broken.display().to_string(), "-o", "json"]);
    let report = json_of(&out);
    let line = report["errors"][0]["line"].as_u64().expect("line");
    assert!((5..=6).contains(&line), "the bad line, got {line}");
}

#[test]
fn fail_on_exits_one_at_or_above_the_severity_only() {
    let cli = Cli::offline();
    // POD001 is medium: privileged.
    let file = corpus().join("POD001/bad.yaml").display().to_string();
    let at = cli.run(&["check", "-f", &file, "--fail-on", "medium"]);
    assert_eq!(at.status.code(), Some(1), "{}", stderr(&at));
    assert!(
        stderr(&at).contains("at or above medium"),
        "{}",
        stderr(&at)
    );
    let above = cli.run(&["check", "-f", &file, "--fail-on", "high"]);
    assert_eq!(above.status.code(), Some(0), "{}", stderr(&above));
    let none = cli.run(&["check", "-f", &file]);
    assert_eq!(none.status.code(), Some(0));
    let bad = cli.run(&["check", "-f", &file, "--fail-on", "severe"]);
    assert_eq!(bad.status.code(), Some(2));
}

#[test]
fn sarif_output_is_a_sarif_2_1_0_log_with_rules_and_located_results() {
    let cli = Cli::offline();
    let file = corpus().join("SEC002/bad.yaml");
    let out = cli.run(&["check", "-f", &file.display().to_string(), "-o", "sarif"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let log = json_of(&out);
    assert_eq!(log["version"], "2.1.0");
    assert!(log["$schema"]
        .as_str()
        .expect("schema")
        .contains("sarif-2.1.0"));
    let run = &log["runs"][0];
    assert_eq!(run["tool"]["driver"]["name"], "ripcord");
    let rules = run["tool"]["driver"]["rules"].as_array().expect("rules");
    assert_eq!(rules.len(), ripcord::checks::CODES.len());
    let results = run["results"].as_array().expect("results");
    let result = results
        .iter()
        .find(|r| r["ruleId"] == "SEC002")
        .expect("a SEC002 result");
    assert_eq!(result["level"], "error");
    let index = result["ruleIndex"].as_u64().expect("index") as usize;
    assert_eq!(rules[index]["id"], "SEC002");
    let location = &result["locations"][0]["physicalLocation"];
    assert_eq!(
        location["artifactLocation"]["uri"],
        file.display().to_string()
    );
    assert_eq!(location["region"]["startLine"], 2);
    assert_eq!(run["invocations"][0]["executionSuccessful"], true);
}

#[test]
fn no_planted_secret_appears_in_any_output_format_or_on_stderr() {
    let cli = Cli::offline();
    let planted: Vec<String> = std::fs::read_to_string(corpus().join("planted.txt"))
        .expect("planted.txt")
        .lines()
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect();
    assert!(planted.len() > 10);
    let mut files: Vec<PathBuf> = Vec::new();
    for dir in std::fs::read_dir(corpus()).expect("corpus") {
        let dir = dir.expect("entry").path();
        if dir.is_dir() {
            for f in std::fs::read_dir(&dir).expect("case") {
                files.push(f.expect("entry").path());
            }
        }
    }
    let mut raised = std::collections::BTreeSet::new();
    for file in &files {
        let file = file.display().to_string();
        for format in ["table", "json", "sarif"] {
            let out = cli.run(&["check", "-f", &file, "-o", format]);
            assert_eq!(out.status.code(), Some(0), "{file}: {}", stderr(&out));
            let (text, err) = (stdout(&out), stderr(&out));
            for value in &planted {
                assert!(
                    !text.contains(value),
                    "{value} in the {format} output of {file}"
                );
                assert!(!err.contains(value), "{value} on stderr for {file}");
            }
            for code in [
                "SEC001", "SEC002", "SEC003", "SEC004", "SEC005", "SEC006", "SEC007", "SEC008",
                "SEC011",
            ] {
                if text.contains(code) {
                    raised.insert(code);
                }
            }
        }
    }
    assert_eq!(raised.len(), 9, "every secret check ran: {raised:?}");
}

const TWO_REGISTRIES: &str = r#"apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  template:
    spec:
      containers:
      - name: web
        image: ghcr.io/acme/web:1.0
      - name: sidecar
        image: quay.io/other/proxy:2.1
"#;

/// Images whose registry the IMG004 findings name.
fn outside(out: &std::process::Output) -> Vec<String> {
    let report = json_of(out);
    let mut found: Vec<String> = report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| f["code"] == "IMG004")
        .map(|f| f["path"].as_str().unwrap_or_default().to_owned())
        .collect();
    found.sort();
    found
}

#[test]
fn the_registry_allow_list_comes_from_config_toml_and_the_flag_adds_to_it() {
    let cli = Cli::offline();
    let file = cli.dir().join("web.yaml");
    std::fs::write(&file, TWO_REGISTRIES).expect("write");
    let file = file.display().to_string();
    let args = ["check", "-f", file.as_str(), "-o", "json"];
    // No list anywhere: every registry is allowed.
    assert!(outside(&cli.run(&args)).is_empty());
    std::fs::write(
        cli.dir().join("config.toml"),
        "[checks]\nallowed_registries = [\"ghcr.io/acme\"]\n",
    )
    .expect("write config");
    let out = cli.run(&args);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(
        outside(&out),
        ["spec.template.spec.containers[1].image"],
        "only the sidecar's registry is outside config.toml's list"
    );
    let mut more = args.to_vec();
    more.extend(["--allow-registry", "quay.io/other"]);
    let out = cli.run(&more);
    assert!(
        outside(&out).is_empty(),
        "the flag adds to the list: {}",
        stdout(&out)
    );
}

#[test]
fn the_same_object_in_two_files_is_checked_in_each_and_each_finding_names_its_file() {
    let dir = tempfile::tempdir().expect("temp dir");
    let web = |image: &str, privileged: bool| {
        format!(
            "apiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: web, namespace: shop}}\n\
             spec:\n  template:\n    spec:\n      containers:\n      - name: web\n        \
             image: {image}\n        securityContext: {{privileged: {privileged}}}\n"
        )
    };
    std::fs::write(dir.path().join("a.yaml"), web("nginx:latest", false)).expect("write");
    std::fs::write(dir.path().join("b.yaml"), web("nginx:1.27", true)).expect("write");
    let cli = Cli::offline();
    let out = cli.run(&[
        "check",
        "-f",
        &dir.path().display().to_string(),
        "-o",
        "json",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let report = json_of(&out);
    let files_of = |code: &str| {
        let mut files: Vec<String> = report["findings"]
            .as_array()
            .expect("findings")
            .iter()
            .filter(|f| f["code"] == code)
            .map(|f| {
                let file = f["file"].as_str().expect("a file");
                Path::new(file)
                    .file_name()
                    .expect("a name")
                    .to_string_lossy()
                    .into_owned()
            })
            .collect();
        files.sort();
        files
    };
    assert_eq!(
        files_of("IMG001"),
        ["a.yaml"],
        "a's latest tag is still checked"
    );
    assert_eq!(files_of("POD001"), ["b.yaml"], "b's privileged container");
    assert_eq!(
        files_of("POD003"),
        ["a.yaml", "b.yaml"],
        "one finding per file"
    );
}
