//! Supported upgrade and conversion paths, and the target a run aims at.
//!
//! The distributions and paths come from leapfrog's migration data compiled into the binary
//! (`migration-data/data/distributions/*.yaml` and `paths.yaml`, see
//! `docs/migration-data.md`); this module keeps the lookups the actors and the CLI use.

use std::sync::OnceLock;

use leapfrog_migration_data::data::MigrationData;
use serde::{Deserialize, Serialize};

/// The compiled-in migration data, loaded once. Should the shipped files ever fail to load
/// (a test proves they do not), the error is logged and the data set is empty, so every
/// source is reported as unsupported instead of panicking.
pub fn builtin_data() -> &'static MigrationData {
    static DATA: OnceLock<MigrationData> = OnceLock::new();
    DATA.get_or_init(|| {
        MigrationData::builtin().unwrap_or_else(|e| {
            tracing::error!("cannot load the compiled-in migration data: {e}");
            MigrationData::default()
        })
    })
}

/// A distribution leapfrog knows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Distribution {
    /// os-release `ID`.
    pub id: String,
    /// Other names accepted on the command line.
    pub aliases: Vec<String>,
    /// Display name.
    pub name: String,
}

/// Every distribution leapfrog can upgrade from or to (from the compiled-in data).
pub fn distributions() -> &'static [Distribution] {
    static LIST: OnceLock<Vec<Distribution>> = OnceLock::new();
    LIST.get_or_init(|| {
        builtin_data()
            .distributions
            .iter()
            .map(|d| Distribution {
                id: d.id.clone(),
                aliases: d.aliases.clone(),
                name: d.name.clone(),
            })
            .collect()
    })
}

/// One supported path: from `(distro, major)` to `(distro, major, newest minor)`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UpgradePath {
    /// Source os-release ID.
    pub from: String,
    /// Source major.
    pub from_major: u32,
    /// The minor the source must at least be on.
    pub from_min_minor: u32,
    /// Target os-release ID.
    pub to: String,
    /// Target major.
    pub to_major: u32,
    /// Target minor leapfrog aims at.
    pub to_minor: u32,
}

/// Supported paths; for each source the first entry is the default target (from the
/// compiled-in data).
pub fn paths() -> &'static [UpgradePath] {
    static LIST: OnceLock<Vec<UpgradePath>> = OnceLock::new();
    LIST.get_or_init(|| {
        builtin_data()
            .paths
            .iter()
            .map(|p| UpgradePath {
                from: p.from.clone(),
                from_major: p.from_major,
                from_min_minor: p.from_min_minor,
                to: p.to.clone(),
                to_major: p.to_major,
                to_minor: p.to_minor,
            })
            .collect()
    })
}

/// What the user asked for with `--target` (`almalinux-9`, `almalinux-9.6`, `rocky-8`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TargetSpec {
    /// os-release ID.
    pub distro: String,
    /// Major.
    pub major: u32,
    /// Minor, if given.
    pub minor: Option<u32>,
}

/// A `--target` that cannot be parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid target {0:?}: expected DISTRO-MAJOR[.MINOR] such as almalinux-9 or rocky-8.10 (distributions: {known})", known = distributions().iter().map(|d| d.id.as_str()).collect::<Vec<_>>().join(", "))]
pub struct TargetSpecError(pub String);

impl std::str::FromStr for TargetSpec {
    type Err = TargetSpecError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = || TargetSpecError(s.to_string());
        let (name, version) = s.rsplit_once('-').ok_or_else(err)?;
        let distro = distributions()
            .iter()
            .find(|d| d.id == name || d.aliases.iter().any(|a| a == name))
            .ok_or_else(err)?;
        let (major, minor) = match version.split_once('.') {
            Some((a, b)) => (
                a.parse().map_err(|_| err())?,
                Some(b.parse().map_err(|_| err())?),
            ),
            None => (version.parse().map_err(|_| err())?, None),
        };
        Ok(TargetSpec {
            distro: distro.id.to_string(),
            major,
            minor,
        })
    }
}

/// The resolved target of a run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Target {
    /// os-release ID of the target.
    pub distro: String,
    /// Display name.
    pub name: String,
    /// Major.
    pub major: u32,
    /// Minor.
    pub minor: u32,
    /// Same major, other distribution.
    pub conversion: bool,
    /// Whether the path from the source is in the supported table.
    pub supported: bool,
    /// The minor the source must be on for this path (when supported).
    pub source_min_minor: Option<u32>,
}

impl Target {
    /// `almalinux-9.6`.
    pub fn id(&self) -> String {
        format!("{}-{}.{}", self.distro, self.major, self.minor)
    }
}

/// Display name of a distribution id.
pub fn distro_name(id: &str) -> String {
    distributions()
        .iter()
        .find(|d| d.id == id)
        .map_or_else(|| id.to_string(), |d| d.name.to_string())
}

/// Supported paths from a source.
pub fn paths_from(distro: &str, major: u32) -> Vec<&'static UpgradePath> {
    paths()
        .iter()
        .filter(|p| p.from == distro && p.from_major == major)
        .collect()
}

/// Resolves the target for a source: the requested one (supported or not, so the check can say
/// why not), or the default path. `None` when nothing was asked and there is no path.
pub fn resolve(
    source_distro: &str,
    source_major: u32,
    requested: Option<&TargetSpec>,
) -> Option<Target> {
    let paths = paths_from(source_distro, source_major);
    match requested {
        None => paths.first().map(|p| target_of(p, source_major, None)),
        Some(spec) => {
            let path = paths
                .iter()
                .find(|p| p.to == spec.distro && p.to_major == spec.major);
            Some(match path {
                Some(p) => target_of(p, source_major, spec.minor),
                None => Target {
                    distro: spec.distro.clone(),
                    name: distro_name(&spec.distro),
                    major: spec.major,
                    minor: spec.minor.unwrap_or(0),
                    conversion: spec.major == source_major,
                    supported: false,
                    source_min_minor: None,
                },
            })
        }
    }
}

fn target_of(p: &UpgradePath, source_major: u32, minor: Option<u32>) -> Target {
    Target {
        distro: p.to.clone(),
        name: distro_name(&p.to),
        major: p.to_major,
        minor: minor.unwrap_or(p.to_minor),
        conversion: p.to_major == source_major,
        supported: minor.is_none_or(|m| m <= p.to_minor),
        source_min_minor: Some(p.from_min_minor),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn target_specs_parse() {
        let t: TargetSpec = "almalinux-9.6".parse().unwrap();
        assert_eq!(
            (t.distro.as_str(), t.major, t.minor),
            ("almalinux", 9, Some(6))
        );
        let t: TargetSpec = "oraclelinux-8".parse().unwrap();
        assert_eq!((t.distro.as_str(), t.major, t.minor), ("ol", 8, None));
        for bad in ["almalinux", "fedora-40", "almalinux-x", "rocky-8.x", ""] {
            assert!(bad.parse::<TargetSpec>().is_err(), "{bad}");
        }
    }

    #[test]
    fn tables_come_from_the_compiled_in_data() {
        let data = builtin_data();
        assert_eq!(paths().len(), data.paths.len());
        assert_eq!(distributions().len(), data.distributions.len());
        assert!(paths().len() >= 10, "the shipped paths");
        let ol = distributions().iter().find(|d| d.id == "ol").unwrap();
        assert_eq!(ol.aliases, ["oraclelinux", "oracle"]);
        assert_eq!(distro_name("rocky"), "Rocky Linux");
        assert_eq!(
            distro_name("fedora"),
            "fedora",
            "unknown ids stay as they are"
        );
        assert!(
            paths_from("ol", 8)
                .iter()
                .any(|p| p.to == "ol" && p.to_major == 9)
        );
        assert!(
            paths_from("centos", 9).is_empty(),
            "CentOS Stream has no path"
        );
    }

    #[test]
    fn defaults_and_unsupported() {
        let t = resolve("centos", 7, None).unwrap();
        assert_eq!(
            (t.id(), t.supported, t.conversion),
            ("almalinux-8.10".to_string(), true, false)
        );
        let t = resolve("almalinux", 8, None).unwrap();
        assert_eq!(t.id(), "almalinux-9.6");
        let conv = resolve("rocky", 8, Some(&"almalinux-8".parse().unwrap())).unwrap();
        assert!(conv.conversion && conv.supported);
        let bad = resolve("centos", 7, Some(&"almalinux-9".parse().unwrap())).unwrap();
        assert!(!bad.supported);
        assert!(resolve("fedora", 40, None).is_none());
        let future = resolve("almalinux", 8, Some(&"almalinux-9.99".parse().unwrap())).unwrap();
        assert!(
            !future.supported,
            "a minor newer than the data knows is not supported"
        );
    }
}
