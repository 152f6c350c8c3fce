//! Verifying downloaded package files: digests and OpenPGP signatures, checked by librpm against a
//! private keyring built from armored public key files (never the host's or a root's rpmdb keys).
//!
//! The check is librpm's own `rpm -K` (`rpmcliVerifySignatures`) with the verification level set
//! on the transaction set: [`check_package`] requires the digests *and* a signature made by a key
//! of the keyring (rpm's `%_pkgverify_level all`, which includes `signature`), so an unsigned
//! package, a package signed by a key that is not in the keyring and a corrupted package are all
//! refused; [`check_digests`] only requires the digests (for `--nogpgcheck`).
//!
//! ```no_run
//! use rpm_sys::verify::{Keyring, SigStatus, check_package};
//! use std::path::{Path, PathBuf};
//!
//! let keyring = Keyring::from_files(&[PathBuf::from("/etc/pki/rpm-gpg/RPM-GPG-KEY-AlmaLinux-9")])?;
//! let check = check_package(Path::new("bash-5.1.8-9.el9.x86_64.rpm"), &keyring)?;
//! assert_eq!(check.status, SigStatus::Ok);
//! # Ok::<(), rpm_sys::verify::VerifyError>(())
//! ```

use std::ffi::{CString, c_char, c_int};
use std::fmt;
use std::fs;
use std::io;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::ptr;

use serde::{Deserialize, Serialize};

use crate::compat::VerifyLevel;
use crate::error::RpmError;
use crate::ffi;
use crate::librpm::{api, compat, drain_messages, lock_configured};

const ARMOR_BEGIN: &str = "-----BEGIN PGP PUBLIC KEY BLOCK-----";

/// Errors of the verification API (a package that fails verification is not an error: it is a
/// [`SigCheck`] whose status is not [`SigStatus::Ok`]).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum VerifyError {
    /// A key file or package file cannot be read.
    #[error("cannot read {path}", path = path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: io::Error,
    },
    /// A key file holds no ASCII-armored public key block, or librpm cannot parse one.
    #[error("{path}: {reason}", path = path.display())]
    BadKey {
        /// The key file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// A path contains a NUL byte.
    #[error("path {path} contains a NUL byte and cannot be passed to librpm", path = path.display())]
    NulInPath {
        /// The path.
        path: PathBuf,
    },
    /// librpm could not be set up or failed outside the verification itself.
    #[error(transparent)]
    Rpm(#[from] RpmError),
}

/// The verdict on one package file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SigStatus {
    /// Every digest is correct and (for [`check_package`]) a signature by a keyring key is valid.
    Ok,
    /// The digests are correct but the package carries no signature at all.
    Unsigned,
    /// The package is signed by a key that is not in the keyring.
    UnknownKey,
    /// The signing key is in the keyring but not trusted (e.g. expired or revoked).
    NotTrusted,
    /// A digest or signature does not match (corrupted or tampered), or the file is no package.
    Bad,
}

impl fmt::Display for SigStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            SigStatus::Ok => "signature and digests OK",
            SigStatus::Unsigned => "the package is not signed",
            SigStatus::UnknownKey => "signed with a key that is not among the trusted keys",
            SigStatus::NotTrusted => "signed with a key that is not trusted",
            SigStatus::Bad => "digest or signature does not match (corrupted or tampered)",
        })
    }
}

/// The result of checking one package file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SigCheck {
    /// The verdict.
    pub status: SigStatus,
    /// Key ids (8 hex digits, lower case) of the signatures librpm found, valid or not.
    pub key_ids: Vec<String>,
    /// librpm's per-item lines (`Header V4 RSA/SHA256 Signature, key ID ...: OK`, ...).
    pub detail: Vec<String>,
}

impl SigCheck {
    /// librpm's lines joined with `; ` for an error message.
    pub fn detail_line(&self) -> String {
        self.detail.join("; ")
    }
}

/// One public key packet and where it came from.
#[derive(Debug, Clone)]
struct Key {
    source: PathBuf,
    packet: Vec<u8>,
}

/// A set of OpenPGP public keys to verify packages against, read from ASCII-armored key files
/// (the `RPM-GPG-KEY-*` files of a distribution). Holds the binary key packets; the librpm keyring
/// is built for each check, so the value is plain data, `Send` and `Sync`.
#[derive(Debug, Clone, Default)]
pub struct Keyring {
    keys: Vec<Key>,
}

impl Keyring {
    /// An empty keyring (every signed package is then [`SigStatus::UnknownKey`]).
    pub fn new() -> Self {
        Self::default()
    }

    /// Reads every armored public key block of every file.
    ///
    /// # Errors
    ///
    /// When a file cannot be read, holds no public key block, or a block is not a key librpm
    /// accepts.
    pub fn from_files(paths: &[PathBuf]) -> Result<Self, VerifyError> {
        let mut keyring = Self::new();
        for path in paths {
            let text = fs::read_to_string(path).map_err(|source| VerifyError::Io {
                path: path.clone(),
                source,
            })?;
            keyring.add_armored(path, &text)?;
        }
        Ok(keyring)
    }

    /// Adds every public key block of `armored` (the text of a key file); `source` names it in
    /// errors.
    ///
    /// # Errors
    ///
    /// When the text holds no public key block, or librpm cannot parse a block or build a key
    /// from it.
    pub fn add_armored(&mut self, source: &Path, armored: &str) -> Result<(), VerifyError> {
        let bad = |reason: String| VerifyError::BadKey {
            path: source.to_path_buf(),
            reason,
        };
        let blocks: Vec<&str> = armored
            .match_indices(ARMOR_BEGIN)
            .map(|(start, _)| &armored[start..])
            .collect();
        if blocks.is_empty() {
            return Err(bad("no ASCII-armored OpenPGP public key block".into()));
        }
        let _guard = lock_configured()?;
        let mut added = Vec::with_capacity(blocks.len());
        for block in blocks {
            let c_block =
                CString::new(block).map_err(|_| bad("the key file contains a NUL byte".into()))?;
            let mut pkt: *mut u8 = ptr::null_mut();
            let mut pktlen: usize = 0;
            // SAFETY: we hold the librpm lock; `c_block` is NUL-terminated; librpm parses the
            // first armor block and mallocs `pkt` on success, which we free below.
            let kind = unsafe { api().pgpParsePkts(c_block.as_ptr(), &mut pkt, &mut pktlen) };
            let packet = if pkt.is_null() {
                Vec::new()
            } else {
                // SAFETY: librpm returned a buffer of `pktlen` bytes.
                let bytes = unsafe { std::slice::from_raw_parts(pkt, pktlen) }.to_vec();
                // SAFETY: `pkt` was malloc'ed by librpm and is not used after this.
                unsafe { libc::free(pkt.cast()) };
                bytes
            };
            drain_messages();
            if kind != ffi::PGPARMOR_PUBKEY || packet.is_empty() {
                return Err(bad(format!(
                    "librpm cannot parse the public key block (armor result {kind})"
                )));
            }
            // Check now that librpm can build a key from it, so that a bad key is reported here
            // and not as an unknown key on every package.
            // SAFETY: we hold the lock; `packet` is a valid buffer of its length.
            let pubkey = unsafe { api().rpmPubkeyNew(packet.as_ptr(), packet.len()) };
            drain_messages();
            if pubkey.is_null() {
                return Err(bad("librpm rejects the public key".into()));
            }
            // SAFETY: `pubkey` is a valid key we own; freed once.
            unsafe { api().rpmPubkeyFree(pubkey) };
            added.push(Key {
                source: source.to_path_buf(),
                packet,
            });
        }
        self.keys.extend(added);
        Ok(())
    }

    /// Number of public key blocks.
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// Whether there is no key.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// The files the keys came from (one entry per key).
    pub fn sources(&self) -> impl Iterator<Item = &Path> {
        self.keys.iter().map(|k| k.source.as_path())
    }
}

/// What a check requires.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Level {
    /// Digests and a valid signature by a keyring key.
    Signature,
    /// Digests only; signatures are not looked at.
    Digests,
}

/// Checks a package file's digests and its signature against `keyring`: the status is
/// [`SigStatus::Ok`] only when every digest matches and a signature by a keyring key is valid.
///
/// # Errors
///
/// When the file cannot be read or librpm cannot be set up; a package that fails verification is
/// returned as a [`SigCheck`] with its status.
pub fn check_package(path: &Path, keyring: &Keyring) -> Result<SigCheck, VerifyError> {
    run_check(path, keyring, Level::Signature)
}

/// Checks only a package file's digests (header and payload); signatures, present or not, are
/// ignored: [`SigStatus::Ok`] or [`SigStatus::Bad`].
///
/// # Errors
///
/// As [`check_package`].
pub fn check_digests(path: &Path) -> Result<SigCheck, VerifyError> {
    run_check(path, &Keyring::new(), Level::Digests)
}

/// `RPMLOG_UPTO(RPMLOG_INFO)`: the log mask of `rpm -v`, which makes `rpmcliVerifySignatures`
/// log one line per digest and signature.
fn verbose_mask() -> c_int {
    (1 << (ffi::RPMLOG_INFO + 1)) - 1
}

fn run_check(path: &Path, keyring: &Keyring, level: Level) -> Result<SigCheck, VerifyError> {
    match fs::metadata(path) {
        Ok(meta) if meta.is_file() => {}
        Ok(_) => {
            return Err(VerifyError::Io {
                path: path.to_path_buf(),
                source: io::Error::other("not a regular file"),
            });
        }
        Err(source) => {
            return Err(VerifyError::Io {
                path: path.to_path_buf(),
                source,
            });
        }
    }
    let c_path = CString::new(path.as_os_str().as_bytes()).map_err(|_| VerifyError::NulInPath {
        path: path.to_path_buf(),
    })?;

    let _guard = lock_configured()?;
    // SAFETY: we hold the librpm lock; rpmtsCreate has no preconditions.
    let ts = unsafe { api().rpmtsCreate() };
    if ts.is_null() {
        return Err(VerifyError::Rpm(RpmError::Config {
            detail: "rpmtsCreate failed".into(),
        }));
    }
    // SAFETY: we hold the lock; rpmKeyringNew has no preconditions.
    let kr = unsafe { api().rpmKeyringNew() };
    for key in &keyring.keys {
        // SAFETY: the packet is a valid buffer of its length (checked by `add_armored`).
        let pubkey = unsafe { api().rpmPubkeyNew(key.packet.as_ptr(), key.packet.len()) };
        if pubkey.is_null() {
            continue;
        }
        // SAFETY: `kr` and `pubkey` are valid; the keyring takes its own reference.
        unsafe { api().rpmKeyringAddKey(kr, pubkey) };
        let mut count: c_int = 0;
        let subkeys = if compat().has_subkeys() {
            // SAFETY: `pubkey` is valid; librpm returns a malloc'ed array of `count` keys (or
            // null). Only called where librpm has subkeys (not 4.11, see compat.rs).
            unsafe { api().rpmGetSubkeys(pubkey, &mut count) }
        } else {
            ptr::null_mut()
        };
        if !subkeys.is_null() {
            for i in 0..usize::try_from(count).unwrap_or(0) {
                // SAFETY: `i < count`, so the element is inside the array.
                let sub = unsafe { *subkeys.add(i) };
                // SAFETY: `sub` is a valid key owned by the array; the keyring links it.
                unsafe { api().rpmKeyringAddKey(kr, sub) };
                // SAFETY: our reference to `sub` is released exactly once.
                unsafe { api().rpmPubkeyFree(sub) };
            }
            // SAFETY: the array was malloc'ed by librpm; its elements were released above.
            unsafe { libc::free(subkeys.cast()) };
        }
        // SAFETY: our reference to `pubkey` is released exactly once (the keyring keeps its own).
        unsafe { api().rpmPubkeyFree(pubkey) };
    }
    // SAFETY: `ts` and `kr` are valid; the transaction set links the keyring (so it never loads
    // keys from an rpm database), then we drop our reference.
    unsafe {
        api().rpmtsSetKeyring(ts, kr);
        api().rpmKeyringFree(kr);
    }
    let digest = ffi::RPMSIG_DIGEST_TYPE as c_int;
    let signature = ffi::RPMSIG_SIGNATURE_TYPE as c_int;
    let (vfyflags, vfylevel) = match level {
        Level::Signature => (0, digest | signature),
        Level::Digests => (
            ffi::RPMVSF_NODSAHEADER
                | ffi::RPMVSF_NORSAHEADER
                | ffi::RPMVSF_NODSA
                | ffi::RPMVSF_NORSA,
            digest,
        ),
    };
    let selectable = compat().verify_level() == VerifyLevel::Selectable;
    if selectable {
        // SAFETY: `ts` is valid; these only store flags (the functions exist: compat.rs).
        unsafe {
            api().rpmtsSetVfyFlags(ts, vfyflags);
            api().rpmtsSetVfyLevel(ts, vfylevel);
        }
    }
    let argv: [*const c_char; 2] = [c_path.as_ptr(), ptr::null()];
    drain_messages();
    // SAFETY: we hold the lock; 0 only queries the mask.
    let old_mask = unsafe { api().rpmlogSetMask(0) };
    // SAFETY: as above; sets the verbosity of `rpm -v` for this call only.
    unsafe { api().rpmlogSetMask(verbose_mask()) };
    // SAFETY: `ts` is valid; `argv` is a NULL-terminated array of NUL-terminated strings that
    // outlive the call (librpm's ARGV_const_t).
    let failures = unsafe { api().rpmcliVerifySignatures(ts, argv.as_ptr().cast_mut().cast()) };
    // SAFETY: restores the previous mask (never 0, which would only query).
    unsafe { api().rpmlogSetMask(if old_mask == 0 { 0xff } else { old_mask }) };
    let messages = drain_messages();
    // SAFETY: `ts` is valid, owned by us, not used afterwards.
    unsafe { api().rpmtsFree(ts) };

    let lines: Vec<String> = messages
        .into_iter()
        .flat_map(|(_, m)| m.lines().map(str::to_owned).collect::<Vec<_>>())
        .map(|l| l.trim().to_owned())
        .filter(|l| !l.is_empty())
        .collect();
    Ok(classify(path, failures, lines, level, selectable))
}

/// Turns `rpmcliVerifySignatures`' result and verbose lines into a verdict.
///
/// `selectable` says whether librpm was told the level (4.14+). Without it (4.11) librpm checks
/// signatures even for [`Level::Digests`], and a package with no signature passes: so a
/// signature verdict (`NOKEY`, `NOTTRUSTED`) does not count at the digest level, and at the
/// signature level a package passes only with a signature by a key of the keyring (at least one
/// key id): the same verdicts as with 4.14+.
fn classify(
    path: &Path,
    failures: c_int,
    lines: Vec<String>,
    level: Level,
    selectable: bool,
) -> SigCheck {
    let prefix = format!("{}:", path.display());
    let detail: Vec<String> = lines
        .into_iter()
        .map(|l| match l.strip_prefix(&prefix) {
            Some(rest) => rest.trim().to_owned(),
            None => l,
        })
        .filter(|l| !l.is_empty())
        .collect();
    let key_ids: Vec<String> = detail
        .iter()
        .filter_map(|l| {
            let rest = &l[l.find("key ID ")? + "key ID ".len()..];
            let id: String = rest.chars().take_while(char::is_ascii_hexdigit).collect();
            (!id.is_empty()).then(|| id.to_ascii_lowercase())
        })
        .collect();
    let signature_verdict_only = |l: &String| {
        l.contains("Signature") && (l.ends_with(": NOKEY") || l.ends_with(": NOTTRUSTED"))
    };
    let failures = if !selectable && level == Level::Digests {
        // 4.11 counted a package whose only failures are signature verdicts as failed.
        let real = detail
            .iter()
            .any(|l| (l.ends_with("NOT OK") || l.contains(": BAD")) && !signature_verdict_only(l));
        let only_sig = detail.iter().any(signature_verdict_only) && !real;
        if only_sig { 0 } else { failures }
    } else {
        failures
    };
    let status = if failures == 0 && level == Level::Signature && key_ids.is_empty() {
        SigStatus::Unsigned
    } else if failures == 0 {
        SigStatus::Ok
    } else if detail
        .iter()
        .any(|l| l.ends_with(": BAD") || l.contains(": BAD "))
        || !detail.iter().any(|l| l.contains(':'))
        || detail
            .iter()
            .any(|l| l.contains("not an rpm package") || l.contains("failed"))
    {
        SigStatus::Bad
    } else if detail.iter().any(|l| l.ends_with(": NOKEY")) {
        SigStatus::UnknownKey
    } else if detail.iter().any(|l| l.ends_with(": NOTTRUSTED")) {
        SigStatus::NotTrusted
    } else if key_ids.is_empty() && detail.iter().any(|l| l.ends_with("signature: NOTFOUND")) {
        SigStatus::Unsigned
    } else {
        SigStatus::Bad
    };
    SigCheck {
        status,
        key_ids,
        detail,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(text: &str) -> Vec<String> {
        text.lines().map(|l| l.trim().to_owned()).collect()
    }

    #[test]
    fn classifies_rpm_k_output() {
        let p = Path::new("/x/a.rpm");
        let ok = classify(
            p,
            0,
            lines(
                "/x/a.rpm:\nHeader V4 RSA/SHA256 Signature, key ID 284ddd4b: OK\nPayload SHA256 digest: OK",
            ),
            Level::Signature,
            true,
        );
        assert_eq!(ok.status, SigStatus::Ok);
        assert_eq!(ok.key_ids, ["284ddd4b"]);
        let nokey = classify(
            p,
            1,
            lines(
                "Header V4 RSA/SHA256 Signature, key ID aba6a6cb: NOKEY\nHeader SHA256 digest: OK",
            ),
            Level::Signature,
            true,
        );
        assert_eq!(nokey.status, SigStatus::UnknownKey);
        let unsigned = classify(
            p,
            1,
            lines(
                "Header RSA signature: NOTFOUND\nHeader SHA256 digest: OK\nRSA signature: NOTFOUND",
            ),
            Level::Signature,
            true,
        );
        assert_eq!(unsigned.status, SigStatus::Unsigned);
        let bad = classify(
            p,
            1,
            lines(
                "Header V4 RSA/SHA256 Signature, key ID 284ddd4b: OK\nPayload SHA256 digest: BAD (Expected 1 != 2)",
            ),
            Level::Signature,
            true,
        );
        assert_eq!(bad.status, SigStatus::Bad);
        assert_eq!(
            classify(p, 1, Vec::new(), Level::Signature, true).status,
            SigStatus::Bad
        );
    }

    /// librpm 4.11 (no verification level): the same verdicts as 4.14+ from its own lines.
    #[test]
    fn classifies_rpm_4_11_output_without_a_verification_level() {
        let p = Path::new("/x/a.rpm");
        let digests_only = lines("Header SHA1 digest: OK (abc)\nMD5 digest: OK (def)");
        // No signature at all: 4.11 reports success, which is not a signature check.
        let unsigned = classify(p, 0, digests_only.clone(), Level::Signature, false);
        assert_eq!(unsigned.status, SigStatus::Unsigned);
        assert_eq!(
            classify(p, 0, digests_only, Level::Digests, false).status,
            SigStatus::Ok
        );
        // Signed by an unknown key: a failure at the signature level, not at the digest level.
        let nokey = lines(
            "Header V3 RSA/SHA256 Signature, key ID f4a80eb5: NOKEY\nHeader SHA1 digest: OK (abc)\nMD5 digest: OK (def)",
        );
        assert_eq!(
            classify(p, 1, nokey.clone(), Level::Signature, false).status,
            SigStatus::UnknownKey
        );
        assert_eq!(
            classify(p, 1, nokey, Level::Digests, false).status,
            SigStatus::Ok
        );
        // A bad digest fails at both levels.
        let bad = lines(
            "Header V3 RSA/SHA256 Signature, key ID f4a80eb5: NOKEY\nMD5 digest: BAD (Expected 1 != 2)",
        );
        assert_eq!(
            classify(p, 1, bad.clone(), Level::Digests, false).status,
            SigStatus::Bad
        );
        assert_eq!(
            classify(p, 1, bad, Level::Signature, false).status,
            SigStatus::Bad
        );
    }

    #[test]
    fn a_key_file_without_a_key_is_refused() {
        let mut k = Keyring::new();
        let err = k
            .add_armored(Path::new("k"), "just text")
            .expect_err("no key block");
        assert!(err.to_string().contains("no ASCII-armored"), "{err}");
        let err = k
            .add_armored(
                Path::new("k"),
                "-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nnot base64 !!!\n-----END PGP PUBLIC KEY BLOCK-----\n",
            )
            .expect_err("garbage key");
        assert!(matches!(err, VerifyError::BadKey { .. }), "{err}");
        assert!(k.is_empty());
    }
}
