//! `leapfrog rollback`: restore the root to its state before the upgrade, after a completed,
//! failed or interrupted `leapfrog apply`.

use std::io::Write as _;

use anyhow::Context as _;
use clap::Args;

use super::GlobalArgs;
use crate::apply::executor;
use crate::exit::ExitCode;

/// Options of `leapfrog rollback`.
#[derive(Debug, Clone, Args)]
pub struct RollbackArgs {}

/// Runs `leapfrog rollback`.
///
/// # Errors
///
/// Nothing to roll back, a committed upgrade, no snapshot, or a failing restore.
pub fn run(global: &GlobalArgs, _args: &RollbackArgs) -> anyhow::Result<ExitCode> {
    let sink = super::apply::console_sink(global.json, super::apply::Progress::Bar);
    let report = executor::rollback(&global.root, &sink)
        .with_context(|| format!("cannot roll back {}", global.root.display()))?;
    let pending = report.rollback.as_ref().is_some_and(|r| r.pending_reboot);
    let mut out = std::io::stdout().lock();
    if global.json {
        writeln!(out, "{}", super::apply::result_line(&report)?).context("cannot write")?;
    } else if report.already {
        writeln!(out, "Already rolled back: nothing to do.").context("cannot write")?;
    } else if pending {
        writeln!(
            out,
            "Rollback scheduled: the LVM snapshot merges into the root at the next boot. Reboot now."
        )
        .context("cannot write")?;
    } else {
        let r = report.rollback.clone().unwrap_or_default();
        writeln!(
            out,
            "Rolled back (from phase {}): {} paths removed, {} written back in {:.1} s; the rpm database is the one from before the upgrade.",
            report.from, r.removed, r.restored, report.seconds
        )
        .context("cannot write")?;
    }
    Ok(if pending {
        ExitCode::RebootRequired
    } else {
        ExitCode::Ok
    })
}
