//! Repository maps: `repomap.json` and `<vendor>_map.json`.
//!
//! Two on-disk formats exist. Format 1.x (ELevate, `version_format` 1.0.0 to 1.2.0) maps each
//! source PESID to a flat list of target PESIDs. Format 2.0.0 (upstream leapp-repository) maps
//! it to an object keyed by distribution (`{"default": [...], "almalinux": [...]}`) and adds a
//! `distro` key to repository entries. Both are normalized into one [`RepoMap`] for a selected
//! distribution: its targets where the file has them, else the `default` list.

use std::path::Path;

use serde::Deserialize;

use crate::Error;
use crate::util::{Lenient, json_error, read_limited};

/// A normalized repository map.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RepoMap {
    /// The file's `version_format` (e.g. `1.2.0`, `2.0.0`).
    pub format_version: String,
    /// The `datetime` value, when present.
    pub datetime: Option<String>,
    /// The `provided_data_streams` list (empty when absent).
    pub provided_data_streams: Vec<String>,
    /// The distribution the 2.0.0 per-distro targets were selected for.
    pub distro: String,
    /// PESID mappings, in file order.
    pub mappings: Vec<Mapping>,
    /// Repository entries, flattened (one per PESID entry), in file order.
    pub repositories: Vec<RepoEntry>,
}

/// One source PESID mapped to its target PESIDs for one major-version step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mapping {
    /// Source major version.
    pub source_major: u32,
    /// Target major version.
    pub target_major: u32,
    /// Source PESID.
    pub source_pesid: String,
    /// Target PESIDs for the selected distribution (falling back to `default`).
    pub targets: Vec<String>,
}

/// One concrete repository of a PESID.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RepoEntry {
    /// The PESID (repository family) the repository belongs to.
    pub pesid: String,
    /// Major version of the distribution the repository is for.
    pub major: u32,
    /// The dnf repoid.
    pub repoid: String,
    /// Architecture.
    pub arch: String,
    /// Channel (`ga`, `eus`, `e4s`, `aus`, `beta`).
    pub channel: String,
    /// Repository type (`rpm`, ...).
    pub repo_type: String,
    /// The RHUI cloud provider (`aws`, `azure`, ...), `None` when absent or empty.
    pub rhui: Option<String>,
    /// Distribution (format 2.0.0 only).
    pub distro: Option<String>,
}

impl RepoMap {
    /// The target PESIDs of `pesid` for the `source_major` → `target_major` step (empty when the
    /// PESID is not mapped). Several mapping entries for one PESID are concatenated.
    pub fn targets_for(&self, pesid: &str, source_major: u32, target_major: u32) -> Vec<&str> {
        let mut out: Vec<&str> = Vec::new();
        for m in self.mappings.iter().filter(|m| {
            m.source_pesid == pesid
                && m.source_major == source_major
                && m.target_major == target_major
        }) {
            for t in &m.targets {
                if !out.contains(&t.as_str()) {
                    out.push(t);
                }
            }
        }
        out
    }

    /// The repository entries of `pesid` for `major` and `arch` that suit the selected
    /// distribution (entries without `distro`, or with the selected one) and are not
    /// RHUI-specific.
    pub fn entries_for(&self, pesid: &str, major: u32, arch: &str) -> Vec<&RepoEntry> {
        self.repositories
            .iter()
            .filter(|e| {
                e.pesid == pesid
                    && e.major == major
                    && e.arch == arch
                    && e.rhui.is_none()
                    && e.distro.as_deref().is_none_or(|d| d == self.distro)
            })
            .collect()
    }

    /// The distinct repoids of [`RepoMap::entries_for`], in file order.
    pub fn repoids_for(&self, pesid: &str, major: u32, arch: &str) -> Vec<&str> {
        let mut out: Vec<&str> = Vec::new();
        for e in self.entries_for(pesid, major, arch) {
            if !out.contains(&e.repoid.as_str()) {
                out.push(&e.repoid);
            }
        }
        out
    }

    /// Whether the PESID appears anywhere in the map (a mapping source or target, or a
    /// repository family).
    pub fn knows_pesid(&self, pesid: &str) -> bool {
        self.repositories.iter().any(|e| e.pesid == pesid)
            || self
                .mappings
                .iter()
                .any(|m| m.source_pesid == pesid || m.targets.iter().any(|t| t == pesid))
    }
}

#[derive(Deserialize)]
struct RawHead {
    version_format: String,
}

#[derive(Deserialize)]
struct RawMap<T> {
    version_format: String,
    #[serde(default)]
    datetime: Option<String>,
    #[serde(default)]
    provided_data_streams: Vec<String>,
    mapping: Vec<RawStep<T>>,
    #[serde(default)]
    repositories: Vec<RawFamily>,
}

#[derive(Deserialize)]
struct RawStep<T> {
    source_major_version: Lenient<u32>,
    target_major_version: Lenient<u32>,
    entries: Vec<RawMapping<T>>,
}

#[derive(Deserialize)]
struct RawMapping<T> {
    source: String,
    target: T,
}

#[derive(Deserialize)]
struct RawFamily {
    pesid: String,
    entries: Vec<RawEntry>,
}

#[derive(Deserialize)]
struct RawEntry {
    major_version: Lenient<u32>,
    repoid: String,
    arch: String,
    channel: String,
    repo_type: String,
    #[serde(default)]
    rhui: Option<String>,
    #[serde(default)]
    distro: Option<String>,
}

type PerDistro = std::collections::BTreeMap<String, Vec<String>>;

/// Reads a repository map, selecting the per-distro targets of `distro` (format 2.0.0).
/// Files larger than [`crate::MAX_FILE_SIZE`] are refused.
pub fn load(path: &Path, distro: &str) -> Result<RepoMap, Error> {
    let bytes = read_limited(path, crate::MAX_FILE_SIZE)?;
    parse(&bytes, path, distro)
}

/// Parses the bytes of a repository map; `path` is used in error messages only.
pub fn parse(bytes: &[u8], path: &Path, distro: &str) -> Result<RepoMap, Error> {
    crate::util::precheck_json(bytes, path)?;
    let head: RawHead = serde_json::from_slice(bytes).map_err(|e| json_error(path, &e))?;
    let v = head.version_format.as_str();
    let invalid = |(step, entry, message): (usize, usize, String)| Error::Invalid {
        path: path.to_path_buf(),
        message: format!("mapping[{step}].entries[{entry}]: {message}"),
    };
    if v == "1" || v.starts_with("1.") {
        let raw: RawMap<Vec<String>> =
            serde_json::from_slice(bytes).map_err(|e| json_error(path, &e))?;
        normalize(raw, distro, Ok).map_err(invalid)
    } else if v == "2" || v == "2.0" || v.starts_with("2.0.") {
        let raw: RawMap<PerDistro> =
            serde_json::from_slice(bytes).map_err(|e| json_error(path, &e))?;
        normalize(raw, distro, |mut t: PerDistro| {
            t.remove(distro)
                .or_else(|| t.remove("default"))
                .ok_or_else(|| {
                    let keys: Vec<_> = t.keys().cloned().collect();
                    format!("target has neither {distro:?} nor \"default\" (keys: {keys:?})")
                })
        })
        .map_err(invalid)
    } else {
        Err(Error::UnsupportedFormat {
            path: path.to_path_buf(),
            version: head.version_format,
        })
    }
}

fn normalize<T>(
    raw: RawMap<T>,
    distro: &str,
    mut targets: impl FnMut(T) -> Result<Vec<String>, String>,
) -> Result<RepoMap, (usize, usize, String)> {
    let mut mappings = Vec::new();
    for (si, step) in raw.mapping.into_iter().enumerate() {
        for (ei, m) in step.entries.into_iter().enumerate() {
            mappings.push(Mapping {
                source_major: step.source_major_version.0,
                target_major: step.target_major_version.0,
                source_pesid: m.source,
                targets: targets(m.target).map_err(|msg| (si, ei, msg))?,
            });
        }
    }
    let repositories = raw
        .repositories
        .into_iter()
        .flat_map(|f| {
            let pesid = f.pesid;
            f.entries.into_iter().map(move |e| RepoEntry {
                pesid: pesid.clone(),
                major: e.major_version.0,
                repoid: e.repoid,
                arch: e.arch,
                channel: e.channel,
                repo_type: e.repo_type,
                rhui: e.rhui.filter(|r| !r.is_empty()),
                distro: e.distro,
            })
        })
        .collect();
    Ok(RepoMap {
        format_version: raw.version_format,
        datetime: raw.datetime,
        provided_data_streams: raw.provided_data_streams,
        distro: distro.to_string(),
        mappings,
        repositories,
    })
}
