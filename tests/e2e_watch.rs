//! The console's watches against the real API server testbed: live updates, an apiserver
//! restart in the middle of a watch, and a user without permissions.

#[path = "common/testbed.rs"]
mod testbed;

use ripcord::app::{update, ConnState, Mode, Msg, Permission, State};
use ripcord::cluster::access::AccessCache;
use ripcord::cluster::connect::{connect_clusters, Cluster, ConnectOptions};
use ripcord::cluster::watch::{self, resolve_scope, Requested, Scope};
use ripcord::config::keymap::Keymap;
use ripcord::config::Settings;
use ripcord::model::ops::Operation;
use ripcord::model::{Kind, Phase, ReleaseKey, Rollout};
use std::process::Command;
use std::time::{Duration, Instant};
use testbed::*;
use tokio::sync::mpsc;

async fn cluster(tb: &Testbed, context: &str) -> Cluster {
    let options = ConnectOptions {
        kubeconfig: Some(tb.kubeconfig.clone()),
        contexts: vec![context.into()],
    };
    connect_clusters(&options).await.expect("connect").remove(0)
}

fn live_state() -> State {
    State::new(
        Mode::Live,
        Keymap::default_keymap(),
        Settings::default(),
        false,
        chrono::Utc::now(),
    )
}

/// Feeds watch messages into `state` until `done` holds, recording every phase seen.
async fn pump(
    state: &mut State,
    rx: &mut mpsc::Receiver<Msg>,
    what: &str,
    timeout: Duration,
    mut seen: impl FnMut(&State),
    done: impl Fn(&State) -> bool,
) {
    let deadline = Instant::now() + timeout;
    while !done(state) {
        let left = deadline.saturating_duration_since(Instant::now());
        match tokio::time::timeout(left, rx.recv()).await {
            Ok(Some(msg)) => {
                update(state, msg);
                seen(state);
            }
            Ok(None) => panic!("the watches stopped while waiting for {what}"),
            Err(_) => panic!(
                "timed out waiting for {what}; releases: {:?}; connections: {:?}",
                state
                    .releases
                    .values()
                    .map(|r| (&r.key.name, r.phase, &r.message))
                    .collect::<Vec<_>>(),
                state.clusters.values().map(|c| &c.conn).collect::<Vec<_>>()
            ),
        }
    }
}

fn deployment_key(ns: &str, name: &str) -> ReleaseKey {
    ReleaseKey {
        context: ADMIN.into(),
        namespace: ns.into(),
        kind: Kind::Deployment,
        name: name.into(),
    }
}

fn release<'a>(state: &'a State, key: &ReleaseKey) -> Option<&'a Rollout> {
    state.releases.get(key)
}

fn image_of(r: &Rollout) -> Option<String> {
    r.revisions.first().and_then(|v| v.images.first().cloned())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rolling_update_is_observed_live_through_the_watch() {
    let Some(tb) = testbed().await else { return };
    let ns = tb.namespace("watch").await;
    let admin = cluster(&tb, ADMIN).await;
    let (tx, mut rx) = mpsc::channel(1024);
    watch::spawn(
        admin,
        Scope::Namespaces(vec![ns.name.clone()]),
        watch::core_kinds(),
        tx,
    );
    let mut state = live_state();
    let key = deployment_key(&ns.name, "web");

    tb.create_deployment(
        &ns.name,
        &web_deployment("web", "nginx:1.25", 3, &[("app", "web")]),
    )
    .await;
    pump(
        &mut state,
        &mut rx,
        "web to become healthy",
        Duration::from_secs(60),
        |_| {},
        |s| release(s, &key).is_some_and(|r| r.phase == Phase::Healthy && r.stable.ready == 3),
    )
    .await;
    assert!(matches!(state.clusters[ADMIN].conn, ConnState::Synced));

    tb.kubectl(
        &ns.name,
        &["set", "image", "deployment/web", "web=nginx:1.26"],
    );
    let mut phases = Vec::new();
    pump(
        &mut state,
        &mut rx,
        "the update to finish",
        Duration::from_secs(60),
        |s| {
            if let Some(r) = release(s, &key) {
                phases.push((r.phase, r.weight, r.canary.ready));
            }
        },
        |s| {
            release(s, &key).is_some_and(|r| {
                r.phase == Phase::Healthy && image_of(r).as_deref() == Some("nginx:1.26")
            })
        },
    )
    .await;
    assert!(
        phases
            .iter()
            .any(|(phase, _, _)| *phase == Phase::Progressing),
        "the rollout was never seen in progress: {phases:?}"
    );
    let r = release(&state, &key).expect("web");
    assert_eq!(r.revisions.first().map(|v| v.number), Some(2));
    assert_eq!(r.stable.ready, 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_watch_resumes_after_an_apiserver_restart_and_shows_what_changed_meanwhile() {
    let Some(tb) = testbed().await else { return };
    let ns = tb.namespace("restart").await;
    tb.create_deployment(
        &ns.name,
        &web_deployment("keep", "nginx:1.25", 1, &[("app", "keep")]),
    )
    .await;
    tb.create_deployment(
        &ns.name,
        &web_deployment("gone", "nginx:1.25", 1, &[("app", "gone")]),
    )
    .await;
    let admin = cluster(&tb, ADMIN).await;
    let (tx, mut rx) = mpsc::channel(1024);
    watch::spawn(
        admin,
        Scope::Namespaces(vec![ns.name.clone()]),
        watch::core_kinds(),
        tx,
    );
    let mut state = live_state();
    let keep = deployment_key(&ns.name, "keep");
    let gone = deployment_key(&ns.name, "gone");
    let fresh = deployment_key(&ns.name, "fresh");
    pump(
        &mut state,
        &mut rx,
        "both deployments",
        Duration::from_secs(60),
        |_| {},
        |s| {
            release(s, &keep).is_some_and(|r| r.phase == Phase::Healthy)
                && release(s, &gone).is_some()
        },
    )
    .await;

    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/testbed");
    let restart = Command::new(&script)
        .args(["restart-apiserver", "3"])
        .status()
        .expect("scripts/testbed");
    assert!(restart.success(), "the apiserver did not come back");
    // Changes right after the restart, while the console is still reconnecting.
    tb.kubectl(&ns.name, &["delete", "deployment", "gone", "--wait=false"]);
    tb.kubectl(
        &ns.name,
        &["set", "image", "deployment/keep", "web=nginx:1.27"],
    );
    tb.create_deployment(
        &ns.name,
        &web_deployment("fresh", "nginx:1.25", 1, &[("app", "fresh")]),
    )
    .await;

    let mut saw_trouble = false;
    pump(
        &mut state,
        &mut rx,
        "the changes made around the restart",
        Duration::from_secs(90),
        |s| saw_trouble |= !matches!(s.clusters[ADMIN].conn, ConnState::Synced),
        |s| {
            release(s, &gone).is_none()
                && release(s, &fresh).is_some()
                && release(s, &keep).is_some_and(|r| {
                    image_of(r).as_deref() == Some("nginx:1.27") && r.phase == Phase::Healthy
                })
        },
    )
    .await;
    assert!(saw_trouble, "the lost connection was never shown");
    pump(
        &mut state,
        &mut rx,
        "the context to show synced again",
        Duration::from_secs(60),
        |_| {},
        |s| matches!(s.clusters[ADMIN].conn, ConnState::Synced),
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_user_without_permissions_is_told_so_and_nothing_crashes() {
    let Some(tb) = testbed().await else { return };
    // No RBAC at all: the context says denied, with the reason.
    let viewer = cluster(&tb, VIEWER).await;
    match resolve_scope(
        &viewer,
        &Requested::AllNamespaces,
        &[],
        &AccessCache::default(),
    )
    .await
    {
        Err(ConnState::Denied(why)) => assert!(why.contains("may not watch deployments"), "{why}"),
        other => panic!("expected denied, got {other:?}"),
    }

    // A user who may only view team-a: listed through configuration, watched, but every action
    // is disabled with the reason.
    let nsviewer = cluster(&tb, NSVIEWER).await;
    let scope = resolve_scope(
        &nsviewer,
        &Requested::AllNamespaces,
        &[NSVIEWER_NAMESPACE.to_owned()],
        &AccessCache::default(),
    )
    .await
    .expect("team-a is readable");
    assert_eq!(
        scope,
        Scope::Namespaces(vec![NSVIEWER_NAMESPACE.to_owned()])
    );
    let name = format!("perm-{}", std::process::id());
    let deployment = web_deployment(&name, "nginx:1.25", 1, &[("app", &name)]);
    let _cleanup = tb.temporary(NSVIEWER_NAMESPACE, "deployment", &name);
    tb.create_deployment(NSVIEWER_NAMESPACE, &deployment).await;

    let (tx, mut rx) = mpsc::channel(1024);
    watch::spawn(nsviewer.clone(), scope, watch::core_kinds(), tx);
    let mut state = live_state();
    let key = ReleaseKey {
        context: NSVIEWER.into(),
        namespace: NSVIEWER_NAMESPACE.into(),
        kind: Kind::Deployment,
        name,
    };
    pump(
        &mut state,
        &mut rx,
        "the team-a deployment",
        Duration::from_secs(60),
        |_| {},
        |s| release(s, &key).is_some(),
    )
    .await;

    let access = AccessCache::default();
    for op in [Operation::Pause, Operation::Restart, Operation::Rollback] {
        let permission = access
            .check(
                &nsviewer.client,
                NSVIEWER,
                NSVIEWER_NAMESPACE,
                Kind::Deployment,
                op,
            )
            .await
            .expect("the access review answers");
        update(
            &mut state,
            Msg::Permission {
                key: key.clone(),
                op,
                permission,
            },
        );
    }
    match state.permissions.get(&(key.clone(), Operation::Restart)) {
        Some(Permission::Denied(why)) => assert!(
            why.contains("patch") && why.contains("deployments"),
            "{why}"
        ),
        other => panic!("restart should be denied, got {other:?}"),
    }
    // Pressing the key says why instead of acting.
    while state.selected_key() != Some(&key) {
        update(
            &mut state,
            Msg::Key(crossterm::event::KeyEvent::from(
                crossterm::event::KeyCode::Char('j'),
            )),
        );
    }
    let effects = update(
        &mut state,
        Msg::Key(crossterm::event::KeyEvent::from(
            crossterm::event::KeyCode::Char('R'),
        )),
    );
    assert!(
        effects
            .iter()
            .all(|e| !matches!(e, ripcord::app::Effect::Execute(_))),
        "{effects:?}"
    );
    let status = state.status.clone().expect("a status line");
    assert!(
        status.text.contains("cannot restart") && status.text.contains("not allowed"),
        "{}",
        status.text
    );
}
