//! Third-party vendors whose packages have an upgrade path: their repositories exist for every
//! EL major, so their packages are upgraded from the vendor's target repository instead of being
//! left behind.
//!
//! The table comes from the vendor overlays of the compiled-in migration data
//! (`migration-data/data/vendors/*.yaml`): every vendor with at least one repository map
//! between majors. Vendors are recognised by the rpm `Vendor` tag of their packages and by the
//! ids of their repositories.

use std::sync::OnceLock;

use crate::facts::repos::Repository;
use crate::facts::repositories::RepositoryFacts;
use crate::facts::rpm::RpmFacts;
use crate::upgrade_paths::builtin_data;

/// A vendor with an upgrade mapping.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KnownVendor {
    /// Display name.
    pub name: String,
    /// The rpm `Vendor` tag of its packages (the first one the data lists).
    pub vendor: String,
    /// Every rpm `Vendor` tag of its packages.
    pub vendor_tags: Vec<String>,
    /// Ids of its source repositories (as its setup tools name them), on any major.
    pub repo_ids: Vec<String>,
    /// The package that sets its repositories up, when there is one (`epel-release`).
    pub release_package: Option<String>,
}

/// The known vendors: those of the compiled-in data with a repository map.
pub fn known_vendors() -> &'static [KnownVendor] {
    static LIST: OnceLock<Vec<KnownVendor>> = OnceLock::new();
    LIST.get_or_init(|| {
        builtin_data()
            .vendors
            .iter()
            .filter(|v| !v.maps.is_empty())
            .map(|v| {
                let mut repo_ids: Vec<String> = Vec::new();
                for r in v.repo_ids() {
                    if !repo_ids.iter().any(|x| x == r) {
                        repo_ids.push(r.to_string());
                    }
                }
                KnownVendor {
                    name: v.name.clone(),
                    vendor: v.vendor_tags.first().cloned().unwrap_or_default(),
                    vendor_tags: v.vendor_tags.clone(),
                    repo_ids,
                    release_package: v.release_package.clone(),
                }
            })
            .collect()
    })
}

impl KnownVendor {
    /// Whether `id` is one of this vendor's source repository ids.
    pub fn is_source_repo(&self, id: &str) -> bool {
        self.repo_ids.iter().any(|r| r == id)
    }

    /// Whether a target repository id belongs to this vendor: one of its ids, or an id ending
    /// in `-<id>` (`el9-mariadb-main`, `testkit-almalinux-9.6-epel`).
    pub fn is_target_repo(&self, id: &str) -> bool {
        self.repo_ids.iter().any(|r| {
            id == r
                || id
                    .strip_suffix(r.as_str())
                    .is_some_and(|prefix| prefix.ends_with('-'))
        })
    }

    /// Whether the vendor is set up on this system: its release package is installed or one of
    /// its repositories is enabled (as ELevate, a vendor mapping only applies then).
    pub fn active(&self, rpm: &RpmFacts, repos: Option<&RepositoryFacts>) -> bool {
        self.release_package.as_deref().is_some_and(|p| rpm.has(p))
            || repos.is_some_and(|r| {
                r.repos
                    .iter()
                    .any(|repo| repo.enabled && self.is_source_repo(&repo.id))
            })
    }

    /// Its enabled target repositories in `/etc/leapfrog/target.repos.d`.
    pub fn target_repos<'a>(&self, repos: Option<&'a RepositoryFacts>) -> Vec<&'a Repository> {
        repos
            .map(|r| {
                r.target_repos
                    .iter()
                    .filter(|repo| repo.enabled && self.is_target_repo(&repo.id))
                    .collect()
            })
            .unwrap_or_default()
    }
}

/// The known vendor whose packages carry `vendor` as rpm `Vendor` tag.
pub fn by_vendor_tag(vendor: &str) -> Option<&'static KnownVendor> {
    known_vendors()
        .iter()
        .find(|v| v.vendor_tags.iter().any(|t| t == vendor))
}

/// The known vendor a source repository id belongs to.
pub fn by_source_repo(id: &str) -> Option<&'static KnownVendor> {
    known_vendors().iter().find(|v| v.is_source_repo(id))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repo_ids_match() {
        let epel = by_vendor_tag("Fedora Project").unwrap();
        assert!(epel.is_source_repo("epel") && !epel.is_source_repo("myepel"));
        assert!(epel.is_target_repo("epel"));
        assert!(epel.is_target_repo("testkit-almalinux-9.6-epel"));
        assert!(!epel.is_target_repo("notepel"));
        let mariadb = by_source_repo("mariadb-main").unwrap();
        assert_eq!(mariadb.name, "MariaDB");
        assert!(mariadb.is_target_repo("el9-mariadb-main"));
        assert!(by_vendor_tag("ACME Hosting").is_none());
    }
}
