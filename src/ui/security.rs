//! The security view: findings of the namespaces shown, grouped by severity, with a
//! cursor, and the finding under it in full below the list.

use super::detail::severity_slot;
use crate::app::security::{entries, gaps, Entry};
use crate::app::{Level, State};
use crate::config::theme::{Slot, Theme};
use crate::model::display::{columns, fit};
use crate::model::text::inert;
use crate::model::Severity;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

/// Lines of the pane that shows the finding under the cursor.
const PANE: u16 = 5;

pub fn render(frame: &mut Frame, area: Rect, state: &State, theme: &Theme) {
    let list = entries(state);
    let gaps = gaps(state);
    let mut head = vec![title(state, &list, theme)];
    for (level, text) in &gaps {
        let slot = match level {
            Level::Error => Slot::Danger,
            _ => Slot::Warning,
        };
        head.push(Line::styled(
            format!("⚠ {}", inert(text)),
            theme.style(slot),
        ));
    }
    let head_len = (head.len() as u16).min(area.height.saturating_sub(1));
    let pane = if list.is_empty() { 0 } else { PANE };
    let [top, body, bottom] = Layout::vertical([
        Constraint::Length(head_len),
        Constraint::Min(1),
        Constraint::Length(pane),
    ])
    .areas(area);
    frame.render_widget(
        Paragraph::new(clip(head, top.width)).style(theme.style(Slot::Text)),
        top,
    );
    if list.is_empty() {
        let text = if gaps.is_empty() {
            format!("no security findings in {}", scope(state))
        } else {
            format!("no security findings yet in {}", scope(state))
        };
        frame.render_widget(
            Paragraph::new(Line::styled(text, theme.style(Slot::Muted))),
            body,
        );
        return;
    }
    let cursor = state.security.cursor.min(list.len() - 1);
    let (lines, at) = list_lines(state, &list, cursor, body.width, theme);
    let view = usize::from(body.height);
    // The cursor's line stays in view, with its group's heading when there is room.
    let offset = at.saturating_sub(view.saturating_sub(1));
    let shown: Vec<Line<'static>> = lines.into_iter().skip(offset).take(view).collect();
    frame.render_widget(Paragraph::new(shown), body);
    frame.render_widget(
        Paragraph::new(clip(
            pane_lines(state, &list[cursor], bottom.width, theme),
            bottom.width,
        )),
        bottom,
    );
}

/// Where the view looks: the queue's context and namespace filters.
fn scope(state: &State) -> String {
    let ns = match &state.namespace_filter {
        Some(ns) => format!("namespace {}", inert(ns)),
        None => "all namespaces".to_owned(),
    };
    match &state.context_filter {
        Some(c) => format!("{}, {ns}", inert(c)),
        None => ns,
    }
}

fn title(state: &State, list: &[Entry<'_>], theme: &Theme) -> Line<'static> {
    let counts: Vec<String> = Severity::ALL
        .into_iter()
        .filter_map(|s| {
            let n = list.iter().filter(|e| e.finding.severity == s).count();
            (n > 0).then(|| format!("{n} {s}"))
        })
        .collect();
    let mut spans = vec![
        Span::styled("Security ", theme.style(Slot::Title)),
        Span::styled(scope(state), theme.style(Slot::Muted)),
    ];
    if !counts.is_empty() {
        spans.push(Span::raw(format!("  {}", counts.join(", "))));
    }
    Line::from(spans)
}

/// Who a finding is about, as the list names it: its release, or the object itself.
fn owner(state: &State, e: &Entry<'_>) -> String {
    let ns = if state.namespace_filter.is_none() && !e.finding.object.namespace.is_empty() {
        format!("{}/", e.finding.object.namespace)
    } else {
        String::new()
    };
    // Every context's findings together: say which context each is from.
    let ctx = if state.context_filter.is_none() && state.clusters.len() > 1 {
        format!("{}:", e.context)
    } else {
        String::new()
    };
    match e.release {
        Some(key) => format!("{ctx}{ns}{}", key.name),
        None => format!(
            "{ctx}{ns}{} {}",
            e.finding.object.kind, e.finding.object.name
        ),
    }
}

/// The list: a heading per severity, a line per finding; and the line the cursor is on.
fn list_lines(
    state: &State,
    list: &[Entry<'_>],
    cursor: usize,
    width: u16,
    theme: &Theme,
) -> (Vec<Line<'static>>, usize) {
    let names: Vec<String> = list
        .iter()
        .map(|e| inert(&owner(state, e)).into_owned())
        .collect();
    let name_width = names.iter().map(|n| columns(n)).max().unwrap_or(0).min(32);
    let mut lines = Vec::new();
    let mut at = 0;
    let mut group = None;
    for (i, e) in list.iter().enumerate() {
        let f = e.finding;
        if group != Some(f.severity) {
            group = Some(f.severity);
            let n = list
                .iter()
                .filter(|x| x.finding.severity == f.severity)
                .count();
            lines.push(Line::styled(
                format!("{} ({n})", f.severity.word().to_uppercase()),
                theme
                    .style(severity_slot(f.severity))
                    .add_modifier(Modifier::BOLD),
            ));
        }
        let name = fit(&names[i], name_width as u16);
        let pad = name_width.saturating_sub(columns(&name));
        let text = format!(
            "{} {:<7} {name}{}  {}",
            if i == cursor { "▸" } else { " " },
            f.code,
            " ".repeat(pad),
            inert(&f.message)
        );
        let text = fit(&text, width);
        let mut style = theme.style(severity_slot(f.severity));
        if i == cursor {
            at = lines.len();
            style = style.add_modifier(Modifier::REVERSED);
        }
        lines.push(Line::styled(text, style));
    }
    (lines, at)
}

/// The finding under the cursor in full: its object and field path, what is wrong, the
/// remedy, and what Enter does with it.
fn pane_lines(state: &State, e: &Entry<'_>, width: u16, theme: &Theme) -> Vec<Line<'static>> {
    let f = e.finding;
    let path = if f.path.is_empty() {
        "(the whole object)".to_owned()
    } else {
        inert(&f.path).into_owned()
    };
    let enter = state.keymap.keys_for(
        crate::config::keymap::Section::Security,
        crate::action::Action::Open,
    );
    let go = match (e.release, enter) {
        (Some(key), Some(k)) => format!(
            "{k}: open {}/{} on its security tab",
            key.kind.target_prefix(),
            inert(&key.name)
        ),
        (Some(key), None) => format!("release {}", inert(&key.name)),
        (None, _) => "not part of a release: change this object itself".to_owned(),
    };
    vec![
        Line::styled("─".repeat(usize::from(width)), theme.style(Slot::Border)),
        Line::from(vec![
            Span::styled(
                format!("{} ", f.code),
                theme.style(severity_slot(f.severity)),
            ),
            Span::styled(
                inert(&format!("{} ", f.object)).into_owned(),
                theme.style(Slot::Text),
            ),
            Span::styled(path, theme.style(Slot::Accent)),
        ]),
        Line::styled(inert(&f.message).into_owned(), theme.style(Slot::Text)),
        Line::styled(format!("fix: {}", f.remediation), theme.style(Slot::Muted)),
        Line::styled(go, theme.style(Slot::Muted)),
    ]
}

/// Each line cut to the width, so that none wraps into the next.
fn clip(lines: Vec<Line<'static>>, width: u16) -> Vec<Line<'static>> {
    lines
        .into_iter()
        .map(|line| {
            let style = line.style;
            let text: String = line.spans.iter().map(|s| s.content.as_ref()).collect();
            if columns(&text) <= usize::from(width) {
                return line;
            }
            // Cut span by span so each keeps its colour.
            let mut left = usize::from(width);
            let mut spans = Vec::new();
            for s in line.spans {
                if left == 0 {
                    break;
                }
                let w = columns(&s.content);
                if w <= left {
                    left -= w;
                    spans.push(s);
                } else {
                    spans.push(Span::styled(fit(&s.content, left as u16), s.style));
                    left = 0;
                }
            }
            Line::from(spans).style(style)
        })
        .collect()
}
