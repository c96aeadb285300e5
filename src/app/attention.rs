//! What needs a human first, and why, with what the console knows: ripcord's own
//! judgements and which contexts are production. The rule itself is `model::attention`.

use super::State;
pub use crate::model::attention::{attention_of, Attention, Rank};
use crate::model::Release;

/// [`attention_of`] with ripcord's judgement and the production settings the console holds.
pub fn attention(state: &State, r: &Release) -> Attention {
    attention_of(
        r,
        super::analysis::ripcord_summary(state, r),
        state.settings.is_production(&r.key.context),
    )
}

/// The queue's message for a release: why it ranks high, then what its controller says.
pub fn queue_message(state: &State, r: &Release) -> String {
    let a = attention(state, r);
    let inert = crate::model::text::inert(&r.message);
    // A countdown goes before the controller's words, so a narrow cell keeps it.
    let message = match r.auto_promotion_note(state.now) {
        Some(note) if inert.is_empty() => note,
        Some(note) => format!("{note} · {inert}"),
        None => inert.into_owned(),
    };
    match a.rank {
        Rank::Failing | Rank::Marginal | Rank::Waiting if message.is_empty() => a.reason,
        Rank::Failing | Rank::Marginal | Rank::Waiting => format!("{} · {message}", a.reason),
        _ => message,
    }
}
