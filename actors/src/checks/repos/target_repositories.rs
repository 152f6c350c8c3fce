//! `target_repositories_check`: at least one repository for the target release is known.
//!
//! Today the only source of target repositories is leapfrog's custom target repository
//! directory `/etc/leapfrog/target.repos.d`; the distributions' own target repositories will come
//! from leapfrog's migration data later, and this check will then count them too.

use crate::facts::repositories::TARGET_REPOS_DIR;
use crate::finding::{Finding, FindingInfo, Level, bullet_list};
use crate::model::CheckInput;
use crate::registry::Check;

const ID: &str = "target_repositories_check";

const NO_TARGET_REPOS: FindingInfo = FindingInfo {
    key: "repos.no-target-repos",
    level: Level::Inhibitor,
    title: "No repository for the target release is configured",
};

/// The check.
pub const CHECK: Check = Check::new(
    ID,
    "Blocks the upgrade when no enabled repository for the target is configured in /etc/leapfrog/target.repos.d and none is given on the command line (until migration data provides the distributions' repositories, custom target repositories are the only source).",
    &["facts.repositories", "target"],
    &[NO_TARGET_REPOS],
    run,
);

fn run(input: &CheckInput<'_>) -> Vec<Finding> {
    let Some(target) = input.target else {
        return Vec::new();
    };
    let Some(repos) = input.facts.repositories.get() else {
        return Vec::new();
    };
    if repos.target_repos.iter().any(|r| r.enabled) || !repos.command_line_sources.is_empty() {
        return Vec::new();
    }
    let disabled: Vec<String> = repos
        .target_repos
        .iter()
        .map(|r| format!("{} in {} (disabled)", r.id, r.file))
        .collect();
    let found = if disabled.is_empty() {
        format!("{TARGET_REPOS_DIR} holds no repository.")
    } else {
        format!(
            "{TARGET_REPOS_DIR} only holds disabled repositories:\n{}",
            bullet_list(&disabled, 10)
        )
    };
    vec![
        Finding::of(
            &NO_TARGET_REPOS,
            ID,
            format!(
                "leapfrog has no repository to take the {} {}.{} packages from. {found}\nUntil leapfrog's migration data brings the distributions' own target repositories, custom target repositories in {TARGET_REPOS_DIR} are the only source.",
                target.name, target.major, target.minor
            ),
        )
        .hint(format!(
            "Create a .repo file in {TARGET_REPOS_DIR} with the {} {} repositories (at least BaseOS and AppStream, from a mirror or a local copy), enabled, with gpgcheck=1 and the distribution's key as gpgkey; or give `leapfrog upgrade` the repositories with --target-repo-file, --local-repo or --iso.",
            target.name, target.major
        ))
        .related("directory", [TARGET_REPOS_DIR])
        .groups(&["repository"]),
    ]
}
