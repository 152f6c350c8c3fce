//! `leapfrog cancel` as a library call: before the reboot, [`cancel`] removes what `upgrade`
//! staged (the boot entry, its one-shot selection, the upgrade kernel and initramfs) and, when
//! asked, the downloaded packages. A run that has started is refused: that is `rollback`'s.

use anyhow::{Context as _, bail};
use serde::Serialize;

use crate::apply::state::{PhaseName, State};
use crate::boot::{self, Staged};
use crate::document::Document as _;
use crate::download::DownloadRecord;
use crate::workspace::Workspace;

/// What [`cancel`] removed.
#[derive(Debug, Clone, Serialize)]
pub struct CancelReport {
    /// Something was staged and is removed.
    pub cancelled: bool,
    /// What was staged.
    pub staged: Option<Staged>,
    /// The downloaded packages and their record are removed.
    pub downloads_removed: bool,
}

/// Cancels the staged upgrade (see the module documentation).
///
/// # Errors
///
/// When a run has started, or the files cannot be removed.
pub fn cancel(ws: &Workspace, downloads: bool) -> anyhow::Result<CancelReport> {
    crate::apply::merge_keep::reconcile_if_idle(ws)
        .context("cannot put back the state an LVM rollback kept on /boot")?;
    if let Some(state) = State::load(ws)?
        && state.phase.committed().is_none()
        && !matches!(state.name(), PhaseName::Planned | PhaseName::RolledBack)
    {
        bail!(
            "an upgrade run has already started on {} (phase {}): cancel only undoes what `leapfrog upgrade` staged before the reboot; use `leapfrog rollback`",
            ws.root().display(),
            state.name()
        );
    }
    let staged = boot::unstage(ws, true, false).context("cannot remove the staged upgrade")?;
    let mut downloads_removed = false;
    if downloads {
        let dir = ws.packages_dir();
        if dir.exists() {
            std::fs::remove_dir_all(&dir)
                .with_context(|| format!("cannot remove {}", dir.display()))?;
            downloads_removed = true;
        }
        DownloadRecord::remove(ws)?;
    }
    Ok(CancelReport {
        cancelled: staged.is_some(),
        staged,
        downloads_removed,
    })
}
