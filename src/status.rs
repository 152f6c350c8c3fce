//! `leapfrog status` as a library call: [`status`] reads the documents of the workspace (plan,
//! download record, staging record, executor state) and the executor's log, and says in one
//! word where the upgrade stands and in one sentence what to do next. It changes nothing
//! (except putting back the state an LVM rollback kept on `/boot`, once the merge is done).

use std::collections::BTreeMap;
use std::path::PathBuf;

use anyhow::Context as _;
use serde::Serialize;

use crate::apply::state::{PhaseName, SnapshotSet, State};
use crate::boot::Staged;
use crate::document::Document as _;
use crate::download::DownloadRecord;
use crate::plan::PlanDocument;
use crate::workspace::Workspace;

/// The plan, as status shows it.
#[derive(Debug, Clone, Serialize)]
pub struct PlanStatus {
    /// Its identity.
    pub plan_id: String,
    /// When it was made.
    pub created: String,
    /// Source release.
    pub source: String,
    /// Target release.
    pub target: String,
    /// Titles of its inhibitors.
    pub inhibitors: Vec<String>,
}

/// The download, as status shows it.
#[derive(Debug, Clone, Serialize)]
pub struct DownloadStatus {
    /// Verified and the transaction fits.
    pub ready: bool,
    /// Packages.
    pub packages: usize,
    /// It belongs to the current plan.
    pub for_current_plan: bool,
}

/// The running transaction's progress, from the log.
#[derive(Debug, Clone, Serialize)]
pub struct Progress {
    /// Elements finished.
    pub done: u64,
    /// Elements in all.
    pub total: u64,
    /// What rpm is doing.
    pub current: String,
}

/// Where the upgrade stands.
#[derive(Debug, Clone, Serialize)]
pub struct Status {
    /// One word: not-planned, blocked, planned, downloaded, staged, in-progress, done,
    /// committed, failed, rolled-back.
    pub stage: &'static str,
    /// The executor phase, when a run exists.
    pub phase: Option<PhaseName>,
    /// What to do next, in a sentence.
    pub next: String,
    /// The plan.
    pub plan: Option<PlanStatus>,
    /// The download.
    pub download: Option<DownloadStatus>,
    /// What is staged.
    pub staged: Option<Staged>,
    /// The snapshots of the run.
    pub snapshot: Option<SnapshotSet>,
    /// The transaction's progress, during a run.
    pub progress: Option<Progress>,
    /// When each phase was entered.
    pub timings: BTreeMap<PhaseName, String>,
    /// The error of a failed run.
    pub last_error: Option<String>,
    /// When the upgrade was committed.
    pub committed: Option<String>,
    /// The logs.
    pub logs: BTreeMap<&'static str, PathBuf>,
}

/// The last `[n/total] action package` line of the executor log.
fn progress(log: &str) -> Option<Progress> {
    log.lines().rev().find_map(|l| {
        let rest = l.split_once(" [")?.1;
        let (counts, what) = rest.split_once("] ")?;
        let (done, total) = counts.split_once('/')?;
        Some(Progress {
            done: done.parse().ok()?,
            total: total.parse().ok()?,
            current: what.to_string(),
        })
    })
}

/// The stage and the next step.
fn stage_of(
    state: Option<&State>,
    plan: Option<&PlanDocument>,
    staged_pending: bool,
    downloaded: bool,
) -> (&'static str, &'static str) {
    let phase = state.map(State::name);
    match (state, phase, plan) {
        (Some(s), _, _) if s.phase.committed().is_some() => {
            ("committed", "nothing: the upgrade is final")
        }
        (_, Some(PhaseName::Done), _) => (
            "done",
            "check the system, then `leapfrog commit` to keep the upgrade or `leapfrog rollback` to undo it",
        ),
        (Some(s), Some(PhaseName::RolledBack), _) if s.phase.error().is_some() => (
            "rolled-back",
            "the root is as before the upgrade; read the last error, fix the cause, then plan again",
        ),
        (_, Some(PhaseName::RolledBack), _) => (
            "rolled-back",
            "the root is as before the upgrade (rolled back on request); `leapfrog upgrade` tries again",
        ),
        (_, Some(PhaseName::Failed | PhaseName::RollingBack), _) => {
            ("failed", "`leapfrog rollback` completes the rollback")
        }
        (_, Some(p), _) if p != PhaseName::Planned => (
            "in-progress",
            "wait: the offline upgrade is running (or was interrupted: run `leapfrog apply` or boot the upgrade entry again)",
        ),
        _ if staged_pending => (
            "staged",
            "reboot: the next boot runs the offline upgrade (`leapfrog cancel` undoes the staging)",
        ),
        (_, _, None) => (
            "not-planned",
            "`leapfrog preupgrade`, then `leapfrog upgrade`",
        ),
        (_, _, Some(p)) if p.inhibited() => (
            "blocked",
            "resolve the inhibitors of the plan, then `leapfrog upgrade` again",
        ),
        _ if downloaded => (
            "downloaded",
            "`leapfrog upgrade` stages the reboot (or `leapfrog apply` on a mounted root)",
        ),
        _ => ("planned", "`leapfrog upgrade` (or `leapfrog download`)"),
    }
}

/// Where the upgrade of the workspace's root stands (see the module documentation).
///
/// # Errors
///
/// When a staging record or executor state exists but cannot be read.
pub fn status(ws: &Workspace) -> anyhow::Result<Status> {
    crate::apply::merge_keep::reconcile_if_idle(ws)
        .context("cannot put back the state an LVM rollback kept on /boot")?;
    let plan = PlanDocument::load(ws).ok().flatten();
    let download = DownloadRecord::load(ws).ok().flatten();
    let staged = Staged::load(ws).context("cannot read the staging record")?;
    let state = State::load(ws).context("cannot read the executor state")?;
    let log_text = std::fs::read_to_string(ws.apply_log_path()).unwrap_or_default();

    let download_status = download.as_ref().map(|d| DownloadStatus {
        ready: d.ready,
        packages: d.packages,
        for_current_plan: plan.as_ref().is_some_and(|p| p.plan_id == d.plan_id),
    });
    let staged_pending = staged.as_ref().is_some_and(|s| s.finished.is_none());
    let downloaded = download_status
        .as_ref()
        .is_some_and(|d| d.ready && d.for_current_plan);
    let (stage, next) = stage_of(state.as_ref(), plan.as_ref(), staged_pending, downloaded);
    let in_run = state.as_ref().is_some_and(|s| {
        matches!(
            s.name(),
            PhaseName::Applying | PhaseName::Verifying | PhaseName::Snapshotted
        )
    });
    Ok(Status {
        stage,
        phase: state.as_ref().map(State::name),
        next: next.to_string(),
        plan: plan.as_ref().map(|p| PlanStatus {
            plan_id: p.plan_id.clone(),
            created: p.created.clone(),
            source: p.source.clone(),
            target: p.target.clone(),
            inhibitors: p.inhibitor_titles().into_iter().map(String::from).collect(),
        }),
        download: download_status,
        staged,
        snapshot: state.as_ref().and_then(|s| s.phase.snapshots().cloned()),
        progress: if in_run { progress(&log_text) } else { None },
        timings: state
            .as_ref()
            .map(|s| s.entered.clone())
            .unwrap_or_default(),
        last_error: state
            .as_ref()
            .and_then(|s| s.phase.error().map(String::from)),
        committed: state
            .as_ref()
            .and_then(|s| s.phase.committed().map(String::from)),
        logs: BTreeMap::from([
            ("apply", ws.apply_log_path()),
            ("scriptlets", ws.scriptlet_log_path()),
            ("report", ws.report_text_path()),
        ]),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn progress_is_the_last_package_line() {
        let log = "2026-11-22T10:00:00.000Z phase applying\n2026-11-22T10:00:01.000Z [3/85] install bash-5.1-1.el9.x86_64\n2026-11-22T10:00:02.000Z [4/85] erase foo-1-1.el8.noarch\n2026-11-22T10:00:02.100Z warning: x\n";
        let p = progress(log).unwrap();
        assert_eq!((p.done, p.total), (4, 85));
        assert_eq!(p.current, "erase foo-1-1.el8.noarch");
        assert!(progress("phase done\n").is_none());
    }

    #[test]
    fn an_empty_root_is_not_planned_and_its_logs_are_named() {
        let d = tempfile::tempdir().unwrap();
        let ws = Workspace::open(d.path()).unwrap();
        let s = status(&ws).unwrap();
        assert_eq!(s.stage, "not-planned");
        // the report it names is the one preupgrade writes
        assert_eq!(s.logs["report"], ws.report_text_path());
        assert!(s.logs["report"].ends_with("var/log/leapfrog/report.txt"));
    }
}
