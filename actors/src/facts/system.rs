//! System facts ([`crate::model::Facts::system`], filled by `system_scanner`): control panels,
//! absolute root symlinks, leapp leftovers and database data directories.

use serde::Serialize;

/// Control panels and the paths that identify them.
pub const CONTROL_PANELS: &[(&str, &str)] = &[
    ("cPanel", "/usr/local/cpanel/cpanel"),
    ("Plesk", "/usr/local/psa/version"),
    ("DirectAdmin", "/usr/local/directadmin/directadmin"),
];

/// An initialized database data directory.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct DataDir {
    /// Path inside the root.
    pub path: String,
    /// Version the data was written by, when the directory records it (`PG_VERSION`,
    /// `mysql_upgrade_info`).
    pub version: Option<String>,
}

/// System-wide facts.
#[derive(Debug, Clone, Default, Serialize)]
pub struct SystemFacts {
    /// Control panels found.
    pub control_panels: Vec<String>,
    /// Symlinks directly under `/` whose target is absolute: `(link, target)`.
    pub absolute_root_symlinks: Vec<(String, String)>,
    /// Leftovers of leapp / ELevate (`/var/lib/leapp`, `/etc/leapp`, `/root/tmp_leapp_py3`).
    pub leapp_leftovers: Vec<String>,
    /// `/var/lib/pgsql/data` when it holds an initialized cluster (`PG_VERSION` exists).
    pub postgresql_data: Option<DataDir>,
    /// `/var/lib/mysql` when it holds an initialized server (the `mysql` system database).
    pub mysql_data: Option<DataDir>,
}
