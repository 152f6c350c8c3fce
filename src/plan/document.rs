//! `plan.json`: the plan as written to `<root>/var/lib/leapfrog/plan.json` and read back by
//! `leapfrog download` (and later by the executor). The schema is documented in
//! `docs/plan.md`; `schema` changes when a field changes meaning.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::Finding;
use super::fates::{Action, PackageFate};
use super::repos::{Decision, TargetRepo};

/// The schema identifier written into every plan.
pub const SCHEMA: &str = "leapfrog-plan/1";

/// Where the plan lives inside the root.
pub const PLAN_PATH: &str = "var/lib/leapfrog/plan.json";

/// The plan file of a root.
pub fn plan_path(root: &Path) -> PathBuf {
    root.join(PLAN_PATH)
}

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
    /// ([`crate::apply::stale::fingerprint`]); `None` in plans of older versions.
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

    /// Reads the plan of a root.
    ///
    /// # Errors
    ///
    /// When the file is missing, unreadable, not a plan or of another schema.
    pub fn load(root: &Path) -> Result<PlanDocument, PlanFileError> {
        let path = plan_path(root);
        let bytes = std::fs::read(&path).map_err(|source| PlanFileError::Read {
            path: path.clone(),
            source,
        })?;
        let doc: PlanDocument =
            serde_json::from_slice(&bytes).map_err(|e| PlanFileError::Parse {
                path: path.clone(),
                message: e.to_string(),
            })?;
        if doc.schema != SCHEMA {
            return Err(PlanFileError::Schema {
                path,
                found: doc.schema,
            });
        }
        Ok(doc)
    }

    /// Writes the plan into the root atomically (temporary file, fsync, rename).
    ///
    /// # Errors
    ///
    /// When the directory cannot be created or the file cannot be written.
    pub fn save(&self, root: &Path) -> Result<PathBuf, PlanFileError> {
        use std::io::Write as _;
        let path = plan_path(root);
        let write = || -> std::io::Result<()> {
            let dir = path.parent().unwrap_or(root);
            std::fs::create_dir_all(dir)?;
            let tmp = path.with_extension("json.tmp");
            // Buffered: the plan of a 1 500-package root is 1.4 MB, written token by token.
            let mut w = std::io::BufWriter::new(std::fs::File::create(&tmp)?);
            serde_json::to_writer_pretty(&mut w, self).map_err(std::io::Error::other)?;
            w.write_all(b"\n")?;
            let f = w
                .into_inner()
                .map_err(std::io::IntoInnerError::into_error)?;
            f.sync_all()?;
            std::fs::rename(&tmp, &path)
        };
        write().map_err(|source| PlanFileError::Write {
            path: path.clone(),
            source,
        })?;
        Ok(path)
    }
}

/// A plan file that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum PlanFileError {
    /// Not readable.
    #[error("cannot read the plan {}: {source} (run `leapfrog plan` first)", path.display())]
    Read {
        /// File.
        path: PathBuf,
        /// Cause.
        source: std::io::Error,
    },
    /// Not a plan.
    #[error("{} is not a valid plan: {message}", path.display())]
    Parse {
        /// File.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// Another schema.
    #[error("{} has schema {found:?}, this leapfrog reads {SCHEMA:?}: make the plan again", path.display())]
    Schema {
        /// File.
        path: PathBuf,
        /// Schema found.
        found: String,
    },
    /// Not writable.
    #[error("cannot write the plan {}: {source}", path.display())]
    Write {
        /// File.
        path: PathBuf,
        /// Cause.
        source: std::io::Error,
    },
}
