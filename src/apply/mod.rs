//! The executor (`leapfrog apply`, `leapfrog rollback`, `leapfrog commit`): [`executor`] drives
//! the persistent state machine ([`state`]) under the run lock ([`lock`]): re-verification and
//! the stale-plan check ([`stale`]), the snapshot (`crate::snapshot`, scope from [`scope`]), the
//! RPM transaction, the post-steps ([`post`]), the verification ([`verify`]) and the rollback.
//! [`progress`] carries what it reports; failpoints (`leapfrog_base::failpoints`) let tests kill
//! it at every destructive step. See `docs/executor.md`.

pub mod executor;
pub mod lock;
pub mod merge_keep;
pub mod offline;
pub mod post;
pub mod progress;
pub mod scope;
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
