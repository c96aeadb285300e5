//! Argo Rollouts, changed with the patches `kubectl argo rollouts` sends, in the same order,
//! with the same fallback: a patch meant for the status subresource goes to the object itself
//! when the API has no such subresource (an old CRD), merged with the spec patch.
//!
//! Everything is read and written as JSON, so a field ripcord does not model is never lost
//! and a rolled-back template is exactly the one the ReplicaSet holds.

use super::deployment::restart_stamp;
use super::*;
use crate::model::ops::Op;
use kube::api::{ApiResource, DynamicObject, GroupVersionKind};
use serde_json::json;

/// The revision annotation the Argo Rollouts controller keeps on Rollouts and ReplicaSets.
pub const ROLLOUT_REVISION_ANNOTATION: &str = "rollout.argoproj.io/revision";
/// The label the controller adds to ReplicaSet templates.
pub const ROLLOUT_HASH_LABEL: &str = "rollouts-pod-template-hash";

/// Where Rollouts live in the API.
pub fn rollout_resource() -> ApiResource {
    ApiResource::from_gvk_with_plural(
        &GroupVersionKind::gvk("argoproj.io", "v1alpha1", "Rollout"),
        "rollouts",
    )
}

fn apps(kind: &str, plural: &str) -> ApiResource {
    ApiResource::from_gvk_with_plural(&GroupVersionKind::gvk("apps", "v1", kind), plural)
}

/// The Rollout API of one namespace. `resource` is Argo's, except in tests that need a
/// look-alike without a status subresource.
pub struct Rollouts<'a> {
    client: Client,
    api: Api<DynamicObject>,
    resource: ApiResource,
    ns: &'a str,
    dry_run: bool,
}

impl<'a> Rollouts<'a> {
    pub fn new(client: &Client, ns: &'a str, dry_run: bool, resource: ApiResource) -> Self {
        Rollouts {
            client: client.clone(),
            api: Api::namespaced_with(client.clone(), ns, &resource),
            resource,
            ns,
            dry_run,
        }
    }

    /// `rollouts.argoproj.io`
    fn what(&self) -> String {
        format!("{}.{}", self.resource.plural, self.resource.group)
    }

    fn params(&self) -> PatchParams {
        patch_params(self.dry_run)
    }

    fn say(&self, text: String) -> String {
        said(self.dry_run, text)
    }

    pub async fn get(&self, name: &str) -> Result<Value, ActionFailure> {
        let object = call(self.api.get(name), "get", &self.what(), self.ns, Some(name)).await?;
        to_json(&object)
    }

    /// `patch` through the status subresource, or on the object when there is none.
    async fn status_or_object(&self, name: &str, patch: &Value) -> Result<(), ActionFailure> {
        if !self.patch_status(name, patch).await? {
            self.merge(name, patch).await?;
        }
        Ok(())
    }

    async fn merge(&self, name: &str, patch: &Value) -> Result<(), ActionFailure> {
        call(
            self.api.patch(name, &self.params(), &Patch::Merge(patch)),
            "patch",
            &self.what(),
            self.ns,
            Some(name),
        )
        .await
        .map(|_| ())
    }

    /// A patch through the status subresource; false when the API has none (404), and the
    /// caller falls back as the plugin does.
    async fn patch_status(&self, name: &str, status: &Value) -> Result<bool, ActionFailure> {
        let what = format!("{}/status", self.what());
        let sent = tokio::time::timeout(
            CALL_TIMEOUT,
            self.api
                .patch_status(name, &self.params(), &Patch::Merge(status)),
        )
        .await;
        match sent {
            Ok(Ok(_)) => Ok(true),
            Ok(Err(kube::Error::Api(s))) if s.code == 404 => Ok(false),
            Ok(Err(e)) => Err(failure(e, "patch", &what, self.ns, Some(name))),
            Err(_) => Err(ActionFailure::Unreachable(format!(
                "patch {what} in {}: no answer within {} s",
                self.ns,
                CALL_TIMEOUT.as_secs()
            ))),
        }
    }

    /// The ReplicaSets the Rollout controls, as JSON: found by its selector, then by
    /// controller owner uid, as the plugin finds them.
    async fn owned_replica_sets(&self, rollout: &Value) -> Result<Vec<Value>, ActionFailure> {
        let selector: LabelSelector =
            serde_json::from_value(rollout["spec"]["selector"].clone()).unwrap_or_default();
        let uid = rollout["metadata"]["uid"].as_str().unwrap_or_default();
        let api: Api<DynamicObject> = Api::namespaced_with(
            self.client.clone(),
            self.ns,
            &apps("ReplicaSet", "replicasets"),
        );
        let list = call(
            api.list(&ListParams::default().labels(&selector_string(&selector))),
            "list",
            "replicasets.apps",
            self.ns,
            None,
        )
        .await?;
        let mut owned = Vec::new();
        for rs in list.items {
            let controlled = rs
                .metadata
                .owner_references
                .iter()
                .flatten()
                .any(|o| o.controller == Some(true) && !uid.is_empty() && o.uid == uid);
            if controlled {
                owned.push(to_json(&rs)?);
            }
        }
        Ok(owned)
    }

    /// The JSON patch of `undo` on the workload that holds the template.
    async fn json_patch_workload(
        &self,
        rollout: &Value,
        ops: Value,
    ) -> Result<String, ActionFailure> {
        let name = rollout["metadata"]["name"].as_str().unwrap_or_default();
        let ops = serde_json::from_value(ops).map_err(|e| {
            ActionFailure::Rejected(format!("internal error building a JSON patch: {e}"))
        })?;
        let patch = Patch::<()>::Json(ops);
        let reference = &rollout["spec"]["workloadRef"];
        let (api, what, target) = if reference.is_object() {
            let kind = reference["kind"].as_str().unwrap_or_default();
            let target = reference["name"].as_str().unwrap_or_default().to_string();
            let (resource, what) = match kind {
                "Deployment" => (apps("Deployment", "deployments"), "deployments.apps"),
                "ReplicaSet" => (apps("ReplicaSet", "replicasets"), "replicasets.apps"),
                "PodTemplate" => (
                    ApiResource::from_gvk_with_plural(
                        &GroupVersionKind::gvk("", "v1", "PodTemplate"),
                        "podtemplates",
                    ),
                    "podtemplates",
                ),
                other => {
                    return Err(ActionFailure::Rejected(format!(
                        "workload of type {other} is not supported"
                    )))
                }
            };
            (
                Api::<DynamicObject>::namespaced_with(self.client.clone(), self.ns, &resource),
                what.to_string(),
                target,
            )
        } else {
            (self.api.clone(), self.what(), name.to_string())
        };
        call(
            api.patch(&target, &self.params(), &patch),
            "patch",
            &what,
            self.ns,
            Some(&target),
        )
        .await?;
        Ok(if target == name && what == self.what() {
            String::new()
        } else {
            format!(" ({what}/{target})")
        })
    }
}

/// Carries out `request` on a Rollout of `resource`.
pub async fn run_on(
    client: &Client,
    resource: ApiResource,
    request: &ActionRequest,
    revision_before: &mut Option<i64>,
) -> Result<String, ActionFailure> {
    let api = Rollouts::new(client, &request.key.namespace, request.dry_run, resource);
    run(&api, request, revision_before).await
}

async fn run(
    api: &Rollouts<'_>,
    request: &ActionRequest,
    revision_before: &mut Option<i64>,
) -> Result<String, ActionFailure> {
    let name = request.key.name.as_str();
    let rollout = api.get(name).await?;
    *revision_before = rollout_revision(&rollout);
    let aborted = rollout["status"]["abort"].as_bool().unwrap_or(false);
    if let Some(why) = crate::model::ops::argo_abort_refusal(request.op.kind(), aborted) {
        return Err(ActionFailure::Rejected(format!("rollout '{name}': {why}")));
    }
    let text = match request.op {
        Op::Promote { .. } => promote(api, &rollout, false).await?,
        Op::PromoteFull => promote(api, &rollout, true).await?,
        Op::Abort => {
            let patch = json!({ "status": { "abort": true } });
            api.status_or_object(name, &patch).await?;
            format!("rollout '{name}' aborted")
        }
        Op::Retry => {
            let patch = json!({ "status": { "abort": false } });
            api.status_or_object(name, &patch).await?;
            format!("rollout '{name}' retried")
        }
        Op::Pause => {
            api.merge(name, &json!({ "spec": { "paused": true } }))
                .await?;
            format!("rollout '{name}' paused")
        }
        Op::Resume => {
            if !rollout["spec"]["paused"].as_bool().unwrap_or(false) {
                return Err(ActionFailure::Rejected(format!(
                    "rollout '{name}' is not paused (spec.paused is false): \
                     a pause step or a pause condition is lifted with promote"
                )));
            }
            api.merge(name, &json!({ "spec": { "paused": false } }))
                .await?;
            format!("rollout '{name}' resumed")
        }
        Op::Restart => {
            let stamp = restart_stamp();
            api.merge(name, &json!({ "spec": { "restartAt": stamp } }))
                .await?;
            format!("rollout '{name}' restarts in 0s (restartAt {stamp})")
        }
        Op::Rollback { to } => undo(api, &rollout, to.unwrap_or(0)).await?,
        Op::SetWeight { weight } => set_weight(api, &rollout, weight).await?,
    };
    Ok(api.say(text))
}

/// The Rollout's revision annotation, if it parses.
pub fn rollout_revision(rollout: &Value) -> Option<i64> {
    rollout["metadata"]["annotations"][ROLLOUT_REVISION_ANNOTATION]
        .as_str()?
        .trim()
        .parse()
        .ok()
}

/// The three patches `promote` may send: on the spec, on the status, and both in one for
/// an API without a status subresource.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct PromotePatches {
    pub spec: Option<Value>,
    pub status: Option<Value>,
    pub unified: Option<Value>,
}

/// The step index and step count of a canary with steps; `None` for anything else. The
/// index may equal the count once every step has run.
fn canary_step(rollout: &Value) -> Option<(i64, i64)> {
    let steps = rollout["spec"]["strategy"]["canary"]["steps"].as_array()?;
    if steps.is_empty() {
        return None;
    }
    let index = rollout["status"]["currentStepIndex"].as_i64().unwrap_or(0);
    Some((index, steps.len() as i64))
}

/// What `promote` (or `promote --full`) sends for this Rollout, decided as the plugin
/// decides it.
pub fn promote_patches(rollout: &Value, full: bool) -> PromotePatches {
    let spec = &rollout["spec"];
    let status = &rollout["status"];
    let paused = spec["paused"].as_bool().unwrap_or(false);
    let unpause = || json!({ "spec": { "paused": false } });
    let mut out = PromotePatches::default();
    let next =
        || canary_step(rollout).map(|(index, count)| if index < count { index + 1 } else { index });
    if full {
        if paused {
            out.spec = Some(unpause());
        }
        let text = |v: &Value| v.as_str().unwrap_or_default().to_string();
        if text(&status["currentPodHash"]) != text(&status["stableRS"]) {
            out.status = Some(json!({ "status": { "promoteFull": true } }));
        }
        out.unified =
            Some(json!({ "spec": { "paused": false }, "status": { "promoteFull": true } }));
        return out;
    }
    out.unified =
        Some(json!({ "spec": { "paused": false }, "status": { "pauseConditions": null } }));
    if paused {
        out.spec = Some(unpause());
    }
    let pause_conditions = status["pauseConditions"].as_array().map_or(0, |a| a.len());
    let inconclusive = spec["strategy"]["canary"].is_object()
        && status["canary"]["currentStepAnalysisRunStatus"]["status"].as_str()
            == Some("Inconclusive");
    let controller_pause = status["controllerPause"].as_bool().unwrap_or(false);
    if inconclusive && pause_conditions > 0 && controller_pause {
        if let Some(index) = next() {
            out.status = Some(json!({ "status": {
                "pauseConditions": null, "controllerPause": false, "currentStepIndex": index
            } }));
        }
    } else if pause_conditions > 0 {
        out.status = Some(json!({ "status": { "pauseConditions": null } }));
    } else if spec["strategy"]["canary"].is_object() {
        if let Some(index) = next() {
            out.status = Some(json!({ "status": {
                "pauseConditions": null, "currentStepIndex": index
            } }));
            out.unified = Some(json!({
                "spec": { "paused": false },
                "status": { "pauseConditions": null, "currentStepIndex": index }
            }));
        }
    }
    out
}

async fn promote(api: &Rollouts<'_>, rollout: &Value, full: bool) -> Result<String, ActionFailure> {
    let name = rollout["metadata"]["name"].as_str().unwrap_or_default();
    let patches = promote_patches(rollout, full);
    let mut spec = patches.spec;
    let mut sent = Vec::new();
    if let Some(status) = &patches.status {
        if api.patch_status(name, status).await? {
            sent.push("status patched");
        } else {
            spec = patches.unified.clone();
            sent.push("no status subresource: spec and status patched together");
        }
    }
    if let Some(spec) = &spec {
        api.merge(name, spec)
            .await
            .map_err(|e| after(e, &format!("rollout '{name}': {}, but", sent.join(", "))))?;
        if !sent.iter().any(|s| s.starts_with("no status")) {
            sent.push("spec.paused set to false");
        }
    }
    let verb = if full { "fully promoted" } else { "promoted" };
    Ok(if sent.is_empty() {
        format!("rollout '{name}' {verb} (nothing to change)")
    } else {
        format!("rollout '{name}' {verb} ({})", sent.join("; "))
    })
}

/// `undo [--to-revision N]`: the template of the ReplicaSet at revision N (0: the one
/// before the newest) goes back on the Rollout, or on its workloadRef, with one JSON patch.
async fn undo(
    api: &Rollouts<'_>,
    rollout: &Value,
    to_revision: i64,
) -> Result<String, ActionFailure> {
    let name = rollout["metadata"]["name"].as_str().unwrap_or_default();
    let replica_sets = api.owned_replica_sets(rollout).await?;
    let target = pick_rollout_revision(&replica_sets, to_revision).ok_or_else(|| {
        ActionFailure::Rejected(if to_revision > 0 {
            format!("unable to find specified revision {to_revision} in history")
        } else {
            format!("no revision found for rollout \"{name}\"")
        })
    })?;
    let mut template = target["spec"]["template"].clone();
    let mut current = rollout["spec"]["template"].clone();
    strip_hash(&mut template);
    strip_hash(&mut current);
    if rollout["spec"]["template"].is_object() && derivative(&current, &template) {
        // The plugin reports this as success; so does ripcord, changing nothing.
        return Ok(format!(
            "skipped rollback (current template already matches revision {to_revision})"
        ));
    }
    let revision = replica_set_revision(target).unwrap_or(to_revision);
    let ops = json!([{ "op": "replace", "path": "/spec/template", "value": template }]);
    let through = api.json_patch_workload(rollout, ops).await?;
    Ok(format!(
        "rollout '{name}' undo: template of revision {revision} restored{through}"
    ))
}

fn strip_hash(template: &mut Value) {
    if let Some(labels) = template
        .get_mut("metadata")
        .and_then(|m| m.get_mut("labels"))
        .and_then(Value::as_object_mut)
    {
        labels.remove(ROLLOUT_HASH_LABEL);
    }
}

/// The plugin's reading of a ReplicaSet's revision: a missing annotation is revision 0,
/// an unparsable one leaves the ReplicaSet out.
fn replica_set_revision(rs: &Value) -> Option<i64> {
    match rs["metadata"]["annotations"][ROLLOUT_REVISION_ANNOTATION].as_str() {
        None => Some(0),
        Some(text) => text.parse().ok(),
    }
}

/// Revision `wanted`, or for 0 the second newest, visiting the ReplicaSets in list order
/// exactly as the plugin does.
pub fn pick_rollout_revision(replica_sets: &[Value], wanted: i64) -> Option<&Value> {
    let mut latest: (i64, Option<&Value>) = (-1, None);
    let mut previous: (i64, Option<&Value>) = (-1, None);
    for rs in replica_sets {
        let Some(v) = replica_set_revision(rs) else {
            continue;
        };
        if wanted == 0 {
            if latest.0 < v {
                previous = latest;
                latest = (v, Some(rs));
            } else if previous.0 < v {
                previous = (v, Some(rs));
            }
        } else if wanted == v {
            return Some(rs);
        }
    }
    if wanted > 0 {
        return None;
    }
    previous.1
}

/// Whether every value set in `a` is equal in `b`: empty maps, lists, strings and nulls in
/// `a` match anything, the way Kubernetes' semantic derivative comparison treats them.
pub fn derivative(a: &Value, b: &Value) -> bool {
    match a {
        Value::Null => true,
        Value::Object(m) if m.is_empty() => true,
        Value::Object(m) => match b {
            Value::Object(n) if m.len() <= n.len() => m
                .iter()
                .all(|(k, v)| n.get(k).is_some_and(|w| derivative(v, w))),
            _ => false,
        },
        Value::Array(x) if x.is_empty() => true,
        Value::Array(x) => match b {
            Value::Array(y) if x.len() <= y.len() => {
                x.iter().zip(y.iter()).all(|(v, w)| derivative(v, w))
            }
            _ => false,
        },
        Value::String(s) if s.is_empty() => true,
        other => other == b,
    }
}

/// The weights a Rollout's `setWeight` steps name, in step order, with their indexes.
pub fn weight_steps(rollout: &Value) -> Vec<(i64, u8)> {
    rollout["spec"]["strategy"]["canary"]["steps"]
        .as_array()
        .into_iter()
        .flatten()
        .enumerate()
        .filter_map(|(i, step)| {
            let w = step["setWeight"].as_i64()?;
            Some((i as i64, u8::try_from(w.clamp(0, 100)).ok()?))
        })
        .collect()
}

/// The step `set-weight` moves to: a `setWeight` step of the Rollout's own with that
/// weight, the nearest one at or after the current step first.
pub fn weight_step_index(rollout: &Value, weight: u8) -> Result<i64, String> {
    let strategy = &rollout["spec"]["strategy"];
    if strategy["blueGreen"].is_object() {
        return Err("a blue-green Rollout has no canary weight: it has no weight steps".into());
    }
    let steps = weight_steps(rollout);
    if steps.is_empty() {
        return Err(
            "this Rollout's canary has no setWeight steps: its weight follows the controller alone"
                .into(),
        );
    }
    let current = canary_step(rollout).map_or(0, |(i, _)| i);
    crate::model::ops::weight_step(&steps, current, weight).ok_or_else(|| {
        let named: Vec<String> = steps.iter().map(|(_, w)| format!("{w}")).collect();
        format!(
            "no setWeight step of {weight}%: this Rollout's steps set {}",
            named.join(", ")
        )
    })
}

/// Moves the canary to its own `setWeight` step of `weight`, with the step-index status
/// patch the plugin's `promote --skip-current-step` sends; the controller does the rest.
async fn set_weight(
    api: &Rollouts<'_>,
    rollout: &Value,
    weight: u8,
) -> Result<String, ActionFailure> {
    let name = rollout["metadata"]["name"].as_str().unwrap_or_default();
    let index = weight_step_index(rollout, weight)
        .map_err(|why| ActionFailure::Rejected(format!("rollout '{name}': {why}")))?;
    if let Some((current, steps)) = canary_step(rollout).filter(|(i, _)| *i == index) {
        return Err(ActionFailure::Rejected(format!(
            "rollout '{name}': already at step {current}/{steps} (setWeight {weight})"
        )));
    }
    let patch = json!({ "status": { "currentStepIndex": index } });
    api.status_or_object(name, &patch).await?;
    // Counted as the step column counts: currentStepIndex/steps.
    Ok(format!(
        "rollout '{name}' moved to step {index}/{} (setWeight {weight})",
        canary_step(rollout).map_or(0, |(_, n)| n)
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn canary(status: Value, paused: bool) -> Value {
        json!({
            "metadata": { "name": "web" },
            "spec": {
                "paused": paused,
                "strategy": { "canary": { "steps": [
                    { "setWeight": 20 }, { "pause": {} }, { "setWeight": 50 }, { "pause": {} }
                ] } }
            },
            "status": status
        })
    }

    #[test]
    fn promote_clears_pause_conditions_or_moves_one_step() {
        let paused = canary(
            json!({ "currentStepIndex": 1, "pauseConditions": [{ "reason": "CanaryPauseStep" }] }),
            false,
        );
        let p = promote_patches(&paused, false);
        assert_eq!(
            p.status,
            Some(json!({ "status": { "pauseConditions": null } }))
        );
        assert_eq!(p.spec, None);
        let running = canary(json!({ "currentStepIndex": 2 }), true);
        let p = promote_patches(&running, false);
        assert_eq!(
            p.status,
            Some(json!({ "status": { "pauseConditions": null, "currentStepIndex": 3 } }))
        );
        assert_eq!(p.spec, Some(json!({ "spec": { "paused": false } })));
        assert_eq!(p.unified.unwrap()["status"]["currentStepIndex"], 3);
        // Past the last step the index stays.
        let done = canary(json!({ "currentStepIndex": 4 }), false);
        assert_eq!(
            promote_patches(&done, false).status.unwrap()["status"]["currentStepIndex"],
            4
        );
    }

    #[test]
    fn an_inconclusive_analysis_pause_also_releases_the_controller_pause() {
        let r = canary(
            json!({
                "currentStepIndex": 0, "controllerPause": true,
                "pauseConditions": [{ "reason": "InconclusiveAnalysisRun" }],
                "canary": { "currentStepAnalysisRunStatus": { "status": "Inconclusive" } }
            }),
            false,
        );
        assert_eq!(
            promote_patches(&r, false).status,
            Some(json!({ "status": {
                "pauseConditions": null, "controllerPause": false, "currentStepIndex": 1
            } }))
        );
    }

    #[test]
    fn full_promotion_only_patches_status_when_the_canary_differs() {
        let same = canary(json!({ "currentPodHash": "a", "stableRS": "a" }), false);
        assert_eq!(promote_patches(&same, true).status, None);
        let differs = canary(json!({ "currentPodHash": "b", "stableRS": "a" }), true);
        let p = promote_patches(&differs, true);
        assert_eq!(p.status, Some(json!({ "status": { "promoteFull": true } })));
        assert_eq!(p.spec, Some(json!({ "spec": { "paused": false } })));
    }

    #[test]
    fn undo_picks_revisions_as_the_plugin_does() {
        let rs = |name: &str, rev: Option<&str>| {
            let mut v = json!({ "metadata": { "name": name } });
            if let Some(r) = rev {
                v["metadata"]["annotations"] = json!({ ROLLOUT_REVISION_ANNOTATION: r });
            }
            v
        };
        let sets = vec![
            rs("a", Some("3")),
            rs("b", Some("1")),
            rs("c", Some("x")),
            rs("d", Some("2")),
        ];
        let name =
            |v: Option<&Value>| v.and_then(|v| v["metadata"]["name"].as_str().map(String::from));
        assert_eq!(name(pick_rollout_revision(&sets, 0)).as_deref(), Some("d"));
        assert_eq!(name(pick_rollout_revision(&sets, 1)).as_deref(), Some("b"));
        assert_eq!(name(pick_rollout_revision(&sets, 7)), None);
        // No annotation reads as revision 0.
        let bare = vec![rs("new", Some("1")), rs("old", None)];
        assert_eq!(
            name(pick_rollout_revision(&bare, 0)).as_deref(),
            Some("old")
        );
    }

    #[test]
    fn derivative_ignores_what_the_first_leaves_unset() {
        let a =
            json!({ "spec": { "containers": [{ "name": "app", "image": "web:1", "env": [] }] } });
        let b = json!({ "spec": { "containers": [{ "name": "app", "image": "web:1", "env": [{ "name": "X" }], "resources": {} }] } });
        assert!(derivative(&a, &b));
        assert!(!derivative(&b, &a));
        let c = json!({ "spec": { "containers": [{ "name": "app", "image": "web:2" }] } });
        assert!(!derivative(&c, &b));
    }

    #[test]
    fn set_weight_goes_to_a_step_of_that_weight_only() {
        let r = canary(json!({ "currentStepIndex": 1 }), false);
        assert_eq!(weight_step_index(&r, 50), Ok(2));
        assert_eq!(weight_step_index(&r, 20), Ok(0));
        let why = weight_step_index(&r, 30).unwrap_err();
        assert!(why.contains("20, 50"), "{why}");
        let bg = json!({ "spec": { "strategy": { "blueGreen": { "activeService": "a" } } } });
        assert!(weight_step_index(&bg, 50)
            .unwrap_err()
            .contains("blue-green"));
        let no_steps = json!({ "spec": { "strategy": { "canary": {} } } });
        assert!(weight_step_index(&no_steps, 50).is_err());
    }
}
