//! `leapfrog rollback`: restore the root to its state before the upgrade
//! ([`crate::apply::rollback`]).

use std::fmt::Write as _;

use anyhow::Context as _;
use clap::Args;

use super::GlobalArgs;
use super::printer::Progress;
use crate::apply;
use crate::exit::ExitCode;

/// Options of `leapfrog rollback`.
#[derive(Debug, Clone, Args)]
pub struct RollbackArgs {}

/// Runs `leapfrog rollback`.
///
/// # Errors
///
/// Nothing to roll back, a committed upgrade, or a failed restore.
pub fn run(global: &GlobalArgs, _args: &RollbackArgs) -> anyhow::Result<ExitCode> {
    let ws = global.workspace()?;
    let printer = global.printer();
    let sink = printer.events(Progress::Bar);
    let report = apply::rollback(&ws, &sink)
        .with_context(|| format!("cannot roll back {}", ws.root().display()))?;
    let pending = report.rollback.as_ref().is_some_and(|r| r.pending_reboot);
    printer.result(&report, |out| {
        if report.already {
            writeln!(out, "Already rolled back: nothing to do.")
        } else if pending {
            writeln!(
                out,
                "Rollback scheduled: the LVM snapshot merges into the root at the next boot. Reboot now."
            )
        } else {
            let r = report.rollback.clone().unwrap_or_default();
            writeln!(
                out,
                "Rolled back (from phase {}): {} paths removed, {} written back in {:.1} s; the rpm database is the one from before the upgrade.",
                report.from, r.removed, r.restored, report.seconds
            )
        }
    })?;
    Ok(if pending {
        ExitCode::RebootRequired
    } else {
        ExitCode::Ok
    })
}
