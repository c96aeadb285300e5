//! `config.toml`: the few settings that are not keys or colours.
//!
//! ```toml
//! theme = "light"
//! keymap = "k9s"
//! fps = 30
//! production_pattern = "*prod*"
//! pair_steps = [10, 25, 50, 75]
//! promote_ack = "high"
//!
//! [checks]                              # the security checks (console and `ripcord check`)
//! allowed_registries = ["ghcr.io/acme", "registry.example.com"]
//! promote_ack = "high"                  # the same setting as above, beside the checks'
//!
//! [contexts."kind-dev"]
//! read_only = true
//! prometheus = "http://prometheus.monitoring:9090"
//!
//! [contexts."prod".prometheus]        # or a table, for more than a URL
//! service = "monitoring/prometheus-k8s:9090"   # via the apiserver's service proxy
//! headers = { "X-Scope-OrgID" = "team-a" }
//! timeout = "15s"
//! ```

use std::collections::BTreeMap;
use std::path::Path;

use super::issues::{unknown, ConfigIssue};
use super::keymap::{looks_like_path, KEYMAP_NAMES};
use super::theme::THEME_NAMES;
use super::toml_tree::{Entry, Source, TomlNode};

/// Frames per second are clamped to this range; more only burns CPU.
pub const FPS_RANGE: std::ops::RangeInclusive<u32> = 1..=120;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    /// A built-in theme name or a file; `None` is the default theme.
    pub theme: Option<String>,
    /// A built-in keymap name or a file; `None` is the default keymap.
    pub keymap: Option<String>,
    pub fps: u32,
    /// Contexts whose name matches are production (see [`glob_match`]).
    pub production_pattern: String,
    /// Canary weights (percent, rising) that `promote` steps a canary pair through.
    pub pair_steps: Vec<u8>,
    /// A promote asks for an explicit acknowledgement of findings at or above this.
    pub promote_ack: crate::model::Severity,
    /// Registries (or registry/repository prefixes) images may come from; empty allows
    /// any. `[checks] allowed_registries`; `ripcord check --allow-registry` adds to it.
    pub allowed_registries: Vec<String>,
    pub contexts: BTreeMap<String, ContextSettings>,
}

/// Per-context settings, `[contexts."NAME"]`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ContextSettings {
    /// Never offer mutating actions in this context.
    pub read_only: bool,
    /// Overrides `production_pattern` for this context.
    pub production: Option<bool>,
    /// Namespaces to watch when the user may not list namespaces (besides the
    /// kubeconfig context's own).
    pub namespaces: Vec<String>,
    /// The Prometheus that `analyze`, `gate` and the console query for this context's releases.
    pub prometheus: Option<PrometheusSettings>,
}

/// How ripcord reaches a context's Prometheus.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrometheusSettings {
    pub target: PrometheusTarget,
    /// A file holding a bearer token, read at each connection (tokens rotate).
    pub bearer_token_file: Option<std::path::PathBuf>,
    /// Extra request headers, such as a tenant header.
    pub headers: Vec<(String, String)>,
    /// A PEM file of CAs to trust instead of the system's.
    pub ca_file: Option<std::path::PathBuf>,
    pub insecure_skip_tls_verify: bool,
    /// The deadline of one query.
    pub timeout: std::time::Duration,
}

/// Where a context's Prometheus answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PrometheusTarget {
    Url(String),
    /// An in-cluster Service reached through the apiserver's service proxy with the
    /// kubeconfig's credentials: no port-forward needed.
    Service {
        namespace: String,
        name: String,
        /// A port number or name.
        port: String,
    },
}

/// The deadline of one Prometheus query unless `timeout` says otherwise.
pub const DEFAULT_PROMETHEUS_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

impl PrometheusSettings {
    pub fn url(url: &str) -> Self {
        PrometheusSettings {
            target: PrometheusTarget::Url(url.to_owned()),
            bearer_token_file: None,
            headers: Vec::new(),
            ca_file: None,
            insecure_skip_tls_verify: false,
            timeout: DEFAULT_PROMETHEUS_TIMEOUT,
        }
    }
}

impl PrometheusTarget {
    /// `NS/NAME:PORT`, as `service` is written.
    pub fn parse_service(text: &str) -> Option<PrometheusTarget> {
        let (namespace, rest) = text.split_once('/')?;
        let (name, port) = rest.split_once(':')?;
        let dns_label = |s: &str| {
            !s.is_empty()
                && s.len() <= 63
                && s.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
                && !s.starts_with('-')
                && !s.ends_with('-')
        };
        (dns_label(namespace) && dns_label(name) && dns_label(port)).then(|| {
            PrometheusTarget::Service {
                namespace: namespace.to_owned(),
                name: name.to_owned(),
                port: port.to_owned(),
            }
        })
    }
}

impl std::fmt::Display for PrometheusTarget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PrometheusTarget::Url(url) => f.write_str(url),
            PrometheusTarget::Service {
                namespace,
                name,
                port,
            } => write!(f, "service {namespace}/{name}:{port}"),
        }
    }
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            theme: None,
            keymap: None,
            fps: 30,
            production_pattern: "prod".to_string(),
            pair_steps: crate::model::ops::DEFAULT_PAIR_STEPS.to_vec(),
            promote_ack: crate::model::Severity::High,
            allowed_registries: Vec::new(),
            contexts: BTreeMap::new(),
        }
    }
}

const KEYS: [&str; 8] = [
    "theme",
    "keymap",
    "fps",
    "production_pattern",
    "pair_steps",
    "promote_ack",
    "checks",
    "contexts",
];

impl Settings {
    /// Reads config.toml. Each bad setting is reported and left at its
    /// default; a file that is not valid TOML gives the defaults.
    pub fn load(path: &Path, contents: &str) -> (Settings, Vec<ConfigIssue>) {
        let file = path.display().to_string();
        let source = Source {
            file: &file,
            text: contents,
        };
        let mut settings = Settings::default();
        let mut issues = Vec::new();
        let entries = match source.parse() {
            Ok(entries) => entries,
            Err(issue) => return (settings, vec![issue]),
        };
        for entry in &entries {
            match entry.key.as_str() {
                "theme" => {
                    settings.theme = name_or_path(source, entry, "theme", &THEME_NAMES, &mut issues)
                }
                "keymap" => {
                    settings.keymap =
                        name_or_path(source, entry, "keymap", &KEYMAP_NAMES, &mut issues)
                }
                "fps" => match entry.value {
                    TomlNode::Int(n) => {
                        match u32::try_from(n).ok().filter(|n| FPS_RANGE.contains(n)) {
                            Some(n) => settings.fps = n,
                            None => issues.push(source.issue(
                                entry.span.clone(),
                                format!("fps {n} is out of range"),
                                fps_expected(),
                            )),
                        }
                    }
                    _ => issues.push(source.wrong_type(entry, "an integer", &fps_expected())),
                },
                "production_pattern" => match &entry.value {
                    TomlNode::Str(p) if !p.trim().is_empty() => {
                        settings.production_pattern = p.clone()
                    }
                    TomlNode::Str(_) => issues.push(source.issue(
                        entry.span.clone(),
                        "production_pattern is empty",
                        "a context name fragment like \"prod\", `*` allowed",
                    )),
                    _ => issues.push(source.wrong_type(
                        entry,
                        "a string",
                        "a context name fragment like \"prod\", `*` allowed",
                    )),
                },
                "pair_steps" => {
                    if let Some(steps) = parse_pair_steps(source, entry, &mut issues) {
                        settings.pair_steps = steps;
                    }
                }
                "promote_ack" => {
                    if let Some(s) = parse_severity(source, entry, &mut issues) {
                        settings.promote_ack = s;
                    }
                }
                "checks" => parse_checks(source, entry, &mut settings, &mut issues),
                "contexts" => parse_contexts(source, entry, &mut settings.contexts, &mut issues),
                other => issues.push(source.issue(
                    entry.span.clone(),
                    unknown("setting", other, &KEYS),
                    format!("one of {}", KEYS.join(", ")),
                )),
            }
        }
        (settings, issues)
    }

    /// Whether a context counts as production: its own `production` setting,
    /// else `production_pattern`.
    pub fn is_production(&self, context: &str) -> bool {
        match self.contexts.get(context).and_then(|c| c.production) {
            Some(explicit) => explicit,
            None => glob_match(&self.production_pattern, context),
        }
    }

    /// Namespaces configured for a context, for users who may not list namespaces.
    pub fn namespaces(&self, context: &str) -> &[String] {
        self.contexts
            .get(context)
            .map(|c| c.namespaces.as_slice())
            .unwrap_or_default()
    }

    /// How to reach the Prometheus configured for a context.
    pub fn prometheus(&self, context: &str) -> Option<&PrometheusSettings> {
        self.contexts.get(context)?.prometheus.as_ref()
    }

    /// Whether a context was marked `read_only` in config.toml.
    pub fn is_read_only(&self, context: &str) -> bool {
        self.contexts.get(context).is_some_and(|c| c.read_only)
    }
}

fn fps_expected() -> String {
    format!(
        "an integer from {} to {}",
        FPS_RANGE.start(),
        FPS_RANGE.end()
    )
}

/// A theme or keymap setting: a built-in name, or something that looks like
/// a file (checked when it is loaded).
fn name_or_path(
    source: Source<'_>,
    entry: &Entry,
    what: &str,
    names: &[&str],
    issues: &mut Vec<ConfigIssue>,
) -> Option<String> {
    let expected = format!("one of {}, or a path to a .toml file", names.join(", "));
    match &entry.value {
        TomlNode::Str(v) if names.contains(&v.as_str()) || looks_like_path(v) => Some(v.clone()),
        TomlNode::Str(v) => {
            issues.push(source.issue(entry.span.clone(), unknown(what, v, names), expected));
            None
        }
        _ => {
            issues.push(source.wrong_type(entry, "a string", &expected));
            None
        }
    }
}

/// `pair_steps = [10, 25, 50, 75]`: rising weights from 1 to 99 (100 is `promote --full`).
fn parse_pair_steps(
    source: Source<'_>,
    entry: &Entry,
    issues: &mut Vec<ConfigIssue>,
) -> Option<Vec<u8>> {
    const EXPECTED: &str = "rising canary weights from 1 to 99, like pair_steps = [10, 25, 50, 75]";
    let TomlNode::Array(items) = &entry.value else {
        issues.push(source.wrong_type(entry, "an array of integers", EXPECTED));
        return None;
    };
    if items.is_empty() {
        issues.push(source.issue(entry.span.clone(), "pair_steps is empty", EXPECTED));
        return None;
    }
    let mut steps: Vec<u8> = Vec::new();
    for item in items {
        let problem = match item.get_ref() {
            TomlNode::Int(n) => match u8::try_from(*n).ok().filter(|w| (1..=99).contains(w)) {
                None => Some(format!("pair step {n} is out of range")),
                Some(w) if steps.last().is_some_and(|&prev| w <= prev) => Some(format!(
                    "pair step {w} does not rise above the one before it"
                )),
                Some(w) => {
                    steps.push(w);
                    None
                }
            },
            other => Some(format!(
                "a pair step must be an integer, not {}",
                other.kind()
            )),
        };
        if let Some(problem) = problem {
            issues.push(source.issue(item.span(), problem, EXPECTED));
            return None;
        }
    }
    Some(steps)
}

fn parse_severity(
    source: Source<'_>,
    entry: &Entry,
    issues: &mut Vec<ConfigIssue>,
) -> Option<crate::model::Severity> {
    let expected = "critical, high, medium or low";
    match &entry.value {
        TomlNode::Str(v) => {
            let s = crate::model::Severity::parse(v);
            if s.is_none() {
                issues.push(source.issue(
                    entry.span.clone(),
                    format!("{} {v:?} is not a severity", entry.key),
                    expected,
                ));
            }
            s
        }
        _ => {
            issues.push(source.wrong_type(entry, "a string", expected));
            None
        }
    }
}

const CHECKS_KEYS: [&str; 2] = ["allowed_registries", "promote_ack"];

/// `[checks]`: the registries images may come from, and the promote acknowledgement.
fn parse_checks(
    source: Source<'_>,
    entry: &Entry,
    settings: &mut Settings,
    issues: &mut Vec<ConfigIssue>,
) {
    const REGISTRIES: &str = "allowed_registries = [\"ghcr.io/acme\", \"registry.example.com\"]";
    let TomlNode::Table(fields) = &entry.value else {
        issues.push(source.wrong_type(entry, "a table", "[checks] with allowed_registries"));
        return;
    };
    for field in fields {
        match (field.key.as_str(), &field.value) {
            ("promote_ack", _) => {
                if let Some(s) = parse_severity(source, field, issues) {
                    settings.promote_ack = s;
                }
            }
            ("allowed_registries", TomlNode::Array(items)) => {
                let mut registries = Vec::new();
                for item in items {
                    let problem = match item.get_ref() {
                        TomlNode::Str(r) => registry_problem(r),
                        other => Some(format!("a registry must be a string, not {}", other.kind())),
                    };
                    match (problem, item.get_ref()) {
                        (Some(problem), _) => {
                            issues.push(source.issue(item.span(), problem, REGISTRIES))
                        }
                        (None, TomlNode::Str(r)) => {
                            registries.push(r.trim_end_matches('/').to_owned())
                        }
                        (None, _) => {}
                    }
                }
                settings.allowed_registries = registries;
            }
            ("allowed_registries", _) => {
                issues.push(source.wrong_type(field, "an array of strings", REGISTRIES))
            }
            (other, _) => issues.push(source.issue(
                field.span.clone(),
                unknown("checks setting", other, &CHECKS_KEYS),
                CHECKS_KEYS.join(" or "),
            )),
        }
    }
}

/// Why `text` cannot be a registry or registry/repository prefix, if it cannot.
fn registry_problem(text: &str) -> Option<String> {
    if text.trim().is_empty() {
        return Some("a registry is empty".to_owned());
    }
    if text.contains("://") {
        return Some(format!(
            "registry {text:?} is a URL: write the host (and path), like ghcr.io/acme"
        ));
    }
    if text.chars().any(|c| c.is_whitespace() || c == '@') || text.contains(':') && !host_port(text)
    {
        return Some(format!(
            "registry {text:?} is not a registry host or repository prefix"
        ));
    }
    None
}

/// `host:port` (and a path after it): the one place a registry holds a colon.
fn host_port(text: &str) -> bool {
    let host = text.split('/').next().unwrap_or(text);
    match host.split_once(':') {
        Some((h, port)) => {
            !h.is_empty()
                && !port.is_empty()
                && port.bytes().all(|b| b.is_ascii_digit())
                && !text[host.len()..].contains(':')
        }
        None => false,
    }
}

fn parse_contexts(
    source: Source<'_>,
    entry: &Entry,
    contexts: &mut BTreeMap<String, ContextSettings>,
    issues: &mut Vec<ConfigIssue>,
) {
    const EXPECTED: &str = "[contexts.\"NAME\"] with read_only = true";
    let TomlNode::Table(tables) = &entry.value else {
        issues.push(source.wrong_type(entry, "a table", EXPECTED));
        return;
    };
    for context in tables {
        let TomlNode::Table(fields) = &context.value else {
            issues.push(source.wrong_type(context, "a table", EXPECTED));
            continue;
        };
        let mut settings = ContextSettings::default();
        for field in fields {
            match (field.key.as_str(), &field.value) {
                ("read_only", TomlNode::Bool(b)) => settings.read_only = *b,
                ("production", TomlNode::Bool(b)) => settings.production = Some(*b),
                ("read_only" | "production", _) => {
                    issues.push(source.wrong_type(field, "true or false", "read_only = true"))
                }
                ("namespaces", TomlNode::Array(items)) => {
                    for item in items {
                        match item.get_ref() {
                            TomlNode::Str(ns) if !ns.is_empty() => {
                                settings.namespaces.push(ns.clone())
                            }
                            _ => issues.push(source.issue(
                                item.span(),
                                "a namespace must be a non-empty string",
                                "namespaces = [\"team-a\"]",
                            )),
                        }
                    }
                }
                ("namespaces", _) => issues.push(source.wrong_type(
                    field,
                    "an array of strings",
                    "namespaces = [\"team-a\"]",
                )),
                ("prometheus", TomlNode::Str(url)) if is_http_url(url) => {
                    settings.prometheus = Some(PrometheusSettings::url(url))
                }
                ("prometheus", TomlNode::Table(fields)) => {
                    settings.prometheus = parse_prometheus(source, field, fields, issues)
                }
                ("prometheus", _) => issues.push(source.issue(
                    field.span.clone(),
                    "prometheus must be an http:// or https:// URL, or a table",
                    "prometheus = \"http://prometheus.monitoring:9090\"",
                )),
                (other, _) => issues.push(source.issue(
                    field.span.clone(),
                    unknown(
                        "context setting",
                        other,
                        &["read_only", "production", "namespaces", "prometheus"],
                    ),
                    "read_only, production, namespaces or prometheus",
                )),
            }
        }
        contexts.insert(context.key.clone(), settings);
    }
}

fn is_http_url(url: &str) -> bool {
    url.starts_with("http://") || url.starts_with("https://")
}

const PROMETHEUS_KEYS: [&str; 7] = [
    "url",
    "service",
    "bearer_token_file",
    "headers",
    "ca_file",
    "insecure_skip_tls_verify",
    "timeout",
];

/// `[contexts."NAME".prometheus]`: a `url` or a `service`, and how to talk to it.
fn parse_prometheus(
    source: Source<'_>,
    table: &Entry,
    fields: &[Entry],
    issues: &mut Vec<ConfigIssue>,
) -> Option<PrometheusSettings> {
    const TARGET: &str =
        "url = \"https://prometheus.example.com\" or service = \"monitoring/prometheus:9090\"";
    let before = issues.len();
    let mut target = None;
    let mut p = PrometheusSettings::url("");
    let path = |field: &Entry, issues: &mut Vec<ConfigIssue>| match &field.value {
        TomlNode::Str(f) if !f.trim().is_empty() => Some(std::path::PathBuf::from(f)),
        _ => {
            issues.push(source.wrong_type(field, "a file path", "a path to a PEM or token file"));
            None
        }
    };
    for field in fields {
        match (field.key.as_str(), &field.value) {
            ("url" | "service", _) if target.is_some() => issues.push(source.issue(
                field.span.clone(),
                "prometheus has both a url and a service",
                format!("one of {TARGET}"),
            )),
            ("url", TomlNode::Str(url)) if is_http_url(url) => {
                target = Some(PrometheusTarget::Url(url.clone()))
            }
            ("url", _) => issues.push(source.issue(
                field.span.clone(),
                "url must be an http:// or https:// URL",
                "url = \"https://prometheus.example.com\"",
            )),
            ("service", TomlNode::Str(s)) if PrometheusTarget::parse_service(s).is_some() => {
                target = PrometheusTarget::parse_service(s)
            }
            ("service", _) => issues.push(source.issue(
                field.span.clone(),
                "service must be NAMESPACE/NAME:PORT (a port number or name)",
                "service = \"monitoring/prometheus-k8s:9090\"",
            )),
            ("bearer_token_file", _) => p.bearer_token_file = path(field, issues),
            ("ca_file", _) => p.ca_file = path(field, issues),
            ("insecure_skip_tls_verify", TomlNode::Bool(b)) => p.insecure_skip_tls_verify = *b,
            ("insecure_skip_tls_verify", _) => issues.push(source.wrong_type(
                field,
                "true or false",
                "insecure_skip_tls_verify = true",
            )),
            ("timeout", TomlNode::Str(t)) => match crate::gate::parse_duration(t) {
                Ok(d) if !d.is_zero() => p.timeout = d,
                Ok(_) => issues.push(source.issue(
                    field.span.clone(),
                    "timeout must be longer than 0",
                    "timeout = \"10s\"",
                )),
                Err(why) => issues.push(source.issue(field.span.clone(), why, "timeout = \"10s\"")),
            },
            ("timeout", _) => {
                issues.push(source.wrong_type(field, "a duration", "timeout = \"10s\""))
            }
            ("headers", TomlNode::Table(headers)) => {
                for h in headers {
                    match &h.value {
                        TomlNode::Str(v) if header_ok(&h.key, v) => {
                            p.headers.push((h.key.clone(), v.clone()))
                        }
                        _ => issues.push(source.issue(
                            h.span.clone(),
                            format!("header {:?} needs a valid name and a string value", h.key),
                            "headers = { \"X-Scope-OrgID\" = \"team-a\" }",
                        )),
                    }
                }
            }
            ("headers", _) => issues.push(source.wrong_type(
                field,
                "a table",
                "headers = { \"X-Scope-OrgID\" = \"team-a\" }",
            )),
            (other, _) => issues.push(source.issue(
                field.span.clone(),
                unknown("prometheus setting", other, &PROMETHEUS_KEYS),
                format!("one of {}", PROMETHEUS_KEYS.join(", ")),
            )),
        }
    }
    let Some(target) = target else {
        if issues.len() == before {
            issues.push(source.issue(
                table.span.clone(),
                "prometheus has no url or service",
                TARGET,
            ));
        }
        return None;
    };
    // Through the service proxy the apiserver takes the kubeconfig's credentials and TLS.
    if matches!(target, PrometheusTarget::Service { .. }) {
        for field in fields {
            if matches!(
                field.key.as_str(),
                "bearer_token_file" | "ca_file" | "insecure_skip_tls_verify"
            ) {
                issues.push(source.issue(
                    field.span.clone(),
                    format!(
                        "{} does not apply to a service: the apiserver's proxy uses the \
                         kubeconfig's credentials and TLS",
                        field.key
                    ),
                    "headers and timeout only, with a service",
                ));
            }
        }
    }
    if p.insecure_skip_tls_verify && p.ca_file.is_some() {
        issues.push(source.issue(
            table.span.clone(),
            "prometheus has both ca_file and insecure_skip_tls_verify",
            "one of them",
        ));
    }
    p.target = target;
    (issues.len() == before).then_some(p)
}

/// A header name of token characters and a value with no control characters.
fn header_ok(name: &str, value: &str) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
        && value
            .bytes()
            .all(|b| b == b'\t' || (0x20..0x7f).contains(&b))
}

/// Case-insensitive match of a context name. Without `*` the pattern is a
/// substring ("prod" matches "eu-prod-1"); with `*` it must match the whole
/// name, `*` standing for any run of characters.
pub fn glob_match(pattern: &str, text: &str) -> bool {
    let pattern = pattern.to_lowercase();
    let text = text.to_lowercase();
    if !pattern.contains('*') {
        return text.contains(&pattern);
    }
    let parts: Vec<&str> = pattern.split('*').collect();
    let (first, rest) = match parts.split_first() {
        Some(split) => split,
        None => return true,
    };
    let Some(mut remaining) = text.strip_prefix(first) else {
        return false;
    };
    let Some((last, middle)) = rest.split_last() else {
        return remaining.is_empty();
    };
    for part in middle {
        match remaining.find(part) {
            Some(at) => remaining = &remaining[at + part.len()..],
            None => return false,
        }
    }
    remaining.len() >= last.len() && remaining.ends_with(last)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prometheus_per_context() {
        let text = "[contexts.\"a\"]\nprometheus = \"http://p:9090\"\n[contexts.\"b\"]\nprometheus = \"p:9090\"\n";
        let (s, issues) = Settings::load(Path::new("config.toml"), text);
        assert_eq!(
            s.prometheus("a"),
            Some(&PrometheusSettings::url("http://p:9090"))
        );
        assert_eq!(s.prometheus("b"), None);
        assert_eq!(issues.len(), 1, "{issues:?}");
        assert!(
            issues[0].to_string().contains("config.toml:4"),
            "{}",
            issues[0]
        );
    }

    #[test]
    fn prometheus_as_a_table_reaches_a_url_or_a_service() {
        let text = "[contexts.\"a\".prometheus]\nurl = \"https://p:9090\"\nbearer_token_file = \"/t\"\n\
                    headers = { \"X-Scope-OrgID\" = \"team-a\" }\nca_file = \"/ca.pem\"\ntimeout = \"3s\"\n\
                    [contexts.\"b\".prometheus]\nservice = \"monitoring/prometheus-k8s:web\"\n";
        let (s, issues) = Settings::load(Path::new("config.toml"), text);
        assert!(issues.is_empty(), "{issues:?}");
        let a = s.prometheus("a").expect("a");
        assert_eq!(a.target, PrometheusTarget::Url("https://p:9090".into()));
        assert_eq!(a.bearer_token_file.as_deref(), Some(Path::new("/t")));
        assert_eq!(a.headers, vec![("X-Scope-OrgID".into(), "team-a".into())]);
        assert_eq!(a.ca_file.as_deref(), Some(Path::new("/ca.pem")));
        assert_eq!(a.timeout, std::time::Duration::from_secs(3));
        let b = s.prometheus("b").expect("b");
        assert_eq!(
            b.target,
            PrometheusTarget::Service {
                namespace: "monitoring".into(),
                name: "prometheus-k8s".into(),
                port: "web".into()
            }
        );
        assert_eq!(b.timeout, DEFAULT_PROMETHEUS_TIMEOUT);
    }

    #[test]
    fn bad_prometheus_tables_are_reported_on_their_line() {
        for (body, problem, line) in [
            ("url = \"p:9090\"", "url must be an http", 2),
            ("service = \"prometheus:9090\"", "NAMESPACE/NAME:PORT", 2),
            (
                "service = \"m/p:9090\"\nurl = \"http://p\"",
                "both a url and a service",
                3,
            ),
            (
                "service = \"m/p:9090\"\nca_file = \"/ca\"",
                "does not apply to a service",
                3,
            ),
            ("url = \"http://p\"\ntimeout = \"0s\"", "longer than 0", 3),
            ("url = \"http://p\"\ntimeout = \"soon\"", "bad duration", 3),
            (
                "url = \"http://p\"\nheaders = { \"a b\" = \"x\" }",
                "valid name",
                3,
            ),
            (
                "url = \"http://p\"\nverify = true",
                "unknown prometheus setting",
                3,
            ),
            ("timeout = \"5s\"", "no url or service", 1),
            (
                "url = \"https://p\"\nca_file = \"/ca\"\ninsecure_skip_tls_verify = true",
                "both ca_file and insecure",
                1,
            ),
        ] {
            let text = format!("[contexts.\"a\".prometheus]\n{body}\n");
            let (s, issues) = Settings::load(Path::new("config.toml"), &text);
            assert_eq!(s.prometheus("a"), None, "{body}");
            let issue = issues.first().unwrap_or_else(|| panic!("{body}: no issue"));
            assert!(issue.to_string().contains(problem), "{body}: {issue}");
            assert_eq!(issue.line, Some(line), "{body}: {issue}");
        }
    }

    #[test]
    fn globs() {
        assert!(glob_match("prod", "eu-PROD-1"));
        assert!(!glob_match("prod", "staging"));
        assert!(glob_match("*-prod", "eu-prod"));
        assert!(!glob_match("*-prod", "eu-prod-1"));
        assert!(glob_match("gke_*_prod*", "gke_acme_prod-eu"));
        assert!(glob_match("*", "anything"));
        assert!(glob_match("a*a", "aa"));
        assert!(!glob_match("a*a", "a"));
        assert!(!glob_match("ab*ba", "aba"));
    }

    #[test]
    fn pair_steps_are_read_and_checked_with_their_line() {
        let path = Path::new("config.toml");
        let (s, issues) = Settings::load(path, "fps = 30\npair_steps = [5, 20, 60]\n");
        assert!(issues.is_empty(), "{issues:?}");
        assert_eq!(s.pair_steps, vec![5, 20, 60]);
        assert_eq!(Settings::default().pair_steps, vec![10, 25, 50, 75]);
        for (text, problem) in [
            ("pair_steps = [10, 0]", "out of range"),
            ("pair_steps = [10, 100]", "out of range"),
            ("pair_steps = [50, 25]", "does not rise"),
            ("pair_steps = [10, \"x\"]", "must be an integer"),
            ("pair_steps = []", "empty"),
            ("pair_steps = 10", "an array of integers"),
        ] {
            let (s, issues) = Settings::load(path, &format!("theme = \"light\"\n{text}\n"));
            assert_eq!(s.pair_steps, vec![10, 25, 50, 75], "{text}: defaults kept");
            let issue = issues.first().unwrap_or_else(|| panic!("{text}: no issue"));
            assert_eq!(issue.line, Some(2), "{text}: {issue:?}");
            assert!(
                issue.problem.contains(problem) || issue.to_string().contains(problem),
                "{text}: {issue}"
            );
        }
    }
}
