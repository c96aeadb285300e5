//! The demo world fed into a `State`, and key presses.
#![allow(dead_code)] // each test binary uses a different subset

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ripcord::app::{update, Effect, Mode, Msg, State};
use ripcord::config::keymap::Keymap;
use ripcord::config::Settings;
use ripcord::model::ops::SupportTable;
use ripcord::sim::World;
use ripcord_testkit::feed;

pub const SEED: u64 = 7;

pub fn demo_state_with(read_only: bool) -> (World, State) {
    let mut world = World::demo(SEED);
    let mut state = State::new(
        Mode::Demo {
            paused: true,
            speed: 1.0,
        },
        Keymap::default_keymap(),
        Settings::default(),
        read_only,
        world.now,
    );
    // What the console is told at start: the simulator's actuator's answers.
    state.support = SupportTable::from_fn(ripcord::sim::supports);
    feed(&mut world, &mut state);
    (world, state)
}

pub fn demo_state() -> (World, State) {
    demo_state_with(false)
}

/// A live console at `now` that has heard from no cluster yet.
pub fn live_state_at(now: chrono::DateTime<chrono::Utc>) -> State {
    State::new(
        Mode::Live,
        Keymap::default_keymap(),
        Settings::default(),
        false,
        now,
    )
}

/// A live console (no simulator's answers about support) fed the demo world.
pub fn live_demo_state() -> (World, State) {
    let mut world = World::demo(SEED);
    let mut state = live_state_at(world.now);
    feed(&mut world, &mut state);
    (world, state)
}

pub fn key_event(code: KeyCode) -> Msg {
    Msg::Key(KeyEvent::new(code, KeyModifiers::NONE))
}

pub fn press(state: &mut State, c: char) -> Vec<Effect> {
    update(state, key_event(KeyCode::Char(c)))
}

pub fn press_code(state: &mut State, code: KeyCode) -> Vec<Effect> {
    update(state, key_event(code))
}

pub fn type_text(state: &mut State, text: &str) {
    for c in text.chars() {
        press(state, c);
    }
}

/// Moves the selection to the release called `name`.
pub fn select(state: &mut State, name: &str) {
    press(state, 'g');
    press(state, 'g');
    for _ in 0..state.rows.len() {
        if state.selected_key().is_some_and(|k| k.name == name) {
            return;
        }
        press(state, 'j');
    }
    panic!("{name} is not in the queue: {:?}", state.rows);
}

/// The screen `state` draws at its own size with the default theme, line by line.
pub fn rendered(state: &State) -> Vec<String> {
    let backend = ratatui::backend::TestBackend::new(state.width, state.height);
    let mut terminal = ratatui::Terminal::new(backend).expect("terminal");
    let theme = ripcord::config::theme::Theme::default();
    terminal
        .draw(|f| ripcord::ui::render(f, state, &theme))
        .expect("draw");
    buffer_lines(terminal.backend().buffer())
}

/// A drawn buffer as lines of text.
pub fn buffer_lines(buffer: &ratatui::buffer::Buffer) -> Vec<String> {
    (0..buffer.area.height)
        .map(|y| {
            (0..buffer.area.width)
                .map(|x| buffer[(x, y)].symbol().to_owned())
                .collect()
        })
        .collect()
}
