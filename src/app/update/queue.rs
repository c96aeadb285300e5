//! The release queue: cluster changes folded in, filtered, sorted, scrolled.

use super::*;

/// Folds object changes into the cache and derives the touched namespaces again.
pub fn apply_changes(state: &mut State, context: &str, changes: Vec<Change>) {
    if changes.is_empty() {
        return;
    }
    // A context seen for the first time shows in the header even before it has releases.
    let mut changed = !state.clusters.contains_key(context);
    let cluster = state
        .clusters
        .entry(context.to_owned())
        .or_insert_with(|| ClusterState {
            cache: Default::default(),
            conn: ConnState::Synced,
        });
    let mut touched: Vec<String> = Vec::new();
    for change in changes {
        match change {
            Change::Applied(object) => touched.extend(cluster.cache.apply(object)),
            Change::Deleted(r) => touched.push(cluster.cache.delete(&r)),
            Change::Reset {
                kind,
                namespace,
                objects,
            } => touched.extend(
                cluster
                    .cache
                    .replace_kind(kind, namespace.as_deref(), objects),
            ),
        }
    }
    touched.sort();
    touched.dedup();
    let mut reorder = false;
    let mut gone: Vec<ReleaseKey> = Vec::new();
    let mut new: Vec<ReleaseKey> = Vec::new();
    for ns in touched {
        let derived = cluster
            .cache
            .namespaces
            .get(&ns)
            .map(|rows| derive_namespace(context, &ns, rows))
            .unwrap_or_default();
        let old = releases_in(&state.releases, context, &ns);
        // Most pod updates change nothing a release shows: then there is nothing to draw.
        if old.len() == derived.len()
            && derived
                .iter()
                .all(|r| state.releases.get(&r.key) == Some(r))
        {
            continue;
        }
        changed = true;
        // The queue only needs rebuilding when a release comes, goes, or moves in the order.
        let order = |r: &Release| {
            attention_of(
                r,
                crate::app::analysis::summary_of(crate::app::analysis::panel_in(
                    &state.analyses,
                    &state.mode,
                    &state.settings,
                    r,
                )),
                state.settings.is_production(&r.key.context),
            )
            .order()
        };
        reorder |= old.len() != derived.len()
            || derived.iter().any(|r| {
                state
                    .releases
                    .get(&r.key)
                    .is_none_or(|o| order(o) != order(r) || o.created != r.created)
            });
        for key in &old {
            state.releases.remove(key);
        }
        for r in derived {
            note_bad_revisions(&mut state.bad_images, &r);
            if !state.findings.contains_key(&r.key) && state.checked.contains_key(&r.key) {
                new.push(r.key.clone());
            }
            state.releases.insert(r.key.clone(), r);
        }
        gone.extend(old.into_iter().filter(|k| !state.releases.contains_key(k)));
    }
    // What every source said about a release that is gone goes with it.
    for key in &gone {
        state.forget_release(key);
    }
    // Findings that came before their release show with it.
    for key in &new {
        crate::app::security::refresh(state, key);
    }
    if reorder {
        rebuild_rows(state);
    }
    if changed {
        follow_revision(state);
    }
    state.dirty |= changed;
}

/// Whether a revision's pods crash-loop or cannot start.
pub(super) fn revision_failing(v: &Revision) -> bool {
    const BAD: [&str; 9] = [
        "CrashLoopBackOff",
        "Error",
        "ImagePullBackOff",
        "ErrImagePull",
        "InvalidImageName",
        "CreateContainerConfigError",
        "CreateContainerError",
        "RunContainerError",
        "OOMKilled",
    ];
    v.pods
        .iter()
        .any(|p| BAD.contains(&p.status.as_str()) || (!p.ready && p.restarts > 0))
}

/// Remembers the images of revisions seen failing, so that once their pods are gone they
/// still never become a default rollback target.
pub(super) fn note_bad_revisions(
    bad: &mut std::collections::HashMap<ReleaseKey, std::collections::HashSet<Vec<String>>>,
    r: &Release,
) {
    let current = r.current_revision();
    for v in &r.revisions {
        let degraded_current = r.phase == Phase::Degraded && Some(v.number) == current;
        if (degraded_current || revision_failing(v)) && !v.images.is_empty() {
            bad.entry(r.key.clone())
                .or_default()
                .insert(v.images.clone());
        }
    }
}

/// Keeps the detail cursor on the same revision when the list reorders: the same object and
/// number, else the same object (a rollback renumbers it), else the same number.
pub(super) fn follow_revision(state: &mut State) {
    let View::Detail(key) = &state.view else {
        return;
    };
    let Some((number, object)) = state.revision_pin.clone() else {
        return;
    };
    let Some(r) = state.releases.get(key) else {
        return;
    };
    let at = r
        .revisions
        .iter()
        .position(|v| v.number == number && v.object == object)
        .or_else(|| r.revisions.iter().position(|v| v.object == object))
        .or_else(|| r.revisions.iter().position(|v| v.number == number));
    let len = r.revisions.len();
    state.revision_cursor = at.unwrap_or(state.revision_cursor.min(len.saturating_sub(1)));
    pin_revision(state);
}

/// Records which revision the detail cursor is on.
pub(super) fn pin_revision(state: &mut State) {
    let View::Detail(key) = &state.view else {
        return;
    };
    state.revision_pin = state
        .releases
        .get(key)
        .and_then(|r| r.revisions.get(state.revision_cursor))
        .map(|v| (v.number, v.object.clone()));
}

/// The keys of one namespace's releases, found by range rather than a scan of them all.
pub(super) fn releases_in(
    releases: &std::collections::BTreeMap<ReleaseKey, crate::model::Release>,
    context: &str,
    namespace: &str,
) -> Vec<ReleaseKey> {
    let first = ReleaseKey {
        context: context.to_owned(),
        namespace: namespace.to_owned(),
        kind: crate::model::Kind::Deployment,
        name: String::new(),
    };
    releases
        .range(first..)
        .map(|(k, _)| k)
        .take_while(|k| k.context == context && k.namespace == namespace)
        .cloned()
        .collect()
}

/// Whether every word of the filter is found in the words the queue shows for `r`: name,
/// namespace, context, kind (`argo/canary`, `pair`), strategy, phase, verdict and the
/// attention reason.
pub(super) fn matches_filter(state: &State, r: &Release, filter: &str) -> bool {
    if filter.trim().is_empty() {
        return true;
    }
    let strategy = r.strategy.to_string();
    let reason = attention(state, r).reason;
    let fields = [
        r.key.name.as_str(),
        r.key.namespace.as_str(),
        r.key.context.as_str(),
        r.key.kind.target_prefix(),
        kind_label(r, false),
        kind_label(r, true),
        strategy.as_str(),
        r.phase.label(),
        r.verdict.map_or("", |v| v.label()),
        reason.as_str(),
    ];
    let fields: Vec<String> = fields.iter().map(|f| f.to_lowercase()).collect();
    filter
        .to_lowercase()
        .split_whitespace()
        .all(|word| fields.iter().any(|f| f.contains(word)))
}

/// Recomputes the home queue: filter, then sort, keeping the selected release selected.
pub fn rebuild_rows(state: &mut State) {
    let selected = state.selected_key().cloned();
    let filter = state
        .filter_input
        .as_ref()
        .map(|t| t.lines().join(""))
        .unwrap_or_else(|| state.filter.clone());
    let mut rows: Vec<&crate::model::Release> = state
        .releases
        .values()
        .filter(|r| {
            state
                .context_filter
                .as_ref()
                .is_none_or(|c| &r.key.context == c)
                && state
                    .namespace_filter
                    .as_ref()
                    .is_none_or(|n| &r.key.namespace == n)
                && matches_filter(state, r, &filter)
        })
        .collect();
    match state.sort {
        SortMode::Attention => {
            rows.sort_by_cached_key(|r| (attention(state, r).order(), r.key.clone()))
        }
        SortMode::Name => rows.sort_by(|a, b| {
            (&a.key.name, &a.key.namespace, &a.key.context).cmp(&(
                &b.key.name,
                &b.key.namespace,
                &b.key.context,
            ))
        }),
        SortMode::Age => {
            rows.sort_by(|a, b| b.created.cmp(&a.created).then_with(|| a.key.cmp(&b.key)))
        }
    }
    state.rows = rows.into_iter().map(|r| r.key.clone()).collect();
    match selected {
        Some(key) if state.navigated => {
            if let Some(i) = state.rows.iter().position(|k| *k == key) {
                state.selected = i;
            }
        }
        _ => state.selected = 0,
    }
    clamp_scroll(state);
}

/// How many table rows the home screen showed when last drawn (until then, its height).
pub fn visible_rows(state: &State) -> usize {
    state
        .drawn
        .home_rows
        .unwrap_or(usize::from(state.height))
        .max(1)
}

pub(super) fn clamp_scroll(state: &mut State) {
    let len = state.rows.len();
    state.selected = state.selected.min(len.saturating_sub(1));
    let height = visible_rows(state);
    if state.selected < state.offset {
        state.offset = state.selected;
    } else if state.selected >= state.offset + height {
        state.offset = state.selected + 1 - height;
    }
    state.offset = state.offset.min(len.saturating_sub(height));
}
