//! Checks of the boot domain (one file per check in `checks/boot/`).

use crate::registry::Check;

/// The checks of this domain.
pub const CHECKS: &[Check] = &[];
