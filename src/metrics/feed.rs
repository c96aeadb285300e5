//! The console's analysis executor: judges releases as `update` asks, a batch at a time per
//! context (one query per metric for all its releases), at most one batch in flight per
//! context, a newer request for a release replacing one still queued, and the caller never
//! waiting. Results reach `State` only as `Msg::Analysis`.

use super::{analyze_batch, BatchItem, RangeSource, Window};
use crate::analysis::config::{AnalysisConfig, Side};
use crate::app::analysis::AnalysisRequest;
use crate::app::Msg;
use crate::model::ReleaseKey;
use futures::future::BoxFuture;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use tokio::sync::mpsc;

/// Where each context's judgements come from.
pub trait Sources: Send + Sync {
    /// The context's Prometheus (or the demo's simulated one).
    fn source(&self, context: &str) -> Option<Arc<dyn RangeSource>>;
    /// The analysis config for a release.
    fn config<'a>(&'a self, key: &'a ReleaseKey) -> BoxFuture<'a, Result<AnalysisConfig, String>>;

    /// The config of a release whose annotation names `named`: a source that keeps configs
    /// reads it afresh when the name is not the one it read.
    fn config_named<'a>(
        &'a self,
        key: &'a ReleaseKey,
        named: Option<&'a str>,
    ) -> BoxFuture<'a, Result<AnalysisConfig, String>> {
        let _ = named;
        self.config(key)
    }
}

#[derive(Default)]
struct Slot {
    /// Requests that came while a batch ran, at most one per release (the newest).
    queued: Vec<AnalysisRequest>,
}

/// Cheap to clone; every clone shares the slots.
#[derive(Clone)]
pub struct Feed {
    /// A context is here while a batch of it runs.
    slots: Arc<Mutex<HashMap<String, Slot>>>,
    sources: Arc<dyn Sources>,
    msgs: mpsc::Sender<Msg>,
}

impl Feed {
    pub fn new(sources: Arc<dyn Sources>, msgs: mpsc::Sender<Msg>) -> Feed {
        Feed {
            slots: Arc::default(),
            sources,
            msgs,
        }
    }

    /// Starts judging `batch`, each context's releases together, or queues a context's
    /// behind its batch under way (a release's newer request replacing its queued one).
    /// Never waits.
    pub fn request(&self, batch: Vec<AnalysisRequest>) {
        let mut by_context: Vec<(String, Vec<AnalysisRequest>)> = Vec::new();
        for r in batch {
            match by_context.iter_mut().find(|(c, _)| *c == r.key.context) {
                Some((_, rs)) => rs.push(r),
                None => by_context.push((r.key.context.clone(), vec![r])),
            }
        }
        for (context, requests) in by_context {
            {
                let mut slots = self.slots.lock().unwrap_or_else(|p| p.into_inner());
                if let Some(slot) = slots.get_mut(&context) {
                    for r in requests {
                        slot.queued.retain(|q| q.key != r.key);
                        slot.queued.push(r);
                    }
                    continue;
                }
                slots.insert(context.clone(), Slot::default());
            }
            let feed = self.clone();
            tokio::spawn(async move { feed.run(context, requests).await });
        }
    }

    async fn run(self, context: String, mut batch: Vec<AnalysisRequest>) {
        loop {
            for msg in judge_batch(&*self.sources, &batch).await {
                if self.msgs.send(msg).await.is_err() {
                    return;
                }
            }
            let mut slots = self.slots.lock().unwrap_or_else(|p| p.into_inner());
            let next = slots
                .get_mut(&context)
                .map(|s| std::mem::take(&mut s.queued))
                .unwrap_or_default();
            if next.is_empty() {
                slots.remove(&context);
                return;
            }
            batch = next;
        }
    }
}

/// Judges `batch` from `sources`: releases with the same config and window are queried
/// together, one query per metric (see [`analyze_batch`]). One message per release, to
/// carry its judgement (or why there is none) to `State`.
pub async fn judge_batch(sources: &dyn Sources, batch: &[AnalysisRequest]) -> Vec<Msg> {
    let failed = |r: &AnalysisRequest, why: String| Msg::Analysis {
        key: r.key.clone(),
        at: r.end,
        result: Err(why),
    };
    let mut msgs = Vec::new();
    // (context, config, window) -> its releases, in the order they came.
    let mut groups: Vec<(AnalysisConfig, Vec<&AnalysisRequest>)> = Vec::new();
    for r in batch {
        let key = &r.key;
        if sources.source(&key.context).is_none() {
            msgs.push(failed(
                r,
                format!("no Prometheus for context {}", key.context),
            ));
            continue;
        }
        let config = match sources.config_named(key, r.config_name.as_deref()).await {
            Ok(config) => config,
            Err(why) => {
                msgs.push(failed(r, why));
                continue;
            }
        };
        let same = |g: &(AnalysisConfig, Vec<&AnalysisRequest>)| {
            let o = g.1[0];
            g.0 == config
                && o.key.context == key.context
                && (o.end, o.window, o.step) == (r.end, r.window, r.step)
        };
        match groups.iter_mut().find(|g| same(g)) {
            Some(g) => g.1.push(r),
            None => groups.push((config, vec![r])),
        }
    }
    for (config, members) in groups {
        let first = members[0];
        let Some(source) = sources.source(&first.key.context) else {
            continue;
        };
        let length = match chrono::Duration::from_std(first.window) {
            Ok(length) => length,
            Err(e) => {
                msgs.extend(members.iter().map(|r| failed(r, e.to_string())));
                continue;
            }
        };
        let items: Vec<BatchItem> = members
            .iter()
            .map(|r| {
                let side = |selector| Side {
                    namespace: &r.key.namespace,
                    name: &r.key.name,
                    selector,
                };
                BatchItem {
                    canary: side(&r.canary),
                    baseline: side(&r.baseline),
                    label: r.label,
                    canary_value: &r.canary_value,
                    baseline_value: &r.baseline_value,
                }
            })
            .collect();
        let window = Window {
            end: first.end,
            length,
            step: first.step,
        };
        let results = analyze_batch(&*source, &config, &items, window).await;
        for (r, result) in members.iter().zip(results) {
            msgs.push(Msg::Analysis {
                key: r.key.clone(),
                at: r.end,
                result: result.map_err(|e| e.to_string()),
            });
        }
    }
    msgs
}

/// How long a release's analysis config is reused before its annotation and ConfigMap
/// are read again.
const CONFIG_TTL: std::time::Duration = std::time::Duration::from_secs(60);

/// The live clusters' Prometheus and analysis configs.
pub struct ClusterSources {
    prometheus: HashMap<String, Arc<dyn RangeSource>>,
    clients: HashMap<String, kube::Client>,
    configs: Mutex<HashMap<ReleaseKey, Loaded>>,
}

/// A release's analysis config (or why there is none), when it was read, and the ConfigMap
/// its annotation named then (the console's view of it).
type Loaded = (
    std::time::Instant,
    Option<String>,
    Result<AnalysisConfig, String>,
);

impl ClusterSources {
    /// Each connected context's configured Prometheus; what cannot be set up is returned
    /// as a problem to show, and that context is not judged.
    pub async fn connect(
        clusters: &[crate::cluster::connect::Cluster],
        settings: &crate::config::Settings,
        options: &crate::cluster::connect::ConnectOptions,
    ) -> (ClusterSources, Vec<String>) {
        use crate::config::settings::PrometheusTarget;
        let mut problems = Vec::new();
        let mut prometheus: HashMap<String, Arc<dyn RangeSource>> = HashMap::new();
        for cluster in clusters {
            let Some(p) = settings.prometheus(&cluster.context) else {
                continue;
            };
            let kube = match p.target {
                PrometheusTarget::Service { .. } => {
                    match crate::cluster::connect::context_config(options, &cluster.context).await {
                        Ok(c) => Some(c),
                        Err(e) => {
                            problems.push(e.to_string());
                            continue;
                        }
                    }
                }
                PrometheusTarget::Url(_) => None,
            };
            match super::Prometheus::connect(p, kube.as_ref()) {
                Ok(p) => {
                    prometheus.insert(cluster.context.clone(), Arc::new(p));
                }
                Err(e) => problems.push(format!("context {}: {e}", cluster.context)),
            }
        }
        let clients = clusters
            .iter()
            .map(|c| (c.context.clone(), c.client.clone()))
            .collect();
        let sources = ClusterSources {
            prometheus,
            clients,
            configs: Mutex::default(),
        };
        (sources, problems)
    }

    async fn load_config(&self, key: &ReleaseKey) -> Result<AnalysisConfig, String> {
        if let Some(client) = self.clients.get(&key.context) {
            match super::configmap::load_annotated(client, key).await {
                Ok(Some((_, config))) => return Ok(config),
                Ok(None) => {}
                Err(problems) => return Err(problems.join("; ")),
            }
        }
        config_dir_analysis()
    }
}

/// analysis.toml in the config dir, for releases without an annotation.
pub fn config_dir_analysis() -> Result<AnalysisConfig, String> {
    let path = crate::config::paths::config_dir()
        .map(|d| d.join("analysis.toml"))
        .filter(|p| p.exists())
        .ok_or_else(|| {
            format!(
                "no analysis config: annotate the release with {}: CONFIGMAP or create \
                 analysis.toml in the config dir",
                super::configmap::ANALYSIS_ANNOTATION
            )
        })?;
    let text = std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    let (config, issues) = crate::config::analysis::load(&path, &text);
    match issues.first() {
        None => Ok(config),
        Some(issue) => Err(issue.to_string()),
    }
}

impl Sources for ClusterSources {
    fn source(&self, context: &str) -> Option<Arc<dyn RangeSource>> {
        self.prometheus.get(context).cloned()
    }

    fn config<'a>(&'a self, key: &'a ReleaseKey) -> BoxFuture<'a, Result<AnalysisConfig, String>> {
        let named = self
            .configs
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(key)
            .and_then(|(_, named, _)| named.clone());
        Box::pin(async move { self.cached_config(key, named).await })
    }

    fn config_named<'a>(
        &'a self,
        key: &'a ReleaseKey,
        named: Option<&'a str>,
    ) -> BoxFuture<'a, Result<AnalysisConfig, String>> {
        Box::pin(self.cached_config(key, named.map(str::to_owned)))
    }
}

impl ClusterSources {
    /// The cached config while it is fresh and read under the same name, else read again.
    async fn cached_config(
        &self,
        key: &ReleaseKey,
        named: Option<String>,
    ) -> Result<AnalysisConfig, String> {
        let cached = self
            .configs
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(key)
            .filter(|(at, was, _)| at.elapsed() < CONFIG_TTL && *was == named)
            .map(|(_, _, c)| c.clone());
        if let Some(config) = cached {
            return config;
        }
        let config = self.load_config(key).await;
        self.configs
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(
                key.clone(),
                (std::time::Instant::now(), named, config.clone()),
            );
        config
    }
}

/// The demo's one simulated Prometheus and the example HTTP analysis.
pub struct DemoSources {
    pub prometheus: Arc<dyn RangeSource>,
    pub config: AnalysisConfig,
}

impl Sources for DemoSources {
    fn source(&self, _context: &str) -> Option<Arc<dyn RangeSource>> {
        Some(self.prometheus.clone())
    }

    fn config<'a>(&'a self, _key: &'a ReleaseKey) -> BoxFuture<'a, Result<AnalysisConfig, String>> {
        Box::pin(async move { Ok(self.config.clone()) })
    }
}

/// The analysis the demo judges by: the shipped HTTP example.
pub fn demo_analysis() -> AnalysisConfig {
    let (name, text) = crate::config::analysis_examples()[0];
    crate::config::analysis::load(std::path::Path::new(name), text).0
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::{QueryError, Series};
    use crate::model::Kind;
    use chrono::{DateTime, Utc};
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;
    use tokio::sync::Semaphore;

    /// Answers a query only when the test lets it, and counts.
    struct Gated {
        gate: Semaphore,
        running: AtomicUsize,
        most: AtomicUsize,
        ends: Mutex<Vec<i64>>,
    }

    impl RangeSource for Gated {
        fn describe(&self) -> String {
            "gated".into()
        }
        fn range<'a>(
            &'a self,
            _query: &'a str,
            _start: DateTime<Utc>,
            end: DateTime<Utc>,
            _step: Duration,
        ) -> BoxFuture<'a, Result<Vec<Series>, QueryError>> {
            Box::pin(async move {
                let now = self.running.fetch_add(1, Ordering::SeqCst) + 1;
                self.most.fetch_max(now, Ordering::SeqCst);
                self.ends.lock().unwrap().push(end.timestamp());
                self.gate.acquire().await.expect("open").forget();
                self.running.fetch_sub(1, Ordering::SeqCst);
                Ok(vec![Series {
                    points: vec![(end.timestamp() as f64, 1.0)],
                    labels: vec![],
                }])
            })
        }
    }

    struct One(Arc<Gated>);

    impl Sources for One {
        fn source(&self, _: &str) -> Option<Arc<dyn RangeSource>> {
            Some(self.0.clone())
        }
        fn config<'a>(
            &'a self,
            _: &'a ReleaseKey,
        ) -> BoxFuture<'a, Result<AnalysisConfig, String>> {
            Box::pin(async {
                let text = "[[metrics]]\nname = \"m\"\nquery = \"x{ {{selector}} }\"\n";
                let (c, issues) = crate::config::analysis::load(std::path::Path::new("a"), text);
                assert!(issues.is_empty(), "{issues:?}");
                Ok(c)
            })
        }
    }

    fn request(key: &ReleaseKey, end: i64) -> AnalysisRequest {
        AnalysisRequest {
            key: key.clone(),
            canary: "a=\"1\"".into(),
            baseline: "a=\"2\"".into(),
            label: "a",
            canary_value: "1".into(),
            baseline_value: "2".into(),
            config_name: None,
            end: DateTime::from_timestamp(end, 0).unwrap(),
            window: Duration::from_secs(60),
            step: Duration::from_secs(5),
        }
    }

    #[tokio::test]
    async fn one_judgement_per_release_at_a_time_and_the_newest_request_waits() {
        let gated = Arc::new(Gated {
            gate: Semaphore::new(0),
            running: AtomicUsize::new(0),
            most: AtomicUsize::new(0),
            ends: Mutex::new(Vec::new()),
        });
        let (tx, mut rx) = mpsc::channel(16);
        let feed = Feed::new(Arc::new(One(gated.clone())), tx);
        let key = ReleaseKey {
            context: "c".into(),
            namespace: "n".into(),
            kind: Kind::CanaryPair,
            name: "web".into(),
        };
        // Three requests while the first is stuck: the second is replaced by the third,
        // and none of the calls waits.
        for end in [100, 200, 300] {
            let started = std::time::Instant::now();
            feed.request(vec![request(&key, end)]);
            assert!(started.elapsed() < Duration::from_millis(50));
            tokio::task::yield_now().await;
        }
        // One query per metric covers both sides; two judgements.
        gated.gate.add_permits(2);
        let mut ends = Vec::new();
        for _ in 0..2 {
            match tokio::time::timeout(Duration::from_secs(5), rx.recv()).await {
                Ok(Some(Msg::Analysis { at, result, .. })) => {
                    assert!(result.is_ok(), "{result:?}");
                    ends.push(at.timestamp());
                }
                other => panic!("{other:?}"),
            }
        }
        assert_eq!(ends, vec![100, 300]);
        assert_eq!(*gated.ends.lock().unwrap(), vec![100, 300]);
        assert_eq!(gated.most.load(Ordering::SeqCst), 1, "one query at a time");
        assert!(feed.slots.lock().unwrap().is_empty(), "idle again");
        // Idle: the next request runs at once.
        gated.gate.add_permits(1);
        feed.request(vec![request(&key, 400)]);
        let got = tokio::time::timeout(Duration::from_secs(5), rx.recv()).await;
        assert!(matches!(got, Ok(Some(Msg::Analysis { .. }))), "{got:?}");
    }
}
