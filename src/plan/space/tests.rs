//! Tests of the disk-space estimate.

use super::*;

const MOUNTINFO: &str = "\
22 1 254:0 / / rw,relatime shared:1 - ext4 /dev/vda rw
30 22 0:25 / /tmp rw shared:2 - tmpfs tmpfs rw
31 22 7:0 / /mnt/with\\040space rw - xfs /dev/loop0 rw
32 31 7:1 / /mnt/with\\040space/boot rw - ext4 /dev/loop1 rw
garbage line
";

#[test]
fn mountinfo_is_parsed_and_paths_map_to_the_longest_mount() {
    let mounts = parse_mountinfo(MOUNTINFO);
    assert_eq!(mounts.len(), 4);
    assert_eq!(mounts[2].mount_point, Path::new("/mnt/with space"));
    assert_eq!(mounts[2].fs_type, "xfs");
    assert_eq!(mounts[2].source, "/dev/loop0");
    let of = |p: &str| mount_of(&mounts, Path::new(p)).map(|m| m.mount_point.clone());
    assert_eq!(
        of("/mnt/with space/usr/bin/x"),
        Some("/mnt/with space".into())
    );
    assert_eq!(
        of("/mnt/with space/boot/vmlinuz"),
        Some("/mnt/with space/boot".into())
    );
    assert_eq!(of("/mnt/with space/bootx"), Some("/mnt/with space".into()));
    assert_eq!(of("/tmp/r/etc"), Some("/tmp".into()));
    assert_eq!(of("/etc"), Some("/".into()));
    assert_eq!(mount_of(&mounts[1..2], Path::new("/etc")), None);
}

fn header(name: &str, files: &[(&str, u64)]) -> PackageHeader {
    PackageHeader {
        package: rpm_sys::InstalledPackage {
            name: name.into(),
            epoch: None,
            version: "1".into(),
            release: "1.el9".into(),
            arch: Some("x86_64".into()),
            vendor: None,
            signature_key_id: None,
            install_time: None,
            size: None,
            source_rpm: None,
        },
        provides: vec![name.into()],
        files: files
            .iter()
            .map(|(path, size)| rpm_sys::FileEntry {
                path: (*path).into(),
                size: *size,
                mode: 0o100_644,
                ghost: false,
            })
            .collect(),
    }
}

/// An estimate over a fake mount table: the root on one filesystem, its /boot on another.
fn fake(
    installs: Vec<PackageHeader>,
    root_free: (u64, Option<u64>),
    boot_free: u64,
) -> SpaceEstimate {
    let dir = tempfile::tempdir().unwrap();
    let root = fs::canonicalize(dir.path()).unwrap();
    let mounts = vec![
        Mount {
            mount_point: root.clone(),
            fs_type: "xfs".into(),
            source: "/dev/a".into(),
        },
        Mount {
            mount_point: root.join("boot"),
            fs_type: "ext4".into(),
            source: "/dev/b".into(),
        },
    ];
    let boot = root.join("boot");
    let stats = move |p: &Path| -> Result<FsStats, SpaceError> {
        Ok(if p == boot {
            FsStats {
                block_size: 1024,
                free_bytes: boot_free,
                free_inodes: Some(1000),
            }
        } else {
            FsStats {
                block_size: 4096,
                free_bytes: root_free.0,
                free_inodes: root_free.1,
            }
        })
    };
    let request = SpaceRequest {
        installs: installs
            .into_iter()
            .map(|header| PlannedInstall {
                path: root.join("nowhere.rpm"),
                header,
                upgrade: false,
            })
            .collect(),
        erases: Vec::new(),
    };
    let location = DbLocation::new("/var/lib/rpm", rpm_sys::DbBackend::Sqlite);
    let e = estimate_with(
        &Workspace::unchecked(&root),
        &location,
        &request,
        &mounts,
        &stats,
    )
    .unwrap();
    drop(dir);
    e
}

#[test]
fn files_are_counted_per_filesystem_in_its_blocks_with_margins() {
    let kernel = header(
        "kernel-core",
        &[
            ("/lib/modules/5.14.0/vmlinuz", 10_000),
            ("/boot/config-5.14.0", 1),
        ],
    );
    let app = header("app", &[("/usr/bin/app", 1), ("/usr/share/app/data", 8193)]);
    let e = fake(vec![kernel, app], (1 << 30, Some(100)), 1 << 30);
    assert_eq!(e.mounts.len(), 2);
    let root = e.mount_in_root("/").unwrap();
    // 4 KiB blocks: 10000 -> 12288, 1 -> 4096, 8193 -> 12288
    assert_eq!(root.needed_bytes, 12288 + 4096 + 12288);
    assert_eq!(root.needed_inodes, 3);
    assert_eq!(root.fs_type, "xfs");
    assert_eq!(
        root.top[0].package, "app-1-1.el9.x86_64",
        "16 KiB before 12 KiB"
    );
    assert_eq!(root.top[1].package, "kernel-core-1-1.el9.x86_64");
    assert_eq!(root.verdict, Verdict::Fits);
    let boot = e.mount_in_root("/boot").unwrap();
    // 1 KiB blocks
    assert_eq!(boot.needed_bytes, 1024);
    assert_eq!(e.new_kernels, ["kernel-core-1-1.el9.x86_64"]);
    let initramfs = boot
        .margins
        .iter()
        .find(|m| m.reason.contains("initramfs"))
        .unwrap();
    assert_eq!(initramfs.bytes, BOOT_BYTES_PER_KERNEL);
    assert_eq!(
        boot.required_bytes,
        1024 + 52 + BOOT_BYTES_PER_KERNEL,
        "needed + 5% + initramfs"
    );
    assert_eq!(boot.net_bytes, 1024);
}

#[test]
fn verdicts_name_what_is_short() {
    let app = || {
        header(
            "app",
            &[("/usr/share/app/a", 40960), ("/usr/share/app/b", 1)],
        )
    };
    // bytes: needs 45056 + 5% = 47309, 40000 free
    let e = fake(vec![app()], (40_000, Some(100)), 1 << 30);
    let root = e.mount_in_root("/").unwrap();
    assert_eq!(root.required_bytes, 45056 + 2253);
    assert_eq!(
        root.verdict,
        Verdict::Short {
            bytes: 45056 + 2253 - 40_000,
            inodes: 0
        }
    );
    assert!(!e.fits());
    assert!(e.to_string().contains("SHORT by 7.1 KiB"), "{e}");
    // inodes: two entries, one free inode
    let e = fake(vec![app()], (1 << 30, Some(1)), 1 << 30);
    let root = e.mount_in_root("/").unwrap();
    assert_eq!(root.verdict, Verdict::ShortOfInodes { inodes: 1 });
    assert!(e.to_string().contains("SHORT by 1 inodes"), "{e}");
    // no inode count (dynamic inodes): only bytes matter
    let e = fake(vec![app()], (1 << 30, None), 1 << 30);
    assert!(e.fits(), "{e}");
    // nothing on /boot: it is not in the estimate
    assert!(e.mount_in_root("/boot").is_none());
}

#[test]
fn rounding_follows_blocks() {
    assert_eq!(round_up(0, 4096), 0);
    assert_eq!(round_up(1, 4096), 4096);
    assert_eq!(round_up(4097, 4096), 8192);
}
