//! What a plan is made from, as the library takes it: the target, the data, the target
//! repositories and the operator's package choices. `plan` and `upgrade` fill it from the same
//! command-line options.

use std::path::PathBuf;

use leapfrog_actors::upgrade_paths::TargetSpec;

use super::fates::Choices;

/// The inputs of [`super::make`].
#[derive(Debug, Clone, Default)]
pub struct PlanInputs {
    /// The target release; `None`: the default path of the source.
    pub target: Option<TargetSpec>,
    /// Our migration data directory (`None`: the compiled-in data).
    pub data: Option<PathBuf>,
    /// leapp-data directory whose events, repository map and vendors are added.
    pub leapp_data: Option<PathBuf>,
    /// `.repo` files whose repositories are target repositories.
    pub target_repo_file: Vec<PathBuf>,
    /// Target repositories to enable although defined disabled.
    pub enablerepo: Vec<String>,
    /// Packages to remove during the upgrade.
    pub drop: Vec<String>,
    /// Foreign packages to keep as they are.
    pub keep_foreign: Vec<String>,
    /// Never use the network.
    pub offline: bool,
    /// Installation media whose repositories are target repositories.
    pub iso: Vec<PathBuf>,
    /// Local directories with repodata as target repositories.
    pub local_repo: Vec<PathBuf>,
    /// The architecture the events are filtered for and the solver installs.
    pub arch: String,
}

impl PlanInputs {
    /// `--drop` and `--keep-foreign` as the fates read them.
    pub fn choices(&self) -> Choices {
        Choices {
            drop: self.drop.iter().cloned().collect(),
            keep_foreign: self.keep_foreign.iter().cloned().collect(),
        }
    }

    /// The target repository sources given on the command line, as written
    /// (`--target-repo-file F`, `--local-repo D`, `--iso I`), for the assessment.
    pub fn target_sources(&self) -> Vec<String> {
        let given = |flag: &str, paths: &[PathBuf]| -> Vec<String> {
            paths
                .iter()
                .map(|p| format!("{flag} {}", p.display()))
                .collect()
        };
        [
            given("--target-repo-file", &self.target_repo_file),
            given("--local-repo", &self.local_repo),
            given("--iso", &self.iso),
        ]
        .concat()
    }
}

/// The architecture of this machine, as rpm names it (`x86_64`, `aarch64`, ...).
pub fn host_arch() -> String {
    std::env::consts::ARCH.to_string()
}
