//! `release_scanner`: the installed release from `/etc/os-release` and `/etc/redhat-release`.

use serde::Serialize;

use crate::facts::os_release::{self, OsRelease};
use crate::model::{Env, Facts};
use crate::registry::{ActorInfo, ActorKind, Scanner};

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

/// The scanner.
pub const SCANNER: Scanner = Scanner {
    info: ActorInfo {
        id: "release_scanner",
        kind: ActorKind::Scanner,
        description: "Reads the installed release from /etc/os-release and /etc/redhat-release.",
        reads: &["/etc/os-release", "/etc/redhat-release"],
        produces: &["facts.release"],
    },
    run,
};

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

fn run(env: &Env, facts: &Facts) -> Result<(), String> {
    let os = os_release::read(&env.root).map_err(|e| e.to_string())?;
    let redhat_release = os_release::read_redhat_release(&env.root).map_err(|e| e.to_string())?;
    let version = os.version_id.clone();
    let mut parts = version.split('.');
    let major = parts.next().and_then(|m| m.parse().ok());
    let minor = parts
        .next()
        .and_then(|m| m.parse().ok())
        .or_else(|| redhat_release.as_deref().and_then(minor_from_release_text));
    facts.release.set(ReleaseFacts {
        os,
        redhat_release,
        major,
        minor,
    });
    Ok(())
}

/// The minor version in a release line such as `CentOS Linux release 7.9.2009 (Core)`.
pub fn minor_from_release_text(text: &str) -> Option<u32> {
    let word = text
        .split_whitespace()
        .find(|w| w.chars().next().is_some_and(|c| c.is_ascii_digit()) && w.contains('.'))?;
    word.split('.').nth(1)?.parse().ok()
}

#[cfg(test)]
mod tests {
    #[test]
    fn release_packages() {
        assert_eq!(super::release_package_of("almalinux"), "almalinux-release");
        assert_eq!(super::release_package_of("centos"), "centos-release");
        assert_eq!(super::release_package_of("ol"), "oraclelinux-release");
    }

    #[test]
    fn minor_from_release_lines() {
        assert_eq!(
            super::minor_from_release_text("CentOS Linux release 7.9.2009 (Core)"),
            Some(9)
        );
        assert_eq!(
            super::minor_from_release_text("AlmaLinux release 8.10 (Cerulean Leopard)"),
            Some(10)
        );
        assert_eq!(super::minor_from_release_text("garbage"), None);
    }
}
