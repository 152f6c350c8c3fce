//! What an LVM rollback keeps outside the merged volume.
//!
//! An LVM rollback schedules `lvconvert --merge`, which completes at the next activation of the
//! root volume, that is the next boot. The merge brings back the whole volume as it was when the
//! snapshot was taken, and so also leapfrog's own state (`var/lib/leapfrog`, phase `planned` and
//! the staging record of the upgrade) and logs (`var/log/leapfrog`) of that moment: without
//! more, `status` would say "staged" and the log of the failure would be gone.
//!
//! So, once the rollback is scheduled, [`keep`] copies the rollback's state, `apply.log` and
//! `scriptlets.log` to [`KEEP_DIR`] on `/boot`, which is its own filesystem on every EL installation with an LVM
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

use super::executor::{APPLY_LOG, SCRIPTLET_LOG};
use super::progress::LOG_DIR;
use super::state::{Phase, STATE_PATH, State, StateError};

/// The copy, inside the root: a small tree mirroring `var/lib/leapfrog/state.json` and
/// `var/log/leapfrog/`.
pub const KEEP_DIR: &str = "boot/leapfrog-merge";

/// Why the copy cannot be made or used.
#[derive(Debug, thiserror::Error)]
pub enum KeepError {
    /// A file of the copy.
    #[error("{op} {}: {source}", path.display())]
    Io {
        /// What was done.
        op: &'static str,
        /// The file.
        path: PathBuf,
        /// Cause.
        source: io::Error,
    },
    /// The state (the root's or the kept one).
    #[error(transparent)]
    State(#[from] StateError),
    /// The staging record or entry that came back with the volume.
    #[error(transparent)]
    Boot(#[from] crate::boot::BootError),
}

fn io_err(op: &'static str, path: &Path) -> impl FnOnce(io::Error) -> KeepError {
    let path = path.to_path_buf();
    move |source| KeepError::Io { op, path, source }
}

/// `<root>/boot/leapfrog-merge`.
pub fn keep_dir(root: &Path) -> PathBuf {
    root.join(KEEP_DIR)
}

/// Copies the root's state and logs to [`KEEP_DIR`] when `/boot` is outside the root's
/// filesystem; `Ok(false)` (nothing written) when it is not.
///
/// # Errors
///
/// When the copy cannot be written.
pub fn keep(root: &Path) -> Result<bool, KeepError> {
    if !crate::snapshot::other_filesystem(root, "boot") {
        return Ok(false);
    }
    write_copy(root)?;
    Ok(true)
}

/// Writes the copy whatever the filesystems (see [`keep`]): into a temporary directory, then
/// renamed over [`KEEP_DIR`], so a crash leaves the old copy or the new one.
///
/// # Errors
///
/// When a file cannot be read or written.
pub fn write_copy(root: &Path) -> Result<(), KeepError> {
    let dir = keep_dir(root);
    let tmp = dir.with_extension("tmp");
    remove_tree(&tmp)?;
    let state_to = tmp.join(STATE_PATH);
    let state_dir = state_to.parent().unwrap_or(&tmp);
    fs::create_dir_all(state_dir).map_err(io_err("create", state_dir))?;
    let state_from = root.join(STATE_PATH);
    fs::copy(&state_from, &state_to).map_err(io_err("copy", &state_from))?;
    let logs_to = tmp.join(LOG_DIR);
    fs::create_dir_all(&logs_to).map_err(io_err("create", &logs_to))?;
    // the logs the run wrote since the snapshot (the assessment's reports are older: the
    // merge brings them back as they are)
    for name in [APPLY_LOG, SCRIPTLET_LOG] {
        let from = root.join(LOG_DIR).join(name);
        if from.is_file() {
            fs::copy(&from, logs_to.join(name)).map_err(io_err("copy", &from))?;
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
pub fn reconcile(root: &Path) -> Result<Reconciled, KeepError> {
    let dir = keep_dir(root);
    let Some(kept) = State::load(&dir)? else {
        return Ok(Reconciled::Nothing);
    };
    let current = State::load(root)?;
    let merged = match &current {
        Some(c) if c.plan_created == kept.plan_created && c.phase == Phase::RolledBack => {
            return Ok(Reconciled::Pending);
        }
        // the root as the snapshot found it: the state saved just before the snapshot
        Some(c) => c.plan_created == kept.plan_created && c.phase == Phase::Planned,
        None => false,
    };
    if !merged {
        remove_tree(&dir)?;
        return Ok(Reconciled::Stale);
    }
    let logs_from = dir.join(LOG_DIR);
    let logs_to = root.join(LOG_DIR);
    fs::create_dir_all(&logs_to).map_err(io_err("create", &logs_to))?;
    if let Ok(entries) = fs::read_dir(&logs_from) {
        for e in entries.flatten() {
            let to = logs_to.join(e.file_name());
            fs::copy(e.path(), &to).map_err(io_err("copy", &to))?;
        }
    }
    // the staging record came back with the volume: the rollback had finished it
    if let Ok(Some(_)) = crate::boot::Staged::load(root) {
        crate::boot::unstage(root, true, true)?;
    }
    kept.save(root)?;
    remove_tree(&dir)?;
    let snapshot = kept
        .snapshot
        .as_ref()
        .and_then(|s| s.pointer("/main/id"))
        .and_then(|v| v.as_str())
        .unwrap_or("the LVM snapshot")
        .to_string();
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
pub fn reconcile_if_idle(root: &Path) -> Result<Reconciled, KeepError> {
    if !keep_dir(root).exists() {
        return Ok(Reconciled::Nothing);
    }
    match super::lock::RunLock::acquire(root) {
        Ok(_lock) => reconcile(root),
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

    fn write(root: &Path, rel: &str, text: &str) {
        let p = root.join(rel);
        fs::create_dir_all(p.parent().unwrap()).unwrap();
        fs::write(p, text).unwrap();
    }

    fn rolled_back(plan: &str) -> State {
        let mut s = State::new(plan, Some("fp".into()));
        s.transition(Phase::Snapshotted, "").unwrap();
        s.snapshot = Some(serde_json::json!({"main": {"id": "vg/root-leapfrog"}}));
        s.transition(Phase::Applying, "").unwrap();
        s.fail("failing-post: %post scriptlet failed").unwrap();
        s.transition(Phase::RollingBack, "").unwrap();
        s.transition(Phase::RolledBack, "restored").unwrap();
        s
    }

    /// The root as the merge leaves it: the state saved before the snapshot, the log of that
    /// moment, the staging record not finished.
    fn merge(root: &Path, plan: &str) {
        State::new(plan, Some("fp".into())).save(root).unwrap();
        write(root, "var/log/leapfrog/apply.log", "until the snapshot\n");
        let mut staged = crate::boot::Staged::load(root).unwrap().unwrap();
        staged.finished = None;
        staged.save(root).unwrap();
        write(
            root,
            "boot/loader/entries/leapfrog-upgrade.conf",
            "title x\n",
        );
    }

    fn staged_root(plan: &str) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        rolled_back(plan).save(root).unwrap();
        write(
            root,
            "var/log/leapfrog/apply.log",
            "until the snapshot\nfailing-post\n",
        );
        write(root, "var/log/leapfrog/scriptlets.log", "exit status 1\n");
        crate::boot::Staged {
            plan_created: plan.into(),
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
        }
        .save(root)
        .unwrap();
        dir
    }

    #[test]
    fn the_merge_brings_back_the_kept_state_and_logs() {
        let dir = staged_root("plan-1");
        let root = dir.path();
        write_copy(root).unwrap();
        let kept = State::load(root).unwrap().unwrap();
        // before the reboot: the root says rolled-back, the copy waits
        assert_eq!(reconcile(root).unwrap(), Reconciled::Pending);
        assert!(keep_dir(root).exists());
        merge(root, "plan-1");
        assert_eq!(State::load(root).unwrap().unwrap().phase, Phase::Planned);
        assert_eq!(
            reconcile(root).unwrap(),
            Reconciled::Restored {
                snapshot: "vg/root-leapfrog".into()
            }
        );
        let s = State::load(root).unwrap().unwrap();
        assert_eq!(s, kept);
        assert_eq!(s.phase, Phase::RolledBack);
        assert!(s.last_error.unwrap().contains("failing-post"));
        let log = fs::read_to_string(root.join("var/log/leapfrog/apply.log")).unwrap();
        assert!(log.contains("failing-post"), "{log}");
        assert!(root.join("var/log/leapfrog/scriptlets.log").exists());
        assert!(
            !root
                .join("boot/loader/entries/leapfrog-upgrade.conf")
                .exists()
        );
        let staged = crate::boot::Staged::load(root).unwrap().unwrap();
        assert!(staged.finished.is_some());
        assert!(!keep_dir(root).exists());
        // and only once
        assert_eq!(reconcile(root).unwrap(), Reconciled::Nothing);
    }

    #[test]
    fn a_copy_of_another_plan_is_stale() {
        let dir = staged_root("plan-1");
        let root = dir.path();
        write_copy(root).unwrap();
        State::new("plan-2", None).save(root).unwrap();
        assert_eq!(reconcile(root).unwrap(), Reconciled::Stale);
        assert!(!keep_dir(root).exists());
        assert_eq!(State::load(root).unwrap().unwrap().plan_created, "plan-2");
    }

    #[test]
    fn a_later_phase_of_the_same_plan_is_not_a_merge() {
        // a new attempt after the rollback has taken its snapshot: not the merged root
        let dir = staged_root("plan-1");
        let root = dir.path();
        write_copy(root).unwrap();
        let mut s = State::new("plan-1", None);
        s.transition(Phase::Snapshotted, "").unwrap();
        s.save(root).unwrap();
        assert_eq!(reconcile(root).unwrap(), Reconciled::Stale);
        assert_eq!(
            State::load(root).unwrap().unwrap().phase,
            Phase::Snapshotted
        );
    }

    #[test]
    fn keep_needs_boot_on_another_filesystem() {
        let dir = staged_root("plan-1");
        let root = dir.path();
        fs::create_dir_all(root.join("boot")).unwrap();
        assert!(!crate::snapshot::other_filesystem(root, "boot"));
        assert!(!keep(root).unwrap());
        assert!(!keep_dir(root).exists());
        assert_eq!(reconcile(root).unwrap(), Reconciled::Nothing);
    }

    #[test]
    fn a_corrupt_copy_is_an_error_and_changes_nothing() {
        let dir = staged_root("plan-1");
        let root = dir.path();
        write_copy(root).unwrap();
        merge(root, "plan-1");
        fs::write(keep_dir(root).join(STATE_PATH), "{ not json").unwrap();
        let e = reconcile(root).unwrap_err().to_string();
        assert!(e.contains("not a valid executor state"), "{e}");
        assert_eq!(State::load(root).unwrap().unwrap().phase, Phase::Planned);
        assert!(keep_dir(root).exists());
    }
}
