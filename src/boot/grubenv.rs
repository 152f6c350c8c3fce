//! The GRUB environment block (`/boot/grub2/grubenv`): 1024 bytes, a header line, `key=value`
//! lines, `#` padding. [`set`], [`unset`] and [`get`] work on the block; [`write_var`] changes
//! one variable of the root's block with the one atomic writer.

use std::fs;

use leapfrog_base::atomic::{Failpoints, write_atomic};

use super::{BootError, io_err};
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

/// The root's block.
///
/// # Errors
///
/// When it cannot be read.
pub fn read(ws: &Workspace) -> Result<Vec<u8>, BootError> {
    let path = ws.grubenv_path();
    fs::read(&path).map_err(io_err("read", &path))
}

/// Sets (`Some`) or removes (`None`) one variable of the root's block, atomically; `failpoint`
/// fires after the new block is computed, before it is written.
///
/// # Errors
///
/// No usable grubenv, or the failpoint.
pub fn write_var(
    ws: &Workspace,
    key: &str,
    value: Option<&str>,
    failpoint: Option<&'static str>,
) -> Result<(), BootError> {
    let path = ws.grubenv_path();
    let block = read(ws)?;
    let new = match value {
        Some(v) => set(&block, key, v),
        None => unset(&block, key),
    }
    .map_err(|e| BootError::Invalid(format!("{}: {e}", path.display())))?;
    if let Some(name) = failpoint {
        leapfrog_base::failpoints::fail_point(name)?;
    }
    write_atomic(&path, &new, Failpoints::NONE).map_err(io_err("write", &path))
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
