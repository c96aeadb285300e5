//! Findings per release, as the console shows them: each finding goes to the release whose
//! object it is about, named as the console's derived releases are.

use super::inventory::{Inventory, Obj};
use super::{run, Settings};
use crate::model::objects::CANARY_OF_LABEL;
use crate::model::{Finding, Findings, Kind, ReleaseKey};
use serde_json::Value;
use std::collections::BTreeMap;

/// The release an object belongs to, as (kind, name), the way the console derives them:
/// a Flagger Canary claims its target and `-primary`, a canary pair its two Deployments, an
/// Argo Rollout the Deployment its workloadRef names.
pub fn release_of(
    inv: &Inventory,
    namespace: &str,
    kind: &str,
    name: &str,
) -> Option<(Kind, String)> {
    let in_ns = |group: &'static str, k: &'static str| {
        inv.of(group, k)
            .filter(move |o: &&Obj| o.key.namespace == namespace)
    };
    match kind {
        "Rollout" => Some((Kind::ArgoRollout, name.to_owned())),
        "Canary" => Some((Kind::FlaggerCanary, name.to_owned())),
        "Deployment" => {
            for c in in_ns("flagger.app", "Canary") {
                let target = c
                    .value
                    .pointer("/spec/targetRef/name")
                    .and_then(Value::as_str);
                if let Some(t) = target {
                    if name == t || name == format!("{t}-primary") {
                        return Some((Kind::FlaggerCanary, c.key.name.clone()));
                    }
                }
            }
            for r in in_ns("argoproj.io", "Rollout") {
                if r.value
                    .pointer("/spec/workloadRef/name")
                    .and_then(Value::as_str)
                    == Some(name)
                {
                    return Some((Kind::ArgoRollout, r.key.name.clone()));
                }
            }
            let d = inv.get("apps", "Deployment", namespace, name)?;
            if let Some(stable) = d.labels().get(CANARY_OF_LABEL) {
                if inv.get("apps", "Deployment", namespace, stable).is_some() {
                    return Some((Kind::CanaryPair, stable.clone()));
                }
            }
            let is_stable = in_ns("apps", "Deployment")
                .any(|o| o.labels().get(CANARY_OF_LABEL).map(String::as_str) == Some(name));
            Some((
                if is_stable {
                    Kind::CanaryPair
                } else {
                    Kind::Deployment
                },
                name.to_owned(),
            ))
        }
        _ => None,
    }
}

/// Every release of one namespace that has findings, with them, most severe first.
pub fn namespace_findings(
    inv: &Inventory,
    settings: &Settings,
    context: &str,
    namespace: &str,
) -> BTreeMap<ReleaseKey, Findings> {
    split_namespace(inv, settings, context, namespace).0
}

/// One run over a namespace: the findings of each release, and those on objects no release
/// claims (Roles, ConfigMaps, Secrets), for the namespace's security view.
pub fn split_namespace(
    inv: &Inventory,
    settings: &Settings,
    context: &str,
    namespace: &str,
) -> (BTreeMap<ReleaseKey, Findings>, Vec<Finding>) {
    let view = inv.namespace_view(namespace);
    let mut releases: BTreeMap<ReleaseKey, Findings> = BTreeMap::new();
    let mut rest = Vec::new();
    for f in run(&view, settings) {
        if f.object.namespace != namespace {
            continue;
        }
        match release_of(&view, namespace, &f.object.kind, &f.object.name) {
            Some((kind, name)) => {
                let key = ReleaseKey {
                    context: context.to_owned(),
                    namespace: namespace.to_owned(),
                    kind,
                    name,
                };
                releases.entry(key).or_default().items.push(f);
            }
            None => rest.push(f),
        }
    }
    (releases, rest)
}

/// Findings of the objects of one namespace that no release claims (Roles, ConfigMaps,
/// Secrets), for the namespace's security view.
pub fn unclaimed(inv: &Inventory, settings: &Settings, namespace: &str) -> Vec<Finding> {
    split_namespace(inv, settings, "", namespace).1
}
