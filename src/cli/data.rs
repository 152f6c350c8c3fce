//! `leapfrog data check`: validate migration data.

use std::io::Write as _;
use std::path::PathBuf;

use anyhow::Context as _;
use clap::{Args, Subcommand};
use leapfrog_migration_data::check::DataSet;

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
    /// Validate leapp-format data (pes-events.json, repomap.json, vendors.d/): duplicate ids,
    /// reused set ids, unknown repositories, inconsistent events. Exit 0 when clean, 1 with
    /// problems or unreadable files
    Check {
        /// Directory of leapp-format data, as ELevate installs it
        #[arg(long, value_name = "DIR", default_value = "/etc/leapp/files")]
        leapp_data: PathBuf,
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
    let DataCommand::Check { leapp_data, distro } = &args.command;
    let set = DataSet::load_leapp_files(leapp_data, distro)
        .with_context(|| format!("cannot load the leapp data in {}", leapp_data.display()))?;
    let problems = set.check();
    let mut out = std::io::stdout().lock();
    if global.json {
        let list: Vec<_> = problems.iter().map(|p| serde_json::json!({"file": p.file, "location": p.location, "kind": format!("{:?}", p.kind), "message": p.message})).collect();
        writeln!(
            out,
            "{}",
            serde_json::to_string_pretty(
                &serde_json::json!({"files": set.pes.len() + set.repomaps.len(), "problems": list})
            )?
        )
        .context("cannot write")?;
    } else {
        for p in &problems {
            writeln!(out, "{p}").context("cannot write")?;
        }
        writeln!(
            out,
            "{} problem(s) in {} file(s)",
            problems.len(),
            set.pes.len() + set.repomaps.len()
        )
        .context("cannot write")?;
    }
    Ok(if problems.is_empty() {
        ExitCode::Ok
    } else {
        ExitCode::Error
    })
}
