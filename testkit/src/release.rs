//! The synthetic releases the testkit can build, with the identity facts of the real ones:
//! os-release fields, release and logos package names, repository ids and files, key names,
//! rpmdb location and backend.

use serde::Serialize;

use crate::spec::PayloadCompression;

/// Where and how a release keeps its rpm database.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum RpmdbBackend {
    /// BerkeleyDB `Packages` file (EL7, EL8).
    BerkeleyDb,
    /// `rpmdb.sqlite` (EL9 and later).
    Sqlite,
}

/// One repository of a release.
#[derive(Debug, Clone, Serialize)]
pub struct RepoDef {
    /// Repository id as in the real `.repo` file (`baseos`, `ol8_appstream`, ...); also the
    /// directory name under the release in a world.
    pub id: &'static str,
    /// Human name (`name=` in the repo file).
    pub name: String,
    /// Enabled by default.
    pub enabled: bool,
    /// File under `/etc/yum.repos.d/` that defines it.
    pub file: &'static str,
    /// Carries module metadata (EL8 AppStream).
    pub modular: bool,
}

/// A signing key as a release or vendor names it.
#[derive(Debug, Clone, Serialize)]
pub struct KeyDef {
    /// File name under `/etc/pki/rpm-gpg/`.
    pub file: String,
    /// User id written on the synthetic key.
    pub user_id: String,
}

/// A synthetic release of an EL distribution.
#[derive(Debug, Clone, Serialize)]
pub struct Release {
    /// Release id used on the command line and as directory name (`almalinux-8.10`).
    pub id: &'static str,
    /// Distribution id as leapfrog's migration data names it (`almalinux`, `centos`, `ol`...).
    pub distro: &'static str,
    /// Major version.
    pub major: u32,
    /// Minor version.
    pub minor: u32,
    /// `NAME=` in os-release.
    pub os_name: &'static str,
    /// `ID=` in os-release.
    pub os_id: &'static str,
    /// `ID_LIKE=` in os-release.
    pub id_like: &'static str,
    /// `VERSION=` in os-release.
    pub os_version: &'static str,
    /// `VERSION_ID=` in os-release.
    pub version_id: &'static str,
    /// `PRETTY_NAME=` in os-release.
    pub pretty_name: &'static str,
    /// `CPE_NAME=` in os-release.
    pub cpe_name: &'static str,
    /// Text of `/etc/redhat-release`.
    pub redhat_release: &'static str,
    /// Extra `<file>: <text>` release files (e.g. `/etc/oracle-release`).
    pub extra_release_files: Vec<(&'static str, &'static str)>,
    /// Release package name, version and release.
    pub release_package: (&'static str, &'static str, &'static str),
    /// Logos package name, version and release.
    pub logos_package: (&'static str, &'static str, &'static str),
    /// `Vendor:` of the distribution's packages.
    pub vendor: &'static str,
    /// Signing key.
    pub key: KeyDef,
    /// Repositories.
    pub repos: Vec<RepoDef>,
    /// rpm database directory inside the root.
    pub dbpath: &'static str,
    /// What the real release uses for its rpmdb.
    pub native_rpmdb: RpmdbBackend,
    /// How its packages' payloads are compressed: gzip where the release's rpm cannot unpack
    /// zstd (EL7's rpm 4.11), zstd (fast to write) from EL8 on.
    pub payload_compression: PayloadCompression,
}

impl Release {
    /// `PLATFORM_ID` (EL8 and later have one; EL7 has none).
    pub fn platform_id(&self) -> Option<String> {
        (self.major >= 8).then(|| format!("platform:el{}", self.major))
    }

    /// The `/etc/os-release` text.
    pub fn os_release(&self) -> String {
        let mut s = format!(
            "NAME=\"{}\"\nVERSION=\"{}\"\nID=\"{}\"\nID_LIKE=\"{}\"\nVERSION_ID=\"{}\"\n",
            self.os_name, self.os_version, self.os_id, self.id_like, self.version_id
        );
        if let Some(p) = self.platform_id() {
            s.push_str(&format!("PLATFORM_ID=\"{p}\"\n"));
        }
        s.push_str(&format!(
            "PRETTY_NAME=\"{}\"\nANSI_COLOR=\"0;31\"\nCPE_NAME=\"{}\"\nHOME_URL=\"https://example.invalid/{}\"\n",
            self.pretty_name, self.cpe_name, self.os_id
        ));
        s
    }

    /// A repository of this release by id.
    pub fn repo(&self, id: &str) -> Option<&RepoDef> {
        self.repos.iter().find(|r| r.id == id)
    }

    /// The id of the repository that holds the base OS (`base`, `baseos`, `ol8_baseos_latest`).
    pub fn base_repo(&self) -> &'static str {
        self.repos[0].id
    }

    /// The id of the application stream repository (`base` on EL7).
    pub fn appstream_repo(&self) -> &'static str {
        self.repos
            .iter()
            .find(|r| r.id.contains("appstream"))
            .map_or(self.repos[0].id, |r| r.id)
    }

    /// The id of the extras repository (where `epel-release` lives).
    pub fn extras_repo(&self) -> &'static str {
        self.repos
            .iter()
            .find(|r| r.id.contains("extras"))
            .map_or(self.repos[0].id, |r| r.id)
    }

    /// The dist tag component: `el8`.
    pub fn el(&self) -> String {
        format!("el{}", self.major)
    }
}

fn repo(id: &'static str, name: impl Into<String>, enabled: bool, file: &'static str) -> RepoDef {
    RepoDef {
        id,
        name: name.into(),
        enabled,
        file,
        modular: false,
    }
}

fn modular(mut r: RepoDef) -> RepoDef {
    r.modular = true;
    r
}

/// Every release the testkit knows, in a stable order.
pub fn all() -> Vec<Release> {
    vec![
        centos_7(),
        almalinux(8),
        almalinux(9),
        almalinux(10),
        rocky(8),
        rocky(9),
        oraclelinux_8(),
    ]
}

/// The release with this id, if the testkit knows it.
pub fn by_id(id: &str) -> Option<Release> {
    all().into_iter().find(|r| r.id == id)
}

/// The ids of every known release.
pub fn ids() -> Vec<&'static str> {
    all().iter().map(|r| r.id).collect()
}

fn centos_7() -> Release {
    Release {
        id: "centos-7.9",
        distro: "centos",
        major: 7,
        minor: 9,
        os_name: "CentOS Linux",
        os_id: "centos",
        id_like: "rhel fedora",
        os_version: "7 (Core)",
        version_id: "7",
        pretty_name: "CentOS Linux 7 (Core)",
        cpe_name: "cpe:/o:centos:centos:7",
        redhat_release: "CentOS Linux release 7.9.2009 (Core)",
        extra_release_files: vec![(
            "/etc/centos-release",
            "CentOS Linux release 7.9.2009 (Core)",
        )],
        release_package: ("centos-release", "7", "9.2009.1.el7.centos"),
        logos_package: ("centos-logos", "70.0.6", "3.el7.centos"),
        vendor: "CentOS",
        key: KeyDef {
            file: "RPM-GPG-KEY-CentOS-7".into(),
            user_id: "CentOS-7 Key (leapfrog testkit) <security@centos.org>".into(),
        },
        repos: vec![
            repo("base", "CentOS-7 - Base", true, "CentOS-Base.repo"),
            repo("updates", "CentOS-7 - Updates", true, "CentOS-Base.repo"),
            repo("extras", "CentOS-7 - Extras", true, "CentOS-Base.repo"),
        ],
        dbpath: "/var/lib/rpm",
        native_rpmdb: RpmdbBackend::BerkeleyDb,
        // real EL7 packages are xz or gzip; rpm 4.11 cannot unpack zstd
        payload_compression: PayloadCompression::Gzip,
    }
}

fn almalinux(major: u32) -> Release {
    let (id, version, version_id, pretty, redhat, rel_pkg, logos, key, cpe) = match major {
        8 => (
            "almalinux-8.10",
            "8.10 (Cerulean Leopard)",
            "8.10",
            "AlmaLinux 8.10 (Cerulean Leopard)",
            "AlmaLinux release 8.10 (Cerulean Leopard)",
            ("almalinux-release", "8.10", "1.el8"),
            ("almalinux-logos", "86.3", "1.el8"),
            "RPM-GPG-KEY-AlmaLinux",
            "cpe:/o:almalinux:almalinux:8::baseos",
        ),
        9 => (
            "almalinux-9.6",
            "9.6 (Sage Margay)",
            "9.6",
            "AlmaLinux 9.6 (Sage Margay)",
            "AlmaLinux release 9.6 (Sage Margay)",
            ("almalinux-release", "9.6", "1.el9"),
            ("almalinux-logos", "90.5.1", "1.1.el9"),
            "RPM-GPG-KEY-AlmaLinux-9",
            "cpe:/o:almalinux:almalinux:9::baseos",
        ),
        _ => (
            "almalinux-10.0",
            "10.0 (Purple Lion)",
            "10.0",
            "AlmaLinux 10.0 (Purple Lion)",
            "AlmaLinux release 10.0 (Purple Lion)",
            ("almalinux-release", "10.0", "1.el10"),
            ("almalinux-logos", "100.1", "1.el10"),
            "RPM-GPG-KEY-AlmaLinux-10",
            "cpe:/o:almalinux:almalinux:10::baseos",
        ),
    };
    let extra = if major == 8 { "powertools" } else { "crb" };
    let extra_name = if major == 8 { "PowerTools" } else { "CRB" };
    let mut appstream = repo(
        "appstream",
        format!("AlmaLinux {version_id} - AppStream"),
        true,
        "almalinux-appstream.repo",
    );
    if major == 8 {
        appstream = modular(appstream);
    }
    Release {
        id,
        distro: "almalinux",
        major,
        minor: version_id
            .split('.')
            .nth(1)
            .and_then(|m| m.parse().ok())
            .unwrap_or(0),
        os_name: "AlmaLinux",
        os_id: "almalinux",
        id_like: "rhel centos fedora",
        os_version: version,
        version_id,
        pretty_name: pretty,
        cpe_name: cpe,
        redhat_release: redhat,
        extra_release_files: vec![("/etc/almalinux-release", redhat)],
        release_package: rel_pkg,
        logos_package: logos,
        vendor: "AlmaLinux",
        key: KeyDef {
            file: key.into(),
            user_id: format!("AlmaLinux OS {major} (leapfrog testkit) <packager@almalinux.org>"),
        },
        repos: vec![
            repo(
                "baseos",
                format!("AlmaLinux {version_id} - BaseOS"),
                true,
                "almalinux-baseos.repo",
            ),
            appstream,
            repo(
                "extras",
                format!("AlmaLinux {version_id} - Extras"),
                true,
                "almalinux-extras.repo",
            ),
            repo(
                extra,
                format!("AlmaLinux {version_id} - {extra_name}"),
                false,
                if major == 8 {
                    "almalinux-powertools.repo"
                } else {
                    "almalinux-crb.repo"
                },
            ),
        ],
        dbpath: if major >= 10 {
            "/usr/lib/sysimage/rpm"
        } else {
            "/var/lib/rpm"
        },
        native_rpmdb: if major >= 9 {
            RpmdbBackend::Sqlite
        } else {
            RpmdbBackend::BerkeleyDb
        },
        payload_compression: PayloadCompression::Zstd,
    }
}

fn rocky(major: u32) -> Release {
    let (id, version, version_id, pretty, redhat, rel_pkg, key, cpe) = if major == 8 {
        (
            "rocky-8.10",
            "8.10 (Green Obsidian)",
            "8.10",
            "Rocky Linux 8.10 (Green Obsidian)",
            "Rocky Linux release 8.10 (Green Obsidian)",
            ("rocky-release", "8.10", "1.9.el8"),
            "RPM-GPG-KEY-rockyofficial",
            "cpe:/o:rocky:rocky:8:GA",
        )
    } else {
        (
            "rocky-9.6",
            "9.6 (Blue Onyx)",
            "9.6",
            "Rocky Linux 9.6 (Blue Onyx)",
            "Rocky Linux release 9.6 (Blue Onyx)",
            ("rocky-release", "9.6", "1.2.el9"),
            "RPM-GPG-KEY-Rocky-9",
            "cpe:/o:rocky:rocky:9::baseos",
        )
    };
    let file = |el8: &'static str, el9: &'static str| if major == 8 { el8 } else { el9 };
    let mut appstream = repo(
        "appstream",
        format!("Rocky Linux {major} - AppStream"),
        true,
        file("Rocky-AppStream.repo", "rocky.repo"),
    );
    if major == 8 {
        appstream = modular(appstream);
    }
    Release {
        id,
        distro: "rocky",
        major,
        minor: if major == 8 { 10 } else { 6 },
        os_name: "Rocky Linux",
        os_id: "rocky",
        id_like: "rhel centos fedora",
        os_version: version,
        version_id,
        pretty_name: pretty,
        cpe_name: cpe,
        redhat_release: redhat,
        extra_release_files: vec![("/etc/rocky-release", redhat)],
        release_package: rel_pkg,
        logos_package: (
            "rocky-logos",
            if major == 8 { "86.3" } else { "90.16" },
            if major == 8 { "1.el8" } else { "1.el9" },
        ),
        vendor: "Rocky Enterprise Software Foundation",
        key: KeyDef {
            file: key.into(),
            user_id: format!(
                "Rocky Enterprise Software Foundation - Release key {major} (leapfrog testkit) <infrastructure@rockylinux.org>"
            ),
        },
        repos: vec![
            repo(
                "baseos",
                format!("Rocky Linux {major} - BaseOS"),
                true,
                file("Rocky-BaseOS.repo", "rocky.repo"),
            ),
            appstream,
            repo(
                "extras",
                format!("Rocky Linux {major} - Extras"),
                true,
                file("Rocky-Extras.repo", "rocky-extras.repo"),
            ),
            if major == 8 {
                repo(
                    "powertools",
                    "Rocky Linux 8 - PowerTools",
                    false,
                    "Rocky-PowerTools.repo",
                )
            } else {
                repo("crb", "Rocky Linux 9 - CRB", false, "rocky.repo")
            },
        ],
        dbpath: "/var/lib/rpm",
        native_rpmdb: if major >= 9 {
            RpmdbBackend::Sqlite
        } else {
            RpmdbBackend::BerkeleyDb
        },
        payload_compression: PayloadCompression::Zstd,
    }
}

fn oraclelinux_8() -> Release {
    Release {
        id: "oraclelinux-8.10",
        distro: "ol",
        major: 8,
        minor: 10,
        os_name: "Oracle Linux Server",
        os_id: "ol",
        id_like: "fedora",
        os_version: "8.10",
        version_id: "8.10",
        pretty_name: "Oracle Linux Server 8.10",
        cpe_name: "cpe:/o:oracle:linux:8:10:server",
        redhat_release: "Red Hat Enterprise Linux release 8.10 (Ootpa)",
        extra_release_files: vec![("/etc/oracle-release", "Oracle Linux Server release 8.10")],
        release_package: ("oraclelinux-release", "8.10", "1.0.6.el8"),
        logos_package: ("oracle-logos", "84.5", "1.0.1.el8"),
        vendor: "Oracle America",
        key: KeyDef {
            file: "RPM-GPG-KEY-oracle".into(),
            user_id: "Oracle OSS group (leapfrog testkit) <build@oss.oracle.com>".into(),
        },
        repos: vec![
            repo(
                "ol8_baseos_latest",
                "Oracle Linux 8 BaseOS Latest (x86_64)",
                true,
                "oracle-linux-ol8.repo",
            ),
            modular(repo(
                "ol8_appstream",
                "Oracle Linux 8 Application Stream (x86_64)",
                true,
                "oracle-linux-ol8.repo",
            )),
            repo(
                "ol8_addons",
                "Oracle Linux 8 Addons (x86_64)",
                true,
                "oracle-linux-ol8.repo",
            ),
            repo(
                "ol8_codeready_builder",
                "Oracle Linux 8 CodeReady Builder (x86_64)",
                false,
                "oracle-linux-ol8.repo",
            ),
        ],
        dbpath: "/var/lib/rpm",
        native_rpmdb: RpmdbBackend::BerkeleyDb,
        payload_compression: PayloadCompression::Zstd,
    }
}

/// Third-party vendors whose repositories every world carries for each major.
#[derive(Debug, Clone, Serialize)]
pub struct Vendor {
    /// Repository id and directory name (`epel`, `mariadb`).
    pub repo_id: &'static str,
    /// `name=` of the repository.
    pub repo_name: &'static str,
    /// `Vendor:` header of its packages.
    pub vendor: &'static str,
    /// Key file name, per major (`RPM-GPG-KEY-EPEL-8`).
    #[serde(skip)]
    pub key_file: fn(u32) -> String,
    /// User id of the key.
    pub key_user_id: &'static str,
}

/// The vendors: an EPEL-like community repository and a MariaDB-like upstream vendor repository.
pub fn vendors() -> Vec<Vendor> {
    vec![
        Vendor {
            repo_id: "epel",
            repo_name: "Extra Packages for Enterprise Linux",
            vendor: "Fedora Project",
            key_file: |major| format!("RPM-GPG-KEY-EPEL-{major}"),
            key_user_id: "Fedora EPEL (leapfrog testkit) <epel@fedoraproject.org>",
        },
        Vendor {
            repo_id: "mariadb",
            repo_name: "MariaDB Server",
            vendor: "MariaDB Foundation",
            key_file: |_| "RPM-GPG-KEY-MariaDB".to_string(),
            key_user_id: "MariaDB Signing Key (leapfrog testkit) <signing-key@mariadb.org>",
        },
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unique_and_resolvable() {
        let ids = ids();
        let mut dedup = ids.clone();
        dedup.sort();
        dedup.dedup();
        assert_eq!(ids.len(), dedup.len());
        for id in ids {
            assert_eq!(by_id(id).unwrap().id, id);
        }
        assert!(by_id("fedora-40").is_none());
    }

    #[test]
    fn os_release_has_platform_id_from_el8() {
        let c7 = by_id("centos-7.9").unwrap();
        assert!(!c7.os_release().contains("PLATFORM_ID"));
        let a9 = by_id("almalinux-9.6").unwrap();
        assert!(a9.os_release().contains("PLATFORM_ID=\"platform:el9\""));
        assert!(a9.os_release().contains("VERSION_ID=\"9.6\""));
        assert_eq!(
            by_id("almalinux-10.0").unwrap().dbpath,
            "/usr/lib/sysimage/rpm"
        );
        assert_eq!(by_id("rocky-8.10").unwrap().minor, 10);
        assert_eq!(by_id("rocky-9.6").unwrap().minor, 6);
    }

    #[test]
    fn repo_roles() {
        let c7 = by_id("centos-7.9").unwrap();
        assert_eq!(
            (c7.base_repo(), c7.appstream_repo(), c7.extras_repo()),
            ("base", "base", "extras")
        );
        let ol = by_id("oraclelinux-8.10").unwrap();
        assert_eq!(ol.appstream_repo(), "ol8_appstream");
        assert!(ol.repo("ol8_appstream").unwrap().modular);
    }
}
