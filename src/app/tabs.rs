//! Detail view tabs: which one is shown, and how far each is scrolled. How far a tab can
//! scroll is what the ui last drew of it (`Msg::Drawn`), so `app` keeps no layout of its own.

use super::{Effect, State, View};
use crate::action::Action;

/// The detail view's tabs, in the order Tab visits them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Hash)]
pub enum Tab {
    /// Revisions and their pods: j/k move the revision cursor (the rollback target).
    #[default]
    Overview,
    Steps,
    Analysis,
    Flags,
    Security,
    Events,
}

impl Tab {
    pub const COUNT: usize = 6;
    pub const ALL: [Tab; Tab::COUNT] = [
        Tab::Overview,
        Tab::Steps,
        Tab::Analysis,
        Tab::Flags,
        Tab::Security,
        Tab::Events,
    ];

    pub fn index(self) -> usize {
        self as usize
    }

    pub fn label(self) -> &'static str {
        match self {
            Tab::Overview => "overview",
            Tab::Steps => "steps",
            Tab::Analysis => "analysis",
            Tab::Flags => "flags",
            Tab::Security => "security",
            Tab::Events => "events",
        }
    }

    /// The action that shows this tab.
    pub fn action(self) -> Action {
        match self {
            Tab::Overview => Action::TabOverview,
            Tab::Steps => Action::TabSteps,
            Tab::Analysis => Action::TabAnalysis,
            Tab::Flags => Action::TabFlags,
            Tab::Security => Action::TabSecurity,
            Tab::Events => Action::TabEvents,
        }
    }

    fn of_action(action: Action) -> Option<Tab> {
        Tab::ALL.into_iter().find(|t| t.action() == action)
    }

    fn step(self, forward: bool) -> Tab {
        let n = Tab::COUNT;
        let i = if forward {
            (self.index() + 1) % n
        } else {
            (self.index() + n - 1) % n
        };
        Tab::ALL[i]
    }
}

/// What a frame drew, as the ui reports it: scrolling is bounded by it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Extents {
    /// Rows of the home table, when the home view was drawn.
    pub home_rows: Option<usize>,
    /// The detail tab, when the detail view was drawn.
    pub tab: Option<(Tab, Extent)>,
    /// The help or problems overlay, when one was drawn.
    pub overlay: Option<Extent>,
}

/// Something scrollable as drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Extent {
    /// Lines of content, wrapped to the width.
    pub lines: usize,
    /// Lines the view shows.
    pub view: usize,
}

impl Extent {
    pub fn max_scroll(&self) -> usize {
        self.lines.saturating_sub(self.view)
    }
}

/// Whether `action` is about tabs: switching, and movement on a tab other than the
/// overview (whose j/k move the revision cursor).
pub fn handles(state: &State, action: Action) -> bool {
    if !matches!(state.view, View::Detail(_)) {
        return false;
    }
    match action {
        Action::NextTab | Action::PrevTab => true,
        a if Tab::of_action(a).is_some() => true,
        Action::Up
        | Action::Down
        | Action::PageUp
        | Action::PageDown
        | Action::Top
        | Action::Bottom => state.tab != Tab::Overview,
        _ => false,
    }
}

/// Each release opens on its overview, every tab at its top.
pub fn reset(state: &mut State) {
    state.tab = Tab::Overview;
    state.tab_scroll = [0; Tab::COUNT];
    state.flags_tab.cursor = 0;
    state.flags_tab.evaluating = false;
    state.drawn.tab = None;
    state.security.marked = None;
    state.security.came_from = false;
}

/// The last drawn extent of the active tab, if it has been drawn.
fn drawn_extent(state: &State) -> Option<Extent> {
    state
        .drawn
        .tab
        .filter(|(tab, _)| *tab == state.tab)
        .map(|(_, extent)| extent)
}

/// Lines a page moves in the active tab: what it last showed, less one line of overlap.
pub fn page(state: &State) -> usize {
    match drawn_extent(state) {
        Some(t) => t.view.saturating_sub(1).max(1),
        None => (usize::from(state.height) / 3).max(1),
    }
}

pub fn on_action(state: &mut State, action: Action) -> Vec<Effect> {
    if !handles(state, action) {
        return Vec::new();
    }
    if let Some(tab) = Tab::of_action(action) {
        state.tab = tab;
        return Vec::new();
    }
    if matches!(action, Action::NextTab | Action::PrevTab) {
        state.tab = state.tab.step(action == Action::NextTab);
        return Vec::new();
    }
    // The flags tab moves a cursor over its flags; the view follows it.
    if state.tab == Tab::Flags {
        super::flags::move_cursor(state, action);
        return Vec::new();
    }
    // Not drawn yet: move freely, the next frame's extents clamp it.
    let last = drawn_extent(state).map_or(usize::MAX, |t| t.max_scroll());
    let page = page(state);
    let scroll = &mut state.tab_scroll[state.tab.index()];
    *scroll = match action {
        Action::Up => scroll.saturating_sub(1),
        Action::Down => scroll.saturating_add(1),
        Action::PageUp => scroll.saturating_sub(page),
        Action::PageDown => scroll.saturating_add(page),
        Action::Top => 0,
        Action::Bottom => last,
        _ => *scroll,
    }
    .min(last);
    Vec::new()
}

/// Takes in what a frame drew and keeps the drawn tab's scroll within it.
pub fn record(state: &mut State, extents: Extents) {
    if extents.home_rows.is_some() {
        state.drawn.home_rows = extents.home_rows;
    }
    if let Some((tab, extent)) = extents.tab {
        state.drawn.tab = Some((tab, extent));
        let scroll = &mut state.tab_scroll[tab.index()];
        *scroll = (*scroll).min(extent.max_scroll());
    }
    state.drawn.overlay = extents.overlay;
    if let (
        Some(extent),
        Some(super::Overlay::Help { scroll } | super::Overlay::Problems { scroll }),
    ) = (extents.overlay, &mut state.overlay)
    {
        *scroll = (*scroll).min(extent.max_scroll());
    }
}
