//! Where an rpm database lives inside a root and in which format: plain data, below everything
//! that calls librpm.

use std::fmt;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// The on-disk format of an rpm database, i.e. the value of rpm's `%_db_backend`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum DbBackend {
    /// `rpmdb.sqlite` (EL9 and later).
    #[serde(rename = "sqlite")]
    Sqlite,
    /// A BerkeleyDB `Packages` file (EL7, EL8), read with rpm's read-only `bdb_ro` backend.
    #[serde(rename = "bdb_ro")]
    BdbReadOnly,
}

impl DbBackend {
    /// The value of `%_db_backend` selecting this backend.
    pub fn macro_value(self) -> &'static str {
        match self {
            DbBackend::Sqlite => "sqlite",
            DbBackend::BdbReadOnly => "bdb_ro",
        }
    }

    /// The file, inside the database directory, that holds the package headers.
    pub fn packages_file(self) -> &'static str {
        match self {
            DbBackend::Sqlite => "rpmdb.sqlite",
            DbBackend::BdbReadOnly => "Packages",
        }
    }
}

impl fmt::Display for DbBackend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.macro_value())
    }
}

/// Where an rpm database lives inside a root, and in which format.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct DbLocation {
    /// The database directory as seen from inside the root (rpm's `%_dbpath`), e.g.
    /// `/var/lib/rpm` (EL7-9) or `/usr/lib/sysimage/rpm` (EL10).
    pub dbpath: String,
    /// The database format.
    pub backend: DbBackend,
}

impl DbLocation {
    /// A location from a `%_dbpath` and a backend.
    pub fn new(dbpath: impl Into<String>, backend: DbBackend) -> Self {
        Self {
            dbpath: dbpath.into(),
            backend,
        }
    }

    /// The host path of the file holding the package headers when the database is under `root`.
    pub fn packages_file(&self, root: &Path) -> PathBuf {
        root.join(self.dbpath.trim_start_matches('/'))
            .join(self.backend.packages_file())
    }

    /// Why `dbpath` cannot be used as rpm's `%_dbpath`, if it cannot: it must be absolute and
    /// contain neither rpm macros nor `..` (a NUL byte is refused when it becomes a C string).
    pub(crate) fn dbpath_problem(&self) -> Option<&'static str> {
        if !self.dbpath.starts_with('/') {
            Some("it must be absolute")
        } else if self.dbpath.contains('%') {
            Some("it must not contain rpm macros ('%')")
        } else if self.dbpath.split('/').any(|part| part == "..") {
            Some("it must not contain '..'")
        } else {
            None
        }
    }
}
