//! librpm's notify callback: it opens and closes package files when rpm asks and records every
//! event of interest as a [`ProgressEvent`] for the observer.

use std::collections::HashMap;
use std::ffi::{CString, c_void};
use std::ptr;

use leapfrog_base::failpoints::AfterElement;
use serde::{Deserialize, Serialize};

use crate::ffi;
use crate::header::RpmFd;
use crate::package::header_format;

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

/// State the notify callback works on; owned by the [`Transaction`](crate::Transaction)
/// (boxed, fixed address).
#[derive(Default)]
pub(super) struct CallbackState {
    /// Package file of the install element with key `i + 1`.
    pub(super) paths: Vec<CString>,
    /// NEVRA of the install element with key `i + 1`.
    pub(super) nevras: Vec<String>,
    /// Files rpm asked for and has not closed yet, by key.
    open: HashMap<usize, RpmFd>,
    /// The events of the current run.
    pub(super) events: Vec<ProgressEvent>,
    pub(super) observer: Option<ProgressObserver>,
    /// Abort (or SIGKILL) the process after this many finished elements (real runs only).
    pub(super) failpoint: Option<AfterElement>,
    /// Elements finished in the current run.
    pub(super) finished: u64,
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

/// librpm's notify callback; its data is the [`CallbackState`].
pub(super) extern "C" fn notify(
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
