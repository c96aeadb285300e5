//! RBAC: who can change a release and through which binding, over-broad roles, and the
//! identity a release runs as.
//!
//! A RoleBinding that points at a ClusterRole grants that ClusterRole's rules inside the
//! binding's namespace, and an aggregated ClusterRole holds the rules of every ClusterRole
//! its selectors match; both count here.

use super::codes;
use super::finding;
use super::inventory::{Inventory, Obj};
use super::workloads;
use crate::model::Finding;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

/// Label of the roles and bindings the apiserver creates for itself.
const BOOTSTRAP_LABEL: &str = "kubernetes.io/bootstrapping";

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Subject {
    User(String),
    Group(String),
    ServiceAccount { namespace: String, name: String },
}

impl Subject {
    pub fn service_account(namespace: &str, name: &str) -> Subject {
        Subject::ServiceAccount {
            namespace: namespace.to_owned(),
            name: name.to_owned(),
        }
    }

    /// Whether a binding's subject `s` includes this subject.
    fn covered_by(&self, s: &Subject) -> bool {
        if self == s {
            return true;
        }
        match (self, s) {
            (Subject::ServiceAccount { namespace, .. }, Subject::Group(g)) => {
                g == "system:serviceaccounts"
                    || g == "system:authenticated"
                    || g.strip_prefix("system:serviceaccounts:") == Some(namespace)
            }
            (Subject::User(_), Subject::Group(g)) => g == "system:authenticated",
            _ => false,
        }
    }

    /// A system identity whose rights are the platform's, not the team's.
    fn is_system(&self) -> bool {
        match self {
            Subject::User(n) => n.starts_with("system:"),
            Subject::Group(g) => g == "system:masters" || g.starts_with("system:nodes"),
            Subject::ServiceAccount { namespace, .. } => namespace == "kube-system",
        }
    }
}

impl fmt::Display for Subject {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Subject::User(n) => write!(f, "User {n}"),
            Subject::Group(n) => write!(f, "Group {n}"),
            Subject::ServiceAccount { namespace, name } => {
                write!(f, "ServiceAccount {namespace}/{name}")
            }
        }
    }
}

/// A binding, read: the role it grants, to whom, and where.
pub struct Binding<'a> {
    pub obj: &'a Obj,
    pub role_kind: String,
    pub role_name: String,
    pub subjects: Vec<Subject>,
    /// The namespace it grants in; `None` for a ClusterRoleBinding (every namespace).
    pub scope: Option<String>,
}

/// One way a subject is allowed something.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Grant {
    pub subject: Subject,
    pub binding_kind: String,
    pub binding_namespace: String,
    pub binding_name: String,
    pub role_kind: String,
    pub role_name: String,
    /// The rule names no particular objects, so it covers them all.
    pub rule_unrestricted: bool,
}

impl Grant {
    /// The binding and role, as `RoleBinding ns/name → ClusterRole edit`.
    pub fn via(&self) -> String {
        let binding = if self.binding_namespace.is_empty() {
            format!("{} {}", self.binding_kind, self.binding_name)
        } else {
            format!(
                "{} {}/{}",
                self.binding_kind, self.binding_namespace, self.binding_name
            )
        };
        format!("{binding} → {} {}", self.role_kind, self.role_name)
    }
}

fn strings(v: Option<&Value>) -> Vec<&str> {
    v.and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default()
}

fn bootstrap(obj: &Obj) -> bool {
    obj.labels().get(BOOTSTRAP_LABEL).map(String::as_str) == Some("rbac-defaults")
}

/// Whether a label selector (matchLabels and matchExpressions) matches these labels.
pub fn selector_matches(selector: &Value, labels: &BTreeMap<String, String>) -> bool {
    let Some(sel) = selector.as_object() else {
        return false;
    };
    let labels_ok = sel
        .get("matchLabels")
        .and_then(Value::as_object)
        .is_none_or(|m| {
            m.iter()
                .all(|(k, v)| labels.get(k).map(String::as_str) == v.as_str())
        });
    let exprs_ok = sel
        .get("matchExpressions")
        .and_then(Value::as_array)
        .is_none_or(|exprs| {
            exprs.iter().all(|e| {
                let key = e.get("key").and_then(Value::as_str).unwrap_or_default();
                let values = strings(e.get("values"));
                let have = labels.get(key).map(String::as_str);
                match e.get("operator").and_then(Value::as_str) {
                    Some("In") => have.is_some_and(|h| values.contains(&h)),
                    Some("NotIn") => have.is_none_or(|h| !values.contains(&h)),
                    Some("Exists") => have.is_some(),
                    Some("DoesNotExist") => have.is_none(),
                    _ => false,
                }
            })
        });
    labels_ok && exprs_ok
}

/// A role's rules; a ClusterRole's include those of every ClusterRole it aggregates.
pub fn role_rules<'a>(
    inv: &'a Inventory,
    kind: &str,
    namespace: &str,
    name: &str,
) -> Vec<&'a Value> {
    let mut rules = Vec::new();
    if kind == "Role" {
        if let Some(role) = inv.get("rbac.authorization.k8s.io", "Role", namespace, name) {
            rules.extend(
                role.value
                    .get("rules")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten(),
            );
        }
        return rules;
    }
    let mut seen = BTreeSet::new();
    let mut todo = vec![name.to_owned()];
    while let Some(name) = todo.pop() {
        if !seen.insert(name.clone()) {
            continue;
        }
        let Some(role) = inv.get("rbac.authorization.k8s.io", "ClusterRole", "", &name) else {
            continue;
        };
        rules.extend(
            role.value
                .get("rules")
                .and_then(Value::as_array)
                .into_iter()
                .flatten(),
        );
        for selector in role
            .value
            .pointer("/aggregationRule/clusterRoleSelectors")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            for other in inv.of("rbac.authorization.k8s.io", "ClusterRole") {
                if selector_matches(selector, &other.labels()) {
                    todo.push(other.key.name.clone());
                }
            }
        }
    }
    rules
}

/// Every RoleBinding and ClusterRoleBinding.
pub fn bindings(inv: &Inventory) -> Vec<Binding<'_>> {
    let mut out = Vec::new();
    for kind in ["RoleBinding", "ClusterRoleBinding"] {
        for obj in inv.of("rbac.authorization.k8s.io", kind) {
            let v = &obj.value;
            let role_kind = v.pointer("/roleRef/kind").and_then(Value::as_str);
            let role_name = v.pointer("/roleRef/name").and_then(Value::as_str);
            let (Some(role_kind), Some(role_name)) = (role_kind, role_name) else {
                continue;
            };
            let scope = (kind == "RoleBinding").then(|| obj.key.namespace.clone());
            let subjects = v
                .get("subjects")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(|s| {
                    let name = s.get("name").and_then(Value::as_str)?.to_owned();
                    Some(match s.get("kind").and_then(Value::as_str)? {
                        "User" => Subject::User(name),
                        "Group" => Subject::Group(name),
                        "ServiceAccount" => Subject::ServiceAccount {
                            namespace: s
                                .get("namespace")
                                .and_then(Value::as_str)
                                .map(str::to_owned)
                                .or_else(|| scope.clone())
                                .unwrap_or_default(),
                            name,
                        },
                        _ => return None,
                    })
                })
                .collect();
            out.push(Binding {
                obj,
                role_kind: role_kind.to_owned(),
                role_name: role_name.to_owned(),
                subjects,
                scope,
            });
        }
    }
    out
}

/// Whether a rule allows `verb` on `group/resource` (named `name`, when given). A rule
/// with resourceNames does not allow a request that names no object.
pub fn rule_allows(
    rule: &Value,
    verb: &str,
    group: &str,
    resource: &str,
    name: Option<&str>,
) -> bool {
    let has = |field: &str, want: &str| {
        strings(rule.get(field))
            .iter()
            .any(|v| *v == "*" || *v == want)
    };
    let names = strings(rule.get("resourceNames"));
    has("verbs", verb)
        && has("apiGroups", group)
        && has("resources", resource)
        && (names.is_empty() || name.is_some_and(|n| names.contains(&n)))
}

/// Every grant that allows a request in `namespace`, to any subject (`who = None`) or to
/// one.
pub fn grants(
    inv: &Inventory,
    who: Option<&Subject>,
    request: (&str, &str, &str),
    namespace: &str,
    name: Option<&str>,
) -> Vec<Grant> {
    let (verb, group, resource) = request;
    let mut out = BTreeSet::new();
    for b in bindings(inv) {
        if b.scope.as_deref().is_some_and(|s| s != namespace) {
            continue;
        }
        let subjects: Vec<&Subject> = match who {
            Some(w) => b
                .subjects
                .iter()
                .filter(|s| w.covered_by(s))
                .map(|_| w)
                .collect(),
            None => b.subjects.iter().collect(),
        };
        if subjects.is_empty() {
            continue;
        }
        let role_ns = b.scope.as_deref().unwrap_or_default();
        let allowing: Vec<&Value> = role_rules(inv, &b.role_kind, role_ns, &b.role_name)
            .into_iter()
            .filter(|r| rule_allows(r, verb, group, resource, name))
            .collect();
        if allowing.is_empty() {
            continue;
        }
        let unrestricted = allowing
            .iter()
            .any(|r| strings(r.get("resourceNames")).is_empty());
        for s in subjects {
            out.insert(Grant {
                subject: s.clone(),
                binding_kind: b.obj.key.kind.clone(),
                binding_namespace: b.obj.key.namespace.clone(),
                binding_name: b.obj.key.name.clone(),
                role_kind: b.role_kind.clone(),
                role_name: b.role_name.clone(),
                rule_unrestricted: unrestricted,
            });
        }
    }
    out.into_iter().collect()
}

/// Grants of one request to one subject.
pub fn grants_for(
    inv: &Inventory,
    who: &Subject,
    verb: &str,
    group: &str,
    resource: &str,
    namespace: &str,
    name: Option<&str>,
) -> Vec<Grant> {
    grants(inv, Some(who), (verb, group, resource), namespace, name)
}

/// The API group and resource of a release object.
fn release_resource(obj: &Obj) -> Option<(&'static str, &'static str)> {
    match (obj.key.group.as_str(), obj.key.kind.as_str()) {
        ("apps", "Deployment") => Some(("apps", "deployments")),
        ("argoproj.io", "Rollout") => Some(("argoproj.io", "rollouts")),
        ("flagger.app", "Canary") => Some(("flagger.app", "canaries")),
        _ => None,
    }
}

/// Who can update or patch a release object: one entry per subject and binding, with the
/// verbs it grants.
pub fn who_can_change(inv: &Inventory, obj: &Obj) -> Vec<(Grant, Vec<&'static str>)> {
    let Some((group, resource)) = release_resource(obj) else {
        return Vec::new();
    };
    let mut by: BTreeMap<Grant, Vec<&'static str>> = BTreeMap::new();
    for verb in ["update", "patch"] {
        for mut g in grants(
            inv,
            None,
            (verb, group, resource),
            &obj.key.namespace,
            Some(&obj.key.name),
        ) {
            if g.subject.is_system() {
                continue;
            }
            g.rule_unrestricted = false;
            by.entry(g).or_default().push(verb);
        }
    }
    by.into_iter().collect()
}

pub fn check(inv: &Inventory, out: &mut Vec<Finding>) {
    for obj in inv.objects() {
        if release_resource(obj).is_none() {
            continue;
        }
        for (grant, verbs) in who_can_change(inv, obj) {
            out.push(finding(
                &codes::RBAC_CAN_CHANGE,
                &obj.id(),
                "",
                format!(
                    "{} can {} it through {}",
                    grant.subject,
                    verbs.join(", "),
                    grant.via()
                ),
            ));
        }
    }
    for kind in ["Role", "ClusterRole"] {
        for role in inv.of("rbac.authorization.k8s.io", kind) {
            if !bootstrap(role) {
                role_findings(role, out);
            }
        }
    }
    for b in bindings(inv) {
        if bootstrap(b.obj) || b.role_kind != "ClusterRole" || b.role_name != "cluster-admin" {
            continue;
        }
        for s in &b.subjects {
            if matches!(s, Subject::ServiceAccount { .. }) {
                out.push(finding(
                    &codes::RBAC_SA_CLUSTER_ADMIN,
                    &b.obj.id(),
                    "roleRef",
                    format!("{s} is bound to cluster-admin"),
                ));
            }
        }
    }
    for t in workloads::templates(inv) {
        identity_findings(inv, &t, out);
    }
}

fn role_findings(role: &Obj, out: &mut Vec<Finding>) {
    let id = role.id();
    for (i, rule) in role
        .value
        .get("rules")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .enumerate()
    {
        let verbs = strings(rule.get("verbs"));
        let resources = strings(rule.get("resources"));
        let groups = strings(rule.get("apiGroups"));
        for (field, list) in [("verbs", &verbs), ("resources", &resources)] {
            if list.contains(&"*") {
                out.push(finding(
                    &codes::RBAC_WILDCARD,
                    &id,
                    format!("rules[{i}].{field}"),
                    format!(
                        "rule {i} grants every {}",
                        if field == "verbs" { "verb" } else { "resource" }
                    ),
                ));
            }
        }
        let dangerous: Vec<&str> = verbs
            .iter()
            .copied()
            .filter(|v| matches!(*v, "bind" | "escalate" | "impersonate"))
            .collect();
        if !dangerous.is_empty() {
            out.push(finding(
                &codes::RBAC_ESCALATE,
                &id,
                format!("rules[{i}].verbs"),
                format!("rule {i} grants {}", dangerous.join(", ")),
            ));
        }
        let reads: Vec<&str> = verbs
            .iter()
            .copied()
            .filter(|v| matches!(*v, "get" | "list" | "watch"))
            .collect();
        let core = groups.iter().any(|g| g.is_empty() || *g == "*");
        let named = !strings(rule.get("resourceNames")).is_empty();
        if core && resources.contains(&"secrets") && !reads.is_empty() && !named {
            out.push(finding(
                &codes::RBAC_SECRET_READER,
                &id,
                format!("rules[{i}].resources"),
                format!("rule {i} can {} every Secret", reads.join(", ")),
            ));
        }
    }
}

fn identity_findings(inv: &Inventory, t: &workloads::Template, out: &mut Vec<Finding>) {
    let id = t.obj.id();
    let sa_name = t.service_account();
    if sa_name == "default" {
        out.push(finding(
            &codes::RBAC_DEFAULT_SA,
            &id,
            format!("{}.serviceAccountName", t.prefix),
            "runs as the namespace's default ServiceAccount",
        ));
    }
    let pod_says = t
        .spec
        .get("automountServiceAccountToken")
        .and_then(Value::as_bool);
    let sa_says = inv
        .get("", "ServiceAccount", t.namespace(), sa_name)
        .and_then(|sa| sa.value.get("automountServiceAccountToken"))
        .and_then(Value::as_bool);
    if pod_says.or(sa_says) != Some(false) {
        out.push(finding(
            &codes::RBAC_AUTOMOUNT,
            &id,
            format!("{}.automountServiceAccountToken", t.prefix),
            format!("pods get a token of ServiceAccount {sa_name} mounted"),
        ));
    }
}
