//! `update`: the only place `State` changes. Pure: no IO, no clock reads.

use crate::action::Action;
use crate::model::ops::Operation;
use super::attention::{attention, attention_of};
use super::state::*;
use super::{
    ClockControl, ConnState, Effect, Msg, Permission, MIN_HEIGHT, MIN_WIDTH, STATUS_TTL_SECS,
};
use crate::config::keymap::{KeyChord, Lookup, Section};
use crate::model::derive::derive_namespace;
use crate::model::objects::Change;
use crate::model::ops::{supports, ActionRequest};
use crate::model::{Kind, Phase, Release, ReleaseKey, Revision, RevisionRole};
use crate::model::display::{age, kind_label};
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
            // The demo's clock runs at `speed`: a message stays about as long for the reader.
            let rate = match state.mode {
                Mode::Demo { speed, .. } if speed > 0.0 => speed,
                _ => 1.0,
            };
            let shown = (now - state.status_since).num_milliseconds() as f64 / 1000.0 / rate;
            if state.status.is_some() && shown >= STATUS_TTL_SECS as f64 {
                state.status = None;
                state.dirty = true;
            }
            vec![]
        }
        Msg::Drawn { width, height } => {
            // A confirmation counts only once its dialog has been on screen.
            if width >= MIN_WIDTH && height >= MIN_HEIGHT {
                if let Some(Overlay::Confirm(c)) = &mut state.overlay {
                    c.shown = true;
                }
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
            let order = |state: &State| {
                state
                    .releases
                    .get(&key)
                    .map(|r| attention(state, r).order())
            };
            let before = order(state);
            state.extras.insert(key.clone(), extras);
            // Bad canary metrics move a release up the queue.
            if order(state) != before {
                rebuild_rows(state);
            }
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
            match &outcome.result {
                Ok(text) => state.set_status(
                    Level::Success,
                    format!("✔ {} {target}: {text}", req.op.verb()),
                ),
                Err(e) => state.set_status(
                    Level::Error,
                    format!("✖ {} {target} failed: {e}", req.op.verb()),
                ),
            }
            state.dirty = true;
            vec![]
        }
        Msg::Problem(text) => {
            state.set_status(Level::Warning, format!("⚠ {text}"));
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
        let order = |r: &Release| {
            attention_of(
                r,
                state.extras.get(&r.key),
                state.settings.is_production(&r.key.context),
            )
            .order()
        };
        reorder |= old.len() != derived.len()
            || derived.iter().any(|r| {
                state
                    .releases
                    .get(&r.key)
                    .is_none_or(|o| order(o) != order(r) || o.created != r.created)
            });
        if old.len() != derived.len() {
            for key in &old {
                state.bad_images.remove(key);
            }
        }
        for key in old {
            state.releases.remove(&key);
        }
        for r in derived {
            note_bad_revisions(&mut state.bad_images, &r);
            state.releases.insert(r.key.clone(), r);
        }
    }
    if reorder {
        rebuild_rows(state);
    }
    if changed {
        follow_revision(state);
    }
    state.dirty |= changed;
}

/// Whether a revision's pods crash-loop or cannot start.
fn revision_failing(v: &Revision) -> bool {
    const BAD: [&str; 9] = [
        "CrashLoopBackOff",
        "Error",
        "ImagePullBackOff",
        "ErrImagePull",
        "InvalidImageName",
        "CreateContainerConfigError",
        "CreateContainerError",
        "RunContainerError",
        "OOMKilled",
    ];
    v.pods
        .iter()
        .any(|p| BAD.contains(&p.status.as_str()) || (!p.ready && p.restarts > 0))
}

/// Remembers the images of revisions seen failing, so that once their pods are gone they
/// still never become a default rollback target.
fn note_bad_revisions(
    bad: &mut std::collections::HashMap<ReleaseKey, std::collections::HashSet<Vec<String>>>,
    r: &Release,
) {
    let current = r.current_revision();
    for v in &r.revisions {
        let degraded_current = r.phase == Phase::Degraded && Some(v.number) == current;
        if (degraded_current || revision_failing(v)) && !v.images.is_empty() {
            bad.entry(r.key.clone())
                .or_default()
                .insert(v.images.clone());
        }
    }
}

/// Keeps the detail cursor on the same revision when the list reorders: the same object and
/// number, else the same object (a rollback renumbers it), else the same number.
fn follow_revision(state: &mut State) {
    let View::Detail(key) = &state.view else {
        return;
    };
    let Some((number, object)) = state.revision_pin.clone() else {
        return;
    };
    let Some(r) = state.releases.get(key) else {
        return;
    };
    let at = r
        .revisions
        .iter()
        .position(|v| v.number == number && v.object == object)
        .or_else(|| r.revisions.iter().position(|v| v.object == object))
        .or_else(|| r.revisions.iter().position(|v| v.number == number));
    let len = r.revisions.len();
    state.revision_cursor = at.unwrap_or(state.revision_cursor.min(len.saturating_sub(1)));
    pin_revision(state);
}

/// Records which revision the detail cursor is on.
fn pin_revision(state: &mut State) {
    let View::Detail(key) = &state.view else {
        return;
    };
    state.revision_pin = state
        .releases
        .get(key)
        .and_then(|r| r.revisions.get(state.revision_cursor))
        .map(|v| (v.number, v.object.clone()));
}

/// The keys of one namespace's releases, found by range rather than a scan of them all.
fn releases_in(
    releases: &std::collections::BTreeMap<ReleaseKey, crate::model::Release>,
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

/// Whether every word of the filter is found in the words the queue shows for `r`: name,
/// namespace, context, kind (`argo/canary`, `pair`), strategy, phase, verdict and the
/// attention reason.
fn matches_filter(state: &State, r: &Release, filter: &str) -> bool {
    if filter.trim().is_empty() {
        return true;
    }
    let strategy = r.strategy.to_string();
    let reason = attention(state, r).reason;
    let fields = [
        r.key.name.as_str(),
        r.key.namespace.as_str(),
        r.key.context.as_str(),
        r.key.kind.target_prefix(),
        kind_label(r, false),
        kind_label(r, true),
        strategy.as_str(),
        r.phase.label(),
        r.verdict.map_or("", |v| v.label()),
        reason.as_str(),
    ];
    let fields: Vec<String> = fields.iter().map(|f| f.to_lowercase()).collect();
    filter
        .to_lowercase()
        .split_whitespace()
        .all(|word| fields.iter().any(|f| f.contains(word)))
}

/// Recomputes the home queue: filter, then sort, keeping the selected release selected.
pub fn rebuild_rows(state: &mut State) {
    let selected = state.selected_key().cloned();
    let filter = state
        .filter_input
        .as_ref()
        .map(|t| t.lines().join(""))
        .unwrap_or_else(|| state.filter.clone());
    let mut rows: Vec<&crate::model::Release> = state
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
                && matches_filter(state, r, &filter)
        })
        .collect();
    match state.sort {
        SortMode::Attention => {
            rows.sort_by_cached_key(|r| (attention(state, r).order(), r.key.clone()))
        }
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
    match selected {
        Some(key) if state.navigated => {
            if let Some(i) = state.rows.iter().position(|k| *k == key) {
                state.selected = i;
            }
        }
        _ => state.selected = 0,
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

fn is_ctrl_c(key: &KeyEvent) -> bool {
    matches!(key.code, KeyCode::Char('c') | KeyCode::Char('C'))
        && key.modifiers.contains(KeyModifiers::CONTROL)
}

fn quit(state: &mut State) -> Vec<Effect> {
    state.quit = true;
    vec![Effect::Quit]
}

fn on_key(state: &mut State, key: KeyEvent) -> Vec<Effect> {
    // Ctrl-C quits from every view, overlay and text field.
    if is_ctrl_c(&key) {
        state.pending_keys.clear();
        return quit(state);
    }
    let typing = state.filter_input.is_some() || matches!(state.overlay, Some(Overlay::Confirm(_)));
    if !state.fits() {
        // Nothing can be seen: no key but quit may act, and no half-typed chord survives.
        state.pending_keys.clear();
        let chord = KeyChord::from_event(&key);
        if !typing
            && state.keymap.lookup(&sections(state), &[chord]) == Lookup::Action(Action::Quit)
        {
            return quit(state);
        }
        return vec![];
    }
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
    if let Some(Overlay::Problems { scroll }) = &mut state.overlay {
        let page = state.height.saturating_sub(6).max(1) as usize;
        let last = state.warnings.len().saturating_sub(1);
        match key.code {
            KeyCode::Down | KeyCode::Char('j') => *scroll = (*scroll + 1).min(last),
            KeyCode::Up | KeyCode::Char('k') => *scroll = scroll.saturating_sub(1),
            KeyCode::PageDown => *scroll = (*scroll + page).min(last),
            KeyCode::PageUp => *scroll = scroll.saturating_sub(page),
            KeyCode::Home | KeyCode::Char('g') => *scroll = 0,
            KeyCode::End | KeyCode::Char('G') => *scroll = last,
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
    pin_revision(state);
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
        Action::Quit => return quit(state),
        Action::Help => state.overlay = Some(Overlay::Help { scroll: 0 }),
        Action::Problems => {
            if state.warnings.is_empty() {
                state.set_status(Level::Info, "no configuration problems");
            } else {
                state.overlay = Some(Overlay::Problems { scroll: 0 });
            }
        }
        Action::Back => {
            // Esc also dismisses the status message, wherever it is pressed.
            state.status = None;
            match state.view {
                View::Detail(_) => state.view = View::Home,
                View::Home if !state.filter.is_empty() => {
                    state.filter.clear();
                    rebuild_rows(state);
                }
                View::Home => {}
            }
        }
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
                pin_revision(state);
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
                let faster = action == Action::SpeedUp;
                let next = next_speed(speed, faster);
                if next == speed {
                    let end = if faster { "fastest" } else { "slowest" };
                    state.set_status(Level::Info, format!("the clock is at its {end} ({speed}x)"));
                    return vec![];
                }
                return demo_clock(state, ClockControl::Speed(next));
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

/// The demo speed one step faster or slower: doubled or halved within the bounds, and never
/// a step the wrong way (a speed set above the bound stays where it is).
fn next_speed(speed: f64, faster: bool) -> f64 {
    if faster {
        (speed * 2.0).min(MAX_SPEED).max(speed)
    } else {
        (speed / 2.0).max(MIN_SPEED).min(speed)
    }
}

fn demo_clock(state: &State, control: ClockControl) -> Vec<Effect> {
    match state.mode {
        Mode::Demo { .. } => vec![Effect::Clock(control)],
        Mode::Live => vec![],
    }
}

fn refuse(state: &mut State, text: String) -> Vec<Effect> {
    state.set_status(Level::Error, text);
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

/// Whether `v` may be rolled back to: not the current revision, not a canary or preview,
/// not the current images again, and never seen failing.
fn rollback_candidate(state: &State, r: &Release, v: &Revision) -> bool {
    let current = r.current_revision();
    let current_images = r
        .revisions
        .iter()
        .find(|c| Some(c.number) == current)
        .map(|c| &c.images);
    Some(v.number) != current
        && !matches!(
            v.role,
            RevisionRole::New | RevisionRole::Canary | RevisionRole::Preview
        )
        && current_images != Some(&v.images)
        && !revision_failing(v)
        && state
            .bad_images
            .get(&r.key)
            .is_none_or(|bad| !bad.contains(&v.images))
}

/// The revision a rollback aims at when none is chosen: the newest one that was healthy.
pub fn default_rollback_target<'a>(state: &State, r: &'a Release) -> Option<&'a Revision> {
    r.revisions
        .iter()
        .filter(|v| rollback_candidate(state, r, v))
        .max_by_key(|v| v.number)
}

fn request_operation(state: &mut State, op: Operation) -> Vec<Effect> {
    let Some(release) = state.focused() else {
        return refuse(state, "no release selected".into());
    };
    let key = release.key.clone();
    // `promote` moves a canary pair one configured step, never all the way.
    let step = crate::model::ops::promote_weight(
        key.kind,
        op,
        &state.settings.pair_steps,
        release.stable.desired,
        release.canary.desired,
    );
    if let Some(why) = blocked_reason(state, &key, op).or_else(|| step.clone().err()) {
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
    let (mut target, mut replaces) = (None, None);
    // A pair rolls back its stable Deployment's own history, which the list does not show.
    if op == Operation::Rollback && key.kind != Kind::CanaryPair {
        let under_cursor = match &state.view {
            View::Detail(_) => release
                .revisions
                .get(state.revision_cursor)
                .filter(|v| rollback_candidate(state, release, v)),
            View::Home => None,
        };
        let Some(to) = under_cursor.or_else(|| default_rollback_target(state, release)) else {
            return refuse(
                state,
                format!(
                    "✖ cannot roll back {}/{}: no earlier revision that was healthy",
                    key.kind.target_prefix(),
                    key.name
                ),
            );
        };
        target = Some(RevisionBrief::of(to));
        let current = release.current_revision();
        replaces = release
            .revisions
            .iter()
            .find(|v| Some(v.number) == current)
            .map(RevisionBrief::of);
    }
    let request = ActionRequest {
        key,
        op,
        to_revision: target.as_ref().map(|t| t.number),
        weight: step.ok().flatten(),
        reason: None,
        dry_run: false,
    };
    let guarded = state.settings.is_production(&request.key.context);
    if guarded || op.is_dangerous() {
        state.overlay = Some(Overlay::Confirm(Box::new(Confirm {
            request,
            target,
            replaces,
            shown: false,
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

fn cancel(state: &mut State) -> Vec<Effect> {
    state.overlay = None;
    state.set_status(Level::Info, "cancelled");
    vec![]
}

fn on_confirm_key(state: &mut State, key: KeyEvent) -> Vec<Effect> {
    let Some(Overlay::Confirm(confirm)) = &mut state.overlay else {
        return vec![];
    };
    if key.code == KeyCode::Esc {
        return cancel(state);
    }
    if !confirm.guarded {
        return match key.code {
            // Only a key pressed with the dialog on screen answers it.
            KeyCode::Char('y') | KeyCode::Char('Y') if confirm.shown => {
                let request = confirm.request.clone();
                state.overlay = None;
                vec![Effect::Execute(request)]
            }
            KeyCode::Char('n') | KeyCode::Char('N') => cancel(state),
            // Enter is what people press without reading: it never confirms.
            KeyCode::Enter => {
                confirm.error = Some("press y to confirm, n or Esc to cancel".into());
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
            if !confirm.shown {
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
