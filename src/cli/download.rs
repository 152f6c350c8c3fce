//! `leapfrog download`: fetch and verify the packages of the plan, then prove the transaction
//! with rpm's test flag and check the disk space, before anything on the root changes
//! ([`crate::download::download`]).

use std::fmt::Write as _;

use clap::Args;
use leapfrog_base::units::human_bytes;

use super::GlobalArgs;
use crate::document::Document as _;
use crate::download::{self, DownloadOptions, DownloadRecord, DownloadReport};
use crate::exit::ExitCode;
use crate::plan::PlanDocument;

/// Options of `leapfrog download`.
#[derive(Debug, Clone, Args)]
pub struct DownloadArgs {
    /// Accept unsigned packages and packages signed by unknown keys (sizes and checksums are
    /// still verified)
    #[arg(long)]
    pub nogpgcheck: bool,
    /// Never use the network: only file:// repositories and local directories
    #[arg(long)]
    pub offline: bool,
    /// Packages downloaded at the same time
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u16).range(1..=32))]
    pub parallel: u16,
}

/// The text of a download record (also part of `upgrade`'s text).
pub(crate) fn render_record(out: &mut String, record: &DownloadRecord) -> std::fmt::Result {
    writeln!(
        out,
        "{} packages verified ({} downloaded, {} already here, {} received, {} resumed), signatures {}",
        record.packages,
        record.downloaded,
        record.cached,
        human_bytes(record.downloaded_bytes),
        human_bytes(record.resumed_bytes),
        if record.gpgcheck {
            "checked against the target keys"
        } else {
            "NOT checked (--nogpgcheck)"
        }
    )?;
    if record.test_transaction.is_empty() {
        writeln!(out, "Test transaction: no problem")?;
    } else {
        writeln!(
            out,
            "Test transaction: {} problem(s)",
            record.test_transaction.len()
        )?;
        for p in &record.test_transaction {
            writeln!(out, "  - {p}")?;
        }
    }
    writeln!(out, "{}", record.space)
}

/// Runs `leapfrog download`.
///
/// # Errors
///
/// Without a plan, when a package cannot be fetched or verified, or the test transaction cannot
/// be set up.
pub fn run(global: &GlobalArgs, args: &DownloadArgs) -> anyhow::Result<ExitCode> {
    let ws = global.workspace()?;
    let printer = global.printer();
    let plan = PlanDocument::require(&ws)?;
    let report = download::download(
        &ws,
        &plan,
        &DownloadOptions {
            nogpgcheck: args.nogpgcheck,
            offline: args.offline,
            parallel: usize::from(args.parallel),
            progress: printer.progress_bars(),
        },
    )?;
    printer.document(&report, |out| match &report {
        DownloadReport::Blocked { inhibitors } => {
            writeln!(
                out,
                "The plan is blocked; resolve these and run `leapfrog plan` again:"
            )?;
            super::printer::bullets(out, inhibitors)
        }
        DownloadReport::Verified { record, .. } => {
            render_record(out, record)?;
            writeln!(
                out,
                "{}",
                if record.ready {
                    "Ready: the packages are verified and the transaction fits."
                } else {
                    "Not ready: fix the problems above, then run `leapfrog plan` and `leapfrog download` again."
                }
            )
        }
    })?;
    Ok(if report.ready() {
        ExitCode::Ok
    } else {
        ExitCode::Inhibited
    })
}
