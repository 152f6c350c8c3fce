//! The planner: decides the fate of every installed package. [`make`] is `leapfrog plan` as a
//! library call: the stages of [`pipeline`], then `plan.json` written.
//!
//! - [`inputs`], what a plan is made from;
//! - [`events`], the package-evolution stage (PES events applied to the installed set);
//! - [`evolution`], that stage on its own (`plan --events-only`), and [`why`];
//! - [`repos`], the target repositories and why each one is there;
//! - [`modules`], module metadata of the target repositories and stream filtering;
//! - [`depsolve`], the whole transaction solved with libsolv;
//! - [`media`], installation media and local directories as target repositories;
//! - [`fates`], what the solved transaction does to every installed package, and why;
//! - [`space`], the disk-space estimate per filesystem;
//! - [`document`], `plan.json`;
//! - [`pipeline`], the stages in order, from facts to the plan, reading [`sources`].

pub mod depsolve;
pub mod document;
pub mod events;
pub mod evolution;
pub mod fates;
pub mod inputs;
pub mod media;
pub mod modules;
pub mod pipeline;
pub mod repos;
pub mod sources;
pub mod space;
pub mod why;

use std::path::PathBuf;
use std::time::Duration;

pub use document::PlanDocument;
pub use inputs::PlanInputs;
pub use repos::TargetRepo;

use crate::document::Document as _;
use crate::workspace::Workspace;

/// What [`make`] made.
#[derive(Debug)]
pub struct PlanReport {
    /// The plan, as written.
    pub plan: PlanDocument,
    /// Where it was written.
    pub path: PathBuf,
    /// How long each stage took.
    pub timings: Vec<(&'static str, Duration)>,
}

/// Makes the plan of the workspace's root and writes `plan.json`. A blocked plan is written
/// too (its inhibitors say what to do).
///
/// # Errors
///
/// As [`pipeline::make`], or when the plan cannot be written.
pub fn make(ws: &Workspace, inputs: &PlanInputs) -> anyhow::Result<PlanReport> {
    use anyhow::Context as _;
    let made = pipeline::make(ws, inputs)
        .with_context(|| format!("cannot plan the upgrade of {}", ws.root().display()))?;
    let path = made.plan.save(ws)?;
    Ok(PlanReport {
        plan: made.plan,
        path,
        timings: made.timings,
    })
}

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
    fn the_plan_id_follows_the_content_not_the_time() {
        let mut a: super::PlanDocument = serde_json::from_value(serde_json::json!({
            "schema": super::document::SCHEMA, "plan_id": "", "created": "2026-01-01T00:00:00Z",
            "leapfrog": "0", "root": "/r", "source": "almalinux-8.10", "target": "almalinux-9.6",
            "arch": "x86_64", "data_sources": [], "repos": [], "repo_decisions": [],
            "modules": {"enable": [], "reset": []}, "packages": [], "transaction": [],
            "totals": {"installed": 0, "incoming": 0, "outgoing": 0, "download_bytes": 0,
                       "install_bytes": 0, "inhibitors": 0},
            "findings": []
        }))
        .unwrap();
        a.seal();
        assert!(
            a.plan_id.starts_with("sha256:") && a.plan_id.len() == 71,
            "{}",
            a.plan_id
        );
        assert_eq!(a.short_id().len(), 12);
        let mut later = a.clone();
        later.created = "2026-01-01T00:00:01Z".into();
        later.seal();
        assert_eq!(later.plan_id, a.plan_id, "the time is not the identity");
        let mut other = a.clone();
        other.dropped = vec!["acme-agent".into()];
        other.seal();
        assert_ne!(other.plan_id, a.plan_id, "a different plan has another id");
        // sealing twice gives the same id (the id is not part of its own content)
        let id = a.plan_id.clone();
        a.seal();
        assert_eq!(a.plan_id, id);
    }

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
