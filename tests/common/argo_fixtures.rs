//! The Argo Rollouts plugin's own test objects, and what its `get rollout` prints for them.
#![allow(dead_code)] // each test binary uses a different subset

use serde_json::Value;
use std::path::{Path, PathBuf};

/// Where the fixtures shared with other tools live (`RIPCORD_SHARED_DIR`, or `../shared`).
pub fn shared_dir() -> PathBuf {
    match std::env::var_os("RIPCORD_SHARED_DIR") {
        Some(p) if !p.is_empty() => PathBuf::from(p),
        _ => Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared"),
    }
}

/// Every fixture set: a folder of one Rollout's objects (or several Rollouts sharing them).
pub fn fixture_sets() -> Vec<PathBuf> {
    let shared = shared_dir().join("fixtures/argo-rollouts/plugin-testdata");
    let local = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/argo-rollouts");
    let mut sets = Vec::new();
    for root in [&shared, &local] {
        let entries = std::fs::read_dir(root)
            .unwrap_or_else(|e| panic!("fixture sets in {}: {e}", root.display()));
        for entry in entries {
            let path = entry.expect("a directory entry").path();
            if path.is_dir() {
                sets.push(path);
            }
        }
    }
    sets.sort();
    assert!(sets.len() >= 4, "fixture sets: {sets:?}");
    sets
}

/// The objects of one set, as JSON, in file name order.
pub fn load_set(dir: &Path) -> Vec<Value> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.expect("a directory entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "yaml"))
        .collect();
    files.sort();
    files
        .iter()
        .map(|f| {
            let text =
                std::fs::read_to_string(f).unwrap_or_else(|e| panic!("{}: {e}", f.display()));
            serde_saphyr::from_str::<Value>(&text)
                .unwrap_or_else(|e| panic!("{}: {e}", f.display()))
        })
        .collect()
}

/// What `kubectl argo rollouts get rollout NAME` prints for a fixture Rollout.
#[derive(Debug)]
pub struct Expected {
    pub set: &'static str,
    pub name: &'static str,
    pub status: &'static str,
    pub message: &'static str,
    pub strategy: &'static str,
    pub step: Option<&'static str>,
    pub set_weight: Option<i32>,
    pub actual_weight: Option<i32>,
    /// The revision tree, newest first: (revision, the plugin's INFO column).
    pub revisions: &'static [(i64, &'static str)],
}

const CANARY_DEGRADED: &str =
    "ProgressDeadlineExceeded: ReplicaSet \"canary-demo-65fb5ffc84\" has timed out progressing.";

/// The plugin's expectations, from argoproj/argo-rollouts (commit 9f8d111d8)
/// `pkg/kubectl-argo-rollouts/cmd/get/get_test.go` unless said otherwise.
pub const EXPECTED: &[Expected] = &[
    // TestGetCanaryRollout.
    Expected {
        set: "canary",
        name: "canary-demo",
        status: "Degraded",
        message: CANARY_DEGRADED,
        strategy: "Canary",
        step: Some("0/8"),
        set_weight: Some(20),
        actual_weight: Some(0),
        revisions: &[(31, "canary"), (30, "stable"), (29, "")],
    },
    // No get test of its own: the same status as canary-demo (the plugin reads a
    // workloadRef only for the images), so TestGetCanaryRollout's header applies. Its
    // ReplicaSets are owned by canary-demo's name, so ripcord lists none under it.
    Expected {
        set: "canary",
        name: "canary-demo-workloadRef",
        status: "Degraded",
        message: CANARY_DEGRADED,
        strategy: "Canary",
        step: Some("0/8"),
        set_weight: Some(20),
        actual_weight: Some(0),
        revisions: &[],
    },
    Expected {
        set: "canary",
        name: "canary-demo-workloadRef-deploy",
        status: "Degraded",
        message: CANARY_DEGRADED,
        strategy: "Canary",
        step: Some("0/8"),
        set_weight: Some(20),
        actual_weight: Some(0),
        revisions: &[],
    },
    // TestGetBlueGreenRollout.
    Expected {
        set: "blue-green",
        name: "bluegreen-demo",
        status: "Paused",
        message: "BlueGreenPause",
        strategy: "BlueGreen",
        step: None,
        set_weight: None,
        actual_weight: None,
        revisions: &[(11, "preview"), (10, "stable,active"), (8, "")],
    },
    // TestGetAbortedRollout.
    Expected {
        set: "rollout-aborted",
        name: "rollout-background-analysis",
        status: "Degraded",
        message: "RolloutAborted: metric \"web\" assessed Failed due to failed (1) > failureLimit (0)",
        strategy: "Canary",
        step: Some("0/2"),
        set_weight: Some(0),
        actual_weight: Some(0),
        revisions: &[(2, "canary"), (1, "stable")],
    },
    // TestExperimentRollout (its Experiment and AnalysisRun on revision 2:
    // TestExperimentAnalysisRolloutInfo).
    Expected {
        set: "experiment-analysis",
        name: "rollout-experiment-analysis",
        status: "Degraded",
        message: "ProgressDeadlineExceeded: ReplicaSet \"rollout-experiment-analysis-6f646bf7b7\" has timed out progressing.",
        strategy: "Canary",
        step: Some("1/2"),
        set_weight: Some(25),
        actual_weight: Some(25),
        revisions: &[(2, "canary"), (1, "stable")],
    },
    // TestGetInvalidRollout (no Step line: the Rollout has no steps).
    Expected {
        set: "rollout-invalid",
        name: "rollout-invalid",
        status: "Degraded",
        message: "InvalidSpec: The Rollout \"rollout-invalid\" is invalid: spec.template.metadata.labels: Invalid value: map[string]string{\"app\":\"doesnt-match\"}: `selector` does not match template `labels`",
        strategy: "Canary",
        step: None,
        set_weight: Some(100),
        actual_weight: Some(100),
        revisions: &[],
    },
];

/// The plugin's INFO words for a revision of ripcord's: its role, plus `stable` for the
/// active side, which the controller also marks stable.
pub fn info_of(role: ripcord::model::RevisionRole) -> &'static str {
    use ripcord::model::RevisionRole::*;
    match role {
        Stable => "stable",
        Canary => "canary",
        Active => "stable,active",
        Preview => "preview",
        New | Old => "",
    }
}
