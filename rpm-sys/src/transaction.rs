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

use std::collections::HashMap;
use std::ffi::{CString, c_int, c_void};
use std::fmt;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::ptr;
use std::sync::PoisonError;
use std::sync::atomic::{AtomicBool, Ordering};

use leapfrog_base::failpoints::AfterElement;
use serde::{Deserialize, Serialize};

use crate::db::{MatchIterator, open_read_only};
use crate::error::{RpmError, join_messages};
use crate::ffi;
use crate::header::{NO_SIGNATURES, OwnedHeader, PackageHeader, RpmFd, read_header};
use crate::librpm::{LIBRPM, Session, drain_messages, errors_only};
use crate::location::{DbBackend, DbLocation};
use crate::package::{header_format, owned_string};

/// Whether this process has started a real (non-test) transaction.
static REAL_RUN_STARTED: AtomicBool = AtomicBool::new(false);

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

/// One problem rpm reports for a transaction, with the packages involved as `name-[e:]v-r.arch`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "problem", rename_all = "snake_case")]
#[non_exhaustive]
pub enum TransactionProblem {
    /// `package` requires `capability` and nothing in the result provides it.
    RequiresUnmet {
        /// The package with the requirement.
        package: String,
        /// The requirement as rpm prints it (`libfoo.so.3()(64bit)`, `bar >= 2`).
        capability: String,
        /// The requiring package is installed (not part of the transaction).
        installed: bool,
    },
    /// `package` conflicts with `capability` (provided by another package).
    Conflict {
        /// The package whose Conflicts matches (or the one matched, see `installed`).
        package: String,
        /// The conflicting capability.
        capability: String,
        /// `package` is installed (not part of the transaction).
        installed: bool,
    },
    /// Two packages contain the same path with different content.
    FileConflict {
        /// The path.
        path: String,
        /// The package being installed.
        package: String,
        /// The other package.
        other: String,
        /// The other package is installed (rpm's `FILE_CONFLICT`); false when both are being
        /// installed (`NEW_FILE_CONFLICT`).
        other_installed: bool,
    },
    /// The filesystem mounted at `mount` lacks `needed` bytes (rpm counts its own 5% margin).
    DiskSpace {
        /// Mount point as seen inside the root (`/` for the filesystem holding the root's top
        /// directory, even when it is mounted above the root on the host).
        mount: String,
        /// Bytes missing.
        needed: u64,
        /// The package whose installation first went over.
        package: String,
    },
    /// The filesystem mounted at `mount` lacks `needed` inodes.
    DiskNodes {
        /// Mount point as seen inside the root (see `DiskSpace`).
        mount: String,
        /// Inodes missing.
        needed: u64,
        /// The package whose installation first went over.
        package: String,
    },
    /// Any other problem (already installed, wrong arch, obsoleted, older package...).
    Other {
        /// rpm's problem type (`RPMPROB_*` without the prefix, lowercase).
        kind: String,
        /// The package concerned (rpm's "pkg NEVR").
        package: Option<String>,
        /// The other package involved, if any (rpm's "alt NEVR": the obsoleting or newer one).
        other: Option<String>,
        /// rpm's message.
        message: String,
    },
}

impl fmt::Display for TransactionProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let installed = |b: &bool| if *b { " (installed)" } else { "" };
        match self {
            TransactionProblem::RequiresUnmet {
                package,
                capability,
                installed: i,
            } => write!(
                f,
                "{package}{} requires {capability}, which nothing provides",
                installed(i)
            ),
            TransactionProblem::Conflict {
                package,
                capability,
                installed: i,
            } => write!(f, "{package}{} conflicts with {capability}", installed(i)),
            TransactionProblem::FileConflict {
                path,
                package,
                other,
                other_installed,
            } => write!(
                f,
                "file {path} of {package} conflicts with the same file of {other}{}",
                installed(other_installed)
            ),
            TransactionProblem::DiskSpace {
                mount,
                needed,
                package,
            } => write!(
                f,
                "installing {package} needs {needed} more bytes on the filesystem at {mount}"
            ),
            TransactionProblem::DiskNodes {
                mount,
                needed,
                package,
            } => write!(
                f,
                "installing {package} needs {needed} more inodes on the filesystem at {mount}"
            ),
            TransactionProblem::Other { message, .. } => f.write_str(message),
        }
    }
}

/// How [`Transaction::run`] runs (the `RPMTRANS_FLAG_*` bits leapfrog uses).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TransactionFlags {
    /// `--test`: compute file conflicts and disk space, change nothing.
    pub test: bool,
    /// `--justdb`: update the database only, leave files alone.
    pub justdb: bool,
    /// `--noscripts`: run no scriptlets.
    pub noscripts: bool,
    /// `--notriggers`: run no triggers.
    pub notriggers: bool,
    /// `--excludedocs`: do not install documentation.
    pub nodocs: bool,
    /// Crash tests: end the process after the N-th finished element of a real run.
    #[serde(skip)]
    pub after_element: Option<AfterElement>,
    /// `--ignoresize` for a real run: rpm's disk-space and inode problems do not stop it (crash
    /// tests fill the disk mid-transaction).
    #[serde(skip)]
    pub ignore_diskspace: bool,
}

impl TransactionFlags {
    /// A test run.
    pub fn test() -> Self {
        Self {
            test: true,
            ..Self::default()
        }
    }

    fn bits(self) -> ffi::rpmtransFlags {
        let mut bits: ffi::rpmtransFlags = 0;
        let set = [
            (self.test, ffi::RPMTRANS_FLAG_TEST),
            (self.justdb, ffi::RPMTRANS_FLAG_JUSTDB),
            (
                self.noscripts,
                ffi::RPMTRANS_FLAG_NOPRE
                    | ffi::RPMTRANS_FLAG_NOPOST
                    | ffi::RPMTRANS_FLAG_NOPREUN
                    | ffi::RPMTRANS_FLAG_NOPOSTUN
                    | ffi::RPMTRANS_FLAG_NOPRETRANS
                    | ffi::RPMTRANS_FLAG_NOPOSTTRANS,
            ),
            (
                self.notriggers,
                ffi::RPMTRANS_FLAG_NOTRIGGERPREIN
                    | ffi::RPMTRANS_FLAG_NOTRIGGERIN
                    | ffi::RPMTRANS_FLAG_NOTRIGGERUN
                    | ffi::RPMTRANS_FLAG_NOTRIGGERPOSTUN,
            ),
            (self.nodocs, ffi::RPMTRANS_FLAG_NODOCS),
        ];
        for (on, flag) in set {
            if on {
                bits |= flag as ffi::rpmtransFlags;
            }
        }
        bits
    }
}

/// An element added to the transaction.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum AddedElement {
    /// A package file to install.
    Install {
        /// The package file.
        path: PathBuf,
        /// Its header (identity, provides, files).
        header: PackageHeader,
        /// Whether it replaces installed versions of the same name (false for installonly
        /// packages such as kernels, which are installed beside the old ones).
        upgrade: bool,
    },
    /// An installed package to erase.
    Erase {
        /// Its rpmdb instance number.
        instance: u32,
        /// Its header as installed (identity, provides, files).
        header: PackageHeader,
    },
}

/// Which package to erase.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EraseTarget<'a> {
    /// Every installed package matching a label (`name`, `name-version-release`,
    /// `name-[epoch:]version-release.arch`), as `rpm -e` takes it.
    Label(&'a str),
    /// The installed package with this rpmdb instance number.
    Instance(u32),
}

/// Whether an ordered element installs or erases.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ElementKind {
    /// Installed from a file.
    Install,
    /// Erased (also the old versions an upgrade replaces).
    Erase,
}

/// One element in the order rpm will process it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderedElement {
    /// Install or erase.
    pub kind: ElementKind,
    /// `name-[epoch:]version-release.arch`.
    pub nevra: String,
}

/// What a notify callback event was.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ProgressKind {
    /// rpm's preparation step (file fingerprints, disk space) started; `total` elements.
    PrepareStart,
    /// The preparation step ended.
    PrepareStop,
    /// Package file verification started.
    VerifyStart,
    /// Package file verification ended.
    VerifyStop,
    /// rpm starts processing element `amount` of `total`.
    Element,
    /// A package starts installing.
    InstallStart,
    /// A package is installed.
    InstallStop,
    /// A package starts being erased.
    EraseStart,
    /// A package is erased.
    EraseStop,
    /// A scriptlet failed (`amount` is its tag, `total` its exit status).
    ScriptError,
    /// A package's payload could not be unpacked.
    UnpackError,
    /// rpm asked for a package file and it could not be opened.
    OpenError,
}

/// One event of the notify callback.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProgressEvent {
    /// What happened.
    pub kind: ProgressKind,
    /// The package concerned, when there is one.
    pub package: Option<String>,
    /// rpm's `amount` (meaning depends on the kind).
    pub amount: u64,
    /// rpm's `total`.
    pub total: u64,
}

/// An observer of progress events (a progress bar, a journal writer).
pub type ProgressObserver = Box<dyn FnMut(&ProgressEvent) + Send>;

/// The result of [`Transaction::run`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunReport {
    /// Whether it was a test run.
    pub test: bool,
    /// Dependency problems (from rpmtsCheck) and transaction problems (file conflicts, disk
    /// space...) together; rpm processes nothing while there are any.
    pub problems: Vec<TransactionProblem>,
    /// Elements that failed while being processed (a failing `%pre`, an unpack error), when
    /// rpm got that far.
    pub failed_elements: u32,
    /// The progress events of this run.
    pub events: Vec<ProgressEvent>,
    /// Warnings and errors librpm logged during the run (`warning: %post(...) scriptlet
    /// failed, exit status 1`), with their level.
    #[serde(default)]
    pub messages: Vec<String>,
}

impl RunReport {
    /// No problem and no failed element.
    pub fn succeeded(&self) -> bool {
        self.problems.is_empty() && self.failed_elements == 0
    }
}

/// State the notify callback works on; owned by the [`Transaction`] (boxed, fixed address).
struct CallbackState {
    /// Package file of the install element with key `i + 1`.
    paths: Vec<CString>,
    /// NEVRA of the install element with key `i + 1`.
    nevras: Vec<String>,
    /// Files rpm asked for and has not closed yet, by key.
    open: HashMap<usize, RpmFd>,
    events: Vec<ProgressEvent>,
    observer: Option<ProgressObserver>,
    /// Abort (or SIGKILL) the process after this many finished elements (real runs only).
    failpoint: Option<AfterElement>,
    finished: u64,
}

impl CallbackState {
    fn record(&mut self, kind: ProgressKind, package: Option<String>, amount: u64, total: u64) {
        let event = ProgressEvent {
            kind,
            package,
            amount,
            total,
        };
        if let Some(observer) = self.observer.as_mut() {
            observer(&event);
        }
        self.events.push(event);
    }

    fn element_finished(&mut self) {
        self.finished += 1;
        match self.failpoint {
            Some(AfterElement::Abort(n)) if n == self.finished => {
                eprintln!(
                    "leapfrog: failpoint rpm-after-element={n} reached: aborting the process"
                );
                std::process::abort();
            }
            Some(AfterElement::Kill(n)) if n == self.finished => {
                eprintln!(
                    "leapfrog: failpoint rpm-after-element=kill@{n} reached: SIGKILL to the process"
                );
                // SAFETY: kill(2) on our own pid has no memory-safety preconditions.
                unsafe { libc::kill(libc::getpid(), libc::SIGKILL) };
                std::process::abort();
            }
            _ => {}
        }
    }
}

/// librpm's notify callback.
extern "C" fn notify(
    h: *const c_void,
    what: ffi::rpmCallbackType,
    amount: ffi::rpm_loff_t,
    total: ffi::rpm_loff_t,
    key: ffi::fnpyKey,
    data: ffi::rpmCallbackData,
) -> *mut c_void {
    if data.is_null() {
        return ptr::null_mut();
    }
    // SAFETY: `data` is the `CallbackState` box registered by `Transaction::new`; it outlives the
    // transaction set, and librpm calls back only from inside `rpmtsRun`/`rpmtsCheck` on the
    // thread that holds `&mut Transaction`, so no other reference to the state exists meanwhile.
    let state = unsafe { &mut *data.cast::<CallbackState>() };
    let index = (key as usize).checked_sub(1);
    let by_key = index.and_then(|i| state.nevras.get(i).cloned());
    let package = || {
        by_key.clone().or_else(|| {
            if h.is_null() {
                return None;
            }
            // SAFETY: for element events librpm passes the element's header, valid during the
            // callback; we are inside rpmtsRun, so the librpm lock is held.
            unsafe { header_format(h.cast_mut().cast(), c"%{NEVRA}") }
        })
    };
    match what {
        ffi::RPMCALLBACK_INST_OPEN_FILE => {
            let Some(i) = index else {
                return ptr::null_mut();
            };
            let Some(path) = state.paths.get(i) else {
                return ptr::null_mut();
            };
            match RpmFd::open(path) {
                Some(fd) => {
                    let raw = fd.0;
                    state.open.insert(i, fd);
                    return raw.cast();
                }
                None => {
                    let p = package();
                    state.record(ProgressKind::OpenError, p, 0, 0);
                }
            }
        }
        ffi::RPMCALLBACK_INST_CLOSE_FILE => {
            if let Some(i) = index {
                state.open.remove(&i);
            }
        }
        ffi::RPMCALLBACK_TRANS_START => {
            state.record(ProgressKind::PrepareStart, None, amount, total)
        }
        ffi::RPMCALLBACK_TRANS_STOP => state.record(ProgressKind::PrepareStop, None, amount, total),
        ffi::RPMCALLBACK_VERIFY_START => {
            state.record(ProgressKind::VerifyStart, None, amount, total)
        }
        ffi::RPMCALLBACK_VERIFY_STOP => state.record(ProgressKind::VerifyStop, None, amount, total),
        ffi::RPMCALLBACK_ELEM_PROGRESS => {
            let p = package();
            state.record(ProgressKind::Element, p, amount, total);
        }
        ffi::RPMCALLBACK_INST_START => {
            let p = package();
            state.record(ProgressKind::InstallStart, p, amount, total);
        }
        ffi::RPMCALLBACK_INST_STOP => {
            let p = package();
            state.record(ProgressKind::InstallStop, p, amount, total);
            state.element_finished();
        }
        ffi::RPMCALLBACK_UNINST_START => {
            let p = package();
            state.record(ProgressKind::EraseStart, p, amount, total);
        }
        ffi::RPMCALLBACK_UNINST_STOP => {
            let p = package();
            state.record(ProgressKind::EraseStop, p, amount, total);
            state.element_finished();
        }
        ffi::RPMCALLBACK_SCRIPT_ERROR => {
            let p = package();
            state.record(ProgressKind::ScriptError, p, amount, total);
        }
        ffi::RPMCALLBACK_UNPACK_ERROR | ffi::RPMCALLBACK_CPIO_ERROR => {
            let p = package();
            state.record(ProgressKind::UnpackError, p, amount, total);
        }
        _ => {}
    }
    ptr::null_mut()
}

/// An rpm transaction set bound to a root (see the module documentation).
pub struct Transaction {
    ts: ffi::rpmts,
    root: PathBuf,
    location: DbLocation,
    /// Owned (from `Box::into_raw`), freed in `Drop` after the transaction set.
    callback: *mut CallbackState,
    elements: Vec<AddedElement>,
    /// Where scriptlet output goes (`set_script_output`); closed after the transaction set.
    script_fd: Option<RpmFd>,
}

// SAFETY: the transaction set and the callback state are only touched through `&mut self` (or in
// `drop`) while holding the process-wide librpm lock, so moving the value to another thread is
// sound. It is not `Sync`.
unsafe impl Send for Transaction {}

impl fmt::Debug for Transaction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Transaction")
            .field("root", &self.root)
            .field("location", &self.location)
            .field("elements", &self.elements.len())
            .finish_non_exhaustive()
    }
}

impl Transaction {
    /// A transaction set for `root` with the rpm database at `location`, opened read-only.
    ///
    /// # Errors
    ///
    /// As [`crate::RpmDatabase::open`]: the root is not a directory, the database path is
    /// invalid or its file missing (it is never created), librpm cannot open it.
    pub fn new(root: &Path, location: &DbLocation) -> Result<Self, TransactionError> {
        let callback = Box::into_raw(Box::new(CallbackState {
            paths: Vec::new(),
            nevras: Vec::new(),
            open: HashMap::new(),
            events: Vec::new(),
            observer: None,
            failpoint: None,
            finished: 0,
        }));
        let opened = open_read_only(root, location, |ts| {
            // SAFETY: `ts` is valid; these only store flags.
            unsafe {
                ffi::rpmtsSetVSFlags(ts, NO_SIGNATURES);
                ffi::rpmtsSetVfyFlags(ts, NO_SIGNATURES);
                ffi::rpmtsSetVfyLevel(ts, ffi::RPMSIG_DIGEST_TYPE as c_int);
            }
            // SAFETY: `ts` is valid; `notify` is a valid callback for the life of the process and
            // `callback` stays valid until after `ts` is freed (by `open_read_only` on error, in
            // Drop otherwise).
            let rc = unsafe { ffi::rpmtsSetNotifyCallback(ts, Some(notify), callback.cast()) };
            if rc != 0 {
                return Err("rpmtsSetNotifyCallback failed".to_owned());
            }
            Ok(())
        });
        match opened {
            Ok((root, ts)) => Ok(Self {
                ts,
                root,
                location: location.clone(),
                callback,
                elements: Vec::new(),
                script_fd: None,
            }),
            Err(err) => {
                // SAFETY: `callback` came from Box::into_raw above, no transaction set refers to
                // it any more (`open_read_only` freed the one it made), and it is reclaimed
                // exactly once.
                drop(unsafe { Box::from_raw(callback) });
                Err(err.into())
            }
        }
    }

    /// The root (canonicalised).
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The elements added so far, in the order they were added.
    pub fn elements(&self) -> &[AddedElement] {
        &self.elements
    }

    /// Receives every progress event of later runs as it happens (they are also returned in
    /// [`RunReport::events`]). It is called from librpm's callback with the librpm lock held:
    /// it must not call into rpm-sys, should not rely on host paths (librpm chroots the process
    /// into the root during parts of a transaction, such as its preparation), and must not panic
    /// (a panic there aborts the process).
    pub fn set_observer(&mut self, observer: ProgressObserver) {
        self.state().observer = Some(observer);
    }

    /// Sends the output (stdout and stderr) of every scriptlet of later runs to `path`, opened
    /// for appending (created if missing) before librpm changes the root, so the path is a host
    /// path. Without it scriptlets write to the process's own stdout and stderr.
    ///
    /// # Errors
    ///
    /// When the file cannot be opened for appending.
    pub fn set_script_output(&mut self, path: &Path) -> Result<(), TransactionError> {
        let c_path = CString::new(path.as_os_str().as_bytes()).map_err(|_| {
            TransactionError::PackageFile {
                path: path.to_path_buf(),
                detail: "NUL byte in path".into(),
            }
        })?;
        let session = self.session()?;
        let fd = RpmFd::open_mode(&c_path, c"a.ufdio").ok_or_else(|| TransactionError::Librpm {
            operation: format!("opening {} for scriptlet output", path.display()),
            detail: "Fopen failed".into(),
        })?;
        // SAFETY: `ts` and `fd` are valid; librpm takes its own reference to the descriptor
        // (fdLink) and drops it in rpmtsFree, before `self.script_fd` is closed in Drop.
        unsafe { ffi::rpmtsSetScriptFd(self.ts, fd.0) };
        drop(session);
        self.script_fd = Some(fd);
        Ok(())
    }

    fn state(&mut self) -> &mut CallbackState {
        // SAFETY: `callback` is valid until Drop and only reached through `&mut self` here or
        // by the callback during a librpm call made through `&mut self`, never both at once.
        unsafe { &mut *self.callback }
    }

    fn session(&self) -> Result<Session, TransactionError> {
        Ok(Session::begin(&self.location)?)
    }

    /// Adds the package file at `path` to install. With `upgrade`, installed packages of the
    /// same name (and those it obsoletes) are replaced; installonly packages (those providing
    /// `installonlypkg(...)`, such as kernels) are always added beside the installed versions.
    ///
    /// # Errors
    ///
    /// When the file cannot be read as an rpm package or librpm refuses the element.
    pub fn add_install(
        &mut self,
        path: &Path,
        upgrade: bool,
    ) -> Result<&PackageHeader, TransactionError> {
        let path = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
        let c_path = CString::new(path.as_os_str().as_bytes()).map_err(|_| {
            TransactionError::PackageFile {
                path: path.clone(),
                detail: "NUL byte in path".into(),
            }
        })?;
        let session = self.session()?;
        let header: OwnedHeader = read_header(&session, self.ts, &path).map_err(|detail| {
            TransactionError::PackageFile {
                path: path.clone(),
                detail,
            }
        })?;
        // SAFETY: `header.0` is a valid header we own; we hold the librpm lock.
        let info = unsafe { PackageHeader::from_header(header.0) };
        let upgrade = upgrade && !info.installonly();
        let key = self.state().paths.len() + 1;
        // SAFETY: `ts` and `header.0` are valid; the key is an opaque non-null value librpm hands
        // back to the callback; no relocations.
        let rc = unsafe {
            ffi::rpmtsAddInstallElement(
                self.ts,
                header.0,
                ptr::without_provenance::<c_void>(key),
                c_int::from(upgrade),
                ptr::null_mut(),
            )
        };
        let messages = session.take_messages();
        drop(header);
        drop(session);
        if rc != 0 {
            return Err(TransactionError::Librpm {
                operation: format!("adding {} to the transaction", path.display()),
                detail: join_messages(
                    &errors_only(&messages),
                    &format!("rpmtsAddInstallElement returned {rc}"),
                ),
            });
        }
        let nevra = info.nevra();
        let state = self.state();
        state.paths.push(c_path);
        state.nevras.push(nevra);
        self.elements.push(AddedElement::Install {
            path,
            header: info,
            upgrade,
        });
        match self.elements.last() {
            Some(AddedElement::Install { header, .. }) => Ok(header),
            _ => Err(TransactionError::Librpm {
                operation: "adding an install element".into(),
                detail: "internal bookkeeping error".into(),
            }),
        }
    }

    /// Adds installed packages to erase; returns how many matched.
    ///
    /// # Errors
    ///
    /// When nothing installed matches, or librpm refuses the element.
    pub fn add_erase(&mut self, target: EraseTarget<'_>) -> Result<usize, TransactionError> {
        let session = self.session()?;
        let mut added = Vec::new();
        let mut failure = None;
        {
            let label_key;
            let iterator = match &target {
                EraseTarget::Label(label) => {
                    label_key = match CString::new(*label) {
                        Ok(key) if !key.is_empty() => key,
                        _ => {
                            return Err(TransactionError::NotInstalled {
                                what: (*label).to_owned(),
                                root: self.root.clone(),
                            });
                        }
                    };
                    MatchIterator::label(self.ts, &label_key)
                }
                EraseTarget::Instance(instance) => MatchIterator::instance(self.ts, instance),
            };
            while let Some(header) = iterator.next_header() {
                // SAFETY: `header` was just returned by the iterator (valid until the next call)
                // and we hold the lock.
                let instance = unsafe { ffi::headerGetInstance(header) };
                // SAFETY: as above.
                let info = unsafe { PackageHeader::from_header(header) };
                // SAFETY: `ts` and `header` are valid; the instance comes from the header itself.
                let rc = unsafe {
                    ffi::rpmtsAddEraseElement(
                        self.ts,
                        header,
                        c_int::try_from(instance).unwrap_or(-1),
                    )
                };
                if rc != 0 {
                    failure = Some(info.nevra());
                    break;
                }
                added.push(AddedElement::Erase {
                    instance,
                    header: info,
                });
            }
        }
        let messages = session.take_messages();
        drop(session);
        if let Some(nevra) = failure {
            return Err(TransactionError::Librpm {
                operation: format!("adding the erasure of {nevra}"),
                detail: join_messages(&errors_only(&messages), "rpmtsAddEraseElement failed"),
            });
        }
        if added.is_empty() {
            return Err(TransactionError::NotInstalled {
                what: match target {
                    EraseTarget::Label(label) => label.to_owned(),
                    EraseTarget::Instance(instance) => format!("rpmdb instance {instance}"),
                },
                root: self.root.clone(),
            });
        }
        let count = added.len();
        self.elements.extend(added);
        Ok(count)
    }

    /// Checks dependencies (`rpmtsCheck`): unmet requirements and conflicts of the result.
    ///
    /// # Errors
    ///
    /// When librpm cannot run the check.
    pub fn check(&mut self) -> Result<Vec<TransactionProblem>, TransactionError> {
        let session = self.session()?;
        // Problems stay attached to the elements from earlier checks and runs: start afresh.
        // SAFETY: `ts` is valid; we hold the lock.
        unsafe { ffi::rpmtsCleanProblems(self.ts) };
        // SAFETY: `ts` is valid; we hold the lock.
        let rc = unsafe { ffi::rpmtsCheck(self.ts) };
        let messages = session.take_messages();
        if rc != 0 {
            return Err(TransactionError::Librpm {
                operation: "checking dependencies".into(),
                detail: join_messages(&errors_only(&messages), "rpmtsCheck failed"),
            });
        }
        let problems = self.problems();
        drop(session);
        Ok(problems)
    }

    /// Orders the elements (`rpmtsOrder`) and returns them in processing order.
    ///
    /// # Errors
    ///
    /// When librpm cannot order them.
    pub fn order(&mut self) -> Result<Vec<OrderedElement>, TransactionError> {
        let session = self.session()?;
        // SAFETY: `ts` is valid; we hold the lock.
        let rc = unsafe { ffi::rpmtsOrder(self.ts) };
        let messages = session.take_messages();
        if rc != 0 {
            return Err(TransactionError::Librpm {
                operation: "ordering the transaction".into(),
                detail: join_messages(
                    &errors_only(&messages),
                    &format!("{rc} element(s) could not be ordered"),
                ),
            });
        }
        let mut ordered = Vec::new();
        // SAFETY: `ts` is valid; we hold the lock.
        let count = unsafe { ffi::rpmtsNElements(self.ts) };
        for i in 0..count {
            // SAFETY: `i` is within 0..rpmtsNElements; the element is owned by `ts`.
            let te = unsafe { ffi::rpmtsElement(self.ts, i) };
            if te.is_null() {
                continue;
            }
            // SAFETY: `te` is a valid element; the NEVRA string is owned by it and copied.
            let nevra = unsafe { owned_string(ffi::rpmteNEVRA(te)) }.unwrap_or_default();
            // SAFETY: as above.
            let kind = if unsafe { ffi::rpmteType(te) } == ffi::TR_ADDED {
                ElementKind::Install
            } else {
                ElementKind::Erase
            };
            ordered.push(OrderedElement { kind, nevra });
        }
        drop(session);
        Ok(ordered)
    }

    /// Runs the transaction: dependency check, ordering, then `rpmtsRun` with `flags`.
    ///
    /// A test run reports every problem (dependencies, file conflicts, disk space) and changes
    /// nothing. A real run refuses to start while dependency problems remain, needs a writable
    /// database backend, and is allowed once per process; [`TransactionFlags::after_element`]
    /// and [`TransactionFlags::ignore_diskspace`] apply to it only.
    ///
    /// # Errors
    ///
    /// When librpm cannot run at all (database, lock), for a second real run, a read-only
    /// backend, or (real runs) unresolved dependency problems.
    pub fn run(&mut self, flags: TransactionFlags) -> Result<RunReport, TransactionError> {
        if !flags.test && self.location.backend == DbBackend::BdbReadOnly {
            return Err(TransactionError::ReadOnlyBackend {
                backend: self.location.backend,
            });
        }
        let mut problems = self.check()?;
        if !flags.test {
            if !problems.is_empty() {
                return Err(TransactionError::Unresolved { problems });
            }
            if REAL_RUN_STARTED.swap(true, Ordering::SeqCst) {
                return Err(TransactionError::SecondTransaction);
            }
        }
        self.order()?;
        let failpoint = if flags.test {
            None
        } else {
            flags.after_element
        };
        {
            let state = self.state();
            state.events.clear();
            state.finished = 0;
            state.failpoint = failpoint;
        }
        // Crash tests: skip rpm's disk-space check, as if the space vanished between the check
        // and the writes; the real run then meets ENOSPC while unpacking.
        let ignore: ffi::rpmprobFilterFlags = if !flags.test && flags.ignore_diskspace {
            (ffi::RPMPROB_FILTER_DISKSPACE | ffi::RPMPROB_FILTER_DISKNODES) as _
        } else {
            0
        };
        let session = self.session()?;
        // SAFETY: `ts` is valid; this only stores flags.
        unsafe { ffi::rpmtsSetFlags(self.ts, flags.bits()) };
        // SAFETY: `ts` is valid with its elements added and ordered; no problems are ignored; the
        // callback state is valid and not otherwise borrowed during the call; we hold the lock.
        let rc = unsafe { ffi::rpmtsRun(self.ts, ptr::null_mut(), ignore) };
        let messages = session.take_messages();
        let logged: Vec<String> = messages
            .iter()
            .filter(|(priority, _)| *priority <= ffi::RPMLOG_WARNING)
            .map(|(priority, message)| {
                let level = if *priority <= ffi::RPMLOG_ERR {
                    "error"
                } else {
                    "warning"
                };
                format!("{level}: {}", message.trim_end())
            })
            .collect();
        let run_problems = self.problems();
        drop(session);
        tracing::debug!(
            rc,
            test = flags.test,
            problems = run_problems.len(),
            "rpmtsRun"
        );
        if rc < 0 {
            return Err(TransactionError::Librpm {
                operation: "running the transaction".into(),
                detail: join_messages(&errors_only(&messages), "rpmtsRun failed"),
            });
        }
        for problem in run_problems {
            if !problems.contains(&problem) {
                problems.push(problem);
            }
        }
        let failed_elements = if problems.is_empty() {
            u32::try_from(rc).unwrap_or(u32::MAX)
        } else {
            0
        };
        let events = std::mem::take(&mut self.state().events);
        Ok(RunReport {
            test: flags.test,
            problems,
            failed_elements,
            events,
            messages: logged,
        })
    }

    /// The current problem set of the transaction set; the caller holds the librpm lock.
    fn problems(&self) -> Vec<TransactionProblem> {
        // SAFETY: `ts` is valid; rpmtsProblems returns a new reference we free below.
        let ps = unsafe { ffi::rpmtsProblems(self.ts) };
        if ps.is_null() {
            return Vec::new();
        }
        let mut problems = Vec::new();
        // SAFETY: `ps` is a valid problem set.
        let psi = unsafe { ffi::rpmpsInitIterator(ps) };
        if !psi.is_null() {
            loop {
                // SAFETY: `psi` is a valid iterator; the problem it returns is owned by `ps`.
                let prob = unsafe { ffi::rpmpsiNext(psi) };
                if prob.is_null() {
                    break;
                }
                // SAFETY: `prob` is valid until `ps` is freed.
                problems.push(unsafe { convert_problem(prob) });
            }
            // SAFETY: `psi` is valid and freed once.
            unsafe { ffi::rpmpsFreeIterator(psi) };
        }
        // SAFETY: we own this reference to `ps` and drop it once, after the last use.
        unsafe { ffi::rpmpsFree(ps) };
        problems
    }
}

/// Converts one librpm problem.
///
/// # Safety
///
/// `prob` must be a valid problem and the caller must hold the librpm lock.
unsafe fn convert_problem(prob: ffi::rpmProblem) -> TransactionProblem {
    // SAFETY: `prob` is valid per the contract; the strings are owned by it and copied.
    let (kind, package, alt, text, number) = unsafe {
        (
            ffi::rpmProblemGetType(prob),
            owned_string(ffi::rpmProblemGetPkgNEVR(prob)).unwrap_or_default(),
            owned_string(ffi::rpmProblemGetAltNEVR(prob)),
            owned_string(ffi::rpmProblemGetStr(prob)).unwrap_or_default(),
            ffi::rpmProblemGetDiskNeed(prob),
        )
    };
    match kind {
        ffi::RPMPROB_REQUIRES => TransactionProblem::RequiresUnmet {
            package,
            capability: text,
            installed: number != 0,
        },
        ffi::RPMPROB_CONFLICT => TransactionProblem::Conflict {
            package,
            capability: text,
            installed: number != 0,
        },
        ffi::RPMPROB_FILE_CONFLICT | ffi::RPMPROB_NEW_FILE_CONFLICT => {
            TransactionProblem::FileConflict {
                path: text,
                package,
                other: alt.unwrap_or_default(),
                other_installed: kind == ffi::RPMPROB_FILE_CONFLICT,
            }
        }
        ffi::RPMPROB_DISKSPACE => TransactionProblem::DiskSpace {
            mount: text,
            needed: number,
            package,
        },
        ffi::RPMPROB_DISKNODES => TransactionProblem::DiskNodes {
            mount: text,
            needed: number,
            package,
        },
        other => {
            // SAFETY: `prob` is valid; rpmProblemString returns a malloc'ed string we free.
            let message = unsafe {
                let raw = ffi::rpmProblemString(prob);
                let text = owned_string(raw).unwrap_or_default();
                if !raw.is_null() {
                    ffi::free(raw.cast());
                }
                text
            };
            TransactionProblem::Other {
                kind: problem_kind_name(other).to_owned(),
                package: (!package.is_empty()).then_some(package),
                other: alt.filter(|a| !a.is_empty()),
                message,
            }
        }
    }
}

fn problem_kind_name(kind: ffi::rpmProblemType) -> &'static str {
    match kind {
        ffi::RPMPROB_BADARCH => "badarch",
        ffi::RPMPROB_BADOS => "bados",
        ffi::RPMPROB_PKG_INSTALLED => "pkg_installed",
        ffi::RPMPROB_BADRELOCATE => "badrelocate",
        ffi::RPMPROB_OLDPACKAGE => "oldpackage",
        ffi::RPMPROB_OBSOLETES => "obsoletes",
        ffi::RPMPROB_VERIFY => "verify",
        _ => "unknown",
    }
}

impl Drop for Transaction {
    fn drop(&mut self) {
        let _guard = LIBRPM.lock().unwrap_or_else(PoisonError::into_inner);
        // SAFETY: `ts` is valid, owned by `self` and never used again; we hold the lock.
        // rpmtsFree closes the database.
        unsafe { ffi::rpmtsFree(self.ts) };
        // Our reference to the scriptlet output, after librpm dropped its own.
        self.script_fd = None;
        // SAFETY: `callback` came from Box::into_raw in `new`, the transaction set that referred
        // to it is freed, and it is reclaimed exactly once (closing any file still open).
        drop(unsafe { Box::from_raw(self.callback) });
        drain_messages();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_map_to_rpm_bits() {
        assert_eq!(TransactionFlags::default().bits(), 0);
        let bits = TransactionFlags::test().bits();
        assert_eq!(bits, (ffi::RPMTRANS_FLAG_TEST as ffi::rpmtransFlags));
        let bits = TransactionFlags {
            noscripts: true,
            justdb: true,
            ..TransactionFlags::default()
        }
        .bits();
        assert_ne!(bits & (ffi::RPMTRANS_FLAG_JUSTDB as ffi::rpmtransFlags), 0);
        assert_ne!(bits & (ffi::RPMTRANS_FLAG_NOPOST as ffi::rpmtransFlags), 0);
        assert_ne!(
            bits & (ffi::RPMTRANS_FLAG_NOPRETRANS as ffi::rpmtransFlags),
            0
        );
        assert_eq!(bits & (ffi::RPMTRANS_FLAG_TEST as ffi::rpmtransFlags), 0);
    }

    #[test]
    fn problems_explain_themselves() {
        let p = TransactionProblem::RequiresUnmet {
            package: "a-1-1.x86_64".into(),
            capability: "libfoo.so.3()(64bit)".into(),
            installed: false,
        };
        assert_eq!(
            p.to_string(),
            "a-1-1.x86_64 requires libfoo.so.3()(64bit), which nothing provides"
        );
        let json = serde_json::to_value(&p).unwrap();
        assert_eq!(json["problem"], "requires_unmet");
    }
}
