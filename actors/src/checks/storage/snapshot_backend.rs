//! `snapshot_backend_check`: which snapshot the upgrade will be able to take of `/`. An LVM
//! snapshot needs free extents in the root's volume group; without them (or without LVM), XFS
//! with reflink gives a cheap file-level journal, and anything else means the journal copies
//! every file the transaction touches (slower, and it needs that much free space).

use crate::finding::{Finding, FindingInfo, Level};
use crate::host::{HostFacts, Mount};
use crate::model::CheckInput;
use crate::registry::Check;

const ID: &str = "snapshot_backend_check";

/// Smallest free space in the volume group that leapfrog considers enough for a thick snapshot of
/// the root volume: 1 GiB, or half of what `/` uses if that is more (an upgrade rewrites most of
/// `/usr`, typically a third to a half of a server's root).
pub const MIN_SNAPSHOT_BYTES: u64 = 1 << 30;

const SNAPSHOT_FALLBACK: FindingInfo = FindingInfo {
    key: "storage.snapshot-fallback",
    level: Level::Low,
    title: "No cheap snapshot of / is possible",
};

/// The check.
pub const CHECK: Check = Check::new(
    ID,
    "Tells which snapshot backend the upgrade can use for / (LVM, reflink, or a plain copy) and why a cheaper one is not available.",
    &["host.mounts", "host.volume_groups"],
    &[SNAPSHOT_FALLBACK],
    run,
);

/// The volume group of a device-mapper LV path (`/dev/mapper/almalinux-root`, `/dev/vg/lv`).
pub fn volume_group_of(source: &str) -> Option<String> {
    if let Some(dm) = source.strip_prefix("/dev/mapper/") {
        // device-mapper doubles dashes inside names: split at the first single dash
        let b = dm.as_bytes();
        let mut i = 0;
        while i < b.len() {
            if b[i] == b'-' {
                if b.get(i + 1) == Some(&b'-') {
                    i += 2;
                    continue;
                }
                return Some(dm[..i].replace("--", "-"));
            }
            i += 1;
        }
        return None;
    }
    let rest = source.strip_prefix("/dev/")?;
    let (vg, lv) = rest.split_once('/')?;
    (!lv.contains('/') && !vg.is_empty()).then(|| vg.to_string())
}

fn gib(b: u64) -> String {
    format!("{:.1} GiB", b as f64 / (1u64 << 30) as f64)
}

fn needed(root: &Mount) -> u64 {
    let used = root
        .total_bytes
        .zip(root.free_bytes)
        .map_or(0, |(t, f)| t.saturating_sub(f));
    MIN_SNAPSHOT_BYTES.max(used / 2)
}

fn fallback(root: &Mount) -> &'static str {
    if root.xfs_reflink == Some(true) || root.fstype == "btrfs" {
        "a reflink journal (cheap)"
    } else {
        "a copy journal of every file the transaction touches"
    }
}

fn run(input: &CheckInput<'_>) -> Vec<Finding> {
    let host: &HostFacts = input.host;
    if !host.known() {
        return Vec::new();
    }
    let Some(root) = host.mounts.iter().find(|m| m.target == "/") else {
        return Vec::new();
    };
    if root.fstype == "btrfs" {
        return Vec::new();
    }
    let need = needed(root);
    let summary = match volume_group_of(&root.source)
        .and_then(|vg| host.volume_groups.iter().find(|g| g.name == vg))
    {
        Some(vg) if vg.free_bytes >= need => return Vec::new(),
        Some(vg) => format!(
            "/ is on LVM ({}), but volume group {} has {} free and a snapshot of / needs about {}. The upgrade will protect / with {} instead.",
            root.source,
            vg.name,
            gib(vg.free_bytes),
            gib(need),
            fallback(root)
        ),
        None if root.xfs_reflink == Some(true) => return Vec::new(),
        None => format!(
            "/ ({}, {}) is not on LVM and does not support reflinks. The upgrade will protect / with {}.",
            root.source,
            root.fstype,
            fallback(root)
        ),
    };
    vec![
        Finding::of(&SNAPSHOT_FALLBACK, ID, summary)
            .hint("Nothing to fix; to get an LVM snapshot, free extents in the volume group (e.g. add a disk with vgextend) before upgrading.")
            .related("mount", [root.target.clone()])
            .groups(&["filesystem", "rollback"]),
    ]
}

#[cfg(test)]
mod tests {
    use super::volume_group_of;

    #[test]
    fn volume_groups_from_device_paths() {
        assert_eq!(
            volume_group_of("/dev/mapper/almalinux-root").as_deref(),
            Some("almalinux")
        );
        assert_eq!(
            volume_group_of("/dev/mapper/my--vg-root").as_deref(),
            Some("my-vg")
        );
        assert_eq!(
            volume_group_of("/dev/centos/root").as_deref(),
            Some("centos")
        );
        assert_eq!(volume_group_of("/dev/mapper/luks").as_deref(), None);
        assert_eq!(volume_group_of("/dev/vda1"), None);
        assert_eq!(volume_group_of("UUID=1"), None);
    }
}
