//! Where `analyze` and `gate` take their analysis config from: the file on the command
//! line, else the ConfigMap named by the release's `ripcord.dev/analysis` annotation, else
//! analysis.toml in the config dir. A bad ConfigMap is named with its key and line.

mod common;
use common::cli::{stderr, stdout, text, Cli};
use common::testbed::*;

/// The HTTP example with its error ratio renamed, so the output says which config ran.
fn analysis_named(name: &str) -> String {
    http_analysis().replace("name = \"error ratio\"", &format!("name = \"{name}\""))
}

fn config_map(tb: &Testbed, ns: &str, name: &str, toml: &str) {
    let manifest = serde_json::json!({
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": { "name": name },
        "data": { "analysis.toml": toml },
    });
    tb.apply(ns, &manifest.to_string());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_command_line_beats_the_annotated_configmap_which_beats_the_config_dir() {
    let Some(tb) = testbed().await else { return };
    let ns = tb.namespace("cm-analysis").await;
    for d in canary_pair("web", ("shop/web:1.0", 1), ("shop/web:1.1", 1)) {
        tb.create_deployment(&ns.name, &d).await;
    }
    tb.wait_rolled_out(&ns.name, "web").await;
    tb.wait_rolled_out(&ns.name, "web-canary").await;

    let cli = Cli::new(&tb.kubeconfig);
    std::fs::write(
        cli.dir().join("config.toml"),
        format!(
            "[contexts.\"{ADMIN}\"]\nprometheus = \"{}\"\n",
            prometheus_url()
        ),
    )
    .unwrap();
    let file = cli.dir().join("file.toml");
    std::fs::write(&file, analysis_named("file ratio")).unwrap();
    let analyze = |extra: &[&str]| {
        let mut args = vec!["analyze", "pair/web", "-n", &ns.name, "--window", "30s"];
        args.extend_from_slice(extra);
        cli.run(&args)
    };

    // No annotation and no analysis.toml: said, with where a config may come from.
    let out = analyze(&[]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        stderr(&out).contains("no analysis config: pass --config FILE, annotate the release with ripcord.dev/analysis"),
        "{}",
        text(&out)
    );

    // No annotation: the config dir.
    std::fs::write(cli.dir().join("analysis.toml"), analysis_named("dir ratio")).unwrap();
    let out = analyze(&[]);
    assert!(stdout(&out).contains("dir ratio"), "{}", text(&out));

    // The annotation names a ConfigMap: it wins over the config dir.
    config_map(
        &tb,
        &ns.name,
        "web-analysis",
        &analysis_named("configmap ratio"),
    );
    tb.kubectl(
        &ns.name,
        &[
            "annotate",
            "deployment",
            "web",
            "ripcord.dev/analysis=web-analysis",
        ],
    );
    let out = analyze(&[]);
    assert!(stdout(&out).contains("configmap ratio"), "{}", text(&out));
    assert!(!stdout(&out).contains("dir ratio"), "{}", text(&out));

    // The command line wins over both.
    let out = analyze(&["--config", &file.display().to_string()]);
    assert!(stdout(&out).contains("file ratio"), "{}", text(&out));

    // A bad config in the ConfigMap: exit 2, named by ConfigMap, key and line.
    config_map(&tb, &ns.name, "web-analysis", "pass = 95\nconfidence = 7\n");
    let out = analyze(&[]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        stderr(&out).contains(&format!(
            "configmap/{}/web-analysis/analysis.toml:2:14: `confidence` must be",
            ns.name
        )),
        "{}",
        text(&out)
    );

    // A ConfigMap that is not there is named too.
    tb.kubectl(
        &ns.name,
        &[
            "annotate",
            "--overwrite",
            "deployment",
            "web",
            "ripcord.dev/analysis=nosuch",
        ],
    );
    let out = analyze(&[]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        stderr(&out).contains(&format!(
            "configmap {}/nosuch not found (named by ripcord.dev/analysis",
            ns.name
        )),
        "{}",
        text(&out)
    );
    // A sentence, not the client's debug dump.
    assert!(
        !stderr(&out).contains("Status {") && !stderr(&out).contains("ApiError"),
        "{}",
        text(&out)
    );
}
