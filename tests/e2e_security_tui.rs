//! The findings badge on the live testbed, in a real terminal (tmux): a RoleBinding that
//! gives a release's ServiceAccount cluster-admin changes the badge on screen within
//! seconds, the security view shows the binding itself, and the release's security tab
//! the user's own rights as the API server answered them and config.toml's registry list.

mod common;
use common::cli::Cli;
use common::testbed::*;
use common::tmux::Tmux;
use std::time::{Duration, Instant};

/// The badge after `name` on the queue's row for it: `⚠N`.
fn badge(screen: &str, name: &str) -> Option<String> {
    screen.lines().find_map(|line| {
        let at = line.find(&format!("{name} ⚠"))?;
        let rest = &line[at + name.len() + 1..];
        Some(rest.split_whitespace().next()?.to_owned())
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cluster_admin_binding_changes_the_badge_on_screen_within_seconds() {
    let Some(tb) = testbed().await else { return };
    let ns = tb.namespace("tui-badge").await;
    let n = ns.name.as_str();
    tb.apply(
        n,
        &format!(
            r#"
apiVersion: v1
kind: ServiceAccount
metadata: {{name: api, namespace: {n}}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {{name: api, namespace: {n}}}
spec:
  replicas: 0
  selector: {{matchLabels: {{app: api}}}}
  template:
    metadata: {{labels: {{app: api}}}}
    spec:
      serviceAccountName: api
      containers:
      - name: api
        image: nginx:1.25
"#
        ),
    );
    let cli = Cli::new(&tb.kubeconfig);
    // config.toml's allow-list reaches the console's checks: nginx comes from Docker Hub.
    std::fs::write(
        cli.dir().join("config.toml"),
        "[checks]\nallowed_registries = [\"ghcr.io/acme\"]\n",
    )
    .expect("write config.toml");
    let t = Tmux::ripcord("badge", &cli, &format!("--context {ADMIN} -n {n}"), 120, 30)
        .timeout(Duration::from_secs(60));
    t.wait_for("the release's badge", |s| badge(s, "api").is_some());
    // The user's own rights join the checks' findings once the access answers arrive: let
    // the badge settle, so what changes next is the binding's doing.
    let settled = Instant::now() + Duration::from_secs(20);
    let before = loop {
        let now = badge(&t.screen(), "api").expect("a badge");
        std::thread::sleep(Duration::from_millis(1500));
        if badge(&t.screen(), "api").as_ref() == Some(&now) || Instant::now() > settled {
            break now;
        }
    };

    tb.apply(
        n,
        &format!(
            r#"
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {{name: api-admin, namespace: {n}}}
roleRef: {{apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cluster-admin}}
subjects: [{{kind: ServiceAccount, name: api, namespace: {n}}}]
"#
        ),
    );
    let applied = Instant::now();
    let screen = t.wait_for("the badge to change", |s| {
        badge(s, "api").is_some_and(|b| b != before)
    });
    let took = applied.elapsed();
    let after = badge(&screen, "api").expect("a badge");
    let count = |b: &str| b.trim_start_matches('⚠').parse::<usize>().unwrap_or(0);
    assert!(
        count(&after) > count(&before),
        "{before} → {after}:\n{screen}"
    );
    assert!(took < Duration::from_secs(5), "the badge took {took:?}");

    // The security view lists the release's new finding and the binding itself.
    t.keys(&["s"]);
    let screen = t.wait_for("the security view", |s| {
        s.contains("SEC012") && s.contains("RoleBinding api-admin")
    });
    assert!(screen.contains("RBAC005"), "{screen}");

    // The release's security tab holds the user's own rights, from the API server's answers.
    t.keys(&["Escape"]);
    t.wait_for("the queue", |s| badge(s, "api").is_some());
    t.keys(&["Enter"]);
    t.keys(&["5"]);
    let screen = t.wait_for("the user's own rights", |s| {
        s.contains("RBAC008 api: you can")
    });
    assert!(screen.contains("you can pause, resume"), "{screen}");
    assert!(screen.contains("IMG004 api: "), "{screen}");
    t.keys(&["q"]);
    t.wait_text("EXITED 0");
}

/// The live checks tell the console what no release claims and how far they got: every
/// listing in for the admin, and the kinds a user with `view` in one namespace may not list.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_live_checks_report_unclaimed_findings_and_what_they_could_not_list() {
    use ripcord::cluster::connect::Cluster;
    use ripcord::cluster::findings::{run_reporting, Report};
    use ripcord::cluster::watch::Scope;
    let Some(tb) = testbed().await else { return };
    let ns = tb.namespace("tui-unclaimed").await;
    let n = ns.name.clone();
    tb.apply(
        &n,
        &format!(
            r#"
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {{name: ops-admin, namespace: {n}}}
roleRef: {{apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cluster-admin}}
subjects: [{{kind: ServiceAccount, name: ops, namespace: {n}}}]
"#
        ),
    );
    let reports = |context: &str, namespace: &str| {
        let (tx, rx) = tokio::sync::mpsc::channel(256);
        let context = context.to_owned();
        let namespace = namespace.to_owned();
        let kubeconfig = tb.kubeconfig.clone();
        let task = tokio::spawn(async move {
            let cluster = Cluster {
                client: client(&kubeconfig, &context).await,
                context,
                user: "e2e".to_owned(),
                namespace: namespace.clone(),
            };
            run_reporting(
                cluster,
                Scope::Namespaces(vec![namespace]),
                Default::default(),
                tx,
            )
            .await
        });
        (rx, task)
    };
    // Waits for a report `want` accepts, and returns it.
    async fn wait(
        rx: &mut tokio::sync::mpsc::Receiver<Report>,
        what: &str,
        want: impl Fn(&Report) -> bool,
    ) -> Report {
        let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(20);
        loop {
            match tokio::time::timeout_at(deadline, rx.recv()).await {
                Ok(Some(r)) if want(&r) => return r,
                Ok(Some(_)) => {}
                _ => panic!("no report of {what}"),
            }
        }
    }

    let (mut rx, task) = reports(ADMIN, &n);
    // No release claims the binding: its finding comes as the namespace's own.
    wait(&mut rx, "the binding's finding", |r| {
        matches!(r, Report::Namespace { namespace, findings, .. } if *namespace == n
            && findings.iter().any(|f| f.code == "RBAC005" && f.object.name == "ops-admin"))
    })
    .await;
    wait(&mut rx, "every listing in", |r| {
        matches!(r, Report::Status { status, .. } if !status.is_loading() && status.denied.is_empty())
    })
    .await;
    task.abort();

    let (mut rx, task) = reports(NSVIEWER, NSVIEWER_NAMESPACE);
    let denied = wait(
        &mut rx,
        "the refused kinds",
        |r| matches!(r, Report::Status { status, .. } if !status.is_loading()),
    )
    .await;
    let Report::Status { status, .. } = denied else {
        unreachable!()
    };
    assert!(status.denied.iter().any(|k| k == "Secret"), "{status:?}");
    task.abort();
}
