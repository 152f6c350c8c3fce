//! The journal backends ([`SnapshotBackend::Reflink`], [`SnapshotBackend::Copy`]) and the restore engine the
//! btrfs backend shares.
//!
//! Store layout: `STORE/data/<root-relative path>` holds the content of every saved regular
//! file (a reflink clone or a copy); `STORE/journal.json` ([`Journal`]) lists every saved path
//! with its metadata, and the paths that did not exist (to be removed on restore). The journal
//! is written last (temporary file, fsync, rename): a store without it is an unfinished
//! snapshot and restore refuses it.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fs;
use std::io;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::{Record, RestoreReport, Scope, SnapshotBackend, SnapshotError, io_err};
use crate::manifest::{self, FileType};

const JOURNAL: &str = "journal.json";
const DATA: &str = "data";
const VERSION: u32 = 1;

/// Metadata of one saved path.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Saved {
    /// Root-relative path.
    pub path: String,
    /// Type.
    #[serde(rename = "type")]
    pub kind: FileType,
    /// Permission bits.
    pub mode: u32,
    /// Owner.
    pub uid: u32,
    /// Group.
    pub gid: u32,
    /// Size (files).
    pub size: u64,
    /// Access time `(seconds, nanoseconds)`.
    pub atime: (i64, i64),
    /// Modification time `(seconds, nanoseconds)`.
    pub mtime: (i64, i64),
    /// Extended attributes, name to hex value.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub xattrs: BTreeMap<String, String>,
    /// Symlink target.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    /// Raw device number (device nodes).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rdev: Option<u64>,
    /// For directories: every child was recorded, so restore removes children it does not
    /// know. False for mount points met inside a scope directory (another filesystem, not
    /// walked): restore then sets only the directory's own metadata.
    #[serde(default = "yes", skip_serializing_if = "is_true")]
    pub complete: bool,
    /// Hard link to an earlier saved path (same inode at snapshot time).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub link_to: Option<String>,
    /// Inode and change time in the source (btrfs restore's unchanged check; not stored).
    #[serde(skip)]
    pub(crate) identity: Option<(u64, i64, i64)>,
}

fn yes() -> bool {
    true
}

fn is_true(b: &bool) -> bool {
    *b
}

/// The journal file of a store.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Journal {
    /// Format version.
    pub version: u32,
    /// SnapshotBackend that took it.
    pub backend: SnapshotBackend,
    /// The root.
    pub root: PathBuf,
    /// Saved paths, sorted.
    pub saved: Vec<Saved>,
    /// Paths that did not exist (topmost missing component), removed on restore.
    pub absent: Vec<String>,
}

fn abs(root: &Path, rel: &str) -> PathBuf {
    if rel.is_empty() {
        root.to_path_buf()
    } else {
        root.join(rel)
    }
}

fn is_nospace(e: &io::Error) -> bool {
    matches!(e.raw_os_error(), Some(28 /* ENOSPC */ | 122 /* EDQUOT */))
}

/// Reads the metadata of `path` (root-relative `rel`) for the journal.
pub(crate) fn saved_entry(path: &Path, rel: &str) -> io::Result<(Saved, fs::Metadata)> {
    let md = fs::symlink_metadata(path)?;
    let kind = FileType::of(md.file_type());
    let target = match kind {
        FileType::Symlink => Some(fs::read_link(path)?.to_string_lossy().into_owned()),
        _ => None,
    };
    let xattrs = manifest::read_xattrs(path)?
        .into_iter()
        .map(|(k, v)| (k, hex::encode(v)))
        .collect();
    let saved = Saved {
        path: rel.to_string(),
        kind,
        mode: md.mode() & 0o7777,
        uid: md.uid(),
        gid: md.gid(),
        size: if kind == FileType::File { md.len() } else { 0 },
        atime: (md.atime(), md.atime_nsec()),
        mtime: (md.mtime(), md.mtime_nsec()),
        xattrs,
        target,
        rdev: matches!(
            kind,
            FileType::CharDevice | FileType::BlockDevice | FileType::Fifo | FileType::Socket
        )
        .then(|| md.rdev()),
        complete: true,
        link_to: None,
        identity: Some((md.ino(), md.ctime(), md.ctime_nsec())),
    };
    Ok((saved, md))
}

/// Clones `src` into new file `dst` with FICLONE.
fn reflink(src: &Path, dst: &Path) -> io::Result<()> {
    let s = fs::File::open(src)?;
    let d = fs::File::options().write(true).create_new(true).open(dst)?;
    if let Err(e) = rustix::fs::ioctl_ficlone(&d, &s) {
        drop(d);
        let _ = fs::remove_file(dst);
        return Err(e.into());
    }
    Ok(())
}

/// Whether the filesystem of `dir` can reflink: clones a probe file inside `dir` and removes
/// the probe files again.
pub(crate) fn reflink_probe(dir: &Path) -> Result<(), String> {
    let a = dir.join(format!(".leapfrog-reflink-probe-{}", std::process::id()));
    let b = dir.join(format!(
        ".leapfrog-reflink-probe-{}.clone",
        std::process::id()
    ));
    let result = (|| {
        fs::write(&a, b"leapfrog")?;
        reflink(&a, &b)
    })();
    let _ = fs::remove_file(&a);
    let _ = fs::remove_file(&b);
    result.map_err(|e| e.to_string())
}

/// Every path below the directory `top` (root-relative `top_rel`), without descending into
/// directories on another device: those are returned with `false` (not walked).
fn walk_scope(root: &Path, top_rel: &str) -> io::Result<Vec<(String, bool)>> {
    let dev = fs::symlink_metadata(abs(root, top_rel))?.dev();
    let mut out = vec![(top_rel.to_string(), true)];
    let mut stack = vec![top_rel.to_string()];
    while let Some(dir) = stack.pop() {
        for ent in fs::read_dir(abs(root, &dir))? {
            let ent = ent?;
            let name = ent.file_name().to_string_lossy().into_owned();
            let rel = if dir.is_empty() {
                name
            } else {
                format!("{dir}/{name}")
            };
            if ent.file_type()?.is_dir() {
                let walked = ent.metadata()?.dev() == dev;
                if walked {
                    stack.push(rel.clone());
                }
                out.push((rel, walked));
            } else {
                out.push((rel, true));
            }
        }
    }
    Ok(out)
}

/// Every root-relative path the scope covers that exists (with whether its children were
/// all recorded: false for mount points met while walking a scope directory), and the
/// topmost missing component of each scope path that does not exist.
fn collect(
    root: &Path,
    scope: &[String],
    skip: &[String],
) -> Result<(BTreeMap<String, bool>, BTreeSet<String>), SnapshotError> {
    let mut present: BTreeMap<String, bool> = BTreeMap::new();
    let mut absent = BTreeSet::new();
    for rel in scope {
        if skip.iter().any(|s| manifest::under(rel, s)) {
            continue;
        }
        let p = abs(root, rel);
        match fs::symlink_metadata(&p) {
            Ok(md) if md.is_dir() => {
                let below = walk_scope(root, rel).map_err(io_err("walk", &p))?;
                for (full, complete) in below {
                    if !skip.iter().any(|s| manifest::under(&full, s)) {
                        *present.entry(full).or_insert(false) |= complete;
                    }
                }
            }
            Ok(_) => {
                present.insert(rel.clone(), true);
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                // Record the topmost missing component: restore removes the whole new tree.
                let mut top = rel.clone();
                while let Some((parent, _)) = top.rsplit_once('/') {
                    if abs(root, parent).symlink_metadata().is_ok() {
                        break;
                    }
                    top = parent.to_string();
                }
                absent.insert(top);
            }
            Err(e) => return Err(io_err("stat", &p)(e)),
        }
    }
    // Drop absent paths below other absent paths.
    let all: Vec<String> = absent.iter().cloned().collect();
    absent.retain(|a| !all.iter().any(|b| b != a && manifest::under(a, b)));
    Ok((present, absent))
}

/// Takes a journal snapshot.
pub(crate) fn take(
    backend: SnapshotBackend,
    scope: &Scope,
    store: &Path,
    created: String,
) -> Result<Record, SnapshotError> {
    let root = &scope.root;
    if !root.is_dir() {
        return Err(SnapshotError::Unsupported {
            backend,
            root: root.clone(),
            why: "the root is not a directory".into(),
        });
    }
    let paths = scope.normalised()?;
    if store.symlink_metadata().is_ok() {
        return Err(SnapshotError::Store {
            store: store.to_path_buf(),
            why: "already exists (a snapshot store must be a new directory)".into(),
        });
    }
    fs::create_dir_all(store.join(DATA)).map_err(io_err("create", store))?;
    let result = take_into(backend, root, &paths, store, created);
    if result.is_err() {
        let _ = fs::remove_dir_all(store);
    }
    result
}

fn take_into(
    backend: SnapshotBackend,
    root: &Path,
    paths: &[String],
    store: &Path,
    created: String,
) -> Result<Record, SnapshotError> {
    if backend == SnapshotBackend::Reflink {
        reflink_probe(&store.join(DATA)).map_err(|why| SnapshotError::Unsupported {
            backend,
            root: root.to_path_buf(),
            why: format!("the store {} cannot hold reflinks: {why}", store.display()),
        })?;
    }
    // Never save the store into itself.
    let mut skip = Vec::new();
    if let (Ok(r), Ok(s)) = (root.canonicalize(), store.canonicalize())
        && let Ok(rel) = s.strip_prefix(&r)
    {
        skip.push(manifest::rel_string(rel));
    }
    let (present, absent) = collect(root, paths, &skip)?;

    // Metadata, sequential so hard links are recognised in a stable order.
    let mut saved = Vec::with_capacity(present.len());
    let mut inodes: HashMap<(u64, u64), String> = HashMap::new();
    for (rel, complete) in &present {
        let p = abs(root, rel);
        let (mut s, md) = saved_entry(&p, rel).map_err(io_err("read", &p))?;
        s.complete = *complete;
        if s.kind == FileType::File && md.nlink() > 1 {
            match inodes.get(&(md.dev(), md.ino())) {
                Some(first) => s.link_to = Some(first.clone()),
                None => {
                    inodes.insert((md.dev(), md.ino()), rel.clone());
                }
            }
        }
        saved.push(s);
    }

    // Data, in parallel.
    let data = store.join(DATA);
    for s in saved.iter().filter(|s| s.kind == FileType::Dir) {
        let d = abs(&data, &s.path);
        fs::create_dir_all(&d).map_err(|e| nospace_or(store, 0, "create", &d, e))?;
    }
    let bytes = AtomicU64::new(0);
    saved
        .par_iter()
        .filter(|s| s.kind == FileType::File && s.link_to.is_none())
        .try_for_each(|s| {
            let src = abs(root, &s.path);
            let dst = abs(&data, &s.path);
            if let Some(parent) = dst.parent() {
                fs::create_dir_all(parent).map_err(|e| {
                    nospace_or(store, bytes.load(Ordering::Relaxed), "create", parent, e)
                })?;
            }
            let r = match backend {
                SnapshotBackend::Reflink => reflink(&src, &dst),
                _ => fs::copy(&src, &dst).map(|_| ()),
            };
            r.map_err(|e| {
                if backend == SnapshotBackend::Reflink && e.raw_os_error() == Some(18 /* EXDEV */) {
                    return SnapshotError::Unsupported {
                        backend,
                        root: root.to_path_buf(),
                        why: format!(
                            "{} and the store {} are on different filesystems, and reflinks cannot cross filesystems",
                            src.display(),
                            store.display()
                        ),
                    };
                }
                nospace_or(store, bytes.load(Ordering::Relaxed), "save", &src, e)
            })?;
            bytes.fetch_add(s.size, Ordering::Relaxed);
            Ok::<(), SnapshotError>(())
        })?;
    let bytes = bytes.into_inner();

    let journal = Journal {
        version: VERSION,
        backend,
        root: root.to_path_buf(),
        saved,
        absent: absent.into_iter().collect(),
    };
    let entries = journal.saved.len() + journal.absent.len();
    write_journal(store, &journal).map_err(|e| match e {
        SnapshotError::Io { source, .. } if is_nospace(&source) => SnapshotError::NoSpace {
            store: store.to_path_buf(),
            saved_bytes: bytes,
            source,
        },
        other => other,
    })?;
    Ok(Record {
        backend,
        id: store
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default(),
        store: store.to_path_buf(),
        root: root.to_path_buf(),
        created,
        entries,
        bytes,
        lvm: None,
    })
}

fn nospace_or(
    store: &Path,
    saved: u64,
    op: &'static str,
    path: &Path,
    e: io::Error,
) -> SnapshotError {
    if is_nospace(&e) {
        SnapshotError::NoSpace {
            store: store.to_path_buf(),
            saved_bytes: saved,
            source: e,
        }
    } else {
        io_err(op, path)(e)
    }
}

fn write_journal(store: &Path, journal: &Journal) -> Result<(), SnapshotError> {
    let json = serde_json::to_vec(journal).map_err(|e| SnapshotError::Corrupt {
        store: store.to_path_buf(),
        why: e.to_string(),
    })?;
    // The saved data on the disk before the journal declares the snapshot complete.
    fs::File::open(store)
        .and_then(|d| rustix::fs::syncfs(&d).map_err(io::Error::from))
        .map_err(io_err("sync the filesystem of", store))?;
    let path = store.join(JOURNAL);
    leapfrog_base::atomic::write_atomic(&path, &json, leapfrog_base::atomic::Failpoints::NONE)
        .map_err(io_err("write", &path))
}

/// Reads the journal of a store.
pub fn read_journal(store: &Path) -> Result<Journal, SnapshotError> {
    let path = store.join(JOURNAL);
    let text = fs::read(&path).map_err(|e| SnapshotError::Corrupt {
        store: store.to_path_buf(),
        why: format!(
            "cannot read {}: {e} (the snapshot was never completed or was released)",
            path.display()
        ),
    })?;
    let j: Journal = serde_json::from_slice(&text).map_err(|e| SnapshotError::Corrupt {
        store: store.to_path_buf(),
        why: format!("{}: {e}", path.display()),
    })?;
    if j.version != VERSION {
        return Err(SnapshotError::Corrupt {
            store: store.to_path_buf(),
            why: format!(
                "journal version {} (this leapfrog reads {VERSION})",
                j.version
            ),
        });
    }
    Ok(j)
}

pub(crate) fn restore(rec: &Record, root: &Path) -> Result<RestoreReport, SnapshotError> {
    let journal = read_journal(&rec.store)?;
    // A store inside the root was left out of the snapshot; never remove it.
    let mut protected = Vec::new();
    if let (Ok(r), Ok(s)) = (root.canonicalize(), rec.store.canonicalize())
        && let Ok(rel) = s.strip_prefix(&r)
    {
        protected.push(manifest::rel_string(rel));
    }
    Engine {
        root,
        data: rec.store.join(DATA),
        protected,
        same_dev: None,
        skip_unchanged: false,
    }
    .run(&journal.saved, &journal.absent)
}

pub(crate) fn release(rec: &Record) -> Result<(), SnapshotError> {
    match fs::remove_dir_all(&rec.store) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(io_err("remove", &rec.store)(e)),
    }
}

/// Puts saved entries back into a root.
pub(crate) struct Engine<'a> {
    /// The root restored.
    pub root: &'a Path,
    /// Where file contents are (same relative paths).
    pub data: PathBuf,
    /// Root-relative prefixes never removed or written.
    pub protected: Vec<String>,
    /// Leave directories on another device than this one alone (mount points).
    pub same_dev: Option<u64>,
    /// Skip non-directories whose inode, size, mtime and ctime match (btrfs snapshots keep
    /// inode numbers and times).
    pub skip_unchanged: bool,
}

struct Counter {
    done: AtomicU64,
}

impl Counter {
    /// One restored entry: the failpoint `snapshot-restore-entry` (`=N`: error at the N-th
    /// entry, `=kill@N`: SIGKILL there).
    fn tick(&self) -> Result<(), SnapshotError> {
        self.done.fetch_add(1, Ordering::SeqCst);
        leapfrog_base::failpoints::fail_point("snapshot-restore-entry")
            .map_err(|e| SnapshotError::Failpoint(e.to_string()))
    }
}

fn remove_any(p: &Path) -> io::Result<bool> {
    match fs::symlink_metadata(p) {
        Ok(md) if md.is_dir() => fs::remove_dir_all(p).map(|_| true),
        Ok(_) => fs::remove_file(p).map(|_| true),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(false),
        Err(e) => Err(e),
    }
}

fn temp_for(target: &Path) -> PathBuf {
    let name = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    target.with_file_name(format!(".{name}.leapfrog-restore"))
}

fn ts(t: (i64, i64)) -> rustix::fs::Timespec {
    rustix::fs::Timespec {
        tv_sec: t.0,
        tv_nsec: t.1 as _,
    }
}

/// Owner, mode, extended attributes and times of `path` as saved.
fn apply_meta(path: &Path, s: &Saved) -> io::Result<()> {
    std::os::unix::fs::lchown(path, Some(s.uid), Some(s.gid))?;
    if s.kind != FileType::Symlink {
        fs::set_permissions(path, fs::Permissions::from_mode(s.mode))?;
    }
    let current = manifest::read_xattrs(path)?;
    for name in current.keys() {
        if !s.xattrs.contains_key(name) {
            rustix::fs::lremovexattr(path, name.as_str())?;
        }
    }
    for (name, value) in &s.xattrs {
        let value = hex::decode(value)
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e.to_string()))?;
        if current.get(name) != Some(&value) {
            rustix::fs::lsetxattr(path, name.as_str(), &value, rustix::fs::XattrFlags::empty())?;
        }
    }
    rustix::fs::utimensat(
        rustix::fs::CWD,
        path,
        &rustix::fs::Timestamps {
            last_access: ts(s.atime),
            last_modification: ts(s.mtime),
        },
        rustix::fs::AtFlags::SYMLINK_NOFOLLOW,
    )?;
    Ok(())
}

impl Engine<'_> {
    fn protected(&self, rel: &str) -> bool {
        self.protected.iter().any(|p| manifest::under(rel, p))
    }

    /// Restores: removes `absent` paths, then makes every saved directory exist and hold only
    /// saved children, then writes back non-directories (temporary file + rename), then hard
    /// links, then directory metadata deepest first.
    pub(crate) fn run(
        &self,
        saved: &[Saved],
        absent: &[String],
    ) -> Result<RestoreReport, SnapshotError> {
        let mut report = RestoreReport::default();
        let counter = Counter {
            done: AtomicU64::new(0),
        };
        let known: BTreeSet<&str> = saved.iter().map(|s| s.path.as_str()).collect();

        // 1. Paths created since the snapshot, deepest first.
        let mut absent: Vec<&String> = absent.iter().collect();
        absent.sort_by(|a, b| b.cmp(a));
        for rel in absent {
            if self.protected(rel) {
                continue;
            }
            let p = abs(self.root, rel);
            if remove_any(&p).map_err(io_err("remove", &p))? {
                report.removed += 1;
            }
            counter.tick()?;
        }

        // 2. Directories: exist, and hold nothing unknown. Shallow first.
        let mut dirs: Vec<&Saved> = saved.iter().filter(|s| s.kind == FileType::Dir).collect();
        dirs.sort_by(|a, b| a.path.cmp(&b.path));
        let mut foreign_mounts: Vec<String> = Vec::new();
        for s in &dirs {
            if self.protected(&s.path) || foreign_mounts.iter().any(|m| manifest::under(&s.path, m))
            {
                continue;
            }
            let p = abs(self.root, &s.path);
            match fs::symlink_metadata(&p) {
                Ok(md) if md.is_dir() => {
                    if self.same_dev.is_some_and(|d| d != md.dev()) {
                        foreign_mounts.push(s.path.clone());
                        continue;
                    }
                }
                Ok(_) => {
                    fs::remove_file(&p).map_err(io_err("remove", &p))?;
                    fs::create_dir(&p).map_err(io_err("create", &p))?;
                    report.restored += 1;
                }
                Err(e) if e.kind() == io::ErrorKind::NotFound => {
                    fs::create_dir(&p).map_err(io_err("create", &p))?;
                    report.restored += 1;
                }
                Err(e) => return Err(io_err("stat", &p)(e)),
            }
            if !s.complete {
                continue;
            }
            for child in fs::read_dir(&p).map_err(io_err("list", &p))? {
                let child = child.map_err(io_err("list", &p))?;
                let name = child.file_name().to_string_lossy().into_owned();
                let rel = if s.path.is_empty() {
                    name
                } else {
                    format!("{}/{name}", s.path)
                };
                if known.contains(rel.as_str()) || self.protected(&rel) {
                    continue;
                }
                let cp = child.path();
                if remove_any(&cp).map_err(io_err("remove", &cp))? {
                    report.removed += 1;
                }
                counter.tick()?;
            }
        }

        // 3. Non-directories in parallel (renames over existing files wait for their data on
        //    ext4), then hard links to their first names.
        let skip_mount = |rel: &str| foreign_mounts.iter().any(|m| manifest::under(rel, m));
        let restored = AtomicU64::new(0);
        let unchanged = AtomicU64::new(0);
        let one = |s: &&Saved| -> Result<(), SnapshotError> {
            if self.protected(&s.path) || skip_mount(&s.path) {
                return Ok(());
            }
            let target = abs(self.root, &s.path);
            if self.skip_unchanged && self.unchanged(&target, s) {
                unchanged.fetch_add(1, Ordering::Relaxed);
                return Ok(());
            }
            self.put_back(&target, s)?;
            restored.fetch_add(1, Ordering::Relaxed);
            counter.tick()
        };
        let files: Vec<&Saved> = saved
            .iter()
            .filter(|s| s.kind != FileType::Dir && s.link_to.is_none())
            .collect();
        // On a full filesystem parallel copies compete for the last free blocks: entries that
        // meet ENOSPC are retried one at a time once the others have freed their space.
        let full: std::sync::Mutex<Vec<&Saved>> = std::sync::Mutex::new(Vec::new());
        files.par_iter().try_for_each(|s| match one(s) {
            Err(SnapshotError::Io { ref source, .. }) if is_nospace(source) => {
                full.lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner)
                    .push(*s);
                Ok(())
            }
            other => other,
        })?;
        let full = full
            .into_inner()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if !full.is_empty() {
            tracing::warn!(
                "{} files met a full filesystem; retrying them one by one",
                full.len()
            );
            full.iter().try_for_each(one)?;
        }
        let links: Vec<&Saved> = saved.iter().filter(|s| s.link_to.is_some()).collect();
        links.iter().try_for_each(one)?;
        report.restored += restored.into_inner() as usize;
        report.unchanged += unchanged.into_inner() as usize;

        // 4. Directory metadata, deepest first (children changed their mtimes).
        for s in dirs.iter().rev() {
            if self.protected(&s.path) || skip_mount(&s.path) {
                continue;
            }
            let p = abs(self.root, &s.path);
            apply_meta(&p, s).map_err(io_err("set metadata of", &p))?;
            counter.tick()?;
        }
        Ok(report)
    }

    fn unchanged(&self, target: &Path, s: &Saved) -> bool {
        let Ok(md) = fs::symlink_metadata(target) else {
            return false;
        };
        FileType::of(md.file_type()) == s.kind
            && s.identity == Some((md.ino(), md.ctime(), md.ctime_nsec()))
            && (md.mtime(), md.mtime_nsec()) == s.mtime
            && (s.kind != FileType::File || md.len() == s.size)
    }

    fn put_back(&self, target: &Path, s: &Saved) -> Result<(), SnapshotError> {
        let tmp = temp_for(target);
        remove_any(&tmp).map_err(io_err("remove", &tmp))?;
        if let Some(parent) = target.parent()
            && !parent.exists()
        {
            fs::create_dir_all(parent).map_err(io_err("create", parent))?;
        }
        if let Some(first) = &s.link_to {
            let src = abs(self.root, first);
            fs::hard_link(&src, &tmp).map_err(io_err("link", &tmp))?;
        } else {
            match s.kind {
                FileType::File => {
                    let src = abs(&self.data, &s.path);
                    if reflink(&src, &tmp).is_err() {
                        match fs::copy(&src, &tmp) {
                            Ok(_) => {}
                            Err(e) if is_nospace(&e) => {
                                // A full filesystem (the reason of many rollbacks): free the
                                // current version first. Safe, because restore is idempotent: a
                                // crash now leaves a missing file that the next run puts back.
                                let _ = fs::remove_file(&tmp);
                                if fs::symlink_metadata(target).is_ok_and(|m| !m.is_dir()) {
                                    fs::remove_file(target).map_err(io_err("remove", target))?;
                                }
                                fs::copy(&src, &tmp).map_err(io_err("copy back", &src))?;
                            }
                            Err(e) => return Err(io_err("copy back", &src)(e)),
                        }
                    }
                }
                FileType::Symlink => {
                    let t = s.target.clone().unwrap_or_default();
                    std::os::unix::fs::symlink(t, &tmp).map_err(io_err("symlink", &tmp))?;
                }
                FileType::CharDevice
                | FileType::BlockDevice
                | FileType::Fifo
                | FileType::Socket => {
                    let ft = match s.kind {
                        FileType::CharDevice => rustix::fs::FileType::CharacterDevice,
                        FileType::BlockDevice => rustix::fs::FileType::BlockDevice,
                        FileType::Fifo => rustix::fs::FileType::Fifo,
                        _ => rustix::fs::FileType::Socket,
                    };
                    rustix::fs::mknodat(
                        rustix::fs::CWD,
                        &tmp,
                        ft,
                        rustix::fs::Mode::from_bits_truncate(s.mode),
                        s.rdev.unwrap_or(0),
                    )
                    .map_err(|e| io_err("mknod", &tmp)(e.into()))?;
                }
                FileType::Dir => {
                    return Err(SnapshotError::Corrupt {
                        store: self.data.clone(),
                        why: format!("{} is a directory recorded as a file", s.path),
                    });
                }
            }
            apply_meta(&tmp, s).map_err(io_err("set metadata of", &tmp))?;
        }
        // A directory cannot be replaced by rename.
        if fs::symlink_metadata(target).is_ok_and(|m| m.is_dir()) {
            fs::remove_dir_all(target).map_err(io_err("remove", target))?;
        }
        fs::rename(&tmp, target).map_err(io_err("rename", target))?;
        // Renaming a hard link onto another name of the same inode does nothing.
        if tmp.symlink_metadata().is_ok() {
            fs::remove_file(&tmp).map_err(io_err("remove", &tmp))?;
        }
        Ok(())
    }
}
