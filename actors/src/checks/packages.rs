//! Checks of the packages domain (one file per check in `checks/packages/`): duplicates, package
//! origins and signatures, version locks, unfinished transactions, module streams and the rpm
//! database format.

use crate::registry::Check;

pub mod duplicate_packages;
pub mod enabled_modules;
pub mod foreign_packages_no_target;
pub mod origin;
pub mod rpm_signature_digest;
pub mod rpmdb_backend;
pub mod third_party_packages;
pub mod unfinished_transaction;
pub mod unsigned_packages;
pub mod vendors;
pub mod versionlock;

/// The checks of this domain.
pub const CHECKS: &[Check] = &[
    duplicate_packages::CHECK,
    third_party_packages::CHECK,
    unsigned_packages::CHECK,
    foreign_packages_no_target::CHECK,
    rpm_signature_digest::CHECK,
    versionlock::CHECK,
    unfinished_transaction::CHECK,
    enabled_modules::CHECK,
    rpmdb_backend::CHECK,
];
