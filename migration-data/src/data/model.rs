//! The types of leapfrog's own YAML data format, as read from the files (see
//! `docs/migration-data.md` for every field).

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

/// Where an item was read: the file and its place inside the file (`majors[1].repositories[2]`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Origin {
    /// The file (under `<builtin>/` for the compiled-in data).
    pub file: PathBuf,
    /// YAML location inside the file.
    pub location: String,
}

impl std::fmt::Display for Origin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.file.display(), self.location)
    }
}

/// `dataset.yaml`: what the directory is and what it extends.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// Format version; only 1 exists.
    pub format: u32,
    /// Short name of the data set (`leapfrog`, `testkit`).
    #[serde(default)]
    pub name: Option<String>,
    /// `builtin` (the compiled-in data) or a directory relative to this one.
    #[serde(default)]
    pub extends: Option<String>,
}

/// How a release stores its rpm database.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum RpmdbBackend {
    /// BerkeleyDB `Packages` file (EL7, EL8).
    Bdb,
    /// `rpmdb.sqlite` (EL9 and later).
    Sqlite,
}

/// The rpm database of a major.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Rpmdb {
    /// Directory inside the root (`/var/lib/rpm`, `/usr/lib/sysimage/rpm`).
    pub path: String,
    /// Backend.
    pub backend: RpmdbBackend,
}

/// A package-signing key.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Key {
    /// File name under `/etc/pki/rpm-gpg/`.
    pub file: String,
    /// Key ids: 8 (short) or 16 (long) hex digits, lower case.
    #[serde(default)]
    pub ids: Vec<String>,
}

/// A dnf repository.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Repository {
    /// dnf repo id (`baseos`, `ol8_appstream`).
    pub id: String,
    /// `name=`; may contain dnf variables.
    pub name: String,
    /// Repository family shared across distributions (`baseos`, `appstream`, `crb`); events
    /// name families. Defaults to the id.
    #[serde(default)]
    pub family: Option<String>,
    /// `baseurl=`; may contain dnf variables.
    #[serde(default)]
    pub baseurl: Option<String>,
    /// `mirrorlist=`; may contain dnf variables.
    #[serde(default)]
    pub mirrorlist: Option<String>,
    /// Enabled by default.
    pub enabled: bool,
    /// Carries module metadata.
    #[serde(default)]
    pub modular: bool,
    /// Key file name (under `/etc/pki/rpm-gpg/`) its packages are signed with; `None` for an
    /// unsigned repository.
    #[serde(default)]
    pub gpgkey: Option<String>,
    /// The file under `/etc/yum.repos.d/` that defines it.
    #[serde(default)]
    pub file: Option<String>,
}

impl Repository {
    /// The family (the id when none is given).
    pub fn family(&self) -> &str {
        self.family.as_deref().unwrap_or(&self.id)
    }
}

/// One major version of a distribution.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Major {
    /// The major (`8`).
    pub major: u32,
    /// Display name of this major when it differs from the distribution's (`CentOS Stream`).
    #[serde(default)]
    pub name: Option<String>,
    /// Known minors (`[0, 1, ..., 10]`); a release without minors (CentOS Stream) lists `[0]`.
    pub minors: Vec<u32>,
    /// os-release `ID` values of this major.
    pub os_release_ids: Vec<String>,
    /// os-release `PLATFORM_ID` (`platform:el8`); none on EL7.
    #[serde(default)]
    pub platform_id: Option<String>,
    /// The release package (`almalinux-release`).
    pub release_package: String,
    /// The logos package (`almalinux-logos`).
    #[serde(default)]
    pub logos_package: Option<String>,
    /// Signing keys.
    pub keys: Vec<Key>,
    /// rpm database.
    pub rpmdb: Rpmdb,
    /// Repositories.
    pub repositories: Vec<Repository>,
}

impl Major {
    /// The newest known minor.
    pub fn last_minor(&self) -> Option<u32> {
        self.minors.iter().copied().max()
    }

    /// A repository by id.
    pub fn repository(&self, id: &str) -> Option<&Repository> {
        self.repositories.iter().find(|r| r.id == id)
    }
}

/// `distributions/<id>.yaml`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Distribution {
    /// os-release `ID` (`almalinux`, `ol`).
    pub id: String,
    /// Display name.
    pub name: String,
    /// Other names accepted on the command line.
    #[serde(default)]
    pub aliases: Vec<String>,
    /// The rpm `Vendor` tag of its packages.
    #[serde(default)]
    pub vendor: Option<String>,
    /// Majors.
    pub majors: Vec<Major>,
    /// Where it was read.
    #[serde(skip)]
    pub origin: Origin,
}

impl Distribution {
    /// A major by number.
    pub fn major(&self, major: u32) -> Option<&Major> {
        self.majors.iter().find(|m| m.major == major)
    }

    /// Whether `name` is its id or one of its aliases.
    pub fn is_named(&self, name: &str) -> bool {
        self.id == name || self.aliases.iter().any(|a| a == name)
    }
}

/// One supported path (`paths.yaml`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct UpgradePath {
    /// Source distribution id.
    pub from: String,
    /// Source major.
    pub from_major: u32,
    /// The minor the source must at least be on.
    pub from_min_minor: u32,
    /// Target distribution id.
    pub to: String,
    /// Target major.
    pub to_major: u32,
    /// Target minor leapfrog aims at.
    pub to_minor: u32,
    /// Where it was read.
    #[serde(skip)]
    pub origin: Origin,
}

/// `paths.yaml`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct PathsFile {
    pub paths: Vec<UpgradePath>,
}

/// `DISTRO-MAJOR`, as repository maps name releases (`almalinux-8`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct DistroMajor {
    /// Distribution id.
    pub distro: String,
    /// Major.
    pub major: u32,
}

impl std::fmt::Display for DistroMajor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}-{}", self.distro, self.major)
    }
}

impl<'de> Deserialize<'de> for DistroMajor {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        use serde::de::Error as _;
        let s = String::deserialize(d)?;
        let bad = || D::Error::custom(format!("{s:?} is not DISTRO-MAJOR (e.g. almalinux-8)"));
        let (distro, major) = s.rsplit_once('-').ok_or_else(bad)?;
        if distro.is_empty() || major.is_empty() || !major.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad());
        }
        Ok(DistroMajor {
            distro: distro.to_string(),
            major: major.parse().map_err(|_| bad())?,
        })
    }
}

/// One entry of a repository map.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RepoMapEntry {
    /// Source repository id.
    pub source: String,
    /// Target repository ids.
    pub targets: Vec<String>,
    /// Architectures the entry applies to (empty: all).
    #[serde(default)]
    pub arches: Vec<String>,
}

/// `repomaps/<name>.yaml`: source repository ids to target repository ids for every pair of
/// a `from` release and a `to` release listed.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RepoMap {
    /// Source releases.
    pub from: Vec<DistroMajor>,
    /// Target releases.
    pub to: Vec<DistroMajor>,
    /// The entries.
    pub map: Vec<RepoMapEntry>,
    /// Where it was read (the file; location `map`).
    #[serde(skip)]
    pub origin: Origin,
}

impl RepoMap {
    /// Whether the map applies to `from` -> `to`.
    pub fn applies(&self, from: &DistroMajor, to: &DistroMajor) -> bool {
        self.from.contains(from) && self.to.contains(to)
    }
}

/// `MAJOR.MINOR`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct MajorMinor {
    /// Major.
    pub major: u32,
    /// Minor.
    pub minor: u32,
}

impl std::fmt::Display for MajorMinor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}", self.major, self.minor)
    }
}

impl<'de> Deserialize<'de> for MajorMinor {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        use serde::de::Error as _;
        let s = String::deserialize(d)?;
        let bad = || D::Error::custom(format!("{s:?} is not MAJOR.MINOR (e.g. \"8.0\")"));
        let (a, b) = s.split_once('.').ok_or_else(bad)?;
        let num = |x: &str| {
            if x.is_empty() || !x.bytes().all(|c| c.is_ascii_digit()) {
                Err(bad())
            } else {
                x.parse::<u32>().map_err(|_| bad())
            }
        };
        Ok(MajorMinor {
            major: num(a)?,
            minor: num(b)?,
        })
    }
}

/// What an event does (the names of the PES actions).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum EventAction {
    /// The packages are present (again).
    Present,
    /// The packages are removed.
    Removed,
    /// The packages are deprecated.
    Deprecated,
    /// One package replaced by another.
    Replaced,
    /// One package split into several.
    Split,
    /// Several packages merged into one.
    Merged,
    /// The package moves to another repository.
    Moved,
    /// The package is renamed.
    Renamed,
    /// The package must be reinstalled.
    Reinstalled,
}

/// A package in an event.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct EventPackage {
    /// rpm name.
    pub name: String,
    /// Repository family (`baseos`, `appstream`, `base`, `epel`).
    pub repo: String,
    /// Module stream `NAME:STREAM`, when modular.
    #[serde(default)]
    pub module: Option<String>,
}

/// One package-evolution event.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct EventDef {
    /// Our own id (a slug such as `el8-dhclient-renamed`).
    pub id: String,
    /// What happens.
    pub action: EventAction,
    /// The release where it happens (`"8.0"`).
    pub release: MajorMinor,
    /// The release where the in-packages exist, when it matters.
    #[serde(default)]
    pub initial_release: Option<MajorMinor>,
    /// Architectures (empty: all).
    #[serde(default)]
    pub arches: Vec<String>,
    /// In-packages.
    #[serde(rename = "in")]
    pub in_packages: Vec<EventPackage>,
    /// Out-packages.
    #[serde(default, rename = "out")]
    pub out_packages: Vec<EventPackage>,
    /// Why, in one line.
    pub why: String,
    /// Where it was read.
    #[serde(skip)]
    pub origin: Origin,
}

/// `events/<name>.yaml` (and the `events` of a vendor).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct EventsFile {
    pub events: Vec<EventDef>,
}

/// A vendor's repositories for one major.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct VendorMajor {
    /// Major.
    pub major: u32,
    /// Its repository ids on that major.
    pub repositories: Vec<String>,
    /// Key files for that major.
    #[serde(default)]
    pub keys: Vec<Key>,
}

/// A vendor's repository map from one major to the next.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct VendorMap {
    /// Source major.
    pub from_major: u32,
    /// Target major.
    pub to_major: u32,
    /// Entries (source repo id -> target repo ids).
    pub map: Vec<RepoMapEntry>,
}

/// `vendors/<id>.yaml`: a third-party vendor overlay.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Vendor {
    /// Short id (`epel`).
    pub id: String,
    /// Display name (`EPEL`).
    pub name: String,
    /// rpm `Vendor` tags of its packages.
    #[serde(default)]
    pub vendor_tags: Vec<String>,
    /// Packager tags of its packages (informative, matched exactly).
    #[serde(default)]
    pub packager_tags: Vec<String>,
    /// The package that sets its repositories up (`epel-release`).
    #[serde(default)]
    pub release_package: Option<String>,
    /// Whether its packages are signed (`false`: no key is expected).
    #[serde(default = "yes")]
    pub signed: bool,
    /// Repositories and keys per major.
    pub majors: Vec<VendorMajor>,
    /// Maps between majors (none: its packages have no target).
    #[serde(default)]
    pub maps: Vec<VendorMap>,
    /// Its own package events.
    #[serde(default)]
    pub events: Vec<EventDef>,
    /// Where it was read.
    #[serde(skip)]
    pub origin: Origin,
}

fn yes() -> bool {
    true
}

impl Vendor {
    /// Every repository id of the vendor, on any major.
    pub fn repo_ids(&self) -> impl Iterator<Item = &str> {
        self.majors
            .iter()
            .flat_map(|m| m.repositories.iter().map(String::as_str))
    }

    /// Whether `id` is one of its source repository ids.
    pub fn is_source_repo(&self, id: &str) -> bool {
        self.repo_ids().any(|r| r == id)
    }

    /// Whether a target repository id belongs to this vendor: one of its ids, or an id ending
    /// in `-<id>` (`el9-mariadb-main`, `testkit-almalinux-9.6-epel`).
    pub fn is_target_repo(&self, id: &str) -> bool {
        self.repo_ids().any(|r| {
            id == r
                || id
                    .strip_suffix(r)
                    .is_some_and(|prefix| prefix.ends_with('-'))
        })
    }

    /// Its map from `from` to `to` major, if any.
    pub fn map(&self, from: u32, to: u32) -> Option<&VendorMap> {
        self.maps
            .iter()
            .find(|m| m.from_major == from && m.to_major == to)
    }
}
