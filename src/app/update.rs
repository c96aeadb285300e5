//! `update`: the only place `State` changes. Pure: no IO, no clock reads.

use super::action::{Action, Operation};
use super::state::*;
use super::{ClockControl, ConnState, Effect, Msg, Permission};
use crate::config::keymap::{KeyChord, Lookup, Section};
use crate::model::derive::derive_namespace;
use crate::model::objects::Change;
use crate::model::ops::{supports, ActionRequest};
use crate::model::{ReleaseKey, RevisionRole};
use crate::ui::format::age;
use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};
use tui_textarea::TextArea;

/// Rows taken by chrome around the home table (header, table header, footer).
pub const HOME_CHROME_ROWS: u16 = 5;
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
            // On the queue, redraw only when an age on screen changes; the detail view
            // shows pod and event ages too, so it follows the clock.
            let aged = match &state.view {
                View::Home => state
                    .rows
                    .iter()
                    .skip(state.offset)
                    .take(visible_rows(state))
                    .filter_map(|k| state.releases.get(k)?.created)
                    .any(|c| age(c, before) != age(c, now)),
                View::Detail(_) => true,
            };
            if aged || matches!(state.mode, Mode::Demo { .. }) {
                state.dirty = true;
            }
            vec![]
        }
        Msg::Cluster { context, changes } => {
            apply_changes(state, &context, changes);
            access_check(state)
        }
        Msg::Connection {
            context,
            state: conn,
        } => {
            state
                .clusters
                .entry(context)
                .or_insert_with(|| ClusterState {
                    cache: Default::default(),
                    conn: ConnState::Connecting,
                })
                .conn = conn;
            state.dirty = true;
            vec![]
        }
        Msg::Extras { key, extras } => {
            state.extras.insert(key, extras);
            state.dirty = true;
            vec![]
        }
        Msg::Permission {
            key,
            op,
            permission,
        } => {
            state.permissions.insert((key, op), permission);
            state.dirty = true;
            vec![]
        }
        Msg::ActionDone(outcome) => {
            let req = &outcome.request;
            let target = format!("{}/{}", req.key.kind.target_prefix(), req.key.name);
            state.status = Some(match &outcome.result {
                Ok(text) => StatusLine {
                    level: Level::Success,
                    text: format!("✔ {} {target}: {text}", req.op.verb()),
                },
                Err(e) => StatusLine {
                    level: Level::Error,
                    text: format!("✖ {} {target} failed: {e}", req.op.verb()),
                },
            });
            state.dirty = true;
            vec![]
        }
        Msg::Problem(text) => {
            state.status = Some(StatusLine {
                level: Level::Warning,
                text: format!("⚠ {text}"),
            });
            state.dirty = true;
            vec![]
        }
        Msg::Clock { paused, speed } => {
            if let Mode::Demo { .. } = state.mode {
                state.mode = Mode::Demo { paused, speed };
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

/// Asks once per release which actions the user may run, when it first gets the focus.
/// The demo has no permissions to check.
fn access_check(state: &mut State) -> Vec<Effect> {
    if state.mode != Mode::Live {
        return vec![];
    }
    let Some(key) = state.focused().map(|r| r.key.clone()) else {
        return vec![];
    };
    if state.is_read_only(&key.context) || !state.access_requested.insert(key.clone()) {
        return vec![];
    }
    vec![Effect::CheckAccess(key)]
}

/// Folds object changes into the cache and derives the touched namespaces again.
pub fn apply_changes(state: &mut State, context: &str, changes: Vec<Change>) {
    if changes.is_empty() {
        return;
    }
    // A context seen for the first time shows in the header even before it has releases.
    let mut changed = !state.clusters.contains_key(context);
    let cluster = state
        .clusters
        .entry(context.to_owned())
        .or_insert_with(|| ClusterState {
            cache: Default::default(),
            conn: ConnState::Synced,
        });
    let mut touched: Vec<String> = Vec::new();
    for change in changes {
        match change {
            Change::Applied(object) => touched.extend(cluster.cache.apply(object)),
            Change::Deleted(r) => touched.push(cluster.cache.delete(&r)),
            Change::Reset {
                kind,
                namespace,
                objects,
            } => touched.extend(
                cluster
                    .cache
                    .replace_kind(kind, namespace.as_deref(), objects),
            ),
        }
    }
    touched.sort();
    touched.dedup();
    let mut reorder = false;
    for ns in touched {
        let derived = cluster
            .cache
            .namespaces
            .get(&ns)
            .map(|rows| derive_namespace(context, &ns, rows))
            .unwrap_or_default();
        let old = releases_in(&state.releases, context, &ns);
        // Most pod updates change nothing a release shows: then there is nothing to draw.
        if old.len() == derived.len()
            && derived
                .iter()
                .all(|r| state.releases.get(&r.key) == Some(r))
        {
            continue;
        }
        changed = true;
        // The queue only needs rebuilding when a release comes, goes, or moves in the order.
        reorder |= old.len() != derived.len()
            || derived.iter().any(|r| {
                state.releases.get(&r.key).is_none_or(|o| {
                    o.attention_rank() != r.attention_rank() || o.created != r.created
                })
            });
        for key in old {
            state.releases.remove(&key);
        }
        for r in derived {
            state.releases.insert(r.key.clone(), r);
        }
    }
    if reorder {
        rebuild_rows(state);
    }
    state.dirty |= changed;
}

/// The keys of one namespace's releases, found by range rather than a scan of them all.
fn releases_in(
    releases: &std::collections::BTreeMap<ReleaseKey, crate::model::Rollout>,
    context: &str,
    namespace: &str,
) -> Vec<ReleaseKey> {
    let first = ReleaseKey {
        context: context.to_owned(),
        namespace: namespace.to_owned(),
        kind: crate::model::Kind::Deployment,
        name: String::new(),
    };
    releases
        .range(first..)
        .map(|(k, _)| k)
        .take_while(|k| k.context == context && k.namespace == namespace)
        .cloned()
        .collect()
}

fn matches_filter(key: &ReleaseKey, filter: &str) -> bool {
    if filter.is_empty() {
        return true;
    }
    let filter = filter.to_lowercase();
    [
        key.name.as_str(),
        key.namespace.as_str(),
        key.context.as_str(),
        key.kind.target_prefix(),
    ]
    .iter()
    .any(|field| field.to_lowercase().contains(&filter))
}

/// Recomputes the home queue: filter, then sort, keeping the selected release selected.
pub fn rebuild_rows(state: &mut State) {
    let selected = state.selected_key().cloned();
    let filter = state
        .filter_input
        .as_ref()
        .map(|t| t.lines().join(""))
        .unwrap_or_else(|| state.filter.clone());
    let mut rows: Vec<&crate::model::Rollout> = state
        .releases
        .values()
        .filter(|r| {
            state
                .context_filter
                .as_ref()
                .is_none_or(|c| &r.key.context == c)
                && state
                    .namespace_filter
                    .as_ref()
                    .is_none_or(|n| &r.key.namespace == n)
                && matches_filter(&r.key, &filter)
        })
        .collect();
    match state.sort {
        SortMode::Attention => rows.sort_by(|a, b| {
            a.attention_rank()
                .cmp(&b.attention_rank())
                .then_with(|| a.key.cmp(&b.key))
        }),
        SortMode::Name => rows.sort_by(|a, b| {
            (&a.key.name, &a.key.namespace, &a.key.context).cmp(&(
                &b.key.name,
                &b.key.namespace,
                &b.key.context,
            ))
        }),
        SortMode::Age => {
            rows.sort_by(|a, b| b.created.cmp(&a.created).then_with(|| a.key.cmp(&b.key)))
        }
    }
    state.rows = rows.into_iter().map(|r| r.key.clone()).collect();
    if let Some(key) = selected {
        if let Some(i) = state.rows.iter().position(|k| *k == key) {
            state.selected = i;
        }
    }
    clamp_scroll(state);
}

/// How many table rows fit on the home screen.
pub fn visible_rows(state: &State) -> usize {
    state.height.saturating_sub(HOME_CHROME_ROWS).max(1) as usize
}

fn clamp_scroll(state: &mut State) {
    let len = state.rows.len();
    state.selected = state.selected.min(len.saturating_sub(1));
    let height = visible_rows(state);
    if state.selected < state.offset {
        state.offset = state.selected;
    } else if state.selected >= state.offset + height {
        state.offset = state.selected + 1 - height;
    }
    state.offset = state.offset.min(len.saturating_sub(height));
}

fn sections(state: &State) -> Vec<Section> {
    let mut out = vec![match state.view {
        View::Home => Section::Home,
        View::Detail(_) => Section::Detail,
    }];
    if matches!(state.mode, Mode::Demo { .. }) {
        out.push(Section::Demo);
    }
    out.push(Section::Global);
    out
}

fn on_key(state: &mut State, key: KeyEvent) -> Vec<Effect> {
    if let Some(Overlay::Confirm(_)) = &state.overlay {
        return on_confirm_key(state, key);
    }
    if state.filter_input.is_some() {
        on_filter_key(state, key);
        return vec![];
    }
    if let Some(Overlay::Help { scroll }) = &mut state.overlay {
        match key.code {
            KeyCode::Down | KeyCode::Char('j') => *scroll += 1,
            KeyCode::Up | KeyCode::Char('k') => *scroll = scroll.saturating_sub(1),
            _ => state.overlay = None,
        }
        return vec![];
    }
    state.pending_keys.push(KeyChord::from_event(&key));
    match state.keymap.lookup(&sections(state), &state.pending_keys) {
        Lookup::Prefix => vec![],
        Lookup::Action(action) => {
            state.pending_keys.clear();
            on_action(state, action)
        }
        Lookup::None => {
            state.pending_keys.clear();
            vec![]
        }
    }
}

fn on_filter_key(state: &mut State, key: KeyEvent) {
    match key.code {
        KeyCode::Enter => {
            if let Some(input) = state.filter_input.take() {
                state.filter = input.lines().join("");
            }
        }
        KeyCode::Esc => {
            state.filter_input = None;
            state.filter.clear();
        }
        _ => {
            if let Some(input) = &mut state.filter_input {
                input.input(key);
            }
        }
    }
    state.selected = 0;
    rebuild_rows(state);
}

fn move_cursor(state: &mut State, action: Action) {
    let page = visible_rows(state);
    let (cursor, len) = match state.view {
        View::Home => (&mut state.selected, state.rows.len()),
        View::Detail(ref key) => {
            let len = state.releases.get(key).map_or(0, |r| r.revisions.len());
            (&mut state.revision_cursor, len)
        }
    };
    let last = len.saturating_sub(1);
    *cursor = match action {
        Action::Up => cursor.saturating_sub(1),
        Action::Down => (*cursor + 1).min(last),
        Action::PageUp => cursor.saturating_sub(page),
        Action::PageDown => (*cursor + page).min(last),
        Action::Top => 0,
        Action::Bottom => last,
        _ => *cursor,
    };
    clamp_scroll(state);
}

fn cycle(current: &Option<String>, options: &[String], forward: bool) -> Option<String> {
    let pos = current
        .as_ref()
        .and_then(|c| options.iter().position(|o| o == c));
    let n = options.len();
    if n == 0 {
        return None;
    }
    // Positions 0..n are the options; n stands for "all".
    let here = pos.unwrap_or(n);
    let next = if forward {
        (here + 1) % (n + 1)
    } else {
        (here + n) % (n + 1)
    };
    options.get(next).cloned()
}

fn on_action(state: &mut State, action: Action) -> Vec<Effect> {
    match action {
        a @ (Action::NextPanel | Action::PrevPanel) => return super::panels::on_action(state, a),
        a if super::panels::handles(state, a) => return super::panels::on_action(state, a),
        Action::Quit => {
            state.quit = true;
            return vec![Effect::Quit];
        }
        Action::Help => state.overlay = Some(Overlay::Help { scroll: 0 }),
        Action::Back => match state.view {
            View::Detail(_) => state.view = View::Home,
            View::Home if !state.filter.is_empty() => {
                state.filter.clear();
                rebuild_rows(state);
            }
            View::Home => state.status = None,
        },
        Action::Up
        | Action::Down
        | Action::PageUp
        | Action::PageDown
        | Action::Top
        | Action::Bottom => move_cursor(state, action),
        Action::Open => {
            if let Some(key) = state.selected_key().cloned() {
                state.revision_cursor = 0;
                super::panels::reset(state);
                state.view = View::Detail(key);
            }
        }
        Action::Filter => {
            let mut input = TextArea::new(vec![state.filter.clone()]);
            input.move_cursor(tui_textarea::CursorMove::End);
            state.filter_input = Some(input);
        }
        Action::NextContext | Action::PrevContext => {
            let contexts = state.contexts();
            state.context_filter = cycle(
                &state.context_filter,
                &contexts,
                action == Action::NextContext,
            );
            state.namespace_filter = None;
            state.selected = 0;
            rebuild_rows(state);
        }
        Action::NextNamespace | Action::PrevNamespace => {
            let namespaces = state.namespaces();
            state.namespace_filter = cycle(
                &state.namespace_filter,
                &namespaces,
                action == Action::NextNamespace,
            );
            state.selected = 0;
            rebuild_rows(state);
        }
        Action::AllNamespaces => {
            state.namespace_filter = None;
            rebuild_rows(state);
        }
        Action::NextSort => {
            state.sort = state.sort.next();
            rebuild_rows(state);
        }
        Action::ToggleClock => return demo_clock(state, ClockControl::Toggle),
        Action::SpeedUp | Action::SlowDown => {
            if let Mode::Demo { speed, .. } = state.mode {
                let factor = if action == Action::SpeedUp { 2.0 } else { 0.5 };
                let speed = (speed * factor).clamp(MIN_SPEED, MAX_SPEED);
                return demo_clock(state, ClockControl::Speed(speed));
            }
        }
        Action::Noop => {}
        Action::Promote
        | Action::PromoteFull
        | Action::Pause
        | Action::Resume
        | Action::Abort
        | Action::Retry
        | Action::Rollback
        | Action::Restart => {
            if let Some(op) = action.operation() {
                return request_operation(state, op);
            }
        }
    }
    vec![]
}

fn demo_clock(state: &State, control: ClockControl) -> Vec<Effect> {
    match state.mode {
        Mode::Demo { .. } => vec![Effect::Clock(control)],
        Mode::Live => vec![],
    }
}

fn refuse(state: &mut State, text: String) -> Vec<Effect> {
    state.status = Some(StatusLine {
        level: Level::Error,
        text,
    });
    vec![]
}

/// Why `op` cannot run on `key` right now, if it cannot.
pub fn blocked_reason(state: &State, key: &ReleaseKey, op: Operation) -> Option<String> {
    if state.is_read_only(&key.context) {
        return Some(format!("{} is read-only", key.context));
    }
    if let Err(why) = supports(key.kind, op) {
        return Some(why.into());
    }
    match state.permissions.get(&(key.clone(), op)) {
        Some(Permission::Denied(why)) => Some(why.clone()),
        _ => None,
    }
}

fn request_operation(state: &mut State, op: Operation) -> Vec<Effect> {
    let Some(rollout) = state.focused() else {
        return refuse(state, "no release selected".into());
    };
    let key = rollout.key.clone();
    // In the detail view, rollback goes to the revision under the cursor.
    let to_revision = match (&state.view, op) {
        (View::Detail(_), Operation::Rollback) => rollout
            .revisions
            .get(state.revision_cursor)
            .filter(|r| !matches!(r.role, RevisionRole::Canary | RevisionRole::Preview))
            .filter(|r| Some(r.number) != rollout.current_revision())
            .map(|r| r.number),
        _ => None,
    };
    if let Some(why) = blocked_reason(state, &key, op) {
        return refuse(
            state,
            format!(
                "✖ cannot {} {}/{}: {why}",
                op.verb(),
                key.kind.target_prefix(),
                key.name
            ),
        );
    }
    let request = ActionRequest {
        key,
        op,
        to_revision,
        weight: None,
        reason: None,
        dry_run: false,
    };
    let guarded = state.settings.is_production(&request.key.context);
    if guarded || op.is_dangerous() {
        state.overlay = Some(Overlay::Confirm(Box::new(Confirm {
            request,
            guarded,
            name_input: TextArea::default(),
            reason_input: TextArea::default(),
            field: 0,
            error: None,
        })));
        return vec![];
    }
    vec![Effect::Execute(request)]
}

fn on_confirm_key(state: &mut State, key: KeyEvent) -> Vec<Effect> {
    let Some(Overlay::Confirm(confirm)) = &mut state.overlay else {
        return vec![];
    };
    let ctrl_c = key.code == KeyCode::Char('c') && key.modifiers.contains(KeyModifiers::CONTROL);
    if key.code == KeyCode::Esc || ctrl_c {
        state.overlay = None;
        state.status = Some(StatusLine {
            level: Level::Info,
            text: "cancelled".into(),
        });
        return vec![];
    }
    if !confirm.guarded {
        return match key.code {
            KeyCode::Char('y') | KeyCode::Char('Y') | KeyCode::Enter => {
                let request = confirm.request.clone();
                state.overlay = None;
                vec![Effect::Execute(request)]
            }
            KeyCode::Char('n') | KeyCode::Char('N') => {
                state.overlay = None;
                state.status = Some(StatusLine {
                    level: Level::Info,
                    text: "cancelled".into(),
                });
                vec![]
            }
            _ => vec![],
        };
    }
    match key.code {
        KeyCode::Tab | KeyCode::BackTab | KeyCode::Up | KeyCode::Down => {
            confirm.field = 1 - confirm.field;
            vec![]
        }
        KeyCode::Enter => {
            let typed = confirm.name_input.lines().join("");
            let reason = confirm.reason_input.lines().join(" ").trim().to_owned();
            if typed != confirm.request.key.name {
                confirm.field = 0;
                confirm.error = Some(format!("type {} to confirm", confirm.request.key.name));
                return vec![];
            }
            if reason.is_empty() {
                confirm.field = 1;
                confirm.error = Some("a reason is required in production".into());
                return vec![];
            }
            let mut request = confirm.request.clone();
            request.reason = Some(reason);
            state.overlay = None;
            vec![Effect::Execute(request)]
        }
        _ => {
            let input = if confirm.field == 0 {
                &mut confirm.name_input
            } else {
                &mut confirm.reason_input
            };
            input.input(key);
            confirm.error = None;
            vec![]
        }
    }
}
