//! Runs the console: the same loop over the demo world or over real clusters.

use crate::app::{Effect, Mode, Msg, State};
use crate::cluster::access::AccessCache;
use crate::cluster::actions::KubeActuator;
use crate::cluster::connect::{connect_clusters, Cluster, ConnectOptions};
use crate::cluster::findings;
use crate::cluster::watch::{self, Requested};
use crate::config::theme::Theme;
use crate::flags::cluster::ConfigMapSource;
use crate::flags::flip::{FlagActuator, KubeFlags};
use crate::flags::watch::FlagSource;
use crate::journal::Journal;
use crate::metrics::feed::{demo_analysis, ClusterSources, DemoSources, Feed};
use crate::model::ops::Operation;
use crate::service::Service;
use crate::sim::driver::{self, SimActuator, SimCommand, SimFlags};
use crate::sim::prometheus::SimPrometheus;
use crate::sim::World;
use crate::tui;
use anyhow::Context;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;

/// Wall-clock ticks for ages on screen.
const CLOCK_TICK: Duration = Duration::from_secs(1);
/// Longest wait between attempts to reach a cluster that is down.
const MAX_RETRY: Duration = Duration::from_secs(30);

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("starting the async runtime")
}

/// `ripcord demo`: the console over the simulated world.
pub fn run_demo(mut state: State, theme: &Theme, fps: u32, mut world: World) -> anyhow::Result<()> {
    let Mode::Demo { paused, speed } = state.mode else {
        anyhow::bail!("run_demo needs a demo state");
    };
    let runtime = runtime()?;
    runtime.block_on(async {
        tui::install_panic_hook();
        let (mut terminal, _guard) = tui::enter_terminal().context("setting up the terminal")?;
        let (msg_tx, msg_rx) = mpsc::channel(tui::MSG_QUEUE);
        let (sim_tx, sim_rx) = mpsc::unbounded_channel();
        tui::spawn_input(msg_tx.clone());
        // The demo's clock may stand still; status messages go by wall time.
        let wall = msg_tx.clone();
        tokio::spawn(async move {
            let mut interval = tokio::time::interval(CLOCK_TICK);
            loop {
                interval.tick().await;
                if wall.send(Msg::Wall(chrono::Utc::now())).await.is_err() {
                    return;
                }
            }
        });
        let actuator = Arc::new(SimActuator::new(sim_tx.clone()));
        let service = Service::new(actuator, None, state.settings.clone(), state.read_only);
        state.support = service.support();
        // The demo's metrics come from a simulated Prometheus, judged as a real one is.
        let prometheus = SimPrometheus::default();
        world.attach_prometheus(prometheus.clone());
        let sources = DemoSources {
            prometheus: Arc::new(prometheus),
            config: demo_analysis(),
        };
        let feed = Feed::new(Arc::new(sources), msg_tx.clone());
        tokio::spawn(driver::run(world, speed, paused, msg_tx.clone(), sim_rx));
        let flags = Arc::new(SimFlags::new(sim_tx.clone()));
        let mut effects = effect_handler(service, flags, msg_tx, Some(feed));
        tui::run_loop(&mut terminal, &mut state, theme, fps, msg_rx, |effect| {
            match effect {
                // The simulator only stops when the console does.
                Effect::Clock(control) => {
                    let _ = sim_tx.send(SimCommand::Clock(control));
                }
                other => effects(other),
            }
        })
        .await
        .context("drawing the console")
    })?;
    // Background tasks (input reader, watches) must not keep the process alive.
    runtime.shutdown_background();
    Ok(())
}

/// Connects one context: finds what the user may read, then starts the watches. A cluster
/// that is down is retried with backoff; one that denies everything or rejects the
/// credentials says so and stops.
async fn watch_context(
    cluster: Cluster,
    requested: Requested,
    configured: Vec<String>,
    access: Arc<AccessCache>,
    flags: FlagSource,
    checks: crate::checks::Settings,
    msgs: mpsc::Sender<Msg>,
) {
    let mut delay = Duration::from_secs(1);
    loop {
        let context = cluster.context.clone();
        let state = crate::model::ConnState::Connecting;
        if msgs.send(Msg::Connection { context, state }).await.is_err() {
            return;
        }
        match watch::resolve_scope_detailed(&cluster, &requested, &configured, &access).await {
            Ok(scope) => {
                if let Requested::Namespace(ns) = &requested {
                    tokio::spawn(watch::watch_namespace(
                        cluster.clone(),
                        ns.clone(),
                        msgs.clone(),
                    ));
                }
                spawn_findings(&cluster, &scope, checks.clone(), &msgs);
                flags.watch(&cluster, &scope);
                // Argo and Flagger kinds are watched while their CRDs are installed.
                watch::spawn_discovering(
                    cluster,
                    scope,
                    watch::core_kinds(),
                    watch::custom_kinds(),
                    watch::DISCOVERY_EVERY,
                    msgs,
                );
                return;
            }
            Err(e) => {
                let context = cluster.context.clone();
                let msg = Msg::Connection {
                    context,
                    state: e.conn_state(),
                };
                if msgs.send(msg).await.is_err() || !e.is_retryable() {
                    return;
                }
                tokio::time::sleep(delay).await;
                delay = (delay * 2).min(MAX_RETRY);
            }
        }
    }
}

/// The console over real clusters.
/// The security checks follow the same scope as the release watches, as their own source.
fn spawn_findings(
    cluster: &Cluster,
    scope: &watch::Scope,
    settings: crate::checks::Settings,
    msgs: &mpsc::Sender<Msg>,
) {
    let (tx, mut rx) = mpsc::channel(64);
    tokio::spawn(findings::run_reporting(
        cluster.clone(),
        scope.clone(),
        settings,
        tx,
    ));
    let msgs = msgs.clone();
    tokio::spawn(async move {
        while let Some(report) = rx.recv().await {
            let msg = match report {
                findings::Report::Release(key, findings) => Msg::Findings { key, findings },
                findings::Report::Namespace {
                    context,
                    namespace,
                    findings,
                } => Msg::NamespaceFindings {
                    context,
                    namespace,
                    findings,
                },
                findings::Report::Status { context, status } => {
                    Msg::ChecksStatus { context, status }
                }
            };
            if msgs.send(msg).await.is_err() {
                return;
            }
        }
    });
}

pub fn run_live(
    mut state: State,
    theme: &Theme,
    fps: u32,
    connect: ConnectOptions,
    requested: Requested,
    journal: Journal,
    flag_files: Vec<std::path::PathBuf>,
) -> anyhow::Result<()> {
    let runtime = runtime()?;
    runtime.block_on(async {
        // Clients must be built on the runtime that drives them.
        let clusters = connect_clusters(&connect).await?;
        // As the headless commands do: no context answering is an exit code, not a console.
        reachable(&clusters).await?;
        let (msg_tx, msg_rx) = mpsc::channel(tui::MSG_QUEUE);
        let flags = FlagSource::start(
            ConfigMapSource::default(),
            watch::DISCOVERY_EVERY,
            msg_tx.clone(),
        );
        crate::flags::files::spawn(&flag_files, flags.input())?;
        tui::install_panic_hook();
        let (mut terminal, _guard) = tui::enter_terminal().context("setting up the terminal")?;
        tui::spawn_input(msg_tx.clone());
        let access = Arc::new(AccessCache::default());
        for cluster in &clusters {
            let configured = state.settings.namespaces(&cluster.context).to_vec();
            tokio::spawn(watch_context(
                cluster.clone(),
                requested.clone(),
                configured,
                access.clone(),
                flags.clone(),
                crate::checks::Settings {
                    allowed_registries: state.settings.allowed_registries.clone(),
                },
                msg_tx.clone(),
            ));
        }
        let ticks = msg_tx.clone();
        tokio::spawn(async move {
            let mut interval = tokio::time::interval(CLOCK_TICK);
            loop {
                interval.tick().await;
                if ticks.send(Msg::Tick(chrono::Utc::now())).await.is_err() {
                    return;
                }
            }
        });
        let (sources, problems) =
            ClusterSources::connect(&clusters, &state.settings, &connect).await;
        for problem in problems {
            let _ = msg_tx.send(Msg::Problem(problem)).await;
        }
        let feed = Feed::new(Arc::new(sources), msg_tx.clone());
        tokio::spawn(settle_flagger(
            clusters.clone(),
            journal.clone(),
            msg_tx.clone(),
        ));
        // Flag edits go through the same checks, journal and Events as `ripcord flags set`.
        let flags = Arc::new(KubeFlags::new(
            clusters.clone(),
            access.clone(),
            Some(journal.clone()),
            state.settings.clone(),
            state.read_only,
        ));
        let actuator = Arc::new(KubeActuator::new(clusters, access));
        let service = Service::new(
            actuator,
            Some(journal),
            state.settings.clone(),
            state.read_only,
        );
        state.support = service.support();
        let mut effects = effect_handler(service, flags, msg_tx, Some(feed));
        tui::run_loop(&mut terminal, &mut state, theme, fps, msg_rx, |effect| {
            effects(effect)
        })
        .await
        .context("drawing the console")
    })?;
    runtime.shutdown_background();
    Ok(())
}

/// How often the console puts back a Flagger `spec.skipAnalysis` that a `promote --full`
/// set, once the promotion is over.
const SETTLE_FLAGGER_EVERY: Duration = Duration::from_secs(20);
const PROBE_TIMEOUT: Duration = Duration::from_secs(15);

/// Fails with the first context's reason when no context answers at all.
async fn reachable(clusters: &[Cluster]) -> Result<(), watch::ScopeError> {
    let mut first = None;
    for cluster in clusters {
        match tokio::time::timeout(PROBE_TIMEOUT, cluster.client.apiserver_version()).await {
            Ok(Ok(_)) => return Ok(()),
            Ok(Err(e)) => {
                first.get_or_insert(watch::classify(
                    &cluster.context,
                    "reaching the API server",
                    &e,
                ));
            }
            Err(_) => {
                first.get_or_insert(watch::ScopeError::Unreachable(format!(
                    "{}: reaching the API server: no answer within {} s",
                    cluster.context,
                    PROBE_TIMEOUT.as_secs()
                )));
            }
        }
    }
    first.map_or(Ok(()), Err)
}

/// Puts back what a Flagger action of ripcord's left set, and says so on the status line.
async fn settle_flagger(clusters: Vec<Cluster>, journal: Journal, msgs: mpsc::Sender<Msg>) {
    let mut interval = tokio::time::interval(SETTLE_FLAGGER_EVERY);
    loop {
        interval.tick().await;
        for cluster in &clusters {
            let done = crate::cluster::actions::flagger::settle(
                &cluster.client,
                &cluster.context,
                &journal,
                &cluster.user,
            )
            .await;
            for text in done {
                if msgs.send(Msg::Settled(text)).await.is_err() {
                    return;
                }
            }
        }
    }
}

/// Carries out the console's effects through `service` and `flags`, whatever world they act
/// on; the clock is the demo's own.
fn effect_handler(
    service: Service,
    flags: Arc<dyn FlagActuator>,
    msgs: mpsc::Sender<Msg>,
    feed: Option<Feed>,
) -> impl FnMut(Effect) {
    move |effect| match effect {
        Effect::FlagPrepare(request) => {
            let (flags, msgs) = (flags.clone(), msgs.clone());
            tokio::spawn(async move {
                let result = flags.prepare(&request).await;
                let _ = msgs.send(Msg::FlagPrepared { request, result }).await;
            });
        }
        Effect::FlagWrite { request, version } => {
            let (flags, msgs) = (flags.clone(), msgs.clone());
            tokio::spawn(async move {
                let written = flags.write(&request, &version).await;
                let _ = msgs.send(Msg::FlagWritten { request, written }).await;
            });
        }
        Effect::Copy(text) => {
            use std::io::Write;
            let mut out = std::io::stdout();
            let _ = out.write_all(osc52(&text).as_bytes());
            let _ = out.flush();
        }
        Effect::Analyze(batch) => {
            if let Some(feed) = &feed {
                feed.request(batch);
            }
        }
        Effect::Execute(request) => {
            let (service, msgs) = (service.clone(), msgs.clone());
            tokio::spawn(async move {
                let (outcome, problems) = service.act(&request).await;
                let _ = msgs.send(Msg::ActionDone(outcome)).await;
                for problem in problems {
                    let _ = msgs.send(Msg::Problem(problem)).await;
                }
            });
        }
        Effect::CheckAccess(key) => {
            let (service, msgs) = (service.clone(), msgs.clone());
            let support = service.support();
            tokio::spawn(async move {
                for op in Operation::ALL
                    .into_iter()
                    .filter(|op| support.supports(key.kind, *op).is_ok())
                {
                    let permission = match service.permission(&key, op).await {
                        Ok(p) => p,
                        Err(e) => {
                            let _ = msgs.send(Msg::Problem(e.to_string())).await;
                            return;
                        }
                    };
                    let msg = Msg::Permission {
                        key: key.clone(),
                        op,
                        permission,
                    };
                    if msgs.send(msg).await.is_err() {
                        return;
                    }
                }
            });
        }
        Effect::Clock(_) | Effect::Quit => {}
    }
}

/// The OSC 52 sequence that puts `text` on the clipboard of the terminal (local or at the
/// far end of SSH). Base64 keeps whatever the text holds from reaching the terminal raw.
pub fn osc52(text: &str) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::from("\x1b]52;c;");
    for chunk in text.as_bytes().chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out.push('\x07');
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn osc52_is_base64_between_the_markers() {
        assert_eq!(super::osc52(""), "\x1b]52;c;\x07");
        assert_eq!(super::osc52("f"), "\x1b]52;c;Zg==\x07");
        assert_eq!(super::osc52("fo"), "\x1b]52;c;Zm8=\x07");
        assert_eq!(super::osc52("foobar"), "\x1b]52;c;Zm9vYmFy\x07");
        assert_eq!(
            super::osc52("rate(x{a=\"1\"}[1m])\n\x1b"),
            "\x1b]52;c;cmF0ZSh4e2E9IjEifVsxbV0pChs=\x07"
        );
    }
}
