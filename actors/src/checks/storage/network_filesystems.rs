//! `network_filesystems_check`: `/etc/fstab` mounts no network filesystem at boot.
//!
//! The upgrade runs in an initramfs without network; it mounts everything `/etc/fstab` lists
//! (the package transaction must see the whole tree). An NFS, CIFS/SMB or GlusterFS entry
//! without `noauto` cannot be mounted there: the mount waits for its timeout and the upgrade
//! stops. Entries with `noauto` are skipped, as the upgrade environment skips them.

use crate::finding::{Finding, FindingInfo, Level, bullet_list};
use crate::model::CheckInput;
use crate::registry::Check;

const ID: &str = "network_filesystems_check";

/// Filesystem types that need the network.
pub const NETWORK_FSTYPES: &[&str] = &[
    "nfs",
    "nfs4",
    "cifs",
    "smbfs",
    "smb3",
    "glusterfs",
    "fuse.glusterfs",
];

const NETWORK_FS_IN_FSTAB: FindingInfo = FindingInfo {
    key: "storage.network-fs-in-fstab",
    level: Level::Inhibitor,
    title: "Network filesystems are mounted from /etc/fstab",
};

/// The check.
pub const CHECK: Check = Check::new(
    ID,
    "Looks for NFS, CIFS/SMB and GlusterFS entries in /etc/fstab that are mounted at boot (no noauto): the upgrade environment has no network.",
    &["facts.storage"],
    &[NETWORK_FS_IN_FSTAB],
    run,
);

fn run(input: &CheckInput<'_>) -> Vec<Finding> {
    let Some(storage) = input.facts.storage.get() else {
        return Vec::new();
    };
    let found: Vec<_> = storage
        .fstab
        .iter()
        .filter(|e| NETWORK_FSTYPES.contains(&e.fstype.to_ascii_lowercase().as_str()))
        .filter(|e| !e.options.iter().any(|o| o == "noauto"))
        .collect();
    if found.is_empty() {
        return Vec::new();
    }
    let lines: Vec<String> = found
        .iter()
        .map(|e| {
            format!(
                "line {}: {} on {} ({})",
                e.line, e.source, e.target, e.fstype
            )
        })
        .collect();
    let first = found[0].target.as_str();
    vec![
        Finding::of(
            &NETWORK_FS_IN_FSTAB,
            ID,
            format!(
                "/etc/fstab mounts network filesystems at boot:\n{}\nThe upgrade runs without network and mounts everything in /etc/fstab; these mounts would fail and stop it.",
                bullet_list(&lines, 20)
            ),
        )
        .hint(format!(
            "For the duration of the upgrade, comment these lines out of /etc/fstab or add `noauto` to their options, and unmount them (`umount {first}`); restore them once the upgraded system is up."
        ))
        .related("file", ["/etc/fstab"])
        .related("directory", found.iter().map(|e| e.target.clone()))
        .groups(&["filesystem", "network"]),
    ]
}
