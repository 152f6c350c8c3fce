//! Bindings to the system librpm and a small, safe, read-only API over an installed rpm database,
//! plus the transaction API ([`Transaction`]: test and real runs, problems, progress) that the
//! planner and the executor use (see `docs/transaction.md`).
//!
//! leapfrog reads the rpm database of the root it upgrades with the same library rpm itself uses,
//! so every on-disk format librpm understands (sqlite, and read-only BerkeleyDB for EL7/EL8 roots)
//! is handled the way rpm would handle it.
//!
//! ```no_run
//! use rpm_sys::{DbBackend, DbLocation, RpmDatabase};
//! use std::path::Path;
//!
//! let location = DbLocation::new("/var/lib/rpm", DbBackend::Sqlite);
//! let db = RpmDatabase::open(Path::new("/mnt/sysroot"), &location)?;
//! for package in db.installed_packages()? {
//!     println!("{}", package.nevra());
//! }
//! # Ok::<(), rpm_sys::RpmError>(())
//! ```
//!
//! # librpm's global state
//!
//! librpm keeps its configuration, its macro context and its log callback in process-wide
//! globals, and `%_dbpath`/`%_db_backend` are read from that macro context when a database is
//! opened. This crate therefore serialises *every* call into librpm behind one process-wide mutex,
//! reads the rpm configuration once per process, and installs its own log callback that turns
//! librpm's messages into `tracing` events and [`RpmError`] details (nothing is printed to stderr
//! by librpm itself). Other code in the process must not call librpm directly.
//!
//! All `unsafe` code of the workspace lives in this crate; each block carries a `SAFETY:` comment.
//!
//! # Modules
//!
//! Each module uses only modules listed above it (and `ffi`, the generated bindings):
//!
//! 1. `location`: where a database is and its format ([`DbLocation`], [`DbBackend`]); plain data.
//! 2. `error`: [`RpmError`].
//! 3. `librpm`: the process-wide lock, the configuration, `%_dbpath`/`%_db_backend` pushed and
//!    popped around each use, librpm's messages captured ([`with_db_macros`],
//!    [`librpm_version`]).
//! 4. `package`: reading tags of a header ([`InstalledPackage`], [`PackageDetails`], [`vercmp`]).
//! 5. `header`: a header's provides and files, package files ([`PackageHeader`],
//!    [`read_package_file`]).
//! 6. `db`: [`RpmDatabase`], and the opening and iterating the transaction shares.
//! 7. `transaction`: [`Transaction`]; inside it `problem`, then `error`; `flags`, `element`,
//!    `progress` (the notify callback); and `set`, the transaction set itself, on top.
//! 8. [`verify`]: package signatures and digests against a private keyring.
//! 9. `exports`: the librpm functions libsolv calls, forwarded to the opened librpm (`compat`
//!    is the layer beside `librpm` that says what differs between librpm versions).

#[path = "../api_list.rs"]
mod api_list;
mod compat;
mod db;
mod error;
mod exports;
mod header;
mod librpm;
mod location;
mod package;
mod transaction;
pub mod verify;

// `mod ffi`: the raw bindings bindgen generates from `wrapper.h` (an allowlisted subset of
// librpm, see build.rs), with the lint allowances of generated code (build_common.rs).
include!(concat!(env!("OUT_DIR"), "/ffi.rs"));

pub use compat::RpmVersion;
pub use db::RpmDatabase;
pub use error::RpmError;
pub use header::{FileEntry, PackageHeader, read_package_file};
pub use librpm::{
    HOST_SONAMES, LibrpmInfo, LibrpmSource, librpm, librpm_version, use_librpm, with_db_macros,
};
pub use location::{DbBackend, DbLocation};
pub use package::{
    InstalledPackage, PackageDetails, parse_key_id, parse_signature_algorithm, vercmp,
};
pub use transaction::{
    AddedElement, ElementKind, EraseTarget, OrderedElement, ProgressEvent, ProgressKind,
    ProgressObserver, RunReport, Transaction, TransactionError, TransactionFlags,
    TransactionProblem,
};
