//! The security checks over a corpus of manifests: for every code a bad example that raises
//! it and a good one that does not, each file naming the exact codes it expects; the public
//! Argo Rollouts and Flagger fixtures; and no planted secret in any output.

use ripcord::checks::{self, load, report, Inventory, Settings, CODES};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

fn corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/checks")
}

fn shared() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/fixtures")
}

/// A header line `# name: words` of a corpus file.
fn header<'a>(text: &'a str, name: &str) -> Option<Vec<&'a str>> {
    text.lines()
        .take_while(|l| l.starts_with('#'))
        .find_map(|l| l.strip_prefix(&format!("# {name}:")))
        .map(|rest| rest.split_whitespace().collect())
}

fn inventory_of(files: &[PathBuf]) -> Inventory {
    let mut inv = Inventory::new();
    for file in files {
        let text = std::fs::read_to_string(file).expect("readable fixture");
        let loaded = load::parse(&file.display().to_string(), &text);
        assert!(
            loaded.errors.is_empty(),
            "{}: {:?}",
            file.display(),
            loaded.errors
        );
        for (v, source) in loaded.objects {
            inv.upsert(v, Some(source)).expect("an object");
        }
    }
    inv
}

fn codes_of(files: &[PathBuf], settings: &Settings) -> BTreeSet<String> {
    checks::run(&inventory_of(files), settings)
        .iter()
        .map(|f| f.code.to_owned())
        .collect()
}

fn corpus_files() -> Vec<PathBuf> {
    let mut files = Vec::new();
    for dir in std::fs::read_dir(corpus()).expect("corpus dir") {
        let dir = dir.expect("entry").path();
        if dir.is_dir() {
            for f in std::fs::read_dir(&dir).expect("case dir") {
                files.push(f.expect("entry").path());
            }
        }
    }
    files.sort();
    files
}

#[test]
fn every_corpus_file_raises_exactly_its_expected_codes() {
    let mut failures = Vec::new();
    for file in corpus_files() {
        let text = std::fs::read_to_string(&file).expect("readable");
        let expect: BTreeSet<String> = header(&text, "expect")
            .unwrap_or_else(|| panic!("{} has no expect header", file.display()))
            .into_iter()
            .map(str::to_owned)
            .collect();
        let settings = Settings {
            allowed_registries: header(&text, "allow")
                .unwrap_or_default()
                .into_iter()
                .map(str::to_owned)
                .collect(),
        };
        let got = codes_of(std::slice::from_ref(&file), &settings);
        if got != expect {
            failures.push(format!(
                "{}: expected {expect:?}, got {got:?}",
                file.display()
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn every_code_has_a_bad_and_a_good_example() {
    for code in CODES {
        let dir = corpus().join(code.id);
        let names: Vec<String> = std::fs::read_dir(&dir)
            .unwrap_or_else(|_| panic!("no corpus for {}", code.id))
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .collect();
        for kind in ["bad", "good"] {
            assert!(
                names.iter().any(|n| n.starts_with(kind)),
                "{} has no {kind} example",
                code.id
            );
        }
        for n in &names {
            let text = std::fs::read_to_string(dir.join(n)).expect("readable");
            let expect = header(&text, "expect").unwrap_or_default();
            assert_eq!(
                expect.contains(&code.id),
                n.starts_with("bad"),
                "{}/{n}: a bad example expects its code, a good one does not",
                code.id
            );
        }
    }
}

#[test]
fn the_readme_lists_every_code() {
    let readme = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md"))
        .expect("README");
    let all: Vec<_> = CODES.iter().chain(checks::CONSOLE_CODES).collect();
    for code in &all {
        let row = format!("| {} | {} |", code.id, code.severity);
        assert!(readme.contains(&row), "README has no row for {}", code.id);
    }
    let ids: BTreeSet<_> = all.iter().map(|c| c.id).collect();
    assert_eq!(ids.len(), all.len(), "codes are unique");
}

/// Expected codes for the public fixtures, one `path: CODES` line each.
#[test]
fn the_public_argo_and_flagger_fixtures_raise_their_expected_codes() {
    let expect = std::fs::read_to_string(corpus().join("shared.expect")).expect("shared.expect");
    let mut failures = Vec::new();
    let mut seen = 0;
    for line in expect
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
    {
        let (path, codes) = line.split_once(':').expect("path: CODES");
        let want: BTreeSet<String> = codes.split_whitespace().map(str::to_owned).collect();
        let files: Vec<PathBuf> = path.split('+').map(|p| shared().join(p.trim())).collect();
        let got = codes_of(&files, &Settings::default());
        seen += 1;
        if got != want {
            failures.push(format!("{path}: expected {want:?}, got {got:?}"));
        }
    }
    assert!(seen >= 8, "the expectations cover the fixtures");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn an_argo_rollout_mid_canary_is_compared_with_its_stable_replicaset() {
    // The plugin's canary test data: the stable ReplicaSet and the Rollout's new template.
    let dir = shared().join("argo-rollouts/plugin-testdata/canary");
    let files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("fixture dir")
        .map(|e| e.expect("entry").path())
        .collect();
    let inv = inventory_of(&files);
    let sides = checks::workloads::sides(&inv);
    assert!(
        sides
            .iter()
            .any(|s| s.release.key.kind == "Rollout" && s.stable.obj.key.kind == "ReplicaSet"),
        "a Rollout with a stable ReplicaSet"
    );
}

/// Values planted in the corpus (planted.txt); none may appear in any rendering of findings.
fn planted() -> Vec<String> {
    std::fs::read_to_string(corpus().join("planted.txt"))
        .expect("planted.txt")
        .lines()
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect()
}

#[test]
fn no_planted_secret_appears_in_a_table_json_or_sarif_report() {
    // Each file alone: the cases reuse object names.
    let mut located = Vec::new();
    for file in corpus_files() {
        let inv = inventory_of(std::slice::from_ref(&file));
        located.extend(report::locate(
            &inv,
            checks::run(&inv, &Settings::default()),
        ));
    }
    let codes: BTreeSet<_> = located.iter().map(|l| l.finding.code).collect();
    for must in [
        "SEC001", "SEC002", "SEC003", "SEC004", "SEC005", "SEC006", "SEC007", "SEC008",
    ] {
        assert!(codes.contains(must), "the corpus raises {must}");
    }
    let outputs = [
        report::table(&located),
        report::json(&located, &[]).to_string(),
        report::sarif(&located, &[]).to_string(),
    ];
    for out in &outputs {
        for value in planted() {
            assert!(!out.contains(&value), "{value} leaked into a report");
        }
    }
    assert!(
        outputs[0].contains("AKIA****45X"),
        "a masked key keeps its marker"
    );
}

#[test]
fn who_can_change_names_each_subject_with_its_binding() {
    let messages = |file: &str| -> Vec<String> {
        let inv = inventory_of(&[corpus().join(file)]);
        checks::run(&inv, &Settings::default())
            .into_iter()
            .filter(|f| f.code == "RBAC001")
            .map(|f| f.message)
            .collect()
    };
    assert_eq!(
        messages("RBAC001/bad.yaml"),
        ["ServiceAccount shop/ci can update, patch it through RoleBinding shop/ci-deploys → ClusterRole deployer"]
    );
    assert_eq!(
        messages("RBAC001/bad-aggregated.yaml"),
        ["Group oncall can update, patch it through ClusterRoleBinding oncall → ClusterRole release-admin"]
    );
    assert!(messages("RBAC001/good.yaml").is_empty());
}

#[test]
fn the_demo_findings_come_from_the_checks_over_the_simulated_objects() {
    use ripcord::model::Kind;
    let mut world = ripcord::sim::World::demo(7);
    let found = world.check();
    let codes = |kind: Kind, name: &str| -> BTreeSet<&'static str> {
        found
            .iter()
            .filter(|(k, _)| k.kind == kind && k.name == name)
            .flat_map(|(_, f)| f.items.iter().map(|i| i.code))
            .collect()
    };
    assert_eq!(
        codes(Kind::Deployment, "frontend"),
        BTreeSet::from(["IMG002"])
    );
    assert!(codes(Kind::CanaryPair, "payments-api").contains("SEC001"));
    let checkout = codes(Kind::ArgoRollout, "checkout");
    assert!(
        checkout.contains("SEC012") && checkout.contains("POD003"),
        "{checkout:?}"
    );
    assert!(codes(Kind::CanaryPair, "gateway").contains("SEC012"));
    let all = format!("{found:?}");
    assert!(codes(Kind::CanaryPair, "payments-api").contains("SEC002"));
    for value in ["DEMOq8Zr2pW9xL4vKhQ8s", "AKIADEMO7EXAMPLE0001"] {
        assert!(!all.contains(value), "the demo's {value} is masked");
    }

    // Sent once; then only what changes, as a fixed env var does.
    let first = world.take_findings();
    assert!(first
        .iter()
        .any(|(k, f)| k.name == "payments-api" && !f.items.is_empty()));
    assert!(
        world.take_findings().is_empty(),
        "unchanged findings are not sent again"
    );
}

#[test]
fn the_promote_acknowledgement_severity_is_read_from_config_toml() {
    use ripcord::config::Settings as Config;
    use ripcord::model::Severity;
    let path = Path::new("config.toml");
    assert_eq!(Config::default().promote_ack, Severity::High);
    let (s, issues) = Config::load(path, "promote_ack = \"critical\"\n");
    assert!(issues.is_empty(), "{issues:?}");
    assert_eq!(s.promote_ack, Severity::Critical);
    let (s, issues) = Config::load(path, "promote_ack = \"severe\"\n");
    assert_eq!(issues.len(), 1);
    assert!(issues[0].to_string().contains(":1:"), "{}", issues[0]);
    assert_eq!(
        s.promote_ack,
        Severity::High,
        "a bad value keeps the default"
    );
}
