//! `ripcord check`: the security checks on manifest files before a deploy, or on the live
//! cluster.

use super::cli::ClusterArgs;
use super::{connect_all, print_out};
use kube::api::{Api, ApiResource, DynamicObject, ListParams};
use ripcord::checks::inventory::{Key, Source};
use ripcord::checks::load::{self, LoadError};
use ripcord::checks::report::{self, Located};
use ripcord::checks::{self, Inventory, Settings};
use ripcord::cluster::access::AccessCache;
use ripcord::cluster::connect::Cluster;
use ripcord::cluster::findings;
use ripcord::cluster::watch::{classify, resolve_scope_detailed, Requested, Scope};
use ripcord::headless::{exit, scope_failure, Failure};
use ripcord::model::text::inert;
use ripcord::model::Severity;
use serde_json::Value;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, Copy, clap::ValueEnum, PartialEq, Eq)]
pub enum CheckOutput {
    Table,
    Json,
    Sarif,
}

#[derive(Debug, clap::Args)]
pub struct CheckArgs {
    /// Manifest files or directories (YAML, JSON) to check instead of the cluster.
    #[arg(short = 'f', long = "filename", value_name = "PATH", num_args = 1..)]
    pub files: Vec<PathBuf>,
    #[arg(long, short = 'o', value_enum, default_value = "table")]
    pub output: CheckOutput,
    /// Exit 1 when a finding is at or above this severity: critical, high, medium or low.
    #[arg(long, value_name = "SEVERITY", value_parser = parse_severity)]
    pub fail_on: Option<Severity>,
    /// Registries (or registry/repository prefixes) images may come from, besides
    /// config.toml's `[checks] allowed_registries`; repeatable.
    #[arg(
        long = "allow-registry",
        value_name = "REGISTRY",
        env = "RIPCORD_ALLOWED_REGISTRIES",
        value_delimiter = ','
    )]
    pub allow_registry: Vec<String>,
}

fn parse_severity(text: &str) -> Result<Severity, String> {
    Severity::parse(text).ok_or_else(|| "expected critical, high, medium or low".to_owned())
}

fn bad_input(message: impl Into<String>) -> Failure {
    Failure::new(exit::BAD_INPUT, message)
}

pub fn check(cluster: &ClusterArgs, args: &CheckArgs) -> Result<(), Failure> {
    // config.toml's `[checks] allowed_registries`, and the flag's on top.
    let mut allowed = super::load_settings().allowed_registries;
    for r in &args.allow_registry {
        if !allowed.contains(r) {
            allowed.push(r.clone());
        }
    }
    let settings = Settings {
        allowed_registries: allowed,
    };
    let (found, errors) = if args.files.is_empty() {
        let inv = super::block_on(live_inventory(cluster))?;
        (
            report::locate(&inv, checks::run(&inv, &settings)),
            Vec::new(),
        )
    } else {
        if !cluster.context.is_empty() || cluster.namespace.is_some() || cluster.all_namespaces {
            return Err(bad_input(
                "-f checks files; --context, -n and -A apply to the cluster only",
            ));
        }
        let (files, errors) = file_inventory(&args.files);
        (check_files(files, &settings), errors)
    };
    print(&found, &errors, args.output)?;
    if !errors.is_empty() {
        let lines: Vec<String> = errors
            .iter()
            .map(|e| inert(&e.to_string()).into_owned())
            .collect();
        return Err(bad_input(format!(
            "{} manifest{} could not be read; the rest were checked:\n{}",
            errors.len(),
            if errors.len() == 1 { "" } else { "s" },
            lines.join("\n")
        )));
    }
    if let Some(level) = args.fail_on {
        let over = found.iter().filter(|l| l.finding.severity >= level).count();
        if over > 0 {
            return Err(Failure::new(
                exit::FAILED,
                format!(
                    "{over} finding{} at or above {level}",
                    if over == 1 { "" } else { "s" }
                ),
            ));
        }
    }
    Ok(())
}

fn print(found: &[Located], errors: &[LoadError], output: CheckOutput) -> Result<(), Failure> {
    let text = match output {
        CheckOutput::Table => report::table(found),
        CheckOutput::Json => pretty(&report::json(found, errors))?,
        CheckOutput::Sarif => pretty(&report::sarif(found, errors))?,
    };
    print_out(&text)
}

fn pretty(value: &Value) -> Result<String, Failure> {
    serde_json::to_string_pretty(value)
        .map(|t| t + "\n")
        .map_err(|e| Failure::new(exit::FAILED, e.to_string()))
}

/// Files under the paths given, directories searched for YAML and JSON, in a stable order.
fn manifest_files(paths: &[PathBuf], errors: &mut Vec<LoadError>) -> Vec<PathBuf> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>, errors: &mut Vec<LoadError>) {
        let entries = match std::fs::read_dir(dir) {
            Ok(e) => e,
            Err(e) => {
                errors.push(LoadError {
                    file: dir.display().to_string(),
                    line: 1,
                    message: format!("cannot read the directory: {e}"),
                });
                return;
            }
        };
        let mut paths: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
        paths.sort();
        for p in paths {
            if p.is_dir() {
                walk(&p, out, errors);
            } else if p
                .extension()
                .and_then(|e| e.to_str())
                .is_some_and(|e| matches!(e, "yaml" | "yml" | "json"))
            {
                out.push(p);
            }
        }
    }
    let mut out = Vec::new();
    for p in paths {
        if p.is_dir() {
            walk(p, &mut out, errors);
        } else {
            out.push(p.clone());
        }
    }
    out
}

/// Objects read from files: the first of each kind, namespace and name, and each that came
/// again (in another file or document), which must not silently replace it.
struct FileObjects {
    first: Inventory,
    again: Vec<(Value, Source)>,
}

/// Every finding of the files. An object given twice is checked both times: each repeat
/// takes the first one's place among all the other objects, and its findings name its file.
fn check_files(files: FileObjects, settings: &Settings) -> Vec<Located> {
    let FileObjects { first, again } = files;
    let mut found = report::locate(&first, checks::run(&first, settings));
    // Each layer replaces a key at most once, so repeats of one object are checked apart.
    let mut layers: Vec<(Inventory, Vec<Key>)> = Vec::new();
    for (value, source) in again {
        let Ok(key) = Inventory::key_of(&value) else {
            continue;
        };
        let at = match layers.iter().position(|(_, keys)| !keys.contains(&key)) {
            Some(i) => i,
            None => {
                layers.push((first.clone(), Vec::new()));
                layers.len() - 1
            }
        };
        let (inv, keys) = &mut layers[at];
        let _ = inv.upsert(value, Some(source));
        keys.push(key);
    }
    for (inv, _) in &layers {
        for l in report::locate(inv, checks::run(inv, settings)) {
            if !found.contains(&l) {
                found.push(l);
            }
        }
    }
    found.sort_by(|a, b| {
        checks::order(&a.finding, &b.finding).then_with(|| a.source.cmp(&b.source))
    });
    found
}

fn file_inventory(paths: &[PathBuf]) -> (FileObjects, Vec<LoadError>) {
    let mut errors = Vec::new();
    let mut inv = Inventory::new();
    let mut again = Vec::new();
    for path in manifest_files(paths, &mut errors) {
        let file = path.display().to_string();
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) => {
                errors.push(LoadError {
                    file,
                    line: 1,
                    message: format!("cannot read the file: {e}"),
                });
                continue;
            }
        };
        let loaded = load::parse(&file, &text);
        for s in &loaded.skipped {
            eprintln!(
                "ripcord: warning: {}:{}: not a Kubernetes object (no apiVersion, kind or name): skipped",
                inert(&s.file),
                s.line
            );
        }
        errors.extend(loaded.errors);
        for (value, source) in loaded.objects {
            // `parse` keeps only documents that have a key.
            match Inventory::key_of(&value) {
                Ok(key) if inv.contains(&key) => again.push((value, source)),
                _ => {
                    let _ = inv.upsert(value, Some(source));
                }
            }
        }
    }
    (FileObjects { first: inv, again }, errors)
}

async fn live_inventory(args: &ClusterArgs) -> Result<Inventory, Failure> {
    if args.context.len() > 1 {
        return Err(bad_input(
            "check looks at one context at a time: pass --context once",
        ));
    }
    let clusters = connect_all(args).await?;
    let cluster = clusters
        .first()
        .ok_or_else(|| bad_input("no context to check"))?;
    // As `status`: every namespace unless -n, narrowed to those the user may read.
    let requested = match &args.namespace {
        Some(ns) => Requested::Namespace(ns.clone()),
        None => Requested::AllNamespaces,
    };
    let settings = super::load_settings();
    let scope = resolve_scope_detailed(
        cluster,
        &requested,
        settings.namespaces(&cluster.context),
        &AccessCache::default(),
    )
    .await
    .map_err(scope_failure)?;
    let namespaces: Vec<Option<String>> = match scope {
        Scope::AllNamespaces => vec![None],
        Scope::Namespaces(list) => list.into_iter().map(Some).collect(),
    };
    let mut inv = Inventory::new();
    let kinds = findings::discover(&cluster.client, findings::checked_kinds(), &mut inv).await;
    let mut secrets_listed = true;
    for (resource, listed) in &kinds {
        let scopes: &[Option<String>] = if listed.namespaced {
            &namespaces
        } else {
            &[None]
        };
        for ns in scopes {
            let ns = ns.as_deref();
            match list_all(cluster, resource, ns, &mut inv).await {
                Ok(()) => {}
                // An older apiserver may not serve a kind (batch/v1 CronJob before 1.21).
                Err(kube::Error::Api(s)) if s.code == 404 && !listed.required => break,
                Err(kube::Error::Api(s)) if s.is_forbidden() && !listed.required => {
                    if resource.kind == "Secret" {
                        secrets_listed = false;
                    }
                    eprintln!(
                        "ripcord: warning: {}: may not list {}{}{}: its checks are skipped",
                        cluster.context,
                        resource.plural,
                        if resource.group.is_empty() {
                            String::new()
                        } else {
                            format!(".{}", resource.group)
                        },
                        ns.map(|n| format!(" in {n}")).unwrap_or_default()
                    );
                }
                Err(e) => {
                    let doing = format!(
                        "cannot list {}{}",
                        resource.plural,
                        ns.map(|n| format!(" in {n}")).unwrap_or_default()
                    );
                    return Err(scope_failure(classify(&cluster.context, &doing, &e)));
                }
            }
        }
    }
    inv.set_secrets_listed(secrets_listed);
    Ok(inv)
}

/// Lists one kind page by page into the inventory, dropping what the checks never read.
async fn list_all(
    cluster: &Cluster,
    resource: &ApiResource,
    namespace: Option<&str>,
    inv: &mut Inventory,
) -> Result<(), kube::Error> {
    let api: Api<DynamicObject> = match namespace {
        Some(ns) => Api::namespaced_with(cluster.client.clone(), ns, resource),
        None => Api::all_with(cluster.client.clone(), resource),
    };
    let mut params = ListParams::default().limit(500);
    loop {
        let page = api.list(&params).await?;
        for item in page.items {
            let Some(value) = findings::to_value(&item, resource) else {
                continue;
            };
            if resource.kind == "Pod" && controlled(&value) {
                continue;
            }
            let _ = inv.upsert(value, None);
        }
        match page.metadata.continue_ {
            Some(token) if !token.is_empty() => params = params.continue_token(&token),
            _ => return Ok(()),
        }
    }
}

/// A Pod a controller owns is checked on its owner's template.
fn controlled(value: &Value) -> bool {
    value
        .pointer("/metadata/ownerReferences")
        .and_then(Value::as_array)
        .is_some_and(|refs| {
            refs.iter()
                .any(|r| r.get("controller").and_then(Value::as_bool) == Some(true))
        })
}
