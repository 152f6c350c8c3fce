//! The stale-plan check: a fingerprint of the root's rpm database (every installed package's
//! NEVRA and install time) taken when the plan is made and compared before it is applied.

use std::path::Path;

use leapfrog_actors::facts::rootfs::RootFs;
use leapfrog_actors::facts::rpmdb;
use rpm_sys::{DbLocation, RpmDatabase};
use sha2::{Digest, Sha256};

use crate::plan::document::PlanDocument;

/// Why the fingerprint cannot be taken or the plan is stale.
#[derive(Debug, thiserror::Error)]
pub enum StaleError {
    /// The database cannot be found or read.
    #[error("cannot fingerprint the rpm database of {root}: {message}")]
    Database {
        /// The root.
        root: String,
        /// What went wrong.
        message: String,
    },
    /// The plan has no fingerprint (made by an older leapfrog).
    #[error("the plan has no rpm database fingerprint (made by an older leapfrog): plan again")]
    NoFingerprint,
    /// The root changed.
    #[error(
        "the root changed since planning (its rpm database fingerprint is now {now}, the plan was made for {planned}): plan again"
    )]
    Changed {
        /// In the plan.
        planned: String,
        /// Now.
        now: String,
    },
}

/// The fingerprint of the database at `location` in `root`: `sha256:` and the hex digest of the
/// sorted lines `NEVRA<TAB>install time`, one per installed package.
///
/// # Errors
///
/// When the database cannot be opened or listed.
pub fn fingerprint(root: &Path, location: &DbLocation) -> Result<String, StaleError> {
    let err = |message: String| StaleError::Database {
        root: root.display().to_string(),
        message,
    };
    let db = RpmDatabase::open(root, location).map_err(|e| err(e.to_string()))?;
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

/// Where the rpm database of `root` is (as the facts find it).
///
/// # Errors
///
/// When the root is not usable or has no rpm database.
pub fn detect_location(root: &Path) -> Result<DbLocation, StaleError> {
    let err = |message: String| StaleError::Database {
        root: root.display().to_string(),
        message,
    };
    let rootfs = RootFs::new(root).map_err(|e| err(e.to_string()))?;
    let info = rpmdb::detect(&rootfs).map_err(|e| err(e.to_string()))?;
    Ok(info.location())
}

/// [`fingerprint`] of the database [`detect_location`] finds.
///
/// # Errors
///
/// As both.
pub fn fingerprint_root(root: &Path) -> Result<String, StaleError> {
    fingerprint(root, &detect_location(root)?)
}

/// Refuses a plan whose fingerprint differs from the root's database now.
///
/// # Errors
///
/// [`StaleError::Changed`], [`StaleError::NoFingerprint`], or a database error.
pub fn check(plan: &PlanDocument, root: &Path) -> Result<(), StaleError> {
    let planned = plan
        .rpmdb_fingerprint
        .as_deref()
        .ok_or(StaleError::NoFingerprint)?;
    let now = fingerprint_root(root)?;
    if now != planned {
        return Err(StaleError::Changed {
            planned: planned.to_string(),
            now,
        });
    }
    Ok(())
}
