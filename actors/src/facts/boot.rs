//! Boot facts ([`crate::model::Facts::boot`], filled by `boot_scanner`): BLS entries, grubenv,
//! `/etc/default/grub` and the kernel images in `/boot`.

use std::collections::BTreeMap;

use serde::Serialize;

use super::kernels::BootEntry;

/// Bootloader state.
#[derive(Debug, Clone, Default, Serialize)]
pub struct BootFacts {
    /// BLS entries in `/boot/loader/entries`.
    pub entries: Vec<BootEntry>,
    /// Variables of `/boot/grub2/grubenv` (`saved_entry`, `kernelopts`, ...).
    pub grubenv: BTreeMap<String, String>,
    /// Assignments of `/etc/default/grub`.
    pub default_grub: BTreeMap<String, String>,
    /// `/boot/grub2/grub.cfg` exists.
    pub grub_cfg: bool,
    /// `vmlinuz-*` images in `/boot`.
    pub images: Vec<String>,
}
