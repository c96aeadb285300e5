//! The canary judge on real Prometheus data: the testbed's Prometheus scrapes per-pod
//! request and latency series (worse for a `bad` image), and ripcord queries both sides of
//! a release and judges them. A good canary passes, a bad one fails with its reason, and a
//! Prometheus that is down is an error, never a pass.

mod common;
use common::testbed::{
    http_analysis, prometheus_url, stop_prometheus, testbed, wait_until, web_deployment,
};

use ripcord::analysis::config::{AnalysisConfig, Side};
use ripcord::analysis::score::Verdict;
use ripcord::metrics::{analyze, MetricsError, Prometheus, Window};
use std::path::Path;
use std::time::Duration;

/// The example HTTP config, with rate windows short enough for a test's minute of data.
fn config() -> AnalysisConfig {
    let (config, issues) =
        ripcord::config::analysis::load(Path::new("http.toml"), &http_analysis());
    assert!(issues.is_empty(), "{issues:?}");
    config
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn good_canary_passes_bad_canary_fails_and_a_down_prometheus_is_an_error() {
    let Some(tb) = testbed().await else { return };
    let ns = tb.namespace("judge").await;
    for (name, image) in [
        ("web", "shop/web:1.0"),
        ("web-good", "shop/web:1.1"),
        ("web-bad", "shop/web:1.1-bad"),
    ] {
        tb.create_deployment(&ns.name, &web_deployment(name, image, 2, &[("app", name)]))
            .await;
    }
    let mut hashes = Vec::new();
    for name in ["web", "web-good", "web-bad"] {
        let d = tb.wait_rolled_out(&ns.name, name).await;
        let rs = tb.owned_replica_sets(&ns.name, &d).await;
        let hash = rs
            .iter()
            .find_map(|r| {
                r.metadata
                    .labels
                    .as_ref()?
                    .get("pod-template-hash")
                    .cloned()
            })
            .expect("a ReplicaSet with a pod-template-hash");
        hashes.push(format!("pod_template_hash=\"{hash}\""));
    }
    let namespace = ns.name.clone();
    let side = |i: usize| Side {
        namespace: &namespace,
        name: "web",
        selector: &hashes[i],
    };
    let prometheus = Prometheus::new(&prometheus_url(), Duration::from_secs(5)).expect("URL");
    let config = config();
    let judge = |canary: usize| {
        let (prometheus, config, side) = (&prometheus, &config, &side);
        async move {
            analyze(
                prometheus,
                config,
                &side(canary),
                &side(0),
                Window {
                    end: chrono::Utc::now(),
                    length: chrono::Duration::seconds(40),
                    step: Duration::from_secs(1),
                },
            )
            .await
        }
    };

    // The bad canary fails as soon as there is enough data to tell (about half a minute).
    let bad = wait_until(
        "a verdict on the bad canary",
        Duration::from_secs(120),
        || async {
            let summary = judge(2).await.expect("Prometheus answers");
            // Every metric judged on enough samples, not failed for want of data.
            let judged = summary
                .metrics
                .iter()
                .all(|m| m.judgement.p_value.is_some());
            // Not judged yet (too few samples, no data yet) is no verdict to wait on.
            (judged && summary.verdict.judged()).then_some(summary)
        },
    )
    .await;
    assert_eq!(bad.verdict, Verdict::Fail, "{bad:?}");
    assert_eq!(bad.score, 0.0, "a critical metric failed: {bad:?}");
    let reasons = bad.reasons.join("\n");
    assert!(
        reasons.contains("error ratio: canary") && reasons.contains("≥ critical ×1.5"),
        "{reasons}"
    );
    assert!(
        reasons.contains("critical metric error ratio failed"),
        "{reasons}"
    );

    // The good canary is judged on a fuller window: at the 10-sample floor a p99 estimate of
    // equal pods can stray past a ×1.1 bound by noise alone.
    let good = wait_until(
        "a judgement of the good canary on 30 samples a side",
        Duration::from_secs(120),
        || async {
            let summary = judge(1).await.expect("Prometheus answers");
            let full = summary
                .metrics
                .iter()
                .all(|m| m.judgement.canary_samples >= 30 && m.judgement.baseline_samples >= 30);
            full.then_some(summary)
        },
    )
    .await;
    assert_eq!(good.verdict, Verdict::Pass, "{good:?}");
    assert_eq!(good.score, 100.0);

    // Prometheus down: an error that says so, never a verdict.
    let _restart = stop_prometheus();
    match judge(1).await {
        Err(MetricsError::Unreachable { url, .. }) => assert_eq!(url, prometheus_url()),
        other => panic!("expected Prometheus to be unreachable, got {other:?}"),
    }
}
