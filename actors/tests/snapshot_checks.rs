//! `snapshot_backend_check` on synthetic roots with different storage layouts.

mod common;

use common::*;
use leapfrog_actors::host::VolumeGroup;

const KEY: &str = "storage.snapshot-fallback";

#[test]
fn xfs_with_reflink_or_lvm_with_room_needs_no_fallback() {
    let root = pristine("almalinux-8.10");
    assert!(
        with_key(&assess(&root, "almalinux-8.10"), KEY).is_empty(),
        "healthy host: XFS with reflink"
    );
    let mut host = healthy_host("almalinux-8.10");
    host.mounts[0].source = "/dev/mapper/almalinux-root".into();
    host.mounts[0].xfs_reflink = Some(false);
    host.volume_groups = vec![VolumeGroup {
        name: "almalinux".into(),
        size_bytes: 60 << 30,
        free_bytes: 15 << 30,
    }];
    assert!(with_key(&assess_with(&root, host, None, &[]), KEY).is_empty());
}

#[test]
fn full_volume_group_falls_back_and_says_why() {
    let root = pristine("almalinux-8.10");
    let mut host = healthy_host("almalinux-8.10");
    host.mounts[0].source = "/dev/mapper/almalinux-root".into();
    host.volume_groups = vec![VolumeGroup {
        name: "almalinux".into(),
        size_bytes: 40 << 30,
        free_bytes: 0,
    }];
    let a = assess_with(&root, host, None, &[]);
    let f = with_key(&a, KEY);
    assert_eq!(f.len(), 1);
    assert!(!f[0].blocks());
    assert!(
        f[0].summary
            .contains("volume group almalinux has 0.0 GiB free")
            && f[0].summary.contains("reflink"),
        "{}",
        f[0].summary
    );
}

#[test]
fn ext4_without_lvm_uses_the_copy_journal() {
    let root = pristine("centos-7.9");
    let mut host = healthy_host("centos-7.9");
    host.mounts[0].fstype = "ext4".into();
    host.mounts[0].xfs_reflink = None;
    let a = assess_with(&root, host, None, &[]);
    let f = with_key(&a, KEY);
    assert_eq!(f.len(), 1);
    assert!(f[0].summary.contains("copy journal"), "{}", f[0].summary);
    // unknown host facts: nothing is claimed
    assert!(with_key(&assess_with(&root, Default::default(), None, &[]), KEY).is_empty());
}
