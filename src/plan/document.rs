//! `plan.json`: the plan as written to `<root>/var/lib/leapfrog/plan.json` and read back by
//! `leapfrog download`, the executor, `why` and `status`. The schema is documented in
//! `docs/plan.md`; `schema` changes when a field changes meaning.
//!
//! A plan is identified by its content: [`PlanDocument::plan_id`] is the SHA-256 of the plan
//! with its `created` time and its id left out, so the download record, the executor state and
//! the staging record match the plan they belong to by what it says, not by when it was made
//! (two plans made in the same second are told apart; the same plan made again is the same).

use std::path::PathBuf;

use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};

use crate::workspace::Workspace;

use super::Finding;
use super::fates::{Action, PackageFate};
use super::repos::{Decision, TargetRepo};

/// The schema identifier written into every plan.
pub const SCHEMA: &str = "leapfrog-plan/2";

pub use leapfrog_base::checksum::Checksum;

/// One element of the ordered transaction.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Element {
    /// What it does.
    pub action: Action,
    /// Package name.
    pub name: String,
    /// NEVRA.
    pub nevra: String,
    /// Repository id (`@System` for erased packages).
    pub repo: String,
    /// Path of the package file relative to the repository's base URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
    /// Checksum of the package file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub checksum: Option<Checksum>,
    /// Size of the package file.
    #[serde(default)]
    pub download_size: u64,
    /// Installed size.
    #[serde(default)]
    pub install_size: u64,
    /// NEVRAs of the installed packages it replaces.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub replaces: Vec<String>,
}

/// Module streams to switch.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Modules {
    /// `name:stream` to enable in the target.
    pub enable: Vec<String>,
    /// Module names to reset.
    pub reset: Vec<String>,
}

/// Counts for the summary.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Totals {
    /// Installed packages classified.
    pub installed: usize,
    /// Transaction elements bringing a package in.
    pub incoming: usize,
    /// Transaction elements taking a package out.
    pub outgoing: usize,
    /// Bytes to download.
    pub download_bytes: u64,
    /// Installed size of the incoming packages.
    pub install_bytes: u64,
    /// Findings that block the upgrade.
    pub inhibitors: usize,
}

/// The whole plan.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PlanDocument {
    /// [`SCHEMA`].
    pub schema: String,
    /// The plan's identity: `sha256:` and the digest of its content without `created` and
    /// `plan_id` ([`PlanDocument::content_id`]).
    pub plan_id: String,
    /// When it was made (RFC 3339, UTC).
    pub created: String,
    /// leapfrog version that made it.
    pub leapfrog: String,
    /// The root it was made for.
    pub root: String,
    /// Source release (`almalinux-8.10`).
    pub source: String,
    /// Target release (`almalinux-9.6`).
    pub target: String,
    /// Architecture.
    pub arch: String,
    /// Where the migration data came from (`builtin`, a directory, leapp-data).
    pub data_sources: Vec<String>,
    /// Target repositories.
    pub repos: Vec<TargetRepo>,
    /// What happened to every repository enabled on the host.
    pub repo_decisions: Vec<Decision>,
    /// Module streams.
    pub modules: Modules,
    /// Every installed package's fate.
    pub packages: Vec<PackageFate>,
    /// The ordered transaction.
    pub transaction: Vec<Element>,
    /// Counts.
    pub totals: Totals,
    /// Plan-time space estimate per filesystem (`download` computes the exact one).
    #[serde(default)]
    pub space: Vec<super::space::PreliminaryMount>,
    /// Findings.
    pub findings: Vec<Finding>,
    /// Every package-evolution event applied, in order (for `leapfrog why`).
    #[serde(default)]
    pub event_steps: Vec<super::events::Step>,
    /// Display names of the events in `event_steps` (our data's slugs), by id.
    #[serde(default)]
    pub event_names: std::collections::BTreeMap<u64, String>,
    /// Installation media (`--iso`) whose repositories use `$leapfrog_media<N>` (N: index here).
    #[serde(default)]
    pub media: Vec<PathBuf>,
    /// `--drop` choices the plan was made with.
    #[serde(default)]
    pub dropped: Vec<String>,
    /// `--keep-foreign` choices the plan was made with.
    #[serde(default)]
    pub kept_foreign: Vec<String>,
    /// Fingerprint of the root's rpm database when the plan was made
    /// ([`crate::rpmdb::fingerprint`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rpmdb_fingerprint: Option<String>,
}

impl PlanDocument {
    /// Whether a finding blocks the upgrade.
    pub fn inhibited(&self) -> bool {
        self.findings.iter().any(|f| f.inhibitor)
    }

    /// The titles of the inhibitors.
    pub fn inhibitor_titles(&self) -> Vec<&str> {
        self.findings
            .iter()
            .filter(|f| f.inhibitor)
            .map(|f| f.title.as_str())
            .collect()
    }

    /// The elements that bring a package in (every action but erase and obsoleted).
    pub fn incoming(&self) -> impl Iterator<Item = &Element> {
        self.transaction
            .iter()
            .filter(|e| !matches!(e.action, Action::Erase | Action::Obsoleted))
    }

    /// The erasures the plan asks for (obsoleted packages are erased by rpm itself).
    pub fn erasures(&self) -> impl Iterator<Item = &Element> {
        self.transaction
            .iter()
            .filter(|e| e.action == Action::Erase)
    }

    /// The identity of this content: `sha256:` and the digest of the plan's JSON with
    /// `created` and `plan_id` emptied.
    pub fn content_id(&self) -> String {
        let mut bare = self.clone();
        bare.created.clear();
        bare.plan_id.clear();
        let bytes = serde_json::to_vec(&bare).unwrap_or_default();
        format!("sha256:{}", hex::encode(Sha256::digest(&bytes)))
    }

    /// Sets [`PlanDocument::plan_id`] from the content.
    pub fn seal(&mut self) {
        self.plan_id = self.content_id();
    }

    /// The first 12 hex digits of the id, for people.
    pub fn short_id(&self) -> &str {
        short_id(&self.plan_id)
    }
}

/// The first 12 hex digits of a plan id (`sha256:0123456789ab…`), for people.
pub fn short_id(plan_id: &str) -> &str {
    let hex = plan_id.strip_prefix("sha256:").unwrap_or(plan_id);
    hex.get(..12).unwrap_or(hex)
}

crate::json_document!(
    PlanDocument,
    "plan",
    SCHEMA,
    Workspace::plan_path,
    hint = "run `leapfrog plan` first"
);
