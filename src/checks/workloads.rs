//! Pod templates inside workload objects, and the stable and canary sides of a release.

use super::inventory::{Inventory, Obj};
use crate::model::objects::CANARY_OF_LABEL;
use serde_json::Value;

/// A pod spec inside an object, with the field path that leads to it.
#[derive(Debug, Clone, Copy)]
pub struct Template<'a> {
    pub obj: &'a Obj,
    pub spec: &'a Value,
    pub prefix: &'static str,
}

impl<'a> Template<'a> {
    /// Every container, init and ephemeral ones too, with its path.
    pub fn containers(&self) -> Vec<(String, &'a Value)> {
        let mut out = Vec::new();
        for list in ["containers", "initContainers", "ephemeralContainers"] {
            if let Some(items) = self.spec.get(list).and_then(Value::as_array) {
                for (i, c) in items.iter().enumerate() {
                    out.push((format!("{}.{list}[{i}]", self.prefix), c));
                }
            }
        }
        out
    }

    /// The ServiceAccount the pods run as.
    pub fn service_account(&self) -> &'a str {
        self.spec
            .get("serviceAccountName")
            .or_else(|| self.spec.get("serviceAccount"))
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
            .unwrap_or("default")
    }

    pub fn namespace(&self) -> &'a str {
        &self.obj.key.namespace
    }

    /// Image of the container with this name.
    pub fn image_of(&self, container: &str) -> Option<&'a str> {
        self.containers().into_iter().find_map(|(_, c)| {
            (c.get("name").and_then(Value::as_str) == Some(container))
                .then(|| c.get("image").and_then(Value::as_str))
                .flatten()
        })
    }
}

/// Where the pod spec sits in an object of this kind.
fn spec_path(obj: &Obj) -> Option<(&'static str, &'static str)> {
    let k = &obj.key;
    Some(match (k.group.as_str(), k.kind.as_str()) {
        ("", "Pod") => ("/spec", "spec"),
        ("", "PodTemplate") => ("/template/spec", "template.spec"),
        ("batch", "CronJob") => (
            "/spec/jobTemplate/spec/template/spec",
            "spec.jobTemplate.spec.template.spec",
        ),
        ("apps", "Deployment" | "StatefulSet" | "DaemonSet" | "ReplicaSet")
        | ("batch", "Job")
        | ("argoproj.io", "Rollout") => ("/spec/template/spec", "spec.template.spec"),
        _ => return None,
    })
}

/// The pod template of an object, if it has one.
pub fn template_of(obj: &Obj) -> Option<Template<'_>> {
    let (pointer, prefix) = spec_path(obj)?;
    let spec = obj.value.pointer(pointer)?;
    Some(Template { obj, spec, prefix })
}

/// Whether a controller owns this object, so its template is checked on the owner.
fn controlled(obj: &Obj) -> bool {
    let owned_kind = matches!(obj.key.kind.as_str(), "Pod" | "ReplicaSet" | "Job");
    owned_kind
        && obj
            .value
            .pointer("/metadata/ownerReferences")
            .and_then(Value::as_array)
            .is_some_and(|refs| {
                refs.iter()
                    .any(|r| r.get("controller").and_then(Value::as_bool) == Some(true))
            })
}

/// The templates to check: one per workload, not again on the Pods and ReplicaSets it owns.
pub fn templates(inv: &Inventory) -> Vec<Template<'_>> {
    inv.objects()
        .filter(|o| !controlled(o))
        .filter_map(template_of)
        .collect()
}

/// A release with both sides known: the object that names it, stable and canary.
pub struct Sides<'a> {
    pub release: &'a Obj,
    pub stable: Template<'a>,
    pub canary: Template<'a>,
}

/// Releases whose stable and canary templates are both in the inventory.
pub fn sides(inv: &Inventory) -> Vec<Sides<'_>> {
    let mut out = Vec::new();
    for d in inv.of("apps", "Deployment") {
        let Some(stable_name) = d.labels().get(CANARY_OF_LABEL).cloned() else {
            continue;
        };
        let stable = inv.get("apps", "Deployment", &d.key.namespace, &stable_name);
        if let (Some(stable), Some(canary)) = (stable.and_then(template_of), template_of(d)) {
            out.push(Sides {
                release: stable.obj,
                stable,
                canary,
            });
        }
    }
    for c in inv.of("flagger.app", "Canary") {
        let Some(target) = c
            .value
            .pointer("/spec/targetRef/name")
            .and_then(Value::as_str)
        else {
            continue;
        };
        let ns = &c.key.namespace;
        let canary = inv.get("apps", "Deployment", ns, target);
        let stable = inv.get("apps", "Deployment", ns, &format!("{target}-primary"));
        if let (Some(stable), Some(canary)) =
            (stable.and_then(template_of), canary.and_then(template_of))
        {
            out.push(Sides {
                release: c,
                stable,
                canary,
            });
        }
    }
    for r in inv.of("argoproj.io", "Rollout") {
        let stable_hash = r.value.pointer("/status/stableRS").and_then(Value::as_str);
        let current_hash = r
            .value
            .pointer("/status/currentPodHash")
            .and_then(Value::as_str);
        let Some(stable_hash) = stable_hash else {
            continue;
        };
        if Some(stable_hash) == current_hash {
            continue;
        }
        let stable = inv.of("apps", "ReplicaSet").find(|rs| {
            rs.key.namespace == r.key.namespace
                && rs
                    .labels()
                    .get("rollouts-pod-template-hash")
                    .map(String::as_str)
                    == Some(stable_hash)
        });
        if let (Some(stable), Some(canary)) =
            (stable.and_then(template_of), rollout_template(inv, r))
        {
            out.push(Sides {
                release: r,
                stable,
                canary,
            });
        }
    }
    out
}

/// A Rollout's own template, or that of the Deployment its workloadRef names.
pub fn rollout_template<'a>(inv: &'a Inventory, r: &'a Obj) -> Option<Template<'a>> {
    if let Some(t) = template_of(r).filter(|t| t.spec.get("containers").is_some()) {
        return Some(t);
    }
    let name = r.value.pointer("/spec/workloadRef/name")?.as_str()?;
    inv.get("apps", "Deployment", &r.key.namespace, name)
        .and_then(template_of)
}
