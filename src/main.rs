use clap::Parser;
use ripcord::app::{Mode, State};
use ripcord::cluster::access::AccessCache;
use ripcord::cluster::actions::flagger;
use ripcord::cluster::actions::KubeActuator;
use ripcord::cluster::connect::{connect_clusters, Cluster, ConnectError, ConnectOptions};
use ripcord::cluster::watch::Requested;
use ripcord::config::theme::Theme;
use ripcord::config::{self, LoadedConfig};
use ripcord::headless::{self, exit, Failure};
use ripcord::journal::Journal;
use ripcord::model::ops::{next_pair_step, ActionRequest, Op};
use ripcord::model::Kind;
use ripcord::service::Service;
use ripcord::sim::World;
use std::io::{BufRead, IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

mod check_cli;
mod cli;
mod flags_cli;
mod gate_cli;
use cli::{ActionArgs, Cli, ClusterArgs, Command, ConfigCommand, Output, UiArgs};

fn main() -> ExitCode {
    let cli = Cli::parse();
    let headless = !matches!(cli.command, None | Some(Command::Demo { .. }));
    if let (true, Some(option)) = (headless, cli.ui.first_given()) {
        // Silently ignoring --read-only before an action would be the worst kind of surprise.
        eprintln!(
            "ripcord: {option} applies to the console and the demo only, not to this command"
        );
        return ExitCode::from(exit::BAD_INPUT);
    }
    // `--flags` before a subcommand: the console's, or the `flags` command's own.
    if !cli.flag_files.is_empty() && !matches!(cli.command, None | Some(Command::Flags { .. })) {
        eprintln!("ripcord: --flags applies to the console and `ripcord flags` only");
        return ExitCode::from(exit::BAD_INPUT);
    }
    let result = match cli.command {
        Some(Command::Config {
            command: ConfigCommand::Check { files },
        }) => return config_check(&files),
        Some(Command::Demo {
            ui,
            speed,
            seed,
            paused,
        }) => run_demo(&ui.or(&cli.ui), &cli.cluster, speed, seed, paused),
        None => run_console(&cli.ui, &cli.cluster, &cli.flag_files),
        Some(Command::Status { target, output }) => {
            block_on(status(&cli.cluster, target.as_deref(), output))
        }
        Some(Command::Journal { output }) => journal(output),
        Some(Command::Flags {
            command,
            files,
            configmap_label,
            data_key,
            release,
            output,
        }) => block_on(flags_cli::run(
            &cli.cluster,
            &command,
            flags_cli::Sources {
                files: &[cli.flag_files.clone(), files].concat(),
                configmap_label,
                data_key,
                release,
            },
            output,
        )),
        Some(Command::Check(args)) => check_cli::check(&cli.cluster, &args),
        Some(Command::Analyze {
            target,
            analysis,
            window,
            output,
        }) => block_on(gate_cli::analyze(
            &cli.cluster,
            &target,
            &analysis,
            &window,
            output,
        )),
        Some(Command::Judge {
            canary,
            baseline,
            direction,
            output,
        }) => gate_cli::judge(&canary, &baseline, direction, output),
        Some(Command::Gate {
            target,
            analysis,
            timeout,
            duration,
            interval,
            window,
            rollback_on_fail,
            output,
        }) => block_on(gate_cli::gate(
            &cli.cluster,
            gate_cli::GateArgs {
                target: &target,
                analysis: &analysis,
                timeout: &timeout,
                duration: &duration,
                interval: &interval,
                window: window.as_deref(),
                rollback_on_fail,
                output,
            },
        )),
        Some(command) => {
            let (args, op) = match command {
                Command::Promote { action, full } => (
                    action,
                    if full {
                        Op::PromoteFull
                    } else {
                        Op::Promote { step: None }
                    },
                ),
                Command::Pause { action } => (action, Op::Pause),
                Command::Resume { action } => (action, Op::Resume),
                Command::Abort { action } => (action, Op::Abort),
                Command::Retry { action } => (action, Op::Retry),
                Command::Rollback {
                    action,
                    to_revision,
                } => (action, Op::Rollback { to: to_revision }),
                Command::Restart { action } => (action, Op::Restart),
                Command::SetWeight { action, weight } => (action, Op::SetWeight { weight }),
                _ => unreachable!("handled above"),
            };
            block_on(act(&cli.cluster, &args, op))
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(f) => {
            // Line breaks of ripcord's own multi-line errors (a parser's pointer) stay lines.
            let lines: Vec<_> = f.message.lines().map(ripcord::model::text::inert).collect();
            eprintln!("ripcord: {}", lines.join("\n"));
            ExitCode::from(f.code)
        }
    }
}

/// Writes to stdout. A reader that has gone away (`| head`) ends the command quietly: what it
/// wanted, it has.
fn print_out(text: &str) -> Result<(), Failure> {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => std::process::exit(0),
        Err(e) => Err(Failure::new(
            exit::FAILED,
            format!("writing to stdout: {e}"),
        )),
    }
}

fn block_on<T>(
    future: impl std::future::Future<Output = Result<T, Failure>>,
) -> Result<T, Failure> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Failure::new(exit::FAILED, format!("starting the async runtime: {e}")))?
        .block_on(future)
}

fn config_check(files: &[std::path::PathBuf]) -> ExitCode {
    use ripcord::config::paths;
    let report = if files.is_empty() {
        match paths::config_dir() {
            // The platform's directory may simply not exist yet: defaults apply, all is well.
            Some(dir) if !dir.exists() && std::env::var_os(paths::CONFIG_DIR_ENV).is_none() => {
                let _ = print_out(&format!(
                    "ok: nothing to check: {} does not exist, so the built-in defaults apply\n",
                    dir.display()
                ));
                return ExitCode::SUCCESS;
            }
            Some(dir) => config::check_dir(&dir),
            None => {
                let _ = print_out(
                    "ok: nothing to check: no home directory and no RIPCORD_CONFIG_DIR, so the \
                     built-in defaults apply\n",
                );
                return ExitCode::SUCCESS;
            }
        }
    } else {
        config::check_paths(files)
    };
    let mut text = String::new();
    for issue in &report.issues {
        text.push_str(&format!(
            "{}\n",
            ripcord::model::text::inert(&issue.to_string())
        ));
    }
    let checked: Vec<String> = report
        .checked
        .iter()
        .map(|p| p.display().to_string())
        .collect();
    let ok = report.issues.is_empty();
    if ok && checked.is_empty() {
        text.push_str(&format!(
            "ok: no problems found: no config file to check in {}\n",
            files
                .iter()
                .map(|p| p.display().to_string())
                .chain(
                    paths::config_dir()
                        .filter(|_| files.is_empty())
                        .map(|d| d.display().to_string())
                )
                .collect::<Vec<_>>()
                .join(", ")
        ));
    } else if ok {
        text.push_str(&format!(
            "ok: no problems found in {}\n",
            checked.join(", ")
        ));
    }
    let _ = print_out(&text);
    if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(exit::BAD_INPUT)
    }
}

fn load_config(ui: &UiArgs) -> LoadedConfig {
    config::load_all(
        ui.theme.as_deref(),
        ui.keymap.as_deref(),
        config::theme::color_disabled_by_env(),
    )
}

/// config.toml alone, for headless commands: problems are warnings, defaults apply.
fn load_settings() -> ripcord::config::Settings {
    let loaded = config::load_all(None, None, true);
    for issue in &loaded.issues {
        eprintln!(
            "ripcord: warning: {}",
            ripcord::model::text::inert(&issue.to_string())
        );
    }
    loaded.settings
}

fn failed(e: anyhow::Error) -> Failure {
    Failure::new(exit::FAILED, format!("{e:#}"))
}

/// The console's starting state from the user's configuration; problems become warnings.
fn console_state(
    ui: &UiArgs,
    mode: Mode,
    now: chrono::DateTime<chrono::Utc>,
) -> (State, Theme, u32) {
    let LoadedConfig {
        settings,
        keymap,
        theme,
        issues,
    } = load_config(ui);
    let fps = ui.fps.unwrap_or(settings.fps);
    let mut state = State::new(mode, keymap, settings, ui.read_only, now);
    state.warnings = issues.iter().map(ToString::to_string).collect();
    (state, theme, fps)
}

/// The demo clock's speeds, as `+` and `-` keep them.
const DEMO_SPEEDS: std::ops::RangeInclusive<f64> = 0.25..=64.0;

fn run_demo(
    ui: &UiArgs,
    cluster: &ClusterArgs,
    speed: f64,
    seed: u64,
    paused: bool,
) -> Result<(), Failure> {
    if !DEMO_SPEEDS.contains(&speed) {
        return Err(Failure::new(
            exit::BAD_INPUT,
            format!(
                "--speed must be between {} and {} (virtual seconds per second), got {speed}; \
                 --paused starts the clock stopped",
                DEMO_SPEEDS.start(),
                DEMO_SPEEDS.end()
            ),
        ));
    }
    if let Some(path) = &cluster.kubeconfig {
        return Err(Failure::new(
            exit::BAD_INPUT,
            format!(
                "the demo runs on a simulated cluster: --kubeconfig {} does not apply",
                path.display()
            ),
        ));
    }
    let world = World::demo(seed);
    let (context_filter, namespace_filter) = demo_filters(&world, cluster)?;
    let mode = Mode::Demo { paused, speed };
    let (mut state, theme, fps) = console_state(ui, mode, world.now);
    state.context_filter = context_filter;
    state.namespace_filter = namespace_filter;
    ripcord::console::run_demo(state, &theme, fps, world).map_err(failed)
}

/// `--context` and `-n` on the demo pick one of its simulated contexts and namespaces.
fn demo_filters(
    world: &World,
    args: &ClusterArgs,
) -> Result<(Option<String>, Option<String>), Failure> {
    let context = match args.context.as_slice() {
        [] => None,
        [one] if world.contexts().contains(one) => Some(one.clone()),
        [one] => {
            return Err(Failure::new(
                exit::BAD_INPUT,
                format!(
                    "the demo has no context {:?}: it simulates {}",
                    ripcord::model::text::inert(one),
                    world.contexts().join(", ")
                ),
            ))
        }
        _ => {
            return Err(Failure::new(
                exit::BAD_INPUT,
                "the demo shows one context or all of them: pass --context once",
            ))
        }
    };
    let Some(namespace) = &args.namespace else {
        return Ok((context, None));
    };
    let mut known: Vec<String> = world
        .release_keys()
        .into_iter()
        .filter(|key| context.as_ref().is_none_or(|c| &key.context == c))
        .map(|key| key.namespace)
        .collect();
    known.sort();
    known.dedup();
    if !known.contains(namespace) {
        return Err(Failure::new(
            exit::BAD_INPUT,
            format!(
                "the demo has no namespace {:?}{}: it simulates {}",
                ripcord::model::text::inert(namespace),
                context
                    .as_ref()
                    .map(|c| format!(" in {c}"))
                    .unwrap_or_default(),
                known.join(", ")
            ),
        ));
    }
    Ok((context, Some(namespace.clone())))
}

fn connect_options(args: &ClusterArgs) -> ConnectOptions {
    ConnectOptions {
        kubeconfig: args.kubeconfig.clone(),
        contexts: args.context.clone(),
    }
}

fn requested(args: &ClusterArgs) -> Requested {
    match &args.namespace {
        Some(ns) => Requested::Namespace(ns.clone()),
        None => Requested::AllNamespaces,
    }
}

async fn connect_all(args: &ClusterArgs) -> Result<Vec<Cluster>, Failure> {
    connect_clusters(&connect_options(args))
        .await
        .map_err(|e| Failure::new(exit::BAD_INPUT, e.to_string()))
}

fn open_journal() -> Result<Journal, Failure> {
    Journal::open_default()
        .map_err(|e| Failure::new(exit::FAILED, format!("opening the journal: {e}")))
}

fn run_console(ui: &UiArgs, args: &ClusterArgs, flag_files: &[PathBuf]) -> Result<(), Failure> {
    // A mistyped path or a file that does not load is said at once, as `file:line:col`,
    // before the terminal is taken over; later broken edits are shown in the console.
    for path in flag_files {
        if let Err(e) = std::fs::metadata(path).and_then(|m| {
            if m.is_file() {
                Ok(())
            } else {
                Err(std::io::Error::other("not a file"))
            }
        }) {
            return Err(Failure::new(
                exit::BAD_INPUT,
                format!("--flags {}: {e}", path.display()),
            ));
        }
    }
    flags_cli::load_files(flag_files)?;
    let journal = open_journal()?;
    let (mut state, theme, fps) = console_state(ui, Mode::Live, chrono::Utc::now());
    // The header tells the truth about what is shown: `-n NS` and a single `--context`.
    state.namespace_filter = args.namespace.clone();
    if let [one] = args.context.as_slice() {
        state.context_filter = Some(one.clone());
    }
    ripcord::console::run_live(
        state,
        &theme,
        fps,
        connect_options(args),
        requested(args),
        journal,
        flag_files.to_vec(),
    )
    .map_err(|e| {
        if let Some(files) = e.downcast_ref::<ripcord::flags::files::WatchError>() {
            return Failure::new(exit::BAD_INPUT, files.to_string());
        }
        // A kubeconfig that cannot be used is bad input, and a context that does not answer
        // is unreachable, as for the headless commands.
        if let Some(connect) = e.downcast_ref::<ConnectError>() {
            return Failure::new(exit::BAD_INPUT, connect.to_string());
        }
        match e.downcast::<ripcord::cluster::watch::ScopeError>() {
            Ok(scope) => headless::scope_failure(scope),
            Err(e) => failed(e),
        }
    })
}

/// `status`; with `-o json` a failure is a JSON `{"error": {...}}` on stdout too, so a
/// script never reads an unreachable cluster as "no releases".
async fn status(args: &ClusterArgs, target: Option<&str>, output: Output) -> Result<(), Failure> {
    let mut printed = false;
    let result = status_inner(args, target, output, &mut printed).await;
    if let (Err(f), Output::Json, false) = (&result, output, printed) {
        print_json(&serde_json::json!({ "error": f.to_json() }))?;
    }
    result
}

fn print_json(value: &serde_json::Value) -> Result<(), Failure> {
    let text = serde_json::to_string_pretty(value)
        .map_err(|e| Failure::new(exit::FAILED, e.to_string()))?;
    print_out(&format!("{text}\n"))
}

async fn status_inner(
    args: &ClusterArgs,
    target: Option<&str>,
    output: Output,
    printed: &mut bool,
) -> Result<(), Failure> {
    let target = target.map(headless::parse_target).transpose()?;
    let clusters = connect_all(args).await?;
    let settings = load_settings();
    let access = AccessCache::default();
    let mut releases = Vec::new();
    let mut first_error = None;
    for cluster in &clusters {
        match headless::snapshot(
            cluster,
            &requested(args),
            settings.namespaces(&cluster.context),
            &access,
        )
        .await
        {
            Ok(found) => releases.extend(found),
            // The first failure is printed once, by main, with its exit code; later ones here.
            Err(f) if first_error.is_some() => {
                eprintln!("ripcord: {}", ripcord::model::text::inert(&f.message))
            }
            Err(f) => first_error = Some(f),
        }
    }
    // One unreachable cluster does not hide the others; it still sets the exit code.
    if let Some((kind, name)) = &target {
        releases = headless::filter_target(releases, *kind, name);
    }
    headless::sort_releases(&mut releases, &settings);
    match output {
        // Releases read before a failure still print, with the failure beside them.
        Output::Json if !releases.is_empty() || first_error.is_none() => {
            let json: Vec<headless::ReleaseJson> = releases.iter().map(Into::into).collect();
            let mut value = serde_json::json!({ "releases": json });
            if let Some(f) = &first_error {
                value["error"] = f.to_json();
            }
            print_json(&value)?;
            *printed = true;
        }
        Output::Json => {}
        // Nothing read and a failure to say, or a named release not found: a header alone
        // would only look like an answer.
        Output::Table if releases.is_empty() && (first_error.is_some() || target.is_some()) => {}
        Output::Table => print_out(&headless::status_table(&releases, chrono::Utc::now()))?,
    }
    match (first_error, &target) {
        (Some(f), _) => Err(f),
        (None, Some((_, name))) if releases.is_empty() => Err(Failure::new(
            exit::FAILED,
            format!("no release {name:?} found"),
        )),
        _ => Ok(()),
    }
}

/// Asks on the terminal; without one, a dangerous action needs --yes.
fn confirm(prompt: &str, expected: &str) -> bool {
    if !std::io::stdin().is_terminal() {
        return false;
    }
    eprint!("{prompt} ");
    let _ = std::io::stderr().flush();
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line).is_ok() && line.trim() == expected
}

/// An action; with `-o json`, a failure before any outcome (a refusal, an unreachable
/// cluster) prints the outcome's `{"Err": {"kind", "message"}}` shape too.
async fn act(args: &ClusterArgs, action: &ActionArgs, op: Op) -> Result<(), Failure> {
    let mut printed = false;
    let result = act_inner(args, action, op, &mut printed).await;
    if let (Err(f), Output::Json, false) = (&result, action.output, printed) {
        print_json(&serde_json::json!({ "result": { "Err": f.to_json() } }))?;
    }
    result
}

async fn act_inner(
    args: &ClusterArgs,
    action: &ActionArgs,
    op: Op,
    printed: &mut bool,
) -> Result<(), Failure> {
    if args.all_namespaces {
        return Err(Failure::new(
            exit::BAD_INPUT,
            "an action targets one release in one namespace: -A does not apply; pass -n NS",
        ));
    }
    if args.context.len() > 1 {
        return Err(Failure::new(
            exit::BAD_INPUT,
            "an action targets one context: pass --context once",
        ));
    }
    let (kind, name) = headless::parse_target(&action.target)?;
    let clusters = connect_all(args).await?;
    let Some(cluster) = clusters.first() else {
        return Err(Failure::new(exit::BAD_INPUT, "no context to act on"));
    };
    let namespace = args
        .namespace
        .clone()
        .unwrap_or_else(|| cluster.namespace.clone());
    let access = Arc::new(AccessCache::default());
    let releases =
        headless::snapshot(cluster, &Requested::Namespace(namespace), &[], &access).await?;
    let key = headless::resolve_release(&releases, kind, &name)?;
    // What the release's state refuses (a promote of an aborted rollout) is bad input.
    if let Some(why) = releases
        .iter()
        .find(|r| r.key == key)
        .and_then(|r| r.state_refusal(op.kind()))
    {
        return Err(Failure::new(
            exit::BAD_INPUT,
            format!("cannot {} {}: {why}", op.verb(), action.target),
        ));
    }
    // A weight no step of a rollout names is bad input, refused before anything is asked.
    if let Op::SetWeight { weight } = op {
        let refused = releases
            .iter()
            .find(|r| r.key == key)
            .and_then(|r| r.weight_refused(weight));
        if let Some(why) = refused {
            return Err(Failure::new(
                exit::BAD_INPUT,
                format!("{}: {why}", action.target),
            ));
        }
    }
    let settings = load_settings();
    let service = Service::new(
        Arc::new(KubeActuator::new([cluster.clone()], access)),
        None,
        settings.clone(),
        false,
    );
    let mut request = ActionRequest {
        key: key.clone(),
        op,
        reason: action.reason.clone(),
        dry_run: action.dry_run,
    };
    service
        .preflight(&request)
        .await
        .map_err(|r| Failure::from(&r))?;
    // `promote` moves a canary pair one configured step, never all the way.
    if let (Op::Promote { step: None }, Kind::CanaryPair) = (op, key.kind) {
        if let Some(r) = releases.iter().find(|r| r.key == key) {
            let step = next_pair_step(&settings.pair_steps, r.stable.desired, r.canary.desired)
                .map_err(|why| {
                    Failure::new(exit::FAILED, format!("cannot promote {key}: {why}"))
                })?;
            request.op = Op::Promote { step: Some(step) };
        }
    }
    let production = service.is_production(&key.context);
    let needs_confirmation = (op.is_dangerous() || production) && !action.dry_run;
    if needs_confirmation && !action.yes {
        // What set-weight will do, as the console's confirmation says it.
        if let (Op::SetWeight { weight }, Some(r)) = (op, releases.iter().find(|r| r.key == key)) {
            for line in r.set_weight_preview(weight) {
                eprintln!("{line}");
            }
        }
        let prompt = format!("{} {key}: type {} to confirm:", op.verb(), key.name);
        if !confirm(&prompt, &key.name) {
            return Err(Failure::new(
                exit::BAD_INPUT,
                format!("{} {key} needs confirmation: pass --yes", op.verb()),
            ));
        }
    }
    let journal = open_journal()?;
    if !action.dry_run {
        // A Flagger skipAnalysis an earlier `promote --full` set goes back once promoted.
        let user = cluster.user.clone();
        for done in flagger::settle(&cluster.client, &cluster.context, &journal, &user).await {
            eprintln!("ripcord: {}", ripcord::model::text::inert(&done));
        }
    }
    let service = service.with_journal(journal);
    let (outcome, problems) = service.execute(&request).await;
    for problem in &problems {
        eprintln!("ripcord: warning: {problem}");
    }
    let shown = output_outcome(&outcome, action.output);
    *printed = true;
    match shown {
        Ok(()) => match &outcome.result {
            Ok(_) => Ok(()),
            Err(f) => Err(f.into()),
        },
        Err(f) => Err(f),
    }
}

fn output_outcome(
    outcome: &ripcord::model::ops::ActionOutcome,
    output: Output,
) -> Result<(), Failure> {
    match output {
        Output::Json => {
            let text = serde_json::to_string_pretty(outcome)
                .map_err(|e| Failure::new(exit::FAILED, e.to_string()))?;
            print_out(&format!("{text}\n"))?;
        }
        Output::Table => {
            let req = &outcome.request;
            if let Ok(text) = &outcome.result {
                let revisions = match (outcome.revision_before, outcome.revision_after) {
                    (Some(b), Some(a)) if a != b => format!(" (revision {b} → {a})"),
                    _ => String::new(),
                };
                print_out(&format!(
                    "{} {}: {}{revisions}\n",
                    req.op.verb(),
                    req.key,
                    ripcord::model::text::inert(text)
                ))?;
            }
        }
    }
    Ok(())
}

fn journal(output: Output) -> Result<(), Failure> {
    let journal = open_journal()?;
    let (entries, problems) = journal
        .read_lenient()
        .map_err(|e| Failure::new(exit::FAILED, e.to_string()))?;
    for problem in &problems {
        eprintln!("ripcord: warning: {problem}");
    }
    match output {
        Output::Json => {
            for entry in &entries {
                let line = serde_json::to_string(entry)
                    .map_err(|e| Failure::new(exit::FAILED, e.to_string()))?;
                print_out(&format!("{line}\n"))?;
            }
        }
        Output::Table => {
            const WIDTHS: [usize; 9] = [19, 10, 14, 32, 12, 8, 3, 24, 0];
            let mut text = headless::table_row(
                &[
                    "TIME", "USER", "CONTEXT", "TARGET", "ACTION", "REV", "DRY", "REASON", "RESULT",
                ],
                &WIDTHS,
            );
            for e in &entries {
                let rev = match (e.revision_before, e.revision_after) {
                    (Some(b), Some(a)) => format!("{b}→{a}"),
                    _ => "-".into(),
                };
                text.push_str(&headless::table_row(
                    &[
                        &e.time.format("%Y-%m-%d %H:%M:%S").to_string(),
                        &e.user,
                        &e.context,
                        &format!("{}/{}/{}", e.namespace, e.kind, e.name),
                        &e.action,
                        &rev,
                        if e.dry_run { "yes" } else { "-" },
                        e.reason.as_deref().unwrap_or("-"),
                        &e.result,
                    ],
                    &WIDTHS,
                ));
            }
            print_out(&text)?;
        }
    }
    Ok(())
}
