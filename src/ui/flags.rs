//! The detail view's flags tab: each flag with its variants, its targeting in words and the
//! bar of its split; the flag under the cursor marked. With the evaluation box open, the
//! context typed in it, whether it reads, and what every flag gives for it.

use super::detail::{nothing, wrap};
use crate::app::flags::{Choice, FlagConfirm, FlagPrompt};
use crate::app::{Extent, State};
use crate::config::theme::{Slot, Theme};
use crate::flags::{Flag, FlagType, Resolution};
use crate::model::text::inert;
use crate::model::Release;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Wrap};
use ratatui::Frame;

/// Lines the evaluation box shows at most, besides its border.
const BOX_LINES: u16 = 4;

/// Draws the tab in `area`; returns its extent and the line shown first.
pub fn render(
    frame: &mut Frame,
    area: Rect,
    state: &State,
    r: &Release,
    theme: &Theme,
) -> (Extent, usize) {
    let tab = &state.flags_tab;
    let prompt = tab.prompt.as_ref().filter(|p| p.key == r.key);
    let list_area = if let Some(prompt) = prompt {
        let [input, list] =
            Layout::vertical([Constraint::Length(3), Constraint::Min(1)]).areas(area);
        render_prompt(frame, input, prompt, theme);
        list
    } else if tab.evaluating {
        let typed = tab.context.lines().len().clamp(1, usize::from(BOX_LINES)) as u16;
        let [input, status, list] = Layout::vertical([
            Constraint::Length(typed + 2),
            Constraint::Length(1),
            Constraint::Min(1),
        ])
        .areas(area);
        let mut text = tab.context.clone();
        text.set_block(
            Block::default()
                .borders(Borders::ALL)
                .border_style(theme.style(Slot::BorderFocused))
                .title(Span::styled(
                    " evaluation context (JSON) ",
                    theme.style(Slot::Title),
                )),
        );
        text.set_cursor_line_style(Style::default());
        text.set_style(theme.style(Slot::Text));
        text.set_placeholder_text(r#"{"targetingKey": "user-1", "email": "ann@example.com"}"#);
        text.set_placeholder_style(theme.style(Slot::Muted));
        frame.render_widget(&text, input);
        let status_line = match &tab.parsed {
            Ok(_) => Line::styled(
                "✔ evaluated for every flag below, as flagd would",
                theme.style(Slot::Healthy),
            ),
            Err(why) => Line::styled(format!("✖ {}", inert(why)), theme.style(Slot::Danger)),
        };
        frame.render_widget(
            Paragraph::new(wrap(vec![status_line], status.width)),
            status,
        );
        list
    } else {
        area
    };
    let (lines, cursor) = lines(state, r, theme, list_area.width);
    let view = usize::from(list_area.height);
    let extent = Extent {
        lines: lines.len(),
        view,
    };
    // The cursor's flag in view, from its first line when it all fits.
    let (start, end) = cursor;
    let scroll = end.saturating_sub(view).min(start).min(extent.max_scroll());
    frame.render_widget(Paragraph::new(lines).scroll((scroll as u16, 0)), list_area);
    (extent, scroll)
}

/// Every flag's lines wrapped to `width`, and where the cursor's flag starts and ends.
fn lines(
    state: &State,
    r: &Release,
    theme: &Theme,
    width: u16,
) -> (Vec<Line<'static>>, (usize, usize)) {
    let flags = &state.flags_of(&r.key).flags;
    if flags.is_empty() {
        return (
            nothing("no feature flags known for this release", theme),
            (0, 0),
        );
    }
    let cursor = state.flags_tab.cursor.min(flags.len() - 1);
    let context = match (&state.flags_tab.parsed, state.flags_tab.evaluating) {
        (Ok(context), true) => Some(context),
        _ => None,
    };
    let mut out: Vec<Line<'static>> = state
        .flags_of(&r.key)
        .warnings
        .iter()
        .map(|w| match w.strip_prefix("✖ ") {
            // A flag that does not load is an error, not a warning.
            Some(e) => Line::styled(format!("✖ {}", inert(e)), theme.style(Slot::Danger)),
            None => Line::styled(format!("⚠ {}", inert(w)), theme.style(Slot::Warning)),
        })
        .collect();
    out = wrap(out, width);
    let mut at = (0, 0);
    for (i, f) in flags.iter().enumerate() {
        let mut block = flag_lines(f, i == cursor, theme);
        if let Some(context) = context {
            let resolution = f.evaluate(context, state.now.timestamp(), FlagType::Any);
            block.push(resolution_line(&resolution, theme));
        }
        let block = wrap(block, width);
        if i == cursor {
            at = (out.len(), out.len() + block.len());
        }
        out.extend(block);
    }
    (out, at)
}

/// One flag: key, state and default variant; its variants with their values; its
/// targeting in words; and the split of a `fractional` rule as a bar.
fn flag_lines(f: &Flag, selected: bool, theme: &Theme) -> Vec<Line<'static>> {
    use crate::flags::summary::{bar, fractional_split, summary, BAR_GLYPHS};
    use crate::flags::State as FlagState;
    let enabled = f.state == FlagState::Enabled;
    let mut lines = Vec::new();
    // Marked in words as well as colour: ▸ in place of the flag sign.
    let (mark, key_style) = if selected {
        ("▸ ", theme.style(Slot::BorderFocused))
    } else {
        ("⚑ ", theme.style(Slot::Title))
    };
    lines.push(Line::from(vec![
        Span::styled(mark, theme.style(Slot::Accent)),
        Span::styled(format!("{} ", inert(&f.key)), key_style),
        Span::styled(
            if enabled { "enabled" } else { "disabled" },
            theme.style(if enabled { Slot::Healthy } else { Slot::Muted }),
        ),
        Span::raw(format!(
            "  default {}",
            inert(f.default_variant.as_deref().unwrap_or("-"))
        )),
    ]));
    let variants: Vec<String> = f
        .variants
        .iter()
        .map(|(name, value)| format!("{}={}", inert(name), inert(&value.to_string())))
        .collect();
    lines.push(Line::styled(
        format!("  variants {}", variants.join(" ")),
        theme.style(Slot::Muted),
    ));
    if let Some(rule) = &f.targeting {
        lines.push(Line::raw(format!("  targeting {}", inert(&summary(rule)))));
        if let Some(split) = fractional_split(rule) {
            let shares: Vec<String> = split
                .iter()
                .enumerate()
                .map(|(i, (v, p))| {
                    format!("{} {} {p:.0}%", BAR_GLYPHS[i % BAR_GLYPHS.len()], inert(v))
                })
                .collect();
            lines.push(Line::raw(format!(
                "  split {}  {}",
                bar(&split, 20),
                shares.join("  ")
            )));
        }
    }
    lines
}

/// What the flag gives for the typed context: value, variant and flagd's reason.
fn resolution_line(r: &Resolution, theme: &Theme) -> Line<'static> {
    let arrow = Span::styled("  → ", theme.style(Slot::Accent));
    let reason = Span::styled(format!("  {}", r.reason.as_str()), theme.style(Slot::Muted));
    match (&r.value, r.error) {
        (_, Some(code)) => Line::from(vec![
            arrow,
            Span::styled(
                format!(
                    "error {}: {}",
                    code.as_str(),
                    inert(r.message.as_deref().unwrap_or(""))
                ),
                theme.style(Slot::Danger),
            ),
        ]),
        (Some(value), None) => Line::from(vec![
            arrow,
            Span::styled(
                inert(&value.to_string()).into_owned(),
                theme.style(Slot::Title),
            ),
            Span::raw(format!(
                " (variant {})",
                inert(r.variant.as_deref().unwrap_or("-"))
            )),
            reason,
        ]),
        (None, None) => Line::from(vec![arrow, Span::raw("the caller's default"), reason]),
    }
}

/// The choice an edit needs: the variants with the chosen one marked, or the weights typed.
fn render_prompt(frame: &mut Frame, area: Rect, prompt: &FlagPrompt, theme: &Theme) {
    let flag = inert(&prompt.flag);
    let (title, line) = match &prompt.choice {
        Choice::Variant {
            variants,
            at,
            current,
        } => {
            let mut spans = Vec::new();
            for (i, v) in variants.iter().enumerate() {
                let name = if Some(i) == *current {
                    format!("{} (default)", inert(v))
                } else {
                    inert(v).into_owned()
                };
                let (text, slot) = if i == *at {
                    (format!("▸{name} "), Slot::BorderFocused)
                } else {
                    (format!(" {name} "), Slot::Muted)
                };
                spans.push(Span::styled(text, theme.style(slot)));
            }
            (format!(" default variant of {flag} "), Line::from(spans))
        }
        Choice::Weights(input) => (
            format!(" split of {flag}: VARIANT=WEIGHT,... "),
            Line::styled(
                format!("{}▏", inert(&input.lines().join(""))),
                theme.style(Slot::Text),
            ),
        ),
    };
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.style(Slot::BorderFocused))
        .title(Span::styled(title, theme.style(Slot::Title)));
    frame.render_widget(Paragraph::new(line).block(block), area);
}

/// Lines of the diff shown: the changed ones, with two lines around each change.
fn diff_lines(diff: &str, theme: &Theme) -> Vec<Line<'static>> {
    let all: Vec<&str> = diff.lines().collect();
    let changed = |i: usize| all.get(i).is_some_and(|l| l.starts_with(['-', '+']));
    let near = |i: usize| (i.saturating_sub(2)..=i + 2).any(changed);
    let mut out = Vec::new();
    let mut skipped = false;
    for (i, line) in all.iter().enumerate() {
        if !near(i) {
            skipped = true;
            continue;
        }
        if skipped {
            out.push(Line::styled("  …", theme.style(Slot::Muted)));
            skipped = false;
        }
        let slot = match line.chars().next() {
            Some('-') => Slot::Danger,
            Some('+') => Slot::Healthy,
            _ => Slot::Muted,
        };
        out.push(Line::styled(inert(line).into_owned(), theme.style(slot)));
    }
    if skipped {
        out.push(Line::styled("  …", theme.style(Slot::Muted)));
    }
    out
}

/// The flag edit's confirmation: what changes (the diff against what is stored now), the
/// reason, and the keys that answer it.
pub fn render_confirm(
    frame: &mut Frame,
    area: Rect,
    state: &State,
    c: &FlagConfirm,
    theme: &Theme,
) {
    let request = &c.prepared.request;
    let mut lines = vec![
        Line::from(vec![Span::styled(
            inert(&request.describe()).into_owned(),
            theme.style(Slot::Danger),
        )]),
        Line::styled(
            format!(
                "in {} ({}) for {}/{}",
                inert(&request.source),
                inert(&request.key.context),
                request.key.kind.target_prefix(),
                inert(&request.key.name)
            ),
            theme.style(Slot::Muted),
        ),
    ];
    if c.changed {
        lines.push(Line::styled(
            "⚠ changed by someone else meanwhile: this is the change against it now",
            theme.style(Slot::Warning),
        ));
    }
    lines.extend(diff_lines(&c.prepared.diff, theme));
    let field = |label: &str, text: String, focused: bool| {
        Line::from(vec![
            Span::styled(
                format!("{label:<8}"),
                theme.style(if focused && !c.ready {
                    Slot::Accent
                } else {
                    Slot::Muted
                }),
            ),
            Span::styled(
                format!(
                    "{}{}",
                    inert(&text),
                    if focused && !c.ready { "▏" } else { "" }
                ),
                theme.style(Slot::Text),
            ),
        ])
    };
    if c.guarded {
        lines.push(Line::styled(
            "Production context: type the flag's key and a reason.",
            theme.style(Slot::Production),
        ));
        lines.push(field("key", c.name_input.lines().join(""), c.field == 0));
    }
    lines.push(field(
        "reason",
        c.reason_input.lines().join(" "),
        c.field == 1,
    ));
    let keys = if c.ready {
        super::help::dialog_keys(state, false)
    } else {
        super::help::reason_keys(state, c.guarded)
    };
    let mut answer = Vec::new();
    if c.ready {
        answer.push(Span::styled("Write it? ", theme.style(Slot::Danger)));
    }
    for (i, (key, what)) in keys.iter().enumerate() {
        if i > 0 {
            answer.push(Span::raw("   "));
        }
        answer.push(Span::styled(key.clone(), theme.style(Slot::Key)));
        answer.push(Span::raw(format!(" {what}")));
    }
    lines.push(Line::from(answer));
    if let Some(err) = &c.error {
        lines.push(Line::styled(err.clone(), theme.style(Slot::Danger)));
    }
    let height = (lines.len() as u16 + 2).min(area.height);
    let rect = super::centered(frame, area, 72, height);
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.style(Slot::Danger))
        .title(Span::styled(" change a flag ", theme.style(Slot::Danger)));
    frame.render_widget(
        Paragraph::new(lines)
            .block(block)
            .style(theme.style(Slot::Overlay))
            .wrap(Wrap { trim: false }),
        rect,
    );
}
