//! The rows known for one cluster, grouped by namespace.

use super::objects::{
    AnalysisRunRow, ArgoRolloutRow, DeploymentRow, EventRow, ExperimentRow, FlaggerCanaryRow,
    Object, ObjectKind, ObjectRef, PodRow, ReplicaSetRow,
};
use std::collections::BTreeMap;

/// Events kept per namespace; older ones are dropped first.
const EVENTS_PER_NAMESPACE: usize = 200;

#[derive(Debug, Clone, Default)]
pub struct NamespaceCache {
    pub deployments: BTreeMap<String, DeploymentRow>,
    pub replicasets: BTreeMap<String, ReplicaSetRow>,
    pub pods: BTreeMap<String, PodRow>,
    pub events: BTreeMap<String, EventRow>,
    pub argo_rollouts: BTreeMap<String, ArgoRolloutRow>,
    pub flagger_canaries: BTreeMap<String, FlaggerCanaryRow>,
    pub analysis_runs: BTreeMap<String, AnalysisRunRow>,
    pub experiments: BTreeMap<String, ExperimentRow>,
}

impl NamespaceCache {
    pub fn is_empty(&self) -> bool {
        self.deployments.is_empty()
            && self.replicasets.is_empty()
            && self.pods.is_empty()
            && self.events.is_empty()
            && self.argo_rollouts.is_empty()
            && self.flagger_canaries.is_empty()
            && self.analysis_runs.is_empty()
            && self.experiments.is_empty()
    }

    fn trim_events(&mut self) {
        while self.events.len() > EVENTS_PER_NAMESPACE {
            let oldest = self
                .events
                .iter()
                .min_by_key(|(_, e)| e.last_seen)
                .map(|(k, _)| k.clone());
            match oldest {
                Some(k) => self.events.remove(&k),
                None => break,
            };
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct ClusterCache {
    pub namespaces: BTreeMap<String, NamespaceCache>,
}

impl ClusterCache {
    /// Stores an object; returns the namespace whose releases must be derived again, or
    /// `None` when the row is what was already stored (an update to fields no row keeps).
    pub fn apply(&mut self, object: Object) -> Option<String> {
        fn put<T: PartialEq>(map: &mut BTreeMap<String, T>, name: String, row: T) -> bool {
            match map.get_mut(&name) {
                Some(old) if *old == row => false,
                Some(old) => {
                    *old = row;
                    true
                }
                None => {
                    map.insert(name, row);
                    true
                }
            }
        }
        let ns_name = &object.meta().namespace;
        let ns = match self.namespaces.get_mut(ns_name) {
            Some(ns) => ns,
            None => self.namespaces.entry(ns_name.clone()).or_default(),
        };
        let ns_name = ns_name.clone();
        let name = object.meta().name.clone();
        let changed = match object {
            Object::Deployment(o) => put(&mut ns.deployments, name, o),
            Object::ReplicaSet(o) => put(&mut ns.replicasets, name, o),
            Object::Pod(o) => put(&mut ns.pods, name, o),
            Object::Event(o) => {
                let changed = put(&mut ns.events, name, o);
                ns.trim_events();
                changed
            }
            Object::ArgoRollout(o) => put(&mut ns.argo_rollouts, name, *o),
            Object::FlaggerCanary(o) => put(&mut ns.flagger_canaries, name, o),
            Object::AnalysisRun(o) => put(&mut ns.analysis_runs, name, o),
            Object::Experiment(o) => put(&mut ns.experiments, name, o),
        };
        changed.then_some(ns_name)
    }

    /// Forgets an object; returns the namespace whose releases must be derived again.
    pub fn delete(&mut self, object: &ObjectRef) -> String {
        if let Some(ns) = self.namespaces.get_mut(&object.namespace) {
            let name = &object.name;
            match object.kind {
                ObjectKind::Deployment => drop(ns.deployments.remove(name)),
                ObjectKind::ReplicaSet => drop(ns.replicasets.remove(name)),
                ObjectKind::Pod => drop(ns.pods.remove(name)),
                ObjectKind::Event => drop(ns.events.remove(name)),
                ObjectKind::ArgoRollout => drop(ns.argo_rollouts.remove(name)),
                ObjectKind::FlaggerCanary => drop(ns.flagger_canaries.remove(name)),
                ObjectKind::AnalysisRun => drop(ns.analysis_runs.remove(name)),
                ObjectKind::Experiment => drop(ns.experiments.remove(name)),
            }
            if ns.is_empty() {
                self.namespaces.remove(&object.namespace);
            }
        }
        object.namespace.clone()
    }

    /// Replaces every object of one kind (after a relist), in one namespace or in all;
    /// returns the touched namespaces.
    pub fn replace_kind(
        &mut self,
        kind: ObjectKind,
        namespace: Option<&str>,
        objects: Vec<Object>,
    ) -> Vec<String> {
        let mut touched: Vec<String> = Vec::new();
        let in_scope = |name: &str| namespace.is_none_or(|n| n == name);
        for (name, ns) in self.namespaces.iter_mut().filter(|(n, _)| in_scope(n)) {
            let had = match kind {
                ObjectKind::Deployment => std::mem::take(&mut ns.deployments).len(),
                ObjectKind::ReplicaSet => std::mem::take(&mut ns.replicasets).len(),
                ObjectKind::Pod => std::mem::take(&mut ns.pods).len(),
                ObjectKind::Event => std::mem::take(&mut ns.events).len(),
                ObjectKind::ArgoRollout => std::mem::take(&mut ns.argo_rollouts).len(),
                ObjectKind::FlaggerCanary => std::mem::take(&mut ns.flagger_canaries).len(),
                ObjectKind::AnalysisRun => std::mem::take(&mut ns.analysis_runs).len(),
                ObjectKind::Experiment => std::mem::take(&mut ns.experiments).len(),
            };
            if had > 0 {
                touched.push(name.clone());
            }
        }
        for object in objects
            .into_iter()
            .filter(|o| o.kind() == kind && in_scope(&o.meta().namespace))
        {
            touched.extend(self.apply(object));
        }
        self.namespaces.retain(|_, ns| !ns.is_empty());
        touched.sort();
        touched.dedup();
        touched
    }
}
