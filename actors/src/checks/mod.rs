//! Checks: one file per actor, grouped by domain. Each domain module lists its checks in
//! `CHECKS`; [`ALL`] is the whole catalogue.

use std::sync::LazyLock;

use crate::registry::Check;

pub mod boot;
pub mod hardware;
pub mod legacy;
pub mod network;
pub mod packages;
pub mod release;
pub mod repos;
pub mod security;
pub mod storage;
pub mod system;

/// Every check, by domain.
pub static ALL: LazyLock<Vec<Check>> = LazyLock::new(|| {
    [
        release::CHECKS,
        packages::CHECKS,
        repos::CHECKS,
        boot::CHECKS,
        storage::CHECKS,
        hardware::CHECKS,
        network::CHECKS,
        security::CHECKS,
        system::CHECKS,
        legacy::CHECKS,
    ]
    .concat()
});
