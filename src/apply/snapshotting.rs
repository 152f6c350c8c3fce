//! Phase planned -> snapshotted: the snapshot set of the run. The backend is the one asked for
//! or the best one that works (`auto`); the journal backends save what [`super::scope`]
//! computes from the package headers and the rpm database; `/boot` (and the EFI partition) get
//! their own journal when the main snapshot cannot hold them.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::os::unix::fs::MetadataExt as _;
use std::path::{Path, PathBuf};
use std::time::Instant;

use leapfrog_base::failpoints;
use leapfrog_base::units::human_bytes;
use rpm_sys::{DbLocation, RpmDatabase, read_package_file};

use super::error::ExecError;
use super::run::{Run, Save, Transition};
use super::state::SnapshotSet;
use super::{ApplyOptions, SnapshotChoice, scope};
use crate::plan::PlanDocument;
use crate::plan::fates::Action;
use crate::snapshot::{self, SnapshotBackend, SnapshotError};
use crate::workspace::Workspace;

/// Removes snapshot stores left by an interrupted snapshot (phase planned).
///
/// # Errors
///
/// When a store cannot be removed.
pub(crate) fn discard_stores(ws: &Workspace) -> Result<(), ExecError> {
    for store in [ws.snapshot_store(), ws.boot_snapshot_store()] {
        let Ok(md) = fs::symlink_metadata(&store) else {
            continue;
        };
        tracing::info!("removing the unfinished snapshot store {}", store.display());
        let io = |op: &'static str, source: std::io::Error| ExecError::Io {
            op,
            path: store.clone(),
            source,
        };
        if md.ino() == 256 && snapshot::btrfs::subvolume_top(&store).is_ok() {
            let _ = std::process::Command::new("btrfs")
                .args(["property", "set", "-ts"])
                .arg(&store)
                .args(["ro", "false"])
                .status();
            let st = std::process::Command::new("btrfs")
                .args(["subvolume", "delete"])
                .arg(&store)
                .output()
                .map_err(|e| io("run btrfs subvolume delete on", e))?;
            if !st.status.success() {
                return Err(io(
                    "delete the btrfs subvolume",
                    std::io::Error::other(String::from_utf8_lossy(&st.stderr).trim().to_string()),
                ));
            }
        } else if md.is_dir() {
            fs::remove_dir_all(&store).map_err(|e| io("remove", e))?;
        } else {
            fs::remove_file(&store).map_err(|e| io("remove", e))?;
        }
    }
    Ok(())
}

/// Installed packages the transaction erases or replaces, with their files.
fn outgoing_files(
    ws: &Workspace,
    location: &DbLocation,
    plan: &PlanDocument,
    installonly: &BTreeSet<String>,
) -> Result<Vec<String>, ExecError> {
    let mut nevras: BTreeSet<&str> = BTreeSet::new();
    let mut names: BTreeSet<&str> = BTreeSet::new();
    for e in &plan.transaction {
        match e.action {
            Action::Erase | Action::Obsoleted => {
                nevras.insert(&e.nevra);
            }
            _ => {
                if !installonly.contains(&e.name) {
                    names.insert(&e.name);
                }
            }
        }
        nevras.extend(e.replaces.iter().map(String::as_str));
    }
    let db_err = |op: &'static str, source: rpm_sys::RpmError| ExecError::RpmDb {
        op,
        root: ws.root().to_path_buf(),
        source: Box::new(source),
    };
    let db = RpmDatabase::open(ws.root(), location)
        .map_err(|e| db_err("open the rpm database of", e))?;
    let headers = db
        .installed_package_files()
        .map_err(|e| db_err("read the rpm database of", e))?;
    let mut out = Vec::new();
    for h in headers {
        let nevra = h.package.nevra();
        if nevras.contains(nevra.as_str()) || names.contains(h.package.name.as_str()) {
            out.extend(h.files.into_iter().map(|f| f.path));
        }
    }
    Ok(out)
}

/// What the transaction can touch: the files of the incoming packages (from their headers)
/// and of the installed packages it erases or replaces; records their directories for the
/// removal of rpm's temporary files after a restore.
fn package_files(
    ws: &Workspace,
    location: &DbLocation,
    plan: &PlanDocument,
    files: &BTreeMap<String, PathBuf>,
) -> Result<Vec<String>, ExecError> {
    let mut paths: Vec<String> = Vec::new();
    let mut installonly = BTreeSet::new();
    for (nevra, path) in files {
        let h = read_package_file(path).map_err(|e| {
            ExecError::Packages(format!("{nevra}: cannot read {}: {e}", path.display()))
        })?;
        if h.installonly() {
            installonly.insert(h.package.name.clone());
        }
        paths.extend(h.files.into_iter().map(|f| f.path));
    }
    paths.extend(outgoing_files(ws, location, plan, &installonly)?);
    let dirs: BTreeSet<String> = paths
        .iter()
        .filter_map(|p| {
            Path::new(p)
                .parent()
                .map(|d| d.to_string_lossy().into_owned())
        })
        .collect();
    let dirs_path = ws.package_dirs_path();
    let json = serde_json::to_vec(&dirs).map_err(|e| ExecError::Io {
        op: "encode",
        path: ws.package_dirs_path(),
        source: e.into(),
    })?;
    leapfrog_base::atomic::write_atomic(&dirs_path, &json, leapfrog_base::atomic::Failpoints::NONE)
        .map_err(|source| ExecError::Io {
            op: "write",
            path: dirs_path.clone(),
            source,
        })?;
    Ok(paths)
}

/// Takes the snapshot set and enters phase snapshotted.
///
/// # Errors
///
/// [`ExecError::Snapshot`] and the errors of the package headers and the rpm database: nothing
/// was changed.
pub(crate) fn take(
    run: &mut Run<'_>,
    plan: &PlanDocument,
    files: &BTreeMap<String, PathBuf>,
    opts: &ApplyOptions,
) -> Result<(), ExecError> {
    let ws = run.ws;
    let root = ws.root();
    let started = Instant::now();
    let (backend, why) = match opts.snapshot {
        SnapshotChoice::Auto => snapshot::detect(root).map_err(ExecError::Snapshot)?,
        SnapshotChoice::Use(b) => (b, format!("requested with --snapshot {b}")),
    };
    if backend == SnapshotBackend::None && !opts.accept_no_rollback {
        return Err(ExecError::Snapshot(SnapshotError::NotAcknowledged));
    }
    run.step("snapshot", format!("backend {backend}: {why}"));
    let location = crate::rpmdb::location(ws).map_err(super::error::StepError::from)?;
    let package_files = package_files(ws, &location, plan, files)?;

    failpoints::fail_point("snapshot-before")?;
    // /boot (or the EFI partition) on its own filesystem: reflinks cannot reach it from the
    // store on the root filesystem, and btrfs/LVM snapshots of the root do not hold it
    let boot_separate = ["boot", "boot/efi"]
        .iter()
        .any(|b| snapshot::other_filesystem(root, b));
    let main = match backend {
        SnapshotBackend::None => None,
        SnapshotBackend::Reflink | SnapshotBackend::Copy => {
            let mut scope = scope::journal_scope(
                ws,
                &location.dbpath,
                package_files.iter().map(String::as_str),
            );
            if backend == SnapshotBackend::Reflink && boot_separate {
                scope.paths.retain(|p| !p.starts_with("boot"));
            }
            Some(
                snapshot::take(backend, &scope, &ws.snapshot_store())
                    .map_err(ExecError::Snapshot)?,
            )
        }
        SnapshotBackend::Btrfs | SnapshotBackend::Lvm => {
            let scope = snapshot::Scope::with_defaults(root, Path::new(&location.dbpath));
            Some(
                snapshot::take(backend, &scope, &ws.snapshot_store())
                    .map_err(ExecError::Snapshot)?,
            )
        }
    };
    let boot_journal = match backend {
        SnapshotBackend::Copy => false,
        SnapshotBackend::None => true,
        SnapshotBackend::Reflink | SnapshotBackend::Btrfs | SnapshotBackend::Lvm => boot_separate,
    };
    let boot = if !boot_journal || !ws.boot_dir().is_dir() {
        None
    } else {
        // the store is on the root filesystem: copies (reflinks cannot cross filesystems)
        let boot_backend = if boot_separate {
            SnapshotBackend::Copy
        } else if snapshot::journal::reflink_probe(&ws.boot_dir()).is_ok() {
            SnapshotBackend::Reflink
        } else {
            SnapshotBackend::Copy
        };
        match snapshot::take(
            boot_backend,
            &scope::boot_scope(ws),
            &ws.boot_snapshot_store(),
        ) {
            Ok(r) => Some(r),
            Err(e) => {
                if let Some(m) = &main {
                    let _ = snapshot::release(m);
                }
                return Err(ExecError::Snapshot(e));
            }
        }
    };
    failpoints::fail_point("snapshot-after")?;
    let set = SnapshotSet {
        backend,
        why,
        main,
        boot,
        released: false,
    };
    let summary = match &set.main {
        Some(m) => format!(
            "{} taken: {} entries, {} of file data{}",
            m.backend,
            m.entries,
            human_bytes(m.bytes),
            if set.boot.is_some() {
                ", plus a journal of /boot"
            } else {
                ""
            }
        ),
        None => "no snapshot (--snapshot none acknowledged); /boot is saved".into(),
    };
    run.time("snapshot", started);
    run.enter(
        Transition::Snapshotted(Box::new(set)),
        &summary,
        Save::Required,
    )?;
    Ok(())
}
