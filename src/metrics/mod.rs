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

/// One series of a range query: (unix seconds, value), oldest first.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Series {
    pub points: Vec<(f64, f64)>,
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
            })
            .collect(),
        Data::Vector(v) => v
            .iter()
            .map(|s| Series {
                points: vec![(s.sample().timestamp(), s.sample().value())],
            })
            .collect(),
        Data::Scalar(s) => vec![Series {
            points: vec![(s.timestamp(), s.value())],
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
        let pooled = |s: &[Series]| -> Vec<f64> {
            s.iter()
                .flat_map(|s| s.points.iter().map(|p| p.1))
                .collect()
        };
        let plotted =
            |s: &[Series]| average(&s.iter().map(|s| s.points.clone()).collect::<Vec<_>>());
        let (judgement, canary_points, baseline_points) = match (canary_series, baseline_series) {
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
        panels.push(Panel {
            metric: metric.name.clone(),
            canary_query,
            baseline_query,
            canary: canary_points,
            baseline: baseline_points,
            threshold: threshold(&metric.rule, judgement.baseline_mean),
        });
        judged.push(Judged {
            metric: metric.name.clone(),
            group: metric.group.clone(),
            critical: metric.rule.critical,
            judgement,
        });
    }
    Ok(Report {
        summary: score(&judged, &config.groups, config.thresholds),
        panels,
        source: prometheus.describe(),
    })
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
                points: vec![(10.0, 0.5), (20.0, 1.0)]
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
}
