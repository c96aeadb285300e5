//! `update()` flows on the demo world: navigation, filtering, sorting, confirmation,
//! the production guard and read-only mode.

mod support;

use crossterm::event::KeyCode;
use ripcord::app::{Effect, Overlay, SortMode, View};
use ripcord::model::ops::Operation;
use ripcord::model::{Kind, Phase};
use support::*;

#[test]
fn the_queue_holds_every_demo_release_with_what_needs_a_human_first() {
    let (_, state) = demo_state();
    assert_eq!(state.rows.len(), 10, "{:?}", state.rows);
    let phases: Vec<Phase> = state.rows.iter().map(|k| state.releases[k].phase).collect();
    let ranks: Vec<u8> = state
        .rows
        .iter()
        .map(|k| state.releases[k].attention_rank())
        .collect();
    assert!(
        ranks.windows(2).all(|w| w[0] <= w[1]),
        "not sorted by attention: {phases:?}"
    );
    assert_eq!(phases.first(), Some(&Phase::WaitingForPromotion));
    assert_eq!(phases.last(), Some(&Phase::Healthy));
    for kind in [
        Kind::Deployment,
        Kind::CanaryPair,
        Kind::ArgoRollout,
        Kind::FlaggerCanary,
    ] {
        assert!(
            state.rows.iter().any(|k| k.kind == kind),
            "no {kind:?} in the demo"
        );
    }
    let degraded = state
        .rows
        .iter()
        .find(|k| k.name == "recommender")
        .map(|k| state.releases[k].phase);
    assert_eq!(
        degraded,
        Some(Phase::Degraded),
        "the crash-looping release must be degraded"
    );
}

#[test]
fn navigation_moves_and_clamps_the_selection() {
    let (_, mut state) = demo_state();
    assert_eq!(state.selected, 0);
    press(&mut state, 'j');
    press(&mut state, 'j');
    assert_eq!(state.selected, 2);
    press(&mut state, 'k');
    assert_eq!(state.selected, 1);
    press(&mut state, 'G');
    assert_eq!(state.selected, state.rows.len() - 1);
    press(&mut state, 'j');
    assert_eq!(
        state.selected,
        state.rows.len() - 1,
        "down at the bottom stays put"
    );
    // `g g` is a two-key sequence: one `g` alone does nothing.
    press(&mut state, 'g');
    assert_eq!(state.selected, state.rows.len() - 1);
    press(&mut state, 'g');
    assert_eq!(state.selected, 0);
}

#[test]
fn scrolling_keeps_the_selection_visible_in_a_short_terminal() {
    let (_, mut state) = demo_state();
    ripcord::app::update(
        &mut state,
        ripcord::app::Msg::Resize {
            width: 80,
            height: 9,
        },
    );
    let visible = ripcord::app::visible_rows(&state);
    assert_eq!(visible, 4);
    press(&mut state, 'G');
    assert_eq!(state.offset, state.rows.len() - visible);
    press(&mut state, 'g');
    press(&mut state, 'g');
    assert_eq!(state.offset, 0);
}

#[test]
fn enter_opens_the_detail_view_and_escape_goes_back() {
    let (_, mut state) = demo_state();
    select(&mut state, "checkout");
    press_code(&mut state, KeyCode::Enter);
    match &state.view {
        View::Detail(key) => assert_eq!(key.name, "checkout"),
        other => panic!("expected the detail view, got {other:?}"),
    }
    press_code(&mut state, KeyCode::Esc);
    assert_eq!(state.view, View::Home);
    assert_eq!(
        state.selected_key().map(|k| k.name.as_str()),
        Some("checkout")
    );
}

#[test]
fn filter_narrows_the_queue_live_and_escape_clears_it() {
    let (_, mut state) = demo_state();
    press(&mut state, '/');
    type_text(&mut state, "car");
    assert_eq!(state.rows.len(), 1);
    assert_eq!(state.rows[0].name, "cart");
    press_code(&mut state, KeyCode::Enter);
    assert_eq!(state.filter, "car");
    assert!(state.filter_input.is_none());
    assert_eq!(state.rows.len(), 1, "the filter stays after Enter");
    // Typing a namespace or context matches too.
    press(&mut state, '/');
    press_code(&mut state, KeyCode::Backspace);
    press_code(&mut state, KeyCode::Backspace);
    press_code(&mut state, KeyCode::Backspace);
    type_text(&mut state, "staging");
    assert!(state.rows.iter().all(|k| k.context == "staging-us"));
    assert_eq!(state.rows.len(), 5);
    press_code(&mut state, KeyCode::Esc);
    assert!(state.filter.is_empty());
    assert_eq!(state.rows.len(), 10);
}

#[test]
fn context_and_namespace_keys_cycle_through_what_exists() {
    let (_, mut state) = demo_state();
    press(&mut state, 'c');
    assert_eq!(state.context_filter.as_deref(), Some("prod-eu"));
    assert!(state.rows.iter().all(|k| k.context == "prod-eu"));
    press(&mut state, 'n');
    let ns = state
        .namespace_filter
        .clone()
        .expect("a namespace is chosen");
    assert!(state
        .rows
        .iter()
        .all(|k| k.namespace == ns && k.context == "prod-eu"));
    press(&mut state, '0');
    assert_eq!(state.namespace_filter, None);
    press(&mut state, 'c');
    press(&mut state, 'c');
    assert_eq!(
        state.context_filter, None,
        "cycling wraps back to all contexts"
    );
    assert_eq!(state.rows.len(), 10);
}

#[test]
fn sort_key_cycles_attention_name_age() {
    let (_, mut state) = demo_state();
    press(&mut state, 'o');
    assert_eq!(state.sort, SortMode::Name);
    let names: Vec<&str> = state.rows.iter().map(|k| k.name.as_str()).collect();
    let mut sorted = names.clone();
    sorted.sort();
    assert_eq!(names, sorted);
    press(&mut state, 'o');
    assert_eq!(state.sort, SortMode::Age);
    let ages: Vec<_> = state
        .rows
        .iter()
        .map(|k| state.releases[k].created)
        .collect();
    assert!(ages.windows(2).all(|w| w[0] >= w[1]), "newest first");
}

#[test]
fn a_dangerous_action_waits_for_confirmation_and_can_be_cancelled() {
    let (_, mut state) = demo_state();
    select(&mut state, "cart"); // staging: no production guard
    let effects = press(&mut state, 'a');
    assert!(effects.is_empty(), "abort must not run before confirmation");
    assert!(matches!(state.overlay, Some(Overlay::Confirm(_))));
    let effects = press(&mut state, 'n');
    assert!(effects.is_empty());
    assert!(state.overlay.is_none());

    press(&mut state, 'a');
    let effects = press(&mut state, 'y');
    match effects.as_slice() {
        [Effect::Execute(req)] => {
            assert_eq!(req.op, Operation::Abort);
            assert_eq!(req.key.name, "cart");
        }
        other => panic!("expected one Execute effect, got {other:?}"),
    }
}

#[test]
fn a_safe_action_outside_production_runs_at_once() {
    let (_, mut state) = demo_state();
    select(&mut state, "cart");
    let effects = press(&mut state, 'p');
    assert!(matches!(effects.as_slice(), [Effect::Execute(r)] if r.op == Operation::Promote));
    assert!(state.overlay.is_none());
}

#[test]
fn production_needs_the_typed_name_and_a_reason() {
    let (_, mut state) = demo_state();
    select(&mut state, "payments-api"); // prod-eu matches the default production pattern
    assert!(press(&mut state, 'p').is_empty());
    let guarded = matches!(&state.overlay, Some(Overlay::Confirm(c)) if c.guarded);
    assert!(guarded, "prod contexts are guarded");
    // Enter with nothing typed is refused, and says why.
    assert!(press_code(&mut state, KeyCode::Enter).is_empty());
    let error = match &state.overlay {
        Some(Overlay::Confirm(c)) => c.error.clone(),
        _ => None,
    };
    assert_eq!(error.as_deref(), Some("type payments-api to confirm"));
    type_text(&mut state, "payments-api");
    assert!(
        press_code(&mut state, KeyCode::Enter).is_empty(),
        "a reason is still missing"
    );
    type_text(&mut state, "canary looks good");
    let effects = press_code(&mut state, KeyCode::Enter);
    match effects.as_slice() {
        [Effect::Execute(req)] => {
            assert_eq!(req.op, Operation::Promote);
            assert_eq!(req.reason.as_deref(), Some("canary looks good"));
        }
        other => panic!("expected Execute, got {other:?}"),
    }
}

#[test]
fn read_only_mode_removes_every_mutating_action() {
    let (_, mut state) = demo_state_with(true);
    select(&mut state, "cart");
    for key in ['p', 'P', 'a', 'z', 'r', 'y', 'u', 'R'] {
        assert!(
            press(&mut state, key).is_empty(),
            "{key} must do nothing in read-only mode"
        );
        assert!(
            state.overlay.is_none(),
            "{key} must not open a confirmation"
        );
    }
    for section in ripcord::config::keymap::Section::ALL {
        assert!(
            state
                .keymap
                .bindings(section)
                .all(|b| !b.action.is_mutating()),
            "{section} still binds a mutating action"
        );
    }
    // Navigation still works.
    press(&mut state, 'G');
    assert_eq!(state.selected, state.rows.len() - 1);
}

#[test]
fn an_unsupported_action_says_why_instead_of_running() {
    let (_, mut state) = demo_state();
    select(&mut state, "ledger"); // a plain Deployment
    assert!(press(&mut state, 'p').is_empty());
    let status = state.status.clone().expect("a status line explains");
    assert!(
        status.text.contains("no canary to promote"),
        "{}",
        status.text
    );
}

#[test]
fn rollback_in_the_detail_view_targets_the_revision_under_the_cursor() {
    let (_, mut state) = demo_state();
    select(&mut state, "recommender");
    press_code(&mut state, KeyCode::Enter);
    let revisions: Vec<i64> = state
        .focused()
        .map(|r| r.revisions.iter().map(|v| v.number).collect())
        .unwrap_or_default();
    assert_eq!(
        revisions,
        vec![2, 1],
        "newest first: the crash-looping revision, then the stable one"
    );
    press(&mut state, 'j');
    assert!(
        press(&mut state, 'u').is_empty(),
        "rollback is dangerous: it asks first"
    );
    let effects = press(&mut state, 'y');
    match effects.as_slice() {
        [Effect::Execute(req)] => {
            assert_eq!(req.op, Operation::Rollback);
            assert_eq!(req.to_revision, Some(1));
        }
        other => panic!("expected Execute, got {other:?}"),
    }
}

#[test]
fn help_lists_exactly_the_bound_keys() {
    let (_, mut state) = demo_state();
    press(&mut state, '?');
    assert!(matches!(state.overlay, Some(Overlay::Help { .. })));
    let theme = ripcord::config::theme::Theme::default();
    let text: Vec<String> = ripcord::ui::help_text(&state, &theme);
    for section in ripcord::config::keymap::Section::ALL {
        for b in state.keymap.bindings(section) {
            let listed = text.iter().any(|l| {
                l.split_whitespace()
                    .collect::<Vec<_>>()
                    .join(" ")
                    .starts_with(&format!("{} {}", b.keys_display(), b.desc))
            });
            assert!(listed, "help misses {} {}", b.keys_display(), b.desc);
        }
    }
    let bound: usize = ripcord::config::keymap::Section::ALL
        .iter()
        .map(|s| state.keymap.bindings(*s).count())
        .sum();
    let listed = text.iter().filter(|l| l.starts_with("  ")).count();
    assert_eq!(listed, bound, "help lists something that is not bound");
    assert!(
        text.iter()
            .any(|l| l.contains("Abort") && l.contains("confirm")),
        "dangerous actions are marked"
    );
    press(&mut state, 'x');
    assert!(state.overlay.is_none());
}

#[test]
fn a_clock_tick_redraws_only_when_an_age_on_screen_changes() {
    use ripcord::app::{update, Mode, Msg, State};
    let mut world = ripcord::sim::World::demo(SEED);
    let mut state = State::new(
        Mode::Live,
        ripcord::config::keymap::Keymap::default_keymap(),
        ripcord::config::Settings::default(),
        false,
        world.now,
    );
    ripcord::sim::feed(&mut world, &mut state);
    update(
        &mut state,
        Msg::Resize {
            width: 80,
            height: 9,
        },
    );
    // Only the four oldest releases (9 days old) are on screen after sorting by age.
    press(&mut state, 'o');
    press(&mut state, 'o');
    press(&mut state, 'G');
    state.dirty = false;
    update(
        &mut state,
        Msg::Tick(world.now + chrono::Duration::seconds(1)),
    );
    assert!(!state.dirty, "ages in days did not change: nothing to draw");
    press(&mut state, 'g');
    press(&mut state, 'g');
    state.dirty = false;
    update(
        &mut state,
        Msg::Tick(world.now + chrono::Duration::seconds(2)),
    );
    assert!(state.dirty, "the newest release's age in seconds changed");
}

#[test]
fn a_pod_update_that_changes_nothing_shown_is_not_drawn_and_one_that_does_is() {
    use ripcord::app::{update, Msg};
    use ripcord::model::objects::{Change, Object};
    let (_, mut state) = demo_state();
    let (context, cluster) = state.clusters.iter().next().expect("a demo cluster");
    let context = context.clone();
    let pod = cluster
        .cache
        .namespaces
        .values()
        .flat_map(|ns| ns.pods.values())
        .find(|p| p.ready)
        .expect("a ready pod")
        .clone();
    let send = |state: &mut ripcord::app::State, pod: &ripcord::model::objects::PodRow| {
        state.dirty = false;
        update(
            state,
            Msg::Cluster {
                context: context.clone(),
                changes: vec![Change::Applied(Object::Pod(pod.clone()))],
            },
        );
    };
    let before = state.releases.clone();
    send(&mut state, &pod);
    assert!(!state.dirty, "the same row again: nothing to draw");
    let mut crashing = pod.clone();
    crashing.ready = false;
    crashing.status = "CrashLoopBackOff".into();
    send(&mut state, &crashing);
    assert!(state.dirty, "a pod that stopped being ready must be drawn");
    assert_ne!(state.releases, before, "its release changed");
}

#[test]
fn a_context_first_seen_in_a_change_is_drawn_even_without_releases() {
    use ripcord::app::{update, Msg};
    use ripcord::model::objects::{object_from_json, Change};
    let (_, mut state) = demo_state();
    state.dirty = false;
    let lone_pod = object_from_json(&serde_json::json!({
        "kind": "Pod", "metadata": { "name": "debug", "namespace": "tools" }
    }))
    .expect("a pod");
    update(
        &mut state,
        Msg::Cluster {
            context: "late-cluster".into(),
            changes: vec![Change::Applied(lone_pod)],
        },
    );
    assert!(state.clusters.contains_key("late-cluster"));
    assert!(state.dirty, "the header now lists another context");
}
