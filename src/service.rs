//! Carries out actions for the console and the command line alike: what the actuator in
//! use supports, the read-only and production guards and the user's permissions first;
//! then the actuator; then the journal line and the trace on the target.

use crate::config::Settings;
use crate::journal::{Journal, JournalEntry};
use crate::model::ops::{
    ActionFailure, ActionOutcome, ActionRequest, Actuator, CheckError, Operation, SupportTable,
};
use crate::model::{Permission, ReleaseKey};
use chrono::Utc;
use std::fmt;
use std::sync::Arc;

/// Why an action was not even tried.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// The actuator in use cannot do this to this kind of release.
    Unsupported(String),
    /// The session or the context is read-only.
    ReadOnly(String),
    /// A production context needs a reason.
    NeedsReason(String),
    /// The user may not.
    Denied(String),
    /// Permissions could not be checked: there are no credentials.
    NoCredentials(String),
    /// Permissions could not be checked: the cluster did not answer.
    Unreachable(String),
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Refusal::Unsupported(m)
            | Refusal::ReadOnly(m)
            | Refusal::NeedsReason(m)
            | Refusal::Denied(m)
            | Refusal::NoCredentials(m)
            | Refusal::Unreachable(m) => f.write_str(m),
        }
    }
}

impl Refusal {
    /// The same refusal as an action's failure, for an outcome that says it.
    pub fn failure(&self) -> ActionFailure {
        match self {
            Refusal::Denied(m) | Refusal::ReadOnly(m) => ActionFailure::Forbidden(m.clone()),
            Refusal::Unreachable(m) => ActionFailure::Unreachable(m.clone()),
            other => ActionFailure::Rejected(other.to_string()),
        }
    }
}

/// The one way actions run, over the actuator of the world in use.
#[derive(Clone)]
pub struct Service {
    actuator: Arc<dyn Actuator>,
    /// `None` where nothing real happens (the demo).
    journal: Option<Arc<Journal>>,
    settings: Settings,
    read_only: bool,
}

impl Service {
    pub fn new(
        actuator: Arc<dyn Actuator>,
        journal: Option<Journal>,
        settings: Settings,
        read_only: bool,
    ) -> Self {
        Service {
            actuator,
            journal: journal.map(Arc::new),
            settings,
            read_only,
        }
    }

    /// The same service, recording in `journal`.
    pub fn with_journal(mut self, journal: Journal) -> Self {
        self.journal = Some(Arc::new(journal));
        self
    }

    /// What the actuator can do, for keys, hints and help.
    pub fn support(&self) -> SupportTable {
        SupportTable::of(self.actuator.as_ref())
    }

    pub fn is_production(&self, context: &str) -> bool {
        self.settings.is_production(context)
    }

    /// The checks that need no cluster: support, read-only, a reason in production.
    pub fn guard(&self, request: &ActionRequest) -> Result<(), Refusal> {
        let key = &request.key;
        let verb = request.op.verb();
        if let Err(why) = self.actuator.supports(key.kind, request.op.kind()) {
            return Err(Refusal::Unsupported(format!("cannot {verb} {key}: {why}")));
        }
        if self.read_only {
            return Err(Refusal::ReadOnly(format!(
                "cannot {verb} {key}: ripcord runs read-only"
            )));
        }
        if self.settings.is_read_only(&key.context) {
            return Err(Refusal::ReadOnly(format!(
                "{} is read-only in config.toml",
                key.context
            )));
        }
        if self.is_production(&key.context)
            && request
                .reason
                .as_deref()
                .is_none_or(|r| r.trim().is_empty())
        {
            return Err(Refusal::NeedsReason(format!(
                "{} is a production context: --reason is required",
                key.context
            )));
        }
        Ok(())
    }

    /// Whether the user may run `op` on `key`.
    pub async fn permission(
        &self,
        key: &ReleaseKey,
        op: Operation,
    ) -> Result<Permission, CheckError> {
        self.actuator.permission(key, op).await
    }

    /// Everything checked before an action runs: `guard`, then the user's permissions.
    pub async fn preflight(&self, request: &ActionRequest) -> Result<(), Refusal> {
        self.guard(request)?;
        let key = &request.key;
        match self.permission(key, request.op.kind()).await {
            Ok(Permission::Allowed) => Ok(()),
            Ok(Permission::Denied(why)) => Err(Refusal::Denied(format!(
                "cannot {} {key}: {why}",
                request.op.verb()
            ))),
            Err(CheckError::CredentialsRejected(m)) => Err(Refusal::Denied(m)),
            Err(CheckError::NoCredentials(m)) => Err(Refusal::NoCredentials(m)),
            Err(CheckError::Unreachable(m)) => Err(Refusal::Unreachable(m)),
        }
    }

    /// Runs a request that passed `preflight`, then records it: a journal line (fsynced)
    /// and the actuator's trace on the target. What could not be recorded comes back as
    /// problems: the action already happened.
    pub async fn execute(&self, request: &ActionRequest) -> (ActionOutcome, Vec<String>) {
        let outcome = self.actuator.execute(request).await;
        let mut problems = Vec::new();
        if let Some(journal) = &self.journal {
            let user = self.actuator.user(&request.key.context);
            let entry = JournalEntry::from_outcome(&outcome, &user, Utc::now());
            if let Err(e) = journal.append(&entry) {
                problems.push(format!(
                    "could not write the journal {}: {e}",
                    journal.path().display()
                ));
            }
        }
        if !request.dry_run {
            if let Err(e) = self.actuator.announce(request, &outcome).await {
                problems.push(format!("could not post the Kubernetes Event: {e}"));
            }
        }
        (outcome, problems)
    }

    /// For the console: `guard`, the permission check, then `execute`. A permission that
    /// could not be checked does not stop the user (the cluster still decides); a refusal
    /// comes back as a failed outcome, unrecorded since nothing was tried.
    pub async fn act(&self, request: &ActionRequest) -> (ActionOutcome, Vec<String>) {
        let refused = match self.guard(request) {
            Err(refusal) => Some(refusal),
            Ok(()) => match self.permission(&request.key, request.op.kind()).await {
                Ok(Permission::Denied(why)) => Some(Refusal::Denied(format!(
                    "cannot {} {}: {why}",
                    request.op.verb(),
                    request.key
                ))),
                Ok(Permission::Allowed) | Err(_) => None,
            },
        };
        if let Some(refusal) = refused {
            let outcome = ActionOutcome {
                request: request.clone(),
                result: Err(refusal.failure()),
                revision_before: None,
                revision_after: None,
            };
            return (outcome, Vec::new());
        }
        self.execute(request).await
    }
}
