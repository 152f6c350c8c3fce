//! The executor: applies a downloaded plan to a root with a snapshot first and an automatic
//! rollback on any failure, as a resumable state machine recorded in `state.json`
//! ([`state`]), under the run lock ([`lock`]). One module per step:
//!
//! | step | phases | module |
//! |---|---|---|
//! | readiness: inhibitors, download record, stale plan, package files | (nothing changes) | [`readiness`](self) |
//! | snapshot set | planned -> snapshotted | `snapshotting` ([`scope`] for the journals) |
//! | the RPM transaction | snapshotted -> applying -> verifying | `transaction` |
//! | post-steps and verification | verifying -> done | `verification` ([`post`], [`verify`]) |
//! | rollback | failed -> rolling-back -> rolled-back | `rollback` ([`merge_keep`] for LVM) |
//! | commit | done (committed) | `commit` |
//!
//! Every phase is entered the same way (synced, saved, logged: `run::Run::enter`); what a
//! run reports goes through [`progress`]. See `docs/executor.md` for what a re-run does after a
//! crash in each phase.
//!
//! ```text
//! apply:    lock -> readiness -> planned -> snapshot -> snapshotted -> applying -> rpm
//!           transaction -> verifying -> post-steps -> verify -> done
//! failure:  failed -> rolling-back -> restore -> rolled-back
//! ```

mod commit;
mod error;
pub mod lock;
pub mod merge_keep;
pub mod post;
pub mod progress;
mod readiness;
mod report;
mod rollback;
mod run;
pub mod scope;
mod snapshotting;
pub mod stale;
pub mod state;
mod transaction;
mod verification;
pub mod verify;

pub use commit::commit;
pub use error::{ExecError, StepError, TransactionFailure, chain};
pub use report::{
    ApplyReport, CommitReport, Outcome, PostSummary, RollbackReport, RollbackSummary,
    TransactionSummary,
};
pub use rollback::{is_rpm_temporary, rebase, rollback};
pub use state::{Phase, PhaseName, SnapshotSet, State};

use progress::Sink;
use run::Run;

use crate::document::Document as _;
use crate::plan::PlanDocument;
use crate::snapshot::SnapshotBackend;
use crate::workspace::Workspace;

/// Which snapshot backend `apply` uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SnapshotChoice {
    /// The best one available ([`crate::snapshot::detect`]).
    Auto,
    /// This one.
    Use(SnapshotBackend),
}

/// Options of [`apply`].
#[derive(Debug, Clone)]
pub struct ApplyOptions {
    /// The snapshot backend.
    pub snapshot: SnapshotChoice,
    /// The operator accepted that `--snapshot none` means no rollback.
    pub accept_no_rollback: bool,
    /// Release the snapshot as soon as the upgrade is verified (commit at once).
    pub commit: bool,
}

impl Default for ApplyOptions {
    fn default() -> Self {
        Self {
            snapshot: SnapshotChoice::Auto,
            accept_no_rollback: false,
            commit: false,
        }
    }
}

/// What a re-run does from each recorded phase, for the log.
fn resume_note(p: PhaseName) -> &'static str {
    match p {
        PhaseName::Planned => "the snapshot was not completed: it is taken again",
        PhaseName::Snapshotted => "the snapshot is complete, the transaction has not started",
        PhaseName::Applying => {
            "the transaction was interrupted: it is never run twice, the root is rolled back"
        }
        PhaseName::Verifying => "the transaction completed: post-steps and verification again",
        PhaseName::Done => "the upgrade is already complete",
        PhaseName::Failed | PhaseName::RollingBack => "the rollback is completed",
        PhaseName::RolledBack => "a new attempt starts",
    }
}

/// The state this `apply` continues (a run of this plan not rolled back) or starts, with the
/// phase found, or why it must not run.
fn starting_state(
    ws: &Workspace,
    plan: &PlanDocument,
) -> Result<(State, Option<PhaseName>), ExecError> {
    let previous = State::load(ws)?;
    let found = previous.as_ref().map(State::name);
    match previous {
        Some(s) if s.plan_id == plan.plan_id && s.name() != PhaseName::RolledBack => {
            return Ok((s, found));
        }
        Some(s) if s.phase.committed().is_none() && s.name() == PhaseName::Done => {
            return Err(ExecError::Refused(format!(
                "an earlier upgrade (plan {}) is done but not committed: run `leapfrog commit` to keep it or `leapfrog rollback` to undo it before applying another plan",
                crate::plan::document::short_id(&s.plan_id)
            )));
        }
        Some(s) if s.name() != PhaseName::Done && s.name() != PhaseName::RolledBack => {
            return Err(ExecError::Refused(format!(
                "a run of another plan ({}) was interrupted in phase {}: run `leapfrog rollback` to finish it first",
                crate::plan::document::short_id(&s.plan_id),
                s.name()
            )));
        }
        _ => {}
    }
    Ok((
        State::new(plan.plan_id.clone(), plan.rpmdb_fingerprint.clone()),
        found,
    ))
}

/// Applies the plan of the workspace (see the module documentation). A failure after the
/// snapshot is rolled back and returned as `Ok` with [`Outcome::RolledBack`] and the cause;
/// errors are returned when nothing was changed, or when the rollback itself failed.
///
/// # Errors
///
/// See [`ExecError`].
pub fn apply(ws: &Workspace, opts: &ApplyOptions, sink: &Sink) -> Result<ApplyReport, ExecError> {
    std::fs::create_dir_all(ws.state_dir()).map_err(|source| ExecError::Io {
        op: "create",
        path: ws.state_dir(),
        source,
    })?;
    let _lock = lock::RunLock::acquire(ws)?;
    rollback::reconcile_merge(ws)?;
    let log = sink.log_to(&ws.apply_log_path()).ok();
    let plan = PlanDocument::require(ws)?;
    let (state, resumed_from) = starting_state(ws, &plan)?;
    let mut run = Run {
        ws,
        sink,
        report: ApplyReport {
            source: plan.source.clone(),
            target: plan.target.clone(),
            ..ApplyReport::new(Outcome::Done, &state, resumed_from, log)
        },
        state,
    };
    if let Some(p) = resumed_from
        && run.state.plan_id == plan.plan_id
    {
        run.step(
            "resume",
            format!(
                "state.json records phase {p} for this plan; continuing from there ({})",
                resume_note(p)
            ),
        );
    }
    let result = drive(&mut run, &plan, opts);
    run.report.snapshot = run.state.phase.snapshots().cloned();
    sink.sync();
    result.map(|()| run.report)
}

/// Runs the state machine from the recorded phase to done or rolled-back.
fn drive(run: &mut Run<'_>, plan: &PlanDocument, opts: &ApplyOptions) -> Result<(), ExecError> {
    loop {
        match run.state.name() {
            PhaseName::Planned => {
                let started = std::time::Instant::now();
                let files = readiness::check(run.ws, plan)?;
                run.time("verify-packages", started);
                run.step(
                    "verify-packages",
                    format!(
                        "{} package files verified (size, checksum, signature) and the plan matches the root's rpm database",
                        files.len()
                    ),
                );
                // stores left by an interrupted snapshot or an earlier run
                snapshotting::discard_stores(run.ws)?;
                run.state.save(run.ws).map_err(StepError::from)?;
                snapshotting::take(run, plan, &files, opts)?;
            }
            PhaseName::Snapshotted => {
                if let Err(e) = transaction::run_transaction(run, plan) {
                    return rollback::fail_and_roll_back(run, &e);
                }
            }
            PhaseName::Applying => {
                let e = StepError::Interrupted(
                    "the previous run was interrupted during the RPM transaction (a transaction is never run twice)",
                );
                return rollback::fail_and_roll_back(run, &e);
            }
            PhaseName::Verifying => {
                if let Err(e) = verification::post_and_verify(run, plan) {
                    return rollback::fail_and_roll_back(run, &e);
                }
                leapfrog_base::failpoints::fail_point("done-before")?;
                run.enter(
                    run::Transition::Done,
                    "upgraded and verified",
                    run::Save::Required,
                )?;
                if opts.commit {
                    commit::commit_run(run)?;
                    run.report.committed = true;
                }
                return Ok(());
            }
            PhaseName::Done => {
                if run.report.resumed_from == Some(PhaseName::Done) {
                    run.report.outcome = Outcome::AlreadyDone;
                    run.step("done", "the upgrade was already complete: nothing to do");
                }
                return Ok(());
            }
            PhaseName::Failed | PhaseName::RollingBack => {
                let e = StepError::Interrupted("an earlier run failed");
                return rollback::fail_and_roll_back(run, &e);
            }
            PhaseName::RolledBack => {
                // a finished rollback of this plan: a new attempt
                run.state = State::new(plan.plan_id.clone(), plan.rpmdb_fingerprint.clone());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn apply_without_plan_is_an_error_that_changes_nothing() {
        let d = tempfile::tempdir().unwrap();
        let ws = Workspace::open(d.path()).unwrap();
        let e = apply(&ws, &ApplyOptions::default(), &Sink::discard()).unwrap_err();
        assert!(e.to_string().contains("leapfrog plan"), "{e}");
        assert!(!ws.state_path().exists());
    }
}
