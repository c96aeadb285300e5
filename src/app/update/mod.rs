//! `update`: the only place `State` changes. Pure: no IO, no clock reads.
//!
//! `keys` turns key presses into actions, `queue` folds cluster changes into the release
//! queue and keeps it filtered and sorted, `operate` checks, confirms and requests
//! operations.

mod keys;
mod operate;
mod queue;

pub(crate) use keys::confirm_hint;
use keys::*;
use operate::*;
pub use operate::{
    blocked_reason, default_rollback_target, no_rollback_why, parse_weight, rollback_aim,
};
use queue::*;
pub use queue::{apply_changes, rebuild_rows, visible_rows};

use super::attention::{attention, attention_of};
use super::state::*;
use super::{
    ClockControl, ConnState, Effect, Msg, Permission, MIN_HEIGHT, MIN_WIDTH, STATUS_TTL_SECS,
};
use crate::action::Action;
use crate::config::keymap::{KeyChord, Lookup, Section};
use crate::model::derive::derive_namespace;
use crate::model::display::{age, kind_label};
use crate::model::objects::Change;
use crate::model::ops::Operation;
use crate::model::ops::{ActionRequest, Op};
use crate::model::{Kind, Phase, Release, ReleaseKey, Revision, RevisionRole};
use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};
use tui_textarea::TextArea;

/// Demo speed bounds.
const MAX_SPEED: f64 = 64.0;
const MIN_SPEED: f64 = 0.25;

pub fn update(state: &mut State, msg: Msg) -> Vec<Effect> {
    match msg {
        Msg::Key(key) => {
            if key.kind == KeyEventKind::Release {
                return vec![];
            }
            state.dirty = true;
            state.navigated = true;
            let mut effects = on_key(state, key);
            effects.extend(access_check(state));
            effects
        }
        Msg::Resize { width, height } => {
            state.width = width;
            state.height = height;
            clamp_scroll(state);
            state.dirty = true;
            vec![]
        }
        Msg::Tick(now) => {
            let before = state.now;
            state.now = now;
            // On the queue, redraw only when an age or a countdown on screen changes; the
            // detail view shows pod and event ages too, so it follows the clock.
            let aged = match &state.view {
                View::Home => state
                    .rows
                    .iter()
                    .skip(state.offset)
                    .take(visible_rows(state))
                    .filter_map(|k| state.releases.get(k))
                    .any(|r| {
                        r.created.is_some_and(|c| age(c, before) != age(c, now))
                            || r.auto_promotion_note(before) != r.auto_promotion_note(now)
                    }),
                View::Detail(_) => true,
                View::Security => false,
            };
            // A flag badge's mark that runs out is redrawn.
            let unmarked = state
                .flags_changed
                .values()
                .any(|at| flag_mark_holds(*at, before) != flag_mark_holds(*at, now));
            if aged || unmarked || matches!(state.mode, Mode::Demo { .. }) {
                state.dirty = true;
            }
            if state.mode == Mode::Live {
                state.wall = Some(now);
            }
            expire_status(state);
            super::analysis::due(state)
        }
        Msg::Wall(now) => {
            state.wall = Some(now);
            expire_status(state);
            vec![]
        }
        Msg::Drawn {
            width,
            height,
            extents,
        } => {
            super::tabs::record(state, extents);
            clamp_scroll(state);
            // A confirmation counts only once its dialog has been on screen.
            if width >= MIN_WIDTH && height >= MIN_HEIGHT {
                match &mut state.overlay {
                    Some(Overlay::Confirm(c)) => c.shown = true,
                    Some(Overlay::FlagConfirm(c)) => c.shown = true,
                    _ => {}
                }
            }
            vec![]
        }
        Msg::Cluster { context, changes } => {
            apply_changes(state, &context, changes);
            adopt_waiting_flags(state);
            access_check(state)
        }
        Msg::Connection {
            context,
            state: conn,
        } => {
            let cluster = state
                .clusters
                .entry(context)
                .or_insert_with(|| ClusterState {
                    cache: Default::default(),
                    conn: ConnState::Connecting,
                });
            // A new reason for a lost connection is told once in full: the connection
            // line may only have room for its cause.
            let told = matches!(conn, ConnState::Reconnecting(_) | ConnState::Denied(_))
                && cluster.conn != conn;
            cluster.conn = conn.clone();
            if told {
                state.set_status(Level::Warning, format!("⚠ {}", conn.label()));
            }
            state.dirty = true;
            vec![]
        }
        Msg::Analysis { key, at, result } => {
            let before = order_of(state, &key);
            super::analysis::record(state, key.clone(), at, result);
            // ripcord's verdict moves a release in the queue.
            if order_of(state, &key) != before {
                rebuild_rows(state);
            }
            vec![]
        }
        Msg::Flags { key, flags } => {
            if state.releases.contains_key(&key) {
                // A first word about a release is not a change; a different set after it is.
                // A flag that only moved in its source (a line number) is not a change.
                let changed = |old: &crate::model::Flags| {
                    !crate::flags::definition::same_definitions(&old.flags, &flags.flags)
                };
                if state.flags.get(&key).is_some_and(changed) {
                    state.flags_changed.insert(key.clone(), state.now);
                }
                state.flags.insert(key, flags);
                state.dirty = true;
            } else if flags.flags.is_empty() {
                state.flags_waiting.remove(&key);
            } else {
                state.flags_waiting.insert(key, flags);
            }
            vec![]
        }
        Msg::Findings { key, findings } => {
            // A context whose checks never said how far they got (the demo's) has them all.
            state.checks.entry(key.context.clone()).or_default();
            // Kept even before the release is derived: the checks may report first, and
            // they report again only when something changes.
            let known = state.releases.contains_key(&key);
            if findings.items.is_empty() && !known {
                state.checked.remove(&key);
            } else {
                state.checked.insert(key.clone(), findings);
            }
            if known {
                super::security::refresh(state, &key);
                state.dirty = true;
            }
            vec![]
        }
        Msg::NamespaceFindings {
            context,
            namespace,
            findings,
        } => {
            if findings.is_empty() {
                state.unclaimed.remove(&(context, namespace));
            } else {
                state.unclaimed.insert((context, namespace), findings);
            }
            if state.view == View::Security {
                super::security::clamp(state);
            }
            state.dirty = true;
            vec![]
        }
        Msg::ChecksStatus { context, status } => {
            state.checks.insert(context, status);
            state.dirty = true;
            vec![]
        }
        Msg::Permission {
            key,
            op,
            permission,
        } => {
            // An answer for a release that has gone would never be dropped.
            if state.releases.contains_key(&key) {
                state.permissions.insert((key.clone(), op), permission);
                state.access_checked.insert(key.clone(), state.now);
                super::security::refresh(state, &key);
                state.dirty = true;
            }
            vec![]
        }
        Msg::ActionDone(outcome) => {
            let req = &outcome.request;
            state.in_flight.remove(&req.key);
            let target = format!("{}/{}", req.key.kind.target_prefix(), req.key.name);
            // A refusal still on the status line, of an operation this one held up: it
            // stays, first so a narrow line keeps it, beside the answer that would
            // otherwise replace it unread. No `: ` in it, so a line cut short (which
            // moves the last clause after the first `: `) keeps it whole, then the answer.
            let held = match state.refused_in_flight.take() {
                Some((key, op)) if key == req.key && state.status.is_some() => format!(
                    "✖ {} was refused while {} ran, ask again · ",
                    op.verb(),
                    req.op.verb()
                ),
                _ => String::new(),
            };
            match &outcome.result {
                Ok(text) => state.set_status(
                    Level::Success,
                    format!("{held}✔ {} {target}: {text}", req.op.verb()),
                ),
                Err(e) => state.set_status(
                    Level::Error,
                    format!("{held}✖ {} {target} failed: {e}", req.op.verb()),
                ),
            }
            state.dirty = true;
            vec![]
        }
        Msg::FlagPrepared { request, result } => {
            super::flags::prepared(state, request, result);
            vec![]
        }
        Msg::FlagWritten { request, written } => {
            super::flags::written(state, request, written);
            vec![]
        }
        Msg::Problem(text) => {
            state.set_status(Level::Warning, format!("⚠ {text}"));
            state.dirty = true;
            vec![]
        }
        Msg::Settled(text) => {
            state.set_status(Level::Info, format!("ripcord: {text}"));
            state.dirty = true;
            vec![]
        }
        Msg::Clock { paused, speed } => {
            if let Mode::Demo { .. } = state.mode {
                state.mode = Mode::Demo { paused, speed };
                if state.requested_speed == Some(speed) {
                    state.requested_speed = None;
                }
                state.dirty = true;
            }
            vec![]
        }
        Msg::Quit => {
            state.quit = true;
            vec![Effect::Quit]
        }
    }
}

/// Moves flags told before their release arrived to the release, now that it has.
fn adopt_waiting_flags(state: &mut State) {
    if state.flags_waiting.is_empty() {
        return;
    }
    let arrived: Vec<ReleaseKey> = state
        .flags_waiting
        .keys()
        .filter(|k| state.releases.contains_key(*k))
        .cloned()
        .collect();
    for key in arrived {
        if let Some(flags) = state.flags_waiting.remove(&key) {
            state.flags.insert(key, flags);
            state.dirty = true;
        }
    }
}

/// Drops the status line once it has been up `STATUS_TTL_SECS` by wall time, or by state
/// time read at the demo's speed (a message stays about as long for the reader).
fn expire_status(state: &mut State) {
    if state.status.is_none() {
        return;
    }
    let ttl = STATUS_TTL_SECS as f64;
    let rate = match state.mode {
        Mode::Demo { speed, .. } if speed > 0.0 => speed,
        _ => 1.0,
    };
    let shown = (state.now - state.status_since).num_milliseconds() as f64 / 1000.0 / rate;
    let walled = match (state.wall, state.status_wall) {
        (Some(now), Some(since)) => (now - since).num_milliseconds() as f64 / 1000.0,
        _ => 0.0,
    };
    if shown >= ttl || walled >= ttl {
        state.status = None;
        state.dirty = true;
    }
}

/// Where a release stands in the attention order, if the console holds it.
fn order_of(state: &State, key: &ReleaseKey) -> Option<(super::Rank, bool)> {
    state.releases.get(key).map(|r| attention(state, r).order())
}

/// Asks which actions the user may run on the focused release, when its answers are
/// missing or older than `PERMISSION_TTL_SECS`. The demo has no permissions to check.
fn access_check(state: &mut State) -> Vec<Effect> {
    if state.mode != Mode::Live {
        return vec![];
    }
    let Some(key) = state.focused().map(|r| r.key.clone()) else {
        return vec![];
    };
    if state.is_read_only(&key.context) || !state.access_stale(&key) {
        return vec![];
    }
    state.access_checked.insert(key.clone(), state.now);
    vec![Effect::CheckAccess(key)]
}
