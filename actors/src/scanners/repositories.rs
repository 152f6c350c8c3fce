//! `repositories_scanner`: repositories in `/etc/yum.repos.d` and leapfrog's custom target
//! repositories in `/etc/leapfrog/target.repos.d`, with dnf variables substituted, and whether
//! the `file://` keys of the target repositories exist.
//!
//! dnf reads `file://` `gpgkey` (and `baseurl`) paths on the machine it runs on, not inside its
//! `--installroot`; the upgrade runs dnf on the host with the root as installroot, so the target
//! repositories' `file://` keys are looked up as host paths here (the one read this scanner makes
//! outside the root). On a live system the root is `/` and both are the same.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::facts::ReadProblem;
use crate::facts::os_release;
use crate::facts::repos::{self, Repository};
use crate::model::{Env, Facts};
use crate::registry::{ActorInfo, ActorKind, Scanner};

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
    /// Target repository sources given on the command line (`Env::target_sources`).
    pub command_line_sources: Vec<String>,
    /// Unreadable files, invalid ids or values.
    pub problems: Vec<ReadProblem>,
    /// Every `file://` `gpgkey` path of the target repositories (a host path, see the module
    /// documentation) and whether a file exists there.
    pub target_gpgkey_files: BTreeMap<String, bool>,
}

/// The local path of a `file://` URL (`file:///etc/pki/x` gives `/etc/pki/x`); `None` for other
/// URLs and for `file://host/...` forms.
pub fn file_url_path(url: &str) -> Option<&str> {
    url.strip_prefix("file://").filter(|p| p.starts_with('/'))
}

/// The scanner.
pub const SCANNER: Scanner = Scanner {
    info: ActorInfo {
        id: "repositories_scanner",
        kind: ActorKind::Scanner,
        description: "Reads the configured repositories and leapfrog's custom target repositories, substituting dnf variables.",
        reads: &[
            "/etc/yum.repos.d",
            "/etc/dnf/vars",
            "/etc/yum/vars",
            TARGET_REPOS_DIR,
            "host: file:// gpgkey paths of target repositories",
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

#[cfg(test)]
mod tests {
    #[test]
    fn file_urls() {
        assert_eq!(
            super::file_url_path("file:///etc/pki/rpm-gpg/KEY"),
            Some("/etc/pki/rpm-gpg/KEY")
        );
        assert_eq!(super::file_url_path("https://example.com/KEY"), None);
        assert_eq!(super::file_url_path("file://host/KEY"), None);
    }
}
