//! Fixtures for ripcord's tests and benches, kept out of the shipped library: the synthetic
//! clusters the hot-path benches measure ([`scale`]) and the simulator's world handed to a
//! console state as the driver would ([`feed`]). Only a dev-dependency of ripcord.

pub mod scale;

use ripcord::app::{update, Msg, State};
use ripcord::model::ConnState;
use ripcord::sim::World;

/// Hands everything `world` holds to `state` in the order the simulator's driver sends it:
/// connections, then object changes and each side source's data, then the clock; the
/// analyses the clock makes due are judged at once, as the demo's executor would.
pub fn feed(world: &mut World, state: &mut State) {
    for context in world.contexts().to_vec() {
        update(
            state,
            Msg::Connection {
                context,
                state: ConnState::Synced,
            },
        );
    }
    for msg in ripcord::sim::driver::pending(world) {
        update(state, msg);
    }
    let effects = update(state, Msg::Tick(world.now));
    for msg in ripcord::sim::driver::judge_now(world, &effects) {
        update(state, msg);
    }
}
