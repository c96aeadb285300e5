//! Real-cluster edges, as the real binary meets them on the testbed: narrow RBAC, rejected
//! credentials, a closed pipe and long names in `status`.

mod common;
use common::cli::{stderr, stdout, text, Cli};
use common::testbed;
use common::tmux::Tmux;

use std::path::{Path, PathBuf};
use testbed::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_user_who_may_not_read_argo_rollouts_still_gets_the_deployments() {
    let Some(tb) = testbed().await else { return };
    let ns = tb.namespace("rbac").await;
    tb.create_deployment(
        &ns.name,
        &web_deployment("web", "nginx:1.25", 1, &[("app", "web")]),
    )
    .await;
    tb.wait_rolled_out(&ns.name, "web").await;
    // The viewer may read and patch Deployments here, and nothing of Argo or Flagger.
    let rbac = format!(
        r#"{{"apiVersion":"v1","kind":"List","items":[
  {{"apiVersion":"rbac.authorization.k8s.io/v1","kind":"Role","metadata":{{"name":"deployer","namespace":"{ns}"}},
    "rules":[
      {{"apiGroups":["apps"],"resources":["deployments","replicasets"],"verbs":["get","list","watch","patch"]}},
      {{"apiGroups":[""],"resources":["pods","events"],"verbs":["get","list","watch","create"]}}]}},
  {{"apiVersion":"rbac.authorization.k8s.io/v1","kind":"RoleBinding","metadata":{{"name":"deployer","namespace":"{ns}"}},
    "roleRef":{{"apiGroup":"rbac.authorization.k8s.io","kind":"Role","name":"deployer"}},
    "subjects":[{{"apiGroup":"rbac.authorization.k8s.io","kind":"User","name":"viewer"}}]}}]}}"#,
        ns = ns.name
    );
    tb.apply(&ns.name, &rbac);

    let cli = Cli::new(&tb.kubeconfig);
    let base = ["--context", VIEWER, "-n", ns.name.as_str()];
    let out = cli.run(&[&base[..], &["status"]].concat());
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(stdout(&out).contains("web"), "{}", text(&out));
    assert_eq!(
        stderr(&out)
            .lines()
            .filter(|l| l.contains("rollouts"))
            .count(),
        1,
        "reported once: {}",
        text(&out)
    );

    let out = cli.run(&[&base[..], &["pause", "deployment/web", "--dry-run"]].concat());
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));

    let t = Tmux::ripcord(
        "rbac",
        &cli,
        &format!("--context {VIEWER} -n {}", ns.name),
        160,
        30,
    );
    let screen = t.wait_for("the deployment, synced", |s| {
        s.contains("web") && s.contains("synced")
    });
    assert!(!screen.contains("denied"), "{screen}");
}

/// The testbed's kubeconfig with the admin's token replaced by one the server never issued.
fn wrong_token_kubeconfig(tb: &Testbed, dir: &Path) -> PathBuf {
    let text = std::fs::read_to_string(&tb.kubeconfig).expect("read kubeconfig");
    assert!(
        text.contains("token: admin-token"),
        "the testbed's kubeconfig changed"
    );
    let path = dir.join("wrong-token");
    std::fs::write(
        &path,
        text.replace("token: admin-token", "token: not-a-token"),
    )
    .expect("write");
    path
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rejected_credentials_are_exit_3_with_a_sentence_and_the_console_says_so() {
    let Some(tb) = testbed().await else { return };
    let dir = tempfile::tempdir().expect("temp dir");
    let cli = Cli::new(&wrong_token_kubeconfig(&tb, dir.path()));
    for args in [
        &["status"][..],
        &["status", "-n", "default"],
        &["pause", "web", "-n", "default"],
    ] {
        let out = cli.run(args);
        assert_eq!(out.status.code(), Some(3), "{args:?}: {}", text(&out));
        let err = stderr(&out);
        assert!(
            err.contains(&format!("credentials rejected by {ADMIN}")),
            "{args:?}: {}",
            text(&out)
        );
        for dump in ["Status {", "ErrorResponse", "ApiError"] {
            assert!(!err.contains(dump), "{args:?}: {}", text(&out));
        }
    }
    let t = Tmux::ripcord("badtoken", &cli, "", 160, 30);
    t.wait_for("credentials rejected", |s| {
        s.contains("credentials rejected")
    });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn status_keeps_its_columns_and_a_long_name_whole_and_a_closed_pipe_ends_it_quietly() {
    let Some(tb) = testbed().await else { return };
    let ns = tb.namespace("cols").await;
    let long = "a-deployment-name-far-longer-than-its-column-x";
    for name in [long, "web"] {
        tb.create_deployment(
            &ns.name,
            &web_deployment(name, "nginx:1.25", 1, &[("app", name)]),
        )
        .await;
    }
    let cli = Cli::new(&tb.kubeconfig);
    let out = cli.run(&["status", "-n", &ns.name]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let table = stdout(&out);
    let rows: Vec<&str> = table.lines().collect();
    assert_eq!(rows.len(), 3, "{table}");
    let col = |line: &str, word: &str| line.find(word).map(|b| line[..b].chars().count());
    let kind_at = col(rows[0], "KIND").expect("KIND heading");
    for row in &rows[1..] {
        assert_eq!(col(row, "deploy/"), Some(kind_at), "misaligned:\n{table}");
    }
    // Names reach scripts whole: the column grows to the longest.
    assert!(table.contains(long) && !table.contains('…'), "{table}");

    for args in [&["status", "-A"][..], &["status", "-A", "-o", "json"]] {
        let out = cli.run_with_closed_stdout(args);
        assert_eq!(out.status.code(), Some(0), "{args:?}: {}", text(&out));
        assert!(!stderr(&out).contains("panicked"));
    }
}
