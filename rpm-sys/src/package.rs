//! Installed packages, as read from rpm headers.

use std::cmp::Ordering;
use std::ffi::{CStr, CString, c_char};
use std::ptr;

use serde::{Deserialize, Serialize};

use crate::ffi;
use crate::librpm::api;

/// One package installed in an rpm database.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InstalledPackage {
    /// `%{NAME}`.
    pub name: String,
    /// `%{EPOCH}`, `None` when the package has no epoch tag.
    pub epoch: Option<u32>,
    /// `%{VERSION}`.
    pub version: String,
    /// `%{RELEASE}`.
    pub release: String,
    /// `%{ARCH}`; `None` for packages without one (`gpg-pubkey`).
    pub arch: Option<String>,
    /// `%{VENDOR}`.
    pub vendor: Option<String>,
    /// The long (16 hex digits, lowercase) id of the key that signed the package, from the
    /// first of `RSAHEADER`, `DSAHEADER`, `SIGPGP`, `SIGGPG` present; `None` when unsigned.
    pub signature_key_id: Option<String>,
    /// `%{INSTALLTIME}`, seconds since the epoch.
    pub install_time: Option<u64>,
    /// `%{LONGSIZE}` (or `%{SIZE}`): installed size in bytes.
    pub size: Option<u64>,
    /// `%{SOURCERPM}`; `None` for packages without a source package (`gpg-pubkey`, whose
    /// header holds the placeholder `(none)`).
    pub source_rpm: Option<String>,
}

impl InstalledPackage {
    /// `name-[epoch:]version-release[.arch]`, the way dnf prints it: the epoch only when it is
    /// set and non-zero, the arch only when the package has one.
    pub fn nevra(&self) -> String {
        match &self.arch {
            Some(arch) => format!("{}-{}.{arch}", self.name, self.evr()),
            None => format!("{}-{}", self.name, self.evr()),
        }
    }

    /// `[epoch:]version-release`, the epoch only when it is set and non-zero.
    pub fn evr(&self) -> String {
        match self.epoch {
            Some(epoch) if epoch != 0 => format!("{epoch}:{}-{}", self.version, self.release),
            _ => format!("{}-{}", self.version, self.release),
        }
    }

    /// Compares epoch (a missing epoch is 0), version and release the way rpm does.
    pub fn cmp_evr(&self, other: &Self) -> Ordering {
        self.epoch
            .unwrap_or(0)
            .cmp(&other.epoch.unwrap_or(0))
            .then_with(|| vercmp(&self.version, &other.version))
            .then_with(|| vercmp(&self.release, &other.release))
    }

    /// The order [`crate::RpmDatabase::installed_packages`] returns packages in: by name, then
    /// EVR (oldest first), then arch.
    pub fn cmp_name_evr(&self, other: &Self) -> Ordering {
        self.name
            .cmp(&other.name)
            .then_with(|| self.cmp_evr(other))
            .then_with(|| self.arch.cmp(&other.arch))
    }

    /// Reads a package from an rpm header.
    ///
    /// # Safety
    ///
    /// `header` must be a valid, non-null header (for instance one just returned by
    /// `rpmdbNextIterator`, which stays valid until the next call on that iterator), and the
    /// caller must hold the librpm lock.
    pub(crate) unsafe fn from_header(header: ffi::Header) -> Self {
        // SAFETY: every helper call below has the same contract as this function, forwarded.
        unsafe {
            Self {
                name: header_string(header, ffi::RPMTAG_NAME).unwrap_or_default(),
                epoch: header_number(header, ffi::RPMTAG_EPOCH)
                    .map(|epoch| u32::try_from(epoch).unwrap_or(u32::MAX)),
                version: header_string(header, ffi::RPMTAG_VERSION).unwrap_or_default(),
                release: header_string(header, ffi::RPMTAG_RELEASE).unwrap_or_default(),
                arch: header_string(header, ffi::RPMTAG_ARCH),
                vendor: header_string(header, ffi::RPMTAG_VENDOR),
                signature_key_id: header_format(header, SIGNATURE_QUERY)
                    .as_deref()
                    .and_then(parse_key_id),
                install_time: header_number(header, ffi::RPMTAG_INSTALLTIME),
                size: header_number(header, ffi::RPMTAG_LONGSIZE)
                    .or_else(|| header_number(header, ffi::RPMTAG_SIZE)),
                // Imported keys carry the placeholder "(none)": without a SOURCERPM tag librpm
                // would take them for source packages.
                source_rpm: header_string(header, ffi::RPMTAG_SOURCERPM)
                    .filter(|source| source != "(none)"),
            }
        }
    }
}

/// An installed package with header data [`InstalledPackage`] does not carry, as returned by
/// [`crate::RpmDatabase::installed_package_details`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PackageDetails {
    /// The package.
    pub package: InstalledPackage,
    /// The public-key and hash algorithm of the signature that gave
    /// [`InstalledPackage::signature_key_id`], as rpm names them (`RSA/SHA256`, `RSA/SHA1`,
    /// `DSA/SHA1`, `EdDSA/SHA512`...); `None` when unsigned.
    pub signature_algorithm: Option<String>,
    /// `%{PROVIDENAME}`: every capability name the package provides (its own name included).
    pub provides: Vec<String>,
}

impl PackageDetails {
    /// Reads a package and its details from an rpm header.
    ///
    /// # Safety
    ///
    /// Same contract as [`InstalledPackage::from_header`].
    pub(crate) unsafe fn from_header(header: ffi::Header) -> Self {
        // SAFETY: every call below has the same contract as this function, forwarded.
        unsafe {
            let signature = header_format(header, SIGNATURE_QUERY);
            let provides = header_format(header, PROVIDES_QUERY).unwrap_or_default();
            Self {
                package: InstalledPackage::from_header(header),
                signature_algorithm: signature.as_deref().and_then(parse_signature_algorithm),
                provides: provides
                    .lines()
                    .filter(|l| !l.is_empty())
                    .map(str::to_owned)
                    .collect(),
            }
        }
    }
}

/// A query format printing every provided capability name, one per line.
const PROVIDES_QUERY: &CStr = c"[%{PROVIDENAME}\n]";

/// A query format printing the first signature present, e.g.
/// `RSA/SHA256, Mon 01 Jan 2024 00:00:00 UTC, Key ID 199e2f91fd431d51`, or nothing.
const SIGNATURE_QUERY: &CStr = c"%|RSAHEADER?{%{RSAHEADER:pgpsig}}:{%|DSAHEADER?{%{DSAHEADER:pgpsig}}:{%|SIGPGP?{%{SIGPGP:pgpsig}}:{%|SIGGPG?{%{SIGGPG:pgpsig}}:{}|}|}|}|";

/// Extracts the signing key id from rpm's `:pgpsig` rendering of a signature
/// (`"RSA/SHA256, <date>, Key ID 199E2F91FD431D51"` gives `"199e2f91fd431d51"`).
///
/// Returns `None` when there is no `Key ID` followed by hex digits (unsigned packages, signatures
/// rpm cannot parse).
pub fn parse_key_id(pgpsig: &str) -> Option<String> {
    let (_, after) = pgpsig.split_once("Key ID ")?;
    let id: String = after
        .chars()
        .take_while(char::is_ascii_hexdigit)
        .map(|c| c.to_ascii_lowercase())
        .collect();
    (!id.is_empty()).then_some(id)
}

/// Extracts the signature algorithm from rpm's `:pgpsig` rendering of a signature
/// (`"RSA/SHA256, <date>, Key ID 199e2f91fd431d51"` gives `"RSA/SHA256"`).
///
/// Returns `None` when the text does not start with `<public-key algorithm>/<hash algorithm>`
/// (unsigned packages render as an empty string or `(none)`).
pub fn parse_signature_algorithm(pgpsig: &str) -> Option<String> {
    let first = pgpsig.split(',').next()?.trim();
    let (key, hash) = first.split_once('/')?;
    let word = |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
    (word(key) && word(hash)).then(|| first.to_owned())
}

/// Compares two version (or release) strings with librpm's `rpmvercmp`.
///
/// A string with a NUL byte is compared up to that byte, as C would see it.
pub fn vercmp(a: &str, b: &str) -> Ordering {
    let a = c_string_lossy(a);
    let b = c_string_lossy(b);
    // SAFETY: both pointers are valid NUL-terminated strings for the duration of the call;
    // rpmvercmp is a pure function that touches no global state, so it needs no lock.
    let result = unsafe { api().rpmvercmp(a.as_ptr(), b.as_ptr()) };
    result.cmp(&0)
}

fn c_string_lossy(s: &str) -> CString {
    let bytes = s.as_bytes();
    let end = bytes.iter().position(|&b| b == 0).unwrap_or(bytes.len());
    CString::new(&bytes[..end]).unwrap_or_default()
}

/// Copies a C string owned by librpm, replacing invalid UTF-8.
///
/// # Safety
///
/// `ptr` must be null or point to a NUL-terminated string valid for the duration of the call.
pub(crate) unsafe fn owned_string(ptr: *const c_char) -> Option<String> {
    if ptr.is_null() {
        return None;
    }
    // SAFETY: non-null and NUL-terminated per this function's contract.
    let s = unsafe { CStr::from_ptr(ptr) };
    Some(s.to_string_lossy().into_owned())
}

/// A string tag of a header, `None` when absent.
///
/// # Safety
///
/// See [`InstalledPackage::from_header`].
pub(crate) unsafe fn header_string(header: ffi::Header, tag: ffi::rpmTag_e) -> Option<String> {
    // SAFETY: `header` is valid per the contract; headerGetString returns null or a string owned
    // by the header, which stays alive while we copy it.
    unsafe { owned_string(api().headerGetString(header, tag)) }
}

/// A numeric tag of a header, `None` when absent.
///
/// # Safety
///
/// See [`InstalledPackage::from_header`].
pub(crate) unsafe fn header_number(header: ffi::Header, tag: ffi::rpmTag_e) -> Option<u64> {
    // SAFETY: `header` is valid per the contract.
    let present = unsafe { api().headerIsEntry(header, tag) } != 0;
    // SAFETY: as above; headerGetNumber only reads the header.
    present.then(|| unsafe { api().headerGetNumber(header, tag) })
}

/// Renders a query format against a header; `None` when librpm rejects it.
///
/// # Safety
///
/// See [`InstalledPackage::from_header`].
pub(crate) unsafe fn header_format(header: ffi::Header, format: &CStr) -> Option<String> {
    let mut errmsg: ffi::errmsg_t = ptr::null();
    // SAFETY: `header` is valid per the contract, `format` is NUL-terminated, and `errmsg` is a
    // valid out-pointer (librpm stores a pointer to a static message there, which we don't free).
    let rendered = unsafe { api().headerFormat(header, format.as_ptr(), &mut errmsg) };
    if rendered.is_null() {
        // SAFETY: errmsg is null or a static NUL-terminated string set by headerFormat.
        let reason = unsafe { owned_string(errmsg) };
        tracing::debug!(?reason, "headerFormat failed");
        return None;
    }
    // SAFETY: `rendered` is a NUL-terminated string malloc'ed by headerFormat.
    let text = unsafe { owned_string(rendered) };
    // SAFETY: `rendered` was allocated with malloc by librpm and is freed exactly once, after the
    // copy above.
    unsafe { libc::free(rendered.cast()) };
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn package(name: &str, epoch: Option<u32>, version: &str, release: &str) -> InstalledPackage {
        InstalledPackage {
            name: name.into(),
            epoch,
            version: version.into(),
            release: release.into(),
            arch: Some("x86_64".into()),
            vendor: None,
            signature_key_id: None,
            install_time: None,
            size: None,
            source_rpm: None,
        }
    }

    #[test]
    fn key_id_is_parsed_from_pgpsig() {
        assert_eq!(
            parse_key_id("RSA/SHA256, Mon 01 Jan 2024 00:00:00 UTC, Key ID 199E2F91FD431D51")
                .as_deref(),
            Some("199e2f91fd431d51")
        );
        assert_eq!(parse_key_id(""), None);
        assert_eq!(parse_key_id("(none)"), None);
        assert_eq!(parse_key_id("Key ID "), None);
        assert_eq!(parse_key_id("Key ID zz"), None);
    }

    #[test]
    fn signature_algorithm_is_parsed_from_pgpsig() {
        for (text, want) in [
            (
                "RSA/SHA256, Mon 01 Jan 2024 00:00:00 UTC, Key ID 199e2f91fd431d51",
                Some("RSA/SHA256"),
            ),
            (
                "RSA/SHA1, Thu 24 Sep 2020 00:00:00 UTC, Key ID 24c6a8a7f4a80eb5",
                Some("RSA/SHA1"),
            ),
            (
                "DSA/SHA1, Tue 01 Jan 2008, Key ID 5326810137017186",
                Some("DSA/SHA1"),
            ),
            (
                "EdDSA/SHA512, Mon 01 Jan 2024, Key ID abcd",
                Some("EdDSA/SHA512"),
            ),
            ("", None),
            ("(none)", None),
            ("garbage, Key ID 12", None),
            ("/SHA1, x", None),
            ("RSA/, x", None),
        ] {
            assert_eq!(parse_signature_algorithm(text).as_deref(), want, "{text:?}");
        }
    }

    #[test]
    fn nevra_and_evr() {
        let mut p = package("bash", None, "5.1.8", "6.el9");
        assert_eq!(p.nevra(), "bash-5.1.8-6.el9.x86_64");
        p.epoch = Some(0);
        assert_eq!(p.nevra(), "bash-5.1.8-6.el9.x86_64");
        p.epoch = Some(2);
        assert_eq!(p.nevra(), "bash-2:5.1.8-6.el9.x86_64");
        p.arch = None;
        assert_eq!(p.nevra(), "bash-2:5.1.8-6.el9");
        assert_eq!(p.evr(), "2:5.1.8-6.el9");
    }

    #[test]
    fn vercmp_follows_rpm() {
        assert_eq!(vercmp("1.10", "1.9"), Ordering::Greater);
        assert_eq!(vercmp("1.0", "1.0"), Ordering::Equal);
        assert_eq!(vercmp("1.0~rc1", "1.0"), Ordering::Less);
        assert_eq!(vercmp("el9", "el10"), Ordering::Less);
        assert_eq!(vercmp("1\0garbage", "1"), Ordering::Equal);
    }

    #[test]
    fn packages_sort_by_name_then_evr() {
        let mut v = [
            package("b", None, "1.10", "1"),
            package("b", Some(1), "0.1", "1"),
            package("a", None, "2", "1"),
            package("b", None, "1.9", "1"),
        ];
        v.sort_by(InstalledPackage::cmp_name_evr);
        let nevras: Vec<_> = v.iter().map(InstalledPackage::nevra).collect();
        assert_eq!(
            nevras,
            [
                "a-2-1.x86_64",
                "b-1.9-1.x86_64",
                "b-1.10-1.x86_64",
                "b-1:0.1-1.x86_64"
            ]
        );
    }
}
