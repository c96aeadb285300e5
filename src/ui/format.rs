//! Colours for states and the queue's column allocator; the words themselves
//! come from `model::display`.

use crate::config::theme::Slot;
pub use crate::model::display::*;
use crate::model::{Phase, Verdict};

pub fn phase_slot(phase: Phase) -> Slot {
    match phase {
        Phase::WaitingForPromotion => Slot::Paused,
        Phase::Degraded => Slot::Degraded,
        Phase::Aborted => Slot::Aborted,
        Phase::Paused => Slot::Paused,
        Phase::Progressing => Slot::Progressing,
        Phase::Unknown => Slot::Muted,
        Phase::Healthy => Slot::Healthy,
    }
}

pub fn verdict_slot(v: Option<Verdict>) -> Slot {
    match v {
        Some(Verdict::Pass) => Slot::VerdictPass,
        Some(Verdict::Fail) => Slot::VerdictFail,
        Some(Verdict::Inconclusive) => Slot::VerdictInconclusive,
        Some(Verdict::Running) => Slot::Progressing,
        None => Slot::Muted,
    }
}

/// One table column as the allocator sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ColumnSpec {
    /// What the widest cell (or the title) needs.
    pub want: u16,
    /// Below this the column is not worth showing.
    pub min: u16,
    /// Lower gives way first: it shrinks first, and is hidden first.
    pub value: u8,
    /// Takes whatever is left once every column has what it wants.
    pub fill: bool,
}

/// Widths for `specs` in `width` cells with `spacing` between shown columns; 0 means hidden.
///
/// Columns give way in order of value: each shrinks to its minimum, lowest value first, and
/// only when every shown column is at its minimum is the lowest-value one hidden. Whatever
/// is left over goes back to shrunk columns, highest value first, then to the fill column.
pub fn allocate(width: u16, spacing: u16, specs: &[ColumnSpec]) -> Vec<u16> {
    let mut order: Vec<usize> = (0..specs.len()).collect();
    order.sort_by_key(|&i| (specs[i].value, std::cmp::Reverse(i)));
    let mut shown = vec![true; specs.len()];
    loop {
        let mut widths: Vec<u16> = specs
            .iter()
            .zip(&shown)
            .map(|(s, &on)| match (on, s.fill) {
                (false, _) => 0,
                (true, true) => s.min,
                (true, false) => s.want.max(s.min),
            })
            .collect();
        let used = |w: &[u16]| -> u32 {
            let cols = w.iter().filter(|&&w| w > 0).count() as u32;
            w.iter().map(|&w| u32::from(w)).sum::<u32>()
                + u32::from(spacing) * cols.saturating_sub(1)
        };
        let total = u32::from(width);
        for &i in &order {
            let over = used(&widths).saturating_sub(total);
            if over == 0 {
                break;
            }
            if specs[i].fill {
                // The fill column gives way whole: a sliver of message helps nobody.
                widths[i] = 0;
                continue;
            }
            let give = u32::from(widths[i].saturating_sub(specs[i].min)).min(over);
            widths[i] -= give as u16;
        }
        if used(&widths) > total {
            match order.iter().find(|&&i| shown[i]) {
                Some(&i) => {
                    shown[i] = false;
                    continue;
                }
                None => return widths,
            }
        }
        // Space left: back to shrunk columns by value, then to the fill column.
        let mut spare = total - used(&widths);
        for &i in order.iter().rev() {
            if spare == 0 {
                break;
            }
            if widths[i] > 0 && !specs[i].fill {
                let grow = u32::from(specs[i].want.saturating_sub(widths[i])).min(spare);
                widths[i] += grow as u16;
                spare -= grow;
            }
        }
        if let Some(i) = specs.iter().position(|s| s.fill) {
            if widths[i] > 0 {
                widths[i] += spare as u16;
            } else if spare >= u32::from(specs[i].min + spacing) {
                widths[i] = (spare - u32::from(spacing)) as u16;
            }
        }
        return widths;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SPACING: u16 = 1;

    /// The queue's columns as the demo fills them: want, min, value, fill.
    fn queue() -> Vec<ColumnSpec> {
        let c = |want, min, value, fill| ColumnSpec {
            want,
            min,
            value,
            fill,
        };
        vec![
            c(10, 4, 5, false),  // CONTEXT
            c(8, 4, 6, false),   // NAMESPACE
            c(14, 8, 10, false), // NAME
            c(15, 8, 1, false),  // KIND
            c(13, 10, 9, false), // PHASE
            c(3, 3, 4, false),   // STEP
            c(4, 4, 8, false),   // WT
            c(8, 3, 2, false),   // READY
            c(6, 6, 7, false),   // VERDICT
            c(3, 3, 3, false),   // AGE
            c(40, 12, 0, true),  // MESSAGE
        ]
    }

    fn used(w: &[u16]) -> u16 {
        let shown = w.iter().filter(|&&w| w > 0).count() as u16;
        w.iter().sum::<u16>() + SPACING * shown.saturating_sub(1)
    }

    const NAME: usize = 2;
    const MESSAGE: usize = 10;

    #[test]
    fn every_width_fits_and_the_name_is_never_cut_before_context_and_namespace() {
        let specs = queue();
        for width in [60, 80, 119, 120, 160, 200] {
            let w = allocate(width, SPACING, &specs);
            assert!(used(&w) <= width, "{width}: {w:?} overflows");
            if w[NAME] < specs[NAME].want {
                assert!(
                    w[0] <= specs[0].min && w[1] <= specs[1].min,
                    "{width}: {w:?}"
                );
            }
            // Phase and verdict are never lost.
            assert!(
                w[4] >= specs[4].min && w[8] >= specs[8].min,
                "{width}: {w:?}"
            );
        }
    }

    #[test]
    fn at_60_and_80_the_name_is_whole_and_the_message_gives_way_first() {
        let specs = queue();
        for width in [60, 80] {
            let w = allocate(width, SPACING, &specs);
            assert_eq!(w[NAME], 14, "{width}: {w:?}");
            assert_eq!(w[MESSAGE], 0, "{width}: {w:?}");
        }
        let w = allocate(80, SPACING, &specs);
        assert!(
            w[0] >= 8 && w[1] == 8,
            "80 columns keep most of the context: {w:?}"
        );
    }

    #[test]
    fn at_119_and_120_nothing_is_cut_and_the_message_takes_the_rest() {
        let specs = queue();
        for width in [119, 120] {
            let w = allocate(width, SPACING, &specs);
            for (i, s) in specs.iter().enumerate().filter(|(_, s)| !s.fill) {
                assert_eq!(w[i], s.want, "{width}: column {i} in {w:?}");
            }
            assert!(w[MESSAGE] >= 20, "{width}: message only {}", w[MESSAGE]);
            assert_eq!(used(&w), width, "{width}: the message fills the row");
        }
    }

    #[test]
    fn wide_screens_give_the_spare_room_to_the_message_only() {
        let specs = queue();
        let at_160 = allocate(160, SPACING, &specs);
        let at_200 = allocate(200, SPACING, &specs);
        assert_eq!(at_200[MESSAGE] - at_160[MESSAGE], 40);
        assert_eq!(at_160[..MESSAGE], at_200[..MESSAGE]);
        assert_eq!(used(&at_200), 200);
    }

    #[test]
    fn below_every_minimum_the_least_valuable_columns_are_hidden() {
        let w = allocate(50, SPACING, &queue());
        assert!(used(&w) <= 50, "{w:?}");
        assert_eq!(w[3], 0, "kind goes first: {w:?}");
        assert!(w[NAME] > 0 && w[4] > 0, "{w:?}");
    }

    #[test]
    fn a_cut_name_keeps_its_warning() {
        assert_eq!(fit_keeping("payments-api", " ⚠", 10), "payment… ⚠");
        assert_eq!(fit_keeping("cart", " ⚠", 10), "cart ⚠");
        assert_eq!(fit("staging-us", 5), "stag…");
        assert_eq!(fit("shop", 5), "shop");
    }
}
