//! The stale-plan check: the fingerprint of the root's rpm database
//! ([`crate::rpmdb::fingerprint`]) recorded in the plan must still be the root's.

use crate::plan::PlanDocument;
use crate::rpmdb::{self, RpmDbError};
use crate::workspace::Workspace;

/// Why the plan is stale or the check cannot be made.
#[derive(Debug, thiserror::Error)]
pub enum StaleError {
    /// The database cannot be found or read.
    #[error(transparent)]
    Database(#[from] RpmDbError),
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

/// Refuses a plan whose fingerprint differs from the root's database now.
///
/// # Errors
///
/// [`StaleError::Changed`], [`StaleError::NoFingerprint`], or a database error.
pub fn check(plan: &PlanDocument, ws: &Workspace) -> Result<(), StaleError> {
    let planned = plan
        .rpmdb_fingerprint
        .as_deref()
        .ok_or(StaleError::NoFingerprint)?;
    let now = rpmdb::fingerprint(ws)?;
    if now != planned {
        return Err(StaleError::Changed {
            planned: planned.to_string(),
            now,
        });
    }
    Ok(())
}
