//! A Flagger Canary: Flagger shifts weight step by step while checks pass, waits at the
//! confirm-promotion gate of its load tester, then copies the canary's template onto the
//! `-primary` Deployment. Actions go through the real actuator's plan
//! (`cluster::actions::flagger::plan`): spec patches and load tester gates.

use super::deployment::SimDeployment;
use super::{Rng, SimEvents, Time};
use crate::cluster::actions::flagger::{self as actions, GateKind, Plan};
use crate::model::ops::Op;
use serde_json::{json, Value};

/// Seconds between Flagger's analysis iterations.
const INTERVAL_SECS: i64 = 20;

#[derive(Debug, Clone)]
pub struct SimFlaggerCanary {
    pub name: String,
    pub namespace: String,
    pub created: Time,
    pub primary: SimDeployment,
    pub target: SimDeployment,
    pub phase: &'static str,
    pub weight: u8,
    pub step_weight: u8,
    pub max_weight: u8,
    pub threshold: i64,
    pub failed_checks: i64,
    pub last_iteration: Time,
    /// `spec.skipAnalysis` and `spec.suspend`.
    pub skip_analysis: bool,
    pub suspended: bool,
    /// The load tester's gates for this canary: `/gate/open` and `/rollback/open` open them,
    /// and they stay open until `/gate/close` and `/rollback/close`, as the load tester's do.
    pub gate_open: bool,
    pub rollback_open: bool,
}

/// Where the demo's load tester serves its gates.
fn loadtester(namespace: &str) -> String {
    format!("http://flagger-loadtester.{namespace}")
}

impl SimFlaggerCanary {
    pub fn new(
        namespace: &str,
        name: &str,
        image: &str,
        new_image: &str,
        replicas: i32,
        created: Time,
        rng: &mut Rng,
    ) -> Self {
        let primary = SimDeployment::new(
            namespace,
            &format!("{name}-primary"),
            image,
            replicas,
            created,
            rng,
        );
        let mut target = SimDeployment::new(namespace, name, image, replicas, created, rng);
        target.set_image(new_image, created);
        SimFlaggerCanary {
            name: name.into(),
            namespace: namespace.into(),
            created,
            primary,
            target,
            phase: "Progressing",
            weight: 0,
            step_weight: 10,
            max_weight: 50,
            threshold: 5,
            failed_checks: 0,
            last_iteration: created,
            skip_analysis: false,
            suspended: false,
            gate_open: false,
            rollback_open: false,
        }
    }

    /// `name.namespace`, as Flagger names a canary in its events.
    fn id(&self) -> String {
        format!("{}.{}", self.name, self.namespace)
    }

    fn event(&self, events: &mut SimEvents, warning: bool, message: &str, now: Time) {
        let (ns, name) = (&self.namespace, &self.name);
        if warning {
            events.warning(ns, "Canary", name, "Synced", message, now);
        } else {
            events.normal(ns, "Canary", name, "Synced", message, now);
        }
    }

    /// Carries out `op` the way the real actuator does: its plan, from this Canary's object.
    pub fn act(&mut self, op: Op, now: Time) -> Result<String, String> {
        let canary = self.canary(now);
        match actions::plan(&canary, &self.name, &self.namespace, op)? {
            Plan::Patch { patch, done } => {
                let spec = &patch["spec"];
                if let Some(skip) = spec["skipAnalysis"].as_bool() {
                    self.skip_analysis = skip;
                }
                if let Some(suspend) = spec["suspend"].as_bool() {
                    self.suspended = suspend;
                }
                Ok(done)
            }
            Plan::Gate(gate) => {
                match gate.kind {
                    GateKind::Confirm => self.gate_open = true,
                    GateKind::Rollback => self.rollback_open = true,
                }
                Ok(gate.opened_text(&self.name))
            }
        }
    }

    /// Flagger's rollback: no traffic and no pods for the canary, phase Failed.
    fn roll_back(&mut self, now: Time, events: &mut SimEvents) {
        self.phase = "Failed";
        self.weight = 0;
        self.target.scale(0, now);
        let message = format!("Canary failed! Scaling down {}", self.id());
        self.event(events, true, &message, now);
    }

    /// Copies the canary's template onto the primary.
    fn copy_to_primary(&mut self, now: Time, events: &mut SimEvents) {
        let image = self.target.image().to_owned();
        self.primary.set_image(&image, now);
        let message = format!(
            "Copying {} template spec to {}-primary.{}",
            self.id(),
            self.name,
            self.namespace
        );
        self.event(events, false, &message, now);
    }

    /// Puts `spec.skipAnalysis` back, as ripcord does once the promotion is over; the
    /// phase it was put back in, if it was.
    pub fn restore_skip(&mut self) -> Option<bool> {
        if !actions::promotion_over(self.phase) {
            return None;
        }
        let was_set = self.skip_analysis;
        self.skip_analysis = false;
        Some(was_set)
    }

    /// The load tester's answer to a POST to `path` (`.../gate/close`, `.../rollback/close`)
    /// once the analysis is over; the phase it was closed in, if it was.
    pub fn close_gate(&mut self, path: &str) -> Option<&'static str> {
        if !actions::promotion_over(self.phase) {
            return None;
        }
        if path.ends_with("/rollback/close") {
            self.rollback_open = false;
        } else if path.ends_with("/gate/close") {
            self.gate_open = false;
        }
        Some(self.phase)
    }

    /// `check_failed`: the metric checks fail on the canary's numbers now.
    pub fn tick(&mut self, now: Time, rng: &mut Rng, events: &mut SimEvents, check_failed: bool) {
        // The demo's history starts before this canary was created: nothing runs until then.
        if now < self.created {
            return;
        }
        self.primary.tick(now, rng, events);
        self.target.tick(now, rng, events);
        if (now - self.last_iteration).num_seconds() < INTERVAL_SECS {
            return;
        }
        self.last_iteration = now;
        // A suspended Canary is skipped by Flagger's scheduler until resumed.
        if self.suspended {
            return;
        }
        let analysing = matches!(self.phase, "Progressing" | "WaitingPromotion");
        if analysing && self.rollback_open {
            let message = format!("Rolling back {} manual webhook invoked", self.id());
            self.event(events, true, &message, now);
            self.roll_back(now, events);
            return;
        }
        if analysing && self.skip_analysis {
            // Flagger promotes at once, without the analysis or the gates.
            self.copy_to_primary(now, events);
            self.weight = 0;
            self.target.scale(0, now);
            self.phase = "Succeeded";
            let message = format!(
                "Promotion completed! Canary analysis was skipped for {}",
                self.id()
            );
            self.event(events, false, &message, now);
            return;
        }
        if analysing && check_failed {
            self.failed_checks += 1;
            if self.failed_checks >= self.threshold {
                self.roll_back(now, events);
            }
            return;
        }
        match self.phase {
            "Progressing" | "WaitingPromotion" if self.weight >= self.max_weight => {
                if !self.gate_open {
                    if self.phase != "WaitingPromotion" {
                        self.phase = "WaitingPromotion";
                        let message = format!(
                            "Halt {} advancement waiting for promotion approval promotion-gate",
                            self.id()
                        );
                        self.event(events, true, &message, now);
                    }
                    return;
                }
                self.phase = "Promoting";
                self.copy_to_primary(now, events);
            }
            "Progressing" => {
                self.weight = (self.weight + self.step_weight).min(self.max_weight);
                let message = format!("Advance {} canary weight {}", self.id(), self.weight);
                self.event(events, false, &message, now);
            }
            "Promoting" if self.primary.is_complete() => {
                self.phase = "Finalising";
                self.weight = 0;
            }
            "Finalising" => {
                self.phase = "Succeeded";
                self.target.scale(0, now);
                let message = format!("Promotion completed! Scaling down {}", self.id());
                self.event(events, false, &message, now);
            }
            _ => {}
        }
    }

    /// The Canary object as the apiserver would serve it.
    fn canary(&self, _now: Time) -> Value {
        let loadtester = loadtester(&self.namespace);
        let (status, message) = match self.phase {
            "Succeeded" => (
                "True",
                "Canary analysis completed successfully, promotion finished.",
            ),
            "Failed" => (
                "False",
                "Canary analysis failed, Deployment scaled to zero.",
            ),
            "Waiting" | "WaitingPromotion" => ("Unknown", "Waiting for approval."),
            "Promoting" => (
                "Unknown",
                "Canary analysis completed, starting primary rolling update.",
            ),
            "Finalising" => (
                "Unknown",
                "Canary analysis completed, routing all traffic to primary.",
            ),
            _ => (
                "Unknown",
                "New revision detected, progressing canary analysis.",
            ),
        };
        json!({
            "apiVersion": "flagger.app/v1beta1",
            "kind": "Canary",
            "metadata": { "name": self.name, "namespace": self.namespace, "creationTimestamp": super::ts(self.created) },
            "spec": {
                "targetRef": { "apiVersion": "apps/v1", "kind": "Deployment", "name": self.name },
                "skipAnalysis": self.skip_analysis,
                "suspend": self.suspended,
                "analysis": { "interval": format!("{INTERVAL_SECS}s"), "threshold": self.threshold,
                              "maxWeight": self.max_weight, "stepWeight": self.step_weight,
                              "metrics": [
                                  { "name": "request-success-rate", "interval": "1m", "thresholdRange": { "min": 99 } },
                                  { "name": "request-duration", "interval": "30s", "thresholdRange": { "max": 500 } }
                              ],
                              "webhooks": [
                                  { "name": "load-test", "type": "rollout", "url": format!("{loadtester}/") },
                                  { "name": "promotion-gate", "type": "confirm-promotion", "url": format!("{loadtester}/gate/check") },
                                  { "name": "rollback-gate", "type": "rollback", "url": format!("{loadtester}/rollback/check") }
                              ] }
            },
            "status": {
                "phase": self.phase,
                "canaryWeight": self.weight,
                "failedChecks": self.failed_checks,
                "conditions": [{ "type": "Promoted", "status": status, "reason": self.phase, "message": message }]
            }
        })
    }

    pub fn objects(&self, now: Time) -> Vec<Value> {
        let mut out = vec![self.canary(now)];
        out.extend(self.primary.objects(now));
        out.extend(self.target.objects(now));
        out
    }
}
