//! A Deployment and the rolling updates the deployment controller drives for it.

use super::replicas::SimReplicaSet;
use super::{Rng, SimEvents, Time};
use crate::model::objects::{CANARY_OF_LABEL, REVISION_ANNOTATION};
use serde_json::{json, Value};

#[derive(Debug, Clone)]
pub struct SimDeployment {
    pub name: String,
    pub namespace: String,
    pub canary_of: Option<String>,
    pub replicas: i32,
    pub paused: bool,
    pub generation: i64,
    pub created: Time,
    pub progress_deadline_secs: i64,
    /// ReplicaSets, in creation order.
    pub sets: Vec<SimReplicaSet>,
    /// Index in `sets` of the ReplicaSet that matches the pod template.
    pub current: usize,
    pub last_progress: Time,
}

impl SimDeployment {
    /// A Deployment fully rolled out at `image`.
    pub fn new(
        namespace: &str,
        name: &str,
        image: &str,
        replicas: i32,
        created: Time,
        rng: &mut Rng,
    ) -> Self {
        let rs = SimReplicaSet::ready_from_start(name, image, replicas, created, rng);
        SimDeployment {
            name: name.into(),
            namespace: namespace.into(),
            canary_of: None,
            replicas,
            paused: false,
            generation: 1,
            created,
            progress_deadline_secs: 600,
            sets: vec![rs],
            current: 0,
            last_progress: created,
        }
    }

    pub fn revision(&self) -> i64 {
        self.sets[self.current].revision
    }

    pub fn image(&self) -> &str {
        &self.sets[self.current].image
    }

    fn max_revision(&self) -> i64 {
        self.sets.iter().map(|s| s.revision).max().unwrap_or(0)
    }

    /// Points the template at (image, nonce), reusing a matching ReplicaSet as the controller does.
    fn set_template(&mut self, image: &str, nonce: u32, now: Time) {
        let next = self.max_revision() + 1;
        match self
            .sets
            .iter()
            .position(|s| s.image == image && s.restart_nonce == nonce)
        {
            Some(i) if i == self.current => return,
            Some(i) => {
                self.sets[i].revision = next;
                self.current = i;
            }
            None => {
                self.sets
                    .push(SimReplicaSet::new(&self.name, next, image, nonce, now));
                self.current = self.sets.len() - 1;
            }
        }
        self.generation += 1;
        self.last_progress = now;
    }

    pub fn set_image(&mut self, image: &str, now: Time) {
        let nonce = self.sets[self.current].restart_nonce;
        self.set_template(image, nonce, now);
    }

    /// `kubectl rollout restart`: the same image under a new template.
    pub fn restart(&mut self, now: Time) {
        let image = self.image().to_owned();
        let nonce = self.sets.iter().map(|s| s.restart_nonce).max().unwrap_or(0) + 1;
        self.set_template(&image, nonce, now);
    }

    /// `kubectl rollout undo [--to-revision]`.
    pub fn rollback(&mut self, to_revision: Option<i64>, now: Time) -> Result<(), String> {
        let target = match to_revision {
            Some(n) => self.sets.iter().position(|s| s.revision == n),
            None => {
                let current = self.revision();
                self.sets
                    .iter()
                    .enumerate()
                    .filter(|(_, s)| s.revision < current)
                    .max_by_key(|(_, s)| s.revision)
                    .map(|(i, _)| i)
            }
        };
        let Some(i) = target else {
            return Err(match to_revision {
                Some(n) => format!("unable to find specified revision {n} in history"),
                None => "no rollout history found".into(),
            });
        };
        if i == self.current {
            return Err("skipped rollback (already at that revision)".into());
        }
        let (image, nonce) = (self.sets[i].image.clone(), self.sets[i].restart_nonce);
        self.set_template(&image, nonce, now);
        Ok(())
    }

    pub fn scale(&mut self, replicas: i32, now: Time) {
        if self.replicas != replicas {
            self.replicas = replicas.max(0);
            self.generation += 1;
            self.last_progress = now;
        }
    }

    pub fn is_complete(&self) -> bool {
        let cur = &self.sets[self.current];
        cur.replicas() == self.replicas
            && cur.ready() == self.replicas
            && self
                .sets
                .iter()
                .enumerate()
                .all(|(i, s)| i == self.current || s.replicas() == 0)
    }

    /// Kubernetes does not apply the progress deadline to a paused Deployment.
    fn deadline_exceeded(&self, now: Time) -> bool {
        !self.paused
            && !self.is_complete()
            && (now - self.last_progress).num_seconds() > self.progress_deadline_secs
    }

    /// One second of kubelet and deployment controller work.
    pub fn tick(&mut self, now: Time, rng: &mut Rng, events: &mut SimEvents) {
        let was_exceeded = self.deadline_exceeded(now);
        for (i, set) in self.sets.iter_mut().enumerate() {
            if set.kubelet_tick(now) > 0 && i == self.current {
                self.last_progress = now;
            }
        }
        if self.paused {
            return;
        }
        let max_surge = (self.replicas + 3) / 4;
        let max_unavailable = self.replicas / 4;
        let total: i32 = self.sets.iter().map(SimReplicaSet::replicas).sum();
        let current = self.current;
        let cur_replicas = self.sets[current].replicas();
        if cur_replicas < self.replicas && total < self.replicas + max_surge.max(1) {
            self.sets[current].scale_up(now, rng);
            self.last_progress = now;
            let msg = format!(
                "Scaled up replica set {} to {}",
                self.sets[current].name(&self.name),
                cur_replicas + 1
            );
            events.normal(
                &self.namespace,
                "Deployment",
                &self.name,
                "ScalingReplicaSet",
                &msg,
                now,
            );
        } else if cur_replicas > self.replicas {
            self.sets[current].scale_down();
        }
        let ready: i32 = self.sets.iter().map(SimReplicaSet::ready).sum();
        let min_ready = self.replicas - max_unavailable;
        let old = (0..self.sets.len()).find(|&i| {
            let s = &self.sets[i];
            i != current && s.replicas() > 0 && (s.ready() < s.replicas() || ready > min_ready)
        });
        if let Some(i) = old {
            self.sets[i].scale_down();
            let msg = format!(
                "Scaled down replica set {} to {}",
                self.sets[i].name(&self.name),
                self.sets[i].replicas()
            );
            events.normal(
                &self.namespace,
                "Deployment",
                &self.name,
                "ScalingReplicaSet",
                &msg,
                now,
            );
        }
        if !was_exceeded && self.deadline_exceeded(now) {
            let msg = format!(
                "ReplicaSet \"{}\" has timed out progressing.",
                self.sets[current].name(&self.name)
            );
            events.warning(
                &self.namespace,
                "Deployment",
                &self.name,
                "ProgressDeadlineExceeded",
                &msg,
                now,
            );
        }
    }

    /// The Deployment, its ReplicaSets and their pods.
    pub fn objects(&self, now: Time) -> Vec<Value> {
        let cur = &self.sets[self.current];
        let total: i32 = self.sets.iter().map(SimReplicaSet::replicas).sum();
        let ready: i32 = self.sets.iter().map(SimReplicaSet::ready).sum();
        let cur_name = cur.name(&self.name);
        let progressing = if self.paused {
            json!({ "type": "Progressing", "status": "Unknown", "reason": "DeploymentPaused",
                    "message": "Deployment is paused" })
        } else if self.deadline_exceeded(now) {
            json!({ "type": "Progressing", "status": "False", "reason": "ProgressDeadlineExceeded",
                    "message": format!("ReplicaSet \"{cur_name}\" has timed out progressing.") })
        } else if self.is_complete() {
            json!({ "type": "Progressing", "status": "True", "reason": "NewReplicaSetAvailable",
                    "message": format!("ReplicaSet \"{cur_name}\" has successfully progressed.") })
        } else {
            json!({ "type": "Progressing", "status": "True", "reason": "ReplicaSetUpdated",
                    "message": format!("ReplicaSet \"{cur_name}\" is progressing.") })
        };
        let available = ready >= self.replicas - self.replicas / 4;
        let mut labels = json!({ "app": self.name });
        if let Some(stable) = &self.canary_of {
            labels[CANARY_OF_LABEL] = json!(stable);
        }
        let mut out = vec![json!({
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {
                "name": self.name,
                "namespace": self.namespace,
                "generation": self.generation,
                "creationTimestamp": super::ts(self.created),
                "labels": labels,
                "annotations": { REVISION_ANNOTATION: self.revision().to_string() }
            },
            "spec": {
                "replicas": self.replicas,
                "paused": self.paused,
                "progressDeadlineSeconds": self.progress_deadline_secs,
                "selector": { "matchLabels": { "app": self.name } },
                "strategy": { "type": "RollingUpdate" },
                "template": {
                    "metadata": { "labels": { "app": self.name } },
                    "spec": { "containers": [{ "name": "app", "image": cur.image }] }
                }
            },
            "status": {
                "observedGeneration": self.generation,
                "replicas": total,
                "updatedReplicas": cur.replicas(),
                "readyReplicas": ready,
                "availableReplicas": ready,
                "unavailableReplicas": (total - ready).max(0),
                "conditions": [
                    { "type": "Available", "status": if available { "True" } else { "False" },
                      "reason": if available { "MinimumReplicasAvailable" } else { "MinimumReplicasUnavailable" },
                      "message": "Deployment availability" },
                    progressing
                ]
            }
        })];
        for set in &self.sets {
            out.push(set.to_json(
                &self.namespace,
                "Deployment",
                &self.name,
                "pod-template-hash",
                REVISION_ANNOTATION,
            ));
            out.extend(set.pods_json(&self.namespace, &self.name, "pod-template-hash", now));
        }
        out
    }
}
