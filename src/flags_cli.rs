//! `ripcord flags`: list, show and evaluate flagd feature flags from files or a cluster.

use super::cli::FlagStateArg;
use super::cli::{ClusterArgs, FlagsCommand, Output};
use super::{connect_all, print_out};
use k8s_openapi::api::apps::v1::Deployment;
use kube::Api;
use ripcord::cluster::access::{AccessCache, AccessCheck};
use ripcord::cluster::watch::classify;
use ripcord::flags::cluster::{ConfigMapSource, Links};
use ripcord::flags::definition::json_error_text;
use ripcord::flags::edit::{self, Edit};
use ripcord::flags::flip;
use ripcord::flags::summary::{bar, fractional_split, summary};
use ripcord::flags::write::{self, Stored, WriteError};
use ripcord::flags::State;
use ripcord::flags::{Catalog, Flag, FlagSet, FlagType, Reason, Resolution};
use ripcord::headless::scope_failure;
use ripcord::headless::{exit, Failure};
use ripcord::model::display::{columns, fit};
use ripcord::model::text::inert;
use serde_json::{json, Value};
use std::io::{BufRead, IsTerminal};
use std::path::PathBuf;

fn bad_input(message: impl Into<String>) -> Failure {
    Failure::new(exit::BAD_INPUT, message)
}

/// Reads every `--flags` file; the first problem, as `file:line:col`, fails the command.
pub fn load_files(files: &[PathBuf]) -> Result<Catalog, Failure> {
    let mut sets = Vec::with_capacity(files.len());
    for path in files {
        let name = path.display().to_string();
        let text =
            std::fs::read_to_string(path).map_err(|e| bad_input(format!("reading {name}: {e}")))?;
        sets.push(FlagSet::parse(&name, &text).map_err(|e| bad_input(e.to_string()))?);
    }
    Ok(Catalog::new(sets))
}

/// The `--eval-context` JSON object; `{}` when none is given.
fn evaluation_context(text: Option<&str>) -> Result<Value, Failure> {
    let Some(text) = text else {
        return Ok(json!({}));
    };
    match serde_json::from_str::<Value>(text) {
        Ok(v @ Value::Object(_)) => Ok(v),
        Ok(_) => Err(bad_input(
            "--eval-context: the evaluation context must be a JSON object",
        )),
        Err(e) => Err(bad_input(format!(
            "--eval-context:{}:{}: {}",
            e.line(),
            e.column(),
            json_error_text(&e)
        ))),
    }
}

/// `--context` names kubeconfig contexts only: one that looks like JSON was meant as an
/// evaluation context; with `--flags` files no cluster is read at all, so neither contexts
/// nor namespaces may be chosen.
fn check_kube_contexts(args: &ClusterArgs, files: &[PathBuf]) -> Result<(), Failure> {
    let contexts = &args.context;
    if contexts.iter().any(|c| c.trim_start().starts_with('{')) {
        return Err(bad_input(
            "--context names a kubeconfig context; give an evaluation context as \
             --eval-context JSON",
        ));
    }
    if !files.is_empty() && (args.namespace.is_some() || args.all_namespaces) {
        let option = if args.all_namespaces { "-A" } else { "-n" };
        return Err(bad_input(format!(
            "{option} chooses cluster namespaces, but --flags files are read with no cluster: \
             drop {option}, or drop --flags to read the cluster"
        )));
    }
    if !contexts.is_empty() && !files.is_empty() {
        return Err(bad_input(format!(
            "--context {} names a kubeconfig context, but --flags files are read with no \
             cluster; give an evaluation context as --eval-context JSON",
            inert(&contexts[0])
        )));
    }
    Ok(())
}

/// Where the flags come from: files, else the cluster.
pub struct Sources<'a> {
    pub files: &'a [PathBuf],
    pub configmap_label: String,
    pub data_key: Option<String>,
    /// Only the flags this Deployment links to.
    pub release: Option<String>,
}

/// The links of the Deployment `target` (`deployment/NAME` or `NAME`) in `namespace`.
async fn release_links(
    cluster: &ripcord::cluster::connect::Cluster,
    namespace: &str,
    target: &str,
) -> Result<Links, Failure> {
    let name = match target.split_once('/') {
        Some(("deployment" | "deployments" | "deploy", name)) => name,
        Some(_) => {
            return Err(bad_input(format!(
                "--release {target}: flags are linked to Deployments (deployment/NAME)"
            )))
        }
        None => target,
    };
    let api: Api<Deployment> = Api::namespaced(cluster.client.clone(), namespace);
    let denied =
        |e: kube::Error| scope_failure(classify(&cluster.context, "reading the release", &e));
    let deployment = api
        .get_opt(name)
        .await
        .map_err(denied)?
        .ok_or_else(|| bad_input(format!("no deployment/{name} in {namespace}")))?;
    let annotations = deployment
        .spec
        .and_then(|s| s.template.metadata)
        .and_then(|m| m.annotations)
        .unwrap_or_default();
    ripcord::flags::cluster::links(&cluster.client, namespace, &annotations)
        .await
        .map_err(|e| scope_failure(classify(&cluster.context, "reading flag sources", &e)))
}

/// The flags of every context asked for, with one LIST per kind; definitions that do not
/// load are reported on stderr and skipped.
async fn load_cluster(args: &ClusterArgs, sources: &Sources<'_>) -> Result<Catalog, Failure> {
    let clusters = connect_all(args).await?;
    let configmaps = ConfigMapSource {
        label: sources.configmap_label.clone(),
        data_key: sources.data_key.clone(),
    };
    let mut sets = Vec::new();
    for cluster in &clusters {
        let namespace = match (&args.namespace, args.all_namespaces) {
            (Some(ns), _) => Some(ns.as_str()),
            (None, true) => None,
            (None, false) => Some(cluster.namespace.as_str()),
        };
        let found = ripcord::flags::cluster::list(&cluster.client, namespace, &configmaps)
            .await
            .map_err(|e| scope_failure(classify(&cluster.context, "listing feature flags", &e)))?;
        for problem in &found.problems {
            eprintln!("ripcord: warning: {}", inert(&problem.to_string()));
        }
        let mut found_sets = found.sets;
        if let Some(target) = &sources.release {
            let Some(ns) = namespace else {
                return Err(bad_input("--release needs one namespace, not -A"));
            };
            let links = release_links(cluster, ns, target).await?;
            for set in &mut found_sets {
                let source = set.source.clone();
                set.flags.retain(|key, _| links.covers(&source, key));
                set.invalid.retain(|key, _| links.covers(&source, key));
            }
            found_sets.retain(|s| !s.flags.is_empty() || !s.invalid.is_empty());
        }
        sets.extend(found_sets);
    }
    Ok(Catalog::new(sets))
}

pub async fn run(
    cluster: &ClusterArgs,
    command: &FlagsCommand,
    sources: Sources<'_>,
    output: Output,
) -> Result<(), Failure> {
    let files = sources.files;
    check_kube_contexts(cluster, files)?;
    let context = match command {
        FlagsCommand::Eval { eval_context, .. } => evaluation_context(eval_context.as_deref())?,
        _ => json!({}),
    };
    if sources.release.is_some() && !files.is_empty() {
        return Err(bad_input(
            "--release links flags through the cluster; it does not apply to --flags files",
        ));
    }
    if let FlagsCommand::Set { .. } = command {
        if !files.is_empty() {
            return Err(bad_input(
                "flags set changes flags in the cluster; it does not write --flags files",
            ));
        }
    }
    let catalog = if files.is_empty() {
        load_cluster(cluster, &sources).await.map_err(|f| {
            if f.code == exit::BAD_INPUT {
                Failure::new(
                    f.code,
                    format!("{}; or read flag files with --flags FILE", f.message),
                )
            } else {
                f
            }
        })?
    } else {
        load_files(files)?
    };
    // A key defined twice is said: which source's definition is shown is not a guess.
    for warning in catalog.duplicates() {
        eprintln!("ripcord: warning: {}", inert(&warning));
    }
    // A flag outside flagd's schema is said where it is; the others are used.
    for e in catalog.all_invalid() {
        eprintln!("ripcord: error: {}", inert(&e.to_string()));
    }
    let unknown = |key: &str| match catalog.invalid(key) {
        Some(e) => bad_input(format!("flag {key:?} does not load: {e}")),
        None => bad_input(format!("no flag {key:?} in {}", origin_text(files))),
    };
    match command {
        FlagsCommand::List => {
            list(&catalog, output)?;
            some_invalid(&catalog, files)
        }
        FlagsCommand::Get { key } => {
            let (flag, set) = catalog.get(key).ok_or_else(|| unknown(key))?;
            get(flag, set, output)
        }
        FlagsCommand::Set {
            key,
            state,
            default_variant,
            weights,
            reason,
            yes,
        } => {
            let edit = match (state, default_variant, weights) {
                (Some(FlagStateArg::Enabled), _, _) => Edit::State(State::Enabled),
                (Some(FlagStateArg::Disabled), _, _) => Edit::State(State::Disabled),
                (None, Some(v), _) => Edit::DefaultVariant(v.clone()),
                (None, None, Some(w)) => Edit::Weights(parse_weights(w)?),
                (None, None, None) => {
                    return Err(bad_input(
                        "say what to change: --state, --default-variant or --weights",
                    ))
                }
            };
            let reason = reason
                .as_deref()
                .map(str::trim)
                .filter(|r| !r.is_empty())
                .ok_or_else(|| bad_input("a flag change needs --reason TEXT"))?;
            let (_, set) = catalog.get(key).ok_or_else(|| unknown(key))?;
            set_flag(cluster, &set.source, key, &edit, reason, *yes, output).await
        }
        FlagsCommand::Eval { key, .. } => {
            // An unknown key is bad input, as for `get`, not an evaluation that failed.
            if let Some(key) = key {
                if catalog.get(key).is_none() {
                    return Err(unknown(key));
                }
            }
            let timestamp = chrono::Utc::now().timestamp();
            let resolutions: Vec<Resolution> = match key {
                Some(key) => vec![catalog.evaluate(key, &context, timestamp, FlagType::Any)],
                None => catalog
                    .flags()
                    .into_iter()
                    .map(|(f, _)| f.evaluate(&context, timestamp, FlagType::Any))
                    .collect(),
            };
            print_resolutions(&resolutions, key.is_some(), output)?;
            if key.is_none() {
                some_invalid(&catalog, files)?;
            }
            // Every flag that failed is named, not only the first.
            let failed: Vec<String> = resolutions
                .iter()
                .filter(|r| r.reason == Reason::Error)
                .map(|r| {
                    format!(
                        "{}: {}",
                        r.key,
                        r.message.as_deref().unwrap_or("evaluation failed")
                    )
                })
                .collect();
            if failed.is_empty() {
                Ok(())
            } else {
                Err(Failure::new(exit::FAILED, failed.join("\n")))
            }
        }
    }
}

/// Flags that do not load make a `--flags` file bad input, once the others are shown; in a
/// cluster they are reported as a definition that does not load is, and the rest counts.
fn some_invalid(catalog: &Catalog, files: &[PathBuf]) -> Result<(), Failure> {
    if files.is_empty() {
        return Ok(());
    }
    match catalog.all_invalid().count() {
        0 => Ok(()),
        1 => Err(bad_input("a flag does not load (said above)")),
        n => Err(bad_input(format!("{n} flags do not load (said above)"))),
    }
}

/// Where the flags were read, for messages.
fn origin_text(files: &[PathBuf]) -> String {
    if files.is_empty() {
        return "the cluster".to_string();
    }
    files
        .iter()
        .map(|p| p.display().to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

fn pretty(value: &Value) -> Result<String, Failure> {
    serde_json::to_string_pretty(value)
        .map(|t| format!("{t}\n"))
        .map_err(|e| Failure::new(exit::FAILED, e.to_string()))
}

fn short_value(v: &Value) -> String {
    match v {
        Value::Object(_) => "{…}".to_string(),
        Value::Array(_) => "[…]".to_string(),
        other => other.to_string(),
    }
}

fn flag_json(flag: &Flag, set: &FlagSet) -> Value {
    let split = flag.targeting.as_ref().and_then(fractional_split);
    json!({
        "key": flag.key,
        "source": set.source,
        "line": flag.line,
        "state": flag.state.as_str(),
        "default_variant": flag.default_variant,
        "variants": flag.variants,
        "targeting": flag.targeting,
        "summary": flag.targeting.as_ref().map(summary),
        "split": split.map(|s| s.into_iter()
            .map(|(variant, percent)| json!({"variant": variant, "percent": percent}))
            .collect::<Vec<_>>()),
        "metadata": flag.metadata,
    })
}

fn list(catalog: &Catalog, output: Output) -> Result<(), Failure> {
    let flags = catalog.flags();
    if output == Output::Json {
        let all: Vec<Value> = flags.iter().map(|(f, s)| flag_json(f, s)).collect();
        return print_out(&pretty(&json!({ "flags": all }))?);
    }
    let rows: Vec<[String; 5]> = flags
        .iter()
        .map(|(flag, _)| {
            [
                flag.key.clone(),
                flag.state.as_str().to_string(),
                flag.default_variant.clone().unwrap_or_else(|| "-".into()),
                flag.variants
                    .iter()
                    .map(|(k, v)| format!("{k}={}", short_value(v)))
                    .collect::<Vec<_>>()
                    .join(" "),
                flag.targeting
                    .as_ref()
                    .map(summary)
                    .unwrap_or_else(|| "-".into()),
            ]
        })
        .collect();
    let header = ["KEY", "STATE", "DEFAULT", "VARIANTS", "TARGETING"].map(String::from);
    // Made inert first, so that what is measured is what is printed.
    let table: Vec<[String; 5]> = std::iter::once(header)
        .chain(rows)
        .map(|row| row.map(|cell| inert(&cell).into_owned()))
        .collect();
    let mut widths = [0usize; 5];
    for row in &table {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(columns(cell));
        }
    }
    cap_widths(&mut widths, &table[0], list_width());
    let mut text = String::new();
    for row in &table {
        let mut line = String::new();
        for (i, cell) in row.iter().enumerate() {
            let cell = fit(cell, u16::try_from(widths[i]).unwrap_or(u16::MAX));
            line.push_str(&cell);
            if i < 4 {
                line.push_str(&" ".repeat(widths[i] - columns(&cell) + 2));
            }
        }
        text.push_str(line.trim_end());
        text.push('\n');
    }
    print_out(&text)
}

/// How wide `flags list` may print: the terminal's width, or 100 when stdout is not one.
fn list_width() -> usize {
    const NOT_A_TERMINAL: usize = 100;
    if !std::io::stdout().is_terminal() {
        return NOT_A_TERMINAL;
    }
    crossterm::terminal::size()
        .map(|(cols, _)| usize::from(cols))
        .unwrap_or(NOT_A_TERMINAL)
}

/// Narrows the widest columns, one character at a time, until the row (with two spaces
/// between columns) fits `total`; no column goes below its title.
fn cap_widths(widths: &mut [usize], titles: &[String], total: usize) {
    let gaps = 2 * widths.len().saturating_sub(1);
    while widths.iter().sum::<usize>() + gaps > total {
        let widest = (0..widths.len())
            .filter(|&i| widths[i] > columns(&titles[i]).max(4))
            .max_by_key(|&i| (widths[i], i));
        match widest {
            Some(i) => widths[i] -= 1,
            None => return,
        }
    }
}

fn get(flag: &Flag, set: &FlagSet, output: Output) -> Result<(), Failure> {
    if output == Output::Json {
        return print_out(&pretty(&flag_json(flag, set))?);
    }
    let mut lines = vec![
        format!("{} ({}:{})", flag.key, set.source, flag.line),
        format!("  state      {}", flag.state.as_str()),
        format!(
            "  default    {}",
            flag.default_variant
                .as_deref()
                .unwrap_or("- (the caller's default)")
        ),
    ];
    for (i, (name, value)) in flag.variants.iter().enumerate() {
        let label = if i == 0 {
            "  variants   "
        } else {
            "             "
        };
        lines.push(format!("{label}{name} = {value}"));
    }
    match &flag.targeting {
        None => lines.push("  targeting  none".into()),
        Some(rule) => {
            lines.push(format!("  targeting  {}", summary(rule)));
            if let Some(split) = fractional_split(rule) {
                let shares: Vec<String> =
                    split.iter().map(|(v, p)| format!("{v} {p:.1}%")).collect();
                lines.push(format!(
                    "  split      {} {}",
                    bar(&split, 20),
                    shares.join(", ")
                ));
            }
            lines.push(format!("  rule       {rule}"));
        }
    }
    for (k, v) in &flag.metadata {
        lines.push(format!("  metadata   {k} = {v}"));
    }
    let text: String = lines.iter().map(|l| format!("{}\n", inert(l))).collect();
    print_out(&text)
}

fn resolution_json(r: &Resolution) -> Value {
    json!({
        "key": r.key,
        "value": r.value,
        "variant": r.variant,
        "reason": r.reason.as_str(),
        "error_code": r.error.map(|e| e.as_str()),
        "error_message": r.message,
        "metadata": r.metadata.as_ref(),
    })
}

fn print_resolutions(all: &[Resolution], single: bool, output: Output) -> Result<(), Failure> {
    if output == Output::Json {
        let json = match all {
            [one] if single => resolution_json(one),
            many => json!({ "flags": many.iter().map(resolution_json).collect::<Vec<_>>() }),
        };
        return print_out(&pretty(&json)?);
    }
    let mut text = String::new();
    for r in all {
        let line = match (&r.value, r.error) {
            (_, Some(code)) => format!(
                "{}: error {} ({})",
                r.key,
                code.as_str(),
                r.message.as_deref().unwrap_or("")
            ),
            (Some(value), None) => format!(
                "{}: {} (variant {}, {})",
                r.key,
                value,
                r.variant.as_deref().unwrap_or("-"),
                r.reason.as_str()
            ),
            (None, None) => format!("{}: the caller's default ({})", r.key, r.reason.as_str()),
        };
        text.push_str(&inert(&line));
        text.push('\n');
    }
    print_out(&text)
}

fn parse_weights(text: &str) -> Result<Vec<(String, i64)>, Failure> {
    edit::parse_weights(text).map_err(|e| bad_input(format!("--weights: {e}")))
}

/// Reads the flag's source, applies the edit (refused: nothing is written), shows the diff,
/// asks (or takes --yes), writes at the version read, and posts an Event.
async fn set_flag(
    args: &ClusterArgs,
    source: &str,
    key: &str,
    edit: &Edit,
    reason: &str,
    yes: bool,
    output: Output,
) -> Result<(), Failure> {
    let stored = Stored::from_source(source)
        .ok_or_else(|| bad_input(format!("{source} cannot be written")))?;
    let clusters = connect_all(args).await?;
    let cluster = clusters
        .first()
        .ok_or_else(|| bad_input("no cluster to write to"))?;
    // The guards every action has: a context marked read-only in config.toml changes nothing.
    if super::load_settings().is_read_only(&cluster.context) {
        return Err(Failure::new(
            exit::DENIED,
            format!("{} is read-only in config.toml", cluster.context),
        ));
    }
    let failure = |e: WriteError| match e {
        WriteError::Kube(e) => scope_failure(classify(&cluster.context, "changing the flag", &e)),
        WriteError::Conflict => Failure::new(
            exit::FAILED,
            format!(
                "{source} was changed by someone else since it was read; nothing was written: \
                 run again to see its new state"
            ),
        ),
        WriteError::Unusable(why) => bad_input(why),
    };
    let what = flip::describe(key, edit);
    let message = format!("{what} in {source} because: {reason}");
    // Every attempt is journaled, as for the other actions: a refused write too.
    let journal = super::open_journal()?;
    let record = |written: &Result<(), WriteError>| {
        let result = match written {
            Ok(()) => format!("ok: {what}"),
            Err(WriteError::Conflict) => "error: changed by someone else since read".to_string(),
            Err(WriteError::Kube(e)) => format!("error: {e}"),
            Err(WriteError::Unusable(why)) => format!("error: {why}"),
        };
        let entry = flip::journal_entry(cluster, &stored, Some(reason), &result);
        if let Err(e) = journal.append(&entry) {
            eprintln!("ripcord: warning: not journaled: {e}");
        }
    };
    // The user's right to write, asked before anything is shown or asked.
    let check = match &stored {
        Stored::FeatureFlag { .. } => AccessCheck {
            verb: "update",
            group: "core.openfeature.dev",
            resource: "featureflags",
            subresource: None,
        },
        Stored::ConfigMap { .. } => AccessCheck {
            verb: "update",
            group: "",
            resource: "configmaps",
            subresource: None,
        },
    };
    let namespace = match &stored {
        Stored::FeatureFlag { namespace, .. } | Stored::ConfigMap { namespace, .. } => namespace,
    };
    let access = AccessCache::new(std::time::Duration::from_secs(60));
    match access
        .allowed(&cluster.client, &cluster.context, namespace, check)
        .await
    {
        Ok(true) => {}
        Ok(false) => {
            return Err(Failure::new(
                exit::DENIED,
                format!(
                    "{}: not allowed to update {} in {namespace}",
                    cluster.context,
                    check.resource_name()
                ),
            ))
        }
        Err(e) => {
            return Err(Failure::new(
                exit::UNREACHABLE,
                format!("{}: checking permissions: {e}", cluster.context),
            ))
        }
    }
    // On a terminal, a change made by someone else meanwhile is shown and asked about again;
    // without one (--yes) the command stops and says so.
    let mut rounds = 0;
    let (loaded, written, diff) = loop {
        let loaded = write::load(&cluster.client, &stored)
            .await
            .map_err(failure)?;
        let after = edit::apply(&loaded.document, key, edit)
            .map_err(|e| bad_input(format!("refused, nothing was written: {e}")))?;
        let diff = match &loaded.text {
            Some(text) => edit::stored_diff(text, &loaded.document, &after, key),
            None => edit::diff(&loaded.document, &after, key),
        };
        let lines: String = diff.lines().map(|l| format!("{}\n", inert(l))).collect();
        let shown = format!("{}\n{lines}", inert(source));
        match (output, yes) {
            (Output::Table, _) => print_out(&shown)?,
            // JSON stays alone on stdout; a person asked to confirm still sees the change.
            (Output::Json, false) => eprint!("{shown}"),
            (Output::Json, true) => {}
        }
        if !yes {
            if !std::io::stdin().is_terminal() {
                return Err(bad_input("changing a flag needs --yes without a terminal"));
            }
            eprint!("write this change to {}? [y/N] ", inert(source));
            let mut answer = String::new();
            let _ = std::io::stdin().lock().read_line(&mut answer);
            if answer.trim() != "y" {
                return Err(Failure::new(
                    exit::FAILED,
                    "not confirmed; nothing was written",
                ));
            }
        }
        let written = write::store(&cluster.client, &loaded, &after).await;
        record(&written);
        match written {
            Err(WriteError::Conflict) if !yes && rounds < 5 => {
                rounds += 1;
                eprintln!(
                    "ripcord: {} was changed by someone else meanwhile; nothing was written. \
                     Its current state, with this change:",
                    inert(source)
                );
            }
            other => break (loaded, other, diff),
        }
    };
    written.map_err(failure)?;
    if let Err(e) = write::post_event(
        &cluster.client,
        &loaded,
        &cluster.user,
        &message,
        chrono::Utc::now(),
    )
    .await
    {
        eprintln!(
            "ripcord: warning: the Event was not posted: {}",
            inert(&e.to_string())
        );
    }
    match output {
        Output::Json => print_out(&pretty(&json!({
            "key": key,
            "source": source,
            "result": "ok",
            "message": message,
            "diff": diff,
        }))?),
        Output::Table => print_out(&format!("ok: {}\n", inert(&message))),
    }
}
