//! The GRUB environment block: 1024 bytes, a header line, `key=value` lines, `#` padding.
//! [`set`], [`unset`] and [`get`] work on the block; [`read`] and [`write_var`] work on the
//! block GRUB loads ([`super::layout::grubenv_path`]: beside the `grub.cfg` GRUB reads, on UEFI
//! hosts on the EFI system partition; `/boot/grub2/grubenv` is often a symbolic link to it).
//! A link is followed inside the root only, and the file it leads to is replaced in its own
//! directory with the one atomic writer: the link stays a link.

use std::fs;
use std::path::Path;

use leapfrog_base::atomic::{Failpoints, replace_atomic};

use super::{BootError, io_err, layout};
use crate::workspace::Workspace;

/// The first line of a block.
pub const HEADER: &str = "# GRUB Environment Block\n";
/// The size of a block.
pub const SIZE: usize = 1024;

/// Sets `key=value` in a block, returning the new 1024-byte block (the other variables keep
/// their order).
///
/// # Errors
///
/// When `block` is not a GRUB environment block or the result does not fit.
pub fn set(block: &[u8], key: &str, value: &str) -> Result<Vec<u8>, String> {
    let text = std::str::from_utf8(block).map_err(|_| "not UTF-8".to_string())?;
    let Some(body) = text.strip_prefix(HEADER) else {
        return Err("not a GRUB environment block (header missing)".into());
    };
    if block.len() != SIZE {
        return Err(format!(
            "a GRUB environment block is {SIZE} bytes, this one {}",
            block.len()
        ));
    }
    if value.contains('\n') || key.contains(['\n', '=']) {
        return Err("key and value must be single-line".into());
    }
    let mut out = String::from(HEADER);
    let mut done = false;
    for line in body.split('\n') {
        if line.is_empty() || line.starts_with('#') {
            continue; // padding
        }
        match line.split_once('=') {
            Some((k, _)) if k == key => {
                if !done {
                    out.push_str(&format!("{key}={value}\n"));
                    done = true;
                }
            }
            _ => {
                out.push_str(line);
                out.push('\n');
            }
        }
    }
    if !done {
        out.push_str(&format!("{key}={value}\n"));
    }
    if out.len() > SIZE {
        return Err(format!(
            "the variables need {} bytes, more than {SIZE}",
            out.len()
        ));
    }
    let mut bytes = out.into_bytes();
    bytes.resize(SIZE, b'#');
    Ok(bytes)
}

/// Removes `key` from a block (the block is otherwise unchanged: the same variables in the
/// same order, `#`-padded to the same size).
///
/// # Errors
///
/// When `block` is not a GRUB environment block.
pub fn unset(block: &[u8], key: &str) -> Result<Vec<u8>, String> {
    // validate through the setter, then drop the line
    set(block, key, "")?;
    let text = String::from_utf8_lossy(block);
    let prefix = format!("{key}=");
    let mut out = String::new();
    for line in text.split_inclusive('\n') {
        if !line.starts_with(&prefix) {
            out.push_str(line);
        }
    }
    let body_end = out.trim_end_matches('#').len();
    let mut bytes = out.as_bytes()[..body_end].to_vec();
    bytes.resize(block.len(), b'#');
    Ok(bytes)
}

/// A variable of a block.
pub fn get(block: &[u8], key: &str) -> Option<String> {
    String::from_utf8_lossy(block)
        .lines()
        .find_map(|l| l.strip_prefix(&format!("{key}=")).map(String::from))
}

/// The root's block (the one GRUB loads).
///
/// # Errors
///
/// When there is none, it cannot be read, or a link leads out of the root or nowhere.
pub fn read(ws: &Workspace) -> Result<Vec<u8>, BootError> {
    read_at(&layout::grubenv_path(ws)?)
}

/// A block at a host path.
///
/// # Errors
///
/// When it cannot be read.
pub fn read_at(path: &Path) -> Result<Vec<u8>, BootError> {
    fs::read(path).map_err(io_err("read", path))
}

/// Sets (`Some`) or removes (`None`) one variable of the root's block (the one GRUB loads),
/// atomically; `failpoint` fires after the new block is computed, before it is written.
///
/// # Errors
///
/// No usable grubenv, a link out of the root or to nothing, or the failpoint.
pub fn write_var(
    ws: &Workspace,
    key: &str,
    value: Option<&str>,
    failpoint: Option<&'static str>,
) -> Result<(), BootError> {
    write_var_at(&layout::grubenv_path(ws)?, key, value, failpoint)
}

/// [`write_var`] on the block at `path` (inside the root, as [`super::BootSetup::grubenv`]
/// records it), resolved again strictly before the write.
///
/// # Errors
///
/// As [`write_var`].
pub fn write_var_in(
    ws: &Workspace,
    inside: &str,
    key: &str,
    value: Option<&str>,
    failpoint: Option<&'static str>,
) -> Result<(), BootError> {
    write_var_at(&layout::resolve(ws, inside)?, key, value, failpoint)
}

/// [`write_var`] on the block at a host path whose links are already resolved.
fn write_var_at(
    path: &Path,
    key: &str,
    value: Option<&str>,
    failpoint: Option<&'static str>,
) -> Result<(), BootError> {
    let block = read_at(path)?;
    let new = match value {
        Some(v) => set(&block, key, v),
        None => unset(&block, key),
    }
    .map_err(|e| BootError::Invalid(format!("{}: {e}", path.display())))?;
    if let Some(name) = failpoint {
        leapfrog_base::failpoints::fail_point(name)?;
    }
    replace_atomic(path, &new, Failpoints::NONE).map_err(io_err("write", path))
}

#[cfg(test)]
pub(crate) fn block(vars: &str) -> Vec<u8> {
    let mut b = format!("{HEADER}{vars}").into_bytes();
    b.resize(SIZE, b'#');
    b
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_replaces_or_adds_and_keeps_1024_bytes() {
        let b = block("saved_entry=old\nboot_success=0\n");
        let n = set(&b, "saved_entry", "abc-5.14").unwrap();
        assert_eq!(n.len(), 1024);
        let t = String::from_utf8(n).unwrap();
        assert!(t.starts_with("# GRUB Environment Block\nsaved_entry=abc-5.14\nboot_success=0\n#"));
        let n = set(&block("boot_success=0\n"), "saved_entry", "x").unwrap();
        assert!(
            String::from_utf8(n)
                .unwrap()
                .contains("boot_success=0\nsaved_entry=x\n#")
        );
    }

    #[test]
    fn bad_blocks_are_refused() {
        assert!(
            set(b"saved_entry=x\n", "saved_entry", "y")
                .unwrap_err()
                .contains("header")
        );
        let short = format!("{HEADER}a=b\n").into_bytes();
        assert!(
            set(&short, "saved_entry", "y")
                .unwrap_err()
                .contains("1024")
        );
        let long = "x".repeat(1100);
        assert!(
            set(&block(""), "saved_entry", &long)
                .unwrap_err()
                .contains("more than")
        );
        assert!(set(&block(""), "saved_entry", "a\nb").is_err());
    }

    #[test]
    fn unset_gives_back_the_block_byte_for_byte() {
        let plain = block("saved_entry=old\n");
        let armed = set(&plain, "next_entry", "leapfrog-upgrade").unwrap();
        assert_eq!(
            get(&armed, "next_entry").as_deref(),
            Some("leapfrog-upgrade")
        );
        assert_eq!(unset(&armed, "next_entry").unwrap(), plain);
        assert_eq!(get(&plain, "next_entry"), None);
    }
}

#[cfg(test)]
mod link_tests {
    use super::*;
    use std::os::unix::fs::symlink;

    /// An EL8 UEFI root: the block on the EFI system partition, `/boot/grub2/grubenv` a link
    /// (`target`) to it.
    fn uefi_root(target: &str) -> tempfile::TempDir {
        let d = tempfile::tempdir().unwrap();
        let r = d.path();
        fs::create_dir_all(r.join("boot/efi/EFI/almalinux")).unwrap();
        fs::create_dir_all(r.join("boot/grub2")).unwrap();
        fs::create_dir_all(r.join("etc/default")).unwrap();
        fs::write(r.join("etc/default/grub"), "GRUB_ENABLE_BLSCFG=true\n").unwrap();
        fs::write(
            r.join("boot/efi/EFI/almalinux/grubenv"),
            block("saved_entry=abc-4.18\n"),
        )
        .unwrap();
        symlink(target, r.join("boot/grub2/grubenv")).unwrap();
        d
    }

    #[test]
    fn a_symlinked_grubenv_stays_a_link_and_the_esp_block_gets_the_variable() {
        for target in [
            "../efi/EFI/almalinux/grubenv",
            "/boot/efi/EFI/almalinux/grubenv",
        ] {
            let d = uefi_root(target);
            let r = d.path();
            let ws = Workspace::open(r).unwrap();
            write_var(&ws, "next_entry", Some("leapfrog-upgrade"), None).unwrap();
            let link = r.join("boot/grub2/grubenv");
            assert!(
                fs::symlink_metadata(&link)
                    .unwrap()
                    .file_type()
                    .is_symlink(),
                "{target}: the link was replaced"
            );
            assert_eq!(fs::read_link(&link).unwrap(), Path::new(target));
            let esp = fs::read(r.join("boot/efi/EFI/almalinux/grubenv")).unwrap();
            assert_eq!(esp.len(), SIZE);
            assert_eq!(get(&esp, "next_entry").as_deref(), Some("leapfrog-upgrade"));
            assert_eq!(get(&esp, "saved_entry").as_deref(), Some("abc-4.18"));
            assert_eq!(read(&ws).unwrap(), esp);
            // no temporary file left beside the link or the block
            assert!(!r.join("boot/grub2/grubenv.tmp").exists());
            assert!(!r.join("boot/efi/EFI/almalinux/grubenv.tmp").exists());
            write_var(&ws, "next_entry", None, None).unwrap();
            assert_eq!(
                fs::read(r.join("boot/efi/EFI/almalinux/grubenv")).unwrap(),
                block("saved_entry=abc-4.18\n")
            );
        }
    }

    #[test]
    fn a_link_out_of_the_root_is_refused_and_nothing_is_written() {
        let outer = tempfile::tempdir().unwrap();
        let root = outer.path().join("root");
        fs::create_dir_all(root.join("boot/grub2")).unwrap();
        let outside = outer.path().join("grubenv");
        let original = block("saved_entry=host\n");
        fs::write(&outside, &original).unwrap();
        symlink("../../../grubenv", root.join("boot/grub2/grubenv")).unwrap();
        let ws = Workspace::open(&root).unwrap();
        let e = write_var(&ws, "next_entry", Some("leapfrog-upgrade"), None).unwrap_err();
        assert!(
            e.to_string().contains(
                "/boot/grub2/grubenv is a symbolic link to ../../../grubenv, which leads out of the root"
            ),
            "{e}"
        );
        assert!(read(&ws).is_err());
        assert_eq!(fs::read(&outside).unwrap(), original);
        assert_eq!(
            fs::read_link(root.join("boot/grub2/grubenv")).unwrap(),
            Path::new("../../../grubenv")
        );
        assert!(!outer.path().join("grubenv.tmp").exists());
        // a dangling link (the EFI system partition not mounted) is refused too
        let d = uefi_root("../efi/EFI/almalinux/grubenv");
        fs::remove_file(d.path().join("boot/efi/EFI/almalinux/grubenv")).unwrap();
        let ws = Workspace::open(d.path()).unwrap();
        let e = write_var(&ws, "next_entry", Some("x"), None).unwrap_err();
        assert!(e.to_string().contains("which does not exist"), "{e}");
        assert!(!d.path().join("boot/efi/EFI/almalinux/grubenv").exists());
    }
}
