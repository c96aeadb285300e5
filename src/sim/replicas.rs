//! ReplicaSets and their pods, as the replicaset controller and a kubelet would keep them.

use super::{Rng, Time};
use serde_json::{json, Value};

/// Seconds a healthy pod takes to become ready.
const READY_AFTER_SECS: i64 = 8;
/// Seconds between restarts of a crash-looping container.
const RESTART_EVERY_SECS: i64 = 10;

/// Images whose containers crash on start, the same rule as the testbed's fake kubelet.
pub fn crashes(image: &str) -> bool {
    image
        .rsplit(':')
        .next()
        .is_some_and(|tag| tag.contains("crash"))
}

#[derive(Debug, Clone)]
pub struct SimPod {
    pub suffix: String,
    pub created: Time,
    pub ready: bool,
    /// When it became ready: Prometheus has its series from then on.
    pub ready_since: Option<Time>,
}

/// One pod template revision and its pods.
#[derive(Debug, Clone)]
pub struct SimReplicaSet {
    pub revision: i64,
    pub image: String,
    /// Bumped by a restart: same image, new template.
    pub restart_nonce: u32,
    pub hash: String,
    pub created: Time,
    pub pods: Vec<SimPod>,
    /// When its controller may scale it to 0: a set kept up for a while after it stopped
    /// serving, as Argo's scale-down delay keeps one.
    pub scale_down_at: Option<Time>,
}

/// A pod-template-hash look-alike, stable for the same template.
pub fn template_hash(owner: &str, image: &str, nonce: u32) -> String {
    const ALPHABET: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";
    let mut h: u64 = 0xcbf29ce484222325;
    for b in owner
        .bytes()
        .chain(image.bytes())
        .chain(nonce.to_le_bytes())
    {
        h = (h ^ b as u64).wrapping_mul(0x100000001b3);
    }
    (0..10)
        .map(|i| ALPHABET[((h >> (i * 6)) % ALPHABET.len() as u64) as usize] as char)
        .collect()
}

impl SimReplicaSet {
    pub fn new(owner: &str, revision: i64, image: &str, nonce: u32, created: Time) -> Self {
        SimReplicaSet {
            revision,
            image: image.into(),
            restart_nonce: nonce,
            hash: template_hash(owner, image, nonce),
            created,
            pods: Vec::new(),
            scale_down_at: None,
        }
    }

    /// Revision 1 of `owner`, fully up and ready: where every simulated release starts.
    pub fn ready_from_start(
        owner: &str,
        image: &str,
        replicas: i32,
        created: Time,
        rng: &mut Rng,
    ) -> Self {
        let mut rs = SimReplicaSet::new(owner, 1, image, 0, created);
        for _ in 0..replicas {
            rs.scale_up(created, rng);
        }
        rs.pods.iter_mut().for_each(|p| {
            p.ready = true;
            p.ready_since = Some(created);
        });
        rs
    }

    pub fn replicas(&self) -> i32 {
        self.pods.len() as i32
    }

    pub fn ready(&self) -> i32 {
        self.pods.iter().filter(|p| p.ready).count() as i32
    }

    /// Whether a scale-down delay still holds its pods at `now`.
    pub fn held(&self, now: Time) -> bool {
        self.scale_down_at.is_some_and(|at| now < at)
    }

    /// Since when some pod of this set has been ready, if one is.
    pub fn ready_since(&self) -> Option<Time> {
        self.pods
            .iter()
            .filter(|p| p.ready)
            .filter_map(|p| p.ready_since)
            .min()
    }

    pub fn scale_up(&mut self, now: Time, rng: &mut Rng) {
        self.pods.push(SimPod {
            suffix: rng.suffix(),
            created: now,
            ready: false,
            ready_since: None,
        });
    }

    /// Removes one pod, an unready one first, as the replicaset controller prefers.
    pub fn scale_down(&mut self) {
        match self.pods.iter().rposition(|p| !p.ready) {
            Some(i) => drop(self.pods.remove(i)),
            None => drop(self.pods.pop()),
        }
    }

    /// Moves the pod count one step toward `desired`; returns whether it changed.
    pub fn step_toward(&mut self, desired: i32, now: Time, rng: &mut Rng) -> bool {
        match self.replicas().cmp(&desired) {
            std::cmp::Ordering::Less => self.scale_up(now, rng),
            std::cmp::Ordering::Greater => self.scale_down(),
            std::cmp::Ordering::Equal => return false,
        }
        true
    }

    /// Lets pods become ready; returns how many did.
    pub fn kubelet_tick(&mut self, now: Time) -> usize {
        if crashes(&self.image) {
            return 0;
        }
        let mut readied = 0;
        for pod in self.pods.iter_mut().filter(|p| !p.ready) {
            if (now - pod.created).num_seconds() >= READY_AFTER_SECS {
                pod.ready = true;
                pod.ready_since = Some(now);
                readied += 1;
            }
        }
        readied
    }

    pub fn name(&self, owner: &str) -> String {
        format!("{owner}-{}", self.hash)
    }

    /// The ReplicaSet object, owned by `owner_kind/owner`.
    pub fn to_json(
        &self,
        namespace: &str,
        owner_kind: &str,
        owner: &str,
        hash_label: &str,
        revision_annotation: &str,
    ) -> Value {
        json!({
            "apiVersion": "apps/v1",
            "kind": "ReplicaSet",
            "metadata": {
                "name": self.name(owner),
                "namespace": namespace,
                "creationTimestamp": super::ts(self.created),
                "labels": { "app": owner, hash_label: self.hash },
                "annotations": { revision_annotation: self.revision.to_string() },
                "ownerReferences": [{
                    "apiVersion": "apps/v1", "kind": owner_kind, "name": owner,
                    "uid": format!("uid-{owner}"), "controller": true
                }]
            },
            "spec": {
                "replicas": self.replicas(),
                "selector": { "matchLabels": { "app": owner, hash_label: self.hash } },
                "template": {
                    "metadata": { "labels": { "app": owner, hash_label: self.hash } },
                    "spec": { "containers": [{ "name": "app", "image": self.image }] }
                }
            },
            "status": {
                "replicas": self.replicas(),
                "readyReplicas": self.ready(),
                "availableReplicas": self.ready()
            }
        })
    }

    /// The pods, as a kubelet would report them.
    pub fn pods_json(
        &self,
        namespace: &str,
        owner: &str,
        hash_label: &str,
        now: Time,
    ) -> Vec<Value> {
        let rs_name = self.name(owner);
        let crash = crashes(&self.image);
        self.pods
            .iter()
            .map(|pod| {
                let restarts = if crash {
                    (now - pod.created).num_seconds() / RESTART_EVERY_SECS
                } else {
                    0
                };
                let state = if crash {
                    json!({ "waiting": { "reason": "CrashLoopBackOff" } })
                } else if pod.ready {
                    json!({ "running": { "startedAt": super::ts(pod.created) } })
                } else {
                    json!({ "waiting": { "reason": "ContainerCreating" } })
                };
                let ready = if pod.ready { "True" } else { "False" };
                json!({
                    "apiVersion": "v1",
                    "kind": "Pod",
                    "metadata": {
                        "name": format!("{rs_name}-{}", pod.suffix),
                        "namespace": namespace,
                        "creationTimestamp": super::ts(pod.created),
                        "labels": { "app": owner, hash_label: self.hash },
                        "ownerReferences": [{
                            "apiVersion": "apps/v1", "kind": "ReplicaSet", "name": rs_name,
                            "uid": format!("uid-{rs_name}"), "controller": true
                        }]
                    },
                    "spec": { "containers": [{ "name": "app", "image": self.image }] },
                    "status": {
                        "phase": if pod.ready || crash { "Running" } else { "Pending" },
                        "conditions": [{ "type": "Ready", "status": ready }],
                        "containerStatuses": [{
                            "name": "app", "image": self.image, "imageID": "",
                            "ready": pod.ready, "restartCount": restarts, "state": state
                        }]
                    }
                })
            })
            .collect()
    }
}
