//! The release queue: every release, what needs a human first. Only visible rows are built.

use super::format::{
    age_opt, allocate, fit, fit_keeping, kind_label, phase_slot, replicas, verdict_slot,
    verdict_text, weight_text, ColumnSpec,
};
use crate::app::State;
use crate::config::theme::{Slot, Theme};
use crate::model::ConnState;
use crate::model::Release;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Paragraph, Row, Table};
use ratatui::Frame;

const SPACING: u16 = 1;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Col {
    Context,
    Namespace,
    Name,
    Kind,
    Phase,
    Step,
    Weight,
    Ready,
    Verdict,
    Age,
    Message,
}

const COLS: [Col; 11] = [
    Col::Context,
    Col::Namespace,
    Col::Name,
    Col::Kind,
    Col::Phase,
    Col::Step,
    Col::Weight,
    Col::Ready,
    Col::Verdict,
    Col::Age,
    Col::Message,
];

impl Col {
    /// Full title, and the one used when the column is narrower than that.
    fn titles(self) -> (&'static str, &'static str) {
        match self {
            Col::Context => ("CONTEXT", "CTX"),
            Col::Namespace => ("NAMESPACE", "NS"),
            Col::Name => ("NAME", "NAME"),
            Col::Kind => ("KIND", "KIND"),
            Col::Phase => ("PHASE", "PHASE"),
            Col::Step => ("STEP", "STP"),
            Col::Weight => ("WT", "WT"),
            Col::Ready => ("READY", "RDY"),
            Col::Verdict => ("VERDICT", "VERD"),
            Col::Age => ("AGE", "AGE"),
            Col::Message => ("MESSAGE", "MSG"),
        }
    }

    /// Lower gives way first. The message goes first, then the long forms of kind and
    /// replicas, age and step; context and namespace abbreviate before the name is cut; the phase keeps a
    /// word ("◌ Progres…") and the name holds longest.
    fn value(self) -> u8 {
        match self {
            Col::Message => 0,
            Col::Kind => 1,
            Col::Ready => 2,
            Col::Age => 3,
            Col::Step => 4,
            Col::Context => 5,
            Col::Namespace => 6,
            Col::Verdict => 7,
            Col::Weight => 8,
            Col::Phase => 9,
            Col::Name => 10,
        }
    }
}

/// Replica counts, base side first: `3/3 2/2` when there is room, else ready pods `3·2`.
/// Wide counts are padded to `sides`, so each sits under its own title.
fn ready_text(r: &Release, wide: Option<(usize, usize)>) -> String {
    match wide {
        Some((left, _)) => format!("{:<left$} {}", replicas(r.stable), replicas(r.canary)),
        None => format!("{}·{}", r.stable.ready, r.canary.ready),
    }
}

/// The replica column's two halves: the words every listed row shares for its sides, or
/// when kinds are mixed the words that fit them all (what serves now, what is rolled out),
/// and how wide each half is.
fn ready_sides(state: &State) -> (Option<(&'static str, &'static str)>, usize, usize) {
    let listed: Vec<&Release> = state
        .rows
        .iter()
        .filter_map(|k| state.releases.get(k))
        .collect();
    let labels = listed.first().map(|r| r.side_labels()).map(|l| {
        if listed.iter().all(|r| r.side_labels() == l) {
            l
        } else {
            ("live", "new")
        }
    });
    let widest = |f: &dyn Fn(&Release) -> usize| listed.iter().map(|r| f(r)).max().unwrap_or(0);
    let left = widest(&|r| replicas(r.stable).chars().count());
    let right = widest(&|r| replicas(r.canary).chars().count());
    match labels {
        Some((a, b)) => (labels, left.max(a.len()), right.max(b.len())),
        None => (None, left, right),
    }
}

/// The kind's label, in the one form the column has room for on every row.
fn kind_text(state: &State, r: &Release, width: u16) -> &'static str {
    let long_fits = state
        .rows
        .iter()
        .filter_map(|k| state.releases.get(k))
        .all(|r| kind_label(r, false).chars().count() as u16 <= width);
    kind_label(r, !long_fits)
}

/// The verdict cell, saying whose it is: ripcord's own judgement, marked `rc` (and `~` when
/// the last one failed and it is stale), where ripcord judges the release; else the
/// controller's, unmarked.
fn verdict_cell(state: &State, r: &Release) -> String {
    if let Some((verdict, stale)) = ripcord_verdict(state, r) {
        use crate::analysis::score::Verdict;
        let text = match verdict {
            Verdict::Pass => "✔ pass",
            Verdict::Marginal => "? marg",
            Verdict::Fail => "✖ FAIL",
            // Not judged yet: neither a pass nor a failure.
            Verdict::FewSamples => "… few",
            Verdict::NoDataYet => "… wait",
        };
        return format!("rc{text}{}", if stale { "~" } else { "" });
    }
    verdict_text(r.verdict)
}

/// ripcord's latest verdict on a release it judges, and whether it is stale.
fn ripcord_verdict(state: &State, r: &Release) -> Option<(crate::analysis::score::Verdict, bool)> {
    let panel = crate::app::analysis::ripcord_panel(state, r)?;
    let report = panel.report.as_ref()?;
    Some((report.summary.verdict, panel.stale()))
}

/// The badges after a release's name: its findings (how many, in the worst severity's
/// colour), then its flags (how many; `*` and the warning colour while one changed lately).
fn badges(state: &State, r: &Release) -> Vec<(String, Slot)> {
    let mut out = Vec::new();
    let found = &state.findings_of(&r.key).items;
    if let Some(worst) = found.iter().map(|f| f.severity).max() {
        out.push((
            format!(" ⚠{}", found.len()),
            super::detail::severity_slot(worst),
        ));
    }
    let flags = state.flags_of(&r.key).flags.len();
    if flags > 0 {
        if state.flags_changed_recently(&r.key) {
            out.push((format!(" ⚑{flags}*"), Slot::Warning));
        } else {
            out.push((format!(" ⚑{flags}"), Slot::Muted));
        }
    }
    out
}

/// The badges as the text after the name.
fn badge_text(badges: &[(String, Slot)]) -> String {
    badges.iter().map(|(b, _)| b.as_str()).collect()
}

/// What the row's message cell says.
/// The value every queued release shares in one field, if they all do.
fn shared<'a>(state: &'a State, field: impl Fn(&'a Release) -> &'a str) -> Option<&'a str> {
    let mut values = state
        .rows
        .iter()
        .filter_map(|k| state.releases.get(k))
        .map(field);
    let first = values.next()?;
    values.all(|v| v == first).then_some(first)
}

/// The header over the replica column: the kind's own words, over their halves, when every
/// row shares them.
fn ready_title(state: &State, width: u16) -> String {
    let (labels, left, right) = ready_sides(state);
    let wide = left + 1 + right;
    match labels {
        Some((a, b)) if wide <= usize::from(width) => {
            format!("{:<left$} {}", a.to_uppercase(), b.to_uppercase())
        }
        // Over `3·2`: the sides' initials, in the cell's order.
        Some((a, b)) if width >= 3 => format!("{}·{}", initial(a), initial(b)),
        _ if width >= 5 => "READY".to_owned(),
        _ => "RDY".to_owned(),
    }
}

fn initial(word: &str) -> String {
    word.chars().take(1).flat_map(char::to_uppercase).collect()
}

/// Room for any age `age_opt` writes.
const AGE_WIDTH: usize = 4;

/// How wide each column wants to be, from the whole queue so widths hold while scrolling.
fn specs(
    state: &State,
    hide_context: bool,
    hide_namespace: bool,
    full_titles: bool,
) -> Vec<ColumnSpec> {
    let queued: Vec<&Release> = state
        .rows
        .iter()
        .filter_map(|k| state.releases.get(k))
        .collect();
    let widest = |f: &dyn Fn(&Release) -> usize| queued.iter().map(|r| f(r)).max().unwrap_or(0);
    let len = |s: &str| s.chars().count();
    COLS.iter()
        .map(|&col| {
            let short = len(col.titles().1);
            let title = if full_titles {
                len(col.titles().0)
            } else {
                short
            };
            let (want, min) = match col {
                Col::Context if hide_context => (0, 0),
                Col::Namespace if hide_namespace => (0, 0),
                Col::Context => (widest(&|r| len(&r.key.context)).max(title), 4),
                Col::Namespace => (widest(&|r| len(&r.key.namespace)).max(title), 4),
                Col::Name => {
                    let w = widest(&|r| len(&r.key.name) + len(&badge_text(&badges(state, r))));
                    (w.max(title), 8)
                }
                Col::Kind => (
                    widest(&|r| len(kind_label(r, false))).max(title),
                    widest(&|r| len(kind_label(r, true))).max(short),
                ),
                // "◌ Progres…" still reads as a word.
                Col::Phase => (widest(&|r| 2 + len(r.phase.label())).max(title), 10),
                Col::Step => {
                    let w = widest(&|r| r.step.map_or(1, |(n, m)| len(&format!("{n}/{m}"))));
                    (w.max(title), w.max(title).min(3))
                }
                Col::Weight => (4, 4),
                Col::Ready => {
                    let (_, left, right) = ready_sides(state);
                    (
                        (left + 1 + right).max(title),
                        widest(&|r| len(&ready_text(r, None))).max(short),
                    )
                }
                // "✖ met…" still says why, where "✖ metrics" does not fit.
                Col::Verdict => (
                    widest(&|r| len(&verdict_cell(state, r))).max(title),
                    widest(&|r| len(&verdict_cell(state, r)).min(6)).max(short),
                ),
                // As wide as the longest age ("119s", "119m"), not the longest one now: ages
                // change every minute, and a column that resized with them would redraw the
                // whole table.
                Col::Age => (AGE_WIDTH, 3),
                Col::Message => (0, 12),
            };
            ColumnSpec {
                want: want as u16,
                min: min as u16,
                value: col.value(),
                fill: col == Col::Message,
            }
        })
        .collect()
}

fn cell_text(col: Col, r: &Release, state: &State, width: u16) -> String {
    let text = match col {
        Col::Context => r.key.context.clone(),
        Col::Namespace => r.key.namespace.clone(),
        Col::Name => {
            let badges = badges(state, r);
            if badges.is_empty() {
                r.key.name.clone()
            } else {
                return fit_keeping(&r.key.name, &badge_text(&badges), width);
            }
        }
        Col::Kind => kind_text(state, r, width).to_owned(),
        Col::Phase => format!("{} {}", r.phase.icon(), r.phase.label()),
        Col::Step => r
            .step
            .map(|(n, m)| format!("{n}/{m}"))
            .unwrap_or_else(|| "-".into()),
        Col::Weight => weight_text(r),
        Col::Ready => {
            let (_, left, right) = ready_sides(state);
            let wide = (left + 1 + right <= usize::from(width)).then_some((left, right));
            ready_text(r, wide)
        }
        Col::Verdict => verdict_cell(state, r),
        Col::Age => age_opt(r.created, state.now),
        Col::Message => crate::app::queue_message(state, r),
    };
    fit(&crate::model::text::inert(&text), width)
}

fn cell_slot(col: Col, r: &Release, state: &State) -> Slot {
    match col {
        Col::Context if state.settings.is_production(&r.key.context) => Slot::Production,
        Col::Kind | Col::Age | Col::Message => Slot::Muted,
        Col::Phase => phase_slot(r.phase),
        Col::Weight => Slot::Canary,
        Col::Verdict if ripcord_verdict(state, r).is_some() => {
            use crate::analysis::score::Verdict;
            match ripcord_verdict(state, r).map(|v| v.0) {
                Some(Verdict::Pass) => Slot::VerdictPass,
                Some(Verdict::Fail) => Slot::VerdictFail,
                _ => Slot::VerdictInconclusive,
            }
        }
        Col::Verdict => verdict_slot(r.verdict),
        _ => Slot::Text,
    }
}

fn row<'a>(
    r: &'a Release,
    state: &State,
    theme: &Theme,
    cols: &[(Col, u16)],
    selected: bool,
) -> Row<'a> {
    let cells = cols.iter().map(|&(col, width)| {
        let text = cell_text(col, r, state, width);
        let badges = if col == Col::Name && !selected {
            badges(state, r)
        } else {
            Vec::new()
        };
        let suffix = badge_text(&badges);
        let cell = if !badges.is_empty() && text.ends_with(&suffix) {
            let mut spans = vec![Span::raw(text[..text.len() - suffix.len()].to_owned())];
            spans.extend(
                badges
                    .into_iter()
                    .map(|(b, slot)| Span::styled(b, theme.style(slot))),
            );
            Cell::from(Line::from(spans))
        } else {
            Cell::from(text)
        };
        // A selected row is drawn in the selection's colours alone, so no slot colour can
        // vanish into the selection background.
        if selected {
            cell
        } else {
            cell.style(theme.style(cell_slot(col, r, state)))
        }
    });
    let row = Row::new(cells.collect::<Vec<_>>());
    if selected {
        row.style(theme.style(Slot::Selected))
    } else {
        row
    }
}

/// Why the queue is empty, in words that match the header.
fn empty_text(state: &State) -> String {
    if !state.releases.is_empty() && !state.filter.is_empty() {
        return "no release matches the filter (Esc clears it)".to_owned();
    }
    let in_view: Vec<(&String, &ConnState)> = state
        .clusters
        .iter()
        .filter(|(name, _)| state.context_filter.as_ref().is_none_or(|c| c == *name))
        .map(|(name, c)| (name, &c.conn))
        .collect();
    let failed: Vec<String> = in_view
        .iter()
        .filter(|(_, c)| matches!(c, ConnState::Denied(_) | ConnState::Reconnecting(_)))
        .map(|(name, c)| format!("{name} {}", c.label()))
        .collect();
    let waiting: Vec<&str> = in_view
        .iter()
        .filter(|(_, c)| matches!(c, ConnState::Connecting))
        .map(|(name, _)| name.as_str())
        .collect();
    let scope = format!(
        "{}{}",
        state
            .context_filter
            .as_deref()
            .map_or("any context".to_owned(), |c| format!("context {c}")),
        state
            .namespace_filter
            .as_deref()
            .map_or(String::new(), |n| format!(", namespace {n}")),
    );
    if !failed.is_empty() {
        let mut text = format!("no releases: {}", failed.join("; "));
        if !waiting.is_empty() {
            text.push_str(&format!("; waiting for {} to sync…", waiting.join(", ")));
        }
        text
    } else if !waiting.is_empty() {
        format!(
            "no releases yet: waiting for {} to sync…",
            waiting.join(", ")
        )
    } else if in_view.is_empty() {
        "no clusters: no context to watch".to_owned()
    } else {
        format!("no releases in {scope}")
    }
}

/// Draws the queue and returns how many table rows it had room for.
pub fn render(frame: &mut Frame, area: Rect, state: &State, theme: &Theme) -> usize {
    if state.rows.is_empty() {
        frame.render_widget(
            Paragraph::new(crate::model::text::inert(&empty_text(state)).into_owned())
                .style(theme.style(Slot::Muted)),
            area,
        );
        return usize::from(area.height.saturating_sub(1));
    }
    // When every row shares a context or namespace, one line above says it instead of a column.
    let shared_context = shared(state, |r| r.key.context.as_str());
    let shared_namespace = shared(state, |r| r.key.namespace.as_str());
    let area = if shared_context.is_some() || shared_namespace.is_some() {
        let [line, rest] =
            Layout::vertical([Constraint::Length(1), Constraint::Min(1)]).areas(area);
        let mut spans = Vec::new();
        if let Some(c) = shared_context {
            spans.push(Span::styled("context ", theme.style(Slot::Muted)));
            spans.push(Span::styled(
                c.to_owned(),
                theme.style(if state.settings.is_production(c) {
                    Slot::Production
                } else {
                    Slot::Text
                }),
            ));
            spans.push(Span::raw("  "));
        }
        if let Some(n) = shared_namespace {
            spans.push(Span::styled("namespace ", theme.style(Slot::Muted)));
            spans.push(Span::styled(n.to_owned(), theme.style(Slot::Text)));
        }
        frame.render_widget(Paragraph::new(Line::from(spans)), line);
        rest
    } else {
        area
    };
    // Full titles when they cost nothing; short ones rather than cutting a value.
    let (hide_context, hide_namespace) = (shared_context.is_some(), shared_namespace.is_some());
    let full = specs(state, hide_context, hide_namespace, true);
    let widths = allocate(area.width, SPACING, &full);
    let roomy = full
        .iter()
        .zip(&widths)
        .all(|(s, &w)| s.fill || w >= s.want);
    let widths = if roomy {
        widths
    } else {
        allocate(
            area.width,
            SPACING,
            &specs(state, hide_context, hide_namespace, false),
        )
    };
    let cols: Vec<(Col, u16)> = COLS
        .iter()
        .zip(&widths)
        .filter(|(_, &w)| w > 0)
        .map(|(&c, &w)| (c, w))
        .collect();
    let height = area.height.saturating_sub(1) as usize;
    // The shared line can take a row the scroll offset counted on: keep the selection shown.
    let offset = state
        .offset
        .max((state.selected + 1).saturating_sub(height))
        .min(state.selected);
    let rows: Vec<Row> = state
        .rows
        .iter()
        .enumerate()
        .skip(offset)
        .take(height)
        .filter_map(|(i, key)| {
            let r = state.releases.get(key)?;
            Some(row(r, state, theme, &cols, i == state.selected))
        })
        .collect();
    let titles: Vec<String> = cols
        .iter()
        .map(|&(col, width)| {
            if col == Col::Ready {
                return ready_title(state, width);
            }
            let (full, short) = col.titles();
            fit(
                if full.len() as u16 <= width {
                    full
                } else {
                    short
                },
                width,
            )
        })
        .collect();
    let header = Row::new(titles).style(theme.style(Slot::Header));
    let constraints: Vec<Constraint> = cols.iter().map(|&(_, w)| Constraint::Length(w)).collect();
    let table = Table::new(rows, constraints)
        .header(header)
        .column_spacing(SPACING);
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
    height
}
