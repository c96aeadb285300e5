//! `ripcord analyze`, `judge` and `gate`: the canary judge on the command line.

use super::cli::{AnalysisArgs, ClusterArgs, JudgeDirection, Output};
use super::{connect_all, load_settings, open_journal, print_out};
use ripcord::analysis::config::{AnalysisConfig, Side};
use ripcord::analysis::judge::{
    clean, judge_metric, num, p_text, Direction, MetricRule, DEFAULT_CONFIDENCE, FEW_SAMPLES,
};
use ripcord::analysis::mann_whitney::{hodges_lehmann, mann_whitney_u};
use ripcord::analysis::score::{Summary, Verdict};
use ripcord::cluster::access::AccessCache;
use ripcord::cluster::actions::KubeActuator;
use ripcord::cluster::connect::Cluster;
use ripcord::cluster::watch::Requested;
use ripcord::config::settings::{PrometheusSettings, PrometheusTarget};
use ripcord::gate::{self, GateStep, Selectors};
use ripcord::headless::{self, exit, Failure};
use ripcord::metrics::{self, MetricsError, Prometheus, Window};
use ripcord::model::ops::ActionRequest;
use ripcord::model::text::inert;
use ripcord::model::Release;
use ripcord::service::Service;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Samples per series a judgement aims for.
const SAMPLES: u32 = 120;

fn bad_input(message: impl Into<String>) -> Failure {
    Failure::new(exit::BAD_INPUT, message)
}

fn duration(flag: &str, text: &str) -> Result<Duration, Failure> {
    match gate::parse_duration(text) {
        Ok(d) if !d.is_zero() => Ok(d),
        Ok(_) => Err(bad_input(format!("{flag} must be longer than 0"))),
        Err(why) => Err(bad_input(format!("{flag}: {why}"))),
    }
}

/// The analysis config named on the command line, else analysis.toml in the config dir.
fn analysis_config(file: Option<&PathBuf>) -> Result<AnalysisConfig, Failure> {
    let path = match file {
        Some(path) => path.clone(),
        None => ripcord::config::paths::config_dir()
            .map(|d| d.join("analysis.toml"))
            .filter(|p| p.exists())
            .ok_or_else(|| {
                bad_input(format!("no analysis config: pass --config FILE, annotate the release with {}: CONFIGMAP, or create analysis.toml in the config dir", metrics::configmap::ANALYSIS_ANNOTATION))
            })?,
    };
    let text = std::fs::read_to_string(&path)
        .map_err(|e| bad_input(format!("reading {}: {e}", path.display())))?;
    let (config, issues) = ripcord::config::analysis::load(&path, &text);
    match issues.as_slice() {
        [] => {}
        [one] => return Err(bad_input(one.to_string())),
        many => {
            for issue in many {
                eprintln!("ripcord: {}", inert(&issue.to_string()));
            }
            return Err(bad_input(format!(
                "{} problems in {}",
                many.len(),
                path.display()
            )));
        }
    }
    Ok(config)
}

/// `--prometheus URL`, else the context's `prometheus` in config.toml (a URL, or a
/// service reached through the apiserver with the context's credentials).
/// The analysis config: the file on the command line, else the ConfigMap the release's
/// `ripcord.dev/analysis` annotation names, else analysis.toml in the config dir. The
/// command line wins so that a CI job can always say exactly what it gates on.
async fn analysis_config_for(
    file: Option<&PathBuf>,
    cluster: &Cluster,
    release: &Release,
) -> Result<AnalysisConfig, Failure> {
    if file.is_some() {
        return analysis_config(file);
    }
    match metrics::configmap::load_annotated(&cluster.client, &release.key).await {
        Ok(Some((_, config))) => Ok(config),
        Ok(None) => analysis_config(None),
        Err(mut problems) => {
            let last = problems.pop().unwrap_or_default();
            for p in &problems {
                eprintln!("ripcord: {}", inert(p));
            }
            Err(bad_input(last))
        }
    }
}

async fn prometheus(
    args: &AnalysisArgs,
    cluster_args: &ClusterArgs,
    settings: &ripcord::config::Settings,
    cluster: &Cluster,
) -> Result<Prometheus, Failure> {
    let context = &cluster.context;
    let configured = settings.prometheus(context);
    let chosen = match (&args.prometheus, configured) {
        (Some(url), Some(c)) => PrometheusSettings {
            target: PrometheusTarget::Url(url.clone()),
            ..c.clone()
        },
        (Some(url), None) => PrometheusSettings::url(url),
        (None, Some(c)) => c.clone(),
        (None, None) => {
            return Err(bad_input(format!(
                "no Prometheus for context {context}: pass --prometheus URL or set \
                 prometheus in [contexts.\"{context}\"] of config.toml"
            )))
        }
    };
    let kube = match chosen.target {
        PrometheusTarget::Service { .. } => Some(
            ripcord::cluster::connect::context_config(
                &super::connect_options(cluster_args),
                context,
            )
            .await
            .map_err(|e| bad_input(e.to_string()))?,
        ),
        PrometheusTarget::Url(_) => None,
    };
    Prometheus::connect(&chosen, kube.as_ref()).map_err(|e| bad_input(e.to_string()))
}

fn metrics_failure(e: MetricsError) -> Failure {
    match e {
        MetricsError::Unreachable { .. } => Failure::new(exit::UNREACHABLE, e.to_string()),
        MetricsError::BadUrl { .. } => bad_input(e.to_string()),
        MetricsError::Rejected { .. } => Failure::new(exit::FAILED, e.to_string()),
    }
}

/// The one cluster a release command works on, and its namespace.
async fn one_cluster(args: &ClusterArgs) -> Result<(Cluster, String), Failure> {
    if args.context.len() > 1 {
        return Err(bad_input(
            "this command targets one context: pass --context once",
        ));
    }
    let clusters = connect_all(args).await?;
    let cluster = clusters
        .into_iter()
        .next()
        .ok_or_else(|| bad_input("no context to use"))?;
    let namespace = args
        .namespace
        .clone()
        .unwrap_or_else(|| cluster.namespace.clone());
    Ok((cluster, namespace))
}

async fn find_release(
    cluster: &Cluster,
    namespace: &str,
    target: &str,
    access: &AccessCache,
) -> Result<Release, Failure> {
    let (kind, name) = headless::parse_target(target)?;
    let releases = headless::snapshot(
        cluster,
        &Requested::Namespace(namespace.to_owned()),
        &[],
        access,
    )
    .await?;
    let key = headless::resolve_release(&releases, kind, &name)?;
    Ok(releases
        .into_iter()
        .find(|r| r.key == key)
        .expect("resolved from this list"))
}

/// Each side's selector, or why the release has nothing to judge: no canary running, no
/// older ReplicaSet, sides that cannot be told apart. Neither a pass nor a failure: exit 5.
fn judgeable(release: &Release) -> Result<Selectors, Failure> {
    if let Some(why) = gate::nothing_to_judge(release) {
        return Err(Failure::new(exit::INCONCLUSIVE, why));
    }
    gate::selectors(release).map_err(|why| Failure::new(exit::INCONCLUSIVE, why))
}

async fn judge_once(
    prometheus: &Prometheus,
    config: &AnalysisConfig,
    release: &Release,
    selectors: &Selectors,
    window: Duration,
) -> Result<ripcord::analysis::report::Report, Failure> {
    let side = |selector| Side {
        namespace: &release.key.namespace,
        name: &release.key.name,
        selector,
    };
    let length = chrono::Duration::from_std(window).map_err(|e| bad_input(e.to_string()))?;
    metrics::analyze_report(
        prometheus,
        config,
        &side(&selectors.canary),
        &side(&selectors.baseline),
        Window {
            end: chrono::Utc::now(),
            length,
            step: (window / SAMPLES).max(Duration::from_secs(1)),
        },
    )
    .await
    .map_err(metrics_failure)
}

fn print_summary(
    release: &Release,
    selectors: &Selectors,
    summary: &Summary,
    output: Output,
) -> Result<(), Failure> {
    match output {
        Output::Json => {
            let json = serde_json::json!({
                "release": release.key.to_string(),
                "canary": selectors.canary,
                "baseline": selectors.baseline,
                "summary": summary,
            });
            let text = serde_json::to_string_pretty(&json)
                .map_err(|e| Failure::new(exit::FAILED, e.to_string()))?;
            print_out(&format!("{text}\n"))
        }
        Output::Table => print_out(&format!(
            "{}: canary {} vs baseline {}\n{}",
            release.key,
            inert(&selectors.canary),
            inert(&selectors.baseline),
            gate::summary_text(summary)
        )),
    }
}

/// With `-o json` a failure before any summary is a JSON `{"error": {...}}` on stdout too,
/// as for `status`: a script never reads an unreachable Prometheus as no output.
fn json_error(result: Result<(), Failure>, output: Output, printed: bool) -> Result<(), Failure> {
    if let (Err(f), Output::Json, false) = (&result, output, printed) {
        let text = serde_json::to_string_pretty(&serde_json::json!({ "error": f.to_json() }))
            .map_err(|e| Failure::new(exit::FAILED, e.to_string()))?;
        print_out(&format!("{text}\n"))?;
    }
    result
}

pub async fn analyze(
    args: &ClusterArgs,
    target: &str,
    analysis: &AnalysisArgs,
    window: &str,
    output: Output,
) -> Result<(), Failure> {
    let mut printed = false;
    let result = analyze_inner(args, target, analysis, window, output, &mut printed).await;
    json_error(result, output, printed)
}

async fn analyze_inner(
    args: &ClusterArgs,
    target: &str,
    analysis: &AnalysisArgs,
    window: &str,
    output: Output,
    printed: &mut bool,
) -> Result<(), Failure> {
    let window = duration("--window", window)?;
    if analysis.config.is_some() {
        analysis_config(analysis.config.as_ref())?;
    }
    let settings = load_settings();
    let (cluster, namespace) = one_cluster(args).await?;
    let prometheus = prometheus(analysis, args, &settings, &cluster).await?;
    let release = find_release(&cluster, &namespace, target, &AccessCache::default()).await?;
    let config = analysis_config_for(analysis.config.as_ref(), &cluster, &release).await?;
    let selectors = judgeable(&release)?;
    let report = judge_once(&prometheus, &config, &release, &selectors, window).await?;
    if let Some(why) = gate::not_judgeable(&release, &report) {
        return Err(Failure::new(
            exit::INCONCLUSIVE,
            format!("not judged, inconclusive: {why}"),
        ));
    }
    let summary = report.summary;
    *printed = true;
    print_summary(&release, &selectors, &summary, output)?;
    match summary.verdict {
        Verdict::Pass => Ok(()),
        v if !v.judged() => Err(Failure::new(
            exit::INCONCLUSIVE,
            format!(
                "{}: not judged, inconclusive: {}",
                release.key,
                summary.reasons.join("; ")
            ),
        )),
        v => Err(Failure::new(
            exit::FAILED,
            format!(
                "{}: {} (score {:.0}): {}",
                release.key,
                v.label(),
                summary.score,
                summary.reasons.join("; ")
            ),
        )),
    }
}

fn read_numbers(path: &PathBuf) -> Result<Vec<f64>, Failure> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| bad_input(format!("reading {}: {e}", path.display())))?;
    let numbers = gate::parse_numbers(&path.display().to_string(), &text).map_err(bad_input)?;
    if numbers.is_empty() {
        return Err(bad_input(format!("{}: no numbers", path.display())));
    }
    Ok(numbers)
}

/// The name the judge's reasons give the compared values.
const JUDGED: &str = "value";

pub fn judge(
    canary: &PathBuf,
    baseline: &PathBuf,
    direction: JudgeDirection,
    output: Output,
) -> Result<(), Failure> {
    let mut printed = false;
    let result = judge_inner(canary, baseline, direction, output, &mut printed);
    json_error(result, output, printed)
}

fn judge_inner(
    canary: &PathBuf,
    baseline: &PathBuf,
    direction: JudgeDirection,
    output: Output,
    printed: &mut bool,
) -> Result<(), Failure> {
    let c = read_numbers(canary)?;
    let b = read_numbers(baseline)?;
    let rule = MetricRule {
        direction: match direction {
            JudgeDirection::Increase => Direction::Increase,
            JudgeDirection::Decrease => Direction::Decrease,
            JudgeDirection::Either => Direction::Either,
        },
        ..MetricRule::default()
    };
    let judgement = judge_metric(JUDGED, &rule, &c, &b, DEFAULT_CONFIDENCE);
    // The test and the shift count what the judge counts: NaN and infinities dropped.
    let dropped = |raw: &[f64]| raw.len() - clean(raw, rule.nan_strategy).len();
    let (c_dropped, b_dropped) = (dropped(&c), dropped(&b));
    let (c, b) = (clean(&c, rule.nan_strategy), clean(&b, rule.nan_strategy));
    let test = mann_whitney_u(&c, &b);
    // The shift is how far the canary sits above the baseline.
    let shift = hodges_lehmann(&b, &c, DEFAULT_CONFIDENCE);
    // With fewer samples the interval cannot reach the confidence: none is claimed.
    let interval = c.len() >= FEW_SAMPLES && b.len() >= FEW_SAMPLES;
    *printed = true;
    match output {
        Output::Json => {
            let json = serde_json::json!({
                "canary_samples": c.len(),
                "baseline_samples": b.len(),
                "canary_dropped": c_dropped,
                "baseline_dropped": b_dropped,
                "u": test.map(|t| t.u),
                "p": test.map(|t| t.p),
                "shift": shift.filter(|_| interval),
                "estimate": shift.map(|s| s.estimate),
                "confidence": DEFAULT_CONFIDENCE,
                "judgement": judgement,
            });
            let text = serde_json::to_string_pretty(&json)
                .map_err(|e| Failure::new(exit::FAILED, e.to_string()))?;
            print_out(&format!("{text}\n"))?;
        }
        Output::Table => {
            let count = |n: usize, dropped: usize| match dropped {
                0 => n.to_string(),
                d => format!("{n} ({d} NaN/inf dropped)"),
            };
            let mut text = format!(
                "samples  canary {}, baseline {}\n",
                count(c.len(), c_dropped),
                count(b.len(), b_dropped)
            );
            if let Some(t) = test {
                let p = match p_text(t.p).strip_prefix("p = ") {
                    Some(value) => value.to_owned(),
                    None => "< 1e-9".to_owned(),
                };
                text.push_str(&format!("U        {}\np        {p}\n", num(t.u)));
            }
            match shift {
                Some(s) if interval => text.push_str(&format!(
                    "shift    {} ({}% interval {} to {})\n",
                    num(s.estimate),
                    num(DEFAULT_CONFIDENCE * 100.0),
                    num(s.lower),
                    num(s.upper)
                )),
                Some(s) => text.push_str(&format!(
                    "shift    {} (no {}% interval from so few samples)\n",
                    num(s.estimate),
                    num(DEFAULT_CONFIDENCE * 100.0)
                )),
                None => {}
            }
            text.push_str(&format!(
                "verdict  {}: {}\n",
                judgement.outcome.label(),
                inert(&judgement.reason)
            ));
            if let Some(w) = &judgement.warning {
                text.push_str(&format!("warning  {}\n", inert(w)));
            }
            print_out(&text)?;
        }
    }
    match judgement.outcome {
        ripcord::analysis::judge::Outcome::Pass => Ok(()),
        ripcord::analysis::judge::Outcome::FewSamples => Err(Failure::new(
            exit::INCONCLUSIVE,
            format!("not judged, inconclusive: {}", judgement.reason),
        )),
        other => Err(Failure::new(
            exit::FAILED,
            format!("canary {}: {}", other.label(), judgement.reason),
        )),
    }
}

pub struct GateArgs<'a> {
    pub target: &'a str,
    pub analysis: &'a AnalysisArgs,
    pub timeout: &'a str,
    pub duration: &'a str,
    pub interval: &'a str,
    pub window: Option<&'a str>,
    pub rollback_on_fail: bool,
    pub output: Output,
}

pub async fn gate(args: &ClusterArgs, g: GateArgs<'_>) -> Result<(), Failure> {
    let output = g.output;
    let mut printed = false;
    let result = gate_inner(args, g, &mut printed).await;
    json_error(result, output, printed)
}

async fn gate_inner(
    args: &ClusterArgs,
    g: GateArgs<'_>,
    printed: &mut bool,
) -> Result<(), Failure> {
    let timeout = duration("--timeout", g.timeout)?;
    let for_ = duration("--for", g.duration)?;
    let interval = duration("--interval", g.interval)?;
    let window = match g.window {
        Some(w) => duration("--window", w)?,
        None => for_,
    };
    if g.analysis.config.is_some() {
        analysis_config(g.analysis.config.as_ref())?;
    }
    let settings = load_settings();
    let (cluster, namespace) = one_cluster(args).await?;
    let prometheus = prometheus(g.analysis, args, &settings, &cluster).await?;
    let access = Arc::new(AccessCache::default());
    let first = find_release(&cluster, &namespace, g.target, &access).await?;
    let config = analysis_config_for(g.analysis.config.as_ref(), &cluster, &first).await?;

    // Wait for the rollout.
    let deadline = Instant::now() + timeout;
    let release = loop {
        let release = find_release(&cluster, &namespace, g.target, &access).await?;
        if let Some(why) = gate::nothing_to_judge(&release) {
            return Err(Failure::new(exit::INCONCLUSIVE, why));
        }
        match gate::rollout_ready(&release) {
            Ok(true) => break release,
            Ok(false) if Instant::now() >= deadline => {
                return Err(Failure::new(
                    exit::FAILED,
                    format!(
                        "{} was not ready within {}: {}",
                        release.key,
                        g.timeout,
                        inert(&release.message)
                    ),
                ))
            }
            Ok(false) => tokio::time::sleep(Duration::from_secs(1)).await,
            Err(why) => {
                return fail(
                    &cluster,
                    &settings,
                    &access,
                    &release,
                    g.rollback_on_fail,
                    why,
                )
                .await
            }
        }
    };
    let selectors = judgeable(&release)?;
    eprintln!(
        "ripcord: {} is ready; judging every {} for {}",
        inert(&release.key.to_string()),
        g.interval,
        g.duration
    );

    let plan = gate::GatePlan { for_, interval };
    let ready = tokio::time::Instant::now();
    for n in 0.. {
        tokio::time::sleep_until(ready + plan.due(n)).await;
        // The baseline may go while the gate runs (an old ReplicaSet scaled to 0).
        let current = find_release(&cluster, &namespace, g.target, &access).await?;
        let report = judge_once(&prometheus, &config, &release, &selectors, window).await?;
        if let Some(why) = gate::not_judgeable(&current, &report) {
            eprintln!(
                "ripcord: {} not judged: {}",
                chrono::Utc::now().format("%H:%M:%S"),
                inert(&why)
            );
            if plan.unjudged(n) == GateStep::Inconclusive {
                return Err(inconclusive(&release, g.duration, &why));
            }
            continue;
        }
        let summary = report.summary;
        let why = match summary.verdict {
            Verdict::Pass => String::new(),
            _ => format!(" ({})", inert(&summary.reasons.join("; "))),
        };
        let what = if summary.verdict.judged() {
            format!("score {:.0}: {}", summary.score, summary.verdict.label())
        } else {
            format!("not judged yet: {}", summary.verdict.label())
        };
        eprintln!(
            "ripcord: {} {what}{why}",
            chrono::Utc::now().format("%H:%M:%S"),
        );
        let step = plan.step(&summary, n);
        *printed = matches!(step, GateStep::Pass | GateStep::Fail);
        match step {
            GateStep::Continue => {}
            GateStep::Inconclusive => {
                return Err(inconclusive(
                    &release,
                    g.duration,
                    &summary.reasons.join("; "),
                ))
            }
            GateStep::Pass => return print_summary(&release, &selectors, &summary, g.output),
            GateStep::Fail => {
                print_summary(&release, &selectors, &summary, g.output)?;
                let why = format!(
                    "{} failed its analysis (score {:.0}): {}",
                    release.key,
                    summary.score,
                    summary.reasons.join("; ")
                );
                return fail(
                    &cluster,
                    &settings,
                    &access,
                    &release,
                    g.rollback_on_fail,
                    why,
                )
                .await;
            }
        }
    }
    unreachable!("a gate's last judgement is due by interval × u32::MAX")
}

/// A gate whose last judgement could not be made: neither a pass nor a fail, exit 5.
fn inconclusive(release: &Release, duration: &str, why: &str) -> Failure {
    Failure::new(
        exit::INCONCLUSIVE,
        format!(
            "{} is inconclusive after {duration}: the last judgement could not be made ({why}); \
             nothing was rolled back",
            release.key
        ),
    )
}

/// A failed gate: with `--rollback-on-fail`, the kind's revert runs through the service
/// (checked and journaled) before the gate exits 1.
async fn fail(
    cluster: &Cluster,
    settings: &ripcord::config::Settings,
    access: &Arc<AccessCache>,
    release: &Release,
    revert: bool,
    why: String,
) -> Result<(), Failure> {
    if !revert {
        return Err(Failure::new(exit::FAILED, why));
    }
    let service = Service::new(
        Arc::new(KubeActuator::new([cluster.clone()], access.clone())),
        None,
        settings.clone(),
        false,
    );
    let op = gate::revert_op(release.key.kind);
    let request = ActionRequest {
        key: release.key.clone(),
        op,
        reason: Some(format!("ripcord gate: {why}")),
        dry_run: false,
    };
    if let Err(refusal) = service.preflight(&request).await {
        return Err(Failure::new(
            exit::FAILED,
            format!("{why}; {} refused: {refusal}", op.verb()),
        ));
    }
    let service = service.with_journal(open_journal()?);
    let (outcome, problems) = service.execute(&request).await;
    for problem in &problems {
        eprintln!("ripcord: warning: {problem}");
    }
    match &outcome.result {
        Ok(done) => Err(Failure::new(
            exit::FAILED,
            format!("{why}; {} {}: {}", op.verb(), release.key, inert(done)),
        )),
        Err(f) => Err(Failure::new(
            exit::FAILED,
            format!("{why}; {} {} failed: {f}", op.verb(), release.key),
        )),
    }
}
