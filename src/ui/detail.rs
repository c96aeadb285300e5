//! One release in depth: a summary that stays, and tabs below it (overview, steps,
//! analysis, flags, security, events), one shown at a time. Every tab scrolls: the
//! overview follows its revision cursor, the others scroll with j/k, and the tab bar says
//! where the view is when a tab holds more than fits.

use super::format::{
    age_opt, kind_label, phase_slot, replicas, sparkline, verdict_slot, verdict_text, weight_text,
};
use crate::action::Action;
use crate::app::{Extent, State, Tab};
use crate::config::keymap::Section;
use crate::config::theme::{Slot, Theme};
use crate::model::ops::Operation;
use crate::model::text::inert;
use crate::model::Permission;
use crate::model::{Finding, Release, RevisionRole, Severity, StepState};
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

// What side sources reported for a release: the only reads of them in the detail view.
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

/// The summary's lines, wrapped to the width, at most a third of the view; then a critical
/// security finding on a line of its own, cut to the width, so no tab can hide it.
fn summary_lines(state: &State, r: &Release, theme: &Theme, area: Rect) -> Vec<Line<'static>> {
    let lines = wrap(summary(state, r, theme, area.width), area.width);
    let cap = (area.height / 3).max(3) as usize;
    let mut lines: Vec<Line<'static>> = lines.into_iter().take(cap).collect();
    if let Some(critical) = critical_line(state, r, theme) {
        lines.extend(clip(vec![critical], area.width));
    }
    lines
}

/// The first critical finding, and how many more there are.
fn critical_line(state: &State, r: &Release, theme: &Theme) -> Option<Line<'static>> {
    let mut critical = state
        .findings_of(&r.key)
        .items
        .iter()
        .filter(|f| f.severity == Severity::Critical);
    let first = critical.next()?;
    let more = critical.count();
    let mut line = finding_line(first, theme);
    if more > 0 {
        line.spans.insert(
            0,
            Span::styled(format!("+{more} "), theme.style(Slot::Danger)),
        );
    }
    Some(line)
}

/// Draws the view and returns the tab shown with its extent.
pub fn render(
    frame: &mut Frame,
    area: Rect,
    state: &State,
    r: &Release,
    theme: &Theme,
) -> (Tab, Extent) {
    let summary = summary_lines(state, r, theme, area);
    let [summary_area, bar, content] = Layout::vertical([
        Constraint::Length(summary.len() as u16),
        Constraint::Length(1),
        Constraint::Min(1),
    ])
    .areas(area);
    frame.render_widget(Paragraph::new(summary), summary_area);
    let tab = state.tab;
    let view = usize::from(content.height);
    let (lines, scroll) = if tab == Tab::Overview {
        // A heading that stays, then the revisions, which keep the cursor's line in view.
        let [heading, list] =
            Layout::vertical([Constraint::Length(1), Constraint::Min(1)]).areas(content);
        frame.render_widget(
            Paragraph::new(Line::styled(
                overview_heading(state, r),
                theme.style(Slot::Title),
            )),
            heading,
        );
        let (lines, cursor_line) = revision_lines(state, r, theme, list.width);
        let lines = clip(lines, list.width);
        let list_view = usize::from(list.height);
        let scroll = cursor_line.saturating_sub(list_view.saturating_sub(2));
        let scroll = scroll.min(lines.len().saturating_sub(list_view));
        let extent = Extent {
            lines: lines.len(),
            view: list_view,
        };
        frame.render_widget(Paragraph::new(lines).scroll((scroll as u16, 0)), list);
        render_bar(frame, bar, state, r, theme, extent, scroll);
        return (tab, extent);
    } else {
        let lines = wrap(tab_lines(state, r, theme, tab), content.width);
        let scroll = state.tab_scroll[tab.index()];
        (lines, scroll)
    };
    let extent = Extent {
        lines: lines.len(),
        view,
    };
    let scroll = scroll.min(extent.max_scroll());
    frame.render_widget(Paragraph::new(lines).scroll((scroll as u16, 0)), content);
    render_bar(frame, bar, state, r, theme, extent, scroll);
    (tab, extent)
}

/// The overview's heading: offers a rollback only where the user can take one.
fn overview_heading(state: &State, r: &Release) -> String {
    let key = state
        .keymap
        .keys_for_any(&[Section::Detail, Section::Global], Action::Rollback)
        .filter(|_| crate::app::blocked_reason(state, &r.key, Operation::Rollback).is_none());
    let Some(k) = key else {
        return "Revisions".to_owned();
    };
    // Say what the key will aim at: ▸ only when the cursor is on a revision it may take.
    if r.key.kind == crate::model::Kind::CanaryPair {
        return format!("Revisions ({k}: roll back the stable)");
    }
    match crate::app::rollback_aim(state, r) {
        Some((_, true)) => format!("Revisions ({k}: roll back to ▸)"),
        Some((v, false)) => format!("Revisions ({k}: roll back to #{})", v.number),
        None => format!(
            "Revisions (no rollback: {})",
            crate::app::no_rollback_why(r)
        ),
    }
}

/// Revision lines are cut at the edge rather than wrapped, so the cursor's line number
/// stays the line it is drawn on.
fn clip(lines: Vec<Line<'static>>, width: u16) -> Vec<Line<'static>> {
    lines
        .into_iter()
        .map(|line| {
            let mut wrapped = wrap(vec![line], width);
            wrapped.truncate(1);
            wrapped.pop().unwrap_or_default()
        })
        .collect()
}

/// How a tab is named on the bar: its key when one shows it, its label, and a count of
/// what it holds when that is worth a look.
fn tab_label(state: &State, r: &Release, tab: Tab, numbered: bool) -> (String, Option<Slot>) {
    let key = state
        .keymap
        .keys_for(Section::Detail, tab.action())
        .filter(|_| numbered);
    let mut label = match key {
        Some(k) => format!("{k} {}", tab.label()),
        None => tab.label().to_owned(),
    };
    let mut slot = None;
    match tab {
        Tab::Security => {
            let found = &state.findings_of(&r.key).items;
            if !found.is_empty() {
                label.push_str(&format!(" ⚠{}", found.len()));
            }
            slot = found.iter().map(|f| f.severity).max().map(severity_slot);
        }
        Tab::Flags => {
            let n = state.flags_of(&r.key).states.len();
            if n > 0 {
                label.push_str(&format!(" ⚑{n}"));
            }
        }
        Tab::Events => {
            let warnings = r.events.iter().filter(|e| e.warning).count();
            if warnings > 0 {
                label.push_str(&format!(" ⚠{warnings}"));
                slot = Some(Slot::Warning);
            }
        }
        _ => {}
    }
    (label, slot)
}

/// The tab bar: every tab, the shown one marked, and where the view is in it.
fn render_bar(
    frame: &mut Frame,
    area: Rect,
    state: &State,
    r: &Release,
    theme: &Theme,
    extent: Extent,
    scroll: usize,
) {
    let position = if extent.lines > extent.view {
        let up = if scroll > 0 { "↑" } else { "" };
        let down = if scroll + extent.view < extent.lines {
            "↓"
        } else {
            ""
        };
        format!(
            " {up}{down}{}-{}/{}",
            scroll + 1,
            (scroll + extent.view).min(extent.lines),
            extent.lines
        )
    } else {
        String::new()
    };
    let width = usize::from(area.width);
    let room = width.saturating_sub(position.chars().count());
    // Keys and dividers when they fit; plain names when the screen is narrow.
    let spans = [(true, " │"), (true, ""), (false, "")]
        .into_iter()
        .map(|(numbered, sep)| bar_spans(state, r, theme, numbered, sep))
        .find(|spans| spans.iter().map(|s| s.width()).sum::<usize>() <= room)
        .unwrap_or_else(|| bar_spans(state, r, theme, false, ""));
    let used: usize = spans.iter().map(|s| s.width()).sum();
    let mut spans = spans;
    if !position.is_empty() {
        spans.push(Span::raw(
            " ".repeat(width.saturating_sub(used + position.chars().count())),
        ));
        spans.push(Span::styled(position, theme.style(Slot::Accent)));
    }
    frame.render_widget(
        Paragraph::new(Line::from(spans)).style(theme.style(Slot::Border)),
        area,
    );
}

fn bar_spans(
    state: &State,
    r: &Release,
    theme: &Theme,
    numbered: bool,
    sep: &'static str,
) -> Vec<Span<'static>> {
    let mut spans = Vec::new();
    for (i, tab) in Tab::ALL.into_iter().enumerate() {
        if i > 0 {
            spans.push(Span::styled(sep, theme.style(Slot::Border)));
        }
        let (label, slot) = tab_label(state, r, tab, numbered);
        if tab == state.tab {
            // Marked in words as well as colour: ▸ and the title's emphasis.
            spans.push(Span::styled(
                format!("▸{label}"),
                theme
                    .style(Slot::BorderFocused)
                    .add_modifier(Modifier::BOLD | Modifier::UNDERLINED),
            ));
        } else {
            spans.push(Span::styled(
                format!(" {label}"),
                theme.style(slot.unwrap_or(Slot::Muted)),
            ));
        }
    }
    spans
}

pub(super) fn severity_slot(severity: Severity) -> Slot {
    match severity {
        Severity::Critical | Severity::High => Slot::Danger,
        Severity::Medium => Slot::Warning,
        Severity::Low => Slot::Muted,
    }
}

/// A tab with nothing in it says so, and why.
fn nothing(text: &str, theme: &Theme) -> Vec<Line<'static>> {
    vec![Line::styled(text.to_owned(), theme.style(Slot::Muted))]
}

fn tab_lines(state: &State, r: &Release, theme: &Theme, tab: Tab) -> Vec<Line<'static>> {
    match tab {
        Tab::Overview => revision_lines(state, r, theme, u16::MAX).0,
        Tab::Steps => step_lines(r, theme),
        Tab::Analysis => analysis_lines(state, r, theme),
        Tab::Flags => flag_lines(state, r, theme),
        Tab::Security => finding_lines(state, r, theme),
        Tab::Events => event_lines(state, r, theme),
    }
}

/// The title line: name, where it runs, its kind and its phase. On a narrow screen the
/// middle gets shorter (kind first, then context and namespace) so that the phase, icon
/// and word together, stays on the line.
fn title_line(state: &State, r: &Release, theme: &Theme, width: u16) -> Line<'static> {
    use crate::model::display::{columns, fit};
    let name = format!("{}/{}", r.key.kind.target_prefix(), inert(&r.key.name));
    let phase = format!("{} {}", r.phase.icon(), r.phase.label());
    let read_only = if state.is_read_only(&r.key.context) {
        "  read-only"
    } else {
        ""
    };
    let place = format!("{}/{}", inert(&r.key.context), inert(&r.key.namespace));
    let fixed = columns(&name) + columns(&phase) + columns(read_only) + 4;
    let room = usize::from(width).saturating_sub(fixed);
    let middle = [kind_label(r, false), kind_label(r, true)]
        .into_iter()
        .map(|kind| format!("{place}  {kind}"))
        .find(|m| columns(m) <= room)
        .unwrap_or_else(|| {
            let kind = kind_label(r, true);
            let left = room.saturating_sub(columns(kind) + 2);
            if left >= 6 {
                format!("{}  {kind}", fit(&place, left as u16))
            } else {
                fit(kind, room.max(1) as u16)
            }
        });
    let mut title = vec![
        Span::styled(name, theme.style(Slot::Title)),
        Span::styled(format!("  {middle}  "), theme.style(Slot::Muted)),
        Span::styled(phase, theme.style(phase_slot(r.phase))),
    ];
    if !read_only.is_empty() {
        title.push(Span::styled(read_only, theme.style(Slot::Warning)));
    }
    Line::from(title)
}

fn summary(state: &State, r: &Release, theme: &Theme, width: u16) -> Vec<Line<'static>> {
    let (base, new) = r.side_labels();
    let title = title_line(state, r, theme, width);
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
    let mut lines = vec![title, Line::from(progress)];
    lines.extend(verdict_lines(state, r, theme, true));
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
fn revision_lines(
    state: &State,
    r: &Release,
    theme: &Theme,
    width: u16,
) -> (Vec<Line<'static>>, usize) {
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
            let tail = format!(
                "{} ↻{} {}",
                inert(&pod.status),
                pod.restarts,
                age_opt(pod.created, state.now)
            );
            // The status word is what the line is for: a long pod name gives way first,
            // keeping its end, which tells pods apart.
            let room = usize::from(width).saturating_sub(6 + crate::model::display::columns(&tail));
            lines.push(Line::from(vec![
                Span::styled(format!("   {icon} "), theme.style(slot)),
                Span::raw(format!("{} ", keep_end(&inert(&pod.name), room.max(8)))),
                Span::styled(tail, theme.style(Slot::Muted)),
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

/// `text` in at most `width` columns, cut at the start with `…` when it is longer.
fn keep_end(text: &str, width: usize) -> String {
    use unicode_width::UnicodeWidthChar;
    if crate::model::display::columns(text) <= width {
        return text.to_owned();
    }
    let mut kept = Vec::new();
    let mut used = 1;
    for c in text.chars().rev() {
        let w = c.width().unwrap_or(0);
        if used + w > width {
            break;
        }
        kept.push(c);
        used += w;
    }
    std::iter::once('…').chain(kept.into_iter().rev()).collect()
}

/// What drives a release that has no steps.
fn no_steps(r: &Release) -> &'static str {
    use crate::model::{Kind, Strategy};
    match (r.key.kind, r.strategy) {
        (Kind::CanaryPair, _) => {
            "no steps: the canary's weight is its share of the pods; promote scales it up a step"
        }
        (_, Strategy::BlueGreen) => {
            "no steps: the preview runs beside the active side; promote switches traffic to it"
        }
        (Kind::FlaggerCanary, _) => "no steps: Flagger moves the weight as its analysis passes",
        _ => "no steps: the controller rolls pods over",
    }
}

fn step_lines(r: &Release, theme: &Theme) -> Vec<Line<'static>> {
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
        lines.extend(nothing(no_steps(r), theme));
    }
    if !r.conditions.is_empty() {
        lines.push(Line::default());
        lines.push(Line::styled("Conditions", theme.style(Slot::Header)));
        lines.extend(condition_lines(r, theme));
    }
    lines
}

/// The verdict and its reason, on a line of their own so they are never cut; then, when the
/// canary's own metrics rank it failing, the judge's reason, whatever the controller says.
/// `summary` keeps to one of them, the metrics' when they rank it failing: the summary has
/// little room and the analysis tab has both.
fn verdict_lines(state: &State, r: &Release, theme: &Theme, summary: bool) -> Vec<Line<'static>> {
    let a = crate::app::attention(state, r);
    let failing = a.from_metrics && a.rank == crate::app::Rank::Failing;
    let mut lines: Vec<Line<'static>> = Vec::new();
    if !(summary && failing) {
        lines.extend(verdict_line(r, theme));
    }
    if failing {
        let (_, new) = r.side_labels();
        lines.push(Line::from(vec![
            Span::styled(
                format!("✖ {new} metrics failing"),
                theme.style(Slot::Danger),
            ),
            Span::styled(format!(": {}", inert(&a.reason)), theme.style(Slot::Text)),
        ]));
    }
    lines
}

fn verdict_line(r: &Release, theme: &Theme) -> Option<Line<'static>> {
    if r.verdict.is_none() && r.verdict_reason.is_empty() {
        return None;
    }
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
    Some(Line::from(verdict))
}

fn analysis_lines(state: &State, r: &Release, theme: &Theme) -> Vec<Line<'static>> {
    let mut lines = verdict_lines(state, r, theme, false);
    // Blue-green compares its preview with its active side, a Deployment its new pods with
    // its old; the rest a canary with its baseline.
    let (base, new) = match (r.key.kind, r.strategy) {
        (crate::model::Kind::Deployment, _) | (_, crate::model::Strategy::BlueGreen) => {
            r.side_labels()
        }
        _ => ("baseline", "canary"),
    };
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
            Span::styled(format!("  {new:<9}"), theme.style(Slot::Canary)),
            Span::raw(sparkline(
                &m.canary[m.canary.len().saturating_sub(16)..],
                max,
            )),
            Span::raw(format!(" {}", last(&m.canary))),
        ]));
        lines.push(Line::from(vec![
            Span::styled(format!("  {base:<9}"), theme.style(Slot::Stable)),
            Span::raw(sparkline(
                &m.baseline[m.baseline.len().saturating_sub(16)..],
                max,
            )),
            Span::raw(format!(" {}", last(&m.baseline))),
        ]));
    }
    if lines.is_empty() {
        return nothing(
            "no analysis for this release: no verdict and no metrics yet",
            theme,
        );
    }
    lines
}

fn flag_lines(state: &State, r: &Release, theme: &Theme) -> Vec<Line<'static>> {
    let lines: Vec<Line<'static>> = state
        .flags_of(&r.key)
        .states
        .iter()
        .map(|f| {
            Line::from(vec![
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
            ])
        })
        .collect();
    if lines.is_empty() {
        return nothing("no feature flags known for this release", theme);
    }
    lines
}

/// Findings grouped by severity, the most severe first, each with its remedy.
fn finding_lines(state: &State, r: &Release, theme: &Theme) -> Vec<Line<'static>> {
    let found = &state.findings_of(&r.key).items;
    if found.is_empty() {
        return nothing("no security findings for this release", theme);
    }
    let mut lines = Vec::new();
    for severity in Severity::ALL {
        let group: Vec<&Finding> = found.iter().filter(|f| f.severity == severity).collect();
        if group.is_empty() {
            continue;
        }
        lines.push(Line::styled(
            format!("{} ({})", severity.word().to_uppercase(), group.len()),
            theme.style(severity_slot(severity)),
        ));
        for f in group {
            lines.push(finding_line(f, theme));
            if !f.remediation.is_empty() {
                lines.push(Line::styled(
                    format!("  fix: {}", f.remediation),
                    theme.style(Slot::Muted),
                ));
            }
        }
    }
    lines
}

fn finding_line(f: &Finding, theme: &Theme) -> Line<'static> {
    Line::styled(
        format!(
            "⚠ {} {}: {}",
            f.code,
            inert(&f.object.name),
            inert(&f.message)
        ),
        theme.style(severity_slot(f.severity)),
    )
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
    if r.events.is_empty() {
        return nothing("no events seen for this release", theme);
    }
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
