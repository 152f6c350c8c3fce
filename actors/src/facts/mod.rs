//! Facts about a root: what is installed and configured in the system leapfrog would upgrade.
//!
//! Three kinds of modules live here:
//!
//! - **readers** ([`kernels`], [`kv`], [`os_release`], [`repos`], [`rootfs`], [`rpmdb`]): each
//!   reads one concern from a root through [`rootfs::RootFs`] (which resolves symlinks inside the
//!   root, never on the host) and reports failures with its own `thiserror` type. Problems that do
//!   not prevent taking an inventory (an unreadable repository file, an invalid option value) are
//!   collected as [`ReadProblem`]s instead of failing the whole read. `leapfrog inventory` and the
//!   planner use them directly;
//! - **parsers** of text formats that several parts of leapfrog read: [`fstab`] and
//!   [`mountinfo`], the only parsers of these formats in the workspace;
//! - **fact types**, one module per slot of [`crate::model::Facts`] and named like the scanner
//!   that fills it (`scanners/storage.rs` fills [`storage::StorageFacts`]): what checks read.
//!   Scanners hold only the scanning code; checks import these types from here.

use std::fmt;

use serde::{Deserialize, Serialize};

pub mod boot;
pub mod config;
pub mod fstab;
pub mod grub_cfg;
pub mod hardware;
pub mod kernels;
pub mod kv;
pub mod mountinfo;
pub mod network;
pub mod os_release;
pub mod pkgmgr;
pub mod release;
pub mod repos;
pub mod repositories;
pub mod rootfs;
pub mod rpm;
pub mod rpmdb;
pub mod security;
pub mod storage;
pub mod system;

/// A non-fatal problem found while reading a root.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReadProblem {
    /// What it is about: usually a path inside the root.
    pub source: String,
    /// What is wrong.
    pub message: String,
}

impl ReadProblem {
    /// A problem about `source`.
    pub fn new(source: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            source: source.into(),
            message: message.into(),
        }
    }
}

impl fmt::Display for ReadProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.source, self.message)
    }
}
