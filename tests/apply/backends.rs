//! The snapshot backends `apply` picks by itself: btrfs subvolumes and XFS reflinks (with
//! `/boot` on its own filesystem).

use std::fs;
use std::os::unix::process::ExitStatusExt as _;
use std::process::Command;

use leapfrog_testkit::fixture::TestMount;

use super::*;

#[test]
fn btrfs_snapshot_apply_and_rollback() {
    let t = template("almalinux-8.10", "almalinux-9.6", false);
    let m = TestMount::image(scratch(), "btrfs", "600M", &["mkfs.btrfs", "-q"]);
    let root = m.dir.join("root");
    btrfs_subvolume(&root);
    copy_into(&t, &root);
    let before = picture(&root);
    let r = result_of(&ok(&root, &["--json", "apply"]));
    assert_eq!(r["snapshot"]["backend"], "btrfs", "auto picks btrfs: {r}");
    assert_new_root(&root, "btrfs");
    ok(&root, &["rollback"]);
    assert_old_root(&root, &before, "btrfs rollback");
    assert!(
        !root.join("var/lib/leapfrog/snapshot").exists(),
        "subvolume deleted"
    );

    // killed in the middle of the transaction, then run again
    let root2 = m.dir.join("root2");
    btrfs_subvolume(&root2);
    copy_into(&t, &root2);
    let before2 = picture(&root2);
    let o = run_with_failpoints(&root2, &["apply"], "rpm-after-element=kill@7");
    assert_eq!(o.status.signal(), Some(9), "{}", text(&o));
    let o = run_in(&root2, &["apply"]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert_old_root(&root2, &before2, "btrfs kill mid-transaction");
}

#[test]
fn xfs_reflink_snapshot_apply_and_rollback() {
    let t = template("almalinux-8.10", "almalinux-9.6", false);
    let m = TestMount::image(
        scratch(),
        "xfs",
        "600M",
        &["mkfs.xfs", "-q", "-m", "reflink=1"],
    );
    let root = m.dir.join("root");
    copy_into(&t, &root);
    let before = picture(&root);
    let r = result_of(&ok(&root, &["--json", "apply"]));
    assert_eq!(
        r["snapshot"]["backend"], "reflink",
        "auto picks reflink: {r}"
    );
    assert!(
        r["snapshot"]["boot"].is_null(),
        "/boot is in the journal: {r}"
    );
    assert_new_root(&root, "xfs");
    ok(&root, &["rollback"]);
    assert_old_root(&root, &before, "xfs reflink rollback");

    // /boot on its own filesystem, as EL installs it: reflinks cannot reach it from the store,
    // so it gets its own journal (copies)
    let root2 = m.dir.join("root2");
    copy_into(&t, &root2);
    let boot = TestMount::image(scratch(), "xfs-boot", "320M", &["mkfs.xfs", "-q"]);
    copy_into(&root2.join("boot"), &boot.dir);
    fs::remove_dir_all(root2.join("boot")).unwrap();
    fs::create_dir(root2.join("boot")).unwrap();
    let st = Command::new("mount")
        .arg("--bind")
        .arg(&boot.dir)
        .arg(root2.join("boot"))
        .status()
        .unwrap();
    assert!(st.success());
    let before2 = picture(&root2);
    let r = result_of(&ok(&root2, &["--json", "apply"]));
    assert_eq!(r["snapshot"]["backend"], "reflink", "{r}");
    assert_eq!(r["snapshot"]["boot"]["backend"], "copy", "{r}");
    assert_new_root(&root2, "xfs, separate /boot");
    ok(&root2, &["rollback"]);
    assert_old_root(&root2, &before2, "xfs reflink rollback, separate /boot");
    let _ = Command::new("umount").arg(root2.join("boot")).status();
}
