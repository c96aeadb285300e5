//! Every finding code, with its severity, title and remediation. Codes are stable: tools
//! that read the JSON or SARIF output key on them, and the README lists them all.

use crate::model::Severity;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Code {
    pub id: &'static str,
    pub severity: Severity,
    pub title: &'static str,
    pub remediation: &'static str,
}

const fn code(
    id: &'static str,
    severity: Severity,
    title: &'static str,
    remediation: &'static str,
) -> Code {
    Code {
        id,
        severity,
        title,
        remediation,
    }
}

use Severity::{Critical, High, Low, Medium};

pub const SEC_ENV_LITERAL: Code = code(
    "SEC001",
    High,
    "credential-looking literal env value",
    "move the value into a Secret and read it with valueFrom.secretKeyRef; rotate it",
);
pub const SEC_AWS_KEY: Code = code(
    "SEC002",
    Critical,
    "AWS access key id in plain text",
    "rotate the key and keep it in a Secret (or use workload identity)",
);
pub const SEC_GITHUB_TOKEN: Code = code(
    "SEC003",
    Critical,
    "GitHub token in plain text",
    "revoke the token and keep its replacement in a Secret",
);
pub const SEC_SLACK_TOKEN: Code = code(
    "SEC004",
    Critical,
    "Slack token or webhook in plain text",
    "revoke the token and keep its replacement in a Secret",
);
pub const SEC_PRIVATE_KEY: Code = code(
    "SEC005",
    Critical,
    "PEM private key in plain text",
    "replace the key pair and mount the private key from a Secret",
);
pub const SEC_JWT: Code = code(
    "SEC006",
    High,
    "JSON Web Token in plain text",
    "revoke the token and keep its replacement in a Secret",
);
pub const SEC_CONFIG_CREDENTIAL: Code = code(
    "SEC007",
    High,
    "credential-looking value in a ConfigMap or annotation",
    "move the value into a Secret; ConfigMaps and annotations are readable by many",
);
pub const SEC_LAST_APPLIED: Code = code(
    "SEC008",
    High,
    "Secret data copied into last-applied-configuration",
    "apply Secrets with server-side apply or create them without --save-config, then rotate the values",
);
pub const SEC_MISSING_SECRET: Code = code(
    "SEC009",
    High,
    "reference to a Secret that does not exist",
    "create the Secret before the rollout, or mark the reference optional",
);
pub const SEC_MISSING_KEY: Code = code(
    "SEC010",
    High,
    "reference to a key missing from its Secret",
    "add the key to the Secret or fix the key name",
);
pub const SEC_CANARY_DRIFT: Code = code(
    "SEC011",
    Medium,
    "Secret content differs between stable and canary",
    "check that the canary is meant to run with different credentials",
);
pub const SEC_SA_READS_ALL: Code = code(
    "SEC012",
    High,
    "the release's ServiceAccount can read every Secret in its namespace",
    "grant get on the named Secrets it needs (resourceNames) instead of all Secrets",
);

pub const RBAC_CAN_CHANGE: Code = code(
    "RBAC001",
    Low,
    "who can update or patch the release",
    "remove bindings that grant more than the subject needs",
);
pub const RBAC_WILDCARD: Code = code(
    "RBAC002",
    High,
    "wildcard verb or resource in a role",
    "list the verbs and resources the role needs",
);
pub const RBAC_ESCALATE: Code = code(
    "RBAC003",
    High,
    "bind, escalate or impersonate granted",
    "drop bind, escalate and impersonate unless the subject administers RBAC",
);
pub const RBAC_SECRET_READER: Code = code(
    "RBAC004",
    Medium,
    "role reads Secrets",
    "limit Secret access to named Secrets with resourceNames",
);
pub const RBAC_SA_CLUSTER_ADMIN: Code = code(
    "RBAC005",
    Critical,
    "cluster-admin bound to a ServiceAccount",
    "bind a role with only the permissions the workload needs",
);
pub const RBAC_DEFAULT_SA: Code = code(
    "RBAC006",
    Low,
    "default ServiceAccount in use",
    "give the workload its own ServiceAccount (spec.serviceAccountName)",
);
pub const RBAC_AUTOMOUNT: Code = code(
    "RBAC007",
    Low,
    "ServiceAccount token mounted automatically",
    "set automountServiceAccountToken: false unless the workload calls the API",
);

/// Made by the console from the API server's answers about the user, not from objects.
pub const RBAC_OWN_RIGHTS: Code = code(
    "RBAC008",
    Low,
    "your own rights on the release",
    "none when these are the rights you need; else ask for a role granting update and patch on it",
);

pub const IMG_MUTABLE_TAG: Code = code(
    "IMG001",
    Medium,
    "image uses latest or no tag",
    "deploy a versioned tag pinned by digest (image@sha256:...)",
);
pub const IMG_NO_DIGEST: Code = code(
    "IMG002",
    Low,
    "image not pinned by digest",
    "pin the image by digest (image:tag@sha256:...)",
);
pub const IMG_CANARY_REGISTRY: Code = code(
    "IMG003",
    High,
    "canary image from a different registry than stable",
    "build the canary from the same registry as stable",
);
pub const IMG_REGISTRY: Code = code(
    "IMG004",
    High,
    "image registry outside the allow-list",
    "push the image to an allowed registry, or extend the allow-list",
);
pub const IMG_UNSIGNED: Code = code(
    "IMG005",
    Medium,
    "image not covered by a signature policy",
    "add the image to a Kyverno verifyImages rule or a sigstore ClusterImagePolicy",
);
pub const IMG_CRITICAL_VULNS: Code = code(
    "IMG006",
    Critical,
    "image has critical vulnerabilities",
    "rebuild on patched packages and base image",
);
pub const IMG_HIGH_VULNS: Code = code(
    "IMG007",
    High,
    "image has high vulnerabilities",
    "rebuild on patched packages and base image",
);
pub const IMG_NO_SCAN: Code = code(
    "IMG008",
    Low,
    "no vulnerability report for the image",
    "wait for trivy-operator to scan the image, or check why it has not",
);

pub const POD_PRIVILEGED: Code = code(
    "POD001",
    Medium,
    "privileged container",
    "drop privileged: true; add only the capabilities needed",
);
pub const POD_PRIV_ESCALATION: Code = code(
    "POD002",
    Low,
    "privilege escalation not disabled",
    "set securityContext.allowPrivilegeEscalation: false",
);
pub const POD_ROOT: Code = code(
    "POD003",
    Low,
    "may run as root",
    "set runAsNonRoot: true and a non-zero runAsUser",
);
pub const POD_HOST_PATH: Code = code(
    "POD004",
    Medium,
    "hostPath volume",
    "use a PersistentVolumeClaim, ConfigMap or emptyDir instead of the node's files",
);
pub const POD_HOST_NAMESPACE: Code = code(
    "POD005",
    Medium,
    "host network, PID or IPC namespace",
    "remove hostNetwork, hostPID and hostIPC",
);
pub const POD_CAPABILITIES: Code = code(
    "POD006",
    Low,
    "added Linux capabilities",
    "drop ALL capabilities and add back only what is needed",
);

/// Every code, in README order.
pub const CODES: &[Code] = &[
    SEC_ENV_LITERAL,
    SEC_AWS_KEY,
    SEC_GITHUB_TOKEN,
    SEC_SLACK_TOKEN,
    SEC_PRIVATE_KEY,
    SEC_JWT,
    SEC_CONFIG_CREDENTIAL,
    SEC_LAST_APPLIED,
    SEC_MISSING_SECRET,
    SEC_MISSING_KEY,
    SEC_CANARY_DRIFT,
    SEC_SA_READS_ALL,
    RBAC_CAN_CHANGE,
    RBAC_WILDCARD,
    RBAC_ESCALATE,
    RBAC_SECRET_READER,
    RBAC_SA_CLUSTER_ADMIN,
    RBAC_DEFAULT_SA,
    RBAC_AUTOMOUNT,
    IMG_MUTABLE_TAG,
    IMG_NO_DIGEST,
    IMG_CANARY_REGISTRY,
    IMG_REGISTRY,
    IMG_UNSIGNED,
    IMG_CRITICAL_VULNS,
    IMG_HIGH_VULNS,
    IMG_NO_SCAN,
    POD_PRIVILEGED,
    POD_PRIV_ESCALATION,
    POD_ROOT,
    POD_HOST_PATH,
    POD_HOST_NAMESPACE,
    POD_CAPABILITIES,
];

/// Codes the console makes beyond the checks over objects: no manifest can show them.
pub const CONSOLE_CODES: &[Code] = &[RBAC_OWN_RIGHTS];

/// The code with this id.
pub fn by_id(id: &str) -> Option<&'static Code> {
    CODES.iter().chain(CONSOLE_CODES).find(|c| c.id == id)
}
