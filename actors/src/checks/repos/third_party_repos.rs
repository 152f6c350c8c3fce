//! `third_party_repos_check`: which enabled repositories in `/etc/yum.repos.d` are not the
//! distribution's. A repository is the distribution's when it is defined in a file whose name
//! starts with the prefix the distribution's release package uses for its repo files
//! (`CentOS-` on CentOS, `almalinux` on AlmaLinux, `Rocky-`/`rocky` on Rocky Linux,
//! `oracle-linux-`/`uek-ol` on Oracle Linux). Repositories of known vendors with an upgrade
//! mapping (EPEL, MariaDB, see [`crate::checks::packages::vendors`]) are reported apart, as
//! information. Only major upgrades are concerned.

use crate::checks::packages::origin;
use crate::checks::packages::vendors::{self, KnownVendor};
use crate::facts::repos::Repository;
use crate::finding::{Finding, FindingInfo, Level, bullet_list};
use crate::model::CheckInput;
use crate::registry::Check;

const ID: &str = "third_party_repos_check";

/// Repo file name prefixes of each distribution's release package, by os-release `ID`.
pub const DISTRIBUTION_REPO_FILE_PREFIXES: &[(&str, &[&str])] = &[
    ("centos", &["CentOS-"]),
    ("almalinux", &["almalinux"]),
    ("rocky", &["Rocky-", "rocky"]),
    ("ol", &["oracle-linux-", "uek-ol"]),
];

const THIRD_PARTY: FindingInfo = FindingInfo {
    key: "repos.third-party",
    level: Level::Medium,
    title: "Third-party repositories are enabled",
};

const VENDOR_MAPPED: FindingInfo = FindingInfo {
    key: "repos.vendor-mapped",
    level: Level::Info,
    title: "Repositories of known vendors will be switched to their target versions",
};

/// The check.
pub const CHECK: Check = Check::new(
    ID,
    "Lists enabled repositories that are neither the distribution's (by repo file name) nor a known vendor's; known vendors' repositories are reported as information.",
    &["facts.repositories", "facts.release", "target"],
    &[THIRD_PARTY, VENDOR_MAPPED],
    run,
);

/// Whether a repo file (a path) is one of the distribution `distro_id`'s.
pub fn is_distribution_file(distro_id: &str, file: &str) -> bool {
    let name = file.rsplit('/').next().unwrap_or(file);
    DISTRIBUTION_REPO_FILE_PREFIXES
        .iter()
        .filter(|(id, _)| *id == distro_id)
        .flat_map(|(_, prefixes)| prefixes.iter())
        .any(|p| name.starts_with(p))
}

fn describe(r: &Repository) -> String {
    match r.name.as_deref().filter(|n| !n.is_empty()) {
        Some(name) => format!("{} ({name}) in {}", r.id, r.file),
        None => format!("{} in {}", r.id, r.file),
    }
}

fn run(input: &CheckInput<'_>) -> Vec<Finding> {
    if !origin::is_major_upgrade(input) {
        return Vec::new();
    }
    let (Some(repos), Some(release)) = (input.facts.repositories.get(), input.facts.release.get())
    else {
        return Vec::new();
    };
    let target = input.target.map_or_else(
        || "the target".to_string(),
        |t| format!("{} {}", t.name, t.major),
    );
    let mut third: Vec<&Repository> = Vec::new();
    let mut mapped: Vec<(&Repository, &'static KnownVendor)> = Vec::new();
    for r in repos
        .repos
        .iter()
        .filter(|r| r.enabled && !is_distribution_file(&release.os.id, &r.file))
    {
        match vendors::by_source_repo(&r.id) {
            Some(v) => mapped.push((r, v)),
            None => third.push(r),
        }
    }
    let mut out = Vec::new();
    if !third.is_empty() {
        let lines: Vec<String> = third.iter().map(|r| describe(r)).collect();
        let ids: Vec<String> = third.iter().map(|r| r.id.clone()).collect();
        let command: Vec<String> = if input.source_major().is_some_and(|m| m <= 7) {
            ["yum-config-manager", "--disable"]
                .into_iter()
                .map(String::from)
                .chain(ids.iter().cloned())
                .collect()
        } else {
            ["dnf", "config-manager", "--set-disabled"]
                .into_iter()
                .map(String::from)
                .chain(ids.iter().cloned())
                .collect()
        };
        out.push(
            Finding::of(
                &THIRD_PARTY,
                ID,
                format!(
                    "These enabled repositories are not the distribution's and leapfrog knows no {target} counterpart for them. They are not used during the upgrade, and afterwards they still point at content for the old release:\n{}",
                    bullet_list(&lines, 20)
                ),
            )
            .hint(format!("After the upgrade point them at their {target} content (or add that content to /etc/leapfrog/target.repos.d to use it during the upgrade); disable the ones you no longer need (command below)."))
            .command(command)
            .related("repository", ids)
            .groups(&["repository"]),
        );
    }
    if !mapped.is_empty() {
        let lines: Vec<String> = mapped
            .iter()
            .map(|(r, v)| {
                let targets: Vec<String> = v
                    .target_repos(Some(repos))
                    .iter()
                    .map(|t| t.id.clone())
                    .collect();
                let to = if targets.is_empty() {
                    "no target repository configured yet".to_string()
                } else {
                    format!("target: {}", targets.join(", "))
                };
                format!("{} [{}; {to}]", describe(r), v.name)
            })
            .collect();
        out.push(
            Finding::of(
                &VENDOR_MAPPED,
                ID,
                format!(
                    "These enabled repositories belong to vendors leapfrog knows; their packages are upgraded from the vendors' {target} repositories:\n{}",
                    bullet_list(&lines, 20)
                ),
            )
            .hint("Nothing to do before the upgrade; afterwards make sure the repository files point at the vendor's content for the new release (a new epel-release, the vendor's setup script).")
            .related("repository", mapped.iter().map(|(r, _)| r.id.clone()))
            .groups(&["repository"]),
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::is_distribution_file;

    #[test]
    fn distribution_files() {
        assert!(is_distribution_file(
            "centos",
            "/etc/yum.repos.d/CentOS-Base.repo"
        ));
        assert!(is_distribution_file(
            "almalinux",
            "/etc/yum.repos.d/almalinux-baseos.repo"
        ));
        assert!(is_distribution_file(
            "rocky",
            "/etc/yum.repos.d/Rocky-BaseOS.repo"
        ));
        assert!(is_distribution_file(
            "ol",
            "/etc/yum.repos.d/oracle-linux-ol8.repo"
        ));
        assert!(!is_distribution_file(
            "almalinux",
            "/etc/yum.repos.d/CentOS-Base.repo"
        ));
        assert!(!is_distribution_file(
            "almalinux",
            "/etc/yum.repos.d/epel.repo"
        ));
    }
}
