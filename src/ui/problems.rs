//! The full, scrollable list of configuration problems.

use crate::app::{Extent, State};
use crate::config::theme::{Slot, Theme};
use crate::model::text::inert;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};
use ratatui::Frame;

/// Draws the list from the `scroll`th problem on, and returns its extent in problems.
pub fn render(
    frame: &mut Frame,
    area: Rect,
    state: &State,
    scroll: usize,
    theme: &Theme,
) -> Extent {
    let rect = super::centered(
        frame,
        area,
        area.width.saturating_sub(4),
        area.height.saturating_sub(2),
    );
    let problems = state.warnings.len();
    let width = usize::from(rect.width.saturating_sub(2)).max(8);
    let view = usize::from(rect.height.saturating_sub(2)).max(1);
    // The problems, numbered; then the recent status messages in full, newest first, since
    // the status line may have cut one short.
    let mut entries: Vec<String> = state
        .warnings
        .iter()
        .enumerate()
        .map(|(i, w)| format!("{:>3}. {}", i + 1, inert(w)))
        .collect();
    if !state.messages.is_empty() {
        // Under the problems, a heading; alone, the box's title says what they are.
        if problems > 0 {
            entries.push("recent messages, newest first:".to_owned());
        }
        entries.extend(
            state
                .messages
                .iter()
                .rev()
                .map(|m| format!("  - {}", inert(&m.text))),
        );
    }
    let total = entries.len();
    // Wrapped here rather than by the paragraph, so the last full page is known.
    let wrapped: Vec<Vec<String>> = entries.iter().map(|e| wrap(e, width)).collect();
    let mut last = total;
    let mut used = 0;
    while last > 0 && used + wrapped[last - 1].len() <= view {
        used += wrapped[last - 1].len();
        last -= 1;
    }
    // One problem taller than the box still gets its own top.
    let max_scroll = last.min(total.saturating_sub(1));
    let lines: Vec<Line> = wrapped
        .iter()
        .skip(scroll.min(max_scroll))
        .enumerate()
        .flat_map(|(i, w)| {
            let numbered = i + scroll.min(max_scroll) < problems;
            w.iter().enumerate().map(move |(j, text)| {
                let (num, rest) = if j == 0 && numbered {
                    text.split_at(text.find(". ").map_or(0, |i| i + 2))
                } else {
                    ("", text.as_str())
                };
                Line::from(vec![
                    Span::styled(num.to_owned(), theme.style(Slot::Muted)),
                    Span::styled(rest.to_owned(), theme.style(Slot::Text)),
                ])
            })
        })
        .collect();
    let noun = if problems == 1 { "problem" } else { "problems" };
    let title = if problems == 0 {
        " recent messages, newest first (j/k scroll, any other key closes) ".to_owned()
    } else {
        format!(" {problems} config {noun} (j/k scroll, any other key closes) ")
    };
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.style(Slot::BorderFocused))
        .title(Span::styled(title, theme.style(Slot::Title)));
    frame.render_widget(
        Paragraph::new(lines)
            .block(block)
            .style(theme.style(Slot::Overlay)),
        rect,
    );
    // Scrolls a problem at a time, until the last page is full; a page is the box.
    Extent {
        lines: max_scroll + view,
        view,
    }
}

/// `text` in lines of at most `width` columns, broken at spaces where it can be; lines
/// after the first are indented under the text.
fn wrap(text: &str, width: usize) -> Vec<String> {
    use unicode_width::UnicodeWidthChar;
    const INDENT: &str = "     ";
    let mut out = Vec::new();
    let mut line = String::new();
    let mut used = 0;
    for word in text.split_inclusive(' ') {
        let w: usize = word.chars().map(|c| c.width().unwrap_or(0)).sum();
        if used + w.saturating_sub(usize::from(word.ends_with(' '))) > width && used > INDENT.len()
        {
            out.push(std::mem::take(&mut line).trim_end().to_owned());
            line.push_str(INDENT);
            used = INDENT.len();
        }
        for c in word.chars() {
            let cw = c.width().unwrap_or(0);
            if used + cw > width && c != ' ' {
                out.push(std::mem::take(&mut line));
                line.push_str(INDENT);
                used = INDENT.len();
            }
            line.push(c);
            used += cw;
        }
    }
    out.push(line.trim_end().to_owned());
    out
}
