//! The demo world's controllers: actions change it the way the real controllers would.
//! The same scenarios run against a real API server in the e2e tests.

mod common;

use common::demo::*;
use ripcord::app::{update, Effect, Msg, State};
use ripcord::model::ops::{ActionRequest, Op, Operation};
use ripcord::model::{Phase, Release, ReleaseKey, RevisionRole, StepState, Verdict};
use ripcord::sim::World;
use ripcord_testkit::feed;

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
    let op = match op {
        Operation::Rollback => Op::Rollback { to: to_revision },
        other => Op::plain(other).expect("an operation without parameters"),
    };
    let request = ActionRequest {
        key: key(state, name),
        op,
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

fn release<'a>(state: &'a State, name: &str) -> &'a Release {
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
    // currentStepIndex/steps, as `kubectl argo rollouts get` shows it.
    assert_eq!(release(&state, "cart").step, Some((1, 6)));
    let message = act(&mut world, &mut state, "cart", Operation::Promote, None).expect("promote");
    let (n, m) = release(&state, "cart").step.expect("a step");
    assert_eq!(
        message,
        format!("promoted: step {n}/{m}"),
        "counted as shown"
    );
    run(&mut world, &mut state, 30.0);
    let cart = release(&state, "cart");
    assert_eq!(cart.weight, Some(50));
    assert!(cart.step.is_some_and(|(n, _)| n >= 2), "{:?}", cart.step);
    // At step 4 a timed pause runs: paused, but not waiting for a human.
    assert_eq!(cart.phase, Phase::Paused);
    let attention = ripcord::model::attention::attention_of(cart, None, false);
    assert_eq!(attention.rank, ripcord::model::attention::Rank::Paused);
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
        .find(|v| v.role == RevisionRole::Active)
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

/// A blue-green abort leaves the traffic on the active: it says so, not "stable".
#[test]
fn a_blue_green_abort_says_traffic_is_back_on_active() {
    let (mut world, mut state) = demo_state();
    let said = act(&mut world, &mut state, "search-api", Operation::Abort, None).expect("abort");
    assert!(
        said.contains("traffic back on active") && !said.contains("stable"),
        "{said}"
    );
    let said = act(&mut world, &mut state, "cart", Operation::Abort, None).expect("abort");
    assert!(said.contains("traffic back on stable"), "{said}");
}

#[test]
fn a_climbing_error_rate_fails_analysis_and_aborts_the_canary() {
    let (mut world, mut state) = demo_state();
    let checkout = release(&state, "checkout");
    assert_eq!(checkout.verdict, Some(Verdict::Running));
    // ripcord's judge already fails it on the same series the controller will measure.
    let judged = state.analyses[&checkout.key]
        .report
        .as_ref()
        .expect("judged");
    let errors = &judged.summary.metrics[0].judgement;
    assert!(
        errors.canary_mean > errors.baseline_mean,
        "the canary's error rate is above baseline"
    );
    // The analysis step measures once, three minutes in.
    run(&mut world, &mut state, 180.0);
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

/// Argo's restart replaces pods one at a time: never more than one of them is down, and in
/// the end no pod predates the restart.
#[test]
fn an_argo_restart_replaces_pods_one_at_a_time() {
    let (mut world, mut state) = demo_state();
    let names = |state: &State| -> Vec<String> {
        release(state, "cart")
            .revisions
            .iter()
            .flat_map(|r| r.pods.iter().map(|p| p.name.clone()))
            .collect()
    };
    let before = names(&state);
    let ready = ready_pods(&state, "cart");
    let message = act(&mut world, &mut state, "cart", Operation::Restart, None).expect("restart");
    assert!(message.contains("one at a time"), "{message}");
    for _ in 0..120 {
        run(&mut world, &mut state, 1.0);
        assert!(
            ready_pods(&state, "cart") >= ready - 1,
            "more than one pod down"
        );
    }
    let after = names(&state);
    assert_eq!(after.len(), before.len());
    assert!(
        after.iter().all(|p| !before.contains(p)),
        "{before:?} -> {after:?}"
    );
}

#[test]
fn canary_pair_promote_full_keeps_the_pair_capacity() {
    let (mut world, mut state) = demo_state();
    act(
        &mut world,
        &mut state,
        "payments-api",
        Operation::Promote,
        None,
    )
    .expect("50%");
    act(
        &mut world,
        &mut state,
        "payments-api",
        Operation::Promote,
        None,
    )
    .expect("75%");
    run(&mut world, &mut state, 60.0);
    let r = release(&state, "payments-api");
    assert_eq!((r.stable.desired, r.canary.desired), (1, 4));
    act(
        &mut world,
        &mut state,
        "payments-api",
        Operation::PromoteFull,
        None,
    )
    .expect("full");
    run(&mut world, &mut state, 120.0);
    let r = release(&state, "payments-api");
    assert_eq!((r.stable.desired, r.canary.desired), (5, 0));
    assert_eq!(r.stable.ready, 5, "5 pods before, 5 after");
}

#[test]
fn canary_pair_promote_full_moves_the_canary_image_onto_stable() {
    let (mut world, mut state) = demo_state();
    let promoted_at = world.now;
    act(
        &mut world,
        &mut state,
        "payments-api",
        Operation::PromoteFull,
        None,
    )
    .expect("promote");
    run(&mut world, &mut state, 90.0);
    let r = release(&state, "payments-api");
    assert_eq!(r.canary.desired, 0);
    let stable = r
        .revisions
        .iter()
        .find(|v| v.role == RevisionRole::Stable)
        .expect("stable");
    assert_eq!(stable.images, vec!["payments-api:2.4.0".to_owned()]);
    // The promoted template is as old as the promotion, not as the Deployment.
    assert_eq!(stable.created, Some(promoted_at));
    assert_eq!(r.stable.ready, 5, "stable 4 + canary 1");
    assert_eq!(r.phase, Phase::Healthy);
    assert_eq!(r.weight, None, "nothing is being shifted");
}

#[test]
fn canary_pair_promote_moves_one_step_and_refuses_past_the_last() {
    let (mut world, mut state) = demo_state();
    let r = release(&state, "payments-api");
    assert_eq!((r.stable.desired, r.canary.desired), (4, 1));
    // 1 of 5 pods is 20%; 25% would still be 1 pod, so the next default step is 50%.
    let text = act(
        &mut world,
        &mut state,
        "payments-api",
        Operation::Promote,
        None,
    )
    .expect("one step");
    // 3 of 5 pods is 40%: the message says what the split really gives.
    assert!(text.contains("weight 40%: stable 3 / canary 2"), "{text}");
    run(&mut world, &mut state, 60.0);
    let r = release(&state, "payments-api");
    assert_eq!((r.stable.desired, r.canary.desired), (3, 2));
    let stable_images = |r: &Release| {
        r.revisions
            .iter()
            .find(|v| v.role == RevisionRole::Stable)
            .map(|v| v.images.clone())
    };
    assert_eq!(
        stable_images(r),
        Some(vec!["payments-api:2.3.0".to_owned()]),
        "a step does not promote the image"
    );
    let text = act(
        &mut world,
        &mut state,
        "payments-api",
        Operation::Promote,
        None,
    )
    .expect("75%");
    assert!(text.contains("weight 80%: stable 1 / canary 4"), "{text}");
    run(&mut world, &mut state, 60.0);
    let r = release(&state, "payments-api");
    assert_eq!((r.stable.desired, r.canary.desired), (1, 4));
    let err = act(
        &mut world,
        &mut state,
        "payments-api",
        Operation::Promote,
        None,
    )
    .expect_err("no step after the last");
    assert!(err.contains("last step") && err.contains("--full"), "{err}");
    assert_eq!(release(&state, "payments-api").canary.desired, 4);
}

#[test]
fn p_on_a_pair_asks_for_the_next_configured_step_and_explains_the_last() {
    let (mut world, mut state) = demo_state();
    state.settings.production_pattern = "no-context-is-production".into();
    state.settings.pair_steps = vec![30, 60];
    // Steps alone: the demo's findings on payments-api would ask for an acknowledgement.
    state.findings.clear();
    select(&mut state, "payments-api");
    let request = match press(&mut state, 'p').as_slice() {
        [Effect::Execute(request)] => request.clone(),
        other => panic!("p should act at once on a pair outside production: {other:?}"),
    };
    // 30% of 5 pods is still 1 canary pod, so the step that moves a pod is 60%.
    assert_eq!(request.op, Op::Promote { step: Some(60) });
    let outcome = world.execute(&request);
    outcome.result.clone().expect("step");
    feed(&mut world, &mut state);
    update(&mut state, Msg::ActionDone(outcome));
    run(&mut world, &mut state, 60.0);
    let r = release(&state, "payments-api");
    assert_eq!((r.stable.desired, r.canary.desired), (2, 3));
    assert!(
        press(&mut state, 'p').is_empty(),
        "no step is left: nothing is sent"
    );
    let status = state
        .status
        .as_ref()
        .map(|s| s.text.clone())
        .unwrap_or_default();
    assert!(
        status.contains("last step") && status.contains("P "),
        "{status}"
    );
    assert_eq!(release(&state, "payments-api").canary.desired, 3);
}

#[test]
fn a_pairs_revisions_have_distinct_numbers() {
    let (_, state) = demo_state();
    let r = release(&state, "payments-api");
    let numbers: Vec<i64> = r.revisions.iter().map(|v| v.number).collect();
    let mut unique = numbers.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), numbers.len(), "{numbers:?}");
    assert_eq!(r.revisions[0].role, RevisionRole::Canary);
    assert!(r.rollback_targets().all(|v| v.role == RevisionRole::Old));
}

#[test]
fn canary_pair_abort_and_set_weight() {
    let (mut world, mut state) = demo_state();
    let request = ActionRequest {
        key: key(&state, "payments-api"),
        op: Op::SetWeight { weight: 33 },
        reason: None,
        dry_run: false,
    };
    let text = world
        .execute(&request)
        .result
        .expect("set weight")
        .to_string();
    // 33% of 5 pods is 2 canary pods: 40%.
    assert!(
        text.contains("weight 40%: stable 3 / canary 2 (asked 33%"),
        "{text}"
    );
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
            .find(|v| v.role == RevisionRole::Stable)
            .map(|v| v.images.clone()),
        Some(vec!["payments-api:2.3.0".to_owned()])
    );
}

#[test]
fn a_flagger_canary_is_listed_above_its_primary_and_no_pod_is_older_than_its_revision() {
    let (mut world, mut state) = demo_state();
    run(&mut world, &mut state, 60.0);
    let r = release(&state, "podinfo");
    let roles: Vec<RevisionRole> = r.revisions.iter().map(|v| v.role).collect();
    assert_eq!(roles, vec![RevisionRole::Canary, RevisionRole::Stable]);
    for v in &r.revisions {
        for p in &v.pods {
            assert!(
                p.created >= v.created,
                "{} ({:?}) is older than revision {} ({:?})",
                p.name,
                p.created,
                v.number,
                v.created
            );
        }
    }
}

#[test]
fn a_promoted_pair_lists_no_empty_canary_and_counts_each_revisions_pods() {
    let (mut world, mut state) = demo_state();
    act(
        &mut world,
        &mut state,
        "payments-api",
        Operation::PromoteFull,
        None,
    )
    .expect("full");
    for _ in 0..12 {
        run(&mut world, &mut state, 5.0);
        let r = release(&state, "payments-api");
        for v in &r.revisions {
            let ready = v.pods.iter().filter(|p| p.ready).count() as i32;
            assert!(
                ready <= v.replicas.ready.max(v.pods.len() as i32),
                "revision {} {:?}: {ready} ready pods listed, {:?}",
                v.number,
                v.role,
                v.replicas
            );
            assert!(
                v.pods.len() as i32 <= v.replicas.desired.max(v.replicas.ready) + 2,
                "revision {} {:?} lists {} pods for {:?}",
                v.number,
                v.role,
                v.pods.len(),
                v.replicas
            );
        }
    }
    let r = release(&state, "payments-api");
    assert_eq!(
        r.revisions[0].role,
        RevisionRole::Stable,
        "no empty canary on top"
    );
    let stable = &r.revisions[0];
    assert_eq!(stable.pods.len() as i32, stable.replicas.desired);
}

#[test]
fn a_deployments_revisions_are_new_and_old_also_after_a_rollback() {
    let (mut world, mut state) = demo_state();
    let frontend = release(&state, "frontend");
    assert_eq!(frontend.phase, Phase::Progressing);
    let roles: Vec<RevisionRole> = frontend.revisions.iter().map(|v| v.role).collect();
    assert_eq!(roles, vec![RevisionRole::New, RevisionRole::Old]);
    assert!(
        frontend.weight.is_some(),
        "a rolling update shows the new share"
    );
    let frontend_sides = frontend.side_labels();
    act(
        &mut world,
        &mut state,
        "recommender",
        Operation::Rollback,
        None,
    )
    .expect("rollback");
    run(&mut world, &mut state, 2.0);
    let r = release(&state, "recommender");
    let role_of = |image: &str| {
        r.revisions
            .iter()
            .find(|v| v.images == [image.to_owned()])
            .map(|v| v.role)
    };
    // The template the rollback brought back is the new one; the crash-looping one is old.
    assert_eq!(role_of("shop/recommender:3.0.1"), Some(RevisionRole::New));
    assert_eq!(
        role_of("shop/recommender:3.1.0-crash"),
        Some(RevisionRole::Old)
    );
    assert!(r
        .rollback_targets()
        .all(|v| v.images != ["shop/recommender:3.0.1".to_owned()]));
    run(&mut world, &mut state, 90.0);
    let r = release(&state, "recommender");
    assert_eq!(r.phase, Phase::Healthy, "{}", r.message);
    assert_eq!(r.weight, None);
    assert_eq!((r.stable.ready, r.canary.desired), (3, 0));
    // The sides keep their words once the rollout is over: the base holds every pod, the
    // update side is empty. No word trades places with the other.
    assert_eq!(r.side_labels(), frontend_sides);
    let (base, update) = r.side_labels();
    assert!(
        !["new", "old"].contains(&base) && !["new", "old"].contains(&update),
        "{base}/{update} would read as a revision's role"
    );
}

#[test]
fn healthy_releases_of_every_kind_show_no_weight() {
    let (mut world, mut state) = demo_state();
    act(&mut world, &mut state, "cart", Operation::PromoteFull, None).expect("cart");
    act(
        &mut world,
        &mut state,
        "search-api",
        Operation::PromoteFull,
        None,
    )
    .expect("search-api");
    // The Flagger canary waits at its promotion gate; skipping its analysis promotes it.
    act(
        &mut world,
        &mut state,
        "podinfo",
        Operation::PromoteFull,
        None,
    )
    .expect("podinfo");
    run(&mut world, &mut state, 600.0);
    let mut kinds = std::collections::BTreeSet::new();
    for r in state.releases.values() {
        if r.phase == Phase::Healthy {
            assert_eq!(r.weight, None, "{}: {:?}", r.key, r.weight);
            // An Argo canary's plugin keeps counting: every step done.
            let done = (r.key.kind == ripcord::model::Kind::ArgoRollout && !r.steps.is_empty())
                .then_some((r.steps.len(), r.steps.len()));
            assert_eq!(r.step, done, "{}: {:?}", r.key, r.step);
            kinds.insert(r.key.kind);
        } else {
            assert!(
                r.weight.is_some(),
                "{} ({:?}) has no weight",
                r.key,
                r.phase
            );
        }
    }
    assert_eq!(kinds.len(), 4, "a healthy release of every kind: {kinds:?}");
    let blue_green = release(&state, "search-api");
    assert!(blue_green
        .revisions
        .iter()
        .all(|v| matches!(v.role, RevisionRole::Active | RevisionRole::Old)));
}

#[test]
fn blue_green_revisions_are_active_and_preview() {
    let (_, state) = demo_state();
    let r = release(&state, "search-api");
    let roles: Vec<RevisionRole> = r.revisions.iter().map(|v| v.role).collect();
    assert!(roles.contains(&RevisionRole::Active), "{roles:?}");
    assert!(roles.contains(&RevisionRole::Preview), "{roles:?}");
    assert!(!roles.contains(&RevisionRole::Canary) && !roles.contains(&RevisionRole::Stable));
    assert_eq!(r.weight, Some(0), "the preview takes no traffic yet");
}

#[test]
fn flaggers_steps_agree_with_its_step_count() {
    let (mut world, mut state) = demo_state();
    for _ in 0..4 {
        let r = release(&state, "podinfo");
        let (current, total) = r.step.expect("a step while progressing");
        assert_eq!(r.steps.len(), total, "{:?}", r.steps);
        let done = r
            .steps
            .iter()
            .filter(|s| s.state == StepState::Done)
            .count();
        let at = r.steps.iter().position(|s| s.state == StepState::Current);
        match at {
            Some(i) => assert_eq!((i + 1, done), (current, current - 1), "{:?}", r.steps),
            None => assert_eq!(done, current, "{:?}", r.steps),
        }
        run(&mut world, &mut state, 20.0);
    }
}

#[test]
fn a_failed_analysis_step_shows_failed_and_not_done_after_a_rollback() {
    let (mut world, mut state) = demo_state();
    // The analysis step measures once, three minutes in.
    run(&mut world, &mut state, 180.0);
    let checkout = release(&state, "checkout");
    assert_eq!(checkout.verdict, Some(Verdict::Fail));
    let failed: Vec<String> = checkout
        .steps
        .iter()
        .filter(|s| s.state == StepState::Failed)
        .map(|s| s.kind.to_string())
        .collect();
    assert_eq!(failed, vec!["analysis error-rate".to_owned()]);
    assert!(checkout.steps.iter().all(|s| s.state != StepState::Current));
    act(
        &mut world,
        &mut state,
        "checkout",
        Operation::Rollback,
        None,
    )
    .expect("undo");
    run(&mut world, &mut state, 60.0);
    let checkout = release(&state, "checkout");
    assert!(
        checkout.steps.iter().all(|s| s.state == StepState::Pending),
        "a rollback passes no step: {:?}",
        checkout.steps
    );
}

#[test]
fn a_simulated_analysis_step_has_its_analysis_run_and_the_measurement_that_failed_it() {
    let (mut world, mut state) = demo_state();
    let running = release(&state, "checkout")
        .argo
        .clone()
        .expect("argo detail");
    let phases: Vec<&str> = running
        .analysis_runs
        .iter()
        .map(|r| r.phase.as_str())
        .collect();
    assert_eq!(phases, vec!["Running"]);
    assert!(running.analysis_runs[0].metrics[0].measurements.is_empty());
    // The analysis step measures once, three minutes in.
    run(&mut world, &mut state, 180.0);
    let checkout = release(&state, "checkout");
    let a = checkout.argo.as_deref().expect("argo detail");
    let run = &a.analysis_runs[0];
    assert_eq!((run.phase.as_str(), run.kind.as_str()), ("Failed", "Step"));
    let m = &run.metrics[0];
    assert_eq!((m.failed, m.failure_limit), (1, 0));
    // The canary's error ratio over its baseline's, then its p99 latency over its baseline's.
    let errors: f64 = m.measurements[0]
        .value
        .trim_matches(['[', ']'])
        .split(',')
        .next()
        .and_then(|v| v.parse().ok())
        .expect("a measured ratio");
    assert!(errors > 1.2, "{errors}");
    // The controller's message, the run's, and the verdict's agree.
    assert_eq!(run.message, checkout.verdict_reason);
    assert!(a.abort_message.is_some());
}

#[test]
fn ripcord_judges_a_release_only_while_its_canary_pods_run() {
    let (mut world, mut state) = demo_state();
    let judged = |state: &State, name: &str| {
        ripcord::app::analysis::ripcord_panel(state, release(state, name)).is_some()
    };
    // A plain Deployment's new side is judged while it runs beside an old one; one rolled
    // out is not, nor is a pair with its canary at 0.
    let frontend = release(&state, "frontend");
    assert!(
        frontend.weight.is_some() && frontend.canary.desired > 0,
        "{frontend:?}"
    );
    assert!(judged(&state, "frontend"));
    assert!(release(&state, "ledger").weight.is_none());
    assert!(!judged(&state, "ledger"));
    assert!(!judged(&state, "gateway"));
    assert!(judged(&state, "cart"));
    assert!(judged(&state, "payments-api"));
    act(&mut world, &mut state, "cart", Operation::Abort, None).expect("abort");
    act(
        &mut world,
        &mut state,
        "payments-api",
        Operation::Abort,
        None,
    )
    .expect("abort");
    run(&mut world, &mut state, 120.0);
    assert!(!judged(&state, "cart"));
    assert!(!judged(&state, "payments-api"));
    // checkout fails its analysis and is aborted; its canary pods go, and so does ripcord's
    // judgement: the controller's verdict shows again.
    run(&mut world, &mut state, 120.0);
    assert_eq!(release(&state, "checkout").phase, Phase::Aborted);
    assert!(!judged(&state, "checkout"));
}

#[test]
fn a_paused_deployment_never_passes_its_progress_deadline() {
    let (mut world, mut state) = demo_state();
    assert_eq!(release(&state, "indexer").phase, Phase::Paused);
    run(&mut world, &mut state, 3600.0);
    let r = release(&state, "indexer");
    assert_eq!(r.phase, Phase::Paused, "{}", r.message);
    assert!(r.weight.is_some(), "paused half way: the new share shows");
}

#[test]
fn demo_actions_post_a_ripcord_event_on_their_target() {
    let (mut world, mut state) = demo_state();
    act(&mut world, &mut state, "frontend", Operation::Pause, None).expect("pause");
    let r = release(&state, "frontend");
    let event = r
        .events
        .iter()
        .find(|e| e.reason == "RipcordPause")
        .unwrap_or_else(|| panic!("no RipcordPause event: {:?}", r.events));
    assert!(
        !event.warning && event.message.contains("ran pause"),
        "{event:?}"
    );
    // A refused action is recorded as a warning.
    act(&mut world, &mut state, "frontend", Operation::Pause, None).expect_err("twice");
    let r = release(&state, "frontend");
    assert!(r
        .events
        .iter()
        .any(|e| e.reason == "RipcordPause" && e.warning && e.message.contains("error")));
}

#[test]
fn each_side_source_sends_only_what_changed() {
    let mut world = World::demo(SEED);
    let releases = world.release_keys().len();
    assert_eq!(world.take_flags().len(), releases, "every release, once");
    assert_eq!(world.take_findings().len(), releases);
    assert!(world.take_flags().is_empty() && world.take_findings().is_empty());
    world.advance(10.0);
    assert!(world.take_flags().is_empty(), "flags sent again unchanged");
    assert!(
        world.take_findings().is_empty(),
        "findings sent again unchanged"
    );
}

/// The demo acts through the same service as a real cluster: the simulator's actuator hands
/// the request to the task driving the world, and refuses what the world cannot do.
#[tokio::test]
async fn the_simulators_actuator_acts_through_the_driver() {
    use ripcord::model::ops::{ActionFailure, Actuator};
    use ripcord::model::Kind;
    use ripcord::service::Service;
    use ripcord::sim::driver::{self, SimActuator};
    use std::sync::Arc;

    let (world, state) = demo_state();
    let cart = key(&state, "cart");
    let pair = key(&state, "payments-api");
    let (msg_tx, mut msg_rx) = tokio::sync::mpsc::channel(4096);
    let (sim_tx, sim_rx) = tokio::sync::mpsc::unbounded_channel();
    tokio::spawn(driver::run(world, 1.0, true, msg_tx, sim_rx));
    let actuator = SimActuator::new(sim_tx);
    assert!(actuator
        .supports(Kind::ArgoRollout, Operation::Promote)
        .is_ok());
    assert!(actuator
        .supports(Kind::FlaggerCanary, Operation::Promote)
        .is_ok());
    assert!(actuator
        .supports(Kind::FlaggerCanary, Operation::Retry)
        .is_err());
    let mut settings = state.settings.clone();
    settings.production_pattern = "no-context-is-production".into();
    let service = Service::new(Arc::new(actuator), None, settings, false);

    let request = |key: &ReleaseKey, op| ActionRequest {
        key: key.clone(),
        op,
        reason: None,
        dry_run: false,
    };
    let (outcome, problems) = service.act(&request(&cart, Op::Abort)).await;
    assert!(problems.is_empty(), "{problems:?}");
    outcome.result.expect("abort runs in the world");
    // The world's changes went out before the outcome came back.
    let mut changed = false;
    while let Ok(msg) = msg_rx.try_recv() {
        changed |= matches!(msg, Msg::Cluster { .. });
    }
    assert!(changed, "the abort changed nothing in the world");

    let (outcome, _) = service.act(&request(&pair, Op::Pause)).await;
    match outcome.result {
        Err(ActionFailure::Rejected(why)) => {
            assert!(why.contains("no controller to pause"), "{why}")
        }
        other => panic!("a pair cannot pause: {other:?}"),
    }
}

fn ready_pods(state: &State, name: &str) -> i32 {
    let r = release(state, name);
    r.stable.ready + r.canary.ready
}

/// A pair's full promotion and its abort hand the canary's pods to the stable before the
/// canary goes: the ready pods never fall below what the pair had.
#[test]
fn a_pair_promotion_and_abort_keep_the_ready_pods() {
    for op in [Operation::PromoteFull, Operation::Abort] {
        let (mut world, mut state) = demo_state();
        let before = ready_pods(&state, "payments-api");
        assert_eq!(before, 5, "stable 4 + canary 1");
        let text = act(&mut world, &mut state, "payments-api", op, None).expect("act");
        assert!(
            text.contains("canary scaled to 0 once stable was ready"),
            "{text}"
        );
        for _ in 0..30 {
            let ready = ready_pods(&state, "payments-api");
            assert!(ready >= before, "{op:?}: ready pods fell to {ready}");
            run(&mut world, &mut state, 1.0);
        }
        let r = release(&state, "payments-api");
        assert_eq!(
            (r.stable.ready, r.stable.desired, r.canary.desired),
            (5, 5, 0)
        );
    }
}

/// `ripcord status` prints names whole however long they are, and keeps the columns aligned.
#[test]
fn the_status_table_never_cuts_a_name() {
    let (_, state) = demo_state();
    let mut releases: Vec<Release> = state.releases.values().cloned().collect();
    let long = "a-namespace-name-longer-than-any-column-width";
    releases[0].key.namespace = long.into();
    let table = ripcord::headless::status_table(&releases, state.now);
    let lines: Vec<&str> = table.lines().collect();
    assert!(lines.iter().any(|l| l.contains(long)), "{table}");
    let name_at = lines[0].find("NAME ").expect("NAME heading");
    for (line, r) in lines[1..].iter().zip(&releases) {
        assert_eq!(line.find(r.key.name.as_str()), Some(name_at), "{table}");
    }
}

/// The demo's set-weight on an Argo canary moves it to the step that sets that weight,
/// as a real cluster's currentStepIndex patch does, and refuses a weight no step sets.
#[test]
fn set_weight_moves_an_argo_canary_to_its_step() {
    let (mut world, mut state) = demo_state();
    let request = |state: &State, weight| ActionRequest {
        key: key(state, "cart"),
        op: Op::SetWeight { weight },
        reason: None,
        dry_run: false,
    };
    let refused = world.execute(&request(&state, 33));
    assert!(refused.result.is_err(), "{:?}", refused.result);
    let outcome = world.execute(&request(&state, 50));
    let text = outcome.result.clone().expect("set-weight 50");
    feed(&mut world, &mut state);
    let (n, m) = release(&state, "cart").step.expect("a step");
    assert_eq!(text, format!("moved to step {n}/{m} (setWeight 50)"));
    // The pods follow within the step's 30 s pause.
    run(&mut world, &mut state, 20.0);
    assert_eq!(release(&state, "cart").weight, Some(50));
}

/// The pods of `name`'s revision that runs `image`; none if it is not listed.
fn replicas_of(state: &State, name: &str, image: &str) -> ripcord::model::Replicas {
    release(state, name)
        .revisions
        .iter()
        .find(|v| v.images.iter().any(|i| i == image))
        .map(|v| v.replicas)
        .unwrap_or_default()
}

/// A blue-green's active Service switches only to a fully available set, and the set it
/// leaves keeps its pods for the scale-down delay (30 s), as the Argo controller does.
#[test]
fn a_blue_green_switches_only_to_an_available_set_and_keeps_the_old_one_for_its_delay() {
    let (mut world, mut state) = demo_state();
    act(&mut world, &mut state, "search-api", Operation::Abort, None).expect("abort");
    run(&mut world, &mut state, 5.0);
    act(&mut world, &mut state, "search-api", Operation::Retry, None).expect("retry");
    act(
        &mut world,
        &mut state,
        "search-api",
        Operation::PromoteFull,
        None,
    )
    .expect("promote");
    let mut switched_at = None;
    for second in 0..90 {
        run(&mut world, &mut state, 1.0);
        let r = release(&state, "search-api");
        let active = r
            .revisions
            .iter()
            .find(|v| v.role == RevisionRole::Active)
            .expect("an active revision");
        assert_eq!(
            active.replicas.ready, 3,
            "{second} s after promotion the active Service selects {:?}",
            active.replicas
        );
        let old = replicas_of(&state, "search-api", "search/api:7.0.0");
        if active.images == ["search/api:7.1.0"] {
            let at = *switched_at.get_or_insert(second);
            if second - at < SCALE_DOWN_DELAY - 1 {
                assert_eq!(old.desired, 3, "{second} s: the old set goes early");
            } else if second - at > SCALE_DOWN_DELAY + 5 {
                assert_eq!(old.desired, 0, "{second} s: the old set stays");
            }
        }
    }
    assert!(switched_at.is_some(), "the active Service never switched");
    assert_eq!(release(&state, "search-api").phase, Phase::Healthy);
}

/// The controller's default scaleDownDelaySeconds and abortScaleDownDelaySeconds.
const SCALE_DOWN_DELAY: i32 = 30;

/// An aborted blue-green's preview keeps its pods for the abort delay, then goes.
#[test]
fn an_aborted_blue_green_scales_its_preview_down_after_the_delay() {
    let (mut world, mut state) = demo_state();
    act(&mut world, &mut state, "search-api", Operation::Abort, None).expect("abort");
    let preview = |state: &State| replicas_of(state, "search-api", "search/api:7.1.0");
    run(&mut world, &mut state, f64::from(SCALE_DOWN_DELAY - 2));
    assert_eq!(
        preview(&state).desired,
        3,
        "the preview went before its delay"
    );
    run(&mut world, &mut state, 8.0);
    assert_eq!(preview(&state).desired, 0, "the preview outlived its delay");
    assert_eq!(release(&state, "search-api").phase, Phase::Aborted);
}

/// An abort starts the steps over, as the controller's `currentStepIndex: 0` does: the step
/// column counts 0 of the steps and no step runs; a failed analysis still shows where.
#[test]
fn an_abort_sets_the_step_back_to_zero() {
    let (mut world, mut state) = demo_state();
    assert_eq!(release(&state, "cart").step, Some((1, 6)));
    act(&mut world, &mut state, "cart", Operation::Abort, None).expect("abort");
    run(&mut world, &mut state, 1.0);
    let cart = release(&state, "cart");
    assert_eq!(cart.step, Some((0, 6)));
    let shown = cart.argo.as_ref().and_then(|d| d.step.clone());
    assert_eq!(shown.as_deref(), Some("0/6"));
    assert!(
        cart.steps.iter().all(|s| s.state == StepState::Pending),
        "{:?}",
        cart.steps
    );
    // checkout's analysis (step 4 of 6) fails three minutes in.
    run(&mut world, &mut state, 180.0);
    let checkout = release(&state, "checkout");
    assert_eq!(
        (checkout.phase, checkout.step),
        (Phase::Aborted, Some((0, 6)))
    );
    let states: Vec<StepState> = checkout.steps.iter().map(|s| s.state).collect();
    use StepState::*;
    assert_eq!(states, [Done, Done, Done, Failed, Pending, Pending]);
}

/// Ready pods and pods in all of an Argo canary's revisions.
fn argo_pods(state: &State, name: &str) -> (i32, i32) {
    let r = release(state, name);
    let ready = r.revisions.iter().map(|v| v.replicas.ready).sum();
    let pods = r.revisions.iter().map(|v| v.replicas.desired).sum();
    (ready, pods)
}

/// A basic canary keeps its availability as the controller does at its defaults (maxSurge
/// 25 % rounded up, maxUnavailable 25 % rounded down): the stable gives up pods only as
/// the canary's become ready, whether the weight moves up, back down (an abort) or to all.
#[test]
fn a_basic_canary_stays_within_max_surge_and_max_unavailable() {
    // cart runs 4 replicas: at most 5 pods, at least 3 ready; checkout 5: at most 7, 4.
    let limits = [("cart", 5, 3), ("checkout", 7, 4)];
    let check = |state: &State, when: &str| {
        for (name, most, least) in limits {
            let (ready, pods) = argo_pods(state, name);
            assert!(pods <= most, "{when}: {name} runs {pods} pods");
            assert!(ready >= least, "{when}: {name} has {ready} ready");
        }
    };
    let (mut world, mut state) = demo_state();
    let outcome = world.execute(&ActionRequest {
        key: key(&state, "cart"),
        op: Op::SetWeight { weight: 75 },
        reason: None,
        dry_run: false,
    });
    outcome.result.expect("set-weight 75");
    feed(&mut world, &mut state);
    for second in 0..40 {
        run(&mut world, &mut state, 1.0);
        check(&state, &format!("{second} s after set-weight 75"));
    }
    let cart = release(&state, "cart");
    assert_eq!(
        (cart.stable.ready, cart.canary.ready, cart.canary.desired),
        (1, 3, 3),
        "75 % of 4"
    );
    for (op, secs) in [
        (Operation::Abort, 40),
        (Operation::Retry, 30),
        (Operation::PromoteFull, 40),
    ] {
        act(&mut world, &mut state, "cart", op, None).expect("act");
        for second in 0..secs {
            run(&mut world, &mut state, 1.0);
            check(&state, &format!("{second} s after {op:?}"));
        }
    }
    assert_eq!(release(&state, "cart").phase, Phase::Healthy);
    assert_eq!(argo_pods(&state, "cart"), (4, 4));
}

/// A manually paused canary's sets stay as they are, as the controller halts its scaling
/// while `spec.paused` is set; resumed, they move to the step's weight.
#[test]
fn a_paused_argo_canary_does_not_scale() {
    let (mut world, mut state) = demo_state();
    act(&mut world, &mut state, "cart", Operation::Pause, None).expect("pause");
    let outcome = world.execute(&ActionRequest {
        key: key(&state, "cart"),
        op: Op::SetWeight { weight: 75 },
        reason: None,
        dry_run: false,
    });
    outcome.result.expect("set-weight 75");
    run(&mut world, &mut state, 20.0);
    let cart = release(&state, "cart");
    assert_eq!((cart.stable.desired, cart.canary.desired), (3, 1));
    act(&mut world, &mut state, "cart", Operation::Resume, None).expect("resume");
    run(&mut world, &mut state, 40.0);
    let cart = release(&state, "cart");
    assert_eq!((cart.stable.desired, cart.canary.desired), (1, 3));
}

/// A user's abort carries no reason in the controller's message; an analysis's does.
#[test]
fn a_user_abort_says_only_which_revision() {
    let (mut world, mut state) = demo_state();
    act(&mut world, &mut state, "cart", Operation::Abort, None).expect("abort");
    run(&mut world, &mut state, 1.0);
    let message = &release(&state, "cart").message;
    let revision = message
        .strip_prefix("RolloutAborted: Rollout aborted update to revision ")
        .unwrap_or_else(|| panic!("{message}"));
    assert!(revision.parse::<i64>().is_ok(), "{message}");
}

/// While pods older than a restart run the Rollout says it is restarting; once the
/// controller has replaced them all it is healthy again.
#[test]
fn an_argo_restart_shows_restarting_until_every_pod_is_new() {
    let (mut world, mut state) = demo_state();
    act(&mut world, &mut state, "cart", Operation::PromoteFull, None).expect("promote");
    run(&mut world, &mut state, 60.0);
    assert_eq!(release(&state, "cart").phase, Phase::Healthy);
    act(&mut world, &mut state, "cart", Operation::Restart, None).expect("restart");
    run(&mut world, &mut state, 1.0);
    let cart = release(&state, "cart");
    assert_eq!(
        (cart.phase, cart.message.as_str()),
        (Phase::Progressing, "rollout is restarting")
    );
    run(&mut world, &mut state, 120.0);
    assert_eq!(release(&state, "cart").phase, Phase::Healthy);
}

/// The demo's Rollouts refuse as the cluster's do: a promote or set-weight on an aborted
/// update would move its step with the abort still set; retry needs an abort.
#[test]
fn an_aborted_demo_rollout_refuses_promote_and_set_weight_and_retry_needs_an_abort() {
    use ripcord::model::ops::{ActionRequest, Op};
    use ripcord::model::Kind;
    let mut world = ripcord::sim::World::demo(7);
    let key = world
        .release_keys()
        .into_iter()
        .find(|k| k.kind == Kind::ArgoRollout && k.name == "cart")
        .expect("the demo's cart rollout");
    let run = |world: &mut ripcord::sim::World, op| {
        world
            .execute(&ActionRequest {
                key: key.clone(),
                op,
                reason: None,
                dry_run: false,
            })
            .result
            .map_err(|e| e.to_string())
    };
    let why = run(&mut world, Op::Retry).unwrap_err();
    assert!(why.contains("not aborted"), "{why}");
    run(&mut world, Op::Abort).expect("abort");
    for op in [Op::Promote { step: None }, Op::SetWeight { weight: 50 }] {
        let why = run(&mut world, op).unwrap_err();
        assert!(why.contains("aborted: retry first"), "{op:?}: {why}");
    }
    run(&mut world, Op::Retry).expect("retry");
}

/// A blue-green Rollout has no steps: its retry does not speak of one.
#[test]
fn a_blue_green_retry_speaks_of_its_preview_not_of_steps() {
    use ripcord::model::ops::{ActionRequest, Op};
    let mut world = World::demo(7);
    let key = world
        .release_keys()
        .into_iter()
        .find(|k| k.name == "search-api")
        .expect("the demo's blue-green rollout");
    let mut run = |op| {
        world
            .execute(&ActionRequest {
                key: key.clone(),
                op,
                reason: None,
                dry_run: false,
            })
            .result
            .map_err(|e| e.to_string())
    };
    run(Op::Abort).expect("abort");
    let said = run(Op::Retry).expect("retry");
    assert!(!said.contains("step"), "{said}");
    assert!(said.contains("preview"), "{said}");
}
