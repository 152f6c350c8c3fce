//! The parts of a package header that the transaction and the disk-space estimate need: the
//! package's identity, what it provides and its file list with sizes.

use std::ffi::{CStr, CString};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::ptr;

use serde::{Deserialize, Serialize};

use crate::error::{RpmError, join_messages};
use crate::ffi;
use crate::librpm::api;
use crate::librpm::{Session, errors_only};
use crate::location::{DbBackend, DbLocation};
use crate::package::{InstalledPackage, header_format};

/// `RPMFILE_GHOST`: the file is owned by the package but not in its payload.
const RPMFILE_GHOST: u32 = 1 << 6;
/// File type bits of a mode.
const S_IFMT: u32 = 0o170_000;
/// A regular file.
const S_IFREG: u32 = 0o100_000;
/// A directory.
const S_IFDIR: u32 = 0o040_000;
/// A symbolic link.
const S_IFLNK: u32 = 0o120_000;

/// One entry of a package's file list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileEntry {
    /// Absolute path inside the root.
    pub path: String,
    /// `%{LONGFILESIZES}`: bytes of a regular file, length of a symlink's target, as recorded
    /// by rpmbuild for directories.
    pub size: u64,
    /// `%{FILEMODES}`: type and permission bits.
    pub mode: u32,
    /// `%ghost`: owned, but not in the payload (created by scriptlets or the program).
    pub ghost: bool,
}

impl FileEntry {
    /// A regular file.
    pub fn is_regular(&self) -> bool {
        self.mode & S_IFMT == S_IFREG
    }

    /// A directory.
    pub fn is_dir(&self) -> bool {
        self.mode & S_IFMT == S_IFDIR
    }

    /// A symbolic link.
    pub fn is_symlink(&self) -> bool {
        self.mode & S_IFMT == S_IFLNK
    }
}

/// A package header's identity, provides and file list, from a package file
/// ([`read_package_file`]) or an installed package
/// ([`crate::RpmDatabase::installed_package_files`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PackageHeader {
    /// Name, EVR, arch, vendor, signature key, sizes.
    pub package: InstalledPackage,
    /// `%{PROVIDENAME}`.
    pub provides: Vec<String>,
    /// Every file, directory and link the package owns.
    pub files: Vec<FileEntry>,
}

impl PackageHeader {
    /// Whether rpm must install this package beside older versions instead of upgrading them:
    /// it provides `installonlypkg(...)`, as EL kernels do (installonly is a dnf/libsolv concept,
    /// rpm itself would replace the old kernel when asked to upgrade).
    pub fn installonly(&self) -> bool {
        self.provides
            .iter()
            .any(|p| p.starts_with("installonlypkg("))
    }

    /// `name-[epoch:]version-release.arch`.
    pub fn nevra(&self) -> String {
        self.package.nevra()
    }

    /// Reads identity, provides and files from a header.
    ///
    /// # Safety
    ///
    /// `header` must be a valid, non-null header and the caller must hold the librpm lock.
    pub(crate) unsafe fn from_header(header: ffi::Header) -> Self {
        // SAFETY: same contract as this function, forwarded.
        let (package, provides, files) = unsafe {
            (
                InstalledPackage::from_header(header),
                header_format(header, PROVIDES_QUERY).unwrap_or_default(),
                header_format(header, FILES_QUERY).unwrap_or_default(),
            )
        };
        Self {
            package,
            provides: provides
                .split('\x1e')
                .filter(|p| !p.is_empty())
                .map(str::to_owned)
                .collect(),
            files: parse_files(&files),
        }
    }
}

/// Provided names, separated by RS (0x1e).
const PROVIDES_QUERY: &CStr = c"[%{PROVIDENAME}\x1e]";

/// The file list: path, size, mode and flags separated by US (0x1f), entries by RS (0x1e); no
/// sane path contains these control characters (an entry that does is skipped).
const FILES_QUERY: &CStr =
    c"[%{FILENAMES}\x1f%{LONGFILESIZES}\x1f%{FILEMODES}\x1f%{FILEFLAGS}\x1e]";

fn parse_files(text: &str) -> Vec<FileEntry> {
    text.split('\x1e')
        .filter(|entry| !entry.is_empty())
        .filter_map(|entry| {
            let mut fields = entry.split('\x1f');
            let path = fields.next()?;
            let size = fields.next()?.parse().ok()?;
            let mode = fields.next()?.parse().ok()?;
            let flags: u32 = fields.next()?.parse().ok()?;
            if fields.next().is_some() || !path.starts_with('/') {
                return None;
            }
            Some(FileEntry {
                path: path.to_owned(),
                size,
                mode,
                ghost: flags & RPMFILE_GHOST != 0,
            })
        })
        .collect()
}

/// A package file opened with librpm's `Fopen`, closed on drop.
pub(crate) struct RpmFd(pub(crate) ffi::FD_t);

impl RpmFd {
    /// Opens `path` for reading; the caller holds the librpm lock.
    pub(crate) fn open(path: &CStr) -> Option<Self> {
        Self::open_mode(path, c"r.ufdio")
    }

    /// Opens `path` with an rpmio mode (`r.ufdio`, `a.ufdio`); the caller holds the librpm lock.
    pub(crate) fn open_mode(path: &CStr, mode: &CStr) -> Option<Self> {
        // SAFETY: both strings are NUL-terminated; Fopen returns null or a new FD we own.
        let fd = unsafe { api().Fopen(path.as_ptr(), mode.as_ptr()) };
        if fd.is_null() {
            return None;
        }
        // SAFETY: `fd` is a valid FD just returned by Fopen.
        if unsafe { api().Ferror(fd) } != 0 {
            // SAFETY: `fd` is valid and closed exactly once here.
            unsafe { api().Fclose(fd) };
            return None;
        }
        Some(Self(fd))
    }
}

impl Drop for RpmFd {
    fn drop(&mut self) {
        // SAFETY: the FD is valid and owned by `self`, closed exactly once.
        unsafe { api().Fclose(self.0) };
    }
}

/// A header read from a package file, freed on drop.
pub(crate) struct OwnedHeader(pub(crate) ffi::Header);

impl Drop for OwnedHeader {
    fn drop(&mut self) {
        // SAFETY: we own one reference to the header (from rpmReadPackageFile), dropped once.
        unsafe { api().headerFree(self.0) };
    }
}

/// Reads the header of the package file at `path` with the transaction set `ts`; the error is
/// why it cannot be read, for the caller's error naming the file.
///
/// The caller holds the librpm lock (a [`Session`]) and has set `ts`'s verification flags;
/// signatures by keys librpm does not know are accepted here (package files are verified
/// against their repository's keys before, by another part of leapfrog).
pub(crate) fn read_header(
    session: &Session,
    ts: ffi::rpmts,
    path: &Path,
) -> Result<OwnedHeader, String> {
    let c_path =
        CString::new(path.as_os_str().as_bytes()).map_err(|_| "NUL byte in path".to_owned())?;
    if !path.is_file() {
        return Err("not a regular file".into());
    }
    let fd = RpmFd::open(&c_path)
        .ok_or_else(|| join_messages(&errors_only(&session.take_messages()), "cannot open it"))?;
    let mut header: ffi::Header = ptr::null_mut();
    // SAFETY: `ts` is valid, `fd` is an open FD, `c_path` is NUL-terminated and `header` is a
    // valid out-pointer; we hold the librpm lock.
    let rc = unsafe { api().rpmReadPackageFile(ts, fd.0, c_path.as_ptr(), &mut header) };
    let messages = session.take_messages();
    let ok = rc == ffi::RPMRC_OK || rc == ffi::RPMRC_NOKEY || rc == ffi::RPMRC_NOTTRUSTED;
    if !ok || header.is_null() {
        if !header.is_null() {
            drop(OwnedHeader(header));
        }
        return Err(join_messages(
            &errors_only(&messages),
            "librpm cannot read its header (not an rpm package, or damaged)",
        ));
    }
    Ok(OwnedHeader(header))
}

/// Verification flags that check digests but not signatures (see [`read_header`]).
pub(crate) const NO_SIGNATURES: ffi::rpmVSFlags =
    ffi::RPMVSF_NODSAHEADER | ffi::RPMVSF_NORSAHEADER | ffi::RPMVSF_NODSA | ffi::RPMVSF_NORSA;

/// Reads the header of a package file: identity, provides and file list.
///
/// Digests are checked, signatures are not (verifying package files against trusted keys is a
/// separate step).
///
/// # Errors
///
/// When the path is not a readable regular file or librpm cannot read an rpm header from it.
pub fn read_package_file(path: &Path) -> Result<PackageHeader, RpmError> {
    let path: PathBuf = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    let location = DbLocation::new("/var/lib/rpm", DbBackend::Sqlite);
    let session = Session::begin(&location)?;
    // SAFETY: we hold the librpm lock; rpmtsCreate has no preconditions.
    let ts = unsafe { api().rpmtsCreate() };
    if ts.is_null() {
        return Err(RpmError::PackageFile {
            path,
            detail: "rpmtsCreate failed".into(),
        });
    }
    // SAFETY: `ts` is valid; this only stores flags.
    unsafe { api().rpmtsSetVSFlags(ts, NO_SIGNATURES) };
    let header = read_header(&session, ts, &path);
    // SAFETY: `header` is a valid header we own (read just above) and we hold the lock.
    let result = header
        .map(|h| unsafe { PackageHeader::from_header(h.0) })
        .map_err(|detail| RpmError::PackageFile {
            path: path.clone(),
            detail,
        });
    // SAFETY: `ts` is valid, owned here and not used after this; the header was freed above.
    unsafe { api().rpmtsFree(ts) };
    drop(session);
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_lists_are_parsed_and_bad_entries_skipped() {
        let text = "/usr/bin/sh\x1f7\x1f41471\x1f0\x1e/usr/bin/busybox\x1f1982256\x1f33261\x1f0\x1e\
                    /boot/vmlinuz\x1f0\x1f33188\x1f64\x1e/etc\x1f4096\x1f16877\x1f0\x1e\
                    relative\x1f1\x1f33188\x1f0\x1e/x\x1fnan\x1f1\x1f0\x1e/y\x1f1\x1f1\x1f0\x1fextra\x1e";
        let files = parse_files(text);
        assert_eq!(files.len(), 4, "{files:?}");
        assert!(files[0].is_symlink() && !files[0].is_regular());
        assert!(files[1].is_regular() && files[1].size == 1_982_256 && !files[1].ghost);
        assert!(files[2].ghost);
        assert!(files[3].is_dir());
        assert!(parse_files("").is_empty());
    }

    #[test]
    fn installonly_follows_the_provides() {
        let mut header = PackageHeader {
            package: InstalledPackage {
                name: "kernel-core".into(),
                epoch: None,
                version: "5.14.0".into(),
                release: "1.el9".into(),
                arch: Some("x86_64".into()),
                vendor: None,
                signature_key_id: None,
                install_time: None,
                size: None,
                source_rpm: None,
            },
            provides: vec!["kernel-core".into(), "installonlypkg(kernel)".into()],
            files: Vec::new(),
        };
        assert!(header.installonly());
        header.provides.pop();
        assert!(!header.installonly());
    }
}
