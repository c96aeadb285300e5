//! One release in depth: a summary that stays, and tabs below it (overview, steps,
//! analysis, flags, security, events), one shown at a time. Every tab scrolls: the
//! overview follows its revision cursor, the others scroll with j/k, and the tab bar says
//! where the view is when a tab holds more than fits.

use super::format::{
    age_opt, kind_label, phase_slot, replicas, verdict_slot, verdict_text, weight_text,
};
use crate::action::Action;
use crate::analysis::report::Panel;
use crate::app::analysis::AnalysisPanel;
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
pub(super) fn wrap(lines: Vec<Line<'static>>, width: u16) -> Vec<Line<'static>> {
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
    } else if tab == Tab::Flags {
        let (extent, scroll) = super::flags::render(frame, content, state, r, theme);
        render_bar(frame, bar, state, r, theme, extent, scroll);
        return (tab, extent);
    } else if let Some(panel) = judged(state, r).filter(|_| tab == Tab::Analysis) {
        let scroll = state.tab_scroll[tab.index()];
        let extent = render_analysis(frame, content, state, r, panel, theme, scroll);
        render_bar(
            frame,
            bar,
            state,
            r,
            theme,
            extent,
            scroll.min(extent.max_scroll()),
        );
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
            let n = state.flags_of(&r.key).flags.len();
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
pub(super) fn nothing(text: &str, theme: &Theme) -> Vec<Line<'static>> {
    vec![Line::styled(text.to_owned(), theme.style(Slot::Muted))]
}

fn tab_lines(state: &State, r: &Release, theme: &Theme, tab: Tab) -> Vec<Line<'static>> {
    match tab {
        Tab::Overview => revision_lines(state, r, theme, u16::MAX).0,
        Tab::Steps => step_lines(state, r, theme),
        Tab::Analysis => analysis_lines(state, r, theme),
        // Drawn by `super::flags`, with its cursor and evaluation box.
        Tab::Flags => Vec::new(),
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
    let mut message = if r.message.is_empty() {
        "-".to_owned()
    } else {
        inert(&r.message).into_owned()
    };
    if let Some(note) = r.auto_promotion_note(state.now) {
        message = format!("{note} · {message}");
    }
    lines.push(Line::styled(message, theme.style(phase_slot(r.phase))));
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
            Span::styled(
                if rev.services.is_empty() {
                    String::new()
                } else {
                    format!("  ← svc {}", inert(&rev.services.join(",")))
                },
                style(Slot::Accent),
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

/// An Argo Rollout's header as its kubectl plugin prints it, and the abort's reason.
fn argo_lines(r: &Release, theme: &Theme) -> Vec<Line<'static>> {
    let Some(a) = r.argo.as_deref() else {
        return vec![];
    };
    let mut facts = vec![
        format!("status {}", inert(&a.status)),
        format!("strategy {}", a.strategy),
    ];
    if let Some(step) = &a.step {
        facts.push(format!("step {}", inert(step)));
    }
    if let Some(w) = a.set_weight {
        facts.push(format!("setWeight {w}"));
    }
    if let Some(w) = a.actual_weight {
        facts.push(format!("actualWeight {w}"));
    }
    let mut lines = vec![Line::styled(facts.join(" · "), theme.style(Slot::Header))];
    if !a.message.is_empty() {
        lines.push(Line::styled(
            inert(&a.message).into_owned(),
            theme.style(phase_slot(r.phase)),
        ));
    }
    if let Some(why) = &a.abort_message {
        lines.push(Line::from(vec![
            Span::styled("✖ aborted: ", theme.style(Slot::Danger)),
            Span::raw(inert(why).into_owned()),
        ]));
    }
    lines
}

/// A Flagger Canary's analysis settings, webhooks and the Deployments it drives.
fn flagger_lines(r: &Release, theme: &Theme) -> Vec<Line<'static>> {
    let Some(f) = r.flagger.as_deref() else {
        return vec![];
    };
    let mut lines = vec![Line::styled(
        format!(
            "phase {} · weight {}% · iterations {} · failed checks {}/{}",
            inert(&f.phase),
            f.canary_weight,
            f.iterations,
            f.failed_checks,
            f.threshold
        ),
        theme.style(Slot::Header),
    )];
    let mut settings = vec![
        format!("interval {}", inert(&f.interval)),
        format!("threshold {}", f.threshold),
    ];
    if let Some(w) = f.max_weight {
        settings.push(format!("maxWeight {w}"));
    }
    if let Some(w) = f.step_weight {
        settings.push(format!("stepWeight {w}"));
    }
    if !f.step_weights.is_empty() {
        let weights: Vec<String> = f.step_weights.iter().map(u8::to_string).collect();
        settings.push(format!("stepWeights {}", weights.join(",")));
    }
    if let Some(n) = f.analysis_iterations {
        settings.push(format!("iterations {n}"));
    }
    if f.skip_analysis {
        settings.push("skipAnalysis".into());
    }
    if f.suspended {
        settings.push("suspended".into());
    }
    lines.push(Line::raw(settings.join(" · ")));
    lines.push(Line::styled(
        format!(
            "target deployment/{} · primary deployment/{}",
            inert(&f.target),
            inert(&f.primary)
        ),
        theme.style(Slot::Muted),
    ));
    for m in &f.metrics {
        let range = match (m.min, m.max) {
            (Some(min), Some(max)) => format!("{min} ≤ x ≤ {max}"),
            (Some(min), None) => format!("x ≥ {min}"),
            (None, Some(max)) => format!("x ≤ {max}"),
            (None, None) => "no threshold".into(),
        };
        let mut text = format!("metric {} {range}", inert(&m.name));
        if !m.interval.is_empty() {
            text.push_str(&format!(" every {}", inert(&m.interval)));
        }
        if !m.template.is_empty() {
            text.push_str(&format!(" (template {})", inert(&m.template)));
        }
        lines.push(Line::raw(text));
    }
    for h in &f.webhooks {
        lines.push(Line::from(vec![
            Span::styled(
                format!("webhook {} ", inert(&h.type_)),
                theme.style(Slot::Accent),
            ),
            Span::raw(format!("{} ", inert(&h.name))),
            Span::styled(inert(&h.url).into_owned(), theme.style(Slot::Muted)),
        ]));
    }
    lines
}

/// A step as listed: a timed pause that is running says how long it has left.
fn step_text(state: &State, r: &Release, step: &crate::model::Step) -> String {
    use crate::model::StepKind;
    let text = step.kind.to_string();
    let (StepKind::Pause { duration: Some(d) }, StepState::Current) = (&step.kind, step.state)
    else {
        return text;
    };
    let since = r.argo.as_deref().and_then(|a| a.paused_at);
    match since.and_then(|at| crate::model::argo::pause_left(d, at, state.now)) {
        Some(left) => format!("{text} ({left}s left)"),
        None => text,
    }
}

fn step_lines(state: &State, r: &Release, theme: &Theme) -> Vec<Line<'static>> {
    let mut lines = argo_lines(r, theme);
    lines.extend(flagger_lines(r, theme));
    if !lines.is_empty() {
        lines.push(Line::default());
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
                inert(&step_text(state, r, step)).into_owned(),
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

/// An Argo Rollout's AnalysisRuns, then its Experiments with their templates, ReplicaSets
/// and their own runs.
fn analysis_run_lines(r: &Release, theme: &Theme) -> Vec<Line<'static>> {
    let Some(a) = r.argo.as_deref() else {
        return vec![];
    };
    let mut lines = run_lines(&a.analysis_runs, theme);
    for e in &a.experiments {
        lines.push(Line::from(vec![
            Span::styled(
                format!("{} ", inert(&e.phase)),
                theme.style(run_slot(&e.phase)),
            ),
            Span::styled(
                format!("experiment {} · revision {}", inert(&e.name), e.revision),
                theme.style(Slot::Header),
            ),
        ]));
        if !e.message.is_empty() {
            lines.push(Line::raw(format!("  {}", inert(&e.message))));
        }
        for t in &e.templates {
            lines.push(Line::from(vec![
                Span::raw(format!("  {} ", inert(&t.name))),
                Span::styled(
                    format!("{} ", inert(&t.status)),
                    theme.style(run_slot(&t.status)),
                ),
                Span::styled(
                    format!(
                        "{}/{} available  {}",
                        t.available,
                        t.replicas,
                        inert(&t.images.join(","))
                    ),
                    theme.style(Slot::Muted),
                ),
            ]));
        }
        for rs in &e.replica_sets {
            let pods = rs.pods.iter().filter(|p| p.ready).count();
            lines.push(Line::styled(
                format!(
                    "  replicaset {} · {}/{} pods ready",
                    inert(&rs.object),
                    pods,
                    rs.pods.len()
                ),
                theme.style(Slot::Muted),
            ));
        }
        lines.extend(run_lines(&e.analysis_runs, theme));
    }
    lines
}

fn run_slot(phase: &str) -> Slot {
    match phase {
        "Successful" => Slot::Healthy,
        "Failed" | "Error" => Slot::Degraded,
        "Inconclusive" => Slot::Warning,
        _ => Slot::Progressing,
    }
}

/// AnalysisRuns: each metric's limits, counts and measured values, so a failed analysis
/// shows what it measured against what it allowed.
fn run_lines(runs: &[crate::model::AnalysisRunSummary], theme: &Theme) -> Vec<Line<'static>> {
    let mut lines = Vec::new();
    for run in runs {
        let slot = run_slot(&run.phase);
        let kind = if run.kind.is_empty() {
            String::new()
        } else {
            format!(" · {}", inert(&run.kind))
        };
        lines.push(Line::from(vec![
            Span::styled(format!("{} ", inert(&run.phase)), theme.style(slot)),
            Span::styled(
                format!("{}{kind} · revision {}", inert(&run.name), run.revision),
                theme.style(Slot::Header),
            ),
        ]));
        if !run.message.is_empty() {
            lines.push(Line::raw(format!("  {}", inert(&run.message))));
        }
        for m in &run.metrics {
            let mut head = format!("  {} {}", inert(&m.name), inert(&m.phase));
            if !m.success_condition.is_empty() {
                head.push_str(&format!(" · success: {}", inert(&m.success_condition)));
            }
            if !m.failure_condition.is_empty() {
                head.push_str(&format!(" · failure: {}", inert(&m.failure_condition)));
            }
            lines.push(Line::styled(head, theme.style(Slot::Text)));
            lines.push(Line::styled(
                format!(
                    "    failed {} (failureLimit {}) · inconclusive {} (inconclusiveLimit {}) · errors in a row {} (consecutiveErrorLimit {}) · successful {}",
                    m.failed,
                    m.failure_limit,
                    m.inconclusive,
                    m.inconclusive_limit,
                    m.consecutive_error,
                    m.consecutive_error_limit,
                    m.successful
                ),
                theme.style(Slot::Muted),
            ));
            if !m.measurements.is_empty() {
                let values: Vec<String> = m
                    .measurements
                    .iter()
                    .map(|x| {
                        let mark = match x.phase.as_str() {
                            "Successful" => "✔",
                            "Failed" => "✖",
                            "Inconclusive" => "?",
                            "Error" => "⚠",
                            _ => "◌",
                        };
                        let value = if x.value.is_empty() {
                            x.message.as_str()
                        } else {
                            x.value.as_str()
                        };
                        format!("{mark}{}", inert(value))
                    })
                    .collect();
                lines.push(Line::raw(format!("    measured {}", values.join(" "))));
            }
            if !m.message.is_empty() {
                lines.push(Line::styled(
                    format!("    {}", inert(&m.message)),
                    theme.style(Slot::Warning),
                ));
            }
        }
    }
    lines
}

/// The verdict and its reason, on a line of their own so they are never cut; then, when
/// ripcord's own judgement ranks it failing, the judge's reason, whatever the controller
/// says. `summary` keeps to one of them, ripcord's when it fails the canary: the summary
/// has little room and the analysis tab has both.
fn verdict_lines(state: &State, r: &Release, theme: &Theme, summary: bool) -> Vec<Line<'static>> {
    let a = crate::app::attention(state, r);
    let failing = a.from_ripcord && a.rank == crate::app::Rank::Failing;
    let mut lines: Vec<Line<'static>> = Vec::new();
    if !(summary && failing) {
        lines.extend(verdict_line(r, theme));
    }
    if failing {
        let (_, new) = r.side_labels();
        let mut spans = vec![
            Span::styled(
                format!("✖ {new} metrics failing"),
                theme.style(Slot::Danger),
            ),
            Span::styled(format!(": {}", inert(&a.reason)), theme.style(Slot::Text)),
        ];
        // The judgement is an old one while the latest could not be made: say how old.
        if let Some(panel) = crate::app::analysis::ripcord_panel(state, r).filter(|p| p.stale()) {
            let age = panel
                .measured
                .map(|at| format!(", {} old", crate::model::display::age(at, state.now)))
                .unwrap_or_default();
            spans.insert(
                0,
                Span::styled(format!("⚠ stale{age}: "), theme.style(Slot::Warning)),
            );
        }
        lines.push(Line::from(spans));
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
    lines.extend(analysis_run_lines(r, theme));
    // ripcord judges this release but has no judgement back yet: its charts come with it.
    if crate::app::analysis::judged_here(state, r) {
        lines.push(Line::styled(
            "ripcord: judging the canary against its baseline…",
            theme.style(Slot::Muted),
        ));
    }
    if lines.is_empty() {
        return nothing(
            "no analysis for this release: no verdict and no metrics yet",
            theme,
        );
    }
    lines
}

/// ripcord's own judgement of a release, when it has made (or tried) one.
fn judged<'a>(state: &'a State, r: &Release) -> Option<&'a AnalysisPanel> {
    state
        .analyses
        .get(&r.key)
        .filter(|p| p.report.is_some() || p.error.is_some())
}

fn analysis_verdict_slot(v: crate::analysis::score::Verdict) -> Slot {
    use crate::analysis::score::Verdict;
    match v {
        Verdict::Pass => Slot::VerdictPass,
        Verdict::Marginal => Slot::VerdictInconclusive,
        Verdict::Fail => Slot::VerdictFail,
        Verdict::FewSamples | Verdict::NoDataYet => Slot::Muted,
    }
}

fn outcome_slot(o: crate::analysis::judge::Outcome) -> Slot {
    use crate::analysis::judge::Outcome;
    match o {
        Outcome::Pass => Slot::VerdictPass,
        Outcome::High | Outcome::Low => Slot::VerdictFail,
        Outcome::NoData | Outcome::Error => Slot::VerdictInconclusive,
        Outcome::FewSamples => Slot::Muted,
    }
}

/// The analysis tab over ripcord's own judgement: the score and verdict, then one metric at
/// a time (j/k to the next), its canary and baseline plotted together with the threshold,
/// its verdict and reason, and the PromQL that ran. Returns the metrics as the extent, one
/// per scroll step.
fn render_analysis(
    frame: &mut Frame,
    area: Rect,
    state: &State,
    r: &Release,
    panel: &AnalysisPanel,
    theme: &Theme,
    scroll: usize,
) -> Extent {
    use crate::model::display::age;
    let mut head: Vec<Line<'static>> = Vec::new();
    let (base, new) = match (r.key.kind, r.strategy) {
        (crate::model::Kind::Deployment, _) | (_, crate::model::Strategy::BlueGreen) => {
            r.side_labels()
        }
        _ => ("baseline", "canary"),
    };
    if let Some(report) = &panel.report {
        let s = &report.summary;
        let mut spans = vec![
            Span::styled("ripcord ", theme.style(Slot::Muted)),
            Span::styled(
                if s.verdict.judged() {
                    format!("score {:.0} {}", s.score, s.verdict.label())
                } else {
                    s.verdict.label().to_owned()
                },
                theme.style(analysis_verdict_slot(s.verdict)),
            ),
        ];
        if let Some(at) = panel.measured {
            spans.push(Span::styled(
                format!(
                    "  judged {} ago on {}",
                    age(at, state.now),
                    inert(&report.source)
                ),
                theme.style(Slot::Muted),
            ));
        }
        head.push(Line::from(spans));
    }
    if let Some(error) = &panel.error {
        let what = match panel.measured.filter(|_| panel.stale()) {
            Some(at) => format!("⚠ stale, {} old: ", age(at, state.now)),
            None => "⚠ no judgement: ".to_owned(),
        };
        head.push(Line::from(vec![
            Span::styled(what, theme.style(Slot::Warning)),
            Span::styled(inert(error).into_owned(), theme.style(Slot::Text)),
        ]));
    }
    if let Some(line) = verdict_line(r, theme) {
        let mut spans = vec![Span::styled("controller ", theme.style(Slot::Muted))];
        spans.extend(line.spans);
        head.push(Line::from(spans));
    }
    let head = clip(head, area.width);
    let panels = panel.report.as_ref().map_or(&[][..], |rep| &rep.panels[..]);
    let extent = Extent {
        lines: panels.len().max(1),
        view: 1,
    };
    let index = scroll.min(extent.max_scroll());
    let Some(p) = panels.get(index) else {
        frame.render_widget(Paragraph::new(head), area);
        return extent;
    };
    let judged = panel
        .report
        .as_ref()
        .and_then(|rep| rep.summary.metrics.iter().find(|m| m.metric == p.metric));
    let mut metric = vec![Span::styled(
        format!("{}/{} {}", index + 1, panels.len(), inert(&p.metric)),
        theme.style(Slot::Header),
    )];
    if let Some(m) = judged {
        metric.push(Span::styled(
            format!("  {}", m.judgement.outcome.label()),
            theme.style(outcome_slot(m.judgement.outcome)),
        ));
        metric.push(Span::styled(
            format!(": {}", inert(&m.judgement.reason)),
            theme.style(Slot::Text),
        ));
    }
    let below = wrap(vec![Line::from(metric)], area.width);
    // The PromQL as one line each (a template may span lines); the key copies it whole.
    let one_line = |q: &str| q.split_whitespace().collect::<Vec<_>>().join(" ");
    let query_lines = vec![
        Line::from(vec![
            Span::styled(format!("{new:<9}"), theme.style(Slot::Canary)),
            Span::raw(inert(&one_line(&p.canary_query)).into_owned()),
        ]),
        Line::from(vec![
            Span::styled(format!("{base:<9}"), theme.style(Slot::Stable)),
            Span::raw(inert(&one_line(&p.baseline_query)).into_owned()),
        ]),
    ];
    let copy = state.keymap.keys_for_any(
        &[Section::Detail, Section::Global],
        crate::action::Action::CopyQuery,
    );
    let mut keys = Vec::new();
    if let Some(t) = p.threshold {
        keys.push(Span::styled(
            format!("threshold {}", crate::analysis::judge::num(t)),
            theme.style(Slot::Warning),
        ));
    }
    if let Some(k) = copy {
        keys.push(Span::styled(format!("  {k}"), theme.style(Slot::Key)));
        keys.push(Span::raw(" copy the PromQL"));
    }
    if panels.len() > 1 {
        keys.push(Span::styled("  j/k", theme.style(Slot::Key)));
        keys.push(Span::raw(" next/previous metric"));
    }
    // The keys first, then the PromQL wrapped, not cut, so that a narrow terminal still
    // shows each side's selector; what the chart's rows cannot spare is left to the copy key.
    let mut queries = clip(vec![Line::from(keys)], area.width);
    queries.extend(wrap(query_lines, area.width));
    let room = area
        .height
        .saturating_sub((head.len() + below.len()) as u16 + CHART_MIN_ROWS);
    queries.truncate(usize::from(room).max(1));
    let [head_area, metric_area, chart_area, query_area] = Layout::vertical([
        Constraint::Length(head.len() as u16),
        Constraint::Length(below.len() as u16),
        Constraint::Min(CHART_MIN_ROWS),
        Constraint::Length(queries.len() as u16),
    ])
    .areas(area);
    frame.render_widget(Paragraph::new(head), head_area);
    frame.render_widget(Paragraph::new(below), metric_area);
    render_chart(
        frame,
        chart_area,
        p,
        panel.measured.unwrap_or(state.now),
        (base, new),
        theme,
    );
    frame.render_widget(Paragraph::new(queries), query_area);
    extent
}

/// Rows a chart keeps, however much PromQL there is to show below it.
const CHART_MIN_ROWS: u16 = 5;

/// Canary and baseline over the window, with the threshold as a line across.
fn render_chart(
    frame: &mut Frame,
    area: Rect,
    p: &Panel,
    end: chrono::DateTime<chrono::Utc>,
    (base, new): (&str, &str),
    theme: &Theme,
) {
    use crate::analysis::judge::num;
    use ratatui::symbols::Marker;
    use ratatui::widgets::{Axis, Chart, Dataset, GraphType};
    let end = end.timestamp() as f64;
    let relative = |s: &[(f64, f64)]| -> Vec<(f64, f64)> {
        s.iter().map(|&(t, v)| ((t - end) / 60.0, v)).collect()
    };
    let canary = relative(&p.canary);
    let baseline = relative(&p.baseline);
    let xs = canary.iter().chain(&baseline).map(|q| q.0);
    let x_min = xs.clone().fold(f64::INFINITY, f64::min).min(-1.0);
    let x_max = 0.0;
    let ys = canary
        .iter()
        .chain(&baseline)
        .map(|q| q.1)
        .chain(p.threshold);
    let y_max = ys.fold(0.0_f64, f64::max).max(f64::MIN_POSITIVE) * 1.1;
    let threshold: Vec<(f64, f64)> = p
        .threshold
        .map(|t| vec![(x_min, t), (x_max, t)])
        .unwrap_or_default();
    let mut datasets = vec![
        Dataset::default()
            .name(base.to_owned())
            .marker(Marker::Braille)
            .graph_type(GraphType::Line)
            .style(theme.style(Slot::Stable))
            .data(&baseline),
        Dataset::default()
            .name(new.to_owned())
            .marker(Marker::Braille)
            .graph_type(GraphType::Line)
            .style(theme.style(Slot::Canary))
            .data(&canary),
    ];
    if !threshold.is_empty() {
        datasets.push(
            Dataset::default()
                .name("threshold")
                .marker(Marker::Dot)
                .graph_type(GraphType::Line)
                .style(theme.style(Slot::Warning))
                .data(&threshold),
        );
    }
    let minutes = format!("{:.0}m", x_min);
    let chart = Chart::new(datasets)
        .x_axis(
            Axis::default()
                .style(theme.style(Slot::Muted))
                .bounds([x_min, x_max])
                .labels([minutes, "now".to_owned()]),
        )
        .y_axis(
            Axis::default()
                .style(theme.style(Slot::Muted))
                .bounds([0.0, y_max])
                .labels(["0".to_owned(), num(y_max)]),
        )
        // No legend over the data: the PromQL lines below name each side in its colour,
        // and the threshold is named in its colour beside them.
        .legend_position(None);
    frame.render_widget(chart, area);
}

/// Findings grouped by severity, the most severe first, each with its remedy; the one the
/// security view went to is marked.
fn finding_lines(state: &State, r: &Release, theme: &Theme) -> Vec<Line<'static>> {
    use crate::app::security::{tab_rows, TabRow};
    let found = &state.findings_of(&r.key).items;
    if found.is_empty() {
        return nothing("no security findings for this release", theme);
    }
    let marked = state.security.marked.as_ref();
    tab_rows(found)
        .into_iter()
        .map(|row| match row {
            TabRow::Group(severity, n) => Line::styled(
                format!("{} ({n})", severity.word().to_uppercase()),
                theme.style(severity_slot(severity)),
            ),
            TabRow::Finding(i) => {
                let f = &found[i];
                let line = finding_line(f, theme);
                if marked == Some(f) {
                    let mut spans = vec![Span::styled("▸", theme.style(Slot::Accent))];
                    spans.extend(line.spans);
                    Line::from(spans).style(
                        theme
                            .style(severity_slot(f.severity))
                            .add_modifier(Modifier::BOLD | Modifier::REVERSED),
                    )
                } else {
                    line
                }
            }
            TabRow::Fix(i) => Line::styled(
                format!("  fix: {}", found[i].remediation),
                theme.style(Slot::Muted),
            ),
        })
        .collect()
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
                Span::raw(if c.message.is_empty() {
                    String::new()
                } else {
                    format!(": {}", inert(&c.message))
                }),
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
