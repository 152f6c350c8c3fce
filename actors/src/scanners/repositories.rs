//! `repositories_scanner`: repositories in `/etc/yum.repos.d` and leapfrog's custom target
//! repositories in `/etc/leapfrog/target.repos.d`, with dnf variables substituted, and whether
//! the `file://` keys of the target repositories exist.
//!
//! dnf reads `file://` `gpgkey` (and `baseurl`) paths on the machine it runs on, not inside its
//! `--installroot`; the upgrade runs dnf on the host with the root as installroot, so the target
//! repositories' `file://` keys are looked up as host paths here (the one read this scanner makes
//! outside the root). On a live system the root is `/` and both are the same.

use crate::facts::os_release;
use crate::facts::repos;
use crate::facts::repositories::{RepositoryFacts, TARGET_REPOS_DIR, file_url_path};
use crate::model::{Env, Facts};
use crate::registry::Scanner;

/// The scanner.
pub const SCANNER: Scanner = Scanner::new(
    "repositories_scanner",
    "Reads the configured repositories and leapfrog's custom target repositories, substituting dnf variables.",
    &[
        "/etc/yum.repos.d",
        "/etc/dnf/vars",
        "/etc/yum/vars",
        TARGET_REPOS_DIR,
        "host: file:// gpgkey paths of target repositories",
    ],
    &["facts.repositories"],
    run,
);

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
    let target_gpgkey_files = target_repos
        .iter()
        .flat_map(|r| r.gpgkey.iter())
        .filter_map(|url| file_url_path(url))
        .map(|path| (path.to_string(), std::path::Path::new(path).is_file()))
        .collect();
    facts.repositories.set(RepositoryFacts {
        variables,
        repos,
        target_repos,
        command_line_sources: env.target_sources.clone(),
        problems,
        target_gpgkey_files,
    });
    Ok(())
}
