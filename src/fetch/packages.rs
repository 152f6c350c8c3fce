//! Downloading packages: parallel workers, resume, and verification (size, checksum, signature)
//! of every file before it is renamed into place.

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use rpm_sys::verify::{Keyring, SigStatus, check_digests, check_package};
use serde::Serialize;

use super::FetchError;
use super::repomd::safe_relative;
use super::transport::Transport;
use leapfrog_base::checksum::{Checksum, digest_file};

/// One package to fetch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Item {
    /// `name-[epoch:]version-release.arch`, for messages and the report.
    pub nevra: String,
    /// The repository id it comes from.
    pub repo: String,
    /// Full URLs of the file, one per mirror, tried in order. The last path segment of the first
    /// URL is the file name under the destination.
    pub urls: Vec<String>,
    /// The checksum repodata states (`<checksum type=...>` of primary.xml).
    pub checksum: Option<Checksum>,
    /// The size repodata states (`<size package=...>`).
    pub size: Option<u64>,
}

/// How [`download`] works.
#[derive(Debug, Clone)]
pub struct Options {
    /// Parallel downloads (at least 1; default 4).
    pub parallel: usize,
    /// Refuse network URLs (`--offline`).
    pub offline: bool,
    /// Require a valid signature by one of `keys` (`false`: `--nogpgcheck`, which still checks
    /// repodata checksums and the package's own digests).
    pub gpgcheck: bool,
    /// ASCII-armored public key files of the target (`RPM-GPG-KEY-*`).
    pub keys: Vec<PathBuf>,
    /// Show a progress bar on stderr.
    pub progress: bool,
    /// Timeouts and retries.
    pub transport: Transport,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            parallel: 4,
            offline: false,
            gpgcheck: true,
            keys: Vec::new(),
            progress: false,
            transport: Transport::default(),
        }
    }
}

/// Where a package file came from in this run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Source {
    /// Already present and verified: nothing was downloaded.
    Cached,
    /// Downloaded (possibly resumed) and verified.
    Downloaded,
}

/// What happened to one package.
#[derive(Debug, Clone, Serialize)]
pub struct PackageReport {
    /// The package.
    pub nevra: String,
    /// Its repository.
    pub repo: String,
    /// The verified file.
    pub path: PathBuf,
    /// Its size.
    pub bytes: u64,
    /// Cached or downloaded.
    pub source: Source,
    /// The URL it was downloaded from (`None` when cached).
    pub url: Option<String>,
    /// Bytes received in this run.
    pub downloaded_bytes: u64,
    /// Bytes that were already in the partial file and not downloaded again.
    pub resumed_bytes: u64,
    /// The signature verdict (`None` with `gpgcheck: false`).
    pub signature: Option<SigStatus>,
}

/// The result of [`download`].
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// One entry per item, in the order given.
    pub packages: Vec<PackageReport>,
    /// Packages downloaded in this run.
    pub downloaded: usize,
    /// Packages already present and verified.
    pub cached: usize,
    /// Bytes received in this run.
    pub downloaded_bytes: u64,
    /// Bytes saved by resuming partial files.
    pub resumed_bytes: u64,
    /// Size of all the packages.
    pub total_bytes: u64,
    /// Wall-clock time.
    #[serde(serialize_with = "secs")]
    pub elapsed: Duration,
}

fn secs<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_f64(d.as_secs_f64())
}

/// Downloads `items` into `dest`, in parallel, and verifies each file before accepting it:
/// size and checksum against repodata, then the OpenPGP signature against `opts.keys` (or only
/// the package's digests with `gpgcheck: false`).
///
/// Files are written as `<name>.part` and renamed into place once verified; a partial file left
/// by an interrupted run is resumed with an HTTP range request when the server supports it. A
/// file already present and verified is not downloaded again. A size or checksum mismatch removes
/// the file and downloads it once more from scratch before failing.
///
/// # Errors
///
/// Invalid options or items (no URL, unsafe or duplicate file names, `gpgcheck` without keys,
/// unreadable key files), the destination not writable or full, and per package: every mirror
/// failed, checksum or size mismatch, signature refused. All packages are attempted; one
/// failure is returned as is, several as [`FetchError::Several`].
pub fn download(items: &[Item], dest: &Path, opts: &Options) -> Result<Report, FetchError> {
    let started = Instant::now();
    if opts.parallel == 0 {
        return Err(FetchError::Invalid {
            what: "parallel downloads".into(),
            reason: "must be at least 1".into(),
        });
    }
    if opts.gpgcheck && opts.keys.is_empty() {
        return Err(FetchError::Invalid {
            what: "signature check".into(),
            reason: "no key file given (pass the target's keys, or disable the check with \
                     --nogpgcheck)"
                .into(),
        });
    }
    let keyring = Keyring::from_files(&opts.keys).map_err(|source| FetchError::Verify {
        what: "target keys".into(),
        source,
    })?;
    let mut names = Vec::with_capacity(items.len());
    for item in items {
        let name = file_name(item)?;
        if names.contains(&name) {
            return Err(FetchError::Invalid {
                what: item.nevra.clone(),
                reason: format!("another package has the same file name {name}"),
            });
        }
        names.push(name);
    }
    fs::create_dir_all(dest).map_err(|source| FetchError::Io {
        action: "create directory",
        path: dest.to_path_buf(),
        source,
    })?;
    let mut transport = opts.transport.clone();
    transport.offline |= opts.offline;

    let bar = opts.progress.then(|| progress_bar(items));
    let next = AtomicUsize::new(0);
    let done = AtomicUsize::new(0);
    let results: Vec<Mutex<Option<Result<PackageReport, FetchError>>>> =
        items.iter().map(|_| Mutex::new(None)).collect();
    let workers = opts.parallel.min(items.len()).max(1);
    let job = Job {
        dest,
        keyring: &keyring,
        gpgcheck: opts.gpgcheck,
        transport: &transport,
        bar: bar.as_ref(),
    };
    std::thread::scope(|scope| {
        for _ in 0..workers {
            scope.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(item) = items.get(i) else { break };
                    let result = job.run(item, &names[i]);
                    let finished = done.fetch_add(1, Ordering::Relaxed) + 1;
                    if let Some(bar) = job.bar {
                        bar.set_message(format!("{finished}/{} packages", items.len()));
                    }
                    *results[i].lock().unwrap_or_else(|e| e.into_inner()) = Some(result);
                }
            });
        }
    });
    if let Some(bar) = &bar {
        bar.finish_and_clear();
    }

    let mut packages = Vec::new();
    let mut errors = Vec::new();
    for slot in results {
        match slot.into_inner().unwrap_or_else(|e| e.into_inner()) {
            Some(Ok(p)) => packages.push(p),
            Some(Err(e)) => errors.push(e),
            None => {}
        }
    }
    if errors.len() == 1 {
        return Err(errors.remove(0));
    }
    if !errors.is_empty() {
        return Err(FetchError::Several { errors });
    }
    Ok(Report {
        downloaded: packages
            .iter()
            .filter(|p| p.source == Source::Downloaded)
            .count(),
        cached: packages
            .iter()
            .filter(|p| p.source == Source::Cached)
            .count(),
        downloaded_bytes: packages.iter().map(|p| p.downloaded_bytes).sum(),
        resumed_bytes: packages.iter().map(|p| p.resumed_bytes).sum(),
        total_bytes: packages.iter().map(|p| p.bytes).sum(),
        packages,
        elapsed: started.elapsed(),
    })
}

fn progress_bar(items: &[Item]) -> indicatif::ProgressBar {
    let total: u64 = items.iter().filter_map(|i| i.size).sum();
    let bar = indicatif::ProgressBar::new(total);
    if let Ok(style) = indicatif::ProgressStyle::with_template(
        "{bar:30} {bytes}/{total_bytes} {bytes_per_sec} {msg}",
    ) {
        bar.set_style(style);
    }
    bar.set_message(format!("0/{} packages", items.len()));
    bar
}

/// The file name of an item: the last segment of its first URL.
fn file_name(item: &Item) -> Result<String, FetchError> {
    let invalid = |reason: String| FetchError::Invalid {
        what: item.nevra.clone(),
        reason,
    };
    let url = item
        .urls
        .first()
        .ok_or_else(|| invalid("no URL to fetch it from".into()))?;
    let path = url.split(['?', '#']).next().unwrap_or("");
    let name = path.rsplit('/').next().unwrap_or("");
    if !safe_relative(name) || name.ends_with(".part") {
        return Err(invalid(format!(
            "URL {url} does not end in a usable file name"
        )));
    }
    Ok(name.to_owned())
}

struct Job<'a> {
    dest: &'a Path,
    keyring: &'a Keyring,
    gpgcheck: bool,
    transport: &'a Transport,
    bar: Option<&'a indicatif::ProgressBar>,
}

impl Job<'_> {
    fn run(&self, item: &Item, name: &str) -> Result<PackageReport, FetchError> {
        let path = self.dest.join(name);
        let part = self.dest.join(format!("{name}.part"));
        let report =
            |source, url, bytes, downloaded_bytes, resumed_bytes, signature| PackageReport {
                nevra: item.nevra.clone(),
                repo: item.repo.clone(),
                path: path.clone(),
                bytes,
                source,
                url,
                downloaded_bytes,
                resumed_bytes,
                signature,
            };
        if path.exists() {
            let url = item.urls.first().map_or("", String::as_str);
            match self.verify(item, url, &path) {
                Ok((bytes, sig)) => {
                    tracing::debug!(package = %item.nevra, "already downloaded and verified");
                    if let Some(bar) = self.bar {
                        bar.inc(bytes);
                    }
                    return Ok(report(Source::Cached, None, bytes, 0, 0, sig));
                }
                Err(e) => {
                    tracing::warn!("{e}; downloading it again");
                    fs::remove_file(&path).map_err(|source| FetchError::Io {
                        action: "remove",
                        path: path.clone(),
                        source,
                    })?;
                }
            }
        }
        let progress = |n: u64| {
            if let Some(bar) = self.bar {
                bar.inc(n);
            }
        };
        let mut received = 0;
        for attempt in 1..=2 {
            let fetched = self
                .transport
                .fetch_to_file(&item.urls, &item.nevra, &part, true, &progress)
                .inspect_err(|e| {
                    if matches!(e, FetchError::DiskFull { .. }) {
                        let _ = fs::remove_file(&part);
                    }
                })?;
            received += fetched.received;
            match self.verify(item, &fetched.url, &part) {
                Ok((bytes, sig)) => {
                    fs::rename(&part, &path).map_err(|source| FetchError::Io {
                        action: "rename into place",
                        path: path.clone(),
                        source,
                    })?;
                    if let Ok(dir) = fs::File::open(self.dest) {
                        let _ = dir.sync_all();
                    }
                    return Ok(report(
                        Source::Downloaded,
                        Some(fetched.url),
                        bytes,
                        received,
                        fetched.resumed_from,
                        sig,
                    ));
                }
                Err(e @ (FetchError::Checksum { .. } | FetchError::Size { .. }))
                    if attempt == 1 =>
                {
                    tracing::warn!("{e}; downloading it again from scratch");
                    let _ = fs::remove_file(&part);
                }
                Err(e) => {
                    let _ = fs::remove_file(&part);
                    return Err(e);
                }
            }
        }
        unreachable!("the loop returns on its second attempt")
    }

    /// Size, checksum, then signature (or digests); returns the size and signature verdict.
    fn verify(
        &self,
        item: &Item,
        url: &str,
        file: &Path,
    ) -> Result<(u64, Option<SigStatus>), FetchError> {
        verify_file(item, url, file, self.keyring, self.gpgcheck)
    }
}

/// Verifies a package file against what repodata says of it: size and checksum of `item`,
/// then the OpenPGP signature against `keyring` (with `gpgcheck`) or only the package's own
/// digests. `url` names where the file came from in error messages. Returns the size and the
/// signature verdict (`None` without `gpgcheck`). `leapfrog apply` runs this again on every
/// downloaded file before the transaction.
///
/// # Errors
///
/// The file is unreadable, its size or checksum differs, or its signature is refused.
pub fn verify_file(
    item: &Item,
    url: &str,
    file: &Path,
    keyring: &Keyring,
    gpgcheck: bool,
) -> Result<(u64, Option<SigStatus>), FetchError> {
    let io_err = |source| FetchError::Io {
        action: "read",
        path: file.to_path_buf(),
        source,
    };
    let size = fs::metadata(file).map_err(io_err)?.len();
    if let Some(expected) = item.size
        && expected != size
    {
        return Err(FetchError::Size {
            package: item.nevra.clone(),
            url: url.into(),
            expected,
            actual: size,
        });
    }
    if let Some(expected) = &item.checksum {
        let (actual, _) = digest_file(expected.algo, file).map_err(io_err)?;
        if actual != expected.hex {
            return Err(FetchError::Checksum {
                package: item.nevra.clone(),
                url: url.into(),
                expected: expected.clone(),
                actual,
            });
        }
    }
    let verify_err = |source| FetchError::Verify {
        what: item.nevra.clone(),
        source,
    };
    let check = if gpgcheck {
        check_package(file, keyring).map_err(verify_err)?
    } else {
        check_digests(file).map_err(verify_err)?
    };
    if check.status != SigStatus::Ok {
        return Err(FetchError::Signature {
            package: item.nevra.clone(),
            path: file.to_path_buf(),
            status: check.status,
            detail: check.detail_line(),
        });
    }
    Ok((size, gpgcheck.then_some(check.status)))
}
