//! `ripcord gate` and `ripcord analyze` as the real binary against the testbed and its real
//! Prometheus: a good canary pair passes, a bad one fails and `--rollback-on-fail` aborts
//! it through the journal, and a Prometheus that goes away mid-gate is exit 4, never a pass.

mod common;
use common::cli::{json, json_lines, stderr, stdout, text, Cli};
use common::testbed;

use std::process::{Output, Stdio};
use std::time::{Duration, Instant};
use testbed::*;

/// Stopping Prometheus must not pull it from under the other tests of this file.
static PROMETHEUS: tokio::sync::RwLock<()> = tokio::sync::RwLock::const_new(());

/// ripcord with the example HTTP analysis, its rate windows short enough for a test's minute,
/// and the testbed's Prometheus set for the admin context in config.toml.
struct GateCli {
    cli: Cli,
    analysis: String,
}

impl GateCli {
    fn new(tb: &Testbed) -> GateCli {
        let cli = Cli::new(&tb.kubeconfig);
        let analysis = cli.dir().join("http.toml");
        std::fs::write(&analysis, http_analysis()).expect("write the analysis config");
        std::fs::write(
            cli.dir().join("config.toml"),
            format!(
                "[contexts.\"{ADMIN}\"]\nprometheus = \"{}\"\n",
                prometheus_url()
            ),
        )
        .expect("write config.toml");
        GateCli {
            analysis: analysis.display().to_string(),
            cli,
        }
    }

    fn run(&self, args: &[&str]) -> Output {
        self.cli.run(args)
    }

    fn gate(&self, ns: &str, extra: &[&str]) -> Output {
        let mut args = vec![
            "gate",
            "pair/web",
            "-n",
            ns,
            "--config",
            &self.analysis,
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

/// A stable Deployment on a good image and its canary on `canary_image`.
async fn pair(tb: &Testbed, ns: &str, canary_image: &str) {
    for d in canary_pair("web", ("shop/web:1.0", 2), (canary_image, 2)) {
        tb.create_deployment(ns, &d).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_good_canary_passes_the_gate() {
    let Some(tb) = testbed().await else { return };
    let _shared = PROMETHEUS.read().await;
    let ns = tb.namespace("gate-good").await;
    let cli = GateCli::new(&tb);
    pair(&tb, &ns.name, "shop/web:1.1").await;

    // Prometheus comes from config.toml here; the others pass --prometheus.
    let out = cli.gate(&ns.name, &["--for", "40s"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let said = stdout(&out);
    assert!(said.contains("score 100: pass"), "{}", text(&out));
    assert!(said.contains("error ratio"), "{}", text(&out));

    // One judgement, as JSON, on the same data.
    let out = cli.run(&[
        "analyze",
        "web",
        "-n",
        &ns.name,
        "--config",
        &cli.analysis,
        "--window",
        "40s",
        "-o",
        "json",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let json = json(&out);
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
    let cli = GateCli::new(&tb);
    pair(&tb, &ns.name, "shop/web:1.1-bad").await;

    let url = prometheus_url();
    let started = Instant::now();
    let out = cli.gate(
        &ns.name,
        &["--for", "50s", "--prometheus", &url, "--rollback-on-fail"],
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(started.elapsed() < Duration::from_secs(110));
    let (said, err) = (stdout(&out), stderr(&out));
    assert!(said.contains("score 0: FAIL"), "{}", text(&out));
    assert!(
        said.contains("error ratio: canary") && said.contains("critical"),
        "{}",
        text(&out)
    );
    assert!(err.contains("failed its analysis"), "{}", text(&out));
    assert!(err.contains("abort"), "{}", text(&out));

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
    let entries = json_lines(&out);
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
    let cli = GateCli::new(&tb);
    pair(&tb, &ns.name, "shop/web:1.1").await;
    tb.wait_rolled_out(&ns.name, "web").await;
    tb.wait_rolled_out(&ns.name, "web-canary").await;

    let url = prometheus_url();
    let child = cli
        .cli
        .command(&[
            "gate",
            "pair/web",
            "-n",
            &ns.name,
            "--config",
            &cli.analysis,
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
    tokio::time::sleep(Duration::from_secs(6)).await;
    let _restart = stop_prometheus();
    let stopped = Instant::now();
    let out = child.wait_with_output().expect("ripcord gate ends");
    assert_eq!(out.status.code(), Some(4), "{}", text(&out));
    assert!(
        stopped.elapsed() < Duration::from_secs(30),
        "{}",
        text(&out)
    );
    let err = stderr(&out);
    assert!(
        err.contains(&format!("Prometheus at {url} is unreachable")),
        "{}",
        text(&out)
    );
    // It judged while Prometheus was up, and never passed.
    assert!(err.contains("is ready; judging"), "{}", text(&out));
    assert!(!stdout(&out).contains("pass"), "{}", text(&out));
}

/// ripcord with no cluster, in its own directory.
fn offline(cli: &Cli, args: &[&str]) -> Output {
    cli.command(args)
        .current_dir(cli.dir())
        .output()
        .expect("run ripcord")
}

#[test]
fn judge_compares_two_files_of_numbers() {
    let cli = Cli::offline();
    let baseline: String = (0..40)
        .map(|i| format!("{}\n", 1.0 + (i % 7) as f64 * 0.01))
        .collect();
    let higher: String = (0..40)
        .map(|i| format!("{} ", 2.0 + (i % 5) as f64 * 0.01))
        .collect();
    std::fs::write(cli.dir().join("base.txt"), &baseline).unwrap();
    std::fs::write(cli.dir().join("same.txt"), &baseline).unwrap();
    std::fs::write(cli.dir().join("high.txt"), &higher).unwrap();
    std::fs::write(cli.dir().join("bad.txt"), "1\n2\n3 x4\n").unwrap();

    let out = offline(
        &cli,
        &[
            "judge",
            "--canary",
            "high.txt",
            "--baseline",
            "base.txt",
            "-o",
            "json",
        ],
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let json = json(&out);
    assert_eq!(json["judgement"]["outcome"], "high", "{json}");
    assert_eq!(json["u"], 1600.0, "every canary value is larger: {json}");
    assert!(json["p"].as_f64().is_some_and(|p| p < 1e-9), "{json}");

    // A rise is fine when only a fall is bad.
    let out = offline(
        &cli,
        &[
            "judge",
            "--canary",
            "high.txt",
            "--baseline",
            "base.txt",
            "--direction",
            "decrease",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let out = offline(
        &cli,
        &["judge", "--canary", "same.txt", "--baseline", "base.txt"],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(stdout(&out).contains("verdict  pass"), "{}", text(&out));

    let out = offline(
        &cli,
        &["judge", "--canary", "high.txt", "--baseline", "base.txt"],
    );
    // Readable numbers, as in the judge's reasons.
    let said = stdout(&out);
    assert!(said.contains("p        < 1e-9\n"), "{}", text(&out));
    assert!(said.contains("U        1600\n"), "{}", text(&out));
    assert!(
        said.contains("shift    0.99 (98% interval 0.98 to 1)\n"),
        "{}",
        text(&out)
    );

    // NaN and infinities are dropped before counting, as the warning counts.
    std::fs::write(cli.dir().join("holes.txt"), "1\nnan\ninf\n2\n-inf\n").unwrap();
    let out = offline(
        &cli,
        &["judge", "--canary", "holes.txt", "--baseline", "base.txt"],
    );
    let said = stdout(&out);
    assert!(
        said.contains("samples  canary 2 (3 NaN/inf dropped), baseline 40"),
        "{}",
        text(&out)
    );
    // Too few to judge: inconclusive (5), no interval claimed, the values called values.
    assert_eq!(out.status.code(), Some(5), "{}", text(&out));
    assert!(
        said.contains(
            "verdict  few samples: value: too few samples to judge: canary 2, baseline 40"
        ),
        "{}",
        text(&out)
    );
    assert!(
        said.contains("(no 98% interval from so few samples)") && !said.contains("98% interval -"),
        "{}",
        text(&out)
    );
    assert!(!said.contains("canary: canary"), "{}", text(&out));

    // An empty file is bad input (2), and with -o json an error object on stdout too.
    std::fs::write(cli.dir().join("empty.txt"), "\n").unwrap();
    let out = offline(
        &cli,
        &["judge", "--canary", "empty.txt", "--baseline", "base.txt"],
    );
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        stderr(&out).contains("empty.txt: no numbers"),
        "{}",
        text(&out)
    );
    let out = offline(
        &cli,
        &[
            "judge",
            "--canary",
            "bad.txt",
            "--baseline",
            "base.txt",
            "-o",
            "json",
        ],
    );
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let json: serde_json::Value =
        serde_json::from_str(&stdout(&out)).unwrap_or_else(|_| panic!("{}", text(&out)));
    assert!(
        json["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("is not a number")),
        "{json}"
    );

    let out = offline(
        &cli,
        &["judge", "--canary", "bad.txt", "--baseline", "base.txt"],
    );
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        stderr(&out).contains(r#"bad.txt:3: "x4" is not a number"#),
        "{}",
        text(&out)
    );
}

#[test]
fn a_bad_analysis_config_or_duration_is_exit_2_before_any_cluster_is_asked() {
    let cli = Cli::offline();
    std::fs::write(
        cli.dir().join("a.toml"),
        "pass = 95\n[[metrics]]\nname = \"x\"\nquery = \"up{{{selectr}}}\"\n",
    )
    .unwrap();
    let out = offline(&cli, &["analyze", "web", "--config", "a.toml"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(stderr(&out).contains("a.toml:"), "{}", text(&out));

    let out = offline(
        &cli,
        &["gate", "web", "--config", "a.toml", "--for", "5 minutes"],
    );
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        stderr(&out).contains("--for: bad duration"),
        "{}",
        text(&out)
    );

    // No --config: the release's annotation may name one, so the cluster is asked first.
    let out = offline(&cli, &["analyze", "web"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(stderr(&out).contains("kubeconfig"), "{}", text(&out));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_rolling_update_fails_against_the_old_replica_set_and_is_rolled_back() {
    let Some(tb) = testbed().await else { return };
    let _shared = PROMETHEUS.read().await;
    let ns = tb.namespace("gate-deploy").await;
    let cli = GateCli::new(&tb);
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

    let url = prometheus_url();
    let out = cli.run(&[
        "gate",
        "deployment/api",
        "-n",
        &ns.name,
        "--config",
        &cli.analysis,
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
    let said = stdout(&out);
    assert!(
        said.contains("deployment/api") && said.contains("error ratio: canary"),
        "{}",
        text(&out)
    );
    assert!(said.contains("score 0: FAIL"), "{}", text(&out));

    // Rolled back to the old template, and journaled.
    let image = wait_until("the rollback", Duration::from_secs(30), || async {
        let d = tb.get_deployment(&ns.name, "api").await;
        let image = d.spec?.template.spec?.containers.first()?.image.clone()?;
        (image == "shop/api:1.0").then_some(image)
    })
    .await;
    assert_eq!(image, "shop/api:1.0");
    let out = cli.run(&["journal", "-o", "json"]);
    let journal = stdout(&out);
    assert!(
        journal.contains(r#""action":"rollback""#) && journal.contains("ripcord gate:"),
        "{journal}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_good_rolling_update_gated_right_after_its_rollout_passes_and_stays() {
    let Some(tb) = testbed().await else { return };
    let _shared = PROMETHEUS.read().await;
    let ns = tb.namespace("gate-fresh").await;
    let cli = GateCli::new(&tb);
    tb.create_deployment(
        &ns.name,
        &web_deployment("api", "shop/api:1.0", 2, &[("app", "api")]),
    )
    .await;
    tb.wait_rolled_out(&ns.name, "api").await;
    tokio::time::sleep(Duration::from_secs(25)).await;
    tb.kubectl(
        &ns.name,
        &["set", "image", "deployment/api", "app=shop/api:1.1"],
    );

    // Judged at readiness, the new pods have no data yet, and the error ratio must have
    // data: that is not evidence, and the gate judges over the whole 30 s.
    let url = prometheus_url();
    let started = Instant::now();
    let out = cli.run(&[
        "gate",
        "deployment/api",
        "-n",
        &ns.name,
        "--config",
        &cli.analysis,
        "--prometheus",
        &url,
        "--timeout",
        "60s",
        "--for",
        "30s",
        "--interval",
        "30s",
        // The old pods go as the new ones come: a window of the 30 s alone holds too few of
        // their samples to judge against.
        "--window",
        "90s",
        "--rollback-on-fail",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(
        started.elapsed() >= Duration::from_secs(30),
        "{}",
        text(&out)
    );
    assert!(stdout(&out).contains(": pass"), "{}", text(&out));
    let d = tb.get_deployment(&ns.name, "api").await;
    let image = d
        .spec
        .and_then(|s| s.template.spec)
        .and_then(|s| s.containers.first().and_then(|c| c.image.clone()));
    assert_eq!(image.as_deref(), Some("shop/api:1.1"), "{}", text(&out));
    let out = cli.run(&["journal", "-o", "json"]);
    assert!(!stdout(&out).contains("rollback"), "{}", text(&out));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_gate_with_nothing_to_judge_says_so_at_once() {
    let Some(tb) = testbed().await else { return };
    let _shared = PROMETHEUS.read().await;
    let ns = tb.namespace("gate-none").await;
    let cli = GateCli::new(&tb);
    for d in canary_pair("web", ("shop/web:1.0", 2), ("shop/web:1.1", 0)) {
        tb.create_deployment(&ns.name, &d).await;
    }
    tb.create_deployment(
        &ns.name,
        &web_deployment("api", "shop/api:1.0", 1, &[("app", "api")]),
    )
    .await;
    tb.wait_rolled_out(&ns.name, "web").await;
    tb.wait_rolled_out(&ns.name, "api").await;

    for (target, why) in [
        ("pair/web", "no canary running"),
        ("deployment/api", "no older ReplicaSet"),
    ] {
        let started = Instant::now();
        let out = cli.run(&[
            "gate",
            target,
            "-n",
            &ns.name,
            "--config",
            &cli.analysis,
            "--timeout",
            "60s",
            "--for",
            "10s",
            "--rollback-on-fail",
        ]);
        // Nothing to judge is inconclusive (5), for the gate as for analyze.
        assert_eq!(out.status.code(), Some(5), "{}", text(&out));
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "{}",
            text(&out)
        );
        let err = stderr(&out);
        assert!(
            err.contains("has nothing to judge") && err.contains(why),
            "{}",
            text(&out)
        );
        let out = cli.run(&["analyze", target, "-n", &ns.name, "--config", &cli.analysis]);
        assert_eq!(out.status.code(), Some(5), "{}", text(&out));
        assert!(
            stderr(&out).contains("has nothing to judge") && stderr(&out).contains(why),
            "{}",
            text(&out)
        );
    }
    let out = cli.run(&["journal", "-o", "json"]);
    assert_eq!(stdout(&out).trim(), "", "nothing reverted: {}", text(&out));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn analyze_as_json_on_an_unreachable_prometheus_prints_an_error_object() {
    let Some(tb) = testbed().await else { return };
    let ns = tb.namespace("analyze-down").await;
    let cli = GateCli::new(&tb);
    pair(&tb, &ns.name, "shop/web:1.1").await;
    let out = cli.run(&[
        "analyze",
        "pair/web",
        "-n",
        &ns.name,
        "--config",
        &cli.analysis,
        "--prometheus",
        "http://127.0.0.1:1",
        "-o",
        "json",
    ]);
    assert_eq!(out.status.code(), Some(4), "{}", text(&out));
    let json = json(&out);
    assert_eq!(json["error"]["kind"], "unreachable", "{json}");
    let message = json["error"]["message"].as_str().unwrap_or_default();
    assert!(
        message.contains("Prometheus at http://127.0.0.1:1 is unreachable")
            && message.contains("error ratio"),
        "{message}"
    );
    assert!(
        !message.contains("query_range") && message.len() < 300,
        "{message}"
    );
    assert!(!stderr(&out).contains("query_range"), "{}", text(&out));
}
