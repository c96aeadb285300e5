//! Everything the console shows, and nothing it does not need.

use crate::action::Action;
use crate::config::keymap::{KeyChord, Keymap, Section};
use crate::config::Settings;
use crate::model::ops::ActionRequest;
use crate::model::ops::Operation;
use crate::model::{ClusterCache, Findings, Flags, Release, ReleaseKey, Revision};
use crate::model::{ConnState, Permission};
use chrono::{DateTime, Utc};
use std::collections::{BTreeMap, HashMap, HashSet};
use tui_textarea::TextArea;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum View {
    Home,
    Detail(ReleaseKey),
    /// Every finding in the queue's context and namespace filters, grouped by severity.
    Security,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortMode {
    /// What needs a human first.
    Attention,
    Name,
    Age,
}

impl SortMode {
    pub fn label(self) -> &'static str {
        match self {
            SortMode::Attention => "attention",
            SortMode::Name => "name",
            SortMode::Age => "age",
        }
    }

    pub fn next(self) -> SortMode {
        match self {
            SortMode::Attention => SortMode::Name,
            SortMode::Name => SortMode::Age,
            SortMode::Age => SortMode::Attention,
        }
    }
}

/// A revision as a confirmation names it.
#[derive(Debug, Clone, PartialEq)]
pub struct RevisionBrief {
    pub number: i64,
    pub images: Vec<String>,
    pub created: Option<DateTime<Utc>>,
}

impl RevisionBrief {
    pub fn of(r: &Revision) -> RevisionBrief {
        RevisionBrief {
            number: r.number,
            images: r.images.clone(),
            created: r.created,
        }
    }
}

/// A dangerous or guarded action waiting for the user's word.
#[derive(Debug, Clone)]
pub struct Confirm {
    pub request: ActionRequest,
    /// A rollback's target, and the revision it replaces.
    pub target: Option<RevisionBrief>,
    pub replaces: Option<RevisionBrief>,
    /// Whether the dialog has been on screen: an answer before that does not count.
    pub shown: bool,
    /// Production guard: the user must type the target's name and give a reason.
    pub guarded: bool,
    pub name_input: TextArea<'static>,
    pub reason_input: TextArea<'static>,
    /// 0: the name field, 1: the reason field.
    pub field: usize,
    pub error: Option<String>,
    /// Security findings a promote must acknowledge, by code; journaled with the action.
    pub findings: Option<String>,
}

#[derive(Debug, Clone)]
pub enum Overlay {
    Help {
        scroll: usize,
    },
    Confirm(Box<Confirm>),
    /// A flag edit: its diff, a reason, then `y`.
    FlagConfirm(Box<super::flags::FlagConfirm>),
    /// The full list of configuration problems.
    Problems {
        scroll: usize,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    Info,
    Success,
    Warning,
    Error,
}

/// How many past status messages the console keeps for the `!` list.
pub const MESSAGES_KEPT: usize = 20;

/// The keys `keymap` binds to `action` in `section`, as a dialog names them: `y/Esc`
/// (a letter and its capital count once, angle brackets go from a lone named key), at
/// most `max` of them.
pub fn answer_keys(
    keymap: &Keymap,
    section: Section,
    action: Action,
    max: usize,
) -> Option<String> {
    let mut keys: Vec<String> = Vec::new();
    for b in keymap.bindings(section).filter(|b| b.action == action) {
        let shown = b.keys_display();
        let shown = match shown.strip_prefix('<').and_then(|k| k.strip_suffix('>')) {
            Some(named) if !named.contains('-') => named.to_owned(),
            _ => shown,
        };
        if !keys.iter().any(|k| k.eq_ignore_ascii_case(&shown)) {
            keys.push(shown);
        }
    }
    keys.truncate(max);
    (!keys.is_empty()).then(|| keys.join("/"))
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusLine {
    pub level: Level,
    pub text: String,
}

#[derive(Debug, Clone)]
pub struct ClusterState {
    pub cache: ClusterCache,
    pub conn: ConnState,
}

/// Whether the console runs against real clusters or the embedded demo.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Mode {
    Live,
    Demo { paused: bool, speed: f64 },
}

#[derive(Debug, Clone)]
pub struct State {
    pub now: DateTime<Utc>,
    pub mode: Mode,
    pub read_only: bool,
    pub settings: Settings,
    pub keymap: Keymap,
    pub pending_keys: Vec<KeyChord>,
    pub clusters: BTreeMap<String, ClusterState>,
    pub releases: BTreeMap<ReleaseKey, Release>,
    /// ripcord's own judgement of each release it judges.
    pub analyses: HashMap<ReleaseKey, super::analysis::AnalysisPanel>,
    /// What each side source last said about a release, one map per source so that none
    /// overwrites another's; read through `flags_of` and `findings_of`.
    pub flags: HashMap<ReleaseKey, Flags>,
    /// Flags told for a release not shown yet: the flag source and the release watches
    /// race, and a release that arrives second finds its flags here.
    pub flags_waiting: HashMap<ReleaseKey, Flags>,
    /// When a flag of a release last changed (state time), for the queue's badge.
    pub flags_changed: HashMap<ReleaseKey, DateTime<Utc>>,
    /// What each release shows: the checks' findings (`checked`) with the user's own
    /// rights from the permission answers.
    pub findings: HashMap<ReleaseKey, Findings>,
    /// The checks' findings as sent; unlike the other maps, also for a release not derived
    /// yet (the checks may report first), until they report it clean.
    pub checked: HashMap<ReleaseKey, Findings>,
    /// Findings on objects no release claims, per (context, namespace).
    pub unclaimed: BTreeMap<(String, String), Vec<crate::model::Finding>>,
    /// How far each context's checks have got; absent until its checks say anything.
    pub checks: BTreeMap<String, crate::model::ChecksStatus>,
    /// The security view's cursor, and the finding the detail view's security tab marks.
    pub security: super::security::SecurityView,
    pub permissions: HashMap<(ReleaseKey, Operation), Permission>,
    /// When each release's permissions were last asked for or answered (state time): after
    /// `PERMISSION_TTL_SECS` they are asked again, so a changed RoleBinding shows.
    pub access_checked: HashMap<ReleaseKey, DateTime<Utc>>,
    /// What the actuator in use can do; the console sets it at start.
    pub support: crate::model::ops::SupportTable,
    pub view: View,
    pub overlay: Option<Overlay>,
    /// The filter being typed, while `/` is open.
    pub filter_input: Option<TextArea<'static>>,
    /// The canary weight being typed for set-weight, and the release it is for.
    pub weight_input: Option<(ReleaseKey, TextArea<'static>)>,
    /// The flags tab: its cursor, and the evaluation box with what was typed in it.
    pub flags_tab: super::flags::FlagsTab,
    /// The action sent for each release and not yet answered: one at a time per release.
    pub in_flight: HashMap<ReleaseKey, Operation>,
    /// An operation refused because another was in flight on its release, while that
    /// refusal is the status line: the answer keeps it beside its own line.
    pub refused_in_flight: Option<(ReleaseKey, Operation)>,
    pub filter: String,
    pub context_filter: Option<String>,
    pub namespace_filter: Option<String>,
    pub sort: SortMode,
    /// The filtered, sorted queue: what the home table shows.
    pub rows: Vec<ReleaseKey>,
    pub selected: usize,
    /// Whether the user has pressed a key: until then the selection stays on the top row
    /// while releases arrive, after that it stays on the release it is on.
    pub navigated: bool,
    /// First visible row of the home table.
    pub offset: usize,
    /// Cursor in the detail view's revision list.
    pub revision_cursor: usize,
    /// The revision under that cursor (number, object), which the cursor follows when the
    /// list reorders.
    pub revision_pin: Option<(i64, String)>,
    /// Images of revisions seen crash-looping or degraded while current, per release: never
    /// a default rollback target.
    pub bad_images: HashMap<ReleaseKey, HashSet<Vec<String>>>,
    /// Detail view: the tab shown (see `app::tabs::Tab`).
    pub tab: super::tabs::Tab,
    /// Detail view: first line shown in each tab but the overview (which follows the cursor).
    pub tab_scroll: [usize; super::tabs::Tab::COUNT],
    /// What the last frames drew: the home table's rows, the detail tab's lines.
    pub drawn: super::tabs::Extents,
    pub width: u16,
    pub height: u16,
    pub status: Option<StatusLine>,
    /// When the status line was set (state time); it expires after `STATUS_TTL_SECS`.
    pub status_since: DateTime<Utc>,
    /// Last wall time heard (`Msg::Wall`, or a live `Tick`), and the wall time the status
    /// line was set at: a message expires by either clock, so a paused demo drops it too.
    pub wall: Option<DateTime<Utc>>,
    pub status_wall: Option<DateTime<Utc>>,
    /// The demo speed last asked for and not yet confirmed by the clock: quick `+`/`-`
    /// presses each step from it.
    pub requested_speed: Option<f64>,
    /// Configuration problems, shown until dismissed.
    pub warnings: Vec<String>,
    /// The last status messages in full, oldest first: a line may cut one short.
    pub messages: Vec<StatusLine>,
    /// Set whenever something visible changed; the loop draws and clears it.
    pub dirty: bool,
    pub quit: bool,
}

impl State {
    pub fn new(
        mode: Mode,
        keymap: Keymap,
        settings: Settings,
        read_only: bool,
        now: DateTime<Utc>,
    ) -> Self {
        let keymap = if read_only {
            keymap.without_mutating()
        } else {
            keymap
        };
        State {
            now,
            mode,
            read_only,
            settings,
            keymap,
            pending_keys: Vec::new(),
            clusters: BTreeMap::new(),
            releases: BTreeMap::new(),
            analyses: HashMap::new(),
            flags: HashMap::new(),
            flags_waiting: HashMap::new(),
            flags_changed: HashMap::new(),
            findings: HashMap::new(),
            checked: HashMap::new(),
            unclaimed: BTreeMap::new(),
            checks: BTreeMap::new(),
            security: Default::default(),
            permissions: HashMap::new(),
            access_checked: HashMap::new(),
            support: crate::model::ops::SupportTable::unchecked(),
            view: View::Home,
            overlay: None,
            filter_input: None,
            weight_input: None,
            flags_tab: Default::default(),
            in_flight: HashMap::new(),
            refused_in_flight: None,
            filter: String::new(),
            context_filter: None,
            namespace_filter: None,
            sort: SortMode::Attention,
            rows: Vec::new(),
            selected: 0,
            navigated: false,
            offset: 0,
            revision_cursor: 0,
            revision_pin: None,
            bad_images: HashMap::new(),
            tab: super::tabs::Tab::Overview,
            tab_scroll: [0; super::tabs::Tab::COUNT],
            drawn: super::tabs::Extents::default(),
            width: 80,
            height: 24,
            status: None,
            status_since: now,
            wall: None,
            status_wall: None,
            requested_speed: None,
            warnings: Vec::new(),
            messages: Vec::new(),
            dirty: true,
            quit: false,
        }
    }

    pub fn selected_key(&self) -> Option<&ReleaseKey> {
        self.rows.get(self.selected)
    }

    /// The release the user is looking at: the detail view's, or the selected row's.
    pub fn focused(&self) -> Option<&Release> {
        match &self.view {
            View::Detail(key) => self.releases.get(key),
            View::Home => self.selected_key().and_then(|k| self.releases.get(k)),
            // A list of findings: no release takes actions from it.
            View::Security => None,
        }
    }

    /// Every namespace seen, within the context filter.
    pub fn namespaces(&self) -> Vec<String> {
        let mut out: Vec<String> = self
            .releases
            .keys()
            .filter(|k| self.context_filter.as_ref().is_none_or(|c| &k.context == c))
            .map(|k| k.namespace.clone())
            .collect();
        out.sort();
        out.dedup();
        out
    }

    pub fn contexts(&self) -> Vec<String> {
        self.clusters.keys().cloned().collect()
    }

    /// Whether the console can be drawn at the current size.
    pub fn fits(&self) -> bool {
        self.width >= super::MIN_WIDTH && self.height >= super::MIN_HEIGHT
    }

    /// Sets the status line; it expires `STATUS_TTL_SECS` of state time later.
    pub fn set_status(&mut self, level: Level, text: impl Into<String>) {
        let line = StatusLine {
            level,
            text: text.into(),
        };
        if self.messages.len() >= MESSAGES_KEPT {
            self.messages.remove(0);
        }
        self.messages.push(line.clone());
        self.status = Some(line);
        // A newer line is not the in-flight refusal any more.
        self.refused_in_flight = None;
        self.status_since = self.now;
        self.status_wall = self.wall;
    }

    /// The feature flags a flag source ties to `key`.
    pub fn flags_of(&self, key: &ReleaseKey) -> &Flags {
        self.flags.get(key).unwrap_or(Flags::NONE)
    }

    /// Whether a flag of `key` changed less than `FLAG_CHANGE_MARK_SECS` ago.
    pub fn flags_changed_recently(&self, key: &ReleaseKey) -> bool {
        self.flags_changed
            .get(key)
            .is_some_and(|at| flag_mark_holds(*at, self.now))
    }

    /// What the checks found wrong with `key`.
    pub fn findings_of(&self, key: &ReleaseKey) -> &Findings {
        self.findings.get(key).unwrap_or(Findings::NONE)
    }

    /// Whether the user may run `op` on `key`, as last answered.
    pub fn permission_of(&self, key: &ReleaseKey, op: Operation) -> Option<&Permission> {
        self.permissions.get(&(key.clone(), op))
    }

    /// Whether `key`'s permissions are unknown or older than `PERMISSION_TTL_SECS`.
    pub fn access_stale(&self, key: &ReleaseKey) -> bool {
        self.access_checked
            .get(key)
            .is_none_or(|at| (self.now - *at).num_seconds() >= super::PERMISSION_TTL_SECS)
    }

    /// Drops everything held about a release that is gone, so that per-release maps only
    /// ever hold releases the console shows.
    pub fn forget_release(&mut self, key: &ReleaseKey) {
        self.analyses.remove(key);
        self.flags.remove(key);
        self.flags_changed.remove(key);
        self.findings.remove(key);
        self.checked.remove(key);
        self.bad_images.remove(key);
        self.access_checked.remove(key);
        self.permissions.retain(|(k, _), _| k != key);
    }

    pub fn is_read_only(&self, context: &str) -> bool {
        self.read_only || self.settings.is_read_only(context)
    }
}

/// Whether a flag change at `at` is still marked at `now`.
pub fn flag_mark_holds(at: DateTime<Utc>, now: DateTime<Utc>) -> bool {
    (now - at).num_seconds() < super::FLAG_CHANGE_MARK_SECS
}
