//! A program in a real pseudo-terminal (a detached tmux session): keys in, screen out.
#![allow(dead_code)] // each test binary uses a different subset

use super::cli::Cli;
use std::any::Any;
use std::process::Command;
use std::time::{Duration, Instant};

/// Runs `tmux ARGS`; its stdout.
pub fn tmux(args: &[&str]) -> String {
    let out = Command::new("tmux")
        .args(args)
        .output()
        .expect("tmux must be installed for the terminal tests (apt-get install tmux)");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A session, killed when dropped.
pub struct Tmux {
    pub session: String,
    timeout: Duration,
    _keep: Option<Box<dyn Any>>,
}

impl Tmux {
    /// Runs the shell line `command` in a detached session of the given size. When it ends,
    /// the pane shows `EXITED <code>` and stays for a minute.
    pub fn start(name: &str, command: &str, width: u16, height: u16) -> Tmux {
        let session = format!("ripcord-e2e-{name}-{}", std::process::id());
        let status = Command::new("tmux")
            .args(["new-session", "-d", "-s", &session])
            .args(["-x", &width.to_string(), "-y", &height.to_string()])
            .arg(format!("{command}; echo EXITED $?; sleep 60"))
            .status()
            .expect("tmux must be installed for the terminal tests (apt-get install tmux)");
        assert!(status.success(), "tmux could not start a session");
        Tmux {
            session,
            timeout: Duration::from_secs(30),
            _keep: None,
        }
    }

    /// `ripcord ARGS` as `cli` runs it, in a session of the given size.
    pub fn ripcord(name: &str, cli: &Cli, args: &str, width: u16, height: u16) -> Tmux {
        Tmux::start(name, &cli.shell_line(args), width, height)
    }

    /// How long `wait_for` waits (30 s unless told).
    pub fn timeout(mut self, timeout: Duration) -> Tmux {
        self.timeout = timeout;
        self
    }

    /// Keeps `owner` (of the program's files) until the session ends.
    pub fn keeping(mut self, owner: impl Any) -> Tmux {
        self._keep = Some(Box::new(owner));
        self
    }

    pub fn screen(&self) -> String {
        tmux(&["capture-pane", "-p", "-t", &self.session])
    }

    pub fn keys(&self, keys: &[&str]) {
        let mut args = vec!["send-keys", "-t", self.session.as_str()];
        args.extend_from_slice(keys);
        tmux(&args);
    }

    pub fn literal(&self, text: &str) {
        tmux(&["send-keys", "-t", &self.session, "-l", text]);
    }

    pub fn resize(&self, width: u16, height: u16) {
        let (width, height) = (width.to_string(), height.to_string());
        tmux(&[
            "resize-window",
            "-t",
            &self.session,
            "-x",
            &width,
            "-y",
            &height,
        ]);
    }

    /// Waits until the screen satisfies `ok`, or fails with the last screen.
    pub fn wait_for(&self, what: &str, ok: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + self.timeout;
        loop {
            let screen = self.screen();
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

    pub fn wait_text(&self, text: &str) -> String {
        self.wait_for(text, |s| s.contains(text))
    }

    fn display(&self, format: &str) -> String {
        tmux(&["display-message", "-p", "-t", &self.session, format])
            .trim()
            .to_owned()
    }

    /// The pid of the pane's shell.
    pub fn pane_pid(&self) -> String {
        self.display("#{pane_pid}")
    }

    pub fn alternate_on(&self) -> bool {
        self.display("#{alternate_on}") == "1"
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        tmux(&["kill-session", "-t", &self.session]);
    }
}
