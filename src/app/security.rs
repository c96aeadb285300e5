//! The security view: every finding of the contexts and namespaces the queue shows, most
//! severe first, with a cursor. Enter goes to the finding's release, on its security tab
//! with that finding marked; a finding on an object no release claims is told plainly.

use super::state::{Level, State, View};
use super::tabs::Tab;
use crate::model::{Finding, ReleaseKey, Severity};

#[derive(Debug, Clone, Default, PartialEq)]
pub struct SecurityView {
    /// Index into [`entries`].
    pub cursor: usize,
    /// The finding the detail view's security tab marks: the one Enter went to.
    pub marked: Option<Finding>,
    /// The detail view was opened from here: going back returns here.
    pub came_from: bool,
}

/// One finding as the view lists it.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry<'a> {
    pub context: &'a str,
    /// The release it belongs to; `None` for an object no release claims.
    pub release: Option<&'a ReleaseKey>,
    pub finding: &'a Finding,
}

fn in_scope(state: &State, context: &str, namespace: &str) -> bool {
    state.context_filter.as_ref().is_none_or(|c| c == context)
        && state
            .namespace_filter
            .as_ref()
            .is_none_or(|n| n == namespace)
}

/// Every finding in scope: the most severe first, then by namespace, release and object.
pub fn entries(state: &State) -> Vec<Entry<'_>> {
    let mut out: Vec<Entry<'_>> = Vec::new();
    for (key, found) in &state.findings {
        if !state.releases.contains_key(key) || !in_scope(state, &key.context, &key.namespace) {
            continue;
        }
        out.extend(found.items.iter().map(|finding| Entry {
            context: &key.context,
            release: Some(key),
            finding,
        }));
    }
    for ((context, namespace), found) in &state.unclaimed {
        if !in_scope(state, context, namespace) {
            continue;
        }
        out.extend(found.iter().map(|finding| Entry {
            context,
            release: None,
            finding,
        }));
    }
    out.sort_by(|a, b| {
        b.finding
            .severity
            .cmp(&a.finding.severity)
            .then_with(|| a.context.cmp(b.context))
            .then_with(|| a.finding.object.namespace.cmp(&b.finding.object.namespace))
            .then_with(|| a.release.map(|k| &k.name).cmp(&b.release.map(|k| &k.name)))
            .then_with(|| a.finding.object.cmp(&b.finding.object))
            .then_with(|| a.finding.code.cmp(b.finding.code))
            .then_with(|| a.finding.path.cmp(&b.finding.path))
    });
    out
}

/// What the view cannot vouch for, one line per context in scope: checks not started,
/// still listing, or refused a kind.
pub fn gaps(state: &State) -> Vec<(Level, String)> {
    let contexts: Vec<&String> = state
        .clusters
        .keys()
        .filter(|c| state.context_filter.as_ref().is_none_or(|f| f == *c))
        .collect();
    if contexts.is_empty() {
        return vec![(Level::Warning, "no cluster connected yet".to_owned())];
    }
    let mut out = Vec::new();
    for context in contexts {
        match state.checks.get(context) {
            None => out.push((
                Level::Warning,
                format!("{context}: findings not loaded yet"),
            )),
            Some(s) => {
                if s.is_loading() {
                    out.push((
                        Level::Warning,
                        format!(
                            "{context}: still listing ({} of {} lists in): more may come",
                            s.listed, s.total
                        ),
                    ));
                }
                if !s.denied.is_empty() {
                    out.push((
                        Level::Error,
                        format!(
                            "{context}: may not list {}: checks that read them did not run",
                            s.denied.join(", ")
                        ),
                    ));
                }
            }
        }
    }
    out
}

/// Opens the view at its first finding.
pub fn open(state: &mut State) {
    state.view = View::Security;
    state.security.cursor = 0;
}

/// The cursor kept on a finding after the list changed length.
pub fn clamp(state: &mut State) {
    if state.view != View::Security {
        return;
    }
    let len = entries(state).len();
    state.security.cursor = state.security.cursor.min(len.saturating_sub(1));
}

/// Moves the cursor; a page is what the view's list shows at this height.
pub fn move_cursor(state: &mut State, action: crate::action::Action) {
    use crate::action::Action;
    let last = entries(state).len().saturating_sub(1);
    let page = usize::from(state.height).saturating_sub(12).max(1);
    let c = &mut state.security.cursor;
    *c = match action {
        Action::Up => c.saturating_sub(1),
        Action::Down => (*c + 1).min(last),
        Action::PageUp => c.saturating_sub(page),
        Action::PageDown => (*c + page).min(last),
        Action::Top => 0,
        Action::Bottom => last,
        _ => *c,
    };
}

/// What Enter on the finding under the cursor does: the release it belongs to, or
/// `None` after saying where an unclaimed finding's object is.
pub fn target(state: &mut State) -> Option<(ReleaseKey, Finding)> {
    let (found, told) = {
        let list = entries(state);
        let e = list.get(state.security.cursor)?;
        match e.release {
            Some(key) => (Some((key.clone(), e.finding.clone())), None),
            None => {
                let f = e.finding;
                let path = if f.path.is_empty() {
                    String::new()
                } else {
                    format!(" at {}", f.path)
                };
                (
                    None,
                    Some(format!(
                        "{}{path}: {} (no release: change the object itself)",
                        f.object, f.message
                    )),
                )
            }
        }
    };
    if let Some(text) = told {
        state.set_status(Level::Info, text);
    }
    found
}

/// Shows `key`'s security tab with `finding` marked and in view (the detail view is
/// already open on `key`).
pub fn mark(state: &mut State, key: &ReleaseKey, finding: Finding) {
    state.tab = Tab::Security;
    let found = &state.findings_of(key).items;
    let line = tab_rows(found).iter().position(|row| match row {
        TabRow::Finding(i) => found.get(*i) == Some(&finding),
        _ => false,
    });
    // The group's heading stays in view above it.
    state.tab_scroll[Tab::Security.index()] = line.map_or(0, |l| l.saturating_sub(1));
    state.security.marked = Some(finding);
    state.security.came_from = true;
}

/// A line of the detail view's security tab.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TabRow {
    /// A severity's heading with its count.
    Group(Severity, usize),
    /// The finding at this index, then its remedy.
    Finding(usize),
    Fix(usize),
}

/// How the security tab lays out a release's findings: grouped by severity, the most
/// severe first, each with its remedy. The ui draws these rows; `mark` scrolls to one.
pub fn tab_rows(found: &[Finding]) -> Vec<TabRow> {
    let mut rows = Vec::new();
    for severity in Severity::ALL {
        let group: Vec<usize> = (0..found.len())
            .filter(|&i| found[i].severity == severity)
            .collect();
        if group.is_empty() {
            continue;
        }
        rows.push(TabRow::Group(severity, group.len()));
        for i in group {
            rows.push(TabRow::Finding(i));
            if !found[i].remediation.is_empty() {
                rows.push(TabRow::Fix(i));
            }
        }
    }
    rows
}

/// Rebuilds what `key` shows: the checks' findings, and the user's own rights as the
/// latest permission answers give them.
pub fn refresh(state: &mut State, key: &ReleaseKey) {
    let answers: Vec<(crate::model::ops::Operation, &crate::model::Permission)> =
        crate::model::ops::Operation::ALL
            .into_iter()
            .filter_map(|op| state.permission_of(key, op).map(|p| (op, p)))
            .collect();
    let rights = crate::checks::rights::own_rights(key, &answers);
    let mut shown = state.checked.get(key).cloned().unwrap_or_default();
    if let Some(f) = rights {
        shown.items.push(f);
        crate::checks::sort(&mut shown.items);
    }
    if state.checked.contains_key(key) || !shown.items.is_empty() {
        state.findings.insert(key.clone(), shown);
    }
}
