//! The executor's persistent state, `<root>/var/lib/leapfrog/state.json`.
//!
//! The phase only moves along the legal transitions of [`Phase::can_go_to`]; every write is
//! atomic (temporary file in the same directory, fsync, rename, fsync of the directory), so a
//! crash at any moment leaves either the old or the new state readable, never a torn one.

use std::collections::BTreeMap;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use leapfrog_base::failpoints::FailpointError;

/// The schema identifier written into every state file.
pub const SCHEMA: &str = "leapfrog-state/1";

/// Where the state lives inside the root.
pub const STATE_PATH: &str = "var/lib/leapfrog/state.json";

/// The state file of a root.
pub fn state_path(root: &Path) -> PathBuf {
    root.join(STATE_PATH)
}

/// Where an upgrade run stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Phase {
    /// A downloaded plan, nothing changed yet.
    Planned,
    /// The snapshot is taken.
    Snapshotted,
    /// The RPM transaction has (possibly) started.
    Applying,
    /// The transaction and post-steps are done; the root is being verified.
    Verifying,
    /// Upgraded and verified.
    Done,
    /// The snapshot is being restored.
    RollingBack,
    /// The snapshot is restored.
    RolledBack,
    /// A step failed; the root must be rolled back.
    Failed,
}

impl Phase {
    /// Whether moving from `self` to `next` is legal.
    pub fn can_go_to(self, next: Phase) -> bool {
        use Phase::*;
        matches!(
            (self, next),
            (Planned, Snapshotted)
                | (Snapshotted, Applying)
                | (Applying, Verifying)
                | (Verifying, Done)
                // automatic rollback after a failure, manual rollback after success
                | (Snapshotted | Applying | Verifying | Failed | Done, RollingBack)
                | (RollingBack, RolledBack)
                | (Planned | Snapshotted | Applying | Verifying | RollingBack, Failed)
        )
    }

    /// The name as written in the file.
    pub fn as_str(self) -> &'static str {
        match self {
            Phase::Planned => "planned",
            Phase::Snapshotted => "snapshotted",
            Phase::Applying => "applying",
            Phase::Verifying => "verifying",
            Phase::Done => "done",
            Phase::RollingBack => "rolling-back",
            Phase::RolledBack => "rolled-back",
            Phase::Failed => "failed",
        }
    }

    /// Every phase.
    pub const ALL: [Phase; 8] = [
        Phase::Planned,
        Phase::Snapshotted,
        Phase::Applying,
        Phase::Verifying,
        Phase::Done,
        Phase::RollingBack,
        Phase::RolledBack,
        Phase::Failed,
    ];
}

impl std::fmt::Display for Phase {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One transition, for the history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HistoryEntry {
    /// Phase left.
    pub from: Phase,
    /// Phase entered.
    pub to: Phase,
    /// When (RFC 3339, UTC).
    pub at: String,
    /// Why (free text, may be empty).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub note: String,
}

/// The whole state file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct State {
    /// [`SCHEMA`].
    pub schema: String,
    /// Current phase.
    pub phase: Phase,
    /// `created` of the plan this run executes.
    pub plan_created: String,
    /// The plan's rpmdb fingerprint (the root before the upgrade).
    #[serde(default)]
    pub rpmdb_fingerprint: Option<String>,
    /// The snapshot record (opaque here; written by the snapshot backend).
    #[serde(default)]
    pub snapshot: Option<serde_json::Value>,
    /// When each phase was (last) entered (RFC 3339, UTC).
    #[serde(default)]
    pub entered: BTreeMap<Phase, String>,
    /// The last error, if any.
    #[serde(default)]
    pub last_error: Option<String>,
    /// Every transition so far.
    #[serde(default)]
    pub history: Vec<HistoryEntry>,
    /// When the upgrade was committed (`leapfrog commit`): the snapshot is released and a
    /// rollback is no longer possible.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub committed: Option<String>,
}

/// A state file that cannot be used or a refused transition.
#[derive(Debug, thiserror::Error)]
pub enum StateError {
    /// Illegal transition.
    #[error("illegal executor state transition {from} -> {to}")]
    IllegalTransition {
        /// Current phase.
        from: Phase,
        /// Requested phase.
        to: Phase,
    },
    /// Unreadable.
    #[error("cannot read the executor state {}: {source}", path.display())]
    Read {
        /// File.
        path: PathBuf,
        /// Cause.
        source: io::Error,
    },
    /// Not a state file.
    #[error("{} is not a valid executor state: {message}", path.display())]
    Parse {
        /// File.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// Another schema.
    #[error("{} has schema {found:?}, this leapfrog reads {SCHEMA:?}", path.display())]
    Schema {
        /// File.
        path: PathBuf,
        /// Schema found.
        found: String,
    },
    /// Not writable.
    #[error("cannot write the executor state {}: {source}", path.display())]
    Write {
        /// File.
        path: PathBuf,
        /// Cause.
        source: io::Error,
    },
    /// A failpoint fired while writing.
    #[error(transparent)]
    Failpoint(#[from] FailpointError),
}

pub(crate) use leapfrog_base::time::now;

impl State {
    /// A fresh state in [`Phase::Planned`] for a plan.
    pub fn new(plan_created: impl Into<String>, rpmdb_fingerprint: Option<String>) -> State {
        State {
            schema: SCHEMA.to_string(),
            phase: Phase::Planned,
            plan_created: plan_created.into(),
            rpmdb_fingerprint,
            snapshot: None,
            entered: BTreeMap::from([(Phase::Planned, now())]),
            last_error: None,
            history: Vec::new(),
            committed: None,
        }
    }

    /// Moves to `to`, recording the time and the note in the history.
    ///
    /// # Errors
    ///
    /// [`StateError::IllegalTransition`] (the state is left unchanged).
    pub fn transition(&mut self, to: Phase, note: &str) -> Result<(), StateError> {
        if !self.phase.can_go_to(to) {
            return Err(StateError::IllegalTransition {
                from: self.phase,
                to,
            });
        }
        let at = now();
        self.history.push(HistoryEntry {
            from: self.phase,
            to,
            at: at.clone(),
            note: note.to_string(),
        });
        self.entered.insert(to, at);
        self.phase = to;
        Ok(())
    }

    /// Records `error` and moves to [`Phase::Failed`].
    ///
    /// # Errors
    ///
    /// When the current phase cannot fail (done, rolled back, already failed); the error is
    /// recorded anyway.
    pub fn fail(&mut self, error: &str) -> Result<(), StateError> {
        self.last_error = Some(error.to_string());
        self.transition(Phase::Failed, error)
    }

    /// Reads the state of a root; `Ok(None)` when there is none.
    ///
    /// # Errors
    ///
    /// When the file exists but is unreadable, not a state, or of another schema.
    pub fn load(root: &Path) -> Result<Option<State>, StateError> {
        let path = state_path(root);
        let bytes = match fs::read(&path) {
            Ok(b) => b,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(source) => return Err(StateError::Read { path, source }),
        };
        let state: State = serde_json::from_slice(&bytes).map_err(|e| StateError::Parse {
            path: path.clone(),
            message: e.to_string(),
        })?;
        if state.schema != SCHEMA {
            return Err(StateError::Schema {
                path,
                found: state.schema,
            });
        }
        Ok(Some(state))
    }

    /// Writes the state into the root atomically.
    ///
    /// # Errors
    ///
    /// When the directory or file cannot be written, or a failpoint fires
    /// (`state-before-rename`, `state-after-rename`).
    pub fn save(&self, root: &Path) -> Result<PathBuf, StateError> {
        let path = state_path(root);
        let mut bytes = serde_json::to_vec_pretty(self).map_err(|e| StateError::Write {
            path: path.clone(),
            source: io::Error::other(e),
        })?;
        bytes.push(b'\n');
        leapfrog_base::atomic::write_atomic(
            &path,
            &bytes,
            leapfrog_base::atomic::Failpoints {
                before_rename: Some("state-before-rename"),
                after_rename: Some("state-after-rename"),
            },
        )
        .map_err(|source| StateError::Write {
            path: path.clone(),
            source,
        })?;
        Ok(path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Phase::*;

    const LEGAL: &[(Phase, Phase)] = &[
        (Planned, Snapshotted),
        (Snapshotted, Applying),
        (Applying, Verifying),
        (Verifying, Done),
        (Snapshotted, RollingBack),
        (Applying, RollingBack),
        (Verifying, RollingBack),
        (Failed, RollingBack),
        (Done, RollingBack),
        (RollingBack, RolledBack),
        (Planned, Failed),
        (Snapshotted, Failed),
        (Applying, Failed),
        (Verifying, Failed),
        (RollingBack, Failed),
    ];

    #[test]
    fn every_legal_transition_is_accepted_and_every_other_refused() {
        for from in Phase::ALL {
            for to in Phase::ALL {
                let legal = LEGAL.contains(&(from, to));
                assert_eq!(from.can_go_to(to), legal, "{from} -> {to}");
                let mut s = State::new("2026-01-01T00:00:00Z", None);
                s.phase = from;
                let r = s.transition(to, "test");
                if legal {
                    r.unwrap();
                    assert_eq!(s.phase, to);
                    assert_eq!(s.history.last().unwrap().from, from);
                    assert!(s.entered.contains_key(&to));
                } else {
                    let e = r.unwrap_err().to_string();
                    assert_eq!(
                        e,
                        format!("illegal executor state transition {from} -> {to}")
                    );
                    assert_eq!(s.phase, from, "unchanged after a refusal");
                    assert!(s.history.is_empty());
                }
            }
        }
    }

    #[test]
    fn happy_path_and_failure_record_history_and_error() {
        let mut s = State::new("c", Some("sha256:x".into()));
        for p in [Snapshotted, Applying, Verifying, Done] {
            s.transition(p, "").unwrap();
        }
        assert_eq!(s.history.len(), 4);
        let mut f = State::new("c", None);
        f.transition(Snapshotted, "").unwrap();
        f.fail("scriptlet failed").unwrap();
        assert_eq!(f.phase, Failed);
        assert_eq!(f.last_error.as_deref(), Some("scriptlet failed"));
        let mut d = State::new("c", None);
        d.phase = RolledBack;
        assert!(d.fail("late").is_err());
        assert_eq!(d.last_error.as_deref(), Some("late"));
    }

    #[test]
    fn save_and_load_round_trip() {
        let dir = tempfile::tempdir().unwrap();
        assert!(State::load(dir.path()).unwrap().is_none());
        let mut s = State::new("2026-01-01T00:00:00Z", Some("sha256:ab".into()));
        s.snapshot = Some(serde_json::json!({"backend": "copy", "dir": "/x"}));
        s.transition(Snapshotted, "snap").unwrap();
        let path = s.save(dir.path()).unwrap();
        let text = fs::read_to_string(&path).unwrap();
        assert!(text.contains("\"phase\": \"snapshotted\""), "{text}");
        assert_eq!(State::load(dir.path()).unwrap().unwrap(), s);
    }

    #[test]
    fn bad_files_are_clear_errors() {
        let dir = tempfile::tempdir().unwrap();
        let path = state_path(dir.path());
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(&path, "{not json").unwrap();
        let e = State::load(dir.path()).unwrap_err().to_string();
        assert!(e.contains("is not a valid executor state"), "{e}");
        let mut s = State::new("c", None);
        s.schema = "leapfrog-state/99".into();
        fs::write(&path, serde_json::to_vec(&s).unwrap()).unwrap();
        let e = State::load(dir.path()).unwrap_err().to_string();
        assert!(e.contains("leapfrog-state/99"), "{e}");
        fs::write(
            &path,
            r#"{"schema":"leapfrog-state/1","phase":"exploded","plan_created":"c"}"#,
        )
        .unwrap();
        assert!(State::load(dir.path()).is_err());
    }

    #[test]
    fn a_crash_before_the_rename_leaves_the_old_state_readable() {
        let dir = tempfile::tempdir().unwrap();
        let old = State::new("old", None);
        old.save(dir.path()).unwrap();
        let mut new = old.clone();
        new.transition(Snapshotted, "").unwrap();
        let bytes = serde_json::to_vec(&new).unwrap();
        let path = state_path(dir.path());
        let r = leapfrog_base::failpoints::Registry::parse("state-before-rename")
            .unwrap()
            .fail_point("state-before-rename");
        assert!(r.is_err());
        // what write_atomic leaves when the failpoint fires before the rename
        fs::write(path.with_file_name("state.json.tmp"), &bytes).unwrap();
        // the new content is fully in the temporary file, the old one still in place
        let tmp = path.with_file_name("state.json.tmp");
        assert_eq!(fs::read(&tmp).unwrap(), bytes);
        assert_eq!(State::load(dir.path()).unwrap().unwrap(), old);
        // the next write succeeds over the leftover
        new.save(dir.path()).unwrap();
        assert_eq!(State::load(dir.path()).unwrap().unwrap().phase, Snapshotted);
        assert!(!tmp.exists());
    }

    #[test]
    fn a_sigkill_before_the_rename_leaves_the_old_state_readable() {
        use std::os::unix::process::ExitStatusExt as _;
        if let Some(root) = std::env::var_os(leapfrog_base::env::TEST_CHILD) {
            let mut s = State::load(Path::new(&root)).unwrap().unwrap();
            s.transition(Snapshotted, "").unwrap();
            let _ = s.save(Path::new(&root));
            std::process::exit(0);
        }
        let dir = tempfile::tempdir().unwrap();
        let old = State::new("old", None);
        old.save(dir.path()).unwrap();
        let status = std::process::Command::new(std::env::current_exe().unwrap())
            .args([
                "--exact",
                "apply::state::tests::a_sigkill_before_the_rename_leaves_the_old_state_readable",
                "--test-threads=1",
            ])
            .env(leapfrog_base::env::TEST_CHILD, dir.path())
            .env(leapfrog_base::env::FAILPOINTS, "state-before-rename=kill")
            .output()
            .unwrap()
            .status;
        assert_eq!(status.signal(), Some(9), "{status:?}");
        assert_eq!(State::load(dir.path()).unwrap().unwrap(), old);
        // without the failpoint the same child writes the new phase
        let status = std::process::Command::new(std::env::current_exe().unwrap())
            .args([
                "--exact",
                "apply::state::tests::a_sigkill_before_the_rename_leaves_the_old_state_readable",
                "--test-threads=1",
            ])
            .env(leapfrog_base::env::TEST_CHILD, dir.path())
            .env_remove(leapfrog_base::env::FAILPOINTS)
            .output()
            .unwrap()
            .status;
        assert!(status.success());
        assert_eq!(State::load(dir.path()).unwrap().unwrap().phase, Snapshotted);
    }
}
