//! `var/lib/leapfrog/staged.json`: what `leapfrog upgrade` staged for the reboot, so that
//! `leapfrog cancel` removes exactly that and `leapfrog offline` counts its attempts.

use serde::{Deserialize, Serialize};

use super::layout::{BootLayout, BootSetup};
use crate::workspace::Workspace;

/// The schema identifier of the record.
pub const SCHEMA: &str = "leapfrog-staged/1";

/// What `leapfrog upgrade` staged.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Staged {
    /// [`SCHEMA`].
    pub schema: String,
    /// The plan it upgrades to ([`crate::plan::PlanDocument::plan_id`]).
    pub plan_id: String,
    /// When it was staged.
    pub created: String,
    /// Kernel version of the upgrade environment.
    pub kver: String,
    /// The kernel image, inside the root.
    pub kernel: String,
    /// The initramfs, inside the root.
    pub initramfs: String,
    /// Where the entry is, inside the root: the BLS entry file, or the `grub.cfg` holding
    /// leapfrog's block ([`Staged::boot`] tells which).
    pub entry: String,
    /// The entry's kernel command line.
    pub options: String,
    /// The snapshot backend `offline` passes to apply (`auto`, `btrfs`, ...).
    pub snapshot: String,
    /// `--snapshot none` was acknowledged.
    #[serde(default)]
    pub accept_no_rollback: bool,
    /// `next_entry` of grubenv before staging, restored by cancel.
    #[serde(default)]
    pub previous_next_entry: Option<String>,
    /// Boots of the upgrade environment so far.
    #[serde(default)]
    pub attempts: u32,
    /// When the offline stage finished (done or rolled back).
    #[serde(default)]
    pub finished: Option<String>,
    /// The boot layout the entry was written for: BLS or a `grub.cfg`, the firmware, and the
    /// grubenv holding `next_entry` (records of older versions: none, meaning BLS and
    /// `/boot/grub2/grubenv`).
    #[serde(default)]
    pub boot: Option<BootSetup>,
}

crate::json_document!(
    Staged,
    "staging record",
    SCHEMA,
    Workspace::staged_path,
    hint = "written by `leapfrog upgrade`"
);

impl Staged {
    /// The entry for people: `BLS entry /boot/loader/entries/leapfrog-upgrade.conf` or `menu
    /// entry leapfrog-upgrade in /boot/grub2/grub.cfg`, and the grubenv selecting it.
    pub fn entry_description(&self) -> String {
        let entry = match self.boot.as_ref().map(|b| &b.layout) {
            Some(BootLayout::GrubCfg { path }) => {
                format!("menu entry {} in {path}", crate::workspace::ENTRY_ID)
            }
            Some(BootLayout::Bls) | None => format!("BLS entry {}", self.entry),
        };
        match &self.boot {
            Some(b) => format!("{entry}, selected once in {}", b.grubenv),
            None => entry,
        }
    }

    /// Whether the staged files are still in place and the offline stage has not finished.
    pub fn pending_in(&self, ws: &Workspace) -> bool {
        let entry = match self.boot.as_ref().map(|b| &b.layout) {
            Some(BootLayout::GrubCfg { .. }) => super::layout::resolve(ws, &self.entry)
                .ok()
                .and_then(|f| std::fs::read_to_string(f).ok())
                .is_some_and(|t| super::grub_cfg::contains(&t)),
            Some(BootLayout::Bls) | None => ws.in_root(&self.entry).is_file(),
        };
        self.finished.is_none() && entry && ws.in_root(&self.initramfs).is_file()
    }
}
