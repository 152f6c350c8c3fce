//! Security facts ([`crate::model::Facts::security`], filled by `security_scanner`): SELinux,
//! sshd, PAM modules, the crypto policy and firewalld.

use std::collections::BTreeMap;

use serde::Serialize;

/// sshd settings that change meaning across majors.
#[derive(Debug, Clone, Default, Serialize)]
pub struct SshdConfig {
    /// `/etc/ssh/sshd_config` exists.
    pub present: bool,
    /// The first `PermitRootLogin` value outside `Match` blocks (sshd uses the first one).
    pub permit_root_login: Option<String>,
    /// `PermitRootLogin` also appears inside `Match` blocks.
    pub permit_root_login_in_match: bool,
    /// `Include` directives (EL9 ships `Include /etc/ssh/sshd_config.d/*.conf`).
    pub includes: Vec<String>,
    /// Modification time of `/etc/ssh/sshd_config` (seconds since the epoch). rpm installs
    /// files with the package's build time, so a file changed after its package was installed
    /// has a newer time than the package's install time.
    pub mtime: Option<u64>,
}

/// Security configuration.
#[derive(Debug, Clone, Default, Serialize)]
pub struct SecurityFacts {
    /// `SELINUX=` of `/etc/selinux/config` (`enforcing`, `permissive`, `disabled`).
    pub selinux: Option<String>,
    /// sshd.
    pub sshd: SshdConfig,
    /// PAM module -> the `/etc/pam.d` files that use it.
    pub pam_modules: BTreeMap<String, Vec<String>>,
    /// `/etc/crypto-policies/config`.
    pub crypto_policy: Option<String>,
    /// Locally defined crypto policies and subpolicy modules: the files in
    /// `/etc/crypto-policies/policies` (`*.pol`) and `/etc/crypto-policies/policies/modules`
    /// (`*.pmod`).
    pub custom_crypto_policies: Vec<String>,
    /// `AllowZoneDrifting` of `/etc/firewalld/firewalld.conf`.
    pub firewalld_allow_zone_drifting: Option<String>,
}
