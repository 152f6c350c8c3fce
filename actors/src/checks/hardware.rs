//! Checks of the hardware domain (one file per check in `checks/hardware/`).

use crate::registry::Check;

/// The checks of this domain.
pub const CHECKS: &[Check] = &[];
