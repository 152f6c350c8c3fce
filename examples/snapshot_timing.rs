//! Times the manifest and a snapshot round trip on an installed root, for docs/snapshots.md.
//!
//! `cargo run --release --example snapshot_timing -- ROOT STORE BACKEND`
//!
//! The scope is what the executor uses for a whole-system upgrade: etc, boot, the rpmdb and
//! every file of every installed package. The root is restored from the snapshot after a
//! change to one file of every package, and checked with the manifest.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, Result, bail};
use leapfrog::manifest::{self, Manifest};
use leapfrog::snapshot::{self, Scope, SnapshotBackend};
use rpm_sys::{DbBackend, DbLocation, RpmDatabase};

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [root, store, backend] = args.as_slice() else {
        bail!("usage: snapshot_timing ROOT STORE BACKEND");
    };
    let root = PathBuf::from(root);
    let store = PathBuf::from(store);
    let backend: SnapshotBackend = backend.parse()?;

    let t = Instant::now();
    let before = Manifest::take_default(&root)?;
    println!(
        "manifest: {} entries in {:.2?}",
        before.entries.len(),
        t.elapsed()
    );

    let db = RpmDatabase::open(&root, &DbLocation::new("/var/lib/rpm", DbBackend::Sqlite))
        .context("open rpmdb")?;
    let headers = db.installed_package_files().context("read rpmdb")?;
    let mut scope = Scope::with_defaults(&root, Path::new("/var/lib/rpm"));
    let mut firsts = Vec::new();
    for h in &headers {
        scope.add(h.files.iter().map(|f| f.path.as_str()));
        if let Some(f) = h.files.iter().find(|f| {
            let p = root.join(f.path.trim_start_matches('/'));
            p.symlink_metadata().is_ok_and(|m| m.is_file())
        }) {
            firsts.push(root.join(f.path.trim_start_matches('/')));
        }
    }
    println!(
        "scope: {} paths of {} packages",
        scope.paths.len(),
        headers.len()
    );

    let t = Instant::now();
    let rec = snapshot::take(backend, &scope, &store)?;
    println!(
        "take ({backend}): {} entries, {} bytes in {:.2?}",
        rec.entries,
        rec.bytes,
        t.elapsed()
    );

    for f in &firsts {
        std::fs::write(f, b"changed by snapshot_timing\n")?;
    }
    let t = Instant::now();
    let report = snapshot::restore(&rec, &root)?;
    println!(
        "restore after changing {} files: {report:?} in {:.2?}",
        firsts.len(),
        t.elapsed()
    );

    let after = Manifest::take_default(&root)?;
    let d = manifest::diff(&before, &after);
    if !d.is_empty() {
        bail!("{} differences after restore, first: {}", d.len(), d[0]);
    }
    println!("manifest after restore: identical");
    snapshot::release(&rec)?;
    Ok(())
}
