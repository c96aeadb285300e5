//! The release queue: every release, what needs a human first. Only visible rows are built.

use super::format::{age_opt, kind_label, phase_slot, replicas, verdict_slot, verdict_text};
use crate::app::State;
use crate::config::theme::{Slot, Theme};
use crate::model::Rollout;
use ratatui::layout::{Constraint, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Paragraph, Row, Table};
use ratatui::Frame;

/// From this width on the table has room for full replica counts.
const WIDE: u16 = 120;

fn row<'a>(r: &'a Rollout, state: &State, theme: &Theme, wide: bool) -> Row<'a> {
    let phase = format!("{} {}", r.phase.icon(), r.phase.label());
    let step = r
        .step
        .map(|(n, m)| format!("{n}/{m}"))
        .unwrap_or_else(|| "-".into());
    let weight = r
        .weight
        .map(|w| format!("{w}%"))
        .unwrap_or_else(|| "-".into());
    let ready = if wide {
        format!("{} {}", replicas(r.stable), replicas(r.canary))
    } else {
        format!("{}·{}", r.stable.ready, r.canary.ready)
    };
    let warn = state
        .extras
        .get(&r.key)
        .is_some_and(|e| !e.findings.is_empty());
    let name = if warn {
        format!("{} ⚠", r.key.name)
    } else {
        r.key.name.clone()
    };
    let mut cells = vec![
        Cell::from(r.key.context.as_str()).style(theme.style(
            if state.settings.is_production(&r.key.context) {
                Slot::Production
            } else {
                Slot::Text
            },
        )),
        Cell::from(r.key.namespace.as_str()),
        Cell::from(name),
        Cell::from(kind_label(r, !wide)).style(theme.style(Slot::Muted)),
        Cell::from(phase).style(theme.style(phase_slot(r.phase))),
        Cell::from(step),
        Cell::from(weight).style(theme.style(Slot::Canary)),
        Cell::from(ready),
        Cell::from(verdict_text(r.verdict)).style(theme.style(verdict_slot(r.verdict))),
        Cell::from(age_opt(r.created, state.now)).style(theme.style(Slot::Muted)),
    ];
    if wide {
        cells.push(Cell::from(crate::app::queue_message(state, r)).style(theme.style(Slot::Muted)));
    }
    Row::new(cells)
}

pub fn render(frame: &mut Frame, area: Rect, state: &State, theme: &Theme) {
    if state.rows.is_empty() {
        let text = if state.releases.is_empty() {
            "no releases yet: waiting for the clusters to sync…".to_owned()
        } else {
            "no release matches the filter (Esc clears it)".to_owned()
        };
        frame.render_widget(Paragraph::new(text).style(theme.style(Slot::Muted)), area);
        return;
    }
    let wide = area.width >= WIDE;
    let height = area.height.saturating_sub(1) as usize;
    let visible = state
        .rows
        .iter()
        .enumerate()
        .skip(state.offset)
        .take(height);
    let rows: Vec<Row> = visible
        .filter_map(|(i, key)| {
            let r = state.releases.get(key)?;
            let row = row(r, state, theme, wide);
            Some(if i == state.selected {
                row.style(theme.style(Slot::Selected))
            } else {
                row
            })
        })
        .collect();
    let mut widths = vec![
        Constraint::Length(if wide { 12 } else { 8 }),
        Constraint::Length(if wide { 12 } else { 8 }),
        if wide {
            Constraint::Length(22)
        } else {
            Constraint::Min(10)
        },
        Constraint::Length(if wide { 15 } else { 8 }),
        Constraint::Length(13),
        Constraint::Length(4),
        Constraint::Length(4),
        Constraint::Length(if wide { 13 } else { 5 }),
        Constraint::Length(if wide { 9 } else { 7 }),
        Constraint::Length(4),
    ];
    let mut titles = vec![
        "CONTEXT",
        "NAMESPACE",
        "NAME",
        "KIND",
        "PHASE",
        "STEP",
        "WT",
        if wide { "STABLE CANARY" } else { "RDY" },
        "VERDICT",
        "AGE",
    ];
    if wide {
        widths.push(Constraint::Fill(1));
        titles.push("MESSAGE");
    }
    let header = Row::new(titles).style(theme.style(Slot::Header));
    let table = Table::new(rows, widths).header(header).column_spacing(1);
    frame.render_widget(table, area);
    // Position marker when the queue is longer than the screen.
    if state.rows.len() > height && area.width > 12 {
        let marker = format!(" {}/{} ", state.selected + 1, state.rows.len());
        let w = marker.chars().count() as u16;
        let rect = Rect {
            x: area.x + area.width - w,
            y: area.y,
            width: w,
            height: 1,
        };
        frame.render_widget(
            Paragraph::new(Line::from(Span::styled(marker, theme.style(Slot::Muted)))),
            rect,
        );
    }
}
