//! The error type shared by all importers. Every variant names the file it is about.

use std::path::PathBuf;

/// A failure to read or understand a data file. The `Display` form always starts with the
/// path of the offending file.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The file (or directory) could not be read.
    #[error("{}: cannot read: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The underlying I/O error.
        source: std::io::Error,
    },
    /// The file is larger than the accepted limit.
    #[error("{}: file is {size} bytes, more than the limit of {limit} bytes", path.display())]
    TooLarge {
        /// The file.
        path: PathBuf,
        /// Its size (or a lower bound of it).
        size: u64,
        /// The limit.
        limit: u64,
    },
    /// The file is not valid JSON, or its top level does not have the expected shape.
    #[error("{}: {message}", path.display())]
    Json {
        /// The file.
        path: PathBuf,
        /// What is wrong, with line and column.
        message: String,
    },
    /// One PES event is invalid.
    #[error("{}: event #{index} (id {id}): {message}", path.display())]
    Event {
        /// The file.
        path: PathBuf,
        /// The position of the event in `packageinfo` (0-based).
        index: usize,
        /// The event's id as written in the file, or `?` when it has none.
        id: String,
        /// What is wrong.
        message: String,
    },
    /// A YAML file of leapfrog's own data is not valid YAML or does not have the expected
    /// shape (the message has the line and column).
    #[error("{}: {message}", path.display())]
    Yaml {
        /// The file.
        path: PathBuf,
        /// What is wrong, with line and column.
        message: String,
    },
    /// The repository map declares a `version_format` this crate does not understand.
    #[error("{}: unsupported repomap version_format {version:?} (supported: 1.x and 2.0.x)", path.display())]
    UnsupportedFormat {
        /// The file.
        path: PathBuf,
        /// The declared version.
        version: String,
    },
    /// The file is syntactically readable but its content is invalid.
    #[error("{}: {message}", path.display())]
    Invalid {
        /// The file.
        path: PathBuf,
        /// What is wrong (with a line number or location where known).
        message: String,
    },
    /// An entry of a `vendors.d` directory is refused (bad name, symlink escaping the
    /// directory, not a regular file).
    #[error("{}: refused vendors.d entry: {reason}", path.display())]
    VendorEntry {
        /// The entry.
        path: PathBuf,
        /// Why it is refused.
        reason: String,
    },
}

impl Error {
    /// The file this error is about.
    pub fn path(&self) -> &std::path::Path {
        match self {
            Error::Io { path, .. }
            | Error::TooLarge { path, .. }
            | Error::Json { path, .. }
            | Error::Yaml { path, .. }
            | Error::Event { path, .. }
            | Error::UnsupportedFormat { path, .. }
            | Error::Invalid { path, .. }
            | Error::VendorEntry { path, .. } => path,
        }
    }
}
