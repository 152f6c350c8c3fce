//! Repository facts ([`crate::model::Facts::repositories`], filled by `repositories_scanner`):
//! the configured repositories and leapfrog's custom target repositories.

use std::collections::BTreeMap;

use serde::Serialize;

use super::ReadProblem;
use super::repos::Repository;

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
