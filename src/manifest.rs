//! A manifest of every file of a root: what "exactly the same root" means for rollback.
//!
//! [`Manifest::take`] walks a root (without following symlinks or crossing into excluded
//! prefixes) and records, per path: the type, mode, owner, size, SHA-256 of regular files,
//! symlink target, device numbers, every extended attribute (names and values, including
//! `security.selinux`) and the modification time. [`diff`] compares two manifests and ignores
//! the modification time unless asked ([`diff_with`]).

use std::collections::BTreeMap;
use std::fmt;
use std::fs;
use std::io::{self, Read};
use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::path::{Path, PathBuf};

use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// Root-relative prefixes [`Manifest::take`] skips by default: leapfrog's own state and logs,
/// and the pseudo and volatile filesystems.
pub const DEFAULT_EXCLUDES: &[&str] = &[
    "var/lib/leapfrog",
    "var/log/leapfrog",
    "proc",
    "sys",
    "dev",
    "run",
    "tmp",
];

/// Errors while taking a manifest.
#[derive(Debug, thiserror::Error)]
pub enum ManifestError {
    /// The root is not a directory.
    #[error("{0} is not a directory")]
    NotADirectory(PathBuf),
    /// A file could not be read.
    #[error("cannot read {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: io::Error,
    },
}

fn io_err(path: &Path) -> impl FnOnce(io::Error) -> ManifestError + '_ {
    move |source| ManifestError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// The type of a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FileType {
    /// Regular file.
    File,
    /// Directory.
    Dir,
    /// Symbolic link.
    Symlink,
    /// Character device.
    CharDevice,
    /// Block device.
    BlockDevice,
    /// Named pipe.
    Fifo,
    /// Unix socket.
    Socket,
}

impl FileType {
    /// The type of `ft`.
    pub fn of(ft: fs::FileType) -> Self {
        if ft.is_symlink() {
            Self::Symlink
        } else if ft.is_dir() {
            Self::Dir
        } else if ft.is_char_device() {
            Self::CharDevice
        } else if ft.is_block_device() {
            Self::BlockDevice
        } else if ft.is_fifo() {
            Self::Fifo
        } else if ft.is_socket() {
            Self::Socket
        } else {
            Self::File
        }
    }
}

impl fmt::Display for FileType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::File => "file",
            Self::Dir => "directory",
            Self::Symlink => "symlink",
            Self::CharDevice => "character device",
            Self::BlockDevice => "block device",
            Self::Fifo => "fifo",
            Self::Socket => "socket",
        })
    }
}

/// One path of a manifest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    /// Type.
    #[serde(rename = "type")]
    pub kind: FileType,
    /// Permission bits including setuid/setgid/sticky (`st_mode & 0o7777`).
    pub mode: u32,
    /// Owner.
    pub uid: u32,
    /// Group.
    pub gid: u32,
    /// Size in bytes (regular files and symlinks; 0 otherwise).
    pub size: u64,
    /// SHA-256 of the content, hex (regular files only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,
    /// Symlink target.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    /// Device numbers `(major, minor)` of device nodes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rdev: Option<(u32, u32)>,
    /// Extended attributes, name to value (hex).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub xattrs: BTreeMap<String, String>,
    /// Modification time, nanoseconds since the epoch (compared only on request).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mtime_ns: Option<i128>,
}

/// The manifest of a root: root-relative path (`""` is the root itself) to entry.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    /// Entries by root-relative path.
    pub entries: BTreeMap<String, Entry>,
}

/// Reads every extended attribute of `path` (not following symlinks).
pub(crate) fn read_xattrs(path: &Path) -> io::Result<BTreeMap<String, Vec<u8>>> {
    let mut out = BTreeMap::new();
    let size = match rustix::fs::llistxattr_query(path) {
        Ok(n) => n,
        Err(e) if e == rustix::io::Errno::NOTSUP => return Ok(out),
        Err(e) => return Err(e.into()),
    };
    if size == 0 {
        return Ok(out);
    }
    let mut names = vec![0u8; size + 256];
    let n = rustix::fs::llistxattr(path, &mut names[..])?;
    for name in names[..n].split(|b| *b == 0).filter(|n| !n.is_empty()) {
        let name = String::from_utf8_lossy(name).into_owned();
        let len = match rustix::fs::lgetxattr_query(path, name.as_str()) {
            Ok(len) => len,
            Err(e) if e == rustix::io::Errno::NODATA => continue,
            Err(e) => return Err(e.into()),
        };
        let mut value = vec![0u8; len + 64];
        let got = rustix::fs::lgetxattr(path, name.as_str(), &mut value[..])?;
        value.truncate(got);
        out.insert(name, value);
    }
    Ok(out)
}

/// SHA-256 of a file's content, hex.
pub(crate) fn hash_file(path: &Path) -> io::Result<String> {
    let mut f = fs::File::open(path)?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 256 * 1024];
    loop {
        let n = f.read(&mut buf)?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    Ok(hex::encode(h.finalize()))
}

/// Major/minor of a device number (Linux encoding).
pub(crate) fn split_dev(rdev: u64) -> (u32, u32) {
    let major = ((rdev >> 32) & 0xffff_f000) | ((rdev >> 8) & 0x0000_0fff);
    let minor = ((rdev >> 12) & 0xffff_ff00) | (rdev & 0x0000_00ff);
    (major as u32, minor as u32)
}

/// Whether `rel` is `prefix` or below it.
pub(crate) fn under(rel: &str, prefix: &str) -> bool {
    let prefix = prefix.trim_matches('/');
    prefix.is_empty()
        || rel == prefix
        || (rel.starts_with(prefix) && rel.as_bytes().get(prefix.len()) == Some(&b'/'))
}

/// Root-relative string of a path below `root`.
pub(crate) fn rel_string(rel: &Path) -> String {
    rel.to_string_lossy().trim_matches('/').to_string()
}

/// Describes one path (not following symlinks); `hash` computes the content hash of files.
pub(crate) fn describe(path: &Path, hash: bool) -> io::Result<Entry> {
    let md = fs::symlink_metadata(path)?;
    let kind = FileType::of(md.file_type());
    let target = match kind {
        FileType::Symlink => Some(fs::read_link(path)?.to_string_lossy().into_owned()),
        _ => None,
    };
    let sha256 = match (kind, hash) {
        (FileType::File, true) => Some(hash_file(path)?),
        _ => None,
    };
    let rdev =
        matches!(kind, FileType::CharDevice | FileType::BlockDevice).then(|| split_dev(md.rdev()));
    let xattrs = read_xattrs(path)?
        .into_iter()
        .map(|(k, v)| (k, hex::encode(v)))
        .collect();
    Ok(Entry {
        kind,
        mode: md.mode() & 0o7777,
        uid: md.uid(),
        gid: md.gid(),
        size: match kind {
            FileType::File | FileType::Symlink => md.len(),
            _ => 0,
        },
        sha256,
        target,
        rdev,
        xattrs,
        mtime_ns: Some(i128::from(md.mtime()) * 1_000_000_000 + i128::from(md.mtime_nsec())),
    })
}

/// Lists every path below `root` (root-relative, root itself as `""`), not following
/// symlinks, skipping `excludes` (root-relative prefixes).
pub(crate) fn walk(root: &Path, excludes: &[String]) -> io::Result<Vec<String>> {
    let mut out = vec![String::new()];
    let mut stack = vec![String::new()];
    while let Some(dir) = stack.pop() {
        let abs = if dir.is_empty() {
            root.to_path_buf()
        } else {
            root.join(&dir)
        };
        let mut children: Vec<String> = Vec::new();
        for ent in fs::read_dir(&abs)? {
            let ent = ent?;
            let name = ent.file_name().to_string_lossy().into_owned();
            let rel = if dir.is_empty() {
                name
            } else {
                format!("{dir}/{name}")
            };
            if excludes.iter().any(|e| under(&rel, e)) {
                continue;
            }
            if ent.file_type()?.is_dir() {
                stack.push(rel.clone());
            }
            children.push(rel);
        }
        out.extend(children);
    }
    out.sort();
    Ok(out)
}

impl Manifest {
    /// Takes the manifest of `root`, skipping the root-relative prefixes in `excludes` (pass
    /// [`DEFAULT_EXCLUDES`] for the usual set). Regular files are hashed in parallel.
    pub fn take<S: AsRef<str>>(root: &Path, excludes: &[S]) -> Result<Manifest, ManifestError> {
        let md = fs::symlink_metadata(root).map_err(io_err(root))?;
        if !md.is_dir() {
            return Err(ManifestError::NotADirectory(root.to_path_buf()));
        }
        let excludes: Vec<String> = excludes
            .iter()
            .map(|e| e.as_ref().trim_matches('/').to_string())
            .filter(|e| !e.is_empty())
            .collect();
        let paths = walk(root, &excludes).map_err(io_err(root))?;
        let entries = paths
            .into_par_iter()
            .map(|rel| {
                let abs = if rel.is_empty() {
                    root.to_path_buf()
                } else {
                    root.join(&rel)
                };
                let e = describe(&abs, true).map_err(io_err(&abs))?;
                Ok((rel, e))
            })
            .collect::<Result<BTreeMap<_, _>, ManifestError>>()?;
        Ok(Manifest { entries })
    }

    /// The manifest with the default excludes.
    pub fn take_default(root: &Path) -> Result<Manifest, ManifestError> {
        Self::take(root, DEFAULT_EXCLUDES)
    }
}

/// What differs for one path.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "what", rename_all = "kebab-case")]
pub enum Change {
    /// Only in the second manifest.
    Added,
    /// Only in the first manifest.
    Removed,
    /// Different types.
    Type {
        /// Before.
        before: FileType,
        /// After.
        after: FileType,
    },
    /// Different permission bits.
    Mode {
        /// Before.
        before: u32,
        /// After.
        after: u32,
    },
    /// Different owner or group.
    Owner {
        /// Before `(uid, gid)`.
        before: (u32, u32),
        /// After `(uid, gid)`.
        after: (u32, u32),
    },
    /// Different content (size or hash).
    Content {
        /// Size before.
        before_size: u64,
        /// Size after.
        after_size: u64,
    },
    /// Different symlink target.
    Target {
        /// Before.
        before: String,
        /// After.
        after: String,
    },
    /// Different device numbers.
    Device,
    /// An extended attribute added, removed or changed.
    Xattr {
        /// Attribute name.
        name: String,
    },
    /// Different modification time (only with [`DiffOptions::mtime`]).
    Mtime,
}

/// One difference between two manifests.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Difference {
    /// Root-relative path.
    pub path: String,
    /// What differs.
    pub change: Change,
}

impl fmt::Display for Difference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let p = if self.path.is_empty() {
            "/".to_string()
        } else {
            format!("/{}", self.path)
        };
        match &self.change {
            Change::Added => write!(f, "{p}: added"),
            Change::Removed => write!(f, "{p}: removed"),
            Change::Type { before, after } => write!(f, "{p}: type {before} -> {after}"),
            Change::Mode { before, after } => write!(f, "{p}: mode {before:04o} -> {after:04o}"),
            Change::Owner { before, after } => write!(
                f,
                "{p}: owner {}:{} -> {}:{}",
                before.0, before.1, after.0, after.1
            ),
            Change::Content {
                before_size,
                after_size,
            } => write!(
                f,
                "{p}: content differs ({before_size} -> {after_size} bytes)"
            ),
            Change::Target { before, after } => {
                write!(f, "{p}: symlink target {before} -> {after}")
            }
            Change::Device => write!(f, "{p}: device numbers differ"),
            Change::Xattr { name } => write!(f, "{p}: extended attribute {name} differs"),
            Change::Mtime => write!(f, "{p}: modification time differs"),
        }
    }
}

/// What [`diff_with`] compares besides the defaults.
#[derive(Debug, Clone, Copy, Default)]
pub struct DiffOptions {
    /// Compare modification times too (directories included).
    pub mtime: bool,
}

/// The differences from `a` to `b`, ignoring modification times.
pub fn diff(a: &Manifest, b: &Manifest) -> Vec<Difference> {
    diff_with(a, b, DiffOptions::default())
}

/// The differences from `a` to `b`, sorted by path.
pub fn diff_with(a: &Manifest, b: &Manifest, opts: DiffOptions) -> Vec<Difference> {
    let mut out = Vec::new();
    let mut push = |path: &str, change| {
        out.push(Difference {
            path: path.to_string(),
            change,
        })
    };
    for (path, ea) in &a.entries {
        let Some(eb) = b.entries.get(path) else {
            push(path, Change::Removed);
            continue;
        };
        if ea.kind != eb.kind {
            push(
                path,
                Change::Type {
                    before: ea.kind,
                    after: eb.kind,
                },
            );
            continue;
        }
        if ea.mode != eb.mode {
            push(
                path,
                Change::Mode {
                    before: ea.mode,
                    after: eb.mode,
                },
            );
        }
        if (ea.uid, ea.gid) != (eb.uid, eb.gid) {
            push(
                path,
                Change::Owner {
                    before: (ea.uid, ea.gid),
                    after: (eb.uid, eb.gid),
                },
            );
        }
        if ea.kind == FileType::File && (ea.size != eb.size || ea.sha256 != eb.sha256) {
            push(
                path,
                Change::Content {
                    before_size: ea.size,
                    after_size: eb.size,
                },
            );
        }
        if ea.target != eb.target {
            push(
                path,
                Change::Target {
                    before: ea.target.clone().unwrap_or_default(),
                    after: eb.target.clone().unwrap_or_default(),
                },
            );
        }
        if ea.rdev != eb.rdev {
            push(path, Change::Device);
        }
        let names: std::collections::BTreeSet<&String> =
            ea.xattrs.keys().chain(eb.xattrs.keys()).collect();
        for name in names {
            if ea.xattrs.get(name) != eb.xattrs.get(name) {
                push(path, Change::Xattr { name: name.clone() });
            }
        }
        if opts.mtime && ea.mtime_ns != eb.mtime_ns {
            push(path, Change::Mtime);
        }
    }
    for path in b.entries.keys() {
        if !a.entries.contains_key(path) {
            push(path, Change::Added);
        }
    }
    out.sort_by(|x, y| x.path.cmp(&y.path));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn sample() -> tempfile::TempDir {
        let d = tempfile::tempdir().unwrap();
        let r = d.path();
        fs::create_dir_all(r.join("etc/sub")).unwrap();
        fs::write(r.join("etc/a.conf"), b"alpha\n").unwrap();
        fs::write(r.join("etc/sub/b"), vec![7u8; 10_000]).unwrap();
        std::os::unix::fs::symlink("a.conf", r.join("etc/link")).unwrap();
        fs::create_dir_all(r.join("tmp")).unwrap();
        fs::write(r.join("tmp/x"), b"x").unwrap();
        fs::create_dir_all(r.join("var/lib/leapfrog")).unwrap();
        fs::write(r.join("var/lib/leapfrog/state.json"), b"{}").unwrap();
        d
    }

    fn take(r: &Path) -> Manifest {
        Manifest::take_default(r).unwrap()
    }

    #[test]
    fn identical_roots_have_no_differences_and_excludes_apply() {
        let d = sample();
        let a = take(d.path());
        let b = take(d.path());
        assert!(diff(&a, &b).is_empty());
        assert!(a.entries.contains_key("etc/sub/b"));
        assert!(a.entries.contains_key(""));
        assert!(!a.entries.contains_key("tmp"));
        assert!(!a.entries.contains_key("var/lib/leapfrog/state.json"));
        assert!(a.entries.contains_key("var/lib"));
        assert_eq!(a.entries["etc/link"].target.as_deref(), Some("a.conf"));
        assert_eq!(a.entries["etc/a.conf"].sha256.as_ref().unwrap().len(), 64);
        // Excluded content changes are not seen; other changes are.
        fs::write(d.path().join("tmp/x"), b"y").unwrap();
        assert!(diff(&a, &take(d.path())).is_empty());
        let none: [&str; 0] = [];
        let all = Manifest::take(d.path(), &none).unwrap();
        assert!(all.entries.contains_key("tmp/x"));
    }

    #[test]
    fn serde_round_trip() {
        let d = sample();
        let a = take(d.path());
        let json = serde_json::to_string(&a).unwrap();
        let back: Manifest = serde_json::from_str(&json).unwrap();
        assert_eq!(a, back);
    }

    #[test]
    fn every_kind_of_change_is_detected() {
        let d = sample();
        let r = d.path();
        let before = take(r);

        // One bit flipped in a 10 kB file.
        let mut data = fs::read(r.join("etc/sub/b")).unwrap();
        data[5000] ^= 1;
        fs::write(r.join("etc/sub/b"), &data).unwrap();
        let dif = diff(&before, &take(r));
        assert_eq!(dif.len(), 1, "{dif:?}");
        assert!(matches!(dif[0].change, Change::Content { .. }));
        assert_eq!(dif[0].path, "etc/sub/b");
        assert!(
            dif[0]
                .to_string()
                .starts_with("/etc/sub/b: content differs")
        );
        data[5000] ^= 1;
        fs::write(r.join("etc/sub/b"), &data).unwrap();
        assert!(diff(&before, &take(r)).is_empty());

        // Mode.
        fs::set_permissions(r.join("etc/a.conf"), fs::Permissions::from_mode(0o600)).unwrap();
        let dif = diff(&before, &take(r));
        assert_eq!(
            dif,
            vec![Difference {
                path: "etc/a.conf".into(),
                change: Change::Mode {
                    before: 0o644,
                    after: 0o600
                }
            }]
        );
        assert_eq!(dif[0].to_string(), "/etc/a.conf: mode 0644 -> 0600");
        fs::set_permissions(r.join("etc/a.conf"), fs::Permissions::from_mode(0o644)).unwrap();

        // Owner (needs root).
        let md = fs::metadata(r.join("etc/a.conf")).unwrap();
        std::os::unix::fs::lchown(r.join("etc/a.conf"), Some(4242), None).unwrap();
        let dif = diff(&before, &take(r));
        assert_eq!(dif.len(), 1);
        assert!(matches!(dif[0].change, Change::Owner { .. }), "{dif:?}");
        std::os::unix::fs::lchown(r.join("etc/a.conf"), Some(md.uid()), None).unwrap();

        // Extended attribute.
        rustix::fs::lsetxattr(
            r.join("etc/a.conf"),
            "user.x",
            b"1",
            rustix::fs::XattrFlags::empty(),
        )
        .unwrap();
        let after = take(r);
        assert_eq!(after.entries["etc/a.conf"].xattrs["user.x"], "31");
        let dif = diff(&before, &after);
        assert_eq!(
            dif,
            vec![Difference {
                path: "etc/a.conf".into(),
                change: Change::Xattr {
                    name: "user.x".into()
                }
            }]
        );
        rustix::fs::lremovexattr(r.join("etc/a.conf"), "user.x").unwrap();

        // New file, removed file, symlink target, type change.
        fs::write(r.join("etc/new"), b"").unwrap();
        fs::remove_file(r.join("etc/sub/b")).unwrap();
        fs::remove_file(r.join("etc/link")).unwrap();
        std::os::unix::fs::symlink("elsewhere", r.join("etc/link")).unwrap();
        let dif = diff(&before, &take(r));
        let text: Vec<String> = dif.iter().map(ToString::to_string).collect();
        assert_eq!(
            text,
            vec![
                "/etc/link: symlink target a.conf -> elsewhere",
                "/etc/new: added",
                "/etc/sub/b: removed",
            ]
        );
    }

    #[test]
    fn mtime_is_compared_only_on_request() {
        let d = sample();
        let r = d.path();
        let before = take(r);
        let f = fs::File::options()
            .write(true)
            .open(r.join("etc/a.conf"))
            .unwrap();
        f.set_modified(std::time::UNIX_EPOCH).unwrap();
        let after = take(r);
        assert!(diff(&before, &after).is_empty());
        let dif = diff_with(&before, &after, DiffOptions { mtime: true });
        assert_eq!(dif.len(), 1);
        assert_eq!(dif[0].change, Change::Mtime);
    }

    #[test]
    fn a_missing_root_is_a_clear_error() {
        let err = Manifest::take_default(Path::new("/nonexistent/leapfrog-root")).unwrap_err();
        assert!(
            err.to_string().contains("/nonexistent/leapfrog-root"),
            "{err}"
        );
        let f = tempfile::NamedTempFile::new().unwrap();
        let err = Manifest::take_default(f.path()).unwrap_err();
        assert!(err.to_string().contains("is not a directory"), "{err}");
    }

    #[test]
    fn device_numbers_split() {
        // makedev(8, 1) and makedev(259, 65536) as glibc encodes them.
        assert_eq!(split_dev(0x801), (8, 1));
        assert_eq!(split_dev(0x1001_0300), (259, 65536));
    }
}
