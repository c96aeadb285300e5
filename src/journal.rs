//! The append-only audit log of every action ripcord carried out or tried.
//!
//! One JSON object per line in `journal.jsonl` under the data directory. Every append is
//! fsynced: after an incident the journal is the record of who did what, so a line the
//! console reported as written must survive a crash or a lost SSH session.

use crate::model::ops::ActionOutcome;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::fs::{File, OpenOptions};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

pub const JOURNAL_FILE: &str = "journal.jsonl";

/// One action, as the journal keeps it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JournalEntry {
    pub time: DateTime<Utc>,
    pub user: String,
    pub context: String,
    pub namespace: String,
    /// The release kind as ripcord's JSON spells it: `deployment`, `canary-pair`, ...
    pub kind: String,
    /// The target: the Deployment, or the stable Deployment of a pair.
    pub name: String,
    /// The operation's verb, as the CLI spells it.
    pub action: String,
    /// The revision a rollback aimed at, when one was named.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to_revision: Option<i64>,
    /// The canary weight a promote step or set-weight aimed at.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub weight: Option<u8>,
    #[serde(default)]
    pub reason: Option<String>,
    #[serde(default)]
    pub revision_before: Option<i64>,
    #[serde(default)]
    pub revision_after: Option<i64>,
    /// `ok: ...` or `error: ...`.
    pub result: String,
    pub ok: bool,
    #[serde(default)]
    pub dry_run: bool,
}

impl JournalEntry {
    pub fn from_outcome(outcome: &ActionOutcome, user: &str, time: DateTime<Utc>) -> Self {
        let request = &outcome.request;
        let key = &request.key;
        // Same spelling as the kind in ripcord's JSON output, so the two never disagree.
        let kind = match serde_json::to_value(key.kind) {
            Ok(serde_json::Value::String(s)) => s,
            _ => key.kind.target_prefix().to_string(),
        };
        let (result, ok) = match &outcome.result {
            Ok(text) => (format!("ok: {text}"), true),
            Err(failure) => (format!("error: {failure}"), false),
        };
        JournalEntry {
            time,
            user: user.to_string(),
            context: key.context.clone(),
            namespace: key.namespace.clone(),
            kind,
            name: key.name.clone(),
            action: request.op.verb().to_string(),
            to_revision: request.op.to_revision(),
            weight: request.op.weight(),
            reason: request
                .reason
                .as_deref()
                .map(crate::model::text::inert_owned),
            revision_before: outcome.revision_before,
            revision_after: outcome.revision_after,
            result,
            ok,
            dry_run: request.dry_run,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum JournalError {
    #[error("{path}: cannot read the journal: {source}")]
    Io {
        path: String,
        #[source]
        source: io::Error,
    },
    /// A line that is not a journal entry; `file:line` says where.
    #[error("{path}:{line}: not a journal entry: {problem}")]
    Malformed {
        path: String,
        line: usize,
        problem: String,
    },
}

/// Where the journal lives. Cheap to clone; holds no open file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Journal {
    path: PathBuf,
}

impl Journal {
    /// `journal.jsonl` in the data directory (`$RIPCORD_DATA_DIR` or the platform's),
    /// creating the directory.
    pub fn open_default() -> io::Result<Self> {
        let dir = crate::config::paths::data_dir().ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::NotFound,
                format!(
                    "no data directory for the journal: set {} or HOME",
                    crate::config::paths::DATA_DIR_ENV
                ),
            )
        })?;
        Self::open_in(&dir)
    }

    /// `journal.jsonl` in `dir`, creating the directory.
    pub fn open_in(dir: &Path) -> io::Result<Self> {
        std::fs::create_dir_all(dir).map_err(|e| {
            io::Error::new(e.kind(), format!("cannot create {}: {e}", dir.display()))
        })?;
        Ok(Self::at(dir.join(JOURNAL_FILE)))
    }

    pub fn at(path: impl Into<PathBuf>) -> Self {
        Journal { path: path.into() }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Appends one line and fsyncs before returning.
    pub fn append(&self, entry: &JournalEntry) -> io::Result<()> {
        let mut line = serde_json::to_vec(entry).map_err(io::Error::other)?;
        line.push(b'\n');

        let mut file = open_for_append(&self.path)?;
        // A crash mid-write can leave a last line without its newline; start on a fresh
        // line so that this entry is not glued onto the torn one.
        if !ends_with_newline(&mut file)? {
            line.insert(0, b'\n');
        }
        // One write call per entry, so concurrent appenders do not interleave inside a line.
        file.write_all(&line)?;
        file.sync_all()
    }

    /// Every entry, failing on the first malformed line. An absent journal is empty.
    pub fn read(&self) -> Result<Vec<JournalEntry>, JournalError> {
        let (entries, mut problems) = self.read_lenient()?;
        if problems.is_empty() {
            Ok(entries)
        } else {
            Err(problems.remove(0))
        }
    }

    /// The good entries, and one `Malformed` error per bad line. Only an unreadable file
    /// is an error as a whole.
    pub fn read_lenient(&self) -> Result<(Vec<JournalEntry>, Vec<JournalError>), JournalError> {
        let display = self.path.display().to_string();
        let bytes = match std::fs::read(&self.path) {
            Ok(b) => b,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok((Vec::new(), Vec::new())),
            Err(source) => {
                return Err(JournalError::Io {
                    path: display,
                    source,
                })
            }
        };
        let mut entries = Vec::new();
        let mut problems = Vec::new();
        for (index, raw) in bytes.split(|&b| b == b'\n').enumerate() {
            let line = index + 1;
            if raw.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            match serde_json::from_slice::<JournalEntry>(raw) {
                Ok(entry) => entries.push(entry),
                Err(e) => problems.push(JournalError::Malformed {
                    path: display.clone(),
                    line,
                    problem: e.to_string(),
                }),
            }
        }
        Ok((entries, problems))
    }
}

fn open_for_append(path: &Path) -> io::Result<File> {
    let mut options = OpenOptions::new();
    options.read(true).append(true).create(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        // Who did what during an incident is nobody else's business on a shared bastion.
        options.mode(0o600);
    }
    options.open(path)
}

fn ends_with_newline(file: &mut File) -> io::Result<bool> {
    let len = file.metadata()?.len();
    if len == 0 {
        return Ok(true);
    }
    file.seek(SeekFrom::Start(len - 1))?;
    let mut last = [0u8; 1];
    file.read_exact(&mut last)?;
    Ok(last[0] == b'\n')
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::ops::{ActionFailure, ActionOutcome, ActionRequest, Op};
    use crate::model::{Kind, ReleaseKey};
    use chrono::TimeZone;

    fn outcome(op: Op, result: Result<String, ActionFailure>) -> ActionOutcome {
        ActionOutcome {
            request: ActionRequest {
                key: ReleaseKey {
                    context: "prod".into(),
                    namespace: "shop".into(),
                    kind: Kind::CanaryPair,
                    name: "checkout".into(),
                },
                op,
                reason: Some("INC-42 error rate".into()),
                dry_run: false,
            },
            result,
            revision_before: Some(3),
            revision_after: Some(4),
        }
    }

    fn time() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2025, 3, 1, 12, 30, 0)
            .single()
            .expect("valid time")
    }

    #[test]
    fn from_outcome_copies_the_request_and_spells_the_result() {
        let ok = JournalEntry::from_outcome(
            &outcome(
                Op::SetWeight { weight: 40 },
                Ok("stable 3, canary 2".into()),
            ),
            "alice",
            time(),
        );
        assert_eq!(ok.kind, "canary-pair");
        assert_eq!(ok.action, "set-weight");
        assert_eq!((ok.weight, ok.to_revision), (Some(40), None));
        assert_eq!(ok.name, "checkout");
        assert_eq!(ok.context, "prod");
        assert_eq!(ok.namespace, "shop");
        assert_eq!(ok.reason.as_deref(), Some("INC-42 error rate"));
        assert_eq!((ok.revision_before, ok.revision_after), (Some(3), Some(4)));
        assert_eq!(ok.result, "ok: stable 3, canary 2");
        assert!(ok.ok && !ok.dry_run);

        let denied = JournalEntry::from_outcome(
            &outcome(
                Op::Abort,
                Err(ActionFailure::Forbidden("patch deployments in shop".into())),
            ),
            "bob",
            time(),
        );
        assert_eq!(
            denied.result,
            "error: permission denied: patch deployments in shop"
        );
        assert!(!denied.ok);
    }

    #[test]
    fn append_then_read_round_trips_one_line_per_entry() {
        let dir = tempfile::tempdir().expect("tempdir");
        let journal = Journal::at(dir.path().join("journal.jsonl"));
        assert_eq!(journal.read().expect("absent is empty"), vec![]);

        let a = JournalEntry::from_outcome(
            &outcome(Op::Promote { step: Some(25) }, Ok("promoted".into())),
            "alice",
            time(),
        );
        let b = JournalEntry::from_outcome(
            &outcome(
                Op::Rollback { to: Some(2) },
                Err(ActionFailure::Rejected("no".into())),
            ),
            "bob",
            time(),
        );
        journal.append(&a).expect("append a");
        journal.append(&b).expect("append b");

        let text = std::fs::read_to_string(journal.path()).expect("read back");
        assert_eq!(text.lines().count(), 2);
        assert!(text.ends_with('\n'));
        assert_eq!(journal.read().expect("read"), vec![a, b]);
    }

    #[test]
    fn a_malformed_line_is_named_by_file_and_line_and_the_rest_survive() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("journal.jsonl");
        let journal = Journal::at(&path);
        let a = JournalEntry::from_outcome(
            &outcome(Op::Promote { step: Some(25) }, Ok("promoted".into())),
            "alice",
            time(),
        );
        journal.append(&a).expect("append");
        // A torn write: half a line, no newline.
        let mut f = OpenOptions::new().append(true).open(&path).expect("open");
        f.write_all(b"{\"time\":\"2025-").expect("write");
        drop(f);
        journal.append(&a).expect("append after torn line");

        let err = journal.read().expect_err("strict read fails");
        let text = err.to_string();
        assert!(
            text.starts_with(&format!("{}:2: ", path.display())),
            "{text}"
        );

        let (entries, problems) = journal.read_lenient().expect("lenient read");
        assert_eq!(entries, vec![a.clone(), a]);
        assert_eq!(problems.len(), 1);
        assert!(matches!(
            problems[0],
            JournalError::Malformed { line: 2, .. }
        ));
    }

    #[test]
    fn a_line_of_the_wrong_shape_is_malformed_too() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("journal.jsonl");
        std::fs::write(&path, "\n{\"user\":\"x\"}\n").expect("write");
        let err = Journal::at(&path).read().expect_err("missing fields");
        match err {
            JournalError::Malformed { line, problem, .. } => {
                assert_eq!(line, 2);
                assert!(problem.contains("missing field"), "{problem}");
            }
            other => panic!("unexpected {other}"),
        }
    }

    #[test]
    fn open_in_creates_the_directory() {
        let dir = tempfile::tempdir().expect("tempdir");
        let nested = dir.path().join("a/b");
        let journal = Journal::open_in(&nested).expect("open");
        assert_eq!(journal.path(), nested.join(JOURNAL_FILE));
        assert!(nested.is_dir());
    }
}
