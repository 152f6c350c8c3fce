//! `leapfrog commit`: keep a completed upgrade and release its snapshot
//! ([`crate::apply::commit`]).

use std::fmt::Write as _;

use anyhow::Context as _;
use clap::Args;

use super::GlobalArgs;
use super::printer::Progress;
use crate::apply;
use crate::exit::ExitCode;

/// Options of `leapfrog commit`.
#[derive(Debug, Clone, Args)]
pub struct CommitArgs {}

/// Runs `leapfrog commit`.
///
/// # Errors
///
/// When no upgrade is done or the snapshot cannot be released.
pub fn run(global: &GlobalArgs, _args: &CommitArgs) -> anyhow::Result<ExitCode> {
    let ws = global.workspace()?;
    let printer = global.printer();
    let sink = printer.events(Progress::Bar);
    let report = apply::commit(&ws, &sink)
        .with_context(|| format!("cannot commit the upgrade of {}", ws.root().display()))?;
    printer.result(&report, |out| {
        if report.already {
            writeln!(out, "Already committed at {}.", report.committed)
        } else {
            writeln!(
                out,
                "Committed: the snapshot{} is released and the upgrade is final.",
                report
                    .backend
                    .map(|b| format!(" ({b})"))
                    .unwrap_or_default()
            )
        }
    })?;
    Ok(ExitCode::Ok)
}
