//! Prometheus IO for the canary judge: range queries for each side of a release, with a
//! deadline on every call and errors typed by what the caller must do (an unreachable
//! Prometheus is never a pass). The judging itself is pure, in `analysis`.

pub mod configmap;
pub mod feed;

use crate::analysis::config::{AnalysisConfig, Side};
use crate::analysis::judge::judge_metric;
use crate::analysis::report::{average, threshold, Panel, Report};
use crate::analysis::score::{score, Judged, Summary};
use crate::config::settings::{PrometheusSettings, PrometheusTarget};
use crate::model::text::error_chain;
use chrono::{DateTime, Duration, Utc};
use futures::future::BoxFuture;
use prometheus_http_query::response::{Data, PromqlResult};
use prometheus_http_query::Client;
use std::time::Duration as StdDuration;

/// Why a query gave no samples.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MetricsError {
    /// Down, refusing connections, or too slow: exit 4, and the panel says "stale".
    #[error("Prometheus at {url} is unreachable (querying {metric}): {why}")]
    Unreachable {
        url: String,
        metric: String,
        why: String,
    },
    /// Prometheus answered with an error (a bad query, for example).
    #[error("Prometheus rejected the query for {metric}: {why}")]
    Rejected { metric: String, why: String },
    #[error("bad Prometheus URL {url:?}: {why}")]
    BadUrl { url: String, why: String },
}

/// One series of a range query: (unix seconds, value), oldest first, and its labels.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Series {
    pub points: Vec<(f64, f64)>,
    pub labels: Vec<(String, String)>,
}

impl Series {
    pub fn label(&self, name: &str) -> Option<&str> {
        self.labels
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// Labels as Prometheus returns them, in a stable order.
fn labels_of(metric: &std::collections::HashMap<String, String>) -> Vec<(String, String)> {
    let mut labels: Vec<(String, String)> =
        metric.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
    labels.sort();
    labels
}

/// Why one range query failed, before it is tied to a metric.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum QueryError {
    Unreachable(String),
    Rejected(String),
}

/// Something that answers PromQL range queries: a real Prometheus, or the demo's simulated
/// one, so both are judged by the same code.
pub trait RangeSource: Send + Sync {
    /// Where the queries go, for messages: a URL, or a service through the apiserver.
    fn describe(&self) -> String;

    /// Every series `query` returns from `start` to `end` at `step`.
    fn range<'a>(
        &'a self,
        query: &'a str,
        start: DateTime<Utc>,
        end: DateTime<Utc>,
        step: StdDuration,
    ) -> BoxFuture<'a, Result<Vec<Series>, QueryError>>;
}

/// Pooled samples of one metric's query, every series' values together (a query may
/// return one series per pod).
pub async fn samples(
    source: &dyn RangeSource,
    metric: &str,
    query: &str,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    step: StdDuration,
) -> Result<Vec<f64>, MetricsError> {
    let series = source
        .range(query, start, end, step)
        .await
        .map_err(|e| tie(source, metric, e))?;
    Ok(series
        .iter()
        .flat_map(|s| s.points.iter().map(|p| p.1))
        .collect())
}

fn tie(source: &dyn RangeSource, metric: &str, e: QueryError) -> MetricsError {
    match e {
        QueryError::Unreachable(why) => MetricsError::Unreachable {
            url: source.describe(),
            metric: metric.to_owned(),
            why,
        },
        QueryError::Rejected(why) => MetricsError::Rejected {
            metric: metric.to_owned(),
            why,
        },
    }
}

/// One Prometheus, with the deadline for each call.
#[derive(Clone)]
pub struct Prometheus {
    backend: Backend,
    describe: String,
    timeout: StdDuration,
}

#[derive(Clone)]
enum Backend {
    Direct(Client),
    /// Through the apiserver's service proxy; `base` is the proxy path, ending in `/proxy`.
    ServiceProxy {
        kube: kube::Client,
        base: String,
        headers: Vec<(String, String)>,
    },
}

impl Prometheus {
    /// A Prometheus at a URL, with default settings.
    pub fn new(url: &str, timeout: StdDuration) -> Result<Self, MetricsError> {
        let mut settings = PrometheusSettings::url(url);
        settings.timeout = timeout;
        Self::connect(&settings, None)
    }

    /// A Prometheus as configured for a context; `kube` is that context's client config,
    /// needed for a service reached through the apiserver.
    pub fn connect(
        settings: &PrometheusSettings,
        kube: Option<&kube::Config>,
    ) -> Result<Self, MetricsError> {
        let describe = settings.target.to_string();
        let bad = |why: String| MetricsError::BadUrl {
            url: describe.clone(),
            why,
        };
        let backend = match &settings.target {
            PrometheusTarget::Url(url) => {
                Backend::Direct(direct_client(settings, url).map_err(bad)?)
            }
            PrometheusTarget::Service {
                namespace,
                name,
                port,
            } => Backend::ServiceProxy {
                kube: {
                    let mut config = kube
                        .cloned()
                        .ok_or_else(|| bad("a service needs a cluster connection".into()))?;
                    // A 503 is a Prometheus down or not ready: say so now, do not retry
                    // with backoff past the query's deadline.
                    config.default_retry = false;
                    kube::Client::try_from(config).map_err(|e| bad(error_chain(&e)))?
                },
                base: format!("/api/v1/namespaces/{namespace}/services/{name}:{port}/proxy"),
                headers: settings.headers.clone(),
            },
        };
        Ok(Prometheus {
            backend,
            describe,
            timeout: settings.timeout,
        })
    }

    /// Every sample of every series `query` returns between `start` and `end`, oldest
    /// first per series; series are pooled (a query may return one series per pod).
    pub async fn samples(
        &self,
        metric: &str,
        query: &str,
        start: DateTime<Utc>,
        end: DateTime<Utc>,
        step: StdDuration,
    ) -> Result<Vec<f64>, MetricsError> {
        samples(self, metric, query, start, end, step).await
    }

    async fn range_now(
        &self,
        query: &str,
        start: DateTime<Utc>,
        end: DateTime<Utc>,
        step: StdDuration,
    ) -> Result<Vec<Series>, QueryError> {
        let step = step.as_secs_f64().max(1.0);
        let call = async {
            match &self.backend {
                Backend::Direct(client) => client
                    .query_range(query, start.timestamp(), end.timestamp(), step)
                    .get()
                    .await
                    .map_err(|e| match e {
                        prometheus_http_query::Error::Prometheus(p) => {
                            QueryError::Rejected(p.to_string())
                        }
                        other => QueryError::Unreachable(without_urls(&error_chain(&other))),
                    }),
                Backend::ServiceProxy {
                    kube,
                    base,
                    headers,
                } => {
                    let params = [
                        ("query", query.to_owned()),
                        ("start", start.timestamp().to_string()),
                        ("end", end.timestamp().to_string()),
                        ("step", step.to_string()),
                    ];
                    proxied(kube, base, headers, &params).await
                }
            }
        };
        let result = tokio::time::timeout(self.timeout, call)
            .await
            .map_err(|_| {
                QueryError::Unreachable(format!("no answer within {}s", self.timeout.as_secs_f64()))
            })??;
        Ok(series_of(result.data()))
    }
}

impl RangeSource for Prometheus {
    fn describe(&self) -> String {
        self.describe.clone()
    }

    fn range<'a>(
        &'a self,
        query: &'a str,
        start: DateTime<Utc>,
        end: DateTime<Utc>,
        step: StdDuration,
    ) -> BoxFuture<'a, Result<Vec<Series>, QueryError>> {
        Box::pin(self.range_now(query, start, end, step))
    }
}

fn series_of(data: &Data) -> Vec<Series> {
    match data {
        Data::Matrix(series) => series
            .iter()
            .map(|s| Series {
                points: s
                    .samples()
                    .iter()
                    .map(|v| (v.timestamp(), v.value()))
                    .collect(),
                labels: labels_of(s.metric()),
            })
            .collect(),
        Data::Vector(v) => v
            .iter()
            .map(|s| Series {
                points: vec![(s.sample().timestamp(), s.sample().value())],
                labels: labels_of(s.metric()),
            })
            .collect(),
        Data::Scalar(s) => vec![Series {
            points: vec![(s.timestamp(), s.value())],
            labels: Vec::new(),
        }],
    }
}

/// An HTTP client for a Prometheus URL: ripcord's one TLS crypto provider (ring), the
/// configured CA or none, a bearer token and extra headers on every request.
fn direct_client(settings: &PrometheusSettings, url: &str) -> Result<Client, String> {
    use reqwest::header::{HeaderMap, HeaderName, HeaderValue, AUTHORIZATION};
    crate::cluster::connect::install_crypto_provider();
    let mut headers = HeaderMap::new();
    for (name, value) in &settings.headers {
        let name =
            HeaderName::from_bytes(name.as_bytes()).map_err(|e| format!("header {name}: {e}"))?;
        let value = HeaderValue::from_str(value).map_err(|e| format!("header {name}: {e}"))?;
        headers.insert(name, value);
    }
    if let Some(file) = &settings.bearer_token_file {
        let token = std::fs::read_to_string(file)
            .map_err(|e| format!("reading bearer_token_file {}: {e}", file.display()))?;
        let mut value = HeaderValue::from_str(&format!("Bearer {}", token.trim()))
            .map_err(|_| format!("{} does not hold a usable token", file.display()))?;
        value.set_sensitive(true);
        headers.insert(AUTHORIZATION, value);
    }
    let mut builder = reqwest::Client::builder()
        .default_headers(headers)
        .timeout(settings.timeout)
        .tls_danger_accept_invalid_certs(settings.insecure_skip_tls_verify);
    if let Some(file) = &settings.ca_file {
        let pem =
            std::fs::read(file).map_err(|e| format!("reading ca_file {}: {e}", file.display()))?;
        let certs = reqwest::Certificate::from_pem_bundle(&pem)
            .map_err(|e| format!("ca_file {}: {e}", file.display()))?;
        if certs.is_empty() {
            return Err(format!(
                "ca_file {} holds no PEM certificate",
                file.display()
            ));
        }
        builder = builder.tls_certs_only(certs);
    }
    let http = builder.build().map_err(|e| error_chain(&e))?;
    Client::from(http, url).map_err(|e| e.to_string())
}

/// What Prometheus answers, through the proxy as directly.
#[derive(serde::Deserialize)]
#[serde(tag = "status")]
enum Envelope {
    #[serde(rename = "success")]
    Success { data: PromqlResult },
    #[serde(rename = "error")]
    Error(prometheus_http_query::error::PrometheusError),
}

/// A range query through the apiserver's service proxy, with the kubeconfig's credentials
/// (whatever kind: token, client certificate, exec plugin).
async fn proxied(
    kube: &kube::Client,
    base: &str,
    headers: &[(String, String)],
    params: &[(&str, String)],
) -> Result<PromqlResult, QueryError> {
    let url = reqwest::Url::parse_with_params("http://proxy/", params)
        .map_err(|e| QueryError::Rejected(e.to_string()))?;
    let path = format!(
        "{base}/api/v1/query_range?{}",
        url.query().unwrap_or_default()
    );
    let mut request = http::Request::get(path);
    for (name, value) in headers {
        request = request.header(name.as_str(), value.as_str());
    }
    let request = request
        .body(kube::client::Body::empty())
        .map_err(|e| QueryError::Rejected(e.to_string()))?;
    let response = kube
        .send(request)
        .await
        .map_err(|e| QueryError::Unreachable(format!("via the apiserver: {}", error_chain(&e))))?;
    let status = response.status();
    let body =
        response.into_body().collect_bytes().await.map_err(|e| {
            QueryError::Unreachable(format!("via the apiserver: {}", error_chain(&e)))
        })?;
    proxy_answer(status.as_u16(), &body)
}

/// Prometheus's own answer (success or a rejected query), else the apiserver's: its
/// `Status` message when the Service has no endpoints, is missing, or the user may not
/// use the proxy. Those mean Prometheus cannot be reached.
pub fn proxy_answer(status: u16, body: &[u8]) -> Result<PromqlResult, QueryError> {
    match serde_json::from_slice::<Envelope>(body) {
        Ok(Envelope::Success { data }) if status == 200 => return Ok(data),
        Ok(Envelope::Error(e)) => return Err(QueryError::Rejected(e.to_string())),
        _ => {}
    }
    #[derive(serde::Deserialize)]
    struct ApiStatus {
        message: String,
    }
    let why = match serde_json::from_slice::<ApiStatus>(body) {
        Ok(s) => s.message,
        Err(_) => String::from_utf8_lossy(&body[..body.len().min(200)])
            .trim()
            .to_owned(),
    };
    Err(QueryError::Unreachable(format!(
        "the apiserver's proxy answered {status}: {why}"
    )))
}

/// `text` without the URLs an HTTP error quotes: a query URL carries the whole
/// URL-encoded query, hundreds of characters that say nothing the metric's name does not.
fn without_urls(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find("(http") {
        let Some(len) = rest[at..].find(')') else {
            break;
        };
        out.push_str(rest[..at].trim_end().trim_end_matches(" for url"));
        rest = &rest[at + len + 1..];
    }
    out.push_str(rest);
    out
}

/// The window judged and the resolution of its samples.
#[derive(Debug, Clone, Copy)]
pub struct Window {
    pub end: DateTime<Utc>,
    pub length: Duration,
    pub step: StdDuration,
}

/// Queries every metric of `config` for the canary and the baseline and judges them.
/// An unreachable Prometheus fails the whole analysis (never a pass); a rejected query
/// judges that metric as an error with the reason.
pub async fn analyze(
    prometheus: &dyn RangeSource,
    config: &AnalysisConfig,
    canary: &Side<'_>,
    baseline: &Side<'_>,
    window: Window,
) -> Result<Summary, MetricsError> {
    Ok(analyze_report(prometheus, config, canary, baseline, window)
        .await?
        .summary)
}

/// As [`analyze`], keeping what the console plots: each side's series, the PromQL that
/// ran and each metric's threshold.
pub async fn analyze_report(
    prometheus: &dyn RangeSource,
    config: &AnalysisConfig,
    canary: &Side<'_>,
    baseline: &Side<'_>,
    window: Window,
) -> Result<Report, MetricsError> {
    let start = window.end - window.length;
    let mut judged = Vec::with_capacity(config.metrics.len());
    let mut panels = Vec::with_capacity(config.metrics.len());
    for metric in &config.metrics {
        let queries = [metric.query_for(canary), metric.query_for(baseline)];
        let mut sides = Vec::with_capacity(2);
        for query in &queries {
            sides.push(
                prometheus
                    .range(query, start, window.end, window.step)
                    .await
                    .map_err(|e| tie(prometheus, &metric.name, e)),
            );
        }
        let baseline_series = sides.pop().expect("two sides");
        let canary_series = sides.pop().expect("two sides");
        let (j, panel) = judge_panel(metric, config, queries, canary_series, baseline_series)?;
        judged.push(j);
        panels.push(panel);
    }
    Ok(Report {
        summary: score(&judged, &config.groups, config.thresholds),
        panels,
        source: prometheus.describe(),
    })
}

/// One metric judged on each side's series (or why a side has none), with its panel. An
/// unreachable Prometheus fails the whole analysis; a rejected query judges the metric as
/// an error with the reason.
fn judge_panel(
    metric: &crate::analysis::config::MetricSpec,
    config: &AnalysisConfig,
    queries: [String; 2],
    canary: Result<Vec<Series>, MetricsError>,
    baseline: Result<Vec<Series>, MetricsError>,
) -> Result<(Judged, Panel), MetricsError> {
    let pooled = |s: &[Series]| -> Vec<f64> {
        s.iter()
            .flat_map(|s| s.points.iter().map(|p| p.1))
            .collect()
    };
    let plotted = |s: &[Series]| average(&s.iter().map(|s| s.points.clone()).collect::<Vec<_>>());
    let (judgement, canary_points, baseline_points) = match (canary, baseline) {
        (Ok(c), Ok(b)) => (
            judge_metric(
                &metric.name,
                &metric.rule,
                &pooled(&c),
                &pooled(&b),
                config.confidence,
            ),
            plotted(&c),
            plotted(&b),
        ),
        (Err(e @ MetricsError::Unreachable { .. }), _)
        | (_, Err(e @ MetricsError::Unreachable { .. })) => return Err(e),
        (Err(e), _) | (_, Err(e)) => {
            let mut j = judge_metric(&metric.name, &metric.rule, &[], &[], config.confidence);
            j.outcome = crate::analysis::judge::Outcome::Error;
            j.critical_failure = metric.rule.critical;
            j.reason = format!("{}: {e}", metric.name);
            (j, Vec::new(), Vec::new())
        }
    };
    let [canary_query, baseline_query] = queries;
    let panel = Panel {
        metric: metric.name.clone(),
        canary_query,
        baseline_query,
        canary: canary_points,
        baseline: baseline_points,
        threshold: threshold(&metric.rule, judgement.baseline_mean),
    };
    let judged = Judged {
        metric: metric.name.clone(),
        group: metric.group.clone(),
        critical: metric.rule.critical,
        judgement,
    };
    Ok((judged, panel))
}

/// One release of a batch: its two sides and the label whose values tell them apart.
#[derive(Debug, Clone)]
pub struct BatchItem<'a> {
    pub canary: Side<'a>,
    pub baseline: Side<'a>,
    pub label: &'a str,
    pub canary_value: &'a str,
    pub baseline_value: &'a str,
}

/// Judges every release of `items` with one query per metric and side label, however many
/// releases there are: each metric's template runs once over all their sides, grouped by
/// that label (and the namespace), and its series are split back per release. A template
/// that cannot be grouped (it uses `{{name}}`, or aggregates with a trailing `by`) falls
/// back to two queries per release. Results are in the order of `items`.
pub async fn analyze_batch(
    prometheus: &dyn RangeSource,
    config: &AnalysisConfig,
    items: &[BatchItem<'_>],
    window: Window,
) -> Vec<Result<Report, MetricsError>> {
    type Answer = Result<Vec<Series>, MetricsError>;
    let start = window.end - window.length;
    let mut sides: Vec<Vec<(Answer, Answer)>> = items.iter().map(|_| Vec::new()).collect();
    for metric in &config.metrics {
        let mut labels: Vec<&str> = items.iter().map(|i| i.label).collect();
        labels.sort_unstable();
        labels.dedup();
        for label in labels {
            let members: Vec<usize> = (0..items.len())
                .filter(|&i| items[i].label == label)
                .collect();
            let values: Vec<&str> = members
                .iter()
                .flat_map(|&i| [items[i].canary_value, items[i].baseline_value])
                .collect();
            let namespaces: Vec<&str> =
                members.iter().map(|&i| items[i].canary.namespace).collect();
            let by_namespace = metric.query.contains("{{namespace}}");
            let grouped = grouped_query(&metric.query, label, &values, &namespaces);
            if let Some(query) = grouped {
                let answer = prometheus
                    .range(&query, start, window.end, window.step)
                    .await
                    .map_err(|e| tie(prometheus, &metric.name, e));
                let pick = |value: &str, namespace: &str| -> Answer {
                    let all = answer.as_ref().map_err(Clone::clone)?;
                    Ok(all
                        .iter()
                        .filter(|s| s.label(label) == Some(value))
                        .filter(|s| !by_namespace || s.label("namespace") == Some(namespace))
                        .cloned()
                        .collect())
                };
                for &i in &members {
                    let it = &items[i];
                    let ns = it.canary.namespace;
                    sides[i].push((pick(it.canary_value, ns), pick(it.baseline_value, ns)));
                }
            } else {
                for &i in &members {
                    let it = &items[i];
                    let mut answers = Vec::with_capacity(2);
                    for side in [&it.canary, &it.baseline] {
                        answers.push(
                            prometheus
                                .range(&metric.query_for(side), start, window.end, window.step)
                                .await
                                .map_err(|e| tie(prometheus, &metric.name, e)),
                        );
                    }
                    let baseline = answers.pop().expect("two sides");
                    let canary = answers.pop().expect("two sides");
                    sides[i].push((canary, baseline));
                }
            }
        }
    }
    items
        .iter()
        .zip(sides)
        .map(|(it, answers)| {
            let mut judged = Vec::with_capacity(answers.len());
            let mut panels = Vec::with_capacity(answers.len());
            for (metric, (canary, baseline)) in config.metrics.iter().zip(answers) {
                // The panel shows each side's own query: what a user pastes to look at it.
                let queries = [metric.query_for(&it.canary), metric.query_for(&it.baseline)];
                let (j, panel) = judge_panel(metric, config, queries, canary, baseline)?;
                judged.push(j);
                panels.push(panel);
            }
            Ok(Report {
                summary: score(&judged, &config.groups, config.thresholds),
                panels,
                source: prometheus.describe(),
            })
        })
        .collect()
}

/// The aggregations a grouped query keeps each side apart in.
const AGGREGATIONS: [&str; 8] = [
    "sum", "avg", "min", "max", "count", "stddev", "stdvar", "group",
];

/// `template` for every side at once: `{{selector}}` becomes `label=~"v1|v2|..."`,
/// `namespace="{{namespace}}"` becomes `namespace=~"ns1|..."`, and every aggregation
/// keeps `label` (and `namespace`) apart. None when that cannot be done by rewriting:
/// `{{name}}` in the template, `{{namespace}}` other than as a matcher's whole value, or a
/// trailing `by`/`without` clause.
pub fn grouped_query(
    template: &str,
    label: &str,
    values: &[&str],
    namespaces: &[&str],
) -> Option<String> {
    use crate::analysis::config::SELECTOR;
    if template.contains("{{name}}") {
        return None;
    }
    let mut query = template.to_owned();
    let mut by = label.to_owned();
    if template.contains("{{namespace}}") {
        let whole = "=\"{{namespace}}\"";
        if template.matches("{{namespace}}").count() != template.matches(whole).count() {
            return None;
        }
        query = query.replace(whole, &format!("=~\"{}\"", alternation(namespaces)));
        by.push_str(", namespace");
    }
    query = query.replace(SELECTOR, &format!("{label}=~\"{}\"", alternation(values)));
    add_grouping(&query, &by)
}

/// Values as one anchored regex alternation inside a PromQL string: sorted, deduplicated,
/// regex metacharacters escaped (the backslash itself escaped for the string).
fn alternation(values: &[&str]) -> String {
    let mut values: Vec<&str> = values.to_vec();
    values.sort_unstable();
    values.dedup();
    let escape = |v: &str| {
        let mut out = String::with_capacity(v.len());
        for c in v.chars() {
            match c {
                '.' | '+' | '*' | '?' | '(' | ')' | '|' | '[' | ']' | '{' | '}' | '^' | '$'
                | '\\' => {
                    out.push_str("\\\\");
                    out.push(c);
                }
                '"' => out.push_str("\\\""),
                c => out.push(c),
            }
        }
        out
    };
    values.into_iter().map(escape).collect::<Vec<_>>().join("|")
}

/// `query` with `by` added to each aggregation: `sum(` becomes `sum by (by) (`, and
/// `sum by (le) (` becomes `sum by (le, by) (`; `without` keeps the labels anyway. None
/// for a trailing grouping clause (`sum(x) by (le)`), which this does not rewrite.
fn add_grouping(query: &str, by: &str) -> Option<String> {
    let squashed: String = query.split_whitespace().collect();
    if squashed.contains(")by(") || squashed.contains(")without(") {
        return None;
    }
    let b = query.as_bytes();
    let ident = |c: u8| c.is_ascii_alphanumeric() || c == b'_' || c == b':';
    let mut out = String::with_capacity(query.len() + 64);
    let mut copied = 0;
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            // String literals are copied as they are.
            q @ (b'"' | b'\'' | b'`') => {
                i += 1;
                while i < b.len() && b[i] != q {
                    if b[i] == b'\\' && q != b'`' {
                        i += 1;
                    }
                    i += 1;
                }
                i += 1;
            }
            c if ident(c) => {
                let start = i;
                while i < b.len() && ident(b[i]) {
                    i += 1;
                }
                if !AGGREGATIONS.contains(&&query[start..i]) {
                    continue;
                }
                let after = query[i..].trim_start();
                if after.starts_with('(') {
                    out.push_str(&query[copied..i]);
                    out.push_str(&format!(" by ({by}) "));
                    copied = i;
                } else if let Some(rest) = after.strip_prefix("by") {
                    let rest = rest.trim_start();
                    if !rest.starts_with('(') {
                        return None;
                    }
                    let open = query.len() - rest.len();
                    let close = open + query[open..].find(')')?;
                    out.push_str(&query[copied..close]);
                    if query[open + 1..close].trim().is_empty() {
                        out.push_str(by);
                    } else {
                        out.push_str(", ");
                        out.push_str(by);
                    }
                    copied = close;
                    i = close;
                }
            }
            _ => i += 1,
        }
    }
    out.push_str(&query[copied..]);
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_proxy_tells_prometheus_answers_from_the_apiservers() {
        let ok = br#"{"status":"success","data":{"resultType":"matrix","result":[{"metric":{},"values":[[10,"0.5"],[20,"1"]]}]}}"#;
        let data = proxy_answer(200, ok).expect("a result");
        assert_eq!(
            series_of(data.data()),
            vec![Series {
                points: vec![(10.0, 0.5), (20.0, 1.0)],
                labels: vec![],
            }]
        );
        let rejected =
            br#"{"status":"error","errorType":"bad_data","error":"parse error at char 3"}"#;
        match proxy_answer(400, rejected) {
            Err(QueryError::Rejected(why)) => assert!(why.contains("parse error"), "{why}"),
            other => panic!("{other:?}"),
        }
        let no_endpoints = br#"{"kind":"Status","apiVersion":"v1","status":"Failure","message":"no endpoints available for service \"prom\"","reason":"ServiceUnavailable","code":503}"#;
        match proxy_answer(503, no_endpoints) {
            Err(QueryError::Unreachable(why)) => assert_eq!(
                why,
                "the apiserver's proxy answered 503: no endpoints available for service \"prom\""
            ),
            other => panic!("{other:?}"),
        }
        match proxy_answer(502, b"Error trying to reach service: dial tcp: refused") {
            Err(QueryError::Unreachable(why)) => {
                assert!(why.ends_with("dial tcp: refused"), "{why}")
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn an_unreachable_prometheus_is_named_without_the_query_url() {
        let why = without_urls(
            "error sending request for url (http://127.0.0.1:1/api/v1/query_range?query=sum%28rate%28x%29%29&start=1): \
             client error (Connect): tcp connect error: Connection refused (os error 111)",
        );
        assert_eq!(
            why,
            "error sending request: client error (Connect): tcp connect error: \
             Connection refused (os error 111)"
        );
        let e = MetricsError::Unreachable {
            url: "http://127.0.0.1:1".into(),
            metric: "error ratio".into(),
            why,
        };
        let text = e.to_string();
        assert!(text.starts_with(
            "Prometheus at http://127.0.0.1:1 is unreachable (querying error ratio): "
        ));
        assert!(!text.contains("query_range"), "{text}");
    }

    #[test]
    fn the_shipped_templates_group_every_side_into_one_query() {
        let q = grouped_query(
            "sum(rate(x{namespace=\"{{namespace}}\", {{selector}}, code=~\"5..\"}[1m]))\n  / sum(rate(x{namespace=\"{{namespace}}\", {{selector}}}[1m]))",
            "pod_template_hash",
            &["b2", "a1", "b2"],
            &["shop", "shop"],
        )
        .expect("groupable");
        assert_eq!(
            q,
            "sum by (pod_template_hash, namespace) (rate(x{namespace=~\"shop\", pod_template_hash=~\"a1|b2\", code=~\"5..\"}[1m]))\n  / sum by (pod_template_hash, namespace) (rate(x{namespace=~\"shop\", pod_template_hash=~\"a1|b2\"}[1m]))"
        );
        let q = grouped_query(
            "histogram_quantile(0.99, sum by (le) (rate(h{ {{selector}} }[1m])))",
            "app",
            &["podinfo", "podinfo-primary"],
            &["a.b"],
        )
        .expect("groupable");
        assert_eq!(
            q,
            "histogram_quantile(0.99, sum by (le, app) (rate(h{ app=~\"podinfo|podinfo-primary\" }[1m])))"
        );
        let q = grouped_query(
            "count(count by (pod) (x{ {{selector}} }))",
            "app",
            &["web.v2"],
            &[],
        )
        .expect("groupable");
        assert_eq!(
            q,
            "count by (app) (count by (pod, app) (x{ app=~\"web\\\\.v2\" }))"
        );
        // What a rewrite cannot keep apart runs per release.
        assert_eq!(
            grouped_query("sum(x{ {{selector}} }) by (le)", "a", &["v"], &[]),
            None
        );
        assert_eq!(
            grouped_query("x{ {{selector}}, job=\"{{name}}\" }", "a", &["v"], &[]),
            None
        );
    }
}
