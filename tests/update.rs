//! `update()` flows on the demo world: navigation, filtering, sorting, confirmation,
//! the production guard and read-only mode.

mod common;

use common::demo::*;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ripcord::app::{attention, update, Effect, Msg, Overlay, Rank, SortMode, State, View};
use ripcord::model::ops::{Op, Operation, SupportTable};
use ripcord::model::{Kind, Phase};
use ripcord_testkit::feed;

/// The loop drew a frame of the state's size: whatever overlay is open is on screen, and
/// `update` learns how much each view showed.
fn drawn(state: &mut State) {
    let (width, height) = (state.width, state.height);
    let mut terminal = ratatui::Terminal::new(ratatui::backend::TestBackend::new(width, height))
        .expect("terminal");
    let theme = ripcord::config::theme::Theme::default();
    let mut extents = ripcord::app::Extents::default();
    terminal
        .draw(|f| extents = ripcord::ui::render_measured(f, state, &theme))
        .expect("draw");
    update(
        state,
        Msg::Drawn {
            width,
            height,
            extents,
        },
    );
}

fn resize(state: &mut State, width: u16, height: u16) {
    update(state, Msg::Resize { width, height });
}

fn ctrl_c(state: &mut State) -> Vec<Effect> {
    update(
        state,
        Msg::Key(KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL)),
    )
}

fn names(state: &State) -> Vec<&str> {
    state.rows.iter().map(|k| k.name.as_str()).collect()
}

#[test]
fn the_queue_holds_every_demo_release_with_what_needs_a_human_first() {
    let (_, state) = demo_state();
    assert_eq!(state.rows.len(), 10, "{:?}", state.rows);
    let phases: Vec<Phase> = state.rows.iter().map(|k| state.releases[k].phase).collect();
    let ranks: Vec<_> = state
        .rows
        .iter()
        .map(|k| attention(&state, &state.releases[k]).order())
        .collect();
    assert!(
        ranks.windows(2).all(|w| w[0] <= w[1]),
        "not sorted by attention: {phases:?}"
    );
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
    // Twice the demo, so that the queue is longer than the smallest usable screen.
    let (_, mut state) = demo_state();
    let mut copy = ripcord::sim::World::demo(SEED);
    for (context, changes) in copy.take_changes() {
        let context = format!("{context}-copy");
        update(&mut state, Msg::Cluster { context, changes });
    }
    assert_eq!(state.rows.len(), 20);
    resize(&mut state, 80, 16);
    drawn(&mut state);
    let visible = ripcord::app::visible_rows(&state);
    assert_eq!(visible, 11, "the rows the table drew");
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
    drawn(&mut state);
    let effects = press(&mut state, 'y');
    match effects.as_slice() {
        [Effect::Execute(req)] => {
            assert_eq!(req.op, Op::Abort);
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
    assert!(
        matches!(effects.as_slice(), [Effect::Execute(r)] if r.op.kind() == Operation::Promote)
    );
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
    // A Tab out of habit keeps the reason out of the finished name.
    press_code(&mut state, KeyCode::Tab);
    type_text(&mut state, "canary looks good");
    drawn(&mut state);
    let effects = press_code(&mut state, KeyCode::Enter);
    match effects.as_slice() {
        [Effect::Execute(req)] => {
            assert_eq!(req.op.kind(), Operation::Promote);
            // The demo's payments-api has critical and high findings: acknowledged with it.
            assert_eq!(
                req.reason.as_deref(),
                Some("canary looks good (acknowledged security findings: SEC002 ×2, SEC001 ×2)")
            );
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
    drawn(&mut state);
    let effects = press(&mut state, 'y');
    match effects.as_slice() {
        [Effect::Execute(req)] => {
            assert_eq!(req.op, Op::Rollback { to: Some(1) });
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
    // An operation the focused release's kind cannot take (set-weight on an Argo Rollout in
    // the demo) is left out of help like everywhere else.
    let kind = state
        .focused()
        .map(|r| r.key.kind)
        .expect("a focused release");
    let applies = |b: &&ripcord::config::keymap::Binding| {
        b.action
            .operation()
            .is_none_or(|op| state.support.supports(kind, op).is_ok())
    };
    for section in ripcord::config::keymap::Section::ALL {
        for b in state.keymap.bindings(section).filter(applies) {
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
        .map(|s| state.keymap.bindings(*s).filter(applies).count())
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
    let (world, mut state) = live_demo_state();
    // Only the four oldest releases (9 days old) are on screen after sorting by age, on a
    // frame whose table had room for four rows.
    press(&mut state, 'o');
    press(&mut state, 'o');
    press(&mut state, 'G');
    let four_rows = |state: &mut State| {
        update(
            state,
            Msg::Drawn {
                width: 80,
                height: 24,
                extents: ripcord::app::Extents {
                    home_rows: Some(4),
                    ..Default::default()
                },
            },
        )
    };
    four_rows(&mut state);
    state.dirty = false;
    update(
        &mut state,
        Msg::Tick(world.now + chrono::Duration::seconds(1)),
    );
    assert!(!state.dirty, "ages in days did not change: nothing to draw");
    press(&mut state, 'g');
    press(&mut state, 'g');
    four_rows(&mut state);
    state.dirty = false;
    update(
        &mut state,
        Msg::Tick(world.now + chrono::Duration::seconds(2)),
    );
    assert!(state.dirty, "the newest release's age in seconds changed");
}

/// A blue-green countdown in the queue's message is redrawn as it runs, also where no
/// age on screen changes.
#[test]
fn a_clock_tick_redraws_a_countdown_on_screen() {
    let (world, mut state) = live_demo_state();
    let key = key_of(&state, "search-api");
    let r = state.releases.get_mut(&key).expect("search-api");
    r.created = Some(world.now - chrono::Duration::days(9));
    r.argo.as_mut().expect("an Argo rollout").auto_promote_at =
        Some(world.now + chrono::Duration::seconds(80));
    state.rows = vec![key];
    state.offset = 0;
    state.selected = 0;
    state.dirty = false;
    update(
        &mut state,
        Msg::Tick(world.now + chrono::Duration::seconds(1)),
    );
    assert!(state.dirty, "the countdown on screen changed");
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

#[test]
fn while_the_terminal_is_too_small_no_key_but_quit_acts() {
    let (_, mut state) = demo_state();
    resize(&mut state, 40, 10);
    for key in ['j', 'j', 'P'] {
        assert!(press(&mut state, key).is_empty(), "{key} acted");
    }
    assert!(press_code(&mut state, KeyCode::Enter).is_empty());
    assert!(press(&mut state, 'y').is_empty());
    assert_eq!(
        state.selected, 0,
        "j moved the selection behind the message"
    );
    assert!(state.overlay.is_none(), "P opened a dialog nobody can see");
    assert_eq!(state.view, View::Home, "Enter opened a release");
    // A chord begun while too small is dropped, not finished after the resize.
    resize(&mut state, 80, 24);
    press(&mut state, 'j');
    press(&mut state, 'j');
    resize(&mut state, 40, 10);
    press(&mut state, 'g');
    assert!(state.pending_keys.is_empty());
    resize(&mut state, 80, 24);
    press(&mut state, 'g');
    assert_eq!(
        state.selected, 2,
        "half a `g g` survived the small terminal"
    );
    resize(&mut state, 40, 10);
    assert!(matches!(press(&mut state, 'q').as_slice(), [Effect::Quit]));
}

#[test]
fn a_confirmation_counts_only_once_its_dialog_was_on_screen() {
    let (_, mut state) = demo_state();
    select(&mut state, "cart");
    press(&mut state, 'a');
    assert!(
        press(&mut state, 'y').is_empty(),
        "answered before it was drawn"
    );
    assert!(matches!(state.overlay, Some(Overlay::Confirm(_))));
    // A frame too small to hold the dialog does not show it.
    update(
        &mut state,
        Msg::Drawn {
            width: 40,
            height: 10,
            extents: Default::default(),
        },
    );
    assert!(press(&mut state, 'y').is_empty());
    // Shown, then the terminal shrinks: y waits until the dialog is visible again.
    drawn(&mut state);
    resize(&mut state, 40, 10);
    assert!(press(&mut state, 'y').is_empty());
    assert!(matches!(state.overlay, Some(Overlay::Confirm(_))));
    resize(&mut state, 80, 24);
    drawn(&mut state);
    let effects = press(&mut state, 'y');
    assert!(
        matches!(effects.as_slice(), [Effect::Execute(r)] if r.op == Op::Abort),
        "{effects:?}"
    );
}

#[test]
fn enter_never_confirms_a_dangerous_action() {
    for key in ['P', 'a', 'u', 'R'] {
        let (_, mut state) = demo_state();
        select(&mut state, "cart");
        press(&mut state, key);
        drawn(&mut state);
        assert!(
            matches!(state.overlay, Some(Overlay::Confirm(_))),
            "{key} asks first"
        );
        assert!(
            press_code(&mut state, KeyCode::Enter).is_empty(),
            "Enter confirmed {key}"
        );
        let error = match &state.overlay {
            Some(Overlay::Confirm(c)) => c.error.clone().unwrap_or_default(),
            _ => panic!("Enter closed the dialog of {key}"),
        };
        assert!(error.contains("press y"), "{error}");
        let shown = screen(&mut state);
        let footer = shown.lines().last().unwrap_or_default();
        assert!(
            footer.contains("y confirm") && footer.contains("Enter does not confirm"),
            "{shown}"
        );
        assert!(matches!(
            press(&mut state, 'y').as_slice(),
            [Effect::Execute(_)]
        ));
    }
}

#[test]
fn ctrl_c_quits_from_every_view_and_overlay() {
    type Setup = fn(&mut State);
    let cases: [(&str, Setup); 7] = [
        ("home", |_| {}),
        ("detail", |s| {
            press_code(s, KeyCode::Enter);
        }),
        ("filter", |s| {
            press(s, '/');
            type_text(s, "ca");
        }),
        ("help", |s| {
            press(s, '?');
        }),
        ("confirm", |s| {
            select(s, "cart");
            press(s, 'a');
        }),
        ("production confirm", |s| {
            select(s, "payments-api");
            press(s, 'P');
            type_text(s, "pay");
        }),
        ("problems", |s| {
            s.warnings = vec!["keymap.toml:3: unknown action".into()];
            press(s, '!');
        }),
    ];
    for (name, setup) in cases {
        let (_, mut state) = demo_state();
        setup(&mut state);
        assert!(
            state.overlay.is_some()
                || state.filter_input.is_some()
                || name == "home"
                || name == "detail",
            "{name}: the setup did not open it"
        );
        assert!(
            matches!(ctrl_c(&mut state).as_slice(), [Effect::Quit]),
            "Ctrl-C in {name} did not quit"
        );
        assert!(state.quit, "{name}");
    }
}

fn confirm(state: &State) -> ripcord::app::Confirm {
    match &state.overlay {
        Some(Overlay::Confirm(c)) => (**c).clone(),
        other => panic!("expected a confirmation, got {other:?}"),
    }
}

fn images(brief: &Option<ripcord::app::RevisionBrief>) -> String {
    brief
        .as_ref()
        .map(|b| b.images.join(","))
        .unwrap_or_default()
}

#[test]
fn rollback_follows_the_revision_and_never_aims_at_the_failing_one() {
    let (mut world, mut state) = demo_state();
    select(&mut state, "recommender");
    press_code(&mut state, KeyCode::Enter);
    // On the current, crash-looping revision `u` aims at the newest healthy one instead.
    assert_eq!(state.revision_cursor, 0);
    press(&mut state, 'u');
    let c = confirm(&state);
    assert_eq!(c.request.op, Op::Rollback { to: Some(1) });
    assert!(images(&c.target).ends_with(":3.0.1"), "{:?}", c.target);
    assert!(images(&c.replaces).ends_with("-crash"), "{:?}", c.replaces);
    assert!(
        c.target.and_then(|t| t.created).is_some(),
        "the age is named"
    );
    press_code(&mut state, KeyCode::Esc);

    press(&mut state, 'j');
    press(&mut state, 'u');
    drawn(&mut state);
    let request = match press(&mut state, 'y').as_slice() {
        [Effect::Execute(r)] => r.clone(),
        other => panic!("expected Execute, got {other:?}"),
    };
    let outcome = world.execute(&request);
    assert!(outcome.result.is_ok(), "{:?}", outcome.result);
    feed(&mut world, &mut state);
    update(&mut state, Msg::ActionDone(outcome));
    world.advance(3.0);
    feed(&mut world, &mut state);
    let r = state.focused().expect("recommender").clone();
    let under = &r.revisions[state.revision_cursor];
    assert!(
        under.images.iter().all(|i| i.ends_with(":3.0.1")),
        "the cursor left the revision it was on: {:?} of {:?}",
        under.images,
        r.revisions
            .iter()
            .map(|v| (v.number, &v.images))
            .collect::<Vec<_>>()
    );
    // Again, on the now current revision and then on the crash-looping one: never the crash.
    for moves in [0, 1] {
        press(&mut state, 'g');
        press(&mut state, 'g');
        for _ in 0..moves {
            press(&mut state, 'j');
        }
        press(&mut state, 'u');
        if let Some(Overlay::Confirm(c)) = &state.overlay {
            assert!(
                !images(&c.target).contains("crash"),
                "rollback offers the crash-looping image: {:?}",
                c.target
            );
            press_code(&mut state, KeyCode::Esc);
        } else {
            let status = state.status.clone().expect("a refusal says why");
            assert!(status.text.contains("healthy"), "{}", status.text);
        }
    }
}

#[test]
fn failing_and_production_releases_come_first_and_say_why() {
    let (_, state) = demo_state();
    let order = names(&state);
    // ripcord's judge fails checkout (prod): its canary's error ratio is far above its
    // baseline's; recommender is degraded.
    assert_eq!(order[..2], ["checkout", "recommender"], "{order:?}");
    // Waiting next, production first.
    assert_eq!(order[2], "payments-api", "{order:?}");
    let reason = |name: &str| {
        let key = state.rows.iter().find(|k| k.name == name).expect(name);
        attention(&state, &state.releases[key])
    };
    let checkout = reason("checkout");
    assert_eq!(checkout.rank, Rank::Failing);
    // The canary judge's own reason: the means, the ratio against the bound, the p-value.
    assert!(
        checkout.reason.starts_with("error ratio: canary ")
            && checkout.reason.contains("≥ critical ×1.5), p "),
        "{}",
        checkout.reason
    );
    assert_eq!(reason("recommender").reason, "degraded");
    assert_eq!(reason("payments-api").reason, "awaiting promotion");
    let key = state
        .rows
        .iter()
        .find(|k| k.name == "checkout")
        .expect("checkout");
    let message = ripcord::app::queue_message(&state, &state.releases[key]);
    assert!(message.starts_with("error ratio: canary "), "{message}");
    let ranks: Vec<_> = state
        .rows
        .iter()
        .map(|k| attention(&state, &state.releases[k]).order())
        .collect();
    assert!(ranks.windows(2).all(|w| w[0] <= w[1]), "{order:?}");
}

#[test]
fn the_attention_order_by_phase_verdict_and_production() {
    use ripcord::app::attention_of;
    use ripcord::model::Verdict;
    let (_, state) = demo_state();
    let key = state.rows.iter().find(|k| k.name == "cart").expect("cart");
    let base = state.releases[key].clone();
    let with = |phase: Phase, verdict: Option<Verdict>| {
        let mut r = base.clone();
        r.phase = phase;
        r.verdict = verdict;
        r
    };
    let rank = |r: &ripcord::model::Release| attention_of(r, None, false).rank;
    assert_eq!(
        rank(&with(Phase::WaitingForPromotion, Some(Verdict::Fail))),
        Rank::Failing
    );
    assert_eq!(
        rank(&with(Phase::Progressing, Some(Verdict::Fail))),
        Rank::Failing
    );
    assert_eq!(rank(&with(Phase::Degraded, None)), Rank::Failing);
    assert_eq!(rank(&with(Phase::Aborted, None)), Rank::Failing);
    assert_eq!(rank(&with(Phase::WaitingForPromotion, None)), Rank::Waiting);
    assert_eq!(rank(&with(Phase::Paused, None)), Rank::Paused);
    assert_eq!(rank(&with(Phase::Progressing, None)), Rank::Progressing);
    assert_eq!(rank(&with(Phase::Unknown, None)), Rank::Unknown);
    assert_eq!(rank(&with(Phase::Healthy, None)), Rank::Healthy);
    assert!(Rank::Failing < Rank::Marginal && Rank::Marginal < Rank::Waiting);
    assert!(Rank::Waiting < Rank::Paused);
    assert!(Rank::Paused < Rank::Progressing && Rank::Unknown < Rank::Healthy);
    let waiting = with(Phase::WaitingForPromotion, None);
    assert!(
        attention_of(&waiting, None, true).order() < attention_of(&waiting, None, false).order()
    );
    assert!(
        attention_of(&with(Phase::Degraded, None), None, false).order()
            < attention_of(&waiting, None, true).order(),
        "a failing staging release outranks a waiting production one"
    );
}

/// A judgement of ripcord's with `verdict` and its reasons, no metrics.
fn report(
    verdict: ripcord::analysis::score::Verdict,
    reasons: &[&str],
) -> ripcord::analysis::report::Report {
    ripcord::analysis::report::Report {
        summary: ripcord::analysis::score::Summary {
            score: 0.0,
            verdict,
            groups: vec![],
            metrics: vec![],
            reasons: reasons.iter().map(|r| r.to_string()).collect(),
            warnings: vec![],
        },
        panels: vec![],
        source: "test".into(),
    }
}

fn judged(
    state: &mut State,
    key: &ripcord::model::ReleaseKey,
    report: ripcord::analysis::report::Report,
) {
    let at = state.now;
    update(
        state,
        Msg::Analysis {
            key: key.clone(),
            at,
            result: Ok(report),
        },
    );
}

#[test]
fn a_canary_ripcord_fails_moves_up_with_the_failing() {
    use ripcord::analysis::score::Verdict;
    let (_, mut state) = demo_state();
    let key = state
        .rows
        .iter()
        .find(|k| k.name == "cart")
        .cloned()
        .expect("cart");
    judged(&mut state, &key, report(Verdict::Pass, &[]));
    assert_eq!(attention(&state, &state.releases[&key]).rank, Rank::Waiting);
    // Where ripcord judges, its pass stands over the controller's failure.
    let mut failed_by_controller = state.releases[&key].clone();
    failed_by_controller.verdict = Some(ripcord::model::Verdict::Fail);
    assert_eq!(attention(&state, &failed_by_controller).rank, Rank::Waiting);
    judged(
        &mut state,
        &key,
        report(Verdict::Marginal, &["score 80 is below pass 95"]),
    );
    let a = attention(&state, &state.releases[&key]);
    assert_eq!(a.rank, Rank::Marginal);
    assert!(
        a.reason.contains("score 80 is below pass 95"),
        "{}",
        a.reason
    );
    judged(
        &mut state,
        &key,
        report(
            Verdict::Fail,
            &["error ratio: canary 8.1% vs baseline 1.0%", "critical"],
        ),
    );
    let a = attention(&state, &state.releases[&key]);
    assert_eq!(a.rank, Rank::Failing);
    assert!(a.from_ripcord);
    assert_eq!(a.reason, "error ratio: canary 8.1% vs baseline 1.0%");
    let at = state.rows.iter().position(|k| *k == key).expect("cart");
    assert!(at <= 2, "cart did not move up: {:?}", names(&state));
    // Without canary pods ripcord does not judge it, and its old judgement says nothing.
    let mut idle = state.releases[&key].clone();
    idle.canary = Default::default();
    assert_ne!(attention(&state, &idle).rank, Rank::Failing);
}

#[test]
fn the_filter_matches_the_kind_and_phase_words_on_screen() {
    use ripcord::model::Strategy;
    let (_, mut state) = demo_state();
    let all: Vec<ripcord::model::Release> = state.releases.values().cloned().collect();
    let expect = |f: &dyn Fn(&ripcord::model::Release) -> bool| {
        let mut v: Vec<String> = all
            .iter()
            .filter(|r| f(r))
            .map(|r| r.key.name.clone())
            .collect();
        v.sort();
        v
    };
    let cases: Vec<(&str, Vec<String>)> = vec![
        ("argo", expect(&|r| r.key.kind == Kind::ArgoRollout)),
        ("flagger", expect(&|r| r.key.kind == Kind::FlaggerCanary)),
        ("pair", expect(&|r| r.key.kind == Kind::CanaryPair)),
        ("deploy", expect(&|r| r.key.kind == Kind::Deployment)),
        (
            "canary",
            expect(&|r| r.key.kind != Kind::Deployment && r.strategy != Strategy::BlueGreen),
        ),
        ("bluegreen", expect(&|r| r.strategy == Strategy::BlueGreen)),
        ("degraded", expect(&|r| r.phase == Phase::Degraded)),
        (
            "waiting",
            expect(&|r| r.phase == Phase::WaitingForPromotion),
        ),
        (
            "argo canary",
            expect(&|r| r.key.kind == Kind::ArgoRollout && r.strategy == Strategy::Canary),
        ),
    ];
    for (word, want) in cases {
        assert!(!want.is_empty(), "{word}: the demo has none");
        press(&mut state, '/');
        type_text(&mut state, word);
        press_code(&mut state, KeyCode::Enter);
        let mut got: Vec<String> = state.rows.iter().map(|k| k.name.clone()).collect();
        got.sort();
        assert_eq!(got, want, "/{word}");
        press_code(&mut state, KeyCode::Esc);
        assert_eq!(state.rows.len(), 10);
    }
}

#[test]
fn status_messages_expire_and_escape_clears_them() {
    let (world, mut state) = demo_state();
    select(&mut state, "ledger");
    press(&mut state, 'p');
    assert!(state.status.is_some(), "a refusal is shown");
    update(
        &mut state,
        Msg::Tick(world.now + chrono::Duration::seconds(5)),
    );
    assert!(state.status.is_some(), "gone too soon");
    update(
        &mut state,
        Msg::Tick(world.now + chrono::Duration::seconds(11)),
    );
    assert!(state.status.is_none(), "the message never expired");
    press(&mut state, 'p');
    assert!(state.status.is_some());
    press_code(&mut state, KeyCode::Esc);
    assert!(state.status.is_none(), "Esc did not clear the message");
    // The demo clock at 60x: 11 virtual seconds are a blink, 11 minutes are 11 seconds.
    state.mode = ripcord::app::Mode::Demo {
        paused: false,
        speed: 60.0,
    };
    let at = state.now;
    press(&mut state, 'p');
    update(&mut state, Msg::Tick(at + chrono::Duration::seconds(11)));
    assert!(state.status.is_some(), "gone in a blink at 60x");
    update(
        &mut state,
        Msg::Tick(at + chrono::Duration::seconds(11 * 60)),
    );
    assert!(state.status.is_none());
}

fn screen(state: &mut State) -> String {
    if (state.width, state.height) != (80, 24) {
        resize(state, 80, 24);
    }
    rendered(state).join("\n")
}

#[test]
fn a_key_lists_every_config_problem() {
    let (_, mut state) = demo_state();
    assert!(press(&mut state, '!').is_empty());
    assert!(state.overlay.is_none(), "no problems: nothing to list");
    state.status = None;
    state.warnings = (1..=14)
        .map(|i| format!("keymap.toml:{i}: problem number {i}"))
        .collect();
    let home = screen(&mut state);
    assert!(home.contains("14 config problems (! lists them)"), "{home}");
    press(&mut state, '!');
    assert!(matches!(state.overlay, Some(Overlay::Problems { .. })));
    let list = screen(&mut state);
    assert!(list.contains("problem number 1"), "{list}");
    press(&mut state, 'G');
    let list = screen(&mut state);
    assert!(list.contains("problem number 14"), "{list}");
    press_code(&mut state, KeyCode::Esc);
    assert!(state.overlay.is_none());
}

#[test]
fn speed_keys_never_move_the_clock_the_wrong_way() {
    use ripcord::app::{ClockControl, Mode};
    let speed_after = |speed: f64, key: char| {
        let (_, mut state) = demo_state();
        state.mode = Mode::Demo {
            paused: false,
            speed,
        };
        match press(&mut state, key).as_slice() {
            [Effect::Clock(ClockControl::Speed(s))] => *s,
            [] => speed,
            other => panic!("{other:?}"),
        }
    };
    assert_eq!(speed_after(100.0, '+'), 100.0, "+ at 100x slowed the clock");
    assert_eq!(speed_after(100.0, '-'), 50.0);
    assert_eq!(speed_after(32.0, '+'), 64.0);
    assert_eq!(speed_after(64.0, '+'), 64.0);
    assert_eq!(speed_after(0.1, '-'), 0.1, "- at 0.1x sped the clock up");
    assert_eq!(speed_after(1.0, '-'), 0.5);
}

fn key_of(state: &State, name: &str) -> ripcord::model::ReleaseKey {
    state
        .releases
        .keys()
        .find(|k| k.name == name)
        .cloned()
        .unwrap_or_else(|| panic!("{name} is not in the demo"))
}

#[test]
fn the_demo_sends_metrics_flags_and_findings_each_on_its_own() {
    let (_, state) = demo_state();
    let checkout = key_of(&state, "checkout");
    assert!(
        state.analyses[&checkout].report.is_some(),
        "ripcord's judgement"
    );
    assert_eq!(state.flags_of(&checkout).flags.len(), 2, "flags");
    let mut codes: Vec<&str> = state
        .findings_of(&checkout)
        .items
        .iter()
        .map(|f| f.code)
        .collect();
    codes.sort();
    assert_eq!(codes, ["IMG002", "POD003", "SEC012"], "findings");
    let named = |keys: Vec<&ripcord::model::ReleaseKey>| {
        let mut names: Vec<String> = keys.into_iter().map(|k| k.name.clone()).collect();
        names.sort();
        names
    };
    let flagged = state.flags.iter().filter(|(_, f)| !f.flags.is_empty());
    assert_eq!(
        named(flagged.map(|(k, _)| k).collect()),
        ["cart", "checkout", "payments-api"]
    );
    // Every demo image is a tag without a digest, and in staging the gateway's cluster-admin
    // binding may change every release; beyond that, three releases have findings.
    let found = state.findings.iter().filter(|(_, f)| {
        f.items
            .iter()
            .any(|i| !matches!(i.code, "IMG002" | "RBAC001"))
    });
    assert_eq!(
        named(found.map(|(k, _)| k).collect()),
        ["checkout", "gateway", "payments-api"]
    );
    // A release no source spoke of reads as empty, not as missing.
    let search = key_of(&state, "search-api");
    assert!(state.flags_of(&search).flags.is_empty());
    assert!(state
        .findings_of(&search)
        .items
        .iter()
        .all(|f| matches!(f.code, "IMG002" | "RBAC001")));
}

#[test]
fn one_sources_message_never_erases_anothers_data() {
    use ripcord::model::{Findings, Flags};
    let (_, mut state) = demo_state();
    let key = key_of(&state, "checkout");
    let flags = state.flags_of(&key).clone();
    let findings = state.findings_of(&key).clone();
    assert!(!flags.flags.is_empty() && !findings.items.is_empty());
    let metrics = report(ripcord::analysis::score::Verdict::Pass, &[]);
    judged(&mut state, &key, metrics.clone());
    let analysis = |state: &State| state.analyses[&key].report.clone();
    assert_eq!(
        analysis(&state).as_ref(),
        Some(&metrics),
        "the judgement is replaced"
    );
    assert_eq!(state.flags_of(&key), &flags, "the flags stay");
    assert_eq!(state.findings_of(&key), &findings, "the findings stay");
    update(
        &mut state,
        Msg::Flags {
            key: key.clone(),
            flags: Flags::default(),
        },
    );
    assert!(state.flags_of(&key).flags.is_empty(), "no flags now");
    assert_eq!(analysis(&state).as_ref(), Some(&metrics));
    assert_eq!(state.findings_of(&key), &findings);
    update(
        &mut state,
        Msg::Findings {
            key: key.clone(),
            findings: Findings::default(),
        },
    );
    assert!(state.findings_of(&key).items.is_empty());
    assert_eq!(analysis(&state).as_ref(), Some(&metrics));
}

#[test]
fn what_sources_said_about_a_release_goes_with_it() {
    use ripcord::model::objects::{Change, ObjectKind, ObjectRef};
    use ripcord::model::ops::Operation;
    use ripcord::model::Permission;
    let (_, mut state) = demo_state();
    let checkout = key_of(&state, "checkout");
    let frontend = key_of(&state, "frontend");
    update(
        &mut state,
        Msg::Permission {
            key: checkout.clone(),
            op: Operation::Abort,
            permission: Permission::Allowed,
        },
    );
    assert!(state.analyses.contains_key(&checkout));
    assert!(state.permission_of(&checkout, Operation::Abort).is_some());
    assert!(!state.findings_of(&frontend).items.is_empty());
    // The Rollout is deleted: its namespace is derived again without it.
    update(
        &mut state,
        Msg::Cluster {
            context: checkout.context.clone(),
            changes: vec![Change::Deleted(ObjectRef {
                kind: ObjectKind::ArgoRollout,
                namespace: checkout.namespace.clone(),
                name: checkout.name.clone(),
            })],
        },
    );
    assert!(!state.releases.contains_key(&checkout));
    assert!(!state.analyses.contains_key(&checkout), "judgement dropped");
    assert!(!state.flags.contains_key(&checkout), "flags dropped");
    assert!(!state.findings.contains_key(&checkout), "findings dropped");
    assert!(state.permission_of(&checkout, Operation::Abort).is_none());
    assert!(!state.access_checked.contains_key(&checkout));
    // Its neighbour in the namespace keeps what it had.
    assert!(!state.findings_of(&frontend).items.is_empty());
    // Every map holds only releases the console shows; late news of a gone one is ignored.
    update(
        &mut state,
        Msg::Flags {
            key: checkout.clone(),
            flags: Default::default(),
        },
    );
    update(
        &mut state,
        Msg::Permission {
            key: checkout.clone(),
            op: Operation::Abort,
            permission: Permission::Allowed,
        },
    );
    for key in state
        .analyses
        .keys()
        .chain(state.flags.keys())
        .chain(state.findings.keys())
        .chain(state.access_checked.keys())
        .chain(state.permissions.keys().map(|(k, _)| k))
    {
        assert!(state.releases.contains_key(key), "{key} is gone");
    }
}

#[test]
fn a_permission_older_than_its_ttl_is_asked_again_on_focus_and_not_before() {
    use ripcord::app::PERMISSION_TTL_SECS;
    use ripcord::model::ops::Operation;
    use ripcord::model::Permission;
    let (_, mut state) = live_demo_state();
    let t0 = state.now;
    let at = |secs: i64| t0 + chrono::Duration::seconds(secs);
    let first = state.selected_key().cloned().expect("a release");
    let asked = |effects: &[Effect]| effects.contains(&Effect::CheckAccess(first.clone()));
    // Focusing away and back: asked once, when first seen.
    let away_and_back = |state: &mut State| {
        let mut effects = press(state, 'j');
        effects.extend(press(state, 'k'));
        assert_eq!(state.selected_key(), Some(&first));
        effects
    };
    // The first focus asks (feeding may have focused another row); the next does not.
    let first_focus = press(&mut state, 'k');
    assert!(
        asked(&first_focus) || state.access_checked.contains_key(&first),
        "never asked"
    );
    assert!(!asked(&away_and_back(&mut state)), "asked twice");
    // The answer arrives 30 s later: the TTL runs from then.
    update(&mut state, Msg::Tick(at(30)));
    update(
        &mut state,
        Msg::Permission {
            key: first.clone(),
            op: Operation::Restart,
            permission: Permission::Denied("not allowed to patch deployments".into()),
        },
    );
    update(&mut state, Msg::Tick(at(30 + PERMISSION_TTL_SECS - 1)));
    assert!(
        !asked(&away_and_back(&mut state)),
        "an answer younger than the TTL holds"
    );
    update(&mut state, Msg::Tick(at(30 + PERMISSION_TTL_SECS)));
    assert!(
        asked(&away_and_back(&mut state)),
        "an answer as old as the TTL is asked again"
    );
    // Until it comes back, the old answer stands, and the question is not repeated.
    assert!(matches!(
        state.permission_of(&first, Operation::Restart),
        Some(Permission::Denied(_))
    ));
    assert!(!asked(&away_and_back(&mut state)), "asked twice in a row");
}

#[test]
fn a_release_remembers_its_failed_images_when_a_neighbour_comes() {
    use ripcord::model::objects::{object_from_json, Change};
    let (mut world, mut state) = demo_state();
    select(&mut state, "recommender");
    let key = state.selected_key().cloned().expect("recommender");
    // Roll back off the crash-looping image: its pods go, so only memory marks it bad.
    press(&mut state, 'u');
    drawn(&mut state);
    let request = match press(&mut state, 'y').as_slice() {
        [Effect::Execute(r)] => r.clone(),
        other => panic!("expected Execute, got {other:?}"),
    };
    assert!(world.execute(&request).result.is_ok());
    world.advance(30.0);
    feed(&mut world, &mut state);
    let crash = |state: &State| {
        state
            .bad_images
            .get(&key)
            .is_some_and(|bad| bad.iter().flatten().any(|i| i.ends_with("-crash")))
    };
    assert!(crash(&state), "the crash image is remembered");
    // Another Deployment appears beside it.
    let neighbour = object_from_json(&serde_json::json!({
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": { "name": "neighbour", "namespace": key.namespace, "uid": "n-1" },
        "spec": { "replicas": 1, "selector": { "matchLabels": { "app": "neighbour" } },
                  "template": { "metadata": { "labels": { "app": "neighbour" } },
                                "spec": { "containers": [{ "name": "c", "image": "n:1" }] } } }
    }))
    .expect("a deployment");
    update(
        &mut state,
        Msg::Cluster {
            context: key.context.clone(),
            changes: vec![Change::Applied(neighbour)],
        },
    );
    assert!(state.releases.keys().any(|k| k.name == "neighbour"));
    assert!(crash(&state), "a neighbour made it forget the crash image");
}

/// The bottom line of the screen, wide enough for every hint.
fn footer(state: &mut State) -> String {
    resize(state, 200, 40);
    let mut terminal =
        ratatui::Terminal::new(ratatui::backend::TestBackend::new(200, 40)).expect("terminal");
    let theme = ripcord::config::theme::Theme::default();
    terminal
        .draw(|f| ripcord::ui::render(f, state, &theme))
        .expect("draw");
    let buffer = terminal.backend().buffer().clone();
    let y = buffer.area.height - 1;
    (0..buffer.area.width)
        .map(|x| buffer[(x, y)].symbol().to_owned())
        .collect()
}

/// The operation keys of the home view, as key presses.
fn operation_keys(state: &State) -> Vec<(KeyEvent, ripcord::action::Action, Operation)> {
    state
        .keymap
        .bindings(ripcord::config::keymap::Section::Home)
        .filter_map(|b| {
            let op = b.action.operation()?;
            let [chord] = b.keys.as_slice() else {
                return None;
            };
            Some((KeyEvent::new(chord.code(), chord.modifiers()), b.action, op))
        })
        .collect()
}

fn select_kind(state: &mut State, kind: Kind) {
    let key = state
        .rows
        .iter()
        .find(|k| k.kind == kind)
        .cloned()
        .unwrap_or_else(|| panic!("the demo has no {kind:?}"));
    press(state, 'g');
    press(state, 'g');
    while state.selected_key() != Some(&key) {
        press(state, 'j');
    }
}

const KINDS: [Kind; 4] = [
    Kind::Deployment,
    Kind::CanaryPair,
    Kind::ArgoRollout,
    Kind::FlaggerCanary,
];

#[test]
fn on_a_cluster_no_key_is_offered_for_what_the_kubernetes_actuator_cannot_do() {
    use ripcord::cluster::actions::supports;
    let (_, mut state) = demo_state();
    state.settings.production_pattern = "no-context-is-production".into();
    state.support = SupportTable::from_fn(supports);
    let keys = operation_keys(&state);
    assert!(keys.len() >= 8, "{keys:?}");
    let mut refused = 0;
    for kind in KINDS {
        select_kind(&mut state, kind);
        let hints = footer(&mut state);
        let words: Vec<&str> = hints.split_whitespace().collect();
        for (event, action, op) in &keys {
            let name = ripcord::config::keymap::action_name(*action).replace('_', "-");
            let why = supports(kind, *op).err();
            if why.is_some() {
                assert!(
                    !words.contains(&name.as_str()),
                    "{kind:?}: {name} is hinted but cannot run: {hints}"
                );
            }
            state.overlay = None;
            state.weight_input = None;
            state.status = None;
            let effects = update(&mut state, Msg::Key(*event));
            let status = state.status.as_ref().map(|s| s.text.clone());
            match why {
                Some(why) => {
                    refused += 1;
                    assert!(
                        effects.iter().all(|e| !matches!(e, Effect::Execute(_))),
                        "{kind:?} {op:?} ran: {effects:?}"
                    );
                    assert!(
                        state.overlay.is_none(),
                        "{kind:?} {op:?} asked for a confirmation it cannot honour"
                    );
                    let status = status.unwrap_or_default();
                    assert!(status.contains(why), "{kind:?} {op:?}: {status}");
                }
                None => assert!(
                    status.is_none_or(|s| KINDS.iter().all(|k| Operation::ALL
                        .iter()
                        .filter_map(|o| supports(*k, *o).err())
                        .all(|w| !s.contains(w)))),
                    "{kind:?} {op:?} is supported but refused as unsupported"
                ),
            }
        }
        state.overlay = None;
        state.weight_input = None;
    }
    // The canary keys on a Deployment, pause, resume and retry on a pair, and retry,
    // restart and set-weight on a Flagger Canary.
    assert!(refused >= 5 + 3 + 3, "only {refused} refusals");
    // Help leaves out what the focused kind cannot do there (Flagger retries by itself).
    select_kind(&mut state, Kind::FlaggerCanary);
    let theme = ripcord::config::theme::Theme::default();
    let retry = |state: &State| {
        ripcord::ui::help_text(state, &theme)
            .iter()
            .any(|l| l.contains("Retry rollout"))
    };
    assert!(!retry(&state), "help offers retry on a cluster");
    state.support = SupportTable::from_fn(ripcord::sim::supports);
    select_kind(&mut state, Kind::ArgoRollout);
    assert!(retry(&state), "the simulator retries Argo Rollouts");
}

#[test]
fn the_demo_offers_what_its_simulator_performs() {
    let (_, mut state) = demo_state();
    state.settings.production_pattern = "no-context-is-production".into();
    select_kind(&mut state, Kind::ArgoRollout);
    let hints = footer(&mut state);
    assert!(
        hints.split_whitespace().any(|w| w == "promote"),
        "the simulator promotes Argo Rollouts: {hints}"
    );
    let effects = press(&mut state, 'p');
    let asked = matches!(state.overlay, Some(Overlay::Confirm(_)));
    let ran =
        matches!(effects.as_slice(), [Effect::Execute(r)] if r.op.kind() == Operation::Promote);
    let status = state.status.as_ref().map(|s| s.text.clone());
    assert!(ran || asked, "promote neither ran nor asked: {status:?}");
    if asked {
        press_code(&mut state, KeyCode::Esc);
    }
    select_kind(&mut state, Kind::FlaggerCanary);
    let hints = footer(&mut state);
    let words: Vec<&str> = hints.split_whitespace().collect();
    assert!(
        words.contains(&"promote") && !words.contains(&"retry"),
        "the simulator gates Flagger canaries as the cluster's actuator does: {hints}"
    );
}

#[test]
fn a_user_keymap_rebinds_the_confirmation_and_y_then_does_nothing() {
    let (_, mut state) = demo_state();
    let text = "[confirm]\nkeymap = [\n  { on = \"y\", run = \"noop\" },\n  { on = \"Y\", run = \"noop\" },\n  { on = \"o\", run = \"confirm\" },\n]\n";
    let (keymap, issues) = ripcord::config::keymap::Keymap::load(Some(("keymap.toml", text)));
    assert!(issues.is_empty(), "{issues:#?}");
    state.keymap = keymap;
    select(&mut state, "cart");
    press(&mut state, 'a');
    drawn(&mut state);
    assert!(press(&mut state, 'y').is_empty(), "y is unbound here now");
    assert!(matches!(state.overlay, Some(Overlay::Confirm(_))));
    press_code(&mut state, KeyCode::Enter);
    match &state.overlay {
        Some(Overlay::Confirm(c)) => assert_eq!(
            c.error.as_deref(),
            Some("press o to confirm, n/Esc to cancel"),
            "the hint names the keys that answer"
        ),
        other => panic!("the dialog stays open: {other:?}"),
    }
    let effects = press(&mut state, 'o');
    assert!(
        matches!(effects.as_slice(), [Effect::Execute(r)] if r.op == Op::Abort),
        "{effects:?}"
    );
}

#[test]
fn help_scrolls_within_what_was_drawn_and_its_keys_come_from_the_keymap() {
    let (_, mut state) = demo_state();
    resize(&mut state, 80, 16);
    press(&mut state, '?');
    drawn(&mut state);
    let extent = state.drawn.overlay.expect("help reported its extent");
    let last = extent.max_scroll();
    assert!(last > 0, "help is longer than 16 rows");
    for _ in 0..last + 10 {
        press(&mut state, 'j');
    }
    assert!(matches!(state.overlay, Some(Overlay::Help { scroll }) if scroll == last));
    press(&mut state, 'g');
    press(&mut state, 'g');
    assert!(matches!(state.overlay, Some(Overlay::Help { scroll: 0 })));
    press_code(&mut state, KeyCode::End);
    assert!(matches!(state.overlay, Some(Overlay::Help { scroll }) if scroll == last));
    press(&mut state, 'q');
    assert!(state.overlay.is_none(), "q closes help, as [help] says");
    assert!(!state.quit, "and does not quit");
}

#[test]
fn the_home_page_size_is_the_rows_the_table_drew() {
    let (_, mut state) = demo_state();
    resize(&mut state, 80, 16);
    drawn(&mut state);
    let rows = state
        .drawn
        .home_rows
        .expect("the home view reported its rows");
    assert_eq!(ripcord::app::visible_rows(&state), rows);
    press_code(&mut state, KeyCode::PageDown);
    assert_eq!(state.selected, rows.min(state.rows.len() - 1));
    // The detail view's pages are the tab's view, as drawn.
    press_code(&mut state, KeyCode::Enter);
    drawn(&mut state);
    let (tab, extent) = state.drawn.tab.expect("the detail view reported its tab");
    assert_eq!(tab, ripcord::app::Tab::Overview);
    assert!(extent.view > 0 && extent.view < 16);
}

#[test]
fn tab_keys_switch_tabs_and_scrolling_stops_at_the_drawn_extent() {
    use ripcord::app::{Extent, Extents, Tab};
    let (_, mut state) = demo_state();
    select(&mut state, "checkout");
    press_code(&mut state, KeyCode::Enter);
    assert_eq!(state.tab, Tab::Overview);
    press_code(&mut state, KeyCode::Tab);
    assert_eq!(state.tab, Tab::Steps);
    press_code(&mut state, KeyCode::BackTab);
    press_code(&mut state, KeyCode::BackTab);
    assert_eq!(state.tab, Tab::Events, "Shift-Tab wraps around");
    press(&mut state, '3');
    assert_eq!(state.tab, Tab::Analysis);
    // The ui says the analysis tab drew 7 of its 20 lines: j stops at 13.
    let told = |state: &mut State, lines: usize| {
        update(
            state,
            Msg::Drawn {
                width: 80,
                height: 24,
                extents: Extents {
                    tab: Some((Tab::Analysis, Extent { lines, view: 7 })),
                    ..Default::default()
                },
            },
        )
    };
    told(&mut state, 20);
    for _ in 0..30 {
        press(&mut state, 'j');
    }
    assert_eq!(state.tab_scroll[Tab::Analysis.index()], 13);
    press_code(&mut state, KeyCode::PageUp);
    assert_eq!(
        state.tab_scroll[Tab::Analysis.index()],
        7,
        "a page is the view less one"
    );
    press(&mut state, 'G');
    assert_eq!(state.tab_scroll[Tab::Analysis.index()], 13);
    // The content shrank: the next frame's extent pulls the scroll back.
    told(&mut state, 10);
    assert_eq!(state.tab_scroll[Tab::Analysis.index()], 3);
    assert_eq!(
        state.revision_cursor, 0,
        "scrolling a tab leaves the rollback cursor"
    );
    // Another release opens on its overview, at the top.
    press_code(&mut state, KeyCode::Esc);
    press_code(&mut state, KeyCode::Enter);
    assert_eq!(state.tab, Tab::Overview);
    assert_eq!(state.tab_scroll, [0; Tab::COUNT]);
}

#[test]
fn namespace_and_context_keys_keep_the_selected_release_while_it_is_listed() {
    let (_, mut state) = demo_state();
    // The last row of the queue, so a reset to the top would show.
    let last = state.rows.last().cloned().expect("rows");
    select(&mut state, &last.name);
    let contexts = state.contexts();
    // `c` until the context filter holds the selected release's context; on the way the
    // release may leave the list (and the cursor the row), so select it again there.
    for _ in 0..=contexts.len() {
        if state.rows.contains(&last) {
            select(&mut state, &last.name);
        }
        if state.context_filter.as_deref() == Some(last.context.as_str()) {
            break;
        }
        let before = state.selected_key() == Some(&last);
        press(&mut state, 'c');
        if before && state.rows.contains(&last) {
            assert_eq!(state.selected_key(), Some(&last), "c moved off {last:?}");
        }
    }
    for _ in 0..=state.namespaces().len() {
        if state.namespace_filter.as_deref() == Some(last.namespace.as_str()) {
            break;
        }
        let before = state.selected_key() == Some(&last);
        press(&mut state, 'n');
        if before && state.rows.contains(&last) {
            assert_eq!(state.selected_key(), Some(&last), "n moved off {last:?}");
        }
    }
    assert_eq!(
        state.namespace_filter.as_deref(),
        Some(last.namespace.as_str())
    );
    assert_eq!(state.selected_key(), Some(&last));
    assert!(state.selected > 0 || state.rows.len() == 1);
    // From the last context forward is all contexts, which list it too.
    assert_eq!(contexts.last(), Some(&last.context));
    press(&mut state, 'c');
    assert_eq!(state.context_filter, None);
    assert_eq!(state.selected_key(), Some(&last), "c moved off {last:?}");
    // `N` and `C` step back; where the release is still listed, it stays selected.
    for key in ['N', 'C'] {
        let before = state.selected_key() == Some(&last);
        press(&mut state, key);
        if before && state.rows.contains(&last) {
            assert_eq!(
                state.selected_key(),
                Some(&last),
                "{key} moved off {last:?}"
            );
        }
    }
}

#[test]
fn speed_keys_pressed_in_a_burst_each_count() {
    use ripcord::app::{ClockControl, Mode};
    let (_, mut state) = demo_state();
    state.mode = Mode::Demo {
        paused: false,
        speed: 1.0,
    };
    let asked = |effects: Vec<Effect>| match effects.as_slice() {
        [Effect::Clock(ClockControl::Speed(s))] => *s,
        other => panic!("{other:?}"),
    };
    // Three presses before the clock answers the first.
    assert_eq!(asked(press(&mut state, '+')), 2.0);
    assert_eq!(asked(press(&mut state, '+')), 4.0);
    update(
        &mut state,
        Msg::Clock {
            paused: false,
            speed: 2.0,
        },
    );
    assert_eq!(asked(press(&mut state, '+')), 8.0);
    update(
        &mut state,
        Msg::Clock {
            paused: false,
            speed: 4.0,
        },
    );
    update(
        &mut state,
        Msg::Clock {
            paused: false,
            speed: 8.0,
        },
    );
    // Confirmed: the next press steps from the clock's speed.
    assert_eq!(asked(press(&mut state, '-')), 4.0);
    update(
        &mut state,
        Msg::Clock {
            paused: false,
            speed: 4.0,
        },
    );
    assert_eq!(asked(press(&mut state, '-')), 2.0);
}

#[test]
fn status_messages_expire_by_wall_time_in_a_paused_demo() {
    let (world, mut state) = demo_state();
    let wall = world.now + chrono::Duration::days(3);
    update(&mut state, Msg::Wall(wall));
    select(&mut state, "ledger");
    press(&mut state, 'p');
    assert!(state.status.is_some(), "a refusal is shown");
    // The paused demo's clock stands still; wall time goes on.
    update(&mut state, Msg::Tick(world.now));
    update(&mut state, Msg::Wall(wall + chrono::Duration::seconds(5)));
    assert!(state.status.is_some(), "gone too soon");
    update(&mut state, Msg::Tick(world.now));
    update(&mut state, Msg::Wall(wall + chrono::Duration::seconds(11)));
    assert!(
        state.status.is_none(),
        "the message outlived 11 s of wall time"
    );
}

#[test]
fn bottom_of_the_problem_list_is_its_last_full_page() {
    let (_, mut state) = demo_state();
    state.status = None;
    state.warnings = (1..=40)
        .map(|i| format!("keymap.toml:{i}: problem number {i}"))
        .collect();
    press(&mut state, '!');
    let _ = screen(&mut state);
    drawn(&mut state);
    press(&mut state, 'G');
    drawn(&mut state);
    let list = screen(&mut state);
    assert!(list.contains("problem number 40"), "{list}");
    // 24 rows: a box of 22, 20 problems inside, the last 20 of them.
    assert!(
        list.contains("problem number 21"),
        "not a full page:\n{list}"
    );
    assert!(!list.contains("problem number 20 "), "{list}");
    // Long problems wrap; the last page still ends with the last one and is full.
    state.warnings = (1..=12)
        .map(|i| format!("keymap.toml:{i}: problem number {i} {}", "word ".repeat(20)))
        .collect();
    if let Some(Overlay::Problems { scroll }) = &mut state.overlay {
        *scroll = 0;
    }
    drawn(&mut state);
    press(&mut state, 'G');
    drawn(&mut state);
    let list = screen(&mut state);
    assert!(list.contains("problem number 12"), "{list}");
    assert!(
        list.contains("problem number 3 "),
        "not a full page:\n{list}"
    );
}

#[test]
fn the_hint_line_names_the_filter_keys_while_typing_and_ends_cut_lines_with_an_ellipsis() {
    let (_, mut state) = demo_state();
    let last_line = |state: &mut State| screen(state).lines().last().unwrap_or("").to_owned();
    let home = last_line(&mut state);
    // The home hints are wider than 80 columns: cut at an entry, marked.
    assert!(home.trim_end().ends_with('…'), "{home:?}");
    assert!(!home.contains("c next-contex "), "{home:?}");
    press(&mut state, '/');
    let typing = last_line(&mut state);
    assert!(typing.contains("Enter> apply filter"), "{typing:?}");
    assert!(typing.contains("Esc> clear filter"), "{typing:?}");
    for action in ["promote", "pause", "abort"] {
        assert!(
            !typing.contains(action),
            "{action} offered while typing: {typing:?}"
        );
    }
}

#[test]
fn at_80_columns_the_connection_line_keeps_the_cause_of_a_lost_connection() {
    let (_, mut state) = demo_state();
    let why = "testbed-admin is unreachable: create selfsubjectaccessreview: client error \
               (Connect): tcp connect error: Connection refused (os error 111)";
    update(
        &mut state,
        Msg::Connection {
            context: "testbed-admin".into(),
            state: ripcord::model::ConnState::Reconnecting(why.into()),
        },
    );
    let shown = screen(&mut state);
    let line = shown.lines().nth(1).unwrap_or("");
    assert!(
        line.contains("unreachable: connection refused"),
        "cause cut off: {line:?}"
    );
    // The whole text is told once, in the status line.
    let status = state
        .status
        .as_ref()
        .map(|s| s.text.clone())
        .unwrap_or_default();
    assert!(status.contains(why), "{status:?}");
    // Told once: the same state again does not set it anew.
    state.status = None;
    update(
        &mut state,
        Msg::Connection {
            context: "testbed-admin".into(),
            state: ripcord::model::ConnState::Reconnecting(why.into()),
        },
    );
    assert!(state.status.is_none());
}

fn screen_at(state: &mut State, width: u16, height: u16) -> Vec<String> {
    resize(state, width, height);
    rendered(state)
}

/// The column (in characters) where `word` starts in `line`.
fn column_of(line: &str, word: &str) -> Option<usize> {
    let at = line.find(word)?;
    Some(line[..at].chars().count())
}

#[test]
fn replica_values_sit_under_their_side_titles_whatever_the_filter() {
    for (word, left, right) in [
        ("flagger", "STABLE", "CANARY"),
        ("bluegreen", "ACTIVE", "PREVIEW"),
        ("argo canary", "STABLE", "CANARY"),
    ] {
        let (_, mut state) = demo_state();
        press(&mut state, '/');
        type_text(&mut state, word);
        press_code(&mut state, KeyCode::Enter);
        let lines = screen_at(&mut state, 120, 24);
        let header = lines
            .iter()
            .find(|l| l.contains(left))
            .unwrap_or_else(|| panic!("/{word}: no {left} title:\n{}", lines.join("\n")));
        let (l, r) = (
            column_of(header, left).expect("left"),
            column_of(header, &format!("{left} {right}"))
                .map(|c| c + left.len() + 1)
                .or_else(|| column_of(header, right))
                .expect("right"),
        );
        let header_at = lines.iter().position(|x| x == header).expect("header");
        for row in lines.iter().skip(header_at + 1).take(state.rows.len()) {
            let chars: Vec<char> = row.chars().collect();
            assert!(
                chars[l].is_ascii_digit() && chars[r].is_ascii_digit(),
                "/{word}: values not under {left}/{right}:\n{header}\n{row}"
            );
        }
    }
}

#[test]
fn the_kind_column_uses_one_form_at_each_width() {
    for width in 80..=140 {
        let (_, mut state) = demo_state();
        let lines = screen_at(&mut state, width, 24);
        let Some(header_at) = lines.iter().position(|l| l.contains(" KIND ")) else {
            continue;
        };
        let col = column_of(&lines[header_at], "KIND").expect("kind");
        let cells: Vec<String> = lines
            .iter()
            .skip(header_at + 1)
            .take(state.rows.len())
            .map(|l| l.chars().skip(col).take_while(|c| *c != ' ').collect())
            .collect();
        let long = cells.iter().filter(|c| c.contains('/')).count();
        assert!(
            long == 0 || long == cells.len(),
            "{width} columns mix forms: {cells:?}"
        );
    }
}

#[test]
fn at_80x24_a_row_ranked_by_ripcords_judgement_says_so() {
    let (_, mut state) = demo_state();
    let shown = screen(&mut state);
    let row = shown
        .lines()
        .find(|l| l.contains("checkout"))
        .expect("checkout row");
    let checkout = key_of(&state, "checkout");
    assert!(attention(&state, &state.releases[&checkout]).from_ripcord);
    assert!(row.contains("rc✖ FAIL"), "{row}");
    // At 60x16 it still says whose verdict it is.
    let lines = screen_at(&mut state, 60, 16);
    let row = lines.iter().find(|l| l.contains("checkout")).expect("row");
    assert!(row.contains("rc✖"), "{row}");
}

#[test]
fn the_detail_title_offers_the_cursor_s_revision_only_when_u_would_take_it() {
    let (_, mut state) = demo_state();
    select(&mut state, "recommender");
    press_code(&mut state, KeyCode::Enter);
    let r = state.releases[&key_of(&state, "recommender")].clone();
    let target = ripcord::app::default_rollback_target(&state, &r)
        .expect("a target")
        .number;
    let current = r.current_revision().expect("current");
    let at = r
        .revisions
        .iter()
        .position(|v| v.number == current)
        .expect("listed");
    state.revision_cursor = at;
    let shown = screen(&mut state);
    assert!(!shown.contains("roll back to ▸"), "{shown}");
    assert!(
        shown.contains(&format!("roll back to #{target}")),
        "{shown}"
    );
    let to = r
        .revisions
        .iter()
        .position(|v| v.number == target)
        .expect("listed");
    state.revision_cursor = to;
    let shown = screen(&mut state);
    assert!(shown.contains("roll back to ▸"), "{shown}");
}

#[test]
fn at_80_columns_a_pod_line_keeps_its_status_word() {
    let (_, mut state) = demo_state();
    select(&mut state, "recommender");
    press_code(&mut state, KeyCode::Enter);
    let key = key_of(&state, "recommender");
    let long = "recommender-with-a-much-longer-name-than-fits-here-7f9b8c6d5-x2k9q";
    {
        let r = state.releases.get_mut(&key).expect("release");
        let pod = r
            .revisions
            .iter_mut()
            .flat_map(|v| v.pods.iter_mut())
            .next()
            .expect("a pod");
        pod.name = long.into();
        pod.status = "CrashLoopBackOff".into();
        pod.restarts = 35;
    }
    state.revision_cursor = 0;
    let shown = screen(&mut state);
    let line = shown
        .lines()
        .find(|l| l.contains("x2k9q"))
        .unwrap_or_else(|| panic!("the pod's line lost its name's end:\n{shown}"));
    assert!(line.contains("CrashLoopBackOff ↻35"), "{line}");
}

#[test]
fn pair_and_blue_green_details_say_what_drives_them() {
    use ripcord::app::Tab;
    for name in ["payments-api", "search-api"] {
        let (_, mut state) = demo_state();
        select(&mut state, name);
        press_code(&mut state, KeyCode::Enter);
        let key = key_of(&state, name);
        assert!(state.releases[&key].steps.is_empty(), "{name} has steps");
        state.tab = Tab::Steps;
        let shown = screen_at(&mut state, 120, 30).join("\n");
        assert!(
            !shown.contains("the controller rolls pods over"),
            "{name}:\n{shown}"
        );
        assert!(shown.contains("no steps: "), "{name}:\n{shown}");
    }
    // Blue-green metrics compare the preview with the active side.
    let (_, mut state) = demo_state();
    select(&mut state, "search-api");
    press_code(&mut state, KeyCode::Enter);
    let key = key_of(&state, "search-api");
    let mut blue_green = report(ripcord::analysis::score::Verdict::Pass, &[]);
    blue_green.panels.push(ripcord::analysis::report::Panel {
        metric: "latency p99".into(),
        canary_query: "p99{side=\"preview\"}".into(),
        baseline_query: "p99{side=\"active\"}".into(),
        canary: vec![(1.0, 1.0), (2.0, 2.0)],
        baseline: vec![(1.0, 1.0), (2.0, 1.0)],
        threshold: None,
    });
    judged(&mut state, &key, blue_green);
    state.tab = Tab::Analysis;
    let shown = screen_at(&mut state, 120, 30).join("\n");
    assert!(shown.contains("preview  p99"), "{shown}");
    assert!(shown.contains("active   p99"), "{shown}");
    assert!(!shown.contains("baseline"), "{shown}");
}

/// The demo with a user keymap laid over the default one.
fn demo_with_keymap(text: &str) -> State {
    let (_, mut state) = demo_state();
    let (keymap, issues) = ripcord::config::keymap::Keymap::load(Some(("keymap.toml", text)));
    assert!(issues.is_empty(), "{issues:#?}");
    state.keymap = keymap;
    state
}

#[test]
fn the_confirm_dialog_its_hint_and_help_name_the_keys_the_keymap_binds() {
    let mut state = demo_with_keymap(
        "[confirm]\nkeymap = [\n  { on = \"x\", run = \"confirm\" },\n  { on = \"y\", run = \"noop\" },\n  { on = \"Y\", run = \"noop\" },\n]\n",
    );
    select(&mut state, "cart"); // staging: the plain dialog
    press(&mut state, 'a');
    drawn(&mut state);
    let shown = screen(&mut state);
    assert!(shown.contains("x confirms"), "{shown}");
    assert!(!shown.contains("y confirms"), "{shown}");
    let hints = footer(&mut state);
    assert!(hints.contains("x confirms"), "{hints}");
    assert!(!hints.contains(" y "), "{hints}");
    // y does nothing now, but says which key does.
    assert!(press(&mut state, 'y').is_empty());
    match &state.overlay {
        Some(Overlay::Confirm(c)) => {
            assert_eq!(
                c.error.as_deref(),
                Some("press x to confirm, n/Esc to cancel")
            )
        }
        other => panic!("the dialog stays open: {other:?}"),
    }
    press_code(&mut state, KeyCode::Esc);
    press(&mut state, '?');
    let theme = ripcord::config::theme::Theme::default();
    let help = ripcord::ui::help_text(&state, &theme).join("\n");
    assert!(
        help.contains("answer with x (Enter never confirms)"),
        "{help}"
    );
    assert!(!help.contains("answer with y"), "{help}");
}

#[test]
fn the_production_dialog_names_the_input_keys_the_keymap_binds() {
    let mut state = demo_with_keymap(
        "[input]\nkeymap = [\n  { on = \"<C-s>\", run = \"submit\" },\n  { on = \"<Enter>\", run = \"noop\" },\n]\n",
    );
    select(&mut state, "payments-api"); // prod-eu: guarded
    press(&mut state, 'P'); // a full promotion
    drawn(&mut state);
    assert!(matches!(&state.overlay, Some(Overlay::Confirm(c)) if c.guarded));
    let shown = screen(&mut state);
    assert!(shown.contains("<C-s> confirms"), "{shown}");
    assert!(!shown.contains("Enter confirms"), "{shown}");
    let hints = footer(&mut state);
    assert!(hints.contains("<C-s> confirms"), "{hints}");
    press_code(&mut state, KeyCode::Esc);
    press(&mut state, '?');
    let theme = ripcord::config::theme::Theme::default();
    let help = ripcord::ui::help_text(&state, &theme).join("\n");
    assert!(help.contains("a reason, then <C-s>."), "{help}");
}

#[test]
fn help_lists_only_the_operations_the_focused_kind_supports() {
    let (_, mut state) = demo_state();
    let theme = ripcord::config::theme::Theme::default();
    let help = |state: &State| ripcord::ui::help_text(state, &theme).join("\n");
    select(&mut state, "ledger");
    assert_eq!(state.focused().map(|r| r.key.kind), Some(Kind::Deployment));
    let shown = help(&state);
    for desc in [
        "Promote one step",
        "Promote fully",
        "Abort rollout",
        "Retry rollout",
    ] {
        assert!(
            !shown.contains(desc),
            "a Deployment offers {desc:?}: {shown}"
        );
    }
    assert!(shown.contains("Restart pods"), "{shown}");
    // On a cluster a Flagger Canary takes no retry or restart key: Flagger does those.
    state.support = SupportTable::from_fn(ripcord::cluster::actions::supports);
    select_kind(&mut state, Kind::FlaggerCanary);
    let shown = help(&state);
    let hints = footer(&mut state);
    for (desc, name) in [("Retry rollout", "retry"), ("Restart pods", "restart")] {
        assert!(!shown.contains(desc), "help offers {desc:?}: {shown}");
        assert!(!hints.split_whitespace().any(|w| w == name), "{hints}");
    }
    assert!(shown.contains("Promote one step"), "{shown}");
}

#[test]
fn a_long_status_message_keeps_its_outcome_and_advice_and_the_list_has_it_whole() {
    let (_, mut state) = demo_state();
    let text = "✖ promote rollout/ro failed: ripcord cannot act on Argo Rollouts in a cluster yet: use kubectl argo rollouts";
    state.set_status(ripcord::app::Level::Error, text);
    resize(&mut state, 80, 24);
    let lines = rendered(&state);
    let status = lines[lines.len() - 2].trim_end();
    assert!(status.ends_with('…'), "{status}");
    assert!(
        status.starts_with("✖ promote rollout/ro failed"),
        "{status}"
    );
    assert!(status.contains("use kubectl argo rollouts"), "{status}");
    // A short one is left alone.
    state.set_status(
        ripcord::app::Level::Success,
        "✔ pause deployment/ledger: paused",
    );
    let lines = rendered(&state);
    assert_eq!(
        lines[lines.len() - 2].trim_end(),
        "✔ pause deployment/ledger: paused"
    );
    press(&mut state, '!');
    assert!(matches!(state.overlay, Some(Overlay::Problems { .. })));
    let shown = rendered(&state).join("\n");
    assert!(shown.contains("recent messages"), "{shown}");
    let flat: String = shown.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        flat.contains("ripcord cannot act on Argo Rollouts in a"),
        "the list has the whole text: {shown}"
    );
}

#[test]
fn at_60x16_the_detail_title_keeps_the_phase_icon_and_word_together() {
    let (_, mut state) = demo_state();
    for kind in KINDS {
        select_kind(&mut state, kind);
        press_code(&mut state, KeyCode::Enter);
        let r = state.focused().expect("a release").clone();
        let phase = format!("{} {}", r.phase.icon(), r.phase.label());
        let lines = screen_at(&mut state, 60, 16);
        let title = lines
            .iter()
            .find(|l| l.contains(&format!("/{}", r.key.name)))
            .expect("title");
        assert!(
            title.contains(&phase),
            "{kind:?}: {title}\n{}",
            lines.join("\n")
        );
        press_code(&mut state, KeyCode::Esc);
    }
}

#[test]
fn a_release_failing_on_its_canary_metrics_says_why_in_its_detail() {
    let (_, mut state) = demo_state();
    let checkout = key_of(&state, "checkout");
    let a = attention(&state, &state.releases[&checkout]);
    assert!(a.from_ripcord);
    select(&mut state, "checkout");
    press_code(&mut state, KeyCode::Enter);
    resize(&mut state, 200, 40);
    let flat = |lines: Vec<String>| -> String {
        lines
            .iter()
            .map(|l| l.trim_end())
            .collect::<Vec<_>>()
            .join(" ")
    };
    let overview = flat(rendered(&state));
    assert!(overview.contains("canary metrics failing"), "{overview}");
    assert!(overview.contains(&a.reason), "{}: {overview}", a.reason);
    press(&mut state, '3');
    let analysis = flat(rendered(&state));
    assert!(analysis.contains(&a.reason), "{analysis}");
}

#[test]
fn a_deployment_s_analysis_tab_shows_its_new_side_while_it_has_pods() {
    let (_, mut state) = demo_state();
    let key = key_of(&state, "indexer");
    let r = state.releases[&key].clone();
    assert!(r.canary.ready > 0, "indexer is rolling out: {:?}", r.canary);
    let (base, new) = r.side_labels();
    select(&mut state, "indexer");
    press_code(&mut state, KeyCode::Enter);
    press(&mut state, '3');
    let lines = screen_at(&mut state, 100, 30);
    let row = |label: &str| {
        lines
            .iter()
            .find(|l| l.trim_start().starts_with(&format!("{label} ")))
            .cloned()
            .unwrap_or_else(|| panic!("no {label} row: {}", lines.join("\n")))
    };
    let new_row = row(new);
    row(base);
    assert!(!new_row.trim_end().ends_with(" -"), "{new_row}");
    // The sides are named new and old, never baseline (a reason may still say it).
    assert!(
        !lines.iter().any(|l| l.trim_start().starts_with("baseline")),
        "{}",
        lines.join("\n")
    );
}

/// A pair's rollback names the stable's previous revision, and what it replaces.
#[test]
fn a_pair_rollback_names_the_stable_revision_it_returns_to() {
    let (mut world, mut state) = demo_state();
    // A promoted pair: the stable's template before the promotion is its previous revision.
    select(&mut state, "payments-api");
    let key = state.focused().expect("payments-api").key.clone();
    assert_eq!(key.kind, Kind::CanaryPair);
    let outcome = world.execute(&ripcord::model::ops::ActionRequest {
        key,
        op: Op::PromoteFull,
        reason: None,
        dry_run: false,
    });
    assert!(outcome.result.is_ok(), "{outcome:?}");
    feed(&mut world, &mut state);
    let r = state.focused().expect("payments-api").clone();
    let previous = r
        .revisions
        .iter()
        .filter(|v| v.role == ripcord::model::RevisionRole::Old)
        .map(|v| v.number)
        .max()
        .expect("the promoted stable's earlier template");
    let stable = r
        .revisions
        .iter()
        .find(|v| v.role == ripcord::model::RevisionRole::Stable)
        .expect("a stable revision");
    assert!(press(&mut state, 'u').is_empty(), "rollback asks first");
    let Some(Overlay::Confirm(c)) = &state.overlay else {
        panic!("expected a confirmation, status: {:?}", state.status);
    };
    assert_eq!(c.request.op, Op::Rollback { to: Some(previous) });
    assert_eq!(c.target.as_ref().map(|t| t.number), Some(previous));
    assert_eq!(c.replaces.as_ref().map(|t| t.number), Some(stable.number));
    drawn(&mut state);
    let screen = rendered(&state).join("\n");
    assert!(
        screen.contains(&format!("to       #{previous} ")),
        "{screen}"
    );
    assert!(
        screen.contains(&format!("replaces #{} ", stable.number)),
        "{screen}"
    );
}

/// A pair whose stable has no earlier revision is refused before anything is asked.
#[test]
fn a_pair_rollback_without_history_is_refused_before_asking() {
    let (_, mut state) = demo_state();
    select(&mut state, "gateway");
    assert!(press(&mut state, 'u').is_empty());
    assert!(state.overlay.is_none(), "nothing to confirm");
    let status = state
        .status
        .as_ref()
        .map(|s| s.text.clone())
        .unwrap_or_default();
    assert!(
        status.contains("cannot roll back pair/gateway") && status.contains("no earlier revision"),
        "{status}"
    );
}

/// After a restart the previous revision runs the same images: rollback offers nothing, and
/// the detail's heading and the refusal say why in terms the revision list bears out.
#[test]
fn after_a_restart_the_rollback_heading_agrees_with_the_revision_list() {
    let (mut world, mut state) = demo_state();
    select(&mut state, "ledger");
    let key = state.focused().expect("ledger").key.clone();
    assert_eq!(key.kind, Kind::Deployment);
    let outcome = world.execute(&ripcord::model::ops::ActionRequest {
        key,
        op: Op::Restart,
        reason: None,
        dry_run: false,
    });
    assert!(outcome.result.is_ok(), "{outcome:?}");
    feed(&mut world, &mut state);
    let r = state.focused().expect("ledger").clone();
    let numbers: Vec<i64> = r.revisions.iter().map(|v| v.number).collect();
    assert_eq!(
        numbers,
        vec![2, 1],
        "the restart's revision, then the one before"
    );
    assert_eq!(r.revisions[0].images, r.revisions[1].images);
    press_code(&mut state, KeyCode::Enter);
    drawn(&mut state);
    let screen = rendered(&state).join("\n");
    assert!(
        screen.contains("no rollback: #1 runs the same images"),
        "{screen}"
    );
    assert!(!screen.contains("no healthy revision"), "{screen}");
    assert!(press(&mut state, 'u').is_empty());
    assert!(state.overlay.is_none());
    let status = state
        .status
        .as_ref()
        .map(|s| s.text.clone())
        .unwrap_or_default();
    assert!(status.contains("#1 runs the same images"), "{status}");
}

/// The queue's hints offer resume for a paused release, pause for any other.
#[test]
fn the_queue_hints_resume_for_a_paused_release() {
    let (_, mut state) = demo_state();
    select_kind(&mut state, Kind::Deployment);
    let words = |state: &mut State| -> Vec<String> {
        footer(state)
            .split_whitespace()
            .map(str::to_owned)
            .collect()
    };
    let running = words(&mut state);
    assert!(running.iter().any(|w| w == "pause"), "{running:?}");
    assert!(!running.iter().any(|w| w == "resume"), "{running:?}");
    let key = state.selected_key().cloned().expect("a selection");
    state.releases.get_mut(&key).expect("focused").phase = Phase::Paused;
    let paused = words(&mut state);
    assert!(paused.iter().any(|w| w == "resume"), "{paused:?}");
    assert!(!paused.iter().any(|w| w == "pause"), "{paused:?}");
}

#[test]
fn promote_asks_to_acknowledge_findings_at_the_configured_severity_and_journals_it() {
    use ripcord::model::Severity;
    // cart, in staging, has low findings only (an unpinned image, who may change it).
    let (_, mut state) = demo_state();
    select(&mut state, "cart");
    let worst = state
        .focused()
        .map(|r| {
            state
                .findings_of(&r.key)
                .items
                .iter()
                .map(|f| f.severity)
                .max()
        })
        .expect("cart");
    assert_eq!(worst, Some(Severity::Low));
    let effects = press(&mut state, 'p');
    assert!(
        matches!(effects.as_slice(), [Effect::Execute(r)] if r.reason.is_none()),
        "below the severity, promote goes ahead: {effects:?}"
    );

    let (_, mut state) = demo_state();
    state.settings.promote_ack = Severity::Low;
    select(&mut state, "cart");
    press(&mut state, 'p');
    let c = confirm(&state);
    let found = c.findings.clone().expect("findings to acknowledge");
    assert!(found.contains("IMG002"), "{found}");
    drawn(&mut state);
    let request = match press(&mut state, 'y').as_slice() {
        [Effect::Execute(r)] => r.clone(),
        other => panic!("expected Execute, got {other:?}"),
    };
    assert_eq!(
        request.reason.as_deref(),
        Some(format!("acknowledged security findings: {found}").as_str()),
        "the acknowledgement goes to the journal with the action"
    );
}

/// `w` asks for a weight in a small prompt, then confirms like any dangerous action.
#[test]
fn set_weight_prompts_for_the_weight_then_confirms() {
    let (_, mut state) = demo_state();
    // A pair outside production: its confirmation is a plain `y`.
    let key = state
        .rows
        .iter()
        .find(|k| k.kind == Kind::CanaryPair && !state.settings.is_production(&k.context))
        .cloned()
        .expect("a pair outside production");
    select(&mut state, &key.name.clone());
    assert_eq!(state.focused().map(|r| &r.key), Some(&key));
    assert!(press(&mut state, 'w').is_empty());
    assert!(state.weight_input.is_some(), "no prompt");
    // The prompt shows in the header, and the hint line names its keys.
    let shown = footer(&mut state);
    assert!(shown.contains("set weight (0-100)"), "{shown}");
    let header = screen_at(&mut state, 200, 40).join("\n");
    assert!(header.contains("set-weight pair/"), "{header}");
    for c in "140".chars() {
        press(&mut state, c);
    }
    assert!(press_code(&mut state, KeyCode::Enter).is_empty());
    let status = state
        .status
        .as_ref()
        .map(|s| s.text.clone())
        .unwrap_or_default();
    assert!(status.contains("0 to 100"), "{status}");
    assert!(
        state.weight_input.is_some(),
        "a bad weight closed the prompt"
    );
    for _ in 0..3 {
        press_code(&mut state, KeyCode::Backspace);
    }
    for c in "40%".chars() {
        press(&mut state, c);
    }
    assert!(press_code(&mut state, KeyCode::Enter).is_empty());
    assert!(state.weight_input.is_none());
    let Some(Overlay::Confirm(c)) = &state.overlay else {
        panic!("no confirmation: {:?}", state.overlay);
    };
    assert_eq!(c.request.op, Op::SetWeight { weight: 40 });
    assert_eq!(c.request.key, key);
    drawn(&mut state);
    let effects = press(&mut state, 'y');
    assert!(
        effects
            .iter()
            .any(|e| matches!(e, Effect::Execute(r) if r.op == Op::SetWeight { weight: 40 })),
        "{effects:?}"
    );
    // Esc leaves the prompt without acting.
    press(&mut state, 'w');
    assert!(press_code(&mut state, KeyCode::Esc).is_empty());
    assert!(state.weight_input.is_none() && state.overlay.is_none());
    // Where the kind has no weight to set, the key says why and opens nothing.
    state.support = SupportTable::from_fn(ripcord::cluster::actions::supports);
    select(&mut state, "ledger");
    assert!(press(&mut state, 'w').is_empty());
    assert!(state.weight_input.is_none());
}

#[test]
fn a_weight_is_a_whole_percentage() {
    assert_eq!(ripcord::app::parse_weight("40"), Ok(40));
    assert_eq!(ripcord::app::parse_weight(" 100% "), Ok(100));
    assert!(ripcord::app::parse_weight("101").is_err());
    assert!(ripcord::app::parse_weight("-1").is_err());
    assert!(ripcord::app::parse_weight("").is_err());
    assert!(ripcord::app::parse_weight("4.5").is_err());
}

/// On a cluster, `u` on a Flagger Canary asks to open its rollback gate: no revision to aim at.
#[test]
fn a_flagger_rollback_aims_at_no_revision() {
    let (_, mut state) = demo_state();
    state.settings.production_pattern = "no-context-is-production".into();
    state.support = SupportTable::from_fn(ripcord::cluster::actions::supports);
    select_kind(&mut state, Kind::FlaggerCanary);
    assert!(press(&mut state, 'u').is_empty());
    let Some(Overlay::Confirm(c)) = &state.overlay else {
        panic!("no confirmation: {:?} {:?}", state.overlay, state.status);
    };
    assert_eq!(c.request.op, Op::Rollback { to: None });
    assert_eq!(c.request.key.kind, Kind::FlaggerCanary);
}

/// `y` answers a confirmation and is also retry's key: a second `y` after confirming an
/// abort must not retry the canary unasked.
#[test]
fn a_second_y_after_confirming_an_abort_retries_nothing_unasked() {
    let (_, mut state) = demo_state();
    select(&mut state, "cart"); // staging: a plain y confirms
    assert!(press(&mut state, 'a').is_empty());
    drawn(&mut state);
    let effects = press(&mut state, 'y');
    assert!(
        matches!(effects.as_slice(), [Effect::Execute(r)] if r.op.kind() == Operation::Abort),
        "{effects:?}"
    );
    let effects = press(&mut state, 'y');
    assert!(
        !effects.iter().any(|e| matches!(e, Effect::Execute(_))),
        "retry ran without a confirmation: {effects:?}"
    );
}

/// An Argo canary moves only to its own setWeight steps: the prompt lists them, and another
/// weight is refused before any confirmation.
#[test]
fn set_weight_on_a_rollout_offers_its_steps_weights_only() {
    let (_, mut state) = demo_state();
    state.support = SupportTable::from_fn(ripcord::cluster::actions::supports);
    state.settings.production_pattern = "no-context-is-production".into();
    select(&mut state, "cart");
    let choices = state
        .focused()
        .and_then(|r| r.weight_choices())
        .expect("an Argo canary's choices");
    assert!(!choices.is_empty() && !choices.contains(&33), "{choices:?}");
    assert!(press(&mut state, 'w').is_empty());
    let listed = ripcord::model::weight_list(&choices);
    let shown = footer(&mut state);
    assert!(shown.contains(&format!("set weight ({listed})")), "{shown}");
    for c in "33".chars() {
        press(&mut state, c);
    }
    assert!(press_code(&mut state, KeyCode::Enter).is_empty());
    assert!(
        state.overlay.is_none(),
        "a confirmation for a weight no step has"
    );
    assert!(
        state.weight_input.is_some(),
        "the prompt stays for another try"
    );
    let status = state
        .status
        .as_ref()
        .map(|s| s.text.clone())
        .unwrap_or_default();
    assert!(status.contains(&listed), "{status}");
    // One of its steps goes on to the confirmation.
    press_code(&mut state, KeyCode::Backspace);
    press_code(&mut state, KeyCode::Backspace);
    for c in choices[0].to_string().chars() {
        press(&mut state, c);
    }
    press_code(&mut state, KeyCode::Enter);
    assert!(
        matches!(&state.overlay, Some(Overlay::Confirm(_))),
        "{:?}",
        state.status
    );
    // The confirmation names the weight it will set.
    let shown = screen_at(&mut state, 120, 40).join("\n");
    assert!(
        shown.contains(&format!("set-weight rollout/cart to {}%", choices[0])),
        "{shown}"
    );
}

/// The flags tab's evaluation box: `e` opens it on the flags tab, the context is evaluated
/// against every flag of the release as it is typed, a JSON error says where, and Esc
/// closes it with the text kept for next time.
#[test]
fn the_evaluation_box_evaluates_every_flag_as_the_context_is_typed() {
    let (_, mut state) = demo_state();
    select(&mut state, "checkout");
    press_code(&mut state, KeyCode::Enter);
    assert_eq!(state.tab, ripcord::app::Tab::Overview);
    press(&mut state, 'e');
    assert_eq!(state.tab, ripcord::app::Tab::Flags);
    assert!(state.flags_tab.evaluating);
    let shown = screen_at(&mut state, 120, 40).join("\n");
    assert!(shown.contains("evaluation context (JSON)"), "{shown}");
    // Empty is `{}`: one-click's default serves, the tax engine is off.
    assert!(shown.contains("→ true (variant on)  DEFAULT"), "{shown}");
    assert!(
        shown.contains("→ the caller's default  DISABLED"),
        "{shown}"
    );

    // Letters that are keys elsewhere type here: `q` does not quit, `j` does not move.
    type_text(&mut state, r#"{"app_version": "#);
    assert!(!state.quit);
    let why = state.flags_tab.parsed.clone().expect_err("half typed");
    assert!(
        why.starts_with("line 1, column 16: EOF while parsing"),
        "{why}"
    );
    let shown = screen_at(&mut state, 120, 40).join("\n");
    assert!(shown.contains("✖ line 1, column 16: EOF"), "{shown}");
    assert!(
        !shown.contains("→ "),
        "no results for a context that does not read"
    );

    type_text(&mut state, r#""1.8.4"}"#);
    assert_eq!(
        state.flags_tab.parsed,
        Ok(serde_json::json!({"app_version": "1.8.4"}))
    );
    let shown = screen_at(&mut state, 120, 40).join("\n");
    assert!(
        shown.contains("→ false (variant off)  TARGETING_MATCH"),
        "{shown}"
    );

    // Enter starts a new line; an error on it is placed on line 2.
    press_code(&mut state, KeyCode::Enter);
    type_text(&mut state, "x");
    assert_eq!(state.flags_tab.context.lines().len(), 2);
    let why = state.flags_tab.parsed.clone().expect_err("trailing x");
    assert!(why.starts_with("line 2, column 1: "), "{why}");
    press_code(&mut state, KeyCode::Backspace);
    press_code(&mut state, KeyCode::Backspace);
    assert!(state.flags_tab.parsed.is_ok());

    // Esc closes the box and stays in the detail view; `e` brings the text back.
    press_code(&mut state, KeyCode::Esc);
    assert!(!state.flags_tab.evaluating);
    assert!(matches!(state.view, View::Detail(_)));
    let shown = screen_at(&mut state, 120, 40).join("\n");
    assert!(!shown.contains("→ "), "{shown}");
    press(&mut state, 'e');
    assert_eq!(
        state.flags_tab.context.lines().join(""),
        r#"{"app_version": "1.8.4"}"#
    );
    // The hint line names the box's own keys while it is open.
    let hints = footer(&mut state);
    assert!(hints.contains("<Esc> close (the text stays)"), "{hints}");
    press_code(&mut state, KeyCode::Esc);
    let hints = footer(&mut state);
    assert!(hints.contains("e evaluate-flags"), "{hints}");
}

/// In the flags tab j/k move a cursor over the flags, which the tab marks.
#[test]
fn the_flags_tab_moves_a_cursor_over_its_flags() {
    let (_, mut state) = demo_state();
    select(&mut state, "checkout");
    press_code(&mut state, KeyCode::Enter);
    press(&mut state, '4');
    let selected = |state: &State| ripcord::app::flags::selected(state).map(|f| f.key.clone());
    assert_eq!(selected(&state).as_deref(), Some("checkout.one-click"));
    press(&mut state, 'j');
    assert_eq!(selected(&state).as_deref(), Some("checkout.new-tax-engine"));
    press(&mut state, 'j');
    assert_eq!(selected(&state).as_deref(), Some("checkout.new-tax-engine"));
    let shown = screen_at(&mut state, 120, 40).join("\n");
    assert!(shown.contains("▸ checkout.new-tax-engine"), "{shown}");
    assert!(shown.contains("⚑ checkout.one-click"), "{shown}");
    press(&mut state, 'k');
    assert_eq!(selected(&state).as_deref(), Some("checkout.one-click"));
}

/// Carries out flag edits' effects on the demo world, as the console's executor does.
fn run_flag_effects(world: &mut ripcord::sim::World, state: &mut State, effects: Vec<Effect>) {
    for effect in effects {
        match effect {
            Effect::FlagPrepare(request) => {
                let result = world.flag_prepare(&request);
                update(state, Msg::FlagPrepared { request, result });
            }
            Effect::FlagWrite { request, version } => {
                let written = world.flag_write(&request, &version);
                update(state, Msg::FlagWritten { request, written });
                for msg in ripcord::sim::driver::pending(world) {
                    update(state, msg);
                }
            }
            _ => {}
        }
    }
}

fn status_text(state: &State) -> String {
    state
        .status
        .as_ref()
        .map(|s| s.text.clone())
        .unwrap_or_default()
}

fn flag_state(state: &State, name: &str, flag: &str) -> ripcord::flags::State {
    let key = state
        .releases
        .keys()
        .find(|k| k.name == name)
        .expect("the release");
    state
        .flags_of(key)
        .flags
        .iter()
        .find(|f| f.key == flag)
        .map(|f| f.state)
        .expect("the flag")
}

/// x on the flag under the cursor: the edit is checked and its diff shown; a reason is
/// required; only `y`, once the question is on screen, writes it.
#[test]
fn a_flag_edit_shows_its_diff_asks_a_reason_and_writes_only_on_y() {
    use ripcord::flags::edit::Edit;
    let (mut world, mut state) = demo_state();
    state.settings.production_pattern = "no-context-is-production".into();
    select(&mut state, "checkout");
    press_code(&mut state, KeyCode::Enter);
    // Outside the flags tab the key says where it works.
    assert!(press(&mut state, 'x').is_empty());
    assert!(
        status_text(&state).contains("flags tab (4)"),
        "{}",
        status_text(&state)
    );
    press(&mut state, '4');
    let effects = press(&mut state, 'x');
    assert!(
        matches!(effects.as_slice(), [Effect::FlagPrepare(r)]
            if r.flag == "checkout.one-click"
                && r.edit == Edit::State(ripcord::flags::State::Disabled)),
        "{effects:?}"
    );
    run_flag_effects(&mut world, &mut state, effects);
    let Some(Overlay::FlagConfirm(c)) = &state.overlay else {
        panic!("no confirmation: {}", status_text(&state));
    };
    assert!(
        c.prepared.diff.contains("+   \"state\": \"DISABLED\""),
        "{}",
        c.prepared.diff
    );
    let shown = screen_at(&mut state, 120, 40).join("\n");
    assert!(
        shown.contains("set checkout.one-click to DISABLED")
            && shown.contains("+   \"state\": \"DISABLED\""),
        "{shown}"
    );
    drawn(&mut state);
    // No reason, no question.
    assert!(press_code(&mut state, KeyCode::Enter).is_empty());
    let Some(Overlay::FlagConfirm(c)) = &state.overlay else {
        panic!("the dialog stays");
    };
    assert_eq!(c.error.as_deref(), Some("a flag change needs a reason"));
    type_text(&mut state, "errors up");
    assert!(press_code(&mut state, KeyCode::Enter).is_empty());
    // `y` before the question is on screen, and Enter, never write.
    assert!(press(&mut state, 'y').is_empty());
    drawn(&mut state);
    assert!(press_code(&mut state, KeyCode::Enter).is_empty());
    assert_eq!(
        flag_state(&state, "checkout", "checkout.one-click"),
        ripcord::flags::State::Enabled
    );
    let effects = press(&mut state, 'y');
    assert!(
        matches!(effects.as_slice(), [Effect::FlagWrite { request, .. }]
            if request.reason.as_deref() == Some("errors up")),
        "{effects:?}"
    );
    run_flag_effects(&mut world, &mut state, effects);
    assert!(state.overlay.is_none());
    assert!(
        status_text(&state).contains("✔ set checkout.one-click to DISABLED"),
        "{}",
        status_text(&state)
    );
    assert_eq!(
        flag_state(&state, "checkout", "checkout.one-click"),
        ripcord::flags::State::Disabled
    );
    // Cancelled, nothing changes.
    let effects = press(&mut state, 'x');
    run_flag_effects(&mut world, &mut state, effects);
    assert!(matches!(state.overlay, Some(Overlay::FlagConfirm(_))));
    press_code(&mut state, KeyCode::Esc);
    assert!(state.overlay.is_none());
    assert_eq!(
        flag_state(&state, "checkout", "checkout.one-click"),
        ripcord::flags::State::Disabled
    );
}

/// In production the flag's key is typed as well as the reason; read-only offers no edit.
#[test]
fn a_flag_edit_in_production_needs_its_key_typed_and_read_only_has_none() {
    let (mut world, mut state) = demo_state();
    select(&mut state, "checkout");
    assert!(state.settings.is_production("prod-eu"));
    press_code(&mut state, KeyCode::Enter);
    press(&mut state, '4');
    let effects = press(&mut state, 'x');
    run_flag_effects(&mut world, &mut state, effects);
    drawn(&mut state);
    let Some(Overlay::FlagConfirm(c)) = &state.overlay else {
        panic!("{}", status_text(&state));
    };
    assert!(c.guarded);
    // Tab to the reason, type it: the key is still missing.
    press_code(&mut state, KeyCode::Tab);
    type_text(&mut state, "kill switch");
    press_code(&mut state, KeyCode::Enter);
    let Some(Overlay::FlagConfirm(c)) = &state.overlay else {
        panic!("the dialog stays");
    };
    assert!(!c.ready);
    assert_eq!(
        c.error.as_deref(),
        Some("type checkout.one-click to confirm")
    );
    type_text(&mut state, "checkout.one-click");
    press_code(&mut state, KeyCode::Enter);
    drawn(&mut state);
    let effects = press(&mut state, 'y');
    assert!(
        matches!(effects.as_slice(), [Effect::FlagWrite { request, .. }]
            if request.reason.as_deref() == Some("kill switch")),
        "{effects:?}"
    );

    let (_, mut state) = demo_state_with(true);
    select(&mut state, "checkout");
    press_code(&mut state, KeyCode::Enter);
    press(&mut state, '4');
    for key in ['x', 'v', '%'] {
        assert!(press(&mut state, key).is_empty());
    }
    assert!(state.overlay.is_none() && state.flags_tab.prompt.is_none());
}

/// v chooses the default among the flag's variants; % types the split's weights.
#[test]
fn a_default_variant_is_chosen_among_its_variants_and_weights_are_typed() {
    use ripcord::flags::edit::Edit;
    let (_, mut state) = demo_state();
    select(&mut state, "checkout");
    press_code(&mut state, KeyCode::Enter);
    press(&mut state, '4');
    // one-click has no split of its own.
    assert!(press(&mut state, '%').is_empty());
    assert!(
        status_text(&state).contains("no fractional split"),
        "{}",
        status_text(&state)
    );
    assert!(press(&mut state, 'v').is_empty());
    let hints = footer(&mut state);
    assert!(hints.contains("next variant"), "{hints}");
    // It starts on the current default, marked; choosing it writes nothing.
    let Some(ripcord::app::flags::FlagPrompt {
        choice:
            ripcord::app::flags::Choice::Variant {
                variants,
                at,
                current,
                ..
            },
        ..
    }) = &state.flags_tab.prompt
    else {
        panic!("a variant prompt");
    };
    assert_eq!((variants[*at].as_str(), *current), ("on", Some(*at)));
    assert!(
        common::demo::rendered(&state)
            .iter()
            .any(|l| l.contains("▸on (default)")),
        "{}",
        common::demo::rendered(&state).join("\n")
    );
    assert!(press_code(&mut state, KeyCode::Enter).is_empty());
    assert!(
        status_text(&state).contains("on is already the default"),
        "{}",
        status_text(&state)
    );
    assert!(state.flags_tab.prompt.is_some(), "the picker stays");
    // Tab moves on.
    press_code(&mut state, KeyCode::Tab);
    let effects = press_code(&mut state, KeyCode::Enter);
    assert!(
        matches!(effects.as_slice(), [Effect::FlagPrepare(r)]
            if r.edit == Edit::DefaultVariant("off".into())),
        "{effects:?}"
    );

    press(&mut state, 'j');
    assert!(press(&mut state, '%').is_empty());
    let Some(ripcord::app::flags::FlagPrompt {
        choice: ripcord::app::flags::Choice::Weights(input),
        ..
    }) = &state.flags_tab.prompt
    else {
        panic!("a weights prompt");
    };
    assert_eq!(input.lines().join(""), "on=10,off=90");
    for _ in 0..2 {
        press_code(&mut state, KeyCode::Backspace);
    }
    type_text(&mut state, "5O");
    // A typo is refused, and the prompt stays for another try.
    assert!(press_code(&mut state, KeyCode::Enter).is_empty());
    assert!(state.flags_tab.prompt.is_some());
    assert!(
        status_text(&state).contains("not a whole number"),
        "{}",
        status_text(&state)
    );
    press_code(&mut state, KeyCode::Backspace);
    type_text(&mut state, "0");
    let effects = press_code(&mut state, KeyCode::Enter);
    assert!(
        matches!(effects.as_slice(), [Effect::FlagPrepare(r)]
            if r.flag == "checkout.new-tax-engine"
                && r.edit == Edit::Weights(vec![("on".into(), 10), ("off".into(), 50)])),
        "{effects:?}"
    );
}

/// A pair outside production, focused, with `stable` and `canary` desired replicas.
fn focused_pair(state: &mut State, stable: i32, canary: i32) -> ripcord::model::ReleaseKey {
    let key = state
        .rows
        .iter()
        .find(|k| k.kind == Kind::CanaryPair && !state.settings.is_production(&k.context))
        .cloned()
        .expect("a pair outside production");
    let r = state.releases.get_mut(&key).expect("the pair");
    r.stable.desired = stable;
    r.canary.desired = canary;
    select(state, &key.name.clone());
    key
}

/// The weight prompt takes digits only: other characters are not typed and raise nothing.
#[test]
fn the_weight_prompt_takes_digits_only_and_says_nothing_of_the_rest() {
    let (_, mut state) = demo_state();
    focused_pair(&mut state, 3, 2);
    press(&mut state, 'w');
    for c in "a5x%0 q1".chars() {
        assert!(press(&mut state, c).is_empty());
        assert!(state.status.is_none(), "{c:?}: {:?}", state.status);
    }
    let typed = state
        .weight_input
        .as_ref()
        .map(|(_, input)| input.lines().join(""))
        .expect("the prompt");
    assert_eq!(typed, "501", "three digits at most");
    press_code(&mut state, KeyCode::Backspace);
    assert!(press_code(&mut state, KeyCode::Enter).is_empty());
    let Some(Overlay::Confirm(c)) = &state.overlay else {
        panic!("no confirmation: {:?}", state.status);
    };
    assert_eq!(c.request.op, Op::SetWeight { weight: 50 });
}

/// A pair's confirmation gives the split of its pods, and says when whole pods cannot
/// meet the weight; no stale answer stays under it.
#[test]
fn the_set_weight_confirmation_gives_a_pairs_pod_split_and_what_cannot_be_met() {
    let (_, mut state) = demo_state();
    focused_pair(&mut state, 3, 2);
    press(&mut state, 'w');
    press_code(&mut state, KeyCode::Esc);
    assert_eq!(
        state.status.as_ref().map(|s| s.text.as_str()),
        Some("cancelled")
    );
    press(&mut state, 'w');
    assert!(state.status.is_none(), "{:?}", state.status);
    for c in "50".chars() {
        press(&mut state, c);
    }
    press_code(&mut state, KeyCode::Enter);
    assert!(matches!(state.overlay, Some(Overlay::Confirm(_))));
    let shown = screen_at(&mut state, 120, 40).join("\n");
    assert!(
        shown.contains("canary 2 of 5 pods (40%), stable 3"),
        "{shown}"
    );
    assert!(
        shown.contains("50% is not possible on 5 pods: 2 of 5 = 40%"),
        "{shown}"
    );
    assert!(!shown.contains("cancelled"), "{shown}");
    // A weight whole pods meet says only the split.
    press_code(&mut state, KeyCode::Esc);
    press(&mut state, 'w');
    for c in "40".chars() {
        press(&mut state, c);
    }
    press_code(&mut state, KeyCode::Enter);
    let shown = screen_at(&mut state, 120, 40).join("\n");
    assert!(
        shown.contains("canary 2 of 5 pods (40%), stable 3"),
        "{shown}"
    );
    assert!(!shown.contains("not possible"), "{shown}");
    assert!(!shown.contains("cancelled"), "{shown}");
    // A pair with no pods at all has nothing to split, and says so.
    press_code(&mut state, KeyCode::Esc);
    focused_pair(&mut state, 0, 0);
    press(&mut state, 'w');
    for c in "50".chars() {
        press(&mut state, c);
    }
    press_code(&mut state, KeyCode::Enter);
    let shown = screen_at(&mut state, 120, 40).join("\n");
    assert!(
        shown.contains("both have 0 replicas: nothing to split"),
        "{shown}"
    );
    assert!(!shown.contains("not possible"), "{shown}");
}

/// An Argo canary's confirmation gives the step it moves from and to, and the split.
#[test]
fn the_set_weight_confirmation_gives_a_rollouts_step_move_and_split() {
    let (_, mut state) = demo_state();
    state.settings.production_pattern = "no-context-is-production".into();
    select(&mut state, "cart");
    let r = state.focused().expect("cart");
    let (at, total) = r.step.expect("cart's step");
    let to = r
        .steps
        .iter()
        .position(|s| s.kind == ripcord::model::StepKind::SetWeight { weight: 75 })
        .expect("cart's setWeight 75 step");
    press(&mut state, 'w');
    for c in "75".chars() {
        press(&mut state, c);
    }
    press_code(&mut state, KeyCode::Enter);
    assert!(
        matches!(state.overlay, Some(Overlay::Confirm(_))),
        "{:?}",
        state.status
    );
    let shown = screen_at(&mut state, 120, 40).join("\n");
    assert!(
        shown.contains(&format!("step {at}/{total} → {to}/{total}")),
        "{shown}"
    );
    assert!(
        shown.contains("move the canary to the step that sets this weight"),
        "{shown}"
    );
    // No traffic router: the split is in pods, as the controller makes them.
    assert!(
        shown.contains("canary 3 of 4 pods (75%), stable 1"),
        "{shown}"
    );
    assert!(!shown.contains("is not possible"), "{shown}");
}

/// Without a traffic router an Argo weight is a pod count: the confirmation says the pods
/// Argo will run, and when they miss the weight asked; a step the rollout is at is refused.
#[test]
fn a_rollout_without_a_router_is_confirmed_in_pods_and_a_no_op_step_refused() {
    let (_, mut state) = demo_state();
    state.settings.production_pattern = "no-context-is-production".into();
    select(&mut state, "cart");
    let key = state.selected_key().cloned().expect("cart");
    let weigh = |state: &mut State, w: &str| {
        state.overlay = None;
        state.status = None;
        press(state, 'w');
        for c in w.chars() {
            press(state, c);
        }
        press_code(state, KeyCode::Enter);
    };
    // No surge allowed: 50% of 3 pods is 2 of 3.
    {
        let r = state.releases.get_mut(&key).expect("cart");
        r.argo.as_mut().expect("argo").basic_canary = Some((3, 0));
    }
    weigh(&mut state, "50");
    assert!(
        matches!(state.overlay, Some(Overlay::Confirm(_))),
        "{:?}",
        state.status
    );
    let shown = screen_at(&mut state, 120, 40).join("\n");
    assert!(
        shown.contains("canary 2 of 3 pods (67%), stable 1"),
        "{shown}"
    );
    assert!(
        shown.contains("50% is not possible on 3 pods: Argo makes 2 of 3 = 67%"),
        "{shown}"
    );
    assert!(!shown.contains("stable 50%"), "{shown}");
    // With a surge pod allowed, 2 of 4 pods while the step lasts.
    {
        let r = state.releases.get_mut(&key).expect("cart");
        r.argo.as_mut().expect("argo").basic_canary = Some((3, 1));
    }
    weigh(&mut state, "50");
    let shown = screen_at(&mut state, 120, 40).join("\n");
    assert!(
        shown.contains("canary 2 of 4 pods (50%), stable 2"),
        "{shown}"
    );
    assert!(
        shown.contains("1 surge pod above the 3 replicas"),
        "{shown}"
    );
    assert!(!shown.contains("is not possible"), "{shown}");
    // At the setWeight 50 step already: nothing to move.
    let fifty = state.releases[&key]
        .steps
        .iter()
        .position(|s| s.kind == ripcord::model::StepKind::SetWeight { weight: 50 })
        .expect("cart's setWeight 50 step");
    let total = state.releases[&key].steps.len();
    state.releases.get_mut(&key).expect("cart").step = Some((fifty, total));
    weigh(&mut state, "50");
    assert!(state.overlay.is_none(), "a confirmation for a no-op");
    let status = status_text(&state);
    assert!(
        status.contains(&format!("already at step {fifty}/{total}")),
        "{status}"
    );
}

/// While an action runs on a release, another key on that release says which action it
/// waits for and sends nothing; other releases are unaffected, and the answer frees it.
#[test]
fn one_action_at_a_time_per_release() {
    let (_, mut state) = demo_state();
    state.settings.production_pattern = "no-context-is-production".into();
    select(&mut state, "cart");
    assert!(press(&mut state, 'a').is_empty());
    drawn(&mut state);
    let effects = press(&mut state, 'y');
    let [Effect::Execute(abort)] = effects.as_slice() else {
        panic!("abort did not run: {effects:?}");
    };
    let abort = abort.clone();
    for c in ['p', 'z', 'a', 'w'] {
        state.status = None;
        let effects = press(&mut state, c);
        assert!(effects.is_empty(), "{c:?}: {effects:?}");
        assert!(
            state.overlay.is_none() && state.weight_input.is_none(),
            "{c:?} opened a dialog while abort runs"
        );
        let status = state
            .status
            .as_ref()
            .map(|s| s.text.clone())
            .unwrap_or_default();
        assert!(
            status.contains("abort is still running on it") && status.contains("rollout/cart"),
            "{c:?}: {status}"
        );
    }
    // Another release is not held up.
    select(&mut state, "payments-api");
    let effects = press(&mut state, 'p');
    assert!(
        !effects.is_empty() || matches!(state.overlay, Some(Overlay::Confirm(_))),
        "{effects:?} {:?}",
        state.status
    );
    state.overlay = None;
    // The answer frees the release.
    update(
        &mut state,
        Msg::ActionDone(ripcord::model::ops::ActionOutcome {
            request: abort,
            result: Ok("aborted".into()),
            revision_before: None,
            revision_after: None,
        }),
    );
    select(&mut state, "cart");
    press(&mut state, 'a');
    assert!(
        matches!(state.overlay, Some(Overlay::Confirm(_))),
        "{:?}",
        state.status
    );
}
/// `s` on the queue opens every finding of the namespaces shown, most severe first; j moves
/// the cursor, Enter opens its release on the security tab with it marked, Esc comes back.
#[test]
fn the_security_view_lists_findings_by_severity_and_enter_goes_to_the_release() {
    use ripcord::app::security::entries;
    use ripcord::app::Tab;
    let (_, mut state) = demo_state();
    let hints = rendered(&state).last().cloned().unwrap_or_default();
    assert!(
        hints.contains(" s security"),
        "the queue's hint line: {hints}"
    );
    press(&mut state, 's');
    assert_eq!(state.view, View::Security);
    let all = entries(&state);
    let total: usize = state
        .findings
        .iter()
        .filter(|(k, _)| state.releases.contains_key(*k))
        .map(|(_, f)| f.items.len())
        .sum();
    assert_eq!(all.len(), total, "every release's findings are listed");
    assert!(
        all.windows(2)
            .all(|w| w[0].finding.severity >= w[1].finding.severity),
        "most severe first"
    );
    let screen = rendered(&state).join("\n");
    assert!(screen.contains("CRITICAL ("), "{screen}");

    press(&mut state, 'j');
    assert_eq!(state.security.cursor, 1);
    let (key, finding) = {
        let e = &entries(&state)[1];
        (e.release.cloned().expect("a release"), e.finding.clone())
    };
    press_code(&mut state, KeyCode::Enter);
    assert_eq!(state.view, View::Detail(key.clone()));
    assert_eq!(state.tab, Tab::Security);
    assert_eq!(state.security.marked.as_ref(), Some(&finding));
    let screen = rendered(&state).join("\n");
    assert!(screen.contains(&format!("▸⚠ {}", finding.code)), "{screen}");

    press_code(&mut state, KeyCode::Esc);
    assert_eq!(state.view, View::Security, "back to the list it came from");
    assert_eq!(state.security.cursor, 1, "on the same finding");
    press_code(&mut state, KeyCode::Esc);
    assert_eq!(state.view, View::Home);
    // Opened from the queue, a release marks nothing and goes back to the queue.
    press_code(&mut state, KeyCode::Enter);
    assert!(state.security.marked.is_none());
    press_code(&mut state, KeyCode::Esc);
    assert_eq!(state.view, View::Home);
}

/// The view follows the queue's namespace: `n` narrows it, `0` shows every namespace.
#[test]
fn the_security_view_narrows_to_a_namespace() {
    use ripcord::app::security::entries;
    let (_, mut state) = demo_state();
    press(&mut state, 's');
    let all = entries(&state).len();
    press(&mut state, 'n');
    let ns = state.namespace_filter.clone().expect("a namespace");
    let here = entries(&state);
    assert!(here.len() < all, "{} of {all}", here.len());
    assert!(here.iter().all(|e| e.finding.object.namespace == ns));
    assert!(state.security.cursor < here.len().max(1));
    press(&mut state, '0');
    assert_eq!(entries(&state).len(), all);
}

/// A finding on an object no release claims is listed, and Enter says where it is.
#[test]
fn a_finding_on_an_object_no_release_claims_is_shown_plainly() {
    use ripcord::model::{Finding, FindingObject, Severity};
    let (_, mut state) = demo_state();
    let context = state
        .releases
        .keys()
        .next()
        .expect("a release")
        .context
        .clone();
    let finding = Finding {
        code: "RBAC005",
        severity: Severity::Critical,
        object: FindingObject {
            kind: "RoleBinding".into(),
            namespace: "shop".into(),
            name: "ops-admin".into(),
        },
        path: "subjects[0]".into(),
        message: "cluster-admin bound to ServiceAccount shop/ops".into(),
        remediation: "bind a narrower role".into(),
    };
    update(
        &mut state,
        Msg::NamespaceFindings {
            context: context.clone(),
            namespace: "shop".into(),
            findings: vec![finding.clone()],
        },
    );
    press(&mut state, 's');
    let list = ripcord::app::security::entries(&state);
    let at = list
        .iter()
        .position(|e| e.finding == &finding)
        .expect("listed");
    assert!(list[at].release.is_none());
    for _ in 0..at {
        press(&mut state, 'j');
    }
    let screen = rendered(&state).join("\n");
    assert!(
        screen.contains("RoleBinding shop/ops-admin subjects[0]"),
        "{screen}"
    );
    assert!(screen.contains("not part of a release"), "{screen}");
    press_code(&mut state, KeyCode::Enter);
    assert_eq!(state.view, View::Security, "there is no release to open");
    let status = state.status.as_ref().expect("a status").text.clone();
    assert!(
        status.contains("RoleBinding shop/ops-admin at subjects[0]"),
        "{status}"
    );
    // Sent again empty, it goes.
    update(
        &mut state,
        Msg::NamespaceFindings {
            context,
            namespace: "shop".into(),
            findings: vec![],
        },
    );
    assert!(!ripcord::app::security::entries(&state)
        .iter()
        .any(|e| e.finding == &finding));
}

/// The view says when findings have not arrived, are still listing, or were refused.
#[test]
fn the_security_view_is_honest_about_what_it_has_not_seen() {
    use ripcord::model::ChecksStatus;
    let mut state = live_state_at(chrono::Utc::now());
    update(
        &mut state,
        Msg::Connection {
            context: "prod".into(),
            state: ripcord::model::ConnState::Synced,
        },
    );
    press(&mut state, 's');
    let screen = rendered(&state).join("\n");
    assert!(screen.contains("prod: findings not loaded yet"), "{screen}");
    assert!(screen.contains("no security findings yet"), "{screen}");
    update(
        &mut state,
        Msg::ChecksStatus {
            context: "prod".into(),
            status: ChecksStatus {
                listed: 3,
                total: 9,
                denied: vec![],
            },
        },
    );
    let screen = rendered(&state).join("\n");
    assert!(screen.contains("still listing (3 of 9"), "{screen}");
    update(
        &mut state,
        Msg::ChecksStatus {
            context: "prod".into(),
            status: ChecksStatus {
                listed: 9,
                total: 9,
                denied: vec!["Secret".into()],
            },
        },
    );
    let screen = rendered(&state).join("\n");
    assert!(screen.contains("may not list Secret"), "{screen}");
    assert!(!screen.contains("still listing"), "{screen}");
    update(
        &mut state,
        Msg::ChecksStatus {
            context: "prod".into(),
            status: ChecksStatus::ready(),
        },
    );
    let screen = rendered(&state).join("\n");
    assert!(
        screen.contains("no security findings in all namespaces"),
        "{screen}"
    );
}

/// The API server's answers about the user become a finding on the release, and follow
/// each new answer; the checks' own findings stay beside it.
#[test]
fn the_users_own_rights_are_a_finding_from_the_access_answers() {
    use ripcord::model::Permission;
    let (_, mut state) = live_demo_state();
    let key = state.selected_key().cloned().expect("a release");
    let own = |state: &State| {
        state
            .findings_of(&key)
            .items
            .iter()
            .find(|f| f.code == "RBAC008")
            .map(|f| f.message.clone())
    };
    assert_eq!(own(&state), None, "nothing is guessed before an answer");
    let checked = state.findings_of(&key).items.len();
    update(
        &mut state,
        Msg::Permission {
            key: key.clone(),
            op: Operation::Promote,
            permission: Permission::Allowed,
        },
    );
    assert_eq!(own(&state).as_deref(), Some("you can promote this release"));
    assert_eq!(state.findings_of(&key).items.len(), checked + 1);
    update(
        &mut state,
        Msg::Permission {
            key: key.clone(),
            op: Operation::Promote,
            permission: Permission::Denied("cannot patch deployments.apps in shop".into()),
        },
    );
    assert_eq!(
        own(&state).as_deref(),
        Some("you cannot promote: cannot patch deployments.apps in shop; it will be refused")
    );
    // New findings from the checks keep the user's rights.
    update(
        &mut state,
        Msg::Findings {
            key: key.clone(),
            findings: Default::default(),
        },
    );
    assert_eq!(state.findings_of(&key).items.len(), 1);
    assert!(own(&state).is_some());
    // It is about the user: a promote never asks to acknowledge it.
    state.settings.promote_ack = ripcord::model::Severity::Low;
    update(
        &mut state,
        Msg::Permission {
            key: key.clone(),
            op: Operation::Promote,
            permission: Permission::Allowed,
        },
    );
    let effects = press(&mut state, 'p');
    let asked = match &state.overlay {
        Some(Overlay::Confirm(c)) => c.findings.clone(),
        _ => None,
    };
    assert_eq!(asked, None, "{effects:?}");
}

/// Findings that arrive before their release is derived show once it is.
#[test]
fn findings_that_come_before_their_release_are_kept_for_it() {
    let mut world = ripcord::sim::World::demo(SEED);
    let mut state = live_state_at(world.now);
    let msgs = ripcord::sim::driver::pending(&mut world);
    let (findings, rest): (Vec<Msg>, Vec<Msg>) = msgs
        .into_iter()
        .partition(|m| matches!(m, Msg::Findings { .. }));
    assert!(!findings.is_empty());
    for msg in findings.into_iter().chain(rest) {
        update(&mut state, msg);
    }
    let checkout = key_of(&state, "checkout");
    let mut codes: Vec<&str> = state
        .findings_of(&checkout)
        .items
        .iter()
        .map(|f| f.code)
        .collect();
    codes.sort();
    assert_eq!(codes, ["IMG002", "POD003", "SEC012"]);
}

/// Weights naming a variant the flag does not have say which variants it has, and the
/// prompt keeps what was typed.
#[test]
fn weights_for_an_unknown_variant_name_the_flags_variants_and_keep_the_text() {
    let (_, mut state) = demo_state();
    select(&mut state, "checkout");
    press_code(&mut state, KeyCode::Enter);
    press(&mut state, '4');
    press(&mut state, 'j');
    assert!(press(&mut state, '%').is_empty());
    for _ in 0.."on=10,off=90".len() {
        press_code(&mut state, KeyCode::Backspace);
    }
    type_text(&mut state, "on=10,maybe=90");
    assert!(press_code(&mut state, KeyCode::Enter).is_empty());
    assert!(
        status_text(&state)
            .contains("maybe is not a variant of checkout.new-tax-engine (variants: on, off)"),
        "{}",
        status_text(&state)
    );
    let Some(ripcord::app::flags::FlagPrompt {
        choice: ripcord::app::flags::Choice::Weights(input),
        ..
    }) = &state.flags_tab.prompt
    else {
        panic!("the weights prompt stays");
    };
    assert_eq!(input.lines().join(""), "on=10,maybe=90");
}

/// Ctrl-U in the evaluation box deletes back to the start of the line, as in a shell.
#[test]
fn ctrl_u_in_the_evaluation_box_deletes_to_the_start_of_the_line() {
    use crossterm::event::{KeyEvent, KeyModifiers};
    let (_, mut state) = demo_state();
    select(&mut state, "checkout");
    press_code(&mut state, KeyCode::Enter);
    press(&mut state, 'e');
    type_text(&mut state, r#"{"app_version": "1.8.0"}"#);
    press_code(&mut state, KeyCode::Enter);
    type_text(&mut state, "abc");
    update(
        &mut state,
        Msg::Key(KeyEvent::new(KeyCode::Char('u'), KeyModifiers::CONTROL)),
    );
    assert_eq!(
        state.flags_tab.context.lines(),
        [r#"{"app_version": "1.8.0"}"#, ""]
    );
    assert!(state.flags_tab.parsed.is_ok());
}

/// The key bound to `op` in the home keymap.
fn key_for(state: &State, op: Operation) -> KeyEvent {
    operation_keys(state)
        .into_iter()
        .find(|(_, _, o)| *o == op)
        .map(|(k, _, _)| k)
        .unwrap_or_else(|| panic!("no key for {op:?}"))
}

/// An aborted Rollout keeps `status.abort` while its step moves, so the bad canary rolls
/// on: promote and set-weight are refused before any confirmation, and retry is refused on
/// a Rollout that is not aborted.
#[test]
fn an_aborted_rollout_refuses_promote_and_set_weight_and_a_running_one_retry() {
    let (_, mut state) = demo_state();
    state.settings.production_pattern = "no-context-is-production".into();
    select(&mut state, "cart");
    let key = state.selected_key().cloned().expect("cart");
    assert_eq!(key.kind, Kind::ArgoRollout);
    state.releases.get_mut(&key).expect("cart").phase = Phase::Progressing;
    let retry = key_for(&state, Operation::Retry);
    let effects = update(&mut state, Msg::Key(retry));
    assert!(effects.is_empty() && state.overlay.is_none(), "{effects:?}");
    assert!(
        status_text(&state).contains("not aborted: nothing to retry"),
        "{}",
        status_text(&state)
    );

    state.releases.get_mut(&key).expect("cart").phase = Phase::Aborted;
    for op in [Operation::Promote, Operation::SetWeight] {
        state.status = None;
        let pressed = key_for(&state, op);
        let effects = update(&mut state, Msg::Key(pressed));
        assert!(effects.is_empty(), "{op:?}: {effects:?}");
        assert!(
            state.overlay.is_none() && state.weight_input.is_none(),
            "{op:?} asked"
        );
        let status = status_text(&state);
        assert!(
            status.contains(&format!("cannot {} rollout/cart", op.verb()))
                && status.contains("aborted: retry first"),
            "{status}"
        );
    }
    // Retry is what it needs: that one goes on to its confirmation.
    state.status = None;
    update(&mut state, Msg::Key(retry));
    assert!(
        matches!(state.overlay, Some(Overlay::Confirm(_))),
        "{}",
        status_text(&state)
    );
}

/// A blue-green Rollout has no canary weight: `w` says so at once, with no prompt.
#[test]
fn set_weight_on_a_blue_green_rollout_is_refused_before_any_prompt() {
    let (_, mut state) = demo_state();
    state.settings.production_pattern = "no-context-is-production".into();
    select(&mut state, "search-api");
    let r = state.focused().expect("search-api");
    assert_eq!(
        (r.key.kind, r.strategy),
        (Kind::ArgoRollout, ripcord::model::Strategy::BlueGreen)
    );
    let effects = press(&mut state, 'w');
    assert!(effects.is_empty(), "{effects:?}");
    assert!(state.weight_input.is_none(), "a prompt that cannot succeed");
    let status = status_text(&state);
    assert!(
        status.contains("cannot set-weight rollout/search-api")
            && status.contains("blue-green Rollout has no canary weight"),
        "{status}"
    );
}

/// The confirmation says what the operation does to this kind: a blue-green preview is not
/// a canary, and Flagger acts through its gates at its own next check.
#[test]
fn confirmations_say_what_each_kind_does() {
    let (_, mut state) = demo_state();
    state.settings.production_pattern = "no-context-is-production".into();
    let confirm = |state: &mut State, name: &str, op: Operation| {
        state.overlay = None;
        state.status = None;
        select(state, name);
        let pressed = key_for(state, op);
        update(state, Msg::Key(pressed));
        assert!(
            matches!(state.overlay, Some(Overlay::Confirm(_))),
            "{name} {op:?}: {:?}",
            state.status
        );
        let shown = screen_at(state, 120, 40).join(" ");
        // Words wrapped inside the box, read as one text.
        let text = shown
            .replace('│', " ")
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        press_code(state, KeyCode::Esc);
        text
    };
    let abort = confirm(&mut state, "search-api", Operation::Abort);
    assert!(
        abort.contains("the active keeps serving") && !abort.contains("scale the canary"),
        "{abort}"
    );
    let full = confirm(&mut state, "search-api", Operation::PromoteFull);
    assert!(
        full.contains("the preview becomes active") && !full.contains("canary becomes stable"),
        "{full}"
    );
    let promote = confirm(&mut state, "podinfo", Operation::PromoteFull);
    assert!(promote.contains("spec.skipAnalysis"), "{promote}");
    let abort = confirm(&mut state, "podinfo", Operation::Abort);
    assert!(
        abort.contains("rolls back at its next check") && abort.contains("only while"),
        "{abort}"
    );
    // The canary Argo rollout keeps the canary's words.
    let abort = confirm(&mut state, "cart", Operation::Abort);
    assert!(abort.contains("scale the canary down"), "{abort}");
}

/// Flagger's promote asks first only in production: there it says the promotion is
/// approved in advance.
#[test]
fn a_flagger_promote_in_production_says_it_approves_in_advance() {
    let (_, mut state) = demo_state();
    state.settings.production_pattern = "*".into();
    select(&mut state, "podinfo");
    let pressed = key_for(&state, Operation::Promote);
    update(&mut state, Msg::Key(pressed));
    assert!(
        matches!(state.overlay, Some(Overlay::Confirm(_))),
        "{:?}",
        state.status
    );
    let shown = screen_at(&mut state, 120, 40).join(" ").replace('│', " ");
    let shown = shown.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(shown.contains("approved in advance"), "{shown}");
}

/// A refusal because an action is in flight stays readable when that action's answer
/// comes a moment later: the answer's line keeps it beside its own.
#[test]
fn an_in_flight_refusal_stays_beside_the_answer_that_follows() {
    let (_, mut state) = demo_state();
    state.settings.production_pattern = "no-context-is-production".into();
    select(&mut state, "cart");
    press(&mut state, 'a');
    drawn(&mut state);
    let effects = press(&mut state, 'y');
    let [Effect::Execute(abort)] = effects.as_slice() else {
        panic!("abort did not run: {effects:?}");
    };
    let abort = abort.clone();
    press(&mut state, 'p');
    assert!(status_text(&state).contains("abort is still running on it"));
    let done = |request| {
        Msg::ActionDone(ripcord::model::ops::ActionOutcome {
            request,
            result: Ok("aborted".into()),
            revision_before: None,
            revision_after: None,
        })
    };
    update(&mut state, done(abort.clone()));
    let status = status_text(&state);
    assert!(
        status.starts_with("✖ promote was refused while abort ran")
            && status.contains("✔ abort rollout/cart: aborted"),
        "{status}"
    );
    // Said once: a later answer, with no refusal on screen, is just its own line.
    press(&mut state, 'a');
    drawn(&mut state);
    let effects = press(&mut state, 'y');
    assert!(!effects.is_empty(), "{:?}", state.status);
    update(&mut state, done(abort));
    let status = status_text(&state);
    assert!(!status.contains("refused"), "{status}");
}

#[test]
fn a_canary_not_judged_yet_ranks_by_its_phase_not_with_the_failing() {
    use ripcord::analysis::score::Verdict;
    let (_, mut state) = demo_state();
    let key = state
        .rows
        .iter()
        .find(|k| k.name == "cart")
        .cloned()
        .expect("cart");
    for verdict in [Verdict::NoDataYet, Verdict::FewSamples] {
        judged(
            &mut state,
            &key,
            report(
                verdict,
                &["no canary and baseline data yet: nothing to judge"],
            ),
        );
        let a = attention(&state, &state.releases[&key]);
        assert_eq!(a.rank, Rank::Waiting, "{verdict:?}: {a:?}");
        assert!(!a.from_ripcord, "{verdict:?}: {a:?}");
    }
}

/// A Flagger Canary with no analysis running refuses promote, abort and rollback at once,
/// before any confirmation: its gates would act on the next release.
#[test]
fn a_flagger_gate_action_without_an_analysis_is_refused_before_any_dialog() {
    let (_, mut state) = demo_state();
    state.settings.production_pattern = "*".into();
    select(&mut state, "podinfo");
    let key = state.focused().expect("podinfo").key.clone();
    for phase in ["Succeeded", "Failed", "Initializing"] {
        state
            .releases
            .get_mut(&key)
            .and_then(|r| r.flagger.as_mut())
            .expect("flagger detail")
            .phase = phase.into();
        for op in [Operation::Promote, Operation::Abort, Operation::Rollback] {
            state.overlay = None;
            state.status = None;
            let pressed = key_for(&state, op);
            let effects = update(&mut state, Msg::Key(pressed));
            assert!(effects.is_empty(), "{phase} {op:?}: {effects:?}");
            assert!(state.overlay.is_none(), "{phase} {op:?}: a dialog opened");
            let status = status_text(&state);
            assert!(
                status.contains(&format!("cannot {} canary/podinfo", op.verb()))
                    && status.contains(&format!("no analysis running (phase {phase})")),
                "{phase} {op:?}: {status}"
            );
        }
    }
    // While it analyses, the dialog opens as before.
    for phase in ["Progressing", "WaitingPromotion"] {
        state
            .releases
            .get_mut(&key)
            .and_then(|r| r.flagger.as_mut())
            .expect("flagger detail")
            .phase = phase.into();
        state.overlay = None;
        let pressed = key_for(&state, Operation::Abort);
        update(&mut state, Msg::Key(pressed));
        assert!(
            matches!(state.overlay, Some(Overlay::Confirm(_))),
            "{phase}: {:?}",
            state.status
        );
    }
}

/// The in-flight refusal and the answer that follows it, cut at any width, read as the
/// refusal whole, then the answer: the answer's words never land inside the refusal.
#[test]
fn an_in_flight_refusal_and_its_answer_read_in_order_at_any_width() {
    let (_, mut state) = demo_state();
    state.settings.production_pattern = "no-context-is-production".into();
    select(&mut state, "cart");
    press(&mut state, 'a');
    drawn(&mut state);
    let effects = press(&mut state, 'y');
    let [Effect::Execute(abort)] = effects.as_slice() else {
        panic!("abort did not run: {effects:?}");
    };
    let abort = abort.clone();
    press(&mut state, 'p');
    update(
        &mut state,
        Msg::ActionDone(ripcord::model::ops::ActionOutcome {
            request: abort,
            result: Ok("aborted: traffic back on stable".into()),
            revision_before: None,
            revision_after: None,
        }),
    );
    let refusal = "✖ promote was refused while abort ran, ask again";
    let answer = "✔ abort rollout/cart";
    let screen = screen_at(&mut state, 80, 24);
    let line = screen
        .iter()
        .find(|l| l.contains("refused"))
        .unwrap_or_else(|| panic!("no refusal on screen: {screen:?}"));
    let line = line.trim_start_matches('"').trim_start();
    assert!(line.starts_with(refusal), "{line}");
    assert!(
        line[refusal.len()..]
            .trim_start_matches(" · ")
            .starts_with(answer),
        "{line}"
    );
    let text = status_text(&state);
    for width in 20..=120u16 {
        let shown = ripcord::ui::short_status(&text, width);
        let shown = shown.trim_end_matches(['…', ' ', '·']);
        // What shows is a beginning of the refusal, or all of it and then the answer.
        assert!(
            refusal.starts_with(shown)
                || (shown.starts_with(refusal)
                    && (answer.starts_with(shown[refusal.len()..].trim_start_matches(" · "))
                        || shown[refusal.len()..]
                            .trim_start_matches(" · ")
                            .starts_with(answer))),
            "{width}: {shown}"
        );
    }
}

/// What ripcord puts back or closes by itself on a live cluster reaches the status line.
#[test]
fn a_settled_flagger_gate_or_skip_is_said_on_the_status_line() {
    let (_, mut state) = demo_state();
    let text = "closed the load tester gate ripcord opened for canary 'podinfo' (phase Succeeded)";
    update(&mut state, Msg::Settled(text.into()));
    assert_eq!(status_text(&state), format!("ripcord: {text}"));
}

/// A Canary already waiting at its confirm-promotion gate is not approved in advance: the
/// confirmation says the promote approves the waiting promotion.
#[test]
fn a_flagger_promote_at_the_gate_says_it_approves_the_waiting_promotion() {
    let (_, mut state) = demo_state();
    state.settings.production_pattern = "*".into();
    select(&mut state, "podinfo");
    let key = state.focused().expect("podinfo").key.clone();
    let shown_at = |state: &mut State, phase: &str| {
        state
            .releases
            .get_mut(&key)
            .and_then(|r| r.flagger.as_mut())
            .expect("flagger detail")
            .phase = phase.into();
        state.overlay = None;
        let pressed = key_for(state, Operation::Promote);
        update(state, Msg::Key(pressed));
        assert!(
            matches!(state.overlay, Some(Overlay::Confirm(_))),
            "{phase}: {:?}",
            state.status
        );
        let shown = screen_at(state, 120, 40).join(" ").replace('│', " ");
        shown.split_whitespace().collect::<Vec<_>>().join(" ")
    };
    let waiting = shown_at(&mut state, "WaitingPromotion");
    assert!(
        waiting.contains("approves the waiting promotion") && !waiting.contains("in advance"),
        "{waiting}"
    );
    let analysing = shown_at(&mut state, "Progressing");
    assert!(
        analysing.contains("approved in advance") && !analysing.contains("waiting promotion"),
        "{analysing}"
    );
}

/// On a blue-green Rollout `w` says it has no weight steps, not to promote or abort a
/// Rollout that may have nothing to promote or abort.
#[test]
fn set_weight_on_a_blue_green_rollout_says_it_has_no_weight_steps() {
    let (_, mut state) = demo_state();
    select(&mut state, "search-api");
    press(&mut state, 'w');
    let status = status_text(&state);
    assert!(
        status.contains("no weight steps") && !status.contains("promote or abort"),
        "{status}"
    );
}
