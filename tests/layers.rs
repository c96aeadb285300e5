//! The layers stay put: `app` (the pure core) never reaches into `ui`, and `model` and
//! `cluster` never reach into `app`. Shared types live at the bottom, in `model`.

use std::path::Path;

/// Every `.rs` file under `dir`, with the lines that name `forbidden` as a path.
fn offenders(dir: &str, forbidden: &[&str]) -> Vec<String> {
    let mut found = Vec::new();
    let mut stack = vec![Path::new(env!("CARGO_MANIFEST_DIR")).join(dir)];
    while let Some(path) = stack.pop() {
        if path.is_dir() {
            for entry in std::fs::read_dir(&path).expect("readable source dir") {
                stack.push(entry.expect("dir entry").path());
            }
        } else if path.extension().is_some_and(|e| e == "rs") {
            let text = std::fs::read_to_string(&path).expect("readable source");
            for (n, line) in text.lines().enumerate() {
                let code = line.split("//").next().unwrap_or("");
                if forbidden.iter().any(|f| code.contains(f)) {
                    found.push(format!("{}:{}: {}", path.display(), n + 1, line.trim()));
                }
            }
        }
    }
    found
}

#[test]
fn app_never_imports_ui() {
    let found = offenders("src/app", &["crate::ui", "super::ui", "ripcord::ui"]);
    assert!(
        found.is_empty(),
        "src/app reaches into ui:\n{}",
        found.join("\n")
    );
}

#[test]
fn model_never_imports_app() {
    let found = offenders("src/model", &["crate::app", "crate::ui", "crate::cluster"]);
    assert!(
        found.is_empty(),
        "src/model reaches up:\n{}",
        found.join("\n")
    );
}

#[test]
fn cluster_never_imports_app() {
    let found = offenders("src/cluster", &["crate::app", "crate::ui"]);
    assert!(
        found.is_empty(),
        "src/cluster reaches into app:\n{}",
        found.join("\n")
    );
}

#[test]
fn the_scan_sees_an_offence() {
    // Guards the guard: a path that does import `crate::model` is found.
    assert!(!offenders("src/app", &["crate::model"]).is_empty());
}
