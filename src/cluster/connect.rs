//! kubeconfig the way kubectl reads it, and one client per context.

use crate::model::text::error_chain;
use kube::config::{KubeConfigOptions, Kubeconfig};
use kube::{Client, Config};
use std::path::PathBuf;
use std::time::Duration;

/// How long to wait for a TCP/TLS connection before calling a cluster unreachable.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

#[derive(Debug, Clone, Default)]
pub struct ConnectOptions {
    /// `--kubeconfig`; otherwise `KUBECONFIG` (several files merged) or `~/.kube/config`.
    pub kubeconfig: Option<PathBuf>,
    /// `--context`, repeatable; empty means the current context.
    pub contexts: Vec<String>,
}

/// A connected context.
#[derive(Clone)]
pub struct Cluster {
    pub context: String,
    pub client: Client,
    /// The kubeconfig user, recorded in the journal.
    pub user: String,
    /// The context's default namespace.
    pub namespace: String,
}

#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    #[error("reading kubeconfig: {0}")]
    Kubeconfig(String),
    #[error("context {context:?} not found in kubeconfig (known: {known})")]
    UnknownContext { context: String, known: String },
    #[error("context {context}: {problem}")]
    Client { context: String, problem: String },
}

/// The kubeconfig files to read, as kubectl picks them: `--kubeconfig`, else every file in
/// `KUBECONFIG`, else `~/.kube/config`.
fn kubeconfig_paths(opts: &ConnectOptions) -> Result<Vec<PathBuf>, ConnectError> {
    if let Some(path) = &opts.kubeconfig {
        return Ok(vec![path.clone()]);
    }
    if let Some(value) = std::env::var_os("KUBECONFIG") {
        let paths: Vec<PathBuf> = std::env::split_paths(&value)
            .filter(|p| !p.as_os_str().is_empty())
            .collect();
        if !paths.is_empty() {
            return Ok(paths);
        }
    }
    match std::env::var_os("HOME") {
        Some(home) if !home.is_empty() => Ok(vec![PathBuf::from(home).join(".kube/config")]),
        _ => Err(ConnectError::Kubeconfig(
            "no kubeconfig: set KUBECONFIG or pass --kubeconfig".into(),
        )),
    }
}

fn read_kubeconfig(opts: &ConnectOptions) -> Result<Kubeconfig, ConnectError> {
    let mut merged: Option<Kubeconfig> = None;
    for path in kubeconfig_paths(opts)? {
        let shown = crate::model::text::inert_owned(&path.display().to_string());
        if !path.exists() {
            return Err(ConnectError::Kubeconfig(format!(
                "{shown}: no such file (set KUBECONFIG or pass --kubeconfig)"
            )));
        }
        // kube's own reader resolves relative certificate and token paths.
        let config = Kubeconfig::read_from(&path).map_err(|e| {
            let why = match &e {
                kube::config::KubeconfigError::ReadConfig(io, _) => io.to_string(),
                other => other.to_string(),
            };
            ConnectError::Kubeconfig(format!("{shown}: {}", inert_lines(&why)))
        })?;
        merged = Some(match merged {
            None => config,
            Some(m) => m
                .merge(config)
                .map_err(|e| ConnectError::Kubeconfig(format!("{shown}: {e}")))?,
        });
    }
    Ok(merged.unwrap_or_default())
}

/// Multi-line text (a parser's error with its pointer lines) kept as lines, each made inert.
fn inert_lines(text: &str) -> String {
    text.lines()
        .map(crate::model::text::inert)
        .collect::<Vec<_>>()
        .join("\n")
}

/// The exec plugin a context's user runs for credentials, if any.
fn exec_command(kubeconfig: &Kubeconfig, user: Option<&str>) -> Option<String> {
    let user = user?;
    kubeconfig
        .auth_infos
        .iter()
        .find(|a| a.name == user)?
        .auth_info
        .as_ref()?
        .exec
        .as_ref()?
        .command
        .clone()
}

/// Picks the TLS crypto provider once per process: ring, the only one linked in (the
/// Prometheus client's rustls has none of its own and uses this one).
pub fn install_crypto_provider() {
    // An error means one is already installed, which is all we need.
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// One context's client config, for a client of its own (Prometheus through the apiserver's
/// service proxy, which must not retry the 503 of a Prometheus that is down).
pub async fn context_config(opts: &ConnectOptions, context: &str) -> Result<Config, ConnectError> {
    install_crypto_provider();
    let options = KubeConfigOptions {
        context: Some(context.to_owned()),
        ..Default::default()
    };
    let mut config = Config::from_custom_kubeconfig(read_kubeconfig(opts)?, &options)
        .await
        .map_err(|e| ConnectError::Client {
            context: context.to_owned(),
            problem: error_chain(&e),
        })?;
    config.connect_timeout = Some(CONNECT_TIMEOUT);
    Ok(config)
}

/// Builds a client for every requested context (or the current one).
pub async fn connect_clusters(opts: &ConnectOptions) -> Result<Vec<Cluster>, ConnectError> {
    install_crypto_provider();
    let kubeconfig = read_kubeconfig(opts)?;
    let contexts = if opts.contexts.is_empty() {
        let current = kubeconfig
            .current_context
            .clone()
            .ok_or_else(|| ConnectError::Kubeconfig("no current-context: pass --context".into()))?;
        vec![current]
    } else {
        opts.contexts.clone()
    };
    let mut clusters = Vec::new();
    for context in contexts {
        let Some(named) = kubeconfig.contexts.iter().find(|c| c.name == context) else {
            let known: Vec<&str> = kubeconfig
                .contexts
                .iter()
                .map(|c| c.name.as_str())
                .collect();
            return Err(ConnectError::UnknownContext {
                context,
                known: known.join(", "),
            });
        };
        let details = named.context.clone().unwrap_or_default();
        let options = KubeConfigOptions {
            context: Some(context.clone()),
            ..Default::default()
        };
        let plugin = exec_command(&kubeconfig, details.user.as_deref());
        let client_error = |problem: String| {
            // kube's error says a plugin could not run, not which one.
            let problem = match &plugin {
                Some(cmd) if problem.contains("exec") && !problem.contains(cmd.as_str()) => {
                    format!(
                        "{problem} (the kubeconfig's exec plugin command {:?} could not be run; \
                         is it installed and on PATH?)",
                        crate::model::text::inert(cmd)
                    )
                }
                _ => problem,
            };
            ConnectError::Client {
                context: context.clone(),
                problem,
            }
        };
        let mut config = Config::from_custom_kubeconfig(kubeconfig.clone(), &options)
            .await
            .map_err(|e| client_error(error_chain(&e)))?;
        config.connect_timeout = Some(CONNECT_TIMEOUT);
        let namespace = config.default_namespace.clone();
        let client = Client::try_from(config).map_err(|e| client_error(error_chain(&e)))?;
        clusters.push(Cluster {
            user: details.user.unwrap_or_else(|| "unknown".into()),
            context,
            client,
            namespace,
        });
    }
    Ok(clusters)
}
