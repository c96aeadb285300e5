//! Helpers for tests that run the console's watches against the testbed.
#![allow(dead_code)] // each test binary uses a different subset

use super::testbed::{Testbed, ADMIN};
use ripcord::app::{update, Msg, State};
use ripcord::cluster::connect::{connect_clusters, Cluster, ConnectOptions};
use ripcord::cluster::watch::{self, Scope};
use ripcord::model::{Kind, Release, ReleaseKey};
use std::time::{Duration, Instant};
use tokio::sync::mpsc;

pub async fn cluster(tb: &Testbed, context: &str) -> Cluster {
    let options = ConnectOptions {
        kubeconfig: Some(tb.kubeconfig.clone()),
        contexts: vec![context.into()],
    };
    connect_clusters(&options).await.expect("connect").remove(0)
}

/// The core kinds in `ns`, watched through `cluster`; their messages arrive on the receiver.
pub fn watch_namespace(cluster: Cluster, ns: &str) -> mpsc::Receiver<Msg> {
    let (tx, rx) = mpsc::channel(1024);
    watch::spawn(
        cluster,
        Scope::Namespaces(vec![ns.to_owned()]),
        watch::core_kinds(),
        tx,
    );
    rx
}

/// A live console that has heard from no cluster yet.
pub fn live_state() -> State {
    super::demo::live_state_at(chrono::Utc::now())
}

/// Feeds watch messages into `state` until `done` holds, recording every phase seen.
pub async fn pump(
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

pub fn deployment_key(ns: &str, name: &str) -> ReleaseKey {
    ReleaseKey {
        context: ADMIN.into(),
        namespace: ns.into(),
        kind: Kind::Deployment,
        name: name.into(),
    }
}

pub fn release<'a>(state: &'a State, key: &ReleaseKey) -> Option<&'a Release> {
    state.releases.get(key)
}

pub fn image_of(r: &Release) -> Option<String> {
    r.revisions.first().and_then(|v| v.images.first().cloned())
}
