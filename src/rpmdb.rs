//! The root's rpm database as leapfrog's verbs see it: where it is ([`location`], as the
//! assessment's facts find it) and its [`fingerprint`] (every installed package's NEVRA and
//! install time), taken when the plan is made and compared before it is applied and after a
//! rollback.

use leapfrog_actors::facts::rootfs::RootFs;
use leapfrog_actors::facts::rpmdb;
use rpm_sys::{DbLocation, RpmDatabase};
use sha2::{Digest, Sha256};

use crate::workspace::Workspace;

/// The database cannot be found or read.
#[derive(Debug, thiserror::Error)]
#[error("cannot {action} the rpm database of {}: {message}", root.display())]
pub struct RpmDbError {
    /// What was being done (`find`, `fingerprint`).
    pub action: &'static str,
    /// The root.
    pub root: std::path::PathBuf,
    /// What went wrong.
    pub message: String,
}

/// Where the rpm database of the root is, as it is on disk now.
///
/// # Errors
///
/// When the root is not usable or has no rpm database.
pub fn location(ws: &Workspace) -> Result<DbLocation, RpmDbError> {
    let err = |message: String| RpmDbError {
        action: "find",
        root: ws.root().to_path_buf(),
        message,
    };
    let rootfs = RootFs::new(ws.root()).map_err(|e| err(e.to_string()))?;
    let info = rpmdb::detect(&rootfs).map_err(|e| err(e.to_string()))?;
    Ok(info.location())
}

/// The fingerprint of the database at `location`: `sha256:` and the hex digest of the sorted
/// lines `NEVRA<TAB>install time`, one per installed package.
///
/// # Errors
///
/// When the database cannot be opened or listed.
pub fn fingerprint_at(ws: &Workspace, location: &DbLocation) -> Result<String, RpmDbError> {
    let err = |message: String| RpmDbError {
        action: "fingerprint",
        root: ws.root().to_path_buf(),
        message,
    };
    let db = RpmDatabase::open(ws.root(), location).map_err(|e| err(e.to_string()))?;
    let packages = db.installed_packages().map_err(|e| err(e.to_string()))?;
    let mut lines: Vec<String> = packages
        .iter()
        .map(|p| format!("{}\t{}\n", p.nevra(), p.install_time.unwrap_or(0)))
        .collect();
    lines.sort();
    let mut h = Sha256::new();
    for l in &lines {
        h.update(l.as_bytes());
    }
    Ok(format!("sha256:{}", hex::encode(h.finalize())))
}

/// [`fingerprint_at`] of the database [`location`] finds.
///
/// # Errors
///
/// As both.
pub fn fingerprint(ws: &Workspace) -> Result<String, RpmDbError> {
    fingerprint_at(ws, &location(ws)?)
}
