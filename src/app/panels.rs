//! Detail view panels: which one takes j/k, and how far each is scrolled.

use super::{visible_rows, Action, State, View};

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
