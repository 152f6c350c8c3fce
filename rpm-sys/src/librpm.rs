//! librpm's process-wide state: the lock every call into librpm holds, the configuration read
//! once per process, `%_dbpath`/`%_db_backend` pushed and popped around each use of a database,
//! and librpm's log messages captured instead of printed.

use std::ffi::{CStr, CString, c_int};
use std::ptr;
use std::sync::{Mutex, MutexGuard, PoisonError};

use crate::error::{RpmError, join_messages};
use crate::ffi;
use crate::location::{DbBackend, DbLocation};

/// The version of the librpm this crate is linked with (e.g. `4.18.0`).
pub fn librpm_version() -> String {
    // SAFETY: RPMVERSION is an immutable, NUL-terminated string constant of librpm.
    let version = unsafe { ffi::RPMVERSION };
    if version.is_null() {
        return String::new();
    }
    // SAFETY: checked non-null above; it is a static C string.
    unsafe { CStr::from_ptr(version) }
        .to_string_lossy()
        .into_owned()
}

/// Process-wide librpm state; the mutex around it is held during every call into librpm.
#[derive(Debug)]
pub(crate) struct Librpm {
    /// Whether `rpmReadConfigFiles` succeeded (it is called once per process).
    configured: bool,
}

pub(crate) static LIBRPM: Mutex<Librpm> = Mutex::new(Librpm { configured: false });

/// Messages librpm logged since the last [`drain_messages`].
static LOGGED: Mutex<Vec<(ffi::rpmlogLvl, String)>> = Mutex::new(Vec::new());

/// librpm's log callback: keeps the message for the current session instead of printing it.
extern "C" fn log_callback(rec: ffi::rpmlogRec, _data: ffi::rpmlogCallbackData) -> c_int {
    // SAFETY: librpm passes a valid record for the duration of the callback.
    let priority = unsafe { ffi::rpmlogRecPriority(rec) };
    // SAFETY: as above; the message is a NUL-terminated string owned by the record (or null).
    let message = unsafe { ffi::rpmlogRecMessage(rec) };
    let message = if message.is_null() {
        String::new()
    } else {
        // SAFETY: non-null, NUL-terminated, valid during the callback.
        unsafe { CStr::from_ptr(message) }
            .to_string_lossy()
            .trim_end()
            .to_owned()
    };
    LOGGED
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .push((priority, message));
    0 // handled: no default logging to stderr
}

/// The location's `%_dbpath` as a C string, refused when it is not usable as one (not
/// absolute, containing `%`, `..` or NUL).
pub(crate) fn c_dbpath(location: &DbLocation) -> Result<CString, RpmError> {
    let invalid = |reason| RpmError::InvalidDbPath {
        dbpath: location.dbpath.clone(),
        reason,
    };
    if let Some(reason) = location.dbpath_problem() {
        return Err(invalid(reason));
    }
    CString::new(location.dbpath.as_str()).map_err(|_| invalid("it contains a NUL byte"))
}

/// Holds the librpm lock, with `%_dbpath` and `%_db_backend` pushed for one database, for the
/// duration of a group of librpm calls. Dropping it pops the macros and releases the lock.
pub(crate) struct Session {
    pushed: Vec<&'static CStr>,
    _guard: MutexGuard<'static, Librpm>,
}

impl Session {
    /// Takes the lock (reading the configuration the first time) and pushes the macros of
    /// `location`.
    pub(crate) fn begin(location: &DbLocation) -> Result<Self, RpmError> {
        let dbpath = c_dbpath(location)?;
        let guard = lock_configured()?;
        let mut session = Self {
            pushed: Vec::with_capacity(2),
            _guard: guard,
        };
        session.push_macro(c"_dbpath", &dbpath)?;
        let backend = match location.backend {
            DbBackend::Sqlite => c"sqlite",
            DbBackend::BdbReadOnly => c"bdb_ro",
        };
        session.push_macro(c"_db_backend", backend)?;
        Ok(session)
    }

    fn push_macro(&mut self, name: &'static CStr, body: &CStr) -> Result<(), RpmError> {
        // SAFETY: the session holds the librpm lock; a null context means the global one; all
        // strings are NUL-terminated and librpm copies them.
        let rc = unsafe {
            ffi::rpmPushMacro(
                ptr::null_mut(),
                name.as_ptr(),
                ptr::null(),
                body.as_ptr(),
                ffi::RMIL_CMDLINE,
            )
        };
        if rc != 0 {
            return Err(RpmError::Config {
                detail: format!(
                    "cannot define %{} as {:?}",
                    name.to_string_lossy(),
                    body.to_string_lossy()
                ),
            });
        }
        self.pushed.push(name);
        Ok(())
    }

    /// Messages logged so far in this session; all of them are also emitted as `tracing` events.
    pub(crate) fn take_messages(&self) -> Vec<(ffi::rpmlogLvl, String)> {
        drain_messages()
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        for name in self.pushed.drain(..).rev() {
            // SAFETY: we still hold the librpm lock (the guard is dropped after this body); the
            // macro was pushed by this session so there is an entry to pop.
            unsafe { ffi::rpmPopMacro(ptr::null_mut(), name.as_ptr()) };
        }
        drain_messages();
    }
}

/// Takes the process-wide librpm lock, reading the rpm configuration (and installing the log
/// callback) the first time. Every call into librpm happens while the returned guard is held;
/// messages logged before the call are drained.
pub(crate) fn lock_configured() -> Result<MutexGuard<'static, Librpm>, RpmError> {
    let mut guard = LIBRPM.lock().unwrap_or_else(PoisonError::into_inner);
    if !guard.configured {
        // SAFETY: we hold the librpm lock; the callback is a valid `extern "C"` function for
        // the whole life of the process and ignores its (null) data pointer.
        unsafe { ffi::rpmlogSetCallback(Some(log_callback), ptr::null_mut()) };
        // SAFETY: we hold the librpm lock; null arguments mean "the default files/target".
        let rc = unsafe { ffi::rpmReadConfigFiles(ptr::null(), ptr::null()) };
        let messages = drain_messages();
        if rc != 0 {
            return Err(RpmError::Config {
                detail: join_messages(&errors_only(&messages), "rpmReadConfigFiles failed"),
            });
        }
        guard.configured = true;
        tracing::debug!(version = %librpm_version(), "librpm configured");
    }
    drain_messages();
    Ok(guard)
}

/// Takes the messages librpm logged so far, emitting each as a `tracing` event.
pub(crate) fn drain_messages() -> Vec<(ffi::rpmlogLvl, String)> {
    let messages = std::mem::take(&mut *LOGGED.lock().unwrap_or_else(PoisonError::into_inner));
    for (priority, message) in &messages {
        if *priority <= ffi::RPMLOG_ERR {
            tracing::debug!(target: "librpm", priority, "error: {message}");
        } else {
            tracing::debug!(target: "librpm", priority, "{message}");
        }
    }
    messages
}

/// The messages of error level and worse.
pub(crate) fn errors_only(messages: &[(ffi::rpmlogLvl, String)]) -> Vec<String> {
    messages
        .iter()
        .filter(|(priority, _)| *priority <= ffi::RPMLOG_ERR)
        .map(|(_, message)| message.clone())
        .collect()
}

/// Runs `f` holding the process-wide librpm lock, with the rpm configuration read and
/// `%_dbpath`/`%_db_backend` pushed for `location` (popped again afterwards).
///
/// This is for other libraries linked against the same librpm that open an rpm database
/// themselves (libsolvext's `repo_add_rpmdb`): they see the macros, and no other librpm call of
/// this crate runs at the same time. `f` must not call back into this crate (the lock is not
/// reentrant).
///
/// # Errors
///
/// When the location is invalid or the rpm configuration cannot be read.
/// Returns `f`'s value and the error messages librpm logged meanwhile.
pub fn with_db_macros<T>(
    location: &DbLocation,
    f: impl FnOnce() -> T,
) -> Result<(T, Vec<String>), RpmError> {
    let session = Session::begin(location)?;
    let value = f();
    let errors = errors_only(&session.take_messages());
    drop(session);
    Ok((value, errors))
}
