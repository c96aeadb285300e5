//! Secrets: credentials in plain text, references that cannot resolve, Secrets that differ
//! between stable and canary, and ServiceAccounts that read every Secret.

use super::codes::{self, Code};
use super::inventory::{hash_str, Fnv, Inventory, Key, SecretInfo, Source};
use super::mask::{credential_name, high_entropy, mask, scan};
use super::workloads::{self, Template};
use super::{finding, rbac};
use crate::model::{Finding, FindingObject};
use serde_json::Value;
use std::collections::BTreeMap;

pub const LAST_APPLIED: &str = "kubectl.kubernetes.io/last-applied-configuration";

/// Standard base64 to bytes; `None` for text that is not base64.
fn unbase64(text: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(text.len() * 3 / 4);
    let mut acc = 0u32;
    let mut bits = 0;
    for b in text.bytes() {
        let v = match b {
            b'A'..=b'Z' => b - b'A',
            b'a'..=b'z' => b - b'a' + 26,
            b'0'..=b'9' => b - b'0' + 52,
            b'+' | b'-' => 62,
            b'/' | b'_' => 63,
            b'=' | b'\n' | b'\r' | b' ' => continue,
            _ => return None,
        };
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    Some(out)
}

fn hash_bytes(bytes: &[u8]) -> u64 {
    let mut h = Fnv::new();
    h.write(bytes);
    h.finish()
}

/// Keeps of a Secret only a hash per key, and the findings about its metadata.
pub fn reduce_secret(key: &Key, value: &Value, source: Option<Source>) -> SecretInfo {
    let mut hashes = BTreeMap::new();
    if let Some(data) = value.get("data").and_then(Value::as_object) {
        for (k, v) in data {
            let text = v.as_str().unwrap_or_default();
            let h = unbase64(text).map_or_else(|| hash_str(text), |b| hash_bytes(&b));
            hashes.insert(k.clone(), h);
        }
    }
    if let Some(data) = value.get("stringData").and_then(Value::as_object) {
        for (k, v) in data {
            hashes.insert(
                k.clone(),
                hash_bytes(v.as_str().unwrap_or_default().as_bytes()),
            );
        }
    }
    let object = FindingObject {
        kind: key.kind.clone(),
        namespace: key.namespace.clone(),
        name: key.name.clone(),
    };
    let mut findings = Vec::new();
    annotation_findings(&object, value, true, &mut findings);
    SecretInfo {
        key: key.clone(),
        hashes,
        source,
        findings,
    }
}

/// Credentials of a known shape in `text`, one finding each.
fn shape_findings(
    object: &FindingObject,
    path: &str,
    what: &str,
    text: &str,
    out: &mut Vec<Finding>,
) {
    for m in scan(text) {
        let shown = mask(&text[m.start..m.end], Some(m.shape));
        out.push(finding(
            m.shape.code(),
            object,
            path,
            format!("{what} holds {} ({shown})", m.shape.describe()),
        ));
    }
}

/// A value under a credential-like name, when it looks generated and has no known shape.
fn named_value(
    code: &Code,
    object: &FindingObject,
    path: &str,
    what: &str,
    name: &str,
    value: &str,
    out: &mut Vec<Finding>,
) -> bool {
    if credential_name(name) && high_entropy(value) && scan(value).is_empty() {
        out.push(finding(
            code,
            object,
            path,
            format!(
                "{what} holds a literal that looks like a credential ({})",
                mask(value, None)
            ),
        ));
        return true;
    }
    false
}

fn annotation_findings(
    object: &FindingObject,
    value: &Value,
    secret: bool,
    out: &mut Vec<Finding>,
) {
    let Some(annotations) = value
        .pointer("/metadata/annotations")
        .and_then(Value::as_object)
    else {
        return;
    };
    for (name, v) in annotations {
        let Some(text) = v.as_str() else { continue };
        let path = format!("metadata.annotations[{name}]");
        if name == LAST_APPLIED {
            if secret && last_applied_has_data(text) {
                out.push(finding(
                    &codes::SEC_LAST_APPLIED,
                    object,
                    &path,
                    "the last-applied-configuration annotation holds a copy of the Secret's data, readable by anyone who can get the object's metadata",
                ));
                continue;
            }
            if !secret {
                shape_findings(
                    object,
                    &path,
                    "the last-applied-configuration annotation",
                    text,
                    out,
                );
            }
            continue;
        }
        let what = format!("annotation {name}");
        shape_findings(object, &path, &what, text, out);
        named_value(
            &codes::SEC_CONFIG_CREDENTIAL,
            object,
            &path,
            &what,
            name,
            text,
            out,
        );
    }
}

fn last_applied_has_data(text: &str) -> bool {
    serde_json::from_str::<Value>(text).is_ok_and(|v| {
        ["data", "stringData"].iter().any(|k| {
            v.get(k)
                .and_then(Value::as_object)
                .is_some_and(|m| !m.is_empty())
        })
    })
}

pub fn check(inv: &Inventory, out: &mut Vec<Finding>) {
    for s in inv.secrets() {
        out.extend(s.findings.iter().cloned());
    }
    for obj in inv.objects() {
        annotation_findings(&obj.id(), &obj.value, false, out);
        if obj.is("", "ConfigMap") {
            config_map(&obj.id(), &obj.value, out);
        }
    }
    for t in workloads::templates(inv) {
        env_literals(&t, out);
        references(inv, &t, out);
        reads_all_secrets(inv, &t, out);
    }
    for sides in workloads::sides(inv) {
        drift(inv, &sides, out);
    }
}

fn config_map(object: &FindingObject, value: &Value, out: &mut Vec<Finding>) {
    let Some(data) = value.get("data").and_then(Value::as_object) else {
        return;
    };
    for (key, v) in data {
        let Some(text) = v.as_str() else { continue };
        let path = format!("data[{key}]");
        let what = format!("key {key}");
        shape_findings(object, &path, &what, text, out);
        if named_value(
            &codes::SEC_CONFIG_CREDENTIAL,
            object,
            &path,
            &what,
            key,
            text,
            out,
        ) {
            continue;
        }
        // A config file inside the key: `name: value`, `name=value` or `"name": "value"` lines.
        for (n, line) in text.lines().enumerate() {
            let Some((name, value)) = line.split_once([':', '=']) else {
                continue;
            };
            let name = name.trim().trim_matches(['"', '\'', ' ']);
            let value = value
                .trim()
                .trim_end_matches(',')
                .trim_matches(['"', '\'', ' ']);
            let what = format!("line {} of key {key}", n + 1);
            named_value(
                &codes::SEC_CONFIG_CREDENTIAL,
                object,
                &path,
                &what,
                name,
                value,
                out,
            );
        }
    }
}

fn env_literals(t: &Template, out: &mut Vec<Finding>) {
    let object = t.obj.id();
    for (cpath, c) in t.containers() {
        let Some(env) = c.get("env").and_then(Value::as_array) else {
            continue;
        };
        for (i, e) in env.iter().enumerate() {
            let (Some(name), Some(value)) = (
                e.get("name").and_then(Value::as_str),
                e.get("value").and_then(Value::as_str),
            ) else {
                continue;
            };
            let path = format!("{cpath}.env[{i}].value");
            let what = format!("env {name}");
            shape_findings(&object, &path, &what, value, out);
            named_value(
                &codes::SEC_ENV_LITERAL,
                &object,
                &path,
                &what,
                name,
                value,
                out,
            );
        }
    }
}

/// A Secret reference found in a pod spec.
struct SecretRef<'a> {
    path: String,
    name: &'a str,
    keys: Vec<&'a str>,
    optional: bool,
}

fn optional(v: &Value) -> bool {
    v.get("optional").and_then(Value::as_bool) == Some(true)
}

fn item_keys(v: &Value) -> Vec<&str> {
    v.get("items")
        .and_then(Value::as_array)
        .map(|items| {
            items
                .iter()
                .filter_map(|i| i.get("key").and_then(Value::as_str))
                .collect()
        })
        .unwrap_or_default()
}

fn secret_refs<'a>(t: &Template<'a>) -> Vec<SecretRef<'a>> {
    let mut refs = Vec::new();
    for (cpath, c) in t.containers() {
        for (i, e) in c
            .get("env")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .enumerate()
        {
            if let Some(r) = e.pointer("/valueFrom/secretKeyRef") {
                if let Some(name) = r.get("name").and_then(Value::as_str) {
                    refs.push(SecretRef {
                        path: format!("{cpath}.env[{i}].valueFrom.secretKeyRef"),
                        name,
                        keys: r.get("key").and_then(Value::as_str).into_iter().collect(),
                        optional: optional(r),
                    });
                }
            }
        }
        for (i, e) in c
            .get("envFrom")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .enumerate()
        {
            if let Some(r) = e.get("secretRef") {
                if let Some(name) = r.get("name").and_then(Value::as_str) {
                    refs.push(SecretRef {
                        path: format!("{cpath}.envFrom[{i}].secretRef"),
                        name,
                        keys: vec![],
                        optional: optional(r),
                    });
                }
            }
        }
    }
    for (i, v) in t
        .spec
        .get("volumes")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .enumerate()
    {
        let vpath = format!("{}.volumes[{i}]", t.prefix);
        if let Some(s) = v.get("secret") {
            if let Some(name) = s.get("secretName").and_then(Value::as_str) {
                refs.push(SecretRef {
                    path: format!("{vpath}.secret"),
                    name,
                    keys: item_keys(s),
                    optional: optional(s),
                });
            }
        }
        for (j, src) in v
            .pointer("/projected/sources")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .enumerate()
        {
            if let Some(s) = src.get("secret") {
                if let Some(name) = s.get("name").and_then(Value::as_str) {
                    refs.push(SecretRef {
                        path: format!("{vpath}.projected.sources[{j}].secret"),
                        name,
                        keys: item_keys(s),
                        optional: optional(s),
                    });
                }
            }
        }
    }
    for (i, s) in t
        .spec
        .get("imagePullSecrets")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .enumerate()
    {
        if let Some(name) = s.get("name").and_then(Value::as_str) {
            refs.push(SecretRef {
                path: format!("{}.imagePullSecrets[{i}]", t.prefix),
                name,
                keys: vec![],
                optional: false,
            });
        }
    }
    refs
}

fn references(inv: &Inventory, t: &Template, out: &mut Vec<Finding>) {
    let ns = t.namespace();
    if !inv.secrets_known(ns) {
        return;
    }
    let object = t.obj.id();
    for r in secret_refs(t) {
        if r.optional {
            continue;
        }
        match inv.secret(ns, r.name) {
            None => out.push(finding(
                &codes::SEC_MISSING_SECRET,
                &object,
                &r.path,
                format!("Secret {ns}/{} does not exist; pods will not start", r.name),
            )),
            Some(s) => {
                for key in r.keys.iter().filter(|k| !s.hashes.contains_key(**k)) {
                    out.push(finding(
                        &codes::SEC_MISSING_KEY,
                        &object,
                        &r.path,
                        format!(
                            "Secret {ns}/{} has no key {key}; pods will not start",
                            r.name
                        ),
                    ));
                }
            }
        }
    }
}

fn reads_all_secrets(inv: &Inventory, t: &Template, out: &mut Vec<Finding>) {
    let ns = t.namespace();
    let sa = rbac::Subject::service_account(ns, t.service_account());
    let readers: Vec<_> = ["get", "list", "watch"]
        .into_iter()
        .filter_map(|verb| {
            rbac::grants_for(inv, &sa, verb, "", "secrets", ns, None)
                .into_iter()
                .find(|g| g.rule_unrestricted)
                .map(|g| (verb, g))
        })
        .collect();
    if let Some((_, grant)) = readers.first() {
        let verbs: Vec<&str> = readers.iter().map(|(v, _)| *v).collect();
        out.push(finding(
            &codes::SEC_SA_READS_ALL,
            &t.obj.id(),
            format!("{}.serviceAccountName", t.prefix),
            format!(
                "ServiceAccount {ns}/{} can {} every Secret in {ns} through {}",
                t.service_account(),
                verbs.join(", "),
                grant.via()
            ),
        ));
    }
}

/// Secrets read under the same env name or volume name on both sides, by content hash.
fn drift(inv: &Inventory, sides: &workloads::Sides, out: &mut Vec<Finding>) {
    let ns = sides.canary.namespace();
    let by_slot = |t: &Template| -> BTreeMap<String, (String, Option<u64>)> {
        let mut slots = BTreeMap::new();
        for (_, c) in t.containers() {
            for e in c.get("env").and_then(Value::as_array).into_iter().flatten() {
                let (Some(env), Some(r)) = (
                    e.get("name").and_then(Value::as_str),
                    e.pointer("/valueFrom/secretKeyRef"),
                ) else {
                    continue;
                };
                let name = r.get("name").and_then(Value::as_str).unwrap_or_default();
                let key = r.get("key").and_then(Value::as_str).unwrap_or_default();
                let hash = inv
                    .secret(ns, name)
                    .and_then(|s| s.hashes.get(key).copied());
                slots.insert(format!("env {env}"), (format!("{name}[{key}]"), hash));
            }
        }
        for v in t
            .spec
            .get("volumes")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let (Some(vol), Some(name)) = (
                v.get("name").and_then(Value::as_str),
                v.pointer("/secret/secretName").and_then(Value::as_str),
            ) else {
                continue;
            };
            let hash = inv.secret(ns, name).map(SecretInfo::content_hash);
            slots.insert(format!("volume {vol}"), (name.to_owned(), hash));
        }
        slots
    };
    let stable = by_slot(&sides.stable);
    let canary = by_slot(&sides.canary);
    for (slot, (canary_ref, canary_hash)) in &canary {
        let Some((stable_ref, stable_hash)) = stable.get(slot) else {
            continue;
        };
        if let (Some(a), Some(b)) = (stable_hash, canary_hash) {
            if a != b {
                out.push(finding(
                    &codes::SEC_CANARY_DRIFT,
                    &sides.release.id(),
                    "",
                    format!(
                        "{slot}: the canary reads Secret {canary_ref}, whose content differs from the stable's {stable_ref}"
                    ),
                ));
            }
        }
    }
}
