//! The executor's errors: [`ExecError`] stops a command (nothing was changed, or the rollback
//! itself failed); [`StepError`] is what a step after the snapshot fails with, which
//! [`super::apply`] answers with a rollback. Both keep their cause chain (`source()`), which
//! the report renders whole ([`chain`]).

use std::path::PathBuf;

use leapfrog_base::failpoints::FailpointError;

use super::lock::LockError;
use super::merge_keep::KeepError;
use super::post::PostError;
use super::stale::StaleError;
use super::state::IllegalTransition;
use super::verify::Failure;
use crate::boot::BootError;
use crate::document::DocumentError;
use crate::rpmdb::RpmDbError;
use crate::snapshot::SnapshotError;
use crate::transaction::FillError;

/// The whole cause chain of an error, `a: b: c`, as the report and `state.json` record it.
pub fn chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut out = e.to_string();
    let mut cur = e.source();
    while let Some(c) = cur {
        let s = c.to_string();
        if !out.ends_with(&s) {
            out.push_str(": ");
            out.push_str(&s);
        }
        cur = c.source();
    }
    out
}

/// What a step of a run failed with. After the snapshot, any of these rolls the root back.
#[derive(Debug, thiserror::Error)]
pub enum StepError {
    /// A document (plan, download record, state) cannot be read or written.
    #[error(transparent)]
    Document(#[from] DocumentError),
    /// A refused phase change (a bug, or a state edited by hand).
    #[error(transparent)]
    Transition(#[from] IllegalTransition),
    /// A failpoint of the crash tests fired.
    #[error(transparent)]
    Failpoint(#[from] FailpointError),
    /// The rpm database cannot be found or read.
    #[error(transparent)]
    RpmDb(#[from] RpmDbError),
    /// The transaction cannot be filled from the plan and the downloaded files.
    #[error(transparent)]
    Fill(#[from] FillError),
    /// librpm could not run the transaction at all.
    #[error("the RPM transaction failed")]
    Rpm(#[source] rpm_sys::TransactionError),
    /// The transaction ran and failed.
    #[error("the RPM transaction failed: {0}")]
    TransactionFailed(TransactionFailure),
    /// A post-step failed.
    #[error(transparent)]
    Post(#[from] PostError),
    /// The boot loader could not be changed.
    #[error(transparent)]
    Boot(#[from] BootError),
    /// The upgraded root is not what the plan says.
    #[error("verification of the upgraded root failed: {}", .0.iter().map(|f| f.message.as_str()).collect::<Vec<_>>().join(" "))]
    Verification(Vec<Failure>),
    /// The plan's target has no major version.
    #[error("cannot tell the major version of target {0}")]
    TargetMajor(String),
    /// A previous run was interrupted where the root cannot be trusted.
    #[error("{0}")]
    Interrupted(&'static str),
}

/// Why a transaction that ran failed, from rpm's own report.
#[derive(Debug, Clone, Default)]
pub struct TransactionFailure {
    /// rpm's problems.
    pub problems: Vec<String>,
    /// Packages whose scriptlet failed.
    pub failing_scriptlets: Vec<String>,
    /// Packages that could not be unpacked.
    pub unpack_errors: u64,
    /// Elements rpm reports failed.
    pub failed_elements: u64,
    /// rpm's error lines.
    pub rpm_messages: Vec<String>,
}

impl std::fmt::Display for TransactionFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut why = Vec::new();
        if !self.problems.is_empty() {
            why.push(self.problems.join("; "));
        }
        if !self.failing_scriptlets.is_empty() {
            why.push(format!(
                "failing scriptlet in {}",
                self.failing_scriptlets.join(", ")
            ));
        }
        if self.unpack_errors > 0 {
            why.push(format!(
                "{} package(s) could not be unpacked",
                self.unpack_errors
            ));
        }
        if self.failed_elements > 0 {
            why.push(format!("{} element(s) failed", self.failed_elements));
        }
        f.write_str(&why.join("; "))?;
        if !self.rpm_messages.is_empty() {
            write!(f, " (rpm: {})", self.rpm_messages.join(" | "))?;
        }
        Ok(())
    }
}

/// Errors that stop an executor command. When a step fails after the snapshot,
/// [`super::apply`] rolls back first and reports the cause in the report instead.
#[derive(Debug, thiserror::Error)]
pub enum ExecError {
    /// Another run holds the lock.
    #[error(transparent)]
    Lock(#[from] LockError),
    /// A document cannot be used.
    #[error(transparent)]
    Document(#[from] DocumentError),
    /// Inhibitors in the plan.
    #[error(
        "the plan is blocked by inhibitors: {0}; resolve them and run `leapfrog plan` and `leapfrog download` again"
    )]
    Inhibited(String),
    /// The packages are not downloaded, or not for this plan.
    #[error("{0}")]
    NotDownloaded(String),
    /// The root changed since planning.
    #[error(transparent)]
    Stale(#[from] StaleError),
    /// A downloaded package failed its re-verification.
    #[error("the downloaded packages failed verification, nothing was changed: {0}")]
    Packages(String),
    /// The snapshot could not be taken (nothing was changed).
    #[error("cannot take the snapshot, nothing was changed")]
    Snapshot(#[source] SnapshotError),
    /// A step before the snapshot failed (nothing was changed).
    #[error(transparent)]
    Step(#[from] StepError),
    /// The recorded state does not allow this command.
    #[error("{0}")]
    Refused(String),
    /// The rollback itself failed: the root is in between.
    #[error(
        "ROLLBACK FAILED: {message}; the upgrade failed first because: {cause}; the state is recorded in {}: fix the cause and run `leapfrog rollback` again",
        state.display()
    )]
    RollbackFailed {
        /// What failed in the rollback.
        message: String,
        /// Why the rollback was needed.
        cause: String,
        /// The state file.
        state: PathBuf,
    },
    /// The upgrade failed and there is no snapshot to roll back to (`--snapshot none`).
    #[error(
        "the upgrade failed and cannot be rolled back (it ran with --snapshot none): {cause}; the root may be partly upgraded"
    )]
    NoRollback {
        /// What failed.
        cause: String,
    },
    /// The state an LVM rollback kept on /boot cannot be put back after the merge.
    #[error(
        "the state and logs an LVM rollback kept in /boot/leapfrog-merge cannot be put back (remove that directory to go on with the root's own state)"
    )]
    Kept(#[source] KeepError),
    /// The rpm database cannot be read (nothing was changed).
    #[error("cannot {op} {}", root.display())]
    RpmDb {
        /// What was being done.
        op: &'static str,
        /// The root.
        root: PathBuf,
        /// Why.
        #[source]
        source: Box<rpm_sys::RpmError>,
    },
    /// An I/O error outside the snapshot.
    #[error("cannot {op} {}", path.display())]
    Io {
        /// What was being done.
        op: &'static str,
        /// Path.
        path: PathBuf,
        /// Cause.
        #[source]
        source: std::io::Error,
    },
}

impl From<FailpointError> for ExecError {
    fn from(e: FailpointError) -> Self {
        ExecError::Step(StepError::Failpoint(e))
    }
}

impl From<IllegalTransition> for ExecError {
    fn from(e: IllegalTransition) -> Self {
        ExecError::Step(StepError::Transition(e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_chain_keeps_every_cause_once() {
        let io = std::io::Error::other("No space left on device");
        let e = ExecError::Io {
            op: "write",
            path: "/r/x".into(),
            source: io,
        };
        assert_eq!(chain(&e), "cannot write /r/x: No space left on device");
        let f = TransactionFailure {
            failing_scriptlets: vec!["failing-post-1-1.noarch".into()],
            rpm_messages: vec!["error: %post(failing-post) scriptlet failed".into()],
            ..TransactionFailure::default()
        };
        assert_eq!(
            StepError::TransactionFailed(f).to_string(),
            "the RPM transaction failed: failing scriptlet in failing-post-1-1.noarch (rpm: error: %post(failing-post) scriptlet failed)"
        );
    }
}
