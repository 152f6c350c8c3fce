//! Checks of the boot domain (one file per check in `checks/boot/`): the running kernel, space
//! in `/boot`, the default boot entry, the kernel command line, the EFI layout and the boot
//! layout the upgrade entry is written into.

use crate::registry::Check;

pub mod boot_layout;
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
    boot_layout::CHECK,
];
