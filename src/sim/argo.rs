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

    fn desired(&self, i: usize, now: Time) -> i32 {
        if self.blue_green {
            let set = &self.sets[i];
            return if i == self.stable {
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
            };
        }
        let canary = (self.replicas * self.weight() as i32 + 99) / 100;
        if !self.in_update() {
            if i == self.stable {
                self.replicas
            } else {
                0
            }
        } else if i == self.current {
            canary
        } else if i == self.stable {
            self.replicas - canary.min(self.replicas - 1).max(0)
        } else {
            0
        }
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
        self.evict_one_for_restart();
        for i in 0..self.sets.len() {
            let desired = self.desired(i, now);
            self.sets[i].step_toward(desired, now, rng);
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
                let canary = &self.sets[self.current];
                if canary.ready() >= self.desired(self.current, now) {
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
                        self.mark_aborted(&why, now, events);
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

    /// Stops the update and says why, as the controller's RolloutAborted event does.
    fn mark_aborted(&mut self, why: &str, now: Time, events: &mut SimEvents) {
        self.aborted = true;
        // The controller starts the steps over: currentStepIndex 0 until a retry.
        if !self.steps.is_empty() {
            self.step_index = 0;
        }
        let msg = format!(
            "Rollout aborted update to revision {}: {why}",
            self.sets[self.current].revision
        );
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
        self.mark_aborted("aborted by user", now, events);
        Ok("aborted: traffic back on stable".into())
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

    /// Like the controller after `restartAt`: one pod older than the restart goes once
    /// every pod is ready, and its set's scaling brings up the replacement.
    fn evict_one_for_restart(&mut self) {
        let Some(at) = self.restarted_at else {
            return;
        };
        if self.sets.iter().any(|s| s.pods.iter().any(|p| !p.ready)) {
            return;
        }
        for set in &mut self.sets {
            if let Some(i) = set.pods.iter().position(|p| p.created < at) {
                set.pods.remove(i);
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
                Some(AnalysisState::Failed(why)) => why.clone(),
                _ => "aborted by user".into(),
            };
            (
                "Degraded",
                format!(
                    "RolloutAborted: Rollout aborted update to revision {}: {why}",
                    current.revision
                ),
            )
        } else if self.paused {
            ("Paused", "manually paused".to_string())
        } else if let Some(reason) = pause {
            ("Paused", reason.to_string())
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
