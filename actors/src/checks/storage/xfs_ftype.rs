//! `xfs_ftype_check`: no mounted XFS filesystem was created with `ftype=0`.
//!
//! leapfrog rehearses the package transaction on an overlayfs over the system's filesystems.
//! overlayfs needs the lower filesystems to record file types in directory entries (XFS
//! `ftype=1`, the default since RHEL 7.3's xfsprogs and always on for v5/CRC filesystems);
//! XFS filesystems made with `ftype=0` (old EL7 installations) cannot serve as its layers.
//! `ftype` is fixed at `mkfs` time, so the only remedy is to recreate the filesystem.

use crate::finding::{Finding, FindingInfo, Level, bullet_list};
use crate::model::CheckInput;
use crate::registry::Check;

const ID: &str = "xfs_ftype_check";

const XFS_FTYPE0: FindingInfo = FindingInfo {
    key: "storage.xfs-ftype0",
    level: Level::Inhibitor,
    title: "XFS filesystems without d_type support (ftype=0)",
};

/// The check.
pub const CHECK: Check = Check::new(
    ID,
    "Looks for mounted XFS filesystems with ftype=0, which overlayfs (used to rehearse the upgrade) cannot use.",
    &["host.mounts"],
    &[XFS_FTYPE0],
    run,
);

fn run(input: &CheckInput<'_>) -> Vec<Finding> {
    if !input.host.known() {
        return Vec::new();
    }
    let mut seen = Vec::new();
    let mut lines = Vec::new();
    let mut points = Vec::new();
    for m in &input.host.mounts {
        if m.fstype != "xfs" || m.xfs_ftype != Some(0) || seen.contains(&m.source) {
            continue;
        }
        seen.push(m.source.clone());
        lines.push(format!("{} on {}", m.source, m.target));
        points.push(m.target.clone());
    }
    if lines.is_empty() {
        return Vec::new();
    }
    vec![
        Finding::of(
            &XFS_FTYPE0,
            ID,
            format!(
                "These XFS filesystems were created with ftype=0:\n{}\nleapfrog rehearses the upgrade on an overlayfs over the system's filesystems, and overlayfs needs ftype=1 (d_type support) on them.",
                bullet_list(&lines, 10)
            ),
        )
        .hint("ftype cannot be changed on an existing filesystem: back up the data, recreate the filesystem with `mkfs.xfs -n ftype=1`, and restore it. Check a filesystem with `xfs_info <mount point> | grep ftype`.")
        .related("directory", points)
        .groups(&["filesystem"]),
    ]
}
