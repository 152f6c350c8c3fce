//! Opening an rpm database read-only and listing what it holds.

use std::ffi::{CStr, CString, c_int};
use std::fmt;
use std::fs;
use std::io;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::ptr;
use std::sync::{Mutex, MutexGuard, PoisonError};

use serde::{Deserialize, Serialize};

use crate::error::{RpmError, join_messages};
use crate::ffi;
use crate::header::PackageHeader;
use crate::package::{InstalledPackage, PackageDetails};

/// The on-disk format of an rpm database, i.e. the value of rpm's `%_db_backend`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum DbBackend {
    /// `rpmdb.sqlite` (EL9 and later).
    #[serde(rename = "sqlite")]
    Sqlite,
    /// A BerkeleyDB `Packages` file (EL7, EL8), read with rpm's read-only `bdb_ro` backend.
    #[serde(rename = "bdb_ro")]
    BdbReadOnly,
}

impl DbBackend {
    /// The value of `%_db_backend` selecting this backend.
    pub fn macro_value(self) -> &'static str {
        match self {
            DbBackend::Sqlite => "sqlite",
            DbBackend::BdbReadOnly => "bdb_ro",
        }
    }

    /// The file, inside the database directory, that holds the package headers.
    pub fn packages_file(self) -> &'static str {
        match self {
            DbBackend::Sqlite => "rpmdb.sqlite",
            DbBackend::BdbReadOnly => "Packages",
        }
    }
}

impl fmt::Display for DbBackend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.macro_value())
    }
}

/// Where an rpm database lives inside a root, and in which format.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct DbLocation {
    /// The database directory as seen from inside the root (rpm's `%_dbpath`), e.g.
    /// `/var/lib/rpm` (EL7-9) or `/usr/lib/sysimage/rpm` (EL10).
    pub dbpath: String,
    /// The database format.
    pub backend: DbBackend,
}

impl DbLocation {
    /// A location from a `%_dbpath` and a backend.
    pub fn new(dbpath: impl Into<String>, backend: DbBackend) -> Self {
        Self {
            dbpath: dbpath.into(),
            backend,
        }
    }

    /// The host path of the file holding the package headers when the database is under `root`.
    pub fn packages_file(&self, root: &Path) -> PathBuf {
        root.join(self.dbpath.trim_start_matches('/'))
            .join(self.backend.packages_file())
    }

    pub(crate) fn validate(&self) -> Result<CString, RpmError> {
        let invalid = |reason| RpmError::InvalidDbPath {
            dbpath: self.dbpath.clone(),
            reason,
        };
        if !self.dbpath.starts_with('/') {
            return Err(invalid("it must be absolute"));
        }
        if self.dbpath.contains('%') {
            return Err(invalid("it must not contain rpm macros ('%')"));
        }
        if self.dbpath.split('/').any(|part| part == "..") {
            return Err(invalid("it must not contain '..'"));
        }
        CString::new(self.dbpath.as_str()).map_err(|_| invalid("it contains a NUL byte"))
    }
}

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

// ---------------------------------------------------------------------------------------------
// librpm's global state
// ---------------------------------------------------------------------------------------------

/// Process-wide librpm state; the mutex around it is held during every call into librpm.
#[derive(Debug)]
pub(crate) struct Librpm {
    /// Whether `rpmReadConfigFiles` succeeded (it is called once per process).
    configured: bool,
}

pub(crate) static LIBRPM: Mutex<Librpm> = Mutex::new(Librpm { configured: false });

/// Messages librpm logged since the last [`Session::take_messages`].
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

/// Holds the librpm lock, with `%_dbpath` and `%_db_backend` pushed for one database, for the
/// duration of a group of librpm calls. Dropping it pops the macros and releases the lock.
pub(crate) struct Session {
    pushed: Vec<&'static CStr>,
    _guard: MutexGuard<'static, Librpm>,
}

impl Session {
    pub(crate) fn begin(location: &DbLocation, dbpath: &CStr) -> Result<Self, RpmError> {
        let guard = lock_configured()?;
        let mut session = Self {
            pushed: Vec::with_capacity(2),
            _guard: guard,
        };
        session.push_macro(c"_dbpath", dbpath)?;
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

pub(crate) fn errors_only(messages: &[(ffi::rpmlogLvl, String)]) -> Vec<String> {
    messages
        .iter()
        .filter(|(priority, _)| *priority <= ffi::RPMLOG_ERR)
        .map(|(_, message)| message.clone())
        .collect()
}

// ---------------------------------------------------------------------------------------------
// The database
// ---------------------------------------------------------------------------------------------

/// An rpm database of a root, opened read-only.
///
/// Opening never creates a database: the backend's file must already exist (librpm's sqlite
/// backend would otherwise create an empty one). As with `rpm -qa`, SQLite may leave its
/// `rpmdb.sqlite-shm`/`-wal` side files next to a WAL-mode database it read. Signatures and
/// digests of the headers are not verified while reading (the root's keys are irrelevant to
/// listing what is installed); structurally broken headers are still detected.
pub struct RpmDatabase {
    ts: ffi::rpmts,
    root: PathBuf,
    location: DbLocation,
    dbpath: CString,
}

// SAFETY: the transaction set is only ever touched while holding the process-wide librpm lock
// (in `installed_packages` and `drop`), so moving it to another thread is sound.
unsafe impl Send for RpmDatabase {}
// SAFETY: `&self` methods take the librpm lock before touching the transaction set, so
// concurrent use from several threads is serialised.
unsafe impl Sync for RpmDatabase {}

impl fmt::Debug for RpmDatabase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RpmDatabase")
            .field("root", &self.root)
            .field("location", &self.location)
            .finish_non_exhaustive()
    }
}

/// Validates a root and the database location inside it before librpm sees them: the root's
/// canonical path, the `%_dbpath` value and the root as a C string. The backend's file must
/// exist (a database is never created).
pub(crate) fn checked_root(
    root: &Path,
    location: &DbLocation,
) -> Result<(PathBuf, CString, CString), RpmError> {
    let dbpath = location.validate()?;
    let root = fs::canonicalize(root).map_err(|source| RpmError::Root {
        root: root.to_path_buf(),
        source,
    })?;
    if !root.is_dir() {
        return Err(RpmError::RootNotADirectory { root });
    }
    let packages_file = location.packages_file(&root);
    let missing = |source| RpmError::DatabaseMissing {
        root: root.clone(),
        dbpath: location.dbpath.clone(),
        backend: location.backend,
        file: packages_file.clone(),
        source,
    };
    match fs::metadata(&packages_file) {
        Ok(meta) if meta.is_file() => {}
        Ok(_) => return Err(missing(io::Error::other("not a regular file"))),
        Err(source) => return Err(missing(source)),
    }
    let c_root = CString::new(root.as_os_str().as_bytes())
        .map_err(|_| RpmError::NulInPath { path: root.clone() })?;
    Ok((root, dbpath, c_root))
}

impl RpmDatabase {
    /// Opens the rpm database at `location` inside `root` read-only.
    ///
    /// # Errors
    ///
    /// When the root is not an accessible directory, the database path is not absolute (or
    /// contains `%`, `..` or NUL), the backend's file (`rpmdb.sqlite` or `Packages`) is missing,
    /// the rpm configuration cannot be read, or librpm cannot open the database (e.g. it is
    /// corrupt). Messages name the root and the database path.
    pub fn open(root: &Path, location: &DbLocation) -> Result<Self, RpmError> {
        let (root, dbpath, c_root) = checked_root(root, location)?;

        let open_error = |detail: String| RpmError::Open {
            root: root.clone(),
            dbpath: location.dbpath.clone(),
            backend: location.backend,
            detail,
        };

        let session = Session::begin(location, &dbpath)?;
        // SAFETY: we hold the librpm lock (session); rpmtsCreate has no preconditions.
        let ts = unsafe { ffi::rpmtsCreate() };
        if ts.is_null() {
            return Err(open_error("rpmtsCreate failed".into()));
        }
        // From here on `ts` must be freed on every error path.
        let result = (|| {
            // SAFETY: `ts` is a valid transaction set and `c_root` a NUL-terminated absolute
            // path that librpm copies.
            if unsafe { ffi::rpmtsSetRootDir(ts, c_root.as_ptr()) } != 0 {
                return Err("rpmtsSetRootDir rejected the root".to_owned());
            }
            let no_checks = ffi::RPMVSF_NOSHA1HEADER
                | ffi::RPMVSF_NOSHA256HEADER
                | ffi::RPMVSF_NOPAYLOAD
                | ffi::RPMVSF_NOMD5
                | ffi::RPMVSF_NODSAHEADER
                | ffi::RPMVSF_NORSAHEADER
                | ffi::RPMVSF_NODSA
                | ffi::RPMVSF_NORSA;
            // SAFETY: `ts` is valid; this only stores flags.
            unsafe { ffi::rpmtsSetVSFlags(ts, no_checks) };
            let read_only = c_int::try_from(ffi::O_RDONLY).unwrap_or(0);
            // SAFETY: `ts` is valid and has its root set; `%_dbpath`/`%_db_backend` are pushed
            // and the file they designate exists, so librpm opens (never creates) it.
            let rc = unsafe { ffi::rpmtsOpenDB(ts, read_only) };
            let messages = session.take_messages();
            if rc != 0 {
                return Err(join_messages(&errors_only(&messages), "rpmtsOpenDB failed"));
            }
            Ok(())
        })();
        if let Err(detail) = result {
            // SAFETY: `ts` is valid, owned by us and not used after this; we hold the lock.
            unsafe { ffi::rpmtsFree(ts) };
            return Err(open_error(detail));
        }
        drop(session);
        tracing::debug!(root = %root.display(), dbpath = %location.dbpath, backend = %location.backend, "opened rpm database");
        Ok(Self {
            ts,
            root,
            location: location.clone(),
            dbpath,
        })
    }

    /// The root the database belongs to (canonicalised).
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Where the database is inside the root.
    pub fn location(&self) -> &DbLocation {
        &self.location
    }

    /// Every installed package, sorted by name, then EVR (oldest first), then arch.
    ///
    /// # Errors
    ///
    /// When librpm reports an error while iterating (e.g. a corrupt header): the list would be
    /// incomplete, so it is not returned.
    pub fn installed_packages(&self) -> Result<Vec<InstalledPackage>, RpmError> {
        // SAFETY: `read_all` hands over headers just returned by the iterator while holding the
        // librpm lock, which is the contract of `from_header`.
        let mut packages =
            self.read_all(|header| unsafe { InstalledPackage::from_header(header) })?;
        packages.sort_by(InstalledPackage::cmp_name_evr);
        Ok(packages)
    }

    /// Like [`Self::installed_packages`], with each package's signature algorithm and provided
    /// capability names ([`PackageDetails`]); same order.
    ///
    /// # Errors
    ///
    /// As [`Self::installed_packages`].
    pub fn installed_package_details(&self) -> Result<Vec<PackageDetails>, RpmError> {
        // SAFETY: as in `installed_packages`.
        let mut details = self.read_all(|header| unsafe { PackageDetails::from_header(header) })?;
        details.sort_by(|a, b| a.package.cmp_name_evr(&b.package));
        Ok(details)
    }

    /// Every installed package with its provides and file list ([`PackageHeader`]), in the
    /// order of [`Self::installed_packages`]; used to estimate the space an erase frees.
    ///
    /// # Errors
    ///
    /// As [`Self::installed_packages`].
    pub fn installed_package_files(&self) -> Result<Vec<PackageHeader>, RpmError> {
        // SAFETY: as in `installed_packages`.
        let mut headers = self.read_all(|header| unsafe { PackageHeader::from_header(header) })?;
        headers.sort_by(|a, b| a.package.cmp_name_evr(&b.package));
        Ok(headers)
    }

    /// Calls `read` on every header of the database (inside a session, holding the librpm lock)
    /// and collects the results.
    fn read_all<T>(&self, mut read: impl FnMut(ffi::Header) -> T) -> Result<Vec<T>, RpmError> {
        let session = Session::begin(&self.location, &self.dbpath)?;
        let mut items = Vec::new();
        {
            let iterator = PackageIterator::new(self.ts);
            while let Some(header) = iterator.next_header() {
                // `header` was just returned by the iterator, which keeps it alive until the next
                // call; we hold the librpm lock through `session`.
                items.push(read(header));
            }
        }
        let errors = errors_only(&session.take_messages());
        drop(session);
        if !errors.is_empty() {
            return Err(RpmError::Read {
                root: self.root.clone(),
                dbpath: self.location.dbpath.clone(),
                backend: self.location.backend,
                detail: join_messages(&errors, ""),
            });
        }
        Ok(items)
    }
}

impl Drop for RpmDatabase {
    fn drop(&mut self) {
        let _guard = LIBRPM.lock().unwrap_or_else(PoisonError::into_inner);
        // SAFETY: `ts` is valid and owned by `self`, never used again; we hold the librpm lock.
        // rpmtsFree also closes the database.
        unsafe { ffi::rpmtsFree(self.ts) };
        drain_messages();
    }
}

/// An iterator over all headers of the database; must live inside a [`Session`].
struct PackageIterator(ffi::rpmdbMatchIterator);

impl PackageIterator {
    fn new(ts: ffi::rpmts) -> Self {
        // SAFETY: `ts` is a valid transaction set with an open database, and the caller holds the
        // librpm lock; a null key with length 0 iterates over every package.
        let mi = unsafe {
            ffi::rpmtsInitIterator(
                ts,
                ffi::RPMDBI_PACKAGES as ffi::rpmDbiTagVal,
                ptr::null(),
                0,
            )
        };
        Self(mi)
    }

    fn next_header(&self) -> Option<ffi::Header> {
        if self.0.is_null() {
            return None;
        }
        // SAFETY: the iterator is valid (non-null, not yet freed); the caller holds the lock.
        let header = unsafe { ffi::rpmdbNextIterator(self.0) };
        (!header.is_null()).then_some(header)
    }
}

impl Drop for PackageIterator {
    fn drop(&mut self) {
        if !self.0.is_null() {
            // SAFETY: the iterator is valid and freed exactly once; the caller holds the lock.
            unsafe { ffi::rpmdbFreeIterator(self.0) };
        }
    }
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
    let dbpath = location.validate()?;
    let session = Session::begin(location, &dbpath)?;
    let value = f();
    let errors = errors_only(&session.take_messages());
    drop(session);
    Ok((value, errors))
}
