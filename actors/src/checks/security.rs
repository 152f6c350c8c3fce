//! Checks of the security domain (one file per check in `checks/security/`).

use crate::registry::Check;

/// The checks of this domain.
pub const CHECKS: &[Check] = &[];
