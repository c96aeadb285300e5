//! An apiserver restart in the middle of a watch. Its own test binary, so the outage
//! cannot disturb other tests.

mod common;
use common::{testbed, watching};

use ripcord::model::ConnState;
use ripcord::model::Phase;
use std::time::Duration;
use testbed::*;
use watching::*;

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
    let mut rx = watch_namespace(cluster(&tb, ADMIN).await, &ns.name);
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

    testbed_script(&["restart-apiserver", "3"]);
    // Changes right after the restart, while the console is still reconnecting.
    tb.kubectl(&ns.name, &["delete", "deployment", "gone", "--wait=false"]);
    tb.kubectl(
        &ns.name,
        &["set", "image", "deployment/keep", "app=nginx:1.27"],
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
