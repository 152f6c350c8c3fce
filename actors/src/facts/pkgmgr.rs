//! Package-manager facts ([`crate::model::Facts::package_manager`], filled by
//! `package_manager_scanner`): dnf module states, unfinished transactions, version locks and
//! installonly packages.

use serde::Serialize;

/// A module's state in `/etc/dnf/modules.d`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ModuleState {
    /// Module name.
    pub name: String,
    /// Stream.
    pub stream: Option<String>,
    /// `enabled`, `disabled`, ...
    pub state: Option<String>,
}

/// Package-manager state.
#[derive(Debug, Clone, Default, Serialize)]
pub struct PackageManagerFacts {
    /// Module states.
    pub modules: Vec<ModuleState>,
    /// Files of unfinished yum transactions (`/var/lib/yum/transaction-all.*`).
    pub unfinished_transactions: Vec<String>,
    /// Version-lock entries (yum and dnf plugins; `!` marks an exclude entry).
    pub versionlocks: Vec<String>,
    /// The lock-list files that hold those entries.
    pub versionlock_files: Vec<String>,
    /// Extra installonly package names or capabilities set with `installonlypkgs` in
    /// `/etc/yum.conf` or `/etc/dnf/dnf.conf` (empty when not set).
    pub installonlypkgs: Vec<String>,
}
