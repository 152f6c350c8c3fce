//! Scanners: one file per actor, each filling one slot of [`crate::model::Facts`].

use crate::facts::rootfs::RootFs;
use crate::registry::Scanner;

pub mod boot;
pub mod config;
pub mod hardware;
pub mod network;
pub mod pkgmgr;
pub mod release;
pub mod repositories;
pub mod rpm;
pub mod security;
pub mod storage;
pub mod system;

/// Every scanner, in catalogue order.
pub const ALL: &[Scanner] = &[
    release::SCANNER,
    rpm::SCANNER,
    boot::SCANNER,
    repositories::SCANNER,
    storage::SCANNER,
    network::SCANNER,
    security::SCANNER,
    pkgmgr::SCANNER,
    system::SCANNER,
    hardware::SCANNER,
    config::SCANNER,
];

/// Reads a text file inside the root: `Ok(None)` when it does not exist.
pub(crate) fn read_text(root: &RootFs, path: &str) -> Result<Option<String>, String> {
    root.read_optional(path)
        .map(|o| o.map(|b| String::from_utf8_lossy(&b).into_owned()))
        .map_err(|e| format!("reading {path}: {e}"))
}

/// Lists files of a directory inside the root whose names pass `select` (empty when missing).
pub(crate) fn list(
    root: &RootFs,
    dir: &str,
    select: impl Fn(&str) -> bool,
) -> Result<Vec<std::path::PathBuf>, String> {
    root.files_in(dir, select)
        .map_err(|e| format!("listing {dir}: {e}"))
}
