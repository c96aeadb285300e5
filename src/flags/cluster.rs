//! Flag definitions read from a cluster: OpenFeature Operator `FeatureFlag` resources
//! (`spec.flagSpec`), found through discovery and skipped quietly where the CRD is absent,
//! and flagd JSON in ConfigMaps carrying a label.

use super::{DefinitionError, FlagSet};
use k8s_openapi::api::core::v1::ConfigMap;
use kube::api::{Api, ApiResource, DynamicObject, GroupVersionKind, ListParams};
use kube::Client;

/// The label that marks a ConfigMap as holding flagd definitions, by default.
pub const DEFAULT_CONFIGMAP_LABEL: &str = "ripcord.dev/flagd";

/// The OpenFeature Operator's flag resource.
pub fn feature_flag_gvk() -> GroupVersionKind {
    GroupVersionKind::gvk("core.openfeature.dev", "v1beta1", "FeatureFlag")
}

/// What a cluster holds: the definitions that load, and the problems of those that do not.
#[derive(Debug, Default)]
pub struct Found {
    pub sets: Vec<FlagSet>,
    pub problems: Vec<DefinitionError>,
}

impl Found {
    fn add(&mut self, result: Result<FlagSet, DefinitionError>) {
        match result {
            Ok(set) => self.sets.push(set),
            Err(e) => self.problems.push(e),
        }
    }
}

/// A `FeatureFlag`'s `spec.flagSpec` as a flag set named `featureflag/NS/NAME`.
pub fn from_feature_flag(object: &DynamicObject) -> Result<FlagSet, DefinitionError> {
    let ns = object.metadata.namespace.as_deref().unwrap_or("");
    let name = object.metadata.name.as_deref().unwrap_or("");
    let source = format!("featureflag/{ns}/{name}");
    let spec = object
        .data
        .get("spec")
        .and_then(|s| s.get("flagSpec"))
        .cloned()
        .ok_or_else(|| DefinitionError {
            source: source.clone(),
            line: 0,
            column: 0,
            message: "no spec.flagSpec".into(),
        })?;
    // Positions in errors are those of `spec.flagSpec` as `jq` prints it (two-space indent).
    let text = serde_json::to_string_pretty(&spec).unwrap_or_default();
    FlagSet::from_value(&source, spec, Some(&text))
}

/// Every data key of a ConfigMap that ends in `.json` (or only `data_key`), each as a set
/// named `configmap/NS/NAME/KEY`.
pub fn from_config_map(
    map: &ConfigMap,
    data_key: Option<&str>,
) -> Vec<Result<FlagSet, DefinitionError>> {
    let ns = map.metadata.namespace.as_deref().unwrap_or("");
    let name = map.metadata.name.as_deref().unwrap_or("");
    let Some(data) = &map.data else {
        return Vec::new();
    };
    data.iter()
        .filter(|(key, _)| match data_key {
            Some(wanted) => key.as_str() == wanted,
            None => key.ends_with(".json"),
        })
        .map(|(key, text)| FlagSet::parse(&format!("configmap/{ns}/{name}/{key}"), text))
        .collect()
}

/// Where a ConfigMap source is found.
#[derive(Debug, Clone)]
pub struct ConfigMapSource {
    /// A label selector: `KEY` or `KEY=VALUE`.
    pub label: String,
    pub data_key: Option<String>,
}

impl Default for ConfigMapSource {
    fn default() -> Self {
        ConfigMapSource {
            label: DEFAULT_CONFIGMAP_LABEL.to_string(),
            data_key: None,
        }
    }
}

/// Lists the flag definitions in `namespace` (every namespace when `None`) with one LIST per
/// kind. The `FeatureFlag` kind is looked up first and skipped when the cluster has no CRD.
pub async fn list(
    client: &Client,
    namespace: Option<&str>,
    configmaps: &ConfigMapSource,
) -> Result<Found, kube::Error> {
    let mut found = Found::default();
    if let Ok((resource, _)) = kube::discovery::pinned_kind(client, &feature_flag_gvk()).await {
        let api: Api<DynamicObject> = dynamic_api(client, &resource, namespace);
        for object in api.list(&ListParams::default()).await?.items {
            found.add(from_feature_flag(&object));
        }
    }
    let api: Api<ConfigMap> = match namespace {
        Some(ns) => Api::namespaced(client.clone(), ns),
        None => Api::all(client.clone()),
    };
    let params = ListParams::default().labels(&configmaps.label);
    for map in api.list(&params).await?.items {
        for result in from_config_map(&map, configmaps.data_key.as_deref()) {
            found.add(result);
        }
    }
    Ok(found)
}

fn dynamic_api(
    client: &Client,
    resource: &ApiResource,
    namespace: Option<&str>,
) -> Api<DynamicObject> {
    match namespace {
        Some(ns) => Api::namespaced_with(client.clone(), ns, resource),
        None => Api::all_with(client.clone(), resource),
    }
}

/// The OpenFeature Operator's resource tying workloads to flag sources.
pub fn feature_flag_source_gvk() -> GroupVersionKind {
    GroupVersionKind::gvk("core.openfeature.dev", "v1beta1", "FeatureFlagSource")
}

/// What a release's pod template links it to: flag sources (as named in [`FlagSet::source`],
/// a ConfigMap's standing for all its keys) and single flag keys.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Links {
    pub sources: Vec<String>,
    pub keys: Vec<String>,
}

impl Links {
    /// Whether `key` from the set named `source` belongs to the release.
    pub fn covers(&self, source: &str, key: &str) -> bool {
        self.keys.iter().any(|k| k == key)
            || self
                .sources
                .iter()
                .any(|s| source == s || source.starts_with(&format!("{s}/")))
    }
}

/// The `FeatureFlag`s a `FeatureFlagSource` serves (`spec.sources[].source`, `NS/NAME` or a
/// name in its own namespace), as source names.
pub fn sources_of(feature_flag_source: &DynamicObject) -> Vec<String> {
    let ns = feature_flag_source
        .metadata
        .namespace
        .as_deref()
        .unwrap_or("");
    feature_flag_source
        .data
        .get("spec")
        .and_then(|s| s.get("sources"))
        .and_then(|s| s.as_array())
        .map(|list| {
            list.iter()
                .filter_map(|entry| entry.get("source").and_then(|s| s.as_str()))
                .map(|source| match source.split_once('/') {
                    Some((n, name)) => format!("featureflag/{n}/{name}"),
                    None => format!("featureflag/{ns}/{source}"),
                })
                .collect()
        })
        .unwrap_or_default()
}

/// Resolves what a pod template's annotations name in `namespace`: a
/// `FeatureFlagSource` through the operator's annotation; through `ripcord.dev/flags`, a
/// `FeatureFlag` or labelled ConfigMap by name, else a flag key.
pub async fn links(
    client: &Client,
    namespace: &str,
    annotations: &std::collections::BTreeMap<String, String>,
) -> Result<Links, kube::Error> {
    let mut links = Links::default();
    let operator = annotations
        .get("openfeature.dev/featureflagsource")
        .map(|v| split_names(v))
        .unwrap_or_default();
    if !operator.is_empty() {
        if let Ok((resource, _)) =
            kube::discovery::pinned_kind(client, &feature_flag_source_gvk()).await
        {
            let api: Api<DynamicObject> = dynamic_api(client, &resource, Some(namespace));
            for name in &operator {
                if let Some(object) = api.get_opt(name).await? {
                    links.sources.extend(sources_of(&object));
                }
            }
        }
    }
    for name in annotations
        .get("ripcord.dev/flags")
        .map(|v| split_names(v))
        .unwrap_or_default()
    {
        // A name may be a source in this namespace or a flag key: both are kept, and
        // whichever exists matches.
        links
            .sources
            .push(format!("featureflag/{namespace}/{name}"));
        links.sources.push(format!("configmap/{namespace}/{name}"));
        links.keys.push(name);
    }
    Ok(links)
}

/// The names in a comma-separated annotation value, blanks dropped.
pub(super) fn split_names(value: &str) -> Vec<String> {
    value
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reads_a_feature_flags_flag_spec() {
        let object: DynamicObject = serde_json::from_value(json!({
            "apiVersion": "core.openfeature.dev/v1beta1",
            "kind": "FeatureFlag",
            "metadata": {"name": "shop", "namespace": "prod"},
            "spec": {"flagSpec": {"flags": {"a": {"state": "ENABLED", "variants": {"x": 1}, "defaultVariant": "x"}}}}
        }))
        .expect("an object");
        let set = from_feature_flag(&object).expect("loads");
        assert_eq!(set.source, "featureflag/prod/shop");
        assert!(set.flags.contains_key("a"));

        let empty: DynamicObject = serde_json::from_value(json!({
            "apiVersion": "core.openfeature.dev/v1beta1", "kind": "FeatureFlag",
            "metadata": {"name": "e", "namespace": "prod"}, "spec": {}
        }))
        .expect("an object");
        let e = from_feature_flag(&empty).unwrap_err();
        assert_eq!(e.to_string(), "featureflag/prod/e: no spec.flagSpec");

        // A malformed flag is named with its position in the flagSpec as JSON.
        let bad: DynamicObject = serde_json::from_value(json!({
            "apiVersion": "core.openfeature.dev/v1beta1", "kind": "FeatureFlag",
            "metadata": {"name": "bad", "namespace": "prod"},
            "spec": {"flagSpec": {"flags": {"a": {"state": "ON", "variants": {"x": 1}}}}}
        }))
        .expect("an object");
        let set = from_feature_flag(&bad).expect("the set loads without the flag");
        let e = set.invalid["a"].to_string();
        assert!(e.starts_with("featureflag/prod/bad:3:5: flag \"a\""), "{e}");
    }

    #[test]
    fn reads_json_keys_of_a_config_map() {
        let map: ConfigMap = serde_json::from_value(json!({
            "metadata": {"name": "flags", "namespace": "prod"},
            "data": {
                "shop.json": "{\"flags\": {\"a\": {\"state\": \"ENABLED\", \"variants\": {\"x\": 1}}}}",
                "broken.json": "{\n\"flags\": [}",
                "README": "not flags"
            }
        }))
        .expect("a config map");
        let results = from_config_map(&map, None);
        assert_eq!(results.len(), 2);
        let errors: Vec<String> = results
            .iter()
            .filter_map(|r| r.as_ref().err().map(ToString::to_string))
            .collect();
        assert_eq!(errors.len(), 1);
        assert!(
            errors[0].starts_with("configmap/prod/flags/broken.json:2:"),
            "{errors:?}"
        );
        let only = from_config_map(&map, Some("shop.json"));
        assert_eq!(only.len(), 1);
        assert_eq!(
            only[0].as_ref().map(|s| s.source.clone()).ok(),
            Some("configmap/prod/flags/shop.json".to_string())
        );
    }

    #[test]
    fn a_feature_flag_source_names_feature_flags() {
        let object: DynamicObject = serde_json::from_value(json!({
            "apiVersion": "core.openfeature.dev/v1beta1", "kind": "FeatureFlagSource",
            "metadata": {"name": "src", "namespace": "shop"},
            "spec": {"sources": [{"source": "other/flags", "provider": "kubernetes"}, {"source": "local"}]}
        }))
        .expect("an object");
        assert_eq!(
            sources_of(&object),
            ["featureflag/other/flags", "featureflag/shop/local"]
        );
        let links = Links {
            sources: sources_of(&object),
            keys: vec!["dark-mode".into()],
        };
        assert!(links.covers("featureflag/other/flags", "anything"));
        assert!(links.covers("configmap/shop/x/y.json", "dark-mode"));
        assert!(!links.covers("featureflag/other/flags-2", "x"));
        let by_map = Links {
            sources: vec!["configmap/shop/ui".into()],
            keys: vec![],
        };
        assert!(by_map.covers("configmap/shop/ui/a.json", "k"));
        assert!(!by_map.covers("configmap/shop/ui2/a.json", "k"));
    }
}
