//! `leapfrog apply`: execute the downloaded plan against the root, with a snapshot first and an
//! automatic rollback on any failure ([`crate::apply::apply`]).

use std::fmt::Write as _;

use anyhow::Context as _;
use clap::{Args, ValueEnum};

use super::GlobalArgs;
use super::printer::Progress;
use crate::apply::{self, ApplyOptions, ExecError, Outcome, SnapshotChoice};
use crate::exit::ExitCode;
use crate::snapshot::SnapshotBackend;
use crate::upgrade::SnapshotRequest;

/// `--snapshot` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SnapshotArg {
    /// The best available: btrfs, then LVM, then reflink, then copy (the choice is reported)
    Auto,
    /// Read-only snapshot of the root's btrfs subvolume
    Btrfs,
    /// LVM snapshot of the root's logical volume
    Lvm,
    /// Journal of every path the transaction can touch, data shared by reflinks (XFS, btrfs)
    Reflink,
    /// The same journal with plain copies (any filesystem)
    Copy,
    /// No snapshot: a failure cannot be rolled back (needs --accept-no-rollback)
    None,
}

impl SnapshotArg {
    /// The backend asked for, `None` for `auto`.
    pub fn backend(self) -> Option<SnapshotBackend> {
        match self {
            SnapshotArg::Auto => None,
            SnapshotArg::Btrfs => Some(SnapshotBackend::Btrfs),
            SnapshotArg::Lvm => Some(SnapshotBackend::Lvm),
            SnapshotArg::Reflink => Some(SnapshotBackend::Reflink),
            SnapshotArg::Copy => Some(SnapshotBackend::Copy),
            SnapshotArg::None => Some(SnapshotBackend::None),
        }
    }
}

impl From<SnapshotArg> for SnapshotChoice {
    fn from(a: SnapshotArg) -> Self {
        a.backend()
            .map_or(SnapshotChoice::Auto, SnapshotChoice::Use)
    }
}

impl From<SnapshotArg> for SnapshotRequest {
    fn from(a: SnapshotArg) -> Self {
        a.backend()
            .map_or(SnapshotRequest::Auto, SnapshotRequest::Backend)
    }
}

/// Options of `leapfrog apply`.
#[derive(Debug, Clone, Args)]
pub struct ApplyArgs {
    /// How to snapshot the root before the transaction
    #[arg(long, value_enum, default_value = "auto")]
    pub snapshot: SnapshotArg,
    /// Confirm that with --snapshot none a failed upgrade cannot be rolled back
    #[arg(long)]
    pub accept_no_rollback: bool,
    /// Release the snapshot as soon as the upgrade is verified (no `leapfrog rollback` later)
    #[arg(long)]
    pub commit: bool,
}

/// Runs `leapfrog apply`.
///
/// # Errors
///
/// When nothing could be changed (no plan, not downloaded, stale plan, bad package, no
/// snapshot) or the rollback itself failed.
pub fn run(global: &GlobalArgs, args: &ApplyArgs) -> anyhow::Result<ExitCode> {
    let ws = global.workspace()?;
    let printer = global.printer();
    let opts = ApplyOptions {
        snapshot: args.snapshot.into(),
        accept_no_rollback: args.accept_no_rollback,
        commit: args.commit,
    };
    let sink = printer.events(Progress::Bar);
    let report = match apply::apply(&ws, &opts, &sink) {
        Ok(r) => r,
        Err(ExecError::Inhibited(why)) => {
            eprintln!("The plan is blocked; nothing was changed: {why}");
            return Ok(ExitCode::Inhibited);
        }
        Err(e) => {
            return Err(e)
                .with_context(|| format!("cannot apply the upgrade to {}", ws.root().display()));
        }
    };
    printer.result(&report, |out| {
        match report.outcome {
            Outcome::Done => writeln!(
                out,
                "Upgraded {} -> {}{}. {}",
                report.source,
                report.target,
                report
                    .snapshot
                    .as_ref()
                    .map(|s| format!(" (snapshot: {})", s.backend))
                    .unwrap_or_default(),
                if report.committed {
                    "The snapshot is released."
                } else {
                    "Check the system, then `leapfrog commit` to keep it or `leapfrog rollback` to undo it."
                }
            ),
            Outcome::AlreadyDone => writeln!(
                out,
                "Already upgraded to {}: nothing to do.",
                report.target
            ),
            Outcome::RolledBack => writeln!(
                out,
                "The upgrade FAILED and the root was rolled back to its state before the upgrade.\n  cause: {}",
                report.failure.as_deref().unwrap_or("unknown")
            ),
        }?;
        if let Some(log) = &report.log {
            writeln!(out, "Log: {}", log.display())?;
        }
        Ok(())
    })?;
    Ok(match report.outcome {
        Outcome::Done | Outcome::AlreadyDone => ExitCode::Ok,
        Outcome::RolledBack => ExitCode::Error,
    })
}
