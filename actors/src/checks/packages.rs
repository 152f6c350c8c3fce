//! Checks of the packages domain (one file per check in `checks/packages/`).

use crate::registry::Check;

/// The checks of this domain.
pub const CHECKS: &[Check] = &[];
