//! The one checksum type of leapfrog: package and metadata checksums as repodata states them
//! (`<checksum type="sha256">hex</checksum>`), as `plan.json` records them, and as the
//! downloader verifies them. An algorithm leapfrog cannot verify (md5, crc32, ...) is refused
//! with [`ChecksumError::Unsupported`], never silently dropped.

use std::fmt;
use std::fs::File;
use std::io::{self, Read};
use std::path::Path;

use serde::{Deserialize, Serialize};
use sha1::Sha1;
use sha2::{Digest, Sha224, Sha256, Sha384, Sha512};

/// A checksum algorithm createrepo writes (`sha` is yum's old name for SHA-1). MD5 is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Algo {
    /// SHA-1 (`sha1`, `sha`).
    Sha1,
    /// SHA-224.
    Sha224,
    /// SHA-256.
    Sha256,
    /// SHA-384.
    Sha384,
    /// SHA-512.
    Sha512,
}

impl Algo {
    /// Parses a repodata checksum type; `None` for anything else (md5, crc32, empty, ...).
    pub fn parse(name: &str) -> Option<Self> {
        match name.trim().to_ascii_lowercase().as_str() {
            "sha1" | "sha" => Some(Algo::Sha1),
            "sha224" => Some(Algo::Sha224),
            "sha256" => Some(Algo::Sha256),
            "sha384" => Some(Algo::Sha384),
            "sha512" => Some(Algo::Sha512),
            _ => None,
        }
    }

    /// Length of the hex digest.
    pub fn hex_len(self) -> usize {
        match self {
            Algo::Sha1 => 40,
            Algo::Sha224 => 56,
            Algo::Sha256 => 64,
            Algo::Sha384 => 96,
            Algo::Sha512 => 128,
        }
    }
}

impl fmt::Display for Algo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Algo::Sha1 => "sha1",
            Algo::Sha224 => "sha224",
            Algo::Sha256 => "sha256",
            Algo::Sha384 => "sha384",
            Algo::Sha512 => "sha512",
        })
    }
}

/// An expected checksum: algorithm and lower-case hex digest.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Checksum {
    /// The algorithm.
    pub algo: Algo,
    /// The digest, lower-case hex.
    pub hex: String,
}

/// A checksum leapfrog cannot use.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChecksumError {
    /// An algorithm leapfrog does not verify.
    #[error(
        "checksum type {0:?} is not supported (leapfrog verifies sha1, sha224, sha256, sha384 and sha512)"
    )]
    Unsupported(String),
    /// Not a hex digest of the algorithm's length.
    #[error("{hex:?} is not a {algo} digest ({} hex digits expected)", algo.hex_len())]
    BadDigest {
        /// The algorithm.
        algo: Algo,
        /// The digest as found.
        hex: String,
    },
}

impl Checksum {
    /// A checksum from a repodata type name and hex digest.
    ///
    /// # Errors
    ///
    /// [`ChecksumError::Unsupported`] for an algorithm leapfrog cannot verify (md5, crc32,
    /// empty), [`ChecksumError::BadDigest`] when the digest is not hex of the algorithm's
    /// length.
    pub fn parse(algo: &str, hex: &str) -> Result<Self, ChecksumError> {
        let algo = Algo::parse(algo).ok_or_else(|| ChecksumError::Unsupported(algo.to_string()))?;
        let hex = hex.trim().to_ascii_lowercase();
        if hex.len() == algo.hex_len() && hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            Ok(Self { algo, hex })
        } else {
            Err(ChecksumError::BadDigest { algo, hex })
        }
    }
}

impl fmt::Display for Checksum {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.algo, self.hex)
    }
}

enum Hasher {
    Sha1(Sha1),
    Sha224(Sha224),
    Sha256(Sha256),
    Sha384(Sha384),
    Sha512(Sha512),
}

impl Hasher {
    fn new(algo: Algo) -> Self {
        match algo {
            Algo::Sha1 => Hasher::Sha1(Sha1::new()),
            Algo::Sha224 => Hasher::Sha224(Sha224::new()),
            Algo::Sha256 => Hasher::Sha256(Sha256::new()),
            Algo::Sha384 => Hasher::Sha384(Sha384::new()),
            Algo::Sha512 => Hasher::Sha512(Sha512::new()),
        }
    }

    fn update(&mut self, data: &[u8]) {
        match self {
            Hasher::Sha1(h) => h.update(data),
            Hasher::Sha224(h) => h.update(data),
            Hasher::Sha256(h) => h.update(data),
            Hasher::Sha384(h) => h.update(data),
            Hasher::Sha512(h) => h.update(data),
        }
    }

    fn hex(self) -> String {
        match self {
            Hasher::Sha1(h) => hex::encode(h.finalize()),
            Hasher::Sha224(h) => hex::encode(h.finalize()),
            Hasher::Sha256(h) => hex::encode(h.finalize()),
            Hasher::Sha384(h) => hex::encode(h.finalize()),
            Hasher::Sha512(h) => hex::encode(h.finalize()),
        }
    }
}

/// The hex digest of `data`.
pub fn digest_bytes(algo: Algo, data: &[u8]) -> String {
    let mut h = Hasher::new(algo);
    h.update(data);
    h.hex()
}

/// The hex digest and size of a file.
///
/// # Errors
///
/// When the file cannot be read.
pub fn digest_file(algo: Algo, path: &Path) -> io::Result<(String, u64)> {
    let mut file = File::open(path)?;
    let mut h = Hasher::new(algo);
    let mut buf = vec![0u8; 256 * 1024];
    let mut size = 0u64;
    loop {
        let n = file.read(&mut buf)?;
        if n == 0 {
            break;
        }
        size += n as u64;
        h.update(&buf[..n]);
    }
    Ok((h.hex(), size))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_repodata_types() {
        assert_eq!(Algo::parse("sha256"), Some(Algo::Sha256));
        assert_eq!(Algo::parse("SHA"), Some(Algo::Sha1));
        assert_eq!(Algo::parse("sha512"), Some(Algo::Sha512));
        assert_eq!(Algo::parse("md5"), None);
        assert_eq!(Algo::parse(""), None);
        assert!(matches!(
            Checksum::parse("sha256", "abc"),
            Err(ChecksumError::BadDigest { .. })
        ));
        assert!(Checksum::parse("sha1", &"g".repeat(40)).is_err(), "not hex");
        let c = Checksum::parse("sha1", &"A".repeat(40)).unwrap();
        assert_eq!(c.hex, "a".repeat(40));
        let e = Checksum::parse("md5", &"0".repeat(32)).unwrap_err();
        assert_eq!(e, ChecksumError::Unsupported("md5".into()));
        assert!(e.to_string().contains("\"md5\" is not supported"), "{e}");
    }

    #[test]
    fn digests_known_values() {
        assert_eq!(
            digest_bytes(Algo::Sha256, b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(
            digest_bytes(Algo::Sha1, b"abc"),
            "a9993e364706816aba3e25717850c26c9cd0d89d"
        );
        assert_ne!(
            digest_bytes(Algo::Sha512, b"abc"),
            digest_bytes(Algo::Sha512, b"abd")
        );
    }
}
