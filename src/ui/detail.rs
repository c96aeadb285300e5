//! One release in depth: revisions and their pods, the step timeline, analysis, conditions
//! and events. Every panel scrolls: the revisions follow their cursor, the others scroll
//! when focused (Tab), and say where they are when they hold more than fits.

use super::format::{
    age_opt, kind_label, phase_slot, replicas, sparkline, verdict_slot, verdict_text, weight_text,
};
use crate::action::Action;
use crate::app::panels::Panel;
use crate::app::State;
use crate::config::keymap::Section;
use crate::config::theme::{Slot, Theme};
use crate::model::ops::Operation;
use crate::model::text::inert;
use crate::model::Permission;
use crate::model::{Release, RevisionRole, Severity, StepState};
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};
use ratatui::Frame;

/// A titled section; `left` draws a divider from the section to its left.
fn block<'a>(title: Line<'a>, theme: &Theme, left: bool, focused: bool) -> Block<'a> {
    let borders = if left {
        Borders::TOP | Borders::LEFT
    } else {
        Borders::TOP
    };
    Block::default()
        .borders(borders)
        .border_style(theme.style(if focused {
            Slot::BorderFocused
        } else {
            Slot::Border
        }))
        .title(title)
}

fn role_slot(role: RevisionRole) -> Slot {
    match role {
        RevisionRole::Stable | RevisionRole::Active => Slot::Stable,
        RevisionRole::Canary | RevisionRole::Preview | RevisionRole::New => Slot::Canary,
        RevisionRole::Old => Slot::Muted,
    }
}

/// Operations the API server said the user may not run here, and why.
fn denied(state: &State, r: &Release) -> Option<String> {
    let mut ops: Vec<(&str, &str)> = state
        .permissions
        .iter()
        .filter(|((key, _), _)| *key == r.key)
        .filter_map(|((_, op), p)| match p {
            Permission::Denied(why) => Some((op.verb(), why.as_str())),
            Permission::Allowed => None,
        })
        .collect();
    ops.sort();
    let first_reason = ops.first()?.1;
    let verbs: Vec<&str> = ops.iter().map(|(verb, _)| *verb).collect();
    Some(format!(
        "✖ not allowed: {} ({first_reason})",
        verbs.join(", ")
    ))
}

/// Wraps lines to `width` columns, at a space when the word fits on the next line, so
/// nothing is lost off the right edge and the line count is known before drawing.
fn wrap(lines: Vec<Line<'static>>, width: u16) -> Vec<Line<'static>> {
    let width = usize::from(width.max(1));
    let mut out = Vec::new();
    for line in lines {
        // Each character with its style and width.
        let chars: Vec<(char, Style, usize)> = line
            .spans
            .iter()
            .flat_map(|span| {
                span.content
                    .chars()
                    .map(move |c| (c, span.style, Span::raw(c.to_string()).width()))
            })
            .collect();
        let mut start = 0;
        loop {
            let mut used = 0;
            let mut end = start;
            while end < chars.len() && (used + chars[end].2 <= width || end == start) {
                used += chars[end].2;
                end += 1;
            }
            if end < chars.len() {
                // Break after the last space, unless that would leave the line empty.
                if let Some(space) = (start + 1..end).rev().find(|&i| chars[i - 1].0 == ' ') {
                    end = space;
                }
            }
            out.push(styled_line(&chars[start..end], line.style));
            start = end;
            if start >= chars.len() {
                break;
            }
        }
    }
    out
}

/// Characters back into spans, one per run of a style.
fn styled_line(chars: &[(char, Style, usize)], style: Style) -> Line<'static> {
    let mut spans: Vec<Span<'static>> = Vec::new();
    for &(c, s, _) in chars {
        match spans.last_mut() {
            Some(last) if last.style == s => last.content.to_mut().push(c),
            _ => spans.push(Span::styled(c.to_string(), s)),
        }
    }
    Line::from(spans).style(style)
}

/// Where each part of the detail view goes.
struct Areas {
    summary: Rect,
    panels: [Rect; Panel::COUNT],
}

fn areas(area: Rect, summary_height: u16) -> Areas {
    let [summary, middle, bottom] = Layout::vertical([
        Constraint::Length(summary_height),
        Constraint::Fill(3),
        Constraint::Fill(2),
    ])
    .areas(area);
    let [left, right] =
        Layout::horizontal([Constraint::Percentage(55), Constraint::Percentage(45)]).areas(middle);
    let [conds, events] =
        Layout::horizontal([Constraint::Percentage(40), Constraint::Percentage(60)]).areas(bottom);
    Areas {
        summary,
        panels: [left, right, conds, events],
    }
}

/// Panels on the right of a divider draw it on their left.
fn has_left_border(panel: Panel) -> bool {
    matches!(panel, Panel::Steps | Panel::Events)
}

fn inner(rect: Rect, panel: Panel) -> Rect {
    Block::default()
        .borders(if has_left_border(panel) {
            Borders::TOP | Borders::LEFT
        } else {
            Borders::TOP
        })
        .inner(rect)
}

/// The summary's lines, wrapped to the width, at most a third of the view.
fn summary_lines(state: &State, r: &Release, theme: &Theme, area: Rect) -> Vec<Line<'static>> {
    let lines = wrap(summary(state, r, theme), area.width);
    let cap = (area.height / 3).max(3) as usize;
    lines.into_iter().take(cap).collect()
}

/// How far `panel` can scroll in the detail view drawn in `body`.
pub fn max_scroll(state: &State, r: &Release, body: Rect, panel: Panel) -> usize {
    let theme = Theme::mono();
    let summary = summary_lines(state, r, &theme, body).len() as u16;
    let rect = inner(areas(body, summary).panels[panel.index()], panel);
    let lines = wrap(panel_lines(state, r, &theme, panel), rect.width);
    lines.len().saturating_sub(rect.height as usize)
}

pub fn render(frame: &mut Frame, area: Rect, state: &State, r: &Release, theme: &Theme) {
    let summary = summary_lines(state, r, theme, area);
    let areas = areas(area, summary.len() as u16);
    frame.render_widget(Paragraph::new(summary), areas.summary);
    for panel in Panel::ALL {
        render_panel(frame, areas.panels[panel.index()], state, r, theme, panel);
    }
}

fn panel_title(state: &State, r: &Release, panel: Panel) -> String {
    match panel {
        Panel::Revisions => {
            // Only offer a rollback the user can take here.
            let key = state
                .keymap
                .keys_for_any(&[Section::Detail, Section::Global], Action::Rollback)
                .filter(|_| {
                    crate::app::blocked_reason(state, &r.key, Operation::Rollback).is_none()
                });
            match key {
                Some(k) => format!("Revisions ({k}: roll back to ▸)"),
                None => "Revisions".to_owned(),
            }
        }
        Panel::Steps => "Warnings · steps · analysis · flags".to_owned(),
        Panel::Conditions => "Conditions".to_owned(),
        Panel::Events => "Events".to_owned(),
    }
}

fn render_panel(
    frame: &mut Frame,
    area: Rect,
    state: &State,
    r: &Release,
    theme: &Theme,
    panel: Panel,
) {
    let focused = state.panel_focus == panel;
    let rect = inner(area, panel);
    let height = rect.height as usize;
    let (lines, scroll) = if panel == Panel::Revisions {
        let (lines, cursor_line) = revision_lines(state, r, theme);
        // Keep the revision under the cursor on screen.
        let scroll = cursor_line.saturating_sub(height.saturating_sub(2));
        (lines, scroll)
    } else {
        let lines = wrap(panel_lines(state, r, theme, panel), rect.width);
        (lines, state.panel_scroll[panel.index()])
    };
    let total = lines.len();
    let scroll = scroll.min(total.saturating_sub(height));
    let title_slot = if focused {
        Slot::BorderFocused
    } else {
        Slot::Title
    };
    let mut title = Vec::new();
    if focused {
        title.push(Span::styled("▸ ", theme.style(title_slot)));
    }
    // Where the panel is, first so a long title cannot push it off.
    if total > height {
        let up = if scroll > 0 { "↑" } else { "" };
        let down = if scroll + height < total { "↓" } else { "" };
        title.push(Span::styled(
            format!(
                "{up}{down}{}-{}/{total} ",
                scroll + 1,
                (scroll + height).min(total)
            ),
            theme.style(Slot::Accent),
        ));
    }
    title.push(Span::styled(
        panel_title(state, r, panel),
        theme.style(title_slot),
    ));
    frame.render_widget(
        Paragraph::new(lines)
            .block(block(
                Line::from(title),
                theme,
                has_left_border(panel),
                focused,
            ))
            .scroll((scroll as u16, 0)),
        area,
    );
}

fn panel_lines(state: &State, r: &Release, theme: &Theme, panel: Panel) -> Vec<Line<'static>> {
    match panel {
        Panel::Revisions => revision_lines(state, r, theme).0,
        Panel::Steps => step_lines(state, r, theme),
        Panel::Conditions => condition_lines(r, theme),
        Panel::Events => event_lines(state, r, theme),
    }
}

fn summary(state: &State, r: &Release, theme: &Theme) -> Vec<Line<'static>> {
    let (base, new) = r.side_labels();
    let mut title = vec![
        Span::styled(
            format!("{}/{}", r.key.kind.target_prefix(), inert(&r.key.name)),
            theme.style(Slot::Title),
        ),
        Span::styled(
            format!(
                "  {}/{}  {}  ",
                inert(&r.key.context),
                inert(&r.key.namespace),
                kind_label(r, false)
            ),
            theme.style(Slot::Muted),
        ),
        Span::styled(
            format!("{} {}", r.phase.icon(), r.phase.label()),
            theme.style(phase_slot(r.phase)),
        ),
    ];
    if state.is_read_only(&r.key.context) {
        title.push(Span::styled("  read-only", theme.style(Slot::Warning)));
    }
    let mut progress = vec![];
    if let Some((n, m)) = r.step {
        progress.push(Span::raw(format!("step {n}/{m}  ")));
    }
    let weight = weight_text(r);
    if weight != "-" {
        progress.push(Span::styled(
            format!("weight {weight}  "),
            theme.style(Slot::Canary),
        ));
    }
    progress.push(Span::styled(
        format!("{base} {}  ", replicas(r.stable)),
        theme.style(Slot::Stable),
    ));
    progress.push(Span::styled(
        format!("{new} {}  ", replicas(r.canary)),
        theme.style(Slot::Canary),
    ));
    progress.push(Span::styled(
        format!("age {}", age_opt(r.created, state.now)),
        theme.style(Slot::Muted),
    ));
    let mut lines = vec![Line::from(title), Line::from(progress)];
    // The verdict and its reason get a line of their own so they are never cut.
    if r.verdict.is_some() || !r.verdict_reason.is_empty() {
        let mut verdict = vec![Span::styled(
            format!("verdict {}", verdict_text(r.verdict)),
            theme.style(verdict_slot(r.verdict)),
        )];
        if !r.verdict_reason.is_empty() {
            verdict.push(Span::styled(
                format!(": {}", inert(&r.verdict_reason)),
                theme.style(Slot::Text),
            ));
        }
        lines.push(Line::from(verdict));
    }
    lines.push(Line::styled(
        if r.message.is_empty() {
            "-".to_owned()
        } else {
            inert(&r.message).into_owned()
        },
        theme.style(phase_slot(r.phase)),
    ));
    if let Some(denied) = denied(state, r) {
        lines.push(Line::styled(
            inert(&denied).into_owned(),
            theme.style(Slot::Danger),
        ));
    }
    lines
}

/// The revision lines, and the line the cursor is on.
fn revision_lines(state: &State, r: &Release, theme: &Theme) -> (Vec<Line<'static>>, usize) {
    let mut lines = Vec::new();
    let mut cursor_line = 0;
    for (i, rev) in r.revisions.iter().enumerate() {
        let selected = i == state.revision_cursor;
        if selected {
            cursor_line = lines.len();
        }
        // The selected line is drawn in the selection's colours alone.
        let style = |slot: Slot| {
            if selected {
                Style::default()
            } else {
                theme.style(slot)
            }
        };
        let marker = if selected { "▸" } else { " " };
        let line = Line::from(vec![
            Span::raw(format!("{marker}#{:<3}", rev.number)),
            Span::styled(
                format!("{:<8}", rev.role.label()),
                style(role_slot(rev.role)),
            ),
            Span::raw(format!("{} ", inert(&rev.images.join(",")))),
            Span::styled(
                format!(
                    "{} ready  {}",
                    replicas(rev.replicas),
                    age_opt(rev.created, state.now)
                ),
                style(Slot::Muted),
            ),
        ]);
        lines.push(if selected {
            line.style(theme.style(Slot::Selected))
        } else {
            line
        });
        for pod in &rev.pods {
            let (icon, slot) = if pod.ready {
                ("✔", Slot::Healthy)
            } else if pod.restarts > 0 {
                ("✖", Slot::Degraded)
            } else {
                ("◌", Slot::Progressing)
            };
            lines.push(Line::from(vec![
                Span::styled(format!("   {icon} "), theme.style(slot)),
                Span::raw(format!("{} ", inert(&pod.name))),
                Span::styled(
                    format!(
                        "{} ↻{} {}",
                        inert(&pod.status),
                        pod.restarts,
                        age_opt(pod.created, state.now)
                    ),
                    theme.style(Slot::Muted),
                ),
            ]));
        }
    }
    if lines.is_empty() {
        lines.push(Line::styled(
            "no revisions seen yet",
            theme.style(Slot::Muted),
        ));
    }
    (lines, cursor_line)
}

fn step_lines(state: &State, r: &Release, theme: &Theme) -> Vec<Line<'static>> {
    let mut lines = Vec::new();
    // Findings first: a critical one must be seen without scrolling.
    for finding in &state.findings_of(&r.key).items {
        let slot = match finding.severity {
            Severity::Critical => Slot::Danger,
            Severity::Warning => Slot::Warning,
            Severity::Info => Slot::Muted,
        };
        lines.push(Line::styled(
            format!(
                "⚠ {}: {}",
                inert(&finding.category),
                inert(&finding.message)
            ),
            theme.style(slot),
        ));
    }
    for step in &r.steps {
        let (icon, slot) = match step.state {
            StepState::Done => ("✔", Slot::Healthy),
            StepState::Current => ("▶", Slot::Accent),
            StepState::Failed => ("✖", Slot::Degraded),
            StepState::Pending => ("·", Slot::Muted),
        };
        lines.push(Line::from(vec![
            Span::styled(format!("{icon} "), theme.style(slot)),
            Span::styled(
                inert(&step.kind.to_string()).into_owned(),
                theme.style(if step.state == StepState::Current {
                    Slot::Accent
                } else {
                    Slot::Text
                }),
            ),
        ]));
    }
    if r.steps.is_empty() {
        lines.push(Line::styled(
            "no steps: the controller rolls pods over",
            theme.style(Slot::Muted),
        ));
    }
    for m in &state.metrics_of(&r.key).series {
        let max = m
            .canary
            .iter()
            .chain(&m.baseline)
            .cloned()
            .fold(0.0, f64::max);
        let last = |s: &[f64]| {
            s.last()
                .map(|v| format!("{v:.2}"))
                .unwrap_or_else(|| "-".into())
        };
        lines.push(Line::styled(
            inert(&m.name).into_owned(),
            theme.style(Slot::Header),
        ));
        lines.push(Line::from(vec![
            Span::styled("  canary   ", theme.style(Slot::Canary)),
            Span::raw(sparkline(
                &m.canary[m.canary.len().saturating_sub(16)..],
                max,
            )),
            Span::raw(format!(" {}", last(&m.canary))),
        ]));
        lines.push(Line::from(vec![
            Span::styled("  baseline ", theme.style(Slot::Stable)),
            Span::raw(sparkline(
                &m.baseline[m.baseline.len().saturating_sub(16)..],
                max,
            )),
            Span::raw(format!(" {}", last(&m.baseline))),
        ]));
    }
    for f in &state.flags_of(&r.key).states {
        lines.push(Line::from(vec![
            Span::styled("⚑ ", theme.style(Slot::Accent)),
            Span::raw(format!("{} ", inert(&f.key))),
            Span::styled(
                format!(
                    "{} → {}",
                    if f.enabled { "on" } else { "off" },
                    inert(&f.default_variant)
                ),
                theme.style(if f.enabled {
                    Slot::Healthy
                } else {
                    Slot::Muted
                }),
            ),
        ]));
    }
    lines
}

fn condition_lines(r: &Release, theme: &Theme) -> Vec<Line<'static>> {
    r.conditions
        .iter()
        .map(|c| {
            let slot = if c.status == "True" {
                Slot::Healthy
            } else {
                Slot::Warning
            };
            Line::from(vec![
                Span::styled(
                    format!("{}={} ", inert(&c.type_), inert(&c.status)),
                    theme.style(slot),
                ),
                Span::styled(inert(&c.reason).into_owned(), theme.style(Slot::Muted)),
            ])
        })
        .collect()
}

fn event_lines(state: &State, r: &Release, theme: &Theme) -> Vec<Line<'static>> {
    r.events
        .iter()
        .map(|e| {
            Line::from(vec![
                Span::styled(
                    format!("{:>4} ", age_opt(e.last_seen, state.now)),
                    theme.style(Slot::Muted),
                ),
                Span::styled(
                    format!("{} ", inert(&e.reason)),
                    theme.style(if e.warning { Slot::Warning } else { Slot::Text }),
                ),
                Span::raw(inert(&e.message).into_owned()),
            ])
        })
        .collect()
}
