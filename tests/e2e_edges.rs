//! Real-cluster edges, as the real binary meets them on the testbed: narrow RBAC, rejected
//! credentials, a closed pipe and long names in `status`.

mod common;
use common::testbed;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};
use testbed::*;

struct Cli {
    kubeconfig: PathBuf,
    dir: tempfile::TempDir,
}

impl Cli {
    fn new(kubeconfig: &Path) -> Cli {
        Cli {
            kubeconfig: kubeconfig.to_path_buf(),
            dir: tempfile::tempdir().expect("temp dir"),
        }
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_ripcord"));
        cmd.args(args)
            .env("KUBECONFIG", &self.kubeconfig)
            .env("RIPCORD_DATA_DIR", self.dir.path())
            .env("RIPCORD_CONFIG_DIR", self.dir.path())
            .env_remove("RUST_BACKTRACE")
            .stdin(Stdio::null());
        cmd
    }

    fn run(&self, args: &[&str]) -> Output {
        self.command(args).output().expect("run ripcord")
    }
}

fn text(out: &Output) -> String {
    format!(
        "exit {:?}\nstdout:\n{}\nstderr:\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

fn tmux(args: &[&str]) -> String {
    let out = Command::new("tmux")
        .args(args)
        .output()
        .expect("tmux must be installed");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

struct Session(String);

impl Drop for Session {
    fn drop(&mut self) {
        tmux(&["kill-session", "-t", &self.0]);
    }
}

/// `ripcord ARGS` in a 160x30 tmux session.
fn console(name: &str, cli: &Cli, args: &str) -> Session {
    let session = format!("ripcord-{name}-{}", std::process::id());
    let command = format!(
        "KUBECONFIG={} RIPCORD_CONFIG_DIR={d} RIPCORD_DATA_DIR={d} {bin} {args}; echo EXITED $?; sleep 60",
        cli.kubeconfig.display(),
        d = cli.dir.path().display(),
        bin = env!("CARGO_BIN_EXE_ripcord"),
    );
    let started = Command::new("tmux")
        .args(["new-session", "-d", "-s", &session, "-x", "160", "-y", "30"])
        .arg(command)
        .status()
        .expect("tmux must be installed");
    assert!(started.success());
    Session(session)
}

fn wait_screen(session: &Session, what: &str, ok: impl Fn(&str) -> bool) -> String {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let screen = tmux(&["capture-pane", "-p", "-t", &session.0]);
        if ok(&screen) {
            return screen;
        }
        assert!(
            Instant::now() < deadline,
            "timed out waiting for {what}; screen:\n{screen}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

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
    let file = tempfile::NamedTempFile::new().expect("temp file");
    std::fs::write(file.path(), rbac).expect("write rbac");
    tb.kubectl(
        &ns.name,
        &["apply", "-f", &file.path().display().to_string()],
    );

    let cli = Cli::new(&tb.kubeconfig);
    let base = ["--context", VIEWER, "-n", ns.name.as_str()];
    let out = cli.run(&[&base[..], &["status"]].concat());
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("web"), "{}", text(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        stderr.lines().filter(|l| l.contains("rollouts")).count(),
        1,
        "reported once: {}",
        text(&out)
    );

    let out = cli.run(&[&base[..], &["pause", "deployment/web", "--dry-run"]].concat());
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));

    let session = console("rbac", &cli, &format!("--context {VIEWER} -n {}", ns.name));
    let screen = wait_screen(&session, "the deployment, synced", |s| {
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
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stderr.contains(&format!("credentials rejected by {ADMIN}")),
            "{args:?}: {}",
            text(&out)
        );
        for dump in ["Status {", "ErrorResponse", "ApiError"] {
            assert!(!stderr.contains(dump), "{args:?}: {}", text(&out));
        }
    }
    let session = console("badtoken", &cli, "");
    wait_screen(&session, "credentials rejected", |s| {
        s.contains("credentials rejected")
    });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn status_keeps_its_columns_with_a_long_name_and_a_closed_pipe_ends_it_quietly() {
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
    let table = String::from_utf8_lossy(&out.stdout).into_owned();
    let rows: Vec<&str> = table.lines().collect();
    assert_eq!(rows.len(), 3, "{table}");
    let col = |line: &str, word: &str| line.find(word).map(|b| line[..b].chars().count());
    let kind_at = col(rows[0], "KIND").expect("KIND heading");
    for row in &rows[1..] {
        assert_eq!(col(row, "deploy/"), Some(kind_at), "misaligned:\n{table}");
    }
    assert!(
        table.contains("a-deployment-name-far-l") && table.contains('…'),
        "{table}"
    );

    for args in [&["status", "-A"][..], &["status", "-A", "-o", "json"]] {
        let mut child = cli
            .command(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn");
        drop(child.stdout.take());
        let out = child.wait_with_output().expect("wait");
        assert_eq!(out.status.code(), Some(0), "{args:?}: {}", text(&out));
        assert!(!String::from_utf8_lossy(&out.stderr).contains("panicked"));
    }
}
