//! `pam_modules_check`: no PAM configuration in `/etc/pam.d` uses a module the target no longer
//! ships. PAM fails every authentication of a stack that names a missing module (unless the
//! line starts with `-`), so logins, `su` and `sudo` would break after the upgrade.

use crate::finding::{Finding, FindingInfo, Level, bullet_list};
use crate::model::CheckInput;
use crate::registry::Check;

const ID: &str = "pam_modules_check";

/// A PAM module removed in a release, and what replaces it.
#[derive(Debug, Clone, Copy)]
pub struct RemovedModule {
    /// Module name without `.so`.
    pub name: &'static str,
    /// First major release without it.
    pub removed_in: u32,
    /// What to do instead.
    pub remediation: &'static str,
}

/// PAM modules that disappear across the supported upgrades.
pub const REMOVED_MODULES: &[RemovedModule] = &[
    RemovedModule {
        name: "pam_pkcs11",
        removed_in: 8,
        remediation: "smart-card login moves to SSSD: configure the card in sssd.conf and select it with \
                      `authselect select sssd with-smartcard` on the target, replacing pam_pkcs11 lines",
    },
    RemovedModule {
        name: "pam_krb5",
        removed_in: 8,
        remediation: "Kerberos authentication moves to SSSD (pam_sss): configure a krb5 domain in \
                      /etc/sssd/sssd.conf and use `authselect select sssd`, replacing pam_krb5 lines",
    },
    RemovedModule {
        name: "pam_tally2",
        removed_in: 9,
        remediation: "replace it with pam_faillock (`authselect enable-feature with-faillock`, options in \
                      /etc/security/faillock.conf); `faillock` replaces the pam_tally2 command",
    },
    RemovedModule {
        name: "pam_tally",
        removed_in: 9,
        remediation: "replace it with pam_faillock (`authselect enable-feature with-faillock`, options in \
                      /etc/security/faillock.conf)",
    },
    RemovedModule {
        name: "pam_cracklib",
        removed_in: 9,
        remediation: "replace it with pam_pwquality, which takes the same minlen/*credit options in \
                      /etc/security/pwquality.conf",
    },
];

const REMOVED_PAM_MODULE: FindingInfo = FindingInfo {
    key: "security.removed-pam-module",
    level: Level::Inhibitor,
    title: "PAM configuration uses modules the target does not have",
};

/// The check.
pub const CHECK: Check = Check::new(
    ID,
    "Inhibits when /etc/pam.d uses PAM modules removed in the target (pam_pkcs11 and pam_krb5 in EL8; pam_tally2, pam_tally and pam_cracklib in EL9).",
    &["facts.security", "facts.release", "target"],
    &[REMOVED_PAM_MODULE],
    run,
);

fn run(input: &CheckInput<'_>) -> Vec<Finding> {
    let Some(sec) = input.facts.security.get() else {
        return Vec::new();
    };
    let (Some(source), Some(target)) = (input.source_major(), input.target_major()) else {
        return Vec::new();
    };
    if target <= source {
        return Vec::new();
    }
    let hits: Vec<(&RemovedModule, &Vec<String>)> = REMOVED_MODULES
        .iter()
        .filter(|m| m.removed_in > source && m.removed_in <= target)
        .filter_map(|m| sec.pam_modules.get(m.name).map(|files| (m, files)))
        .filter(|(_, files)| !files.is_empty())
        .collect();
    if hits.is_empty() {
        return Vec::new();
    }
    let lines: Vec<String> = hits
        .iter()
        .map(|(m, files)| {
            format!(
                "{} (removed in EL{}): {}",
                m.name,
                m.removed_in,
                files.join(", ")
            )
        })
        .collect();
    let hint = format!(
        "Before upgrading, take the modules out of the PAM configuration and set up their replacements \
         (keep a root shell open while editing PAM):\n{}\nIf the files are managed by authselect, change \
         the profile or its features rather than the files.",
        bullet_list(
            &hits
                .iter()
                .map(|(m, _)| format!("{}: {}", m.name, m.remediation))
                .collect::<Vec<_>>(),
            10
        )
    );
    let mut files: Vec<String> = hits.iter().flat_map(|(_, f)| f.iter().cloned()).collect();
    files.sort();
    files.dedup();
    vec![
        Finding::of(
            &REMOVED_PAM_MODULE,
            ID,
            format!(
                "These PAM modules are not part of EL{target}, but /etc/pam.d still uses them:\n{}\n\
                 A PAM stack that names a missing module fails, so the services using these files \
                 (login, sshd, su, sudo, ...) would refuse every user after the upgrade.",
                bullet_list(&lines, 20)
            ),
        )
        .hint(hint)
        .related("file", files)
        .related("pam-module", hits.iter().map(|(m, _)| m.name))
        .groups(&["security", "authentication"]),
    ]
}
