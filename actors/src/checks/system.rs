//! Checks of the system domain (one file per check in `checks/system/`).

use crate::registry::Check;

/// The checks of this domain.
pub const CHECKS: &[Check] = &[];
