//! Commit: a done upgrade is kept and its snapshot released; no rollback afterwards. Runs as
//! `leapfrog commit` and at the end of `apply --commit`.

use leapfrog_base::failpoints;

use super::error::ExecError;
use super::lock::RunLock;
use super::progress::Sink;
use super::report::CommitReport;
use super::rollback::{rebase, reconcile_merge};
use super::run::Run;
use super::state::{PhaseName, State};
use crate::document::Document as _;
use crate::snapshot;
use crate::workspace::Workspace;

/// Releases the snapshots of a done run and records the commit.
pub(crate) fn commit_run(run: &mut Run<'_>) -> Result<(), ExecError> {
    failpoints::fail_point("commit-before-release")?;
    if let Some(set) = run.state.phase.snapshots().cloned() {
        for rec in set.records() {
            snapshot::release(&rebase(rec, run.ws.root())).map_err(|e| {
                ExecError::Refused(format!("cannot release the snapshot {}: {e}", rec.id))
            })?;
        }
    }
    run.state.commit()?;
    let _ = std::fs::remove_file(run.ws.package_dirs_path());
    run.state
        .save(run.ws)
        .map_err(super::error::StepError::from)?;
    run.step("commit", "the snapshot is released: the upgrade is final");
    Ok(())
}

/// `leapfrog commit`: keeps a done upgrade and releases its snapshot.
///
/// # Errors
///
/// When no upgrade is done, or the snapshot cannot be released.
pub fn commit(ws: &Workspace, sink: &Sink) -> Result<CommitReport, ExecError> {
    let _lock = RunLock::acquire(ws)?;
    reconcile_merge(ws)?;
    let log = sink.log_to(&ws.apply_log_path()).ok();
    let state = State::load(ws)?
        .ok_or_else(|| ExecError::Refused("nothing to commit: no upgrade was applied".into()))?;
    if let Some(at) = state.phase.committed() {
        return Ok(CommitReport {
            committed: at.to_string(),
            backend: None,
            already: true,
        });
    }
    if state.name() != PhaseName::Done {
        return Err(ExecError::Refused(format!(
            "only a completed upgrade can be committed; the recorded phase is {}",
            state.name()
        )));
    }
    let backend = state.phase.snapshots().map(|s| s.backend);
    let mut run = Run {
        ws,
        sink,
        report: super::report::ApplyReport::new(super::report::Outcome::Done, &state, None, log),
        state,
    };
    commit_run(&mut run)?;
    Ok(CommitReport {
        committed: run.state.phase.committed().unwrap_or_default().to_string(),
        backend,
        already: false,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commit_without_state_is_refused() {
        let d = tempfile::tempdir().unwrap();
        let ws = Workspace::open(d.path()).unwrap();
        let e = commit(&ws, &Sink::discard()).unwrap_err();
        assert!(e.to_string().contains("nothing to commit"), "{e}");
    }
}
