//! `var/lib/leapfrog/staged.json`: what `leapfrog upgrade` staged for the reboot, so that
//! `leapfrog cancel` removes exactly that and `leapfrog offline` counts its attempts.

use serde::{Deserialize, Serialize};

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
    /// The BLS entry file, inside the root.
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
}

crate::json_document!(
    Staged,
    "staging record",
    SCHEMA,
    Workspace::staged_path,
    hint = "written by `leapfrog upgrade`"
);

impl Staged {
    /// Whether the staged files are still in place and the offline stage has not finished.
    pub fn pending_in(&self, ws: &Workspace) -> bool {
        self.finished.is_none()
            && ws.in_root(&self.entry).is_file()
            && ws.in_root(&self.initramfs).is_file()
    }
}
