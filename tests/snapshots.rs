//! Whole-screen renders of the demo world at a fixed virtual time, at 60x16, 80x24 and 160x48.

mod common;

use common::demo::*;
use crossterm::event::KeyCode;
use ratatui::backend::TestBackend;
use ratatui::style::Color;
use ratatui::Terminal;
use ripcord::app::State;
use ripcord::config::theme::{Slot, Theme};

fn draw(state: &mut State, width: u16, height: u16, theme: &Theme) -> Terminal<TestBackend> {
    ripcord::app::update(state, ripcord::app::Msg::Resize { width, height });
    let mut terminal = Terminal::new(TestBackend::new(width, height)).expect("test terminal");
    terminal
        .draw(|f| ripcord::ui::render(f, state, theme))
        .expect("draw");
    terminal
}

fn home(width: u16, height: u16) -> Terminal<TestBackend> {
    let (_, mut state) = demo_state();
    draw(&mut state, width, height, &Theme::default())
}

fn detail(width: u16, height: u16) -> Terminal<TestBackend> {
    let (_, mut state) = demo_state();
    select(&mut state, "checkout");
    press_code(&mut state, KeyCode::Enter);
    draw(&mut state, width, height, &Theme::default())
}

fn help(width: u16, height: u16) -> Terminal<TestBackend> {
    let (_, mut state) = demo_state();
    press(&mut state, '?');
    draw(&mut state, width, height, &Theme::default())
}

#[test]
fn home_80x24() {
    insta::assert_snapshot!(home(80, 24).backend());
}

#[test]
fn home_160x48() {
    insta::assert_snapshot!(home(160, 48).backend());
}

#[test]
fn detail_80x24() {
    insta::assert_snapshot!(detail(80, 24).backend());
}

#[test]
fn detail_160x48() {
    insta::assert_snapshot!(detail(160, 48).backend());
}

#[test]
fn home_60x16() {
    insta::assert_snapshot!(home(60, 16).backend());
}

#[test]
fn detail_60x16() {
    insta::assert_snapshot!(detail(60, 16).backend());
}

#[test]
fn help_80x24() {
    insta::assert_snapshot!(help(80, 24).backend());
}

#[test]
fn help_160x48() {
    insta::assert_snapshot!(help(160, 48).backend());
}

#[test]
fn confirm_in_production_80x24() {
    let (_, mut state) = demo_state();
    select(&mut state, "checkout");
    press(&mut state, 'a');
    type_text(&mut state, "checkout");
    insta::assert_snapshot!(draw(&mut state, 80, 24, &Theme::default()).backend());
}

/// Finds the cell where `text` starts on screen.
fn find(terminal: &Terminal<TestBackend>, text: &str) -> Option<(u16, u16)> {
    let buffer = terminal.backend().buffer();
    let area = buffer.area;
    (0..area.height).find_map(|y| {
        let line: String = (0..area.width)
            .map(|x| buffer[(x, y)].symbol().to_owned())
            .collect();
        line.find(text)
            .map(|byte| (line[..byte].chars().count() as u16, y))
    })
}

#[test]
fn status_colours_come_from_the_theme_and_always_come_with_words() {
    let theme = Theme::default();
    let terminal = home(80, 24);
    let (x, y) = find(&terminal, "✖ Degraded").expect("a degraded release is on screen");
    let cell = &terminal.backend().buffer()[(x, y)];
    assert_eq!(
        Some(cell.fg),
        theme.style(Slot::Degraded).fg,
        "degraded uses its slot colour"
    );
    assert!(find(&terminal, "✔ Healthy").is_some());
}

#[test]
fn mono_draws_no_colour_at_all() {
    let (_, mut state) = demo_state();
    let terminal = draw(&mut state, 80, 24, &Theme::mono());
    let buffer = terminal.backend().buffer();
    for cell in buffer.content() {
        assert!(
            matches!(cell.fg, Color::Reset),
            "mono drew fg {:?}",
            cell.fg
        );
        assert!(
            matches!(cell.bg, Color::Reset),
            "mono drew bg {:?}",
            cell.bg
        );
    }
    assert!(
        find(&terminal, "◉ Waiting").is_some(),
        "status is still in words"
    );
}

#[test]
fn a_tiny_terminal_says_so_instead_of_drawing() {
    let (_, mut state) = demo_state();
    let terminal = draw(&mut state, 30, 8, &Theme::default());
    assert!(find(&terminal, "terminal too small").is_some());
}

#[test]
fn keys_the_focused_release_cannot_use_are_absent_or_struck_out_in_the_hints() {
    use ratatui::style::Modifier;
    use ripcord::model::ops::Operation;
    let (_, mut state) = demo_state();
    select(&mut state, "ledger"); // a plain Deployment: no promote, no abort
    let key = state.selected_key().cloned().expect("selected");
    ripcord::app::update(
        &mut state,
        ripcord::app::Msg::Permission {
            key,
            op: Operation::Rollback,
            permission: ripcord::model::Permission::Denied("not allowed to patch".into()),
        },
    );
    let terminal = draw(&mut state, 100, 30, &Theme::default());
    // What the actuator cannot do is not offered at all.
    assert!(
        find(&terminal, "p promote").is_none(),
        "promote on a Deployment"
    );
    assert!(
        find(&terminal, "a abort").is_none(),
        "abort on a Deployment"
    );
    // What it can do but the user may not is shown, struck out.
    let (x, y) = find(&terminal, "u rollback").expect("the rollback hint");
    let cell = &terminal.backend().buffer()[(x, y)];
    assert!(
        cell.modifier.contains(Modifier::CROSSED_OUT),
        "a denied rollback should be struck out"
    );
    let (x, y) = find(&terminal, "z pause").expect("the pause hint");
    let cell = &terminal.backend().buffer()[(x, y)];
    assert!(
        !cell.modifier.contains(Modifier::CROSSED_OUT),
        "pause works on a Deployment"
    );
}

/// The screen as lines of text.
fn lines(terminal: &Terminal<TestBackend>) -> Vec<String> {
    buffer_lines(terminal.backend().buffer())
}

/// The screen line that holds `text`.
fn line_with(terminal: &Terminal<TestBackend>, text: &str) -> String {
    lines(terminal)
        .into_iter()
        .find(|l| l.contains(text))
        .unwrap_or_else(|| panic!("`{text}` is not on screen:\n{}", lines(terminal).join("\n")))
}

#[test]
fn at_80x24_a_cut_name_keeps_its_warning_and_nothing_is_cut_before_context() {
    let t = home(80, 24);
    let row = line_with(&t, "payments-api");
    assert!(row.contains("payments-api ⚠"), "{row}");
    assert!(line_with(&t, "checkout").contains("checkout ⚠"));
    assert!(
        find(&t, "staging-us").is_some(),
        "context whole at 80 columns"
    );
    // Narrower still, the name is cut before its marker is.
    let (_, mut state) = demo_state();
    let t = draw(&mut state, 60, 16, &Theme::default());
    assert!(line_with(&t, "payments").contains('⚠'));
}

#[test]
fn at_60x16_every_phase_is_still_a_word() {
    let t = home(60, 16);
    for word in ["Waiting", "Degraded", "Paused", "Progres", "Healthy"] {
        assert!(find(&t, word).is_some(), "{word} at 60x16");
    }
    for word in ["rc✖", "20%"] {
        assert!(find(&t, word).is_some(), "{word} at 60x16");
    }
}

#[test]
fn at_119_columns_context_is_whole_and_at_120_the_message_has_room() {
    let t = home(119, 30);
    assert!(find(&t, "staging-us ").is_some(), "context cut at 119");
    assert!(find(&t, "MESSAGE").is_some(), "a message column at 119");
    // The widest name carries a findings and a flags badge ("payments-api ⚠6 ⚑1").
    let t = home(120, 30);
    assert!(
        find(&t, "successfully rol").is_some(),
        "message too narrow at 120:\n{}",
        lines(&t).join("\n")
    );
}

#[test]
fn shared_context_and_namespace_go_to_a_line_above_the_table() {
    let (_, mut state) = demo_state();
    press(&mut state, 'c'); // first context only
    press(&mut state, 'n'); // first namespace only
    let t = draw(&mut state, 80, 24, &Theme::default());
    let header = line_with(&t, "NAME");
    assert!(
        !header.contains("CONTEXT") && !header.contains("NAMESPACE"),
        "{header}"
    );
    let ctx = state.context_filter.clone().expect("a context");
    let ns = state.namespace_filter.clone().expect("a namespace");
    assert!(line_with(&t, &format!("context {ctx}")).contains(&format!("namespace {ns}")));
    // With the line above, the last row selected on a short screen is still drawn.
    let (_, mut state) = demo_state();
    let template = state.releases.values().next().cloned().expect("a release");
    state.releases.clear();
    for i in 0..18 {
        let mut r = template.clone();
        r.key.name = format!("svc-{i:02}");
        state.releases.insert(r.key.clone(), r);
    }
    state.rows = state.releases.keys().cloned().collect();
    state.height = 16;
    press(&mut state, 'G');
    let last = state.selected_key().expect("a selection").name.clone();
    let t = draw(&mut state, 80, 16, &Theme::default());
    assert!(find(&t, &last).is_some(), "{}", lines(&t).join("\n"));
}

fn open(name: &str, width: u16, height: u16) -> (State, Terminal<TestBackend>) {
    let (_, mut state) = demo_state();
    select(&mut state, name);
    press_code(&mut state, KeyCode::Enter);
    let t = draw(&mut state, width, height, &Theme::default());
    (state, t)
}

#[test]
fn the_critical_finding_is_visible_on_every_tab_at_80x24_and_60x16() {
    for (width, height) in [(80, 24), (60, 16)] {
        let (mut state, _) = open("payments-api", width, height);
        // A full summary (verdict, reason, long message) does not push it off either.
        for r in state.releases.values_mut() {
            r.verdict = Some(ripcord::model::Verdict::Fail);
            r.verdict_reason = "error rate above threshold in 3 of 5 runs".repeat(2);
            r.message = "canary serving 20% of ready pods: promote or abort".repeat(2);
        }
        for key in ['1', '2', '3', '4', '5', '6'] {
            press(&mut state, key);
            let t = frame(&mut state, width, height);
            assert!(
                find(&t, "AWS_ACCESS_KEY_ID").is_some(),
                "{width}x{height} tab {key}:\n{}",
                lines(&t).join("\n")
            );
        }
    }
}

/// Draws as the loop does: the frame, then `Msg::Drawn` with how much each view showed.
fn frame(state: &mut State, width: u16, height: u16) -> Terminal<TestBackend> {
    ripcord::app::update(state, ripcord::app::Msg::Resize { width, height });
    let mut terminal = Terminal::new(TestBackend::new(width, height)).expect("test terminal");
    let mut extents = ripcord::app::Extents::default();
    terminal
        .draw(|f| extents = ripcord::ui::render_measured(f, state, &Theme::default()))
        .expect("draw");
    ripcord::app::update(
        state,
        ripcord::app::Msg::Drawn {
            width,
            height,
            extents,
        },
    );
    terminal
}

/// `name`'s detail view at 80x24 on the tab the key `key` shows.
fn tab(name: &str, key: char) -> Terminal<TestBackend> {
    tab_at(name, key, 80, 24)
}

fn tab_at(name: &str, key: char, width: u16, height: u16) -> Terminal<TestBackend> {
    let (_, mut state) = demo_state();
    select(&mut state, name);
    press_code(&mut state, KeyCode::Enter);
    press(&mut state, key);
    frame(&mut state, width, height)
}

#[test]
fn detail_tab_analysis_60x16() {
    insta::assert_snapshot!(tab_at("checkout", '3', 60, 16).backend());
}

#[test]
fn detail_tab_security_60x16() {
    insta::assert_snapshot!(tab_at("payments-api", '5', 60, 16).backend());
}

#[test]
fn detail_tab_steps_80x24() {
    insta::assert_snapshot!(tab("checkout", '2').backend());
}

#[test]
fn detail_tab_analysis_80x24() {
    insta::assert_snapshot!(tab("checkout", '3').backend());
}

#[test]
fn detail_tab_flags_80x24() {
    insta::assert_snapshot!(tab("checkout", '4').backend());
}

#[test]
fn detail_tab_security_80x24() {
    insta::assert_snapshot!(tab("payments-api", '5').backend());
}

#[test]
fn detail_tab_events_80x24() {
    insta::assert_snapshot!(tab("checkout", '6').backend());
}

/// A copy of checkout under a new name: no side source has reported on it, no verdict,
/// and `events` copies of its last event.
fn copy_of_checkout(state: &mut State, name: &str, events: usize) {
    let mut r = state
        .releases
        .values()
        .find(|r| r.key.name == "checkout")
        .cloned()
        .expect("checkout in the demo");
    r.key.name = name.to_owned();
    r.verdict = None;
    r.verdict_reason.clear();
    if let Some(argo) = r.argo.as_mut() {
        argo.analysis_runs.clear();
    }
    let event = r.events.last().cloned().expect("checkout has an event");
    r.events = vec![event; events];
    state.releases.insert(r.key.clone(), r);
    ripcord::app::update::rebuild_rows(state);
}

#[test]
fn tabs_with_nothing_yet_say_so() {
    for (key, says) in [
        // ripcord judges a canary in flight: until its first judgement, the tab says so.
        ('3', "ripcord: judging the canary against its baseline"),
        ('4', "no feature flags known for this release"),
        ('5', "no security findings for this release"),
        ('6', "no events seen for this release"),
    ] {
        let (_, mut state) = demo_state();
        copy_of_checkout(&mut state, "bare", 0);
        select(&mut state, "bare");
        press_code(&mut state, KeyCode::Enter);
        press(&mut state, key);
        let t = frame(&mut state, 80, 24);
        assert!(find(&t, says).is_some(), "{}", lines(&t).join("\n"));
    }
}

#[test]
fn tab_and_number_keys_switch_tabs_and_the_bar_marks_the_shown_one() {
    let (_, mut state) = demo_state();
    select(&mut state, "checkout");
    press_code(&mut state, KeyCode::Enter);
    assert_eq!(state.tab, ripcord::app::Tab::Overview);
    press_code(&mut state, KeyCode::Tab);
    assert_eq!(state.tab, ripcord::app::Tab::Steps);
    let t = frame(&mut state, 80, 24);
    assert!(find(&t, "▸2 steps").is_some(), "{}", lines(&t).join("\n"));
    press_code(&mut state, KeyCode::BackTab);
    press_code(&mut state, KeyCode::BackTab);
    assert_eq!(
        state.tab,
        ripcord::app::Tab::Events,
        "Shift-Tab wraps around"
    );
    press(&mut state, '3');
    assert_eq!(state.tab, ripcord::app::Tab::Analysis);
    let t = frame(&mut state, 80, 24);
    assert!(find(&t, "▸3 analysis").is_some());
    assert!(find(&t, "▸1 overview").is_none());
}

#[test]
fn every_tab_scrolls_within_what_was_drawn_and_says_where_it_is() {
    let (_, mut state) = demo_state();
    copy_of_checkout(&mut state, "busy", 30);
    select(&mut state, "busy");
    press_code(&mut state, KeyCode::Enter);
    frame(&mut state, 60, 16);
    // The events tab holds more than fits at 60x16.
    press(&mut state, '6');
    let t = frame(&mut state, 60, 16);
    let (tab, extent) = state.drawn.tab.expect("the detail view reported its tab");
    assert_eq!(tab, ripcord::app::Tab::Events);
    let last = extent.max_scroll();
    assert!(last > 0, "overflows: {}", lines(&t).join("\n"));
    assert!(find(&t, "↓1-").is_some(), "{}", lines(&t).join("\n"));
    let cursor = state.revision_cursor;
    for _ in 0..last + 5 {
        press(&mut state, 'j');
    }
    assert_eq!(state.tab_scroll[tab.index()], last, "stops at the end");
    press(&mut state, 'k');
    assert_eq!(state.tab_scroll[tab.index()], last - 1, "k answers at once");
    press(&mut state, 'G');
    assert_eq!(state.tab_scroll[tab.index()], last);
    let t = frame(&mut state, 60, 16);
    assert!(
        find(&t, "↑").is_some(),
        "more is above: {}",
        lines(&t).join("\n")
    );
    press(&mut state, 'g');
    press(&mut state, 'g');
    assert_eq!(state.tab_scroll[tab.index()], 0);
    assert_eq!(
        state.revision_cursor, cursor,
        "the revision cursor did not move"
    );
    // A scroll left past the end by a larger screen is brought back by the next frame.
    state.tab_scroll[tab.index()] = 99;
    frame(&mut state, 160, 48);
    assert!(state.tab_scroll[tab.index()] <= last);
    // On the overview, j still moves the revision cursor (the rollback target).
    press(&mut state, '1');
    press(&mut state, 'j');
    assert_eq!(state.revision_cursor, cursor + 1);
}

#[test]
fn read_only_never_offers_a_rollback_in_the_detail_title() {
    let (_, mut state) = demo_state_with(true);
    select(&mut state, "checkout");
    press_code(&mut state, KeyCode::Enter);
    let t = draw(&mut state, 80, 24, &Theme::default());
    assert!(find(&t, "Revisions").is_some());
    assert!(find(&t, "roll back").is_none(), "{}", lines(&t).join("\n"));
    let (_, t) = open("checkout", 80, 24);
    assert!(find(&t, "u: roll back").is_some());
}

#[test]
fn a_read_only_context_loses_its_action_keys_and_says_so_in_the_header() {
    let (_, mut state) = demo_state();
    state
        .settings
        .contexts
        .entry("staging-us".into())
        .or_default()
        .read_only = true;
    select(&mut state, "ledger");
    let t = draw(&mut state, 100, 30, &Theme::default());
    let hints = lines(&t).pop().expect("a hint line");
    for gone in ["pause", "abort", "rollback", "promote"] {
        assert!(!hints.contains(gone), "{gone} still in `{hints}`");
    }
    assert!(hints.contains("help"), "{hints}");
    assert!(line_with(&t, "staging-us ●").contains("staging-us ● synced read-only"));
    let help = ripcord::ui::help_text(&state, &Theme::default()).join("\n");
    assert!(!help.contains("Roll back"), "{help}");
    assert!(help.contains("staging-us is read-only"), "{help}");
    // The detail title offers no rollback there either.
    press_code(&mut state, KeyCode::Enter);
    let t = draw(&mut state, 100, 30, &Theme::default());
    assert!(find(&t, "roll back").is_none());
}

#[test]
fn each_kind_uses_its_own_words_and_wt_means_one_thing() {
    let (_, t) = open("frontend", 80, 24);
    assert!(find(&t, "base 3/3").is_some(), "{}", lines(&t).join("\n"));
    assert!(find(&t, "update 5/10").is_some());
    let summary = line_with(&t, "update 5/10");
    assert!(
        !summary.contains("canary") && !summary.contains("stable"),
        "{summary}"
    );
    let (_, t) = open("search-api", 80, 24);
    assert!(find(&t, "active 3/3").is_some(), "{}", lines(&t).join("\n"));
    assert!(find(&t, "preview 3/3").is_some());
    let (_, t) = open("checkout", 80, 24);
    assert!(find(&t, "stable 3/3").is_some());
    // Healthy releases have no share in flight: `-` for every kind, whatever the model holds.
    let (_, mut state) = demo_state();
    for r in state.releases.values_mut() {
        if r.key.name == "ledger" || r.key.name == "gateway" {
            r.weight = Some(100);
        }
    }
    let t = draw(&mut state, 160, 48, &Theme::default());
    for name in ["ledger", "gateway"] {
        let row = line_with(&t, name);
        let after: Vec<&str> = row
            .split("Healthy")
            .nth(1)
            .unwrap_or("")
            .split_whitespace()
            .collect();
        assert_eq!(after.get(1), Some(&"-"), "WT in {row}");
    }
    assert!(
        line_with(&t, "cart").contains("25%"),
        "in flight, the share shows"
    );
}

fn empty_state() -> State {
    live_state_at(chrono::Utc::now())
}

fn connect(state: &mut State, name: &str, conn: ripcord::model::ConnState) {
    state.clusters.insert(
        name.into(),
        ripcord::app::ClusterState {
            cache: Default::default(),
            conn,
        },
    );
}

#[test]
fn an_empty_queue_says_why() {
    use ripcord::model::ConnState;
    let mut state = empty_state();
    connect(&mut state, "kind-a", ConnState::Connecting);
    let t = draw(&mut state, 80, 24, &Theme::default());
    assert!(find(&t, "waiting for kind-a to sync").is_some());

    let mut state = empty_state();
    connect(&mut state, "kind-a", ConnState::Synced);
    state.namespace_filter = Some("shop".into());
    let t = draw(&mut state, 80, 24, &Theme::default());
    assert!(find(&t, "waiting").is_none(), "{}", lines(&t).join("\n"));
    assert!(find(&t, "no releases in any context, namespace shop").is_some());
    assert!(
        find(&t, "ns:shop").is_some(),
        "the header names the namespace"
    );

    let mut state = empty_state();
    connect(
        &mut state,
        "kind-a",
        ConnState::Denied("cannot list rollouts".into()),
    );
    connect(
        &mut state,
        "kind-b",
        ConnState::Reconnecting("connection refused".into()),
    );
    let t = draw(&mut state, 100, 24, &Theme::default());
    assert!(find(&t, "waiting").is_none(), "{}", lines(&t).join("\n"));
    let body = line_with(&t, "no releases:");
    assert!(
        body.contains("kind-a denied: cannot list rollouts"),
        "{body}"
    );
    assert!(
        body.contains("kind-b reconnecting: connection refused"),
        "{body}"
    );
}

/// Every character drawn, in every built-in theme, on the screens people read: the queue
/// with each phase selected in turn, the detail, help and a confirmation.
#[test]
fn every_drawn_character_meets_wcag_aa_contrast_in_every_builtin_theme() {
    use ratatui::style::Modifier;
    use ripcord::config::theme::{contrast, rgb, terminals, THEME_NAMES};
    let mut failures = Vec::new();
    for name in THEME_NAMES {
        let theme = Theme::by_name(name).expect("built in");
        let mut screens = Vec::new();
        let (_, mut state) = demo_state();
        for i in 0..state.rows.len() {
            state.selected = i;
            screens.push((format!("home row {i}"), draw(&mut state, 100, 24, &theme)));
        }
        for r in ["checkout", "recommender", "payments-api"] {
            let (_, mut state) = demo_state();
            select(&mut state, r);
            press_code(&mut state, KeyCode::Enter);
            screens.push((format!("detail {r}"), draw(&mut state, 100, 30, &theme)));
        }
        let (_, mut state) = demo_state();
        press(&mut state, '?');
        screens.push(("help".into(), draw(&mut state, 80, 24, &theme)));
        let (_, mut state) = demo_state();
        select(&mut state, "checkout");
        press(&mut state, 'a');
        screens.push(("confirm".into(), draw(&mut state, 80, 24, &theme)));
        for (screen, terminal) in &screens {
            for term in terminals(name) {
                let buffer = terminal.backend().buffer();
                for y in 0..buffer.area.height {
                    for x in 0..buffer.area.width {
                        let cell = &buffer[(x, y)];
                        let symbol = cell.symbol();
                        // Blanks and box-drawing lines are not text.
                        if symbol.trim().is_empty()
                            || symbol
                                .chars()
                                .all(|c| ('\u{2500}'..='\u{257f}').contains(&c))
                        {
                            continue;
                        }
                        let (mut fg, mut bg) =
                            (rgb(Some(cell.fg), term.0), rgb(Some(cell.bg), term.1));
                        if cell.modifier.contains(Modifier::REVERSED) {
                            std::mem::swap(&mut fg, &mut bg);
                        }
                        let ratio = contrast(fg, bg);
                        if ratio < 4.5 {
                            failures.push(format!(
                                "{name} {screen} ({x},{y}) `{symbol}` {fg:?} on {bg:?}: {ratio:.2}"
                            ));
                        }
                    }
                }
            }
        }
    }
    failures.dedup_by(|a, b| a.split(" (").next() == b.split(" (").next());
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn a_verdict_reason_is_never_cut_at_80x24() {
    let (_, mut state) = demo_state();
    let reason = "error-rate 10.3% > 5% on the canary for 3 consecutive measurements";
    // The controller's verdict shows where ripcord has not judged.
    state.analyses.clear();
    for r in state.releases.values_mut() {
        if r.key.name == "checkout" {
            r.verdict = Some(ripcord::model::Verdict::Fail);
            r.verdict_reason = reason.into();
        }
    }
    select(&mut state, "checkout");
    press_code(&mut state, KeyCode::Enter);
    let t = draw(&mut state, 80, 24, &Theme::default());
    let text: Vec<String> = lines(&t).iter().map(|l| l.trim_end().to_owned()).collect();
    assert!(text.join(" ").contains(reason), "{}", lines(&t).join("\n"));
}

#[test]
fn the_replica_column_uses_the_kind_words_when_every_row_shares_them() {
    let (_, mut state) = demo_state();
    state
        .rows
        .retain(|k| k.kind == ripcord::model::Kind::Deployment);
    state.selected = 0;
    // Rolling and rolled-out Deployments share their words: the base side holds the old
    // pods during a rollout and every pod after it, the update side what is rolled in.
    let t = draw(&mut state, 160, 48, &Theme::default());
    assert!(
        find(&t, "BASE UPDATE").is_some(),
        "{}",
        lines(&t).join("\n")
    );
    let rows = state.rows.clone();
    let rolling = |k: &ripcord::model::ReleaseKey| state.releases[k].weight.is_some();
    let (in_flight, done): (Vec<_>, Vec<_>) = rows.into_iter().partition(|k| rolling(k));
    assert!(!in_flight.is_empty() && !done.is_empty());
    // At 80 columns too, one release at a time, each state with the same words.
    for rows in [in_flight, done] {
        state.rows = rows[..1].to_vec();
        state.selected = 0;
        let t = draw(&mut state, 80, 24, &Theme::default());
        assert!(
            find(&t, "BASE UPDATE").is_some(),
            "{}",
            lines(&t).join("\n")
        );
        assert!(
            find(&t, "OLD").is_none() && find(&t, "NEW").is_none(),
            "{}",
            lines(&t).join("\n")
        );
    }
    // Mixed kinds: words that fit every side, what serves now and what is rolled out;
    // at 80 columns their initials over `3·2`.
    let t = home(160, 48);
    assert!(find(&t, "LIVE NEW").is_some() && find(&t, "STABLE CANARY").is_none());
    assert!(find(&t, "READY").is_none());
    let t = home(80, 24);
    assert!(find(&t, "L·N").is_some() && find(&t, "RDY").is_none());
}

#[test]
fn columns_hold_still_while_ages_grow() {
    // A minute on, ages cross "119s" and "2m": the age column keeps its width, so the table
    // does not shift (and is not redrawn whole) every time an age gains or loses a digit.
    let (_, mut state) = demo_state();
    let before = draw(&mut state, 160, 48, &Theme::default());
    let message_at = |t: &Terminal<TestBackend>| find(t, "MESSAGE").map(|(x, _)| x);
    let x = message_at(&before).expect("a MESSAGE column at 160 columns");
    for secs in [40, 60, 70, 3600] {
        let now = state.now + chrono::Duration::seconds(secs);
        ripcord::app::update(&mut state, ripcord::app::Msg::Tick(now));
        let after = draw(&mut state, 160, 48, &Theme::default());
        assert_eq!(message_at(&after), Some(x), "after {secs} s");
    }
}

/// A release derived from one of the Argo plugin's fixture sets (each object edited by
/// `edit` first), shown in the demo under the context and namespace of checkout.
fn with_fixture(state: &mut State, set: &str, name: &str, edit: impl Fn(&mut serde_json::Value)) {
    use ripcord::model::objects::object_from_json;
    let dir = common::argo_fixtures::fixture_sets()
        .into_iter()
        .find(|d| d.ends_with(set))
        .expect("the fixture set");
    let checkout = state
        .releases
        .values()
        .find(|r| r.key.name == "checkout")
        .map(|r| r.key.clone())
        .expect("checkout in the demo");
    let mut cache = ripcord::model::ClusterCache::default();
    for mut v in common::argo_fixtures::load_set(&dir) {
        v["metadata"]["namespace"] = serde_json::json!(checkout.namespace);
        // Created a minute before the demo's clock, as the plugin's tests pin their ages.
        v["metadata"]["creationTimestamp"] =
            serde_json::json!((state.now - chrono::Duration::seconds(60)).to_rfc3339());
        edit(&mut v);
        cache.apply(object_from_json(&v).expect("a fixture object"));
    }
    let r = ripcord::model::derive::derive_namespace(
        &checkout.context,
        &checkout.namespace,
        &cache.namespaces[&checkout.namespace],
    )
    .into_iter()
    .find(|r| r.key.name == name)
    .expect("the fixture's rollout");
    state.releases.insert(r.key.clone(), r);
    ripcord::app::update::rebuild_rows(state);
}

fn fixture_tab(set: &str, name: &str, key: char, width: u16, height: u16) -> Terminal<TestBackend> {
    let (_, mut state) = demo_state();
    with_fixture(&mut state, set, name, |_| {});
    select(&mut state, name);
    press_code(&mut state, KeyCode::Enter);
    press(&mut state, key);
    frame(&mut state, width, height)
}

/// A blue-green pause with `autoPromotionSeconds` counts down on the console's clock.
#[test]
fn argo_blue_green_auto_promotion_80x24() {
    let (_, mut state) = demo_state();
    let start = state.now - chrono::Duration::seconds(40);
    with_fixture(&mut state, "blue-green", "bluegreen-demo", |v| {
        if v["kind"] == "Rollout" {
            v["spec"]["strategy"]["blueGreen"]["autoPromotionEnabled"] = serde_json::json!(true);
            v["spec"]["strategy"]["blueGreen"]["autoPromotionSeconds"] = serde_json::json!(120);
            v["status"]["pauseConditions"][0]["startTime"] = serde_json::json!(start.to_rfc3339());
        }
    });
    let queued = |state: &State| {
        let r = state
            .releases
            .values()
            .find(|r| r.key.name == "bluegreen-demo")
            .expect("the rollout");
        ripcord::app::queue_message(state, r)
    };
    assert!(
        queued(&state).contains("auto-promotes in 1m20s"),
        "{}",
        queued(&state)
    );
    select(&mut state, "bluegreen-demo");
    press_code(&mut state, KeyCode::Enter);
    let t = frame(&mut state, 80, 24);
    assert!(
        find(&t, "auto-promotes in 1m20s").is_some(),
        "{}",
        lines(&t).join("\n")
    );
    insta::assert_snapshot!(t.backend());
    // Time comes in messages: the countdown follows the clock, to its end.
    let later = state.now + chrono::Duration::seconds(50);
    ripcord::app::update(&mut state, ripcord::app::Msg::Tick(later));
    assert!(
        queued(&state).contains("auto-promotes in 30s"),
        "{}",
        queued(&state)
    );
    let done = state.now + chrono::Duration::seconds(60);
    ripcord::app::update(&mut state, ripcord::app::Msg::Tick(done));
    assert!(
        queued(&state).contains("auto-promotes now"),
        "{}",
        queued(&state)
    );
}

#[test]
fn argo_aborted_analysis_80x24() {
    let t = fixture_tab(
        "rollout-aborted",
        "rollout-background-analysis",
        '3',
        80,
        24,
    );
    // The measured value and the limit it broke are both on screen.
    assert!(
        find(&t, "measured ✖false").is_some(),
        "{}",
        lines(&t).join("\n")
    );
    assert!(
        find(&t, "failed 1 (failureLimit 0)").is_some(),
        "{}",
        lines(&t).join("\n")
    );
    insta::assert_snapshot!(t.backend());
}

#[test]
fn argo_aborted_steps_160x48() {
    let t = fixture_tab(
        "rollout-aborted",
        "rollout-background-analysis",
        '2',
        160,
        48,
    );
    assert!(
        find(&t, "✖ aborted: metric \"web\"").is_some(),
        "{}",
        lines(&t).join("\n")
    );
    insta::assert_snapshot!(t.backend());
}

#[test]
fn argo_blue_green_overview_160x48() {
    let t = fixture_tab("blue-green", "bluegreen-demo", '1', 160, 48);
    assert!(
        find(&t, "← svc bluegreen-demo-preview").is_some(),
        "{}",
        lines(&t).join("\n")
    );
    insta::assert_snapshot!(t.backend());
}

#[test]
fn argo_timed_pause_counts_down_80x24() {
    let (_, mut state) = demo_state();
    let started = (state.now - chrono::Duration::seconds(4)).to_rfc3339();
    // canary-demo at its first timed pause (step 3, 10s), started 4s ago.
    with_fixture(&mut state, "canary", "canary-demo", move |v| {
        if v["kind"] == "Rollout" {
            v["status"]["currentStepIndex"] = serde_json::json!(3);
            v["status"]["pauseConditions"] =
                serde_json::json!([{ "reason": "CanaryPauseStep", "startTime": started }]);
            v["status"]["conditions"] = serde_json::json!([]);
        }
    });
    select(&mut state, "canary-demo");
    press_code(&mut state, KeyCode::Enter);
    press(&mut state, '2');
    let t = frame(&mut state, 80, 24);
    assert!(
        find(&t, "▶ pause 10s (6s left)").is_some(),
        "{}",
        lines(&t).join("\n")
    );
    insta::assert_snapshot!(t.backend());
}

#[test]
fn flagger_settings_80x24() {
    let t = tab("podinfo", '2');
    assert!(find(&t, "interval").is_some(), "{}", lines(&t).join("\n"));
    insta::assert_snapshot!(t.backend());
}

#[test]
fn flagger_settings_160x48() {
    insta::assert_snapshot!(tab_at("podinfo", '2', 160, 48).backend());
}

#[test]
fn argo_experiment_analysis_160x48() {
    let t = fixture_tab(
        "experiment-analysis",
        "rollout-experiment-analysis",
        '3',
        160,
        48,
    );
    assert!(
        find(
            &t,
            "experiment rollout-experiment-analysis-6f646bf7b7-1-vcv27"
        )
        .is_some(),
        "{}",
        lines(&t).join("\n")
    );
    insta::assert_snapshot!(t.backend());
}

#[test]
fn the_queue_badge_counts_findings_in_the_colour_of_the_worst() {
    let (_, mut state) = demo_state();
    let theme = Theme::default();
    let t = draw(&mut state, 160, 48, &theme);
    let buffer = t.backend().buffer();
    // Rows other than the selected one, which is drawn in the selection's colours.
    for (name, slot) in [("payments-api", Slot::Danger), ("frontend", Slot::Muted)] {
        let key = state
            .releases
            .keys()
            .find(|k| k.name == name)
            .expect("a demo release")
            .clone();
        let count = state.findings_of(&key).items.len();
        let badge = format!("{name} ⚠{count}");
        let (x, y) = find(&t, &badge).unwrap_or_else(|| panic!("{badge} in the queue"));
        let at = x + name.chars().count() as u16 + 1;
        assert_eq!(
            buffer[(at, y)].fg,
            theme.style(slot).fg.unwrap_or(Color::Reset),
            "{badge}"
        );
    }
}

/// checkout's flags tab with the evaluation box open on `typed`.
fn evaluating(typed: &str, width: u16, height: u16) -> Terminal<TestBackend> {
    let (_, mut state) = demo_state();
    select(&mut state, "checkout");
    press_code(&mut state, KeyCode::Enter);
    press(&mut state, 'e');
    type_text(&mut state, typed);
    frame(&mut state, width, height)
}

#[test]
fn flags_evaluation_80x24() {
    let typed = r#"{"targetingKey": "u1", "app_version": "1.8.4"}"#;
    insta::assert_snapshot!(evaluating(typed, 80, 24).backend());
}

#[test]
fn flags_evaluation_160x48() {
    let typed = r#"{"targetingKey": "u1", "email": "ann@shop.example"}"#;
    insta::assert_snapshot!(evaluating(typed, 160, 48).backend());
}

#[test]
fn flags_evaluation_error_80x24() {
    insta::assert_snapshot!(evaluating(r#"{"targetingKey": u1}"#, 80, 24).backend());
}

/// A flag edit's confirmation in production: the diff, the key and the reason typed.
#[test]
fn flag_confirm_80x24() {
    use ripcord::app::{update, Effect, Msg};
    let (world, mut state) = demo_state();
    select(&mut state, "checkout");
    press_code(&mut state, KeyCode::Enter);
    press(&mut state, '4');
    for effect in press(&mut state, 'x') {
        if let Effect::FlagPrepare(request) = effect {
            let result = world.flag_prepare(&request);
            update(&mut state, Msg::FlagPrepared { request, result });
        }
    }
    type_text(&mut state, "checkout.one-click");
    press_code(&mut state, KeyCode::Tab);
    type_text(&mut state, "errors up after 1.9.0");
    insta::assert_snapshot!(frame(&mut state, 80, 24).backend());
}

/// The security view over every namespace of the demo, at `width`x`height`.
fn security_view(width: u16, height: u16) -> Terminal<TestBackend> {
    let (_, mut state) = demo_state();
    press(&mut state, 's');
    frame(&mut state, width, height)
}

#[test]
fn security_view_80x24() {
    insta::assert_snapshot!(security_view(80, 24).backend());
}

#[test]
fn security_view_160x48() {
    insta::assert_snapshot!(security_view(160, 48).backend());
}
