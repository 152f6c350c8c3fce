//! The error type of the safe API.

use std::io;
use std::path::PathBuf;

use crate::location::DbBackend;

/// Everything that can go wrong while reading an rpm database or a package file's header.
///
/// Messages name the root and the database path (or the package file) so that they make sense
/// on their own, and carry the error messages librpm logged while failing (librpm itself prints
/// nothing).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RpmError {
    /// The root directory does not exist or cannot be accessed.
    #[error("cannot access the root directory {root}")]
    Root {
        /// The root as given by the caller.
        root: PathBuf,
        /// Why it could not be accessed.
        #[source]
        source: io::Error,
    },

    /// The root exists but is not a directory.
    #[error("the root {root} is not a directory")]
    RootNotADirectory {
        /// The root, canonicalised.
        root: PathBuf,
    },

    /// The database path is not usable as an rpm `%_dbpath`.
    #[error("invalid rpm database path {dbpath:?}: {reason}")]
    InvalidDbPath {
        /// The database path as given.
        dbpath: String,
        /// What is wrong with it.
        reason: &'static str,
    },

    /// A path handed to librpm contains a NUL byte.
    #[error("path {path} contains a NUL byte and cannot be passed to librpm")]
    NulInPath {
        /// The offending path.
        path: PathBuf,
    },

    /// The database file the backend needs is not there (librpm is never asked to open it: its
    /// sqlite backend would silently create an empty database).
    #[error(
        "no {backend} rpm database at {dbpath} in root {root}: cannot use {file}",
        file = file.display(),
        root = root.display()
    )]
    DatabaseMissing {
        /// The root, canonicalised.
        root: PathBuf,
        /// The database path inside the root.
        dbpath: String,
        /// The backend that was asked for.
        backend: DbBackend,
        /// The file that is missing (a host path).
        file: PathBuf,
        /// Why it cannot be used.
        #[source]
        source: io::Error,
    },

    /// No usable librpm: none found, too old, lacking a function, or another one chosen.
    #[error("librpm: {detail}")]
    Librpm {
        /// What is wrong, naming the library.
        detail: String,
    },

    /// `rpmReadConfigFiles` failed.
    #[error("cannot read the rpm configuration: {detail}")]
    Config {
        /// librpm's messages.
        detail: String,
    },

    /// librpm could not open the database.
    #[error(
        "cannot open the {backend} rpm database at {dbpath} in root {root}: {detail}",
        root = root.display()
    )]
    Open {
        /// The root, canonicalised.
        root: PathBuf,
        /// The database path inside the root.
        dbpath: String,
        /// The backend that was asked for.
        backend: DbBackend,
        /// librpm's messages.
        detail: String,
    },

    /// A package file cannot be read: not a regular file, not an rpm package, or damaged.
    #[error("cannot read the package file {path}: {detail}", path = path.display())]
    PackageFile {
        /// The file.
        path: PathBuf,
        /// Why (librpm's messages).
        detail: String,
    },

    /// librpm reported errors while reading the installed package headers (for instance a corrupt
    /// header): the package list would be incomplete, so none is returned.
    #[error(
        "error reading the {backend} rpm database at {dbpath} in root {root}: {detail}",
        root = root.display()
    )]
    Read {
        /// The root, canonicalised.
        root: PathBuf,
        /// The database path inside the root.
        dbpath: String,
        /// The backend that was asked for.
        backend: DbBackend,
        /// librpm's messages.
        detail: String,
    },
}

/// Joins librpm's log messages into one line for an error message.
pub(crate) fn join_messages(messages: &[String], fallback: &str) -> String {
    if messages.is_empty() {
        fallback.to_owned()
    } else {
        messages.join("; ")
    }
}
