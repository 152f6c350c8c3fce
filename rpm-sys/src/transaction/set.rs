//! The transaction set itself: [`Transaction`], bound to a root and its database.

use std::ffi::{CString, c_int, c_void};
use std::fmt;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::ptr;
use std::sync::PoisonError;
use std::sync::atomic::{AtomicBool, Ordering};

use serde::{Deserialize, Serialize};

use super::element::{AddedElement, ElementKind, EraseTarget, OrderedElement};
use super::error::TransactionError;
use super::flags::TransactionFlags;
use super::problem::{self, TransactionProblem};
use super::progress::{CallbackState, ProgressEvent, ProgressObserver, notify};
use crate::db::{MatchIterator, open_read_only};
use crate::error::join_messages;
use crate::ffi;
use crate::header::{NO_SIGNATURES, OwnedHeader, PackageHeader, RpmFd, read_header};
use crate::librpm::api;
use crate::librpm::{LIBRPM, Session, drain_messages, errors_only};
use crate::location::{DbBackend, DbLocation};
use crate::package::owned_string;

/// Whether this process has started a real (non-test) transaction.
static REAL_RUN_STARTED: AtomicBool = AtomicBool::new(false);

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

/// An rpm transaction set bound to a root (its rules are in the documentation of the
/// `transaction` module, `src/transaction/mod.rs`).
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
        let callback = Box::into_raw(Box::new(CallbackState::default()));
        let opened = open_read_only(root, location, |ts| {
            // SAFETY: `ts` is valid; these only store flags.
            unsafe {
                api().rpmtsSetVSFlags(ts, NO_SIGNATURES);
                api().rpmtsSetVfyFlags(ts, NO_SIGNATURES);
                api().rpmtsSetVfyLevel(ts, ffi::RPMSIG_DIGEST_TYPE as c_int);
            }
            // SAFETY: `ts` is valid; `notify` is a valid callback for the life of the process and
            // `callback` stays valid until after `ts` is freed (by `open_read_only` on error, in
            // Drop otherwise).
            let rc = unsafe { api().rpmtsSetNotifyCallback(ts, Some(notify), callback.cast()) };
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
        unsafe { api().rpmtsSetScriptFd(self.ts, fd.0) };
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
            api().rpmtsAddInstallElement(
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
                let instance = unsafe { api().headerGetInstance(header) };
                // SAFETY: as above.
                let info = unsafe { PackageHeader::from_header(header) };
                // SAFETY: `ts` and `header` are valid; the instance comes from the header itself.
                let rc = unsafe {
                    api().rpmtsAddEraseElement(
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
        unsafe { api().rpmtsCleanProblems(self.ts) };
        // SAFETY: `ts` is valid; we hold the lock.
        let rc = unsafe { api().rpmtsCheck(self.ts) };
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
        let rc = unsafe { api().rpmtsOrder(self.ts) };
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
        let count = unsafe { api().rpmtsNElements(self.ts) };
        for i in 0..count {
            // SAFETY: `i` is within 0..rpmtsNElements; the element is owned by `ts`.
            let te = unsafe { api().rpmtsElement(self.ts, i) };
            if te.is_null() {
                continue;
            }
            // SAFETY: `te` is a valid element; the NEVRA string is owned by it and copied.
            let nevra = unsafe { owned_string(api().rpmteNEVRA(te)) }.unwrap_or_default();
            // SAFETY: as above.
            let kind = if unsafe { api().rpmteType(te) } == ffi::TR_ADDED {
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
        unsafe { api().rpmtsSetFlags(self.ts, flags.bits()) };
        // SAFETY: `ts` is valid with its elements added and ordered; no problems are ignored; the
        // callback state is valid and not otherwise borrowed during the call; we hold the lock.
        let rc = unsafe { api().rpmtsRun(self.ts, ptr::null_mut(), ignore) };
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

    /// The current problem set; the caller holds the librpm lock.
    fn problems(&self) -> Vec<TransactionProblem> {
        // SAFETY: `ts` is valid (owned by `self`) and the caller holds the librpm lock.
        unsafe { problem::problems(self.ts) }
    }
}

impl Drop for Transaction {
    fn drop(&mut self) {
        let _guard = LIBRPM.lock().unwrap_or_else(PoisonError::into_inner);
        // SAFETY: `ts` is valid, owned by `self` and never used again; we hold the lock.
        // rpmtsFree closes the database.
        unsafe { api().rpmtsFree(self.ts) };
        // Our reference to the scriptlet output, after librpm dropped its own.
        self.script_fd = None;
        // SAFETY: `callback` came from Box::into_raw in `new`, the transaction set that referred
        // to it is freed, and it is reclaimed exactly once (closing any file still open).
        drop(unsafe { Box::from_raw(self.callback) });
        drain_messages();
    }
}
