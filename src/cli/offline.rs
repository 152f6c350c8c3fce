//! `leapfrog offline`: the offline stage the upgrade initramfs runs
//! ([`crate::offline::offline`]).

use std::fmt::Write as _;

use anyhow::Context as _;
use clap::Args;

use super::GlobalArgs;
use super::printer::Progress;
use crate::apply::Outcome;
use crate::exit::ExitCode;

/// Options of `leapfrog offline`.
#[derive(Debug, Clone, Args)]
pub struct OfflineArgs {}

/// Runs `leapfrog offline`.
///
/// # Errors
///
/// Nothing staged, a filesystem that cannot be mounted, or an executor error.
pub fn run(global: &GlobalArgs, _args: &OfflineArgs) -> anyhow::Result<ExitCode> {
    let ws = global.workspace()?;
    let printer = global.printer();
    let sink = printer.events(Progress::Lines);
    let report = crate::offline::offline(&ws, &sink)
        .with_context(|| format!("the offline upgrade of {} failed", ws.root().display()))?;
    printer.result(&report, |out| match report.outcome {
        Outcome::Done | Outcome::AlreadyDone => writeln!(
            out,
            "leapfrog: the upgrade is complete; rebooting into the upgraded system"
        ),
        Outcome::RolledBack => writeln!(
            out,
            "leapfrog: the upgrade FAILED and was rolled back ({}); rebooting into the old system",
            report
                .failure
                .as_deref()
                .unwrap_or("see /var/log/leapfrog/apply.log")
        ),
    })?;
    Ok(match report.outcome {
        Outcome::Done | Outcome::AlreadyDone => ExitCode::Ok,
        Outcome::RolledBack => ExitCode::Error,
    })
}
