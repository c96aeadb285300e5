//! The help overlay and the hint line, both generated from the active keymap.

use crate::action::Action;
use crate::app::{answer_keys, Mode, Overlay, State, View};
use crate::config::keymap::Section;
use crate::config::theme::{Slot, Theme};
use ratatui::layout::Rect;
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};
use ratatui::Frame;

/// The sections shown in help, in order.
fn sections(state: &State) -> Vec<Section> {
    let mut out = vec![
        Section::Global,
        Section::Home,
        Section::Detail,
        Section::Security,
    ];
    if matches!(state.mode, Mode::Demo { .. }) {
        out.push(Section::Demo);
    }
    out.extend([Section::Help, Section::Confirm, Section::Input]);
    out
}

/// Every active binding, as lines.
pub fn help_lines<'a>(state: &State, theme: &Theme) -> Vec<Line<'a>> {
    let mut lines = Vec::new();
    for section in sections(state) {
        let bindings: Vec<_> = state.keymap.bindings(section).collect();
        if bindings.is_empty() {
            continue;
        }
        lines.push(Line::styled(
            format!("{section}"),
            theme.style(Slot::Header),
        ));
        for b in bindings {
            if !offered(state, b.action) {
                continue;
            }
            let danger = b.action.is_dangerous();
            lines.push(Line::from(vec![
                Span::styled(
                    format!("  {:<12}", b.keys_display()),
                    theme.style(Slot::Key),
                ),
                Span::raw(b.desc.clone()),
                if danger {
                    Span::styled(" ⚠ confirm", theme.style(Slot::Danger))
                } else {
                    Span::raw("")
                },
            ]));
        }
    }
    let keys = |section, action| answer_keys(&state.keymap, section, action, 2);
    let confirm = match (
        keys(Section::Confirm, Action::Confirm),
        keys(Section::Confirm, Action::Submit),
    ) {
        (Some(yes), Some(no)) => format!("⚠ confirm: answer with {yes} ({no} never confirms);"),
        (Some(yes), None) => format!("⚠ confirm: answer with {yes};"),
        (None, _) => "⚠ confirm: no key confirms (bind `confirm` in [confirm]);".to_owned(),
    };
    lines.push(Line::styled(confirm, theme.style(Slot::Danger)));
    let production = match keys(Section::Input, Action::Submit) {
        Some(submit) => format!("production: type the name and a reason, then {submit}."),
        None => "production: type the name and a reason (bind `submit` in [input]).".to_owned(),
    };
    lines.push(Line::styled(production, theme.style(Slot::Danger)));
    lines.push(Line::styled(
        "Ctrl-C quits from anywhere.",
        theme.style(Slot::Muted),
    ));
    if state.read_only {
        lines.push(Line::styled(
            "read-only: actions that change a cluster are off",
            theme.style(Slot::Warning),
        ));
    } else if let Some(context) = focused_read_only(state) {
        lines.push(Line::styled(
            format!("{context} is read-only: actions that change it are off"),
            theme.style(Slot::Warning),
        ));
    }
    lines
}

pub fn render(frame: &mut Frame, area: Rect, state: &State, scroll: usize, theme: &Theme) {
    let lines = help_lines(state, theme);
    let rect = super::centered(frame, area, 56, area.height.saturating_sub(2));
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.style(Slot::BorderFocused))
        .title(Span::styled(
            " keys (any other key closes) ",
            theme.style(Slot::Title),
        ));
    let max_scroll = lines
        .len()
        .saturating_sub(rect.height.saturating_sub(2) as usize);
    frame.render_widget(
        Paragraph::new(lines)
            .block(block)
            .style(theme.style(Slot::Overlay))
            .scroll((scroll.min(max_scroll) as u16, 0)),
        rect,
    );
}

/// Whether a key for `action` is offered at all where the user is: no cluster action in a
/// read-only context, and no operation the actuator in use cannot perform on the focused
/// release's kind (on any kind, when nothing is focused). Help and the hint line agree.
fn offered(state: &State, action: Action) -> bool {
    if action.is_mutating() && focused_read_only(state).is_some() {
        return false;
    }
    match (action.operation(), state.focused()) {
        (None, _) => true,
        (Some(op), Some(r)) => state.support.supports(r.key.kind, op).is_ok(),
        (Some(op), None) => state.support.any(op),
    }
}

/// The keys that answer an open confirmation, from the keymap: the production guard's
/// are the text fields' ([input]), the plain dialog's its own ([confirm]).
pub fn dialog_keys(state: &State, guarded: bool) -> Vec<(String, &'static str)> {
    let wanted: &[(Section, Action, &'static str)] = if guarded {
        &[
            (Section::Input, Action::NextField, "switches field"),
            (Section::Input, Action::Submit, "confirms"),
            (Section::Input, Action::Cancel, "cancels"),
        ]
    } else {
        &[
            (Section::Confirm, Action::Confirm, "confirms"),
            (Section::Confirm, Action::Cancel, "cancels"),
            (Section::Confirm, Action::Submit, "does not confirm"),
        ]
    };
    wanted
        .iter()
        .filter_map(|&(section, action, what)| {
            // The guard's Tab moves between fields: one key says it.
            let max = if action == Action::NextField { 1 } else { 2 };
            answer_keys(&state.keymap, section, action, max).map(|k| (k, what))
        })
        .collect()
}

/// The keys of a flag edit's confirmation while its reason is typed.
pub fn reason_keys(state: &State, guarded: bool) -> Vec<(String, &'static str)> {
    let mut wanted = vec![
        (Action::Submit, "accepts the reason"),
        (Action::Cancel, "cancels"),
    ];
    if guarded {
        wanted.insert(0, (Action::NextField, "switches field"));
    }
    wanted
        .into_iter()
        .filter_map(|(action, what)| {
            let max = if action == Action::NextField { 1 } else { 2 };
            answer_keys(&state.keymap, Section::Input, action, max).map(|k| (k, what))
        })
        .collect()
}

/// The focused release's context, when settings make it read-only.
fn focused_read_only(state: &State) -> Option<String> {
    state
        .focused()
        .map(|r| r.key.context.clone())
        .filter(|c| state.settings.is_read_only(c))
}

/// The bottom line: the few keys that matter here, as many as fit in `width`; a line cut
/// short ends with `…`.
pub fn hint_line<'a>(state: &State, theme: &Theme, width: u16) -> Line<'a> {
    let entries = hint_entries(state, theme);
    let width = usize::from(width);
    let len = |e: &Vec<Span>| e.iter().map(|s| s.width()).sum::<usize>();
    let total: usize = entries.iter().map(len).sum();
    let mut spans = Vec::new();
    if total <= width {
        spans.extend(entries.into_iter().flatten());
        return Line::from(spans);
    }
    let mut used = 0;
    for entry in entries {
        let w = len(&entry);
        if used + w + 2 > width {
            break;
        }
        used += w;
        spans.extend(entry);
    }
    spans.push(Span::styled(" …", theme.style(Slot::Muted)));
    Line::from(spans)
}

/// The hint line's entries: one key and what it does, each a few spans.
fn hint_entries<'a>(state: &State, theme: &Theme) -> Vec<Vec<Span<'a>>> {
    // Typing a filter or a weight: its own keys, read from the keymap.
    let weights = state.weight_input.as_ref().map(|(key, _)| {
        let choices = state.releases.get(key).and_then(|r| r.weight_choices());
        match choices {
            Some(c) => format!("set weight ({})", crate::model::weight_list(&c)),
            None => "set weight (0-100)".to_owned(),
        }
    });
    let prompt = state.flags_tab.prompt.as_ref().map(|p| &p.choice);
    let typing: Option<Vec<(Action, &str)>> = if state.overlay.is_some() {
        None
    } else if let Some(crate::app::flags::Choice::Variant { .. }) = prompt {
        Some(vec![
            (Action::NextField, "next variant"),
            (Action::Submit, "choose"),
            (Action::Cancel, "cancel"),
        ])
    } else if let Some(crate::app::flags::Choice::Weights(_)) = prompt {
        Some(vec![
            (Action::Submit, "set these weights"),
            (Action::Cancel, "cancel"),
        ])
    } else if state.flags_tab.evaluating {
        // Every other key types into the box, Enter a new line.
        Some(vec![
            (Action::Cancel, "close (the text stays)"),
            (Action::Submit, "new line"),
        ])
    } else if let Some(weights) = &weights {
        Some(vec![
            (Action::Submit, weights.as_str()),
            (Action::Cancel, "cancel"),
        ])
    } else if state.filter_input.is_some() {
        Some(vec![
            (Action::Submit, "apply filter"),
            (Action::Cancel, "clear filter"),
        ])
    } else {
        None
    };
    if let Some(keys) = typing {
        let mut out = Vec::new();
        for (action, what) in keys {
            if let Some(keys) = state.keymap.keys_for_any(&[Section::Input], action) {
                out.push(vec![
                    Span::styled(format!(" {keys}"), theme.style(Slot::Key)),
                    Span::raw(format!(" {what}")),
                ]);
            }
        }
        out.push(vec![
            Span::styled(" Ctrl-C".to_owned(), theme.style(Slot::Key)),
            Span::raw(" quit".to_owned()),
        ]);
        return out;
    }
    // An open dialog takes the keys, so the line names its keys instead.
    let dialog: Option<Vec<(String, &str)>> = match &state.overlay {
        Some(Overlay::Confirm(c)) => Some(dialog_keys(state, c.guarded)),
        Some(Overlay::FlagConfirm(c)) if c.ready => Some(dialog_keys(state, false)),
        Some(Overlay::FlagConfirm(c)) => Some(reason_keys(state, c.guarded)),
        Some(Overlay::Problems { .. }) | Some(Overlay::Help { .. }) => Some(vec![
            ("j/k".to_owned(), "scroll"),
            ("any other key".to_owned(), "close"),
        ]),
        None => None,
    };
    if let Some(mut keys) = dialog {
        keys.push(("Ctrl-C".to_owned(), "quit"));
        return keys
            .into_iter()
            .map(|(key, what)| {
                vec![
                    Span::styled(format!(" {key}"), theme.style(Slot::Key)),
                    Span::raw(format!(" {what}")),
                ]
            })
            .collect();
    }
    let (section, actions): (Section, &[Action]) = match state.view {
        View::Home => (
            Section::Home,
            &[
                Action::Help,
                Action::Filter,
                Action::Open,
                Action::Security,
                Action::Promote,
                Action::Pause,
                Action::Abort,
                Action::Rollback,
                Action::NextContext,
                Action::NextNamespace,
            ],
        ),
        View::Security => (
            Section::Security,
            &[
                Action::Help,
                Action::Back,
                Action::Open,
                Action::NextNamespace,
                Action::AllNamespaces,
                Action::NextContext,
            ],
        ),
        // The flags tab's own keys first: the line is cut at the right.
        View::Detail(_) if state.tab == crate::app::Tab::Flags => (
            Section::Detail,
            &[
                Action::Help,
                Action::Back,
                Action::EvaluateFlags,
                Action::FlagToggle,
                Action::FlagDefault,
                Action::FlagWeights,
                Action::Promote,
                Action::Pause,
                Action::Resume,
                Action::Abort,
                Action::Rollback,
                Action::Restart,
            ],
        ),
        View::Detail(_) => (
            Section::Detail,
            &[
                Action::Help,
                Action::Back,
                Action::Promote,
                Action::Pause,
                Action::Resume,
                Action::Abort,
                Action::Rollback,
                Action::Restart,
            ],
        ),
    };
    // A paused release is resumed, not paused again: the queue offers what applies.
    let paused = state
        .focused()
        .is_some_and(|r| r.phase == crate::model::Phase::Paused);
    let mut entries = Vec::new();
    for &action in actions {
        let action = match (&state.view, action) {
            (View::Home, Action::Pause) if paused => Action::Resume,
            _ => action,
        };
        let Some(keys) = state
            .keymap
            .keys_for_any(&[section, Section::Global], action)
        else {
            continue;
        };
        // A read-only context has no cluster actions at all, not even struck out; nor an
        // operation the actuator in use cannot perform on the focused kind.
        if !offered(state, action) {
            continue;
        }
        let name = crate::config::keymap::action_name(action).replace('_', "-");
        // An action the focused release cannot take right now (a permission, say) is
        // shown, but greyed and struck out.
        let blocked = action
            .operation()
            .zip(state.focused())
            .is_some_and(|(op, r)| {
                crate::app::blocked_reason(state, &r.key, op).is_some()
                    || r.state_refusal(op).is_some()
            });
        if blocked {
            let style = theme.style(Slot::Muted).add_modifier(Modifier::CROSSED_OUT);
            entries.push(vec![Span::styled(format!(" {keys} {name}"), style)]);
        } else {
            entries.push(vec![
                Span::styled(format!(" {keys}"), theme.style(Slot::Key)),
                Span::raw(format!(" {name}")),
            ]);
        }
    }
    entries
}
