//! What a cluster connection and the API server's access answers look like to the rest
//! of ripcord.

/// How far a cluster connection has got.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConnState {
    Connecting,
    Synced,
    Reconnecting(String),
    /// The user may not read what the console needs; the text says what.
    Denied(String),
}

impl ConnState {
    pub fn label(&self) -> String {
        match self {
            ConnState::Connecting => "connecting".into(),
            ConnState::Synced => "synced".into(),
            ConnState::Reconnecting(why) => format!("reconnecting: {why}"),
            ConnState::Denied(why) => format!("denied: {why}"),
        }
    }
}

/// Whether the current user may run an operation on a release, as the API server said.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Permission {
    Allowed,
    Denied(String),
}

/// What a cluster's watches report, before the console turns it into its own message.
#[derive(Debug, Clone)]
pub enum ClusterReport {
    Changes {
        context: String,
        changes: Vec<super::objects::Change>,
    },
    Connection {
        context: String,
        state: ConnState,
    },
    /// A problem the user should see without stopping anything (bad object, lost watch).
    Problem(String),
}
