//! `var/lib/leapfrog/download.json`: what `leapfrog download` verified and concluded, read
//! again by `leapfrog apply` to find and re-verify the package files.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::plan::space::SpaceEstimate;
use crate::workspace::Workspace;

/// The schema identifier of the record.
pub const SCHEMA: &str = "leapfrog-download/1";

/// The result of the last `leapfrog download`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DownloadRecord {
    /// [`SCHEMA`].
    pub schema: String,
    /// The plan the packages belong to ([`crate::plan::PlanDocument::plan_id`]).
    pub plan_id: String,
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
    pub gpgcheck: bool,
    /// Package file of every incoming NEVRA, relative to `var/lib/leapfrog/packages`.
    pub files: BTreeMap<String, String>,
    /// Problems of rpm's test transaction.
    pub test_transaction: Vec<rpm_sys::TransactionProblem>,
    /// The disk-space estimate.
    pub space: SpaceEstimate,
    /// Verified and the transaction fits.
    pub ready: bool,
}

crate::json_document!(
    DownloadRecord,
    "download record",
    SCHEMA,
    Workspace::download_record_path,
    hint = "run `leapfrog download` first"
);

impl DownloadRecord {
    /// Whether this record belongs to the plan `plan_id` and was ready.
    pub fn ready_for(&self, plan_id: &str) -> bool {
        self.ready && self.plan_id == plan_id
    }
}
