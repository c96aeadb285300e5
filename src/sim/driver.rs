//! Runs the demo world on a tokio task: the virtual clock, and actions on the world.

use super::World;
use crate::app::{ClockControl, Msg};
use crate::model::ops::ActionRequest;
use crate::model::ConnState;
use std::time::Duration;
use tokio::sync::mpsc;

/// Real time between simulation steps.
const FRAME: Duration = Duration::from_millis(100);

#[derive(Debug)]
pub enum SimCommand {
    Execute(ActionRequest),
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
            .take_metrics()
            .into_iter()
            .map(|(key, metrics)| Msg::Metrics { key, metrics }),
    );
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
                    SimCommand::Execute(request) => {
                        let outcome = world.execute(&request);
                        if !publish(&mut world, &msgs).await || msgs.send(Msg::ActionDone(outcome)).await.is_err() {
                            return;
                        }
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
