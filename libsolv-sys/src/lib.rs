//! Bindings to the system libsolv/libsolvext and a small, safe depsolving API with RPM semantics.
//!
//! ```no_run
//! use libsolv_sys::{Job, Pool, SolverFlags};
//! use rpm_sys::{DbBackend, DbLocation};
//! use std::path::Path;
//!
//! let mut pool = Pool::new("x86_64")?;
//! pool.add_rpmmd_repo("baseos", Path::new("/srv/el9/baseos"), 0)?;
//! pool.add_rpmdb(Path::new("/mnt/sysroot"), &DbLocation::new("/var/lib/rpm", DbBackend::Sqlite))?;
//! pool.prepare();
//! let outcome = pool.solve(&[Job::DistroSyncAll], SolverFlags::major_upgrade())?;
//! # Ok::<(), libsolv_sys::SolvError>(())
//! ```
//!
//! libsolv is not thread-safe per pool; a [`Pool`] is `Send` but not `Sync`. The installed repo
//! is read through libsolvext's `repo_add_rpmdb`, which calls the same librpm as `rpm-sys`: it
//! runs inside [`rpm_sys::with_db_macros`], which serialises it with every other librpm call and
//! pushes `%_dbpath`/`%_db_backend` for the root's database.

mod pool;
mod solve;

// `mod ffi`: the raw bindings bindgen generates from `wrapper.h` (an allowlisted subset of
// libsolv, see build.rs), with the lint allowances of generated code (build_common.rs).
include!(concat!(env!("OUT_DIR"), "/ffi.rs"));

pub use pool::{Pool, RepoInfo, SolvableId, SolvableInfo, read_compressed, repomd_location};
pub use solve::{Job, Outcome, RuleInfo, RuleKind, SolverFlags, SolverProblem, Step, StepKind};

use std::path::PathBuf;

/// Everything that can go wrong while loading metadata or solving.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SolvError {
    /// The architecture is not one libsolv knows.
    #[error("unknown architecture {0:?}")]
    Arch(String),
    /// A string handed to libsolv contains a NUL byte.
    #[error("{what} {value:?} contains a NUL byte")]
    Nul {
        /// What the string is.
        what: &'static str,
        /// The string.
        value: String,
    },
    /// A repository's metadata cannot be read or parsed.
    #[error("repository {repo} at {}: {detail}", path.display())]
    Repo {
        /// The repository id.
        repo: String,
        /// The file or directory.
        path: PathBuf,
        /// What went wrong.
        detail: String,
    },
    /// The installed packages cannot be read from the root's rpm database.
    #[error("cannot read the rpm database {dbpath} of root {}: {detail}", root.display())]
    Rpmdb {
        /// The root.
        root: PathBuf,
        /// The database path inside the root.
        dbpath: String,
        /// What went wrong.
        detail: String,
    },
    /// librpm could not be prepared (configuration, macros).
    #[error(transparent)]
    Rpm(#[from] rpm_sys::RpmError),
    /// A compressed file cannot be read.
    #[error("cannot read {}: {detail}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        detail: String,
    },
    /// The pool is used in the wrong order (e.g. solving before [`Pool::prepare`]).
    #[error("{0}")]
    Usage(&'static str),
}
