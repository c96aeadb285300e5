//! The `ripcord` binary run as a user runs it: a kubeconfig (or none), its own config and
//! data directory, no terminal on stdin; and what it printed, for assertion messages.
#![allow(dead_code)] // each test binary uses a different subset

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

pub const BIN: &str = env!("CARGO_BIN_EXE_ripcord");

pub struct Cli {
    /// `None`: no `KUBECONFIG`, and `HOME` in the directory, so no kubeconfig is found.
    kubeconfig: Option<PathBuf>,
    dir: tempfile::TempDir,
}

impl Cli {
    /// Against the cluster(s) in `kubeconfig`.
    pub fn new(kubeconfig: &Path) -> Cli {
        Cli {
            kubeconfig: Some(kubeconfig.to_path_buf()),
            dir: tempfile::tempdir().expect("temp dir"),
        }
    }

    /// With no kubeconfig anywhere.
    pub fn offline() -> Cli {
        Cli {
            kubeconfig: None,
            dir: tempfile::tempdir().expect("temp dir"),
        }
    }

    /// The config and data directory (and, offline, `HOME`).
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    pub fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(BIN);
        cmd.args(args)
            .env("RIPCORD_DATA_DIR", self.dir())
            .env("RIPCORD_CONFIG_DIR", self.dir())
            .env_remove("RUST_BACKTRACE")
            .stdin(Stdio::null());
        match &self.kubeconfig {
            Some(kubeconfig) => cmd.env("KUBECONFIG", kubeconfig),
            None => cmd.env_remove("KUBECONFIG").env("HOME", self.dir()),
        };
        cmd
    }

    pub fn run(&self, args: &[&str]) -> Output {
        self.command(args).output().expect("run ripcord")
    }

    /// Runs with its stdout closed before a byte is read, as `| head -0` would.
    pub fn run_with_closed_stdout(&self, args: &[&str]) -> Output {
        let mut child = self
            .command(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn ripcord");
        drop(child.stdout.take());
        child.wait_with_output().expect("wait for ripcord")
    }

    /// The same run as a shell line (for a terminal session): `ripcord ARGS` with this
    /// environment.
    pub fn shell_line(&self, args: &str) -> String {
        let d = self.dir().display();
        let env = match &self.kubeconfig {
            Some(kubeconfig) => format!("KUBECONFIG={}", kubeconfig.display()),
            None => format!("env -u KUBECONFIG HOME={d}"),
        };
        format!("{env} RIPCORD_CONFIG_DIR={d} RIPCORD_DATA_DIR={d} {BIN} {args}")
    }
}

/// Exit code, stdout and stderr, for an assertion's message.
pub fn text(out: &Output) -> String {
    format!(
        "exit {:?}\nstdout:\n{}\nstderr:\n{}",
        out.status.code(),
        stdout(out),
        stderr(out)
    )
}

pub fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Stdout as one JSON document.
pub fn json(out: &Output) -> serde_json::Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("not JSON ({e}):\n{}", text(out)))
}

/// Stdout as JSON lines.
pub fn json_lines(out: &Output) -> Vec<serde_json::Value> {
    stdout(out)
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect()
}

/// A kubeconfig whose only context, `down`, points at a port nothing listens on.
pub fn unreachable_kubeconfig(dir: &Path) -> PathBuf {
    let path = dir.join("kubeconfig");
    std::fs::write(
        &path,
        "apiVersion: v1\nkind: Config\nclusters:\n- name: down\n  cluster:\n    server: https://127.0.0.1:1\n    insecure-skip-tls-verify: true\ncontexts:\n- name: down\n  context:\n    cluster: down\n    user: u\ncurrent-context: down\nusers:\n- name: u\n  user:\n    token: t\n",
    )
    .expect("write kubeconfig");
    path
}
