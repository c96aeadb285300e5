//! `ripcord config check` run as the real binary over valid and invalid files.

use std::process::Command;

fn check(files: &[&str]) -> (Option<i32>, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_ripcord"))
        .args(["config", "check"])
        .args(files)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("run ripcord");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

#[test]
fn shipped_files_pass() {
    let (code, out) = check(&[
        "keymaps/default.toml",
        "keymaps/k9s.toml",
        "themes/default.toml",
        "themes/light.toml",
        "themes/high-contrast.toml",
        "themes/mono.toml",
    ]);
    assert_eq!(code, Some(0), "{out}");
    assert!(out.contains("no problems"), "{out}");
}

#[test]
fn each_invalid_file_is_reported_at_its_line_and_exits_2() {
    let cases = [
        (
            "tests/fixtures/config/bad-colour.theme.toml",
            ":3:",
            "bad colour",
        ),
        (
            "tests/fixtures/config/bad-key.keymap.toml",
            ":5:",
            "bad key `<C-foo>`",
        ),
        (
            "tests/fixtures/config/bad-syntax.keymap.toml",
            ":5:",
            "invalid TOML",
        ),
        (
            "tests/fixtures/config/unknown-action.keymap.toml",
            ":4:",
            "unknown action `restrat`",
        ),
        (
            "tests/fixtures/config/unknown-setting.config.toml",
            ":3:",
            "unknown setting `colour`",
        ),
        (
            "tests/fixtures/config/unknown-slot.theme.toml",
            ":4:",
            "unknown slot `healty`",
        ),
        (
            "tests/fixtures/config/wrong-type.config.toml",
            ":3:",
            "`fps` must be an integer",
        ),
    ];
    for (file, line, problem) in cases {
        let (code, out) = check(&[file]);
        assert_eq!(code, Some(2), "{file}: {out}");
        let expected = format!("{file}{line}");
        assert!(
            out.lines()
                .any(|l| l.starts_with(&expected) && l.contains(problem)),
            "{file}: expected a line starting {expected} with {problem:?}, got:\n{out}"
        );
    }
}

#[test]
fn a_missing_file_is_a_problem_not_a_crash() {
    let (code, out) = check(&["no/such/keymap.toml"]);
    assert_eq!(code, Some(2), "{out}");
    assert!(out.contains("no/such/keymap.toml"), "{out}");
}

#[test]
fn a_bad_registry_allow_list_is_reported_by_config_check_at_its_line() {
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("config.toml");
    std::fs::write(
        &file,
        "[checks]\nallowed_registries = [\"ghcr.io/acme\", \"docker.io latest\"]\n",
    )
    .expect("write");
    let (code, out) = check(&[file.to_str().expect("utf-8 path")]);
    assert_eq!(code, Some(2), "{out}");
    assert!(out.contains("config.toml:2:"), "{out}");
    assert!(out.contains("\"docker.io latest\""), "{out}");
}

/// `config check` with no files, over a config dir given by RIPCORD_CONFIG_DIR.
fn check_dir(dir: &std::path::Path) -> (Option<i32>, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_ripcord"))
        .args(["config", "check"])
        .env("RIPCORD_CONFIG_DIR", dir)
        .output()
        .expect("run ripcord");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

#[test]
fn the_config_dirs_analysis_toml_is_checked() {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(
        dir.path().join("analysis.toml"),
        "pass = 95\n[[metrics]]\nname = \"x\"\nquery = \"up{ {{selectr}} }\"\n",
    )
    .expect("write");
    let (code, out) = check_dir(dir.path());
    assert_eq!(code, Some(2), "{out}");
    assert!(out.contains("analysis.toml:4:9"), "{out}");
    assert!(out.contains("unknown placeholder {{selectr}}"), "{out}");
    assert!(!out.contains("no config file to check"), "{out}");
    std::fs::write(
        dir.path().join("analysis.toml"),
        ripcord::config::analysis_examples()[0].1,
    )
    .expect("write");
    let (code, out) = check_dir(dir.path());
    assert_eq!(code, Some(0), "{out}");
    assert!(
        out.contains("no problems found in") && out.contains("analysis.toml"),
        "{out}"
    );
}

#[test]
fn an_analysis_file_without_metrics_is_recognised_and_its_problems_placed() {
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("gate.toml");
    std::fs::write(&file, "confidence = 0.98\npass = 70\nmarginal = 80\n").expect("write");
    let (code, out) = check(&[file.to_str().expect("utf-8 path")]);
    assert_eq!(code, Some(2), "{out}");
    assert!(!out.contains("unknown setting"), "{out}");
    assert!(
        out.contains("no metrics: there is nothing to judge"),
        "{out}"
    );
    assert!(
        out.contains("gate.toml:3:12: `marginal` (80) is above `pass` (70)"),
        "{out}"
    );
}
