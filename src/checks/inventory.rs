//! The objects a check run looks at, indexed by kind, namespace and name.
//!
//! A Secret never enters whole: it is reduced to a hash per key, and the findings about its
//! own metadata are made as it arrives, so no value is kept.

use super::secrets;
use crate::model::{Finding, FindingObject};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

/// Where an object was read from, for file:line in reports.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Source {
    pub file: String,
    pub line: usize,
}

/// Identifies an object: API group, kind, namespace ("" when cluster-scoped), name.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Key {
    pub group: String,
    pub kind: String,
    pub namespace: String,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Obj {
    pub key: Key,
    pub value: Value,
    pub source: Option<Source>,
}

impl Obj {
    pub fn id(&self) -> FindingObject {
        FindingObject {
            kind: self.key.kind.clone(),
            namespace: self.key.namespace.clone(),
            name: self.key.name.clone(),
        }
    }

    pub fn labels(&self) -> BTreeMap<String, String> {
        string_map(self.value.pointer("/metadata/labels"))
    }

    pub fn is(&self, group: &str, kind: &str) -> bool {
        self.key.group == group && self.key.kind == kind
    }
}

/// What is kept of a Secret: each key's hash.
#[derive(Debug, Clone, PartialEq)]
pub struct SecretInfo {
    pub key: Key,
    pub hashes: BTreeMap<String, u64>,
    pub source: Option<Source>,
    /// Findings about the Secret's own metadata, made as it was read.
    pub findings: Vec<Finding>,
}

impl SecretInfo {
    /// One hash over every key and value.
    pub fn content_hash(&self) -> u64 {
        let mut h = Fnv::new();
        for (k, v) in &self.hashes {
            h.write(k.as_bytes());
            h.write(&v.to_le_bytes());
        }
        h.finish()
    }
}

/// FNV-1a: stable across runs and platforms, which the std hasher does not promise.
pub(crate) struct Fnv(u64);

impl Fnv {
    pub fn new() -> Fnv {
        Fnv(0xcbf2_9ce4_8422_2325)
    }
    pub fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 ^= u64::from(*b);
            self.0 = self.0.wrapping_mul(0x0100_0000_01b3);
        }
        // A separator, so ("ab","c") and ("a","bc") differ.
        self.0 ^= 0xff;
        self.0 = self.0.wrapping_mul(0x0100_0000_01b3);
    }
    pub fn finish(&self) -> u64 {
        self.0
    }
}

pub(crate) fn hash_str(text: &str) -> u64 {
    let mut h = Fnv::new();
    h.write(text.as_bytes());
    h.finish()
}

/// Kinds without a namespace.
const CLUSTER_SCOPED: &[&str] = &[
    "ClusterRole",
    "ClusterRoleBinding",
    "Namespace",
    "Node",
    "PersistentVolume",
    "CustomResourceDefinition",
    "ClusterPolicy",
    "ClusterImagePolicy",
    "StorageClass",
    "PriorityClass",
    "ValidatingWebhookConfiguration",
    "MutatingWebhookConfiguration",
    "APIService",
];

#[derive(Debug, Clone, Default)]
pub struct Inventory {
    objects: BTreeMap<Key, Obj>,
    secrets: BTreeMap<(String, String), SecretInfo>,
    crds: BTreeSet<String>,
    /// Every Secret of the scope was listed, so one not seen does not exist.
    secrets_listed: bool,
}

/// Why an object could not enter the inventory.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ObjError {
    #[error("not a Kubernetes object: no {0}")]
    Missing(&'static str),
}

pub fn group_of(api_version: &str) -> &str {
    match api_version.rsplit_once('/') {
        Some((group, _)) => group,
        None => "",
    }
}

impl Inventory {
    pub fn new() -> Inventory {
        Inventory::default()
    }

    /// Says that every Secret in scope has been added, as a live cluster listing does;
    /// only then is a reference to an unseen Secret reported as missing.
    pub fn set_secrets_listed(&mut self, listed: bool) {
        self.secrets_listed = listed;
    }

    /// Whether a Secret not in the inventory can be taken as missing from `namespace`.
    pub fn secrets_known(&self, namespace: &str) -> bool {
        self.secrets_listed || self.secrets.keys().any(|(ns, _)| ns == namespace)
    }

    /// The key an object would have; `None` for something that is not an object.
    pub fn key_of(value: &Value) -> Result<Key, ObjError> {
        let api_version = value
            .get("apiVersion")
            .and_then(Value::as_str)
            .ok_or(ObjError::Missing("apiVersion"))?;
        let kind = value
            .get("kind")
            .and_then(Value::as_str)
            .ok_or(ObjError::Missing("kind"))?;
        let name = value
            .pointer("/metadata/name")
            .and_then(Value::as_str)
            .ok_or(ObjError::Missing("metadata.name"))?;
        let namespace = if CLUSTER_SCOPED.contains(&kind) {
            String::new()
        } else {
            value
                .pointer("/metadata/namespace")
                .and_then(Value::as_str)
                .filter(|ns| !ns.is_empty())
                .unwrap_or("default")
                .to_owned()
        };
        Ok(Key {
            group: group_of(api_version).to_owned(),
            kind: kind.to_owned(),
            namespace,
            name: name.to_owned(),
        })
    }

    /// Adds or replaces an object.
    pub fn upsert(&mut self, value: Value, source: Option<Source>) -> Result<Key, ObjError> {
        let key = Inventory::key_of(&value)?;
        if key.group.is_empty() && key.kind == "Secret" {
            let info = secrets::reduce_secret(&key, &value, source);
            self.secrets
                .insert((key.namespace.clone(), key.name.clone()), info);
            return Ok(key);
        }
        if key.kind == "CustomResourceDefinition" {
            self.crds.insert(key.name.clone());
        }
        self.objects.insert(
            key.clone(),
            Obj {
                key: key.clone(),
                value,
                source,
            },
        );
        Ok(key)
    }

    /// Removes an object; true when it was there.
    pub fn remove(&mut self, key: &Key) -> bool {
        if key.group.is_empty() && key.kind == "Secret" {
            return self
                .secrets
                .remove(&(key.namespace.clone(), key.name.clone()))
                .is_some();
        }
        if key.kind == "CustomResourceDefinition" {
            self.crds.remove(&key.name);
        }
        self.objects.remove(key).is_some()
    }

    /// Says a CRD exists without its object, as API discovery tells a live run.
    pub fn add_crd(&mut self, name: &str) {
        self.crds.insert(name.to_owned());
    }

    /// Whether a CRD (plural.group) exists, or objects of its kind were given.
    pub fn has_crd(&self, crd: &str, group: &str, kind: &str) -> bool {
        self.crds.contains(crd) || self.of(group, kind).next().is_some()
    }

    pub fn len(&self) -> usize {
        self.objects.len() + self.secrets.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn objects(&self) -> impl Iterator<Item = &Obj> {
        self.objects.values()
    }

    pub fn of<'a>(&'a self, group: &'a str, kind: &'a str) -> impl Iterator<Item = &'a Obj> {
        self.objects
            .values()
            .filter(move |o| o.key.kind == kind && o.key.group == group)
    }

    pub fn get(&self, group: &str, kind: &str, namespace: &str, name: &str) -> Option<&Obj> {
        self.objects.get(&Key {
            group: group.to_owned(),
            kind: kind.to_owned(),
            namespace: namespace.to_owned(),
            name: name.to_owned(),
        })
    }

    pub fn secret(&self, namespace: &str, name: &str) -> Option<&SecretInfo> {
        self.secrets.get(&(namespace.to_owned(), name.to_owned()))
    }

    pub fn secrets(&self) -> impl Iterator<Item = &SecretInfo> {
        self.secrets.values()
    }

    /// Where an object was read from.
    pub fn source_of(&self, object: &FindingObject) -> Option<&Source> {
        if object.kind == "Secret" {
            return self
                .secret(&object.namespace, &object.name)
                .and_then(|s| s.source.as_ref());
        }
        self.objects
            .values()
            .find(|o| {
                o.key.kind == object.kind
                    && o.key.namespace == object.namespace
                    && o.key.name == object.name
            })
            .and_then(|o| o.source.as_ref())
    }
}

pub(crate) fn string_map(v: Option<&Value>) -> BTreeMap<String, String> {
    v.and_then(Value::as_object)
        .map(|m| {
            m.iter()
                .filter_map(|(k, v)| v.as_str().map(|v| (k.clone(), v.to_owned())))
                .collect()
        })
        .unwrap_or_default()
}

impl Inventory {
    /// The objects of one namespace with every cluster-scoped one: what the checks of that
    /// namespace's releases read, so a change there re-checks it alone.
    pub fn namespace_view(&self, namespace: &str) -> Inventory {
        Inventory {
            objects: self
                .objects
                .iter()
                .filter(|(k, _)| k.namespace == namespace || k.namespace.is_empty())
                .map(|(k, o)| (k.clone(), o.clone()))
                .collect(),
            secrets: self
                .secrets
                .iter()
                .filter(|((ns, _), _)| ns == namespace)
                .map(|(k, s)| (k.clone(), s.clone()))
                .collect(),
            crds: self.crds.clone(),
            secrets_listed: self.secrets_listed,
        }
    }

    /// Namespaces that hold at least one object.
    pub fn namespaces(&self) -> BTreeSet<String> {
        self.objects
            .keys()
            .map(|k| k.namespace.clone())
            .chain(self.secrets.keys().map(|(ns, _)| ns.clone()))
            .filter(|ns| !ns.is_empty())
            .collect()
    }
}

impl Inventory {
    /// Keys of every object of a kind (Secrets included).
    pub fn keys_of<'a>(&'a self, group: &'a str, kind: &'a str) -> impl Iterator<Item = Key> + 'a {
        let secrets = (group.is_empty() && kind == "Secret")
            .then(|| self.secrets.values().map(|s| s.key.clone()))
            .into_iter()
            .flatten();
        self.objects
            .keys()
            .filter(move |k| k.group == group && k.kind == kind)
            .cloned()
            .chain(secrets)
    }
}

impl Inventory {
    /// Whether an object (or Secret) with this key is held.
    pub fn contains(&self, key: &Key) -> bool {
        if key.group.is_empty() && key.kind == "Secret" {
            return self.secret(&key.namespace, &key.name).is_some();
        }
        self.objects.contains_key(key)
    }
}
