//! `leapfrog data check`: validate migration data.

use std::io::Write as _;
use std::path::PathBuf;

use anyhow::Context as _;
use clap::{Args, Subcommand};
use leapfrog_migration_data::check::DataSet;
use leapfrog_migration_data::data::MigrationData;

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
    let ours = match data {
        Some(dir) => MigrationData::load(dir)
            .with_context(|| format!("cannot load the migration data in {}", dir.display()))?,
        None => MigrationData::builtin().context("cannot load the compiled-in migration data")?,
    };
    let our_problems = ours.check();
    let our_files = ours.distributions.len()
        + ours.repomaps.len()
        + ours.vendors.len()
        + usize::from(!ours.paths.is_empty());
    let leapp = match leapp_data {
        Some(dir) => {
            let set = DataSet::load_leapp_files(dir, distro)
                .with_context(|| format!("cannot load the leapp data in {}", dir.display()))?;
            let problems = set.check();
            Some((dir, set.pes.len() + set.repomaps.len(), problems))
        }
        None => None,
    };
    let mut out = std::io::stdout().lock();
    if global.json {
        let ours_json = serde_json::json!({
            "source": ours.root.display().to_string(),
            "name": ours.name,
            "problems": our_problems,
        });
        let leapp_json = leapp.as_ref().map(|(dir, files, problems)| {
            let list: Vec<_> = problems.iter().map(|p| serde_json::json!({"file": p.file, "location": p.location, "kind": format!("{:?}", p.kind), "message": p.message})).collect();
            serde_json::json!({"source": dir.display().to_string(), "files": files, "problems": list})
        });
        writeln!(
            out,
            "{}",
            serde_json::to_string_pretty(
                &serde_json::json!({"data": ours_json, "leapp": leapp_json})
            )?
        )
        .context("cannot write")?;
    } else {
        for p in &our_problems {
            writeln!(out, "{p}").context("cannot write")?;
        }
        writeln!(
            out,
            "leapfrog data {}: {} problem(s) in {} distribution/map/vendor file(s) and {} event(s)",
            ours.root.display(),
            our_problems.len(),
            our_files,
            ours.all_events().count()
        )
        .context("cannot write")?;
        if let Some((dir, files, problems)) = &leapp {
            for p in problems {
                writeln!(out, "{p}").context("cannot write")?;
            }
            writeln!(
                out,
                "leapp data {}: {} problem(s) in {} file(s)",
                dir.display(),
                problems.len(),
                files
            )
            .context("cannot write")?;
        }
    }
    let clean = our_problems.is_empty() && leapp.as_ref().is_none_or(|(_, _, p)| p.is_empty());
    Ok(if clean { ExitCode::Ok } else { ExitCode::Error })
}
