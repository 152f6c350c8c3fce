//! `separate_usr_check`: on EL7 sources, `/usr` is not a separate filesystem in `/etc/fstab`.
//!
//! The package transaction of a 7->8 upgrade runs in leapfrog's upgrade initramfs, which has
//! to mount the system's `/usr` itself before it can run the target's tools; for EL7 sources
//! it does not do that yet (leapp does it with systemd mount units generated from fstab).
//! EL8 and later sources are not flagged.

use crate::finding::{Finding, FindingInfo, Level};
use crate::model::CheckInput;
use crate::registry::Check;

const ID: &str = "separate_usr_check";

const SEPARATE_USR: FindingInfo = FindingInfo {
    key: "storage.separate-usr",
    level: Level::Inhibitor,
    title: "/usr is a separate filesystem",
};

/// The check.
pub const CHECK: Check = Check::new(
    ID,
    "EL7 sources: detects /usr on its own filesystem in /etc/fstab, which the 7->8 upgrade environment cannot mount yet.",
    &["facts.storage", "facts.release"],
    &[SEPARATE_USR],
    run,
);

fn run(input: &CheckInput<'_>) -> Vec<Finding> {
    if input.source_major() != Some(7) {
        return Vec::new();
    }
    let Some(storage) = input.facts.storage.get() else {
        return Vec::new();
    };
    let Some(e) = storage
        .fstab
        .iter()
        .find(|e| e.target.trim_end_matches('/') == "/usr")
    else {
        return Vec::new();
    };
    vec![
        Finding::of(
            &SEPARATE_USR,
            ID,
            format!(
                "/etc/fstab line {} mounts /usr from {} ({}). Upgrading an EL7 system whose /usr is on its own filesystem is not supported yet: the upgrade initramfs does not mount a separate /usr before the package transaction.",
                e.line, e.source, e.fstype
            ),
        )
        .hint("Move /usr onto the root filesystem (copy its contents into the root filesystem's /usr directory from a rescue system, remove the /usr line from /etc/fstab, rebuild the initramfs), or reinstall the target release.")
        .related("file", ["/etc/fstab"])
        .related("directory", ["/usr"])
        .groups(&["filesystem"]),
    ]
}
