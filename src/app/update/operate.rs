//! Operations: what blocks them, which revision a rollback aims at, and the confirmation.

use super::*;

pub(super) fn refuse(state: &mut State, text: String) -> Vec<Effect> {
    state.set_status(Level::Error, text);
    vec![]
}

/// Sends `request`, unless another action on its release is still in flight.
fn send(state: &mut State, request: ActionRequest) -> Vec<Effect> {
    if let Some(why) = in_flight_refusal(state, &request.key, request.op.kind()) {
        return refuse_in_flight(state, &request.key, request.op.kind(), why);
    }
    state
        .in_flight
        .insert(request.key.clone(), request.op.kind());
    vec![Effect::Execute(request)]
}

/// Shows an in-flight refusal, and remembers it so the running action's answer, which
/// comes moments later, does not wipe it unread.
fn refuse_in_flight(
    state: &mut State,
    key: &ReleaseKey,
    op: Operation,
    why: String,
) -> Vec<Effect> {
    let effects = refuse(state, why);
    state.refused_in_flight = Some((key.clone(), op));
    effects
}

/// Why `op` must wait on `key`: the action sent before it has not been answered yet, and
/// two changes at once would race on the same objects.
fn in_flight_refusal(state: &State, key: &ReleaseKey, op: Operation) -> Option<String> {
    let running = state.in_flight.get(key)?;
    Some(format!(
        "✖ cannot {} {}/{}: {} is still running on it, wait for its answer",
        op.verb(),
        key.kind.target_prefix(),
        key.name,
        running.verb()
    ))
}

/// Why `op` cannot run on `key` right now, if it cannot.
pub fn blocked_reason(state: &State, key: &ReleaseKey, op: Operation) -> Option<String> {
    if state.is_read_only(&key.context) {
        return Some(format!("{} is read-only", key.context));
    }
    if let Err(why) = state.support.supports(key.kind, op) {
        return Some(why.into());
    }
    match state.permissions.get(&(key.clone(), op)) {
        Some(Permission::Denied(why)) => Some(why.clone()),
        _ => None,
    }
}

/// Whether `v` may be rolled back to: one of the release's rollback targets (not the
/// current revision, not a canary or preview), not the current images again, and never seen
/// failing.
pub(super) fn rollback_candidate(state: &State, r: &Release, v: &Revision) -> bool {
    r.rollback_targets()
        .any(|t| t.number == v.number && t.object == v.object)
        && r.current_images() != Some(&v.images)
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

/// Why a release has no rollback target, in words the revision list bears out: a
/// rollback to the images already running (a restart's previous revision) changes nothing.
pub fn no_rollback_why(r: &Release) -> String {
    let current_images = r.current_images();
    let earlier: Vec<&Revision> = r.rollback_targets().collect();
    if earlier.is_empty() {
        return "no earlier revision".into();
    }
    if earlier.iter().all(|v| Some(&v.images) == current_images) {
        return match earlier.as_slice() {
            [v] => format!("#{} runs the same images", v.number),
            _ => "earlier revisions run the same images".into(),
        };
    }
    "no earlier revision that was healthy".into()
}

/// What a pair's rollback returns its stable Deployment to: the previous revision, as
/// `kubectl rollout undo` would.
pub fn pair_rollback_target(r: &Release) -> Option<&Revision> {
    r.revisions
        .iter()
        .filter(|v| v.role == RevisionRole::Old)
        .max_by_key(|v| v.number)
}

/// What `u` aims at in the detail view: the revision under the cursor when it may be
/// rolled back to (`true`), else the default target (`false`).
pub fn rollback_aim<'a>(state: &State, r: &'a Release) -> Option<(&'a Revision, bool)> {
    let under_cursor = match &state.view {
        View::Detail(_) => r
            .revisions
            .get(state.revision_cursor)
            .filter(|v| rollback_candidate(state, r, v)),
        View::Home | View::Security => None,
    };
    match under_cursor {
        Some(v) => Some((v, true)),
        None => default_rollback_target(state, r).map(|v| (v, false)),
    }
}

pub(super) fn request_operation(state: &mut State, op: Operation) -> Vec<Effect> {
    let Some(release) = state.focused() else {
        return refuse(state, "no release selected".into());
    };
    let key = release.key.clone();
    // `promote` moves a canary pair one configured step, never all the way.
    let resolved = crate::model::ops::resolve_op(
        key.kind,
        op,
        &state.settings.pair_steps,
        release.stable.desired,
        release.canary.desired,
    );
    let resolved = match blocked_reason(state, &key, op).or_else(|| release.state_refusal(op)) {
        Some(why) => Err(why),
        None => resolved.and_then(|o| o.ok_or_else(|| format!("{} needs a value", op.verb()))),
    };
    let mut op_data = match resolved {
        Ok(op_data) => op_data,
        Err(why) => {
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
    };
    if let Some(why) = in_flight_refusal(state, &key, op) {
        return refuse_in_flight(state, &key, op, why);
    }
    let (mut target, mut replaces) = (None, None);
    // A pair rolls back its stable Deployment to that Deployment's previous revision, the
    // newest of the stable's earlier templates the pair lists.
    if op == Operation::Rollback && key.kind == Kind::CanaryPair {
        let Some(to) = pair_rollback_target(release) else {
            return refuse(
                state,
                format!(
                    "✖ cannot roll back pair/{}: its stable Deployment has no earlier revision",
                    key.name
                ),
            );
        };
        op_data = Op::Rollback {
            to: Some(to.number),
        };
        target = Some(RevisionBrief::of(to));
        replaces = release
            .revisions
            .iter()
            .find(|v| v.role == RevisionRole::Stable)
            .map(RevisionBrief::of);
    }
    // Flagger rolls a canary back to its primary: there is no revision to aim at.
    if op == Operation::Rollback && !matches!(key.kind, Kind::CanaryPair | Kind::FlaggerCanary) {
        let Some((to, _)) = rollback_aim(state, release) else {
            let why = no_rollback_why(release);
            return refuse(
                state,
                format!(
                    "✖ cannot roll back {}/{}: {why}",
                    key.kind.target_prefix(),
                    key.name
                ),
            );
        };
        op_data = Op::Rollback {
            to: Some(to.number),
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
        op: op_data,
        reason: None,
        dry_run: false,
    };
    confirm_or_run(state, request, target, replaces)
}

/// A dangerous or production request waits for its confirmation; any other runs.
fn confirm_or_run(
    state: &mut State,
    request: ActionRequest,
    target: Option<RevisionBrief>,
    replaces: Option<RevisionBrief>,
) -> Vec<Effect> {
    let guarded = state.settings.is_production(&request.key.context);
    let findings = findings_to_acknowledge(state, &request.key, request.op.kind());
    if guarded || request.op.is_dangerous() || findings.is_some() {
        // An earlier answer ("cancelled", a refusal) is not about this question.
        state.status = None;
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
            findings,
        })));
        return vec![];
    }
    send(state, request)
}

/// The findings at or above the configured severity that a promote must acknowledge, as
/// codes with counts (`SEC002 ×2, SEC001`), never their text.
fn findings_to_acknowledge(state: &State, key: &ReleaseKey, op: Operation) -> Option<String> {
    if !matches!(op, Operation::Promote | Operation::PromoteFull) {
        return None;
    }
    let floor = state.settings.promote_ack;
    let mut counts: Vec<(&str, crate::model::Severity, usize)> = Vec::new();
    for f in state
        .findings_of(key)
        .items
        .iter()
        // The user's own rights are about the user, not the release: nothing to accept.
        .filter(|f| f.severity >= floor && f.code != crate::checks::codes::RBAC_OWN_RIGHTS.id)
    {
        match counts.iter_mut().find(|(c, _, _)| *c == f.code) {
            Some(entry) => entry.2 += 1,
            None => counts.push((f.code, f.severity, 1)),
        }
    }
    counts.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    let words: Vec<String> = counts
        .iter()
        .map(|(code, _, n)| match n {
            1 => (*code).to_owned(),
            n => format!("{code} ×{n}"),
        })
        .collect();
    (!words.is_empty()).then(|| words.join(", "))
}

/// The journaled reason of a confirmed action: what was typed, and the findings accepted.
fn with_acknowledgement(reason: Option<String>, findings: &Option<String>) -> Option<String> {
    match (reason, findings) {
        (r, None) => r,
        (None, Some(f)) => Some(format!("acknowledged security findings: {f}")),
        (Some(r), Some(f)) => Some(format!("{r} (acknowledged security findings: {f})")),
    }
}

/// `set-weight`: a small prompt for the weight first, for the focused release.
pub(super) fn request_weight(state: &mut State) -> Vec<Effect> {
    let Some(release) = state.focused() else {
        return refuse(state, "no release selected".into());
    };
    let key = release.key.clone();
    let refused = blocked_reason(state, &key, Operation::SetWeight)
        .or_else(|| release.state_refusal(Operation::SetWeight));
    if let Some(why) = refused {
        return refuse(
            state,
            format!(
                "✖ cannot set-weight {}/{}: {why}",
                key.kind.target_prefix(),
                key.name
            ),
        );
    }
    if let Some(why) = in_flight_refusal(state, &key, Operation::SetWeight) {
        return refuse_in_flight(state, &key, Operation::SetWeight, why);
    }
    state.status = None;
    state.weight_input = Some((key, TextArea::default()));
    vec![]
}

/// The most digits a weight takes: `100`.
const WEIGHT_DIGITS: usize = 3;

/// A key while the weight prompt is open: digits, submit (then the confirmation), cancel.
pub(super) fn on_weight_key(
    state: &mut State,
    key: KeyEvent,
    answer: Option<Action>,
) -> Vec<Effect> {
    match answer {
        Some(Action::Cancel) => {
            state.weight_input = None;
            state.set_status(Level::Info, "cancelled");
            vec![]
        }
        Some(Action::Submit) => {
            let Some((release, input)) = state.weight_input.take() else {
                return vec![];
            };
            let typed = input.lines().join("");
            let refused = |weight| {
                state
                    .releases
                    .get(&release)
                    .and_then(|r| r.weight_refused(weight))
            };
            match parse_weight(&typed).map(|w| (w, refused(w))) {
                // Refused here, before a confirmation, a journal entry or an Event.
                Ok((_, Some(why))) => {
                    state.weight_input = Some((release, input));
                    refuse(state, format!("✖ {why}"))
                }
                Ok((weight, None)) => {
                    let request = ActionRequest {
                        key: release,
                        op: Op::SetWeight { weight },
                        reason: None,
                        dry_run: false,
                    };
                    confirm_or_run(state, request, None, None)
                }
                Err(why) => {
                    state.weight_input = Some((release, input));
                    refuse(state, format!("✖ {why}"))
                }
            }
        }
        Some(Action::NextField) => vec![],
        _ => {
            if let Some((_, input)) = &mut state.weight_input {
                // A weight is digits: other characters are not typed, and say nothing.
                let typed = match key.code {
                    KeyCode::Char(c) if !key.modifiers.contains(KeyModifiers::CONTROL) => {
                        c.is_ascii_digit() && input.lines().join("").chars().count() < WEIGHT_DIGITS
                    }
                    _ => true,
                };
                if typed {
                    input.input(key);
                }
            }
            vec![]
        }
    }
}

/// A weight as typed: a whole percentage, `%` allowed.
pub fn parse_weight(text: &str) -> Result<u8, String> {
    let digits = text.trim().trim_end_matches('%').trim();
    match digits.parse::<u8>() {
        Ok(w) if w <= 100 => Ok(w),
        _ => Err(format!(
            "a weight is a whole percentage from 0 to 100, not {:?}",
            crate::model::text::inert(text)
        )),
    }
}

pub(super) fn cancel(state: &mut State) -> Vec<Effect> {
    state.overlay = None;
    state.set_status(Level::Info, "cancelled");
    vec![]
}

/// `answer` is what `key` means in the dialog's keymap section (`confirm`, or `input`
/// for the production guard's fields).
pub(super) fn on_confirm_key(
    state: &mut State,
    key: KeyEvent,
    answer: Option<Action>,
) -> Vec<Effect> {
    let Some(Overlay::Confirm(confirm)) = &mut state.overlay else {
        return vec![];
    };
    if answer == Some(Action::Cancel) {
        return cancel(state);
    }
    if !confirm.guarded {
        return match answer {
            // Only a key pressed with the dialog on screen answers it.
            Some(Action::Confirm) if confirm.shown => {
                let mut request = confirm.request.clone();
                request.reason = with_acknowledgement(request.reason, &confirm.findings);
                state.overlay = None;
                send(state, request)
            }
            // Enter is what people press without reading: it never confirms.
            Some(Action::Submit) => {
                confirm.error = Some(confirm_hint(&state.keymap));
                vec![]
            }
            _ => vec![],
        };
    }
    match answer {
        // Once the name is typed right it is done: Tab stays on the reason, so a reason is
        // never typed onto the end of the name by a Tab pressed out of habit.
        Some(Action::NextField) => {
            let name_done = confirm.name_input.lines().join("") == confirm.request.key.name;
            if !(confirm.field == 1 && name_done) {
                confirm.field = 1 - confirm.field;
            }
            vec![]
        }
        Some(Action::Submit) => {
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
            request.reason = with_acknowledgement(Some(reason), &confirm.findings);
            state.overlay = None;
            send(state, request)
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
