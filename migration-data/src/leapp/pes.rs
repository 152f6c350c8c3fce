//! PES (Package Evolution Service) event files: `pes-events.json` and `<vendor>_pes.json`.
//!
//! The reader keeps everything leapfrog needs from each event and accepts the variants found
//! in real data: string ids (`"9003"`), the older singular `module_stream` key next to the
//! newer `modulestreams` list, `null` or `{}` out-package sets, `null` initial releases.
//! Unknown extra keys are ignored. Every error names the file and, for a bad event, its
//! index and id.

use std::path::Path;

use serde::Deserialize;
use serde_json::value::RawValue;

use crate::Error;
use crate::util::{Lenient, json_error, read_limited};

/// A parsed PES file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PesFile {
    /// The `timestamp` value (e.g. `202108240941Z`), when present.
    pub timestamp: Option<String>,
    /// The `provided_data_streams` list; `None` when the key is absent (older files).
    pub provided_data_streams: Option<Vec<String>>,
    /// The `legal_notice` value, when present.
    pub legal_notice: Option<String>,
    /// The events, in file order.
    pub events: Vec<Event>,
}

/// What an event does to its in-packages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Action {
    /// 0: the packages are present (again) in the release.
    Present = 0,
    /// 1: the packages are removed.
    Removed = 1,
    /// 2: the packages are deprecated (kept, possibly moved to another repository).
    Deprecated = 2,
    /// 3: one package is replaced by another.
    Replaced = 3,
    /// 4: one package is split into several.
    Split = 4,
    /// 5: several packages are merged into one.
    Merged = 5,
    /// 6: the package moves to another repository.
    Moved = 6,
    /// 7: the package is renamed.
    Renamed = 7,
    /// 8: the package must be reinstalled (ELevate extension).
    Reinstalled = 8,
}

impl Action {
    /// All actions, in numeric order.
    pub const ALL: [Action; 9] = [
        Action::Present,
        Action::Removed,
        Action::Deprecated,
        Action::Replaced,
        Action::Split,
        Action::Merged,
        Action::Moved,
        Action::Renamed,
        Action::Reinstalled,
    ];

    /// The action with the number used in PES files, if any.
    pub fn from_number(n: u64) -> Option<Action> {
        Action::ALL.get(usize::try_from(n).ok()?).copied()
    }

    /// Whether the action produces out-packages (Replaced, Split, Merged, Moved, Renamed).
    pub fn needs_out_packages(self) -> bool {
        matches!(
            self,
            Action::Replaced | Action::Split | Action::Merged | Action::Moved | Action::Renamed
        )
    }

    /// Whether out-packages make no sense for the action (Present, Removed, Deprecated).
    pub fn forbids_out_packages(self) -> bool {
        matches!(self, Action::Present | Action::Removed | Action::Deprecated)
    }
}

/// A module stream, e.g. `javapackages-tools:201801`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Deserialize)]
pub struct ModuleStream {
    /// Module name.
    pub name: String,
    /// Stream name.
    pub stream: String,
}

/// A release (`initial_release` or `release` of an event).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Version {
    /// Major version.
    pub major: u32,
    /// Minor version.
    pub minor: u32,
}

/// A release of a distribution (`initial_release` or `release` of an event).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Release {
    /// `os_name` (e.g. `AlmaLinux`, `CentOS`); may be absent or null.
    pub os_name: Option<String>,
    /// Major version.
    pub major: u32,
    /// Minor version.
    pub minor: u32,
}

impl Release {
    /// The `(major, minor)` pair, for ordering.
    pub fn version(&self) -> Version {
        Version {
            major: self.major,
            minor: self.minor,
        }
    }
}

/// A package reference in an event.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Package {
    /// RPM name.
    pub name: String,
    /// Repository family (PESID), e.g. `almalinux8-appstream`.
    pub repository: String,
    /// The module stream the package belongs to; `None` for non-modular packages.
    pub module_stream: Option<ModuleStream>,
}

/// A set of packages (`in_packageset` / `out_packageset`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PackageSet {
    /// `set_id` (absent in `{}` sets).
    pub set_id: Option<u64>,
    /// The packages.
    pub packages: Vec<Package>,
}

/// One PES event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    /// Event id (string ids such as `"9003"` are accepted).
    pub id: u64,
    /// What happens.
    pub action: Action,
    /// The packages the event applies to.
    pub in_packages: PackageSet,
    /// The resulting packages; `None` when the file has `null` or no `out_packageset`.
    pub out_packages: Option<PackageSet>,
    /// Where the in-packages exist; `None` when `null` in the file.
    pub initial_release: Option<Release>,
    /// The release at which the event happens.
    pub release: Release,
    /// Architectures the event applies to; empty means all.
    pub architectures: Vec<String>,
    /// `(in_modulestream, out_modulestream)` pairs.
    pub modulestream_maps: Vec<(Option<ModuleStream>, Option<ModuleStream>)>,
    /// The free-form `description`, when present.
    pub description: Option<String>,
}

impl Event {
    /// The out-packages, or an empty slice when there are none.
    pub fn out_package_list(&self) -> &[Package] {
        self.out_packages
            .as_ref()
            .map_or(&[], |s| s.packages.as_slice())
    }

    /// Whether the event applies to `arch` (an empty architecture list means all).
    pub fn applies_to_arch(&self, arch: &str) -> bool {
        self.architectures.is_empty() || self.architectures.iter().any(|a| a == arch)
    }
}

#[derive(Deserialize)]
struct RawFile<'a> {
    #[serde(default)]
    timestamp: Option<String>,
    #[serde(default)]
    provided_data_streams: Option<Vec<String>>,
    #[serde(default)]
    legal_notice: Option<String>,
    #[serde(borrow)]
    packageinfo: Vec<&'a RawValue>,
}

#[derive(Deserialize)]
struct RawEvent {
    id: Lenient<u64>,
    action: Lenient<u64>,
    #[serde(default)]
    in_packageset: Option<RawSet>,
    #[serde(default)]
    out_packageset: Option<RawSet>,
    #[serde(default)]
    initial_release: Option<RawRelease>,
    release: RawRelease,
    architectures: Vec<String>,
    #[serde(default)]
    modulestream_maps: Option<Vec<RawMsMap>>,
    #[serde(default)]
    description: Option<String>,
}

#[derive(Deserialize)]
struct RawSet {
    #[serde(default)]
    set_id: Option<Lenient<u64>>,
    #[serde(default)]
    package: Vec<RawPackage>,
}

#[derive(Deserialize)]
struct RawPackage {
    name: String,
    repository: String,
    #[serde(default)]
    module_stream: Option<OneOrMany>,
    #[serde(default)]
    modulestreams: Option<Vec<Option<ModuleStream>>>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum OneOrMany {
    One(ModuleStream),
    Many(Vec<Option<ModuleStream>>),
}

#[derive(Deserialize)]
struct RawRelease {
    #[serde(default)]
    os_name: Option<String>,
    major_version: Lenient<u32>,
    minor_version: Lenient<u32>,
}

#[derive(Deserialize)]
struct RawMsMap {
    #[serde(default)]
    in_modulestream: Option<ModuleStream>,
    #[serde(default)]
    out_modulestream: Option<ModuleStream>,
}

#[derive(Deserialize)]
struct IdOnly {
    #[serde(default)]
    id: Option<serde_json::Value>,
}

impl From<RawRelease> for Release {
    fn from(r: RawRelease) -> Self {
        Release {
            os_name: r.os_name,
            major: r.major_version.0,
            minor: r.minor_version.0,
        }
    }
}

impl From<RawSet> for PackageSet {
    fn from(s: RawSet) -> Self {
        PackageSet {
            set_id: s.set_id.map(|l| l.0),
            packages: s
                .package
                .into_iter()
                .map(|p| {
                    // `modulestreams` wins over the older `module_stream`; in a list the first
                    // non-null element counts, `[null]` means non-modular.
                    let first = |v: Vec<Option<ModuleStream>>| v.into_iter().flatten().next();
                    let module_stream = match (p.modulestreams, p.module_stream) {
                        (Some(list), _) => first(list),
                        (None, Some(OneOrMany::One(ms))) => Some(ms),
                        (None, Some(OneOrMany::Many(list))) => first(list),
                        (None, None) => None,
                    };
                    Package {
                        name: p.name,
                        repository: p.repository,
                        module_stream,
                    }
                })
                .collect(),
        }
    }
}

/// Reads and parses a PES file, refusing files larger than [`crate::MAX_FILE_SIZE`].
pub fn load(path: &Path) -> Result<PesFile, Error> {
    let bytes = read_limited(path, crate::MAX_FILE_SIZE)?;
    parse(&bytes, path)
}

/// The whole file in one typed pass: the fast path. Any error falls back to [`RawFile`], which
/// parses event by event to say which event is wrong.
#[derive(Deserialize)]
struct TypedFile {
    #[serde(default)]
    timestamp: Option<String>,
    #[serde(default)]
    provided_data_streams: Option<Vec<String>>,
    #[serde(default)]
    legal_notice: Option<String>,
    packageinfo: Vec<RawEvent>,
}

fn convert(ev: RawEvent) -> Result<Event, String> {
    let action = Action::from_number(ev.action.0)
        .ok_or_else(|| format!("invalid action {} (valid: 0 to 8)", ev.action.0))?;
    Ok(Event {
        id: ev.id.0,
        action,
        in_packages: ev.in_packageset.map(PackageSet::from).unwrap_or_default(),
        out_packages: ev.out_packageset.map(PackageSet::from),
        initial_release: ev.initial_release.map(Release::from),
        release: ev.release.into(),
        architectures: ev.architectures,
        modulestream_maps: ev
            .modulestream_maps
            .unwrap_or_default()
            .into_iter()
            .map(|m| (m.in_modulestream, m.out_modulestream))
            .collect(),
        description: ev.description,
    })
}

/// Parses the bytes of a PES file; `path` is used in error messages only.
pub fn parse(bytes: &[u8], path: &Path) -> Result<PesFile, Error> {
    crate::util::precheck_json(bytes, path)?;
    if let Ok(file) = serde_json::from_slice::<TypedFile>(bytes) {
        let events: Result<Vec<Event>, String> =
            file.packageinfo.into_iter().map(convert).collect();
        if let Ok(events) = events {
            tracing::debug!(file = %path.display(), events = events.len(), "PES file parsed");
            return Ok(PesFile {
                timestamp: file.timestamp,
                provided_data_streams: file.provided_data_streams,
                legal_notice: file.legal_notice,
                events,
            });
        }
    }
    parse_per_event(bytes, path)
}

/// The slow path: every event separately, so an error names the event's index and id.
fn parse_per_event(bytes: &[u8], path: &Path) -> Result<PesFile, Error> {
    let raw: RawFile<'_> = serde_json::from_slice(bytes).map_err(|e| json_error(path, &e))?;
    let mut events = Vec::with_capacity(raw.packageinfo.len());
    for (index, value) in raw.packageinfo.iter().enumerate() {
        let text = value.get();
        let bad = |message: String| {
            let id = serde_json::from_str::<IdOnly>(text)
                .ok()
                .and_then(|i| i.id)
                .map_or_else(
                    || "?".to_string(),
                    |v| match v {
                        serde_json::Value::String(s) => s,
                        other => other.to_string(),
                    },
                );
            Error::Event {
                path: path.to_path_buf(),
                index,
                id,
                message,
            }
        };
        let ev: RawEvent = serde_json::from_str(text).map_err(|e| bad(e.to_string()))?;
        events.push(convert(ev).map_err(bad)?);
    }
    tracing::debug!(file = %path.display(), events = events.len(), "PES file parsed");
    Ok(PesFile {
        timestamp: raw.timestamp,
        provided_data_streams: raw.provided_data_streams,
        legal_notice: raw.legal_notice,
        events,
    })
}
