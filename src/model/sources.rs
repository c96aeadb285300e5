//! What sources beside the cluster know about a release: feature flags and findings.
//! Each source sends its own kind, so one never overwrites another's.

use serde::Serialize;

/// The feature flags a flag source ties to one release: flagd definitions, shown and
/// evaluated by `crate::flags`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Flags {
    pub flags: Vec<crate::flags::Flag>,
    /// What the user should know about these flags: a key defined by two sources.
    pub warnings: Vec<String>,
}

impl Flags {
    pub const NONE: &'static Flags = &Flags {
        flags: Vec::new(),
        warnings: Vec::new(),
    };
}

/// How bad a finding is, least first, so `max` gives the worst.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Severity {
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    pub const ALL: [Severity; 4] = [
        Severity::Critical,
        Severity::High,
        Severity::Medium,
        Severity::Low,
    ];

    pub fn word(self) -> &'static str {
        match self {
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }

    /// Reads a severity as a user types it.
    pub fn parse(text: &str) -> Option<Severity> {
        Severity::ALL
            .into_iter()
            .find(|s| s.word().eq_ignore_ascii_case(text.trim()))
    }
}

impl std::fmt::Display for Severity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.word())
    }
}

/// The object a finding is about; `namespace` is empty for cluster-scoped objects.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct FindingObject {
    pub kind: String,
    pub namespace: String,
    pub name: String,
}

impl std::fmt::Display for FindingObject {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.namespace.is_empty() {
            write!(f, "{} {}", self.kind, self.name)
        } else {
            write!(f, "{} {}/{}", self.kind, self.namespace, self.name)
        }
    }
}

/// One thing the checks found wrong. Its text never holds a secret value: matched
/// credentials are masked before a finding is made.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// Stable code, listed in the README.
    pub code: &'static str,
    pub severity: Severity,
    pub object: FindingObject,
    /// Field path inside the object, as `spec.template.spec.containers[0].env[1].value`.
    pub path: String,
    pub message: String,
    pub remediation: String,
}
/// What the checks found wrong with one release.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Findings {
    pub items: Vec<Finding>,
}

impl Findings {
    pub const NONE: &'static Findings = &Findings { items: Vec::new() };
}

/// How far the security checks of one context have got, so a view can say what it lacks.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ChecksStatus {
    /// Watches whose first listing arrived (or was refused), of `total`.
    pub listed: usize,
    pub total: usize,
    /// Kinds the user may not list: the checks that read them cannot run.
    pub denied: Vec<String>,
}

impl ChecksStatus {
    /// Everything was listed, or refused.
    pub fn ready() -> ChecksStatus {
        ChecksStatus::default()
    }

    pub fn is_loading(&self) -> bool {
        self.listed < self.total
    }
}
