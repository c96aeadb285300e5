//! Rendering: a pure function of `State` and `Theme` onto a ratatui frame.

mod confirm;
mod detail;
mod flags;
pub mod format;
mod help;
mod home;
mod problems;
mod security;

use crate::app::{Extent, Extents, Level, Mode, Overlay, State, View};
use crate::config::theme::{Slot, Theme};
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph};
use ratatui::Frame;

/// Below this the console cannot lay itself out (`update` ignores keys then).
pub use crate::app::{MIN_HEIGHT, MIN_WIDTH};

/// Draws the state.
pub fn render(frame: &mut Frame, state: &State, theme: &Theme) {
    render_measured(frame, state, theme);
}

/// Draws the state and says how much of it each view had room for, so that `update` can
/// bound scrolling by what was on screen (the loop sends it in `Msg::Drawn`).
pub fn render_measured(frame: &mut Frame, state: &State, theme: &Theme) -> Extents {
    let mut extents = Extents::default();
    let area = frame.area();
    if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
        let text = format!(
            "terminal too small: {}x{} (needs {MIN_WIDTH}x{MIN_HEIGHT})",
            area.width, area.height
        );
        frame.render_widget(Paragraph::new(text).style(theme.style(Slot::Warning)), area);
        return extents;
    }
    let [header, body, footer] = chrome(area);
    render_header(frame, header, state, theme);
    match &state.view {
        View::Home => extents.home_rows = Some(home::render(frame, body, state, theme)),
        View::Security => security::render(frame, body, state, theme),
        View::Detail(key) => match state.releases.get(key) {
            Some(r) => extents.tab = Some(detail::render(frame, body, state, r, theme)),
            None => frame.render_widget(
                Paragraph::new(format!(
                    "{key} is gone (deleted or no longer visible). Esc goes back."
                ))
                .style(theme.style(Slot::Warning)),
                body,
            ),
        },
    }
    render_footer(frame, footer, state, theme);
    match &state.overlay {
        Some(Overlay::Help { scroll }) => {
            help::render(frame, area, state, *scroll, theme);
            // The help box: the screen less a line above and below, less its border.
            extents.overlay = Some(Extent {
                lines: help::help_lines(state, theme).len(),
                view: usize::from(area.height.saturating_sub(4)),
            });
        }
        Some(Overlay::Confirm(c)) => confirm::render(frame, area, state, c, theme),
        Some(Overlay::FlagConfirm(c)) => flags::render_confirm(frame, area, state, c, theme),
        Some(Overlay::Problems { scroll }) => {
            extents.overlay = Some(problems::render(frame, area, state, *scroll, theme));
        }
        None => {}
    }
    extents
}

/// Header, body and footer.
fn chrome(area: Rect) -> [Rect; 3] {
    Layout::vertical([
        Constraint::Length(2),
        Constraint::Min(1),
        Constraint::Length(2),
    ])
    .areas(area)
}

fn render_header(frame: &mut Frame, area: Rect, state: &State, theme: &Theme) {
    let [top, conns] = Layout::vertical([Constraint::Length(1), Constraint::Length(1)]).areas(area);
    let mut spans = vec![
        Span::styled(" ripcord ", theme.style(Slot::Title)),
        Span::styled(" ctx:", theme.style(Slot::Muted)),
        Span::styled(
            state.context_filter.as_deref().unwrap_or("all").to_owned(),
            theme.style(Slot::Text),
        ),
        Span::styled(" ns:", theme.style(Slot::Muted)),
        Span::styled(
            state
                .namespace_filter
                .as_deref()
                .unwrap_or("all")
                .to_owned(),
            theme.style(Slot::Text),
        ),
        Span::styled(" sort:", theme.style(Slot::Muted)),
        Span::styled(state.sort.label(), theme.style(Slot::Text)),
    ];
    let filter = match &state.filter_input {
        Some(input) => Some(format!("/{}▏", input.lines().join(""))),
        None if !state.filter.is_empty() => Some(format!("/{}", state.filter)),
        None => None,
    };
    if let Some(f) = filter {
        spans.push(Span::styled(" filter:", theme.style(Slot::Muted)));
        spans.push(Span::styled(f, theme.style(Slot::Accent)));
    }
    if let Some((key, input)) = &state.weight_input {
        spans.push(Span::styled(
            format!(
                " set-weight {}/{} to:",
                key.kind.target_prefix(),
                crate::model::text::inert(&key.name)
            ),
            theme.style(Slot::Muted),
        ));
        spans.push(Span::styled(
            format!("{}▏%", input.lines().join("")),
            theme.style(Slot::Accent),
        ));
    }
    if state.read_only {
        spans.push(Span::styled(" [read-only]", theme.style(Slot::Warning)));
    }
    // The demo clock keeps its place at the right edge: filters and sort give way first.
    let mut left = top;
    if let Mode::Demo { paused, speed } = state.mode {
        let clock = match (paused, top.width >= 80) {
            (true, true) => "‖ paused",
            (true, false) => "‖",
            (false, _) => "▶",
        };
        let text = format!(" demo {clock} {speed}x {} ", state.now.format("%H:%M:%S"));
        let width = (Line::raw(text.as_str()).width() as u16).min(top.width);
        let [rest, right] =
            Layout::horizontal([Constraint::Min(0), Constraint::Length(width)]).areas(top);
        frame.render_widget(
            Paragraph::new(Span::styled(text, theme.style(Slot::Accent))),
            right,
        );
        left = rest;
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), left);

    // The full line when it fits; else each context short, and its cause before its detail.
    let full = connection_spans(state, theme, false);
    let width: usize = full.iter().map(|s| s.width()).sum();
    let spans = if width <= usize::from(conns.width) {
        full
    } else {
        connection_spans(state, theme, true)
    };
    frame.render_widget(Paragraph::new(Line::from(spans)), conns);
}

/// Each context, its connection and whether it is read-only; `short` keeps names and
/// causes short, so that the cause of a lost connection survives a narrow screen.
fn connection_spans<'a>(state: &State, theme: &Theme, short: bool) -> Vec<Span<'a>> {
    let mut spans = Vec::new();
    for (name, cluster) in &state.clusters {
        let (icon, slot) = match cluster.conn {
            crate::model::ConnState::Synced => ("●", Slot::Healthy),
            crate::model::ConnState::Connecting => ("○", Slot::Progressing),
            crate::model::ConnState::Reconnecting(_) => ("◌", Slot::Warning),
            crate::model::ConnState::Denied(_) => ("✖", Slot::Danger),
        };
        let prod = state.settings.is_production(name);
        let shown = if short {
            crate::model::display::fit(name, 12)
        } else {
            name.clone()
        };
        spans.push(Span::styled(
            format!(" {}", crate::model::text::inert(&shown)),
            theme.style(if prod { Slot::Production } else { Slot::Text }),
        ));
        let label = if short {
            short_conn_label(&cluster.conn)
        } else {
            cluster.conn.label()
        };
        let text = format!(" {icon} {}", crate::model::text::inert(&label));
        spans.push(Span::styled(text.trim_end().to_owned(), theme.style(slot)));
        if !state.read_only && state.settings.is_read_only(name) {
            spans.push(Span::styled(" read-only", theme.style(Slot::Warning)));
        }
        spans.push(Span::raw(" "));
    }
    spans
}

/// A connection state in a few words: "unreachable: connection refused" rather than the
/// request that failed and every layer of the error; the status line has the full text.
fn short_conn_label(conn: &crate::model::ConnState) -> String {
    use crate::model::ConnState;
    let why = match conn {
        ConnState::Reconnecting(why) => why,
        // The icon says it.
        ConnState::Synced => return String::new(),
        other => return other.label(),
    };
    // The innermost cause comes last, after the chain's ": ".
    let root = why.rsplit(": ").next().unwrap_or(why).trim();
    let root = match root.find(" (os error") {
        Some(i) => &root[..i],
        None => root,
    };
    let root = root.to_lowercase();
    match conn {
        ConnState::Reconnecting(_) if why.contains("unreachable") => {
            format!("unreachable: {root}")
        }
        _ => format!("reconnecting: {root}"),
    }
}

fn render_footer(frame: &mut Frame, area: Rect, state: &State, theme: &Theme) {
    let [status, hints] =
        Layout::vertical([Constraint::Length(1), Constraint::Length(1)]).areas(area);
    let status_line = match (&state.status, state.warnings.first()) {
        (Some(s), _) => {
            let slot = match s.level {
                Level::Info => Slot::Text,
                Level::Success => Slot::Healthy,
                Level::Warning => Slot::Warning,
                Level::Error => Slot::Danger,
            };
            Line::styled(
                short_status(&crate::model::text::inert(&s.text), status.width),
                theme.style(slot),
            )
        }
        // The key that lists them all comes first, so a narrow screen cannot cut it off.
        (None, Some(w)) => {
            let key = state.keymap.keys_for(
                crate::config::keymap::Section::Global,
                crate::action::Action::Problems,
            );
            let count = state.warnings.len();
            let lead = match (key, count) {
                (Some(k), 1) => format!("⚠ config ({k} shows it): "),
                (Some(k), n) => format!("⚠ {n} config problems ({k} lists them): "),
                (None, 1) => "⚠ config: ".to_owned(),
                (None, n) => format!("⚠ {n} config problems: "),
            };
            Line::styled(
                format!("{lead}{}", crate::model::text::inert(w)),
                theme.style(Slot::Warning),
            )
        }
        (None, None) => Line::default(),
    };
    frame.render_widget(Paragraph::new(status_line), status);
    frame.render_widget(
        Paragraph::new(help::hint_line(state, theme, hints.width))
            .style(theme.style(Slot::StatusBar)),
        hints,
    );
}

/// A status message in `width` columns. One too long keeps what matters: its head (what
/// was done to what, and how it went), then its last clause (the advice, or the root
/// cause), then as much of the rest as fits, ending in `…`. The `!` list has it whole.
pub fn short_status(text: &str, width: u16) -> String {
    use crate::model::display::{columns, fit};
    if columns(text) <= usize::from(width) {
        return text.to_owned();
    }
    let Some((head, rest)) = text.split_once(": ") else {
        return fit(text, width);
    };
    let reordered = match rest.rsplit_once(": ") {
        Some((middle, last)) => format!("{head}: {last} · {middle}"),
        None => text.to_owned(),
    };
    fit(&reordered, width)
}

/// The help overlay's lines as plain text.
pub fn help_text(state: &State, theme: &Theme) -> Vec<String> {
    help::help_lines(state, theme)
        .iter()
        .map(|line| line.spans.iter().map(|s| s.content.as_ref()).collect())
        .collect()
}

/// A box in the middle of `area`, cleared, for overlays.
pub fn centered(frame: &mut Frame, area: Rect, width: u16, height: u16) -> Rect {
    let w = width.min(area.width);
    let h = height.min(area.height);
    let rect = Rect {
        x: area.x + (area.width - w) / 2,
        y: area.y + (area.height - h) / 2,
        width: w,
        height: h,
    };
    frame.render_widget(Clear, rect);
    rect
}
