//! An Argo Rollout, driven the way the Argo Rollouts controller drives it.

use super::replicas::SimReplicaSet;
use super::{Check, Rng, SimEvents, Time};
use crate::model::objects::ARGO_REVISION_ANNOTATION;
use serde_json::{json, Value};

const HASH_LABEL: &str = "rollouts-pod-template-hash";
/// Seconds an analysis step runs before it is judged (its initial delay): long enough that
/// a kill switch flipped early in the step clears the last minute it measures.
const ANALYSIS_SECS: i64 = 180;
/// The controller's default `scaleDownDelaySeconds` and `abortScaleDownDelaySeconds`: how
/// long a blue-green's old active set, or an aborted preview, keeps its pods.
const SCALE_DOWN_DELAY_SECS: i64 = 30;
const SCALE_DOWN_DEADLINE: &str = "argo-rollouts.argoproj.io/scale-down-deadline";

#[derive(Debug, Clone, PartialEq)]
pub enum ArgoStep {
    SetWeight(u8),
    /// `None` pauses until promoted.
    Pause(Option<i64>),
    Analysis,
}

#[derive(Debug, Clone, PartialEq)]
pub enum ArgoStrategy {
    Canary(Vec<ArgoStep>),
    BlueGreen,
}

#[derive(Debug, Clone, PartialEq)]
pub enum AnalysisState {
    Running { since: Time },
    Successful,
    Failed(String),
}

#[derive(Debug, Clone)]
pub struct SimArgoRollout {
    pub name: String,
    pub namespace: String,
    pub blue_green: bool,
    pub replicas: i32,
    pub steps: Vec<ArgoStep>,
    pub created: Time,
    pub sets: Vec<SimReplicaSet>,
    pub stable: usize,
    pub current: usize,
    pub step_index: usize,
    pub step_started: Time,
    pub paused: bool,
    pub aborted: bool,
    /// A blue-green promotion waiting for the new set to be fully available before the
    /// active Service switches to it.
    pub promoting: bool,
    pub analysis: Option<AnalysisState>,
    /// The step that started the analysis, for its run's `step-index` label.
    pub analysis_step: usize,
    /// What the analysis measured and when, oldest first.
    pub measured: Vec<(Time, Check)>,
    pub restarted_at: Option<Time>,
}

impl SimArgoRollout {
    pub fn new(
        namespace: &str,
        name: &str,
        image: &str,
        replicas: i32,
        strategy: ArgoStrategy,
        created: Time,
        rng: &mut Rng,
    ) -> Self {
        let rs = SimReplicaSet::ready_from_start(name, image, replicas, created, rng);
        let (steps, blue_green) = match strategy {
            ArgoStrategy::Canary(steps) => (steps, false),
            ArgoStrategy::BlueGreen => (vec![], true),
        };
        let step_count = steps.len();
        SimArgoRollout {
            name: name.into(),
            namespace: namespace.into(),
            blue_green,
            replicas,
            steps,
            created,
            sets: vec![rs],
            stable: 0,
            current: 0,
            step_index: step_count,
            step_started: created,
            paused: false,
            aborted: false,
            promoting: false,
            analysis: None,
            analysis_step: 0,
            measured: Vec::new(),
            restarted_at: None,
        }
    }

    pub(super) fn in_update(&self) -> bool {
        self.current != self.stable
    }

    /// Starts an update to `image`, as `kubectl argo rollouts set image` does.
    pub fn set_image(&mut self, image: &str, now: Time) {
        let next = self.sets.iter().map(|s| s.revision).max().unwrap_or(0) + 1;
        match self.sets.iter().position(|s| s.image == image) {
            Some(i) => {
                self.sets[i].revision = next;
                self.current = i;
            }
            None => {
                self.sets
                    .push(SimReplicaSet::new(&self.name, next, image, 0, now));
                self.current = self.sets.len() - 1;
            }
        }
        // Back on a set still within its scale-down delay: the delay no longer applies.
        self.sets[self.current].scale_down_at = None;
        self.aborted = false;
        self.promoting = false;
        self.analysis = None;
        self.step_index = if self.current == self.stable {
            self.steps.len()
        } else {
            0
        };
        self.step_started = now;
    }

    /// The canary weight the current step asks for.
    pub fn weight(&self) -> u8 {
        if !self.in_update() || self.step_index >= self.steps.len() {
            return if self.aborted { 0 } else { 100 };
        }
        if self.aborted {
            return 0;
        }
        self.steps[..=self.step_index]
            .iter()
            .rev()
            .find_map(|s| match s {
                ArgoStep::SetWeight(w) => Some(*w),
                _ => None,
            })
            .unwrap_or(0)
    }

    /// A blue-green's count for set `i`: both colours full while an update runs.
    fn blue_green_desired(&self, i: usize, now: Time) -> i32 {
        let set = &self.sets[i];
        if i == self.stable {
            self.replicas
        } else if i == self.current {
            // An aborted preview stays up until its abort delay has run out.
            if self.aborted && set.scale_down_at.is_some_and(|at| now >= at) {
                0
            } else {
                self.replicas
            }
        } else if set.held(now) {
            set.replicas()
        } else {
            0
        }
    }

    /// What each set is scaled to in one reconcile.
    fn targets(&self, now: Time) -> Vec<i32> {
        if self.blue_green {
            (0..self.sets.len())
                .map(|i| self.blue_green_desired(i, now))
                .collect()
        } else {
            self.canary_targets()
        }
    }

    /// One reconcile of a basic canary (no traffic router), as the controller scales it:
    /// toward the split the weight asks for, never above `replicas` + maxSurge in all, and
    /// taking pods away only while `replicas` - maxUnavailable stay available.
    fn canary_targets(&self) -> Vec<i32> {
        let n = self.replicas;
        let (surge, unavailable) = fenceposts(n);
        let max_total = n + surge;
        let min_available = n - unavailable;
        let spec: Vec<i32> = self.sets.iter().map(SimReplicaSet::replicas).collect();
        let avail: Vec<i32> = self.sets.iter().map(SimReplicaSet::ready).collect();
        let mut target = spec.clone();
        let new = self.current;
        let stable = self.in_update().then_some(self.stable);
        let (want_new, want_stable) = match stable {
            Some(_) => weighted_counts(n, i32::from(self.weight()), surge),
            None => (n, 0),
        };
        let mut room = max_total - spec.iter().sum::<i32>();
        if let Some(s) = stable {
            if spec[s] < want_stable && room > 0 {
                target[s] = want_stable.min(spec[s] + room);
                room -= target[s] - spec[s];
            }
        }
        if spec[new] < want_new && room > 0 {
            target[new] = want_new.min(spec[new] + room);
        }
        let mut older: Vec<usize> = (0..self.sets.len())
            .filter(|&i| i != new && Some(i) != stable && spec[i] > 0)
            .collect();
        if !older.is_empty() {
            // Older sets go first: their unready pods at once, ready ones only as far as
            // the pods available in all allow.
            older.sort_by_key(|&i| std::cmp::Reverse(self.sets[i].revision));
            let mut spare = avail.iter().sum::<i32>() - min_available;
            for i in older {
                target[i] = avail[i].min(spec[i]);
                let down = spare.clamp(0, target[i]);
                target[i] -= down;
                spare -= down;
            }
            return target;
        }
        // Shrinking the canary (an abort) counts on the stable's available pods, growing it
        // on the canary's.
        let growing = want_new >= spec[new];
        let counted = |i: usize, whole: bool| {
            if whole || spec[i] < avail[i] {
                spec[i]
            } else {
                avail[i]
            }
        };
        let counted_all = counted(new, !growing) + stable.map_or(0, |s| counted(s, growing));
        if counted_all <= min_available {
            return target;
        }
        let excess = counted_all - min_available;
        let drain = |i: usize, want: i32, now: i32| {
            if spec[i] > want {
                want.max(spec[i] - excess)
            } else {
                now
            }
        };
        // `d` drains toward its count; `k`, whose availability counts, gives back pods
        // above the surge, but not those the availability floor still needs.
        let limit = |d: usize, k: usize, mut dt: i32, mut kt: i32| {
            let over = (kt + dt - max_total).max(0);
            kt -= over;
            let available = avail[d].min(dt) + avail[k].min(kt);
            let lost = (avail[k] - kt).max(0);
            kt += lost.min((min_available - available).max(0));
            dt -= (kt + dt - max_total).max(0);
            (dt, kt)
        };
        match stable {
            Some(s) if growing => {
                target[s] = drain(s, want_stable, target[s]);
                (target[s], target[new]) = limit(s, new, target[s], target[new]);
            }
            Some(s) => {
                target[new] = drain(new, want_new, target[new]);
                (target[new], target[s]) = limit(new, s, target[new], target[s]);
            }
            None if !growing => target[new] = drain(new, want_new, target[new]),
            None => {}
        }
        target
    }

    /// Whether a setWeight step is done: a reconcile would change nothing, the canary's
    /// pods are all available, and no older set serves.
    fn at_weight(&self) -> bool {
        let targets = self.canary_targets();
        let new = &self.sets[self.current];
        let older_serving = (0..self.sets.len())
            .filter(|&i| i != self.current && i != self.stable)
            .any(|i| self.sets[i].ready() > 0);
        targets[self.current] == new.replicas()
            && new.ready() >= targets[self.current]
            && targets[self.stable] == self.sets[self.stable].replicas()
            && !older_serving
    }

    fn pause_reason(&self) -> Option<&'static str> {
        if self.aborted || !self.in_update() {
            return None;
        }
        if self.blue_green {
            let preview = &self.sets[self.current];
            return (!self.promoting && preview.ready() == self.replicas)
                .then_some("BlueGreenPause");
        }
        match self.steps.get(self.step_index) {
            Some(ArgoStep::Pause(_)) => Some("CanaryPauseStep"),
            _ => None,
        }
    }

    fn advance(&mut self, now: Time) {
        self.step_index += 1;
        self.step_started = now;
        self.analysis = None;
    }

    fn complete(&mut self, now: Time, events: &mut SimEvents) {
        self.stable = self.current;
        self.step_index = self.steps.len();
        self.analysis = None;
        let msg = format!(
            "Rollout completed update to revision {}",
            self.sets[self.current].revision
        );
        events.normal(
            &self.namespace,
            "Rollout",
            &self.name,
            "RolloutCompleted",
            &msg,
            now,
        );
    }

    /// One second of controller work. `check` is what the analysis's metric check measures
    /// now, while there is a canary to measure.
    pub fn tick(
        &mut self,
        now: Time,
        rng: &mut Rng,
        events: &mut SimEvents,
        check: Option<&Check>,
    ) {
        for set in &mut self.sets {
            set.kubelet_tick(now);
        }
        self.evict_one_for_restart(now, rng);
        // A paused canary's sets stay as they are; a blue-green's still scale.
        if !self.paused || self.blue_green {
            let targets = self.targets(now);
            for (set, target) in self.sets.iter_mut().zip(targets) {
                set.step_toward(target, now, rng);
            }
        }
        if self.blue_green && self.aborted && self.in_update() {
            let stable_up = self.sets[self.stable].ready() >= self.replicas;
            let preview = &mut self.sets[self.current];
            // The abort delay starts once the active set can serve everything alone.
            if preview.scale_down_at.is_none() && stable_up {
                preview.scale_down_at =
                    Some(now + chrono::Duration::seconds(SCALE_DOWN_DELAY_SECS));
            }
        }
        if self.paused || self.aborted || !self.in_update() {
            return;
        }
        if self.blue_green {
            // The active Service switches only to a fully available set; the old one
            // keeps its pods for the scale-down delay.
            let new = &self.sets[self.current];
            if self.promoting && new.replicas() == self.replicas && new.ready() == self.replicas {
                let old = self.stable;
                self.sets[old].scale_down_at =
                    Some(now + chrono::Duration::seconds(SCALE_DOWN_DELAY_SECS));
                self.promoting = false;
                self.complete(now, events);
            }
            return; // otherwise waits for promotion at BlueGreenPause
        }
        let elapsed = (now - self.step_started).num_seconds();
        match self.steps.get(self.step_index).cloned() {
            None => self.complete(now, events),
            Some(ArgoStep::SetWeight(_)) => {
                if self.at_weight() {
                    self.advance(now);
                }
            }
            Some(ArgoStep::Pause(Some(secs))) if elapsed >= secs => self.advance(now),
            Some(ArgoStep::Pause(_)) => {}
            Some(ArgoStep::Analysis) => match &self.analysis {
                None => {
                    self.analysis = Some(AnalysisState::Running { since: now });
                    self.analysis_step = self.step_index;
                    self.measured.clear();
                    events.normal(
                        &self.namespace,
                        "Rollout",
                        &self.name,
                        "AnalysisRunRunning",
                        "Step Analysis Run 'error-rate' Status Running",
                        now,
                    );
                }
                Some(AnalysisState::Running { since })
                    if (now - *since).num_seconds() >= ANALYSIS_SECS =>
                {
                    let Some(check) = check.copied() else {
                        return;
                    };
                    self.measured.push((now, check));
                    if check.failed() {
                        let why = format!(
                            "Metric \"error-rate\" assessed Failed due to failed (1) > failureLimit (0): {}",
                            check.text()
                        );
                        self.mark_aborted(Some(&why), now, events);
                        self.analysis = Some(AnalysisState::Failed(why));
                    } else {
                        self.analysis = Some(AnalysisState::Successful);
                        self.advance(now);
                    }
                }
                Some(_) => {}
            },
        }
    }

    /// The AnalysisRun of the current analysis step, as the controller would write it.
    fn analysis_run(&self, hash: &str, revision: i64) -> Option<Value> {
        let state = self.analysis.as_ref()?;
        let (phase, message) = match state {
            AnalysisState::Running { .. } => ("Running", String::new()),
            AnalysisState::Successful => ("Successful", String::new()),
            AnalysisState::Failed(why) => ("Failed", why.clone()),
        };
        let measurements: Vec<Value> = self
            .measured
            .iter()
            .map(|(at, c)| {
                json!({ "phase": if c.failed() { "Failed" } else { "Successful" },
                        "value": format!("[{:.2},{:.2}]", c.errors, c.latency),
                        "startedAt": super::ts(*at), "finishedAt": super::ts(*at) })
            })
            .collect();
        let failed = self.measured.iter().filter(|(_, c)| c.failed()).count();
        let name = format!("{}-{hash}-analysis", self.name);
        Some(json!({
            "apiVersion": "argoproj.io/v1alpha1",
            "kind": "AnalysisRun",
            "metadata": {
                "name": name, "namespace": self.namespace,
                "creationTimestamp": super::ts(self.step_started),
                "labels": { "rollout-type": "Step", "step-index": self.analysis_step.to_string(),
                            HASH_LABEL: hash },
                "annotations": { ARGO_REVISION_ANNOTATION: revision.to_string() },
                "ownerReferences": [{ "apiVersion": "argoproj.io/v1alpha1", "kind": "Rollout",
                                      "name": self.name, "uid": format!("uid-{}", self.name),
                                      "controller": true }]
            },
            "spec": { "metrics": [{
                // One measurement once the step has run its time, as the sim judges it.
                "name": "error-rate", "count": 1, "initialDelay": format!("{ANALYSIS_SECS}s"),
                "successCondition": format!(
                    "result[0] <= {} && result[1] <= {}",
                    super::ERRORS_ALLOWED,
                    super::LATENCY_ALLOWED
                ),
                "failureLimit": 0,
                "provider": { "prometheus": { "query": "canary over baseline: error ratio, p99 latency" } }
            }] },
            "status": {
                "phase": phase, "message": message,
                "metricResults": [{
                    "name": "error-rate", "phase": phase, "count": measurements.len(),
                    "successful": measurements.len() - failed, "failed": failed,
                    "measurements": measurements
                }]
            }
        }))
    }

    /// `kubectl argo rollouts promote [--full]`.
    pub fn promote(
        &mut self,
        full: bool,
        now: Time,
        events: &mut SimEvents,
    ) -> Result<String, String> {
        if !self.in_update() {
            return Err("rollout is not in an update: nothing to promote".into());
        }
        self.aborted = false;
        self.paused = false;
        if self.blue_green {
            self.sets[self.current].scale_down_at = None;
            self.promoting = true;
            return Ok(format!(
                "promoted: the active Service switches once {} new pods are available",
                self.replicas
            ));
        }
        if full {
            self.complete(now, events);
            return Ok("promoted to the new revision".into());
        }
        self.advance(now);
        // Counted as the step display counts them: steps completed of all steps.
        Ok(format!(
            "promoted: step {}/{}",
            self.step_index.min(self.steps.len()),
            self.steps.len()
        ))
    }

    /// The controller's RolloutAborted message: the reason only when an analysis gave one.
    fn abort_message(&self, why: Option<&str>) -> String {
        let revision = self.sets[self.current].revision;
        match why {
            Some(why) => format!("Rollout aborted update to revision {revision}: {why}"),
            None => format!("Rollout aborted update to revision {revision}"),
        }
    }

    /// Stops the update, with the controller's RolloutAborted event.
    fn mark_aborted(&mut self, why: Option<&str>, now: Time, events: &mut SimEvents) {
        self.aborted = true;
        // The controller starts the steps over: currentStepIndex 0 until a retry.
        if !self.steps.is_empty() {
            self.step_index = 0;
        }
        let msg = self.abort_message(why);
        events.warning(
            &self.namespace,
            "Rollout",
            &self.name,
            "RolloutAborted",
            &msg,
            now,
        );
    }

    /// ripcord's set-weight: on to the step that sets `weight`, as a real cluster's
    /// `status.currentStepIndex` patch does; the controller then applies that weight.
    pub fn set_weight(&mut self, weight: u8, now: Time) -> Result<String, String> {
        if self.blue_green {
            return Err("a blue-green rollout has no weight to set".into());
        }
        let index = self
            .steps
            .iter()
            .position(|s| *s == ArgoStep::SetWeight(weight))
            .ok_or_else(|| format!("no setWeight step of {weight}%"))?;
        self.aborted = false;
        self.analysis = None;
        self.step_index = index;
        self.step_started = now;
        Ok(format!(
            "moved to step {index}/{} (setWeight {weight})",
            self.steps.len()
        ))
    }

    /// `kubectl argo rollouts abort`.
    pub fn abort(&mut self, now: Time, events: &mut SimEvents) -> Result<String, String> {
        if !self.in_update() {
            return Err("rollout is not in an update: nothing to abort".into());
        }
        self.promoting = false;
        self.mark_aborted(None, now, events);
        // Blue-green traffic goes back to the active, a canary's to the stable.
        Ok(if self.blue_green {
            "aborted: traffic back on active".into()
        } else {
            "aborted: traffic back on stable".into()
        })
    }

    /// `kubectl argo rollouts retry rollout`.
    pub fn retry(&mut self, now: Time) -> Result<String, String> {
        if !self.aborted {
            return Err("rollout is not aborted: nothing to retry".into());
        }
        self.sets[self.current].scale_down_at = None;
        self.aborted = false;
        self.analysis = None;
        self.step_index = 0;
        self.step_started = now;
        Ok(format!("retrying from step 0/{}", self.steps.len()))
    }

    /// `kubectl argo rollouts undo [--to-revision]`: the old template becomes the newest revision.
    pub fn undo(&mut self, to_revision: Option<i64>, now: Time) -> Result<String, String> {
        let current = self.sets[self.current].revision;
        let target = match to_revision {
            Some(n) => self.sets.iter().position(|s| s.revision == n),
            None => self
                .sets
                .iter()
                .enumerate()
                .filter(|(_, s)| s.revision < current)
                .max_by_key(|(_, s)| s.revision)
                .map(|(i, _)| i),
        }
        .ok_or_else(|| match to_revision {
            Some(n) => format!("unable to find specified revision {n} in history"),
            None => "no rollout history found".into(),
        })?;
        let image = self.sets[target].image.clone();
        self.set_image(&image, now);
        Ok(format!(
            "rolled back to revision {}",
            self.sets[self.current].revision
        ))
    }

    /// `kubectl argo rollouts restart`: pods are replaced, the template stays.
    pub fn restart(&mut self, now: Time) -> Result<String, String> {
        let n: usize = self.sets.iter().map(|s| s.pods.len()).sum();
        self.restarted_at = Some(now);
        Ok(format!("restarting {n} pods, one at a time"))
    }

    /// Whether pods older than `restartAt` still run: the controller has not yet written
    /// `status.restartedAt`.
    fn restarting(&self) -> bool {
        self.restarted_at.is_some_and(|at| {
            self.sets
                .iter()
                .any(|s| s.pods.iter().any(|p| p.created < at))
        })
    }

    /// Like the controller after `restartAt`: one pod older than the restart is evicted
    /// once every pod is ready, and its ReplicaSet replaces it at once.
    fn evict_one_for_restart(&mut self, now: Time, rng: &mut Rng) {
        let Some(at) = self.restarted_at else {
            return;
        };
        if self.sets.iter().any(|s| s.pods.iter().any(|p| !p.ready)) {
            return;
        }
        for set in &mut self.sets {
            if let Some(i) = set.pods.iter().position(|p| p.created < at) {
                set.pods.remove(i);
                set.scale_up(now, rng);
                return;
            }
        }
    }

    /// `status.availableReplicas`: a blue-green counts only the set behind its active
    /// Service, a canary every set.
    fn available(&self) -> i32 {
        if self.blue_green {
            self.sets[self.stable].ready()
        } else {
            self.sets.iter().map(SimReplicaSet::ready).sum()
        }
    }

    /// Why a Rollout that is neither paused nor aborted still progresses, by the
    /// controller's rules; `None` once it is healthy.
    fn progress_message(&self) -> Option<&'static str> {
        let updated = self.sets[self.current].replicas();
        let total: i32 = self.sets.iter().map(SimReplicaSet::replicas).sum();
        Some(if updated < self.replicas {
            "more replicas need to be updated"
        } else if self.available() < updated {
            "updated replicas are still becoming available"
        } else if self.blue_green && self.in_update() {
            "active service cutover pending"
        } else if !self.blue_green && total > updated {
            // Only a basic canary: a blue-green keeps its old set up on purpose.
            "old replicas are pending termination"
        } else if self.in_update() {
            "waiting for all steps to complete"
        } else {
            return None;
        })
    }

    pub fn objects(&self, now: Time) -> Vec<Value> {
        let stable = &self.sets[self.stable];
        let current = &self.sets[self.current];
        let strategy = if self.blue_green {
            json!({ "blueGreen": { "activeService": format!("{}-active", self.name),
                                   "previewService": format!("{}-preview", self.name),
                                   "autoPromotionEnabled": false } })
        } else {
            let steps: Vec<Value> = self
                .steps
                .iter()
                .map(|s| match s {
                    ArgoStep::SetWeight(w) => json!({ "setWeight": w }),
                    ArgoStep::Pause(Some(d)) => json!({ "pause": { "duration": format!("{d}s") } }),
                    ArgoStep::Pause(None) => json!({ "pause": {} }),
                    ArgoStep::Analysis => {
                        json!({ "analysis": { "templates": [{ "templateName": "error-rate" }] } })
                    }
                })
                .collect();
            json!({ "canary": { "steps": steps } })
        };
        let pause = self.pause_reason();
        let (phase, message) = if self.aborted {
            let why = match &self.analysis {
                Some(AnalysisState::Failed(why)) => Some(why.as_str()),
                _ => None,
            };
            (
                "Degraded",
                format!("RolloutAborted: {}", self.abort_message(why)),
            )
        } else if self.paused {
            ("Paused", "manually paused".to_string())
        } else if let Some(reason) = pause {
            ("Paused", reason.to_string())
        } else if self.restarting() {
            ("Progressing", "rollout is restarting".to_string())
        } else if let Some(why) = self.progress_message() {
            ("Progressing", why.to_string())
        } else {
            ("Healthy", String::new())
        };
        let ready = self.available();
        let mut status = json!({
            "phase": phase,
            "message": message,
            "stableRS": stable.hash,
            "currentPodHash": current.hash,
            "replicas": self.sets.iter().map(SimReplicaSet::replicas).sum::<i32>(),
            "readyReplicas": ready,
            "availableReplicas": ready,
            "updatedReplicas": current.replicas(),
            "abort": self.aborted,
        });
        if let Some(at) = self.restarted_at.filter(|_| !self.restarting()) {
            status["restartedAt"] = json!(super::ts(at));
        }
        if let Some(reason) = pause {
            status["pauseConditions"] =
                json!([{ "reason": reason, "startTime": super::ts(self.step_started) }]);
        }
        if self.blue_green {
            status["blueGreen"] =
                json!({ "activeSelector": stable.hash, "previewSelector": current.hash });
        } else {
            status["currentStepIndex"] = json!(self.step_index.min(self.steps.len()));
            status["canary"] = json!({ "weights": { "canary": { "weight": self.weight(), "podTemplateHash": current.hash } } });
            if let Some(a) = &self.analysis {
                let (s, m) = match a {
                    AnalysisState::Running { .. } => ("Running", String::new()),
                    AnalysisState::Successful => ("Successful", String::new()),
                    AnalysisState::Failed(why) => ("Failed", why.clone()),
                };
                status["canary"]["currentStepAnalysisRunStatus"] = json!({ "name": format!("{}-{}-analysis", self.name, current.hash), "status": s, "message": m });
            }
        }
        let mut out = vec![json!({
            "apiVersion": "argoproj.io/v1alpha1",
            "kind": "Rollout",
            "metadata": { "name": self.name, "namespace": self.namespace, "creationTimestamp": super::ts(self.created),
                          "generation": 1 },
            "spec": {
                "replicas": self.replicas,
                "paused": self.paused,
                "restartAt": self.restarted_at.map(super::ts),
                "strategy": strategy,
                "template": { "spec": { "containers": [{ "name": "app", "image": current.image }] } }
            },
            "status": status
        })];
        out.extend(self.analysis_run(&current.hash, current.revision));
        for set in &self.sets {
            let mut rs = set.to_json(
                &self.namespace,
                "Rollout",
                &self.name,
                HASH_LABEL,
                ARGO_REVISION_ANNOTATION,
            );
            if let Some(at) = set.scale_down_at {
                rs["metadata"]["annotations"][SCALE_DOWN_DEADLINE] = json!(super::ts(at));
            }
            out.push(rs);
            out.extend(set.pods_json(&self.namespace, &self.name, HASH_LABEL, now));
        }
        out
    }
}

/// maxSurge and maxUnavailable at the controller's defaults (25 % each, surge rounded up,
/// unavailability down); never both 0.
fn fenceposts(replicas: i32) -> (i32, i32) {
    let surge = (replicas * 25 + 99) / 100;
    let unavailable = replicas * 25 / 100;
    if surge == 0 && unavailable == 0 {
        (0, 1.min(replicas))
    } else {
        (surge, unavailable)
    }
}

/// The canary and stable counts nearest `weight` % of `replicas`, trying one surge pod
/// more in all when surge is allowed; a tie goes to the larger canary, and a weight
/// strictly between 0 and 100 never rounds a side to nothing.
fn weighted_counts(replicas: i32, weight: i32, surge: i32) -> (i32, i32) {
    if replicas == 0 {
        return (0, 0);
    }
    let ceil = (replicas * weight + 99) / 100;
    let floor = replicas * weight / 100;
    let tied = |total: i32| total * weight % 100 == 50;
    let zero_ok = weight == 0 || weight == 100 || (replicas == 1 && surge == 0);
    let mut options = Vec::new();
    if ceil < replicas || zero_ok {
        options.push((ceil, replicas));
    }
    if !tied(replicas) && (floor != 0 || zero_ok) {
        options.push((floor, replicas));
    }
    if surge > 0 {
        options.push((ceil, replicas + 1));
        if !tied(replicas + 1) && (floor != 0 || zero_ok) {
            options.push((floor, replicas + 1));
        }
    }
    let off = |(canary, total): (i32, i32)| {
        (f64::from(canary * 100) / f64::from(total) - f64::from(weight)).abs()
    };
    let Some(&first) = options.first() else {
        return (0, replicas);
    };
    let best = options
        .iter()
        .skip(1)
        .fold(first, |best, &o| if off(o) < off(best) { o } else { best });
    (best.0, best.1 - best.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The controller's basic-canary split: nearest to the weight, a surge pod when it
    /// gets nearer, the larger canary on a tie, no side rounded away.
    #[test]
    fn weighted_counts_pick_the_nearest_split() {
        assert_eq!(fenceposts(4), (1, 1));
        assert_eq!(fenceposts(5), (2, 1));
        assert_eq!(fenceposts(1), (1, 0));
        assert_eq!(weighted_counts(4, 75, 1), (3, 1));
        assert_eq!(weighted_counts(5, 20, 2), (1, 4));
        // 1 of 3 and 2 of 3 are as far from 50 %: a surge pod makes it 2 of 4.
        assert_eq!(weighted_counts(3, 50, 1), (2, 2));
        assert_eq!(weighted_counts(10, 33, 3), (3, 7));
        assert_eq!(weighted_counts(2, 1, 1), (1, 2));
        assert_eq!(weighted_counts(4, 0, 1), (0, 4));
        assert_eq!(weighted_counts(4, 100, 1), (4, 0));
    }
}
