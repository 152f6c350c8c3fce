//! The executor's persistent state, `<root>/var/lib/leapfrog/state.json` (schema
//! `leapfrog-state/2`).
//!
//! The state is a machine whose data lives in its phases ([`Phase`]), zincati-style: a run in
//! phase `snapshotted`, `applying`, `verifying` or `done` carries its [`SnapshotSet`]; a failed
//! run carries its error. Phases change only through the named transitions of [`State`]
//! ([`State::snapshotted`], [`State::applying`], ...), each of which checks that it starts from
//! a legal phase ([`PhaseName::can_go_to`]) and records the change in the history. A snapshot
//! record that cannot be read makes the whole file unreadable: a rollback then stops with an
//! error naming the file instead of taking it for "nothing to restore".
//!
//! On disk the phase's data sits beside its name:
//!
//! ```json
//! { "schema": "leapfrog-state/2", "plan_id": "sha256:…", "phase": "snapshotted",
//!   "snapshots": { "backend": "reflink", … }, "entered": { … }, "history": [ … ] }
//! ```

use std::collections::BTreeMap;

use leapfrog_base::atomic::Failpoints;
use leapfrog_base::time::now;
use serde::{Deserialize, Serialize};

use crate::snapshot::{Record, SnapshotBackend};
use crate::workspace::Workspace;

/// The schema identifier written into every state file.
pub const SCHEMA: &str = "leapfrog-state/2";

/// The snapshots of one run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SnapshotSet {
    /// The backend of the main snapshot.
    pub backend: SnapshotBackend,
    /// Why it was chosen.
    pub why: String,
    /// The main snapshot (`None` for backend none).
    pub main: Option<Record>,
    /// The `/boot` journal, when the main snapshot does not hold `/boot`.
    pub boot: Option<Record>,
    /// The stores were released (after a rollback or a commit).
    #[serde(default)]
    pub released: bool,
}

impl SnapshotSet {
    /// The records to restore or release, main first.
    pub fn records(&self) -> impl Iterator<Item = &Record> {
        self.main.iter().chain(self.boot.iter())
    }
}

/// The name of a phase, for the history, the log and `status`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum PhaseName {
    /// A downloaded plan, nothing changed yet.
    Planned,
    /// The snapshot is taken.
    Snapshotted,
    /// The RPM transaction has (possibly) started.
    Applying,
    /// The transaction is done; post-steps and verification run.
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

impl PhaseName {
    /// Whether moving from `self` to `next` is legal.
    pub fn can_go_to(self, next: PhaseName) -> bool {
        use PhaseName::*;
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
            PhaseName::Planned => "planned",
            PhaseName::Snapshotted => "snapshotted",
            PhaseName::Applying => "applying",
            PhaseName::Verifying => "verifying",
            PhaseName::Done => "done",
            PhaseName::RollingBack => "rolling-back",
            PhaseName::RolledBack => "rolled-back",
            PhaseName::Failed => "failed",
        }
    }

    /// Every phase.
    pub const ALL: [PhaseName; 8] = [
        PhaseName::Planned,
        PhaseName::Snapshotted,
        PhaseName::Applying,
        PhaseName::Verifying,
        PhaseName::Done,
        PhaseName::RollingBack,
        PhaseName::RolledBack,
        PhaseName::Failed,
    ];
}

impl std::fmt::Display for PhaseName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where a run stands, with the data that phase owns.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "phase", rename_all = "kebab-case")]
pub enum Phase {
    /// A downloaded plan, nothing changed yet.
    Planned,
    /// The snapshot is taken.
    Snapshotted {
        /// The snapshots.
        snapshots: SnapshotSet,
    },
    /// The RPM transaction has (possibly) started.
    Applying {
        /// The snapshots.
        snapshots: SnapshotSet,
    },
    /// The transaction is done; post-steps and verification run.
    Verifying {
        /// The snapshots.
        snapshots: SnapshotSet,
    },
    /// Upgraded and verified.
    Done {
        /// The snapshots (released once committed).
        snapshots: SnapshotSet,
        /// When the upgrade was committed: the snapshot is released and a rollback is no
        /// longer possible.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        committed: Option<String>,
    },
    /// A step failed; the root must be rolled back.
    Failed {
        /// The snapshots, when the run got that far.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        snapshots: Option<SnapshotSet>,
        /// What failed.
        error: String,
    },
    /// The snapshot is being restored.
    RollingBack {
        /// The snapshots (`None`: the run failed before the snapshot, nothing to restore).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        snapshots: Option<SnapshotSet>,
        /// Why the rollback runs: the failure, or the operator's request.
        cause: String,
        /// The operator asked for it (`leapfrog rollback` after a done upgrade): no failure.
        #[serde(default, skip_serializing_if = "is_false")]
        requested: bool,
    },
    /// The snapshot is restored (or nothing had been changed).
    RolledBack {
        /// The released snapshots.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        snapshots: Option<SnapshotSet>,
        /// Why it was rolled back.
        cause: String,
        /// The operator asked for it: no failure.
        #[serde(default, skip_serializing_if = "is_false")]
        requested: bool,
    },
}

impl Phase {
    /// Its name.
    pub fn name(&self) -> PhaseName {
        match self {
            Phase::Planned => PhaseName::Planned,
            Phase::Snapshotted { .. } => PhaseName::Snapshotted,
            Phase::Applying { .. } => PhaseName::Applying,
            Phase::Verifying { .. } => PhaseName::Verifying,
            Phase::Done { .. } => PhaseName::Done,
            Phase::Failed { .. } => PhaseName::Failed,
            Phase::RollingBack { .. } => PhaseName::RollingBack,
            Phase::RolledBack { .. } => PhaseName::RolledBack,
        }
    }

    /// The snapshots this phase holds.
    pub fn snapshots(&self) -> Option<&SnapshotSet> {
        match self {
            Phase::Planned => None,
            Phase::Snapshotted { snapshots }
            | Phase::Applying { snapshots }
            | Phase::Verifying { snapshots }
            | Phase::Done { snapshots, .. } => Some(snapshots),
            Phase::Failed { snapshots, .. }
            | Phase::RollingBack { snapshots, .. }
            | Phase::RolledBack { snapshots, .. } => snapshots.as_ref(),
        }
    }

    /// The error of a failed run (failed, rolling back or rolled back after a failure; not
    /// after a rollback the operator asked for).
    pub fn error(&self) -> Option<&str> {
        match self {
            Phase::Failed { error, .. } => Some(error),
            Phase::RollingBack {
                cause,
                requested: false,
                ..
            }
            | Phase::RolledBack {
                cause,
                requested: false,
                ..
            } => Some(cause),
            _ => None,
        }
    }

    /// When a done upgrade was committed.
    pub fn committed(&self) -> Option<&str> {
        match self {
            Phase::Done { committed, .. } => committed.as_deref(),
            _ => None,
        }
    }
}

fn is_false(b: &bool) -> bool {
    !*b
}

/// One transition, for the history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HistoryEntry {
    /// Phase left.
    pub from: PhaseName,
    /// Phase entered.
    pub to: PhaseName,
    /// When (RFC 3339, UTC).
    pub at: String,
    /// Why (free text, may be empty).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub note: String,
}

/// The whole state file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct State {
    /// [`SCHEMA`].
    pub schema: String,
    /// The plan this run executes ([`crate::plan::PlanDocument::plan_id`]).
    pub plan_id: String,
    /// The plan's rpmdb fingerprint (the root before the upgrade).
    #[serde(default)]
    pub rpmdb_fingerprint: Option<String>,
    /// Where the run stands, with that phase's data.
    #[serde(flatten)]
    pub phase: Phase,
    /// When each phase was (last) entered (RFC 3339, UTC).
    #[serde(default)]
    pub entered: BTreeMap<PhaseName, String>,
    /// Every transition so far.
    #[serde(default)]
    pub history: Vec<HistoryEntry>,
}

crate::json_document!(
    State,
    "executor state",
    SCHEMA,
    Workspace::state_path,
    hint = "written by `leapfrog apply`; a state of another leapfrog version must be finished with that version",
    failpoints = Failpoints {
        before_rename: Some("state-before-rename"),
        after_rename: Some("state-after-rename"),
    }
);

/// A refused transition.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("illegal executor state transition {from} -> {to}")]
pub struct IllegalTransition {
    /// Current phase.
    pub from: PhaseName,
    /// Requested phase.
    pub to: PhaseName,
}

impl State {
    /// A fresh state in [`Phase::Planned`] for a plan.
    pub fn new(plan_id: impl Into<String>, rpmdb_fingerprint: Option<String>) -> State {
        State {
            schema: SCHEMA.to_string(),
            plan_id: plan_id.into(),
            rpmdb_fingerprint,
            phase: Phase::Planned,
            entered: BTreeMap::from([(PhaseName::Planned, now())]),
            history: Vec::new(),
        }
    }

    /// The current phase's name.
    pub fn name(&self) -> PhaseName {
        self.phase.name()
    }

    fn go(&mut self, to: Phase, note: &str) -> Result<(), IllegalTransition> {
        let (from, next) = (self.phase.name(), to.name());
        if !from.can_go_to(next) {
            return Err(IllegalTransition { from, to: next });
        }
        let at = now();
        self.history.push(HistoryEntry {
            from,
            to: next,
            at: at.clone(),
            note: note.to_string(),
        });
        self.entered.insert(next, at);
        self.phase = to;
        Ok(())
    }

    fn held(&self) -> Result<SnapshotSet, IllegalTransition> {
        self.phase.snapshots().cloned().ok_or(IllegalTransition {
            from: self.phase.name(),
            to: PhaseName::Applying,
        })
    }

    /// planned -> snapshotted: the snapshot is complete.
    ///
    /// # Errors
    ///
    /// [`IllegalTransition`] (the state is left unchanged), as for every transition.
    pub fn snapshotted(
        &mut self,
        snapshots: SnapshotSet,
        note: &str,
    ) -> Result<(), IllegalTransition> {
        self.go(Phase::Snapshotted { snapshots }, note)
    }

    /// snapshotted -> applying: the RPM transaction may start.
    ///
    /// # Errors
    ///
    /// [`IllegalTransition`].
    pub fn applying(&mut self, note: &str) -> Result<(), IllegalTransition> {
        let snapshots = self.held()?;
        self.go(Phase::Applying { snapshots }, note)
    }

    /// applying -> verifying: the transaction completed.
    ///
    /// # Errors
    ///
    /// [`IllegalTransition`].
    pub fn verifying(&mut self, note: &str) -> Result<(), IllegalTransition> {
        let snapshots = self.held()?;
        self.go(Phase::Verifying { snapshots }, note)
    }

    /// verifying -> done: upgraded and verified.
    ///
    /// # Errors
    ///
    /// [`IllegalTransition`].
    pub fn done(&mut self, note: &str) -> Result<(), IllegalTransition> {
        let snapshots = self.held()?;
        self.go(
            Phase::Done {
                snapshots,
                committed: None,
            },
            note,
        )
    }

    /// -> failed, keeping the snapshots the run holds.
    ///
    /// # Errors
    ///
    /// [`IllegalTransition`] from done, rolled back or failed.
    pub fn failed(&mut self, error: &str) -> Result<(), IllegalTransition> {
        let snapshots = self.phase.snapshots().cloned();
        self.go(
            Phase::Failed {
                snapshots,
                error: error.to_string(),
            },
            error,
        )
    }

    /// -> rolling-back (from failed, done, or a phase holding snapshots); `requested` when
    /// the operator asked for it after a done upgrade.
    ///
    /// # Errors
    ///
    /// [`IllegalTransition`].
    pub fn rolling_back(
        &mut self,
        cause: &str,
        requested: bool,
        note: &str,
    ) -> Result<(), IllegalTransition> {
        let snapshots = self.phase.snapshots().cloned();
        self.go(
            Phase::RollingBack {
                snapshots,
                cause: cause.to_string(),
                requested,
            },
            note,
        )
    }

    /// rolling-back -> rolled-back.
    ///
    /// # Errors
    ///
    /// [`IllegalTransition`].
    pub fn rolled_back(&mut self, note: &str) -> Result<(), IllegalTransition> {
        let (snapshots, cause, requested) = match &self.phase {
            Phase::RollingBack {
                snapshots,
                cause,
                requested,
            } => (snapshots.clone(), cause.clone(), *requested),
            other => {
                return Err(IllegalTransition {
                    from: other.name(),
                    to: PhaseName::RolledBack,
                });
            }
        };
        self.go(
            Phase::RolledBack {
                snapshots,
                cause,
                requested,
            },
            note,
        )
    }

    /// Marks the snapshots of a rollback released (their stores are freed).
    pub fn release_snapshots(&mut self) {
        if let Phase::RollingBack {
            snapshots: Some(s), ..
        } = &mut self.phase
        {
            s.released = true;
        }
    }

    /// Records the commit of a done upgrade (its snapshots are released).
    ///
    /// # Errors
    ///
    /// [`IllegalTransition`] when the run is not done.
    pub fn commit(&mut self) -> Result<(), IllegalTransition> {
        match &mut self.phase {
            Phase::Done {
                snapshots,
                committed,
            } => {
                snapshots.released = true;
                committed.get_or_insert_with(now);
                Ok(())
            }
            other => Err(IllegalTransition {
                from: other.name(),
                to: PhaseName::Done,
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::document::Document as _;
    use PhaseName::*;

    const LEGAL: &[(PhaseName, PhaseName)] = &[
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

    fn set() -> SnapshotSet {
        SnapshotSet {
            backend: SnapshotBackend::Copy,
            why: "test".into(),
            main: None,
            boot: None,
            released: false,
        }
    }

    /// A state in phase `name`, with a snapshot set where the phase holds one.
    fn in_phase(name: PhaseName) -> State {
        let mut s = State::new("sha256:p", None);
        s.phase = match name {
            Planned => Phase::Planned,
            Snapshotted => Phase::Snapshotted { snapshots: set() },
            Applying => Phase::Applying { snapshots: set() },
            Verifying => Phase::Verifying { snapshots: set() },
            Done => Phase::Done {
                snapshots: set(),
                committed: None,
            },
            Failed => Phase::Failed {
                snapshots: Some(set()),
                error: "e".into(),
            },
            RollingBack => Phase::RollingBack {
                snapshots: Some(set()),
                cause: "e".into(),
                requested: false,
            },
            RolledBack => Phase::RolledBack {
                snapshots: Some(set()),
                cause: "e".into(),
                requested: false,
            },
        };
        s
    }

    fn transition(s: &mut State, to: PhaseName) -> Result<(), IllegalTransition> {
        match to {
            Planned => Err(IllegalTransition { from: s.name(), to }),
            Snapshotted => s.snapshotted(set(), "t"),
            Applying => s.applying("t"),
            Verifying => s.verifying("t"),
            Done => s.done("t"),
            Failed => s.failed("t"),
            RollingBack => s.rolling_back("t", false, "t"),
            RolledBack => s.rolled_back("t"),
        }
    }

    #[test]
    fn every_legal_transition_is_accepted_and_every_other_refused() {
        for from in PhaseName::ALL {
            for to in PhaseName::ALL {
                let legal = LEGAL.contains(&(from, to));
                assert_eq!(from.can_go_to(to), legal, "{from} -> {to}");
                let mut s = in_phase(from);
                let r = transition(&mut s, to);
                if legal {
                    r.unwrap();
                    assert_eq!(s.name(), to);
                    assert_eq!(s.history.last().unwrap().from, from);
                    assert!(s.entered.contains_key(&to));
                } else {
                    assert!(r.is_err(), "{from} -> {to} accepted");
                    assert_eq!(s.name(), from, "unchanged after a refusal");
                    assert!(s.history.is_empty());
                }
            }
        }
    }

    #[test]
    fn the_snapshots_travel_with_the_phases_and_the_error_with_a_failure() {
        let mut s = State::new("sha256:p", Some("sha256:x".into()));
        assert!(s.applying("no snapshot yet").is_err());
        s.snapshotted(set(), "snap").unwrap();
        s.applying("").unwrap();
        assert_eq!(s.phase.snapshots(), Some(&set()));
        s.failed("scriptlet failed").unwrap();
        assert_eq!(s.phase.error(), Some("scriptlet failed"));
        assert_eq!(s.phase.snapshots(), Some(&set()));
        s.rolling_back("scriptlet failed", false, "restoring")
            .unwrap();
        s.release_snapshots();
        s.rolled_back("restored").unwrap();
        assert!(s.phase.snapshots().unwrap().released);
        assert_eq!(s.phase.error(), Some("scriptlet failed"));
        let mut d = in_phase(Done);
        d.commit().unwrap();
        assert!(d.phase.committed().is_some());
        assert!(d.phase.snapshots().unwrap().released);
        assert!(in_phase(Verifying).commit().is_err());
        let mut r = in_phase(Done);
        r.rolling_back("rollback requested by the operator", true, "")
            .unwrap();
        r.rolled_back("").unwrap();
        assert_eq!(r.phase.error(), None, "a requested rollback is no failure");
    }

    #[test]
    fn save_and_load_round_trip_with_the_phase_data_beside_its_name() {
        let dir = tempfile::tempdir().unwrap();
        let ws = Workspace::open(dir.path()).unwrap();
        assert!(State::load(&ws).unwrap().is_none());
        let mut s = State::new("sha256:p", Some("sha256:ab".into()));
        s.snapshotted(set(), "snap").unwrap();
        let path = s.save(&ws).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.contains("\"phase\": \"snapshotted\""), "{text}");
        assert!(text.contains("\"snapshots\": {"), "{text}");
        assert_eq!(State::require(&ws).unwrap(), s);
    }

    #[test]
    fn an_unreadable_snapshot_record_makes_the_state_unreadable() {
        let dir = tempfile::tempdir().unwrap();
        let ws = Workspace::open(dir.path()).unwrap();
        let mut s = State::new("sha256:p", None);
        s.snapshotted(set(), "snap").unwrap();
        let path = s.save(&ws).unwrap();
        let text = std::fs::read_to_string(&path)
            .unwrap()
            .replace("\"backend\": \"copy\"", "\"backend\": \"tape\"");
        std::fs::write(&path, text).unwrap();
        let e = State::load(&ws).unwrap_err().to_string();
        assert!(
            e.contains("state.json is not a valid executor state"),
            "{e}"
        );
    }

    #[test]
    fn bad_files_are_clear_errors() {
        let dir = tempfile::tempdir().unwrap();
        let ws = Workspace::open(dir.path()).unwrap();
        let path = ws.state_path();
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, "{not json").unwrap();
        let e = State::load(&ws).unwrap_err().to_string();
        assert!(e.contains("is not a valid executor state"), "{e}");
        std::fs::write(
            &path,
            r#"{"schema":"leapfrog-state/1","phase":"planned","plan_created":"c"}"#,
        )
        .unwrap();
        let e = State::load(&ws).unwrap_err().to_string();
        assert!(e.contains("leapfrog-state/1"), "{e}");
        std::fs::write(
            &path,
            r#"{"schema":"leapfrog-state/2","phase":"exploded","plan_id":"c"}"#,
        )
        .unwrap();
        assert!(State::load(&ws).is_err());
    }

    #[test]
    fn a_failpoint_before_the_rename_leaves_the_old_state_readable() {
        use std::os::unix::process::ExitStatusExt as _;
        if let Some(root) = std::env::var_os(leapfrog_base::env::TEST_CHILD) {
            let ws = Workspace::open(std::path::Path::new(&root)).unwrap();
            let mut s = State::require(&ws).unwrap();
            s.snapshotted(set(), "").unwrap();
            let _ = s.save(&ws);
            std::process::exit(0);
        }
        let dir = tempfile::tempdir().unwrap();
        let ws = Workspace::open(dir.path()).unwrap();
        let old = State::new("old", None);
        old.save(&ws).unwrap();
        let child = |failpoints: Option<&str>| {
            let mut cmd = std::process::Command::new(std::env::current_exe().unwrap());
            cmd.args([
                "--exact",
                "apply::state::tests::a_failpoint_before_the_rename_leaves_the_old_state_readable",
                "--test-threads=1",
            ])
            .env(leapfrog_base::env::TEST_CHILD, dir.path());
            match failpoints {
                Some(f) => cmd.env(leapfrog_base::env::FAILPOINTS, f),
                None => cmd.env_remove(leapfrog_base::env::FAILPOINTS),
            };
            cmd.output().unwrap().status
        };
        let status = child(Some("state-before-rename=kill"));
        assert_eq!(status.signal(), Some(9), "{status:?}");
        assert_eq!(State::require(&ws).unwrap(), old);
        // the new content is in the temporary file, the old one still in place
        assert!(ws.state_path().with_file_name("state.json.tmp").exists());
        // without the failpoint the same child writes the new phase over the leftover
        assert!(child(None).success());
        assert_eq!(State::require(&ws).unwrap().name(), Snapshotted);
        assert!(!ws.state_path().with_file_name("state.json.tmp").exists());
    }
}
