//! The pure parts of `ripcord analyze`, `judge` and `gate`: which pods each side of a
//! release is, when a rollout is ready to judge, what a gate does with a judgement, and
//! the parsing of durations and files of numbers. The IO is in main and `metrics`.

use crate::analysis::judge::Outcome;
use crate::analysis::report::Report;
use crate::analysis::score::{Summary, Verdict};
use crate::model::{Kind, Phase, Release, Revision, RevisionRole, Strategy};
use std::time::Duration;

/// The Prometheus label that carries a pod's pod-template-hash (Deployments, pairs).
pub const HASH_LABEL: &str = "pod_template_hash";
/// The Prometheus label of the hash Argo Rollouts puts on its pods instead.
pub const ROLLOUTS_HASH_LABEL: &str = "rollouts_pod_template_hash";
/// The label Flagger's canary and primary pods differ by: `NAME` and `NAME-primary`.
pub const FLAGGER_LABEL: &str = "app";

/// Each side's label matchers for `{{selector}}`, and the one label they differ by.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Selectors {
    pub canary: String,
    pub baseline: String,
    /// The Prometheus label that tells the sides apart, and its value on each side.
    pub label: &'static str,
    pub canary_value: String,
    pub baseline_value: String,
}

/// The Prometheus label that tells a release kind's two sides apart: the pod-template-hash
/// of a Deployment's ReplicaSets and of each Deployment of a pair (each side its own
/// Deployment's current template), Argo's rollouts-pod-template-hash, and for Flagger the
/// `app` label its canary and `-primary` Deployments give their pods.
pub fn side_label(kind: Kind) -> &'static str {
    match kind {
        Kind::Deployment | Kind::CanaryPair => HASH_LABEL,
        Kind::ArgoRollout => ROLLOUTS_HASH_LABEL,
        Kind::FlaggerCanary => FLAGGER_LABEL,
    }
}

/// `label="value"`, the value escaped as a PromQL string.
pub fn matcher(label: &str, value: &str) -> String {
    let escaped = value.replace('\\', "\\\\").replace('"', "\\\"");
    format!("{label}=\"{escaped}\"")
}

/// The selectors of a release's two sides: a canary pair's canary and stable Deployments'
/// current templates; a Deployment's new ReplicaSet and the old one it replaces (the
/// newest old one still scaled up, else the newest old one); an Argo canary's canary and
/// stable, a blue-green's preview and active; a Flagger canary's canary and primary
/// Deployments. The label per kind is [`side_label`]'s.
pub fn selectors(release: &Release) -> Result<Selectors, String> {
    let (canary, baseline, new_word, base_word) = sides(release);
    let label = side_label(release.key.kind);
    let value = |side: Option<&Revision>, word: &str| match side {
        Some(r) if label == FLAGGER_LABEL && !r.object.is_empty() => Ok(r.object.clone()),
        Some(r) if label != FLAGGER_LABEL && !r.template_hash.is_empty() => {
            Ok(r.template_hash.clone())
        }
        Some(r) => Err(format!(
            "the {word} side of {} ({}) has no pod-template-hash yet",
            release.key, r.object
        )),
        None => Err(format!("{} has no {word} side to judge", release.key)),
    };
    let canary_value = value(canary, new_word)?;
    let baseline_value = value(baseline, base_word)?;
    if canary_value == baseline_value {
        return Err(format!(
            "the {new_word} and {base_word} sides of {} run the same pod template ({label} \
             {canary_value}): their pods cannot be told apart",
            release.key
        ));
    }
    Ok(Selectors {
        canary: matcher(label, &canary_value),
        baseline: matcher(label, &baseline_value),
        label,
        canary_value,
        baseline_value,
    })
}

/// Why a judgement of `release` judged against nothing: its baseline has no pods (a
/// Deployment's old ReplicaSet scaled to 0 at the end of its rollout) and no metric found
/// baseline samples in the window. Such a judgement is neither a pass nor a fail; while
/// the old pods' samples are still in the window there is something to judge against.
pub fn not_judgeable(release: &Release, report: &Report) -> Option<String> {
    let why = baseline_without_pods(release)?;
    report
        .panels
        .iter()
        .all(|p| p.baseline.is_empty())
        .then_some(why)
}

/// Why a release's baseline has no pods, if it has none.
pub fn baseline_without_pods(release: &Release) -> Option<String> {
    let (_, baseline, _, base_word) = sides(release);
    let b = baseline?;
    (b.replicas.ready == 0 && b.replicas.desired == 0).then(|| {
        format!(
            "baseline has no pods: the {base_word} side of {} ({}) is scaled to 0",
            release.key, b.object
        )
    })
}

/// A release's new side and the side it is judged against, with the roles' words.
fn sides(
    release: &Release,
) -> (
    Option<&Revision>,
    Option<&Revision>,
    &'static str,
    &'static str,
) {
    let (new_role, base_role) = match (release.key.kind, release.strategy) {
        (Kind::Deployment, _) => (RevisionRole::New, RevisionRole::Old),
        (_, Strategy::BlueGreen) => (RevisionRole::Preview, RevisionRole::Active),
        _ => (RevisionRole::Canary, RevisionRole::Stable),
    };
    let of_role = |role| {
        release
            .revisions
            .iter()
            .filter(move |r: &&Revision| r.role == role)
    };
    let canary = of_role(new_role).next();
    let baseline = if release.key.kind == Kind::Deployment {
        of_role(base_role)
            .find(|r| r.replicas.desired > 0)
            .or_else(|| of_role(base_role).next())
    } else {
        of_role(base_role).next()
    };
    // The roles' own words: a rolled-out Deployment's header swaps its sides, its roles do not.
    (canary, baseline, new_role.label(), base_role.label())
}

/// Whether a release has a canary in flight: new pods running beside the ones they are
/// judged against (a Deployment mid-update, a pair or controller canary scaled up). Only
/// these are judged by the console, so its load on Prometheus follows the rollouts under
/// way, not the size of the fleet.
pub fn canary_in_flight(release: &Release) -> bool {
    match release.key.kind {
        Kind::Deployment => {
            let running = |role| {
                release
                    .revisions
                    .iter()
                    .any(|r| r.role == role && r.replicas.desired > 0)
            };
            running(RevisionRole::New) && running(RevisionRole::Old)
        }
        Kind::CanaryPair => release.canary.desired > 0,
        _ => release.canary.desired > 0 && release.phase != Phase::Healthy,
    }
}

/// Whether a rollout is ready to be judged: its new side fully up. A degraded or aborted
/// rollout is an error, for the gate fails at once.
pub fn rollout_ready(release: &Release) -> Result<bool, String> {
    match release.phase {
        Phase::Degraded | Phase::Aborted => {
            return Err(format!(
                "{} is {}: {}",
                release.key,
                release.phase.label(),
                release.message
            ))
        }
        _ => {}
    }
    Ok(match release.key.kind {
        Kind::Deployment => release.phase == Phase::Healthy,
        // The canary Deployment rolled out (its controller has seen its latest template).
        Kind::CanaryPair => {
            release.phase == Phase::WaitingForPromotion
                && release.stable.ready >= release.stable.desired
        }
        _ => {
            release.canary.desired > 0
                && release.canary.ready >= release.canary.desired
                && release.stable.ready >= release.stable.desired
        }
    })
}

/// Why a release has nothing for a gate to judge, whatever it waits for: a pair with no
/// canary running, a Deployment with no older ReplicaSet to compare with.
pub fn nothing_to_judge(release: &Release) -> Option<String> {
    match release.key.kind {
        Kind::CanaryPair if release.canary.desired == 0 => Some(format!(
            "{} has nothing to judge: no canary running (scale up or deploy its canary first)",
            release.key
        )),
        Kind::Deployment
            if !release
                .revisions
                .iter()
                .any(|r| r.role == RevisionRole::Old) =>
        {
            Some(format!(
                "{} has nothing to judge: no older ReplicaSet to compare its new one with",
                release.key
            ))
        }
        _ => None,
    }
}

/// What a gate does after one judgement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GateStep {
    /// Judge again at the next interval.
    Continue,
    Pass,
    Fail,
    /// The last judgement was due and nothing could be judged: neither pass nor fail.
    Inconclusive,
}

/// When a gate judges and what it makes of each judgement. Judgements are due at 0,
/// `interval`, 2 × `interval`, ... from readiness; the first due at or after `for_` is the
/// last, so the gate judges over the whole of `for_`.
#[derive(Debug, Clone, PartialEq)]
pub struct GatePlan {
    pub for_: Duration,
    pub interval: Duration,
}

impl GatePlan {
    /// When judgement number `n` (from 0) is due, counted from readiness.
    pub fn due(&self, n: u32) -> Duration {
        self.interval.saturating_mul(n)
    }

    /// What to do after judgement number `n`.
    pub fn step(&self, summary: &Summary, n: u32) -> GateStep {
        gate_step(summary, self.due(n) >= self.for_)
    }

    /// What to do when judgement number `n` could not be made ([`not_judgeable`]): wait
    /// for the next, and at the last one, end inconclusive. Never a pass, never a fail.
    pub fn unjudged(&self, n: u32) -> GateStep {
        if self.due(n) >= self.for_ {
            GateStep::Inconclusive
        } else {
            GateStep::Continue
        }
    }
}

/// A critical metric failing on data (the canary measured and found worse) stops the gate
/// at once. Anything else waits for the last judgement, which alone decides: right after
/// readiness the canary may not have been scraped yet, so missing data is not evidence,
/// even for a metric that must have data, and a few seconds of samples make small
/// differences look significant. Only a pass passes (a marginal score is not good enough
/// to ship unattended); a last judgement still without data or with too few samples ends
/// inconclusive.
pub fn gate_step(summary: &Summary, last: bool) -> GateStep {
    let critical_on_data = summary.metrics.iter().any(|m| {
        let j = &m.judgement;
        m.critical
            && matches!(j.outcome, Outcome::High | Outcome::Low)
            && j.canary_mean.is_some()
            && j.baseline_mean.is_some()
    });
    match (summary.verdict, last) {
        (Verdict::Fail, _) if critical_on_data => GateStep::Fail,
        (Verdict::Pass, true) => GateStep::Pass,
        // Nothing scraped yet, or too few samples: never a pass, and no evidence to fail on.
        (v, true) if !v.judged() => GateStep::Inconclusive,
        (_, true) => GateStep::Fail,
        _ => GateStep::Continue,
    }
}

/// Reads a duration such as `30s`, `10m`, `1h30m` or `500ms`.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let bad = |why: &str| format!("bad duration {text:?}: {why} (for example 30s, 10m, 1h30m)");
    let text_trim = text.trim();
    if text_trim.is_empty() {
        return Err(bad("empty"));
    }
    let mut total = Duration::ZERO;
    let mut rest = text_trim;
    while !rest.is_empty() {
        let digits = rest
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(rest.len());
        if digits == 0 {
            return Err(bad("expected a number"));
        }
        let n: u64 = rest[..digits]
            .parse()
            .map_err(|_| bad("number too large"))?;
        rest = &rest[digits..];
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit())
            .unwrap_or(rest.len());
        let millis = match &rest[..unit_len] {
            "ms" => 1,
            "s" => 1_000,
            "m" => 60_000,
            "h" => 3_600_000,
            "" => return Err(bad("missing unit")),
            other => return Err(bad(&format!("unknown unit {other:?}"))),
        };
        rest = &rest[unit_len..];
        let part = n.checked_mul(millis).ok_or_else(|| bad("too long"))?;
        total = total
            .checked_add(Duration::from_millis(part))
            .ok_or_else(|| bad("too long"))?;
    }
    Ok(total)
}

/// Reads numbers separated by whitespace (one per line or several). A bad token is named
/// by `file:line`.
pub fn parse_numbers(file: &str, text: &str) -> Result<Vec<f64>, String> {
    let mut numbers = Vec::new();
    for (i, line) in text.lines().enumerate() {
        for token in line.split_whitespace() {
            match token.parse::<f64>() {
                Ok(v) => numbers.push(v),
                Err(_) => {
                    return Err(format!(
                        "{file}:{}: {:?} is not a number",
                        i + 1,
                        crate::model::text::inert(token)
                    ))
                }
            }
        }
    }
    Ok(numbers)
}

/// The action that takes a failed release back: a Deployment rolls back, a canary aborts.
pub fn revert_op(kind: Kind) -> crate::model::ops::Op {
    use crate::model::ops::Op;
    match kind {
        Kind::Deployment => Op::Rollback { to: None },
        _ => Op::Abort,
    }
}

/// A summary as text: each metric's verdict and reason, the score and the verdict.
pub fn summary_text(summary: &Summary) -> String {
    use crate::model::text::inert;
    let mut text = String::new();
    for m in &summary.metrics {
        text.push_str(&format!(
            "{:<8} {}\n",
            m.judgement.outcome.label(),
            inert(&m.judgement.reason)
        ));
        if let Some(w) = &m.judgement.warning {
            text.push_str(&format!("         warning: {}\n", inert(w)));
        }
    }
    // Each metric's warning is printed under it; only others here.
    let under_metrics: Vec<&String> = summary
        .metrics
        .iter()
        .filter_map(|m| m.judgement.warning.as_ref())
        .collect();
    for w in summary
        .warnings
        .iter()
        .filter(|w| !under_metrics.contains(w))
    {
        text.push_str(&format!("warning: {}\n", inert(w)));
    }
    if summary.verdict.judged() {
        text.push_str(&format!(
            "score {:.0}: {}\n",
            summary.score,
            summary.verdict.label()
        ));
    } else {
        text.push_str(&format!("not judged: {}\n", summary.verdict.label()));
    }
    for r in &summary.reasons {
        text.push_str(&format!("  {}\n", inert(r)));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{ReleaseKey, Replicas};

    fn rev(role: RevisionRole, object: &str, hash: &str, desired: i32) -> Revision {
        Revision {
            number: 1,
            role,
            object: object.into(),
            template_hash: hash.into(),
            images: vec![],
            replicas: Replicas {
                ready: desired,
                desired,
            },
            created: None,
            pods: vec![],
            services: vec![],
        }
    }

    fn release(kind: Kind, strategy: Strategy, revisions: Vec<Revision>) -> Release {
        Release {
            key: ReleaseKey {
                context: "c".into(),
                namespace: "shop".into(),
                kind,
                name: "web".into(),
            },
            strategy,
            phase: Phase::Progressing,
            message: String::new(),
            step: None,
            weight: None,
            stable: Replicas {
                ready: 2,
                desired: 2,
            },
            canary: Replicas {
                ready: 1,
                desired: 1,
            },
            verdict: None,
            verdict_reason: String::new(),
            created: None,
            revisions,
            steps: vec![],
            conditions: vec![],
            events: vec![],
            argo: None,
            flagger: None,
            analysis_config: None,
        }
    }

    #[test]
    fn a_pair_compares_the_canary_with_the_stable() {
        let r = release(
            Kind::CanaryPair,
            Strategy::Canary,
            vec![
                rev(RevisionRole::Canary, "web-canary", "c4n4ry", 1),
                rev(RevisionRole::Stable, "web", "st4bl3", 2),
                rev(RevisionRole::Old, "web-0ld", "0ld", 0),
            ],
        );
        assert_eq!(
            selectors(&r),
            Ok(Selectors {
                canary: r#"pod_template_hash="c4n4ry""#.into(),
                baseline: r#"pod_template_hash="st4bl3""#.into(),
                label: "pod_template_hash",
                canary_value: "c4n4ry".into(),
                baseline_value: "st4bl3".into(),
            })
        );
        // The same template on both sides: nothing tells their pods apart.
        let same = release(
            Kind::CanaryPair,
            Strategy::Canary,
            vec![
                rev(RevisionRole::Canary, "web-canary", "s4me", 1),
                rev(RevisionRole::Stable, "web", "s4me", 2),
            ],
        );
        let why = selectors(&same).unwrap_err();
        assert!(why.contains("cannot be told apart"), "{why}");
    }

    #[test]
    fn a_baseline_without_pods_is_not_judged_and_the_gate_ends_inconclusive() {
        let mut done = release(
            Kind::Deployment,
            Strategy::RollingUpdate,
            vec![
                rev(RevisionRole::New, "web-n3w", "n3w", 2),
                rev(RevisionRole::Old, "web-0ld", "0ld", 0),
            ],
        );
        let panel = |baseline: Vec<(f64, f64)>| crate::analysis::report::Panel {
            metric: "errors".into(),
            canary_query: String::new(),
            baseline_query: String::new(),
            canary: vec![(1.0, 0.1)],
            baseline,
            threshold: None,
        };
        let report = |baseline| Report {
            summary: crate::analysis::score::score(&[], &[], Default::default()),
            panels: vec![panel(baseline)],
            source: String::new(),
        };
        let nothing = report(vec![]);
        let why = not_judgeable(&done, &nothing).expect("the old ReplicaSet is at 0");
        assert!(why.starts_with("baseline has no pods"), "{why}");
        assert!(why.contains("web-0ld"), "{why}");
        // Its pods' last samples are still in the window: something to judge against.
        assert_eq!(not_judgeable(&done, &report(vec![(1.0, 0.1)])), None);
        // Still scaling down: its pods are there to judge against.
        done.revisions[1].replicas = Replicas {
            ready: 1,
            desired: 0,
        };
        assert_eq!(not_judgeable(&done, &nothing), None);
        let plan = GatePlan {
            for_: Duration::from_secs(60),
            interval: Duration::from_secs(30),
        };
        assert_eq!(plan.unjudged(0), GateStep::Continue);
        assert_eq!(plan.unjudged(1), GateStep::Continue);
        assert_eq!(plan.unjudged(2), GateStep::Inconclusive);
    }

    #[test]
    fn argo_pods_are_told_apart_by_the_rollouts_hash() {
        let r = release(
            Kind::ArgoRollout,
            Strategy::Canary,
            vec![
                rev(RevisionRole::Canary, "web-c4n4ry", "c4n4ry", 1),
                rev(RevisionRole::Stable, "web-st4bl3", "st4bl3", 2),
            ],
        );
        let s = selectors(&r).unwrap();
        assert_eq!(s.canary, r#"rollouts_pod_template_hash="c4n4ry""#);
        assert_eq!(s.baseline, r#"rollouts_pod_template_hash="st4bl3""#);
        assert_eq!(s.label, "rollouts_pod_template_hash");
    }

    #[test]
    fn flagger_pods_are_told_apart_by_their_deployments_app_label() {
        let r = release(
            Kind::FlaggerCanary,
            Strategy::Canary,
            vec![
                rev(RevisionRole::Canary, "podinfo", "h1", 1),
                rev(RevisionRole::Stable, "podinfo-primary", "h2", 2),
            ],
        );
        let s = selectors(&r).unwrap();
        assert_eq!(s.canary, r#"app="podinfo""#);
        assert_eq!(s.baseline, r#"app="podinfo-primary""#);
        assert_eq!(
            (s.canary_value.as_str(), s.baseline_value.as_str()),
            ("podinfo", "podinfo-primary")
        );
        // A value is a PromQL string: quotes and backslashes are escaped.
        assert_eq!(matcher("app", r#"a"b\c"#), r#"app="a\"b\\c""#);
    }

    #[test]
    fn a_deployment_compares_the_new_replica_set_with_the_old_one_still_running() {
        let r = release(
            Kind::Deployment,
            Strategy::RollingUpdate,
            vec![
                rev(RevisionRole::New, "web-n3w", "n3w", 2),
                rev(RevisionRole::Old, "web-0lder", "0lder", 0),
                rev(RevisionRole::Old, "web-0ld", "0ld", 1),
            ],
        );
        let s = selectors(&r).unwrap();
        assert_eq!(s.canary, r#"pod_template_hash="n3w""#);
        assert_eq!(s.baseline, r#"pod_template_hash="0ld""#);
        // Rolled out: the newest old ReplicaSet is the baseline.
        let done = release(
            Kind::Deployment,
            Strategy::RollingUpdate,
            vec![
                rev(RevisionRole::New, "web-n3w", "n3w", 2),
                rev(RevisionRole::Old, "web-0ld", "0ld", 0),
                rev(RevisionRole::Old, "web-0lder", "0lder", 0),
            ],
        );
        assert_eq!(
            selectors(&done).unwrap().baseline,
            r#"pod_template_hash="0ld""#
        );
    }

    #[test]
    fn a_missing_side_or_hash_is_an_error() {
        let first = release(
            Kind::Deployment,
            Strategy::RollingUpdate,
            vec![rev(RevisionRole::New, "web-n3w", "n3w", 2)],
        );
        assert!(selectors(&first).unwrap_err().contains("no old side"));
        let unhashed = release(
            Kind::CanaryPair,
            Strategy::Canary,
            vec![
                rev(RevisionRole::Canary, "web-canary", "", 1),
                rev(RevisionRole::Stable, "web", "st4bl3", 2),
            ],
        );
        assert!(selectors(&unhashed).unwrap_err().contains("canary side of"));
    }

    #[test]
    fn blue_green_compares_preview_with_active() {
        let r = release(
            Kind::ArgoRollout,
            Strategy::BlueGreen,
            vec![
                rev(RevisionRole::Active, "web-a", "a", 2),
                rev(RevisionRole::Preview, "web-p", "p", 2),
            ],
        );
        let s = selectors(&r).unwrap();
        assert_eq!(
            (s.canary.as_str(), s.baseline.as_str()),
            (
                r#"rollouts_pod_template_hash="p""#,
                r#"rollouts_pod_template_hash="a""#
            )
        );
    }

    #[test]
    fn readiness_per_kind() {
        let mut pair = release(Kind::CanaryPair, Strategy::Canary, vec![]);
        assert_eq!(rollout_ready(&pair), Ok(false), "canary still progressing");
        pair.phase = Phase::WaitingForPromotion;
        assert_eq!(rollout_ready(&pair), Ok(true));
        pair.stable.ready = 1;
        assert_eq!(rollout_ready(&pair), Ok(false));
        let mut argo = release(Kind::ArgoRollout, Strategy::Canary, vec![]);
        assert_eq!(rollout_ready(&argo), Ok(true));
        argo.canary.ready = 0;
        assert_eq!(rollout_ready(&argo), Ok(false));
        pair.phase = Phase::Degraded;
        assert!(rollout_ready(&pair).is_err());
        let mut d = release(Kind::Deployment, Strategy::RollingUpdate, vec![]);
        assert_eq!(rollout_ready(&d), Ok(false));
        d.phase = Phase::Healthy;
        assert_eq!(rollout_ready(&d), Ok(true));
    }

    fn summary(
        verdict: Verdict,
        outcome: crate::analysis::judge::Outcome,
        data: bool,
        critical: bool,
    ) -> Summary {
        use crate::analysis::judge::MetricJudgement;
        use crate::analysis::score::Judged;
        let mean = data.then_some(1.0);
        Summary {
            score: 0.0,
            verdict,
            groups: vec![],
            metrics: vec![Judged {
                metric: "errors".into(),
                group: "errors".into(),
                critical,
                judgement: MetricJudgement {
                    outcome,
                    critical_failure: critical && outcome != Outcome::Pass,
                    p_value: None,
                    shift: None,
                    canary_mean: mean,
                    baseline_mean: mean,
                    ratio: None,
                    canary_samples: usize::from(data) * 30,
                    baseline_samples: usize::from(data) * 30,
                    reason: String::new(),
                    warning: None,
                },
            }],
            reasons: vec![],
            warnings: vec![],
        }
    }

    #[test]
    fn a_gate_fails_at_once_on_data_and_waits_out_missing_data() {
        let critical = summary(Verdict::Fail, Outcome::High, true, true);
        assert_eq!(gate_step(&critical, false), GateStep::Fail);
        // A critical metric that rose past its allowed bound but below its critical one
        // fails on data all the same.
        let mut risen = critical.clone();
        risen.metrics[0].judgement.critical_failure = false;
        assert_eq!(gate_step(&risen, false), GateStep::Fail);
        // A non-critical rise may be early noise: the last judgement decides.
        let high = summary(Verdict::Fail, Outcome::High, true, false);
        assert_eq!(gate_step(&high, false), GateStep::Continue);
        assert_eq!(gate_step(&high, true), GateStep::Fail);
        // Not scraped yet, even with must_have_data: wait, unless this was the last one.
        let empty = summary(Verdict::Fail, Outcome::Error, false, true);
        assert_eq!(gate_step(&empty, false), GateStep::Continue);
        assert_eq!(gate_step(&empty, true), GateStep::Fail);
        let pass = summary(Verdict::Pass, Outcome::Pass, true, false);
        assert_eq!(gate_step(&pass, false), GateStep::Continue);
        assert_eq!(gate_step(&pass, true), GateStep::Pass);
        let marginal = summary(Verdict::Marginal, Outcome::Pass, true, false);
        assert_eq!(gate_step(&marginal, true), GateStep::Fail);
    }

    #[test]
    fn a_gate_waits_while_there_are_too_few_samples_or_none_and_never_passes_on_them() {
        for verdict in [Verdict::FewSamples, Verdict::NoDataYet] {
            let waiting = summary(verdict, Outcome::FewSamples, true, true);
            assert_eq!(gate_step(&waiting, false), GateStep::Continue);
            assert_eq!(gate_step(&waiting, true), GateStep::Inconclusive);
        }
        let text = summary_text(&Summary {
            reasons: vec!["too few samples to judge: canary 1, baseline 1".into()],
            ..summary(Verdict::FewSamples, Outcome::FewSamples, true, true)
        });
        assert!(
            text.contains("not judged: judging… (few samples)\n  too few samples to judge: canary 1, baseline 1"),
            "{text}"
        );
        assert!(!text.contains("score"), "{text}");
    }

    /// Runs a gate over a sequence of judgements; returns when each was due and the end.
    fn run(plan: &GatePlan, mut judgements: impl FnMut(u32) -> Summary) -> (Vec<u64>, GateStep) {
        let mut due = vec![];
        for n in 0..1000 {
            due.push(plan.due(n).as_secs());
            match plan.step(&judgements(n), n) {
                GateStep::Continue => continue,
                end => return (due, end),
            }
        }
        panic!("the gate never ended: {due:?}");
    }

    fn plan(for_: u64, interval: u64) -> GatePlan {
        GatePlan {
            for_: Duration::from_secs(for_),
            interval: Duration::from_secs(interval),
        }
    }

    #[test]
    fn a_gate_judges_over_the_whole_period() {
        let pass = summary(Verdict::Pass, Outcome::Pass, true, false);
        assert_eq!(
            run(&plan(60, 20), |_| pass.clone()),
            (vec![0, 20, 40, 60], GateStep::Pass)
        );
        assert_eq!(
            run(&plan(30, 30), |_| pass.clone()),
            (vec![0, 30], GateStep::Pass)
        );
        assert_eq!(
            run(&plan(50, 20), |_| pass.clone()),
            (vec![0, 20, 40, 60], GateStep::Pass)
        );
    }

    #[test]
    fn no_data_right_after_readiness_does_not_fail_a_good_release() {
        // must_have_data and critical, not scraped at first, then good.
        let empty = summary(Verdict::Fail, Outcome::Error, false, true);
        let pass = summary(Verdict::Pass, Outcome::Pass, true, false);
        let (due, end) = run(&plan(30, 30), |n| {
            if n == 0 {
                empty.clone()
            } else {
                pass.clone()
            }
        });
        assert_eq!((due, end), (vec![0, 30], GateStep::Pass));
        // Still no data at the end: that fails, and only then.
        assert_eq!(
            run(&plan(60, 20), |_| empty.clone()),
            (vec![0, 20, 40, 60], GateStep::Fail)
        );
        // A critical metric failing on data fails at its judgement.
        let bad = summary(Verdict::Fail, Outcome::High, true, true);
        assert_eq!(
            run(&plan(60, 20), |n| if n < 1 {
                pass.clone()
            } else {
                bad.clone()
            }),
            (vec![0, 20], GateStep::Fail)
        );
    }

    #[test]
    fn a_release_with_nothing_to_judge_says_so() {
        let mut pair = release(
            Kind::CanaryPair,
            Strategy::Canary,
            vec![rev(RevisionRole::Stable, "web", "st4bl3", 2)],
        );
        assert_eq!(nothing_to_judge(&pair), None);
        pair.canary.desired = 0;
        assert!(nothing_to_judge(&pair).is_some_and(|w| w.contains("no canary running")));
        let first = release(
            Kind::Deployment,
            Strategy::RollingUpdate,
            vec![rev(RevisionRole::New, "web-n3w", "n3w", 2)],
        );
        assert!(nothing_to_judge(&first).is_some_and(|w| w.contains("no older ReplicaSet")));
        let rolled = release(
            Kind::Deployment,
            Strategy::RollingUpdate,
            vec![
                rev(RevisionRole::New, "web-n3w", "n3w", 2),
                rev(RevisionRole::Old, "web-0ld", "0ld", 0),
            ],
        );
        assert_eq!(nothing_to_judge(&rolled), None);
    }

    #[test]
    fn a_summary_says_why_a_full_score_fails() {
        use crate::analysis::judge::{judge_metric, MetricRule, DEFAULT_CONFIDENCE};
        use crate::analysis::score::{score, Judged, Thresholds};
        let rule = MetricRule::default();
        let judged = [
            Judged {
                metric: "cpu".into(),
                group: "cpu".into(),
                critical: false,
                judgement: judge_metric("cpu", &rule, &[1.0; 20], &[1.0; 20], 0.98),
            },
            Judged {
                metric: "requests".into(),
                group: "requests".into(),
                critical: false,
                judgement: judge_metric("requests", &rule, &[], &[1.0], DEFAULT_CONFIDENCE),
            },
        ];
        let text = summary_text(&score(&judged, &[], Thresholds::default()));
        let (_, after) = text.split_once("score 100: FAIL\n").expect(&text);
        assert!(
            after.contains("no data (requests)") && after.contains("without data fails"),
            "{text}"
        );
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("30s"), Ok(Duration::from_secs(30)));
        assert_eq!(parse_duration("10m"), Ok(Duration::from_secs(600)));
        assert_eq!(parse_duration("1h30m"), Ok(Duration::from_secs(5400)));
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        for bad in ["", "10", "m", "5x", "1.5m", "-1s", "99999999999999999999h"] {
            assert!(parse_duration(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn numbers_one_per_line_or_spaced() {
        let v = parse_numbers("a.txt", "1\n2.5 3e2\n\n  -4\n").unwrap();
        assert_eq!(v, vec![1.0, 2.5, 300.0, -4.0]);
        assert!(parse_numbers("a.txt", "nan").unwrap()[0].is_nan());
        assert_eq!(
            parse_numbers("b.txt", "1\n2\n3 x4\n"),
            Err(r#"b.txt:3: "x4" is not a number"#.into())
        );
    }
}
