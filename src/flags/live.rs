//! The console's flag source, without the IO: what the watches and files have said, kept as
//! compact entries (never whole objects), and the flags each release is linked to, worked
//! out again when something changes and told only where they changed.

use super::cluster::{split_names, Links};
use super::{DefinitionError, Flag, FlagSet};
use crate::model::text::inert_owned;
use crate::model::{Flags, Kind, ReleaseKey};
use std::collections::{BTreeMap, BTreeSet};

/// The operator's annotation naming `FeatureFlagSource`s.
pub const SOURCE_ANNOTATION: &str = "openfeature.dev/featureflagsource";
/// ripcord's own annotation naming flag sources or flag keys.
pub const FLAGS_ANNOTATION: &str = "ripcord.dev/flags";

/// The kinds the source watches, in the order their flag sets are laid over each other
/// (a later set wins a key, as in flagd).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum SourceKind {
    FeatureFlag,
    ConfigMap,
    FeatureFlagSource,
    Deployment,
    Rollout,
    Canary,
}

/// One watched object.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct ObjKey {
    pub kind: SourceKind,
    pub namespace: String,
    pub name: String,
}

/// What a pod template's annotations name.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Annotated {
    /// `FeatureFlagSource`s in the workload's namespace.
    pub flag_sources: Vec<String>,
    /// `ripcord.dev/flags`: sources by name, or flag keys.
    pub names: Vec<String>,
}

impl Annotated {
    pub fn from_annotations(annotations: Option<&BTreeMap<String, String>>) -> Annotated {
        let names = |key: &str| {
            annotations
                .and_then(|a| a.get(key))
                .map(|v| split_names(v))
                .unwrap_or_default()
        };
        Annotated {
            flag_sources: names(SOURCE_ANNOTATION),
            names: names(FLAGS_ANNOTATION),
        }
    }

    fn is_empty(&self) -> bool {
        self.flag_sources.is_empty() && self.names.is_empty()
    }
}

/// What one watched object contributes: only what the flags need.
#[derive(Debug, Clone, PartialEq)]
pub enum Entry {
    /// Flag definitions (a `FeatureFlag`, or a ConfigMap's data keys), each loaded or not.
    Sets(Vec<Result<FlagSet, DefinitionError>>),
    /// A `FeatureFlagSource`: the sources it serves.
    Source(Vec<String>),
    /// A Deployment: what its pod template names, and the stable it is the canary of.
    Deployment {
        links: Annotated,
        canary_of: Option<String>,
    },
    /// An Argo Rollout: its template's names, and the Deployment it takes its template from.
    Rollout {
        links: Annotated,
        workload: Option<String>,
    },
    /// A Flagger Canary and the Deployment it targets.
    Canary { target: String },
}

/// What the watches and files report.
#[derive(Debug, Clone, PartialEq)]
pub enum Input {
    Applied {
        context: String,
        key: ObjKey,
        entry: Entry,
    },
    Deleted {
        context: String,
        key: ObjKey,
    },
    /// Every object of `kind` in `namespace` (everywhere when `None`), replacing those known.
    Reset {
        context: String,
        kind: SourceKind,
        namespace: Option<String>,
        entries: Vec<(ObjKey, Entry)>,
    },
    /// The last good flags of the `index`th `--flags` file.
    File {
        index: usize,
        set: FlagSet,
    },
    /// Something the user should read (a file that does not load), passed through.
    Problem(String),
}

/// What the source tells the console.
#[derive(Debug, Clone, PartialEq)]
pub enum News {
    /// A release's flags now (empty when it has none left).
    Flags { key: ReleaseKey, flags: Flags },
    /// A definition that does not load, naming where.
    Problem(String),
}

/// Everything known, and what was last told.
#[derive(Debug, Default)]
pub struct Index {
    objects: BTreeMap<String, BTreeMap<ObjKey, Entry>>,
    files: Vec<Option<FlagSet>>,
    dirty: BTreeSet<String>,
    sent: BTreeMap<ReleaseKey, Flags>,
    problems: BTreeSet<String>,
    passed: Vec<String>,
}

impl Index {
    pub fn apply(&mut self, input: Input) {
        match input {
            Input::Applied {
                context,
                key,
                entry,
            } => {
                let objects = self.objects.entry(context.clone()).or_default();
                if objects.get(&key) != Some(&entry) {
                    objects.insert(key, entry);
                    self.dirty.insert(context);
                }
            }
            Input::Deleted { context, key } => {
                if let Some(objects) = self.objects.get_mut(&context) {
                    if objects.remove(&key).is_some() {
                        self.dirty.insert(context);
                    }
                }
            }
            Input::Reset {
                context,
                kind,
                namespace,
                entries,
            } => {
                let objects = self.objects.entry(context.clone()).or_default();
                objects.retain(|k, _| {
                    k.kind != kind || namespace.as_ref().is_some_and(|ns| &k.namespace != ns)
                });
                objects.extend(entries);
                self.dirty.insert(context);
            }
            Input::File { index, set } => {
                if self.files.len() <= index {
                    self.files.resize(index + 1, None);
                }
                if self.files[index].as_ref() != Some(&set) {
                    self.files[index] = Some(set);
                    // A file's flags may belong to a release of any context.
                    self.dirty.extend(self.objects.keys().cloned());
                }
            }
            Input::Problem(text) => self.passed.push(text),
        }
    }

    /// What changed since the last call: problems first, then each release whose flags
    /// differ from what was told (an empty set for one that has none left).
    pub fn news(&mut self) -> Vec<News> {
        let mut out: Vec<News> = std::mem::take(&mut self.passed)
            .into_iter()
            .map(|p| News::Problem(inert_owned(&p)))
            .collect();
        let now: BTreeSet<String> = self
            .objects
            .values()
            .flat_map(|objects| objects.values())
            .filter_map(|e| match e {
                Entry::Sets(sets) => Some(sets),
                _ => None,
            })
            .flatten()
            .flat_map(|r| match r {
                Err(e) => vec![e.to_string()],
                Ok(set) => set.invalid.values().map(ToString::to_string).collect(),
            })
            .chain(
                self.files
                    .iter()
                    .flatten()
                    .flat_map(|set| set.invalid.values().map(ToString::to_string)),
            )
            .collect();
        out.extend(
            now.difference(&self.problems)
                .map(|p| News::Problem(inert_owned(&format!("flags: {p}")))),
        );
        self.problems = now;
        for context in std::mem::take(&mut self.dirty) {
            let linked = self.releases(&context);
            let gone: Vec<ReleaseKey> = self
                .sent
                .keys()
                .filter(|k| k.context == context && !linked.contains_key(*k))
                .cloned()
                .collect();
            for key in gone {
                self.sent.remove(&key);
                out.push(News::Flags {
                    key,
                    flags: Flags::default(),
                });
            }
            for (key, flags) in linked {
                if self.sent.get(&key) != Some(&flags) {
                    self.sent.insert(key.clone(), flags.clone());
                    out.push(News::Flags { key, flags });
                }
            }
        }
        out
    }

    /// The flags of every release of `context` that has any.
    fn releases(&self, context: &str) -> BTreeMap<ReleaseKey, Flags> {
        let empty = BTreeMap::new();
        let objects = self.objects.get(context).unwrap_or(&empty);
        let of = |kind: SourceKind| objects.iter().filter(move |(k, _)| k.kind == kind);
        // Files first: a later set wins a key, and the cluster's definition (the one its
        // workloads are served, and the one edits change) wins over a local file's.
        let sets: Vec<&FlagSet> = self
            .files
            .iter()
            .flatten()
            .chain(
                objects
                    .values()
                    .filter_map(|e| match e {
                        Entry::Sets(sets) => Some(sets),
                        _ => None,
                    })
                    .flatten()
                    .filter_map(|r| r.as_ref().ok()),
            )
            .collect();
        let deployment = |ns: &str, name: &str| {
            objects.get(&ObjKey {
                kind: SourceKind::Deployment,
                namespace: ns.to_owned(),
                name: name.to_owned(),
            })
        };
        let links_of = |ns: &str, annotated: &[&Annotated]| {
            let mut links = Links::default();
            for a in annotated {
                for name in &a.flag_sources {
                    let source = ObjKey {
                        kind: SourceKind::FeatureFlagSource,
                        namespace: ns.to_owned(),
                        name: name.clone(),
                    };
                    if let Some(Entry::Source(served)) = objects.get(&source) {
                        links.sources.extend(served.iter().cloned());
                    }
                }
                for name in &a.names {
                    // A name may be a source in this namespace or a flag key: whichever
                    // exists matches.
                    links.sources.push(format!("featureflag/{ns}/{name}"));
                    links.sources.push(format!("configmap/{ns}/{name}"));
                    links.keys.push(name.clone());
                }
            }
            links
        };
        let mut out = BTreeMap::new();
        let mut add = |ns: &str, kind: Kind, name: &str, annotated: Vec<&Annotated>| {
            if annotated.iter().all(|a| a.is_empty()) {
                return;
            }
            let flags = flags_for(&sets, &links_of(ns, &annotated));
            if !flags.flags.is_empty() {
                let key = ReleaseKey {
                    context: context.to_owned(),
                    namespace: ns.to_owned(),
                    kind,
                    name: name.to_owned(),
                };
                out.insert(key, flags);
            }
        };
        fn template(e: Option<&Entry>) -> Option<&Annotated> {
            match e {
                Some(Entry::Deployment { links, .. }) => Some(links),
                _ => None,
            }
        }
        // Claimed as the console's derivation claims them: Flagger first, then pairs.
        let mut claimed: BTreeSet<(&str, &str)> = BTreeSet::new();
        for (k, e) in of(SourceKind::Canary) {
            let Entry::Canary { target } = e else {
                continue;
            };
            let primary = format!("{target}-primary");
            let mut annotated = Vec::new();
            for name in [target.as_str(), primary.as_str()] {
                if let Some(links) = template(deployment(&k.namespace, name)) {
                    annotated.push(links);
                    if let Some((dk, _)) = objects.get_key_value(&ObjKey {
                        kind: SourceKind::Deployment,
                        namespace: k.namespace.clone(),
                        name: name.to_owned(),
                    }) {
                        claimed.insert((dk.namespace.as_str(), dk.name.as_str()));
                    }
                }
            }
            add(&k.namespace, Kind::FlaggerCanary, &k.name, annotated);
        }
        for (k, e) in of(SourceKind::Deployment) {
            let Entry::Deployment {
                links,
                canary_of: Some(stable),
            } = e
            else {
                continue;
            };
            let Some((sk, stable_entry)) = objects.get_key_value(&ObjKey {
                kind: SourceKind::Deployment,
                namespace: k.namespace.clone(),
                name: stable.clone(),
            }) else {
                continue;
            };
            if claimed.contains(&(sk.namespace.as_str(), sk.name.as_str())) {
                continue;
            }
            claimed.insert((sk.namespace.as_str(), sk.name.as_str()));
            claimed.insert((k.namespace.as_str(), k.name.as_str()));
            let mut annotated = vec![links];
            annotated.extend(template(Some(stable_entry)));
            add(&k.namespace, Kind::CanaryPair, stable, annotated);
        }
        for (k, e) in of(SourceKind::Deployment) {
            if let Entry::Deployment { links, .. } = e {
                if !claimed.contains(&(k.namespace.as_str(), k.name.as_str())) {
                    add(&k.namespace, Kind::Deployment, &k.name, vec![links]);
                }
            }
        }
        for (k, e) in of(SourceKind::Rollout) {
            if let Entry::Rollout { links, workload } = e {
                let mut annotated = vec![links];
                if let Some(w) = workload {
                    annotated.extend(template(deployment(&k.namespace, w)));
                }
                add(&k.namespace, Kind::ArgoRollout, &k.name, annotated);
            }
        }
        out
    }
}

/// The flags of `sets` that `links` covers, in key order, each from the last set defining
/// it; a key defined by more than one set is a warning naming them.
fn flags_for(sets: &[&FlagSet], links: &Links) -> Flags {
    let mut chosen: BTreeMap<&str, &Flag> = BTreeMap::new();
    let mut warnings = Vec::new();
    for set in sets {
        for (key, flag) in &set.flags {
            if links.covers(&set.source, key) {
                if let Some(earlier) = chosen.insert(key, flag) {
                    warnings.push(super::shadow_warning(key, &earlier.source, &set.source));
                }
            }
        }
        // A flag of the release that does not load is shown as the error it is.
        for (key, e) in &set.invalid {
            if links.covers(&set.source, key) {
                warnings.push(format!("✖ {e}"));
            }
        }
    }
    Flags {
        flags: chosen.into_values().cloned().collect(),
        warnings,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CTX: &str = "prod";

    fn set(source: &str, keys: &[(&str, &str)]) -> FlagSet {
        let flags: Vec<String> = keys
            .iter()
            .map(|(k, state)| {
                format!(r#""{k}": {{"state": "{state}", "variants": {{"on": true}}, "defaultVariant": "on"}}"#)
            })
            .collect();
        FlagSet::parse(source, &format!(r#"{{"flags": {{{}}}}}"#, flags.join(",")))
            .expect("a flag set")
    }

    fn key(kind: SourceKind, name: &str) -> ObjKey {
        ObjKey {
            kind,
            namespace: "shop".into(),
            name: name.into(),
        }
    }

    fn applied(k: ObjKey, entry: Entry) -> Input {
        Input::Applied {
            context: CTX.into(),
            key: k,
            entry,
        }
    }

    fn deployment(names: &str, sources: &str, canary_of: Option<&str>) -> Entry {
        Entry::Deployment {
            links: Annotated {
                flag_sources: split_names(sources),
                names: split_names(names),
            },
            canary_of: canary_of.map(str::to_string),
        }
    }

    fn release(kind: Kind, name: &str) -> ReleaseKey {
        ReleaseKey {
            context: CTX.into(),
            namespace: "shop".into(),
            kind,
            name: name.into(),
        }
    }

    /// The keys (and states) told for each release, in order.
    fn told(news: &[News]) -> Vec<(String, Vec<String>)> {
        news.iter()
            .filter_map(|n| match n {
                News::Flags { key, flags } => Some((
                    key.name.clone(),
                    flags
                        .flags
                        .iter()
                        .map(|f| format!("{}={}", f.key, f.state.as_str()))
                        .collect(),
                )),
                News::Problem(_) => None,
            })
            .collect()
    }

    #[test]
    fn a_release_gets_its_flags_when_they_change_and_none_when_they_go() {
        let mut index = Index::default();
        index.apply(applied(
            key(SourceKind::FeatureFlag, "shop-flags"),
            Entry::Sets(vec![Ok(set(
                "featureflag/shop/shop-flags",
                &[("checkout", "ENABLED")],
            ))]),
        ));
        index.apply(applied(
            key(SourceKind::Deployment, "web"),
            deployment("shop-flags", "", None),
        ));
        index.apply(applied(
            key(SourceKind::Deployment, "other"),
            deployment("", "", None),
        ));
        assert_eq!(
            told(&index.news()),
            [("web".into(), vec!["checkout=ENABLED".to_string()])]
        );
        // Nothing changed, nothing told.
        index.apply(applied(
            key(SourceKind::Deployment, "web"),
            deployment("shop-flags", "", None),
        ));
        assert!(index.news().is_empty());
        index.apply(applied(
            key(SourceKind::FeatureFlag, "shop-flags"),
            Entry::Sets(vec![Ok(set(
                "featureflag/shop/shop-flags",
                &[("checkout", "DISABLED")],
            ))]),
        ));
        assert_eq!(
            told(&index.news()),
            [("web".into(), vec!["checkout=DISABLED".to_string()])]
        );
        index.apply(Input::Deleted {
            context: CTX.into(),
            key: key(SourceKind::FeatureFlag, "shop-flags"),
        });
        assert_eq!(told(&index.news()), [("web".into(), vec![])]);
        assert!(index.news().is_empty());
    }

    #[test]
    fn a_broken_source_is_told_once_and_hides_no_other() {
        let mut index = Index::default();
        let broken =
            FlagSet::parse("configmap/shop/ui/ui.json", "{\n  \"flags\": [}").expect_err("broken");
        index.apply(applied(
            key(SourceKind::ConfigMap, "ui"),
            Entry::Sets(vec![
                Err(broken),
                Ok(set("configmap/shop/ui/ok.json", &[("banner", "ENABLED")])),
            ]),
        ));
        index.apply(applied(
            key(SourceKind::Deployment, "web"),
            deployment("ui", "", None),
        ));
        let news = index.news();
        let problems: Vec<&String> = news
            .iter()
            .filter_map(|n| match n {
                News::Problem(p) => Some(p),
                _ => None,
            })
            .collect();
        assert_eq!(problems.len(), 1, "{news:?}");
        assert!(
            problems[0].starts_with("flags: configmap/shop/ui/ui.json:2:"),
            "{problems:?}"
        );
        assert_eq!(
            told(&news),
            [("web".into(), vec!["banner=ENABLED".to_string()])]
        );
        index.apply(applied(
            key(SourceKind::Deployment, "web"),
            deployment("ui,extra", "", None),
        ));
        assert!(
            index.news().is_empty(),
            "the same problem is not told again"
        );
    }

    #[test]
    fn links_through_a_feature_flag_source_pairs_flagger_and_argo() {
        let mut index = Index::default();
        index.apply(applied(
            key(SourceKind::FeatureFlag, "ff"),
            Entry::Sets(vec![Ok(set(
                "featureflag/shop/ff",
                &[("a", "ENABLED"), ("b", "ENABLED")],
            ))]),
        ));
        index.apply(applied(
            key(SourceKind::FeatureFlagSource, "src"),
            Entry::Source(vec!["featureflag/shop/ff".into()]),
        ));
        // A canary pair: the canary's template names the source.
        index.apply(applied(
            key(SourceKind::Deployment, "api"),
            deployment("", "", None),
        ));
        index.apply(applied(
            key(SourceKind::Deployment, "api-canary"),
            deployment("", "src", Some("api")),
        ));
        // Flagger: its target's template names one key.
        index.apply(applied(
            key(SourceKind::Canary, "cart"),
            Entry::Canary {
                target: "cart".into(),
            },
        ));
        index.apply(applied(
            key(SourceKind::Deployment, "cart"),
            deployment("b", "", None),
        ));
        index.apply(applied(
            key(SourceKind::Rollout, "pay"),
            Entry::Rollout {
                links: Annotated {
                    flag_sources: vec![],
                    names: vec!["a".into()],
                },
                workload: None,
            },
        ));
        let news = index.news();
        let mut keys: Vec<ReleaseKey> = news
            .iter()
            .filter_map(|n| match n {
                News::Flags { key, .. } => Some(key.clone()),
                _ => None,
            })
            .collect();
        keys.sort();
        let mut want = vec![
            release(Kind::CanaryPair, "api"),
            release(Kind::FlaggerCanary, "cart"),
            release(Kind::ArgoRollout, "pay"),
        ];
        want.sort();
        assert_eq!(keys, want);
        let by_name: BTreeMap<String, Vec<String>> = told(&news).into_iter().collect();
        assert_eq!(by_name["api"], ["a=ENABLED", "b=ENABLED"]);
        assert_eq!(by_name["cart"], ["b=ENABLED"]);
        assert_eq!(by_name["pay"], ["a=ENABLED"]);
    }

    #[test]
    fn the_clusters_definition_wins_a_key_a_file_defines_too_and_both_are_named() {
        let mut index = Index::default();
        index.apply(applied(
            key(SourceKind::Deployment, "web"),
            deployment("shop-flags, dark-mode", "", None),
        ));
        index.apply(applied(
            key(SourceKind::FeatureFlag, "shop-flags"),
            Entry::Sets(vec![Ok(set(
                "featureflag/shop/shop-flags",
                &[("dark-mode", "DISABLED")],
            ))]),
        ));
        index.apply(Input::File {
            index: 0,
            set: set("flags.json", &[("dark-mode", "ENABLED")]),
        });
        let news = index.news();
        assert_eq!(
            told(&news),
            [("web".into(), vec!["dark-mode=DISABLED".to_string()])]
        );
        let Some(News::Flags { flags, .. }) = news.iter().find(|n| matches!(n, News::Flags { .. }))
        else {
            panic!("flags told");
        };
        assert_eq!(
            flags.warnings,
            [
                "dark-mode is defined in flags.json and in featureflag/shop/shop-flags; \
              featureflag/shop/shop-flags's is used"
            ]
        );
    }

    #[test]
    fn a_flag_outside_the_schema_is_an_error_and_its_siblings_load() {
        let mut index = Index::default();
        let text = "{\"flags\": {\n  \"ok\": {\"state\": \"ENABLED\", \"variants\": {\"on\": true}},\n  \"mixed\": {\"state\": \"ENABLED\", \"variants\": {\"on\": true, \"off\": \"no\"}}\n}}";
        index.apply(applied(
            key(SourceKind::ConfigMap, "ui"),
            Entry::Sets(vec![FlagSet::parse("configmap/shop/ui/f.json", text)]),
        ));
        index.apply(applied(
            key(SourceKind::Deployment, "web"),
            deployment("ui", "", None),
        ));
        let news = index.news();
        let error = "configmap/shop/ui/f.json:3:3: flag \"mixed\": variants mix boolean, string";
        assert!(
            news.contains(&News::Problem(format!("flags: {error}"))),
            "{news:?}"
        );
        let Some(News::Flags { flags, .. }) = news.iter().find(|n| matches!(n, News::Flags { .. }))
        else {
            panic!("flags told");
        };
        assert_eq!(
            told(&news),
            [("web".into(), vec!["ok=ENABLED".to_string()])]
        );
        assert_eq!(flags.warnings, [format!("✖ {error}")]);

        // A `--flags` file's flag that breaks the rules is told the same way.
        let text = "{\"flags\": {\n  \"typo\": {\"state\": \"ENABLED\", \"variants\": {\"on\": true}, \"defaultvariant\": \"on\"}\n}}";
        index.apply(Input::File {
            index: 0,
            set: FlagSet::parse("local.json", text).expect("the file loads"),
        });
        let news = index.news();
        assert!(
            news.contains(&News::Problem(
                "flags: local.json:2:3: flag \"typo\": unknown field \"defaultvariant\"".into()
            )),
            "{news:?}"
        );
    }

    #[test]
    fn a_relist_replaces_its_kind_and_a_file_reaches_every_context() {
        let mut index = Index::default();
        index.apply(applied(
            key(SourceKind::Deployment, "web"),
            deployment("dark-mode", "", None),
        ));
        index.apply(Input::File {
            index: 0,
            set: set(
                "flags.json",
                &[("dark-mode", "ENABLED"), ("other", "ENABLED")],
            ),
        });
        assert_eq!(
            told(&index.news()),
            [("web".into(), vec!["dark-mode=ENABLED".to_string()])]
        );
        index.apply(Input::Reset {
            context: CTX.into(),
            kind: SourceKind::Deployment,
            namespace: Some("shop".into()),
            entries: vec![],
        });
        assert_eq!(told(&index.news()), [("web".into(), vec![])]);
    }
}
