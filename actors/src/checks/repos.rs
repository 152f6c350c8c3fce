//! Checks of the repos domain (one file per check in `checks/repos/`): target repositories and
//! their keys, third-party repositories, invalid repository configuration.

use crate::registry::Check;

pub mod repo_problems;
pub mod target_gpg_keys;
pub mod target_repositories;
pub mod third_party_repos;

/// The checks of this domain.
pub const CHECKS: &[Check] = &[
    target_repositories::CHECK,
    target_gpg_keys::CHECK,
    third_party_repos::CHECK,
    repo_problems::CHECK,
];
