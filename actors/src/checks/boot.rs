//! Checks of the boot domain (one file per check in `checks/boot/`): the running kernel, space
//! in `/boot`, the default boot entry, the kernel command line and the EFI layout.

use crate::registry::Check;

pub mod boot_space;
pub mod default_boot_entry;
pub mod efi;
pub mod kernel_cmdline;
pub mod running_kernel;

/// The checks of this domain.
pub const CHECKS: &[Check] = &[
    running_kernel::CHECK,
    boot_space::CHECK,
    default_boot_entry::CHECK,
    kernel_cmdline::CHECK,
    efi::CHECK,
];

/// A byte count for humans: `512 MiB`, `3.2 GiB`.
pub(crate) fn human_bytes(bytes: u64) -> String {
    const MIB: u64 = 1 << 20;
    const GIB: u64 = 1 << 30;
    if bytes >= GIB {
        format!("{:.1} GiB", bytes as f64 / GIB as f64)
    } else {
        format!("{} MiB", bytes / MIB)
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn human_bytes() {
        assert_eq!(super::human_bytes(300 << 20), "300 MiB");
        assert_eq!(super::human_bytes(3 << 30), "3.0 GiB");
        assert_eq!(super::human_bytes(0), "0 MiB");
    }
}
