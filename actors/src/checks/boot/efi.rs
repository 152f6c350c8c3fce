//! `efi_check`: a host booted with UEFI has its EFI system partition where the distribution
//! expects it, at `/boot/efi`.
//!
//! The upgrade updates the GRUB and shim binaries and `grub.cfg`/`grubenv` on the EFI system
//! partition, and the target's `grub2-efi`/`shim` packages install into `/boot/efi/EFI/<distro>`.
//! When the partition is neither mounted at `/boot/efi` nor listed there in `/etc/fstab` the
//! layout is one leapfrog does not know (mounted elsewhere, or not at all), and the new boot
//! loader files would land in a plain directory the firmware never reads. Kept simple on
//! purpose: the check does not look into the partition.

use crate::finding::{Finding, FindingInfo, Level};
use crate::model::CheckInput;
use crate::registry::Check;

const ID: &str = "efi_check";

/// Where the EFI system partition is expected.
pub const ESP: &str = "/boot/efi";

const EFI_UNKNOWN_LAYOUT: FindingInfo = FindingInfo {
    key: "boot.efi-unknown-layout",
    level: Level::Medium,
    title: "UEFI host without an EFI system partition at /boot/efi",
};

/// The check.
pub const CHECK: Check = Check::new(
    ID,
    "On UEFI hosts, verifies that the EFI system partition is mounted at /boot/efi or listed there in /etc/fstab.",
    &["host.efi", "host.mounts", "facts.storage"],
    &[EFI_UNKNOWN_LAYOUT],
    run,
);

fn run(input: &CheckInput<'_>) -> Vec<Finding> {
    if !input.host.known() || input.host.efi != Some(true) {
        return Vec::new();
    }
    let at_esp = |t: &str| t.trim_end_matches('/') == ESP;
    let mounted = input.host.mounts.iter().any(|m| at_esp(&m.target));
    let in_fstab = input
        .facts
        .storage
        .get()
        .is_some_and(|s| s.fstab.iter().any(|e| at_esp(&e.target)));
    if mounted || in_fstab {
        return Vec::new();
    }
    let vfat: Vec<String> = input
        .host
        .mounts
        .iter()
        .filter(|m| m.fstype == "vfat")
        .map(|m| format!("{} on {}", m.source, m.target))
        .collect();
    let seen = if vfat.is_empty() {
        "No vfat filesystem is mounted.".to_string()
    } else {
        format!("Mounted vfat filesystems: {}.", vfat.join(", "))
    };
    vec![
        Finding::of(
            &EFI_UNKNOWN_LAYOUT,
            ID,
            format!("The host booted with UEFI, but nothing is mounted at /boot/efi and /etc/fstab has no entry for it. {seen} The upgrade installs the new boot loader (shim, GRUB) into /boot/efi/EFI; without the EFI system partition there the firmware keeps starting the old boot loader."),
        )
        .hint("Mount the EFI system partition at /boot/efi and add it to /etc/fstab (e.g. `UUID=<uuid> /boot/efi vfat umask=0077,shortname=winnt 0 2`), then run the assessment again.")
        .related("directory", [ESP])
        .groups(&["boot"]),
    ]
}
