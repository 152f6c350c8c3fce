//! `leapfrog cancel`: before the reboot, remove what `upgrade` staged
//! ([`crate::cancel::cancel`]).

use std::fmt::Write as _;

use clap::Args;

use super::GlobalArgs;
use crate::exit::ExitCode;

/// Options of `leapfrog cancel`.
#[derive(Debug, Clone, Args)]
pub struct CancelArgs {
    /// Also remove the downloaded packages (/var/lib/leapfrog/packages) and the download record
    #[arg(long)]
    pub downloads: bool,
}

/// Runs `leapfrog cancel`.
///
/// # Errors
///
/// When a run has started or the files cannot be removed.
pub fn run(global: &GlobalArgs, args: &CancelArgs) -> anyhow::Result<ExitCode> {
    let ws = global.workspace()?;
    let report = crate::cancel::cancel(&ws, args.downloads)?;
    global.printer().document(&report, |out| {
        if report.cancelled {
            writeln!(
                out,
                "Cancelled: the upgrade boot entry, its one-shot selection and the upgrade kernel and initramfs are removed{}.",
                if report.downloads_removed {
                    ", and the downloaded packages"
                } else {
                    ""
                }
            )
        } else {
            writeln!(
                out,
                "Nothing was staged{}.",
                if report.downloads_removed {
                    "; the downloaded packages are removed"
                } else {
                    ""
                }
            )
        }
    })?;
    Ok(ExitCode::Ok)
}
