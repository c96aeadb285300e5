//! Flipping a flag from the console: the request, the diff shown before asking, and the
//! worlds that carry it out. On a cluster the edit goes through `edit` and `write`, as
//! `ripcord flags set` does: the user's right to write is checked first, the object is read
//! again so the diff is against what is stored now, and it is written only at the version
//! the user saw. The demo applies the same edits to its own flag set.

use super::edit::{self, Edit};
use super::write::{self, Stored, WriteError};
use crate::cluster::access::{AccessCache, AccessCheck};
use crate::cluster::connect::Cluster;
use crate::config::Settings;
use crate::journal::{Journal, JournalEntry};
use crate::model::ops::BoxFuture;
use crate::model::ReleaseKey;
use serde_json::Value;
use std::sync::Arc;

/// One edit of one flag, asked for from a release's flags tab.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlagRequest {
    /// The release whose flags tab asked: its context says which cluster.
    pub key: ReleaseKey,
    /// Where the flag is stored, as [`super::FlagSet::source`] names it.
    pub source: String,
    pub flag: String,
    pub edit: Edit,
    /// Why, as typed in the dialog; journaled and posted with the Event.
    pub reason: Option<String>,
}

impl FlagRequest {
    /// What the edit does, in words: `set checkout to DISABLED`.
    pub fn describe(&self) -> String {
        describe(&self.flag, &self.edit)
    }

    /// The journal's and the Event's message.
    pub fn message(&self) -> String {
        match self.reason.as_deref().filter(|r| !r.trim().is_empty()) {
            Some(reason) => format!("{} in {} because: {reason}", self.describe(), self.source),
            None => format!("{} in {}", self.describe(), self.source),
        }
    }
}

/// What `edit` does to flag `key`, in words: `set checkout to DISABLED`.
pub fn describe(key: &str, edit: &Edit) -> String {
    match edit {
        Edit::State(s) => format!("set {key} to {}", s.as_str()),
        Edit::DefaultVariant(v) => format!("set the default variant of {key} to {v}"),
        Edit::Weights(w) => format!("set the split of {key} to {}", edit::weights_text(w)),
    }
}

/// An edit checked against what is stored now: the diff to show, and the version of the
/// stored definition it was made against.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Prepared {
    pub request: FlagRequest,
    pub diff: String,
    pub version: String,
}

/// How a confirmed write ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Written {
    Done(String),
    /// Someone else changed the definition after the diff was shown; nothing was written.
    /// The edit against what is stored now, to be shown and asked about again.
    Changed(Box<Prepared>),
    Failed(String),
}

/// The edit applied to `document`, and the flag's diff: refused edits change nothing.
pub fn apply(document: &Value, request: &FlagRequest) -> Result<(Value, String), String> {
    let after = edit::apply(document, &request.flag, &request.edit)
        .map_err(|e| format!("refused, nothing was written: {e}"))?;
    let diff = edit::diff(document, &after, &request.flag);
    Ok((after, diff))
}

/// What carries out flag edits in one world.
pub trait FlagActuator: Send + Sync {
    /// Checks that the edit may be made (read-only, the user's rights), reads the flag's
    /// definition as it is now and applies the edit to it, writing nothing.
    fn prepare<'a>(&'a self, request: &'a FlagRequest) -> BoxFuture<'a, Result<Prepared, String>>;

    /// Writes the edit, only if the definition is still at `version`.
    fn write<'a>(&'a self, request: &'a FlagRequest, version: &'a str) -> BoxFuture<'a, Written>;
}

/// Flag edits on real clusters.
pub struct KubeFlags {
    clusters: Vec<Cluster>,
    access: Arc<AccessCache>,
    journal: Option<Journal>,
    settings: Settings,
    read_only: bool,
}

impl KubeFlags {
    pub fn new(
        clusters: Vec<Cluster>,
        access: Arc<AccessCache>,
        journal: Option<Journal>,
        settings: Settings,
        read_only: bool,
    ) -> Self {
        KubeFlags {
            clusters,
            access,
            journal,
            settings,
            read_only,
        }
    }

    /// The cluster and stored location of a request, once the read-only rules allow it.
    fn target(&self, request: &FlagRequest) -> Result<(&Cluster, Stored), String> {
        let context = &request.key.context;
        if self.read_only {
            return Err("ripcord runs read-only".into());
        }
        if self.settings.is_read_only(context) {
            return Err(format!("{context} is read-only in config.toml"));
        }
        let stored = Stored::from_source(&request.source)
            .ok_or_else(|| format!("{} cannot be written from the console", request.source))?;
        let cluster = self
            .clusters
            .iter()
            .find(|c| &c.context == context)
            .ok_or_else(|| format!("no connection to {context}"))?;
        Ok((cluster, stored))
    }

    async fn check_rights(&self, cluster: &Cluster, stored: &Stored) -> Result<(), String> {
        let (check, namespace) = match stored {
            Stored::FeatureFlag { namespace, .. } => (
                AccessCheck {
                    verb: "update",
                    group: "core.openfeature.dev",
                    resource: "featureflags",
                    subresource: None,
                },
                namespace,
            ),
            Stored::ConfigMap { namespace, .. } => (
                AccessCheck {
                    verb: "update",
                    group: "",
                    resource: "configmaps",
                    subresource: None,
                },
                namespace,
            ),
        };
        match self
            .access
            .allowed(&cluster.client, &cluster.context, namespace, check)
            .await
        {
            Ok(true) => Ok(()),
            Ok(false) => Err(format!(
                "{}: not allowed to update {} in {namespace}",
                cluster.context,
                check.resource_name()
            )),
            Err(e) => Err(format!("{}: checking permissions: {e}", cluster.context)),
        }
    }

    /// Journals one attempt to write; what could not be journaled, to be told.
    fn record(
        &self,
        cluster: &Cluster,
        stored: &Stored,
        request: &FlagRequest,
        result: &str,
    ) -> Option<String> {
        let journal = self.journal.as_ref()?;
        let entry = journal_entry(cluster, stored, request.reason.as_deref(), result);
        journal
            .append(&entry)
            .err()
            .map(|e| format!("not journaled in {}: {e}", journal.path().display()))
    }

    async fn prepare_at(
        &self,
        request: &FlagRequest,
    ) -> Result<(&Cluster, write::Loaded, Value, String), String> {
        let (cluster, stored) = self.target(request)?;
        self.check_rights(cluster, &stored).await?;
        let loaded = write::load(&cluster.client, &stored)
            .await
            .map_err(|e| write_error(&request.source, e))?;
        let (after, diff) = apply(&loaded.document, request)?;
        // Where the stored text is written anew, the diff shows the whole of it.
        let diff = match &loaded.text {
            Some(text) => edit::stored_diff(text, &loaded.document, &after, &request.flag),
            None => diff,
        };
        Ok((cluster, loaded, after, diff))
    }
}

/// A journal line for a flag edit, as `ripcord flags set` writes it.
pub fn journal_entry(
    cluster: &Cluster,
    stored: &Stored,
    reason: Option<&str>,
    result: &str,
) -> JournalEntry {
    let (kind, name, namespace) = match stored {
        Stored::FeatureFlag { name, namespace } => ("featureflag", name.clone(), namespace),
        Stored::ConfigMap {
            name,
            key,
            namespace,
        } => ("configmap", format!("{name}/{key}"), namespace),
    };
    JournalEntry {
        time: chrono::Utc::now(),
        user: cluster.user.clone(),
        context: cluster.context.clone(),
        namespace: namespace.clone(),
        kind: kind.to_string(),
        name,
        action: "flag-set".to_string(),
        to_revision: None,
        weight: None,
        reason: reason.map(str::to_string),
        revision_before: None,
        revision_after: None,
        result: result.to_string(),
        ok: result.starts_with("ok"),
        dry_run: false,
    }
}

fn write_error(source: &str, e: WriteError) -> String {
    match e {
        WriteError::Kube(e) => format!("{source}: {e}"),
        WriteError::Conflict => {
            format!("{source} was changed by someone else since it was read; nothing was written")
        }
        WriteError::Unusable(why) => format!("{source}: {why}"),
    }
}

impl FlagActuator for KubeFlags {
    fn prepare<'a>(&'a self, request: &'a FlagRequest) -> BoxFuture<'a, Result<Prepared, String>> {
        Box::pin(async move {
            let (_, loaded, _, diff) = self.prepare_at(request).await?;
            Ok(Prepared {
                request: request.clone(),
                diff,
                version: loaded.resource_version,
            })
        })
    }

    fn write<'a>(&'a self, request: &'a FlagRequest, version: &'a str) -> BoxFuture<'a, Written> {
        Box::pin(async move {
            if self.settings.is_production(&request.key.context)
                && request
                    .reason
                    .as_deref()
                    .is_none_or(|r| r.trim().is_empty())
            {
                return Written::Failed(format!(
                    "{} is a production context: a reason is required",
                    request.key.context
                ));
            }
            let (cluster, loaded, after, diff) = match self.prepare_at(request).await {
                Ok(found) => found,
                Err(why) => return Written::Failed(why),
            };
            let Ok((_, stored)) = self.target(request) else {
                return Written::Failed(format!("{} cannot be written", request.source));
            };
            // Changed since the diff was shown: show it again, as it is now.
            let changed = |loaded: &write::Loaded, diff: String| {
                Written::Changed(Box::new(Prepared {
                    request: request.clone(),
                    diff,
                    version: loaded.resource_version.clone(),
                }))
            };
            const CHANGED: &str = "error: changed by someone else since read";
            if loaded.resource_version != version {
                self.record(cluster, &stored, request, CHANGED);
                return changed(&loaded, diff);
            }
            match write::store(&cluster.client, &loaded, &after).await {
                Ok(()) => {}
                Err(WriteError::Conflict) => {
                    self.record(cluster, &stored, request, CHANGED);
                    return match self.prepare_at(request).await {
                        Ok((_, loaded, _, diff)) => changed(&loaded, diff),
                        Err(why) => Written::Failed(why),
                    };
                }
                Err(e) => {
                    let mut why = write_error(&request.source, e);
                    if let Some(problem) =
                        self.record(cluster, &stored, request, &format!("error: {why}"))
                    {
                        why.push_str(&format!("; {problem}"));
                    }
                    return Written::Failed(why);
                }
            }
            let what = request.describe();
            let unjournaled = self.record(cluster, &stored, request, &format!("ok: {what}"));
            let mut text = what;
            if let Some(problem) = unjournaled {
                text.push_str(&format!("; {problem}"));
            }
            if let Err(e) = write::post_event(
                &cluster.client,
                &loaded,
                &cluster.user,
                &request.message(),
                chrono::Utc::now(),
            )
            .await
            {
                text.push_str(&format!("; the Event was not posted: {e}"));
            }
            Written::Done(text)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::flags::State;
    use crate::model::Kind;
    use serde_json::json;

    fn request(edit: Edit) -> FlagRequest {
        FlagRequest {
            key: ReleaseKey {
                context: "c".into(),
                namespace: "n".into(),
                kind: Kind::Deployment,
                name: "web".into(),
            },
            source: "configmap/n/flags/f.json".into(),
            flag: "banner".into(),
            edit,
            reason: Some("kill switch".into()),
        }
    }

    #[test]
    fn a_request_says_what_it_does_and_why() {
        let r = request(Edit::State(State::Disabled));
        assert_eq!(
            r.message(),
            "set banner to DISABLED in configmap/n/flags/f.json because: kill switch"
        );
        let r = request(Edit::Weights(vec![("a".into(), 1), ("b".into(), 3)]));
        assert_eq!(r.describe(), "set the split of banner to a=1,b=3");
    }

    #[test]
    fn apply_gives_the_diff_or_refuses() {
        let doc = json!({"flags": {"banner": {"state": "ENABLED", "variants": {"on": true}, "defaultVariant": "on"}}});
        let (after, diff) = apply(&doc, &request(Edit::State(State::Disabled))).expect("applies");
        assert_eq!(after["flags"]["banner"]["state"], "DISABLED");
        assert!(diff.contains("+   \"state\": \"DISABLED\""), "{diff}");
        let e = apply(&doc, &request(Edit::DefaultVariant("off".into()))).unwrap_err();
        assert!(e.starts_with("refused, nothing was written"), "{e}");
    }
}
