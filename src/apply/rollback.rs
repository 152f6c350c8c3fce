//! Rollback: restores the snapshot set (idempotent: a re-run after a crash mid-restore finishes
//! the job), removes rpm's temporary files, checks the rpm database against the fingerprint
//! taken when the plan was made, releases the stores and enters rolled-back. Runs after any
//! failure of [`super::apply`] and as `leapfrog rollback`.

use std::fs;
use std::path::Path;
use std::time::Instant;

use leapfrog_base::failpoints;

use super::error::{ExecError, chain};
use super::lock::RunLock;
use super::merge_keep;
use super::progress::{Event, Sink};
use super::report::{ApplyReport, Outcome, RollbackReport, RollbackSummary};
use super::run::{Run, Save, Transition};
use super::state::{PhaseName, State};
use crate::document::Document as _;
use crate::snapshot::{self, Record, SnapshotError};
use crate::workspace::Workspace;

/// Records the failure and rolls back; the run then ends with outcome rolled-back (or an
/// error when no rollback is possible or it failed).
pub(crate) fn fail_and_roll_back(
    run: &mut Run<'_>,
    error: &(dyn std::error::Error + 'static),
) -> Result<(), ExecError> {
    let resumed = matches!(run.state.name(), PhaseName::Failed | PhaseName::RollingBack);
    // a resumed failure keeps the cause it recorded
    let cause = match run.state.phase.error() {
        Some(recorded) if resumed => recorded.to_string(),
        _ => chain(error),
    };
    run.sink.emit(Event::Error {
        message: cause.clone(),
    });
    run.report.failure = Some(cause.clone());
    if !resumed {
        run.enter(Transition::Failed(cause.clone()), &cause, Save::BestEffort)?;
    }
    let summary = roll_back(run, &cause, false)?;
    run.report.rollback = Some(summary);
    run.report.outcome = Outcome::RolledBack;
    Ok(())
}

/// Restores the snapshots (phase failed, done or rolling-back), checks the rpm database
/// against the fingerprint taken at planning, releases the stores and records rolled-back.
pub(crate) fn roll_back(
    run: &mut Run<'_>,
    cause: &str,
    requested: bool,
) -> Result<RollbackSummary, ExecError> {
    let ws = run.ws;
    let started = Instant::now();
    let mut summary = RollbackSummary::default();
    let Some(set) = run.state.phase.snapshots().cloned() else {
        // Failed before the snapshot: nothing was changed.
        summary.nothing_to_restore = true;
        if run.state.name() != PhaseName::RollingBack {
            run.enter(
                Transition::RollingBack {
                    cause: cause.to_string(),
                    requested,
                },
                "nothing to restore: the run failed before the snapshot",
                Save::Required,
            )?;
        }
        run.enter(
            Transition::RolledBack,
            "nothing had been changed",
            Save::Required,
        )?;
        return Ok(summary);
    };
    if set.main.is_none() {
        return Err(ExecError::NoRollback {
            cause: cause.to_string(),
        });
    }
    if run.state.name() != PhaseName::RollingBack {
        let note = format!("restoring the {} snapshot", set.backend);
        run.enter(
            Transition::RollingBack {
                cause: cause.to_string(),
                requested,
            },
            &note,
            Save::BestEffort,
        )?;
    }
    let rollback_failed = |message: String| ExecError::RollbackFailed {
        message,
        cause: cause.to_string(),
        state: ws.state_path(),
    };
    failpoints::fail_point("rollback-before").map_err(|e| rollback_failed(chain(&e)))?;
    for rec in set.records() {
        let rec = rebase(rec, ws.root());
        let r = match snapshot::restore(&rec, ws.root()) {
            Err(e) if is_no_space(&e) => {
                // The filesystem is still full: give up the package cache (it can be
                // downloaded again) and finish the restore, which is idempotent.
                let cache = ws.packages_dir();
                run.warn(format!(
                    "the filesystem is full ({e}): removing the package cache {} to complete the rollback; run `leapfrog download` again before the next apply",
                    cache.display()
                ));
                let _ = fs::remove_dir_all(&cache);
                snapshot::restore(&rec, ws.root())
            }
            other => other,
        }
        .map_err(|e| rollback_failed(chain(&e)))?;
        summary.removed += r.removed;
        summary.restored += r.restored;
        summary.pending_reboot |= r.pending_reboot;
    }
    let since = set
        .main
        .as_ref()
        .and_then(|m| humantime::parse_rfc3339(&m.created).ok());
    remove_rpm_temporaries(ws, since);
    failpoints::fail_point("rollback-after").map_err(|e| rollback_failed(chain(&e)))?;
    if !summary.pending_reboot
        && let Some(expected) = &run.state.rpmdb_fingerprint
    {
        match crate::rpmdb::fingerprint(ws) {
            Ok(now) => summary.rpmdb_matches = Some(&now == expected),
            Err(e) => {
                return Err(rollback_failed(format!(
                    "the restored rpm database cannot be read: {}",
                    chain(&e)
                )));
            }
        }
        if summary.rpmdb_matches == Some(false) {
            return Err(rollback_failed(
                "the restored rpm database differs from the one the plan was made for".into(),
            ));
        }
    }
    run.time("rollback", started);
    // Release the stores after the restore (LVM: the merge consumes the snapshot itself).
    if !summary.pending_reboot {
        for rec in set.records() {
            if let Err(e) = snapshot::release(&rebase(rec, ws.root())) {
                run.warn(format!(
                    "the snapshot store {} was not released: {e}",
                    rec.id
                ));
            }
        }
        run.state.release_snapshots();
    }
    let _ = fs::remove_file(ws.package_dirs_path());
    // A snapshot taken in the upgrade environment holds /boot as staged (leapfrog's entry,
    // selected once): the restored system must not boot into it again.
    if let Ok(Some(_)) = crate::boot::Staged::load(ws)
        && let Err(e) = crate::boot::unstage(ws, true, true)
    {
        run.warn(format!("cannot remove leapfrog's upgrade boot entry: {e}"));
    }
    run.enter(
        Transition::RolledBack,
        &format!(
            "restored: {} paths removed, {} written back{}",
            summary.removed,
            summary.restored,
            if summary.pending_reboot {
                "; the LVM merge completes at the next boot"
            } else {
                ""
            }
        ),
        Save::Required,
    )?;
    if summary.pending_reboot {
        keep_for_merge(run);
    }
    Ok(summary)
}

/// A scheduled LVM merge brings back the state and logs of the snapshot's moment: keep this
/// rollback's on /boot for [`merge_keep::reconcile`].
fn keep_for_merge(run: &Run<'_>) {
    run.step(
        "keep-for-merge",
        format!(
            "the state and logs of this rollback are kept in {} until the merge has completed",
            run.ws.merge_keep_dir().display()
        ),
    );
    run.sink.sync();
    match merge_keep::keep(run.ws) {
        Ok(true) => {}
        Ok(false) => run.warn(format!(
            "/boot is on the root volume, so the merge also takes leapfrog's state and logs back to the moment of the snapshot: after the reboot `leapfrog status` shows phase planned, and this log is in {} only until then",
            run.ws.log_dir().display()
        )),
        Err(e) => run.warn(format!(
            "cannot keep the state and logs of this rollback on /boot ({}): after the merge `leapfrog status` shows the state of the moment of the snapshot",
            chain(&e)
        )),
    }
}

/// Puts back the state and logs an LVM rollback kept on /boot, once the merge has happened.
pub(crate) fn reconcile_merge(ws: &Workspace) -> Result<(), ExecError> {
    merge_keep::reconcile(ws).map(drop).map_err(ExecError::Kept)
}

/// Removes the temporary files rpm leaves when it dies or fails while unpacking
/// (`NAME;6a3f09c1`) in the directories that receive package files, and its scriptlet files
/// (`/var/tmp/rpm-tmp.*`) created since the snapshot (`since`): the journal does not know them.
fn remove_rpm_temporaries(ws: &Workspace, since: Option<std::time::SystemTime>) {
    if let (Some(since), Ok(entries)) = (since, fs::read_dir(ws.in_root("var/tmp"))) {
        // the snapshot time has a one-second resolution
        let since = since - std::time::Duration::from_secs(1);
        for e in entries.flatten() {
            let new = e
                .metadata()
                .and_then(|m| m.modified())
                .is_ok_and(|t| t >= since);
            if new && e.file_name().to_string_lossy().starts_with("rpm-tmp.") {
                tracing::info!("removing rpm's scriptlet file {}", e.path().display());
                let _ = fs::remove_file(e.path());
            }
        }
    }
    let Ok(bytes) = fs::read(ws.package_dirs_path()) else {
        return;
    };
    let Ok(dirs) = serde_json::from_slice::<Vec<String>>(&bytes) else {
        return;
    };
    for d in dirs {
        let Ok(entries) = fs::read_dir(ws.in_root(&d)) else {
            continue;
        };
        for e in entries.flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            if is_rpm_temporary(&name) {
                tracing::info!("removing rpm's temporary file {}", e.path().display());
                let _ = fs::remove_file(e.path());
            }
        }
    }
}

fn is_no_space(e: &SnapshotError) -> bool {
    match e {
        SnapshotError::NoSpace { .. } => true,
        SnapshotError::Io { source, .. } => matches!(source.raw_os_error(), Some(28 | 122)),
        _ => false,
    }
}

/// `rec` with its root and store moved onto `root`: a snapshot taken with the root mounted at
/// `/sysroot` (the upgrade initramfs) is restored from the booted system, where it is `/`.
pub fn rebase(rec: &Record, root: &Path) -> Record {
    let mut r = rec.clone();
    if r.root != root {
        if let Ok(rel) = rec.store.strip_prefix(&rec.root) {
            r.store = root.join(rel);
        }
        r.root = root.to_path_buf();
    }
    r
}

/// rpm's temporary name of a file being unpacked: the name, `;` and 8 hex digits.
pub fn is_rpm_temporary(name: &str) -> bool {
    match name.rsplit_once(';') {
        Some((base, suffix)) => {
            !base.is_empty() && suffix.len() == 8 && suffix.bytes().all(|b| b.is_ascii_hexdigit())
        }
        None => false,
    }
}

/// `leapfrog rollback`: restores the pre-upgrade state after a done, failed or interrupted run.
///
/// # Errors
///
/// No state, a committed upgrade, a run without snapshot, an unreadable state (a snapshot
/// record that cannot be read stops here, naming the file), or a failing restore.
pub fn rollback(ws: &Workspace, sink: &Sink) -> Result<RollbackReport, ExecError> {
    let _lock = RunLock::acquire(ws)?;
    reconcile_merge(ws)?;
    let log = sink.log_to(&ws.apply_log_path()).ok();
    let state = State::load(ws)?.ok_or_else(|| {
        ExecError::Refused("nothing to roll back: no upgrade has been applied to this root".into())
    })?;
    let started = Instant::now();
    let from = state.name();
    if let Some(at) = state.phase.committed() {
        return Err(ExecError::Refused(format!(
            "the upgrade was committed at {at}: its snapshot is released and it cannot be rolled back"
        )));
    }
    let backend = state.phase.snapshots().map(|s| s.backend);
    if state.phase.snapshots().is_some_and(|s| s.main.is_none()) && from != PhaseName::RolledBack {
        return Err(ExecError::Refused(
            "this upgrade ran with --snapshot none: there is no snapshot, so it cannot be rolled back"
                .into(),
        ));
    }
    if from == PhaseName::RolledBack {
        return Ok(RollbackReport {
            from,
            phase: from,
            already: true,
            rollback: None,
            backend,
            seconds: 0.0,
            log,
        });
    }
    let mut run = Run {
        ws,
        sink,
        report: ApplyReport::new(Outcome::RolledBack, &state, Some(from), log.clone()),
        state,
    };
    let (cause, requested) = match from {
        PhaseName::Done => ("rollback requested by the operator".to_string(), true),
        PhaseName::Failed | PhaseName::RollingBack => (
            run.state
                .phase
                .error()
                .unwrap_or("an earlier run failed")
                .to_string(),
            false,
        ),
        p => {
            let cause = format!("rollback requested while a run was interrupted in phase {p}");
            run.enter(Transition::Failed(cause.clone()), &cause, Save::Required)?;
            (cause, false)
        }
    };
    run.step("rollback", cause.clone());
    let summary = roll_back(&mut run, &cause, requested)?;
    sink.sync();
    Ok(RollbackReport {
        from,
        phase: run.state.name(),
        already: false,
        rollback: Some(summary),
        backend,
        seconds: started.elapsed().as_secs_f64(),
        log,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::snapshot::SnapshotBackend;

    #[test]
    fn rpm_temporaries_are_recognised() {
        assert!(is_rpm_temporary("bash;6a3f09c1"));
        assert!(is_rpm_temporary("libc.so.6;ABCDEF01"));
        assert!(!is_rpm_temporary("bash"));
        assert!(!is_rpm_temporary(";6a3f09c1"));
        assert!(!is_rpm_temporary("a;6a3f09c"));
        assert!(!is_rpm_temporary("a;6a3f09cz"));
    }

    #[test]
    fn records_are_rebased_onto_the_current_root() {
        let rec = Record {
            backend: SnapshotBackend::Copy,
            id: "snapshot".into(),
            store: "/sysroot/var/lib/leapfrog/snapshot".into(),
            root: "/sysroot".into(),
            created: String::new(),
            entries: 1,
            bytes: 1,
            lvm: None,
        };
        let r = rebase(&rec, Path::new("/"));
        assert_eq!(r.store, Path::new("/var/lib/leapfrog/snapshot"));
        assert_eq!(r.root, Path::new("/"));
        assert_eq!(rebase(&rec, Path::new("/sysroot")), rec);
    }

    #[test]
    fn rollback_without_state_is_refused() {
        let d = tempfile::tempdir().unwrap();
        let ws = Workspace::open(d.path()).unwrap();
        let e = rollback(&ws, &Sink::discard()).unwrap_err();
        assert!(e.to_string().contains("nothing to roll back"), "{e}");
    }

    #[test]
    fn an_unreadable_snapshot_record_stops_the_rollback_naming_the_file() {
        let d = tempfile::tempdir().unwrap();
        let ws = Workspace::open(d.path()).unwrap();
        std::fs::create_dir_all(ws.state_dir()).unwrap();
        std::fs::write(
            ws.state_path(),
            r#"{"schema":"leapfrog-state/2","plan_id":"sha256:p","phase":"applying","snapshots":{"backend":"copy","why":"x","main":{"backend":"copy"},"boot":null}}"#,
        )
        .unwrap();
        let e = rollback(&ws, &Sink::discard()).unwrap_err();
        let msg = chain(&e);
        assert!(
            msg.contains(&format!(
                "{} is not a valid executor state",
                ws.state_path().display()
            )),
            "{msg}"
        );
        assert!(!msg.contains("nothing had been changed"), "{msg}");
    }
}
