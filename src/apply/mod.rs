//! Foundations of the executor (`leapfrog apply` / `leapfrog rollback`, not wired to verbs
//! yet): the persistent state machine, the run lock, failpoints, the stale-plan check, the
//! post-steps after the RPM transaction and the verification of the upgraded root.
//! See `docs/executor.md`.

pub mod failpoints;
pub mod lock;
pub mod post;
pub mod stale;
pub mod state;
pub mod verify;

use std::path::{Path, PathBuf};

/// The directory, inside the root, holding leapfrog's state, lock, plan and packages.
pub const STATE_DIR: &str = "var/lib/leapfrog";

/// `<root>/var/lib/leapfrog`.
pub fn state_dir(root: &Path) -> PathBuf {
    root.join(STATE_DIR)
}
