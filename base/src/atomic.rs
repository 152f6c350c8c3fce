//! The one atomic file writer: every document leapfrog writes (`state.json`, `plan.json`,
//! `download.json`, `staged.json`, the report, the facts, the answerfile) goes through
//! [`write_atomic`], so a crash or power cut at any moment leaves either the old or the new
//! content readable, never a torn file.

use std::fs;
use std::io::{self, Write as _};
use std::os::unix::fs::PermissionsExt as _;
use std::path::Path;

use crate::failpoints;

/// Failpoints fired inside [`write_atomic`], for the crash tests of one document.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Failpoints {
    /// Fired when the new content is in the temporary file, before the rename.
    pub before_rename: Option<&'static str>,
    /// Fired after the rename, before the directory is fsynced.
    pub after_rename: Option<&'static str>,
}

impl Failpoints {
    /// No failpoint.
    pub const NONE: Failpoints = Failpoints {
        before_rename: None,
        after_rename: None,
    };
}

/// Writes `bytes` to `path` atomically: a temporary file `NAME.tmp` in the same directory
/// (created if missing), fsync, rename over `path`, fsync of the directory. When anything before
/// the rename fails, or the process dies, `path` keeps its old content; the next write replaces
/// the leftover temporary file.
///
/// # Errors
///
/// Any I/O error, or a failpoint that fired (as an [`io::Error`] whose inner error is the
/// [`failpoints::FailpointError`]).
pub fn write_atomic(path: &Path, bytes: &[u8], failpoints: Failpoints) -> io::Result<()> {
    write(path, bytes, None, failpoints)
}

/// [`write_atomic`] for a file of the system that leapfrog changes in place (`grub.cfg`,
/// grubenv): the new file keeps the permission bits of the one it replaces (a `grub.cfg` of
/// mode 0600 stays 0600, from the first byte on).
///
/// # Errors
///
/// As [`write_atomic`].
pub fn replace_atomic(path: &Path, bytes: &[u8], failpoints: Failpoints) -> io::Result<()> {
    let mode = fs::metadata(path)
        .ok()
        .map(|m| m.permissions().mode() & 0o7777);
    write(path, bytes, mode, failpoints)
}

fn write(path: &Path, bytes: &[u8], mode: Option<u32>, failpoints: Failpoints) -> io::Result<()> {
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .ok_or_else(|| io::Error::other("the path has no parent directory"))?;
    fs::create_dir_all(dir)?;
    let mut tmp_name = path
        .file_name()
        .ok_or_else(|| io::Error::other("the path has no file name"))?
        .to_os_string();
    tmp_name.push(".tmp");
    let tmp = dir.join(tmp_name);
    // A symlink left where the temporary file goes (a hostile root) must not be followed.
    match fs::symlink_metadata(&tmp) {
        Ok(_) => fs::remove_file(&tmp)?,
        Err(e) if e.kind() == io::ErrorKind::NotFound => {}
        Err(e) => return Err(e),
    }
    let mut f = fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&tmp)?;
    // Buffered: the plan of a 1 500-package root is 1.4 MB.
    let mut w = io::BufWriter::with_capacity(256 * 1024, &mut f);
    w.write_all(bytes)?;
    w.flush()?;
    drop(w);
    if let Some(mode) = mode
        && f.metadata()?.permissions().mode() & 0o7777 != mode
    {
        f.set_permissions(fs::Permissions::from_mode(mode))?;
    }
    f.sync_all()?;
    drop(f);
    fire(failpoints.before_rename)?;
    fs::rename(&tmp, path)?;
    fire(failpoints.after_rename)?;
    fs::File::open(dir)?.sync_all()
}

fn fire(name: Option<&'static str>) -> io::Result<()> {
    match name {
        Some(name) => failpoints::fail_point(name).map_err(io::Error::other),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_creates_the_directory_and_replaces() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("a/b/doc.json");
        write_atomic(&p, b"one", Failpoints::NONE).unwrap();
        assert_eq!(fs::read(&p).unwrap(), b"one");
        write_atomic(&p, b"two", Failpoints::NONE).unwrap();
        assert_eq!(fs::read(&p).unwrap(), b"two");
        assert!(!d.path().join("a/b/doc.json.tmp").exists());
    }

    #[test]
    fn a_leftover_temporary_file_or_symlink_is_replaced_not_followed() {
        let d = tempfile::tempdir().unwrap();
        let outside = d.path().join("outside");
        fs::write(&outside, b"keep").unwrap();
        let dir = d.path().join("root");
        fs::create_dir(&dir).unwrap();
        std::os::unix::fs::symlink(&outside, dir.join("doc.json.tmp")).unwrap();
        write_atomic(&dir.join("doc.json"), b"new", Failpoints::NONE).unwrap();
        assert_eq!(fs::read(&outside).unwrap(), b"keep");
        assert_eq!(fs::read(dir.join("doc.json")).unwrap(), b"new");
    }

    #[test]
    fn replacing_keeps_the_mode_of_the_old_file() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("grub.cfg");
        fs::write(&p, b"old").unwrap();
        fs::set_permissions(&p, fs::Permissions::from_mode(0o600)).unwrap();
        replace_atomic(&p, b"new", Failpoints::NONE).unwrap();
        assert_eq!(fs::read(&p).unwrap(), b"new");
        assert_eq!(
            fs::metadata(&p).unwrap().permissions().mode() & 0o7777,
            0o600
        );
        fs::set_permissions(&p, fs::Permissions::from_mode(0o640)).unwrap();
        replace_atomic(&p, b"newer", Failpoints::NONE).unwrap();
        assert_eq!(
            fs::metadata(&p).unwrap().permissions().mode() & 0o7777,
            0o640
        );
        // a new file: like write_atomic
        replace_atomic(&d.path().join("new"), b"n", Failpoints::NONE).unwrap();
    }

    #[test]
    fn a_path_without_parent_is_an_error() {
        assert!(write_atomic(Path::new("doc.json"), b"x", Failpoints::NONE).is_err());
    }
}
