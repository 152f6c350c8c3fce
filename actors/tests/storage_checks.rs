//! Storage-domain checks (free space, network filesystems, noexec, LUKS, XFS ftype, root
//! symlinks, separate /usr) on synthetic roots.

mod common;

use common::*;
use leapfrog_actors::finding::Severity;
use leapfrog_actors::host::{HostFacts, HostFactsSource, Mount};

const RELEASES: &[&str] = &[
    "centos-7.9",
    "almalinux-8.10",
    "almalinux-9.6",
    "almalinux-10.0",
    "rocky-8.10",
];

const GIB: u64 = 1 << 30;

fn append_fstab(root: &std::path::Path, lines: &str) {
    let fstab = std::fs::read_to_string(root.join("etc/fstab")).unwrap();
    write(root, "/etc/fstab", &format!("{fstab}{lines}"));
}

fn mount(source: &str, target: &str, fstype: &str, options: &str) -> Mount {
    Mount {
        source: source.into(),
        target: target.into(),
        fstype: fstype.into(),
        options: options.split(',').map(String::from).collect(),
        free_bytes: Some(10 * GIB),
        total_bytes: Some(20 * GIB),
        xfs_ftype: (fstype == "xfs").then_some(1),
        ..Default::default()
    }
}

#[test]
fn pristine_roots_have_no_storage_findings() {
    for release in RELEASES {
        let a = assess(&pristine(release), release);
        let found: Vec<_> = keys(&a)
            .into_iter()
            .filter(|k| k.starts_with("storage.") || k.starts_with("actor-error.storage"))
            .collect();
        assert!(found.is_empty(), "{release}: {found:?}");
    }
}

// --- system_space_check

#[test]
fn small_root_with_var_on_it_is_an_inhibitor() {
    let release = "almalinux-8.10";
    let mut host = healthy_host(release);
    host.mounts[0].free_bytes = Some(2 * GIB);
    let a = assess_with(&pristine(release), host, None, &[]);
    let f = one(&a, "storage.insufficient-space", &[]);
    assert!(
        f.summary
            .contains("/ (/dev/mapper/root, holding /, /usr, /var): 2.0 GiB free, 3.0 GiB needed"),
        "{}",
        f.summary
    );
}

#[test]
fn root_with_exactly_the_needed_space_passes() {
    let release = "almalinux-8.10";
    let mut host = healthy_host(release);
    host.mounts[0].free_bytes = Some(3 * GIB);
    let a = assess_with(&pristine(release), host, None, &[]);
    assert!(with_key(&a, "storage.insufficient-space").is_empty());
}

#[test]
fn separate_var_is_measured_on_its_own() {
    let release = "almalinux-9.6";
    let mut host = healthy_host(release);
    host.mounts[0].free_bytes = Some(GIB);
    let mut var = mount("/dev/mapper/var", "/var", "xfs", "rw");
    var.free_bytes = Some(GIB);
    host.mounts.push(var);
    let a = assess_with(&pristine(release), host, None, &[]);
    let f = one(&a, "storage.insufficient-space", &[]);
    assert!(
        f.summary
            .contains("/var (/dev/mapper/var, holding /var): 1.0 GiB free, 2.0 GiB needed"),
        "{}",
        f.summary
    );
    // / now only holds / and /usr: 1 GiB is enough
    assert!(!f.summary.contains("- / ("), "{}", f.summary);
}

// --- network_filesystems_check

#[test]
fn nfs_in_fstab_is_an_inhibitor_naming_line_and_mount_point() {
    let release = "almalinux-9.6";
    let root = sandbox(release);
    append_fstab(
        &root,
        "nas:/export/home /home nfs4 defaults,_netdev 0 0\n//fs/share /mnt/share cifs credentials=/root/c 0 0\n",
    );
    let a = assess(&root, release);
    let f = one(&a, "storage.network-fs-in-fstab", &[]);
    assert!(
        f.summary
            .contains("line 4: nas:/export/home on /home (nfs4)")
            && f.summary
                .contains("line 5: //fs/share on /mnt/share (cifs)"),
        "{}",
        f.summary
    );
}

#[test]
fn network_fs_with_noauto_is_not_flagged() {
    let release = "almalinux-9.6";
    let root = sandbox(release);
    append_fstab(&root, "nas:/export/home /home nfs4 noauto,_netdev 0 0\n");
    let a = assess(&root, release);
    assert!(with_key(&a, "storage.network-fs-in-fstab").is_empty());
}

// --- noexec_var_check

#[test]
fn noexec_var_in_fstab_is_an_inhibitor() {
    let release = "almalinux-8.10";
    let root = sandbox(release);
    append_fstab(
        &root,
        "/dev/mapper/var /var xfs defaults,nodev,noexec 0 0\n",
    );
    let a = assess(&root, release);
    let f = one(&a, "storage.noexec-var", &[]);
    assert!(
        f.summary.contains("/etc/fstab line 4") && f.summary.contains("noexec"),
        "{}",
        f.summary
    );
    assert_eq!(
        f.remediation.as_ref().unwrap().command.as_deref().unwrap(),
        ["mount", "-o", "remount,exec", "/var"]
    );
}

#[test]
fn noexec_var_mounted_on_the_host_is_an_inhibitor() {
    let release = "almalinux-8.10";
    let mut host = healthy_host(release);
    host.mounts
        .push(mount("/dev/mapper/var", "/var", "xfs", "rw,nosuid,noexec"));
    let a = assess_with(&pristine(release), host, None, &[]);
    let f = one(&a, "storage.noexec-var", &[]);
    assert!(
        f.summary.contains("mounted: /dev/mapper/var on /var"),
        "{}",
        f.summary
    );
}

#[test]
fn var_with_other_hardening_options_passes() {
    let release = "almalinux-8.10";
    let root = sandbox(release);
    append_fstab(
        &root,
        "/dev/mapper/var /var xfs defaults,nodev,nosuid 0 0\n/dev/mapper/vt /var/tmp xfs noexec,noauto 0 0\n",
    );
    let mut host = healthy_host(release);
    host.mounts
        .push(mount("/dev/mapper/var", "/var", "xfs", "rw,nosuid,nodev"));
    let a = assess_with(&root, host, None, &[]);
    assert!(
        with_key(&a, "storage.noexec-var").is_empty(),
        "{:?}",
        keys(&a)
    );
}

#[test]
fn noexec_tmp_is_medium() {
    let release = "almalinux-9.6";
    let mut host = healthy_host(release);
    host.mounts
        .push(mount("tmpfs", "/tmp", "tmpfs", "rw,nosuid,nodev,noexec"));
    let a = assess_with(&pristine(release), host, None, &[]);
    let f = one(&a, "storage.noexec-tmp", &[]);
    assert_eq!(f.severity, Severity::Medium);
    assert!(f.summary.contains("tmpfs on /tmp"), "{}", f.summary);
    assert!(with_key(&a, "storage.noexec-var").is_empty());
}

#[test]
fn tmp_without_noexec_passes() {
    let release = "almalinux-9.6";
    let mut host = healthy_host(release);
    host.mounts
        .push(mount("tmpfs", "/tmp", "tmpfs", "rw,nosuid,nodev"));
    let a = assess_with(&pristine(release), host, None, &[]);
    assert!(with_key(&a, "storage.noexec-tmp").is_empty());
}

// --- luks_root_check

#[test]
fn root_on_a_luks_mapping_is_an_inhibitor() {
    let release = "almalinux-9.6";
    let root = sandbox(release);
    write(
        &root,
        "/etc/crypttab",
        "luks-3c1c2f8e UUID=3c1c2f8e-0000-4000-8000-000000000009 none discard\n",
    );
    let mut host = healthy_host(release);
    host.mounts[0].source = "/dev/mapper/luks-3c1c2f8e".into();
    let a = assess_with(&root, host, None, &[]);
    let f = one(&a, "storage.luks-root", &[]);
    assert!(
        f.summary.contains("/dev/mapper/luks-3c1c2f8e") && f.summary.contains("unattended"),
        "{}",
        f.summary
    );
}

#[test]
fn lvm_on_luks_is_found_through_rd_luks_arguments() {
    let release = "almalinux-8.10";
    let root = sandbox(release);
    write(&root, "/etc/crypttab", "cryptpv UUID=abc none\n");
    let mut host = healthy_host(release);
    host.kernel_cmdline = Some(
        "root=/dev/mapper/almalinux-root ro rd.luks.uuid=luks-abc rd.lvm.lv=almalinux/root".into(),
    );
    let a = assess_with(&root, host, None, &[]);
    let f = one(&a, "storage.luks-root", &[]);
    assert!(f.summary.contains("rd.luks.uuid=luks-abc"), "{}", f.summary);
}

#[test]
fn encrypted_data_volume_with_a_plain_root_passes() {
    let release = "almalinux-9.6";
    let root = sandbox(release);
    write(
        &root,
        "/etc/crypttab",
        "luks-data UUID=abc /etc/keys/data.key\n",
    );
    append_fstab(&root, "/dev/mapper/luks-data /srv xfs defaults 0 0\n");
    let a = assess(&root, release);
    assert!(
        with_key(&a, "storage.luks-root").is_empty(),
        "{:?}",
        keys(&a)
    );
}

// --- xfs_ftype_check

#[test]
fn xfs_with_ftype0_is_an_inhibitor() {
    let release = "centos-7.9";
    let mut host = healthy_host(release);
    host.mounts[0].xfs_ftype = Some(0);
    let a = assess_with(&pristine(release), host, None, &[]);
    let f = one(&a, "storage.xfs-ftype0", &[]);
    assert!(f.summary.contains("/dev/mapper/root on /"), "{}", f.summary);
    assert!(!f.summary.contains("/dev/vda1"), "{}", f.summary);
}

#[test]
fn xfs_with_unknown_ftype_is_not_flagged() {
    let release = "centos-7.9";
    let mut host = healthy_host(release);
    host.mounts[0].xfs_ftype = None;
    let a = assess_with(&pristine(release), host, None, &[]);
    assert!(with_key(&a, "storage.xfs-ftype0").is_empty());
}

// --- root_symlinks_check

#[test]
fn absolute_root_symlinks_are_high_with_relative_ln_commands() {
    let release = "almalinux-9.6";
    let root = sandbox(release);
    std::os::unix::fs::symlink("/var/lib/snapd/snap", root.join("snap")).unwrap();
    let a = assess(&root, release);
    let f = one(&a, "storage.absolute-root-symlinks", &[]);
    assert_eq!(f.severity, Severity::High);
    assert!(
        f.summary.contains("/snap -> /var/lib/snapd/snap"),
        "{}",
        f.summary
    );
    assert_eq!(
        f.remediation.as_ref().unwrap().command.as_deref().unwrap(),
        ["ln", "-snf", "var/lib/snapd/snap", "/snap"]
    );

    std::os::unix::fs::symlink("/srv/data", root.join("data")).unwrap();
    let a = assess(&root, release);
    let f = one(&a, "storage.absolute-root-symlinks", &[]);
    let r = f.remediation.as_ref().unwrap();
    assert!(
        r.hint.contains("ln -snf srv/data /data")
            && r.hint.contains("ln -snf var/lib/snapd/snap /snap"),
        "{}",
        r.hint
    );
    assert_eq!(r.command.as_deref().unwrap()[..2], ["sh", "-c"]);
}

#[test]
fn relative_root_symlinks_pass() {
    let release = "almalinux-9.6";
    let root = sandbox(release);
    std::os::unix::fs::symlink("var/lib/snapd/snap", root.join("snap")).unwrap();
    let a = assess(&root, release);
    assert!(with_key(&a, "storage.absolute-root-symlinks").is_empty());
}

// --- separate_usr_check

#[test]
fn separate_usr_on_el7_is_an_inhibitor() {
    let release = "centos-7.9";
    let root = sandbox(release);
    append_fstab(&root, "/dev/mapper/centos-usr /usr xfs defaults 0 0\n");
    let a = assess(&root, release);
    let f = one(&a, "storage.separate-usr", &[]);
    assert!(
        f.summary.contains("line 4") && f.summary.contains("/dev/mapper/centos-usr"),
        "{}",
        f.summary
    );
}

#[test]
fn separate_usr_on_el8_is_not_flagged() {
    let release = "almalinux-8.10";
    let root = sandbox(release);
    append_fstab(&root, "/dev/mapper/almalinux-usr /usr xfs defaults 0 0\n");
    let a = assess(&root, release);
    assert!(with_key(&a, "storage.separate-usr").is_empty());
}

// --- unknown host facts

#[test]
fn unknown_host_facts_give_no_host_based_storage_findings() {
    let release = "almalinux-8.10";
    let a = assess_with(&pristine(release), HostFacts::default(), None, &[]);
    let found: Vec<_> = keys(&a)
        .into_iter()
        .filter(|k| k.starts_with("storage."))
        .collect();
    assert!(found.is_empty(), "{found:?}");
    // facts that would trigger every host-based storage check, but not known to be this host's
    let mut host = healthy_host(release);
    host.source = HostFactsSource::Unknown;
    host.mounts[0].free_bytes = Some(GIB);
    host.mounts[0].xfs_ftype = Some(0);
    host.mounts
        .push(mount("/dev/mapper/var", "/var", "xfs", "rw,noexec"));
    host.mounts
        .push(mount("tmpfs", "/tmp", "tmpfs", "rw,noexec"));
    let a = assess_with(&pristine(release), host, None, &[]);
    let found: Vec<_> = keys(&a)
        .into_iter()
        .filter(|k| k.starts_with("storage."))
        .collect();
    assert!(found.is_empty(), "{found:?}");
}
