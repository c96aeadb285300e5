//! The full, scrollable list of configuration problems.

use crate::app::{Extent, State};
use crate::config::theme::{Slot, Theme};
use crate::model::text::inert;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Wrap};
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
    let total = state.warnings.len();
    let lines: Vec<Line> = state
        .warnings
        .iter()
        .enumerate()
        .skip(scroll.min(total.saturating_sub(1)))
        .map(|(i, w)| {
            Line::from(vec![
                Span::styled(format!("{:>3}. ", i + 1), theme.style(Slot::Muted)),
                Span::styled(inert(w).into_owned(), theme.style(Slot::Text)),
            ])
        })
        .collect();
    let noun = if total == 1 { "problem" } else { "problems" };
    let title = format!(" {total} config {noun} (j/k scroll, any other key closes) ");
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.style(Slot::BorderFocused))
        .title(Span::styled(title, theme.style(Slot::Title)));
    frame.render_widget(
        Paragraph::new(lines)
            .block(block)
            .style(theme.style(Slot::Overlay))
            .wrap(Wrap { trim: false }),
        rect,
    );
    // Scrolls a problem at a time, until the last one is at the top; a page is the box.
    let view = usize::from(rect.height.saturating_sub(2)).max(1);
    Extent {
        lines: total + view - 1,
        view,
    }
}
