//! The console's canary analysis: which releases are judged and when, and what is kept of
//! each judgement. Pure, like the rest of `app`: requests leave as effects, results come
//! back as `Msg::Analysis`.

use super::{Effect, Mode, State};
use crate::analysis::report::{fit_step, Report};
use crate::model::{Release, ReleaseKey};
use chrono::{DateTime, Utc};
use std::collections::HashMap;
use std::time::Duration;

/// How often a release with a canary in flight is judged (state time): enough for the
/// queue's verdict column.
pub const ANALYSIS_EVERY_SECS: i64 = 60;
/// How often the release open in the detail view is judged: its charts are being read.
pub const FOCUSED_EVERY_SECS: i64 = 15;
/// The window each judgement looks back over.
pub const ANALYSIS_WINDOW: Duration = Duration::from_secs(5 * 60);
/// Columns of the analysis view a chart does not get (its labels and border).
const CHART_MARGIN: u16 = 12;

/// One release's judgement as the console holds it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AnalysisPanel {
    /// The last judgement that came back, kept while later ones fail.
    pub report: Option<Report>,
    /// When `report` was measured (state time).
    pub measured: Option<DateTime<Utc>>,
    /// Why the latest judgement failed (Prometheus down, slow, or an error), if it did.
    pub error: Option<String>,
    /// When a judgement was last asked for (state time).
    pub requested: Option<DateTime<Utc>>,
    /// The release's `ripcord.dev/analysis` annotation when it was last asked for.
    pub config_name: Option<String>,
}

impl AnalysisPanel {
    /// Data is stale when the latest judgement failed and an older one is shown.
    pub fn stale(&self) -> bool {
        self.error.is_some() && self.report.is_some()
    }
}

/// What the executor needs to judge one release.
#[derive(Debug, Clone, PartialEq)]
pub struct AnalysisRequest {
    pub key: ReleaseKey,
    pub canary: String,
    pub baseline: String,
    /// The label the sides differ by, and its value on each: a batch of releases is
    /// queried once per metric with all their values and split back by it.
    pub label: &'static str,
    pub canary_value: String,
    pub baseline_value: String,
    /// The ConfigMap the release's annotation names, if any: the config to judge by.
    pub config_name: Option<String>,
    /// The end of the window (state time: the demo's clock in the demo).
    pub end: DateTime<Utc>,
    pub window: Duration,
    pub step: Duration,
}

/// Whether ripcord judges this release itself: it has a canary in flight and its context
/// has a Prometheus (the demo always has its simulated one).
pub fn judged_here(state: &State, r: &Release) -> bool {
    judged_with(&state.mode, &state.settings, r)
}

/// [`judged_here`] from the parts of `State` it reads.
fn judged_with(mode: &Mode, settings: &crate::config::Settings, r: &Release) -> bool {
    let has_source = match mode {
        Mode::Demo { .. } => true,
        Mode::Live => settings.prometheus(&r.key.context).is_some(),
    };
    has_source && crate::gate::canary_in_flight(r) && crate::gate::selectors(r).is_ok()
}

/// ripcord's latest judgement of a release it judges now: where this is `Some`, the queue
/// ranks and marks the release by it, not by its controller's verdict.
pub fn ripcord_panel<'a>(state: &'a State, r: &Release) -> Option<&'a AnalysisPanel> {
    panel_in(&state.analyses, &state.mode, &state.settings, r)
}

/// [`ripcord_panel`] from the parts of `State` it reads, for callers holding another part.
pub fn panel_in<'a>(
    analyses: &'a HashMap<ReleaseKey, AnalysisPanel>,
    mode: &Mode,
    settings: &crate::config::Settings,
    r: &Release,
) -> Option<&'a AnalysisPanel> {
    analyses
        .get(&r.key)
        .filter(|p| p.report.is_some() && judged_with(mode, settings, r))
}

/// The summary of [`ripcord_panel`]'s report.
pub fn ripcord_summary<'a>(
    state: &'a State,
    r: &Release,
) -> Option<&'a crate::analysis::score::Summary> {
    summary_of(ripcord_panel(state, r))
}

pub fn summary_of(panel: Option<&AnalysisPanel>) -> Option<&crate::analysis::score::Summary> {
    panel
        .and_then(|p| p.report.as_ref())
        .map(|rep| &rep.summary)
}

/// The judgements due at state time, as one batch (one query per metric for all of them):
/// one per release with a canary in flight that was not asked for within
/// `ANALYSIS_EVERY_SECS`. Healthy releases cost nothing.
pub fn due(state: &mut State) -> Vec<Effect> {
    let now = state.now;
    let step = fit_step(ANALYSIS_WINDOW, state.width.saturating_sub(CHART_MARGIN));
    let focused = match &state.view {
        super::View::Detail(key) => Some(key.clone()),
        super::View::Home | super::View::Security => None,
    };
    let mut requests = Vec::new();
    for r in state.releases.values() {
        if !judged_here(state, r) {
            continue;
        }
        let every = if focused.as_ref() == Some(&r.key) {
            FOCUSED_EVERY_SECS
        } else {
            ANALYSIS_EVERY_SECS
        };
        let panel = state.analyses.get(&r.key);
        let fresh = panel
            .and_then(|p| p.requested)
            .is_some_and(|at| (now - at).num_seconds() < every);
        // Another analysis config named: judge by it now, not at the next interval.
        let renamed =
            panel.is_some_and(|p| p.requested.is_some() && p.config_name != r.analysis_config);
        if fresh && !renamed {
            continue;
        }
        let Ok(sides) = crate::gate::selectors(r) else {
            continue;
        };
        requests.push(AnalysisRequest {
            key: r.key.clone(),
            canary: sides.canary,
            baseline: sides.baseline,
            label: sides.label,
            canary_value: sides.canary_value,
            baseline_value: sides.baseline_value,
            config_name: r.analysis_config.clone(),
            end: now,
            window: ANALYSIS_WINDOW,
            step,
        });
    }
    for req in &requests {
        let panel = state.analyses.entry(req.key.clone()).or_default();
        panel.requested = Some(now);
        panel.config_name = req.config_name.clone();
    }
    if requests.is_empty() {
        return vec![];
    }
    vec![Effect::Analyze(requests)]
}

/// The PromQL of the metric the analysis tab shows (both sides' queries), for the
/// clipboard; anywhere else it says there is nothing to copy.
pub fn copy_query(state: &mut State) -> Vec<Effect> {
    use super::{Level, Tab, View};
    let shown = match (&state.view, state.tab) {
        (View::Detail(key), Tab::Analysis) => state
            .analyses
            .get(key)
            .and_then(|p| p.report.as_ref())
            .and_then(|r| {
                let panels = &r.panels;
                panels.get(
                    state.tab_scroll[Tab::Analysis.index()].min(panels.len().saturating_sub(1)),
                )
            }),
        _ => None,
    };
    state.dirty = true;
    match shown {
        Some(p) => {
            let text = format!("{}\n{}", p.canary_query, p.baseline_query);
            let said = format!(
                "✔ copied the PromQL of {} (canary and baseline)",
                crate::model::text::inert(&p.metric)
            );
            state.set_status(Level::Success, said);
            vec![Effect::Copy(text)]
        }
        None => {
            state.set_status(
                Level::Info,
                "nothing to copy: the analysis tab of a release ripcord judges shows its PromQL",
            );
            vec![]
        }
    }
}

/// A judgement came back: a report replaces the last one, an error keeps it as stale.
pub fn record(
    state: &mut State,
    key: ReleaseKey,
    at: DateTime<Utc>,
    result: Result<Report, String>,
) {
    let Some(release) = state.releases.get(&key) else {
        return;
    };
    // Judged against nothing (a baseline without pods or samples): no verdict, and why.
    let nothing = match &result {
        Ok(report) => crate::gate::not_judgeable(release, report),
        Err(_) => None,
    };
    let panel = state.analyses.entry(key).or_default();
    match result {
        Ok(_) if nothing.is_some() => {
            panel.report = None;
            panel.error = nothing.map(|why| format!("not judged: {why}"));
        }
        Ok(report) => {
            panel.report = Some(report);
            panel.measured = Some(at);
            panel.error = None;
        }
        Err(why) => panel.error = Some(why),
    }
    state.dirty = true;
}
