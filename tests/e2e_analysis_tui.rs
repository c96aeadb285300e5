//! The console judges a canary in flight on the testbed's real Prometheus and shows both
//! series in its analysis tab, in a real terminal (tmux).

mod common;
use common::cli::Cli;
use common::testbed::*;
use common::tmux::Tmux;
use std::time::Duration;

/// Braille cells on the screen: the chart's lines.
fn plotted(screen: &str) -> usize {
    screen
        .chars()
        .filter(|c| ('\u{2801}'..='\u{28ff}').contains(c))
        .count()
}

/// How many different SGR states braille cells are drawn in.
fn braille_colours(captured: &str) -> usize {
    let mut current = String::new();
    let mut seen = std::collections::BTreeSet::new();
    let mut chars = captured.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' && chars.peek() == Some(&'[') {
            let mut sgr = String::new();
            for d in chars.by_ref() {
                sgr.push(d);
                if d.is_ascii_alphabetic() {
                    break;
                }
            }
            current = sgr;
        } else if ('\u{2801}'..='\u{28ff}').contains(&c) {
            seen.insert(current.clone());
        }
    }
    seen.len()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_analysis_tab_plots_canary_and_baseline_from_prometheus() {
    let Some(tb) = testbed().await else { return };
    let ns = tb.namespace("tui-analysis").await;
    for d in canary_pair("web", ("shop/web:1.0", 2), ("shop/web:1.1-bad", 2)) {
        tb.create_deployment(&ns.name, &d).await;
    }
    tb.wait_rolled_out(&ns.name, "web").await;
    tb.wait_rolled_out(&ns.name, "web-canary").await;

    let cli = Cli::new(&tb.kubeconfig);
    let url = prometheus_url();
    std::fs::write(
        cli.dir().join("config.toml"),
        format!("[contexts.\"{ADMIN}\"]\nprometheus = \"{url}\"\n"),
    )
    .unwrap();
    std::fs::write(cli.dir().join("analysis.toml"), http_analysis()).unwrap();
    let t = Tmux::ripcord(
        "analysis",
        &cli,
        &format!("--context {ADMIN} -n {}", ns.name),
        160,
        48,
    )
    .timeout(Duration::from_secs(120));
    t.wait_for("the pair", |s| s.contains("web") && s.contains("synced"));
    t.keys(&["Enter"]);
    t.keys(&["3"]);
    // Judged every 15 s; the bad canary's error ratio is measured high once scraped.
    let screen = t.wait_for("a judgement with data on both sides", |s| {
        s.contains("1/2 error ratio  high: error ratio: canary") && s.contains("vs baseline")
    });
    assert!(screen.contains("ripcord score 0 FAIL"), "{screen}");
    assert!(
        screen.contains("judged") && screen.contains(&url),
        "{screen}"
    );
    assert!(screen.contains("pod_template_hash="), "{screen}");
    assert!(plotted(&screen) > 40, "both series drawn:\n{screen}");
    // The latency metric, the same way.
    t.keys(&["j"]);
    let screen = t.wait_text("2/2 p99 latency");
    assert!(plotted(&screen) > 40, "{screen}");

    // Coloured capture: the chart's braille is drawn in two colours, canary and baseline.
    let coloured = common::tmux::tmux(&["capture-pane", "-p", "-e", "-t", &t.session]);
    assert!(braille_colours(&coloured) >= 2, "{coloured}");

    // The queue says the verdict is ripcord's.
    t.keys(&["Escape"]);
    t.wait_for("ripcord's verdict in the queue", |s| s.contains("rc✖ FAIL"));
    t.keys(&["q"]);
    t.wait_text("EXITED 0");
}
