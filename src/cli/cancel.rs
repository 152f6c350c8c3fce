//! `leapfrog cancel`: before the reboot, remove everything `leapfrog upgrade` staged (the boot
//! entry and its one-shot selection, the upgrade kernel and initramfs) and, with
//! `--downloads`, the downloaded packages.

use std::io::Write as _;

use anyhow::{Context as _, bail};
use clap::Args;

use super::GlobalArgs;
use crate::apply::state::{Phase, State};
use crate::boot;
use crate::exit::ExitCode;

/// Options of `leapfrog cancel`.
#[derive(Debug, Clone, Args)]
pub struct CancelArgs {
    /// Also remove the downloaded packages (/var/lib/leapfrog/packages) and the download record
    #[arg(long)]
    pub downloads: bool,
}

/// Runs `leapfrog cancel`.
///
/// # Errors
///
/// When an upgrade run has already started (use `rollback`), or files cannot be removed.
pub fn run(global: &GlobalArgs, args: &CancelArgs) -> anyhow::Result<ExitCode> {
    let root = &global.root;
    crate::apply::merge_keep::reconcile_if_idle(root)
        .context("cannot put back the state an LVM rollback kept on /boot")?;
    if let Some(state) = State::load(root)?
        && state.committed.is_none()
        && !matches!(state.phase, Phase::Planned | Phase::RolledBack)
    {
        bail!(
            "an upgrade run has already started on {} (phase {}): cancel only undoes what `leapfrog upgrade` staged before the reboot; use `leapfrog rollback`",
            root.display(),
            state.phase
        );
    }
    let staged = boot::unstage(root, true, false).context("cannot remove the staged upgrade")?;
    let mut removed_downloads = false;
    if args.downloads {
        let dir = crate::fetch::packages_dir(root);
        if dir.exists() {
            std::fs::remove_dir_all(&dir)
                .with_context(|| format!("cannot remove {}", dir.display()))?;
            removed_downloads = true;
        }
        let rec = crate::fetch::DownloadRecord::path(root);
        if rec.exists() {
            std::fs::remove_file(&rec)
                .with_context(|| format!("cannot remove {}", rec.display()))?;
        }
    }
    let mut out = std::io::stdout().lock();
    if global.json {
        writeln!(
            out,
            "{}",
            serde_json::json!({
                "cancelled": staged.is_some(),
                "staged": staged,
                "downloads_removed": removed_downloads,
            })
        )
        .context("cannot write")?;
    } else if staged.is_some() {
        writeln!(
            out,
            "Cancelled: the upgrade boot entry, its one-shot selection and the upgrade kernel and initramfs are removed{}.",
            if removed_downloads { ", and the downloaded packages" } else { "" }
        )
        .context("cannot write")?;
    } else {
        writeln!(
            out,
            "Nothing was staged{}.",
            if removed_downloads {
                "; the downloaded packages are removed"
            } else {
                ""
            }
        )
        .context("cannot write")?;
    }
    Ok(ExitCode::Ok)
}
