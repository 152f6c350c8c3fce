//! Checks of the release domain: is there a supported path from here to the target, and what a
//! conversion to another distribution changes.

use crate::registry::Check;

pub mod conversion_notice;
pub mod unsupported_path;

/// The checks of this domain.
pub const CHECKS: &[Check] = &[unsupported_path::CHECK, conversion_notice::CHECK];
