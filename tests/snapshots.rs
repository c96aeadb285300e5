//! Whole-screen renders of the demo world at a fixed virtual time, at 80x24 and 160x48.

mod support;

use crossterm::event::KeyCode;
use ratatui::backend::TestBackend;
use ratatui::style::Color;
use ratatui::Terminal;
use ripcord::app::State;
use ripcord::config::theme::{Slot, Theme};
use support::*;

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
fn keys_the_focused_release_cannot_use_are_struck_out_in_the_hints() {
    use ratatui::style::Modifier;
    let (_, mut state) = demo_state();
    select(&mut state, "ledger"); // a plain Deployment: no promote, no abort
    let terminal = draw(&mut state, 100, 30, &Theme::default());
    let (x, y) = find(&terminal, "p promote").expect("the promote hint");
    let cell = &terminal.backend().buffer()[(x, y)];
    assert!(
        cell.modifier.contains(Modifier::CROSSED_OUT),
        "promote should be struck out for a Deployment"
    );
    let (x, y) = find(&terminal, "z pause").expect("the pause hint");
    let cell = &terminal.backend().buffer()[(x, y)];
    assert!(
        !cell.modifier.contains(Modifier::CROSSED_OUT),
        "pause works on a Deployment"
    );
}
