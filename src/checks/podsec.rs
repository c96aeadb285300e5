//! Pod security: what lets a container reach beyond itself. Lower severity than secrets,
//! RBAC and images: these widen the damage of a compromise rather than cause one.

use super::inventory::Inventory;
use super::workloads::{self, Template};
use super::{codes, finding};
use crate::model::Finding;
use serde_json::Value;

pub fn check(inv: &Inventory, out: &mut Vec<Finding>) {
    for t in workloads::templates(inv) {
        pod(&t, out);
    }
}

fn flag(v: &Value, pointer: &str) -> Option<bool> {
    v.pointer(pointer).and_then(Value::as_bool)
}

fn pod(t: &Template, out: &mut Vec<Finding>) {
    let id = t.obj.id();
    let spec = t.spec;
    let prefix = t.prefix;
    for field in ["hostNetwork", "hostPID", "hostIPC"] {
        if spec.get(field).and_then(Value::as_bool) == Some(true) {
            out.push(finding(
                &codes::POD_HOST_NAMESPACE,
                &id,
                format!("{prefix}.{field}"),
                format!("{field} shares the node's namespace with the pod"),
            ));
        }
    }
    for (i, v) in spec
        .get("volumes")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .enumerate()
    {
        if let Some(p) = v.pointer("/hostPath/path").and_then(Value::as_str) {
            out.push(finding(
                &codes::POD_HOST_PATH,
                &id,
                format!("{prefix}.volumes[{i}].hostPath"),
                format!("volume mounts the node's {p}"),
            ));
        }
    }
    let pod_non_root = flag(spec, "/securityContext/runAsNonRoot");
    let pod_user = spec
        .pointer("/securityContext/runAsUser")
        .and_then(Value::as_i64);
    for (cpath, c) in t.containers() {
        let name = c.get("name").and_then(Value::as_str).unwrap_or("?");
        if flag(c, "/securityContext/privileged") == Some(true) {
            out.push(finding(
                &codes::POD_PRIVILEGED,
                &id,
                format!("{cpath}.securityContext.privileged"),
                format!("container {name} is privileged: it has the node's devices and every capability"),
            ));
        }
        if flag(c, "/securityContext/allowPrivilegeEscalation") != Some(false) {
            out.push(finding(
                &codes::POD_PRIV_ESCALATION,
                &id,
                format!("{cpath}.securityContext.allowPrivilegeEscalation"),
                format!("container {name} may gain more privileges than its parent process"),
            ));
        }
        let user = c
            .pointer("/securityContext/runAsUser")
            .and_then(Value::as_i64)
            .or(pod_user);
        let non_root = flag(c, "/securityContext/runAsNonRoot").or(pod_non_root);
        if user == Some(0) {
            out.push(finding(
                &codes::POD_ROOT,
                &id,
                format!("{cpath}.securityContext.runAsUser"),
                format!("container {name} runs as root (user 0)"),
            ));
        } else if user.is_none() && non_root != Some(true) {
            out.push(finding(
                &codes::POD_ROOT,
                &id,
                format!("{cpath}.securityContext.runAsNonRoot"),
                format!("container {name} runs as root if its image says so"),
            ));
        }
        let added: Vec<&str> = c
            .pointer("/securityContext/capabilities/add")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .collect();
        if !added.is_empty() {
            out.push(finding(
                &codes::POD_CAPABILITIES,
                &id,
                format!("{cpath}.securityContext.capabilities.add"),
                format!("container {name} adds {}", added.join(", ")),
            ));
        }
    }
}
