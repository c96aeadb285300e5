//! A Flagger Canary: Flagger shifts weight step by step while checks pass, then copies the
//! canary's template onto the `-primary` Deployment.

use super::deployment::SimDeployment;
use super::{Rng, SimEvents, Time};
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
        }
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
        match self.phase {
            "Progressing" if check_failed => {
                self.failed_checks += 1;
                if self.failed_checks >= self.threshold {
                    self.phase = "Failed";
                    self.weight = 0;
                    self.target.scale(0, now);
                    events.warning(
                        &self.namespace,
                        "Canary",
                        &self.name,
                        "Synced",
                        "Canary failed! Scaling down",
                        now,
                    );
                }
            }
            "Progressing" if self.weight >= self.max_weight => {
                self.phase = "Promoting";
                let image = self.target.image().to_owned();
                self.primary.set_image(&image, now);
                events.normal(
                    &self.namespace,
                    "Canary",
                    &self.name,
                    "Synced",
                    "Copying canary template to primary",
                    now,
                );
            }
            "Progressing" => {
                self.weight = (self.weight + self.step_weight).min(self.max_weight);
                let msg = format!(
                    "Advance {}.{} canary weight {}",
                    self.name, self.namespace, self.weight
                );
                events.normal(&self.namespace, "Canary", &self.name, "Synced", &msg, now);
            }
            "Promoting" if self.primary.is_complete() => {
                self.phase = "Finalising";
                self.weight = 0;
            }
            "Finalising" => {
                self.phase = "Succeeded";
                self.target.scale(0, now);
                events.normal(
                    &self.namespace,
                    "Canary",
                    &self.name,
                    "Synced",
                    "Promotion completed! Scaling down",
                    now,
                );
            }
            _ => {}
        }
    }

    pub fn objects(&self, now: Time) -> Vec<Value> {
        let mut out = vec![json!({
            "apiVersion": "flagger.app/v1beta1",
            "kind": "Canary",
            "metadata": { "name": self.name, "namespace": self.namespace, "creationTimestamp": super::ts(self.created) },
            "spec": {
                "targetRef": { "apiVersion": "apps/v1", "kind": "Deployment", "name": self.name },
                "analysis": { "interval": format!("{INTERVAL_SECS}s"), "threshold": self.threshold,
                              "maxWeight": self.max_weight, "stepWeight": self.step_weight,
                              "metrics": [
                                  { "name": "request-success-rate", "interval": "1m", "thresholdRange": { "min": 99 } },
                                  { "name": "request-duration", "interval": "30s", "thresholdRange": { "max": 500 } }
                              ],
                              "webhooks": [
                                  { "name": "load-test", "type": "rollout", "url": "http://flagger-loadtester.test/" }
                              ] }
            },
            "status": {
                "phase": self.phase,
                "canaryWeight": self.weight,
                "failedChecks": self.failed_checks,
                "conditions": [{ "type": "Promoted", "status": if self.phase == "Succeeded" { "True" } else { "Unknown" },
                                 "reason": self.phase,
                                 "message": match self.phase {
                                     "Progressing" => "New revision detected, progressing canary analysis.",
                                     "Succeeded" => "Canary analysis completed successfully, promotion finished.",
                                     "Failed" => "Canary analysis failed, Deployment scaled to zero.",
                                     _ => "Canary promotion in progress.",
                                 } }]
            }
        })];
        out.extend(self.primary.objects(now));
        out.extend(self.target.objects(now));
        out
    }
}
