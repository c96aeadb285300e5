//! The real binary in a real pseudo-terminal (tmux): keys in, screen out.

mod common;

use common::cli::Cli;
use common::tmux::{tmux, Tmux};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

/// Starts `ripcord ARGS` in a detached session of the given size.
fn start(name: &str, args: &str, width: u16, height: u16) -> Tmux {
    start_with(name, args, width, height, &[])
}

/// Like `start`, with files written into the config directory first.
fn start_with(name: &str, args: &str, width: u16, height: u16, files: &[(&str, &str)]) -> Tmux {
    let cli = Cli::offline();
    for (file, text) in files {
        std::fs::write(cli.dir().join(file), text).expect("write config file");
    }
    Tmux::ripcord(name, &cli, args, width, height)
        .timeout(Duration::from_secs(20))
        .keeping(cli)
}

fn file_len(path: &Path) -> u64 {
    std::fs::metadata(path).map(|m| m.len()).unwrap_or(0)
}

#[test]
fn filter_open_and_promote_with_confirmation() {
    let t = start("flow", "demo --paused", 100, 30);
    t.wait_text("cart");
    t.keys(&["/"]);
    t.literal("cart");
    t.keys(&["Enter"]);
    let screen = t.wait_for("the filter to apply", |s| {
        s.contains("filter:/cart") && !s.contains("checkout")
    });
    assert!(screen.contains("Waiting"), "{screen}");
    t.keys(&["Enter"]);
    t.wait_text("rollout/cart");
    t.keys(&["P"]);
    let screen = t.wait_text("confirm");
    assert!(screen.contains("promote-full rollout/cart"), "{screen}");
    t.keys(&["y"]);
    let screen = t.wait_text("✔ promote-full rollout/cart");
    assert!(
        screen.contains("Healthy") || screen.contains("Progressing"),
        "{screen}"
    );
    t.keys(&["q"]);
    let screen = t.wait_text("EXITED 0");
    assert!(
        !t.alternate_on(),
        "the alternate screen was left:\n{screen}"
    );
}

#[test]
fn an_idle_console_with_a_paused_clock_writes_nothing() {
    let t = start("idle", "demo --paused", 80, 24);
    t.wait_text("ledger");
    std::thread::sleep(Duration::from_millis(300));
    let dir = tempfile::tempdir().expect("temp dir");
    let out: PathBuf = dir.path().join("bytes");
    tmux(&[
        "pipe-pane",
        "-o",
        "-t",
        &t.session,
        &format!("cat >> {}", out.display()),
    ]);
    std::thread::sleep(Duration::from_millis(1500));
    assert_eq!(file_len(&out), 0, "an idle console wrote to the terminal");
    // The pipe does see output: a key press redraws.
    t.keys(&["j"]);
    let deadline = Instant::now() + Duration::from_secs(5);
    while file_len(&out) == 0 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(
        file_len(&out) > 0,
        "moving the selection wrote nothing: the measurement is broken"
    );
}

#[test]
fn sigterm_and_sighup_restore_the_terminal() {
    for signal in ["TERM", "HUP"] {
        let t = start(&format!("sig{signal}"), "demo", 80, 24);
        t.wait_text("ledger");
        assert!(t.alternate_on(), "the console runs on the alternate screen");
        let shell = t.pane_pid();
        let pids = Command::new("pgrep")
            .args(["-P", &shell, "-f", "ripcord"])
            .output()
            .expect("pgrep");
        let pid = String::from_utf8_lossy(&pids.stdout).trim().to_owned();
        assert!(
            !pid.is_empty(),
            "ripcord is not running under the pane shell"
        );
        Command::new("kill")
            .args([&format!("-{signal}"), &pid])
            .status()
            .expect("kill");
        let screen = t.wait_text("EXITED");
        assert!(
            !t.alternate_on(),
            "SIG{signal} left the alternate screen on:\n{screen}"
        );
    }
}

#[test]
fn a_small_terminal_shows_a_message_and_resizing_recovers() {
    let t = start("small", "demo --paused", 40, 10);
    t.wait_text("terminal too small");
    t.resize(80, 24);
    t.wait_text("ledger");
}

#[test]
fn a_broken_user_keymap_is_reported_and_the_defaults_still_work() {
    let keymap = "[home]\nkeymap = [\n  { on = \"x\", run = \"explode\", desc = \"Boom\" },\n]\n";
    let t = start_with(
        "badcfg",
        "demo --paused",
        100,
        30,
        &[("keymap.toml", keymap)],
    );
    let screen = t.wait_text("⚠ config");
    assert!(
        screen.contains("keymap.toml:3"),
        "the warning names file:line:\n{screen}"
    );
    assert!(
        screen.contains("(! shows it)"),
        "the warning names the key that shows it whole:\n{screen}"
    );
    t.keys(&["!"]);
    t.wait_text("1 config problem ");
    t.keys(&["Escape"]);
    t.wait_for("the list to close", |s| !s.contains("1 config problem "));
    t.keys(&["?"]);
    t.wait_text("Go to top");
}

/// Sends keys one at a time, as a person would.
fn type_keys(t: &Tmux, keys: &[&str]) {
    for key in keys {
        t.keys(&[key]);
        std::thread::sleep(Duration::from_millis(150));
    }
}

#[test]
fn keys_pressed_while_the_terminal_is_too_small_do_nothing() {
    let t = start("tinykeys", "demo --paused", 40, 10);
    t.wait_text("terminal too small");
    type_keys(&t, &["j", "j", "P", "Enter", "y"]);
    std::thread::sleep(Duration::from_millis(300));
    t.resize(100, 30);
    t.wait_text("cart");
    std::thread::sleep(Duration::from_millis(500));
    let screen = t.screen();
    assert!(
        !screen.contains("✔ promote") && !screen.contains("confirm"),
        "a key acted behind the message:\n{screen}"
    );
    assert!(screen.contains("Waiting"), "{screen}");
}

#[test]
fn enter_does_not_confirm_a_dangerous_action() {
    let t = start("enter", "demo --paused", 100, 30);
    t.wait_text("cart");
    t.keys(&["/"]);
    t.literal("cart");
    t.keys(&["Enter"]);
    t.wait_for("the filter to apply", |s| !s.contains("checkout"));
    t.keys(&["P"]);
    let screen = t.wait_text("confirm");
    assert!(screen.contains("Enter does not confirm"), "{screen}");
    t.keys(&["Enter"]);
    let screen = t.wait_text("press y to confirm");
    assert!(!screen.contains("✔ promote-full"), "{screen}");
    t.keys(&["Escape"]);
    let screen = t.wait_text("cancelled");
    assert!(screen.contains("Waiting"), "{screen}");
}

#[test]
fn ctrl_c_quits_from_the_filter_and_from_help() {
    for (name, opening) in [("filter", "/"), ("help", "?")] {
        let t = start(&format!("ctrlc{name}"), "demo --paused", 100, 30);
        t.wait_text("cart");
        t.keys(&[opening]);
        if name == "filter" {
            t.literal("ca");
            t.wait_text("filter:/ca");
        } else {
            t.wait_text("Go to top");
        }
        t.keys(&["C-c"]);
        let screen = t.wait_text("EXITED 0");
        assert!(
            !t.alternate_on(),
            "{name}: the alternate screen was left on:\n{screen}"
        );
    }
}

#[test]
fn rollback_names_its_target_and_never_offers_the_crash_looping_revision() {
    let t = start("rollback", "demo --paused", 120, 36);
    t.wait_text("recommender");
    t.keys(&["/"]);
    t.literal("recommender");
    t.keys(&["Enter"]);
    t.wait_for("the filter to apply", |s| !s.contains("checkout"));
    t.keys(&["Enter"]);
    t.wait_text("deployment/recommender");
    type_keys(&t, &["j", "u"]);
    let screen = t.wait_text("confirm");
    let to = screen
        .lines()
        .find(|l| l.contains("to       #"))
        .unwrap_or_default();
    assert!(to.contains("#1") && to.contains("3.0.1"), "{screen}");
    assert!(
        screen.contains("replaces") && screen.contains("3.1.0-crash"),
        "{screen}"
    );
    t.keys(&["y"]);
    t.wait_text("✔ rollback");
    // The cursor stayed on the 3.0.1 revision (now the current one): `u` must not go back
    // to the crash-looping image.
    t.keys(&["u"]);
    let screen = t.wait_for("a confirmation or a refusal", |s| {
        s.contains("confirm") || s.contains("cannot roll back")
    });
    let offered = screen
        .lines()
        .find(|l| l.contains("to       #"))
        .unwrap_or_default();
    assert!(!offered.contains("crash"), "{screen}");
}

#[test]
fn the_detail_view_switches_tabs_by_number_and_tab_and_says_when_one_is_empty() {
    let t = start("tabs", "demo --paused", 80, 24);
    t.wait_text("checkout");
    t.keys(&["/"]);
    t.literal("checkout");
    t.keys(&["Enter"]);
    t.wait_for("the filter to apply", |s| !s.contains("payments-api"));
    t.keys(&["Enter"]);
    t.wait_text("▸1 overview");
    t.wait_text("Revisions");
    t.keys(&["5"]);
    let screen = t.wait_text("▸5 security");
    assert!(screen.contains("runs as root"), "{screen}");
    t.keys(&["Tab"]);
    t.wait_text("▸6 events");
    t.keys(&["BTab", "BTab"]);
    let screen = t.wait_text("▸4 flags");
    assert!(screen.contains("checkout.one-click"), "{screen}");
    // j on the overview still moves the revision cursor.
    t.keys(&["1", "j"]);
    t.wait_for("the cursor on the second revision", |s| {
        s.lines().any(|l| l.starts_with("▸#1"))
    });
    t.keys(&["q"]);
    t.wait_text("EXITED 0");
}

#[test]
fn a_message_expires_while_the_demo_clock_is_paused() {
    let t = start("expire", "demo --paused", 100, 30);
    t.wait_text("ledger");
    t.keys(&["!"]);
    t.wait_text("no configuration problems");
    // Ten seconds of wall time, and a little for the tick.
    t.wait_for("the message to expire", |s| {
        !s.contains("no configuration problems")
    });
}

#[test]
fn speed_keys_pressed_in_one_burst_all_count() {
    let t = start("burst", "demo --paused", 100, 30);
    t.wait_text("ledger");
    t.literal("+++");
    t.wait_text(" 8x ");
}

#[test]
fn a_rebound_confirm_key_is_the_one_the_dialog_names_and_the_one_that_runs() {
    let keymap = "[confirm]\nkeymap = [\n  { on = \"x\", run = \"confirm\" },\n  { on = \"y\", run = \"noop\" },\n  { on = \"Y\", run = \"noop\" },\n]\n";
    let t = start_with(
        "rebound",
        "demo --paused",
        100,
        30,
        &[("keymap.toml", keymap)],
    );
    t.wait_text("cart");
    t.keys(&["/"]);
    t.literal("cart");
    t.keys(&["Enter"]);
    t.wait_for("the filter to apply", |s| !s.contains("checkout"));
    t.keys(&["a"]);
    let screen = t.wait_text("x confirms");
    assert!(!screen.contains("y confirms"), "{screen}");
    t.keys(&["y"]);
    let screen = t.wait_text("press x to confirm");
    assert!(!screen.contains("✔ abort"), "{screen}");
    t.keys(&["x"]);
    t.wait_text("✔ abort");
}
