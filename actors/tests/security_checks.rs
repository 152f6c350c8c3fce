//! Security-domain checks on synthetic roots: SELinux, sshd root login (a question), PAM
//! modules, crypto policy, firewalld.

mod common;

use std::path::Path;
use std::time::{Duration, UNIX_EPOCH};

use common::*;
use leapfrog_actors::host::HostFacts;

const ACTORS: &[&str] = &[
    "selinux_check",
    "sshd_root_login_check",
    "pam_modules_check",
    "crypto_policy_check",
    "firewalld_check",
];

/// Gives a file the packages' build time, as rpm leaves files nobody edited.
fn as_packaged(root: &Path, path: &str) {
    let f = std::fs::File::options()
        .write(true)
        .open(root.join(path.trim_start_matches('/')))
        .unwrap();
    f.set_modified(UNIX_EPOCH + Duration::from_secs(1_704_067_200))
        .unwrap();
}

/// Gives a file a time after every package's install time, as an edit by the admin does.
fn as_edited(root: &Path, path: &str) {
    let f = std::fs::File::options()
        .write(true)
        .open(root.join(path.trim_start_matches('/')))
        .unwrap();
    f.set_modified(std::time::SystemTime::now() + Duration::from_secs(3600))
        .unwrap();
}

const SSHD_BASE: &str =
    "PasswordAuthentication yes\nUsePAM yes\nSubsystem sftp /usr/libexec/openssh/sftp-server\n";

#[test]
fn pristine_roots_have_no_security_findings() {
    for release in [
        "centos-7.9",
        "almalinux-8.10",
        "rocky-8.10",
        "almalinux-9.6",
        "almalinux-10.0",
    ] {
        let a = assess(&pristine(release), release);
        let mine: Vec<&str> = a
            .findings
            .iter()
            .filter(|f| ACTORS.contains(&f.actor.as_str()))
            .map(|f| f.key.as_str())
            .collect();
        assert!(mine.is_empty(), "{release}: {mine:?}");
    }
}

#[test]
fn disabled_selinux_is_reported_with_the_el9_kernel_argument() {
    let root = sandbox("almalinux-8.10");
    write(
        &root,
        "/etc/selinux/config",
        "SELINUX=disabled\nSELINUXTYPE=targeted\n",
    );
    let a = assess(&root, "almalinux-8.10");
    let f = one(
        &a,
        "security.selinux-disabled",
        &[
            "/etc/selinux/config",
            "SELINUX=disabled",
            "selinux=0",
            "relabel",
        ],
    );
    assert_eq!(
        command(f),
        ["grubby", "--update-kernel", "ALL", "--args", "selinux=0"]
    );

    // Disabled on the kernel command line already: nothing to add for EL9.
    let mut host = healthy_host("almalinux-8.10");
    host.kernel_cmdline = Some("root=/dev/mapper/root ro selinux=0".into());
    let a = assess_with(&root, host, None, &[]);
    let f = one(&a, "security.selinux-disabled", &["selinux=0"]);
    assert!(command(f).is_empty());

    // EL7 -> EL8: the config file still disables SELinux on the target.
    let root = sandbox("centos-7.9");
    write(&root, "/etc/selinux/config", "SELINUX=disabled\n");
    let a = assess(&root, "centos-7.9");
    let f = one(&a, "security.selinux-disabled", &["SELINUX=disabled"]);
    assert!(command(f).is_empty() && !f.summary.contains("no policy loaded"));
}

#[test]
fn permissive_selinux_is_low() {
    let root = sandbox("almalinux-9.6");
    write(
        &root,
        "/etc/selinux/config",
        "SELINUX=permissive\nSELINUXTYPE=targeted\n",
    );
    let a = assess(&root, "almalinux-9.6");
    one(&a, "security.selinux-permissive", &["SELINUX=permissive"]);
    absent(&a, "security.selinux-disabled");

    // Enforcing (the pristine roots) is fine, and so is a commented-out permissive line.
    let root = sandbox("almalinux-9.6");
    write(
        &root,
        "/etc/selinux/config",
        "#SELINUX=permissive\nSELINUX=enforcing\n",
    );
    let a = assess(&root, "almalinux-9.6");
    absent(&a, "security.selinux-permissive");
    absent(&a, "security.selinux-disabled");
}

#[test]
fn packaged_el8_sshd_config_with_root_password_login_asks_a_question() {
    let root = sandbox("almalinux-8.10");
    write(
        &root,
        "/etc/ssh/sshd_config",
        &format!("PermitRootLogin yes\n{SSHD_BASE}"),
    );
    as_packaged(&root, "/etc/ssh/sshd_config");
    let a = assess(&root, "almalinux-8.10");
    let f = one(
        &a,
        "security.sshd-root-password-login",
        &[
            "/etc/ssh/sshd_config",
            "PermitRootLogin yes",
            "prohibit-password",
        ],
    );
    let q = f.question.as_ref().expect("a question");
    assert_eq!(
        (q.section.as_str(), q.key.as_str()),
        ("sshd_root_login", "keep_password_login")
    );
    assert_eq!(q.choices, ["yes", "no"]);
    assert_eq!(
        command(f),
        [
            "leapfrog",
            "answer",
            "--section",
            "sshd_root_login.keep_password_login=yes"
        ]
    );
    absent(&a, "security.sshd-root-login-answered");

    let a = assess_with(
        &root,
        healthy_host("almalinux-8.10"),
        None,
        &[("sshd_root_login.keep_password_login", "yes")],
    );
    absent(&a, "security.sshd-root-password-login");
    one(
        &a,
        "security.sshd-root-login-answered",
        &["PermitRootLogin yes"],
    );

    let a = assess_with(
        &root,
        healthy_host("almalinux-8.10"),
        None,
        &[("sshd_root_login.keep_password_login", "no")],
    );
    absent(&a, "security.sshd-root-password-login");
    one(
        &a,
        "security.sshd-root-login-answered",
        &["prohibit-password"],
    );

    let a = assess_with(
        &root,
        healthy_host("almalinux-8.10"),
        None,
        &[("sshd_root_login.keep_password_login", "maybe")],
    );
    one(&a, "security.sshd-root-password-login", &["\"maybe\""]);
    absent(&a, "security.sshd-root-login-answered");
}

#[test]
fn explicit_or_edited_el8_sshd_config_asks_nothing() {
    // Edited after installation: rpm keeps it, PermitRootLogin yes stays.
    let root = sandbox("almalinux-8.10");
    write(
        &root,
        "/etc/ssh/sshd_config",
        &format!("PermitRootLogin yes\n{SSHD_BASE}"),
    );
    as_edited(&root, "/etc/ssh/sshd_config");
    let a = assess(&root, "almalinux-8.10");
    absent(&a, "security.sshd-root-password-login");

    // Packaged but already keys-only.
    let root = sandbox("almalinux-8.10");
    write(
        &root,
        "/etc/ssh/sshd_config",
        &format!("PermitRootLogin prohibit-password\n{SSHD_BASE}"),
    );
    as_packaged(&root, "/etc/ssh/sshd_config");
    let a = assess(&root, "almalinux-8.10");
    absent(&a, "security.sshd-root-password-login");
    absent(&a, "security.sshd-root-login-answered");
}

#[test]
fn edited_el7_sshd_config_without_permit_root_login_asks_a_question() {
    let root = sandbox("centos-7.9");
    write(
        &root,
        "/etc/ssh/sshd_config",
        &format!("#PermitRootLogin yes\n{SSHD_BASE}"),
    );
    as_edited(&root, "/etc/ssh/sshd_config");
    let a = assess(&root, "centos-7.9");
    let f = one(
        &a,
        "security.sshd-root-password-login",
        &["/etc/ssh/sshd_config", "does not set PermitRootLogin"],
    );
    assert!(f.question.is_some());

    // Setting it explicitly answers the question in the file itself.
    let root = sandbox("centos-7.9");
    write(
        &root,
        "/etc/ssh/sshd_config",
        &format!("PermitRootLogin yes\n{SSHD_BASE}"),
    );
    as_edited(&root, "/etc/ssh/sshd_config");
    let a = assess(&root, "centos-7.9");
    absent(&a, "security.sshd-root-password-login");

    // Not edited: rpm replaces it with EL8's file, which sets PermitRootLogin yes.
    let root = sandbox("centos-7.9");
    write(&root, "/etc/ssh/sshd_config", SSHD_BASE);
    as_packaged(&root, "/etc/ssh/sshd_config");
    let a = assess(&root, "centos-7.9");
    absent(&a, "security.sshd-root-password-login");
}

#[test]
fn removed_pam_modules_inhibit() {
    let root = sandbox("almalinux-8.10");
    write(
        &root,
        "/etc/pam.d/system-auth",
        "auth required pam_env.so\nauth required pam_tally2.so deny=5 onerr=fail\nauth sufficient pam_unix.so\npassword requisite pam_cracklib.so retry=3\n",
    );
    let a = assess(&root, "almalinux-8.10");
    let f = one(
        &a,
        "security.removed-pam-module",
        &[
            "pam_tally2",
            "pam_cracklib",
            "/etc/pam.d/system-auth",
            "EL9",
        ],
    );
    let hint = &f.remediation.as_ref().unwrap().hint;
    assert!(
        hint.contains("pam_faillock") && hint.contains("pam_pwquality"),
        "{hint}"
    );

    let root = sandbox("centos-7.9");
    write(
        &root,
        "/etc/pam.d/smartcard-auth",
        "auth sufficient pam_pkcs11.so nodebug\n",
    );
    let a = assess(&root, "centos-7.9");
    one(
        &a,
        "security.removed-pam-module",
        &["pam_pkcs11", "/etc/pam.d/smartcard-auth"],
    );
}

#[test]
fn pam_modules_the_target_still_has_are_fine() {
    let root = sandbox("almalinux-8.10");
    write(
        &root,
        "/etc/pam.d/system-auth",
        "auth required pam_faillock.so preauth\nauth sufficient pam_unix.so\npassword requisite pam_pwquality.so\n#auth required pam_tally2.so\n",
    );
    let a = assess(&root, "almalinux-8.10");
    absent(&a, "security.removed-pam-module");

    // pam_tally2 is still part of EL8.
    let root = sandbox("centos-7.9");
    write(
        &root,
        "/etc/pam.d/system-auth",
        "auth required pam_tally2.so deny=5\n",
    );
    let a = assess(&root, "centos-7.9");
    absent(&a, "security.removed-pam-module");
}

#[test]
fn custom_crypto_policies_are_high() {
    let root = sandbox("almalinux-8.10");
    write(&root, "/etc/crypto-policies/config", "DEFAULT:CORP-SSH\n");
    write(
        &root,
        "/etc/crypto-policies/policies/modules/CORP-SSH.pmod",
        "ssh_cipher = -3DES-CBC\n",
    );
    let a = assess(&root, "almalinux-8.10");
    one(
        &a,
        "security.custom-crypto-policy",
        &[
            "DEFAULT:CORP-SSH",
            "/etc/crypto-policies/policies/modules/CORP-SSH.pmod",
        ],
    );
    absent(&a, "security.legacy-crypto-policy");

    let root = sandbox("almalinux-9.6");
    write(&root, "/etc/crypto-policies/config", "CORP\n");
    write(
        &root,
        "/etc/crypto-policies/policies/CORP.pol",
        "min_rsa_size = 3072\n",
    );
    let a = assess(&root, "almalinux-9.6");
    one(
        &a,
        "security.custom-crypto-policy",
        &["policy CORP", "/etc/crypto-policies/policies/CORP.pol"],
    );
}

#[test]
fn built_in_crypto_policies_are_not_custom() {
    for policy in ["DEFAULT:SHA1", "FUTURE", "FIPS:OSPP", "DEFAULT:AD-SUPPORT"] {
        let root = sandbox("almalinux-8.10");
        write(
            &root,
            "/etc/crypto-policies/config",
            &format!("# set by admin\n{policy}\n"),
        );
        let a = assess(&root, "almalinux-8.10");
        absent(&a, "security.custom-crypto-policy");
        absent(&a, "security.legacy-crypto-policy");
    }
}

#[test]
fn legacy_crypto_policy_is_low() {
    let root = sandbox("almalinux-8.10");
    write(&root, "/etc/crypto-policies/config", "LEGACY\n");
    let a = assess(&root, "almalinux-8.10");
    let f = one(&a, "security.legacy-crypto-policy", &["LEGACY"]);
    assert_eq!(command(f), ["update-crypto-policies", "--set", "DEFAULT"]);
    absent(&a, "security.custom-crypto-policy");
}

#[test]
fn firewalld_zone_drifting_inhibits_el9() {
    let root = sandbox("almalinux-8.10");
    write(
        &root,
        "/etc/firewalld/firewalld.conf",
        "DefaultZone=public\nAllowZoneDrifting=yes\n",
    );
    let a = assess(&root, "almalinux-8.10");
    let f = one(
        &a,
        "security.firewalld-zone-drifting",
        &["/etc/firewalld/firewalld.conf", "AllowZoneDrifting=yes"],
    );
    assert_eq!(
        command(f),
        [
            "sed",
            "-i",
            "s/^AllowZoneDrifting=.*/AllowZoneDrifting=no/",
            "/etc/firewalld/firewalld.conf"
        ]
    );
    assert!(
        f.remediation
            .as_ref()
            .unwrap()
            .hint
            .contains("firewall-cmd --reload")
    );

    // Host facts are not needed for a configuration file.
    let a = assess_with(&root, HostFacts::default(), None, &[]);
    one(
        &a,
        "security.firewalld-zone-drifting",
        &["AllowZoneDrifting=yes"],
    );
}

#[test]
fn firewalld_without_zone_drifting_or_for_el8_is_fine() {
    let root = sandbox("almalinux-8.10");
    write(
        &root,
        "/etc/firewalld/firewalld.conf",
        "DefaultZone=public\nAllowZoneDrifting=no\n",
    );
    let a = assess(&root, "almalinux-8.10");
    absent(&a, "security.firewalld-zone-drifting");

    let root = sandbox("centos-7.9");
    write(
        &root,
        "/etc/firewalld/firewalld.conf",
        "AllowZoneDrifting=yes\n",
    );
    let a = assess(&root, "centos-7.9");
    absent(&a, "security.firewalld-zone-drifting");
}
