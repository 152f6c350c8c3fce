//! The btrfs backend: a read-only snapshot of the subvolume whose top is the root.
//!
//! Restore copies back from the read-only snapshot into the live subvolume with the journal
//! restore engine: a mounted root cannot have its subvolume swapped, and changing the default
//! subvolume only takes effect at the next mount. Files are cloned (reflinks within one btrfs
//! filesystem), and files whose inode number, size, modification and change times equal the
//! snapshot's are left alone (a btrfs snapshot keeps inode numbers and times), so a restore
//! costs in proportion to what changed.

use std::fs;
use std::io;
use std::os::unix::fs::MetadataExt;
use std::path::Path;
use std::process::Command;

use rayon::prelude::*;

use super::journal::{Engine, Saved, saved_entry};
use super::{Record, RestoreReport, Scope, SnapshotBackend, SnapshotError, io_err, run};
use crate::manifest::{self, DEFAULT_EXCLUDES, FileType};

const BTRFS_SUPER_MAGIC: i64 = 0x9123_683e;
/// The inode number of the top directory of every btrfs subvolume.
const SUBVOLUME_TOP_INO: u64 = 256;

/// Ok when `root` is the top directory of a btrfs subvolume, else why not.
pub fn subvolume_top(root: &Path) -> Result<(), String> {
    let magic = super::fs_magic(root).map_err(|e| e.to_string())?;
    if magic != BTRFS_SUPER_MAGIC {
        return Err(format!("{} is not on btrfs", root.display()));
    }
    let md = fs::metadata(root).map_err(|e| e.to_string())?;
    if md.ino() != SUBVOLUME_TOP_INO {
        return Err(format!(
            "{} is on btrfs but is not the top of a subvolume",
            root.display()
        ));
    }
    Ok(())
}

fn unsupported(root: &Path, why: String) -> SnapshotError {
    SnapshotError::Unsupported {
        backend: SnapshotBackend::Btrfs,
        root: root.to_path_buf(),
        why,
    }
}

/// Lists the snapshot's paths and their metadata (excluded prefixes left out).
fn entries(snapshot: &Path, protected: &[String]) -> Result<Vec<Saved>, SnapshotError> {
    let paths = manifest::walk(snapshot, protected).map_err(io_err("walk", snapshot))?;
    let mut saved = paths
        .into_par_iter()
        .map(|rel| {
            let p = if rel.is_empty() {
                snapshot.to_path_buf()
            } else {
                snapshot.join(&rel)
            };
            let (s, md) = saved_entry(&p, &rel).map_err(io_err("read", &p))?;
            Ok((s, md.nlink(), md.ino()))
        })
        .collect::<Result<Vec<_>, SnapshotError>>()?;
    saved.sort_by(|a, b| a.0.path.cmp(&b.0.path));
    let mut first = std::collections::HashMap::new();
    Ok(saved
        .into_iter()
        .map(|(mut s, nlink, ino)| {
            if s.kind == FileType::File && nlink > 1 {
                match first.get(&ino) {
                    Some(p) => s.link_to = Some(String::clone(p)),
                    None => {
                        first.insert(ino, s.path.clone());
                    }
                }
            }
            s
        })
        .collect())
}

fn protected(root: &Path, store: &Path) -> Vec<String> {
    let mut out: Vec<String> = DEFAULT_EXCLUDES.iter().map(|s| s.to_string()).collect();
    if let (Ok(r), Ok(s)) = (root.canonicalize(), store.canonicalize())
        && let Ok(rel) = s.strip_prefix(&r)
    {
        out.push(manifest::rel_string(rel));
    }
    out
}

pub(crate) fn take(scope: &Scope, store: &Path, created: String) -> Result<Record, SnapshotError> {
    let root = &scope.root;
    subvolume_top(root).map_err(|why| unsupported(root, why))?;
    if store.symlink_metadata().is_ok() {
        return Err(SnapshotError::Store {
            store: store.to_path_buf(),
            why: "already exists (the snapshot subvolume must be a new path)".into(),
        });
    }
    if let Some(parent) = store.parent() {
        fs::create_dir_all(parent).map_err(io_err("create", parent))?;
    }
    run(Command::new("btrfs")
        .args(["subvolume", "snapshot", "-r"])
        .arg(root)
        .arg(store))?;
    let saved = entries(store, &protected(root, store))?;
    let bytes = saved.iter().map(|s| s.size).sum();
    Ok(Record {
        backend: SnapshotBackend::Btrfs,
        id: store
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default(),
        store: store.to_path_buf(),
        root: root.to_path_buf(),
        created,
        entries: saved.len(),
        bytes,
        lvm: None,
    })
}

pub(crate) fn restore(rec: &Record, root: &Path) -> Result<RestoreReport, SnapshotError> {
    subvolume_top(&rec.store).map_err(|why| SnapshotError::Corrupt {
        store: rec.store.clone(),
        why: format!("not a btrfs snapshot: {why}"),
    })?;
    let protected = protected(root, &rec.store);
    let saved = entries(&rec.store, &protected)?;
    let dev = fs::metadata(root).map_err(io_err("stat", root))?.dev();
    Engine {
        root,
        data: rec.store.clone(),
        protected,
        same_dev: Some(dev),
        skip_unchanged: true,
    }
    .run(&saved, &[])
}

pub(crate) fn release(rec: &Record) -> Result<(), SnapshotError> {
    match fs::symlink_metadata(&rec.store) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(io_err("stat", &rec.store)(e)),
        Ok(_) => {}
    }
    run(Command::new("btrfs")
        .args(["subvolume", "delete"])
        .arg(&rec.store))?;
    Ok(())
}
