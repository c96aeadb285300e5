//! The console's watches against the real API server testbed: live updates and a user
//! without permissions.

mod common;
use common::{testbed, watching};

use ripcord::app::{update, Msg};
use ripcord::cluster::access::AccessCache;
use ripcord::cluster::watch::{self, resolve_scope, Requested, Scope};
use ripcord::model::ops::Operation;
use ripcord::model::{ConnState, Permission};
use ripcord::model::{Kind, Phase, ReleaseKey};
use std::time::Duration;
use testbed::*;
use tokio::sync::mpsc;
use watching::*;

fn stable_image(r: &ripcord::model::Release) -> Option<String> {
    r.revisions
        .iter()
        .find(|v| v.role == ripcord::model::RevisionRole::New)
        .and_then(|v| v.images.first().cloned())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rolling_update_is_observed_live_through_the_watch() {
    let Some(tb) = testbed().await else { return };
    let ns = tb.namespace("watch").await;
    let mut rx = watch_namespace(cluster(&tb, ADMIN).await, &ns.name);
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
        &["set", "image", "deployment/web", "app=nginx:1.26"],
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
                r.phase == Phase::Healthy
                    && stable_image(r).as_deref() == Some("nginx:1.26")
                    && r.stable.ready == 3
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
