//! The pool: repositories from rpm-md metadata and from a root's rpm database.

use leapfrog_base::checksum::{Checksum, ChecksumError};
use std::ffi::{CStr, CString, c_int};
use std::fmt;
use std::fs;
use std::io;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::ptr;

use rpm_sys::DbLocation;

use crate::{SolvError, ffi};

/// A solvable (package) id inside one [`Pool`].
pub type SolvableId = i32;

/// A repository as loaded into the pool.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RepoInfo {
    /// The id given by the caller (`@System` for the installed packages).
    pub id: String,
    /// The directory holding `repodata/` (the root for the installed repo).
    pub path: PathBuf,
    /// Higher wins, as in dnf.
    pub priority: i32,
}

/// What the pool knows about one package.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SolvableInfo {
    /// The solvable id.
    pub id: SolvableId,
    /// Package name.
    pub name: String,
    /// Epoch (0 when none).
    pub epoch: u64,
    /// Version.
    pub version: String,
    /// Release.
    pub release: String,
    /// Architecture.
    pub arch: String,
    /// `name-[epoch:]version-release.arch`, epoch only when not 0.
    pub nevra: String,
    /// Id of its repository (`@System` when installed).
    pub repo: String,
    /// Location of the RPM relative to the repository directory.
    pub location: Option<String>,
    /// The package checksum from the metadata; an error when its algorithm cannot be verified
    /// (md5) or its digest is malformed, which the caller refuses.
    pub checksum: Option<Result<Checksum, ChecksumError>>,
    /// Size of the RPM file in bytes (0 when unknown).
    pub download_size: u64,
    /// Installed size in bytes (0 when unknown).
    pub install_size: u64,
    /// Vendor, when set.
    pub vendor: Option<String>,
    /// Source RPM file name, when known.
    pub sourcerpm: Option<String>,
}

/// A libsolv pool with RPM semantics (`DISTTYPE_RPM`) for one architecture.
pub struct Pool {
    pub(crate) raw: *mut ffi::Pool,
    pub(crate) repos: Vec<(*mut ffi::Repo, RepoInfo)>,
    considered: Option<Box<ffi::Map>>,
    prepared: bool,
}

// SAFETY: the pool and everything it owns are only reached through `&mut self`/`&self` of this
// value; libsolv keeps no thread-local state, so moving the whole pool between threads is sound.
unsafe impl Send for Pool {}

impl fmt::Debug for Pool {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pool")
            .field(
                "repos",
                &self.repos.iter().map(|r| &r.1).collect::<Vec<_>>(),
            )
            .finish_non_exhaustive()
    }
}

fn cstring(what: &'static str, value: &str) -> Result<CString, SolvError> {
    CString::new(value).map_err(|_| SolvError::Nul {
        what,
        value: value.to_owned(),
    })
}

fn path_cstring(path: &Path) -> Result<CString, SolvError> {
    CString::new(path.as_os_str().as_bytes()).map_err(|_| SolvError::Nul {
        what: "path",
        value: path.display().to_string(),
    })
}

/// An open libsolv `FILE` (via `solv_xfopen`, which decompresses gz, xz, zstd by file name).
struct XFile(*mut ffi::FILE);

impl XFile {
    fn open(path: &Path) -> Result<Self, String> {
        fs::File::open(path).map_err(|e| e.to_string())?;
        let c_path = CString::new(path.as_os_str().as_bytes()).map_err(|_| "NUL in path")?;
        // SAFETY: both arguments are NUL-terminated strings valid for the call.
        let fp = unsafe { ffi::solv_xfopen(c_path.as_ptr(), c"r".as_ptr()) };
        if fp.is_null() {
            return Err(io::Error::last_os_error().to_string());
        }
        Ok(Self(fp))
    }
}

impl Drop for XFile {
    fn drop(&mut self) {
        // SAFETY: the FILE was opened by solv_xfopen and is closed exactly once.
        unsafe { ffi::fclose(self.0) };
    }
}

/// Reads a whole, possibly compressed (gz, xz, zst: by file name) file through libsolv's
/// `solv_xfopen`.
///
/// # Errors
///
/// When the file cannot be opened or decompressed.
pub fn read_compressed(path: &Path) -> Result<Vec<u8>, SolvError> {
    let err = |detail: String| SolvError::Read {
        path: path.to_path_buf(),
        detail,
    };
    let file = XFile::open(path).map_err(err)?;
    let mut out = Vec::new();
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        // SAFETY: `buf` is writable for its whole length; the FILE is open.
        let n = unsafe { ffi::fread(buf.as_mut_ptr().cast(), 1, buf.len() as u64, file.0) };
        let n = usize::try_from(n).unwrap_or(0);
        out.extend_from_slice(&buf[..n]);
        if n < buf.len() {
            // SAFETY: the FILE is open.
            if unsafe { ffi::ferror(file.0) } != 0 {
                return Err(err("read or decompression error".into()));
            }
            break;
        }
    }
    Ok(out)
}

impl Pool {
    /// A new pool with RPM semantics for `arch` (e.g. `x86_64`; `noarch` packages always fit).
    ///
    /// # Errors
    ///
    /// When `arch` is empty or not a plain architecture name (letters, digits, `_`).
    pub fn new(arch: &str) -> Result<Self, SolvError> {
        if arch.is_empty() || !arch.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            return Err(SolvError::Arch(arch.to_owned()));
        }
        let c_arch = cstring("architecture", arch)?;
        // SAFETY: pool_create has no preconditions; it returns a new pool or aborts.
        let raw = unsafe { ffi::pool_create() };
        let pool = Self {
            raw,
            repos: Vec::new(),
            considered: None,
            prepared: false,
        };
        // SAFETY: `raw` is a valid pool; DISTTYPE_RPM is supported by every libsolv build that
        // has rpm support (Debian's has it, `pool_setdisttype` returns -1 otherwise).
        let rc = unsafe { ffi::pool_setdisttype(raw, ffi::DISTTYPE_RPM as c_int) };
        if rc < 0 {
            return Err(SolvError::Usage("this libsolv has no RPM support"));
        }
        // SAFETY: valid pool, NUL-terminated string copied by libsolv.
        unsafe { ffi::pool_setarch(raw, c_arch.as_ptr()) };
        Ok(pool)
    }

    fn pool_error(&self) -> String {
        // SAFETY: valid pool; pool_errstr returns a string owned by the pool.
        let s = unsafe { ffi::pool_errstr(self.raw) };
        if s.is_null() {
            return "unknown libsolv error".into();
        }
        // SAFETY: non-null NUL-terminated string owned by the pool, copied right away.
        unsafe { CStr::from_ptr(s) }.to_string_lossy().into_owned()
    }

    fn create_repo(&mut self, info: RepoInfo) -> Result<*mut ffi::Repo, SolvError> {
        let name = cstring("repository id", &info.id)?;
        // SAFETY: valid pool; the name is copied into the pool's string space.
        let repo = unsafe { ffi::repo_create(self.raw, name.as_ptr()) };
        // SAFETY: `repo` was just created by the pool and is valid.
        unsafe { (*repo).priority = info.priority };
        self.prepared = false;
        self.repos.push((repo, info));
        Ok(repo)
    }

    /// Adds a repository from rpm-md metadata on local disk: `dir/repodata/repomd.xml` names
    /// the primary and filelists files (gz, xz or zst).
    ///
    /// # Errors
    ///
    /// When `repomd.xml` or the files it names are missing, unreadable or corrupt; the message
    /// names the repository and the file.
    pub fn add_rpmmd_repo(&mut self, id: &str, dir: &Path, priority: i32) -> Result<(), SolvError> {
        let repomd_path = dir.join("repodata/repomd.xml");
        let err = |path: &Path, detail: String| SolvError::Repo {
            repo: id.to_owned(),
            path: path.to_path_buf(),
            detail,
        };
        let repomd =
            fs::read_to_string(&repomd_path).map_err(|e| err(&repomd_path, e.to_string()))?;
        let primary = repomd_location(&repomd, "primary")
            .ok_or_else(|| err(&repomd_path, "repomd.xml names no primary metadata".into()))?;
        let filelists = repomd_location(&repomd, "filelists");
        for href in std::iter::once(&primary).chain(filelists.iter()) {
            if href.split('/').any(|c| c == "..") || href.starts_with('/') {
                return Err(err(&repomd_path, format!("unsafe location {href:?}")));
            }
        }
        let repo = self.create_repo(RepoInfo {
            id: id.to_owned(),
            path: dir.to_path_buf(),
            priority,
        })?;
        let load = |href: &str, flags: u32| -> Result<(), SolvError> {
            let path = dir.join(href);
            let file = XFile::open(&path).map_err(|e| err(&path, e))?;
            // SAFETY: valid repo of this pool and open FILE; a null language means the default.
            let rc = unsafe {
                ffi::repo_add_rpmmd(
                    repo,
                    file.0,
                    ptr::null(),
                    (flags | ffi::REPO_NO_INTERNALIZE) as c_int,
                )
            };
            if rc != 0 {
                return Err(err(&path, self.pool_error()));
            }
            Ok(())
        };
        load(&primary, 0)?;
        if let Some(filelists) = &filelists {
            load(filelists, ffi::REPO_EXTEND_SOLVABLES)?;
        }
        // SAFETY: valid repo.
        unsafe { ffi::repo_internalize(repo) };
        // SAFETY: valid repo.
        let count = unsafe { (*repo).nsolvables };
        tracing::debug!(repo = id, packages = count, "loaded rpm-md repository");
        Ok(())
    }

    /// Adds the packages installed in `root` (its rpm database at `location`) as the installed
    /// repository `@System`.
    ///
    /// # Errors
    ///
    /// When the database file does not exist (it is never created), or libsolv/librpm cannot
    /// read it.
    pub fn add_rpmdb(&mut self, root: &Path, location: &DbLocation) -> Result<(), SolvError> {
        let err = |detail: String| SolvError::Rpmdb {
            root: root.to_path_buf(),
            dbpath: location.dbpath.clone(),
            detail,
        };
        // SAFETY: valid pool.
        if !unsafe { (*self.raw).installed }.is_null() {
            return Err(SolvError::Usage(
                "the pool already has an installed repository",
            ));
        }
        let root = fs::canonicalize(root).map_err(|e| err(e.to_string()))?;
        let file = location.packages_file(&root);
        if !file.is_file() {
            return Err(err(format!(
                "{} does not exist ({} database expected)",
                file.display(),
                location.backend
            )));
        }
        let c_root = path_cstring(&root)?;
        // SAFETY: valid pool; the root is copied.
        unsafe { ffi::pool_set_rootdir(self.raw, c_root.as_ptr()) };
        let repo = self.create_repo(RepoInfo {
            id: "@System".into(),
            path: root.clone(),
            priority: 0,
        })?;
        let raw_repo = repo as usize;
        let (rc, errors) = rpm_sys::with_db_macros(location, || {
            // SAFETY: valid repo of this pool; no reference repo; librpm is locked and has
            // %_dbpath/%_db_backend set by `with_db_macros`; REPO_USE_ROOTDIR makes libsolv
            // prefix the pool's rootdir.
            unsafe {
                ffi::repo_add_rpmdb(
                    raw_repo as *mut ffi::Repo,
                    ptr::null_mut(),
                    ffi::REPO_USE_ROOTDIR as c_int,
                )
            }
        })?;
        if rc != 0 {
            let mut detail = self.pool_error();
            if !errors.is_empty() {
                detail = format!("{detail}: {}", errors.join("; "));
            }
            return Err(err(detail));
        }
        // SAFETY: valid pool and repo.
        unsafe { ffi::pool_set_installed(self.raw, repo) };
        // SAFETY: valid repo.
        let count = unsafe { (*repo).nsolvables };
        if count == 0 {
            return Err(err("the database lists no installed package".into()));
        }
        tracing::debug!(root = %root.display(), packages = count, "loaded rpm database");
        Ok(())
    }

    /// Computes file provides and the what-provides index; call after the last repository is
    /// added and before solving.
    pub fn prepare(&mut self) {
        // SAFETY: valid pool.
        unsafe {
            ffi::pool_addfileprovides(self.raw);
            ffi::pool_createwhatprovides(self.raw);
        }
        self.prepared = true;
    }

    pub(crate) fn is_prepared(&self) -> bool {
        self.prepared
    }

    /// The repositories loaded so far, in order.
    pub fn repos(&self) -> impl Iterator<Item = &RepoInfo> {
        self.repos.iter().map(|(_, info)| info)
    }

    /// Every package id of repository `id` (empty when there is no such repository).
    pub fn repo_solvables(&self, id: &str) -> Vec<SolvableId> {
        let Some((repo, _)) = self.repos.iter().find(|(_, info)| info.id == id) else {
            return Vec::new();
        };
        // SAFETY: valid repo of this pool; start..end bounds its solvables.
        let (start, end) = unsafe { ((**repo).start, (**repo).end) };
        (start..end)
            .filter(|&p| {
                // SAFETY: p < nsolvables; the solvable belongs to `repo` when its repo matches.
                unsafe { (*(*self.raw).solvables.add(p as usize)).repo == *repo }
            })
            .collect()
    }

    /// Hides packages from the solver (the pool's `considered` map): none of `excluded` can be
    /// chosen. Installed packages are never hidden. Replaces an earlier call.
    pub fn set_excluded(&mut self, excluded: &[SolvableId]) {
        // SAFETY: valid pool.
        let n = unsafe { (*self.raw).nsolvables };
        let mut map = Box::new(ffi::Map {
            map: ptr::null_mut(),
            size: 0,
        });
        // SAFETY: `map` is a valid Map struct; map_init allocates n bits, zeroed.
        unsafe { ffi::map_init(&mut *map, n) };
        let installed = self.installed_repo();
        // SAFETY: map has n bits = ceil(n/8) bytes.
        let bytes = unsafe { std::slice::from_raw_parts_mut(map.map, map.size as usize) };
        bytes.fill(0xff);
        for &p in excluded {
            if p <= 1 || p >= n {
                continue;
            }
            // SAFETY: 1 < p < nsolvables.
            if unsafe { (*(*self.raw).solvables.add(p as usize)).repo } == installed {
                continue;
            }
            bytes[(p >> 3) as usize] &= !(1u8 << (p & 7));
        }
        // SAFETY: valid pool; the map lives in `self.considered` until replaced or the pool is
        // freed, and the pointer is cleared before either.
        unsafe { (*self.raw).considered = &mut *map };
        if let Some(mut old) = self.considered.replace(map) {
            // SAFETY: the old map was allocated by map_init and is no longer referenced.
            unsafe { ffi::map_free(&mut *old) };
        }
        self.prepared = false;
    }

    fn installed_repo(&self) -> *mut ffi::Repo {
        // SAFETY: valid pool.
        unsafe { (*self.raw).installed }
    }

    fn id2str(&self, id: ffi::Id) -> String {
        // SAFETY: valid pool; ids come from solvables of this pool; the string is owned by it.
        let s = unsafe { ffi::pool_id2str(self.raw, id) };
        if s.is_null() {
            return String::new();
        }
        // SAFETY: non-null, NUL-terminated, copied now.
        unsafe { CStr::from_ptr(s) }.to_string_lossy().into_owned()
    }

    pub(crate) fn dep2str(&self, id: ffi::Id) -> String {
        // SAFETY: valid pool; `id` is a dependency id of this pool; the returned string is in a
        // temporary buffer of the pool, copied right away.
        let s = unsafe { ffi::pool_dep2str(self.raw, id) };
        if s.is_null() {
            return String::new();
        }
        // SAFETY: as above.
        unsafe { CStr::from_ptr(s) }.to_string_lossy().into_owned()
    }

    pub(crate) fn str2id(&self, s: &str) -> Result<ffi::Id, SolvError> {
        let c = cstring("capability", s)?;
        // SAFETY: valid pool, NUL-terminated string; create=1 interns it.
        Ok(unsafe { ffi::pool_str2id(self.raw, c.as_ptr(), 1) })
    }

    pub(crate) fn nsolvables(&self) -> i32 {
        // SAFETY: valid pool.
        unsafe { (*self.raw).nsolvables }
    }

    /// Everything the pool knows about package `p`, or `None` for an invalid id.
    pub fn solvable(&self, p: SolvableId) -> Option<SolvableInfo> {
        if p <= 1 || p >= self.nsolvables() {
            return None;
        }
        // SAFETY: 1 < p < nsolvables, so the pointer is inside the solvables array.
        let s = unsafe { (*self.raw).solvables.add(p as usize) };
        // SAFETY: `s` is a valid solvable; a null repo marks a freed slot.
        let (name, evr, arch, vendor, repo) =
            unsafe { ((*s).name, (*s).evr, (*s).arch, (*s).vendor, (*s).repo) };
        if repo.is_null() {
            return None;
        }
        let repo_id = self
            .repos
            .iter()
            .find(|(r, _)| *r == repo)
            .map(|(_, info)| info.id.clone())
            .unwrap_or_default();
        let evr = self.id2str(evr);
        let (epoch, rest) = match evr.split_once(':') {
            Some((e, rest)) if e.chars().all(|c| c.is_ascii_digit()) => {
                (e.parse().unwrap_or(0), rest.to_owned())
            }
            _ => (0, evr.clone()),
        };
        let (version, release) = match rest.rsplit_once('-') {
            Some((v, r)) => (v.to_owned(), r.to_owned()),
            None => (rest.clone(), String::new()),
        };
        let name = self.id2str(name);
        let arch = self.id2str(arch);
        let mut medianr = 0u32;
        // SAFETY: valid solvable; the returned string lives in a temporary pool buffer.
        let loc = unsafe { ffi::solvable_lookup_location(s, &mut medianr) };
        let location = (!loc.is_null()).then(|| {
            // SAFETY: non-null NUL-terminated string, copied now.
            unsafe { CStr::from_ptr(loc) }
                .to_string_lossy()
                .into_owned()
        });
        let mut kind: ffi::Id = 0;
        // SAFETY: valid solvable; the result points into the repo's data, `kind` is written.
        let bin = unsafe {
            ffi::solvable_lookup_bin_checksum(s, ffi::SOLVABLE_CHECKSUM as ffi::Id, &mut kind)
        };
        let checksum = if bin.is_null() || kind == 0 {
            None
        } else {
            // SAFETY: `kind` is a checksum type id returned by libsolv.
            let len = unsafe { ffi::solv_chksum_len(kind) };
            // SAFETY: as above; type2str returns a static string.
            let kname = unsafe { ffi::solv_chksum_type2str(kind) };
            let bytes = if len > 0 {
                // SAFETY: libsolv stores `len` bytes of digest at `bin`.
                unsafe { std::slice::from_raw_parts(bin, len as usize) }
            } else {
                &[][..]
            };
            (!kname.is_null() && !bytes.is_empty()).then(|| {
                // SAFETY: non-null static string.
                let kind = unsafe { CStr::from_ptr(kname) }.to_string_lossy();
                let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
                Checksum::parse(&kind, &hex)
            })
        };
        // SAFETY: valid solvable; numeric lookups with a default.
        let download_size =
            unsafe { ffi::solvable_lookup_num(s, ffi::SOLVABLE_DOWNLOADSIZE as ffi::Id, 0) };
        // SAFETY: as above.
        let install_size =
            unsafe { ffi::solvable_lookup_num(s, ffi::SOLVABLE_INSTALLSIZE as ffi::Id, 0) };
        // SAFETY: valid solvable; a temporary pool string or null.
        let src = unsafe { ffi::solvable_lookup_sourcepkg(s) };
        let sourcerpm = (!src.is_null()).then(|| {
            // SAFETY: non-null NUL-terminated string, copied now.
            unsafe { CStr::from_ptr(src) }
                .to_string_lossy()
                .into_owned()
        });
        let vendor = (vendor != 0).then(|| self.id2str(vendor));
        let nevra = if epoch == 0 {
            format!("{name}-{version}-{release}.{arch}")
        } else {
            format!("{name}-{epoch}:{version}-{release}.{arch}")
        };
        Some(SolvableInfo {
            id: p,
            name,
            epoch,
            version,
            release,
            arch,
            nevra,
            repo: repo_id,
            location,
            checksum,
            download_size,
            install_size,
            vendor,
            sourcerpm,
        })
    }

    /// Whether package `p` is installed.
    pub fn is_installed(&self, p: SolvableId) -> bool {
        p > 1
            && p < self.nsolvables()
            // SAFETY: bounds checked.
            && unsafe { (*(*self.raw).solvables.add(p as usize)).repo } == self.installed_repo()
    }
}

impl Drop for Pool {
    fn drop(&mut self) {
        // SAFETY: valid pool; the considered map is ours, detached before the pool is freed.
        unsafe { (*self.raw).considered = ptr::null_mut() };
        if let Some(mut map) = self.considered.take() {
            // SAFETY: allocated by map_init, no longer referenced.
            unsafe { ffi::map_free(&mut *map) };
        }
        // SAFETY: valid pool, freed exactly once (with its repos).
        unsafe { ffi::pool_free(self.raw) };
    }
}

/// The `href` of `<data type="KIND">` in a repomd.xml document.
pub fn repomd_location(repomd: &str, kind: &str) -> Option<String> {
    let open = format!("<data type=\"{kind}\"");
    let start = repomd.find(&open)?;
    let block = &repomd[start..];
    let block = &block[..block.find("</data>")?];
    let loc = block.find("<location")?;
    let rest = &block[loc..];
    let href = rest.find("href=\"")? + 6;
    let rest = &rest[href..];
    let end = rest.find('"')?;
    Some(rest[..end].replace("&amp;", "&"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repomd_locations() {
        let xml = r#"<repomd><data type="primary"><location href="repodata/p.xml.gz"/></data>
            <data type="modules"><location href="repodata/m.yaml.zst"/></data></repomd>"#;
        assert_eq!(
            repomd_location(xml, "primary").as_deref(),
            Some("repodata/p.xml.gz")
        );
        assert_eq!(
            repomd_location(xml, "modules").as_deref(),
            Some("repodata/m.yaml.zst")
        );
        assert_eq!(repomd_location(xml, "filelists"), None);
    }

    #[test]
    fn unknown_arch_is_an_error() {
        assert!(matches!(Pool::new(""), Err(SolvError::Arch(_))));
        assert!(matches!(Pool::new("x86 64"), Err(SolvError::Arch(_))));
        assert!(Pool::new("x86_64").is_ok());
    }
}
