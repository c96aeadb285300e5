//! Folds the rows of one namespace into releases.
//!
//! Pure and deterministic: the same rows always give the same releases, which is what lets
//! the demo, the watchers and the tests share one model.

use super::cache::NamespaceCache;
use super::objects::{
    AnalysisRunRow, ArgoRolloutRow, DeploymentRow, EventRow, ExperimentRow, FlaggerCanaryRow,
    PodRow, ReplicaSetRow,
};
use super::release::*;
use std::collections::{BTreeSet, HashMap};

/// Events shown per release, newest first.
const EVENTS_PER_RELEASE: usize = 12;

struct Index<'a> {
    ns: &'a NamespaceCache,
    /// Pods by the ReplicaSet that owns them.
    pods_by_owner: HashMap<&'a str, Vec<&'a PodRow>>,
    /// ReplicaSets by owner name, newest revision first.
    rs_by_owner: HashMap<&'a str, Vec<&'a ReplicaSetRow>>,
}

impl<'a> Index<'a> {
    fn new(ns: &'a NamespaceCache) -> Self {
        let mut pods_by_owner: HashMap<&str, Vec<&PodRow>> = HashMap::new();
        for pod in ns.pods.values() {
            if let Some((_, owner)) = &pod.meta.owner {
                pods_by_owner.entry(owner).or_default().push(pod);
            }
        }
        let mut rs_by_owner: HashMap<&str, Vec<&ReplicaSetRow>> = HashMap::new();
        for rs in ns.replicasets.values() {
            if let Some((_, name)) = &rs.meta.owner {
                rs_by_owner.entry(name).or_default().push(rs);
            }
        }
        for list in rs_by_owner.values_mut() {
            list.sort_by(|a, b| {
                b.revision
                    .cmp(&a.revision)
                    .then(a.meta.name.cmp(&b.meta.name))
            });
        }
        Index {
            ns,
            pods_by_owner,
            rs_by_owner,
        }
    }

    fn replicasets(&self, kind: &str, name: &str) -> Vec<&'a ReplicaSetRow> {
        self.rs_by_owner
            .get(name)
            .map(|sets| {
                sets.iter()
                    .filter(|rs| rs.meta.owner.as_ref().is_some_and(|(k, _)| k == kind))
                    .copied()
                    .collect()
            })
            .unwrap_or_default()
    }

    fn revision(&self, rs: &ReplicaSetRow, role: RevisionRole) -> Revision {
        let pods = self
            .pods_by_owner
            .get(rs.meta.name.as_str())
            .map(|pods| pods.iter().map(|p| pod_summary(p)).collect())
            .unwrap_or_default();
        Revision {
            number: rs.revision,
            role,
            object: rs.meta.name.clone(),
            template_hash: rs.template_hash.clone(),
            images: rs.images.clone(),
            replicas: Replicas {
                ready: rs.ready,
                desired: rs.replicas,
            },
            created: rs.meta.created,
            pods,
            services: Vec::new(),
        }
    }

    /// Events about any of the named objects, newest first.
    fn events(&self, names: &BTreeSet<&str>) -> Vec<EventSummary> {
        let mut events: Vec<&EventRow> = self
            .ns
            .events
            .values()
            .filter(|e| names.contains(e.involved_name.as_str()))
            .collect();
        events.sort_by_key(|e| std::cmp::Reverse(e.last_seen));
        events
            .into_iter()
            .take(EVENTS_PER_RELEASE)
            .map(|e| EventSummary {
                warning: e.warning,
                reason: e.reason.clone(),
                message: e.message.clone(),
                count: e.count,
                last_seen: e.last_seen,
            })
            .collect()
    }

    /// Names of a revision set and its pods, for event matching.
    fn related_names<'b>(&self, owner: &'b str, revisions: &'b [Revision]) -> BTreeSet<&'b str> {
        let mut names = BTreeSet::from([owner]);
        for r in revisions {
            names.insert(r.object.as_str());
            names.extend(r.pods.iter().map(|p| p.name.as_str()));
        }
        names
    }
}

fn pod_summary(p: &PodRow) -> PodSummary {
    PodSummary {
        name: p.meta.name.clone(),
        status: p.status.clone(),
        ready: p.ready,
        restarts: p.restarts,
        created: p.meta.created,
    }
}

fn new_release(key: ReleaseKey, strategy: Strategy) -> Release {
    Release {
        key,
        strategy,
        phase: Phase::Unknown,
        message: String::new(),
        step: None,
        weight: None,
        stable: Replicas::default(),
        canary: Replicas::default(),
        verdict: None,
        verdict_reason: String::new(),
        created: None,
        revisions: Vec::new(),
        steps: Vec::new(),
        conditions: Vec::new(),
        events: Vec::new(),
        argo: None,
        flagger: None,
        analysis_config: None,
    }
}

fn weight_of(canary_ready: i32, stable_ready: i32) -> u8 {
    let total = canary_ready + stable_ready;
    if total <= 0 {
        0
    } else {
        ((canary_ready as f64 * 100.0 / total as f64).round()).clamp(0.0, 100.0) as u8
    }
}

fn sum(revisions: &[Revision], role: RevisionRole) -> Replicas {
    revisions
        .iter()
        .filter(|r| r.role == role)
        .fold(Replicas::default(), |acc, r| Replicas {
            ready: acc.ready + r.replicas.ready,
            desired: acc.desired + r.replicas.desired,
        })
}

/// The condition that says a Deployment's rollout cannot proceed, if its controller set one:
/// `Progressing=False` (deadline exceeded, ReplicaSet create error) or `ReplicaFailure=True`.
fn blocking_condition(d: &DeploymentRow) -> Option<&Condition> {
    d.conditions.iter().find(|c| {
        (c.type_ == "Progressing" && c.status == "False")
            || (c.type_ == "ReplicaFailure" && c.status == "True")
    })
}

/// Whether every replica runs the current template and nothing else is left.
fn rolled_out(d: &DeploymentRow) -> bool {
    d.observed_generation >= d.generation
        && d.updated == d.replicas
        && d.status_replicas == d.replicas
        && d.available == d.replicas
}

/// kubectl's verdict on a Deployment: stalled, paused, complete or still going.
fn deployment_phase(d: &DeploymentRow) -> (Phase, String) {
    if let Some(c) = blocking_condition(d) {
        let message = match (c.reason.is_empty(), c.message.is_empty()) {
            // The controller's sentence first: it names the object; the reason is the key.
            (false, false) => format!("{} ({})", c.message, c.reason),
            (false, true) => c.reason.clone(),
            (true, false) => c.message.clone(),
            (true, true) => format!("{} is {}", c.type_, c.status),
        };
        return (Phase::Degraded, message);
    }
    if d.paused {
        return (
            Phase::Paused,
            if rolled_out(d) {
                "rollout paused; every replica runs the current template".into()
            } else {
                "rollout paused".into()
            },
        );
    }
    if rolled_out(d) {
        (Phase::Healthy, "successfully rolled out".into())
    } else if d.observed_generation < d.generation {
        (
            Phase::Progressing,
            "waiting for the controller to observe the spec".into(),
        )
    } else if d.updated < d.replicas {
        (
            Phase::Progressing,
            format!("{} of {} updated replicas", d.updated, d.replicas),
        )
    } else if d.status_replicas > d.updated {
        (
            Phase::Progressing,
            format!(
                "{} old replicas pending termination",
                d.status_replicas - d.updated
            ),
        )
    } else {
        (
            Phase::Progressing,
            format!(
                "{} of {} updated replicas available",
                d.available, d.updated
            ),
        )
    }
}

/// A pod of a revision being rolled out that will not come up by waiting: it crash-loops,
/// cannot pull its image, or is not ready and has restarted. The first one found, as the
/// reason the rollout is degraded (the progress deadline would say so only much later).
fn failing_pod<'a>(revisions: impl IntoIterator<Item = &'a Revision>) -> Option<String> {
    revisions
        .into_iter()
        .flat_map(|r| r.pods.iter())
        .find_map(|p| {
            let name = super::text::inert(&p.name);
            let restarts = match p.restarts {
                1 => "1 restart".to_owned(),
                n => format!("{n} restarts"),
            };
            match p.status.as_str() {
                "CrashLoopBackOff" if p.restarts == 0 => Some(format!("pod {name} crash-looping")),
                "CrashLoopBackOff" => Some(format!("pod {name} crash-looping ({restarts})")),
                "ImagePullBackOff" | "ErrImagePull" => {
                    Some(format!("pod {name} cannot pull its image ({})", p.status))
                }
                _ if !p.ready && p.restarts > 0 && p.status != "Terminating" => {
                    Some(format!("pod {name} not ready after {restarts}"))
                }
                _ => None,
            }
        })
}

fn deployment_release(ctx: &str, ns: &str, idx: &Index, d: &DeploymentRow) -> Release {
    let key = ReleaseKey {
        context: ctx.into(),
        namespace: ns.into(),
        kind: Kind::Deployment,
        name: d.meta.name.clone(),
    };
    let mut r = new_release(key, d.strategy);
    r.analysis_config = d.analysis_config.clone();
    let (mut phase, mut message) = deployment_phase(d);
    let sets = idx.replicasets("Deployment", &d.meta.name);
    // The ReplicaSet watch can deliver a new revision before the Deployment's own update.
    let newest = sets.first().map_or(0, |rs| rs.revision);
    let mut complete = rolled_out(d);
    if newest > d.revision && complete {
        complete = false;
        if phase == Phase::Healthy {
            phase = Phase::Progressing;
            message = format!("revision {newest} created");
        }
    }
    r.phase = phase;
    r.message = message;
    r.created = d.meta.created;
    r.conditions = d.conditions.clone();
    // The controller gives the current template's ReplicaSet the newest revision, also when
    // a rollback brings an old template back; every other ReplicaSet is old.
    let current = d.revision.max(newest);
    // The controller could not create the template's ReplicaSet: every one there is old.
    let template_missing = d.conditions.iter().any(|c| {
        c.type_ == "Progressing" && c.status == "False" && c.reason == "ReplicaSetCreateError"
    });
    r.revisions = sets
        .iter()
        .map(|rs| {
            let role = if rs.revision == current && !template_missing {
                RevisionRole::New
            } else {
                RevisionRole::Old
            };
            idx.revision(rs, role)
        })
        .collect();
    if r.phase == Phase::Progressing {
        let new_revisions = r.revisions.iter().filter(|v| v.role == RevisionRole::New);
        if let Some(why) = failing_pod(new_revisions) {
            r.phase = Phase::Degraded;
            r.message = why;
        }
    }
    let new = sum(&r.revisions, RevisionRole::New);
    if complete {
        // Nothing is being replaced: the current pods are simply what runs.
        r.stable = new;
    } else {
        r.stable = sum(&r.revisions, RevisionRole::Old);
        r.canary = new;
        r.weight = Some(weight_of(r.canary.ready, r.stable.ready));
    }
    r.events = idx.events(&idx.related_names(&d.meta.name, &r.revisions));
    r
}

/// The ReplicaSet carrying a Deployment's current revision.
fn current_rs<'a>(idx: &Index<'a>, d: &DeploymentRow) -> Option<&'a ReplicaSetRow> {
    let sets = idx.replicasets("Deployment", &d.meta.name);
    sets.iter()
        .find(|rs| rs.revision == d.revision)
        .or(sets.first())
        .copied()
}

fn deployment_revision(idx: &Index, d: &DeploymentRow, role: RevisionRole) -> Revision {
    let rs = current_rs(idx, d);
    let pods = rs.map(|rs| idx.revision(rs, role).pods).unwrap_or_default();
    Revision {
        number: d.revision,
        role,
        object: d.meta.name.clone(),
        template_hash: rs.map(|rs| rs.template_hash.clone()).unwrap_or_default(),
        images: d.images.clone(),
        // This template's own pods, not the Deployment's: while a rollout drains an older
        // ReplicaSet, its pods are listed (and counted) under that revision.
        replicas: rs.map_or(
            Replicas {
                ready: d.ready,
                desired: d.replicas,
            },
            |rs| Replicas {
                ready: rs.ready,
                desired: rs.replicas,
            },
        ),
        // The template's age, not the Deployment's: a promotion makes a new ReplicaSet.
        created: rs.and_then(|rs| rs.meta.created).or(d.meta.created),
        pods,
        services: Vec::new(),
    }
}

fn canary_pair_release(
    ctx: &str,
    ns: &str,
    idx: &Index,
    stable: &DeploymentRow,
    canary: &DeploymentRow,
) -> Release {
    let key = ReleaseKey {
        context: ctx.into(),
        namespace: ns.into(),
        kind: Kind::CanaryPair,
        name: stable.meta.name.clone(),
    };
    let mut r = new_release(key, Strategy::Canary);
    // The annotation is read from the stable Deployment, which names the pair.
    r.analysis_config = stable.analysis_config.clone();
    r.created = stable.meta.created;
    let stable_sets = idx.replicasets("Deployment", &stable.meta.name);
    let newest_stable = stable_sets
        .first()
        .map_or(0, |rs| rs.revision)
        .max(stable.revision);
    let mut canary_rev = deployment_revision(idx, canary, RevisionRole::Canary);
    // Numbered as the stable revision a promotion would make, so it never shares a number
    // with a stable revision a rollback may target.
    canary_rev.number = newest_stable + 1;
    let stable_rev = deployment_revision(idx, stable, RevisionRole::Stable);
    let stable_current = current_rs(idx, stable).map(|rs| rs.meta.name.as_str());
    // The release's sides count whole Deployments; the revisions count their templates.
    r.stable = Replicas {
        ready: stable.ready,
        desired: stable.replicas,
    };
    r.canary = Replicas {
        ready: canary.ready,
        desired: canary.replicas,
    };
    // A canary scaled to 0 with no pods left (aborted or promoted) is nothing to list.
    let canary_gone = canary.replicas == 0 && canary_rev.pods.is_empty();
    r.revisions = if canary_gone {
        vec![stable_rev]
    } else {
        vec![canary_rev, stable_rev]
    };
    // The stable's earlier templates: what a rollback of the pair can return to.
    r.revisions.extend(
        stable_sets
            .iter()
            .filter(|rs| Some(rs.meta.name.as_str()) != stable_current)
            .map(|rs| idx.revision(rs, RevisionRole::Old)),
    );
    if canary.replicas > 0 {
        r.weight = Some(weight_of(canary.ready, stable.ready));
    }
    let (mut canary_phase, mut canary_message) = deployment_phase(canary);
    if canary.replicas > 0 && canary_phase == Phase::Progressing {
        let canary_revision = r
            .revisions
            .iter()
            .filter(|v| v.role == RevisionRole::Canary);
        if let Some(why) = failing_pod(canary_revision) {
            (canary_phase, canary_message) = (Phase::Degraded, why);
        }
    }
    (r.phase, r.message) = if canary_phase == Phase::Degraded {
        (Phase::Degraded, format!("canary: {canary_message}"))
    } else if canary.replicas == 0 {
        let (mut phase, mut message) = deployment_phase(stable);
        if phase == Phase::Progressing {
            let stable_revision = r
                .revisions
                .iter()
                .filter(|v| v.role == RevisionRole::Stable);
            if let Some(why) = failing_pod(stable_revision) {
                (phase, message) = (Phase::Degraded, why);
            }
        }
        (phase, format!("no canary running; stable {message}"))
    } else if canary_phase != Phase::Healthy {
        (Phase::Progressing, format!("canary: {canary_message}"))
    } else {
        (
            Phase::WaitingForPromotion,
            format!(
                "canary serving {}% of ready pods: promote or abort",
                r.weight.unwrap_or(0)
            ),
        )
    };
    r.conditions = canary.conditions.clone();
    let mut names = idx.related_names(&stable.meta.name, &r.revisions);
    names.insert(&canary.meta.name);
    r.events = idx.events(&names);
    r
}

/// The console's phase for an Argo Rollout, from the plugin's status: an abort and a
/// pause that waits for a human get their own phases.
fn argo_phase(a: &ArgoRolloutRow, status: &str) -> Phase {
    let waiting = a.pause_reasons.iter().any(|p| p == "BlueGreenPause")
        || (a.pause_reasons.iter().any(|p| p == "CanaryPauseStep")
            && a.current_step
                .and_then(|i| a.steps.get(i))
                .is_some_and(|s| matches!(s, StepKind::Pause { duration: None })));
    match status {
        _ if a.aborted => Phase::Aborted,
        "Degraded" | "InvalidSpec" | "Error" => Phase::Degraded,
        // Still catching up with a spec change or an unpause: not waiting on anyone yet.
        "Progressing" => Phase::Progressing,
        _ if waiting => Phase::WaitingForPromotion,
        "Paused" => Phase::Paused,
        _ if a.paused || !a.pause_reasons.is_empty() => Phase::Paused,
        "Healthy" => Phase::Healthy,
        _ => Phase::Unknown,
    }
}

fn analysis_verdict(status: &str) -> Option<Verdict> {
    match status {
        "Successful" => Some(Verdict::Pass),
        "Running" | "Pending" => Some(Verdict::Running),
        "Inconclusive" => Some(Verdict::Inconclusive),
        "Failed" | "Error" => Some(Verdict::Fail),
        _ => None,
    }
}

/// Experiments a Rollout owns, newest revision first, with their ReplicaSets and runs.
fn experiments(idx: &Index, rollout: &str) -> Vec<ExperimentSummary> {
    let mut found: Vec<&ExperimentRow> = idx
        .ns
        .experiments
        .values()
        .filter(|e| owned_by(&e.meta, "Rollout", rollout))
        .collect();
    found.sort_by(|a, b| {
        b.revision
            .cmp(&a.revision)
            .then(a.meta.name.cmp(&b.meta.name))
    });
    found
        .into_iter()
        .map(|e| ExperimentSummary {
            name: e.meta.name.clone(),
            revision: e.revision,
            phase: e.phase.clone(),
            message: e.message.clone(),
            templates: e.templates.clone(),
            replica_sets: idx
                .replicasets("Experiment", &e.meta.name)
                .iter()
                .map(|rs| idx.revision(rs, RevisionRole::Old))
                .collect(),
            analysis_runs: analysis_runs(idx, "Experiment", &e.meta.name),
        })
        .collect()
}

fn owned_by(meta: &super::objects::Meta, kind: &str, name: &str) -> bool {
    meta.owner
        .as_ref()
        .is_some_and(|(k, n)| k == kind && n == name)
}

/// The canary step whose analysis failed in the Rollout's current revision, by the
/// `step-index` label of its run.
fn failed_step_run(idx: &Index, a: &ArgoRolloutRow, revisions: &[Revision]) -> Option<usize> {
    let revision = revisions
        .iter()
        .find(|v| !v.template_hash.is_empty() && v.template_hash == a.current_hash)?
        .number;
    idx.ns
        .analysis_runs
        .values()
        .filter(|r| owned_by(&r.meta, "Rollout", &a.meta.name))
        .filter(|r| r.run_type == "Step" && r.revision == revision)
        .filter(|r| matches!(r.phase.as_str(), "Failed" | "Error"))
        .filter_map(|r| r.step_index)
        .max()
}

/// The AnalysisRuns an object owns, newest revision first, as the plugin lists them.
fn analysis_runs(idx: &Index, kind: &str, owner: &str) -> Vec<AnalysisRunSummary> {
    let mut runs: Vec<&AnalysisRunRow> = idx
        .ns
        .analysis_runs
        .values()
        .filter(|r| owned_by(&r.meta, kind, owner))
        .collect();
    runs.sort_by(|a, b| {
        b.revision
            .cmp(&a.revision)
            .then(a.meta.created.cmp(&b.meta.created))
            .then(b.meta.name.cmp(&a.meta.name))
    });
    runs.into_iter()
        .map(|r| AnalysisRunSummary {
            name: r.meta.name.clone(),
            revision: r.revision,
            kind: r.run_type.clone(),
            phase: r.phase.clone(),
            message: r.message.clone(),
            created: r.meta.created,
            metrics: r.metrics.clone(),
        })
        .collect()
}

fn argo_release(ctx: &str, ns: &str, idx: &Index, a: &ArgoRolloutRow) -> Release {
    let key = ReleaseKey {
        context: ctx.into(),
        namespace: ns.into(),
        kind: Kind::ArgoRollout,
        name: a.meta.name.clone(),
    };
    let mut r = new_release(key, a.strategy);
    r.analysis_config = a.analysis_config.clone();
    r.created = a.meta.created;
    let sets = idx.replicasets("Rollout", &a.meta.name);
    let plugin = super::argo::plugin_status(a, &sets);
    r.phase = argo_phase(a, &plugin.status);
    r.message = plugin.message.clone();
    r.conditions = a.conditions.clone();
    let (stable_role, new_role) = match a.strategy {
        Strategy::BlueGreen => (RevisionRole::Active, RevisionRole::Preview),
        _ => (RevisionRole::Stable, RevisionRole::Canary),
    };
    r.revisions = sets
        .iter()
        .map(|rs| {
            let role = if rs.template_hash == a.stable_hash {
                stable_role
            } else if rs.template_hash == a.current_hash {
                new_role
            } else {
                RevisionRole::Old
            };
            let mut rev = idx.revision(rs, role);
            // The services the controller points at this revision's pods.
            let hash = rs.template_hash.as_str();
            let points = [
                (&a.active_selector, &a.active_service),
                (&a.preview_selector, &a.preview_service),
                (&a.stable_rs, &a.stable_service),
                (&a.current_hash, &a.canary_service),
            ];
            rev.services = points
                .iter()
                .filter(|(selector, service)| {
                    !hash.is_empty() && selector.as_str() == hash && !service.is_empty()
                })
                .map(|(_, service)| (*service).clone())
                .collect();
            rev
        })
        .collect();
    r.stable = sum(&r.revisions, stable_role);
    r.canary = sum(&r.revisions, new_role);
    let in_update = !a.current_hash.is_empty() && a.current_hash != a.stable_hash;
    let analysis_failed = a
        .analysis_status
        .as_deref()
        .and_then(analysis_verdict)
        .is_some_and(|v| v == Verdict::Fail);
    r.step = plugin.step;
    if !a.steps.is_empty() {
        let current = a.current_step.unwrap_or(a.steps.len()).min(a.steps.len());
        // An abort sets currentStepIndex back to 0, so the step that failed is the one whose
        // run failed (its step-index label); a status without that run names the current one.
        let failed_at = (a.aborted || analysis_failed)
            .then(|| {
                failed_step_run(idx, a, &r.revisions).or_else(|| analysis_failed.then_some(current))
            })
            .flatten();
        r.steps = a
            .steps
            .iter()
            .enumerate()
            .map(|(i, kind)| Step {
                kind: kind.clone(),
                state: match i.cmp(&current) {
                    // Outside an update the steps describe the next one: none is done,
                    // whatever the previous update (completed, aborted, rolled back) reached.
                    _ if !in_update => StepState::Pending,
                    _ if failed_at == Some(i) => StepState::Failed,
                    // Aborted: no step runs; those before a failed one were done.
                    _ if a.aborted && failed_at.is_some_and(|f| i < f) => StepState::Done,
                    _ if a.aborted => StepState::Pending,
                    std::cmp::Ordering::Less => StepState::Done,
                    std::cmp::Ordering::Equal => StepState::Current,
                    std::cmp::Ordering::Greater => StepState::Pending,
                },
            })
            .collect();
    }
    if a.strategy == Strategy::BlueGreen && in_update {
        // The preview takes no traffic until it is promoted.
        r.weight = Some(0);
    }
    if a.strategy == Strategy::Canary && in_update {
        r.weight = plugin
            .actual_weight
            .map(|w| (w.max(0) * 100 / super::argo::max_weight(a).max(1)).min(100) as u8);
    }
    let (status, message) = match (&a.analysis_status, &a.background_status) {
        (Some(s), _) => (Some(s), &a.analysis_message),
        (None, Some(s)) => (Some(s), &a.background_message),
        _ => (None, &a.analysis_message),
    };
    if let Some(status) = status {
        r.verdict = analysis_verdict(status);
        r.verdict_reason = if message.is_empty() {
            format!("analysis {}", status.to_lowercase())
        } else {
            message.clone()
        };
    }
    let abort_message = a.aborted.then(|| {
        a.conditions
            .iter()
            .find(|c| c.reason == "RolloutAborted")
            .map(|c| c.message.clone())
            .unwrap_or_else(|| plugin.message.clone())
    });
    r.argo = Some(Box::new(ArgoDetail {
        status: plugin.status,
        message: plugin.message,
        strategy: plugin.strategy.into(),
        step: plugin.step.map(|(n, m)| format!("{n}/{m}")),
        set_weight: plugin.set_weight,
        actual_weight: plugin.actual_weight,
        abort_message,
        paused_at: a.paused_at,
        auto_promote_at: a.auto_promote_at,
        basic_canary: (a.strategy == Strategy::Canary && !a.traffic_routing)
            .then_some((a.replicas, a.max_surge)),
        analysis_runs: analysis_runs(idx, "Rollout", &a.meta.name),
        experiments: experiments(idx, &a.meta.name),
    }));
    let mut names = idx.related_names(&a.meta.name, &r.revisions);
    let run_names: Vec<String> = r
        .argo
        .iter()
        .flat_map(|d| {
            let runs = d.analysis_runs.iter().map(|run| run.name.clone());
            let experiments = d.experiments.iter().map(|e| e.name.clone());
            runs.chain(experiments)
        })
        .collect();
    names.extend(run_names.iter().map(String::as_str));
    r.events = idx.events(&names);
    r
}

fn flagger_release(
    ctx: &str,
    ns: &str,
    idx: &Index,
    c: &FlaggerCanaryRow,
    primary: Option<&DeploymentRow>,
    target: Option<&DeploymentRow>,
) -> Release {
    let key = ReleaseKey {
        context: ctx.into(),
        namespace: ns.into(),
        kind: Kind::FlaggerCanary,
        name: c.meta.name.clone(),
    };
    let mut r = new_release(key, Strategy::Canary);
    r.analysis_config = c.analysis_config.clone();
    r.created = c.meta.created;
    r.conditions = c.conditions.clone();
    r.message = c
        .conditions
        .iter()
        .find(|c| c.type_ == "Promoted")
        .map(|c| c.message.clone())
        .unwrap_or_default();
    r.phase = match c.phase.as_str() {
        "Progressing" | "Promoting" | "Finalising" | "Initializing" => Phase::Progressing,
        "Waiting" | "WaitingPromotion" => Phase::WaitingForPromotion,
        "Failed" => Phase::Aborted,
        "Succeeded" | "Initialized" => Phase::Healthy,
        _ => Phase::Unknown,
    };
    // Suspended, Flagger leaves the canary where it is until resumed.
    if c.suspended && matches!(r.phase, Phase::Progressing | Phase::WaitingForPromotion) {
        r.phase = Phase::Paused;
    }
    // Flagger's weights: its stepWeights, or stepWeight, twice that, ... up to maxWeight.
    let weights = super::flagger::step_weights(c);
    let total = weights.len();
    let at = weights.iter().take_while(|w| **w <= c.weight).count();
    let done = match c.phase.as_str() {
        "Progressing" | "Waiting" | "WaitingPromotion" if total > 0 => Some(at.min(total)),
        "Promoting" | "Finalising" if total > 0 => Some(total),
        _ => None,
    };
    let promoting = matches!(c.phase.as_str(), "Promoting" | "Finalising");
    r.steps = weights
        .iter()
        .enumerate()
        .map(|(i, w)| Step {
            kind: StepKind::SetWeight { weight: *w },
            state: match done {
                Some(n) if i + 1 < n || promoting => StepState::Done,
                Some(n) if i + 1 == n => StepState::Current,
                _ => StepState::Pending,
            },
        })
        .collect();
    r.step = done.map(|n| (n, total));
    r.flagger = Some(Box::new(super::flagger::detail(c)));
    r.weight = (r.phase != Phase::Healthy).then_some(c.weight);
    // The canary on top, as for every other kind: it is what is being rolled out.
    if let Some(t) = target {
        r.revisions
            .push(deployment_revision(idx, t, RevisionRole::Canary));
    }
    if let Some(p) = primary {
        r.revisions
            .push(deployment_revision(idx, p, RevisionRole::Stable));
    }
    let whole = |d: Option<&DeploymentRow>| {
        d.map_or(Replicas::default(), |d| Replicas {
            ready: d.ready,
            desired: d.replicas,
        })
    };
    r.stable = whole(primary);
    r.canary = whole(target);
    (r.verdict, r.verdict_reason) = match c.phase.as_str() {
        "Failed" => (
            Some(Verdict::Fail),
            "canary failed its checks and was rolled back".into(),
        ),
        "Succeeded" => (Some(Verdict::Pass), "all checks passed".into()),
        "Progressing" if c.failed_checks > 0 => (
            Some(Verdict::Inconclusive),
            format!(
                "{} of {} allowed checks failed",
                c.failed_checks,
                super::flagger::threshold(c)
            ),
        ),
        "Progressing" => (Some(Verdict::Running), "checks passing".into()),
        _ => (None, String::new()),
    };
    let mut names = idx.related_names(&c.meta.name, &r.revisions);
    names.insert(&c.target);
    r.events = idx.events(&names);
    r
}

/// When the newest revision appeared: the age that matters for a release in flight.
fn newest_revision(r: &mut Release) {
    if let Some(newest) = r.revisions.iter().filter_map(|rev| rev.created).max() {
        r.created = Some(newest);
    }
}

/// Every release in one namespace, in name order within each kind.
pub fn derive_namespace(context: &str, namespace: &str, ns: &NamespaceCache) -> Vec<Release> {
    let idx = Index::new(ns);
    let mut claimed: BTreeSet<&str> = BTreeSet::new();
    let mut out = Vec::new();

    for c in ns.flagger_canaries.values() {
        let primary_name = format!("{}-primary", c.target);
        let primary = ns.deployments.get(&primary_name);
        let target = ns.deployments.get(&c.target);
        if let Some(p) = primary {
            claimed.insert(&p.meta.name);
        }
        if let Some(t) = target {
            claimed.insert(&t.meta.name);
        }
        out.push(flagger_release(
            context, namespace, &idx, c, primary, target,
        ));
    }

    for canary in ns.deployments.values() {
        let Some(stable_name) = &canary.canary_of else {
            continue;
        };
        let Some(stable) = ns.deployments.get(stable_name) else {
            continue;
        };
        if claimed.contains(stable.meta.name.as_str()) {
            continue;
        }
        claimed.insert(&stable.meta.name);
        claimed.insert(&canary.meta.name);
        out.push(canary_pair_release(
            context, namespace, &idx, stable, canary,
        ));
    }

    for d in ns.deployments.values() {
        if !claimed.contains(d.meta.name.as_str()) {
            out.push(deployment_release(context, namespace, &idx, d));
        }
    }

    for a in ns.argo_rollouts.values() {
        out.push(argo_release(context, namespace, &idx, a));
    }
    for r in &mut out {
        newest_revision(r);
        // Nothing is being shifted in a settled release.
        if r.phase == Phase::Healthy {
            r.weight = None;
        }
    }
    out
}
