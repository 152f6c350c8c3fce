//! `leapfrog data check` as a library call: [`check`] loads our migration data (a directory or
//! the compiled-in set) and, when given, leapp-format data, and reports every problem with the
//! file and place it is in.

use std::path::{Path, PathBuf};

use anyhow::Context as _;
use leapfrog_migration_data::check::DataSet;
use leapfrog_migration_data::data::MigrationData;
use serde::Serialize;

/// What was checked in our data.
#[derive(Debug, Serialize)]
pub struct OurData {
    /// Where it came from.
    pub source: String,
    /// Its name.
    pub name: Option<String>,
    /// Files read (distributions, repository maps, vendors, paths).
    #[serde(skip)]
    pub files: usize,
    /// Events.
    #[serde(skip)]
    pub events: usize,
    /// Problems, naming the file and place.
    pub problems: Vec<leapfrog_migration_data::data::DataProblem>,
}

/// One problem of leapp's data.
#[derive(Debug, Serialize)]
pub struct LeappProblem {
    /// The file.
    pub file: String,
    /// Where in it.
    pub location: String,
    /// The kind.
    pub kind: String,
    /// What is wrong.
    pub message: String,
    /// The whole sentence.
    #[serde(skip)]
    pub text: String,
}

/// What was checked in leapp's data.
#[derive(Debug, Serialize)]
pub struct LeappData {
    /// The directory.
    pub source: PathBuf,
    /// Files read.
    pub files: usize,
    /// Problems.
    pub problems: Vec<LeappProblem>,
}

/// The result of [`check`].
#[derive(Debug, Serialize)]
pub struct DataCheckReport {
    /// Our data.
    pub data: OurData,
    /// leapp's data, when given.
    pub leapp: Option<LeappData>,
}

impl DataCheckReport {
    /// Whether no problem was found.
    pub fn clean(&self) -> bool {
        self.data.problems.is_empty() && self.leapp.as_ref().is_none_or(|l| l.problems.is_empty())
    }
}

/// Checks our data (`data`, or the compiled-in set) and leapp's (`leapp_data`, for `distro`).
///
/// # Errors
///
/// When a file cannot be read or parsed (the message names the file and the place).
pub fn check(
    data: Option<&Path>,
    leapp_data: Option<&Path>,
    distro: &str,
) -> anyhow::Result<DataCheckReport> {
    let ours = match data {
        Some(dir) => MigrationData::load(dir)
            .with_context(|| format!("cannot load the migration data in {}", dir.display()))?,
        None => MigrationData::builtin().context("cannot load the compiled-in migration data")?,
    };
    let data = OurData {
        source: ours.root.display().to_string(),
        name: ours.name.clone(),
        files: ours.distributions.len()
            + ours.repomaps.len()
            + ours.vendors.len()
            + usize::from(!ours.paths.is_empty()),
        events: ours.all_events().count(),
        problems: ours.check(),
    };
    let leapp = match leapp_data {
        Some(dir) => {
            let set = DataSet::load_leapp_files(dir, distro)
                .with_context(|| format!("cannot load the leapp data in {}", dir.display()))?;
            Some(LeappData {
                source: dir.to_path_buf(),
                files: set.pes.len() + set.repomaps.len(),
                problems: set
                    .check()
                    .iter()
                    .map(|p| LeappProblem {
                        file: p.file.display().to_string(),
                        location: p.location.to_string(),
                        kind: format!("{:?}", p.kind),
                        message: p.message.clone(),
                        text: p.to_string(),
                    })
                    .collect(),
            })
        }
        None => None,
    };
    Ok(DataCheckReport { data, leapp })
}
