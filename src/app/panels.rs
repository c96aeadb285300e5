//! Detail view panels: which one takes j/k, and how far each is scrolled.

use super::{visible_rows, State, View};
use crate::action::Action;

/// The detail view's panels, in the order the focus key visits them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Panel {
    /// j/k move the revision cursor; the panel follows it.
    #[default]
    Revisions,
    Steps,
    Conditions,
    Events,
}

impl Panel {
    pub const COUNT: usize = 4;
    pub const ALL: [Panel; Panel::COUNT] = [
        Panel::Revisions,
        Panel::Steps,
        Panel::Conditions,
        Panel::Events,
    ];

    pub fn index(self) -> usize {
        self as usize
    }

    fn step(self, forward: bool) -> Panel {
        let n = Panel::COUNT;
        let i = if forward {
            (self.index() + 1) % n
        } else {
            (self.index() + n - 1) % n
        };
        Panel::ALL[i]
    }
}

/// Whether `action` is about panels: focus keys, and movement while a panel other than
/// the revisions has the focus.
pub fn handles(state: &State, action: Action) -> bool {
    if !matches!(state.view, View::Detail(_)) {
        return false;
    }
    match action {
        Action::NextPanel | Action::PrevPanel => true,
        Action::Up
        | Action::Down
        | Action::PageUp
        | Action::PageDown
        | Action::Top
        | Action::Bottom => state.panel_focus != Panel::Revisions,
        _ => false,
    }
}

/// Focus and scroll start over for each release opened.
pub fn reset(state: &mut State) {
    state.panel_focus = Panel::Revisions;
    state.panel_scroll = [0; Panel::COUNT];
}

pub fn on_action(state: &mut State, action: Action) -> Vec<crate::app::Effect> {
    if !handles(state, action) {
        return Vec::new();
    }
    let focus = state.panel_focus;
    let last = crate::ui::panel_max_scroll(state, focus);
    let page = (visible_rows(state) / 3).max(1);
    let scroll = &mut state.panel_scroll[focus.index()];
    *scroll = match action {
        Action::NextPanel | Action::PrevPanel => {
            state.panel_focus = focus.step(action == Action::NextPanel);
            return Vec::new();
        }
        Action::Up => scroll.saturating_sub(1),
        Action::Down => *scroll + 1,
        Action::PageUp => scroll.saturating_sub(page),
        Action::PageDown => *scroll + page,
        Action::Top => 0,
        Action::Bottom => last,
        _ => *scroll,
    }
    .min(last);
    Vec::new()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::{update, Mode, Msg};
    use crate::config::keymap::Keymap;
    use crate::config::Settings;
    use crate::sim::{feed, World};

    fn detail_of(name: &str) -> State {
        let mut world = World::demo(7);
        let mut state = State::new(
            Mode::Demo {
                paused: true,
                speed: 1.0,
            },
            Keymap::default_keymap(),
            Settings::default(),
            false,
            world.now,
        );
        feed(&mut world, &mut state);
        update(
            &mut state,
            Msg::Resize {
                width: 80,
                height: 24,
            },
        );
        state.selected = state
            .rows
            .iter()
            .position(|k| k.name == name)
            .expect("in the demo");
        on_action_of(&mut state, Action::Open);
        state
    }

    /// Presses the default key for `action`.
    fn on_action_of(state: &mut State, action: Action) {
        use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
        let code = match action {
            Action::Open => KeyCode::Enter,
            Action::NextPanel => KeyCode::Tab,
            Action::PrevPanel => KeyCode::BackTab,
            Action::Down => KeyCode::Char('j'),
            Action::Up => KeyCode::Char('k'),
            other => panic!("no key for {other:?} here"),
        };
        update(state, Msg::Key(KeyEvent::new(code, KeyModifiers::NONE)));
    }

    #[test]
    fn tab_cycles_the_panels_and_j_scrolls_only_the_focused_one_within_its_content() {
        let mut state = detail_of("checkout");
        on_action_of(&mut state, Action::NextPanel);
        assert_eq!(state.panel_focus, Panel::Steps);
        let last = crate::ui::panel_max_scroll(&state, Panel::Steps);
        assert!(last > 0, "the steps panel overflows at 80x24");
        for _ in 0..last + 5 {
            on_action_of(&mut state, Action::Down);
        }
        assert_eq!(
            state.panel_scroll[Panel::Steps.index()],
            last,
            "stops at the end"
        );
        assert_eq!(state.revision_cursor, 0, "the revision cursor did not move");
        on_action_of(&mut state, Action::Up);
        assert_eq!(
            state.panel_scroll[Panel::Steps.index()],
            last - 1,
            "k answers at once"
        );
        on_action_of(&mut state, Action::PrevPanel);
        on_action_of(&mut state, Action::Down);
        assert_eq!(
            state.revision_cursor, 1,
            "the revisions panel moves its cursor"
        );
        on_action_of(&mut state, Action::PrevPanel);
        assert_eq!(state.panel_focus, Panel::Events, "focus wraps around");
    }
}
