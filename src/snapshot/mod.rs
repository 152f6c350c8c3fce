//! The pre-transaction snapshot: what makes "exactly as it was" possible after a failed or
//! regretted upgrade.
//!
//! Backends ([`SnapshotBackend`]):
//! - [`SnapshotBackend::Btrfs`]: a read-only subvolume snapshot of the root subvolume ([`btrfs`]);
//! - [`SnapshotBackend::Lvm`]: an LVM snapshot of the logical volume holding the root ([`lvm`]);
//! - [`SnapshotBackend::Reflink`] / [`SnapshotBackend::Copy`]: a journal of every path the transaction may
//!   touch, its data saved by reflink or by copy ([`journal`]);
//! - [`SnapshotBackend::None`]: no snapshot, only with an explicit acknowledgement.
//!
//! [`take`] saves, [`restore`] puts the root back (idempotent: re-running it after a crash
//! mid-restore finishes the job), [`release`] frees the store. `docs/snapshots.md` describes
//! the algorithms and their limits.

pub mod btrfs;
pub mod journal;
pub mod lvm;

use std::fmt;
use std::io;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// A snapshot backend.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SnapshotBackend {
    /// Read-only btrfs subvolume snapshot.
    Btrfs,
    /// LVM snapshot of the root logical volume.
    Lvm,
    /// Journal of the touched paths, data shared by reflinks.
    Reflink,
    /// Journal of the touched paths, data copied.
    Copy,
    /// No snapshot (needs an acknowledgement).
    None,
}

impl SnapshotBackend {
    /// Every backend, in `auto` preference order.
    pub const ALL: [SnapshotBackend; 5] = [
        SnapshotBackend::Btrfs,
        SnapshotBackend::Lvm,
        SnapshotBackend::Reflink,
        SnapshotBackend::Copy,
        SnapshotBackend::None,
    ];

    /// The lowercase name (`btrfs`, `lvm`, `reflink`, `copy`, `none`).
    pub fn name(self) -> &'static str {
        match self {
            SnapshotBackend::Btrfs => "btrfs",
            SnapshotBackend::Lvm => "lvm",
            SnapshotBackend::Reflink => "reflink",
            SnapshotBackend::Copy => "copy",
            SnapshotBackend::None => "none",
        }
    }
}

impl fmt::Display for SnapshotBackend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for SnapshotBackend {
    type Err = SnapshotError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        SnapshotBackend::ALL
            .into_iter()
            .find(|b| b.name() == s.trim().to_ascii_lowercase())
            .ok_or_else(|| SnapshotError::UnknownBackend(s.to_string()))
    }
}

/// Errors of snapshot operations.
#[derive(Debug, thiserror::Error)]
pub enum SnapshotError {
    /// Not a backend name.
    #[error("unknown snapshot backend {0:?} (expected btrfs, lvm, reflink, copy or none)")]
    UnknownBackend(String),
    /// The backend cannot work for this root.
    #[error("snapshot backend {backend} cannot be used for {root}: {why}")]
    Unsupported {
        /// The backend asked for.
        backend: SnapshotBackend,
        /// The root.
        root: PathBuf,
        /// Why.
        why: String,
    },
    /// `none` without acknowledgement.
    #[error(
        "snapshot backend none refused: without a snapshot a failed upgrade cannot be rolled back; acknowledge it explicitly to proceed"
    )]
    NotAcknowledged,
    /// The store ran out of space; the partial store was removed.
    #[error(
        "no space left in the snapshot store {store} after saving {saved_bytes} bytes (the partial snapshot was removed): {source}"
    )]
    NoSpace {
        /// The store.
        store: PathBuf,
        /// Bytes saved before the failure.
        saved_bytes: u64,
        /// The error.
        source: io::Error,
    },
    /// The store directory is unusable.
    #[error("snapshot store {store}: {why}")]
    Store {
        /// The store.
        store: PathBuf,
        /// Why.
        why: String,
    },
    /// A filesystem operation failed.
    #[error("{op} {path}: {source}")]
    Io {
        /// What was being done.
        op: &'static str,
        /// On which path.
        path: PathBuf,
        /// The error.
        source: io::Error,
    },
    /// An external command failed.
    #[error("{command} failed: {detail}")]
    Command {
        /// The command line.
        command: String,
        /// Exit status and stderr, or the spawn error.
        detail: String,
    },
    /// The snapshot's own records are unreadable or inconsistent.
    #[error("snapshot {store} is corrupt: {why}")]
    Corrupt {
        /// The store.
        store: PathBuf,
        /// Why.
        why: String,
    },
    /// A scope path is not usable (absolute escape, `..`).
    #[error("invalid scope path {0:?}: paths must be relative to the root and must not contain ..")]
    BadScopePath(PathBuf),
    /// A failpoint fired (test builds drive these through `LEAPFROG_FAILPOINTS`).
    #[error("{0}")]
    Failpoint(String),
}

pub(crate) fn io_err(op: &'static str, path: &Path) -> impl FnOnce(io::Error) -> SnapshotError {
    let path = path.to_path_buf();
    move |source| SnapshotError::Io { op, path, source }
}

/// What a transaction may touch: root-relative paths under `root`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Scope {
    /// The root being upgraded.
    pub root: PathBuf,
    /// Root-relative paths (files or directories; directories are saved whole). Paths that
    /// do not exist are recorded and removed on restore.
    pub paths: Vec<PathBuf>,
    /// For [`SnapshotBackend::None`]: the operator accepted running without a snapshot.
    #[serde(default)]
    pub acknowledged: bool,
}

impl Scope {
    /// A scope with `etc`, `boot`, the rpmdb directory (`rpmdb_path`, absolute inside the root
    /// like `/var/lib/rpm` or root-relative) and `boot/efi` when present.
    pub fn with_defaults(root: &Path, rpmdb_path: &Path) -> Scope {
        let mut paths = vec![PathBuf::from("etc"), PathBuf::from("boot")];
        let rpmdb = rpmdb_path.strip_prefix("/").unwrap_or(rpmdb_path);
        paths.push(rpmdb.to_path_buf());
        if root.join("boot/efi").is_dir() {
            paths.push(PathBuf::from("boot/efi"));
        }
        Scope {
            root: root.to_path_buf(),
            paths,
            acknowledged: false,
        }
    }

    /// Adds paths (root-relative or absolute inside the root).
    pub fn add<I: IntoIterator<Item = P>, P: AsRef<Path>>(&mut self, paths: I) {
        for p in paths {
            let p = p.as_ref();
            self.paths
                .push(p.strip_prefix("/").unwrap_or(p).to_path_buf());
        }
    }

    /// The normalised root-relative paths (no leading `/`, no `.`), rejecting `..`.
    pub(crate) fn normalised(&self) -> Result<Vec<String>, SnapshotError> {
        let mut out = Vec::new();
        for p in &self.paths {
            let mut parts = Vec::new();
            for c in p.components() {
                match c {
                    std::path::Component::Normal(s) => parts.push(s.to_string_lossy().into_owned()),
                    std::path::Component::RootDir | std::path::Component::CurDir => {}
                    _ => return Err(SnapshotError::BadScopePath(p.clone())),
                }
            }
            out.push(parts.join("/"));
        }
        out.sort();
        out.dedup();
        Ok(out)
    }
}

/// A snapshot taken; kept in the executor's state file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Record {
    /// SnapshotBackend used.
    pub backend: SnapshotBackend,
    /// Identifier (store directory name, or the LVM snapshot volume `vg/lv`).
    pub id: String,
    /// Where the snapshot lives (journal directory, btrfs snapshot subvolume; empty for LVM
    /// and none).
    pub store: PathBuf,
    /// The root snapshotted.
    pub root: PathBuf,
    /// When (RFC 3339, UTC).
    pub created: String,
    /// Paths recorded (journal: saved plus to-be-removed; btrfs: paths in the snapshot).
    pub entries: usize,
    /// Bytes of file data covered.
    pub bytes: u64,
    /// LVM details, for restore and release.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lvm: Option<lvm::LvmRecord>,
}

/// What a restore did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RestoreReport {
    /// Paths removed (created after the snapshot).
    pub removed: usize,
    /// Paths written back from the snapshot.
    pub restored: usize,
    /// Paths found unchanged and left alone (btrfs only).
    pub unchanged: usize,
    /// For LVM: the merge is scheduled and completes on the next activation of the volume.
    pub pending_reboot: bool,
}

const BTRFS_SUPER_MAGIC: i64 = 0x9123_683e;
const XFS_SUPER_MAGIC: i64 = 0x5846_5342;

pub(crate) fn fs_magic(path: &Path) -> Result<i64, SnapshotError> {
    let st = rustix::fs::statfs(path).map_err(|e| io_err("statfs", path)(io::Error::from(e)))?;
    #[allow(clippy::unnecessary_cast)]
    Ok(st.f_type as i64)
}

/// Whether `<root>/<rel>` is a directory on another filesystem than `<root>` (a separately
/// mounted `/boot` or EFI partition): a snapshot of the root does not hold it. False when
/// either cannot be read.
pub fn other_filesystem(root: &Path, rel: &str) -> bool {
    use std::os::unix::fs::MetadataExt as _;
    let dir = root.join(rel);
    match (std::fs::metadata(root), std::fs::metadata(&dir)) {
        (Ok(r), Ok(d)) => d.is_dir() && r.dev() != d.dev(),
        _ => false,
    }
}

/// Chooses the backend for `auto`, and says why: btrfs subvolume top -> btrfs; a root on an
/// LVM volume whose group has room for a snapshot -> lvm; a filesystem that can reflink (XFS
/// with `reflink=1`, btrfs) -> reflink; otherwise copy.
pub fn detect(root: &Path) -> Result<(SnapshotBackend, String), SnapshotError> {
    let md = std::fs::metadata(root).map_err(io_err("stat", root))?;
    if !md.is_dir() {
        return Err(SnapshotError::Io {
            op: "use as root",
            path: root.to_path_buf(),
            source: io::Error::new(io::ErrorKind::NotADirectory, "not a directory"),
        });
    }
    let magic = fs_magic(root)?;
    if magic == BTRFS_SUPER_MAGIC {
        match btrfs::subvolume_top(root) {
            Ok(()) => {
                return Ok((
                    SnapshotBackend::Btrfs,
                    format!("{} is the top of a btrfs subvolume", root.display()),
                ));
            }
            Err(why) => tracing::debug!("btrfs snapshot not possible: {why}"),
        }
    }
    let lvm_why = match lvm::probe(root) {
        Ok(why) => return Ok((SnapshotBackend::Lvm, why)),
        Err(why) => why,
    };
    match journal::reflink_probe(root) {
        Ok(()) => Ok((
            SnapshotBackend::Reflink,
            format!(
                "{} is on a {} filesystem that shares blocks by reflink ({lvm_why})",
                root.display(),
                match magic {
                    BTRFS_SUPER_MAGIC => "btrfs",
                    XFS_SUPER_MAGIC => "XFS",
                    _ => "reflink-capable",
                }
            ),
        )),
        Err(e) => Ok((
            SnapshotBackend::Copy,
            format!(
                "no btrfs subvolume, no usable LVM volume ({lvm_why}), no reflink ({e}): plain copies"
            ),
        )),
    }
}

/// Takes a snapshot of `scope` with `backend`, into `store` (which must not exist yet; for
/// btrfs it becomes the snapshot subvolume and must be on the root's filesystem).
pub fn take(
    backend: SnapshotBackend,
    scope: &Scope,
    store: &Path,
) -> Result<Record, SnapshotError> {
    let created = humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string();
    let start = std::time::Instant::now();
    let rec = match backend {
        SnapshotBackend::Reflink | SnapshotBackend::Copy => {
            journal::take(backend, scope, store, created)?
        }
        SnapshotBackend::Btrfs => btrfs::take(scope, store, created)?,
        SnapshotBackend::Lvm => lvm::take(scope, created)?,
        SnapshotBackend::None => {
            if !scope.acknowledged {
                return Err(SnapshotError::NotAcknowledged);
            }
            Record {
                backend,
                id: "none".into(),
                store: PathBuf::new(),
                root: scope.root.clone(),
                created,
                entries: 0,
                bytes: 0,
                lvm: None,
            }
        }
    };
    tracing::info!(
        backend = %rec.backend,
        entries = rec.entries,
        bytes = rec.bytes,
        elapsed_ms = start.elapsed().as_millis() as u64,
        "snapshot taken"
    );
    Ok(rec)
}

/// Puts `root` back as it was when `rec` was taken. Idempotent: after a crash or an error
/// mid-restore, running it again completes the restore.
pub fn restore(rec: &Record, root: &Path) -> Result<RestoreReport, SnapshotError> {
    match rec.backend {
        SnapshotBackend::Reflink | SnapshotBackend::Copy => journal::restore(rec, root),
        SnapshotBackend::Btrfs => btrfs::restore(rec, root),
        SnapshotBackend::Lvm => lvm::restore(rec),
        SnapshotBackend::None => Err(SnapshotError::Unsupported {
            backend: SnapshotBackend::None,
            root: root.to_path_buf(),
            why:
                "no snapshot was taken (backend none was acknowledged), there is nothing to restore"
                    .into(),
        }),
    }
}

/// Frees the snapshot's storage. Releasing an already released snapshot is not an error.
pub fn release(rec: &Record) -> Result<(), SnapshotError> {
    match rec.backend {
        SnapshotBackend::Reflink | SnapshotBackend::Copy => journal::release(rec),
        SnapshotBackend::Btrfs => btrfs::release(rec),
        SnapshotBackend::Lvm => lvm::release(rec),
        SnapshotBackend::None => Ok(()),
    }
}

/// Runs a command, mapping failures to [`SnapshotError::Command`]; returns stdout.
pub(crate) fn run(cmd: &mut std::process::Command) -> Result<String, SnapshotError> {
    let line = format!("{cmd:?}").replace('"', "");
    let out = cmd.output().map_err(|e| SnapshotError::Command {
        command: line.clone(),
        detail: e.to_string(),
    })?;
    if !out.status.success() {
        return Err(SnapshotError::Command {
            command: line,
            detail: format!(
                "{}: {}",
                out.status,
                String::from_utf8_lossy(&out.stderr).trim()
            ),
        });
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backend_names_round_trip() {
        for b in SnapshotBackend::ALL {
            assert_eq!(b.to_string().parse::<SnapshotBackend>().unwrap(), b);
            let json = serde_json::to_string(&b).unwrap();
            assert_eq!(json, format!("\"{b}\""));
        }
        assert_eq!(
            "Reflink".parse::<SnapshotBackend>().unwrap(),
            SnapshotBackend::Reflink
        );
        let err = "zfs".parse::<SnapshotBackend>().unwrap_err();
        assert!(
            err.to_string().contains("unknown snapshot backend \"zfs\""),
            "{err}"
        );
    }

    #[test]
    fn scope_defaults_and_normalisation() {
        let d = tempfile::tempdir().unwrap();
        let s = Scope::with_defaults(d.path(), Path::new("/var/lib/rpm"));
        assert_eq!(s.normalised().unwrap(), vec!["boot", "etc", "var/lib/rpm"]);
        std::fs::create_dir_all(d.path().join("boot/efi")).unwrap();
        let mut s = Scope::with_defaults(d.path(), Path::new("/usr/lib/sysimage/rpm"));
        s.add(["/usr/bin/x", "./etc"]);
        assert_eq!(
            s.normalised().unwrap(),
            vec![
                "boot",
                "boot/efi",
                "etc",
                "usr/bin/x",
                "usr/lib/sysimage/rpm"
            ]
        );
        s.paths.push(PathBuf::from("etc/../../escape"));
        assert!(matches!(
            s.normalised(),
            Err(SnapshotError::BadScopePath(_))
        ));
    }

    #[test]
    fn none_needs_acknowledgement() {
        let d = tempfile::tempdir().unwrap();
        let mut s = Scope::with_defaults(d.path(), Path::new("/var/lib/rpm"));
        let err = take(SnapshotBackend::None, &s, &d.path().join("store")).unwrap_err();
        assert!(matches!(err, SnapshotError::NotAcknowledged));
        assert!(err.to_string().contains("acknowledge"));
        s.acknowledged = true;
        let rec = take(SnapshotBackend::None, &s, &d.path().join("store")).unwrap();
        assert_eq!(rec.backend, SnapshotBackend::None);
        assert!(!d.path().join("store").exists());
        assert!(restore(&rec, d.path()).is_err());
        release(&rec).unwrap();
    }

    #[test]
    fn detect_on_a_plain_directory() {
        let d = tempfile::tempdir().unwrap();
        let (b, why) = detect(d.path()).unwrap();
        assert!(
            matches!(
                b,
                SnapshotBackend::Reflink | SnapshotBackend::Copy | SnapshotBackend::Btrfs
            ),
            "{b}"
        );
        assert!(!why.is_empty());
        // The probe leaves nothing behind.
        assert_eq!(std::fs::read_dir(d.path()).unwrap().count(), 0);
        assert!(detect(Path::new("/nonexistent/leapfrog")).is_err());
    }
}
