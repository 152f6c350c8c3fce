//! Opening an rpm database read-only and listing what it holds; also the opening and iterating
//! that [`crate::Transaction`] shares.

use std::ffi::{CStr, CString, c_int};
use std::fmt;
use std::fs;
use std::io;
use std::marker::PhantomData;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::ptr;
use std::sync::PoisonError;

use crate::error::{RpmError, join_messages};
use crate::ffi;
use crate::header::PackageHeader;
use crate::librpm::api;
use crate::librpm::{LIBRPM, Session, c_dbpath, drain_messages, errors_only};
use crate::location::DbLocation;
use crate::package::{InstalledPackage, PackageDetails};

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
/// canonical path and the root as a C string. The `%_dbpath` value must be usable and the
/// backend's file must exist (a database is never created).
fn checked_root(root: &Path, location: &DbLocation) -> Result<(PathBuf, CString), RpmError> {
    c_dbpath(location)?;
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
    Ok((root, c_root))
}

/// A new transaction set rooted at `root` with the database at `location` opened read-only: what
/// [`RpmDatabase::open`] and [`crate::Transaction::new`] share. The root and location are checked
/// first; `configure` sets the set's flags and callbacks before the database is opened (it runs
/// holding the librpm lock and fails with librpm's detail).
///
/// Returns the canonical root and the set, which the caller owns and frees with `rpmtsFree`
/// holding the librpm lock; on error the set is already freed.
pub(crate) fn open_read_only(
    root: &Path,
    location: &DbLocation,
    configure: impl FnOnce(ffi::rpmts) -> Result<(), String>,
) -> Result<(PathBuf, ffi::rpmts), RpmError> {
    let (root, c_root) = checked_root(root, location)?;
    let open_error = |detail: String| RpmError::Open {
        root: root.clone(),
        dbpath: location.dbpath.clone(),
        backend: location.backend,
        detail,
    };

    let session = Session::begin(location)?;
    // SAFETY: we hold the librpm lock (session); rpmtsCreate has no preconditions.
    let ts = unsafe { api().rpmtsCreate() };
    if ts.is_null() {
        return Err(open_error("rpmtsCreate failed".into()));
    }
    // From here on `ts` must be freed on every error path.
    let result = (|| {
        // SAFETY: `ts` is a valid transaction set and `c_root` a NUL-terminated absolute
        // path that librpm copies.
        if unsafe { api().rpmtsSetRootDir(ts, c_root.as_ptr()) } != 0 {
            return Err("rpmtsSetRootDir rejected the root".to_owned());
        }
        configure(ts)?;
        let read_only = c_int::try_from(ffi::O_RDONLY).unwrap_or(0);
        // SAFETY: `ts` is valid and has its root set; `%_dbpath`/`%_db_backend` are pushed
        // and the file they designate exists, so librpm opens (never creates) it.
        let rc = unsafe { api().rpmtsOpenDB(ts, read_only) };
        let messages = session.take_messages();
        if rc != 0 {
            return Err(join_messages(&errors_only(&messages), "rpmtsOpenDB failed"));
        }
        Ok(())
    })();
    if let Err(detail) = result {
        // SAFETY: `ts` is valid, owned by us and not used after this; we hold the lock.
        unsafe { api().rpmtsFree(ts) };
        return Err(open_error(detail));
    }
    drop(session);
    Ok((root, ts))
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
        let (root, ts) = open_read_only(root, location, |ts| {
            let no_checks = ffi::RPMVSF_NOSHA1HEADER
                | ffi::RPMVSF_NOSHA256HEADER
                | ffi::RPMVSF_NOPAYLOAD
                | ffi::RPMVSF_NOMD5
                | ffi::RPMVSF_NODSAHEADER
                | ffi::RPMVSF_NORSAHEADER
                | ffi::RPMVSF_NODSA
                | ffi::RPMVSF_NORSA;
            // SAFETY: `ts` is valid; this only stores flags.
            unsafe { api().rpmtsSetVSFlags(ts, no_checks) };
            Ok(())
        })?;
        tracing::debug!(root = %root.display(), dbpath = %location.dbpath, backend = %location.backend, "opened rpm database");
        Ok(Self {
            ts,
            root,
            location: location.clone(),
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
        let session = Session::begin(&self.location)?;
        let mut items = Vec::new();
        {
            let iterator = MatchIterator::all(self.ts);
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
        unsafe { api().rpmtsFree(self.ts) };
        drain_messages();
    }
}

/// A match iterator over the headers of a transaction set's database; it must live inside a
/// [`Session`] (the librpm lock is held while it exists), and borrows its key.
pub(crate) struct MatchIterator<'key> {
    mi: ffi::rpmdbMatchIterator,
    _key: PhantomData<&'key [u8]>,
}

impl MatchIterator<'static> {
    /// Every package of the database of `ts` (valid, with its database open).
    pub(crate) fn all(ts: ffi::rpmts) -> Self {
        // SAFETY: `ts` is a valid transaction set with an open database, and the caller holds the
        // librpm lock; a null key with length 0 iterates over every package.
        let mi = unsafe {
            api().rpmtsInitIterator(
                ts,
                ffi::RPMDBI_PACKAGES as ffi::rpmDbiTagVal,
                ptr::null(),
                0,
            )
        };
        MatchIterator {
            mi,
            _key: PhantomData,
        }
    }
}

impl<'key> MatchIterator<'key> {
    /// The installed packages matching a label (`name`, `name-version-release`,
    /// `name-[epoch:]version-release.arch`), as `rpm -e` takes it.
    pub(crate) fn label(ts: ffi::rpmts, label: &'key CStr) -> Self {
        // SAFETY: `ts` is valid with an open database and the caller holds the lock; librpm reads
        // a label key of length 0 as a C string, which `label` is, alive as long as the iterator.
        let mi = unsafe {
            api().rpmtsInitIterator(
                ts,
                ffi::RPMDBI_LABEL as ffi::rpmDbiTagVal,
                label.as_ptr().cast(),
                0,
            )
        };
        Self {
            mi,
            _key: PhantomData,
        }
    }

    /// The installed package with this rpmdb instance number.
    pub(crate) fn instance(ts: ffi::rpmts, instance: &'key u32) -> Self {
        // SAFETY: `ts` is valid with an open database and the caller holds the lock; the key is
        // exactly the 4 bytes of `instance`, alive as long as the iterator.
        let mi = unsafe {
            api().rpmtsInitIterator(
                ts,
                ffi::RPMDBI_PACKAGES as ffi::rpmDbiTagVal,
                ptr::from_ref(instance).cast(),
                size_of::<u32>(),
            )
        };
        Self {
            mi,
            _key: PhantomData,
        }
    }

    /// The next header, valid until the next call; the caller holds the lock.
    pub(crate) fn next_header(&self) -> Option<ffi::Header> {
        if self.mi.is_null() {
            return None;
        }
        // SAFETY: the iterator is valid (non-null, not yet freed); the caller holds the lock.
        let header = unsafe { api().rpmdbNextIterator(self.mi) };
        (!header.is_null()).then_some(header)
    }
}

impl Drop for MatchIterator<'_> {
    fn drop(&mut self) {
        if !self.mi.is_null() {
            // SAFETY: the iterator is valid and freed exactly once; the caller holds the lock.
            unsafe { api().rpmdbFreeIterator(self.mi) };
        }
    }
}
