//! The boot layout of the root, determined once per command: how GRUB builds its menu (BLS
//! entries, or the `menuentry` blocks of a `grub.cfg` on EL7), the firmware, and the GRUB
//! environment block GRUB really loads (beside its `grub.cfg`; on UEFI hosts on the EFI system
//! partition, where `/boot/grub2/grubenv` is a link). The type and its reader are the fact of
//! `leapfrog-actors` ([`leapfrog_actors::facts::boot::read_setup`]), so the assessment, the
//! inventory and the staging see one and the same layout; this module adds the firmware of the
//! running system and the paths leapfrog writes.
//!
//! Every path of the layout is inside the root with symbolic links resolved inside it
//! ([`leapfrog_actors::facts::rootfs::RootFs::resolve_existing`]): a link leading out of the
//! root, or to nothing, is an error, never followed.

use std::path::{Path, PathBuf};

use leapfrog_actors::facts::boot::{self as facts, read_grubenv_location, read_setup};
use leapfrog_actors::facts::rootfs::RootFs;

pub use leapfrog_actors::facts::boot::{BootLayout, BootSetup, Firmware, LayoutError};

use super::{BootError, io_err};
use crate::workspace::Workspace;

/// The firmware of the machine that boots the root, when that is known: the running system's
/// for the live root (`/sys/firmware/efi`). A root mounted elsewhere (`--root`, the upgrade
/// initramfs's `/sysroot`) is read from its files.
fn running_efi(ws: &Workspace) -> Option<bool> {
    ws.is_live()
        .then(|| Path::new("/sys/firmware/efi").exists())
}

fn rootfs(ws: &Workspace) -> Result<RootFs, BootError> {
    RootFs::new(ws.root()).map_err(io_err("open the root", ws.root()))
}

/// The boot layout of the root.
///
/// # Errors
///
/// [`BootError::Layout`]: the layout cannot carry a one-shot boot of the upgrade environment
/// (no `grub.cfg` and no BLS, a `grub.cfg` that ignores `next_entry` or whose default entry
/// boots no kernel, no environment block, a link out of the root or to nothing).
pub fn detect(ws: &Workspace) -> Result<BootSetup, BootError> {
    Ok(read_setup(&rootfs(ws)?, running_efi(ws))?)
}

/// The host path of the GRUB environment block GRUB loads (see [`detect`]); without the
/// checks of the `grub.cfg`, so that grubenv stays readable and writable on any root that has
/// one.
///
/// # Errors
///
/// No block, several ESP configurations, a link out of the root or to nothing.
pub fn grubenv_path(ws: &Workspace) -> Result<PathBuf, BootError> {
    let inside = read_grubenv_location(&rootfs(ws)?, running_efi(ws))?;
    Ok(ws.in_root(inside))
}

/// The host path of `inside` (a path inside the root), resolved strictly: what leapfrog writes
/// through, so that no symbolic link can lead the write out of the root.
///
/// # Errors
///
/// A link out of the root or to nothing, or a missing file.
pub fn resolve(ws: &Workspace, inside: &str) -> Result<PathBuf, BootError> {
    let resolved = rootfs(ws)?
        .resolve_existing(inside)
        .map_err(LayoutError::from)?;
    Ok(ws.in_root(resolved))
}

/// The conventional grubenv of the root, for messages.
pub const GRUBENV: &str = facts::GRUBENV;

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    #[test]
    fn the_layout_of_a_mounted_root_comes_from_its_files() {
        let d = tempfile::tempdir().unwrap();
        let r = d.path();
        fs::create_dir_all(r.join("etc/default")).unwrap();
        fs::write(r.join("etc/default/grub"), "GRUB_ENABLE_BLSCFG=true\n").unwrap();
        fs::create_dir_all(r.join("boot/grub2")).unwrap();
        fs::write(
            r.join("boot/grub2/grubenv"),
            super::super::grubenv::block(""),
        )
        .unwrap();
        let ws = Workspace::open(r).unwrap();
        let s = detect(&ws).unwrap();
        assert_eq!((s.layout, s.firmware_known), (BootLayout::Bls, false));
        assert_eq!(grubenv_path(&ws).unwrap(), r.join("boot/grub2/grubenv"));
        assert!(resolve(&ws, "/boot/grub2/grub.cfg").is_err());
        fs::remove_file(r.join("boot/grub2/grubenv")).unwrap();
        let e = detect(&ws).unwrap_err();
        assert!(e.to_string().contains("no GRUB environment block"), "{e}");
    }
}
