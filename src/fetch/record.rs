//! `var/lib/leapfrog/download.json`: what `leapfrog download` verified and concluded, read
//! again by `leapfrog apply` to find and re-verify the package files.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::FetchError;

/// Where the record is written inside the root.
pub const RECORD_PATH: &str = "var/lib/leapfrog/download.json";

/// The result of the last `leapfrog download`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DownloadRecord {
    /// `created` of the plan the packages belong to.
    pub plan_created: String,
    /// Packages of the plan.
    pub packages: usize,
    /// Downloaded in that run.
    pub downloaded: usize,
    /// Already present and verified.
    pub cached: usize,
    /// Bytes received.
    pub downloaded_bytes: u64,
    /// Bytes saved by resuming.
    pub resumed_bytes: u64,
    /// Key files the signatures were checked against (host paths at download time).
    pub keys: Vec<PathBuf>,
    /// Whether signatures were checked (`false` with `--nogpgcheck`).
    #[serde(default = "yes")]
    pub gpgcheck: bool,
    /// Package file of every incoming NEVRA, relative to `var/lib/leapfrog/packages`.
    #[serde(default)]
    pub files: BTreeMap<String, String>,
    /// Problems of rpm's test transaction.
    pub test_transaction: Vec<rpm_sys::TransactionProblem>,
    /// The disk-space estimate.
    pub space: serde_json::Value,
    /// Verified and the transaction fits.
    pub ready: bool,
}

fn yes() -> bool {
    true
}

impl DownloadRecord {
    /// `<root>/var/lib/leapfrog/download.json`.
    pub fn path(root: &Path) -> PathBuf {
        root.join(RECORD_PATH)
    }

    /// Reads the record of a root; `Ok(None)` when there is none.
    ///
    /// # Errors
    ///
    /// When the file exists but cannot be read or parsed.
    pub fn load(root: &Path) -> Result<Option<DownloadRecord>, FetchError> {
        let path = Self::path(root);
        let bytes = match std::fs::read(&path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(source) => {
                return Err(FetchError::Io {
                    action: "read",
                    path,
                    source,
                });
            }
        };
        serde_json::from_slice(&bytes)
            .map(Some)
            .map_err(|e| FetchError::Invalid {
                what: path.display().to_string(),
                reason: format!("not a download record: {e}"),
            })
    }

    /// Writes the record into the root.
    ///
    /// # Errors
    ///
    /// When the file cannot be written.
    pub fn save(&self, root: &Path) -> Result<PathBuf, FetchError> {
        let path = Self::path(root);
        let bytes = serde_json::to_vec_pretty(self).map_err(|e| FetchError::Invalid {
            what: "download record".into(),
            reason: e.to_string(),
        })?;
        std::fs::write(&path, bytes).map_err(|source| FetchError::Io {
            action: "write",
            path: path.clone(),
            source,
        })?;
        Ok(path)
    }
}
