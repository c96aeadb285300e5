//! ripcord's actions against a real API server and controller manager (the testbed), side
//! by side with kubectl doing the same thing to an identical twin.
//!
//! Skipped with a note when the testbed is not running; under `CI` that is a failure.

mod common;
use common::cli::{stderr, stdout, Cli};
use common::{demo, testbed, watching};

use chrono::{DateTime, Utc};
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::{Event, Pod};
use kube::api::{ListParams, Patch, PatchParams};
use kube::{Api, Client};
use ripcord::cluster::access::AccessCache;
use ripcord::cluster::actions::{self, event_reason, RESTARTED_AT_ANNOTATION};
use ripcord::journal::{Journal, JournalEntry};
use ripcord::model::ops::{ActionFailure, ActionOutcome, ActionRequest, Op, Operation};
use ripcord::model::Permission;
use ripcord::model::{Kind, ReleaseKey};
use serde_json::{json, Value};
use std::time::Duration;
use testbed::{canary_pair, revision, rolled_out, testbed, wait_until, web_deployment, Testbed};

const USER: &str = "e2e-oncall";

/// A request for `op` with no parameters (rollback to the previous revision, promote by
/// the default step); `with_op` sets them.
fn request(ns: &str, kind: Kind, name: &str, op: Operation) -> ActionRequest {
    with_op(
        ns,
        kind,
        name,
        Op::plain(op).expect("an operation that needs no parameter"),
    )
}

fn with_op(ns: &str, kind: Kind, name: &str, op: Op) -> ActionRequest {
    ActionRequest {
        key: ReleaseKey {
            context: testbed::ADMIN.into(),
            namespace: ns.into(),
            kind,
            name: name.into(),
        },
        op,
        reason: Some("e2e: checking ripcord against kubectl".into()),
        dry_run: false,
    }
}

/// Runs an action the way the console does (execute, post the event, journal it) and
/// checks the journal line and the event on the way.
struct Actor {
    client: Client,
    journal: Journal,
    _dir: tempfile::TempDir,
}

impl Actor {
    fn new(client: Client) -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        let journal = Journal::at(dir.path().join("journal.jsonl"));
        Actor {
            client,
            journal,
            _dir: dir,
        }
    }

    async fn act(&self, request: ActionRequest) -> ActionOutcome {
        let outcome = actions::execute(&self.client, &request).await;
        let event = actions::post_event(&self.client, &request, &outcome, USER)
            .await
            .unwrap_or_else(|e| panic!("posting the event for {request:?}: {e}"));
        self.check_journal(&outcome);
        self.check_event(&request, &outcome, &event).await;
        outcome
    }

    fn check_journal(&self, outcome: &ActionOutcome) {
        let request = &outcome.request;
        let entry = JournalEntry::from_outcome(outcome, USER, Utc::now());
        self.journal.append(&entry).expect("append to the journal");
        let entries = self.journal.read().expect("read the journal back");
        let last = entries.last().expect("an entry");
        assert_eq!(last, &entry);
        assert_eq!(last.user, USER);
        assert_eq!(last.context, testbed::ADMIN);
        assert_eq!(last.namespace, request.key.namespace);
        assert_eq!(last.name, request.key.name);
        assert_eq!(last.action, request.op.verb());
        assert_eq!(last.reason, request.reason);
        assert_eq!(last.dry_run, request.dry_run);
        assert_eq!(last.revision_before, outcome.revision_before);
        assert_eq!(last.revision_after, outcome.revision_after);
        match &outcome.result {
            Ok(text) => {
                assert!(last.ok);
                assert_eq!(last.result, format!("ok: {text}"));
            }
            Err(failure) => {
                assert!(!last.ok);
                assert_eq!(last.result, format!("error: {failure}"));
            }
        }
    }

    async fn check_event(&self, request: &ActionRequest, outcome: &ActionOutcome, name: &str) {
        let ns = &request.key.namespace;
        let events: Api<Event> = Api::namespaced(self.client.clone(), ns);
        let listed = events
            .list(
                &ListParams::default().fields(&format!("involvedObject.name={}", request.key.name)),
            )
            .await
            .expect("list events");
        let found = listed
            .items
            .iter()
            .find(|e| e.metadata.name.as_deref() == Some(name));
        if request.dry_run {
            assert!(found.is_none(), "a dry run must not leave an event");
            return;
        }
        let event = found.unwrap_or_else(|| panic!("event {name} not found in {ns}"));
        assert_eq!(
            event.reason.as_deref(),
            Some(event_reason(request.op.kind()).as_str())
        );
        let expected_type = if outcome.result.is_ok() {
            "Normal"
        } else {
            "Warning"
        };
        assert_eq!(event.type_.as_deref(), Some(expected_type));
        assert_eq!(
            event.source.as_ref().and_then(|s| s.component.as_deref()),
            Some("ripcord")
        );
        let involved = &event.involved_object;
        assert_eq!(involved.kind.as_deref(), Some("Deployment"));
        assert_eq!(involved.name.as_deref(), Some(request.key.name.as_str()));
        let target = Api::<Deployment>::namespaced(self.client.clone(), ns)
            .get(&request.key.name)
            .await
            .expect("get the target");
        assert_eq!(
            involved.uid, target.metadata.uid,
            "uid lets kubectl describe find it"
        );
        let message = event.message.clone().unwrap_or_default();
        assert!(message.contains(USER), "{message}");
        if let Some(reason) = &request.reason {
            assert!(message.contains(reason.as_str()), "{message}");
        }
        let result = match &outcome.result {
            Ok(t) => t.clone(),
            Err(f) => f.to_string(),
        };
        assert!(message.contains(&result), "{message} lacks {result}");
    }
}

fn ok(outcome: &ActionOutcome) -> &str {
    match &outcome.result {
        Ok(text) => text,
        Err(e) => panic!("{} failed: {e:?}", outcome.request.op.verb()),
    }
}

/// The revision after an action: the expected one, or unknown when the controller was too
/// busy to record it within execute's settle window (a loaded testbed); never a stale one.
fn assert_after(outcome: &ActionOutcome, expected: i64) {
    match outcome.revision_after {
        Some(r) => assert_eq!(r, expected, "revision after {}", outcome.request.op.verb()),
        None => eprintln!(
            "note: revision after {} unknown: the controller had not caught up",
            outcome.request.op.verb()
        ),
    }
}

fn rejected(outcome: &ActionOutcome) -> &str {
    match &outcome.result {
        Err(ActionFailure::Rejected(text)) => text,
        other => panic!("expected a rejection, got {other:?}"),
    }
}

/// A Deployment's JSON with its own name replaced, so that twins compare equal.
fn normalized<T: serde::Serialize>(value: &T, name: &str) -> Value {
    let text = serde_json::to_string(value).expect("serialize");
    serde_json::from_str(&text.replace(name, "NAME")).expect("reparse")
}

fn template_of(d: &Deployment) -> Value {
    let mut template =
        serde_json::to_value(d.spec.as_ref().map(|s| &s.template)).expect("serialize template");
    // restartedAt differs by the second between two restarts; its presence is checked apart.
    if let Some(a) = template.pointer_mut("/metadata/annotations") {
        if let Some(map) = a.as_object_mut() {
            map.remove(RESTARTED_AT_ANNOTATION);
        }
    }
    template
}

fn image_of(d: &Deployment) -> String {
    d.spec
        .as_ref()
        .and_then(|s| s.template.spec.as_ref())
        .and_then(|p| p.containers.first())
        .and_then(|c| c.image.clone())
        .unwrap_or_default()
}

fn spec_replicas(d: &Deployment) -> i32 {
    d.spec.as_ref().and_then(|s| s.replicas).unwrap_or(1)
}

fn paused(d: &Deployment) -> bool {
    d.spec.as_ref().and_then(|s| s.paused).unwrap_or(false)
}

async fn set_image(tb: &Testbed, ns: &str, name: &str, image: &str) {
    // Strategic merge: containers merge by name, as `kubectl set image` does.
    let patch = json!({
        "metadata": { "annotations": { "kubernetes.io/change-cause": format!("deploy {image}") } },
        "spec": { "template": { "spec": { "containers": [{ "name": "app", "image": image }] } } }
    });
    tb.deployments(ns)
        .patch(name, &PatchParams::default(), &Patch::Strategic(&patch))
        .await
        .unwrap_or_else(|e| panic!("set image on {ns}/{name}: {e}"));
}

async fn wait_stalled(tb: &Testbed, ns: &str, name: &str) -> Deployment {
    let api = tb.deployments(ns);
    wait_until(
        &format!("{ns}/{name} to report ProgressDeadlineExceeded"),
        Duration::from_secs(60),
        || async {
            let d = api.get(name).await.ok()?;
            let stalled = d.status.as_ref()?.conditions.as_ref()?.iter().any(|c| {
                c.type_ == "Progressing"
                    && c.status == "False"
                    && c.reason.as_deref() == Some("ProgressDeadlineExceeded")
            });
            stalled.then_some(d)
        },
    )
    .await
}

/// Pods matching `selector` that are not being deleted.
async fn live_pods(tb: &Testbed, ns: &str, selector: &str) -> Vec<Pod> {
    let pods: Api<Pod> = Api::namespaced(tb.admin.clone(), ns);
    pods.list(&ListParams::default().labels(selector))
        .await
        .unwrap_or_else(|e| panic!("list pods {selector} in {ns}: {e}"))
        .items
        .into_iter()
        .filter(|p| p.metadata.deletion_timestamp.is_none())
        .collect()
}

fn pod_ready(p: &Pod) -> bool {
    p.status
        .as_ref()
        .and_then(|s| s.conditions.as_ref())
        .is_some_and(|c| c.iter().any(|c| c.type_ == "Ready" && c.status == "True"))
}

fn pod_image(p: &Pod) -> String {
    p.spec
        .as_ref()
        .and_then(|s| s.containers.first())
        .and_then(|c| c.image.clone())
        .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rollback_of_a_stalled_rollout_matches_kubectl_undo() {
    let Some(tb) = testbed().await else { return };
    let ns = tb.namespace("rollback").await;
    let ns = ns.name.as_str();
    let twins = ["web-a", "web-b"];
    for name in twins {
        let d = web_deployment(name, "registry.example/web:1.0", 3, &[("app", name)]);
        tb.create_deployment(ns, &d).await;
    }
    let mut first_rs = Vec::new();
    for name in twins {
        let d = tb.wait_rolled_out(ns, name).await;
        let sets = tb.owned_replica_sets(ns, &d).await;
        assert_eq!(sets.len(), 1);
        first_rs.push(sets[0].metadata.name.clone().expect("rs name"));
    }
    for name in twins {
        set_image(&tb, ns, name, "registry.example/web:1.1-crash").await;
    }
    for name in twins {
        let d = wait_stalled(&tb, ns, name).await;
        let status = d.status.clone().unwrap_or_default();
        // maxUnavailable 0: the old pods keep serving while the new ones crash.
        assert_eq!(status.ready_replicas, Some(3), "{name}: {status:?}");
        assert_eq!(revision(&d.metadata), Some(2));
    }

    let actor = Actor::new(tb.admin.clone());
    let outcome = actor
        .act(request(ns, Kind::Deployment, "web-a", Operation::Rollback))
        .await;
    assert_eq!(
        ok(&outcome),
        "deployment.apps/web-a rolled back to revision 1"
    );
    assert_eq!(outcome.revision_before, Some(2));
    assert_after(&outcome, 3);
    let out = tb.kubectl(ns, &["rollout", "undo", "deployment/web-b"]);
    assert!(out.contains("rolled back"), "{out}");

    let a = tb.wait_rolled_out(ns, "web-a").await;
    let b = tb.wait_rolled_out(ns, "web-b").await;
    assert_eq!(image_of(&a), "registry.example/web:1.0");
    assert_eq!(
        normalized(&template_of(&a), "web-a"),
        normalized(&template_of(&b), "web-b"),
        "spec.template"
    );
    assert_eq!(revision(&a.metadata), revision(&b.metadata));
    assert_eq!(revision(&a.metadata), Some(3));
    // kubectl takes the ReplicaSet's annotations (change-cause among them) and keeps the
    // Deployment's bookkeeping ones.
    assert_eq!(
        normalized(&a.metadata.annotations, "web-a"),
        normalized(&b.metadata.annotations, "web-b"),
        "metadata.annotations"
    );
    assert_eq!(
        a.metadata
            .annotations
            .as_ref()
            .and_then(|m| m.get("kubernetes.io/change-cause"))
            .map(String::as_str),
        Some("deploy registry.example/web:1.0")
    );
    for (d, first) in [(&a, &first_rs[0]), (&b, &first_rs[1])] {
        let name = d.metadata.name.clone().unwrap_or_default();
        let sets = tb.owned_replica_sets(ns, d).await;
        assert_eq!(sets.len(), 2, "{name}: no new ReplicaSet on rollback");
        let current = sets.last().expect("a current ReplicaSet");
        assert_eq!(
            current.metadata.name.as_ref(),
            Some(first),
            "{name}: current RS"
        );
        assert_eq!(revision(&current.metadata), Some(3));
        let old = &sets[0];
        assert_eq!(old.spec.as_ref().and_then(|s| s.replicas), Some(0));
        let status = d.status.clone().unwrap_or_default();
        assert_eq!(
            (
                status.ready_replicas,
                status.updated_replicas,
                status.available_replicas
            ),
            (Some(3), Some(3), Some(3)),
            "{name}"
        );
    }

    // The errors kubectl gives, in its words.
    let mut missing = request(ns, Kind::Deployment, "web-a", Operation::Rollback);
    missing.op = Op::Rollback { to: Some(99) };
    let outcome = actor.act(missing).await;
    assert_eq!(
        rejected(&outcome),
        "unable to find specified revision 99 in history"
    );
    let (ok_b, out) = tb.kubectl_status(
        ns,
        &["rollout", "undo", "deployment/web-b", "--to-revision=99"],
    );
    assert!(
        !ok_b && out.contains("unable to find specified revision 99 in history"),
        "{out}"
    );

    let mut same = request(ns, Kind::Deployment, "web-a", Operation::Rollback);
    same.op = Op::Rollback { to: Some(3) };
    let outcome = actor.act(same).await;
    assert_eq!(
        rejected(&outcome),
        "skipped rollback (current template already matches revision 3)"
    );
    let out = tb.kubectl(
        ns,
        &["rollout", "undo", "deployment/web-b", "--to-revision=3"],
    );
    assert!(
        out.contains("skipped rollback (current template already matches revision 3)"),
        "{out}"
    );
    assert_after(&outcome, 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pause_resume_and_restart_match_kubectl() {
    let Some(tb) = testbed().await else { return };
    let ns = tb.namespace("pause").await;
    let ns = ns.name.as_str();
    for name in ["pr-a", "pr-b"] {
        let d = web_deployment(name, "registry.example/api:2.3", 2, &[("app", name)]);
        tb.create_deployment(ns, &d).await;
    }
    tb.wait_rolled_out(ns, "pr-a").await;
    tb.wait_rolled_out(ns, "pr-b").await;
    let actor = Actor::new(tb.admin.clone());
    let dep = |op| request(ns, Kind::Deployment, "pr-a", op);
    let twin_error = |out: &str| out.replace("pr-b", "pr-a");

    let outcome = actor.act(dep(Operation::Pause)).await;
    assert_eq!(ok(&outcome), "deployment.apps/pr-a paused");
    let out = tb.kubectl(ns, &["rollout", "pause", "deployment/pr-b"]);
    assert_eq!(out.trim(), "deployment.apps/pr-b paused");
    let a = tb.get_deployment(ns, "pr-a").await;
    let b = tb.get_deployment(ns, "pr-b").await;
    assert!(paused(&a) && paused(&b));
    assert_eq!(normalized(&a.spec, "pr-a"), normalized(&b.spec, "pr-b"));

    let outcome = actor.act(dep(Operation::Pause)).await;
    let (ok_b, out) = tb.kubectl_status(ns, &["rollout", "pause", "deployment/pr-b"]);
    assert!(!ok_b);
    assert_eq!(
        format!("error: {}", rejected(&outcome)),
        twin_error(out.trim())
    );

    let outcome = actor.act(dep(Operation::Restart)).await;
    let (ok_b, out) = tb.kubectl_status(ns, &["rollout", "restart", "deployment/pr-b"]);
    assert!(!ok_b);
    assert_eq!(
        format!("error: {}", rejected(&outcome)),
        twin_error(out.trim())
    );

    // One revision only: nothing to go back to, paused or not.
    let outcome = actor.act(dep(Operation::Rollback)).await;
    let (ok_b, out) = tb.kubectl_status(ns, &["rollout", "undo", "deployment/pr-b"]);
    assert!(!ok_b);
    assert_eq!(
        format!("error: {}", rejected(&outcome)),
        twin_error(out.trim())
    );

    let outcome = actor.act(dep(Operation::Resume)).await;
    assert_eq!(ok(&outcome), "deployment.apps/pr-a resumed");
    tb.kubectl(ns, &["rollout", "resume", "deployment/pr-b"]);
    let a = tb.get_deployment(ns, "pr-a").await;
    let b = tb.get_deployment(ns, "pr-b").await;
    assert!(!paused(&a) && !paused(&b));
    assert_eq!(normalized(&a.spec, "pr-a"), normalized(&b.spec, "pr-b"));

    let outcome = actor.act(dep(Operation::Resume)).await;
    let (ok_b, out) = tb.kubectl_status(ns, &["rollout", "resume", "deployment/pr-b"]);
    assert!(!ok_b);
    assert_eq!(
        format!("error: {}", rejected(&outcome)),
        twin_error(out.trim())
    );

    let started = Utc::now();
    let outcome = actor.act(dep(Operation::Restart)).await;
    assert_eq!(ok(&outcome), "deployment.apps/pr-a restarted");
    assert_eq!(outcome.revision_before, Some(1));
    assert_after(&outcome, 2);
    tb.kubectl(ns, &["rollout", "restart", "deployment/pr-b"]);
    let a = tb.wait_rolled_out(ns, "pr-a").await;
    let b = tb.wait_rolled_out(ns, "pr-b").await;
    for d in [&a, &b] {
        let stamp = d
            .spec
            .as_ref()
            .and_then(|s| s.template.metadata.as_ref())
            .and_then(|m| m.annotations.as_ref())
            .and_then(|m| m.get(RESTARTED_AT_ANNOTATION))
            .cloned()
            .expect("restartedAt set");
        let at = DateTime::parse_from_rfc3339(&stamp).expect("RFC 3339 stamp");
        let skew = (at.with_timezone(&Utc) - started).num_seconds().abs();
        assert!(skew < 120, "restartedAt {stamp} is {skew}s from now");
        assert_eq!(revision(&d.metadata), Some(2));
        let sets = tb.owned_replica_sets(ns, d).await;
        assert_eq!(sets.len(), 2, "a restart makes a new ReplicaSet");
    }
    assert_eq!(
        normalized(&template_of(&a), "pr-a"),
        normalized(&template_of(&b), "pr-b")
    );
}

/// A stable Deployment and its canary, as a team would label them.
async fn pair(tb: &Testbed, ns: &str, stable: &str, stable_n: i32, canary_n: i32) -> String {
    let canary = format!("{stable}-canary");
    let (old, new) = (
        format!("registry.example/{stable}:1.0"),
        format!("registry.example/{stable}:1.1"),
    );
    for d in canary_pair(stable, (&old, stable_n), (&new, canary_n)) {
        tb.create_deployment(ns, &d).await;
    }
    tb.wait_rolled_out(ns, stable).await;
    tb.wait_rolled_out(ns, &canary).await;
    canary
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn canary_pair_promote_full_rolls_the_stable_to_the_canary_image() {
    let Some(tb) = testbed().await else { return };
    let ns = tb.namespace("promote").await;
    let ns = ns.name.as_str();
    let canary = pair(&tb, ns, "shop", 3, 1).await;
    let before = tb.get_deployment(ns, "shop").await;
    let actor = Actor::new(tb.admin.clone());

    let outcome = actor
        .act(request(
            ns,
            Kind::CanaryPair,
            "shop",
            Operation::PromoteFull,
        ))
        .await;
    let text = ok(&outcome);
    assert!(text.contains("registry.example/shop:1.1"), "{text}");
    assert!(text.contains("shop-canary scaled to 0"), "{text}");
    assert!(
        text.contains("shop scaled to 4 (stable 3 + canary 1)"),
        "the stable keeps the pair's capacity: {text}"
    );
    assert_eq!(outcome.revision_before, Some(1));
    assert_after(&outcome, 2);

    let stable = tb.wait_rolled_out(ns, "shop").await;
    assert_eq!(image_of(&stable), "registry.example/shop:1.1");
    let labels = stable
        .spec
        .as_ref()
        .and_then(|s| s.template.metadata.as_ref())
        .and_then(|m| m.labels.clone())
        .unwrap_or_default();
    assert_eq!(labels.get("track").map(String::as_str), Some("stable"));
    assert_eq!(labels.get("app").map(String::as_str), Some("shop"));
    assert_eq!(
        serde_json::to_value(stable.spec.as_ref().map(|s| &s.selector)).ok(),
        serde_json::to_value(before.spec.as_ref().map(|s| &s.selector)).ok(),
        "the stable's selector is untouched"
    );
    assert_eq!(spec_replicas(&stable), 4, "stable 3 + canary 1");
    let c = tb.get_deployment(ns, &canary).await;
    assert_eq!(spec_replicas(&c), 0);

    // The stable's pods really roll to the new image, and the canary's go away.
    wait_until(
        "stable pods on the canary image",
        Duration::from_secs(60),
        || async {
            let pods = live_pods(&tb, ns, "app=shop,track=stable").await;
            let done = pods.len() == 4
                && pods
                    .iter()
                    .all(|p| pod_ready(p) && pod_image(p) == "registry.example/shop:1.1");
            done.then_some(())
        },
    )
    .await;
    wait_until("canary pods gone", Duration::from_secs(60), || async {
        live_pods(&tb, ns, "app=shop,track=canary")
            .await
            .is_empty()
            .then_some(())
    })
    .await;
}

/// Runs `op` on the pair `name` while watching its pods: the fewest ready pods (stable and
/// canary together, terminating ones not counted) seen in any observation, and the outcome.
async fn act_watching_ready(
    tb: &Testbed,
    ns: &str,
    name: &str,
    op: Operation,
) -> (ActionOutcome, usize) {
    let actor = Actor::new(tb.admin.clone());
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let watcher = {
        let (pods, selector, stop) = (
            Api::<Pod>::namespaced(tb.admin.clone(), ns),
            format!("app={name}"),
            stop.clone(),
        );
        tokio::spawn(async move {
            let mut fewest = usize::MAX;
            while !stop.load(std::sync::atomic::Ordering::SeqCst) {
                if let Ok(list) = pods.list(&ListParams::default().labels(&selector)).await {
                    let ready = list
                        .items
                        .iter()
                        .filter(|p| p.metadata.deletion_timestamp.is_none() && pod_ready(p))
                        .count();
                    fewest = fewest.min(ready);
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            fewest
        })
    };
    let outcome = actor.act(request(ns, Kind::CanaryPair, name, op)).await;
    // Watch on past the action: the canary's pods leave after it returns.
    let settle = async {
        wait_until("the pair settled", Duration::from_secs(60), || async {
            let c = tb.get_deployment(ns, &format!("{name}-canary")).await;
            let s = tb.get_deployment(ns, name).await;
            (rolled_out(&c) && rolled_out(&s)).then_some(())
        })
        .await
    };
    settle.await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    stop.store(true, std::sync::atomic::Ordering::SeqCst);
    let fewest = watcher.await.expect("the pod watcher");
    (outcome, fewest)
}

/// A full promotion of a 1 + 4 pair: the stable takes the five pods before the canary goes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pair_promotion_keeps_its_ready_pods() {
    let Some(tb) = testbed().await else { return };
    let ns = tb.namespace("keepready").await;
    let ns = ns.name.as_str();
    let canary = pair(&tb, ns, "shop", 1, 4).await;
    let (outcome, fewest) = act_watching_ready(&tb, ns, "shop", Operation::PromoteFull).await;
    assert!(
        fewest >= 5,
        "ready pods fell to {fewest} during the promotion"
    );
    let text = ok(&outcome);
    assert!(
        text.contains("shop has 5 updated replicas available"),
        "{text}"
    );
    let s = tb.get_deployment(ns, "shop").await;
    assert_eq!(image_of(&s), "registry.example/shop:1.1");
    assert_eq!(s.status.and_then(|s| s.ready_replicas), Some(5));
    assert_eq!(spec_replicas(&tb.get_deployment(ns, &canary).await), 0);
    assert_eq!(live_pods(&tb, ns, "app=shop,track=stable").await.len(), 5);
}

/// An abort of a 1 + 4 pair gives the stable the pair's five pods before the canary goes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pair_abort_keeps_its_ready_pods() {
    let Some(tb) = testbed().await else { return };
    let ns = tb.namespace("keepabort").await;
    let ns = ns.name.as_str();
    let canary = pair(&tb, ns, "shop", 1, 4).await;
    let (outcome, fewest) = act_watching_ready(&tb, ns, "shop", Operation::Abort).await;
    assert!(fewest >= 5, "ready pods fell to {fewest} during the abort");
    let text = ok(&outcome);
    assert!(
        text.contains("shop scaled to 5 (stable 1 + canary 4)"),
        "{text}"
    );
    let s = tb.get_deployment(ns, "shop").await;
    assert_eq!(
        image_of(&s),
        "registry.example/shop:1.0",
        "an abort keeps the stable's image"
    );
    assert_eq!(s.status.and_then(|s| s.ready_replicas), Some(5));
    assert_eq!(spec_replicas(&tb.get_deployment(ns, &canary).await), 0);
}

/// A promotion whose stable never gets ready leaves the canary running and says why.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_promotion_whose_stable_never_gets_ready_keeps_the_canary() {
    let Some(tb) = testbed().await else { return };
    let ns = tb.namespace("notready").await;
    let ns = ns.name.as_str();
    let (old, new) = ("registry.example/pie:1.0", "registry.example/pie:1.1-crash");
    for d in canary_pair("pie", (old, 2), (new, 1)) {
        tb.create_deployment(ns, &d).await;
    }
    tb.wait_rolled_out(ns, "pie").await;
    let actor = Actor::new(tb.admin.clone());
    let outcome = actor
        .act(request(ns, Kind::CanaryPair, "pie", Operation::PromoteFull))
        .await;
    let why = match &outcome.result {
        Err(ActionFailure::Rejected(why)) => why.clone(),
        other => panic!("expected a failure, got {other:?}"),
    };
    assert!(
        why.contains("deployment.apps/pie is not ready after 60 s")
            && why.contains("canary deployment.apps/pie-canary left running with 1 replicas"),
        "{why}"
    );
    assert_eq!(
        spec_replicas(&tb.get_deployment(ns, "pie-canary").await),
        1,
        "the canary keeps running"
    );
    let ready = live_pods(&tb, ns, "app=pie,track=stable")
        .await
        .iter()
        .filter(|p| pod_ready(p))
        .count();
    assert!(
        ready >= 2,
        "the stable's old pods still serve: {ready} ready"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn canary_pair_promote_moves_one_step_and_stops_at_the_last() {
    let Some(tb) = testbed().await else { return };
    let ns = tb.namespace("pairstep").await;
    let ns = ns.name.as_str();
    let canary = pair(&tb, ns, "tea", 9, 1).await;
    let actor = Actor::new(tb.admin.clone());
    let promote = || request(ns, Kind::CanaryPair, "tea", Operation::Promote);
    let replicas = || async {
        let s = tb.get_deployment(ns, "tea").await;
        let c = tb.get_deployment(ns, &canary).await;
        (spec_replicas(&s), spec_replicas(&c), image_of(&s))
    };

    // 1 of 10 is 10%: the next default step is 25%, 2 pods.
    let outcome = actor.act(promote()).await;
    assert_eq!(
        ok(&outcome),
        "promoted one step: weight 20%: stable tea 8 / canary tea-canary 2 of 10 \
         (asked 25%, the nearest whole-pod split)"
    );
    assert_eq!(
        replicas().await,
        (8, 2, "registry.example/tea:1.0".to_owned()),
        "a step does not touch the stable's template"
    );
    assert_after(&outcome, 1);

    // A step the caller resolved from configured steps.
    let mut configured = promote();
    configured.op = Op::Promote { step: Some(60) };
    ok(&actor.act(configured).await);
    assert_eq!(
        replicas().await,
        (4, 6, "registry.example/tea:1.0".to_owned())
    );
    ok(&actor.act(promote()).await);
    assert_eq!(
        replicas().await,
        (3, 7, "registry.example/tea:1.0".to_owned())
    );
    tb.wait_rolled_out(ns, &canary).await;
    tb.wait_rolled_out(ns, "tea").await;

    // 7 of 10 is past every step that adds a pod: refused, pointing at the full promotion.
    let outcome = actor.act(promote()).await;
    let why = rejected(&outcome);
    assert!(why.contains("last step") && why.contains("--full"), "{why}");
    assert_eq!(
        replicas().await,
        (3, 7, "registry.example/tea:1.0".to_owned())
    );
    let mut behind = promote();
    behind.op = Op::Promote { step: Some(50) };
    assert!(rejected(&actor.act(behind).await).contains("at or above the 50% step"));

    // The full promotion stays one key away.
    let outcome = actor
        .act(request(ns, Kind::CanaryPair, "tea", Operation::PromoteFull))
        .await;
    assert!(ok(&outcome).contains("registry.example/tea:1.1"));
    let (s, c, image) = replicas().await;
    assert_eq!((s, c, image.as_str()), (10, 0, "registry.example/tea:1.1"));
}

/// `ripcord promote pair/X` without `--full` from the command line: one configured step.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cli_promote_of_a_pair_takes_the_configured_step() {
    let Some(tb) = testbed().await else { return };
    let ns = tb.namespace("clistep").await;
    let ns = ns.name.as_str();
    let canary = pair(&tb, ns, "jam", 4, 1).await;
    let cli = Cli::new(&tb.kubeconfig);
    std::fs::write(cli.dir().join("config.toml"), "pair_steps = [40, 80]\n")
        .expect("write config.toml");
    let ripcord = |args: &[&str]| {
        let out = cli.run(&[args, &["-n", ns, "--context", testbed::ADMIN]].concat());
        (
            out.status.code(),
            format!("{}{}", stdout(&out), stderr(&out)),
        )
    };
    let replicas = || async {
        (
            spec_replicas(&tb.get_deployment(ns, "jam").await),
            spec_replicas(&tb.get_deployment(ns, &canary).await),
        )
    };
    // 1 of 5 is 20%: the configured 40% puts 2 pods on the canary.
    let (code, out) = ripcord(&["promote", "pair/jam"]);
    assert_eq!(code, Some(0), "{out}");
    assert!(out.contains("weight 40%"), "{out}");
    assert_eq!(replicas().await, (3, 2));
    let (code, out) = ripcord(&["promote", "pair/jam"]);
    assert_eq!(code, Some(0), "{out}");
    assert_eq!(replicas().await, (1, 4));
    tb.wait_rolled_out(ns, "jam").await;
    tb.wait_rolled_out(ns, &canary).await;
    let (code, out) = ripcord(&["promote", "pair/jam"]);
    assert_eq!(code, Some(1), "{out}");
    assert!(out.contains("last step") && out.contains("--full"), "{out}");
    assert_eq!(replicas().await, (1, 4));
    assert_eq!(
        image_of(&tb.get_deployment(ns, "jam").await),
        "registry.example/jam:1.0"
    );
}

/// `set-weight` moves traffic like a promotion: without `--yes` it asks, and a terminal
/// that cannot answer changes nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cli_set_weight_needs_confirmation() {
    let Some(tb) = testbed().await else { return };
    let ns = tb.namespace("cliweight").await;
    let ns = ns.name.as_str();
    let canary = pair(&tb, ns, "fig", 4, 1).await;
    let cli = Cli::new(&tb.kubeconfig);
    let ripcord = |args: &[&str]| {
        let out = cli.run(&[args, &["-n", ns, "--context", testbed::ADMIN]].concat());
        (
            out.status.code(),
            format!("{}{}", stdout(&out), stderr(&out)),
        )
    };
    let replicas = || async {
        (
            spec_replicas(&tb.get_deployment(ns, "fig").await),
            spec_replicas(&tb.get_deployment(ns, &canary).await),
        )
    };
    let (code, out) = ripcord(&["set-weight", "pair/fig", "100"]);
    assert_eq!(code, Some(2), "{out}");
    assert!(out.contains("needs confirmation: pass --yes"), "{out}");
    assert!(out.contains("canary 5 of 5 pods (100%), stable 0"), "{out}");
    assert_eq!(replicas().await, (4, 1), "nothing changed");
    let (code, out) = ripcord(&["set-weight", "pair/fig", "50"]);
    assert_eq!(code, Some(2), "{out}");
    assert!(
        out.contains("50% is not possible on 5 pods: 2 of 5 = 40%"),
        "{out}"
    );
    let (code, out) = ripcord(&["set-weight", "pair/fig", "40", "--yes"]);
    assert_eq!(code, Some(0), "{out}");
    assert_eq!(replicas().await, (3, 2));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn canary_pair_set_weight_then_abort() {
    let Some(tb) = testbed().await else { return };
    let ns = tb.namespace("weight").await;
    let ns = ns.name.as_str();
    let canary = pair(&tb, ns, "cart", 4, 1).await;
    let actor = Actor::new(tb.admin.clone());
    let pair_req = |op| request(ns, Kind::CanaryPair, "cart", op);

    let weight = with_op(ns, Kind::CanaryPair, "cart", Op::SetWeight { weight: 40 });
    let outcome = actor.act(weight).await;
    assert_eq!(
        ok(&outcome),
        "weight 40%: stable cart 3 / canary cart-canary 2 of 5"
    );
    let s = tb.wait_rolled_out(ns, "cart").await;
    let c = tb.wait_rolled_out(ns, &canary).await;
    assert_eq!((spec_replicas(&s), spec_replicas(&c)), (3, 2));
    // Scaling is not a new revision.
    assert_eq!(outcome.revision_before, Some(1));
    assert_after(&outcome, 1);

    let outcome = actor
        .act(with_op(
            ns,
            Kind::CanaryPair,
            "cart",
            Op::SetWeight { weight: 101 },
        ))
        .await;
    assert!(rejected(&outcome).contains("out of range"));

    let outcome = actor.act(pair_req(Operation::Abort)).await;
    assert_eq!(
        ok(&outcome),
        "aborted: deployment.apps/cart scaled to 5 (stable 3 + canary 2); \
         deployment.apps/cart has 5 updated replicas available; \
         canary deployment.apps/cart-canary scaled to 0"
    );
    let c = tb.get_deployment(ns, &canary).await;
    assert_eq!(spec_replicas(&c), 0);
    let stable_after = tb.get_deployment(ns, "cart").await;
    assert_eq!(
        spec_replicas(&stable_after),
        5,
        "the stable takes the pair's capacity"
    );
    assert_eq!(image_of(&stable_after), "registry.example/cart:1.0");
    wait_until("canary scaled down", Duration::from_secs(60), || async {
        let c = tb.get_deployment(ns, &canary).await;
        (rolled_out(&c) && live_pods(&tb, ns, "app=cart,track=canary").await.is_empty())
            .then_some(())
    })
    .await;

    let outcome = actor.act(pair_req(Operation::Abort)).await;
    assert!(ok(&outcome).contains("nothing changed"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn users_without_rights_are_denied_before_and_during_an_action() {
    let Some(tb) = testbed().await else { return };
    let ns = tb.namespace("denied").await;
    let ns = ns.name.as_str();
    tb.create_deployment(
        ns,
        &web_deployment(
            "locked",
            "registry.example/web:1.0",
            1,
            &[("app", "locked")],
        ),
    )
    .await;
    let cache = AccessCache::default();

    // The admin may; a positive control for the checks below.
    let admin = cache
        .check(
            &tb.admin,
            testbed::ADMIN,
            ns,
            Kind::Deployment,
            Operation::Rollback,
        )
        .await
        .expect("admin preflight");
    assert_eq!(admin, Permission::Allowed);

    // No RBAC at all.
    let viewer = tb.client(testbed::VIEWER).await;
    for (kind, op) in [
        (Kind::Deployment, Operation::Pause),
        (Kind::Deployment, Operation::Rollback),
        (Kind::CanaryPair, Operation::SetWeight),
    ] {
        let permission = cache
            .check(&viewer, testbed::VIEWER, ns, kind, op)
            .await
            .expect("viewer preflight");
        let Permission::Denied(why) = permission else {
            panic!("viewer allowed to {op:?}");
        };
        assert!(
            why.contains(&format!("not allowed to patch deployments.apps in {ns}")),
            "{why}"
        );
        assert!(
            why.contains(&format!("not allowed to get deployments.apps in {ns}")),
            "{why}"
        );
    }
    let req = |op| ActionRequest {
        key: ReleaseKey {
            context: testbed::VIEWER.into(),
            ..request(ns, Kind::Deployment, "locked", op).key
        },
        ..request(ns, Kind::Deployment, "locked", op)
    };
    let outcome = actions::execute(&viewer, &req(Operation::Pause)).await;
    match &outcome.result {
        Err(ActionFailure::Forbidden(why)) => {
            assert!(
                why.starts_with(&format!("get deployments.apps in {ns}: ")),
                "{why}"
            );
            assert!(why.contains("forbidden"), "{why}");
        }
        other => panic!("expected Forbidden, got {other:?}"),
    }
    let entry = JournalEntry::from_outcome(&outcome, USER, Utc::now());
    assert!(entry
        .result
        .starts_with("error: permission denied: get deployments.apps"));
    let event = actions::post_event(&viewer, &outcome.request, &outcome, USER).await;
    assert!(
        matches!(&event, Err(ActionFailure::Forbidden(w)) if w.starts_with("create events in")),
        "{event:?}"
    );
    let pair_outcome = actions::execute(
        &viewer,
        &ActionRequest {
            key: ReleaseKey {
                kind: Kind::CanaryPair,
                ..req(Operation::Promote).key
            },
            ..req(Operation::Promote)
        },
    )
    .await;
    assert!(matches!(
        pair_outcome.result,
        Err(ActionFailure::Forbidden(_))
    ));

    // `view` in team-a: may read there, may change nothing; may not even read elsewhere.
    let nsviewer = tb.client(testbed::NSVIEWER).await;
    let team = testbed::NSVIEWER_NAMESPACE;
    let name = format!("rc-locked-{}", &ns[ns.len() - 6..]);
    let _guard = tb.temporary(team, "deployment", &name);
    tb.create_deployment(
        team,
        &web_deployment(&name, "registry.example/web:1.0", 1, &[("app", &name)]),
    )
    .await;
    for (kind, op) in [
        (Kind::Deployment, Operation::Pause),
        (Kind::Deployment, Operation::Rollback),
        (Kind::Deployment, Operation::Restart),
        (Kind::CanaryPair, Operation::Promote),
    ] {
        let permission = cache
            .check(&nsviewer, testbed::NSVIEWER, team, kind, op)
            .await
            .expect("nsviewer preflight");
        let Permission::Denied(why) = permission else {
            panic!("nsviewer allowed to {op:?} in {team}");
        };
        assert_eq!(
            why,
            format!("not allowed to patch deployments.apps in {team}")
        );
    }
    let elsewhere = cache
        .check(
            &nsviewer,
            testbed::NSVIEWER,
            ns,
            Kind::Deployment,
            Operation::Pause,
        )
        .await
        .expect("nsviewer preflight elsewhere");
    assert!(matches!(&elsewhere, Permission::Denied(w) if w.contains("not allowed to get")));

    let team_req = ActionRequest {
        key: ReleaseKey {
            context: testbed::NSVIEWER.into(),
            namespace: team.into(),
            kind: Kind::Deployment,
            name: name.clone(),
        },
        ..request(team, Kind::Deployment, &name, Operation::Pause)
    };
    let outcome = actions::execute(&nsviewer, &team_req).await;
    match &outcome.result {
        Err(ActionFailure::Forbidden(why)) => {
            assert!(
                why.starts_with(&format!("patch deployments.apps in {team}: ")),
                "{why}"
            );
        }
        other => panic!("expected Forbidden, got {other:?}"),
    }
    assert!(
        outcome.revision_before.is_some(),
        "the read before the patch worked"
    );
    assert!(!paused(&tb.get_deployment(team, &name).await));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dry_runs_change_nothing() {
    let Some(tb) = testbed().await else { return };
    let ns = tb.namespace("dryrun").await;
    let ns = ns.name.as_str();
    tb.create_deployment(
        ns,
        &web_deployment("dry", "registry.example/web:1.0", 2, &[("app", "dry")]),
    )
    .await;
    tb.wait_rolled_out(ns, "dry").await;
    set_image(&tb, ns, "dry", "registry.example/web:1.1").await;
    let before = tb.wait_rolled_out(ns, "dry").await;
    let canary = pair(&tb, ns, "dp", 3, 1).await;
    let stable_before = tb.get_deployment(ns, "dp").await;
    let canary_before = tb.get_deployment(ns, &canary).await;
    let actor = Actor::new(tb.admin.clone());
    let dry = |kind, name: &str, op| ActionRequest {
        dry_run: true,
        ..request(ns, kind, name, op)
    };

    for op in [Operation::Pause, Operation::Restart, Operation::Rollback] {
        let outcome = actor.act(dry(Kind::Deployment, "dry", op)).await;
        let text = ok(&outcome);
        assert!(text.starts_with("dry run: would have "), "{text}");
        assert_eq!(outcome.revision_before, Some(2));
        // A dry run never waits for the controller: "after" is "before".
        assert_eq!(outcome.revision_after, Some(2));
    }
    let mut missing = dry(Kind::Deployment, "dry", Operation::Rollback);
    missing.op = Op::Rollback { to: Some(7) };
    let outcome = actor.act(missing).await;
    assert_eq!(
        rejected(&outcome),
        "unable to find specified revision 7 in history"
    );

    let weight = ActionRequest {
        dry_run: true,
        ..with_op(ns, Kind::CanaryPair, "dp", Op::SetWeight { weight: 50 })
    };
    for request in [
        dry(Kind::CanaryPair, "dp", Operation::Promote),
        dry(Kind::CanaryPair, "dp", Operation::Abort),
        dry(Kind::CanaryPair, "dp", Operation::Restart),
        weight,
    ] {
        let outcome = actor.act(request).await;
        assert!(ok(&outcome).starts_with("dry run: would have "));
    }
    // A pair needs its canary, dry run or not.
    let outcome = actor
        .act(dry(Kind::CanaryPair, "dry", Operation::Promote))
        .await;
    assert!(rejected(&outcome).contains("no canary Deployment labelled ripcord.dev/canary-of=dry"));

    let after = tb.get_deployment(ns, "dry").await;
    assert_eq!(
        serde_json::to_value(&after.spec).ok(),
        serde_json::to_value(&before.spec).ok()
    );
    assert_eq!(after.metadata.generation, before.metadata.generation);
    assert_eq!(after.metadata.annotations, before.metadata.annotations);
    assert_eq!(tb.owned_replica_sets(ns, &after).await.len(), 2);
    for (name, was) in [("dp", &stable_before), (canary.as_str(), &canary_before)] {
        let now = tb.get_deployment(ns, name).await;
        assert_eq!(
            serde_json::to_value(&now.spec).ok(),
            serde_json::to_value(&was.spec).ok(),
            "{name}"
        );
        assert_eq!(now.metadata.generation, was.metadata.generation, "{name}");
    }

    // An Argo Rollout's dry run reads it and changes nothing.
    argo_rollout(&tb, ns, "dry-ro");
    let api: Api<kube::api::DynamicObject> = Api::namespaced_with(
        tb.admin.clone(),
        ns,
        &ripcord::cluster::actions::argo::rollout_resource(),
    );
    let before = serde_json::to_value(api.get("dry-ro").await.expect("rollout")).expect("json");
    for op in [Operation::Abort, Operation::Promote, Operation::Pause] {
        let argo = actions::execute(&tb.admin, &dry(Kind::ArgoRollout, "dry-ro", op)).await;
        assert!(ok(&argo).starts_with("dry run: would have "), "{op:?}");
    }
    let after = serde_json::to_value(api.get("dry-ro").await.expect("rollout")).expect("json");
    assert_eq!(
        (&before["spec"], &before["status"]),
        (&after["spec"], &after["status"])
    );
}

/// Needs no testbed: nothing listens on port 1.
#[tokio::test]
async fn an_unreachable_cluster_is_unreachable_not_rejected() {
    ripcord::cluster::connect::install_crypto_provider();
    let uri = "https://127.0.0.1:1".parse().expect("uri");
    let mut config = kube::Config::new(uri);
    config.connect_timeout = Some(Duration::from_secs(2));
    let client = Client::try_from(config).expect("client");

    let outcome = actions::execute(
        &client,
        &request("default", Kind::Deployment, "web", Operation::Pause),
    )
    .await;
    match &outcome.result {
        Err(ActionFailure::Unreachable(why)) => {
            assert!(
                why.starts_with("get deployments.apps default/web: "),
                "{why}"
            )
        }
        other => panic!("expected Unreachable, got {other:?}"),
    }
    assert_eq!(
        (outcome.revision_before, outcome.revision_after),
        (None, None)
    );

    let cache = AccessCache::default();
    let checked = cache
        .check(
            &client,
            "nowhere",
            "default",
            Kind::Deployment,
            Operation::Pause,
        )
        .await;
    assert!(
        matches!(
            checked,
            Err(ripcord::cluster::access::AccessError::Unreachable { .. })
        ),
        "{checked:?}"
    );
}

/// An Argo Rollout in `ns`, paused at its first step; no Argo controller runs on the
/// testbed, so the status is written as the controller would.
fn argo_rollout(tb: &Testbed, ns: &str, name: &str) {
    tb.apply(
        ns,
        &testbed::argo_rollout(name, "registry.example/ro:2").to_string(),
    );
    let status = json!({ "status": {
        "phase": "Paused", "message": "CanaryPauseStep", "currentStepIndex": 1,
        "stableRS": "abc", "currentPodHash": "def",
        "pauseConditions": [{ "reason": "CanaryPauseStep" }]
    }});
    tb.patch_status(ns, "rollout", name, &status);
}

/// The console on a real cluster acts on Argo Rollouts: promote and abort are hinted, abort
/// asks first, and promote clears the pause the way the plugin does.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_argo_rollouts_promote_is_hinted_and_acts_on_a_cluster() {
    use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
    use ripcord::app::{update, Effect, Msg};
    use ripcord::cluster::actions::KubeActuator;
    use ripcord::cluster::watch::{self, Scope};
    use ripcord::service::Service;
    use std::sync::Arc;

    let Some(tb) = testbed().await else { return };
    let ns = tb.namespace("argo-keys").await;
    let ns = ns.name.as_str();
    argo_rollout(&tb, ns, "ro");
    let admin = watching::cluster(&tb, testbed::ADMIN).await;
    let mut kinds = watch::core_kinds();
    kinds.extend(watch::discovered_kinds(&admin.client).await);
    let (tx, mut rx) = tokio::sync::mpsc::channel(1024);
    watch::spawn(
        admin.clone(),
        Scope::Namespaces(vec![ns.to_owned()]),
        kinds,
        tx,
    );
    let mut state = watching::live_state();
    let actuator = KubeActuator::new([admin], Arc::new(AccessCache::default()));
    let service = Service::new(Arc::new(actuator), None, state.settings.clone(), false);
    state.support = service.support();
    let key = ReleaseKey {
        context: testbed::ADMIN.into(),
        namespace: ns.into(),
        kind: Kind::ArgoRollout,
        name: "ro".into(),
    };
    watching::pump(
        &mut state,
        &mut rx,
        "the rollout to show",
        Duration::from_secs(60),
        |_| {},
        |s| s.rows.first() == Some(&key),
    )
    .await;

    update(
        &mut state,
        Msg::Resize {
            width: 200,
            height: 40,
        },
    );
    let hints = demo::rendered(&state).pop().unwrap_or_default();
    let words: Vec<&str> = hints.split_whitespace().collect();
    assert!(words.contains(&"help"), "the hint line: {hints}");
    for op in ["promote", "abort"] {
        assert!(words.contains(&op), "{op} is not hinted: {hints}");
    }
    let press = |state: &mut ripcord::app::State, key: char| {
        update(
            state,
            Msg::Key(KeyEvent::new(KeyCode::Char(key), KeyModifiers::NONE)),
        )
    };
    // Abort is dangerous: it asks first.
    let effects = press(&mut state, 'a');
    assert!(effects.iter().all(|e| !matches!(e, Effect::Execute(_))));
    assert!(state.overlay.is_some(), "abort did not ask");
    press(&mut state, 'n');
    state.overlay = None;
    let effects = press(&mut state, 'p');
    let request = effects
        .iter()
        .find_map(|e| match e {
            Effect::Execute(r) => Some(r.clone()),
            _ => None,
        })
        .unwrap_or_else(|| panic!("promote did not run: {effects:?} {:?}", state.status));
    assert_eq!(request.key, key);
    let (outcome, problems) = service.act(&request).await;
    assert!(problems.is_empty(), "{problems:?}");
    ok(&outcome);
    let (_, out) = tb.kubectl_status(ns, &["get", "rollout", "ro", "-o", "json"]);
    let rollout: Value = serde_json::from_str(&out).expect("json");
    assert!(rollout["status"]["pauseConditions"].is_null(), "{out}");
}
