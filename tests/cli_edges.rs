//! The command line at its edges, without a cluster: options that do not apply, a missing
//! or unusable kubeconfig, an unreachable cluster, a closed pipe, the journal table and
//! `config check` on directories.

mod common;

use common::cli::{json, stderr, stdout, text, unreachable_kubeconfig, Cli};
use common::tmux::Tmux;
use std::io::Write;
use std::time::Duration;

#[test]
fn console_options_are_not_offered_or_taken_by_headless_commands() {
    let cli = Cli::offline();
    let help = cli.run(&["promote", "--help"]);
    let help = stdout(&help);
    assert!(help.contains("--reason"), "{help}");
    for option in ["--theme", "--fps", "--read-only", "--keymap"] {
        assert!(
            !help.contains(option),
            "promote --help lists {option}:\n{help}"
        );
    }
    let out = cli.run(&["status", "--theme", "mono"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    // Given before the command, they are refused too, with the reason.
    let out = cli.run(&["--read-only", "pause", "deployment/web"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        stderr(&out).contains("--read-only applies to the console"),
        "{}",
        text(&out)
    );
    // The console and the demo still take them, before or after `demo`.
    let help = cli.run(&["demo", "--help"]);
    let help = stdout(&help);
    for option in ["--theme", "--fps", "--read-only", "--keymap", "--speed"] {
        assert!(help.contains(option), "demo --help lacks {option}:\n{help}");
    }
}

#[test]
fn a_demo_speed_outside_its_range_is_refused_with_the_range() {
    let cli = Cli::offline();
    for speed in ["1e9", "0.1", "65", "NaN", "0"] {
        let out = cli.run(&["demo", "--speed", speed]);
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
    let cli = Cli::offline();
    let out = cli.run(&["demo", "-n", "nosuch"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        stderr(&out).contains("nosuch") && stderr(&out).contains("shop"),
        "{}",
        text(&out)
    );
    let out = cli.run(&["demo", "--context", "prod-us"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(stderr(&out).contains("prod-eu"), "{}", text(&out));
    let out = cli.run(&["demo", "--kubeconfig", "/tmp/kc"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
}

#[test]
fn the_demo_shows_only_the_namespace_and_context_asked_for() {
    let cli = Cli::offline();
    let t = Tmux::ripcord(
        "demo-filter",
        &cli,
        "demo --paused -n shop --context prod-eu",
        200,
        40,
    )
    .timeout(Duration::from_secs(20));
    let screen = t.wait_text("checkout");
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

#[test]
fn an_unreachable_cluster_is_reported_once_in_a_sentence() {
    let cli = Cli::offline();
    let kc = unreachable_kubeconfig(cli.dir());
    for args in [
        &["status"][..],
        &["status", "-n", "shop"],
        &["status", "-A", "-o", "json"],
    ] {
        let mut all = vec!["--kubeconfig", kc.to_str().expect("utf-8 path")];
        all.extend_from_slice(args);
        let out = cli.run(&all);
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
    let cli = Cli::offline();
    let kc = unreachable_kubeconfig(cli.dir());
    let kc = kc.to_str().expect("utf-8 path");
    let out = cli.run(&["--kubeconfig", kc, "status", "-o", "json"]);
    assert_eq!(out.status.code(), Some(4), "{}", text(&out));
    let v = json(&out);
    assert!(v.get("releases").is_none(), "not an empty list: {v}");
    assert_eq!(v["error"]["kind"], "unreachable", "{v}");
    assert!(v["error"]["message"]
        .as_str()
        .unwrap_or("")
        .contains("unreachable"));
    let out = cli.run(&["--kubeconfig", kc, "pause", "deployment/web", "-o", "json"]);
    assert_eq!(out.status.code(), Some(4), "{}", text(&out));
    let v = json(&out);
    assert_eq!(v["result"]["Err"]["kind"], "unreachable", "{v}");
    assert!(v["result"]["Err"]["message"].is_string(), "{v}");
}

#[test]
fn out_of_range_fps_and_all_namespaces_on_an_action_are_refused() {
    let cli = Cli::offline();
    for fps in ["0", "1000"] {
        let out = cli.run(&["demo", "--fps", fps]);
        assert_eq!(out.status.code(), Some(2), "{}", text(&out));
        assert!(stderr(&out).contains("1..=120"), "{}", text(&out));
    }
    let out = cli.run(&["promote", "pair/shop", "-A"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(stderr(&out).contains("-A does not apply"), "{}", text(&out));
    let help = cli.run(&["promote", "--help"]);
    let help = stdout(&help);
    assert!(!help.contains("the default for the console"), "{help}");
    assert!(!help.contains("repeat to watch several clusters"), "{help}");
    assert!(help.contains("not for actions"), "{help}");
}

#[test]
fn a_missing_kubeconfig_is_named_by_its_plain_path_and_the_console_exits_2_too() {
    let cli = Cli::offline();
    // No KUBECONFIG, no --kubeconfig: the default under HOME.
    let out = cli.run(&["status"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let expected = format!("{}/.kube/config: no such file", cli.dir().display());
    assert!(stderr(&out).contains(&expected), "{}", text(&out));
    assert!(!stderr(&out).contains("'\""), "{}", text(&out));
    // The console, with no terminal needed to find out.
    let out = cli.run(&[]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(stderr(&out).contains(&expected), "{}", text(&out));
}

#[test]
fn an_unparsable_or_exec_plugin_less_kubeconfig_exits_2_from_status_and_the_console() {
    let cli = Cli::offline();
    let garbage = cli.dir().join("garbage");
    std::fs::write(&garbage, "clusters: [ this is : not yaml\n").expect("write");
    let exec = cli.dir().join("exec");
    std::fs::write(
        &exec,
        "apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster:\n    server: https://127.0.0.1:1\ncontexts:\n- name: c\n  context:\n    cluster: c\n    user: u\ncurrent-context: c\nusers:\n- name: u\n  user:\n    exec:\n      apiVersion: client.authentication.k8s.io/v1beta1\n      command: ripcord-test-no-such-plugin\n",
    )
    .expect("write");
    for kc in [&garbage, &exec] {
        let is_exec = kc == &exec;
        let kc = kc.to_str().expect("utf-8 path");
        for args in [vec!["--kubeconfig", kc, "status"], vec!["--kubeconfig", kc]] {
            let out = cli.run(&args);
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
    let cli = Cli::offline();
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
    std::fs::write(cli.dir().join("journal.jsonl"), lines.join("\n") + "\n").expect("write");
    let out = cli.run(&["journal"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let table = stdout(&out);
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
    let cli = Cli::offline();
    let lines: Vec<String> = (0..2000)
        .map(|i| journal_line(i, "web", None, false))
        .collect();
    std::fs::write(cli.dir().join("journal.jsonl"), lines.join("\n") + "\n").expect("write");
    for args in [&["journal"][..], &["journal", "-o", "json"]] {
        let out = cli.run_with_closed_stdout(args);
        assert_eq!(out.status.code(), Some(0), "{args:?}: {}", text(&out));
        assert!(!stderr(&out).contains("panicked"), "{}", text(&out));
    }
}

#[test]
fn config_check_names_what_it_checked_and_a_missing_directory_is_an_error() {
    let cli = Cli::offline();
    let missing = cli.dir().join("no-such-dir");
    let missing = missing.to_str().expect("utf-8 path");
    let out = cli.run(&["config", "check", missing]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let said = stdout(&out);
    assert!(
        said.contains(missing) && said.contains("no such file or directory"),
        "{said}"
    );
    assert!(!said.contains("ok"), "{said}");
    // The config directory itself, from RIPCORD_CONFIG_DIR.
    let out = cli
        .command(&["config", "check"])
        .env("RIPCORD_CONFIG_DIR", missing)
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));

    let conf = tempfile::tempdir().expect("temp dir");
    std::fs::write(conf.path().join("config.toml"), "fps = 30\n").expect("write");
    let out = cli.run(&["config", "check", conf.path().to_str().expect("utf-8")]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let said = stdout(&out);
    let file = conf.path().join("config.toml");
    assert!(
        said.contains("no problems") && said.contains(&file.display().to_string()),
        "{said}"
    );
    let _ = std::io::stdout().flush();
}

/// A console whose context does not answer exits 4 like `status`, before it needs a
/// terminal, instead of failing with 1.
#[test]
fn a_console_that_reaches_no_context_exits_4_like_status() {
    let cli = Cli::offline();
    let kubeconfig = unreachable_kubeconfig(cli.dir());
    let kc = kubeconfig.to_str().expect("utf-8 path");
    let status = cli.run(&["--kubeconfig", kc, "status"]);
    assert_eq!(status.status.code(), Some(4), "{}", text(&status));
    let console = cli.run(&["--kubeconfig", kc]);
    assert_eq!(console.status.code(), Some(4), "{}", text(&console));
    assert!(stderr(&console).contains("down"), "{}", text(&console));
    assert!(!stderr(&console).contains("terminal"), "{}", text(&console));
}
