//! The planner: decides the fate of every installed package.
//!
//! - [`events`], the package-evolution stage (PES events applied to the installed set);
//! - [`repos`], the target repositories and why each one is there;
//! - [`modules`], module metadata of the target repositories and stream filtering;
//! - [`depsolve`], the whole transaction solved with libsolv;
//! - [`media`], installation media and local directories as target repositories;
//! - [`fates`], what the solved transaction does to every installed package, and why;
//! - [`space`], the disk-space estimate per filesystem;
//! - [`document`], `plan.json`;
//! - [`pipeline`], the stages in order, from facts to the plan.

pub mod depsolve;
pub mod document;
pub mod events;
pub mod fates;
pub mod media;
pub mod modules;
pub mod pipeline;
pub mod repos;
pub mod space;

use leapfrog_actors::finding::Severity;
use serde::{Deserialize, Serialize};

/// Something the planner found that the user should know or act on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    /// Stable key (`plan.no-target`, `depsolve.missing-capability`).
    pub key: String,
    /// Severity.
    pub severity: Severity,
    /// Whether it blocks the upgrade.
    pub inhibitor: bool,
    /// One line.
    pub title: String,
    /// What was found, with names.
    pub summary: String,
    /// What to do about it.
    pub hint: String,
    /// Packages concerned.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub packages: Vec<String>,
}

impl Finding {
    /// A high-severity finding.
    pub fn high(key: &str, title: String, summary: String, hint: String) -> Self {
        Finding {
            key: key.to_string(),
            severity: Severity::High,
            inhibitor: false,
            title,
            summary,
            hint,
            packages: Vec::new(),
        }
    }

    /// A finding that blocks the upgrade.
    pub fn inhibitor(key: &str, title: String, summary: String, hint: String) -> Self {
        Finding {
            inhibitor: true,
            ..Finding::high(key, title, summary, hint)
        }
    }

    /// The same finding naming these packages.
    pub fn with_packages(mut self, packages: Vec<String>) -> Self {
        self.packages = packages;
        self
    }
}

/// The name of a package from an `rpm -qa` line (`name-[epoch:]version-release[.arch]`).
pub fn name_from_nevra(line: &str) -> Option<&str> {
    let line = line.trim();
    if line.is_empty() || line.starts_with('#') {
        return None;
    }
    let (rest, _release) = line.rsplit_once('-')?;
    let (name, _version) = rest.rsplit_once('-')?;
    (!name.is_empty()).then_some(name)
}

#[cfg(test)]
mod tests {
    #[test]
    fn names_from_rpm_qa_lines() {
        assert_eq!(
            super::name_from_nevra("openssl-libs-1:1.1.1k-12.el8_9.x86_64"),
            Some("openssl-libs")
        );
        assert_eq!(
            super::name_from_nevra("python3-dnf-plugin-versionlock-4.0.21-25.el8.noarch"),
            Some("python3-dnf-plugin-versionlock")
        );
        assert_eq!(
            super::name_from_nevra("gpg-pubkey-c21ad6ea-5f4f3b2d"),
            Some("gpg-pubkey")
        );
        assert_eq!(super::name_from_nevra("# comment"), None);
        assert_eq!(super::name_from_nevra("nodashes"), None);
    }
}
