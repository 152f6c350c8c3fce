//! Checks of the security domain: SELinux, sshd root login, PAM modules, crypto policy,
//! firewalld.

use crate::registry::Check;

pub mod crypto_policy;
pub mod firewalld;
pub mod pam_modules;
pub mod selinux;
pub mod sshd_root_login;

/// The checks of this domain.
pub const CHECKS: &[Check] = &[
    selinux::CHECK,
    sshd_root_login::CHECK,
    pam_modules::CHECK,
    crypto_policy::CHECK,
    firewalld::CHECK,
];
