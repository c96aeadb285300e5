//! Keys to actions: overlays first, then the keymap's sections for the view.

use super::*;

pub(super) fn sections(state: &State) -> Vec<Section> {
    let mut out = vec![match state.view {
        View::Home => Section::Home,
        View::Detail(_) => Section::Detail,
        View::Security => Section::Security,
    }];
    if matches!(state.mode, Mode::Demo { .. }) {
        out.push(Section::Demo);
    }
    out.push(Section::Global);
    out
}

pub(super) fn is_ctrl_c(key: &KeyEvent) -> bool {
    matches!(key.code, KeyCode::Char('c') | KeyCode::Char('C'))
        && key.modifiers.contains(KeyModifiers::CONTROL)
}

pub(super) fn quit(state: &mut State) -> Vec<Effect> {
    state.quit = true;
    vec![Effect::Quit]
}

pub(super) fn on_key(state: &mut State, key: KeyEvent) -> Vec<Effect> {
    // Ctrl-C quits from every view, overlay and text field.
    if is_ctrl_c(&key) {
        state.pending_keys.clear();
        return quit(state);
    }
    let typing = state.filter_input.is_some()
        || state.weight_input.is_some()
        || state.flags_tab.evaluating
        || state.flags_tab.prompt.is_some()
        || matches!(
            state.overlay,
            Some(Overlay::Confirm(_) | Overlay::FlagConfirm(_))
        );
    if !state.fits() {
        // Nothing can be seen: no key but quit may act, and no half-typed chord survives.
        state.pending_keys.clear();
        let chord = KeyChord::from_event(&key);
        if !typing
            && state.keymap.lookup(&sections(state), &[chord]) == Lookup::Action(Action::Quit)
        {
            return quit(state);
        }
        return vec![];
    }
    if let Some(Overlay::FlagConfirm(c)) = &state.overlay {
        // The reason is typed first; then the dialog is answered like any confirmation.
        let section = if c.ready {
            Section::Confirm
        } else {
            Section::Input
        };
        let answer = single_key(state, section, &key);
        return crate::app::flags::on_confirm_key(state, key, answer);
    }
    if let Some(Overlay::Confirm(c)) = &state.overlay {
        // The production guard is typed into: its keys are the text fields'.
        let section = if c.guarded {
            Section::Input
        } else {
            Section::Confirm
        };
        let guarded = c.guarded;
        let answer = single_key(state, section, &key);
        let effects = on_confirm_key(state, key, answer);
        // A key that does not answer the dialog says which keys do, rather than nothing.
        if !guarded && answer.is_none() {
            let hint = confirm_hint(&state.keymap);
            if let Some(Overlay::Confirm(c)) = &mut state.overlay {
                c.error = Some(hint);
            }
        }
        return effects;
    }
    if state.weight_input.is_some() && state.overlay.is_none() {
        let answer = single_key(state, Section::Input, &key);
        return on_weight_key(state, key, answer);
    }
    if state.flags_tab.prompt.is_some() && state.overlay.is_none() {
        let answer = single_key(state, Section::Input, &key);
        return crate::app::flags::on_prompt_key(state, key, answer);
    }
    if state.flags_tab.evaluating && state.overlay.is_none() {
        let answer = single_key(state, Section::Input, &key);
        return crate::app::flags::on_eval_key(state, key, answer);
    }
    if state.filter_input.is_some() {
        let answer = single_key(state, Section::Input, &key);
        on_filter_key(state, key, answer);
        return vec![];
    }
    if matches!(
        state.overlay,
        Some(Overlay::Help { .. } | Overlay::Problems { .. })
    ) {
        state.pending_keys.push(KeyChord::from_event(&key));
        match state.keymap.lookup(&[Section::Help], &state.pending_keys) {
            Lookup::Prefix => {}
            Lookup::Action(action) => {
                state.pending_keys.clear();
                scroll_overlay(state, action);
            }
            // Any other key closes the overlay.
            Lookup::None => {
                state.pending_keys.clear();
                state.overlay = None;
            }
        }
        return vec![];
    }
    state.pending_keys.push(KeyChord::from_event(&key));
    match state.keymap.lookup(&sections(state), &state.pending_keys) {
        Lookup::Prefix => vec![],
        Lookup::Action(action) => {
            state.pending_keys.clear();
            on_action(state, action)
        }
        Lookup::None => {
            state.pending_keys.clear();
            vec![]
        }
    }
}

/// What one key means in a section that takes no sequences (dialogs and text fields).
fn single_key(state: &State, section: Section, key: &KeyEvent) -> Option<Action> {
    match state
        .keymap
        .lookup(&[section], &[KeyChord::from_event(key)])
    {
        Lookup::Action(action) => Some(action),
        Lookup::Prefix | Lookup::None => None,
    }
}

/// Scrolls the help or problems overlay, within what it last drew; `back` closes it.
fn scroll_overlay(state: &mut State, action: Action) {
    let (page, last) = match state.drawn.overlay {
        Some(t) => (t.view.saturating_sub(1).max(1), t.max_scroll()),
        None => (usize::from(state.height / 2).max(1), usize::MAX),
    };
    let scroll = match &mut state.overlay {
        Some(Overlay::Help { scroll } | Overlay::Problems { scroll }) => scroll,
        _ => return,
    };
    *scroll = match action {
        Action::Down => scroll.saturating_add(1),
        Action::Up => scroll.saturating_sub(1),
        Action::PageDown => scroll.saturating_add(page),
        Action::PageUp => scroll.saturating_sub(page),
        Action::Top => 0,
        Action::Bottom => last,
        Action::Back | Action::Cancel => {
            state.overlay = None;
            return;
        }
        _ => *scroll,
    }
    .min(last);
}

pub(super) fn on_filter_key(state: &mut State, key: KeyEvent, answer: Option<Action>) {
    match answer {
        Some(Action::Submit) => {
            if let Some(input) = state.filter_input.take() {
                state.filter = input.lines().join("");
            }
        }
        Some(Action::Cancel) => {
            state.filter_input = None;
            state.filter.clear();
        }
        // One line: there is no other field to move to.
        Some(Action::NextField) => {}
        _ => {
            if let Some(input) = &mut state.filter_input {
                input.input(key);
            }
        }
    }
    state.selected = 0;
    rebuild_rows(state);
}

pub(super) fn move_cursor(state: &mut State, action: Action) {
    let page = match state.view {
        View::Home => visible_rows(state),
        View::Detail(_) => crate::app::tabs::page(state),
        View::Security => return crate::app::security::move_cursor(state, action),
    };
    let (cursor, len) = match state.view {
        View::Home | View::Security => (&mut state.selected, state.rows.len()),
        View::Detail(ref key) => {
            let len = state.releases.get(key).map_or(0, |r| r.revisions.len());
            (&mut state.revision_cursor, len)
        }
    };
    let last = len.saturating_sub(1);
    *cursor = match action {
        Action::Up => cursor.saturating_sub(1),
        Action::Down => (*cursor + 1).min(last),
        Action::PageUp => cursor.saturating_sub(page),
        Action::PageDown => (*cursor + page).min(last),
        Action::Top => 0,
        Action::Bottom => last,
        _ => *cursor,
    };
    pin_revision(state);
    clamp_scroll(state);
}

pub(super) fn cycle(current: &Option<String>, options: &[String], forward: bool) -> Option<String> {
    let pos = current
        .as_ref()
        .and_then(|c| options.iter().position(|o| o == c));
    let n = options.len();
    if n == 0 {
        return None;
    }
    // Positions 0..n are the options; n stands for "all".
    let here = pos.unwrap_or(n);
    let next = if forward {
        (here + 1) % (n + 1)
    } else {
        (here + n) % (n + 1)
    };
    options.get(next).cloned()
}

/// After a filter change: the selected release stays selected while it is listed, the
/// top row is selected otherwise.
fn keep_selection(state: &mut State) {
    let listed = state.selected_key().cloned();
    rebuild_rows(state);
    match listed.and_then(|k| state.rows.iter().position(|r| *r == k)) {
        Some(i) => state.selected = i,
        None => state.selected = 0,
    }
    clamp_scroll(state);
}

pub(super) fn on_action(state: &mut State, action: Action) -> Vec<Effect> {
    match action {
        a if crate::app::tabs::handles(state, a) => return crate::app::tabs::on_action(state, a),
        Action::Quit => return quit(state),
        Action::CopyQuery => return super::super::analysis::copy_query(state),
        Action::EvaluateFlags => return crate::app::flags::open_evaluation(state),
        Action::FlagToggle | Action::FlagDefault | Action::FlagWeights => {
            return crate::app::flags::on_action(state, action)
        }
        Action::Help => state.overlay = Some(Overlay::Help { scroll: 0 }),
        Action::Problems => {
            if state.warnings.is_empty() && state.messages.is_empty() {
                state.set_status(Level::Info, "no configuration problems and no messages");
            } else {
                state.overlay = Some(Overlay::Problems { scroll: 0 });
            }
        }
        Action::Back => {
            // Esc also dismisses the status message, wherever it is pressed.
            state.status = None;
            match state.view {
                // Back where the finding was chosen, when it was.
                View::Detail(_) if state.security.came_from => {
                    state.security.came_from = false;
                    state.view = View::Security;
                }
                View::Detail(_) | View::Security => state.view = View::Home,
                View::Home if !state.filter.is_empty() => {
                    state.filter.clear();
                    rebuild_rows(state);
                }
                View::Home => {}
            }
        }
        Action::Up
        | Action::Down
        | Action::PageUp
        | Action::PageDown
        | Action::Top
        | Action::Bottom => move_cursor(state, action),
        Action::Security => crate::app::security::open(state),
        Action::Open if state.view == View::Security => {
            if let Some((key, finding)) = crate::app::security::target(state) {
                state.revision_cursor = 0;
                crate::app::tabs::reset(state);
                state.view = View::Detail(key.clone());
                pin_revision(state);
                crate::app::security::mark(state, &key, finding);
            }
        }
        Action::Open => {
            if let Some(key) = state.selected_key().cloned() {
                state.revision_cursor = 0;
                crate::app::tabs::reset(state);
                state.view = View::Detail(key);
                pin_revision(state);
            }
        }
        Action::Filter => {
            let mut input = TextArea::new(vec![state.filter.clone()]);
            input.move_cursor(tui_textarea::CursorMove::End);
            state.filter_input = Some(input);
        }
        Action::NextContext | Action::PrevContext => {
            let contexts = state.contexts();
            state.context_filter = cycle(
                &state.context_filter,
                &contexts,
                action == Action::NextContext,
            );
            state.namespace_filter = None;
            keep_selection(state);
            crate::app::security::clamp(state);
        }
        Action::NextNamespace | Action::PrevNamespace => {
            let namespaces = state.namespaces();
            state.namespace_filter = cycle(
                &state.namespace_filter,
                &namespaces,
                action == Action::NextNamespace,
            );
            keep_selection(state);
            crate::app::security::clamp(state);
        }
        Action::AllNamespaces => {
            state.namespace_filter = None;
            rebuild_rows(state);
            crate::app::security::clamp(state);
        }
        Action::NextSort => {
            state.sort = state.sort.next();
            rebuild_rows(state);
        }
        Action::ToggleClock => return demo_clock(state, ClockControl::Toggle),
        Action::SpeedUp | Action::SlowDown => {
            if let Mode::Demo { speed, .. } = state.mode {
                let faster = action == Action::SpeedUp;
                // A press before the clock confirmed the last one steps from what was asked.
                let speed = state.requested_speed.unwrap_or(speed);
                let next = next_speed(speed, faster);
                if next == speed {
                    let end = if faster { "fastest" } else { "slowest" };
                    state.set_status(Level::Info, format!("the clock is at its {end} ({speed}x)"));
                    return vec![];
                }
                state.requested_speed = Some(next);
                return demo_clock(state, ClockControl::Speed(next));
            }
        }
        // Tabs outside the detail view, and the dialogs' and text fields' own actions
        // where no dialog or field is open, do nothing.
        Action::NextTab
        | Action::PrevTab
        | Action::TabOverview
        | Action::TabSteps
        | Action::TabAnalysis
        | Action::TabFlags
        | Action::TabSecurity
        | Action::TabEvents
        | Action::Confirm
        | Action::Cancel
        | Action::Submit
        | Action::NextField
        | Action::Noop => {}
        Action::Promote
        | Action::PromoteFull
        | Action::Pause
        | Action::Resume
        | Action::Abort
        | Action::Retry
        | Action::Rollback
        | Action::Restart => {
            if let Some(op) = action.operation() {
                return request_operation(state, op);
            }
        }
        Action::SetWeight => return request_weight(state),
    }
    vec![]
}

/// The demo speed one step faster or slower: doubled or halved within the bounds, and never
/// a step the wrong way (a speed set above the bound stays where it is).
pub(super) fn next_speed(speed: f64, faster: bool) -> f64 {
    if faster {
        (speed * 2.0).min(MAX_SPEED).max(speed)
    } else {
        (speed / 2.0).max(MIN_SPEED).min(speed)
    }
}

pub(super) fn demo_clock(state: &State, control: ClockControl) -> Vec<Effect> {
    match state.mode {
        Mode::Demo { .. } => vec![Effect::Clock(control)],
        Mode::Live => vec![],
    }
}

/// What an open confirmation says when a key that does not answer it is pressed: the
/// keys that do, from the keymap.
pub(crate) fn confirm_hint(keymap: &crate::config::keymap::Keymap) -> String {
    let keys = |action| crate::app::answer_keys(keymap, Section::Confirm, action, 2);
    match (keys(Action::Confirm), keys(Action::Cancel)) {
        (Some(yes), Some(no)) => format!("press {yes} to confirm, {no} to cancel"),
        (Some(yes), None) => format!("press {yes} to confirm"),
        (None, _) => "no key confirms here: bind `confirm` in [confirm]".to_owned(),
    }
}
