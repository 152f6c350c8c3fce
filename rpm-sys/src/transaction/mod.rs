//! One rpm transaction against a root: add package files to install and installed packages to
//! erase, check dependencies, order, and run it — as a test (`--test`: nothing changes, rpm
//! reports file conflicts and disk space) or for real (the offline upgrade).
//!
//! ```no_run
//! use rpm_sys::{DbBackend, DbLocation, Transaction, TransactionFlags};
//! use std::path::Path;
//!
//! let location = DbLocation::new("/var/lib/rpm", DbBackend::Sqlite);
//! let mut ts = Transaction::new(Path::new("/mnt/sysroot"), &location)?;
//! ts.add_install(Path::new("/var/cache/bash-5.1.8-9.el9.x86_64.rpm"), true)?;
//! let report = ts.run(TransactionFlags::test())?;
//! for problem in &report.problems {
//!     println!("{problem}");
//! }
//! # Ok::<(), rpm_sys::TransactionError>(())
//! ```
//!
//! # Rules
//!
//! - The database is opened read-only; rpm reopens it read-write only for a real run, and a
//!   real run needs a writable backend (sqlite, not `bdb_ro`).
//! - At most one real run per process: librpm's global state (chroot, signal handlers, the
//!   database) is not meant to serve two transactions in one process. A second real run is an
//!   error; test runs are unlimited.
//! - Package files are opened by the notify callback when rpm asks (`INST_OPEN_FILE`) and
//!   closed when it is done with them; every callback event of interest is recorded as a
//!   [`ProgressEvent`] and passed to an optional observer (progress bar, journal).
//! - Signatures are not checked here (digests are): package files are verified against their
//!   repositories' keys before, so keys missing from the root's rpmdb must not fail the run.
//! - Crash tests: [`TransactionFlags::after_element`] aborts or kills the process after the
//!   N-th element of a real run has finished (an install or an erase), as a crash would, and
//!   [`TransactionFlags::ignore_diskspace`] lets a real run meet a full disk. This crate reads no
//!   environment variable: the caller decides (leapfrog arms both from its failpoints).
//!
//! # Modules
//!
//! `problem` ([`TransactionProblem`]), `error` ([`TransactionError`], which carries problems),
//! `flags` ([`TransactionFlags`]), `element` (what is added and ordered), `progress` (the notify
//! callback and its [`ProgressEvent`]s) and `set` ([`Transaction`] itself and its [`RunReport`]),
//! which uses all the others.

mod element;
mod error;
mod flags;
mod problem;
mod progress;
mod set;

pub use element::{AddedElement, ElementKind, EraseTarget, OrderedElement};
pub use error::TransactionError;
pub use flags::TransactionFlags;
pub use problem::TransactionProblem;
pub use progress::{ProgressEvent, ProgressKind, ProgressObserver};
pub use set::{RunReport, Transaction};
