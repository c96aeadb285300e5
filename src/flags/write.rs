//! Writing an edited flag definition back where it came from, with optimistic concurrency:
//! the object is replaced only at the resourceVersion it was read at, so an edit made by
//! someone else in between is never overwritten (the API answers 409 Conflict instead).

use crate::cluster::actions::events::{ripcord_event, EventTarget};
use k8s_openapi::api::core::v1::{ConfigMap, Event};
use kube::api::{Api, DynamicObject, PostParams};
use kube::Client;
use serde_json::Value;

/// Where a flag set is stored, parsed from its source name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stored {
    FeatureFlag {
        namespace: String,
        name: String,
    },
    ConfigMap {
        namespace: String,
        name: String,
        key: String,
    },
}

impl Stored {
    /// `featureflag/NS/NAME` or `configmap/NS/NAME/KEY`; files and others are `None`.
    pub fn from_source(source: &str) -> Option<Stored> {
        let parts: Vec<&str> = source.splitn(4, '/').collect();
        match parts.as_slice() {
            ["featureflag", ns, name] => Some(Stored::FeatureFlag {
                namespace: ns.to_string(),
                name: name.to_string(),
            }),
            ["configmap", ns, name, key] => Some(Stored::ConfigMap {
                namespace: ns.to_string(),
                name: name.to_string(),
                key: key.to_string(),
            }),
            _ => None,
        }
    }

    fn namespace(&self) -> &str {
        match self {
            Stored::FeatureFlag { namespace, .. } | Stored::ConfigMap { namespace, .. } => {
                namespace
            }
        }
    }
}

/// A definition as read, with what writing it back needs.
#[derive(Debug, Clone)]
pub struct Loaded {
    pub stored: Stored,
    /// The flagd document: `spec.flagSpec`, or the ConfigMap key's JSON.
    pub document: Value,
    pub resource_version: String,
    /// The ConfigMap key's text as stored, edited in place when written back.
    pub text: Option<String>,
    object: Object,
}

#[derive(Debug, Clone)]
enum Object {
    FeatureFlag(Box<DynamicObject>, kube::api::ApiResource),
    ConfigMap(Box<ConfigMap>),
}

/// Why a definition could not be read or written.
#[derive(Debug)]
pub enum WriteError {
    Kube(kube::Error),
    /// Someone else changed the object since it was read; nothing was written.
    Conflict,
    /// What is stored is not a flag definition ripcord can edit.
    Unusable(String),
}

impl From<kube::Error> for WriteError {
    fn from(e: kube::Error) -> Self {
        match &e {
            kube::Error::Api(s) if s.code == 409 => WriteError::Conflict,
            _ => WriteError::Kube(e),
        }
    }
}

pub async fn load(client: &Client, stored: &Stored) -> Result<Loaded, WriteError> {
    match stored {
        Stored::FeatureFlag { namespace, name } => {
            let (resource, _) =
                kube::discovery::pinned_kind(client, &super::cluster::feature_flag_gvk()).await?;
            let api: Api<DynamicObject> =
                Api::namespaced_with(client.clone(), namespace, &resource);
            let object = api.get(name).await?;
            let document = object
                .data
                .get("spec")
                .and_then(|s| s.get("flagSpec"))
                .cloned()
                .ok_or_else(|| WriteError::Unusable(format!("{name} has no spec.flagSpec")))?;
            Ok(Loaded {
                stored: stored.clone(),
                document,
                resource_version: object.metadata.resource_version.clone().unwrap_or_default(),
                text: None,
                object: Object::FeatureFlag(Box::new(object), resource),
            })
        }
        Stored::ConfigMap {
            namespace,
            name,
            key,
        } => {
            let api: Api<ConfigMap> = Api::namespaced(client.clone(), namespace);
            let map = api.get(name).await?;
            let text = map
                .data
                .as_ref()
                .and_then(|d| d.get(key))
                .ok_or_else(|| WriteError::Unusable(format!("{name} has no key {key}")))?;
            let document = serde_json::from_str(text)
                .map_err(|e| WriteError::Unusable(format!("{name}/{key}: {e}")))?;
            Ok(Loaded {
                stored: stored.clone(),
                document,
                resource_version: map.metadata.resource_version.clone().unwrap_or_default(),
                text: Some(text.clone()),
                object: Object::ConfigMap(Box::new(map)),
            })
        }
    }
}

/// Replaces the stored definition with `document`, at the resourceVersion it was read at.
pub async fn store(client: &Client, loaded: &Loaded, document: &Value) -> Result<(), WriteError> {
    let params = PostParams {
        dry_run: false,
        field_manager: Some("ripcord".into()),
    };
    match &loaded.object {
        Object::FeatureFlag(object, resource) => {
            let mut object = (**object).clone();
            object.metadata.resource_version = Some(loaded.resource_version.clone());
            match object.data.get_mut("spec") {
                Some(Value::Object(spec)) => {
                    spec.insert("flagSpec".into(), document.clone());
                }
                _ => return Err(WriteError::Unusable("no spec".into())),
            }
            let name = object.metadata.name.clone().unwrap_or_default();
            let api: Api<DynamicObject> =
                Api::namespaced_with(client.clone(), loaded.stored.namespace(), resource);
            api.replace(&name, &params, &object).await?;
        }
        Object::ConfigMap(map) => {
            let mut map = (**map).clone();
            map.metadata.resource_version = Some(loaded.resource_version.clone());
            let Stored::ConfigMap { key, .. } = &loaded.stored else {
                return Err(WriteError::Unusable("not a ConfigMap".into()));
            };
            // Only the edited values change: the rest keeps its order, layout and newline.
            let text = match &loaded.text {
                Some(text) => super::edit::stored_text(text, &loaded.document, document),
                None => serde_json::to_string_pretty(document)
                    .map_err(|e| super::edit::EditError(e.to_string())),
            }
            .map_err(|e| WriteError::Unusable(e.0))?;
            map.data
                .get_or_insert_with(Default::default)
                .insert(key.clone(), text);
            let name = map.metadata.name.clone().unwrap_or_default();
            let api: Api<ConfigMap> = Api::namespaced(client.clone(), loaded.stored.namespace());
            api.replace(&name, &params, &map).await?;
        }
    }
    Ok(())
}

/// Posts a Kubernetes Event on the edited object: who changed what, and why.
pub async fn post_event(
    client: &Client,
    loaded: &Loaded,
    user: &str,
    message: &str,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<(), kube::Error> {
    let (api_version, kind, name, uid) = match &loaded.object {
        Object::FeatureFlag(o, _) => (
            "core.openfeature.dev/v1beta1",
            "FeatureFlag",
            o.metadata.name.clone().unwrap_or_default(),
            o.metadata.uid.clone(),
        ),
        Object::ConfigMap(m) => (
            "v1",
            "ConfigMap",
            m.metadata.name.clone().unwrap_or_default(),
            m.metadata.uid.clone(),
        ),
    };
    let ns = loaded.stored.namespace().to_string();
    let target = EventTarget {
        api_version,
        kind,
        namespace: &ns,
        name: &name,
        uid,
    };
    let event = ripcord_event(
        &target,
        "FlagEdited",
        "Normal",
        &format!("{user}: {message}"),
        user,
        now,
    );
    let api: Api<Event> = Api::namespaced(client.clone(), &ns);
    api.create(&PostParams::default(), &event).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sources_name_where_flags_are_stored() {
        assert_eq!(
            Stored::from_source("featureflag/shop/flags"),
            Some(Stored::FeatureFlag {
                namespace: "shop".into(),
                name: "flags".into()
            })
        );
        assert_eq!(
            Stored::from_source("configmap/shop/ui/a/b.json"),
            Some(Stored::ConfigMap {
                namespace: "shop".into(),
                name: "ui".into(),
                key: "a/b.json".into()
            })
        );
        assert_eq!(Stored::from_source("/tmp/flags.json"), None);
        assert_eq!(Stored::from_source("featureflag/shop"), None);
    }
}
