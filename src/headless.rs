//! The headless commands' parsing and output: the same model as the console, for scripts
//! and pipelines. Actions run through `service`, as the console's do.

use crate::cluster::access::AccessCache;
use crate::cluster::connect::Cluster;
use crate::cluster::watch::{
    classify, core_kinds, discovered_kinds, resolve_scope_detailed, Requested, Scope, ScopeError,
};
use crate::cluster::watched::list_rows;
use crate::model::derive::derive_namespace;
use crate::model::display::{columns, fit};
use crate::model::ops::ActionFailure;
use crate::model::{ClusterCache, Kind, Release, ReleaseKey};
use crate::service::Refusal;
use chrono::{DateTime, Utc};
use serde::Serialize;

/// Exit codes shared by every headless command.
pub mod exit {
    pub const OK: u8 = 0;
    /// The action or check failed.
    pub const FAILED: u8 = 1;
    pub const BAD_INPUT: u8 = 2;
    pub const DENIED: u8 = 3;
    pub const UNREACHABLE: u8 = 4;
    /// Nothing could be judged (the baseline has no pods): neither a pass nor a fail.
    pub const INCONCLUSIVE: u8 = 5;
}

/// A failure with the exit code it maps to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    pub code: u8,
    pub message: String,
}

impl Failure {
    pub fn new(code: u8, message: impl Into<String>) -> Self {
        Failure {
            code,
            message: message.into(),
        }
    }

    /// The failure's kind for `-o json`, in the words of `ActionFailure`'s kinds.
    pub fn kind(&self) -> &'static str {
        match self.code {
            exit::BAD_INPUT => "bad-input",
            exit::DENIED => "forbidden",
            exit::UNREACHABLE => "unreachable",
            exit::INCONCLUSIVE => "inconclusive",
            _ => "rejected",
        }
    }

    /// `{"kind": ..., "message": ...}`, the message made inert.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "kind": self.kind(),
            "message": crate::model::text::inert(&self.message),
        })
    }
}

impl From<&ActionFailure> for Failure {
    fn from(f: &ActionFailure) -> Self {
        let code = match f {
            ActionFailure::Forbidden(_) => exit::DENIED,
            ActionFailure::Unreachable(_) => exit::UNREACHABLE,
            ActionFailure::Rejected(_) => exit::FAILED,
        };
        Failure::new(code, f.to_string())
    }
}

impl From<&Refusal> for Failure {
    fn from(r: &Refusal) -> Self {
        let code = match r {
            Refusal::Unsupported(_) | Refusal::NeedsReason(_) | Refusal::NoCredentials(_) => {
                exit::BAD_INPUT
            }
            Refusal::ReadOnly(_) | Refusal::Denied(_) => exit::DENIED,
            Refusal::Unreachable(_) => exit::UNREACHABLE,
        };
        Failure::new(code, r.to_string())
    }
}

/// Reads `KIND/NAME` (or a bare `NAME`, any kind).
pub fn parse_target(text: &str) -> Result<(Option<Kind>, String), Failure> {
    let bad = || {
        Failure::new(
            exit::BAD_INPUT,
            format!("bad target {text:?}: expected deployment/NAME, pair/NAME, rollout/NAME or canary/NAME"),
        )
    };
    match text.split_once('/') {
        None if !text.is_empty() => Ok((None, text.to_owned())),
        None => Err(bad()),
        Some((kind, name)) if !name.is_empty() && !name.contains('/') => {
            let kind = match kind {
                "deployment" | "deploy" | "deployments" => Kind::Deployment,
                "pair" => Kind::CanaryPair,
                "rollout" | "rollouts" | "ro" => Kind::ArgoRollout,
                "canary" | "canaries" => Kind::FlaggerCanary,
                _ => return Err(bad()),
            };
            Ok((Some(kind), name.to_owned()))
        }
        Some(_) => Err(bad()),
    }
}

/// The exit code and message of a context that could not be read.
pub fn scope_failure(e: ScopeError) -> Failure {
    let code = match &e {
        ScopeError::Unreachable(_) => exit::UNREACHABLE,
        ScopeError::Denied(_) | ScopeError::CredentialsRejected(_) => exit::DENIED,
        ScopeError::Kubeconfig(_) => exit::BAD_INPUT,
    };
    Failure::new(code, e.to_string())
}

/// Every release in one context, from one LIST per kind and namespace. A custom kind
/// (Argo Rollouts, Flagger Canaries) the user may not list is reported once and skipped:
/// the Deployments still show.
pub async fn snapshot(
    cluster: &Cluster,
    requested: &Requested,
    configured: &[String],
    access: &AccessCache,
) -> Result<Vec<Release>, Failure> {
    let scope = resolve_scope_detailed(cluster, requested, configured, access)
        .await
        .map_err(|e| match e {
            ScopeError::Denied(why) => {
                scope_failure(ScopeError::Denied(format!("{}: {why}", cluster.context)))
            }
            other => scope_failure(other),
        })?;
    let namespaces: Vec<Option<String>> = match scope {
        Scope::AllNamespaces => vec![None],
        Scope::Namespaces(list) => list.into_iter().map(Some).collect(),
    };
    let mut kinds = core_kinds();
    kinds.extend(discovered_kinds(&cluster.client).await);
    let mut cache = ClusterCache::default();
    let mut skipped = std::collections::BTreeSet::new();
    for ns in &namespaces {
        for kind in &kinds {
            if skipped.contains(&kind.kind) {
                continue;
            }
            let plural = &kind.resource.plural;
            let listed = list_rows(&cluster.client, kind.kind, &kind.resource, ns.as_deref()).await;
            let (objects, malformed) = match listed {
                Ok(found) => found,
                Err(kube::Error::Api(s)) if s.is_forbidden() && kind.kind.is_custom() => {
                    eprintln!(
                        "ripcord: warning: {}: may not list {plural}.{}{}: skipped",
                        cluster.context,
                        kind.resource.group,
                        ns.as_deref()
                            .map(|n| format!(" in {n}"))
                            .unwrap_or_default()
                    );
                    skipped.insert(kind.kind);
                    continue;
                }
                Err(e) => {
                    return Err(scope_failure(classify(
                        &cluster.context,
                        &format!(
                            "cannot list {plural}{}",
                            ns.as_deref()
                                .map(|n| format!(" in {n}"))
                                .unwrap_or_default()
                        ),
                        &e,
                    )))
                }
            };
            // A malformed object is reported and skipped; the rest still show.
            for e in malformed {
                eprintln!("ripcord: warning: {}: {e}", cluster.context);
            }
            cache.replace_kind(kind.kind, ns.as_deref(), objects);
        }
    }
    Ok(cache
        .namespaces
        .iter()
        .flat_map(|(ns, rows)| derive_namespace(&cluster.context, ns, rows))
        .collect())
}

/// One release in `ripcord status -o json`. This shape is a stable interface.
#[derive(Debug, Serialize)]
pub struct ReleaseJson<'a> {
    pub context: &'a str,
    pub namespace: &'a str,
    pub kind: Kind,
    pub name: &'a str,
    pub strategy: crate::model::Strategy,
    pub phase: crate::model::Phase,
    pub message: &'a str,
    pub step: Option<StepJson>,
    pub weight: Option<u8>,
    pub stable: crate::model::Replicas,
    pub canary: crate::model::Replicas,
    pub verdict: Option<crate::model::Verdict>,
    pub verdict_reason: &'a str,
    pub revision: Option<i64>,
    pub created: Option<DateTime<Utc>>,
    pub revisions: &'a [crate::model::Revision],
    pub steps: &'a [crate::model::Step],
    pub conditions: &'a [crate::model::Condition],
    #[serde(skip_serializing_if = "Option::is_none")]
    pub argo: Option<&'a crate::model::ArgoDetail>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub flagger: Option<&'a crate::model::FlaggerDetail>,
}

#[derive(Debug, Serialize)]
pub struct StepJson {
    pub current: usize,
    pub total: usize,
}

impl<'a> From<&'a Release> for ReleaseJson<'a> {
    fn from(r: &'a Release) -> Self {
        ReleaseJson {
            context: &r.key.context,
            namespace: &r.key.namespace,
            kind: r.key.kind,
            name: &r.key.name,
            strategy: r.strategy,
            phase: r.phase,
            message: &r.message,
            step: r.step.map(|(current, total)| StepJson { current, total }),
            weight: r.weight,
            stable: r.stable,
            canary: r.canary,
            verdict: r.verdict,
            verdict_reason: &r.verdict_reason,
            revision: r.current_revision(),
            created: r.created,
            revisions: &r.revisions,
            steps: &r.steps,
            conditions: &r.conditions,
            argo: r.argo.as_deref(),
            flagger: r.flagger.as_deref(),
        }
    }
}

/// How wide `text` is on a terminal, in columns.
/// `text` made inert and fitted to `width` columns: cut with `…` when longer, padded when
/// shorter, so one long value never shifts the rest of its row.
pub fn cell(text: &str, width: usize) -> String {
    let width = u16::try_from(width).unwrap_or(u16::MAX);
    let text = fit(&crate::model::text::inert(text), width);
    let pad = usize::from(width).saturating_sub(columns(&text));
    format!("{text}{}", " ".repeat(pad))
}

/// One table row: each value fitted to its column, the last one left as it is (made inert).
pub fn table_row(values: &[&str], widths: &[usize]) -> String {
    let mut line = String::new();
    for (i, value) in values.iter().enumerate() {
        match widths.get(i) {
            Some(&w) if i + 1 < values.len() => {
                line.push_str(&cell(value, w));
                line.push(' ');
            }
            _ => line.push_str(&crate::model::text::inert(value)),
        }
    }
    line.truncate(line.trim_end().len());
    line.push('\n');
    line
}

/// `ripcord status` as a table, in the console's order. Columns are as wide as their
/// widest value, as kubectl's are: a name cut short is useless to a script.
pub fn status_table(releases: &[Release], now: DateTime<Utc>) -> String {
    use crate::model::display::{age_opt, kind_label, replicas};
    let header = [
        "CONTEXT",
        "NAMESPACE",
        "NAME",
        "KIND",
        "PHASE",
        "STEP",
        "WT",
        "STABLE",
        "CANARY",
        "VERDICT",
        "AGE",
    ];
    let mut rows: Vec<Vec<String>> = vec![header.iter().map(|h| h.to_string()).collect()];
    for r in releases {
        let step = r
            .step
            .map(|(n, m)| format!("{n}/{m}"))
            .unwrap_or_else(|| "-".into());
        let weight = r
            .weight
            .map(|w| format!("{w}%"))
            .unwrap_or_else(|| "-".into());
        rows.push(vec![
            r.key.context.clone(),
            r.key.namespace.clone(),
            r.key.name.clone(),
            kind_label(r, false).to_owned(),
            r.phase.label().to_owned(),
            step,
            weight,
            replicas(r.stable),
            replicas(r.canary),
            r.verdict.map(|v| v.label()).unwrap_or("-").to_owned(),
            age_opt(r.created, now),
        ]);
    }
    let mut widths = vec![0; header.len()];
    for row in &rows {
        for (w, value) in widths.iter_mut().zip(row) {
            *w = (*w).max(columns(&crate::model::text::inert(value)));
        }
    }
    let mut out = String::new();
    for row in &rows {
        let values: Vec<&str> = row.iter().map(String::as_str).collect();
        out.push_str(&table_row(&values, &widths));
    }
    out
}

/// Sorts what needs a human first, by the console's rule: failing first, production before
/// the rest at the same rank.
pub fn sort_releases(releases: &mut [Release], settings: &crate::config::Settings) {
    use crate::model::attention::attention_of;
    releases.sort_by_cached_key(|r| {
        let production = settings.is_production(&r.key.context);
        (attention_of(r, None, production).order(), r.key.clone())
    });
}

/// Keeps the releases a `status TARGET` asks for.
pub fn filter_target(releases: Vec<Release>, kind: Option<Kind>, name: &str) -> Vec<Release> {
    releases
        .into_iter()
        .filter(|r| r.key.name == name && kind.is_none_or(|k| k == r.key.kind))
        .collect()
}

/// Finds the release a target names in a snapshot, for its kind when the target gave none.
pub fn resolve_release(
    releases: &[Release],
    kind: Option<Kind>,
    name: &str,
) -> Result<ReleaseKey, Failure> {
    let found: Vec<&Release> = releases
        .iter()
        .filter(|r| r.key.name == name && kind.is_none_or(|k| k == r.key.kind))
        .collect();
    match found.as_slice() {
        [one] => Ok(one.key.clone()),
        [] => Err(Failure::new(
            exit::FAILED,
            format!("no release {name:?} found"),
        )),
        many => Err(Failure::new(
            exit::BAD_INPUT,
            format!(
                "{name:?} is ambiguous: {}; name it as KIND/NAME",
                many.iter()
                    .map(|r| r.key.to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        )),
    }
}

#[cfg(test)]
mod cell_tests {
    use super::{cell, table_row};

    #[test]
    fn a_cell_is_cut_with_an_ellipsis_padded_and_inert() {
        assert_eq!(cell("web", 6), "web   ");
        assert_eq!(cell("payments-api", 8), "payment…");
        // Wide characters count by the columns they take.
        assert_eq!(cell("漢字漢字", 5), "漢字…");
        assert_eq!(cell("漢字漢字", 6), "漢字… ");
        assert_eq!(cell("a\u{1b}]0;x\u{7}", 12), "a^[]0;x^G   ");
        assert_eq!(
            table_row(&["a-very-long-name", "x", "rest\r"], &[6, 3]),
            "a-ver… x   rest^M\n"
        );
    }
}
