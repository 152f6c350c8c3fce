//! Legacy-service and package-manager configuration checks on synthetic roots.

mod common;

use std::path::Path;
use std::process::Command;

use common::*;
use leapfrog_testkit::spec::PackageSpec;

const KEYS: &[&str] = &[
    "legacy.ntp-to-chrony",
    "legacy.tcp-wrappers-rules",
    "legacy.authconfig-to-authselect",
    "legacy.python2-removed",
    "config.package-excludes",
    "config.unmerged-rpmnew",
];

/// Installs a plain synthetic package called `name` into `root` (no dependencies, unsigned).
fn install_plain(root: &Path, name: &str) {
    let dir = tempfile::tempdir().unwrap();
    let spec = PackageSpec::new(name, None, "1.0", "1.el8", "noarch");
    let rpm = leapfrog_testkit::package_build::build_to_dir(&spec, dir.path(), &|_| None).unwrap();
    let home = leapfrog_testkit::fixture::rpm_home(dir.path(), "/var/lib/rpm");
    let st = Command::new("rpm")
        .env("HOME", &home)
        .arg("--root")
        .arg(root)
        .args(["-i", "--nodeps", "--nosignature"])
        .arg(rpm)
        .status()
        .unwrap();
    assert!(st.success());
}

fn found(a: &leapfrog_actors::runner::Assessment) -> Vec<&str> {
    keys(a).into_iter().filter(|k| KEYS.contains(k)).collect()
}

#[test]
fn pristine_roots_have_only_the_ntp_notice() {
    // the synthetic CentOS 7 server runs ntp, as many real ones do
    assert_eq!(
        found(&assess(&pristine("centos-7.9"), "centos-7.9")),
        ["legacy.ntp-to-chrony"]
    );
    for release in ["almalinux-8.10", "almalinux-9.6"] {
        assert!(
            found(&assess(&pristine(release), release)).is_empty(),
            "{release}"
        );
    }
}

#[test]
fn ntp_notice_names_the_packages_and_goes_away_without_them() {
    let a = assess(&pristine("centos-7.9"), "centos-7.9");
    let f = with_key(&a, "legacy.ntp-to-chrony");
    assert!(
        !f[0].blocks() && f[0].summary.contains("ntp, ntpdate"),
        "{}",
        f[0].summary
    );
    let root = sandbox("centos-7.9");
    erase(&root, "ntp");
    erase(&root, "ntpdate");
    assert!(with_key(&assess(&root, "centos-7.9"), "legacy.ntp-to-chrony").is_empty());
}

#[test]
fn tcp_wrappers_rules_block_an_el7_upgrade_but_comments_do_not() {
    let root = sandbox("centos-7.9");
    write(&root, "/etc/hosts.allow", "# comment only\n\n");
    write(&root, "/etc/hosts.deny", "# sshd: ALL\n");
    assert!(with_key(&assess(&root, "centos-7.9"), "legacy.tcp-wrappers-rules").is_empty());
    write(&root, "/etc/hosts.deny", "sshd: ALL EXCEPT 10.0.0.0/8\n");
    let a = assess(&root, "centos-7.9");
    let f = with_key(&a, "legacy.tcp-wrappers-rules");
    assert_eq!(f.len(), 1);
    assert!(
        f[0].blocks()
            && f[0]
                .summary
                .contains("/etc/hosts.deny: sshd: ALL EXCEPT 10.0.0.0/8"),
        "{}",
        f[0].summary
    );
    // the same rules on an EL8 source are not this check's business (EL8 has no TCP wrappers)
    let el8 = sandbox("almalinux-8.10");
    write(&el8, "/etc/hosts.deny", "sshd: ALL\n");
    assert!(with_key(&assess(&el8, "almalinux-8.10"), "legacy.tcp-wrappers-rules").is_empty());
}

#[test]
fn authconfig_on_el7_is_reported_only_when_installed() {
    let root = sandbox("centos-7.9");
    assert!(
        with_key(
            &assess(&root, "centos-7.9"),
            "legacy.authconfig-to-authselect"
        )
        .is_empty()
    );
    install_plain(&root, "authconfig");
    let a = assess(&root, "centos-7.9");
    let f = with_key(&a, "legacy.authconfig-to-authselect");
    assert_eq!(f.len(), 1);
    assert_eq!(
        f[0].remediation.as_ref().unwrap().command.as_ref().unwrap()[0],
        "authselect"
    );
}

#[test]
fn python2_is_reported_for_el9_targets_only() {
    let root = sandbox("almalinux-8.10");
    install_plain(&root, "python2-requests");
    let a = assess(&root, "almalinux-8.10");
    let f = with_key(&a, "legacy.python2-removed");
    assert_eq!(f.len(), 1);
    assert!(f[0].summary.contains("python2-requests"));
    // a same-major conversion keeps python2
    let a = assess_with(&root, healthy_host("rocky-8.10"), Some("almalinux-8"), &[]);
    assert!(with_key(&a, "legacy.python2-removed").is_empty());
}

#[test]
fn excludes_are_reported_with_file_and_patterns() {
    let root = sandbox("almalinux-9.6");
    let conf = std::fs::read_to_string(root.join("etc/dnf/dnf.conf")).unwrap();
    write(
        &root,
        "/etc/dnf/dnf.conf",
        &format!("{conf}#exclude=kernel*\n"),
    );
    assert!(with_key(&assess(&root, "almalinux-9.6"), "config.package-excludes").is_empty());
    write(
        &root,
        "/etc/dnf/dnf.conf",
        &format!("{conf}exclude=kernel* openssh-server\n"),
    );
    let a = assess(&root, "almalinux-9.6");
    let f = with_key(&a, "config.package-excludes");
    assert_eq!(f.len(), 1);
    assert!(
        f[0].summary
            .contains("/etc/dnf/dnf.conf [main]: kernel* openssh-server"),
        "{}",
        f[0].summary
    );
}

#[test]
fn unmerged_rpmnew_files_are_listed() {
    let root = sandbox("almalinux-9.6");
    write(&root, "/etc/ssh/sshd_config.orig", "not an rpmnew\n");
    assert!(with_key(&assess(&root, "almalinux-9.6"), "config.unmerged-rpmnew").is_empty());
    write(&root, "/etc/ssh/sshd_config.rpmnew", "x\n");
    let a = assess(&root, "almalinux-9.6");
    let f = with_key(&a, "config.unmerged-rpmnew");
    assert_eq!(f.len(), 1);
    assert!(f[0].summary.contains("/etc/ssh/sshd_config.rpmnew"));
}
