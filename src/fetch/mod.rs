//! Fetching: the target repositories' metadata and the planned packages, from `file://` paths
//! and local directories or over `http://`, with mirrors, retries, resume, and verification of
//! every file (repodata checksums, then OpenPGP signatures through librpm) before it is accepted.
//!
//! - [`fetch_repo_metadata`]: `repodata/repomd.xml` and the data files it lists, verified, into a
//!   cache directory (local repositories are used in place).
//! - [`download`]: packages into a directory (`<root>/var/lib/leapfrog/packages/`), in parallel,
//!   resumable, size-, checksum- and signature-verified.
//! - [`Transport`]: the URL schemes, timeouts, retry policy and the offline switch.
//! - [`IsoMount`]: installation media loop-mounted read-only as a local source.
//!
//! See `docs/download.md` for the layout, the verification order and the error messages.

mod http;
pub mod iso;
mod keys;
mod metadata;
mod packages;
pub mod repomd;
mod transport;

use std::io;
use std::path::{Path, PathBuf};

pub use iso::IsoMount;
pub use keys::{fetch_keys, resolve_mirrorlist};
pub use leapfrog_base::checksum::{Algo, Checksum, ChecksumError, digest_bytes, digest_file};
pub use metadata::{LocalRepo, RepoLocation, fetch_repo_metadata, fetch_repo_metadata_with};
pub use packages::{Item, Options, PackageReport, Report, Source, download, verify_file};
pub use repomd::{DataFile, Repomd, RepomdError};
pub use rpm_sys::verify::SigStatus;
pub use transport::Transport;

/// Everything that can go wrong while fetching; messages name the package or repository, the
/// URL or file, and the cause.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FetchError {
    /// A network URL was given while offline.
    #[error("offline: refusing to access {url} (only file:// URLs and local paths are allowed)")]
    Offline {
        /// The URL.
        url: String,
    },
    /// A URL this fetcher cannot use.
    #[error("cannot fetch {url}: {reason}")]
    UnsupportedUrl {
        /// The URL.
        url: String,
        /// Why.
        reason: String,
    },
    /// The server answered with an error status.
    #[error("{url}: HTTP {status}{}", if reason.is_empty() { String::new() } else { format!(" {reason}") })]
    Http {
        /// The URL.
        url: String,
        /// The status code.
        status: u16,
        /// The reason phrase.
        reason: String,
    },
    /// Connecting, sending or receiving failed (after retries).
    #[error("{url}: {action}")]
    Network {
        /// The URL.
        url: String,
        /// What failed.
        action: String,
        /// The cause.
        #[source]
        source: io::Error,
    },
    /// The server sent a malformed response.
    #[error("{url}: malformed HTTP response: {reason}")]
    Protocol {
        /// The URL.
        url: String,
        /// What is wrong.
        reason: String,
    },
    /// A local file could not be read or written.
    #[error("cannot {action} {path}", path = path.display())]
    Io {
        /// What was attempted.
        action: &'static str,
        /// The file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: io::Error,
    },
    /// The destination filesystem is full; the partial file was removed, nothing was renamed
    /// into place.
    #[error("no space left on the device holding {path} (free some space and run again)", path = path.display())]
    DiskFull {
        /// The file being written.
        path: PathBuf,
    },
    /// Every mirror failed.
    #[error("{what}: all {} mirrors failed: {}", errors.len(), join(errors))]
    AllMirrorsFailed {
        /// The package or file.
        what: String,
        /// One error per mirror.
        errors: Vec<FetchError>,
    },
    /// A downloaded file does not have the checksum repodata states.
    #[error("{package}: checksum mismatch for {url}: expected {expected}, got {algo}:{actual}", algo = expected.algo)]
    Checksum {
        /// The package (or metadata file).
        package: String,
        /// Where it came from.
        url: String,
        /// What repodata says.
        expected: Checksum,
        /// What the file has.
        actual: String,
    },
    /// A downloaded file does not have the size repodata states.
    #[error("{package}: size mismatch for {url}: expected {expected} bytes, got {actual}")]
    Size {
        /// The package.
        package: String,
        /// Where it came from.
        url: String,
        /// What repodata says.
        expected: u64,
        /// What the file has.
        actual: u64,
    },
    /// The package's signature is missing, unknown, untrusted or bad.
    #[error("{package}: signature check failed ({status}): {detail} [{path}]", path = path.display())]
    Signature {
        /// The package.
        package: String,
        /// The file checked.
        path: PathBuf,
        /// librpm's verdict.
        status: SigStatus,
        /// librpm's lines.
        detail: String,
    },
    /// The signature check could not run, or the key files are unusable.
    #[error("{what}: {source}")]
    Verify {
        /// The package or key file.
        what: String,
        /// The cause.
        #[source]
        source: rpm_sys::verify::VerifyError,
    },
    /// Repository metadata is unusable.
    #[error("repository {repo}: {url}: {reason}")]
    Metadata {
        /// The repository id.
        repo: String,
        /// The file.
        url: String,
        /// What is wrong.
        reason: String,
    },
    /// A download item or option is invalid.
    #[error("{what}: {reason}")]
    Invalid {
        /// The package or option.
        what: String,
        /// What is wrong.
        reason: String,
    },
    /// Installation media could not be mounted or unmounted.
    #[error("installation media {image}: {reason}", image = image.display())]
    Mount {
        /// The image file.
        image: PathBuf,
        /// What failed.
        reason: String,
    },
    /// Several packages failed.
    #[error("{} packages failed: {}", errors.len(), join(errors))]
    Several {
        /// One error per failed package.
        errors: Vec<FetchError>,
    },
}

impl FetchError {
    /// Whether another attempt on the same URL may succeed (network trouble, 5xx, truncation).
    pub(crate) fn retryable(&self) -> bool {
        match self {
            FetchError::Network { .. } | FetchError::Protocol { .. } => true,
            FetchError::Http { status, .. } => *status >= 500 || *status == 408 || *status == 429,
            _ => false,
        }
    }

    /// Whether the error stops everything (no other mirror can help).
    pub(crate) fn fatal(&self) -> bool {
        matches!(
            self,
            FetchError::Offline { .. } | FetchError::DiskFull { .. } | FetchError::Io { .. }
        )
    }
}

fn join(errors: &[FetchError]) -> String {
    errors
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}

/// Maps a write error to [`FetchError::DiskFull`] on ENOSPC/EDQUOT, to [`FetchError::Io`]
/// otherwise.
pub(crate) fn write_error(path: &Path, source: io::Error) -> FetchError {
    let full = source.kind() == io::ErrorKind::StorageFull
        || source.kind() == io::ErrorKind::QuotaExceeded
        || matches!(source.raw_os_error(), Some(28 | 122));
    if full {
        FetchError::DiskFull {
            path: path.to_path_buf(),
        }
    } else {
        FetchError::Io {
            action: "write",
            path: path.to_path_buf(),
            source,
        }
    }
}
