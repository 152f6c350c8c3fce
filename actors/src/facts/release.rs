//! Release facts ([`crate::model::Facts::release`], filled by `release_scanner`): the installed
//! release and the package that carries its identity.

use serde::Serialize;

use super::os_release::OsRelease;

/// The installed release.
#[derive(Debug, Clone, Serialize)]
pub struct ReleaseFacts {
    /// Parsed `/etc/os-release`.
    pub os: OsRelease,
    /// `/etc/redhat-release`, if present.
    pub redhat_release: Option<String>,
    /// Major version from `VERSION_ID`.
    pub major: Option<u32>,
    /// Minor version: from `VERSION_ID` (`8.10`), else from `/etc/redhat-release` (`7.9.2009`).
    pub minor: Option<u32>,
}

impl ReleaseFacts {
    /// The package that provides the distribution's identity (`/etc/os-release`, the release
    /// files, repo files and keys): `<ID>-release` (`centos-release`, `almalinux-release`,
    /// `rocky-release`), `oraclelinux-release` for Oracle Linux (`ID=ol`).
    pub fn release_package(&self) -> String {
        release_package_of(&self.os.id)
    }
}

/// The release package of a distribution id (see [`ReleaseFacts::release_package`]).
pub fn release_package_of(distro_id: &str) -> String {
    match distro_id {
        "ol" => "oraclelinux-release".to_string(),
        id => format!("{id}-release"),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn release_packages() {
        assert_eq!(super::release_package_of("almalinux"), "almalinux-release");
        assert_eq!(super::release_package_of("centos"), "centos-release");
        assert_eq!(super::release_package_of("ol"), "oraclelinux-release");
    }
}
