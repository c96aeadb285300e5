//! Canary pairs: a stable Deployment and one labelled `ripcord.dev/canary-of=<stable>`,
//! driven with the same patches as Deployments.

use super::deployment::{restart, restart_stamp, templates_equal, undo};
use super::*;
use crate::model::ops::{achieved_weight, pair_promote_target, split_replicas, Op};
use k8s_openapi::api::core::v1::PodTemplateSpec;
use serde_json::json;
use std::time::Duration;

/// How long a promotion or abort waits for the stable to hold the pair's capacity before
/// it leaves the canary running.
const HANDOVER_TIMEOUT: Duration = Duration::from_secs(60);
const HANDOVER_POLL: Duration = Duration::from_millis(500);

pub(super) async fn run(
    kube: &Kube<'_>,
    request: &ActionRequest,
    revision_before: &mut Option<i64>,
) -> Result<String, ActionFailure> {
    let stable_name = request.key.name.as_str();
    let stable = kube.get(stable_name).await?;
    *revision_before = revision_of(&stable.metadata);
    // Rollback touches only the stable side; everything else needs the canary.
    if let Op::Rollback { to } = request.op {
        return undo(kube, &stable, to).await.map(|t| kube.say(t));
    }
    let canary = kube.canary_of(stable_name).await?;
    let text = match request.op {
        Op::Promote { step } => promote_step(kube, &stable, &canary, step).await?,
        Op::PromoteFull => promote(kube, &stable, &canary).await?,
        Op::Abort => abort(kube, &stable, &canary).await?,
        Op::SetWeight { weight } => set_weight(kube, &stable, &canary, weight).await?,
        Op::Restart => {
            let stamp = restart_stamp();
            let mut text = restart(kube, &stable, &stamp).await?;
            if replicas(&canary) > 0 {
                let done = restart(kube, &canary, &stamp)
                    .await
                    .map_err(|e| after(e, &format!("{text}, but")))?;
                text = format!("{text}; {done}");
            } else {
                text.push_str(&format!(
                    "; canary deployment.apps/{} has 0 replicas, not restarted",
                    name_of(&canary)
                ));
            }
            text
        }
        other => {
            return Err(ActionFailure::Rejected(format!(
                "{} is not an operation on a canary pair",
                other.verb()
            )))
        }
    };
    Ok(kube.say(text))
}

/// One step: the canary's share of replicas moves up to the next pair step.
async fn promote_step(
    kube: &Kube<'_>,
    stable: &Deployment,
    canary: &Deployment,
    requested: Option<u8>,
) -> Result<String, ActionFailure> {
    let (weight, _, _) = pair_promote_target(requested, replicas(stable), replicas(canary))
        .map_err(|why| {
            ActionFailure::Rejected(format!("canary deployment.apps/{}: {why}", name_of(canary)))
        })?;
    let text = set_weight(kube, stable, canary, weight).await?;
    Ok(format!("promoted one step: {text}"))
}

/// The stable Deployment takes the canary's pod template, keeping its own values for the
/// labels its selector matches (so its pods stay its own), then the canary goes to zero.
async fn promote(
    kube: &Kube<'_>,
    stable: &Deployment,
    canary: &Deployment,
) -> Result<String, ActionFailure> {
    let stable_name = name_of(stable);
    let canary_name = name_of(canary);
    let canary_template = canary
        .spec
        .as_ref()
        .map(|s| s.template.clone())
        .unwrap_or_default();
    let stable_template = stable
        .spec
        .as_ref()
        .map(|s| s.template.clone())
        .unwrap_or_default();
    let template = promoted_template(stable, &canary_template);
    let images = images_of(&template);

    // The stable takes over the whole capacity of the pair before the canary goes, so
    // serving pods never dip: stable + canary replicas end up on the stable.
    let (s_now, c_now) = (replicas(stable), replicas(canary));
    let capacity = s_now + c_now.max(0);
    let mut done = Vec::new();
    let scaled = format!(
        "deployment.apps/{stable_name} scaled to {capacity} (stable {s_now} + canary {c_now})"
    );
    // Template and replicas in one patch: the rollout starts at the pair's capacity.
    let mut ops = Vec::new();
    if templates_equal(&template, &stable_template) {
        done.push(format!(
            "deployment.apps/{stable_name} already runs the canary's template"
        ));
    } else {
        ops.push(
            json!({ "op": "replace", "path": "/spec/template", "value": to_json(&template)? }),
        );
        done.push(format!(
            "deployment.apps/{stable_name} now runs the canary's template ({images})"
        ));
    }
    if capacity > s_now {
        ops.push(json!({ "op": "replace", "path": "/spec/replicas", "value": capacity }));
        done.push(scaled);
    }
    if !ops.is_empty() {
        kube.json_patch(stable_name, json!(ops)).await?;
    }
    hand_over(kube, stable_name, canary_name, capacity, c_now, &mut done).await?;
    Ok(format!("promoted: {}", done.join("; ")))
}

/// The canary goes only once the stable's updated pods hold the pair's capacity, so ready
/// pods never drop; past the deadline the canary keeps running and the failure says what
/// is not ready.
async fn hand_over(
    kube: &Kube<'_>,
    stable_name: &str,
    canary_name: &str,
    capacity: i32,
    canary_replicas: i32,
    done: &mut Vec<String>,
) -> Result<(), ActionFailure> {
    if canary_replicas <= 0 {
        done.push(format!(
            "canary deployment.apps/{canary_name} already at 0 replicas"
        ));
        return Ok(());
    }
    if !kube.dry_run {
        let deadline = tokio::time::Instant::now() + HANDOVER_TIMEOUT;
        loop {
            let stable = kube
                .get(stable_name)
                .await
                .map_err(|e| after(e, &format!("{}, but", done.join("; "))))?;
            let (ready, why) = rolled_out(&stable, capacity);
            if ready {
                done.push(format!(
                    "deployment.apps/{stable_name} has {capacity} updated replicas available"
                ));
                break;
            }
            if tokio::time::Instant::now() >= deadline {
                return Err(ActionFailure::Rejected(format!(
                    "{}, but deployment.apps/{stable_name} is not ready after {} s ({why}): \
                     canary deployment.apps/{canary_name} left running with {canary_replicas} replicas",
                    done.join("; "),
                    HANDOVER_TIMEOUT.as_secs()
                )));
            }
            tokio::time::sleep(HANDOVER_POLL).await;
        }
    }
    kube.merge(canary_name, &json!({ "spec": { "replicas": 0 } }))
        .await
        .map_err(|e| after(e, &format!("{}, but", done.join("; "))))?;
    done.push(format!("canary deployment.apps/{canary_name} scaled to 0"));
    Ok(())
}

/// Whether a Deployment's rollout to `want` replicas is complete, the way `kubectl rollout
/// status` judges it, and if not, what is missing.
fn rolled_out(d: &Deployment, want: i32) -> (bool, String) {
    let generation = d.metadata.generation.unwrap_or(0);
    let status = d.status.clone().unwrap_or_default();
    let observed = status.observed_generation.unwrap_or(0);
    let updated = status.updated_replicas.unwrap_or(0);
    let total = status.replicas.unwrap_or(0);
    let available = status.available_replicas.unwrap_or(0);
    if observed < generation {
        return (false, "the controller has not seen the change yet".into());
    }
    if updated < want {
        return (false, format!("{updated} of {want} updated replicas"));
    }
    if total > updated {
        return (
            false,
            format!("{} old replicas still running", total - updated),
        );
    }
    if available < want {
        return (
            false,
            format!("{available} of {want} updated replicas available"),
        );
    }
    (true, String::new())
}

/// The canary's template with the stable selector's labels set to the stable's values, and
/// without the pair label (that belongs on the Deployment, not on stable pods).
fn promoted_template(stable: &Deployment, canary_template: &PodTemplateSpec) -> PodTemplateSpec {
    let mut template = canary_template.clone();
    let stable_labels = stable
        .spec
        .as_ref()
        .and_then(|s| s.template.metadata.as_ref())
        .and_then(|m| m.labels.clone())
        .unwrap_or_default();
    let selector_keys = stable
        .spec
        .as_ref()
        .map(|s| selector_keys(&s.selector))
        .unwrap_or_default();
    let meta = template.metadata.get_or_insert_with(Default::default);
    let labels = meta.labels.get_or_insert_with(Default::default);
    labels.remove(POD_TEMPLATE_HASH_LABEL);
    labels.remove(CANARY_OF_LABEL);
    for key in selector_keys {
        match stable_labels.get(&key) {
            Some(v) => {
                labels.insert(key, v.clone());
            }
            None => {
                labels.remove(&key);
            }
        }
    }
    template
}

fn selector_keys(selector: &LabelSelector) -> Vec<String> {
    let mut keys: Vec<String> = selector
        .match_labels
        .iter()
        .flatten()
        .map(|(k, _)| k.clone())
        .collect();
    keys.extend(
        selector
            .match_expressions
            .iter()
            .flatten()
            .map(|e| e.key.clone()),
    );
    keys
}

/// The stable takes back the pair's capacity (stable + canary replicas) and the canary
/// goes once that is ready.
async fn abort(
    kube: &Kube<'_>,
    stable: &Deployment,
    canary: &Deployment,
) -> Result<String, ActionFailure> {
    let (stable_name, canary_name) = (name_of(stable), name_of(canary));
    let (s_now, c_now) = (replicas(stable), replicas(canary));
    if c_now == 0 {
        return Ok(format!(
            "aborted: canary deployment.apps/{canary_name} already at 0 replicas (nothing changed)"
        ));
    }
    let capacity = s_now + c_now;
    kube.merge(stable_name, &json!({ "spec": { "replicas": capacity } }))
        .await?;
    let mut done = vec![format!(
        "deployment.apps/{stable_name} scaled to {capacity} (stable {s_now} + canary {c_now})"
    )];
    hand_over(kube, stable_name, canary_name, capacity, c_now, &mut done).await?;
    Ok(format!("aborted: {}", done.join("; ")))
}

async fn set_weight(
    kube: &Kube<'_>,
    stable: &Deployment,
    canary: &Deployment,
    weight: u8,
) -> Result<String, ActionFailure> {
    if weight > 100 {
        return Err(ActionFailure::Rejected(format!(
            "weight {weight} is out of range: use 0-100"
        )));
    }
    let (stable_name, canary_name) = (name_of(stable), name_of(canary));
    let (s_now, c_now) = (replicas(stable), replicas(canary));
    let total = s_now + c_now;
    if total == 0 {
        return Err(ActionFailure::Rejected(format!(
            "deployment.apps/{stable_name} and its canary both have 0 replicas: nothing to split"
        )));
    }
    let (s_new, c_new) = split_replicas(total, weight);
    let achieved = achieved_weight(s_new, c_new);
    let asked = if achieved == weight {
        String::new()
    } else {
        format!(" (asked {weight}%, the nearest whole-pod split)")
    };
    let summary = format!(
        "weight {achieved}%: stable {stable_name} {s_new} / canary {canary_name} {c_new} of {total}{asked}"
    );
    if (s_new, c_new) == (s_now, c_now) {
        return Ok(format!("{summary} (nothing changed)"));
    }
    // Grow one side before shrinking the other, so serving capacity never dips.
    let steps = if c_new > c_now {
        [(canary_name, c_new), (stable_name, s_new)]
    } else {
        [(stable_name, s_new), (canary_name, c_new)]
    };
    let mut done: Vec<String> = Vec::new();
    for (name, count) in steps {
        kube.merge(name, &json!({ "spec": { "replicas": count } }))
            .await
            .map_err(|e| {
                if done.is_empty() {
                    e
                } else {
                    after(e, &format!("{}, but", done.join("; ")))
                }
            })?;
        done.push(format!("deployment.apps/{name} scaled to {count}"));
    }
    Ok(summary)
}

fn images_of(template: &PodTemplateSpec) -> String {
    let images: Vec<&str> = template
        .spec
        .iter()
        .flat_map(|s| s.containers.iter())
        .filter_map(|c| c.image.as_deref())
        .collect();
    if images.is_empty() {
        "no image".into()
    } else {
        images.join(", ")
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::template;
    use super::*;
    use k8s_openapi::api::apps::v1::DeploymentSpec;

    #[test]
    fn promotion_keeps_the_stable_selector_labels() {
        let stable = Deployment {
            spec: Some(DeploymentSpec {
                selector: LabelSelector {
                    match_labels: Some(
                        [("app", "web"), ("track", "stable")]
                            .iter()
                            .map(|(k, v)| (k.to_string(), v.to_string()))
                            .collect(),
                    ),
                    match_expressions: None,
                },
                template: template("web:1", &[("app", "web"), ("track", "stable")]),
                ..Default::default()
            }),
            ..Default::default()
        };
        let canary = template(
            "web:2",
            &[
                ("app", "web"),
                ("track", "canary"),
                ("build", "77"),
                (CANARY_OF_LABEL, "web"),
            ],
        );
        let promoted = promoted_template(&stable, &canary);
        let labels = promoted.metadata.and_then(|m| m.labels).unwrap_or_default();
        assert_eq!(labels.get("track").map(String::as_str), Some("stable"));
        assert_eq!(labels.get("app").map(String::as_str), Some("web"));
        assert_eq!(labels.get("build").map(String::as_str), Some("77"));
        assert!(!labels.contains_key(CANARY_OF_LABEL));
        assert_eq!(images_of(&promoted_template(&stable, &canary)), "web:2");
    }
}
