//! The embedded demo cluster: a deterministic world (seeded RNG, virtual clock) that plays
//! the Kubernetes controllers and emits the same objects real watchers deliver.

mod argo;
mod deployment;
pub mod driver;
mod flagger;
pub mod flags;
pub mod prometheus;
mod replicas;
mod scenario;

use crate::journal::JournalEntry;
use crate::model::objects::{object_from_json, Change, Object, ObjectRef};
use crate::model::ops::{ActionFailure, ActionOutcome, ActionRequest, Op, Operation, Why};
use crate::model::{Findings, Flags, Kind, ReleaseKey};
use argo::SimArgoRollout;
use chrono::{DateTime, SecondsFormat, Utc};
use deployment::SimDeployment;
use flagger::SimFlaggerCanary;
use serde_json::{json, Value};
use std::collections::BTreeMap;

pub type Time = DateTime<Utc>;

/// Seconds of series a simulated controller's metric check averages.
const CHECK_WINDOW_SECS: i64 = 60;
/// The largest canary-over-baseline mean ratios a simulated controller's check allows:
/// the example HTTP analysis's `allowed_increase`, so a controller never passes what
/// ripcord's judge fails for the same numbers (a test holds them equal).
const ERRORS_ALLOWED: f64 = 1.2;
const LATENCY_ALLOWED: f64 = 1.1;
/// Events kept per cluster.
const EVENTS_KEPT: usize = 120;
/// Who the demo's actions are recorded as.
const DEMO_USER: &str = "demo-user";
/// The reason of the Event ripcord leaves on a Canary when it puts a field back or closes a
/// gate it opened.
pub const SETTLED_REASON: &str = "RipcordSettled";
/// How long a pair's promotion or abort waits for the stable to be ready, virtual seconds.
const HANDOVER_SECS: i64 = 60;

pub fn ts(t: Time) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// SplitMix64: tiny, seedable, and the same on every platform.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e3779b97f4a7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58476d1ce4e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d049bb133111eb);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// A pod name suffix like the ReplicaSet controller's.
    pub fn suffix(&mut self) -> String {
        const ALPHABET: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";
        (0..5)
            .map(|_| ALPHABET[(self.next_u64() % ALPHABET.len() as u64) as usize] as char)
            .collect()
    }
}

/// Core/v1 Events the simulated controllers post.
#[derive(Debug, Clone, Default)]
pub struct SimEvents {
    seq: u64,
    events: Vec<Value>,
}

impl SimEvents {
    fn post(
        &mut self,
        (ns, kind, name): (&str, &str, &str),
        reason: &str,
        message: &str,
        warning: bool,
        now: Time,
    ) {
        self.seq += 1;
        self.events.push(json!({
            "apiVersion": "v1",
            "kind": "Event",
            "metadata": { "name": format!("{name}.{:08x}", self.seq), "namespace": ns, "creationTimestamp": ts(now) },
            "involvedObject": { "kind": kind, "name": name, "namespace": ns },
            "reason": reason,
            "message": message,
            "type": if warning { "Warning" } else { "Normal" },
            "count": 1,
            "firstTimestamp": ts(now),
            "lastTimestamp": ts(now),
        }));
        if self.events.len() > EVENTS_KEPT {
            self.events.remove(0);
        }
    }

    pub fn normal(
        &mut self,
        ns: &str,
        kind: &str,
        name: &str,
        reason: &str,
        message: &str,
        now: Time,
    ) {
        self.post((ns, kind, name), reason, message, false, now);
    }

    pub fn warning(
        &mut self,
        ns: &str,
        kind: &str,
        name: &str,
        reason: &str,
        message: &str,
        now: Time,
    ) {
        self.post((ns, kind, name), reason, message, true, now);
    }
}

#[derive(Debug, Clone)]
pub enum SimRelease {
    Deployment(SimDeployment),
    Pair {
        stable: SimDeployment,
        canary: SimDeployment,
    },
    Argo(SimArgoRollout),
    Flagger(SimFlaggerCanary),
}

/// How a release's canary error rate (percent) behaves.
#[derive(Debug, Clone, Copy)]
pub enum ErrorProfile {
    Steady(f64),
    /// Starts at `base` and climbs `per_sec` every virtual second from `since`.
    Climbing {
        base: f64,
        per_sec: f64,
        since: Time,
    },
}

/// A simulated controller's metric check: the canary's mean over the baseline's, per
/// metric of the example HTTP analysis, over the last `CHECK_WINDOW_SECS`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Check {
    pub errors: f64,
    pub latency: f64,
}

impl Check {
    pub fn failed(&self) -> bool {
        self.errors > ERRORS_ALLOWED || self.latency > LATENCY_ALLOWED
    }

    /// What the check measured, as its controller would say it.
    pub fn text(&self) -> String {
        format!(
            "canary errors ×{:.2} of baseline (limit ×{ERRORS_ALLOWED}), p99 latency ×{:.2} (limit ×{LATENCY_ALLOWED})",
            self.errors, self.latency
        )
    }
}

#[derive(Debug, Clone)]
pub struct SimEntry {
    pub context: String,
    pub release: SimRelease,
    pub errors: ErrorProfile,
    /// What the demo's flag source says about this release.
    pub flags: Flags,
    /// The flag whose `on` causes the canary's climbing errors, if one does.
    pub kill_switch: Option<flags::KillSwitch>,
    /// How its pods are set up and what stands beside it; the checks find what is wrong.
    pub security: Security,
}

/// The security side of a simulated release, for the checks to read.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Security {
    /// Pod-level fields laid over every pod spec of the release.
    pub pod: serde_json::Map<String, Value>,
    /// Container-level fields laid over every container.
    pub container: serde_json::Map<String, Value>,
    /// Objects beside the release: Secrets, ServiceAccounts, Roles, bindings.
    pub objects: Vec<Value>,
}

impl Security {
    /// Lays the pod and container fields over the pod spec an object holds, if any.
    fn dress(&self, obj: &mut Value) {
        let pointer = if obj["kind"] == "Pod" {
            "/spec"
        } else {
            "/spec/template/spec"
        };
        let Some(spec) = obj.pointer_mut(pointer).and_then(Value::as_object_mut) else {
            return;
        };
        for (k, v) in &self.pod {
            spec.insert(k.clone(), v.clone());
        }
        if let Some(containers) = spec.get_mut("containers").and_then(Value::as_array_mut) {
            for c in containers.iter_mut().filter_map(Value::as_object_mut) {
                for (k, v) in &self.container {
                    c.insert(k.clone(), v.clone());
                }
            }
        }
    }
}

impl SimEntry {
    pub fn key(&self) -> ReleaseKey {
        let (namespace, kind, name) = match &self.release {
            SimRelease::Deployment(d) => (&d.namespace, Kind::Deployment, &d.name),
            SimRelease::Pair { stable, .. } => (&stable.namespace, Kind::CanaryPair, &stable.name),
            SimRelease::Argo(a) => (&a.namespace, Kind::ArgoRollout, &a.name),
            SimRelease::Flagger(f) => (&f.namespace, Kind::FlaggerCanary, &f.name),
        };
        ReleaseKey {
            context: self.context.clone(),
            namespace: namespace.clone(),
            kind,
            name: name.clone(),
        }
    }

    /// The series keys (label values the simulated Prometheus is asked for) of a
    /// controller canary's canary and baseline, while it has both.
    fn check_keys(&self) -> Option<(String, String)> {
        match &self.release {
            SimRelease::Argo(a) if a.in_update() && a.current != a.stable => Some((
                a.sets[a.current].hash.clone(),
                a.sets[a.stable].hash.clone(),
            )),
            SimRelease::Flagger(f) => Some((f.target.name.clone(), f.primary.name.clone())),
            _ => None,
        }
    }

    /// What a controller's metric check measures now, from the series the simulated
    /// Prometheus serves for the same pods.
    fn check(&self, now: Time) -> Option<Check> {
        use prometheus::{mean, SideProfile, SimMetric};
        let (canary, baseline) = self.check_keys()?;
        let side = |new_side| SideProfile {
            errors: self.errors,
            new_side,
            share: self.share(),
        };
        let ratio = |metric| {
            let c = mean(&side(true), &canary, now, CHECK_WINDOW_SECS, metric);
            let b = mean(&side(false), &baseline, now, CHECK_WINDOW_SECS, metric);
            match (c > 0.0, b > 0.0) {
                (_, true) => c / b,
                (false, false) => 1.0,
                (true, false) => f64::INFINITY,
            }
        };
        Some(Check {
            errors: ratio(SimMetric::ErrorRatio),
            latency: ratio(SimMetric::LatencyP99),
        })
    }

    /// The share of the canary's requests its kill switch is on for, over time: what of
    /// the climb the canary suffers.
    fn share(&self) -> flags::Share {
        self.kill_switch
            .as_ref()
            .map(|k| k.share.clone())
            .unwrap_or_default()
    }

    fn revision(&self) -> i64 {
        match &self.release {
            SimRelease::Deployment(d) => d.revision(),
            SimRelease::Pair { stable, .. } => stable.revision(),
            SimRelease::Argo(a) => a.sets[a.current].revision,
            SimRelease::Flagger(f) => f.primary.revision(),
        }
    }

    fn objects(&self, now: Time) -> Vec<Value> {
        let mut out = match &self.release {
            SimRelease::Deployment(d) => d.objects(now),
            SimRelease::Pair { stable, canary } => {
                let mut out = stable.objects(now);
                out.extend(canary.objects(now));
                out
            }
            SimRelease::Argo(a) => a.objects(now),
            SimRelease::Flagger(f) => f.objects(now),
        };
        for obj in &mut out {
            self.security.dress(obj);
        }
        out
    }

    fn tick(&mut self, now: Time, rng: &mut Rng, events: &mut SimEvents) {
        let check = self.check(now);
        match &mut self.release {
            SimRelease::Deployment(d) => d.tick(now, rng, events),
            SimRelease::Pair { stable, canary } => {
                stable.tick(now, rng, events);
                canary.tick(now, rng, events);
            }
            SimRelease::Argo(a) => a.tick(now, rng, events, check.as_ref()),
            SimRelease::Flagger(f) => {
                let failed = check.as_ref().is_some_and(Check::failed);
                f.tick(now, rng, events, failed)
            }
        }
    }

    fn execute(
        &mut self,
        req: &ActionRequest,
        now: Time,
        events: &mut SimEvents,
    ) -> Result<String, String> {
        use Op::*;
        match (&mut self.release, req.op) {
            (SimRelease::Deployment(d), Pause) if d.paused => {
                Err("deployment is already paused".into())
            }
            (SimRelease::Deployment(d), Pause) => {
                d.paused = true;
                Ok("paused".into())
            }
            (SimRelease::Deployment(d), Resume) if !d.paused => {
                Err("deployment is not paused".into())
            }
            (SimRelease::Deployment(d), Resume) => {
                d.paused = false;
                d.last_progress = now;
                Ok("resumed".into())
            }
            (SimRelease::Deployment(d), Rollback { to }) => {
                d.rollback(to, now).map(|()| "rolled back".into())
            }
            (SimRelease::Deployment(d), Restart) => {
                d.restart(now);
                Ok("restarted".into())
            }
            (SimRelease::Pair { canary, .. }, Promote { .. } | PromoteFull | Abort)
                if canary.replicas == 0 =>
            {
                Err("the canary is scaled to 0: nothing to act on".into())
            }
            (SimRelease::Pair { stable, canary }, Promote { step }) => {
                let (_, s, c) =
                    crate::model::ops::pair_promote_target(step, stable.replicas, canary.replicas)?;
                // Grow the canary before shrinking stable, as the real actuator does.
                canary.scale(c, now);
                stable.scale(s, now);
                Ok(pair_weight_text(s, c, None))
            }
            (SimRelease::Pair { stable, canary }, PromoteFull) => {
                // The stable takes the pair's whole capacity; the world scales the canary
                // down once the stable's new pods are ready (see `World::hand_over`).
                let image = canary.image().to_owned();
                let capacity = stable.replicas + canary.replicas;
                stable.set_image(&image, now);
                stable.scale(capacity, now);
                Ok(format!("stable now runs {image} with {capacity} replicas"))
            }
            (SimRelease::Pair { stable, canary }, Abort) => {
                let capacity = stable.replicas + canary.replicas;
                stable.scale(capacity, now);
                Ok(format!("stable scaled to {capacity} replicas"))
            }
            (SimRelease::Pair { stable, canary }, SetWeight { weight }) => {
                let (s, c) =
                    crate::model::ops::split_replicas(stable.replicas + canary.replicas, weight);
                if c > canary.replicas {
                    canary.scale(c, now);
                    stable.scale(s, now);
                } else {
                    stable.scale(s, now);
                    canary.scale(c, now);
                }
                Ok(pair_weight_text(s, c, Some(weight)))
            }
            (SimRelease::Pair { stable, .. }, Rollback { to }) => stable
                .rollback(to, now)
                .map(|()| "stable rolled back".into()),
            (SimRelease::Pair { stable, canary }, Restart) => {
                stable.restart(now);
                if canary.replicas > 0 {
                    canary.restart(now);
                }
                Ok("restarted".into())
            }
            // The same refusal as the real actuator's, from the same status.abort.
            (SimRelease::Argo(a), op)
                if crate::model::ops::argo_abort_refusal(op.kind(), a.aborted).is_some() =>
            {
                let why = crate::model::ops::argo_abort_refusal(op.kind(), a.aborted);
                Err(why.unwrap_or_default().to_string())
            }
            (SimRelease::Argo(a), Promote { .. }) => a.promote(false, now, events),
            (SimRelease::Argo(a), PromoteFull) => a.promote(true, now, events),
            (SimRelease::Argo(a), Abort) => a.abort(now, events),
            // Blue-green has no steps to retry from: its preview comes back up.
            (SimRelease::Argo(a), Retry) if a.steps.is_empty() => a
                .retry(now)
                .map(|_| "retried: the preview comes back up".into()),
            (SimRelease::Argo(a), Retry) => a.retry(now),
            (SimRelease::Argo(a), SetWeight { weight }) => a.set_weight(weight, now),
            (SimRelease::Argo(a), Rollback { to }) => a.undo(to, now),
            (SimRelease::Argo(a), Restart) => a.restart(now),
            (SimRelease::Argo(a), Pause) if a.paused => Err("rollout is already paused".into()),
            (SimRelease::Argo(a), Pause) => {
                a.paused = true;
                Ok("paused".into())
            }
            (SimRelease::Argo(a), Resume) if !a.paused => Err("rollout is not paused".into()),
            (SimRelease::Argo(a), Resume) => {
                a.paused = false;
                Ok("resumed".into())
            }
            (SimRelease::Flagger(f), op) => f.act(op, now),
            (_, op) => Err(format!("{} is not supported here", op.verb())),
        }
    }
}

/// The weight a pair's split really gives, and the asked one when whole pods differ.
fn pair_weight_text(stable: i32, canary: i32, asked: Option<u8>) -> String {
    let achieved = crate::model::ops::achieved_weight(stable, canary);
    let mut text = format!("weight {achieved}%: stable {stable} / canary {canary}");
    if let Some(w) = asked.filter(|&w| w != achieved) {
        text.push_str(&format!(" (asked {w}%, the nearest whole-pod split)"));
    }
    text
}

/// What the simulator carries out: every operation its controllers play, which is more
/// than ripcord does on a real cluster (see `cluster::actions::supports`).
pub fn supports(kind: Kind, op: Operation) -> Result<(), Why> {
    use Operation::*;
    let ok = match kind {
        Kind::Deployment => matches!(op, Pause | Resume | Rollback | Restart),
        Kind::CanaryPair => matches!(
            op,
            Promote | PromoteFull | Abort | Rollback | Restart | SetWeight
        ),
        Kind::ArgoRollout => true,
        // Flagger's world is acted on through the real actuator's plan.
        Kind::FlaggerCanary => return crate::cluster::actions::supports(kind, op),
    };
    if ok {
        return Ok(());
    }
    Err(match (kind, op) {
        (Kind::Deployment, Promote | PromoteFull | Abort | Retry) => {
            "a plain Deployment has no canary to promote, abort or retry"
        }
        (Kind::CanaryPair, Pause | Resume) => "a canary pair has no controller to pause",
        _ => "not supported for this kind",
    })
}

/// The whole simulated world: two clusters and their releases.
#[derive(Debug, Clone)]
pub struct World {
    pub now: Time,
    rng: Rng,
    contexts: Vec<String>,
    entries: Vec<SimEntry>,
    events: BTreeMap<String, SimEvents>,
    /// What was last handed out, to emit only changes.
    emitted: BTreeMap<(String, ObjectRef), Object>,
    emitted_flags: BTreeMap<ReleaseKey, Flags>,
    emitted_findings: BTreeMap<ReleaseKey, Findings>,
    /// Fractional virtual seconds not yet simulated.
    carry: f64,
    /// The simulated Prometheus, told of templates as they change.
    prometheus: Option<prometheus::SimPrometheus>,
    /// The demo's flags as flagd JSON, and how many edits it has had (its version).
    flag_doc: Value,
    flag_version: u64,
    /// What the demo's actions on Flagger canaries did, as ripcord's journal records it:
    /// the record of which `spec.skipAnalysis` to put back.
    journal: Vec<JournalEntry>,
}

impl World {
    fn empty(seed: u64, now: Time, contexts: &[&str]) -> Self {
        World {
            now,
            rng: Rng::new(seed),
            contexts: contexts.iter().map(|c| c.to_string()).collect(),
            entries: Vec::new(),
            events: BTreeMap::new(),
            emitted: BTreeMap::new(),
            emitted_flags: BTreeMap::new(),
            emitted_findings: BTreeMap::new(),
            carry: 0.0,
            prometheus: None,
            flag_doc: json!({"flags": {}}),
            flag_version: 1,
            journal: Vec::new(),
        }
    }

    pub fn contexts(&self) -> &[String] {
        &self.contexts
    }

    /// Runs the controllers for `secs` virtual seconds, one second at a time.
    pub fn advance(&mut self, secs: f64) {
        self.carry += secs.max(0.0);
        while self.carry >= 1.0 {
            self.carry -= 1.0;
            self.now += chrono::Duration::seconds(1);
            let now = self.now;
            for entry in &mut self.entries {
                let events = self.events.entry(entry.context.clone()).or_default();
                entry.tick(now, &mut self.rng, events);
            }
            self.settle_flagger();
        }
    }

    /// Puts back each `spec.skipAnalysis` the journal says a `promote --full` set, once the
    /// promotion is over, and journals it: what the console does on a real cluster.
    fn settle_flagger(&mut self) {
        use crate::cluster::actions::flagger::{
            close_entry, closed_text, pending_closes, pending_restores, restore_entry,
            restored_text,
        };
        if self.journal.is_empty() {
            return;
        }
        let contexts = self.contexts.clone();
        for context in &contexts {
            for (ns, name) in pending_restores(&self.journal, context) {
                let canary = self.entries.iter_mut().find_map(|e| match &mut e.release {
                    SimRelease::Flagger(f)
                        if &e.context == context && f.namespace == ns && f.name == name =>
                    {
                        Some(f)
                    }
                    _ => None,
                });
                let text = match canary {
                    Some(f) => match f.restore_skip() {
                        Some(was_set) => restored_text(&name, f.phase, was_set),
                        None => continue,
                    },
                    None => format!("canary '{name}' is gone: nothing to put back"),
                };
                self.tell(context, &ns, &name, &text);
                let entry = restore_entry(context, &ns, &name, DEMO_USER, self.now, &text);
                self.journal.push(entry);
            }
            for gate in pending_closes(&self.journal, context) {
                let Some(close) = gate.close() else { continue };
                let phase = match self.flagger_mut(context, &gate.namespace, &gate.name) {
                    Some(f) => match f.close_gate(&close) {
                        Some(phase) => phase,
                        None => continue,
                    },
                    None => "gone",
                };
                let text = closed_text(&gate, phase);
                self.tell(context, &gate.namespace, &gate.name, &text);
                let entry = close_entry(context, &gate, DEMO_USER, self.now, &text);
                self.journal.push(entry);
            }
        }
    }

    /// Says on the Canary's events what ripcord put back or closed, so the user sees it
    /// beside Flagger's own and not only in the journal.
    fn tell(&mut self, context: &str, ns: &str, name: &str, text: &str) {
        let now = self.now;
        self.events.entry(context.to_owned()).or_default().normal(
            ns,
            "Canary",
            name,
            SETTLED_REASON,
            &format!("ripcord: {text}"),
            now,
        );
    }

    fn flagger_mut(
        &mut self,
        context: &str,
        ns: &str,
        name: &str,
    ) -> Option<&mut SimFlaggerCanary> {
        self.entries.iter_mut().find_map(|e| match &mut e.release {
            SimRelease::Flagger(f)
                if e.context == context && f.namespace == ns && f.name == name =>
            {
                Some(f)
            }
            _ => None,
        })
    }

    /// The demo load tester's gates for a Flagger canary, as (confirm, rollback) open.
    pub fn loadtester_gates(&self, ns: &str, name: &str) -> Option<(bool, bool)> {
        self.entries.iter().find_map(|e| match &e.release {
            SimRelease::Flagger(f) if f.namespace == ns && f.name == name => {
                Some((f.gate_open, f.rollback_open))
            }
            _ => None,
        })
    }

    /// The demo's journal of Flagger actions and restores, oldest first.
    pub fn journal(&self) -> &[JournalEntry] {
        &self.journal
    }

    /// Every object now in the world, per context, as JSON.
    fn render(&self) -> Vec<(String, Value)> {
        let mut out = Vec::new();
        for entry in &self.entries {
            for obj in entry.objects(self.now) {
                out.push((entry.context.clone(), obj));
            }
        }
        for (ctx, events) in &self.events {
            out.extend(events.events.iter().map(|e| (ctx.clone(), e.clone())));
        }
        out
    }

    /// The simulated Prometheus serving this world's pods, attached if none was.
    pub fn prometheus(&mut self) -> prometheus::SimPrometheus {
        if self.prometheus.is_none() {
            self.attach_prometheus(prometheus::SimPrometheus::default());
        }
        let p = self.prometheus.clone().unwrap_or_default();
        p.update(self);
        p
    }

    /// Serves this world's pods to `prometheus` from now on.
    pub fn attach_prometheus(&mut self, prometheus: prometheus::SimPrometheus) {
        prometheus.update(self);
        self.prometheus = Some(prometheus);
    }

    /// Object changes since the last call, per context.
    pub fn take_changes(&mut self) -> BTreeMap<String, Vec<Change>> {
        if let Some(p) = &self.prometheus {
            p.update(self);
        }
        let mut current: BTreeMap<(String, ObjectRef), Object> = BTreeMap::new();
        for (ctx, v) in self.render() {
            let object = match object_from_json(&v) {
                Ok(object) => object,
                Err(e) => {
                    debug_assert!(false, "the simulator built a bad object: {e}");
                    continue;
                }
            };
            current.insert((ctx, object.object_ref()), object);
        }
        let mut changes: BTreeMap<String, Vec<Change>> = BTreeMap::new();
        for ((ctx, r), object) in &current {
            if self.emitted.get(&(ctx.clone(), r.clone())) != Some(object) {
                changes
                    .entry(ctx.clone())
                    .or_default()
                    .push(Change::Applied(object.clone()));
            }
        }
        for (ctx, r) in self.emitted.keys() {
            if !current.contains_key(&(ctx.clone(), r.clone())) {
                changes
                    .entry(ctx.clone())
                    .or_default()
                    .push(Change::Deleted(r.clone()));
            }
        }
        self.emitted = current;
        changes
    }

    /// Every release the world simulates.
    pub fn release_keys(&self) -> Vec<ReleaseKey> {
        self.entries.iter().map(SimEntry::key).collect()
    }

    /// Each side's error profile by the label value a query selects it with (a
    /// pod-template-hash, or a Flagger Deployment's name), for the simulated Prometheus.
    pub fn side_profiles(&self) -> std::collections::HashMap<String, prometheus::SimSide> {
        let mut out = std::collections::HashMap::new();
        for entry in &self.entries {
            let namespace = entry.key().namespace;
            let side = |new_side, ready_since| prometheus::SimSide {
                profile: prometheus::SideProfile {
                    errors: entry.errors,
                    new_side,
                    share: entry.share(),
                },
                namespace: namespace.clone(),
                ready_since,
            };
            let mut put = |sets: &[replicas::SimReplicaSet], new_side: &dyn Fn(usize) -> bool| {
                for (i, set) in sets.iter().enumerate() {
                    out.insert(set.hash.clone(), side(new_side(i), set.ready_since()));
                }
            };
            match &entry.release {
                SimRelease::Deployment(d) => put(&d.sets, &|i| i == d.current),
                SimRelease::Pair { stable, canary } => {
                    put(&stable.sets, &|_| false);
                    put(&canary.sets, &|_| true);
                }
                SimRelease::Argo(a) => put(&a.sets, &|i| i == a.current && a.current != a.stable),
                SimRelease::Flagger(f) => {
                    put(&f.primary.sets, &|_| false);
                    put(&f.target.sets, &|_| true);
                    // Flagger's sides are told apart by their Deployments' `app` label.
                    for (d, new_side) in [(&f.primary, false), (&f.target, true)] {
                        let ready = d.sets.iter().filter_map(|s| s.ready_since()).min();
                        out.insert(d.name.clone(), side(new_side, ready));
                    }
                }
            }
        }
        out
    }

    /// Feature flags that changed since the last call.
    pub fn take_flags(&mut self) -> Vec<(ReleaseKey, Flags)> {
        changed(&self.entries, &mut self.emitted_flags, |e| &e.flags)
    }

    /// Findings that changed since the last call: the security checks over the simulated
    /// objects, as a cluster's would be checked.
    pub fn take_findings(&mut self) -> Vec<(ReleaseKey, Findings)> {
        let found = self.check();
        let mut out = Vec::new();
        for key in self.release_keys() {
            let findings = found.get(&key).cloned().unwrap_or_default();
            if self.emitted_findings.get(&key) != Some(&findings) {
                self.emitted_findings.insert(key.clone(), findings.clone());
                out.push((key, findings));
            }
        }
        out
    }

    /// Every release's findings, from the checks over each context's objects.
    pub fn check(&self) -> BTreeMap<ReleaseKey, Findings> {
        use crate::checks::{releases, Inventory, Settings};
        let mut inventories: BTreeMap<String, Inventory> = BTreeMap::new();
        for (ctx, obj) in self.render() {
            let _ = inventories.entry(ctx).or_default().upsert(obj, None);
        }
        for entry in &self.entries {
            let inv = inventories.entry(entry.context.clone()).or_default();
            for obj in &entry.security.objects {
                let _ = inv.upsert(obj.clone(), None);
            }
        }
        let mut out = BTreeMap::new();
        let keys = self.release_keys();
        for (ctx, inv) in &mut inventories {
            inv.set_secrets_listed(true);
            let namespaces: std::collections::BTreeSet<&str> = keys
                .iter()
                .filter(|k| &k.context == ctx)
                .map(|k| k.namespace.as_str())
                .collect();
            for ns in namespaces {
                out.extend(releases::namespace_findings(
                    inv,
                    &Settings::default(),
                    ctx,
                    ns,
                ));
            }
        }
        out
    }

    /// The second half of a pair's promotion or abort: the world runs on until the
    /// stable's current pods hold the pair's capacity, then the canary goes. Past the
    /// deadline the canary keeps running, so ready capacity never drops.
    fn hand_over(&mut self, i: usize, done: &str) -> Result<String, String> {
        let ready = |e: &SimEntry| match &e.release {
            SimRelease::Pair { stable, .. } => stable.is_complete(),
            _ => true,
        };
        let mut waited = 0;
        while !ready(&self.entries[i]) && waited < HANDOVER_SECS {
            self.advance(1.0);
            waited += 1;
        }
        let now = self.now;
        let SimRelease::Pair { stable, canary } = &mut self.entries[i].release else {
            return Ok(done.to_owned());
        };
        if !stable.is_complete() {
            let set = &stable.sets[stable.current];
            return Err(format!(
                "{done}, but stable {} has {} of {} updated replicas ready after {HANDOVER_SECS} s: \
                 canary {} left running with {} replicas",
                stable.name,
                set.ready(),
                stable.replicas,
                canary.name,
                canary.replicas
            ));
        }
        canary.scale(0, now);
        Ok(format!("{done}; canary scaled to 0 once stable was ready"))
    }

    /// Carries out an action the way the real controller and tooling would.
    pub fn execute(&mut self, req: &ActionRequest) -> ActionOutcome {
        let now = self.now;
        let outcome = |result, before, after| ActionOutcome {
            request: req.clone(),
            result,
            revision_before: before,
            revision_after: after,
        };
        if let Err(why) = supports(req.key.kind, req.op.kind()) {
            return outcome(Err(ActionFailure::Rejected(why.into())), None, None);
        }
        let Some(entry) = self.entries.iter_mut().find(|e| e.key() == req.key) else {
            return outcome(
                Err(ActionFailure::Rejected(format!("{} not found", req.key))),
                None,
                None,
            );
        };
        let before = entry.revision();
        let events = self.events.entry(entry.context.clone()).or_default();
        let mut result = entry.execute(req, now, events);
        if result.is_ok() && matches!(req.op, Op::PromoteFull | Op::Abort) {
            if let Some(i) = self.entries.iter().position(|e| e.key() == req.key) {
                result = result.and_then(|text| self.hand_over(i, &text));
            }
        }
        let now = self.now;
        let Some(entry) = self.entries.iter().find(|e| e.key() == req.key) else {
            return outcome(
                Err(ActionFailure::Rejected("release vanished".into())),
                None,
                None,
            );
        };
        let after = entry.revision();
        let events = self.events.entry(entry.context.clone()).or_default();
        // Like the real actuator: an Event on the target says who did what.
        if !req.dry_run {
            let kind = match req.key.kind {
                Kind::ArgoRollout => "Rollout",
                Kind::FlaggerCanary => "Canary",
                Kind::Deployment | Kind::CanaryPair => "Deployment",
            };
            let mut message = format!("{DEMO_USER} ran {}", req.op.verb());
            if let Some(reason) = req.reason.as_deref().filter(|r| !r.trim().is_empty()) {
                message.push_str(&format!(" because: {reason}"));
            }
            let reason = crate::cluster::actions::event_reason(req.op.kind());
            let target = (req.key.namespace.as_str(), kind, req.key.name.as_str());
            match &result {
                Ok(text) => events.post(
                    target,
                    &reason,
                    &format!("{message}; ok: {text}"),
                    false,
                    now,
                ),
                Err(why) => events.post(
                    target,
                    &reason,
                    &format!("{message}; error: {why}"),
                    true,
                    now,
                ),
            }
        }
        let done = outcome(
            result.map_err(ActionFailure::Rejected),
            Some(before),
            Some(after),
        );
        if req.key.kind == Kind::FlaggerCanary {
            self.journal
                .push(JournalEntry::from_outcome(&done, DEMO_USER, now));
        }
        done
    }
}

/// One source's data per release that differs from what was last emitted.
fn changed<T: Clone + PartialEq>(
    entries: &[SimEntry],
    emitted: &mut BTreeMap<ReleaseKey, T>,
    of: impl Fn(&SimEntry) -> &T,
) -> Vec<(ReleaseKey, T)> {
    let mut out = Vec::new();
    for entry in entries {
        let data = of(entry);
        let key = entry.key();
        if emitted.get(&key) != Some(data) {
            emitted.insert(key.clone(), data.clone());
            out.push((key, data.clone()));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A stable whose new pods never get ready keeps its canary, and the failure says so.
    #[test]
    fn a_promotion_whose_stable_never_gets_ready_leaves_the_canary_running() {
        let now = scenario::demo_epoch();
        let mut world = World::empty(1, now, &["ctx"]);
        let stable = SimDeployment::new("ns", "web", "web:1", 2, now, &mut world.rng);
        let mut canary =
            SimDeployment::new("ns", "web-canary", "web:crash", 1, now, &mut world.rng);
        canary.canary_of = Some("web".into());
        world.entries.push(SimEntry {
            context: "ctx".into(),
            release: SimRelease::Pair { stable, canary },
            errors: ErrorProfile::Steady(0.0),
            flags: Default::default(),
            kill_switch: None,
            security: Default::default(),
        });
        let key = world.release_keys().remove(0);
        let outcome = world.execute(&ActionRequest {
            key,
            op: Op::PromoteFull,
            reason: None,
            dry_run: false,
        });
        let why = outcome
            .result
            .expect_err("the stable never got ready")
            .to_string();
        assert!(
            why.contains("stable web has 0 of 3 updated replicas ready after 60 s")
                && why.contains("canary web-canary left running with 1 replicas"),
            "{why}"
        );
        let SimRelease::Pair { canary, .. } = &world.entries[0].release else {
            unreachable!()
        };
        assert_eq!(canary.replicas, 1);
    }

    /// The simulated controllers' limits are the demo analysis's allowed increases.
    #[test]
    fn controller_checks_allow_what_the_demo_analysis_allows() {
        let config = crate::metrics::feed::demo_analysis();
        let allowed = |name: &str| {
            config
                .metrics
                .iter()
                .find(|m| m.name == name)
                .map(|m| m.rule.allowed_increase)
        };
        assert_eq!(allowed("error ratio"), Some(ERRORS_ALLOWED));
        assert_eq!(allowed("p99 latency"), Some(LATENCY_ALLOWED));
    }
}
