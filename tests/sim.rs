//! The demo world's controllers: actions change it the way the real controllers would.
//! The same scenarios run against a real API server in the e2e tests.

mod support;

use ripcord::app::{update, Msg, State};
use ripcord::model::ops::{ActionRequest, Operation};
use ripcord::model::{Phase, ReleaseKey, Rollout, Verdict};
use ripcord::sim::{feed, World};
use support::*;

fn key(state: &State, name: &str) -> ReleaseKey {
    state
        .rows
        .iter()
        .find(|k| k.name == name)
        .cloned()
        .unwrap_or_else(|| panic!("no release {name}"))
}

fn act(
    world: &mut World,
    state: &mut State,
    name: &str,
    op: Operation,
    to_revision: Option<i64>,
) -> Result<String, String> {
    let request = ActionRequest {
        key: key(state, name),
        op,
        to_revision,
        weight: None,
        reason: None,
        dry_run: false,
    };
    let outcome = world.execute(&request);
    let result = outcome.result.clone().map_err(|e| e.to_string());
    feed(world, state);
    update(state, Msg::ActionDone(outcome));
    result
}

fn run(world: &mut World, state: &mut State, secs: f64) {
    world.advance(secs);
    feed(world, state);
}

fn release<'a>(state: &'a State, name: &str) -> &'a Rollout {
    &state.releases[&key(state, name)]
}

#[test]
fn the_demo_world_is_deterministic_for_a_seed() {
    let (_, a) = demo_state();
    let (_, b) = demo_state();
    assert_eq!(a.releases, b.releases);
    let mut other = World::demo(SEED + 1);
    let mut c = a.clone();
    c.releases.clear();
    feed(&mut other, &mut c);
    let pods = |s: &State| -> Vec<String> {
        s.releases
            .values()
            .flat_map(|r| {
                r.revisions
                    .iter()
                    .flat_map(|v| v.pods.iter().map(|p| p.name.clone()))
            })
            .collect()
    };
    assert_ne!(pods(&a), pods(&c), "another seed names pods differently");
}

#[test]
fn promote_advances_an_argo_canary_to_its_next_step() {
    let (mut world, mut state) = demo_state();
    assert_eq!(release(&state, "cart").phase, Phase::WaitingForPromotion);
    assert_eq!(release(&state, "cart").step, Some((2, 6)));
    act(&mut world, &mut state, "cart", Operation::Promote, None).expect("promote");
    run(&mut world, &mut state, 30.0);
    let cart = release(&state, "cart");
    assert_eq!(cart.weight, Some(50));
    assert!(cart.step.is_some_and(|(n, _)| n >= 3), "{:?}", cart.step);
    // At step 4 a timed pause runs: paused, but not waiting for a human.
    assert_eq!(cart.phase, Phase::Paused);
    assert_eq!(cart.attention_rank(), 4);
}

#[test]
fn promote_full_finishes_a_blue_green_and_swaps_the_active_colour() {
    let (mut world, mut state) = demo_state();
    assert_eq!(
        release(&state, "search-api").phase,
        Phase::WaitingForPromotion
    );
    act(
        &mut world,
        &mut state,
        "search-api",
        Operation::PromoteFull,
        None,
    )
    .expect("promote");
    run(&mut world, &mut state, 60.0);
    let r = release(&state, "search-api");
    assert_eq!(r.phase, Phase::Healthy);
    let active = r
        .revisions
        .iter()
        .find(|v| v.role == ripcord::model::RevisionRole::Active)
        .expect("an active revision");
    assert_eq!(active.images, vec!["search/api:7.1.0".to_owned()]);
}

#[test]
fn abort_sends_traffic_back_to_stable() {
    let (mut world, mut state) = demo_state();
    act(&mut world, &mut state, "cart", Operation::Abort, None).expect("abort");
    run(&mut world, &mut state, 30.0);
    let cart = release(&state, "cart");
    assert_eq!(cart.phase, Phase::Aborted);
    assert_eq!(cart.weight, Some(0));
    assert_eq!(cart.canary.desired, 0, "the canary is scaled down");
    assert_eq!(cart.stable.ready, 4);
    // Retry starts the update again.
    act(&mut world, &mut state, "cart", Operation::Retry, None).expect("retry");
    run(&mut world, &mut state, 20.0);
    assert_eq!(release(&state, "cart").phase, Phase::WaitingForPromotion);
}

#[test]
fn a_climbing_error_rate_fails_analysis_and_aborts_the_canary() {
    let (mut world, mut state) = demo_state();
    let checkout = release(&state, "checkout");
    assert_eq!(checkout.verdict, Some(Verdict::Running));
    let errors = &state.extras[&checkout.key].metrics[0];
    assert!(
        errors.canary.last() > errors.baseline.last(),
        "the canary's error rate is above baseline"
    );
    run(&mut world, &mut state, 60.0);
    let checkout = release(&state, "checkout");
    assert_eq!(checkout.phase, Phase::Aborted);
    assert_eq!(checkout.verdict, Some(Verdict::Fail));
    assert!(
        checkout.verdict_reason.contains("error-rate"),
        "{}",
        checkout.verdict_reason
    );
}

#[test]
fn rollback_restores_the_previous_revision_of_a_crash_looping_deployment() {
    let (mut world, mut state) = demo_state();
    let r = release(&state, "recommender");
    assert_eq!(r.phase, Phase::Degraded);
    assert!(
        r.message.contains("has timed out progressing"),
        "{}",
        r.message
    );
    act(
        &mut world,
        &mut state,
        "recommender",
        Operation::Rollback,
        None,
    )
    .expect("rollback");
    run(&mut world, &mut state, 60.0);
    let r = release(&state, "recommender");
    assert_eq!(r.phase, Phase::Healthy, "{}", r.message);
    // Like `kubectl rollout undo`: the old template comes back as a new revision.
    let current = r.revisions.first().expect("revisions");
    assert_eq!(current.number, 3);
    assert_eq!(current.images, vec!["shop/recommender:3.0.1".to_owned()]);
    assert_eq!(r.stable.ready, 3);
    let err = act(
        &mut world,
        &mut state,
        "recommender",
        Operation::Rollback,
        Some(9),
    )
    .unwrap_err();
    assert!(err.contains("unable to find specified revision 9"), "{err}");
}

#[test]
fn pause_stops_a_rolling_update_and_resume_finishes_it() {
    let (mut world, mut state) = demo_state();
    assert_eq!(release(&state, "frontend").phase, Phase::Progressing);
    act(&mut world, &mut state, "frontend", Operation::Pause, None).expect("pause");
    let before = release(&state, "frontend").canary;
    run(&mut world, &mut state, 60.0);
    let r = release(&state, "frontend");
    assert_eq!(r.phase, Phase::Paused);
    assert_eq!(r.canary.desired, before.desired, "no new pods while paused");
    assert!(
        act(&mut world, &mut state, "frontend", Operation::Pause, None).is_err(),
        "pausing twice is an error, as in kubectl"
    );
    act(&mut world, &mut state, "frontend", Operation::Resume, None).expect("resume");
    run(&mut world, &mut state, 120.0);
    assert_eq!(release(&state, "frontend").phase, Phase::Healthy);
}

#[test]
fn restart_rolls_every_pod_onto_a_new_revision() {
    let (mut world, mut state) = demo_state();
    let pods_before: Vec<String> = release(&state, "ledger").revisions[0]
        .pods
        .iter()
        .map(|p| p.name.clone())
        .collect();
    act(&mut world, &mut state, "ledger", Operation::Restart, None).expect("restart");
    run(&mut world, &mut state, 90.0);
    let r = release(&state, "ledger");
    assert_eq!(r.phase, Phase::Healthy);
    assert_eq!(r.revisions[0].number, 2);
    assert!(r.revisions[0]
        .pods
        .iter()
        .all(|p| !pods_before.contains(&p.name)));
}

#[test]
fn canary_pair_promote_moves_the_canary_image_onto_stable() {
    let (mut world, mut state) = demo_state();
    act(
        &mut world,
        &mut state,
        "payments-api",
        Operation::Promote,
        None,
    )
    .expect("promote");
    run(&mut world, &mut state, 90.0);
    let r = release(&state, "payments-api");
    assert_eq!(r.canary.desired, 0);
    let stable = r
        .revisions
        .iter()
        .find(|v| v.role == ripcord::model::RevisionRole::Stable)
        .expect("stable");
    assert_eq!(stable.images, vec!["payments-api:2.4.0".to_owned()]);
    assert_eq!(r.stable.ready, 4);
    assert_eq!(r.phase, Phase::Healthy);
}

#[test]
fn canary_pair_abort_and_set_weight() {
    let (mut world, mut state) = demo_state();
    let request = ActionRequest {
        key: key(&state, "payments-api"),
        op: Operation::SetWeight,
        to_revision: None,
        weight: Some(40),
        reason: None,
        dry_run: false,
    };
    world.execute(&request).result.expect("set weight");
    run(&mut world, &mut state, 60.0);
    let r = release(&state, "payments-api");
    assert_eq!((r.stable.desired, r.canary.desired), (3, 2));
    act(
        &mut world,
        &mut state,
        "payments-api",
        Operation::Abort,
        None,
    )
    .expect("abort");
    run(&mut world, &mut state, 30.0);
    let r = release(&state, "payments-api");
    assert_eq!(r.canary.desired, 0);
    assert_eq!(
        r.revisions
            .iter()
            .find(|v| v.role == ripcord::model::RevisionRole::Stable)
            .map(|v| v.images.clone()),
        Some(vec!["payments-api:2.3.0".to_owned()])
    );
}

#[test]
fn flagger_canaries_are_shown_but_not_acted_on() {
    let (mut world, mut state) = demo_state();
    let err = act(&mut world, &mut state, "podinfo", Operation::Promote, None).unwrap_err();
    assert!(err.contains("Flagger"), "{err}");
    let before = release(&state, "podinfo").weight;
    run(&mut world, &mut state, 25.0);
    assert!(
        release(&state, "podinfo").weight > before,
        "Flagger keeps shifting weight"
    );
}
