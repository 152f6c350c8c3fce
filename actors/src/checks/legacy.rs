//! Checks of services and configuration that change shape between majors (ntp, TCP wrappers,
//! authconfig, python2) and of package-manager configuration that would derail the upgrade.

use crate::registry::Check;

pub mod authconfig;
pub mod excludes;
pub mod ntp;
pub mod python2;
pub mod tcp_wrappers;
pub mod unmerged_config;

/// The checks of this domain.
pub const CHECKS: &[Check] = &[
    ntp::CHECK,
    tcp_wrappers::CHECK,
    authconfig::CHECK,
    python2::CHECK,
    excludes::CHECK,
    unmerged_config::CHECK,
];
