//! ELevate's `vendors.d` directory of third-party vendor data.
//!
//! For a vendor `X` the directory may hold `X_map.json` (a repository map, see
//! [`super::repomap`]), `X_pes.json` (PES events, see [`super::pes`]), `X.repo` (the vendor's
//! target repositories, see [`super::repofile`]) and `X.sigs` (package-signing key ids, one per
//! line). Vendor names come from the file names. Other entries (such as the `rpm-gpg/` key
//! directory or editor backups) are ignored. Matching entries are refused with an error when
//! their name is unsafe, when they are not regular files, or when they are symlinks leading
//! outside the directory.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::{pes, repofile, repomap};
use crate::Error;
use crate::util::read_limited;

/// All vendors found in a `vendors.d` directory, by name.
#[derive(Debug, Clone, Default)]
pub struct VendorSet {
    /// The directory that was read.
    pub dir: PathBuf,
    /// Vendors by name.
    pub vendors: BTreeMap<String, Vendor>,
}

/// The data of one vendor. Each part is optional: real vendors ship subsets.
#[derive(Debug, Clone, Default)]
pub struct Vendor {
    /// The vendor name (file-name prefix).
    pub name: String,
    /// `X_map.json` with its path.
    pub map: Option<(PathBuf, repomap::RepoMap)>,
    /// `X_pes.json` with its path.
    pub pes: Option<(PathBuf, pes::PesFile)>,
    /// `X.repo` with its path.
    pub repo: Option<(PathBuf, repofile::RepoFile)>,
    /// `X.sigs`: key ids (lower-case hex), with the file's path.
    pub sigs: Option<(PathBuf, Vec<String>)>,
}

/// The kind of a vendor file, recognized by its suffix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Map,
    Pes,
    Repo,
    Sigs,
}

fn classify(file_name: &str) -> Option<(&str, Kind)> {
    [
        ("_map.json", Kind::Map),
        ("_pes.json", Kind::Pes),
        (".repo", Kind::Repo),
        (".sigs", Kind::Sigs),
    ]
    .into_iter()
    .find_map(|(suffix, kind)| file_name.strip_suffix(suffix).map(|n| (n, kind)))
}

/// Checks that a vendor name is usable: non-empty, no path separators, no `..`, no NUL, not
/// hidden.
pub fn validate_vendor_name(name: &str) -> Result<(), String> {
    if name.is_empty() {
        return Err("empty vendor name".into());
    }
    if name.contains(['/', '\\', '\0']) {
        return Err(format!(
            "vendor name {name:?} contains a path separator or NUL"
        ));
    }
    if name.contains("..") {
        return Err(format!("vendor name {name:?} contains `..`"));
    }
    if name.starts_with('.') {
        return Err(format!("vendor name {name:?} starts with a dot"));
    }
    Ok(())
}

/// Reads a `vendors.d` directory. Repository maps are normalized for `distro` (see
/// [`repomap::parse`]). The first refused entry or unreadable file aborts with an error.
pub fn load(dir: &Path, distro: &str) -> Result<VendorSet, Error> {
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| Error::Io { path, source }
    };
    let canonical_dir = std::fs::canonicalize(dir).map_err(io(dir))?;
    let mut names: Vec<std::ffi::OsString> = std::fs::read_dir(dir)
        .map_err(io(dir))?
        .map(|e| e.map(|e| e.file_name()))
        .collect::<Result<_, _>>()
        .map_err(io(dir))?;
    names.sort();
    let mut set = VendorSet {
        dir: dir.to_path_buf(),
        vendors: BTreeMap::new(),
    };
    for os_name in names {
        let path = dir.join(&os_name);
        let refuse = |reason: String| Error::VendorEntry {
            path: path.clone(),
            reason,
        };
        let Some(file_name) = os_name.to_str() else {
            return Err(refuse("file name is not valid UTF-8".into()));
        };
        let Some((vendor, kind)) = classify(file_name) else {
            tracing::debug!(entry = %path.display(), "ignoring vendors.d entry");
            continue;
        };
        if file_name.starts_with('.') && !file_name.contains("..") {
            tracing::debug!(entry = %path.display(), "ignoring hidden vendors.d entry");
            continue;
        }
        validate_vendor_name(vendor).map_err(refuse)?;
        check_entry(&path, &canonical_dir).map_err(refuse)?;
        let v = set
            .vendors
            .entry(vendor.to_string())
            .or_insert_with(|| Vendor {
                name: vendor.to_string(),
                ..Vendor::default()
            });
        match kind {
            Kind::Map => v.map = Some((path.clone(), repomap::load(&path, distro)?)),
            Kind::Pes => v.pes = Some((path.clone(), pes::load(&path)?)),
            Kind::Repo => v.repo = Some((path.clone(), repofile::load(&path)?)),
            Kind::Sigs => v.sigs = Some((path.clone(), load_sigs(&path)?)),
        }
    }
    tracing::debug!(dir = %dir.display(), vendors = set.vendors.len(), "vendors.d read");
    Ok(set)
}

/// Refuses non-regular files and symlinks that do not resolve to a regular file inside `dir`.
fn check_entry(path: &Path, canonical_dir: &Path) -> Result<(), String> {
    let meta = std::fs::symlink_metadata(path).map_err(|e| format!("cannot stat: {e}"))?;
    if meta.file_type().is_symlink() {
        let target =
            std::fs::canonicalize(path).map_err(|e| format!("symlink cannot be resolved: {e}"))?;
        if !target.starts_with(canonical_dir) {
            return Err(format!(
                "symlink points outside the directory (to {})",
                target.display()
            ));
        }
        let tmeta = std::fs::metadata(&target).map_err(|e| format!("cannot stat target: {e}"))?;
        if !tmeta.is_file() {
            return Err("symlink does not point to a regular file".into());
        }
        return Ok(());
    }
    if !meta.is_file() {
        let what = if meta.is_dir() {
            "a directory"
        } else {
            "a special file"
        };
        return Err(format!("is {what}, not a regular file"));
    }
    Ok(())
}

/// Reads a `.sigs` file: one key id per line (8, 16 or 40 hex digits); empty lines and `#`
/// comments are skipped. Ids are returned in lower case.
pub fn load_sigs(path: &Path) -> Result<Vec<String>, Error> {
    let bytes = read_limited(path, crate::MAX_FILE_SIZE)?;
    let text = std::str::from_utf8(&bytes).map_err(|e| Error::Invalid {
        path: path.to_path_buf(),
        message: format!("not UTF-8 text: {e}"),
    })?;
    parse_sigs(text, path)
}

/// Parses the text of a `.sigs` file; `path` is used in error messages only.
pub fn parse_sigs(text: &str, path: &Path) -> Result<Vec<String>, Error> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let id = line.trim();
        if id.is_empty() || id.starts_with('#') {
            continue;
        }
        if !matches!(id.len(), 8 | 16 | 40) || !id.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(Error::Invalid {
                path: path.to_path_buf(),
                message: format!(
                    "line {}: {id:?} is not a key id (8, 16 or 40 hex digits)",
                    i + 1
                ),
            });
        }
        out.push(id.to_ascii_lowercase());
    }
    Ok(out)
}
