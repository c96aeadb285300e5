//! The demo's Flagger canary, acted on through the real actuator's plan: spec patches
//! (`skipAnalysis`, `suspend`) and the load tester's gates, with Flagger's answers at its
//! next iteration.

mod common;

use common::demo::*;
use ripcord::app::{update, Msg, State};
use ripcord::cluster::actions::flagger::{RESTORE_ACTION, SKIP_SET};
use ripcord::model::ops::{ActionRequest, Op, Operation};
use ripcord::model::{Kind, Phase, Release, ReleaseKey, Verdict};
use ripcord::sim::World;
use ripcord_testkit::feed;

fn key(state: &State) -> ReleaseKey {
    state
        .rows
        .iter()
        .find(|k| k.name == "podinfo")
        .cloned()
        .expect("the demo's Flagger canary")
}

fn act(world: &mut World, state: &mut State, op: Op) -> Result<String, String> {
    let request = ActionRequest {
        key: key(state),
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

fn podinfo(state: &State) -> &Release {
    &state.releases[&key(state)]
}

fn stable_images(r: &Release) -> Vec<String> {
    r.revisions
        .iter()
        .find(|v| v.role == ripcord::model::RevisionRole::Stable)
        .map(|v| v.images.clone())
        .unwrap_or_default()
}

/// Runs Flagger's iterations until the canary waits at its confirm-promotion gate.
fn until_waiting(world: &mut World, state: &mut State) {
    for _ in 0..20 {
        if podinfo(state).phase == Phase::WaitingForPromotion {
            return;
        }
        run(world, state, 20.0);
    }
    panic!("podinfo never waited for promotion: {:?}", podinfo(state));
}

#[test]
fn the_simulator_offers_what_the_kubernetes_actuator_does_for_flagger() {
    for op in Operation::ALL {
        assert_eq!(
            ripcord::sim::supports(Kind::FlaggerCanary, op),
            ripcord::cluster::actions::supports(Kind::FlaggerCanary, op),
            "{op:?}"
        );
    }
    let (mut world, mut state) = demo_state();
    let err = act(&mut world, &mut state, Op::Rollback { to: Some(1) }).unwrap_err();
    assert!(err.contains("no revisions to pick"), "{err}");
}

#[test]
fn promote_opens_the_promotion_gate_the_canary_waits_at_and_flagger_promotes() {
    let (mut world, mut state) = demo_state();
    until_waiting(&mut world, &mut state);
    let r = podinfo(&state);
    assert_eq!((r.weight, r.step), (Some(50), Some((5, 5))));
    assert_eq!(r.message, "Waiting for approval.");
    // The gate is closed: Flagger waits however long it takes.
    run(&mut world, &mut state, 60.0);
    assert_eq!(podinfo(&state).phase, Phase::WaitingForPromotion);
    let said = act(&mut world, &mut state, Op::Promote { step: None }).expect("promote");
    assert!(
        said.contains("opened the confirm-promotion gate of canary 'podinfo'")
            && said.contains("/gate/open"),
        "{said}"
    );
    // Flagger sees the open gate at its next iteration and starts the promotion.
    run(&mut world, &mut state, 20.0);
    let r = podinfo(&state);
    assert_eq!(r.phase, Phase::Progressing);
    assert_eq!(
        r.message,
        "Canary analysis completed, starting primary rolling update."
    );
    assert_eq!(stable_images(r), vec!["podinfo:6.5.1".to_owned()]);
    for _ in 0..12 {
        run(&mut world, &mut state, 20.0);
    }
    let r = podinfo(&state);
    assert_eq!((r.phase, r.verdict), (Phase::Healthy, Some(Verdict::Pass)));
    assert_eq!(r.canary.desired, 0, "the canary is scaled down");
}

#[test]
fn promote_full_skips_the_analysis_and_the_skip_is_put_back_once_promoted() {
    let (mut world, mut state) = demo_state();
    let before = podinfo(&state).weight;
    let said = act(&mut world, &mut state, Op::PromoteFull).expect("promote --full");
    assert!(said.contains(SKIP_SET), "{said}");
    assert!(
        podinfo(&state)
            .flagger
            .as_ref()
            .expect("flagger")
            .skip_analysis
    );
    let again = act(&mut world, &mut state, Op::PromoteFull).unwrap_err();
    assert!(again.contains("already true"), "{again}");
    assert_eq!(
        podinfo(&state).weight,
        before,
        "nothing moves before Flagger runs"
    );
    run(&mut world, &mut state, 20.0);
    let r = podinfo(&state);
    assert_eq!(r.phase, Phase::Healthy);
    assert_eq!(stable_images(r), vec!["podinfo:6.5.1".to_owned()]);
    assert!(
        r.events.iter().any(|e| e
            .message
            .contains("Canary analysis was skipped for podinfo")),
        "{:?}",
        r.events
    );
    // Put back as ripcord does on a cluster, and journalled as such.
    assert!(!r.flagger.as_ref().expect("flagger").skip_analysis);
    let actions: Vec<&str> = world.journal().iter().map(|e| e.action.as_str()).collect();
    assert_eq!(actions, ["promote-full", "promote-full", RESTORE_ACTION]);
    assert!(
        world.journal()[2].result.contains("set back to false"),
        "{:?}",
        world.journal()[2]
    );
    let idle = act(&mut world, &mut state, Op::PromoteFull).unwrap_err();
    assert!(idle.contains("no analysis to skip"), "{idle}");
}

#[test]
fn pause_suspends_the_canary_where_it_is_and_resume_lets_flagger_go_on() {
    let (mut world, mut state) = demo_state();
    let said = act(&mut world, &mut state, Op::Pause).expect("pause");
    assert!(said.contains("spec.suspend true"), "{said}");
    let r = podinfo(&state);
    assert_eq!(r.phase, Phase::Paused);
    let (weight, step) = (r.weight, r.step);
    run(&mut world, &mut state, 60.0);
    assert_eq!(
        (podinfo(&state).weight, podinfo(&state).step),
        (weight, step)
    );
    let again = act(&mut world, &mut state, Op::Pause).unwrap_err();
    assert!(again.contains("already suspended"), "{again}");
    act(&mut world, &mut state, Op::Resume).expect("resume");
    assert_eq!(podinfo(&state).phase, Phase::Progressing);
    run(&mut world, &mut state, 20.0);
    let r = podinfo(&state);
    assert!(r.weight > weight, "{:?} after {weight:?}", r.weight);
    assert_eq!(r.step.map(|s| s.0), step.map(|s| s.0 + 1));
    let idle = act(&mut world, &mut state, Op::Resume).unwrap_err();
    assert!(idle.contains("not suspended"), "{idle}");
}

#[test]
fn abort_opens_the_rollback_gate_and_flagger_rolls_the_canary_back() {
    let (mut world, mut state) = demo_state();
    let said = act(&mut world, &mut state, Op::Abort).expect("abort");
    assert!(
        said.contains("opened the rollback gate of canary 'podinfo'")
            && said.contains("/rollback/open"),
        "{said}"
    );
    run(&mut world, &mut state, 20.0);
    let r = podinfo(&state);
    assert_eq!((r.phase, r.verdict), (Phase::Aborted, Some(Verdict::Fail)));
    assert_eq!(r.weight, Some(0));
    assert_eq!(
        r.message,
        "Canary analysis failed, Deployment scaled to zero."
    );
    assert_eq!(stable_images(r), vec!["podinfo:6.5.0".to_owned()]);
    assert!(
        r.events.iter().any(|e| e
            .message
            .contains("Rolling back podinfo.platform manual webhook")),
        "{:?}",
        r.events
    );
    run(&mut world, &mut state, 60.0);
    assert_eq!(podinfo(&state).canary.ready, 0, "no canary pod left");
}

/// The demo's load tester keeps a gate open until closed, as flagger's does; ripcord closes
/// the gates it opened once the analysis is over, by journal, and journals the close.
#[test]
fn the_gates_ripcord_opened_are_closed_once_the_analysis_is_over() {
    use ripcord::cluster::actions::flagger::CLOSE_ACTION;
    let (mut world, mut state) = demo_state();
    let ns = key(&state).namespace;
    // Approved in advance, while the canary still progresses.
    act(&mut world, &mut state, Op::Promote { step: None }).expect("promote");
    assert_eq!(world.loadtester_gates(&ns, "podinfo"), Some((true, false)));
    for _ in 0..40 {
        if podinfo(&state).phase == Phase::Healthy {
            break;
        }
        run(&mut world, &mut state, 20.0);
        let closes = world
            .journal()
            .iter()
            .filter(|e| e.action == CLOSE_ACTION)
            .count();
        if podinfo(&state).phase != Phase::Healthy {
            assert_eq!(closes, 0, "closed before the analysis was over");
        }
    }
    assert_eq!(podinfo(&state).phase, Phase::Healthy);
    assert_eq!(world.loadtester_gates(&ns, "podinfo"), Some((false, false)));
    let actions: Vec<&str> = world.journal().iter().map(|e| e.action.as_str()).collect();
    assert_eq!(actions, ["promote", CLOSE_ACTION]);
    let closed = &world.journal()[1].result;
    assert!(
        closed.contains("(phase Succeeded)") && closed.ends_with("/gate/close"),
        "{closed}"
    );
    // No analysis runs now: neither gate is opened for the next release.
    for op in [Op::Abort, Op::Promote { step: None }] {
        let why = act(&mut world, &mut state, op).unwrap_err();
        assert!(why.contains("no analysis running"), "{why}");
    }
    assert_eq!(world.loadtester_gates(&ns, "podinfo"), Some((false, false)));
}

#[test]
fn the_rollback_gate_stays_open_until_ripcord_closes_it_after_the_rollback() {
    use ripcord::cluster::actions::flagger::CLOSE_ACTION;
    let (mut world, mut state) = demo_state();
    let ns = key(&state).namespace;
    act(&mut world, &mut state, Op::Abort).expect("abort");
    assert_eq!(world.loadtester_gates(&ns, "podinfo"), Some((false, true)));
    run(&mut world, &mut state, 20.0);
    assert_eq!(podinfo(&state).phase, Phase::Aborted);
    assert_eq!(world.loadtester_gates(&ns, "podinfo"), Some((false, false)));
    let last = world.journal().last().expect("a close");
    assert_eq!(last.action, CLOSE_ACTION);
    assert!(last.result.ends_with("/rollback/close"), "{last:?}");
}

/// What ripcord puts back or closes once the analysis is over shows on the Canary's
/// events, not only in the journal.
#[test]
fn the_demo_shows_the_skip_put_back_and_the_gate_closed_on_the_canary_events() {
    use ripcord::sim::SETTLED_REASON;
    let settled = |state: &State| -> Vec<String> {
        podinfo(state)
            .events
            .iter()
            .filter(|e| e.reason == SETTLED_REASON)
            .map(|e| e.message.clone())
            .collect()
    };
    let (mut world, mut state) = demo_state();
    act(&mut world, &mut state, Op::PromoteFull).expect("promote --full");
    assert!(settled(&state).is_empty(), "{:?}", settled(&state));
    run(&mut world, &mut state, 20.0);
    assert_eq!(podinfo(&state).phase, Phase::Healthy);
    let shown = settled(&state);
    assert!(
        shown.len() == 1
            && shown[0].starts_with("ripcord: ")
            && shown[0].contains("spec.skipAnalysis of canary 'podinfo' set back to false"),
        "{shown:?}"
    );

    let (mut world, mut state) = demo_state();
    act(&mut world, &mut state, Op::Promote { step: None }).expect("promote");
    for _ in 0..40 {
        if podinfo(&state).phase == Phase::Healthy {
            break;
        }
        assert!(settled(&state).is_empty(), "{:?}", settled(&state));
        run(&mut world, &mut state, 20.0);
    }
    let shown = settled(&state);
    assert!(
        shown.len() == 1
            && shown[0].contains("closed the load tester gate")
            && shown[0].ends_with("/gate/close"),
        "{shown:?}"
    );
}
