//! `repositories_scanner`: repositories in `/etc/yum.repos.d` and leapfrog's custom target
//! repositories in `/etc/leapfrog/target.repos.d`, with dnf variables substituted.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::facts::Problem;
use crate::facts::os_release;
use crate::facts::repos::{self, Repository};
use crate::model::{Env, Facts};
use crate::registry::{ActorInfo, Phase, Scanner};

/// Where custom target repositories are read from.
pub const TARGET_REPOS_DIR: &str = "/etc/leapfrog/target.repos.d";

/// Repositories.
#[derive(Debug, Clone, Default, Serialize)]
pub struct RepositoryFacts {
    /// dnf variables.
    pub variables: BTreeMap<String, String>,
    /// `/etc/yum.repos.d`.
    pub repos: Vec<Repository>,
    /// `/etc/leapfrog/target.repos.d`.
    pub target_repos: Vec<Repository>,
    /// Unreadable files, invalid ids or values.
    pub problems: Vec<Problem>,
}

/// The scanner.
pub const SCANNER: Scanner = Scanner {
    info: ActorInfo {
        id: "repositories_scanner",
        phase: Phase::Facts,
        description: "Reads the configured repositories and leapfrog's custom target repositories, substituting dnf variables.",
        reads: &[
            "/etc/yum.repos.d",
            "/etc/dnf/vars",
            "/etc/yum/vars",
            TARGET_REPOS_DIR,
        ],
        produces: &["facts.repositories"],
    },
    run,
};

fn run(env: &Env, facts: &Facts) -> Result<(), String> {
    let os = os_release::read(&env.root).map_err(|e| e.to_string())?;
    let basearch = env
        .host
        .arch
        .clone()
        .unwrap_or_else(|| "x86_64".to_string());
    let mut problems = Vec::new();
    let variables = repos::read_variables(&env.root, os.major_version(), &basearch, &mut problems);
    let repos = repos::read_repositories(&env.root, &variables, &mut problems);
    let target_repos =
        repos::read_repositories_in(&env.root, TARGET_REPOS_DIR, &variables, &mut problems);
    facts.repositories.set(RepositoryFacts {
        variables,
        repos,
        target_repos,
        problems,
    });
    Ok(())
}
