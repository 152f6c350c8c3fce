//! Checks of the storage domain (one file per check in `checks/storage/`).

use crate::registry::Check;

/// The checks of this domain.
pub const CHECKS: &[Check] = &[];
