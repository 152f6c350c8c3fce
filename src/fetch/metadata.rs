//! Repository metadata: `repodata/repomd.xml` and the data files it lists, verified against the
//! checksums repomd states, in a cache directory per repository (local repositories in place).

use std::fs;
use std::path::{Path, PathBuf};

use super::repomd::{DataFile, Repomd};
use super::transport::{Location, Transport};
use super::{FetchError, write_error};
use leapfrog_base::checksum::digest_file;

/// The data types fetched from a remote repository; the others (`*_db`, `*_zck`, `prestodelta`,
/// `updateinfo`, ...) are not needed to depsolve and are skipped.
pub const WANTED: &[&str] = &[
    "primary",
    "filelists",
    "other",
    "modules",
    "group",
    "group_gz",
];

/// A repository to fetch: its id and base URLs (mirrors, tried in order).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RepoLocation {
    /// The repository id (`almalinux9-baseos`); names the cache directory.
    pub id: String,
    /// Base URLs: `file://`, `http://` or absolute paths, each containing `repodata/`.
    pub baseurls: Vec<String>,
}

/// A repository whose metadata is on local disk and verified.
#[derive(Debug, Clone)]
pub struct LocalRepo {
    /// The repository id.
    pub id: String,
    /// The directory containing `repodata/` (the cache directory, or a local repository itself).
    pub dir: PathBuf,
    /// The base URL the metadata came from (the packages' `location href`s are relative to it).
    pub baseurl: String,
    /// The parsed repomd.xml.
    pub repomd: Repomd,
    /// Data files present and verified (their types), in repomd order.
    pub files: Vec<String>,
    /// Bytes of data files downloaded by this call (0 for a warm cache or a local repository;
    /// repomd.xml itself, fetched to compare with the cache, is not counted).
    pub downloaded_bytes: u64,
    /// Data files downloaded by this call (repomd.xml not counted).
    pub downloaded_files: usize,
    /// Whether the repository is used in place (local), without a cached copy.
    pub in_place: bool,
}

impl LocalRepo {
    /// The local path of a data file (`primary`, ...), when it was fetched.
    pub fn data_path(&self, kind: &str) -> Option<PathBuf> {
        let d = self.repomd.get(kind)?;
        self.files
            .iter()
            .any(|f| f == kind)
            .then(|| self.dir.join(&d.href))
    }
}

/// Fetches a repository's metadata into `cache/<id>/` (or uses a local repository in place) and
/// verifies every data file against repomd.xml.
///
/// A remote repository whose cached repomd.xml is byte-identical to the server's and whose cached
/// files verify is not downloaded again. repomd.xml is written last, so an interrupted fetch
/// never leaves a cache that looks complete. Mirrors are tried in order until one delivers a
/// repomd.xml and every listed file.
///
/// # Errors
///
/// A bad repository id, no usable mirror, a repomd.xml that does not parse (no primary,
/// unsupported checksum, ...), a data file whose checksum differs, or a cache that cannot be
/// written.
pub fn fetch_repo_metadata(
    repo: &RepoLocation,
    cache: &Path,
    offline: bool,
) -> Result<LocalRepo, FetchError> {
    let transport = Transport {
        offline,
        ..Transport::default()
    };
    fetch_repo_metadata_with(repo, cache, &transport)
}

/// [`fetch_repo_metadata`] with an explicit [`Transport`] (timeouts, retries).
///
/// # Errors
///
/// As [`fetch_repo_metadata`].
pub fn fetch_repo_metadata_with(
    repo: &RepoLocation,
    cache: &Path,
    transport: &Transport,
) -> Result<LocalRepo, FetchError> {
    if repo.id.is_empty()
        || repo.id.starts_with('.')
        || !repo
            .id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.:@+".contains(c))
    {
        return Err(FetchError::Invalid {
            what: format!("repository id {:?}", repo.id),
            reason: "must be non-empty, not start with '.', and use letters, digits and -_.:@+"
                .into(),
        });
    }
    if repo.baseurls.is_empty() {
        return Err(FetchError::Invalid {
            what: format!("repository {}", repo.id),
            reason: "no baseurl".into(),
        });
    }
    let mut errors = Vec::new();
    for baseurl in &repo.baseurls {
        match fetch_from(repo, baseurl, cache, transport) {
            Ok(r) => return Ok(r),
            Err(e) if e.fatal() => return Err(e),
            Err(e) => {
                tracing::warn!(repo = %repo.id, %baseurl, "{e}");
                errors.push(e);
            }
        }
    }
    if errors.len() == 1 {
        Err(errors.remove(0))
    } else {
        Err(FetchError::AllMirrorsFailed {
            what: format!("repository {}", repo.id),
            errors,
        })
    }
}

fn join_url(base: &str, rel: &str) -> String {
    format!("{}/{}", base.trim_end_matches('/'), rel)
}

fn fetch_from(
    repo: &RepoLocation,
    baseurl: &str,
    cache: &Path,
    transport: &Transport,
) -> Result<LocalRepo, FetchError> {
    let repomd_url = join_url(baseurl, "repodata/repomd.xml");
    let meta_err = |url: &str, reason: String| FetchError::Metadata {
        repo: repo.id.clone(),
        url: url.to_owned(),
        reason,
    };
    let single = [repomd_url.clone()];
    match transport.locate(baseurl)? {
        Location::Local(dir) => {
            // Used in place: verify what is there, copy nothing.
            let (bytes, _) = transport.fetch_bytes(&single, &format!("repository {}", repo.id))?;
            let text = String::from_utf8(bytes)
                .map_err(|_| meta_err(&repomd_url, "repomd.xml is not UTF-8".into()))?;
            let repomd = Repomd::parse(&text).map_err(|e| meta_err(&repomd_url, e.0))?;
            let mut files = Vec::new();
            for d in &repomd.data {
                let path = dir.join(&d.href);
                if !path.exists() && d.kind != "primary" {
                    continue;
                }
                verify_data(repo, &join_url(baseurl, &d.href), d, &path)?;
                files.push(d.kind.clone());
            }
            Ok(LocalRepo {
                id: repo.id.clone(),
                dir,
                baseurl: baseurl.to_owned(),
                repomd,
                files,
                downloaded_bytes: 0,
                downloaded_files: 0,
                in_place: true,
            })
        }
        Location::Http(_) => {
            let (bytes, _) = transport.fetch_bytes(&single, &format!("repository {}", repo.id))?;
            let text = String::from_utf8(bytes.clone())
                .map_err(|_| meta_err(&repomd_url, "repomd.xml is not UTF-8".into()))?;
            let repomd = Repomd::parse(&text).map_err(|e| meta_err(&repomd_url, e.0))?;
            let dir = cache.join(&repo.id);
            let repodata = dir.join("repodata");
            let cached_repomd = repodata.join("repomd.xml");
            let same = fs::read(&cached_repomd).is_ok_and(|old| old == bytes);
            fs::create_dir_all(&repodata).map_err(|e| FetchError::Io {
                action: "create directory",
                path: repodata.clone(),
                source: e,
            })?;
            let mut downloaded_bytes = 0;
            let mut downloaded_files = 0;
            let mut files = Vec::new();
            let wanted: Vec<&DataFile> = repomd
                .data
                .iter()
                .filter(|d| WANTED.contains(&d.kind.as_str()))
                .collect();
            for d in &wanted {
                let url = join_url(baseurl, &d.href);
                let path = dir.join(&d.href);
                if same && verify_data(repo, &url, d, &path).is_ok() {
                    files.push(d.kind.clone());
                    continue;
                }
                if let Some(parent) = path.parent() {
                    fs::create_dir_all(parent).map_err(|e| FetchError::Io {
                        action: "create directory",
                        path: parent.to_path_buf(),
                        source: e,
                    })?;
                }
                let part = part_path(&path);
                let _ = fs::remove_file(&part);
                let fetched = transport.fetch_to_file(
                    std::slice::from_ref(&url),
                    &format!("repository {} {}", repo.id, d.kind),
                    &part,
                    true,
                    &|_| {},
                )?;
                if let Err(e) = verify_data(repo, &url, d, &part) {
                    let _ = fs::remove_file(&part);
                    return Err(e);
                }
                fs::rename(&part, &path).map_err(|e| FetchError::Io {
                    action: "rename into place",
                    path: path.clone(),
                    source: e,
                })?;
                downloaded_bytes += fetched.received;
                downloaded_files += 1;
                files.push(d.kind.clone());
            }
            if same && downloaded_files == 0 {
                tracing::debug!(repo = %repo.id, "metadata cache is current");
            }
            // Drop files of older metadata generations.
            let keep: Vec<PathBuf> = wanted.iter().map(|d| dir.join(&d.href)).collect();
            if let Ok(entries) = fs::read_dir(&repodata) {
                for e in entries.flatten() {
                    let p = e.path();
                    if p != cached_repomd && !keep.contains(&p) {
                        let _ = fs::remove_file(&p);
                    }
                }
            }
            if !same {
                let tmp = repodata.join("repomd.xml.part");
                fs::write(&tmp, &bytes).map_err(|e| write_error(&tmp, e))?;
                fs::rename(&tmp, &cached_repomd).map_err(|e| FetchError::Io {
                    action: "rename into place",
                    path: cached_repomd.clone(),
                    source: e,
                })?;
            }
            Ok(LocalRepo {
                id: repo.id.clone(),
                dir,
                baseurl: baseurl.to_owned(),
                repomd,
                files,
                downloaded_bytes,
                downloaded_files,
                in_place: false,
            })
        }
    }
}

fn part_path(path: &Path) -> PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(".part");
    PathBuf::from(s)
}

fn verify_data(
    repo: &RepoLocation,
    url: &str,
    d: &DataFile,
    path: &Path,
) -> Result<(), FetchError> {
    let (actual, size) = digest_file(d.checksum.algo, path).map_err(|source| FetchError::Io {
        action: "read",
        path: path.to_path_buf(),
        source,
    })?;
    if actual != d.checksum.hex {
        return Err(FetchError::Checksum {
            package: format!("repository {} {}", repo.id, d.kind),
            url: url.to_owned(),
            expected: d.checksum.clone(),
            actual,
        });
    }
    if let Some(expected) = d.size
        && expected != size
    {
        return Err(FetchError::Size {
            package: format!("repository {} {}", repo.id, d.kind),
            url: url.to_owned(),
            expected,
            actual: size,
        });
    }
    Ok(())
}
