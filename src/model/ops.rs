//! Operations on a release, what they carry, and the seam every world acts through.

use super::release::Kind;
use super::{Permission, ReleaseKey};
use serde::{Deserialize, Serialize};
use std::future::Future;
use std::pin::Pin;

/// The name of a change to a release, without its parameters: for the keymap, permissions
/// and the journal's verb.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Operation {
    Promote,
    PromoteFull,
    Pause,
    Resume,
    Abort,
    Retry,
    Rollback,
    Restart,
    /// Canary pair only: split replicas to the nearest achievable weight.
    SetWeight,
}

impl Operation {
    pub const ALL: [Operation; 9] = [
        Operation::Promote,
        Operation::PromoteFull,
        Operation::Pause,
        Operation::Resume,
        Operation::Abort,
        Operation::Retry,
        Operation::Rollback,
        Operation::Restart,
        Operation::SetWeight,
    ];

    pub fn is_dangerous(self) -> bool {
        matches!(
            self,
            Operation::PromoteFull
                | Operation::Abort
                // Sends traffic back to a canary that was aborted, often a moment ago.
                | Operation::Retry
                | Operation::Rollback
                | Operation::Restart
                // Moves traffic like a promotion: 100 hands the canary every pod.
                | Operation::SetWeight
        )
    }

    /// The verb as the CLI and the journal spell it.
    pub fn verb(self) -> &'static str {
        match self {
            Operation::Promote => "promote",
            Operation::PromoteFull => "promote-full",
            Operation::Pause => "pause",
            Operation::Resume => "resume",
            Operation::Abort => "abort",
            Operation::Retry => "retry",
            Operation::Rollback => "rollback",
            Operation::Restart => "restart",
            Operation::SetWeight => "set-weight",
        }
    }

    fn index(self) -> usize {
        self as usize
    }
}

/// A change to a release with what it needs to be carried out: the only kind of action
/// that writes to a cluster.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum Op {
    /// One step. For a canary pair, the weight the step moves to when the caller resolved
    /// the configured steps; the actuator's default steps otherwise.
    Promote {
        #[serde(skip_serializing_if = "Option::is_none")]
        step: Option<u8>,
    },
    PromoteFull,
    Pause,
    Resume,
    Abort,
    Retry,
    /// Back to revision `to`, or to the one before the current one.
    Rollback {
        #[serde(skip_serializing_if = "Option::is_none")]
        to: Option<i64>,
    },
    Restart,
    /// The canary's share of replicas, in percent.
    SetWeight {
        weight: u8,
    },
}

impl Op {
    pub fn kind(self) -> Operation {
        match self {
            Op::Promote { .. } => Operation::Promote,
            Op::PromoteFull => Operation::PromoteFull,
            Op::Pause => Operation::Pause,
            Op::Resume => Operation::Resume,
            Op::Abort => Operation::Abort,
            Op::Retry => Operation::Retry,
            Op::Rollback { .. } => Operation::Rollback,
            Op::Restart => Operation::Restart,
            Op::SetWeight { .. } => Operation::SetWeight,
        }
    }

    /// The operation without parameters (`rollback` to the previous revision, `promote`
    /// by the default step); `None` for `set-weight`, which has no default.
    pub fn plain(kind: Operation) -> Option<Op> {
        Some(match kind {
            Operation::Promote => Op::Promote { step: None },
            Operation::PromoteFull => Op::PromoteFull,
            Operation::Pause => Op::Pause,
            Operation::Resume => Op::Resume,
            Operation::Abort => Op::Abort,
            Operation::Retry => Op::Retry,
            Operation::Rollback => Op::Rollback { to: None },
            Operation::Restart => Op::Restart,
            Operation::SetWeight => return None,
        })
    }

    pub fn verb(self) -> &'static str {
        self.kind().verb()
    }

    /// The revision a rollback aims at, when named.
    pub fn to_revision(self) -> Option<i64> {
        match self {
            Op::Rollback { to } => to,
            _ => None,
        }
    }

    /// The canary weight a promote step or set-weight moves to, when known.
    pub fn weight(self) -> Option<u8> {
        match self {
            Op::Promote { step } => step,
            Op::SetWeight { weight } => Some(weight),
            _ => None,
        }
    }

    pub fn is_dangerous(self) -> bool {
        self.kind().is_dangerous()
    }
}

const KINDS: [Kind; 4] = [
    Kind::Deployment,
    Kind::CanaryPair,
    Kind::ArgoRollout,
    Kind::FlaggerCanary,
];

fn kind_index(kind: Kind) -> usize {
    match kind {
        Kind::Deployment => 0,
        Kind::CanaryPair => 1,
        Kind::ArgoRollout => 2,
        Kind::FlaggerCanary => 3,
    }
}

/// Why an actuator cannot carry out an operation on a kind at all.
pub type Why = &'static str;

/// What an actuator can do, per kind and operation: asked once at start and kept in the
/// console's state, since `update` cannot hold the actuator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SupportTable {
    refusals: [[Option<Why>; Operation::ALL.len()]; KINDS.len()],
}

impl SupportTable {
    /// Built by asking `supports` about every kind and operation.
    pub fn from_fn(supports: impl Fn(Kind, Operation) -> Result<(), Why>) -> Self {
        let mut refusals = [[None; Operation::ALL.len()]; KINDS.len()];
        for kind in KINDS {
            for op in Operation::ALL {
                refusals[kind_index(kind)][op.index()] = supports(kind, op).err();
            }
        }
        SupportTable { refusals }
    }

    /// Of the actuator in use.
    pub fn of(actuator: &dyn Actuator) -> Self {
        Self::from_fn(|kind, op| actuator.supports(kind, op))
    }

    /// Refuses nothing: the actuator has the last word when the action runs.
    pub fn unchecked() -> Self {
        Self::from_fn(|_, _| Ok(()))
    }

    pub fn supports(&self, kind: Kind, op: Operation) -> Result<(), Why> {
        match self.refusals[kind_index(kind)][op.index()] {
            Some(why) => Err(why),
            None => Ok(()),
        }
    }

    /// Whether any kind supports `op`.
    pub fn any(&self, op: Operation) -> bool {
        KINDS.iter().any(|k| self.supports(*k, op).is_ok())
    }
}

/// A future an actuator hands back; boxed so the trait stays object-safe.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Why the permissions behind an operation could not be checked.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CheckError {
    #[error("{0}")]
    Unreachable(String),
    /// The cluster did not accept the credentials.
    #[error("{0}")]
    CredentialsRejected(String),
    /// There were no credentials to offer.
    #[error("{0}")]
    NoCredentials(String),
}

/// What carries out operations in one world: the Kubernetes API or the simulator.
pub trait Actuator: Send + Sync {
    /// Whether this actuator can carry out `op` on a `kind` release; why not, if not.
    fn supports(&self, kind: Kind, op: Operation) -> Result<(), Why>;

    /// Whether the user may run `op` on `key`.
    fn permission<'a>(
        &'a self,
        key: &'a ReleaseKey,
        op: Operation,
    ) -> BoxFuture<'a, Result<Permission, CheckError>>;

    /// Carries out `request`; every failure is in the outcome.
    fn execute<'a>(&'a self, request: &'a ActionRequest) -> BoxFuture<'a, ActionOutcome>;

    /// Leaves a trace of the outcome where other tools see it (a Kubernetes Event).
    fn announce<'a>(
        &'a self,
        request: &'a ActionRequest,
        outcome: &'a ActionOutcome,
    ) -> BoxFuture<'a, Result<(), String>>;

    /// Who actions in `context` are recorded as.
    fn user(&self, context: &str) -> String;
}

/// One operation requested on one release, from a key or the command line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ActionRequest {
    pub key: ReleaseKey,
    #[serde(flatten)]
    pub op: Op,
    pub reason: Option<String>,
    /// Check and report, change nothing.
    pub dry_run: bool,
}

/// What an actuator did with a request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ActionOutcome {
    pub request: ActionRequest,
    pub result: Result<String, ActionFailure>,
    pub revision_before: Option<i64>,
    pub revision_after: Option<i64>,
}

/// Why an action failed; the kind decides the CLI's exit code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[serde(tag = "kind", content = "message", rename_all = "kebab-case")]
pub enum ActionFailure {
    #[error("permission denied: {0}")]
    Forbidden(String),
    #[error("cluster unreachable: {0}")]
    Unreachable(String),
    #[error("{0}")]
    Rejected(String),
}

/// Canary weights `promote` steps a canary pair through, when config.toml names none.
pub const DEFAULT_PAIR_STEPS: [u8; 4] = [10, 25, 50, 75];

/// The weight one `promote` moves a canary pair to: the first step above the canary's
/// share of `stable + canary` replicas that puts at least one more pod on the canary.
/// At the last step the answer says how to promote fully.
pub fn next_pair_step(steps: &[u8], stable: i32, canary: i32) -> Result<u8, String> {
    let total = stable.max(0) + canary.max(0);
    if canary <= 0 {
        return Err("the canary is scaled to 0: nothing to promote".into());
    }
    steps
        .iter()
        .copied()
        .find(|&w| split_replicas(total, w).1 > canary)
        .ok_or_else(|| {
            let share = (f64::from(canary) * 100.0 / f64::from(total.max(1))).round();
            let listed: Vec<String> = steps.iter().map(|w| format!("{w}%")).collect();
            format!(
                "the canary is at its last step ({share}% of {total} pods; steps {}): \
                 P or promote --full promotes it fully",
                listed.join(", ")
            )
        })
}

/// The `Op` a key or command asks for: for `promote` on a canary pair, the next of the
/// configured `steps` from the pair's desired replicas.
pub fn resolve_op(
    kind: Kind,
    op: Operation,
    steps: &[u8],
    stable: i32,
    canary: i32,
) -> Result<Option<Op>, String> {
    match (kind, op) {
        (Kind::CanaryPair, Operation::Promote) => {
            next_pair_step(steps, stable, canary).map(|w| Some(Op::Promote { step: Some(w) }))
        }
        _ => Ok(Op::plain(op)),
    }
}

/// Where one `promote` of a canary pair goes, as (weight, stable, canary) replicas: to
/// `requested` when the caller resolved the configured steps, else to the next default
/// step. A requested weight that would not add a canary pod is refused.
pub fn pair_promote_target(
    requested: Option<u8>,
    stable: i32,
    canary: i32,
) -> Result<(u8, i32, i32), String> {
    if canary <= 0 {
        return Err("the canary is scaled to 0: nothing to promote".into());
    }
    let weight = match requested {
        Some(w) => w.min(100),
        None => next_pair_step(&DEFAULT_PAIR_STEPS, stable, canary)?,
    };
    let (s, c) = split_replicas(stable.max(0) + canary.max(0), weight);
    if c <= canary {
        return Err(format!(
            "the canary already has {canary} of {} pods, at or above the {weight}% step: \
             P or promote --full promotes it fully",
            s + c
        ));
    }
    Ok((weight, s, c))
}

/// The step `set-weight` moves an Argo canary to: of its `setWeight` steps, as
/// `(index, weight)` in step order, one of `weight`, the nearest at or after `current` first.
pub fn weight_step(steps: &[(i64, u8)], current: i64, weight: u8) -> Option<i64> {
    let matching: Vec<i64> = steps
        .iter()
        .filter(|(_, w)| *w == weight)
        .map(|(i, _)| *i)
        .collect();
    matching
        .iter()
        .find(|i| **i >= current)
        .or_else(|| matching.last())
        .copied()
}

/// Why an Argo Rollout refuses `op` while `status.abort` is `aborted`: a promote or a
/// step move on an aborted update moves its step index while the abort stays set, so the
/// canary rolls on; a retry of an update that is not aborted does nothing.
pub fn argo_abort_refusal(op: Operation, aborted: bool) -> Option<&'static str> {
    match op {
        Operation::Promote | Operation::SetWeight if aborted => Some("aborted: retry first"),
        Operation::Retry if !aborted => Some("not aborted: nothing to retry"),
        _ => None,
    }
}

/// Flagger phases with an analysis running: the only ones a gate or a skip can act on.
pub const FLAGGER_ANALYSING_PHASES: [&str; 3] = ["Progressing", "Waiting", "WaitingPromotion"];

/// Why a Flagger Canary in `phase` refuses `op`: a gate opened with no analysis running
/// stays open and would act on the next release.
pub fn flagger_phase_refusal(op: Operation, phase: &str) -> Option<String> {
    match op {
        Operation::Promote | Operation::Abort | Operation::Rollback
            if !FLAGGER_ANALYSING_PHASES.contains(&phase) =>
        {
            Some(format!(
                "has no analysis running (phase {phase}): a gate opened now would act on the \
                 next release"
            ))
        }
        _ => None,
    }
}

/// The (canary, stable) pods an Argo canary without a traffic router runs at `weight` on
/// `replicas`, as its controller picks them: of the ceiling and floor of the weighted
/// count, over `replicas` and (when it may surge) `replicas + 1`, the closest to the
/// weight, the first listed on a tie; a weight strictly between 0 and 100 keeps a pod on
/// each side once there is more than one.
pub fn argo_basic_split(replicas: i32, weight: u8, max_surge: i32) -> (i32, i32) {
    if replicas <= 0 {
        return (0, 0);
    }
    let (n, w) = (i64::from(replicas), i64::from(weight.min(100)));
    let ceil = (n * w + 99) / 100;
    let floor = n * w / 100;
    // Ceiling and floor equally far from the weight: the ceiling alone is taken.
    let tied = |total: i64| (total * w) % 100 == 50;
    let zero_allowed = w == 100 || w == 0 || (n == 1 && max_surge == 0);
    let mut options = Vec::new();
    if ceil < n || zero_allowed {
        options.push((ceil, n));
    }
    if !tied(n) && (floor != 0 || zero_allowed) {
        options.push((floor, n));
    }
    if max_surge > 0 {
        options.push((ceil, n + 1));
        if !tied(n + 1) && (floor != 0 || zero_allowed) {
            options.push((floor, n + 1));
        }
    }
    let delta = |(c, t): (i64, i64)| ((c * 100) as f64 / t as f64 - w as f64).abs();
    let mut best = match options.first() {
        Some(first) => *first,
        None => return (0, replicas),
    };
    for option in options.into_iter().skip(1) {
        if delta(option) < delta(best) {
            best = option;
        }
    }
    (best.0 as i32, (best.1 - best.0) as i32)
}

/// The canary's share of pods a split actually gives, in whole percent.
pub fn achieved_weight(stable: i32, canary: i32) -> u8 {
    let total = stable.max(0) + canary.max(0);
    if total == 0 {
        return 0;
    }
    (f64::from(canary.max(0)) * 100.0 / f64::from(total)).round() as u8
}

/// Splits `total` replicas so the canary's share is as close to `weight`% as whole pods
/// allow; returns (stable, canary). Ties go to the stable side.
pub fn split_replicas(total: i32, weight: u8) -> (i32, i32) {
    let total = total.max(0);
    let canary = ((total as f64) * f64::from(weight.min(100)) / 100.0 - 0.5).ceil() as i32;
    let canary = canary.clamp(0, total);
    (total - canary, canary)
}

#[cfg(test)]
mod tests {
    use super::{next_pair_step, split_replicas, Kind, Op, Operation, SupportTable};
    use super::{ActionRequest, DEFAULT_PAIR_STEPS};

    #[test]
    fn an_argo_canary_without_a_router_splits_pods_as_its_controller_does() {
        use super::argo_basic_split as split;
        // 3 pods at 50%: 1 or 2 are as far from it; with a surge pod 2 of 4 is exact.
        assert_eq!(split(3, 50, 0), (2, 1));
        assert_eq!(split(3, 50, 1), (2, 2));
        // 10% of 5 is half a pod: never 0 on either side while the weight is 1-99.
        assert_eq!(split(5, 10, 0), (1, 4));
        // 90% of 5: 5 of 6 with the surge pod is closer than 4 of 6.
        assert_eq!(split(5, 90, 1), (5, 1));
        assert_eq!(split(10, 30, 3), (3, 7));
        assert_eq!(split(4, 20, 1), (1, 4));
        assert_eq!(split(4, 100, 1), (4, 0));
        assert_eq!(split(4, 0, 1), (0, 4));
        assert_eq!(split(1, 5, 1), (1, 1));
        assert_eq!(split(0, 50, 1), (0, 0));
    }

    #[test]
    fn the_achieved_weight_is_the_canary_share_of_pods() {
        assert_eq!(super::achieved_weight(3, 2), 40);
        assert_eq!(super::achieved_weight(1, 4), 80);
        assert_eq!(super::achieved_weight(0, 0), 0);
        assert_eq!(super::achieved_weight(2, 1), 33);
    }

    #[test]
    fn a_request_carries_only_the_parameters_its_operation_has() {
        let request = |op| ActionRequest {
            key: crate::model::ReleaseKey {
                context: "c".into(),
                namespace: "n".into(),
                kind: Kind::CanaryPair,
                name: "web".into(),
            },
            op,
            reason: None,
            dry_run: false,
        };
        let json = |op| serde_json::to_value(request(op)).expect("serializes");
        let rollback = json(Op::Rollback { to: Some(3) });
        assert_eq!(rollback["op"], "rollback");
        assert_eq!(rollback["to"], 3);
        assert!(rollback.get("weight").is_none() && rollback.get("step").is_none());
        assert!(json(Op::Rollback { to: None }).get("to").is_none());
        let weight = json(Op::SetWeight { weight: 40 });
        assert_eq!(
            (&weight["op"], &weight["weight"]),
            (&"set_weight".into(), &40.into())
        );
        assert_eq!(json(Op::Promote { step: Some(25) })["step"], 25);
        assert_eq!(json(Op::PromoteFull)["op"], "promote_full");
    }

    #[test]
    fn every_operation_has_a_plain_form_but_set_weight() {
        for op in Operation::ALL {
            match Op::plain(op) {
                Some(plain) => assert_eq!(plain.kind(), op),
                None => assert_eq!(op, Operation::SetWeight),
            }
        }
    }

    #[test]
    fn a_support_table_answers_as_its_actuator_does() {
        let table = SupportTable::from_fn(|kind, op| match (kind, op) {
            (Kind::ArgoRollout, _) => Err("not here"),
            (_, Operation::Retry) => Err("never"),
            _ => Ok(()),
        });
        assert_eq!(
            table.supports(Kind::ArgoRollout, Operation::Promote),
            Err("not here")
        );
        assert_eq!(table.supports(Kind::Deployment, Operation::Pause), Ok(()));
        assert!(table.any(Operation::Promote));
        assert!(!table.any(Operation::Retry));
        assert!(SupportTable::unchecked().any(Operation::Retry));
    }

    #[test]
    fn setting_a_weight_is_dangerous_like_a_promotion() {
        assert!(Operation::SetWeight.is_dangerous());
        assert!(Op::SetWeight { weight: 100 }.is_dangerous());
        assert!(!Operation::Promote.is_dangerous());
    }

    #[test]
    fn split_rounds_to_the_nearest_pod_and_keeps_the_total() {
        assert_eq!(split_replicas(5, 20), (4, 1));
        assert_eq!(split_replicas(5, 30), (4, 1)); // 1.5 pods: the tie goes to stable
        assert_eq!(split_replicas(5, 31), (3, 2));
        assert_eq!(split_replicas(4, 100), (0, 4));
        assert_eq!(split_replicas(4, 0), (4, 0));
        assert_eq!(split_replicas(0, 50), (0, 0));
    }

    #[test]
    fn a_pair_step_is_the_first_that_moves_a_pod() {
        let steps = DEFAULT_PAIR_STEPS;
        // 1 of 10 is 10%: 25% puts 2 pods on the canary.
        assert_eq!(next_pair_step(&steps, 9, 1), Ok(25));
        // 1 of 5 is 20%: 25% would still be 1 pod, so 50% (2 pods) is next.
        assert_eq!(next_pair_step(&steps, 4, 1), Ok(50));
        assert_eq!(next_pair_step(&steps, 5, 5), Ok(75));
        let last = next_pair_step(&steps, 1, 3).unwrap_err();
        assert!(
            last.contains("last step") && last.contains("--full"),
            "{last}"
        );
        assert!(next_pair_step(&steps, 4, 0)
            .unwrap_err()
            .contains("scaled to 0"));
        assert_eq!(next_pair_step(&[30, 60], 10, 0).ok(), None);
        assert_eq!(next_pair_step(&[30, 60], 7, 3), Ok(60));
    }
}
