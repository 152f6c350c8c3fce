//! What an LVM rollback keeps outside the merged volume.
//!
//! An LVM rollback schedules `lvconvert --merge`, which completes at the next activation of the
//! root volume, that is the next boot. The merge brings back the whole volume as it was when the
//! snapshot was taken, and so also leapfrog's own state (`var/lib/leapfrog`, phase `planned` and
//! the staging record of the upgrade) and logs (`var/log/leapfrog`) of that moment: without
//! more, `status` would say "staged" and the log of the failure would be gone.
//!
//! So, once the rollback is scheduled, [`keep`] copies the rollback's state, `apply.log` and
//! `scriptlets.log` to `/boot/leapfrog-merge` ([`Workspace::merge_keep_dir`]) on `/boot`, which is its own filesystem on every EL installation with an LVM
//! root and is not part of the merge. The first leapfrog command after the merge
//! ([`reconcile`]: `status`, `apply`, `rollback`, `commit`, `cancel`, `upgrade`) finds the root's
//! state back at phase `planned` of the same plan, puts the kept state and logs back, marks the
//! staging record finished and removes the copy. Before the reboot the root's state already says
//! `rolled-back` and the copy waits; a copy from another plan is stale and removed.
//!
//! When `/boot` lives on the root volume itself, nothing outside the merge can hold the copy:
//! [`keep`] says so and the rollback warns that the state and logs return to the snapshot's.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use super::state::{PhaseName, State};
use crate::document::{Document as _, DocumentError};
use crate::workspace::Workspace;

/// Why the copy cannot be made or used.
#[derive(Debug, thiserror::Error)]
pub enum KeepError {
    /// A file of the copy.
    #[error("cannot {op} {}", path.display())]
    Io {
        /// What was done.
        op: &'static str,
        /// The file.
        path: PathBuf,
        /// Cause.
        #[source]
        source: io::Error,
    },
    /// The state (the root's or the kept one).
    #[error(transparent)]
    State(#[from] DocumentError),
    /// The staging record or entry that came back with the volume.
    #[error(transparent)]
    Boot(#[from] crate::boot::BootError),
}

fn io_err(op: &'static str, path: &Path) -> impl FnOnce(io::Error) -> KeepError + use<> {
    let path = path.to_path_buf();
    move |source| KeepError::Io { op, path, source }
}

/// The copy as a workspace of its own: it mirrors the root's `var/lib/leapfrog/state.json`
/// and `var/log/leapfrog/`.
fn kept(ws: &Workspace) -> Workspace {
    Workspace::unchecked(&ws.merge_keep_dir())
}

/// Copies the root's state and logs to `/boot/leapfrog-merge` when `/boot` is outside the
/// root's filesystem; `Ok(false)` (nothing written) when it is not.
///
/// # Errors
///
/// When the copy cannot be written.
pub fn keep(ws: &Workspace) -> Result<bool, KeepError> {
    if !crate::snapshot::other_filesystem(ws.root(), "boot") {
        return Ok(false);
    }
    write_copy(ws)?;
    Ok(true)
}

/// Writes the copy whatever the filesystems (see [`keep`]): into a temporary directory, then
/// renamed over `/boot/leapfrog-merge`, so a crash leaves the old copy or the new one.
///
/// # Errors
///
/// When a file cannot be read or written.
pub fn write_copy(ws: &Workspace) -> Result<(), KeepError> {
    let dir = ws.merge_keep_dir();
    let tmp = dir.with_extension("tmp");
    remove_tree(&tmp)?;
    let copy = Workspace::unchecked(&tmp);
    let state_to = copy.state_path();
    let state_dir = state_to.parent().unwrap_or(&tmp);
    fs::create_dir_all(state_dir).map_err(io_err("create", state_dir))?;
    let state_from = ws.state_path();
    fs::copy(&state_from, &state_to).map_err(io_err("copy", &state_from))?;
    let logs_to = copy.log_dir();
    fs::create_dir_all(&logs_to).map_err(io_err("create", &logs_to))?;
    // the logs the run wrote since the snapshot (the assessment's reports are older: the
    // merge brings them back as they are)
    for (from, to) in [
        (ws.apply_log_path(), copy.apply_log_path()),
        (ws.scriptlet_log_path(), copy.scriptlet_log_path()),
    ] {
        if from.is_file() {
            fs::copy(&from, &to).map_err(io_err("copy", &from))?;
        }
    }
    // the copy on the disk before it replaces the old one, and the rename after
    let sync = |p: &Path| {
        fs::File::open(p)
            .and_then(|f| rustix::fs::syncfs(&f).map_err(io::Error::from))
            .map_err(io_err("sync the filesystem of", p))
    };
    sync(&tmp)?;
    remove_tree(&dir)?;
    fs::rename(&tmp, &dir).map_err(io_err("rename", &tmp))?;
    sync(&dir)
}

/// What [`reconcile`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reconciled {
    /// No copy.
    Nothing,
    /// A copy whose rollback has not merged yet (the root still says `rolled-back`): kept.
    Pending,
    /// The merge happened: the kept state and logs are back in the root.
    Restored {
        /// The LVM snapshot that was merged, as the kept state names it.
        snapshot: String,
    },
    /// A copy of another plan or of a root without state: removed.
    Stale,
}

/// Puts the kept state and logs back after the merge (see the module documentation).
///
/// # Errors
///
/// When a state cannot be read or the files cannot be written back.
pub fn reconcile(ws: &Workspace) -> Result<Reconciled, KeepError> {
    let dir = ws.merge_keep_dir();
    let Some(kept_state) = State::load(&kept(ws))? else {
        return Ok(Reconciled::Nothing);
    };
    let current = State::load(ws)?;
    let merged = match &current {
        Some(c) if c.plan_id == kept_state.plan_id && c.name() == PhaseName::RolledBack => {
            return Ok(Reconciled::Pending);
        }
        // the root as the snapshot found it: the state saved just before the snapshot
        Some(c) => c.plan_id == kept_state.plan_id && c.name() == PhaseName::Planned,
        None => false,
    };
    if !merged {
        remove_tree(&dir)?;
        return Ok(Reconciled::Stale);
    }
    let logs_from = kept(ws).log_dir();
    let logs_to = ws.log_dir();
    fs::create_dir_all(&logs_to).map_err(io_err("create", &logs_to))?;
    if let Ok(entries) = fs::read_dir(&logs_from) {
        for e in entries.flatten() {
            let to = logs_to.join(e.file_name());
            fs::copy(e.path(), &to).map_err(io_err("copy", &to))?;
        }
    }
    // the staging record came back with the volume: the rollback had finished it
    if let Ok(Some(_)) = crate::boot::Staged::load(ws) {
        crate::boot::unstage(ws, true, true)?;
    }
    kept_state.save(ws)?;
    remove_tree(&dir)?;
    let snapshot = kept_state
        .phase
        .snapshots()
        .and_then(|s| s.main.as_ref())
        .map_or_else(|| "the LVM snapshot".to_string(), |m| m.id.clone());
    tracing::info!(
        "the LVM merge of {snapshot} completed: state and logs of the rollback restored from {}",
        dir.display()
    );
    Ok(Reconciled::Restored { snapshot })
}

/// [`reconcile`] for the commands that do not hold the run lock (`status`, `cancel`,
/// `upgrade`): under the lock when it is free; [`Reconciled::Nothing`] when another leapfrog
/// holds it or it cannot be taken (a read-only root), since that command reconciles itself.
///
/// # Errors
///
/// As [`reconcile`].
pub fn reconcile_if_idle(ws: &Workspace) -> Result<Reconciled, KeepError> {
    if !ws.merge_keep_dir().exists() {
        return Ok(Reconciled::Nothing);
    }
    match super::lock::RunLock::acquire(ws) {
        Ok(_lock) => reconcile(ws),
        Err(e) => {
            tracing::debug!("not reconciling the kept LVM rollback state now: {e}");
            Ok(Reconciled::Nothing)
        }
    }
}

fn remove_tree(dir: &Path) -> Result<(), KeepError> {
    match fs::remove_dir_all(dir) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(io_err("remove", dir)(e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::apply::state::SnapshotSet;
    use crate::snapshot::{Record, SnapshotBackend};

    fn write(ws: &Workspace, rel: &str, text: &str) {
        let p = ws.in_root(rel);
        fs::create_dir_all(p.parent().unwrap()).unwrap();
        fs::write(p, text).unwrap();
    }

    fn rolled_back(plan: &str) -> State {
        let mut s = State::new(plan, Some("fp".into()));
        let lvm = Record {
            backend: SnapshotBackend::Lvm,
            id: "vg/root-leapfrog".into(),
            store: "/x".into(),
            root: "/".into(),
            created: String::new(),
            entries: 1,
            bytes: 1,
            lvm: None,
        };
        s.snapshotted(
            SnapshotSet {
                backend: SnapshotBackend::Lvm,
                why: "test".into(),
                main: Some(lvm),
                boot: None,
                released: false,
            },
            "",
        )
        .unwrap();
        s.applying("").unwrap();
        s.failed("failing-post: %post scriptlet failed").unwrap();
        s.rolling_back("failing-post: %post scriptlet failed", false, "")
            .unwrap();
        s.rolled_back("restored").unwrap();
        s
    }

    /// The root as the merge leaves it: the state saved before the snapshot, the log of that
    /// moment, the staging record not finished.
    fn merge(ws: &Workspace, plan: &str) {
        State::new(plan, Some("fp".into())).save(ws).unwrap();
        write(ws, "var/log/leapfrog/apply.log", "until the snapshot\n");
        let mut staged = crate::boot::Staged::require(ws).unwrap();
        staged.finished = None;
        staged.save(ws).unwrap();
        write(ws, "boot/loader/entries/leapfrog-upgrade.conf", "title x\n");
    }

    fn staged_root(plan: &str) -> (tempfile::TempDir, Workspace) {
        let dir = tempfile::tempdir().unwrap();
        let ws = Workspace::open(dir.path()).unwrap();
        rolled_back(plan).save(&ws).unwrap();
        write(
            &ws,
            "var/log/leapfrog/apply.log",
            "until the snapshot\nfailing-post\n",
        );
        write(&ws, "var/log/leapfrog/scriptlets.log", "exit status 1\n");
        crate::boot::Staged {
            schema: crate::boot::staged::SCHEMA.into(),
            plan_id: plan.into(),
            created: "t".into(),
            kver: "6.1.0-amd64".into(),
            kernel: "/boot/leapfrog/vmlinuz-upgrade".into(),
            initramfs: "/boot/leapfrog/initramfs-upgrade.img".into(),
            entry: "/boot/loader/entries/leapfrog-upgrade.conf".into(),
            options: "root=x rw".into(),
            snapshot: "lvm".into(),
            accept_no_rollback: false,
            previous_next_entry: None,
            attempts: 1,
            finished: Some("t2".into()),
            boot: None,
        }
        .save(&ws)
        .unwrap();
        (dir, ws)
    }

    #[test]
    fn the_merge_brings_back_the_kept_state_and_logs() {
        let (_dir, ws) = staged_root("plan-1");
        write_copy(&ws).unwrap();
        let kept = State::require(&ws).unwrap();
        // before the reboot: the root says rolled-back, the copy waits
        assert_eq!(reconcile(&ws).unwrap(), Reconciled::Pending);
        assert!(ws.merge_keep_dir().exists());
        merge(&ws, "plan-1");
        assert_eq!(State::require(&ws).unwrap().name(), PhaseName::Planned);
        assert_eq!(
            reconcile(&ws).unwrap(),
            Reconciled::Restored {
                snapshot: "vg/root-leapfrog".into()
            }
        );
        let s = State::require(&ws).unwrap();
        assert_eq!(s, kept);
        assert_eq!(s.name(), PhaseName::RolledBack);
        assert!(s.phase.error().unwrap().contains("failing-post"));
        let log = fs::read_to_string(ws.apply_log_path()).unwrap();
        assert!(log.contains("failing-post"), "{log}");
        assert!(ws.scriptlet_log_path().exists());
        assert!(!ws.upgrade_entry_path().exists());
        let staged = crate::boot::Staged::require(&ws).unwrap();
        assert!(staged.finished.is_some());
        assert!(!ws.merge_keep_dir().exists());
        // and only once
        assert_eq!(reconcile(&ws).unwrap(), Reconciled::Nothing);
    }

    #[test]
    fn a_copy_of_another_plan_is_stale() {
        let (_dir, ws) = staged_root("plan-1");
        write_copy(&ws).unwrap();
        State::new("plan-2", None).save(&ws).unwrap();
        assert_eq!(reconcile(&ws).unwrap(), Reconciled::Stale);
        assert!(!ws.merge_keep_dir().exists());
        assert_eq!(State::require(&ws).unwrap().plan_id, "plan-2");
    }

    #[test]
    fn a_later_phase_of_the_same_plan_is_not_a_merge() {
        // a new attempt after the rollback has taken its snapshot: not the merged root
        let (_dir, ws) = staged_root("plan-1");
        write_copy(&ws).unwrap();
        let mut s = State::new("plan-1", None);
        s.snapshotted(
            SnapshotSet {
                backend: SnapshotBackend::Copy,
                why: String::new(),
                main: None,
                boot: None,
                released: false,
            },
            "",
        )
        .unwrap();
        s.save(&ws).unwrap();
        assert_eq!(reconcile(&ws).unwrap(), Reconciled::Stale);
        assert_eq!(State::require(&ws).unwrap().name(), PhaseName::Snapshotted);
    }

    #[test]
    fn keep_needs_boot_on_another_filesystem() {
        let (_dir, ws) = staged_root("plan-1");
        fs::create_dir_all(ws.boot_dir()).unwrap();
        assert!(!crate::snapshot::other_filesystem(ws.root(), "boot"));
        assert!(!keep(&ws).unwrap());
        assert!(!ws.merge_keep_dir().exists());
        assert_eq!(reconcile(&ws).unwrap(), Reconciled::Nothing);
    }

    #[test]
    fn a_corrupt_copy_is_an_error_and_changes_nothing() {
        let (_dir, ws) = staged_root("plan-1");
        write_copy(&ws).unwrap();
        merge(&ws, "plan-1");
        fs::write(kept(&ws).state_path(), "{ not json").unwrap();
        let e = reconcile(&ws).unwrap_err().to_string();
        assert!(e.contains("not a valid executor state"), "{e}");
        assert_eq!(State::require(&ws).unwrap().name(), PhaseName::Planned);
        assert!(ws.merge_keep_dir().exists());
    }
}
