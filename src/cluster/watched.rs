//! What a watch deserializes each object into before it becomes a row.
//!
//! Built-in kinds are read straight into their row fields ([`WireObject`]): a pod's spec and
//! managedFields, most of its JSON, are skipped rather than built into a tree. Custom kinds
//! stay [`DynamicObject`]s, whose shape varies by controller version.

use crate::model::objects::{builtin_row, custom_row, Object, ObjectError, ObjectKind};
use crate::model::wire::{WireName, WireObject};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use kube::api::{Api, ApiResource, DynamicObject, ListParams};
use kube::core::{DynamicResourceScope, Resource};
use serde::de::{Deserialize, DeserializeOwned, Deserializer};
use serde_json::value::RawValue;
use std::borrow::Cow;
use std::fmt::Debug;

/// An object type a watch can deliver, and how it becomes a row.
pub trait Watchable:
    Resource<DynamicType = ApiResource, Scope = DynamicResourceScope>
    + Clone
    + Debug
    + DeserializeOwned
    + Send
    + 'static
{
    fn into_row(self, kind: ObjectKind) -> Result<Object, ObjectError>;
}

/// A built-in object as a watch delivered it. A malformed one is kept as its error, so one
/// bad object is reported by name instead of failing the whole list. It is read from the
/// raw text in place, which list pages and watch events (the apiserver writes "type" before
/// "object") both allow.
#[derive(Debug, Clone)]
pub struct WatchedObject {
    /// Name, namespace and resourceVersion: what the watcher itself needs.
    metadata: ObjectMeta,
    body: Result<WireObject, String>,
}

impl<'de> Deserialize<'de> for WatchedObject {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = Box::<RawValue>::deserialize(d)?;
        let (metadata, body) = match serde_json::from_str::<WireObject>(raw.get()) {
            Ok(o) => {
                let m = o.metadata.as_ref();
                let metadata = ObjectMeta {
                    name: m.and_then(|m| m.name.clone()),
                    namespace: m.and_then(|m| m.namespace.clone()),
                    resource_version: m.and_then(|m| m.resource_version.clone()),
                    ..ObjectMeta::default()
                };
                (metadata, Ok(o))
            }
            Err(e) => {
                let m = serde_json::from_str::<WireName>(raw.get())
                    .ok()
                    .and_then(|n| n.metadata)
                    .unwrap_or_default();
                let metadata = ObjectMeta {
                    name: m.name,
                    namespace: m.namespace,
                    resource_version: m.resource_version,
                    ..ObjectMeta::default()
                };
                (metadata, Err(e.to_string()))
            }
        };
        Ok(WatchedObject { metadata, body })
    }
}

impl Resource for WatchedObject {
    type DynamicType = ApiResource;
    type Scope = DynamicResourceScope;

    fn kind(dt: &ApiResource) -> Cow<'_, str> {
        dt.kind.as_str().into()
    }
    fn group(dt: &ApiResource) -> Cow<'_, str> {
        dt.group.as_str().into()
    }
    fn version(dt: &ApiResource) -> Cow<'_, str> {
        dt.version.as_str().into()
    }
    fn api_version(dt: &ApiResource) -> Cow<'_, str> {
        dt.api_version.as_str().into()
    }
    fn plural(dt: &ApiResource) -> Cow<'_, str> {
        dt.plural.as_str().into()
    }
    fn meta(&self) -> &ObjectMeta {
        &self.metadata
    }
    fn meta_mut(&mut self) -> &mut ObjectMeta {
        &mut self.metadata
    }
}

impl Watchable for WatchedObject {
    fn into_row(self, kind: ObjectKind) -> Result<Object, ObjectError> {
        let named = |problem| ObjectError {
            object: format!(
                "{kind} {}/{}",
                self.metadata.namespace.as_deref().unwrap_or_default(),
                self.metadata.name.as_deref().unwrap_or("(unnamed)")
            ),
            problem,
        };
        match self.body {
            Ok(o) => builtin_row(kind, o),
            Err(problem) => Err(named(problem)),
        }
    }
}

impl Watchable for DynamicObject {
    fn into_row(mut self, kind: ObjectKind) -> Result<Object, ObjectError> {
        // managedFields is none of a row: drop it before converting.
        self.metadata.managed_fields = None;
        let json = serde_json::to_value(&self).map_err(|e| ObjectError {
            object: format!("{kind}"),
            problem: e.to_string(),
        })?;
        custom_row(kind, &json)
    }
}

/// Lists one kind in one namespace (all when `None`) page by page, as rows. A malformed
/// object comes back as an error beside the rows; the rest still count.
pub async fn list_rows(
    client: &kube::Client,
    kind: ObjectKind,
    resource: &ApiResource,
    namespace: Option<&str>,
) -> Result<(Vec<Object>, Vec<ObjectError>), kube::Error> {
    if kind.is_custom() {
        list_pages::<DynamicObject>(client, kind, resource, namespace).await
    } else {
        list_pages::<WatchedObject>(client, kind, resource, namespace).await
    }
}

/// The API of one kind in one namespace, or in all of them when `None`.
pub fn api_in<K: Watchable>(
    client: &kube::Client,
    resource: &ApiResource,
    namespace: Option<&str>,
) -> Api<K> {
    match namespace {
        Some(ns) => Api::namespaced_with(client.clone(), ns, resource),
        None => Api::all_with(client.clone(), resource),
    }
}

async fn list_pages<K: Watchable>(
    client: &kube::Client,
    kind: ObjectKind,
    resource: &ApiResource,
    namespace: Option<&str>,
) -> Result<(Vec<Object>, Vec<ObjectError>), kube::Error> {
    let api: Api<K> = api_in(client, resource, namespace);
    let (mut rows, mut errors) = (Vec::new(), Vec::new());
    let mut params = ListParams::default().limit(500);
    loop {
        let page = api.list(&params).await?;
        for item in page.items {
            match item.into_row(kind) {
                Ok(row) => rows.push(row),
                Err(e) => errors.push(e),
            }
        }
        match page.metadata.continue_ {
            Some(token) if !token.is_empty() => params = params.continue_token(&token),
            _ => return Ok((rows, errors)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::objects::Object;
    use kube::core::{ObjectList, WatchEvent};
    use serde_json::json;

    fn pod(name: &str, restarts: serde_json::Value) -> serde_json::Value {
        json!({
            "metadata": {
                "name": name, "namespace": "shop", "resourceVersion": "42",
                "creationTimestamp": "2026-11-22T01:02:03Z",
                "labels": { "app": "web", "pod-template-hash": "abc123" },
                "annotations": { "kubectl.kubernetes.io/last-applied-configuration": "{}" },
                "ownerReferences": [{ "apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "web-abc123", "uid": "u", "controller": true }],
                "managedFields": [{ "manager": "kubelet", "operation": "Update", "fieldsType": "FieldsV1", "fieldsV1": { "f:status": {} } }]
            },
            "spec": { "containers": [{ "name": "app", "image": "web:1", "env": [{ "name": "A", "value": "1" }] }] },
            "status": {
                "phase": "Running",
                "conditions": [{ "type": "Ready", "status": "True" }],
                "containerStatuses": [{ "name": "app", "restartCount": restarts, "state": { "waiting": { "reason": "CrashLoopBackOff" } } }]
            }
        })
    }

    #[test]
    fn a_list_page_reads_into_rows_and_a_malformed_item_names_itself_without_failing_the_page() {
        let page = json!({
            "kind": "PodList", "apiVersion": "v1",
            "metadata": { "resourceVersion": "43" },
            "items": [pod("web-1", json!(3)), pod("web-2", json!("three"))]
        });
        let list: ObjectList<WatchedObject> =
            serde_json::from_str(&page.to_string()).expect("the page itself is fine");
        let [good, bad] = <[WatchedObject; 2]>::try_from(list.items).expect("two items");
        assert_eq!(good.meta().resource_version.as_deref(), Some("42"));
        let Ok(Object::Pod(row)) = good.into_row(ObjectKind::Pod) else {
            panic!("a pod row")
        };
        assert_eq!(
            (row.meta.name.as_str(), row.template_hash.as_str()),
            ("web-1", "abc123")
        );
        assert_eq!(
            (row.status.as_str(), row.restarts, row.ready),
            ("CrashLoopBackOff", 3, true)
        );
        assert_eq!(
            row.meta.owner,
            Some(("ReplicaSet".into(), "web-abc123".into()))
        );
        assert_eq!(
            row.meta.created.map(|t| t.to_rfc3339()).as_deref(),
            Some("2026-11-22T01:02:03+00:00")
        );
        let err = bad
            .into_row(ObjectKind::Pod)
            .expect_err("a string restart count");
        assert!(err.to_string().starts_with("Pod shop/web-2: "), "{err}");
    }

    #[test]
    fn a_watch_event_carries_the_row_and_the_resource_version_the_watch_resumes_from() {
        // As the apiserver writes it: "type" before "object", so the object is read in place.
        let line = format!(
            r#"{{"type":"MODIFIED","object":{}}}"#,
            pod("web-1", json!(0))
        );
        let event: WatchEvent<WatchedObject> = serde_json::from_str(&line).expect("an event");
        let WatchEvent::Modified(obj) = event else {
            panic!("a MODIFIED event")
        };
        assert_eq!(obj.meta().resource_version.as_deref(), Some("42"));
        assert!(matches!(obj.into_row(ObjectKind::Pod), Ok(Object::Pod(_))));
    }

    #[test]
    fn a_malformed_object_in_a_watch_event_still_carries_its_resource_version() {
        // Without one the watcher would give up on the watch and list everything again.
        let line = format!(
            r#"{{"type":"MODIFIED","object":{}}}"#,
            pod("web-2", json!("three"))
        );
        let event: WatchEvent<WatchedObject> = serde_json::from_str(&line).expect("an event");
        let WatchEvent::Modified(obj) = event else {
            panic!("a MODIFIED event")
        };
        assert_eq!(obj.meta().resource_version.as_deref(), Some("42"));
        let err = obj
            .into_row(ObjectKind::Pod)
            .expect_err("a string restart count");
        assert!(err.to_string().starts_with("Pod shop/web-2: "), "{err}");
    }
}
