//! `leapfrog offline`: the offline stage, run by the upgrade initramfs as
//! `leapfrog --root /sysroot offline` (see `docs/offline.md`).

use std::io::Write as _;

use anyhow::Context as _;
use clap::Args;

use super::GlobalArgs;
use crate::apply::executor::Outcome;
use crate::apply::offline;
use crate::exit::ExitCode;

/// Options of `leapfrog offline`.
#[derive(Debug, Clone, Args)]
pub struct OfflineArgs {}

/// Runs `leapfrog offline`: exit 0 when upgraded, 1 when rolled back or nothing could start.
///
/// # Errors
///
/// Nothing staged, a filesystem that cannot be mounted, or an executor error.
pub fn run(global: &GlobalArgs, _args: &OfflineArgs) -> anyhow::Result<ExitCode> {
    let sink = super::apply::console_sink(global.json, super::apply::Progress::Lines);
    let report = offline::offline(&global.root, &sink)
        .with_context(|| format!("the offline upgrade of {} failed", global.root.display()))?;
    let mut out = std::io::stdout().lock();
    if global.json {
        writeln!(out, "{}", super::apply::result_line(&report)?).context("cannot write")?;
    } else {
        match report.outcome {
            Outcome::Done | Outcome::AlreadyDone => {
                writeln!(out, "leapfrog: the upgrade is complete; rebooting into the upgraded system")
            }
            Outcome::RolledBack => writeln!(
                out,
                "leapfrog: the upgrade FAILED and was rolled back ({}); rebooting into the old system",
                report.failure.as_deref().unwrap_or("see /var/log/leapfrog/apply.log")
            ),
        }
        .context("cannot write")?;
    }
    Ok(match report.outcome {
        Outcome::Done | Outcome::AlreadyDone => ExitCode::Ok,
        Outcome::RolledBack => ExitCode::Error,
    })
}
