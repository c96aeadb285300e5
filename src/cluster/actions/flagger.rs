//! Flagger Canaries. Flagger has no CLI: ripcord changes the Canary's spec the way its
//! documentation tells people to (`spec.skipAnalysis`, `spec.suspend`), and opens the gates
//! of flagger's load tester (`/gate/open`, `/rollback/open`) the way people `curl` them,
//! through the apiserver's service proxy so no port-forward is needed.
//!
//! `promote --full` sets `spec.skipAnalysis`; it must not stay set, or every later release
//! skips its analysis too. A load tester gate stays open until closed, so a gate left open
//! would approve the next release, or roll back every later analysis at its first check.
//! The journal is the record of what ripcord set and opened: `settle` reads it and puts the
//! field back and closes the gate once the analysis is over, also after a restart.

use super::*;
use crate::journal::{Journal, JournalEntry};
use crate::model::ops::Op;
use chrono::Utc;
use kube::api::{ApiResource, DynamicObject, GroupVersionKind};
use serde_json::json;

/// Marks the journal line of a `promote --full` that set `spec.skipAnalysis`.
pub const SKIP_SET: &str = "spec.skipAnalysis set to true by ripcord";
/// The journal action of putting it back.
pub const RESTORE_ACTION: &str = "restore-skip-analysis";
/// Ends the text of a gate ripcord opened, before the path it POSTed to; the journal finds
/// the gates to close by it.
pub const GATE_OPENED: &str = "closed by ripcord once the analysis is over; opened with POST ";
/// Before the `lastAppliedSpec` a gate was opened at, in its text.
const SPEC_MARK: &str = " for the analysis of spec ";
/// The journal action of closing a gate ripcord opened.
pub const CLOSE_ACTION: &str = "close-gate";
/// Phases in which the Canary has no analysis running: the promotion is over.
const DONE_PHASES: [&str; 2] = ["Succeeded", "Failed"];
/// Phases with an analysis running: one `promote --full` can skip, or a gate can act on.
const ANALYSING_PHASES: [&str; 3] = crate::model::ops::FLAGGER_ANALYSING_PHASES;

pub fn canary_resource() -> ApiResource {
    ApiResource::from_gvk_with_plural(
        &GroupVersionKind::gvk("flagger.app", "v1beta1", "Canary"),
        "canaries",
    )
}

struct Canaries<'a> {
    client: Client,
    api: Api<DynamicObject>,
    ns: &'a str,
    dry_run: bool,
}

impl<'a> Canaries<'a> {
    fn new(client: &Client, ns: &'a str, dry_run: bool) -> Self {
        Canaries {
            client: client.clone(),
            api: Api::namespaced_with(client.clone(), ns, &canary_resource()),
            ns,
            dry_run,
        }
    }

    async fn get(&self, name: &str) -> Result<Value, ActionFailure> {
        let object = call(
            self.api.get(name),
            "get",
            "canaries.flagger.app",
            self.ns,
            Some(name),
        )
        .await?;
        to_json(&object)
    }

    async fn merge(&self, name: &str, patch: &Value) -> Result<(), ActionFailure> {
        let mut params = PatchParams {
            field_manager: Some(FIELD_MANAGER.into()),
            ..Default::default()
        };
        if self.dry_run {
            params = params.dry_run();
        }
        call(
            self.api.patch(name, &params, &Patch::Merge(patch)),
            "patch",
            "canaries.flagger.app",
            self.ns,
            Some(name),
        )
        .await
        .map(|_| ())
    }
}

/// What an operation does to a Canary, decided from the Canary alone: the real actuator
/// and the demo's simulated Flagger both carry out this plan.
#[derive(Debug, Clone, PartialEq)]
pub enum Plan {
    /// A merge patch of the Canary's spec, and what to say once it is sent.
    Patch { patch: Value, done: String },
    /// A gate of flagger's load tester to open.
    Gate(Gate),
}

/// The text of a `promote --full` that set `spec.skipAnalysis`; the journal finds it by
/// [`SKIP_SET`].
pub fn promoted_full_text(name: &str) -> String {
    format!("canary '{name}' promoted: {SKIP_SET}; set back to false once the promotion completes")
}

/// The plan for `op` on `canary` (named `name` in `namespace`), or why there is none.
pub fn plan(canary: &Value, name: &str, namespace: &str, op: Op) -> Result<Plan, String> {
    let phase = phase_of(canary);
    match op {
        Op::PromoteFull => {
            if canary["spec"]["skipAnalysis"].as_bool() == Some(true) {
                return Err(format!(
                    "canary '{name}': spec.skipAnalysis is already true (phase {phase})"
                ));
            }
            if !ANALYSING_PHASES.contains(&phase.as_str()) {
                return Err(format!(
                    "canary '{name}' has no analysis to skip (phase {phase})"
                ));
            }
            Ok(Plan::Patch {
                patch: json!({ "spec": { "skipAnalysis": true } }),
                done: promoted_full_text(name),
            })
        }
        Op::Pause | Op::Resume => {
            let suspend = op == Op::Pause;
            if canary["spec"]["suspend"].as_bool().unwrap_or(false) == suspend {
                return Err(format!(
                    "canary '{name}' is {}",
                    if suspend {
                        "already suspended"
                    } else {
                        "not suspended"
                    }
                ));
            }
            Ok(Plan::Patch {
                patch: json!({ "spec": { "suspend": suspend } }),
                done: format!(
                    "canary '{name}' {} (spec.suspend {suspend})",
                    if suspend { "paused" } else { "resumed" }
                ),
            })
        }
        Op::Promote { .. } | Op::Abort | Op::Rollback { to: None }
            if !ANALYSING_PHASES.contains(&phase.as_str()) =>
        {
            Err(format!(
                "canary '{name}' has no analysis running (phase {phase}): a gate opened now \
                 would act on the next release"
            ))
        }
        Op::Promote { .. } => find_gate(canary, GateKind::Confirm, namespace)
            .map(Plan::Gate)
            .ok_or_else(|| {
                format!(
                    "canary '{name}' has no confirm-rollout or confirm-promotion gate of flagger's \
                     load tester (a webhook on .../gate/check): promote --full skips its analysis"
                )
            }),
        Op::Abort | Op::Rollback { to: None } => find_gate(canary, GateKind::Rollback, namespace)
            .map(Plan::Gate)
            .ok_or_else(|| {
                format!(
                    "canary '{name}' has no rollback gate of flagger's load tester \
                     (a rollback webhook on .../rollback/check)"
                )
            }),
        Op::Rollback { to: Some(_) } => Err(format!(
            "canary '{name}': Flagger rolls back to its primary, it has no revisions to pick"
        )),
        other => Err(format!(
            "{} is not an operation on a Flagger canary",
            other.verb()
        )),
    }
}

pub async fn run(client: &Client, request: &ActionRequest) -> Result<String, ActionFailure> {
    let key = &request.key;
    let api = Canaries::new(client, &key.namespace, request.dry_run);
    let name = key.name.as_str();
    let canary = api.get(name).await?;
    let text =
        match plan(&canary, name, &key.namespace, request.op).map_err(ActionFailure::Rejected)? {
            Plan::Patch { patch, done } => {
                api.merge(name, &patch).await?;
                done
            }
            Plan::Gate(gate) => open_gate(&api, &gate, name).await?,
        };
    Ok(said(request.dry_run, text))
}

pub fn phase_of(canary: &Value) -> String {
    canary["status"]["phase"]
        .as_str()
        .unwrap_or("Initializing")
        .to_string()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GateKind {
    /// confirm-rollout / confirm-promotion on `/gate/check`: opened with `/gate/open`.
    Confirm,
    /// rollback on `/rollback/check`: opened with `/rollback/open`.
    Rollback,
}

/// A load tester gate, where the apiserver's service proxy reaches it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Gate {
    pub kind: GateKind,
    /// The webhook's name and type in the Canary.
    pub webhook: String,
    pub hook_type: String,
    pub namespace: String,
    /// `name:port`, or `https:name:port`: the proxy's service segment.
    pub service: String,
    /// The path to POST to: the check path with `check` replaced by `open`.
    pub path: String,
    /// The Canary's `status.lastAppliedSpec` when found: the revision whose analysis the
    /// gate is opened for. Another one there means that analysis is over.
    pub spec: Option<String>,
}

impl Gate {
    /// `/api/v1/namespaces/NS/services/NAME:PORT/proxy/PATH`
    pub fn proxy_path(&self) -> String {
        format!(
            "/api/v1/namespaces/{}/services/{}/proxy{}",
            self.namespace, self.service, self.path
        )
    }

    /// What opening it for canary `name` did; ends with the proxy path, for [`pending_closes`].
    pub fn opened_text(&self, name: &str) -> String {
        let spec = self
            .spec
            .as_deref()
            .map(|s| format!("{SPEC_MARK}{s},"))
            .unwrap_or_default();
        format!(
            "opened the {} gate of canary '{name}' (webhook {}, {} in {}),{spec} {GATE_OPENED}{}",
            self.hook_type,
            self.webhook,
            self.path,
            self.service,
            self.proxy_path()
        )
    }
}

/// The load tester's close endpoint beside an open one: `.../gate/open` -> `.../gate/close`.
pub fn close_path(open_path: &str) -> Option<String> {
    open_path
        .strip_suffix("/open")
        .map(|base| format!("{base}/close"))
}

/// The Canary's webhooks, from `spec.analysis` (or the older `spec.canaryAnalysis`).
fn webhooks(canary: &Value) -> Vec<&Value> {
    ["analysis", "canaryAnalysis"]
        .iter()
        .filter_map(|k| canary["spec"][*k]["webhooks"].as_array())
        .flatten()
        .collect()
}

/// The gate of `kind` the Canary's webhooks point at, preferring the confirm hook its
/// phase is waiting on. A URL host `svc.ns[.svc...]` names the service; a bare `svc` is
/// taken in the Canary's namespace.
pub fn find_gate(canary: &Value, kind: GateKind, canary_ns: &str) -> Option<Gate> {
    let (types, check, open): (&[&str], &str, &str) = match kind {
        GateKind::Confirm => {
            // The hook the Canary waits on first.
            if phase_of(canary) == "WaitingPromotion" {
                (
                    &["confirm-promotion", "confirm-rollout"],
                    "/gate/check",
                    "/gate/open",
                )
            } else {
                (
                    &["confirm-rollout", "confirm-promotion"],
                    "/gate/check",
                    "/gate/open",
                )
            }
        }
        GateKind::Rollback => (&["rollback"], "/rollback/check", "/rollback/open"),
    };
    let hooks = webhooks(canary);
    for wanted in types {
        for hook in &hooks {
            if hook["type"].as_str() != Some(wanted) {
                continue;
            }
            let Some(url) = hook["url"].as_str() else {
                continue;
            };
            if let Some(gate) = parse_gate_url(url, check, open, canary_ns) {
                // A hash; anything else in it is not ripcord's to repeat.
                let spec = canary["status"]["lastAppliedSpec"]
                    .as_str()
                    .map(|s| s.chars().filter(char::is_ascii_alphanumeric).collect())
                    .filter(|s: &String| !s.is_empty());
                return Some(Gate {
                    kind,
                    webhook: hook["name"].as_str().unwrap_or_default().to_string(),
                    hook_type: wanted.to_string(),
                    spec,
                    ..gate
                });
            }
        }
    }
    None
}

/// The Service a gate URL's host names, and its namespace, as cluster DNS resolves it:
/// `NAME` (in the Canary's namespace), `NAME.NS`, `NAME.NS.svc` or
/// `NAME.NS.svc.CLUSTER-DOMAIN`. Any other host is no Service the apiserver's proxy reaches.
pub fn service_of_host<'a>(host: &'a str, canary_ns: &'a str) -> Option<(&'a str, &'a str)> {
    let labels: Vec<&str> = host.split('.').collect();
    let (service, namespace) = match labels.as_slice() {
        [service] => (*service, canary_ns),
        [service, namespace] | [service, namespace, "svc", ..] => (*service, *namespace),
        _ => return None,
    };
    let label = |l: &str| {
        (1..=63).contains(&l.len())
            && l.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            && !l.starts_with('-')
            && !l.ends_with('-')
    };
    (label(service) && label(namespace)).then_some((service, namespace))
}

fn parse_gate_url(url: &str, check: &str, open: &str, canary_ns: &str) -> Option<Gate> {
    let (scheme, rest) = url.split_once("://")?;
    let (authority, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    let path = path.split(['?', '#']).next().unwrap_or_default();
    let base = path.trim_end_matches('/').strip_suffix(check)?;
    let (host, port) = match authority.rsplit_once(':') {
        Some((h, p)) => (h, p.parse::<u16>().ok()?),
        None => (authority, if scheme == "https" { 443 } else { 80 }),
    };
    let (service, namespace) = service_of_host(host, canary_ns)?;
    let prefix = if scheme == "https" { "https:" } else { "" };
    Some(Gate {
        kind: GateKind::Confirm,
        webhook: String::new(),
        hook_type: String::new(),
        namespace: namespace.to_string(),
        service: format!("{prefix}{service}:{port}"),
        path: format!("{base}{open}"),
        spec: None,
    })
}

/// POSTs the load tester's payload (the Canary's name and namespace) to the gate.
async fn open_gate(api: &Canaries<'_>, gate: &Gate, name: &str) -> Result<String, ActionFailure> {
    let opened = gate.opened_text(name);
    if api.dry_run {
        return Ok(opened);
    }
    let what = format!("{} gate of canary '{name}'", gate.hook_type);
    post_gate(&api.client, &gate.proxy_path(), name, api.ns, &what).await?;
    Ok(opened)
}

/// POSTs `{name, namespace}` to a load tester endpoint behind the service proxy at `path`.
async fn post_gate(
    client: &Client,
    path: &str,
    name: &str,
    ns: &str,
    what: &str,
) -> Result<(), ActionFailure> {
    let body = serde_json::to_vec(&json!({ "name": name, "namespace": ns }))
        .map_err(|e| ActionFailure::Rejected(format!("internal error: {e}")))?;
    let request = http::Request::post(path)
        .header("Content-Type", "application/json")
        .body(body)
        .map_err(|e| ActionFailure::Rejected(format!("internal error: {e}")))?;
    let sent = tokio::time::timeout(CALL_TIMEOUT, client.request_text(request)).await;
    let resource = "services/proxy";
    // `/api/v1/namespaces/NS/services/SERVICE/proxy/...`
    let parts: Vec<&str> = path.split('/').collect();
    let (service_ns, service) = (
        parts.get(4).copied().unwrap_or_default(),
        parts.get(6).copied().unwrap_or_default(),
    );
    let verb = if path.ends_with("/close") {
        "close"
    } else {
        "open"
    };
    match sent {
        Ok(Ok(_)) => Ok(()),
        // A plain-text answer is the load tester's own, not the apiserver's.
        Ok(Err(kube::Error::Api(s))) if s.reason == "Failed to parse error data" => {
            Err(ActionFailure::Rejected(format!(
                "the load tester refused to {verb} the {what}: HTTP {} {}",
                s.code,
                crate::model::text::inert(&s.message)
            )))
        }
        Ok(Err(e)) => Err(failure(e, "create", resource, service_ns, Some(service))),
        Err(_) => Err(ActionFailure::Unreachable(format!(
            "POST {path} : no answer within {} s",
            CALL_TIMEOUT.as_secs()
        ))),
    }
}

/// The gate a gate operation on `key` would open, for the preflight.
pub async fn gate_for(client: &Client, key: &ReleaseKey, op: Operation) -> Option<Gate> {
    let kind = match op {
        Operation::Promote => GateKind::Confirm,
        Operation::Abort | Operation::Rollback => GateKind::Rollback,
        _ => return None,
    };
    let canary = Canaries::new(client, &key.namespace, true)
        .get(&key.name)
        .await
        .ok()?;
    find_gate(&canary, kind, &key.namespace)
}

/// Canaries whose `spec.skipAnalysis` ripcord set and has not yet put back, by journal:
/// a `promote-full` that set it, with no later restore of the same Canary.
pub fn pending_restores(entries: &[JournalEntry], context: &str) -> Vec<(String, String)> {
    let mut pending: Vec<(String, String)> = Vec::new();
    for e in entries {
        if e.context != context || e.kind != "flagger-canary" || !e.ok || e.dry_run {
            continue;
        }
        let key = (e.namespace.clone(), e.name.clone());
        if e.action == "promote-full" && e.result.contains(SKIP_SET) {
            if !pending.contains(&key) {
                pending.push(key);
            }
        } else if e.action == RESTORE_ACTION {
            pending.retain(|k| *k != key);
        }
    }
    pending
}

/// A load tester gate ripcord opened and has not closed yet, by journal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenGate {
    pub namespace: String,
    pub name: String,
    /// The proxy path it was opened with.
    pub opened: String,
    /// The `lastAppliedSpec` it was opened at, when the Canary had one.
    pub spec: Option<String>,
}

impl OpenGate {
    /// Where to POST to close it.
    pub fn close(&self) -> Option<String> {
        close_path(&self.opened)
    }

    /// Whether the analysis it was opened for is over: the Canary is done (Succeeded,
    /// Failed), or analyses another revision already, when nobody closed it in between.
    pub fn analysis_over(&self, canary: &Value) -> bool {
        let applied = canary["status"]["lastAppliedSpec"].as_str();
        promotion_over(&phase_of(canary))
            || self
                .spec
                .as_deref()
                .is_some_and(|s| applied.is_some_and(|a| a != s))
    }
}

/// Gates ripcord opened (a promote, abort or rollback whose text ends with the path it
/// POSTed to) with no later close of the same gate on the same Canary.
pub fn pending_closes(entries: &[JournalEntry], context: &str) -> Vec<OpenGate> {
    let mut pending: Vec<OpenGate> = Vec::new();
    for e in entries {
        if e.context != context || e.kind != "flagger-canary" || !e.ok || e.dry_run {
            continue;
        }
        if e.action == CLOSE_ACTION {
            pending.retain(|g| {
                g.namespace != e.namespace
                    || g.name != e.name
                    || !g.close().is_some_and(|c| e.result.ends_with(&c))
            });
            continue;
        }
        if !["promote", "abort", "rollback"].contains(&e.action.as_str()) {
            continue;
        }
        let Some((before, path)) = e.result.rsplit_once(GATE_OPENED) else {
            continue;
        };
        let spec = before
            .rsplit_once(SPEC_MARK)
            .map(|(_, s)| s.trim_end_matches([',', ' ']).to_string());
        let gate = OpenGate {
            namespace: e.namespace.clone(),
            name: e.name.clone(),
            opened: path.trim().to_string(),
            spec,
        };
        if gate.close().is_some() && !pending.contains(&gate) {
            pending.push(gate);
        }
    }
    pending
}

/// What closing a gate once the analysis is over says; ends with the path POSTed to,
/// which ends the gate's pending close.
pub fn closed_text(gate: &OpenGate, phase: &str) -> String {
    format!(
        "closed the load tester gate ripcord opened for canary '{}' (phase {phase}): POST {}",
        gate.name,
        gate.close().unwrap_or_default()
    )
}

/// The journal line of a close, which ends the gate's pending close.
pub fn close_entry(
    context: &str,
    gate: &OpenGate,
    user: &str,
    time: chrono::DateTime<Utc>,
    text: &str,
) -> JournalEntry {
    JournalEntry {
        action: CLOSE_ACTION.into(),
        reason: Some("the analysis it was opened for is over".into()),
        ..restore_entry(context, &gate.namespace, &gate.name, user, time, text)
    }
}

/// What putting `spec.skipAnalysis` back once the promotion is over says; `was_set` is
/// false when it was already back.
pub fn restored_text(name: &str, phase: &str, was_set: bool) -> String {
    if was_set {
        format!(
            "spec.skipAnalysis of canary '{name}' set back to false after the promotion \
             (phase {phase})"
        )
    } else {
        format!("spec.skipAnalysis of canary '{name}' was already false (phase {phase})")
    }
}

/// The journal line of a restore, which ends the canary's pending restore.
pub fn restore_entry(
    context: &str,
    namespace: &str,
    name: &str,
    user: &str,
    time: chrono::DateTime<Utc>,
    text: &str,
) -> JournalEntry {
    JournalEntry {
        time,
        user: user.to_string(),
        context: context.to_string(),
        namespace: namespace.to_string(),
        kind: "flagger-canary".into(),
        name: name.to_string(),
        action: RESTORE_ACTION.into(),
        to_revision: None,
        weight: None,
        reason: Some("promote --full is over".into()),
        revision_before: None,
        revision_after: None,
        result: format!("ok: {text}"),
        ok: true,
        dry_run: false,
    }
}

/// Whether a Canary in `phase` is done with its promotion, so a skip can be put back.
pub fn promotion_over(phase: &str) -> bool {
    DONE_PHASES.contains(&phase)
}

/// Puts `spec.skipAnalysis` back to false on every Canary the journal says ripcord set it
/// on, and closes every load tester gate it opened, once the analysis is over (phase
/// Succeeded or Failed), and journals each.
/// A Canary that is gone is recorded as restored: there is nothing left to put back.
pub async fn settle(client: &Client, context: &str, journal: &Journal, user: &str) -> Vec<String> {
    let Ok((entries, _)) = journal.read_lenient() else {
        return Vec::new();
    };
    let mut done = Vec::new();
    for (ns, name) in pending_restores(&entries, context) {
        let api = Canaries::new(client, &ns, false);
        let result = match api.get(&name).await {
            Ok(canary) => {
                let phase = phase_of(&canary);
                if !promotion_over(&phase) {
                    continue;
                }
                if canary["spec"]["skipAnalysis"].as_bool() != Some(true) {
                    Ok(restored_text(&name, &phase, false))
                } else {
                    api.merge(&name, &json!({ "spec": { "skipAnalysis": false } }))
                        .await
                        .map(|_| restored_text(&name, &phase, true))
                }
            }
            Err(ActionFailure::Rejected(m)) if m.contains("not found") => {
                Ok(format!("canary '{name}' is gone: nothing to put back"))
            }
            Err(e) => Err(e),
        };
        // Only a done restore is journalled; a failed one is tried again next time.
        let Ok(text) = result else { continue };
        let entry = restore_entry(context, &ns, &name, user, Utc::now(), &text);
        if journal.append(&entry).is_ok() {
            done.push(text);
        }
    }
    for gate in pending_closes(&entries, context) {
        let Some(close) = gate.close() else { continue };
        let api = Canaries::new(client, &gate.namespace, false);
        // A Canary that is gone is closed too: the load tester keys its gates by name, so a
        // new Canary of that name would find it open.
        let phase = match api.get(&gate.name).await {
            Ok(canary) if gate.analysis_over(&canary) => phase_of(&canary),
            Ok(_) => continue,
            Err(ActionFailure::Rejected(m)) if m.contains("not found") => "gone".to_string(),
            Err(_) => continue,
        };
        let what = format!("gate ripcord opened for canary '{}'", gate.name);
        if post_gate(client, &close, &gate.name, &gate.namespace, &what)
            .await
            .is_err()
        {
            continue;
        }
        let text = closed_text(&gate, &phase);
        let entry = close_entry(context, &gate, user, Utc::now(), &text);
        if journal.append(&entry).is_ok() {
            done.push(text);
        }
    }
    done
}

#[cfg(test)]
mod tests {
    use super::*;

    fn canary(phase: &str, hooks: Value) -> Value {
        json!({
            "metadata": { "name": "podinfo", "namespace": "test" },
            "spec": { "analysis": { "webhooks": hooks } },
            "status": { "phase": phase }
        })
    }

    #[test]
    fn gates_are_found_by_type_and_check_path() {
        let c = canary(
            "WaitingPromotion",
            json!([
                { "name": "load", "type": "rollout", "url": "http://flagger-loadtester.test/" },
                { "name": "ask", "type": "confirm-rollout", "url": "http://gates.ops/gate/check" },
                { "name": "promo", "type": "confirm-promotion", "url": "http://flagger-loadtester.test:8080/lt/gate/check" },
                { "name": "back", "type": "rollback", "url": "https://flagger-loadtester/rollback/check" }
            ]),
        );
        let g = find_gate(&c, GateKind::Confirm, "test").expect("a gate");
        assert_eq!(g.webhook, "promo");
        assert_eq!(
            g.proxy_path(),
            "/api/v1/namespaces/test/services/flagger-loadtester:8080/proxy/lt/gate/open"
        );
        let mut waiting = c.clone();
        waiting["status"]["phase"] = json!("Waiting");
        let g = find_gate(&waiting, GateKind::Confirm, "test").expect("a gate");
        assert_eq!(
            g.proxy_path(),
            "/api/v1/namespaces/ops/services/gates:80/proxy/gate/open"
        );
        let g = find_gate(&c, GateKind::Rollback, "apps").expect("a gate");
        assert_eq!(
            g.proxy_path(),
            "/api/v1/namespaces/apps/services/https:flagger-loadtester:443/proxy/rollback/open"
        );
        // halt/approve endpoints and other services are no gate ripcord can open.
        let none = canary(
            "Waiting",
            json!([{ "name": "h", "type": "confirm-rollout", "url": "http://lt.test/gate/halt" }]),
        );
        assert_eq!(find_gate(&none, GateKind::Confirm, "test"), None);
    }

    #[test]
    fn a_gate_url_names_its_service_and_namespace_as_cluster_dns_does() {
        let gate = |url: &str| {
            parse_gate_url(url, "/gate/check", "/gate/open", "apps")
                .map(|g| (g.namespace, g.service, g.path))
        };
        let at = |ns: &str, service: &str| {
            Some((
                ns.to_string(),
                service.to_string(),
                "/gate/open".to_string(),
            ))
        };
        assert_eq!(gate("http://lt/gate/check"), at("apps", "lt:80"));
        assert_eq!(gate("http://lt.ops/gate/check"), at("ops", "lt:80"));
        assert_eq!(gate("http://lt.ops.svc/gate/check"), at("ops", "lt:80"));
        assert_eq!(
            gate("http://lt.ops.svc.cluster.local:8080/gate/check"),
            at("ops", "lt:8080")
        );
        assert_eq!(
            gate("https://lt.ops.svc.cluster.local/gate/check"),
            at("ops", "https:lt:443")
        );
        // Hosts that are no Service of the cluster: the proxy cannot reach them.
        for url in [
            "http://gates.example.com/gate/check",
            "http://10.0.0.7:8080/gate/check",
            "http://[::1]:8080/gate/check",
            "http://LT.ops/gate/check",
            "http://lt..ops/gate/check",
        ] {
            assert_eq!(gate(url), None, "{url}");
        }
    }

    fn entry(action: &str, name: &str, result: &str, ok: bool) -> JournalEntry {
        JournalEntry {
            time: Utc::now(),
            user: "u".into(),
            context: "c".into(),
            namespace: "n".into(),
            kind: "flagger-canary".into(),
            name: name.into(),
            action: action.into(),
            to_revision: None,
            weight: None,
            reason: None,
            revision_before: None,
            revision_after: None,
            result: result.into(),
            ok,
            dry_run: false,
        }
    }

    #[test]
    fn the_journal_says_which_skips_are_still_to_put_back() {
        let set = format!("ok: canary 'a' promoted: {SKIP_SET}");
        let entries = vec![
            entry("promote-full", "a", &set, true),
            entry("promote-full", "b", &set, true),
            entry("promote-full", "c", "error: forbidden", false),
            entry(RESTORE_ACTION, "a", "ok: set back", true),
            entry("pause", "d", "ok", true),
        ];
        assert_eq!(
            pending_restores(&entries, "c"),
            vec![("n".to_string(), "b".to_string())]
        );
        assert!(pending_restores(&entries, "other").is_empty());
    }

    #[test]
    fn the_journal_says_which_gates_are_still_to_close() {
        let c = canary(
            "WaitingPromotion",
            json!([
                { "name": "promo", "type": "confirm-promotion", "url": "http://lt.n/gate/check" },
                { "name": "back", "type": "rollback", "url": "http://lt.n/rollback/check" }
            ]),
        );
        let said = |kind| {
            let gate = find_gate(&c, kind, "n").expect("a gate");
            format!("ok: {}", gate.opened_text("a"))
        };
        let (promote, abort) = (said(GateKind::Confirm), said(GateKind::Rollback));
        let entries = vec![
            entry("promote", "a", &promote, true),
            entry("abort", "a", &abort, true),
            entry("abort", "b", "error: no rollback gate", false),
            entry("promote-full", "c", "ok: canary 'c' promoted", true),
        ];
        let pending = pending_closes(&entries, "c");
        let closes: Vec<String> = pending.iter().filter_map(OpenGate::close).collect();
        assert_eq!(
            closes,
            [
                "/api/v1/namespaces/n/services/lt:80/proxy/gate/close",
                "/api/v1/namespaces/n/services/lt:80/proxy/rollback/close"
            ]
        );
        let mut closed = entries.clone();
        let text = closed_text(&pending[0], "Succeeded");
        closed.push(close_entry("c", &pending[0], "u", Utc::now(), &text));
        assert_eq!(pending_closes(&closed, "c"), pending[1..].to_vec());
        assert!(pending_closes(&entries, "other").is_empty());
    }

    #[test]
    fn a_gate_is_over_with_its_analysis_or_when_another_revision_is_analysed() {
        let hooks = json!([
            { "name": "promo", "type": "confirm-promotion", "url": "http://lt.n/gate/check" }
        ]);
        let mut c = canary("WaitingPromotion", hooks);
        c["status"]["lastAppliedSpec"] = json!("5f8d9c");
        let gate = find_gate(&c, GateKind::Confirm, "n").expect("a gate");
        let said = format!("ok: {}", gate.opened_text("a"));
        let entries = vec![entry("promote", "a", &said, true)];
        let [open] = pending_closes(&entries, "c").try_into().expect("one gate");
        assert_eq!(open.spec.as_deref(), Some("5f8d9c"));
        assert!(!open.analysis_over(&c));
        let mut next = c.clone();
        next["status"]["phase"] = json!("Progressing");
        assert!(!open.analysis_over(&next));
        // Nobody closed it before the next revision's analysis began.
        next["status"]["lastAppliedSpec"] = json!("77aa01");
        assert!(open.analysis_over(&next));
        let mut done = c.clone();
        done["status"]["phase"] = json!("Succeeded");
        assert!(open.analysis_over(&done));
    }

    #[test]
    fn gates_are_refused_without_an_analysis_running() {
        let hooks = json!([
            { "name": "promo", "type": "confirm-promotion", "url": "http://lt.n/gate/check" },
            { "name": "back", "type": "rollback", "url": "http://lt.n/rollback/check" }
        ]);
        for phase in ["Succeeded", "Failed", "Initialized", "Promoting"] {
            for op in [
                Op::Abort,
                Op::Rollback { to: None },
                Op::Promote { step: None },
            ] {
                let why = plan(&canary(phase, hooks.clone()), "a", "n", op).unwrap_err();
                assert!(why.contains("no analysis running"), "{phase} {op:?}: {why}");
            }
        }
        for phase in ANALYSING_PHASES {
            assert!(plan(&canary(phase, hooks.clone()), "a", "n", Op::Abort).is_ok());
        }
    }
}
