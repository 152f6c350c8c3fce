//! librpm's process-wide state: which librpm the process opened (at run time, by soname or
//! path), the lock every call into librpm holds, the configuration read once per process,
//! `%_dbpath`/`%_db_backend` pushed and popped around each use of a database, and librpm's log
//! messages captured instead of printed.
//!
//! # Which librpm
//!
//! The binary links no librpm: it opens one when first needed, so the same binary runs with
//! EL7's `librpm.so.3` (4.11) through EL10's `librpm.so.10` (4.19). Without a choice
//! ([`use_librpm`]) it is the host's, the first of [`HOST_SONAMES`] the dynamic loader finds.
//! A process opens one librpm and keeps it to its end: two librpms in one process would resolve
//! each other's symbols (rpm has no symbol versioning), so the source's database and the target's
//! transaction are read and run by different processes when their librpms differ.

use std::ffi::{CStr, CString, c_char, c_int};
use std::path::{Path, PathBuf};
use std::ptr;
use std::sync::{Mutex, MutexGuard, OnceLock, PoisonError};

use crate::api_list;
use crate::compat::{Compat, RpmVersion};
use crate::error::{RpmError, join_messages};
use crate::ffi;
use crate::location::{DbBackend, DbLocation};

/// The sonames tried, in order, for the host's librpm: EL10 (4.19), EL9 and Debian 12 (4.16,
/// 4.18), EL8 (4.14), EL7 (4.11).
pub const HOST_SONAMES: [&str; 4] = ["librpm.so.10", "librpm.so.9", "librpm.so.8", "librpm.so.3"];

/// Which librpm the process uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LibrpmSource {
    /// The host's: the first of [`HOST_SONAMES`] the dynamic loader finds.
    Host,
    /// This file (`.../librpm.so.N`): the target userspace's, or a build of the test matrix. Its
    /// `librpmio` is opened first from the same directory, so it never pairs with the host's.
    File(PathBuf),
}

/// The librpm the process opened.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct LibrpmInfo {
    /// What was opened: a soname the loader resolved, or the file given.
    pub opened: PathBuf,
    /// Its version (`RPMVERSION`).
    pub version: RpmVersion,
    /// `RPMVERSION` as the library spells it (`4.16.1.3`).
    pub version_text: String,
}

/// The opened library: its bindings, what differs in it, what it is.
pub(crate) struct Loaded {
    pub(crate) api: ffi::LibrpmApi,
    pub(crate) compat: Compat,
    info: LibrpmInfo,
    /// The `librpmio` opened beside a [`LibrpmSource::File`], kept open with it.
    _rpmio: Option<libloading::Library>,
}

static CHOSEN: OnceLock<LibrpmSource> = OnceLock::new();
static LOADED: OnceLock<Result<Loaded, String>> = OnceLock::new();

/// Chooses the librpm of this process. Call it before anything else of this crate; the first
/// choice stays (choosing the same again is fine).
///
/// # Errors
///
/// When another librpm was chosen or opened already.
pub fn use_librpm(source: LibrpmSource) -> Result<(), RpmError> {
    let chosen = CHOSEN.get_or_init(|| source.clone());
    if *chosen != source {
        return Err(RpmError::Librpm {
            detail: format!(
                "this process already uses {}; it cannot switch to {} (one librpm per process)",
                describe(chosen),
                describe(&source)
            ),
        });
    }
    Ok(())
}

fn describe(source: &LibrpmSource) -> String {
    match source {
        LibrpmSource::Host => "the host's librpm".to_owned(),
        LibrpmSource::File(path) => path.display().to_string(),
    }
}

/// The librpm of this process, opening it if needed.
///
/// # Errors
///
/// When no librpm can be opened, it is older than 4.11 (or not 4.x), or lacks a function this
/// crate needs.
pub fn librpm() -> Result<LibrpmInfo, RpmError> {
    loaded().map(|l| l.info.clone())
}

pub(crate) fn loaded() -> Result<&'static Loaded, RpmError> {
    LOADED
        .get_or_init(|| open(CHOSEN.get_or_init(|| LibrpmSource::Host)))
        .as_ref()
        .map_err(|detail| RpmError::Librpm {
            detail: detail.clone(),
        })
}

/// The bindings of the opened librpm.
///
/// Every path into librpm goes through [`lock_configured`] (or [`librpm`]) first, which opens
/// the library or returns the error; this is only reached after one of them succeeded.
pub(crate) fn api() -> &'static ffi::LibrpmApi {
    match loaded() {
        Ok(loaded) => &loaded.api,
        Err(err) => panic!("librpm called before it was opened: {err}"),
    }
}

/// What differs in the opened librpm (see [`api`] for when this may be called).
pub(crate) fn compat() -> &'static Compat {
    match loaded() {
        Ok(loaded) => &loaded.compat,
        Err(err) => panic!("librpm called before it was opened: {err}"),
    }
}

/// `RTLD_NOW | RTLD_LOCAL`: every symbol resolved when opened (a missing one fails here, not in
/// the middle of a transaction), none made visible to other libraries.
const OPEN_FLAGS: c_int = libc::RTLD_NOW | libc::RTLD_LOCAL;

fn open(source: &LibrpmSource) -> Result<Loaded, String> {
    match source {
        LibrpmSource::Host => {
            let mut tried = Vec::new();
            for soname in HOST_SONAMES {
                // SAFETY: opening librpm runs its initialisers, which only set up its own state.
                match unsafe { libloading::os::unix::Library::open(Some(soname), OPEN_FLAGS) } {
                    Ok(lib) => return finish(lib.into(), PathBuf::from(soname), None),
                    Err(err) => tried.push(format!("{soname}: {err}")),
                }
            }
            Err(format!(
                "no librpm found on this host (install rpm's library: rpm-libs on EL, librpm9 on \
                 Debian); tried {}",
                tried.join("; ")
            ))
        }
        LibrpmSource::File(path) => {
            let rpmio = open_rpmio_beside(path)?;
            // SAFETY: as above.
            let lib = unsafe { libloading::os::unix::Library::open(Some(path), OPEN_FLAGS) }
                .map_err(|err| format!("cannot open {}: {err}", path.display()))?;
            finish(lib.into(), path.clone(), rpmio)
        }
    }
}

/// Opens `librpmio.so.N` from the directory of `librpm.so.N`, so that the librpm's own
/// dependency resolves to it and not to a host library of the same soname (EL9's 4.16 and
/// Debian's 4.18 are both `.so.9`).
fn open_rpmio_beside(librpm: &Path) -> Result<Option<libloading::Library>, String> {
    let Some(name) = librpm.file_name().and_then(|n| n.to_str()) else {
        return Ok(None);
    };
    let Some(suffix) = name.strip_prefix("librpm.so") else {
        return Ok(None);
    };
    let rpmio = librpm.with_file_name(format!("librpmio.so{suffix}"));
    if !rpmio.exists() {
        return Ok(None);
    }
    // SAFETY: as for librpm: librpmio's initialisers only set up its own state.
    let lib = unsafe { libloading::os::unix::Library::open(Some(&rpmio), OPEN_FLAGS) }
        .map_err(|err| format!("cannot open {}: {err}", rpmio.display()))?;
    Ok(Some(lib.into()))
}

fn finish(
    lib: libloading::Library,
    opened: PathBuf,
    rpmio: Option<libloading::Library>,
) -> Result<Loaded, String> {
    let what = opened.display().to_string();
    // SAFETY: `RPMVERSION` is librpm's `const char *const`; we read the pointer it holds.
    let version_ptr = unsafe { lib.get::<*const *const c_char>(b"RPMVERSION\0") }
        .map_err(|err| format!("{what} is no librpm (no RPMVERSION: {err})"))?;
    // SAFETY: the symbol's address is valid while the library is open.
    let version_ptr = unsafe { **version_ptr };
    if version_ptr.is_null() {
        return Err(format!("{what} has no RPMVERSION"));
    }
    // SAFETY: a static NUL-terminated string of the library.
    let version_text = unsafe { CStr::from_ptr(version_ptr) }
        .to_string_lossy()
        .into_owned();
    let version = RpmVersion::parse(&version_text)
        .ok_or_else(|| format!("{what}: cannot read its version {version_text:?}"))?;
    if !version.is_supported() {
        return Err(format!(
            "{what} is rpm {version_text}; leapfrog needs librpm 4.11 (EL7) or a later 4.x"
        ));
    }
    let missing: Vec<&str> = api_list::FUNCTIONS
        .iter()
        .filter(|name| !api_list::OPTIONAL.contains(name))
        .filter(|name| {
            let symbol = format!("{name}\0");
            // SAFETY: only looks the name up; the pointer is not used.
            unsafe { lib.get::<*const ()>(symbol.as_bytes()) }.is_err()
        })
        .copied()
        .collect();
    if !missing.is_empty() {
        return Err(format!(
            "{what} (rpm {version_text}) lacks functions leapfrog calls: {}",
            missing.join(", ")
        ));
    }
    // SAFETY: we are inside the OnceLock that opens librpm, before anything can call libsolv;
    // the string is the library's own and it is never closed.
    unsafe { crate::exports::set_rpmversion(version_ptr) };
    let compat = Compat::resolve(version, &lib).map_err(|err| format!("{what}: {err}"))?;
    // SAFETY: `from_library` resolves each bound function by name; with the check above every
    // required one exists, and the types are those of librpm's headers. The bindings keep the
    // library open for the life of the process (they live in a static).
    let api =
        unsafe { ffi::LibrpmApi::from_library(lib) }.map_err(|err| format!("{what}: {err}"))?;
    tracing::debug!(librpm = %what, version = %version_text, ?compat, "librpm opened");
    Ok(Loaded {
        api,
        compat,
        info: LibrpmInfo {
            opened,
            version,
            version_text,
        },
        _rpmio: rpmio,
    })
}

/// The version of the librpm this process uses (e.g. `4.18.0`), or an empty string when none
/// can be opened.
pub fn librpm_version() -> String {
    librpm().map(|info| info.version_text).unwrap_or_default()
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
    let priority = unsafe { api().rpmlogRecPriority(rec) };
    // SAFETY: as above; the message is a NUL-terminated string owned by the record (or null).
    let message = unsafe { api().rpmlogRecMessage(rec) };
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
        let compat = compat();
        if !compat.supports_backend(location.backend) {
            return Err(RpmError::Librpm {
                detail: format!(
                    "librpm {} cannot open the {} database at {}: rpm reads sqlite databases \
                     from 4.16 (EL9) on; an EL7 or EL8 system keeps BerkeleyDB",
                    compat.version, location.backend, location.dbpath
                ),
            });
        }
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
        // SAFETY: the session holds the librpm lock; both strings are NUL-terminated.
        let pushed = unsafe { compat().push_macro(api(), name, body) };
        if !pushed {
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
            unsafe { compat().pop_macro(api(), name) };
        }
        drain_messages();
    }
}

/// Takes the process-wide librpm lock, reading the rpm configuration (and installing the log
/// callback) the first time. Every call into librpm happens while the returned guard is held;
/// messages logged before the call are drained.
pub(crate) fn lock_configured() -> Result<MutexGuard<'static, Librpm>, RpmError> {
    loaded()?;
    let mut guard = LIBRPM.lock().unwrap_or_else(PoisonError::into_inner);
    if !guard.configured {
        // SAFETY: we hold the librpm lock; the callback is a valid `extern "C"` function for
        // the whole life of the process and ignores its (null) data pointer.
        unsafe { api().rpmlogSetCallback(Some(log_callback), ptr::null_mut()) };
        // SAFETY: we hold the librpm lock; null arguments mean "the default files/target".
        let rc = unsafe { api().rpmReadConfigFiles(ptr::null(), ptr::null()) };
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
