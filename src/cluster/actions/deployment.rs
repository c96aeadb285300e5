//! Deployments, changed exactly as `kubectl rollout pause|resume|undo|restart` change them.

use super::*;
use crate::model::ops::Op;
use chrono::{SecondsFormat, Utc};
use k8s_openapi::api::core::v1::PodTemplateSpec;
use serde_json::{json, Map};
use std::collections::BTreeMap;

/// Annotations a rollback keeps from the Deployment instead of taking them from the
/// ReplicaSet, as `kubectl rollout undo` does.
const ANNOTATIONS_TO_SKIP: &[&str] = &[
    "kubectl.kubernetes.io/last-applied-configuration",
    REVISION_ANNOTATION,
    "deployment.kubernetes.io/revision-history",
    "deployment.kubernetes.io/desired-replicas",
    "deployment.kubernetes.io/max-replicas",
    "deprecated.deployment.rollback.to",
];

pub(super) async fn run(
    kube: &Kube<'_>,
    request: &ActionRequest,
    revision_before: &mut Option<i64>,
) -> Result<String, ActionFailure> {
    let name = request.key.name.as_str();
    let deployment = kube.get(name).await?;
    *revision_before = revision_of(&deployment.metadata);
    let text = match request.op {
        Op::Pause => set_paused(kube, &deployment, true).await?,
        Op::Resume => set_paused(kube, &deployment, false).await?,
        Op::Restart => restart(kube, &deployment, &restart_stamp()).await?,
        Op::Rollback { to } => undo(kube, &deployment, to).await?,
        other => {
            return Err(ActionFailure::Rejected(format!(
                "{} is not an operation on a Deployment",
                other.verb()
            )))
        }
    };
    Ok(kube.say(text))
}

async fn set_paused(
    kube: &Kube<'_>,
    deployment: &Deployment,
    paused: bool,
) -> Result<String, ActionFailure> {
    let name = name_of(deployment);
    let now_paused = deployment
        .spec
        .as_ref()
        .and_then(|s| s.paused)
        .unwrap_or(false);
    if now_paused == paused {
        // kubectl's wording, so runbooks that quote it still read right.
        let state = if paused {
            "is already paused"
        } else {
            "is not paused"
        };
        return Err(ActionFailure::Rejected(format!(
            "deployments.apps \"{name}\" {state}"
        )));
    }
    kube.merge(name, &json!({ "spec": { "paused": paused } }))
        .await?;
    Ok(format!(
        "deployment.apps/{name} {}",
        if paused { "paused" } else { "resumed" }
    ))
}

pub(super) fn restart_stamp() -> String {
    Utc::now().to_rfc3339_opts(SecondsFormat::Secs, true)
}

pub(super) async fn restart(
    kube: &Kube<'_>,
    deployment: &Deployment,
    stamp: &str,
) -> Result<String, ActionFailure> {
    let name = name_of(deployment);
    if deployment
        .spec
        .as_ref()
        .and_then(|s| s.paused)
        .unwrap_or(false)
    {
        return Err(ActionFailure::Rejected(format!(
            "deployments.apps \"{name}\" can't restart paused deployment (run rollout resume first)"
        )));
    }
    let patch = json!({
        "spec": { "template": { "metadata": { "annotations": { RESTARTED_AT_ANNOTATION: stamp } } } }
    });
    kube.merge(name, &patch).await?;
    Ok(format!("deployment.apps/{name} restarted"))
}

/// `kubectl rollout undo [--to-revision=N]`: put an older ReplicaSet's template back on the
/// Deployment with one JSON patch, and the ReplicaSet's annotations with it.
pub(super) async fn undo(
    kube: &Kube<'_>,
    deployment: &Deployment,
    to_revision: Option<i64>,
) -> Result<String, ActionFailure> {
    let name = name_of(deployment);
    let wanted = to_revision.unwrap_or(0);
    if wanted < 0 {
        return Err(revision_not_found(wanted));
    }
    let replica_sets = kube.owned_replica_sets(deployment).await?;
    let target = pick_revision(&replica_sets, wanted).ok_or_else(|| {
        if wanted > 0 {
            revision_not_found(wanted)
        } else {
            ActionFailure::Rejected(format!(
                "no rollout history found for deployment \"{name}\""
            ))
        }
    })?;
    let target_revision = revision_of(&target.metadata).unwrap_or(wanted);
    let spec = deployment.spec.as_ref();
    if spec.and_then(|s| s.paused).unwrap_or(false) {
        return Err(ActionFailure::Rejected(format!(
            "you cannot rollback a paused deployment; resume deployment/{name} first and try again"
        )));
    }
    let mut template = target
        .spec
        .as_ref()
        .and_then(|s| s.template.clone())
        .ok_or_else(|| {
            ActionFailure::Rejected(format!(
                "ReplicaSet {}/{} has no pod template",
                kube.ns,
                name_of(target)
            ))
        })?;
    let current = spec.map(|s| s.template.clone()).unwrap_or_default();
    if templates_equal(&template, &current) {
        return Err(ActionFailure::Rejected(format!(
            "skipped rollback (current template already matches revision {target_revision})"
        )));
    }
    if let Some(labels) = template.metadata.as_mut().and_then(|m| m.labels.as_mut()) {
        labels.remove(POD_TEMPLATE_HASH_LABEL);
    }

    // The Deployment keeps its own bookkeeping annotations; everything else comes from the
    // ReplicaSet (change-cause and the like), exactly as kubectl computes it.
    let mut annotations = BTreeMap::new();
    let own = deployment.metadata.annotations.clone().unwrap_or_default();
    for skip in ANNOTATIONS_TO_SKIP {
        if let Some(v) = own.get(*skip) {
            annotations.insert(skip.to_string(), v.clone());
        }
    }
    for (k, v) in target.metadata.annotations.iter().flatten() {
        if !ANNOTATIONS_TO_SKIP.contains(&k.as_str()) {
            annotations.insert(k.clone(), v.clone());
        }
    }
    let template = to_json(&template)?;
    // "replace" needs the member to exist; "add" on a missing one does the same job.
    let annotations_op = if deployment.metadata.annotations.is_some() {
        "replace"
    } else {
        "add"
    };
    let ops = json!([
        { "op": "replace", "path": "/spec/template", "value": template },
        { "op": annotations_op, "path": "/metadata/annotations", "value": annotations },
    ]);
    kube.json_patch(name, ops).await?;
    Ok(format!(
        "deployment.apps/{name} rolled back to revision {target_revision}"
    ))
}

fn revision_not_found(revision: i64) -> ActionFailure {
    ActionFailure::Rejected(format!(
        "unable to find specified revision {revision} in history"
    ))
}

/// Revision `wanted`, or for 0 the newest revision below the newest one.
fn pick_revision(replica_sets: &[ReplicaSet], wanted: i64) -> Option<&ReplicaSet> {
    let mut numbered: Vec<(i64, &ReplicaSet)> = replica_sets
        .iter()
        .filter_map(|rs| revision_of(&rs.metadata).map(|r| (r, rs)))
        .collect();
    if wanted > 0 {
        return numbered
            .into_iter()
            .find(|(r, _)| *r == wanted)
            .map(|(_, rs)| rs);
    }
    numbered.sort_by_key(|(r, _)| std::cmp::Reverse(*r));
    numbered.get(1).map(|(_, rs)| *rs)
}

/// Templates compared the way kubectl does: ignoring the pod-template-hash label, and with
/// empty maps and lists equal to absent ones.
pub(super) fn templates_equal(a: &PodTemplateSpec, b: &PodTemplateSpec) -> bool {
    let norm = |t: &PodTemplateSpec| {
        let mut t = t.clone();
        if let Some(labels) = t.metadata.as_mut().and_then(|m| m.labels.as_mut()) {
            labels.remove(POD_TEMPLATE_HASH_LABEL);
        }
        serde_json::to_value(&t).map(prune_empty).ok()
    };
    match (norm(a), norm(b)) {
        (Some(a), Some(b)) => a == b,
        _ => false,
    }
}

fn prune_empty(value: Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.into_iter()
                .map(|(k, v)| (k, prune_empty(v)))
                .filter(|(_, v)| !is_empty(v))
                .collect::<Map<_, _>>(),
        ),
        Value::Array(items) => Value::Array(items.into_iter().map(prune_empty).collect()),
        other => other,
    }
}

fn is_empty(value: &Value) -> bool {
    match value {
        Value::Null => true,
        Value::Object(m) => m.is_empty(),
        Value::Array(a) => a.is_empty(),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::template;
    use super::*;
    use k8s_openapi::api::apps::v1::ReplicaSetSpec;

    fn rs(revision: &str) -> ReplicaSet {
        ReplicaSet {
            metadata: ObjectMeta {
                name: Some(format!("web-{revision}")),
                annotations: Some([(REVISION_ANNOTATION.to_string(), revision.to_string())].into()),
                ..Default::default()
            },
            spec: Some(ReplicaSetSpec::default()),
            status: None,
        }
    }

    #[test]
    fn rollback_picks_the_previous_revision_or_the_named_one() {
        let sets = vec![rs("3"), rs("1"), rs("5"), rs("x"), rs("4")];
        let name = |r: Option<&ReplicaSet>| r.and_then(|r| r.metadata.name.clone());
        assert_eq!(name(pick_revision(&sets, 0)).as_deref(), Some("web-4"));
        assert_eq!(name(pick_revision(&sets, 1)).as_deref(), Some("web-1"));
        assert_eq!(name(pick_revision(&sets, 2)), None);
        assert_eq!(name(pick_revision(&sets[..1], 0)), None);
    }

    #[test]
    fn templates_compare_without_the_hash_label_and_empty_maps() {
        let a = template("web:1", &[("app", "web"), (POD_TEMPLATE_HASH_LABEL, "abc")]);
        let mut b = template("web:1", &[("app", "web")]);
        assert!(templates_equal(&a, &b));
        if let Some(m) = b.metadata.as_mut() {
            m.annotations = Some(BTreeMap::new());
        }
        assert!(templates_equal(&a, &b));
        assert!(!templates_equal(&a, &template("web:2", &[("app", "web")])));
    }
}
