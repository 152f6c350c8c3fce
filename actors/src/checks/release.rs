//! Checks of the release domain: is there a supported path from here to the target.

use crate::registry::Check;

pub mod unsupported_path;

/// The checks of this domain.
pub const CHECKS: &[Check] = &[unsupported_path::CHECK];
