//! `leapfrog data check`: validate migration data ([`crate::data_check::check`]).

use std::fmt::Write as _;
use std::path::PathBuf;

use clap::{Args, Subcommand};

use super::GlobalArgs;
use crate::exit::ExitCode;

/// Options of `leapfrog data`.
#[derive(Debug, Clone, Args)]
pub struct DataArgs {
    /// What to do with the data.
    #[command(subcommand)]
    pub command: DataCommand,
}

/// `leapfrog data` verbs.
#[derive(Debug, Clone, Subcommand)]
pub enum DataCommand {
    /// Validate leapfrog's own migration data (distributions, paths, repository maps, events,
    /// vendors: duplicate ids, unknown distributions, versions, repositories and keys) and,
    /// with --leapp-data, leapp-format data (pes-events.json, repomap.json, vendors.d/:
    /// duplicate ids, reused set ids, unknown repositories, inconsistent events). Exit 0 when
    /// clean, 1 with problems or unreadable files
    Check {
        /// Directory of leapfrog's YAML data (default: the data compiled into this binary)
        #[arg(long, value_name = "DIR")]
        data: Option<PathBuf>,
        /// Directory of leapp-format data, as ELevate installs it (/etc/leapp/files); checked
        /// only when given
        #[arg(long, value_name = "DIR")]
        leapp_data: Option<PathBuf>,
        /// Distribution whose targets are read from format-2 repository maps
        #[arg(long, default_value = "almalinux")]
        distro: String,
    },
}

/// Runs `leapfrog data`.
///
/// # Errors
///
/// When the data cannot be read or parsed (the message names the file and the place).
pub fn run(global: &GlobalArgs, args: &DataArgs) -> anyhow::Result<ExitCode> {
    let DataCommand::Check {
        data,
        leapp_data,
        distro,
    } = &args.command;
    let report = crate::data_check::check(data.as_deref(), leapp_data.as_deref(), distro)?;
    global.printer().document(&report, |out| {
        for p in &report.data.problems {
            writeln!(out, "{p}")?;
        }
        writeln!(
            out,
            "leapfrog data {}: {} problem(s) in {} distribution/map/vendor file(s) and {} event(s)",
            report.data.source,
            report.data.problems.len(),
            report.data.files,
            report.data.events
        )?;
        if let Some(l) = &report.leapp {
            for p in &l.problems {
                writeln!(out, "{}", p.text)?;
            }
            writeln!(
                out,
                "leapp data {}: {} problem(s) in {} file(s)",
                l.source.display(),
                l.problems.len(),
                l.files
            )?;
        }
        Ok(())
    })?;
    Ok(if report.clean() {
        ExitCode::Ok
    } else {
        ExitCode::Error
    })
}
