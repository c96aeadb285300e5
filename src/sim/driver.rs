//! Runs the demo world on a tokio task: the virtual clock, and actions on the world.

use super::World;
use crate::app::{ClockControl, Msg};
use crate::flags::flip::{FlagActuator, FlagRequest, Prepared, Written};
use crate::model::ops::{
    ActionFailure, ActionOutcome, ActionRequest, Actuator, BoxFuture, CheckError, Operation, Why,
};
use crate::model::{ConnState, Kind, Permission, ReleaseKey};
use std::time::Duration;
use tokio::sync::{mpsc, oneshot};

/// Real time between simulation steps.
const FRAME: Duration = Duration::from_millis(100);

#[derive(Debug)]
pub enum SimCommand {
    /// Carry out the request; the outcome goes back once the world's changes are out.
    Execute(ActionRequest, oneshot::Sender<ActionOutcome>),
    /// Check a flag edit against the world's flag set, writing nothing.
    FlagPrepare(FlagRequest, oneshot::Sender<Result<Prepared, String>>),
    /// Write a flag edit over the version given.
    FlagWrite(FlagRequest, String, oneshot::Sender<Written>),
    Clock(ClockControl),
}

/// Everything that changed in the world since the last call, as the messages the console
/// takes: cluster changes first, so that the side sources' data finds its release.
pub fn pending(world: &mut World) -> Vec<Msg> {
    let mut out: Vec<Msg> = world
        .take_changes()
        .into_iter()
        .map(|(context, changes)| Msg::Cluster { context, changes })
        .collect();
    out.extend(
        world
            .take_flags()
            .into_iter()
            .map(|(key, flags)| Msg::Flags { key, flags }),
    );
    out.extend(
        world
            .take_findings()
            .into_iter()
            .map(|(key, findings)| Msg::Findings { key, findings }),
    );
    out
}

/// Judges at once the analyses `effects` ask for, against the world's simulated Prometheus
/// and the demo's analysis, by the console's own judging code: for tests and benches,
/// which run without the console's executor.
pub fn judge_now(world: &mut World, effects: &[crate::app::Effect]) -> Vec<Msg> {
    use crate::metrics::feed::{demo_analysis, judge_batch, DemoSources};
    let requests: Vec<_> = effects
        .iter()
        .flat_map(|e| match e {
            crate::app::Effect::Analyze(batch) => batch.clone(),
            _ => Vec::new(),
        })
        .collect();
    if requests.is_empty() {
        return Vec::new();
    }
    let sources = DemoSources {
        prometheus: std::sync::Arc::new(world.prometheus()),
        config: demo_analysis(),
    };
    futures::executor::block_on(judge_batch(&sources, &requests))
}

/// The demo's actuator: hands requests to the task that drives the world.
#[derive(Debug, Clone)]
pub struct SimActuator {
    commands: mpsc::UnboundedSender<SimCommand>,
}

impl SimActuator {
    pub fn new(commands: mpsc::UnboundedSender<SimCommand>) -> Self {
        SimActuator { commands }
    }
}

impl Actuator for SimActuator {
    fn supports(&self, kind: Kind, op: Operation) -> Result<(), Why> {
        super::supports(kind, op)
    }

    fn permission<'a>(
        &'a self,
        _key: &'a ReleaseKey,
        _op: Operation,
    ) -> BoxFuture<'a, Result<Permission, CheckError>> {
        // The demo user may do anything the world can.
        Box::pin(async { Ok(Permission::Allowed) })
    }

    fn execute<'a>(&'a self, request: &'a ActionRequest) -> BoxFuture<'a, ActionOutcome> {
        Box::pin(async move {
            let (tx, rx) = oneshot::channel();
            let sent = self.commands.send(SimCommand::Execute(request.clone(), tx));
            match (sent, rx.await) {
                (Ok(()), Ok(outcome)) => outcome,
                _ => ActionOutcome {
                    request: request.clone(),
                    result: Err(ActionFailure::Unreachable(
                        "the demo world has stopped".into(),
                    )),
                    revision_before: None,
                    revision_after: None,
                },
            }
        })
    }

    fn announce<'a>(
        &'a self,
        _request: &'a ActionRequest,
        _outcome: &'a ActionOutcome,
    ) -> BoxFuture<'a, Result<(), String>> {
        // The world posts its own Event with the action.
        Box::pin(async { Ok(()) })
    }

    fn user(&self, _context: &str) -> String {
        super::DEMO_USER.to_string()
    }
}

/// The demo's flag edits: handed to the task that drives the world, which applies them to
/// its flag set with the same edit code a cluster's definitions get.
#[derive(Debug, Clone)]
pub struct SimFlags {
    commands: mpsc::UnboundedSender<SimCommand>,
}

impl SimFlags {
    pub fn new(commands: mpsc::UnboundedSender<SimCommand>) -> Self {
        SimFlags { commands }
    }
}

const STOPPED: &str = "the demo world has stopped";

impl FlagActuator for SimFlags {
    fn prepare<'a>(&'a self, request: &'a FlagRequest) -> BoxFuture<'a, Result<Prepared, String>> {
        Box::pin(async move {
            let (tx, rx) = oneshot::channel();
            let sent = self
                .commands
                .send(SimCommand::FlagPrepare(request.clone(), tx));
            match (sent, rx.await) {
                (Ok(()), Ok(result)) => result,
                _ => Err(STOPPED.into()),
            }
        })
    }

    fn write<'a>(&'a self, request: &'a FlagRequest, version: &'a str) -> BoxFuture<'a, Written> {
        Box::pin(async move {
            let (tx, rx) = oneshot::channel();
            let command = SimCommand::FlagWrite(request.clone(), version.to_owned(), tx);
            match (self.commands.send(command), rx.await) {
                (Ok(()), Ok(written)) => written,
                _ => Written::Failed(STOPPED.into()),
            }
        })
    }
}

/// Sends everything that changed in the world since the last call.
pub async fn publish(world: &mut World, msgs: &mpsc::Sender<Msg>) -> bool {
    let mut alive = true;
    for msg in pending(world) {
        alive &= msgs.send(msg).await.is_ok();
    }
    alive
}

/// Drives `world` until the console goes away.
pub async fn run(
    mut world: World,
    mut speed: f64,
    mut paused: bool,
    msgs: mpsc::Sender<Msg>,
    mut commands: mpsc::UnboundedReceiver<SimCommand>,
) {
    for context in world.contexts().to_vec() {
        let state = ConnState::Synced;
        if msgs.send(Msg::Connection { context, state }).await.is_err() {
            return;
        }
    }
    if !publish(&mut world, &msgs).await
        || msgs.send(Msg::Tick(world.now)).await.is_err()
        || msgs.send(Msg::Clock { paused, speed }).await.is_err()
    {
        return;
    }
    let mut ticker = tokio::time::interval(FRAME);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    loop {
        tokio::select! {
            _ = ticker.tick(), if !paused => {
                let before = world.now;
                world.advance(FRAME.as_secs_f64() * speed);
                if world.now != before
                    && (!publish(&mut world, &msgs).await || msgs.send(Msg::Tick(world.now)).await.is_err())
                {
                    return;
                }
            }
            command = commands.recv() => {
                let Some(command) = command else { return };
                match command {
                    SimCommand::Execute(request, reply) => {
                        let before = world.now;
                        let outcome = world.execute(&request);
                        // A pair's promotion or abort lets the world run on while it waits.
                        if !publish(&mut world, &msgs).await
                            || (world.now != before && msgs.send(Msg::Tick(world.now)).await.is_err())
                        {
                            return;
                        }
                        // The caller reports the outcome; one that has gone away wants none.
                        let _ = reply.send(outcome);
                    }
                    SimCommand::FlagPrepare(request, reply) => {
                        let _ = reply.send(world.flag_prepare(&request));
                    }
                    SimCommand::FlagWrite(request, version, reply) => {
                        let written = world.flag_write(&request, &version);
                        if !publish(&mut world, &msgs).await {
                            return;
                        }
                        let _ = reply.send(written);
                    }
                    SimCommand::Clock(control) => {
                        match control {
                            ClockControl::Toggle => paused = !paused,
                            ClockControl::Speed(s) => speed = s,
                        }
                        if msgs.send(Msg::Clock { paused, speed }).await.is_err() {
                            return;
                        }
                    }
                }
            }
        }
    }
}
