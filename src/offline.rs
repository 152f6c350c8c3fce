//! `leapfrog offline`: what the upgrade initramfs runs with `--root /sysroot`. It mounts the
//! other filesystems of the root's fstab, re-selects the upgrade entry for the next boot (so a
//! power cut comes back here, at most [`boot::MAX_ATTEMPTS`] times), runs the executor (apply,
//! or rollback once the attempts are used up), then removes the one-shot entry, installs the
//! first-boot service of an upgraded system, and unmounts. The hook reboots afterwards.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use leapfrog_actors::facts::fstab;
use serde::Serialize;

use crate::apply::progress::{Event, Sink};
use crate::apply::{self, ApplyOptions, ExecError, Outcome, SnapshotChoice};
use crate::boot::{self, BootError, Staged};
use crate::document::{Document as _, DocumentError};
use crate::snapshot::SnapshotBackend;
use crate::workspace::Workspace;

/// Errors of the offline stage.
#[derive(Debug, thiserror::Error)]
pub enum OfflineError {
    /// Boot files, grubenv.
    #[error(transparent)]
    Boot(#[from] BootError),
    /// The staging record.
    #[error(transparent)]
    Record(#[from] DocumentError),
    /// The executor.
    #[error(transparent)]
    Exec(#[from] ExecError),
    /// Nothing is staged.
    #[error("nothing is staged on {0}: run `leapfrog upgrade` first")]
    NotStaged(PathBuf),
    /// A filesystem of the root's fstab cannot be mounted.
    #[error("cannot mount {what} on {}: {detail}", mountpoint.display())]
    Mount {
        /// Source.
        what: String,
        /// Where.
        mountpoint: PathBuf,
        /// Why.
        detail: String,
    },
}

/// What the offline stage did.
#[derive(Debug, Clone, Serialize)]
pub struct OfflineReport {
    /// `done`, `already-done` or `rolled-back`.
    pub outcome: Outcome,
    /// Boots of the upgrade environment, this one included.
    pub attempt: u32,
    /// Filesystems mounted from fstab (and unmounted again).
    pub mounted: Vec<String>,
    /// The cause, when it rolled back.
    pub failure: Option<String>,
}

/// Mount points of the root's fstab that the transaction may write to and that are not yet
/// mounted: local filesystems other than `/`, swap, `noauto` and pseudo filesystems.
fn fstab_mounts(ws: &Workspace) -> Vec<(String, String, String, String)> {
    let Ok(text) = fs::read_to_string(ws.in_root("etc/fstab")) else {
        return Vec::new();
    };
    let skip_types = [
        "swap", "proc", "sysfs", "tmpfs", "devpts", "nfs", "nfs4", "cifs", "smb3", "none",
    ];
    let mut out: Vec<_> = fstab::parse(&text)
        .entries
        .into_iter()
        .filter(|e| e.target != "/" && e.target.starts_with('/'))
        .filter(|e| !skip_types.contains(&e.fstype.as_str()))
        .filter(|e| !e.options.iter().any(|o| o == "noauto" || o == "_netdev"))
        .map(|e| {
            let opts = if e.options.is_empty() {
                "defaults".to_string()
            } else {
                e.options.join(",")
            };
            (e.source, e.target, e.fstype, opts)
        })
        .collect();
    // parents before children (/boot before /boot/efi)
    out.sort_by(|a, b| a.1.cmp(&b.1));
    out
}

fn is_mountpoint(p: &Path) -> bool {
    Command::new("findmnt")
        .arg("-M")
        .arg(p)
        .output()
        .is_ok_and(|o| o.status.success() && !o.stdout.is_empty())
}

fn mount_extras(ws: &Workspace, sink: &Sink) -> Result<Vec<PathBuf>, OfflineError> {
    let mut mounted = Vec::new();
    for (src, mp, ty, opts) in fstab_mounts(ws) {
        let target = ws.in_root(&mp);
        if !target.is_dir() || is_mountpoint(&target) {
            continue;
        }
        let opts: Vec<&str> = opts
            .split(',')
            .filter(|o| {
                !matches!(
                    *o,
                    "defaults" | "ro" | "noauto" | "nofail" | "x-systemd.automount"
                )
            })
            .collect();
        let mut cmd = Command::new("mount");
        cmd.args(["-t", &ty]);
        if !opts.is_empty() {
            cmd.args(["-o", &opts.join(",")]);
        }
        cmd.arg(&src).arg(&target);
        let out = cmd.output().map_err(|e| OfflineError::Mount {
            what: src.clone(),
            mountpoint: target.clone(),
            detail: e.to_string(),
        })?;
        if !out.status.success() {
            for m in mounted.iter().rev() {
                let _ = Command::new("umount").arg(m).status();
            }
            return Err(OfflineError::Mount {
                what: src,
                mountpoint: target,
                detail: String::from_utf8_lossy(&out.stderr).trim().to_string(),
            });
        }
        sink.emit(Event::Step {
            step: "mount".into(),
            message: format!("{src} on {} ({ty})", target.display()),
        });
        mounted.push(target);
    }
    Ok(mounted)
}

fn unmount(mounted: &[PathBuf]) {
    let _ = Command::new("sync").status();
    for m in mounted.iter().rev() {
        let _ = Command::new("umount").arg(m).status();
    }
}

/// Runs the offline stage on `root` (see the module documentation).
///
/// # Errors
///
/// Nothing staged, an fstab filesystem that cannot be mounted, or an executor error (nothing
/// changed, or a failed rollback: the entry then stays armed so that the next boot retries).
pub fn offline(ws: &Workspace, sink: &Sink) -> Result<OfflineReport, OfflineError> {
    let mut staged =
        Staged::load(ws)?.ok_or_else(|| OfflineError::NotStaged(ws.root().to_path_buf()))?;
    let mounted = mount_extras(ws, sink)?;
    let result = run_staged(ws, &mut staged, sink);
    unmount(&mounted);
    let mut report = result?;
    report.mounted = mounted.iter().map(|m| m.display().to_string()).collect();
    Ok(report)
}

fn run_staged(
    ws: &Workspace,
    staged: &mut Staged,
    sink: &Sink,
) -> Result<OfflineReport, OfflineError> {
    staged.attempts += 1;
    staged.save(ws)?;
    let attempt = staged.attempts;
    let give_up = attempt > boot::MAX_ATTEMPTS;
    if give_up {
        // no more tries through this entry: the next boot is the old default entry
        boot::disarm(ws, staged)?;
    } else {
        // a power cut from here on boots the upgrade environment again
        boot::arm(ws, staged)?;
    }
    sink.emit(Event::Step {
        step: "offline".into(),
        message: format!(
            "upgrade environment boot {attempt} of at most {}{}",
            boot::MAX_ATTEMPTS,
            if give_up {
                ": the earlier boots did not finish, rolling back"
            } else {
                ""
            }
        ),
    });
    let outcome = if give_up {
        match apply::rollback(ws, sink) {
            Ok(_) => (
                Outcome::RolledBack,
                Some(format!(
                    "{} boots of the upgrade environment did not finish",
                    attempt - 1
                )),
            ),
            Err(ExecError::Refused(why)) => {
                // nothing had started: nothing to roll back
                sink.emit(Event::Warning { message: why });
                (Outcome::RolledBack, None)
            }
            Err(e) => return Err(e.into()),
        }
    } else {
        let snapshot = match staged.snapshot.as_str() {
            "auto" => SnapshotChoice::Auto,
            other => SnapshotChoice::Use(
                other
                    .parse::<SnapshotBackend>()
                    .map_err(|e| BootError::Invalid(format!("staged snapshot backend: {e}")))?,
            ),
        };
        let opts = ApplyOptions {
            snapshot,
            accept_no_rollback: staged.accept_no_rollback,
            commit: false,
        };
        match apply::apply(ws, &opts, sink) {
            Ok(r) => (r.outcome, r.failure),
            Err(e @ (ExecError::RollbackFailed { .. } | ExecError::NoRollback { .. })) => {
                // the root is in between: keep the entry armed, the next boot tries again
                return Err(e.into());
            }
            Err(e) => {
                // nothing was changed: boot the old system
                boot::unstage(ws, true, true)?;
                return Err(e.into());
            }
        }
    };
    if matches!(outcome.0, Outcome::Done | Outcome::AlreadyDone) {
        let target = crate::plan::PlanDocument::load(ws)
            .ok()
            .flatten()
            .map(|p| p.target)
            .unwrap_or_default();
        boot::firstboot::install(ws, &target)?;
    }
    boot::unstage(ws, true, true)?;
    Ok(OfflineReport {
        outcome: outcome.0,
        attempt,
        mounted: Vec::new(),
        failure: outcome.1,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fstab_mounts_are_the_local_non_root_ones_parents_first() {
        let d = tempfile::tempdir().unwrap();
        fs::create_dir_all(d.path().join("etc")).unwrap();
        fs::write(
            d.path().join("etc/fstab"),
            "# comment\nUUID=a / xfs defaults 0 0\nUUID=c /boot/efi vfat umask=0077 0 2\nUUID=b /boot xfs defaults 0 0\n/dev/sw none swap defaults 0 0\nsrv:/x /mnt nfs defaults 0 0\nUUID=d /data xfs noauto 0 0\ntmpfs /tmp tmpfs defaults 0 0\nUUID=e /var xfs defaults 0 0\n",
        )
        .unwrap();
        let m: Vec<String> = fstab_mounts(&Workspace::unchecked(d.path()))
            .into_iter()
            .map(|m| m.1)
            .collect();
        assert_eq!(m, ["/boot", "/boot/efi", "/var"]);
    }

    #[test]
    fn offline_without_staging_is_refused() {
        let d = tempfile::tempdir().unwrap();
        let e = offline(&Workspace::unchecked(d.path()), &Sink::discard()).unwrap_err();
        assert!(e.to_string().contains("nothing is staged"), "{e}");
    }
}
