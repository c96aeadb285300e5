//! An analysis config kept in the cluster: a ConfigMap named by the release's
//! `ripcord.dev/analysis` annotation, beside the workload it judges.

use crate::analysis::config::AnalysisConfig;
use crate::config::issues::ConfigIssue;
use crate::model::{Kind, ReleaseKey};
use k8s_openapi::api::core::v1::ConfigMap;
use kube::api::{Api, ApiResource, DynamicObject};
use kube::core::GroupVersionKind;
use std::collections::BTreeMap;
use std::path::Path;

/// The annotation on a release's object naming the ConfigMap of its analysis config.
pub const ANALYSIS_ANNOTATION: &str = "ripcord.dev/analysis";
/// The ConfigMap key that holds the TOML (the only key, when there is one).
pub const CONFIGMAP_KEY: &str = "analysis.toml";

/// The object that carries a release's annotations: a pair's stable Deployment, else the
/// release's own object.
fn annotated_object(kind: Kind) -> GroupVersionKind {
    match kind {
        Kind::Deployment | Kind::CanaryPair => GroupVersionKind::gvk("apps", "v1", "Deployment"),
        Kind::ArgoRollout => GroupVersionKind::gvk("argoproj.io", "v1alpha1", "Rollout"),
        Kind::FlaggerCanary => GroupVersionKind::gvk("flagger.app", "v1beta1", "Canary"),
    }
}

/// The ConfigMap the release's annotation names, if it has one.
pub async fn annotation(client: &kube::Client, key: &ReleaseKey) -> Result<Option<String>, String> {
    let resource = ApiResource::from_gvk(&annotated_object(key.kind));
    let api: Api<DynamicObject> = Api::namespaced_with(client.clone(), &key.namespace, &resource);
    let meta = api
        .get_metadata(&key.name)
        .await
        .map_err(|e| format!("reading the annotations of {key}: {e}"))?;
    Ok(meta
        .metadata
        .annotations
        .and_then(|mut a| a.remove(ANALYSIS_ANNOTATION))
        .map(|v| v.trim().to_owned())
        .filter(|v| !v.is_empty()))
}

/// The analysis config of a release whose annotation names a ConfigMap, read from the
/// release's namespace; `None` when the release has no annotation. Errors name the
/// ConfigMap and, for a bad config, the line.
pub async fn load_annotated(
    client: &kube::Client,
    key: &ReleaseKey,
) -> Result<Option<(String, AnalysisConfig)>, Vec<String>> {
    let Some(name) = annotation(client, key).await.map_err(|e| vec![e])? else {
        return Ok(None);
    };
    let api: Api<ConfigMap> = Api::namespaced(client.clone(), &key.namespace);
    let label = format!("configmap/{name} in {}", key.namespace);
    let map = api
        .get(&name)
        .await
        .map_err(|e| vec![fetch_error(key, &name, &e)])?;
    let data = map.data.unwrap_or_default();
    let (config, issues) = parse(&key.namespace, &name, &data);
    if issues.is_empty() {
        Ok(Some((label, config)))
    } else {
        Err(issues.iter().map(ToString::to_string).collect())
    }
}

/// Why the ConfigMap a release names could not be read, in a sentence: a missing one is
/// "not found", an API refusal its message, never the client's debug dump.
fn fetch_error(key: &ReleaseKey, name: &str, e: &kube::Error) -> String {
    let what = format!("configmap {}/{name}", key.namespace);
    match e {
        kube::Error::Api(s) if s.code == 404 => {
            format!("{what} not found (named by {ANALYSIS_ANNOTATION} on {key})")
        }
        kube::Error::Api(s) => format!(
            "{what} (named by {ANALYSIS_ANNOTATION} on {key}) could not be read: {} ({})",
            s.message, s.code
        ),
        other => format!(
            "{what} (named by {ANALYSIS_ANNOTATION} on {key}) could not be read: {}",
            crate::model::text::error_chain(other)
        ),
    }
}

/// Reads the config out of a ConfigMap's data: its `analysis.toml` key, or its only key.
/// Issues are placed as `configmap/NS/NAME/KEY:LINE:COLUMN`.
pub fn parse(
    namespace: &str,
    name: &str,
    data: &BTreeMap<String, String>,
) -> (AnalysisConfig, Vec<ConfigIssue>) {
    let file = format!("configmap/{namespace}/{name}");
    let entry = data
        .get_key_value(CONFIGMAP_KEY)
        .or_else(|| (data.len() == 1).then(|| data.iter().next()).flatten());
    match entry {
        Some((k, text)) => crate::config::analysis::load(Path::new(&format!("{file}/{k}")), text),
        None => (
            AnalysisConfig::default(),
            vec![ConfigIssue::new(
                file,
                format!(
                    "no {CONFIGMAP_KEY} key (keys: {})",
                    if data.is_empty() {
                        "none".to_owned()
                    } else {
                        data.keys().cloned().collect::<Vec<_>>().join(", ")
                    }
                ),
                format!("the analysis config under data.\"{CONFIGMAP_KEY}\""),
            )],
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bad_config_in_a_configmap_names_the_configmap_key_and_line() {
        let mut data = BTreeMap::new();
        data.insert(
            CONFIGMAP_KEY.to_owned(),
            "pass = 95\nconfidence = 7\n".to_owned(),
        );
        let (_, issues) = parse("shop", "web-analysis", &data);
        let text = issues[0].to_string();
        assert!(
            text.starts_with("configmap/shop/web-analysis/analysis.toml:2:"),
            "{text}"
        );
        data.clear();
        data.insert("other".into(), "x".into());
        data.insert("more".into(), "y".into());
        let (_, issues) = parse("shop", "web-analysis", &data);
        assert!(issues[0]
            .to_string()
            .contains("no analysis.toml key (keys: more, other)"));
    }
}
