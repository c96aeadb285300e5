//! The pure core: `State`, the messages that change it, and the effects it asks for.
//!
//! IO never touches `State`. Watchers, the simulator, timers and the terminal send `Msg`s;
//! `update` folds them in and returns `Effect`s for the executor to carry out.

pub mod analysis;
mod attention;
pub mod flags;
pub mod security;
mod state;
pub mod tabs;
pub mod update;

pub use attention::{attention, attention_of, queue_message, Attention, Rank};
pub use state::*;
pub use tabs::{Extent, Extents, Tab};
pub use update::{
    blocked_reason, default_rollback_target, no_rollback_why, parse_weight, rollback_aim, update,
    visible_rows,
};

/// Below this the console cannot lay itself out, and so takes no key but quit.
pub const MIN_WIDTH: u16 = 60;
pub const MIN_HEIGHT: u16 = 16;
/// Seconds of state time a status message stays on screen.
pub const STATUS_TTL_SECS: i64 = 10;
/// Seconds of state time a permission answer holds: a focused release older than this is
/// asked again.
pub const PERMISSION_TTL_SECS: i64 = 60;
/// Seconds of state time a release's flag badge stays marked after one of its flags changed.
pub const FLAG_CHANGE_MARK_SECS: i64 = 300;

use crate::model::objects::Change;
use crate::model::ops::{ActionOutcome, ActionRequest};
use crate::model::{ConnState, Findings, Flags, Permission, ReleaseKey};
use chrono::{DateTime, Utc};
use crossterm::event::KeyEvent;

#[derive(Debug, Clone)]
pub enum Msg {
    Key(KeyEvent),
    Resize {
        width: u16,
        height: u16,
    },
    /// The clock moved: wall time for real clusters, virtual time in the demo.
    Tick(DateTime<Utc>),
    Cluster {
        context: String,
        changes: Vec<Change>,
    },
    Connection {
        context: String,
        state: ConnState,
    },
    /// A judgement of a release's canary against its baseline (`at` is the end of the
    /// window judged), or why it could not be made.
    Analysis {
        key: ReleaseKey,
        at: DateTime<Utc>,
        result: Result<crate::analysis::report::Report, String>,
    },
    /// A flag source's flags for a release.
    Flags {
        key: ReleaseKey,
        flags: Flags,
    },
    /// The checks' findings for a release.
    Findings {
        key: ReleaseKey,
        findings: Findings,
    },
    /// The checks' findings on objects of a namespace that no release claims (Roles,
    /// ConfigMaps), replacing those sent before.
    NamespaceFindings {
        context: String,
        namespace: String,
        findings: Vec<crate::model::Finding>,
    },
    /// How far a context's checks have got.
    ChecksStatus {
        context: String,
        status: crate::model::ChecksStatus,
    },
    Permission {
        key: ReleaseKey,
        op: crate::model::ops::Operation,
        permission: Permission,
    },
    ActionDone(ActionOutcome),
    /// A flag edit checked against what is stored now, or why it cannot be made.
    FlagPrepared {
        request: crate::flags::flip::FlagRequest,
        result: Result<crate::flags::flip::Prepared, String>,
    },
    /// How a confirmed flag edit's write ended.
    FlagWritten {
        request: crate::flags::flip::FlagRequest,
        written: crate::flags::flip::Written,
    },
    /// A problem the user should see without stopping anything (bad object, lost watch).
    Problem(String),
    /// Something ripcord did by itself, after an action of the user's: a Flagger
    /// `spec.skipAnalysis` put back, a load tester gate closed.
    Settled(String),
    /// A frame of this size went to the terminal: what the state holds is on screen, and
    /// `extents` says how much of it the views could show.
    Drawn {
        width: u16,
        height: u16,
        extents: Extents,
    },
    /// Wall time, for what lasts as long for the reader whatever the demo clock does
    /// (status messages); a live console's `Tick` is wall time already.
    Wall(DateTime<Utc>),
    /// The demo clock's state changed.
    Clock {
        paused: bool,
        speed: f64,
    },
    Quit,
}

impl From<crate::model::ClusterReport> for Msg {
    fn from(report: crate::model::ClusterReport) -> Self {
        use crate::model::ClusterReport;
        match report {
            ClusterReport::Changes { context, changes } => Msg::Cluster { context, changes },
            ClusterReport::Connection { context, state } => Msg::Connection { context, state },
            ClusterReport::Problem(text) => Msg::Problem(text),
        }
    }
}

impl From<crate::flags::live::News> for Msg {
    fn from(news: crate::flags::live::News) -> Self {
        use crate::flags::live::News;
        match news {
            News::Flags { key, flags } => Msg::Flags { key, flags },
            News::Problem(text) => Msg::Problem(text),
        }
    }
}

/// What the demo clock should do.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ClockControl {
    Toggle,
    Speed(f64),
}

#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    Execute(ActionRequest),
    /// Check a flag edit (rights, read-only) and read the flag as stored now, for the
    /// confirmation's diff.
    FlagPrepare(crate::flags::flip::FlagRequest),
    /// Write a confirmed flag edit, only over the version the user saw.
    FlagWrite {
        request: crate::flags::flip::FlagRequest,
        version: String,
    },
    /// Ask the API server which operations the user may run on this release.
    CheckAccess(ReleaseKey),
    /// Judge these releases' canaries on Prometheus data, as one batch.
    Analyze(Vec<analysis::AnalysisRequest>),
    /// Put text on the clipboard through the terminal (OSC 52, which works over SSH).
    Copy(String),
    Clock(ClockControl),
    Quit,
}
