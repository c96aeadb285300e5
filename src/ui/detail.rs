//! One release in depth: revisions and their pods, the step timeline, analysis, conditions
//! and events.

use super::format::{
    age_opt, kind_label, phase_slot, replicas, sparkline, verdict_slot, verdict_text,
};
use crate::app::{Permission, State};
use crate::config::theme::{Slot, Theme};
use crate::model::{RevisionRole, Rollout, Severity, StepState};
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Wrap};
use ratatui::Frame;

/// A titled section; `left` draws a divider from the section to its left.
fn block<'a>(title: &'a str, theme: &Theme, left: bool) -> Block<'a> {
    let borders = if left {
        Borders::TOP | Borders::LEFT
    } else {
        Borders::TOP
    };
    Block::default()
        .borders(borders)
        .border_style(theme.style(Slot::Border))
        .title(Span::styled(title, theme.style(Slot::Title)))
}

fn role_slot(role: RevisionRole) -> Slot {
    match role {
        RevisionRole::Stable | RevisionRole::Active => Slot::Stable,
        RevisionRole::Canary | RevisionRole::Preview | RevisionRole::New => Slot::Canary,
        RevisionRole::Old => Slot::Muted,
    }
}

/// Operations the API server said the user may not run here, and why.
fn denied(state: &State, r: &Rollout) -> Option<String> {
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

pub fn render(frame: &mut Frame, area: Rect, state: &State, r: &Rollout, theme: &Theme) {
    let denied = denied(state, r);
    let [summary, middle, bottom] = Layout::vertical([
        Constraint::Length(if denied.is_some() { 4 } else { 3 }),
        Constraint::Fill(3),
        Constraint::Fill(2),
    ])
    .areas(area);
    render_summary(frame, summary, state, r, theme, denied);
    let [left, right] =
        Layout::horizontal([Constraint::Percentage(55), Constraint::Percentage(45)]).areas(middle);
    render_revisions(frame, left, state, r, theme);
    render_steps_and_analysis(frame, right, state, r, theme);
    let [conds, events] =
        Layout::horizontal([Constraint::Percentage(40), Constraint::Percentage(60)]).areas(bottom);
    render_conditions(frame, conds, r, theme);
    render_events(frame, events, state, r, theme);
}

fn render_summary(
    frame: &mut Frame,
    area: Rect,
    state: &State,
    r: &Rollout,
    theme: &Theme,
    denied: Option<String>,
) {
    let title = Line::from(vec![
        Span::styled(
            format!("{}/{}", r.key.kind.target_prefix(), r.key.name),
            theme.style(Slot::Title),
        ),
        Span::styled(
            format!(
                "  {}/{}  {}  ",
                r.key.context,
                r.key.namespace,
                kind_label(r, false)
            ),
            theme.style(Slot::Muted),
        ),
        Span::styled(
            format!("{} {}", r.phase.icon(), r.phase.label()),
            theme.style(phase_slot(r.phase)),
        ),
    ]);
    let mut progress = vec![];
    if let Some((n, m)) = r.step {
        progress.push(Span::raw(format!("step {n}/{m}  ")));
    }
    if let Some(w) = r.weight {
        progress.push(Span::styled(
            format!("weight {w}%  "),
            theme.style(Slot::Canary),
        ));
    }
    progress.push(Span::styled(
        format!("stable {}  ", replicas(r.stable)),
        theme.style(Slot::Stable),
    ));
    progress.push(Span::styled(
        format!("canary {}  ", replicas(r.canary)),
        theme.style(Slot::Canary),
    ));
    progress.push(Span::styled(
        format!("verdict {}", verdict_text(r.verdict)),
        theme.style(verdict_slot(r.verdict)),
    ));
    if !r.verdict_reason.is_empty() {
        progress.push(Span::styled(
            format!(": {}", r.verdict_reason),
            theme.style(Slot::Muted),
        ));
    }
    progress.push(Span::styled(
        format!("  age {}", age_opt(r.created, state.now)),
        theme.style(Slot::Muted),
    ));
    let message = Line::styled(
        if r.message.is_empty() {
            "-".to_owned()
        } else {
            r.message.clone()
        },
        theme.style(phase_slot(r.phase)),
    );
    let mut lines = vec![title, Line::from(progress), message];
    if let Some(denied) = denied {
        lines.push(Line::styled(denied, theme.style(Slot::Danger)));
    }
    frame.render_widget(Paragraph::new(lines), area);
}

fn render_revisions(frame: &mut Frame, area: Rect, state: &State, r: &Rollout, theme: &Theme) {
    let mut lines = Vec::new();
    let mut cursor_line = 0;
    for (i, rev) in r.revisions.iter().enumerate() {
        let selected = i == state.revision_cursor;
        if selected {
            cursor_line = lines.len();
        }
        let marker = if selected { "▸" } else { " " };
        let line = Line::from(vec![
            Span::raw(format!("{marker}#{:<3}", rev.number)),
            Span::styled(
                format!("{:<8}", rev.role.label()),
                theme.style(role_slot(rev.role)),
            ),
            Span::raw(format!("{} ", rev.images.join(","))),
            Span::styled(
                format!(
                    "{} ready  {}",
                    replicas(rev.replicas),
                    age_opt(rev.created, state.now)
                ),
                theme.style(Slot::Muted),
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
                Span::raw(format!("{} ", pod.name)),
                Span::styled(
                    format!(
                        "{} ↻{} {}",
                        pod.status,
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
    // Keep the revision under the cursor on screen.
    let inner = area.height.saturating_sub(1) as usize;
    let scroll = cursor_line.saturating_sub(inner.saturating_sub(2)) as u16;
    frame.render_widget(
        Paragraph::new(lines)
            .block(block("Revisions (u: roll back to ▸)", theme, false))
            .scroll((scroll, 0)),
        area,
    );
}

fn render_steps_and_analysis(
    frame: &mut Frame,
    area: Rect,
    state: &State,
    r: &Rollout,
    theme: &Theme,
) {
    let mut lines = Vec::new();
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
                step.kind.to_string(),
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
    if let Some(extras) = state.extras.get(&r.key) {
        for m in &extras.metrics {
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
            lines.push(Line::styled(m.name.clone(), theme.style(Slot::Header)));
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
        for f in &extras.flags {
            lines.push(Line::from(vec![
                Span::styled("⚑ ", theme.style(Slot::Accent)),
                Span::raw(format!("{} ", f.key)),
                Span::styled(
                    format!(
                        "{} → {}",
                        if f.enabled { "on" } else { "off" },
                        f.default_variant
                    ),
                    theme.style(if f.enabled {
                        Slot::Healthy
                    } else {
                        Slot::Muted
                    }),
                ),
            ]));
        }
        for finding in &extras.findings {
            let slot = match finding.severity {
                Severity::Critical => Slot::Danger,
                Severity::Warning => Slot::Warning,
                Severity::Info => Slot::Muted,
            };
            lines.push(Line::styled(
                format!("⚠ {}: {}", finding.category, finding.message),
                theme.style(slot),
            ));
        }
    }
    frame.render_widget(
        Paragraph::new(lines)
            .block(block("Steps · analysis · flags · warnings", theme, true))
            .wrap(Wrap { trim: false }),
        area,
    );
}

fn render_conditions(frame: &mut Frame, area: Rect, r: &Rollout, theme: &Theme) {
    let lines: Vec<Line> = r
        .conditions
        .iter()
        .map(|c| {
            let slot = if c.status == "True" {
                Slot::Healthy
            } else {
                Slot::Warning
            };
            Line::from(vec![
                Span::styled(format!("{}={} ", c.type_, c.status), theme.style(slot)),
                Span::styled(c.reason.clone(), theme.style(Slot::Muted)),
            ])
        })
        .collect();
    frame.render_widget(
        Paragraph::new(lines).block(block("Conditions", theme, false)),
        area,
    );
}

fn render_events(frame: &mut Frame, area: Rect, state: &State, r: &Rollout, theme: &Theme) {
    let lines: Vec<Line> = r
        .events
        .iter()
        .map(|e| {
            Line::from(vec![
                Span::styled(
                    format!("{:>4} ", age_opt(e.last_seen, state.now)),
                    theme.style(Slot::Muted),
                ),
                Span::styled(
                    format!("{} ", e.reason),
                    theme.style(if e.warning { Slot::Warning } else { Slot::Text }),
                ),
                Span::raw(e.message.clone()),
            ])
        })
        .collect();
    frame.render_widget(
        Paragraph::new(lines).block(block("Events", theme, true)),
        area,
    );
}
