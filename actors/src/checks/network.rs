//! Checks of the network domain (one file per check in `checks/network/`).

use crate::registry::Check;

/// The checks of this domain.
pub const CHECKS: &[Check] = &[];
