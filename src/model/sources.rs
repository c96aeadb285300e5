//! What sources beside the cluster know about a release: metrics, feature flags and
//! findings. Each source sends its own kind, so one never overwrites another's.

use serde::Serialize;

/// Canary and baseline samples of one metric, newest last.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MetricSeries {
    pub name: String,
    pub canary: Vec<f64>,
    pub baseline: Vec<f64>,
}

/// What a metrics source measures for one release.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Metrics {
    pub series: Vec<MetricSeries>,
}

impl Metrics {
    /// No metrics: what a release no source has measured shows.
    pub const NONE: &'static Metrics = &Metrics { series: Vec::new() };
}

/// The feature flags a flag source ties to one release: flagd definitions, shown and
/// evaluated by `crate::flags`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Flags {
    pub flags: Vec<crate::flags::Flag>,
}

impl Flags {
    pub const NONE: &'static Flags = &Flags { flags: Vec::new() };
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Severity {
    Info,
    Warning,
    Critical,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Finding {
    pub severity: Severity,
    pub category: String,
    pub message: String,
}

/// What the checks found wrong with one release.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Findings {
    pub items: Vec<Finding>,
}

impl Findings {
    pub const NONE: &'static Findings = &Findings { items: Vec::new() };
}
