//! `ripcord gate` and `ripcord analyze` as the real binary against the testbed and its real
//! Prometheus: a good canary pair passes, a bad one fails and `--rollback-on-fail` aborts
//! it through the journal, and a Prometheus that goes away mid-gate is exit 4, never a pass.

mod common;
use common::testbed;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};
use testbed::*;

const CANARY_OF: &str = "ripcord.dev/canary-of";

/// Stopping Prometheus must not pull it from under the other tests of this file.
static PROMETHEUS: tokio::sync::RwLock<()> = tokio::sync::RwLock::const_new(());

fn state_dir() -> PathBuf {
    kubeconfig_path()
        .parent()
        .expect("kubeconfig in the state dir")
        .to_path_buf()
}

fn prometheus_url() -> String {
    let file = state_dir().join("prometheus-url");
    std::fs::read_to_string(&file)
        .unwrap_or_else(|e| panic!("no Prometheus on the testbed ({}: {e})", file.display()))
        .trim()
        .to_owned()
}

fn testbed_command(what: &str) {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/testbed");
    let status = Command::new(script)
        .arg(what)
        .env("RIPCORD_TESTBED_DIR", state_dir())
        .status()
        .expect("scripts/testbed runs");
    assert!(status.success(), "scripts/testbed {what} failed");
}

/// Starts Prometheus again however the test ends.
struct RestartPrometheus;

impl Drop for RestartPrometheus {
    fn drop(&mut self) {
        testbed_command("start-prometheus");
    }
}

struct Cli {
    kubeconfig: PathBuf,
    data: tempfile::TempDir,
    config: tempfile::TempDir,
    analysis: PathBuf,
}

impl Cli {
    /// With the example HTTP analysis, its rate windows short enough for a test's minute,
    /// and the testbed's Prometheus set for the admin context in config.toml.
    fn new(tb: &Testbed) -> Cli {
        let config = tempfile::tempdir().expect("temp dir");
        let analysis = config.path().join("http.toml");
        let text = ripcord::config::analysis_examples()[0]
            .1
            .replace("[1m]", "[10s]");
        std::fs::write(&analysis, text).expect("write the analysis config");
        std::fs::write(
            config.path().join("config.toml"),
            format!(
                "[contexts.\"{ADMIN}\"]\nprometheus = \"{}\"\n",
                prometheus_url()
            ),
        )
        .expect("write config.toml");
        Cli {
            kubeconfig: tb.kubeconfig.clone(),
            data: tempfile::tempdir().expect("temp dir"),
            config,
            analysis,
        }
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_ripcord"));
        command
            .args(args)
            .env("KUBECONFIG", &self.kubeconfig)
            .env("RIPCORD_DATA_DIR", self.data.path())
            .env("RIPCORD_CONFIG_DIR", self.config.path())
            .env_remove("RUST_BACKTRACE");
        command
    }

    fn run(&self, args: &[&str]) -> Output {
        self.command(args).output().expect("run ripcord")
    }

    fn gate(&self, ns: &str, extra: &[&str]) -> Output {
        let analysis = self.analysis.display().to_string();
        let mut args = vec![
            "gate",
            "pair/web",
            "-n",
            ns,
            "--config",
            &analysis,
            "--timeout",
            "60s",
            "--window",
            "40s",
            "--interval",
            "5s",
        ];
        args.extend_from_slice(extra);
        self.run(&args)
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

/// A stable Deployment on a good image and its canary on `canary_image`.
async fn pair(tb: &Testbed, ns: &str, canary_image: &str) {
    let stable = web_deployment(
        "web",
        "shop/web:1.0",
        2,
        &[("app", "web"), ("track", "stable")],
    );
    let mut canary = web_deployment(
        "web-canary",
        canary_image,
        2,
        &[("app", "web"), ("track", "canary")],
    );
    canary
        .metadata
        .labels
        .get_or_insert_with(Default::default)
        .insert(CANARY_OF.into(), "web".into());
    tb.create_deployment(ns, &stable).await;
    tb.create_deployment(ns, &canary).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_good_canary_passes_the_gate() {
    let Some(tb) = testbed().await else { return };
    let _shared = PROMETHEUS.read().await;
    let ns = tb.namespace("gate-good").await;
    let cli = Cli::new(&tb);
    pair(&tb, &ns.name, "shop/web:1.1").await;

    // Prometheus comes from config.toml here; the others pass --prometheus.
    let out = cli.gate(&ns.name, &["--for", "40s"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("score 100: pass"), "{}", text(&out));
    assert!(stdout.contains("error ratio"), "{}", text(&out));

    // One judgement, as JSON, on the same data.
    let analysis = cli.analysis.display().to_string();
    let out = cli.run(&[
        "analyze", "web", "-n", &ns.name, "--config", &analysis, "--window", "40s", "-o", "json",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(json["summary"]["verdict"], "pass", "{json}");
    assert!(
        json["canary"]
            .as_str()
            .is_some_and(|s| s.starts_with("pod_template_hash=")),
        "{json}"
    );
    assert_ne!(json["canary"], json["baseline"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_canary_fails_the_gate_and_is_aborted_and_journaled() {
    let Some(tb) = testbed().await else { return };
    let _shared = PROMETHEUS.read().await;
    let ns = tb.namespace("gate-bad").await;
    let cli = Cli::new(&tb);
    pair(&tb, &ns.name, "shop/web:1.1-bad").await;

    let url = prometheus_url();
    let started = Instant::now();
    let out = cli.gate(
        &ns.name,
        &["--for", "50s", "--prometheus", &url, "--rollback-on-fail"],
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(started.elapsed() < Duration::from_secs(110));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stdout.contains("score 0: FAIL"), "{}", text(&out));
    assert!(
        stdout.contains("error ratio: canary") && stdout.contains("critical"),
        "{}",
        text(&out)
    );
    assert!(stderr.contains("failed its analysis"), "{}", text(&out));
    assert!(stderr.contains("abort"), "{}", text(&out));

    // The canary is scaled to 0.
    let canary = tb.get_deployment(&ns.name, "web-canary").await;
    assert_eq!(
        canary.spec.and_then(|s| s.replicas),
        Some(0),
        "{}",
        text(&out)
    );

    // And the abort is in the journal, with the gate's reason.
    let out = cli.run(&["journal", "-o", "json"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let entries: Vec<serde_json::Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect();
    assert_eq!(entries.len(), 1, "{entries:?}");
    assert_eq!(entries[0]["action"], "abort");
    assert_eq!(entries[0]["name"], "web");
    assert_eq!(entries[0]["namespace"], ns.name.as_str());
    assert!(
        entries[0]["reason"]
            .as_str()
            .is_some_and(|r| r.starts_with("ripcord gate:") && r.contains("error ratio")),
        "{entries:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn prometheus_going_away_mid_gate_is_exit_4() {
    let Some(tb) = testbed().await else { return };
    let _alone = PROMETHEUS.write().await;
    let ns = tb.namespace("gate-down").await;
    let cli = Cli::new(&tb);
    pair(&tb, &ns.name, "shop/web:1.1").await;
    tb.wait_rolled_out(&ns.name, "web").await;
    tb.wait_rolled_out(&ns.name, "web-canary").await;

    let url = prometheus_url();
    let analysis = cli.analysis.display().to_string();
    let child = cli
        .command(&[
            "gate",
            "pair/web",
            "-n",
            &ns.name,
            "--config",
            &analysis,
            "--prometheus",
            &url,
            "--for",
            "2m",
            "--interval",
            "2s",
            "--window",
            "30s",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn ripcord gate");
    let _restart = RestartPrometheus;
    tokio::time::sleep(Duration::from_secs(6)).await;
    testbed_command("stop-prometheus");
    let stopped = Instant::now();
    let out = child.wait_with_output().expect("ripcord gate ends");
    assert_eq!(out.status.code(), Some(4), "{}", text(&out));
    assert!(
        stopped.elapsed() < Duration::from_secs(30),
        "{}",
        text(&out)
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(&format!("Prometheus at {url} is unreachable")),
        "{}",
        text(&out)
    );
    // It judged while Prometheus was up, and never passed.
    assert!(stderr.contains("is ready; judging"), "{}", text(&out));
    assert!(
        !String::from_utf8_lossy(&out.stdout).contains("pass"),
        "{}",
        text(&out)
    );
}

fn offline(args: &[&str], dir: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ripcord"))
        .args(args)
        .current_dir(dir)
        .env("RIPCORD_CONFIG_DIR", dir)
        .env("RIPCORD_DATA_DIR", dir)
        .env_remove("RUST_BACKTRACE")
        .output()
        .expect("run ripcord")
}

#[test]
fn judge_compares_two_files_of_numbers() {
    let dir = tempfile::tempdir().expect("temp dir");
    let baseline: String = (0..40)
        .map(|i| format!("{}\n", 1.0 + (i % 7) as f64 * 0.01))
        .collect();
    let higher: String = (0..40)
        .map(|i| format!("{} ", 2.0 + (i % 5) as f64 * 0.01))
        .collect();
    std::fs::write(dir.path().join("base.txt"), &baseline).unwrap();
    std::fs::write(dir.path().join("same.txt"), &baseline).unwrap();
    std::fs::write(dir.path().join("high.txt"), &higher).unwrap();
    std::fs::write(dir.path().join("bad.txt"), "1\n2\n3 x4\n").unwrap();

    let out = offline(
        &[
            "judge",
            "--canary",
            "high.txt",
            "--baseline",
            "base.txt",
            "-o",
            "json",
        ],
        dir.path(),
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(json["judgement"]["outcome"], "high", "{json}");
    assert_eq!(json["u"], 1600.0, "every canary value is larger: {json}");
    assert!(json["p"].as_f64().is_some_and(|p| p < 1e-9), "{json}");

    // A rise is fine when only a fall is bad.
    let out = offline(
        &[
            "judge",
            "--canary",
            "high.txt",
            "--baseline",
            "base.txt",
            "--direction",
            "decrease",
        ],
        dir.path(),
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let out = offline(
        &["judge", "--canary", "same.txt", "--baseline", "base.txt"],
        dir.path(),
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("verdict  pass"),
        "{}",
        text(&out)
    );

    let out = offline(
        &["judge", "--canary", "bad.txt", "--baseline", "base.txt"],
        dir.path(),
    );
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains(r#"bad.txt:3: "x4" is not a number"#),
        "{}",
        text(&out)
    );
}

#[test]
fn a_bad_analysis_config_or_duration_is_exit_2_before_any_cluster_is_asked() {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(
        dir.path().join("a.toml"),
        "pass = 95\n[[metrics]]\nname = \"x\"\nquery = \"up{{{selectr}}}\"\n",
    )
    .unwrap();
    let out = offline(&["analyze", "web", "--config", "a.toml"], dir.path());
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("a.toml:"),
        "{}",
        text(&out)
    );

    let out = offline(
        &["gate", "web", "--config", "a.toml", "--for", "5 minutes"],
        dir.path(),
    );
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("--for: bad duration"),
        "{}",
        text(&out)
    );

    // No config at all, and none in the config dir.
    let out = offline(&["analyze", "web"], dir.path());
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("no analysis config"),
        "{}",
        text(&out)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_rolling_update_fails_against_the_old_replica_set_and_is_rolled_back() {
    let Some(tb) = testbed().await else { return };
    let _shared = PROMETHEUS.read().await;
    let ns = tb.namespace("gate-deploy").await;
    let cli = Cli::new(&tb);
    tb.create_deployment(
        &ns.name,
        &web_deployment("api", "shop/api:1.0", 2, &[("app", "api")]),
    )
    .await;
    tb.wait_rolled_out(&ns.name, "api").await;
    // The old ReplicaSet's pods serve long enough to be the baseline.
    tokio::time::sleep(Duration::from_secs(25)).await;
    tb.kubectl(
        &ns.name,
        &["set", "image", "deployment/api", "app=shop/api:1.1-bad"],
    );

    let analysis = cli.analysis.display().to_string();
    let url = prometheus_url();
    let out = cli.run(&[
        "gate",
        "deployment/api",
        "-n",
        &ns.name,
        "--config",
        &analysis,
        "--prometheus",
        &url,
        "--timeout",
        "60s",
        "--for",
        "50s",
        "--interval",
        "5s",
        "--window",
        "60s",
        "--rollback-on-fail",
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("deployment/api") && stdout.contains("error ratio: canary"),
        "{}",
        text(&out)
    );
    assert!(stdout.contains("score 0: FAIL"), "{}", text(&out));

    // Rolled back to the old template, and journaled.
    let image = wait_until("the rollback", Duration::from_secs(30), || async {
        let d = tb.get_deployment(&ns.name, "api").await;
        let image = d.spec?.template.spec?.containers.first()?.image.clone()?;
        (image == "shop/api:1.0").then_some(image)
    })
    .await;
    assert_eq!(image, "shop/api:1.0");
    let out = cli.run(&["journal", "-o", "json"]);
    let journal = String::from_utf8_lossy(&out.stdout);
    assert!(
        journal.contains(r#""action":"rollback""#) && journal.contains("ripcord gate:"),
        "{journal}"
    );
}
