//! The fields of built-in objects that rows are made of, read straight from JSON.
//!
//! One struct covers Deployments, ReplicaSets, Pods and Events: their fields do not clash, so
//! a single reader serves every built-in kind and whatever a row does not show (pod specs,
//! managedFields, most labels and annotations) is skipped without being allocated. That is
//! what keeps a 10,000-pod list cheap to read.

use chrono::{DateTime, Utc};
use serde::Deserialize;

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WireObject {
    pub metadata: Option<WireMeta>,
    pub spec: Option<WireSpec>,
    pub status: Option<WireStatus>,
    // Event fields, at the top level.
    pub involved_object: Option<WireInvolved>,
    #[serde(rename = "type")]
    pub type_: Option<String>,
    pub reason: Option<String>,
    pub message: Option<String>,
    pub count: Option<i32>,
    pub last_timestamp: Option<DateTime<Utc>>,
    pub event_time: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WireMeta {
    pub name: Option<String>,
    pub namespace: Option<String>,
    pub resource_version: Option<String>,
    pub generation: Option<i64>,
    pub creation_timestamp: Option<DateTime<Utc>>,
    pub deletion_timestamp: Option<serde::de::IgnoredAny>,
    pub labels: Option<WireLabels>,
    pub annotations: Option<WireAnnotations>,
    pub owner_references: Option<Vec<WireOwner>>,
}

/// The only labels a row reads (keys as in `objects`; a test keeps them in step).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct WireLabels {
    #[serde(rename = "pod-template-hash")]
    pub pod_template_hash: Option<String>,
    #[serde(rename = "rollouts-pod-template-hash")]
    pub rollouts_pod_template_hash: Option<String>,
    #[serde(rename = "ripcord.dev/canary-of")]
    pub canary_of: Option<String>,
}

/// The only annotations a row reads (kubectl's last-applied copy of the spec is not one).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct WireAnnotations {
    #[serde(rename = "deployment.kubernetes.io/revision")]
    pub revision: Option<String>,
    #[serde(rename = "rollout.argoproj.io/revision")]
    pub argo_revision: Option<String>,
    /// The ConfigMap of the release's analysis config (`ripcord.dev/analysis`).
    #[serde(rename = "ripcord.dev/analysis")]
    pub analysis: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct WireOwner {
    #[serde(default)]
    pub kind: String,
    #[serde(default)]
    pub name: String,
    pub controller: Option<bool>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct WireSpec {
    pub replicas: Option<i32>,
    pub paused: Option<bool>,
    pub strategy: Option<WireStrategy>,
    pub template: Option<WireTemplate>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct WireStrategy {
    #[serde(rename = "type")]
    pub type_: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct WireTemplate {
    pub spec: Option<WirePodSpec>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct WirePodSpec {
    pub containers: Option<Vec<WireContainer>>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct WireContainer {
    pub image: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WireStatus {
    // Deployments and ReplicaSets.
    pub observed_generation: Option<i64>,
    pub replicas: Option<i32>,
    pub updated_replicas: Option<i32>,
    pub ready_replicas: Option<i32>,
    pub available_replicas: Option<i32>,
    pub conditions: Option<Vec<WireCondition>>,
    // Pods.
    pub phase: Option<String>,
    pub container_statuses: Option<Vec<WireContainerStatus>>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct WireCondition {
    #[serde(rename = "type", default)]
    pub type_: String,
    #[serde(default)]
    pub status: String,
    pub reason: Option<String>,
    pub message: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WireContainerStatus {
    #[serde(default)]
    pub restart_count: i32,
    pub state: Option<WireContainerState>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct WireContainerState {
    pub waiting: Option<WireWaiting>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct WireWaiting {
    pub reason: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct WireInvolved {
    pub kind: Option<String>,
    pub name: Option<String>,
}

/// Just enough of an unreadable object to name it in the error and keep watching past it.
#[derive(Debug, Default, Deserialize)]
pub struct WireName {
    pub metadata: Option<WireNameMeta>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WireNameMeta {
    pub name: Option<String>,
    pub namespace: Option<String>,
    /// The watch resumes from it even when the rest of the object is unreadable.
    pub resource_version: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::objects::{ARGO_REVISION_ANNOTATION, CANARY_OF_LABEL, REVISION_ANNOTATION};
    use serde_json::json;

    #[test]
    fn the_label_and_annotation_keys_are_the_ones_the_rest_of_ripcord_names() {
        let meta: WireMeta = serde_json::from_value(json!({
            "labels": { CANARY_OF_LABEL: "web", "pod-template-hash": "h1", "app": "web" },
            "annotations": { REVISION_ANNOTATION: "3", ARGO_REVISION_ANNOTATION: "4",
                             "kubectl.kubernetes.io/last-applied-configuration": "{}" }
        }))
        .expect("metadata");
        let labels = meta.labels.expect("labels");
        assert_eq!(labels.canary_of.as_deref(), Some("web"));
        assert_eq!(labels.pod_template_hash.as_deref(), Some("h1"));
        let annotations = meta.annotations.expect("annotations");
        assert_eq!(annotations.revision.as_deref(), Some("3"));
        assert_eq!(annotations.argo_revision.as_deref(), Some("4"));
    }
}
