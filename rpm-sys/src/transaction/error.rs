//! What can go wrong building or running a transaction.

use std::path::PathBuf;

use super::problem::TransactionProblem;
use crate::error::RpmError;
use crate::location::DbBackend;

/// Everything that can go wrong building or running a transaction (rpm's *problems* — unmet
/// dependencies, conflicts, disk space — are not errors: they are returned as
/// [`TransactionProblem`]s).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TransactionError {
    /// The root or its database cannot be used (see [`RpmError`]).
    #[error(transparent)]
    Rpm(#[from] RpmError),
    /// A package file cannot be read.
    #[error("cannot read the package file {path}: {detail}", path = path.display())]
    PackageFile {
        /// The file.
        path: PathBuf,
        /// Why.
        detail: String,
    },
    /// The package to erase is not installed.
    #[error("cannot erase {what}: no such package is installed in {root}", root = root.display())]
    NotInstalled {
        /// The NEVRA or database instance asked for.
        what: String,
        /// The root.
        root: PathBuf,
    },
    /// librpm refused an operation.
    #[error("{operation} failed: {detail}")]
    Librpm {
        /// What was attempted.
        operation: String,
        /// librpm's messages.
        detail: String,
    },
    /// A real transaction already ran in this process.
    #[error("a real rpm transaction already ran in this process; run one transaction per process")]
    SecondTransaction,
    /// The database backend cannot be written.
    #[error(
        "the {backend} rpm database cannot be written: convert it to sqlite first (rpmdb --rebuilddb)"
    )]
    ReadOnlyBackend {
        /// The backend.
        backend: DbBackend,
    },
    /// A real run was asked for while dependency problems remain.
    #[error("the transaction has {} unresolved problem(s), first: {}", problems.len(), problems.first().map(ToString::to_string).unwrap_or_default())]
    Unresolved {
        /// The problems rpmtsCheck reported.
        problems: Vec<TransactionProblem>,
    },
}
