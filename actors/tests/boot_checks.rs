//! Boot-domain checks (running kernel, /boot space, default entry, kernel command line, EFI)
//! on synthetic roots.

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

fn mine(key: &str) -> bool {
    key.starts_with("boot.") || key.starts_with("kernel.")
}

fn kernels(major: u32) -> Vec<String> {
    leapfrog_testkit::catalog::kernel_releases(major)
}

#[test]
fn pristine_roots_have_no_boot_findings() {
    for release in RELEASES {
        let a = assess(&pristine(release), release);
        let found: Vec<_> = a
            .findings
            .iter()
            .filter(|f| mine(&f.key))
            // healthy hosts of EL8 carry crashkernel=auto, which EL9 kernels drop (low)
            .filter(|f| {
                !(release.contains("-8.")
                    && f.key == "boot.deprecated-kernel-args"
                    && f.severity == Severity::Low)
            })
            .map(|f| f.key.as_str())
            .collect();
        assert!(found.is_empty(), "{release}: {found:?}");
        assert!(
            !keys(&a).iter().any(|k| k.starts_with("actor-error.boot")),
            "{release}: {:?}",
            keys(&a)
        );
    }
}

// --- running_kernel_check

#[test]
fn older_running_kernel_is_an_inhibitor_with_the_grubby_command() {
    for (release, major) in [("almalinux-8.10", 8), ("centos-7.9", 7)] {
        let ks = kernels(major);
        let (old, newest) = (ks[0].clone(), ks[ks.len() - 1].clone());
        assert_ne!(old, newest);
        let mut host = healthy_host(release);
        host.running_kernel = Some(old.clone());
        let a = assess_with(&pristine(release), host, None, &[]);
        let f = one(&a, "kernel.newest-not-running", &[]);
        assert!(
            f.summary.contains(&old) && f.summary.contains(&newest),
            "{}",
            f.summary
        );
        let image = format!("/boot/vmlinuz-{newest}");
        assert_eq!(
            f.remediation.as_ref().unwrap().command.as_deref().unwrap(),
            ["grubby", "--set-default", image.as_str()]
        );
        assert!(with_key(&a, "kernel.running-not-installed").is_empty());
    }
}

#[test]
fn newest_kernel_running_in_a_debug_flavour_is_fine() {
    let release = "almalinux-9.6";
    let mut host = healthy_host(release);
    host.running_kernel = Some(format!("{}+debug", newest_kernel(release)));
    let a = assess_with(&pristine(release), host, None, &[]);
    assert!(
        !keys(&a).iter().any(|k| k.starts_with("kernel.")),
        "{:?}",
        keys(&a)
    );
}

#[test]
fn running_kernel_that_no_package_provides_is_high() {
    let release = "almalinux-8.10";
    let mut host = healthy_host(release);
    host.running_kernel = Some("6.1.0-linode.x86_64".into());
    let a = assess_with(&pristine(release), host, None, &[]);
    let f = one(&a, "kernel.running-not-installed", &[]);
    assert_eq!(f.severity, Severity::High);
    assert!(f.summary.contains("6.1.0-linode.x86_64"), "{}", f.summary);
    assert!(with_key(&a, "kernel.newest-not-running").is_empty());
}

// --- boot_space_check

#[test]
fn small_boot_is_an_inhibitor_naming_the_mount() {
    let release = "almalinux-9.6";
    let mut host = healthy_host(release);
    host.mounts[1].free_bytes = Some(120 << 20);
    let a = assess_with(&pristine(release), host, None, &[]);
    let f = one(&a, "boot.insufficient-space", &[]);
    assert!(
        f.summary.contains("/boot")
            && f.summary.contains("120.0 MiB")
            && f.summary.contains("300.0 MiB"),
        "{}",
        f.summary
    );
}

#[test]
fn boot_with_exactly_the_needed_space_passes() {
    let release = "almalinux-9.6";
    let mut host = healthy_host(release);
    host.mounts[1].free_bytes = Some(300 << 20);
    let a = assess_with(&pristine(release), host, None, &[]);
    assert!(with_key(&a, "boot.insufficient-space").is_empty());
    // /boot on the root filesystem: the root's free space counts
    let mut host = healthy_host(release);
    host.mounts.truncate(1);
    let a = assess_with(&pristine(release), host, None, &[]);
    assert!(with_key(&a, "boot.insufficient-space").is_empty());
}

// --- default_boot_entry_check

fn grubenv(saved: &str) -> String {
    let mut s = format!("# GRUB Environment Block\nsaved_entry={saved}\n");
    while s.len() < 1024 {
        s.push('#');
    }
    s
}

#[test]
fn saved_entry_without_a_bls_entry_is_high() {
    let release = "almalinux-8.10";
    let root = sandbox(release);
    write(
        &root,
        "/boot/grub2/grubenv",
        &grubenv("0123abcd-4.18.0-1.el8.x86_64"),
    );
    let a = assess(&root, release);
    let f = one(&a, "boot.default-entry-missing", &[]);
    assert!(
        f.summary.contains("0123abcd-4.18.0-1.el8.x86_64"),
        "{}",
        f.summary
    );
    let cmd = f.remediation.as_ref().unwrap().command.as_ref().unwrap();
    assert_eq!(cmd[..2], ["grubby", "--set-default"]);
    assert!(cmd[2].contains(&newest_kernel(release)), "{cmd:?}");
}

#[test]
fn numeric_saved_entry_is_not_flagged() {
    let release = "almalinux-8.10";
    let root = sandbox(release);
    write(&root, "/boot/grub2/grubenv", &grubenv("0"));
    let a = assess(&root, release);
    assert!(with_key(&a, "boot.default-entry-missing").is_empty());
}

fn remove_bls_entries(root: &std::path::Path) {
    let dir = root.join("boot/loader/entries");
    for e in std::fs::read_dir(&dir).unwrap() {
        std::fs::remove_file(e.unwrap().path()).unwrap();
    }
}

#[test]
fn blscfg_without_entries_is_an_inhibitor() {
    let release = "almalinux-9.6";
    let root = sandbox(release);
    remove_bls_entries(&root);
    let a = assess(&root, release);
    let f = one(&a, "boot.no-bls-entries", &[]);
    assert!(f.summary.contains("/boot/loader/entries"), "{}", f.summary);
    assert!(with_key(&a, "boot.default-entry-missing").is_empty());
}

#[test]
fn no_entries_without_blscfg_is_not_flagged() {
    let release = "almalinux-9.6";
    let root = sandbox(release);
    remove_bls_entries(&root);
    let grub = std::fs::read_to_string(root.join("etc/default/grub"))
        .unwrap()
        .replace("GRUB_ENABLE_BLSCFG=true", "GRUB_ENABLE_BLSCFG=false");
    write(&root, "/etc/default/grub", &grub);
    let a = assess(&root, release);
    assert!(
        with_key(&a, "boot.no-bls-entries").is_empty(),
        "{:?}",
        keys(&a)
    );
    assert!(with_key(&a, "boot.default-entry-missing").is_empty());
}

// --- kernel_cmdline_check

#[test]
fn fips_mode_is_an_inhibitor() {
    let release = "almalinux-8.10";
    let mut host = healthy_host(release);
    host.kernel_cmdline =
        Some("BOOT_IMAGE=/vmlinuz root=/dev/mapper/root ro fips=1 boot=UUID=1".into());
    let a = assess_with(&pristine(release), host, None, &[]);
    let f = one(&a, "boot.fips-enabled", &[]);
    assert!(f.summary.contains("fips=1"), "{}", f.summary);
    assert_eq!(
        f.remediation.as_ref().unwrap().command.as_deref().unwrap(),
        ["fips-mode-setup", "--disable"]
    );
}

#[test]
fn fips_off_is_not_flagged() {
    let release = "almalinux-8.10";
    let mut host = healthy_host(release);
    host.kernel_cmdline = Some("BOOT_IMAGE=/vmlinuz root=/dev/mapper/root ro fips=0".into());
    let a = assess_with(&pristine(release), host, None, &[]);
    assert!(with_key(&a, "boot.fips-enabled").is_empty());
}

#[test]
fn arguments_dropped_by_the_target_kernel_are_low() {
    let release = "almalinux-8.10";
    let mut host = healthy_host(release);
    host.kernel_cmdline =
        Some("root=/dev/mapper/root ro crashkernel=auto elevator=deadline quiet".into());
    let a = assess_with(&pristine(release), host, None, &[]);
    let f = one(&a, "boot.deprecated-kernel-args", &[]);
    assert_eq!(f.severity, Severity::Low);
    assert!(
        f.summary.contains("crashkernel=auto") && f.summary.contains("elevator=deadline"),
        "{}",
        f.summary
    );
}

#[test]
fn arguments_the_target_still_supports_are_not_flagged() {
    // EL7 -> EL8: both arguments still work on EL8 kernels
    let release = "centos-7.9";
    let mut host = healthy_host(release);
    host.kernel_cmdline =
        Some("root=/dev/mapper/root ro crashkernel=auto elevator=deadline".into());
    let a = assess_with(&pristine(release), host, None, &[]);
    assert!(with_key(&a, "boot.deprecated-kernel-args").is_empty());
    // EL8 -> EL9 with an explicit crashkernel size
    let release = "almalinux-8.10";
    let mut host = healthy_host(release);
    host.kernel_cmdline = Some("root=/dev/mapper/root ro crashkernel=1G-4G:192M,4G-:256M".into());
    let a = assess_with(&pristine(release), host, None, &[]);
    assert!(with_key(&a, "boot.deprecated-kernel-args").is_empty());
}

// --- efi_check

#[test]
fn efi_host_without_esp_is_medium() {
    let release = "almalinux-9.6";
    let mut host = healthy_host(release);
    host.efi = Some(true);
    let a = assess_with(&pristine(release), host, None, &[]);
    let f = one(&a, "boot.efi-unknown-layout", &[]);
    assert_eq!(f.severity, Severity::Medium);
    assert!(f.summary.contains("/boot/efi"), "{}", f.summary);
}

#[test]
fn efi_host_with_esp_mounted_or_in_fstab_passes() {
    let release = "almalinux-9.6";
    let mut host = healthy_host(release);
    host.efi = Some(true);
    host.mounts.push(Mount {
        source: "/dev/vda2".into(),
        target: "/boot/efi".into(),
        fstype: "vfat".into(),
        ..Default::default()
    });
    let a = assess_with(&pristine(release), host, None, &[]);
    assert!(with_key(&a, "boot.efi-unknown-layout").is_empty());

    let root = sandbox(release);
    let fstab = std::fs::read_to_string(root.join("etc/fstab")).unwrap();
    write(
        &root,
        "/etc/fstab",
        &format!("{fstab}UUID=7B77-95E7 /boot/efi vfat umask=0077,shortname=winnt 0 2\n"),
    );
    let mut host = healthy_host(release);
    host.efi = Some(true);
    let a = assess_with(&root, host, None, &[]);
    assert!(with_key(&a, "boot.efi-unknown-layout").is_empty());
}

// --- boot_layout_check

#[test]
fn el7_grub_cfg_without_next_entry_or_kernel_entry_is_an_inhibitor() {
    let release = "centos-7.9";
    // the pristine EL7 root is a grub.cfg layout leapfrog can stage (no finding: see above)
    let root = sandbox(release);
    let cfg = std::fs::read_to_string(root.join("boot/grub2/grub.cfg")).unwrap();
    let entries = &cfg[cfg.find("menuentry").unwrap()..];
    // a hand-written grub.cfg that never loads grubenv
    write(&root, "/boot/grub2/grub.cfg", entries);
    let a = assess(&root, release);
    let f = one(&a, "boot.layout-unsupported", &[]);
    assert!(f.blocks());
    assert!(
        f.summary
            .contains("/boot/grub2/grub.cfg does not read grubenv's one-shot next_entry"),
        "{}",
        f.summary
    );
    assert!(
        f.remediation
            .as_ref()
            .unwrap()
            .hint
            .contains("grub2-mkconfig -o /boot/grub2/grub.cfg")
    );
    // no grub.cfg at all on EL7
    std::fs::remove_file(root.join("boot/grub2/grub.cfg")).unwrap();
    let a = assess(&root, release);
    assert!(
        one(&a, "boot.layout-unsupported", &[])
            .summary
            .contains("no grub.cfg")
    );
}

#[test]
fn grubenv_link_inside_the_root_passes_and_out_of_it_is_an_inhibitor() {
    let release = "almalinux-8.10";
    let root = sandbox(release);
    // EL8 UEFI: /boot/grub2/grubenv links to the EFI system partition's block
    let esp = root.join("boot/efi/EFI/almalinux");
    std::fs::create_dir_all(&esp).unwrap();
    std::fs::rename(root.join("boot/grub2/grubenv"), esp.join("grubenv")).unwrap();
    std::os::unix::fs::symlink(
        "../efi/EFI/almalinux/grubenv",
        root.join("boot/grub2/grubenv"),
    )
    .unwrap();
    let a = assess(&root, release);
    assert!(
        with_key(&a, "boot.layout-unsupported").is_empty(),
        "{:?}",
        keys(&a)
    );
    // the grubenv facts come through the link
    assert!(with_key(&a, "boot.default-entry-missing").is_empty());
    // a link that climbs out of the root
    std::fs::remove_file(root.join("boot/grub2/grubenv")).unwrap();
    std::os::unix::fs::symlink(
        "../../../../../../../../../../tmp/grubenv",
        root.join("boot/grub2/grubenv"),
    )
    .unwrap();
    let a = assess(&root, release);
    let f = one(&a, "boot.layout-unsupported", &[]);
    assert!(f.summary.contains("leads out of the root"), "{}", f.summary);
}

// --- unknown host facts

#[test]
fn unknown_host_facts_give_no_host_based_boot_findings() {
    let release = "almalinux-8.10";
    let a = assess_with(&pristine(release), HostFacts::default(), None, &[]);
    let found: Vec<_> = keys(&a).into_iter().filter(|k| mine(k)).collect();
    assert!(found.is_empty(), "{found:?}");
    // facts that would trigger every host-based boot check, but not known to be this host's
    let mut host = healthy_host(release);
    host.source = HostFactsSource::Unknown;
    host.running_kernel = Some(kernels(8)[0].clone());
    host.kernel_cmdline = Some("ro fips=1 crashkernel=auto".into());
    host.mounts[1].free_bytes = Some(1 << 20);
    host.efi = Some(true);
    let a = assess_with(&pristine(release), host, None, &[]);
    let found: Vec<_> = keys(&a).into_iter().filter(|k| mine(k)).collect();
    assert!(found.is_empty(), "{found:?}");
}
