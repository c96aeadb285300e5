//! Flagger Canaries. Flagger has no CLI: ripcord changes the Canary's spec the way its
//! documentation tells people to (`spec.skipAnalysis`, `spec.suspend`), and opens the gates
//! of flagger's load tester (`/gate/open`, `/rollback/open`) the way people `curl` them,
//! through the apiserver's service proxy so no port-forward is needed.
//!
//! `promote --full` sets `spec.skipAnalysis`; it must not stay set, or every later release
//! skips its analysis too. The journal is the record of what ripcord set: `settle` reads it
//! and puts the field back once Flagger has finished the promotion, also after a restart.

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
/// Phases in which the Canary has no analysis running: the promotion is over.
const DONE_PHASES: [&str; 2] = ["Succeeded", "Failed"];
/// Phases with an analysis that `promote --full` can skip.
const ANALYSING_PHASES: [&str; 3] = ["Progressing", "Waiting", "WaitingPromotion"];

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
    Ok(if request.dry_run {
        format!("dry run: would have {text}")
    } else {
        text
    })
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
}

impl Gate {
    /// `/api/v1/namespaces/NS/services/NAME:PORT/proxy/PATH`
    pub fn proxy_path(&self) -> String {
        format!(
            "/api/v1/namespaces/{}/services/{}/proxy{}",
            self.namespace, self.service, self.path
        )
    }

    /// What opening it for canary `name` did.
    pub fn opened_text(&self, name: &str) -> String {
        format!(
            "opened the {} gate of canary '{name}' (webhook {}, {} in {})",
            self.hook_type, self.webhook, self.path, self.service
        )
    }
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
                return Some(Gate {
                    kind,
                    webhook: hook["name"].as_str().unwrap_or_default().to_string(),
                    hook_type: wanted.to_string(),
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
    })
}

/// POSTs the load tester's payload (the Canary's name and namespace) to the gate.
async fn open_gate(api: &Canaries<'_>, gate: &Gate, name: &str) -> Result<String, ActionFailure> {
    let opened = gate.opened_text(name);
    let what = opened.trim_start_matches("opened the ");
    if api.dry_run {
        return Ok(opened);
    }
    let body = serde_json::to_vec(&json!({ "name": name, "namespace": api.ns }))
        .map_err(|e| ActionFailure::Rejected(format!("internal error: {e}")))?;
    let request = http::Request::post(gate.proxy_path())
        .header("Content-Type", "application/json")
        .body(body)
        .map_err(|e| ActionFailure::Rejected(format!("internal error: {e}")))?;
    let sent = tokio::time::timeout(CALL_TIMEOUT, api.client.request_text(request)).await;
    let resource = "services/proxy";
    match sent {
        Ok(Ok(_)) => Ok(opened),
        // A plain-text answer is the load tester's own, not the apiserver's.
        Ok(Err(kube::Error::Api(s))) if s.reason == "Failed to parse error data" => {
            Err(ActionFailure::Rejected(format!(
                "the load tester refused to open the {what}: HTTP {} {}",
                s.code,
                crate::model::text::inert(&s.message)
            )))
        }
        Ok(Err(e)) => Err(failure(
            e,
            "create",
            resource,
            &gate.namespace,
            Some(&gate.service),
        )),
        Err(_) => Err(ActionFailure::Unreachable(format!(
            "POST {} : no answer within {} s",
            gate.proxy_path(),
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
/// on, once its promotion is over (phase Succeeded or Failed), and journals each restore.
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
}
