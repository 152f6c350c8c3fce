//! Configuration facts ([`crate::model::Facts::config`], filled by `config_scanner`): TCP wrappers
//! rules, package-manager excludes and unmerged `.rpmnew`/`.rpmsave` files.

use serde::Serialize;

/// An `exclude=` setting of a package manager configuration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Exclude {
    /// The file.
    pub file: String,
    /// The section (`main` or a repository id).
    pub section: String,
    /// The patterns.
    pub patterns: Vec<String>,
}

/// Configuration facts.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ConfigFacts {
    /// Rules (non-comment lines) of `/etc/hosts.allow` and `/etc/hosts.deny`: `(file, line)`.
    pub tcp_wrappers_rules: Vec<(String, String)>,
    /// `exclude`/`excludepkgs` settings of dnf.conf and yum.conf.
    pub excludes: Vec<Exclude>,
    /// `.rpmnew` / `.rpmsave` files under `/etc`.
    pub unmerged_config: Vec<String>,
}
