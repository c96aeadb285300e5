//! Security checks over Kubernetes objects: secrets, RBAC, images and pod security.
//!
//! Pure functions: objects go in (from manifest files or from the cluster), findings come
//! out. Nothing here does IO, and no finding carries a secret value: Secrets are reduced to
//! hashes of their keys as they enter the [`Inventory`], and matched credentials are masked.

pub mod codes;
pub mod images;
pub mod inventory;
pub mod load;
pub mod mask;
pub mod podsec;
pub mod rbac;
pub mod releases;
pub mod report;
pub mod rights;
pub mod secrets;
pub mod workloads;

pub use codes::{Code, CODES, CONSOLE_CODES};
pub use inventory::{Inventory, Obj, Source};

use crate::model::{Finding, FindingObject, Severity};

/// What a check run may be told beyond the objects.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Settings {
    /// Registries (or registry/repository prefixes) images may come from; empty allows any.
    pub allowed_registries: Vec<String>,
}

/// Every check over every object of the inventory, the most severe first.
pub fn run(inv: &Inventory, settings: &Settings) -> Vec<Finding> {
    let mut out = Vec::new();
    secrets::check(inv, &mut out);
    rbac::check(inv, &mut out);
    images::check(inv, settings, &mut out);
    podsec::check(inv, &mut out);
    sort(&mut out);
    out.dedup();
    out
}

/// Most severe first, then by object, code and path, so output is stable.
pub fn sort(findings: &mut [Finding]) {
    findings.sort_by(order);
}

/// The order `sort` puts findings in.
pub fn order(a: &Finding, b: &Finding) -> std::cmp::Ordering {
    b.severity
        .cmp(&a.severity)
        .then_with(|| a.object.cmp(&b.object))
        .then_with(|| a.code.cmp(b.code))
        .then_with(|| a.path.cmp(&b.path))
        .then_with(|| a.message.cmp(&b.message))
}

/// The worst severity among findings.
pub fn worst(findings: &[Finding]) -> Option<Severity> {
    findings.iter().map(|f| f.severity).max()
}

/// Builds a finding of a listed code; its severity is the code's.
pub(crate) fn finding(
    code: &Code,
    object: &FindingObject,
    path: impl Into<String>,
    message: impl Into<String>,
) -> Finding {
    Finding {
        code: code.id,
        severity: code.severity,
        object: object.clone(),
        path: path.into(),
        message: message.into(),
        remediation: code.remediation.to_owned(),
    }
}
