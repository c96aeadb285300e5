//! Prometheus IO for the canary judge: range queries for each side of a release, with a
//! deadline on every call and errors typed by what the caller must do (an unreachable
//! Prometheus is never a pass). The judging itself is pure, in `analysis`.

use crate::analysis::config::{AnalysisConfig, Side};
use crate::analysis::judge::judge_metric;
use crate::analysis::score::{score, Judged, Summary};
use crate::model::text::error_chain;
use chrono::{DateTime, Duration, Utc};
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

/// One Prometheus, with the deadline for each call.
#[derive(Clone)]
pub struct Prometheus {
    client: Client,
    url: String,
    timeout: StdDuration,
}

impl Prometheus {
    pub fn new(url: &str, timeout: StdDuration) -> Result<Self, MetricsError> {
        let client = Client::try_from(url).map_err(|e| MetricsError::BadUrl {
            url: url.to_owned(),
            why: e.to_string(),
        })?;
        Ok(Prometheus {
            client,
            url: url.to_owned(),
            timeout,
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
        let request = self
            .client
            .query_range(
                query,
                start.timestamp(),
                end.timestamp(),
                step.as_secs_f64().max(1.0),
            )
            .get();
        let result = tokio::time::timeout(self.timeout, request)
            .await
            .map_err(|_| MetricsError::Unreachable {
                url: self.url.clone(),
                metric: metric.to_owned(),
                why: format!("no answer within {}s", self.timeout.as_secs_f64()),
            })?
            .map_err(|e| match e {
                prometheus_http_query::Error::Prometheus(p) => MetricsError::Rejected {
                    metric: metric.to_owned(),
                    why: p.to_string(),
                },
                other => MetricsError::Unreachable {
                    url: self.url.clone(),
                    metric: metric.to_owned(),
                    why: without_urls(&error_chain(&other)),
                },
            })?;
        let samples = match result.data() {
            prometheus_http_query::response::Data::Matrix(series) => series
                .iter()
                .flat_map(|s| s.samples().iter().map(|v| v.value()))
                .collect(),
            prometheus_http_query::response::Data::Vector(v) => {
                v.iter().map(|s| s.sample().value()).collect()
            }
            prometheus_http_query::response::Data::Scalar(s) => vec![s.value()],
        };
        Ok(samples)
    }
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
    prometheus: &Prometheus,
    config: &AnalysisConfig,
    canary: &Side<'_>,
    baseline: &Side<'_>,
    window: Window,
) -> Result<Summary, MetricsError> {
    let start = window.end - window.length;
    let mut judged = Vec::with_capacity(config.metrics.len());
    for metric in &config.metrics {
        let mut sides = Vec::with_capacity(2);
        for side in [canary, baseline] {
            let query = metric.query_for(side);
            sides.push(
                prometheus
                    .samples(&metric.name, &query, start, window.end, window.step)
                    .await,
            );
        }
        let baseline_samples = sides.pop().expect("two sides");
        let canary_samples = sides.pop().expect("two sides");
        let judgement = match (canary_samples, baseline_samples) {
            (Ok(c), Ok(b)) => judge_metric(&metric.name, &metric.rule, &c, &b, config.confidence),
            (Err(e @ MetricsError::Unreachable { .. }), _)
            | (_, Err(e @ MetricsError::Unreachable { .. })) => return Err(e),
            (Err(e), _) | (_, Err(e)) => {
                let mut j = judge_metric(&metric.name, &metric.rule, &[], &[], config.confidence);
                j.outcome = crate::analysis::judge::Outcome::Error;
                j.critical_failure = metric.rule.critical;
                j.reason = format!("{}: {e}", metric.name);
                j
            }
        };
        judged.push(Judged {
            metric: metric.name.clone(),
            group: metric.group.clone(),
            critical: metric.rule.critical,
            judgement,
        });
    }
    Ok(score(&judged, &config.groups, config.thresholds))
}

#[cfg(test)]
mod tests {
    use super::*;

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
