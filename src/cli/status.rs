//! `leapfrog status`: where the upgrade stands ([`crate::status::status`]).

use std::fmt::Write as _;

use clap::Args;

use super::GlobalArgs;
use crate::exit::ExitCode;

/// Options of `leapfrog status`.
#[derive(Debug, Clone, Args)]
pub struct StatusArgs {}

/// Runs `leapfrog status`.
///
/// # Errors
///
/// When a state file exists but cannot be read.
pub fn run(global: &GlobalArgs, _args: &StatusArgs) -> anyhow::Result<ExitCode> {
    let ws = global.workspace()?;
    let status = crate::status::status(&ws)?;
    global.printer().document(&status, |out| {
        writeln!(out, "stage: {}", status.stage)?;
        if let Some(p) = &status.plan {
            writeln!(
                out,
                "plan: {} -> {} (made {}, id {})",
                p.source,
                p.target,
                p.created,
                crate::plan::document::short_id(&p.plan_id)
            )?;
        }
        if let Some(ph) = status.phase {
            writeln!(out, "phase: {ph}")?;
        }
        if let Some(p) = &status.progress {
            writeln!(out, "progress: {}/{} {}", p.done + 1, p.total, p.current)?;
        }
        if let Some(s) = &status.staged {
            writeln!(
                out,
                "staged: {} (kernel {}, {} boot(s) of the upgrade environment so far)",
                s.entry_description(),
                s.kver,
                s.attempts
            )?;
        }
        if let Some(e) = &status.last_error {
            writeln!(out, "last error: {e}")?;
        }
        writeln!(out, "next: {}", status.next)?;
        writeln!(out, "log: {}", status.logs["apply"].display())
    })?;
    Ok(ExitCode::Ok)
}
