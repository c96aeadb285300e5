//! The command line at its edges, without a cluster: options that do not apply, a missing
//! or unusable kubeconfig, an unreachable cluster, a closed pipe, the journal table and
//! `config check` on directories.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

fn ripcord(dir: &Path, args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_ripcord"));
    cmd.args(args)
        .env("RIPCORD_DATA_DIR", dir)
        .env("RIPCORD_CONFIG_DIR", dir)
        .env("HOME", dir)
        .env_remove("KUBECONFIG")
        .env_remove("RUST_BACKTRACE")
        .stdin(Stdio::null());
    cmd
}

fn run(dir: &Path, args: &[&str]) -> Output {
    ripcord(dir, args).output().expect("run ripcord")
}

fn text(out: &Output) -> String {
    format!(
        "exit {:?}\nstdout:\n{}\nstderr:\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn console_options_are_not_offered_or_taken_by_headless_commands() {
    let dir = tempfile::tempdir().expect("temp dir");
    let help = run(dir.path(), &["promote", "--help"]);
    let help = String::from_utf8_lossy(&help.stdout).into_owned();
    assert!(help.contains("--reason"), "{help}");
    for option in ["--theme", "--fps", "--read-only", "--keymap"] {
        assert!(
            !help.contains(option),
            "promote --help lists {option}:\n{help}"
        );
    }
    let out = run(dir.path(), &["status", "--theme", "mono"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    // Given before the command, they are refused too, with the reason.
    let out = run(dir.path(), &["--read-only", "pause", "deployment/web"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        stderr(&out).contains("--read-only applies to the console"),
        "{}",
        text(&out)
    );
    // The console and the demo still take them, before or after `demo`.
    let help = run(dir.path(), &["demo", "--help"]);
    let help = String::from_utf8_lossy(&help.stdout).into_owned();
    for option in ["--theme", "--fps", "--read-only", "--keymap", "--speed"] {
        assert!(help.contains(option), "demo --help lacks {option}:\n{help}");
    }
}

#[test]
fn a_demo_speed_outside_its_range_is_refused_with_the_range() {
    let dir = tempfile::tempdir().expect("temp dir");
    for speed in ["1e9", "0.1", "65", "NaN", "0"] {
        let out = run(dir.path(), &["demo", "--speed", speed]);
        assert_eq!(
            out.status.code(),
            Some(2),
            "--speed {speed}: {}",
            text(&out)
        );
        assert!(
            stderr(&out).contains("0.25") && stderr(&out).contains("64"),
            "{}",
            text(&out)
        );
    }
}

#[test]
fn a_demo_namespace_or_context_it_does_not_have_is_refused_with_what_it_has() {
    let dir = tempfile::tempdir().expect("temp dir");
    let out = run(dir.path(), &["demo", "-n", "nosuch"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        stderr(&out).contains("nosuch") && stderr(&out).contains("shop"),
        "{}",
        text(&out)
    );
    let out = run(dir.path(), &["demo", "--context", "prod-us"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(stderr(&out).contains("prod-eu"), "{}", text(&out));
    let out = run(dir.path(), &["demo", "--kubeconfig", "/tmp/kc"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
}

fn tmux(args: &[&str]) -> String {
    let out = Command::new("tmux")
        .args(args)
        .output()
        .expect("tmux must be installed");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn the_demo_shows_only_the_namespace_and_context_asked_for() {
    let dir = tempfile::tempdir().expect("temp dir");
    let session = format!("ripcord-demo-filter-{}", std::process::id());
    let command = format!(
        "RIPCORD_CONFIG_DIR={d} RIPCORD_DATA_DIR={d} {bin} demo --paused -n shop --context prod-eu; sleep 30",
        d = dir.path().display(),
        bin = env!("CARGO_BIN_EXE_ripcord"),
    );
    let started = Command::new("tmux")
        .args(["new-session", "-d", "-s", &session, "-x", "200", "-y", "40"])
        .arg(command)
        .status()
        .expect("tmux");
    assert!(started.success());
    struct Kill(String);
    impl Drop for Kill {
        fn drop(&mut self) {
            tmux(&["kill-session", "-t", &self.0]);
        }
    }
    let _kill = Kill(session.clone());
    let deadline = Instant::now() + Duration::from_secs(20);
    let screen = loop {
        let screen = tmux(&["capture-pane", "-p", "-t", &session]);
        if screen.contains("checkout") || Instant::now() > deadline {
            break screen;
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    assert!(
        screen.contains("ctx:prod-eu") && screen.contains("ns:shop"),
        "{screen}"
    );
    assert!(screen.contains("checkout"), "{screen}");
    // Releases of other namespaces and of the other context are not listed.
    for other in ["payments-api", "podinfo", "search-api"] {
        assert!(!screen.contains(other), "{other} shown:\n{screen}");
    }
}

/// A kubeconfig whose only context points at a port nothing listens on.
fn unreachable_kubeconfig(dir: &Path) -> std::path::PathBuf {
    let path = dir.join("kubeconfig");
    std::fs::write(
        &path,
        "apiVersion: v1\nkind: Config\nclusters:\n- name: down\n  cluster:\n    server: https://127.0.0.1:1\n    insecure-skip-tls-verify: true\ncontexts:\n- name: down\n  context:\n    cluster: down\n    user: u\ncurrent-context: down\nusers:\n- name: u\n  user:\n    token: t\n",
    )
    .expect("write kubeconfig");
    path
}

#[test]
fn an_unreachable_cluster_is_reported_once_in_a_sentence() {
    let dir = tempfile::tempdir().expect("temp dir");
    let kc = unreachable_kubeconfig(dir.path());
    for args in [
        &["status"][..],
        &["status", "-n", "shop"],
        &["status", "-A", "-o", "json"],
    ] {
        let mut all = vec!["--kubeconfig", kc.to_str().expect("utf-8 path")];
        all.extend_from_slice(args);
        let out = run(dir.path(), &all);
        assert_eq!(out.status.code(), Some(4), "{args:?}: {}", text(&out));
        let err = stderr(&out);
        assert_eq!(err.lines().count(), 1, "{args:?}: {}", text(&out));
        assert!(err.contains("down") && err.contains("unreachable"), "{err}");
        assert!(!err.contains("reconnecting"), "{err}");
        assert!(!err.contains(" in :"), "{err}");
    }
}

#[test]
fn json_output_reports_a_failure_as_json() {
    let dir = tempfile::tempdir().expect("temp dir");
    let kc = unreachable_kubeconfig(dir.path());
    let kc = kc.to_str().expect("utf-8 path");
    let json = |out: &Output| -> serde_json::Value {
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", text(out)))
    };
    let out = run(dir.path(), &["--kubeconfig", kc, "status", "-o", "json"]);
    assert_eq!(out.status.code(), Some(4), "{}", text(&out));
    let v = json(&out);
    assert!(v.get("releases").is_none(), "not an empty list: {v}");
    assert_eq!(v["error"]["kind"], "unreachable", "{v}");
    assert!(v["error"]["message"]
        .as_str()
        .unwrap_or("")
        .contains("unreachable"));
    let out = run(
        dir.path(),
        &["--kubeconfig", kc, "pause", "deployment/web", "-o", "json"],
    );
    assert_eq!(out.status.code(), Some(4), "{}", text(&out));
    let v = json(&out);
    assert_eq!(v["result"]["Err"]["kind"], "unreachable", "{v}");
    assert!(v["result"]["Err"]["message"].is_string(), "{v}");
}

#[test]
fn out_of_range_fps_and_all_namespaces_on_an_action_are_refused() {
    let dir = tempfile::tempdir().expect("temp dir");
    for fps in ["0", "1000"] {
        let out = run(dir.path(), &["demo", "--fps", fps]);
        assert_eq!(out.status.code(), Some(2), "{}", text(&out));
        assert!(stderr(&out).contains("1..=120"), "{}", text(&out));
    }
    let out = run(dir.path(), &["promote", "pair/shop", "-A"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(stderr(&out).contains("-A does not apply"), "{}", text(&out));
    let help = run(dir.path(), &["promote", "--help"]);
    let help = String::from_utf8_lossy(&help.stdout).into_owned();
    assert!(!help.contains("the default for the console"), "{help}");
    assert!(!help.contains("repeat to watch several clusters"), "{help}");
    assert!(help.contains("not for actions"), "{help}");
}

#[test]
fn a_missing_kubeconfig_is_named_by_its_plain_path_and_the_console_exits_2_too() {
    let dir = tempfile::tempdir().expect("temp dir");
    // No KUBECONFIG, no --kubeconfig: the default under HOME.
    let out = run(dir.path(), &["status"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let expected = format!("{}/.kube/config: no such file", dir.path().display());
    assert!(stderr(&out).contains(&expected), "{}", text(&out));
    assert!(!stderr(&out).contains("'\""), "{}", text(&out));
    // The console, with no terminal needed to find out.
    let out = run(dir.path(), &[]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(stderr(&out).contains(&expected), "{}", text(&out));
}

#[test]
fn an_unparsable_or_exec_plugin_less_kubeconfig_exits_2_from_status_and_the_console() {
    let dir = tempfile::tempdir().expect("temp dir");
    let garbage = dir.path().join("garbage");
    std::fs::write(&garbage, "clusters: [ this is : not yaml\n").expect("write");
    let exec = dir.path().join("exec");
    std::fs::write(
        &exec,
        "apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster:\n    server: https://127.0.0.1:1\ncontexts:\n- name: c\n  context:\n    cluster: c\n    user: u\ncurrent-context: c\nusers:\n- name: u\n  user:\n    exec:\n      apiVersion: client.authentication.k8s.io/v1beta1\n      command: ripcord-test-no-such-plugin\n",
    )
    .expect("write");
    for kc in [&garbage, &exec] {
        let is_exec = kc == &exec;
        let kc = kc.to_str().expect("utf-8 path");
        for args in [vec!["--kubeconfig", kc, "status"], vec!["--kubeconfig", kc]] {
            let out = run(dir.path(), &args);
            assert_eq!(out.status.code(), Some(2), "{args:?}: {}", text(&out));
            assert!(!stderr(&out).contains("panicked"), "{}", text(&out));
            let err = stderr(&out);
            if is_exec {
                assert!(err.contains("ripcord-test-no-such-plugin"), "{err}");
            } else {
                // The parser's own line breaks stay line breaks, not `^J`.
                assert!(!err.contains("^J"), "{err}");
                assert!(err.lines().count() > 1, "{err}");
            }
        }
    }
}

fn journal_line(i: usize, name: &str, reason: Option<&str>, dry_run: bool) -> String {
    serde_json::json!({
        "time": "2026-11-21T09:00:00Z", "user": "alice", "context": "prod-eu",
        "namespace": "shop", "kind": "deployment", "name": name,
        "action": "pause", "reason": reason, "revision_before": i, "revision_after": i,
        "result": format!("ok: paused {i}"), "ok": true, "dry_run": dry_run
    })
    .to_string()
}

#[test]
fn the_journal_table_has_reason_and_dry_run_and_keeps_its_columns() {
    let dir = tempfile::tempdir().expect("temp dir");
    let lines = [
        journal_line(1, "web", Some("deploy freeze"), false),
        journal_line(2, &"very-long-deployment-name-".repeat(4), None, true),
        journal_line(
            3,
            "web",
            Some("a reason far longer than its column\u{1b}]0;PWN\u{7} can hold"),
            false,
        ),
    ];
    std::fs::write(dir.path().join("journal.jsonl"), lines.join("\n") + "\n").expect("write");
    let out = run(dir.path(), &["journal"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let table = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        !table.contains('\u{1b}') && !table.contains('\u{7}'),
        "{table:?}"
    );
    let rows: Vec<&str> = table.lines().collect();
    assert_eq!(rows.len(), 4, "{table}");
    let col = |line: &str, word: &str| line.find(word).map(|b| line[..b].chars().count());
    for heading in ["REASON", "DRY"] {
        assert!(rows[0].contains(heading), "{table}");
    }
    let result_at = col(rows[0], "RESULT").expect("RESULT heading");
    for row in &rows[1..] {
        assert_eq!(
            col(row, "ok: paused"),
            Some(result_at),
            "misaligned:\n{table}"
        );
    }
    assert!(rows[1].contains("deploy freeze"), "{table}");
    assert!(rows[2].contains("yes") && rows[2].contains('…'), "{table}");
    assert!(rows[3].contains("…"), "{table}");
}

#[test]
fn a_closed_pipe_ends_the_journal_quietly() {
    let dir = tempfile::tempdir().expect("temp dir");
    let lines: Vec<String> = (0..2000)
        .map(|i| journal_line(i, "web", None, false))
        .collect();
    std::fs::write(dir.path().join("journal.jsonl"), lines.join("\n") + "\n").expect("write");
    for args in [&["journal"][..], &["journal", "-o", "json"]] {
        let mut child = ripcord(dir.path(), args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn");
        // The reader goes away before a byte is read, as `| head -0` would.
        drop(child.stdout.take());
        let out = child.wait_with_output().expect("wait");
        assert_eq!(out.status.code(), Some(0), "{args:?}: {}", text(&out));
        assert!(!stderr(&out).contains("panicked"), "{}", text(&out));
    }
}

#[test]
fn config_check_names_what_it_checked_and_a_missing_directory_is_an_error() {
    let dir = tempfile::tempdir().expect("temp dir");
    let missing = dir.path().join("no-such-dir");
    let missing = missing.to_str().expect("utf-8 path");
    let out = run(dir.path(), &["config", "check", missing]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        stdout.contains(missing) && stdout.contains("no such file or directory"),
        "{stdout}"
    );
    assert!(!stdout.contains("ok"), "{stdout}");
    // The config directory itself, from RIPCORD_CONFIG_DIR.
    let out = ripcord(dir.path(), &["config", "check"])
        .env("RIPCORD_CONFIG_DIR", missing)
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));

    let conf = tempfile::tempdir().expect("temp dir");
    std::fs::write(conf.path().join("config.toml"), "fps = 30\n").expect("write");
    let out = run(
        dir.path(),
        &["config", "check", conf.path().to_str().expect("utf-8")],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let file = conf.path().join("config.toml");
    assert!(
        stdout.contains("no problems") && stdout.contains(&file.display().to_string()),
        "{stdout}"
    );
    let _ = std::io::stdout().flush();
}
