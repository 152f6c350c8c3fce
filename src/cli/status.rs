//! `leapfrog status`: where the upgrade of a root stands, at any moment: before (planned,
//! downloaded, staged), during (the phase and the package being installed, from the state file
//! and the log on the disk) and after (done, rolled back, committed, the last error). This is
//! what automation polls; `--json` gives the fields documented in `docs/offline.md`.

use std::collections::BTreeMap;
use std::io::Write as _;
use std::path::PathBuf;

use anyhow::Context as _;
use clap::Args;
use serde::Serialize;

use super::GlobalArgs;
use crate::apply::executor::SnapshotSet;
use crate::apply::progress::LOG_DIR;
use crate::apply::state::{Phase, State};
use crate::boot::Staged;
use crate::exit::ExitCode;
use crate::fetch::DownloadRecord;
use crate::plan::document::PlanDocument;

/// Options of `leapfrog status`.
#[derive(Debug, Clone, Args)]
pub struct StatusArgs {}

#[derive(Debug, Serialize)]
struct PlanSummary {
    created: String,
    source: String,
    target: String,
    inhibitors: Vec<String>,
}

#[derive(Debug, Serialize)]
struct DownloadSummary {
    ready: bool,
    packages: usize,
    for_current_plan: bool,
}

#[derive(Debug, Serialize)]
struct Progress {
    done: u64,
    total: u64,
    current: String,
}

#[derive(Debug, Serialize)]
struct Status {
    /// One word: not-planned, blocked, planned, downloaded, staged, in-progress, done,
    /// committed, failed, rolled-back.
    stage: &'static str,
    /// The executor phase, when a run exists.
    phase: Option<Phase>,
    /// What to do next, in a sentence.
    next: String,
    plan: Option<PlanSummary>,
    download: Option<DownloadSummary>,
    staged: Option<Staged>,
    snapshot: Option<SnapshotSet>,
    progress: Option<Progress>,
    /// When each phase was entered.
    timings: BTreeMap<Phase, String>,
    last_error: Option<String>,
    committed: Option<String>,
    logs: BTreeMap<&'static str, PathBuf>,
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

/// Runs `leapfrog status`.
///
/// # Errors
///
/// When a state file exists but cannot be read.
pub fn run(global: &GlobalArgs, _args: &StatusArgs) -> anyhow::Result<ExitCode> {
    let root = &global.root;
    crate::apply::merge_keep::reconcile_if_idle(root)
        .context("cannot put back the state an LVM rollback kept on /boot")?;
    let plan = PlanDocument::load(root).ok();
    let download = DownloadRecord::load(root).ok().flatten();
    let staged = Staged::load(root).context("cannot read the staging record")?;
    let state = State::load(root).context("cannot read the executor state")?;
    let log_dir = root.join(LOG_DIR);
    let apply_log = log_dir.join(crate::apply::executor::APPLY_LOG);
    let log_text = std::fs::read_to_string(&apply_log).unwrap_or_default();

    let plan_summary = plan.as_ref().map(|p| PlanSummary {
        created: p.created.clone(),
        source: p.source.clone(),
        target: p.target.clone(),
        inhibitors: p.inhibitor_titles().into_iter().map(String::from).collect(),
    });
    let download_summary = download.as_ref().map(|d| DownloadSummary {
        ready: d.ready,
        packages: d.packages,
        for_current_plan: plan.as_ref().is_some_and(|p| p.created == d.plan_created),
    });
    let staged_pending = staged.as_ref().filter(|s| s.finished.is_none());
    let (stage, next): (&'static str, String) = match (&state, &plan) {
        (Some(s), _) if s.committed.is_some() => ("committed", "nothing: the upgrade is final".into()),
        (Some(s), _) if s.phase == Phase::Done => (
            "done",
            "check the system, then `leapfrog commit` to keep the upgrade or `leapfrog rollback` to undo it".into(),
        ),
        (Some(s), _) if s.phase == Phase::RolledBack && s.last_error.is_some() => (
            "rolled-back",
            "the root is as before the upgrade; read the last error, fix the cause, then plan again".into(),
        ),
        (Some(s), _) if s.phase == Phase::RolledBack => (
            "rolled-back",
            "the root is as before the upgrade (rolled back on request); `leapfrog upgrade` tries again".into(),
        ),
        (Some(s), _) if s.phase == Phase::Failed || s.phase == Phase::RollingBack => (
            "failed",
            "`leapfrog rollback` completes the rollback".into(),
        ),
        (Some(s), _) if s.phase != Phase::Planned => (
            "in-progress",
            "wait: the offline upgrade is running (or was interrupted: run `leapfrog apply` or boot the upgrade entry again)".into(),
        ),
        _ if staged_pending.is_some() => (
            "staged",
            "reboot: the next boot runs the offline upgrade (`leapfrog cancel` undoes the staging)".into(),
        ),
        (_, None) => ("not-planned", "`leapfrog preupgrade`, then `leapfrog upgrade`".into()),
        (_, Some(p)) if p.inhibited() => (
            "blocked",
            "resolve the inhibitors of the plan, then `leapfrog upgrade` again".into(),
        ),
        _ if download_summary.as_ref().is_some_and(|d| d.ready && d.for_current_plan) => (
            "downloaded",
            "`leapfrog upgrade` stages the reboot (or `leapfrog apply` on a mounted root)".into(),
        ),
        _ => ("planned", "`leapfrog upgrade` (or `leapfrog download`)".into()),
    };
    let in_run = state.as_ref().is_some_and(|s| {
        matches!(
            s.phase,
            Phase::Applying | Phase::Verifying | Phase::Snapshotted
        )
    });
    let status = Status {
        stage,
        phase: state.as_ref().map(|s| s.phase),
        next,
        plan: plan_summary,
        download: download_summary,
        staged,
        snapshot: state
            .as_ref()
            .and_then(|s| s.snapshot.clone())
            .and_then(|v| serde_json::from_value(v).ok()),
        progress: if in_run { progress(&log_text) } else { None },
        timings: state
            .as_ref()
            .map(|s| s.entered.clone())
            .unwrap_or_default(),
        last_error: state.as_ref().and_then(|s| s.last_error.clone()),
        committed: state.as_ref().and_then(|s| s.committed.clone()),
        logs: BTreeMap::from([
            ("apply", apply_log),
            (
                "scriptlets",
                log_dir.join(crate::apply::executor::SCRIPTLET_LOG),
            ),
            ("report", log_dir.join("leapfrog-report.txt")),
        ]),
    };
    let mut out = std::io::stdout().lock();
    if global.json {
        writeln!(out, "{}", serde_json::to_string_pretty(&status)?).context("cannot write")?;
    } else {
        writeln!(out, "stage: {}", status.stage).context("cannot write")?;
        if let Some(p) = &status.plan {
            writeln!(
                out,
                "plan: {} -> {} (made {})",
                p.source, p.target, p.created
            )
            .context("cannot write")?;
        }
        if let Some(ph) = status.phase {
            writeln!(out, "phase: {ph}").context("cannot write")?;
        }
        if let Some(p) = &status.progress {
            writeln!(out, "progress: {}/{} {}", p.done + 1, p.total, p.current)
                .context("cannot write")?;
        }
        if let Some(s) = &status.staged {
            writeln!(
                out,
                "staged: {} (kernel {}, {} boot(s) of the upgrade environment so far)",
                s.entry, s.kver, s.attempts
            )
            .context("cannot write")?;
        }
        if let Some(e) = &status.last_error {
            writeln!(out, "last error: {e}").context("cannot write")?;
        }
        writeln!(out, "next: {}", status.next).context("cannot write")?;
        writeln!(out, "log: {}", status.logs["apply"].display()).context("cannot write")?;
    }
    Ok(ExitCode::Ok)
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
}
