//! Where a root keeps its rpm database, and in which format.
//!
//! EL7-EL9 keep it in `/var/lib/rpm`, EL10 in `/usr/lib/sysimage/rpm`; EL9 and later use sqlite
//! (`rpmdb.sqlite`), EL7 and EL8 BerkeleyDB (`Packages`, read with rpm's `bdb_ro` backend).
//! A `%_dbpath` the root's own rpm configuration sets is tried first when it is a plain path.

use std::io;
use std::path::{Path, PathBuf};

use rpm_sys::{DbBackend, DbLocation};
use serde::{Deserialize, Serialize};

use super::rootfs::RootFs;

/// The conventional database directories, in the order they are probed.
pub const STANDARD_DBPATHS: [&str; 2] = ["/usr/lib/sysimage/rpm", "/var/lib/rpm"];

/// A located rpm database.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RpmDbInfo {
    /// The database directory inside the root, as configured or probed (e.g. `/var/lib/rpm`).
    pub dbpath: String,
    /// Where `dbpath` really is inside the root once symlinks are followed (what librpm is
    /// given); equal to `dbpath` when no symlink is involved.
    pub resolved_dbpath: String,
    /// The database format.
    pub backend: DbBackend,
    /// The file holding the package headers, inside the root.
    pub packages_file: String,
    /// The `%_dbpath` the root's rpm configuration sets, when it is a plain path, and the file
    /// setting it.
    pub configured: Option<ConfiguredDbPath>,
}

impl RpmDbInfo {
    /// The location to hand to [`rpm_sys::RpmDatabase::open`].
    pub fn location(&self) -> DbLocation {
        DbLocation::new(self.resolved_dbpath.clone(), self.backend)
    }
}

/// A `%_dbpath` definition found in the root's rpm macro files.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConfiguredDbPath {
    /// The (expanded) value.
    pub dbpath: String,
    /// The macro file (inside the root) with the last definition.
    pub file: String,
}

/// No rpm database could be located.
#[derive(Debug, thiserror::Error)]
pub enum RpmDbError {
    /// None of the candidate files exists.
    #[error(
        "no rpm database found in root {}: none of {} exists",
        root.display(),
        looked_for.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(", ")
    )]
    NotFound {
        /// The root.
        root: PathBuf,
        /// The host paths that were tried.
        looked_for: Vec<PathBuf>,
    },
    /// A candidate path could not be examined.
    #[error("cannot examine {} in root {}", path, root.display())]
    Io {
        /// The root.
        root: PathBuf,
        /// The path inside the root.
        path: String,
        /// The I/O error.
        #[source]
        source: io::Error,
    },
}

/// Locates the rpm database of `root`.
///
/// Candidates, first found wins: the `%_dbpath` configured in the root (if it is a plain path),
/// then `/usr/lib/sysimage/rpm`, then `/var/lib/rpm`; in each directory `rpmdb.sqlite` (sqlite)
/// before `Packages` (BerkeleyDB).
///
/// # Errors
///
/// [`RpmDbError::NotFound`] naming every file tried, or an I/O error resolving a candidate.
pub fn detect(root: &RootFs) -> Result<RpmDbInfo, RpmDbError> {
    let configured = configured_dbpath(root);
    let mut candidates: Vec<String> = Vec::new();
    if let Some(configured) = &configured {
        candidates.push(configured.dbpath.clone());
    }
    for standard in STANDARD_DBPATHS {
        if !candidates.iter().any(|c| c == standard) {
            candidates.push(standard.to_owned());
        }
    }

    let mut looked_for = Vec::new();
    for dbpath in candidates {
        let resolved = root.resolve(&dbpath).map_err(|source| RpmDbError::Io {
            root: root.path().to_path_buf(),
            path: dbpath.clone(),
            source,
        })?;
        for backend in [DbBackend::Sqlite, DbBackend::BdbReadOnly] {
            let file = resolved.join(backend.packages_file());
            looked_for.push(root.host_path(Path::new(&dbpath).join(backend.packages_file())));
            if root.is_file(&file) {
                if let Some(configured) = configured.as_ref().filter(|c| c.dbpath != dbpath) {
                    tracing::warn!(
                        configured = %configured.dbpath,
                        file = %configured.file,
                        found = %dbpath,
                        "the root's rpm configuration sets a %_dbpath without a database; using the database found elsewhere"
                    );
                }
                return Ok(RpmDbInfo {
                    resolved_dbpath: resolved.to_string_lossy().into_owned(),
                    dbpath,
                    backend,
                    packages_file: file.to_string_lossy().into_owned(),
                    configured,
                });
            }
        }
    }
    Err(RpmDbError::NotFound {
        root: root.path().to_path_buf(),
        looked_for,
    })
}

/// The last plain `%_dbpath` definition in the root's macro files, read in rpm's order:
/// `/usr/lib/rpm/macros`, `/usr/lib/rpm/macros.d/macros.*`, `/etc/rpm/macros.*`,
/// `/etc/rpm/macros`. A value using other macros than a few well-known directory macros is
/// ignored (it cannot be evaluated without rpm), as are unreadable files.
pub fn configured_dbpath(root: &RootFs) -> Option<ConfiguredDbPath> {
    let mut files = vec![PathBuf::from("/usr/lib/rpm/macros")];
    let list = |dir: &str| {
        root.files_in(dir, |name| name.starts_with("macros."))
            .unwrap_or_else(|err| {
                tracing::debug!(dir, %err, "cannot list rpm macro files");
                Vec::new()
            })
    };
    files.extend(list("/usr/lib/rpm/macros.d"));
    files.extend(list("/etc/rpm"));
    files.push(PathBuf::from("/etc/rpm/macros"));

    let mut found = None;
    for file in files {
        let Ok(Some(bytes)) = root.read_optional(&file) else {
            continue;
        };
        let text = String::from_utf8_lossy(&bytes);
        if let Some(dbpath) = find_dbpath_definition(&text) {
            found = Some(ConfiguredDbPath {
                dbpath,
                file: file.to_string_lossy().into_owned(),
            });
        }
    }
    found
}

/// The value of the last usable `%_dbpath` definition in a macro file.
fn find_dbpath_definition(text: &str) -> Option<String> {
    let mut found = None;
    for line in text.lines() {
        let Some(rest) = line.trim_start().strip_prefix("%_dbpath") else {
            continue;
        };
        if !rest.starts_with([' ', '\t']) {
            continue; // e.g. %_dbpath_rebuild
        }
        let value = rest.trim();
        if value.ends_with('\\') {
            continue; // multi-line definition
        }
        let expanded = expand_directory_macros(value);
        if expanded.starts_with('/')
            && !expanded.contains('%')
            && !expanded.contains(char::is_whitespace)
        {
            found = Some(expanded.trim_end_matches('/').to_owned()).filter(|v| !v.is_empty());
        }
    }
    found
}

fn expand_directory_macros(value: &str) -> String {
    const KNOWN: [(&str, &str); 6] = [
        ("%{_var}", "/var"),
        ("%{_usr}", "/usr"),
        ("%{_prefix}", "/usr"),
        ("%{_localstatedir}", "/var"),
        ("%{_sharedstatedir}", "/var/lib"),
        ("%{_libdir}", "/usr/lib64"),
    ];
    KNOWN
        .iter()
        .fold(value.to_owned(), |acc, (name, dir)| acc.replace(name, dir))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    fn root_with(files: &[&str]) -> (tempfile::TempDir, RootFs) {
        let dir = tempfile::tempdir().unwrap();
        for file in files {
            let path = dir.path().join(file);
            fs::create_dir_all(path.parent().unwrap()).unwrap();
            fs::write(path, "").unwrap();
        }
        let root = RootFs::new(dir.path()).unwrap();
        (dir, root)
    }

    #[test]
    fn probes_standard_locations_in_order() {
        let (_d, root) = root_with(&["var/lib/rpm/Packages"]);
        let info = detect(&root).unwrap();
        assert_eq!(
            (info.dbpath.as_str(), info.backend),
            ("/var/lib/rpm", DbBackend::BdbReadOnly)
        );

        let (_d, root) = root_with(&["var/lib/rpm/Packages", "var/lib/rpm/rpmdb.sqlite"]);
        assert_eq!(detect(&root).unwrap().backend, DbBackend::Sqlite);

        let (_d, root) = root_with(&[
            "var/lib/rpm/rpmdb.sqlite",
            "usr/lib/sysimage/rpm/rpmdb.sqlite",
        ]);
        let info = detect(&root).unwrap();
        assert_eq!(info.dbpath, "/usr/lib/sysimage/rpm");
        assert_eq!(
            info.location(),
            DbLocation::new("/usr/lib/sysimage/rpm", DbBackend::Sqlite)
        );
    }

    #[test]
    fn follows_symlinks_inside_the_root() {
        let (dir, root) = root_with(&["usr/lib/sysimage/rpm/rpmdb.sqlite"]);
        fs::create_dir_all(dir.path().join("var/lib")).unwrap();
        // Absolute target: must resolve inside the root, not on the host.
        std::os::unix::fs::symlink("/usr/lib/sysimage/rpm", dir.path().join("var/lib/rpm"))
            .unwrap();
        fs::create_dir_all(dir.path().join("etc/rpm")).unwrap();
        fs::write(
            dir.path().join("etc/rpm/macros.dbpath"),
            "%_dbpath /var/lib/rpm\n",
        )
        .unwrap();
        let info = detect(&root).unwrap();
        assert_eq!(info.dbpath, "/var/lib/rpm");
        assert_eq!(info.resolved_dbpath, "/usr/lib/sysimage/rpm");
        assert_eq!(info.packages_file, "/usr/lib/sysimage/rpm/rpmdb.sqlite");
    }

    #[test]
    fn honours_a_configured_dbpath() {
        let (dir, root) = root_with(&["var/lib/rpm/rpmdb.sqlite", "srv/rpmdb/rpmdb.sqlite"]);
        fs::create_dir_all(dir.path().join("usr/lib/rpm/macros.d")).unwrap();
        fs::write(
            dir.path().join("usr/lib/rpm/macros"),
            "%_dbpath\t\t%{_var}/lib/rpm\n",
        )
        .unwrap();
        fs::write(
            dir.path().join("usr/lib/rpm/macros.d/macros.custom"),
            "%_dbpath_rebuild /x\n%_dbpath /srv/rpmdb/\n",
        )
        .unwrap();
        let info = detect(&root).unwrap();
        assert_eq!(info.dbpath, "/srv/rpmdb");
        let configured = info.configured.unwrap();
        assert_eq!(configured.file, "/usr/lib/rpm/macros.d/macros.custom");

        // Definitions that need rpm to evaluate are ignored.
        fs::write(
            dir.path().join("usr/lib/rpm/macros.d/macros.custom"),
            "%_dbpath %{lua: print('/srv/rpmdb')}\n",
        )
        .unwrap();
        let info = detect(&root).unwrap();
        assert_eq!(info.dbpath, "/var/lib/rpm");
        assert_eq!(info.configured.unwrap().file, "/usr/lib/rpm/macros");
    }

    #[test]
    fn no_database_is_a_clear_error() {
        let (dir, root) = root_with(&["var/lib/rpm/Name"]);
        let err = detect(&root).unwrap_err();
        let message = err.to_string();
        assert!(
            message.contains(&*dir.path().canonicalize().unwrap().to_string_lossy()),
            "{message}"
        );
        assert!(message.contains("var/lib/rpm/Packages"), "{message}");
        assert!(
            message.contains("usr/lib/sysimage/rpm/rpmdb.sqlite"),
            "{message}"
        );
    }

    #[test]
    fn dbpath_definitions() {
        assert_eq!(
            find_dbpath_definition("%_dbpath /a\n%_dbpath /b\n").as_deref(),
            Some("/b")
        );
        assert_eq!(find_dbpath_definition("%_dbpath relative\n"), None);
        assert_eq!(find_dbpath_definition("%_dbpath /a \\\n  /b\n"), None);
        assert_eq!(
            find_dbpath_definition("%_dbpath %{_usr}/lib/sysimage/rpm").as_deref(),
            Some("/usr/lib/sysimage/rpm")
        );
        assert_eq!(find_dbpath_definition("%_dbpath /\n"), None);
        assert_eq!(find_dbpath_definition("#%_dbpath /a\n"), None);
    }
}
