//! `leapfrog commit`: keep a completed upgrade and release its snapshot.

use std::io::Write as _;

use anyhow::Context as _;
use clap::Args;

use super::GlobalArgs;
use crate::apply::executor;
use crate::exit::ExitCode;

/// Options of `leapfrog commit`.
#[derive(Debug, Clone, Args)]
pub struct CommitArgs {}

/// Runs `leapfrog commit`.
///
/// # Errors
///
/// No completed upgrade, or the snapshot cannot be released.
pub fn run(global: &GlobalArgs, _args: &CommitArgs) -> anyhow::Result<ExitCode> {
    let sink = super::apply::console_sink(global.json, super::apply::Progress::Bar);
    let report = executor::commit(&global.root, &sink)
        .with_context(|| format!("cannot commit the upgrade of {}", global.root.display()))?;
    let mut out = std::io::stdout().lock();
    if global.json {
        writeln!(out, "{}", serde_json::to_string(&report)?).context("cannot write")?;
    } else if report.already {
        writeln!(out, "Already committed at {}.", report.committed).context("cannot write")?;
    } else {
        writeln!(
            out,
            "Committed: the snapshot{} is released and the upgrade is final.",
            report
                .backend
                .map(|b| format!(" ({b})"))
                .unwrap_or_default()
        )
        .context("cannot write")?;
    }
    Ok(ExitCode::Ok)
}
