//! Checks of the repos domain (one file per check in `checks/repos/`).

use crate::registry::Check;

/// The checks of this domain.
pub const CHECKS: &[Check] = &[];
