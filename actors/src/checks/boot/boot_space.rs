//! `boot_space_check`: the filesystem holding `/boot` has room for what the upgrade writes
//! there.
//!
//! While the source kernels are still installed, `/boot` receives:
//!
//! - leapfrog's upgrade kernel and initramfs (`vmlinuz-upgrade.<arch>` about 12-15 MiB; a
//!   generic, non-host-only initramfs with storage and network drivers, 80-150 MiB);
//! - the target kernel image (12-15 MiB), its `System.map`, `config` and `.hmac`
//!   (about 6 MiB), and its host-only initramfs (30-60 MiB; the rescue initramfs, when
//!   `dracut-config-rescue` is installed, as much again).
//!
//! That adds up to roughly 200-260 MiB at the peak, so [`BOOT_NEEDED`] is 300 MiB, which
//! leaves a margin for a larger initramfs (firmware, extra drivers). Leapp asks for 100 MiB and
//! cPanel's ELevate for 200 MiB; both are known to run out on hosts with big initramfs images.

use leapfrog_base::units::human_bytes;

use crate::finding::{Finding, FindingInfo, Level};
use crate::model::CheckInput;
use crate::registry::Check;

const ID: &str = "boot_space_check";

/// Free space needed on the filesystem holding `/boot`, in bytes (see the module docs).
pub const BOOT_NEEDED: u64 = 300 << 20;

const INSUFFICIENT_SPACE: FindingInfo = FindingInfo {
    key: "boot.insufficient-space",
    level: Level::Inhibitor,
    title: "Not enough free space for the boot files",
};

/// The check.
pub const CHECK: Check = Check::new(
    ID,
    "Verifies that the filesystem holding /boot has 300 MiB free for the upgrade kernel and initramfs and the target kernel with its initramfs.",
    &["host.mounts"],
    &[INSUFFICIENT_SPACE],
    run,
);

fn run(input: &CheckInput<'_>) -> Vec<Finding> {
    if !input.host.known() {
        return Vec::new();
    }
    let Some(mount) = input.host.mount_for("/boot") else {
        return Vec::new();
    };
    let Some(free) = mount.free_bytes else {
        return Vec::new();
    };
    if free >= BOOT_NEEDED {
        return Vec::new();
    }
    let missing = BOOT_NEEDED - free;
    vec![
        Finding::of(
            &INSUFFICIENT_SPACE,
            ID,
            format!(
                "/boot is on {} (mount point {}, {}) with {} free; the upgrade needs {} there (upgrade kernel and initramfs, then the target kernel and its initramfs while the current kernels are still installed). {} more is needed.",
                mount.source,
                mount.target,
                mount.fstype,
                human_bytes(free),
                human_bytes(BOOT_NEEDED),
                human_bytes(missing.max(1 << 20)),
            ),
        )
        .hint(format!(
            "Free at least {} on {}: remove old kernels you do not need (`dnf remove --oldinstallonly` on EL8+, `package-cleanup --oldkernels --count=1` on EL7), remove stale rescue images, or grow the filesystem.",
            human_bytes(missing.max(1 << 20)),
            mount.target
        ))
        .command(if input.source_major().is_some_and(|m| m >= 8) {
            vec!["dnf", "remove", "--oldinstallonly"]
        } else {
            vec!["package-cleanup", "--oldkernels", "--count=1"]
        })
        .related("directory", [mount.target.clone()])
        .groups(&["boot", "filesystem"]),
    ]
}
