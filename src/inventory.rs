//! The inventory of a root: the release, packages, kernels and repositories an upgrade would
//! start from, gathered from the [`facts`](crate::facts) modules.

use std::collections::{BTreeMap, BTreeSet};
use std::io;
use std::path::PathBuf;

use rpm_sys::{InstalledPackage, RpmDatabase, RpmError};
use serde::{Deserialize, Serialize};

use leapfrog_actors::facts::ReadProblem;
use leapfrog_actors::facts::boot::BootSetup;
use leapfrog_actors::facts::kernels::{self, BootEntry, Kernel};
use leapfrog_actors::facts::os_release::{self, OsRelease, OsReleaseError};
use leapfrog_actors::facts::repos::{self, Repository};
use leapfrog_actors::facts::rootfs::RootFs;
use leapfrog_actors::facts::rpmdb::{self, RpmDbError, RpmDbInfo};

/// `$basearch` when it cannot be derived from the installed packages.
pub const DEFAULT_BASEARCH: &str = "x86_64";

/// Everything `leapfrog inventory` reports (also its `--json` document).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Inventory {
    /// The root (canonical host path).
    pub root: PathBuf,
    /// `/etc/os-release`.
    pub os_release: OsRelease,
    /// The first line of `/etc/redhat-release`, if there is one.
    pub redhat_release: Option<String>,
    /// Where the rpm database is.
    pub rpmdb: RpmDbInfo,
    /// The librpm that read it.
    pub librpm: rpm_sys::LibrpmInfo,
    /// How many packages are installed (`gpg-pubkey` entries included).
    pub package_count: usize,
    /// Installed packages per signing key, most first (`gpg-pubkey` entries excluded).
    pub signature_keys: Vec<KeyCount>,
    /// Installed packages per vendor, most first (`gpg-pubkey` entries excluded).
    pub vendors: Vec<VendorCount>,
    /// The `gpg-pubkey` entries: keys imported into the rpm database (NEVRA).
    pub imported_keys: Vec<String>,
    /// Installed kernels, oldest first.
    pub kernels: Vec<Kernel>,
    /// Boot Loader Specification entries.
    pub boot_entries: Vec<BootEntry>,
    /// The boot layout: BLS or an EL7 `grub.cfg` of menu entries, the firmware, the grubenv GRUB
    /// loads ([`crate::boot::layout::detect`]); `None` when it cannot carry the one-shot boot of
    /// the upgrade ([`Inventory::boot_layout_error`] says why).
    #[serde(default)]
    pub boot_layout: Option<BootSetup>,
    /// Why the boot layout cannot carry the one-shot boot of the upgrade.
    #[serde(default)]
    pub boot_layout_error: Option<String>,
    /// The dnf variables used to expand repository definitions.
    pub variables: BTreeMap<String, String>,
    /// Configured repositories.
    pub repositories: Vec<Repository>,
    /// Non-fatal problems found on the way.
    pub problems: Vec<ReadProblem>,
    /// Every installed package, by name then EVR.
    pub packages: Vec<InstalledPackage>,
}

/// How many installed packages a key signed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyCount {
    /// The long key id; `None` counts unsigned packages.
    pub key_id: Option<String>,
    /// Whether the key is imported in the rpm database (a `gpg-pubkey` with its short id).
    pub imported: bool,
    /// Number of packages.
    pub packages: usize,
}

/// How many installed packages come from a vendor.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VendorCount {
    /// `%{VENDOR}`; `None` counts packages without one.
    pub vendor: Option<String>,
    /// Number of packages.
    pub packages: usize,
}

/// Why an inventory could not be taken.
#[derive(Debug, thiserror::Error)]
pub enum InventoryError {
    /// The root is not an accessible directory.
    #[error("{} is not an accessible directory", root.display())]
    Root {
        /// The root as given.
        root: PathBuf,
        /// Why.
        #[source]
        source: io::Error,
    },
    /// The release cannot be determined.
    #[error("cannot determine the release")]
    OsRelease(#[source] OsReleaseError),
    /// The rpm database cannot be found.
    #[error("cannot locate the rpm database")]
    RpmDb(#[source] RpmDbError),
    /// The rpm database cannot be read.
    #[error("cannot list the installed packages")]
    Packages(#[source] RpmError),
}

impl Inventory {
    /// Takes the inventory of the root at `root`.
    ///
    /// # Errors
    ///
    /// When the root, its os-release or its rpm database cannot be read. Other problems (boot
    /// entries, repository files, `/etc/redhat-release`) are reported in
    /// [`Inventory::problems`].
    pub fn gather(ws: &crate::workspace::Workspace) -> Result<Self, InventoryError> {
        let root = ws.root();
        let rootfs = RootFs::new(root).map_err(|source| InventoryError::Root {
            root: root.to_path_buf(),
            source,
        })?;
        let mut problems = Vec::new();

        let os_release = os_release::read(&rootfs).map_err(InventoryError::OsRelease)?;
        let redhat_release = os_release::read_redhat_release(&rootfs).unwrap_or_else(|err| {
            problems.push(ReadProblem::new("/etc/redhat-release", err.to_string()));
            None
        });

        let rpmdb = rpmdb::detect(&rootfs).map_err(InventoryError::RpmDb)?;
        tracing::info!(dbpath = %rpmdb.dbpath, backend = %rpmdb.backend, "reading the rpm database");
        let packages = RpmDatabase::open(rootfs.path(), &rpmdb.location())
            .and_then(|db| db.installed_packages())
            .map_err(InventoryError::Packages)?;
        let librpm = rpm_sys::librpm().map_err(InventoryError::Packages)?;

        let boot_entries = kernels::read_boot_entries(&rootfs, &mut problems);
        let kernels = kernels::installed_kernels(&packages, &boot_entries);
        let (boot_layout, boot_layout_error) = match crate::boot::layout::detect(ws) {
            Ok(setup) => (Some(setup), None),
            Err(e) => (None, Some(e.to_string())),
        };

        let basearch = basearch(&packages);
        let variables = repos::read_variables(
            &rootfs,
            os_release.major_version(),
            &basearch,
            &mut problems,
        );
        let repositories = repos::read_repositories(&rootfs, &variables, &mut problems);
        for problem in &problems {
            tracing::info!("problem: {problem}");
        }

        let (signature_keys, vendors, imported_keys) = package_statistics(&packages);
        Ok(Self {
            root: rootfs.path().to_path_buf(),
            os_release,
            redhat_release,
            rpmdb,
            librpm,
            package_count: packages.len(),
            signature_keys,
            vendors,
            imported_keys,
            kernels,
            boot_entries,
            boot_layout,
            boot_layout_error,
            variables,
            repositories,
            problems,
            packages,
        })
    }
}

/// The base architecture of a root, from the arch of `glibc` (or the kernel, or `bash`);
/// [`DEFAULT_BASEARCH`] when none of them is installed.
pub fn basearch(packages: &[InstalledPackage]) -> String {
    let arch = ["glibc", "kernel-core", "kernel", "bash"]
        .iter()
        .find_map(|name| {
            packages
                .iter()
                .find(|p| p.name == *name)
                .and_then(|p| p.arch.as_deref())
                .filter(|arch| *arch != "noarch")
        });
    match arch {
        Some("i386" | "i486" | "i586" | "i686" | "athlon" | "geode") => "i386".to_owned(),
        Some(arch) => arch.to_owned(),
        None => DEFAULT_BASEARCH.to_owned(),
    }
}

fn package_statistics(
    packages: &[InstalledPackage],
) -> (Vec<KeyCount>, Vec<VendorCount>, Vec<String>) {
    let (pubkeys, packages): (Vec<_>, Vec<_>) =
        packages.iter().partition(|p| p.name == "gpg-pubkey");
    let imported: BTreeSet<String> = pubkeys
        .iter()
        .map(|p| p.version.to_ascii_lowercase())
        .collect();

    let mut by_key: BTreeMap<Option<&str>, usize> = BTreeMap::new();
    let mut by_vendor: BTreeMap<Option<&str>, usize> = BTreeMap::new();
    for package in &packages {
        *by_key
            .entry(package.signature_key_id.as_deref())
            .or_default() += 1;
        *by_vendor.entry(package.vendor.as_deref()).or_default() += 1;
    }
    let mut keys: Vec<KeyCount> = by_key
        .into_iter()
        .map(|(key_id, packages)| KeyCount {
            imported: key_id.is_some_and(|id| {
                imported.contains(&id[id.len().saturating_sub(8)..].to_ascii_lowercase())
            }),
            key_id: key_id.map(str::to_owned),
            packages,
        })
        .collect();
    keys.sort_by(|a, b| {
        b.packages
            .cmp(&a.packages)
            .then_with(|| a.key_id.cmp(&b.key_id))
    });
    let mut vendors: Vec<VendorCount> = by_vendor
        .into_iter()
        .map(|(vendor, packages)| VendorCount {
            vendor: vendor.map(str::to_owned),
            packages,
        })
        .collect();
    vendors.sort_by(|a, b| {
        b.packages
            .cmp(&a.packages)
            .then_with(|| a.vendor.cmp(&b.vendor))
    });
    let imported_keys = pubkeys.iter().map(|p| p.nevra()).collect();
    (keys, vendors, imported_keys)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn package(
        name: &str,
        arch: Option<&str>,
        key: Option<&str>,
        vendor: Option<&str>,
    ) -> InstalledPackage {
        InstalledPackage {
            name: name.into(),
            epoch: None,
            version: if name == "gpg-pubkey" {
                "fd431d51".into()
            } else {
                "1".into()
            },
            release: "1".into(),
            arch: arch.map(Into::into),
            vendor: vendor.map(Into::into),
            signature_key_id: key.map(Into::into),
            install_time: None,
            size: None,
            source_rpm: None,
        }
    }

    #[test]
    fn statistics_count_keys_and_vendors() {
        let packages = [
            package(
                "a",
                Some("x86_64"),
                Some("199e2f91fd431d51"),
                Some("Red Hat, Inc."),
            ),
            package(
                "b",
                Some("noarch"),
                Some("199e2f91fd431d51"),
                Some("Red Hat, Inc."),
            ),
            package("c", Some("x86_64"), None, None),
            package("d", Some("x86_64"), Some("0123456789abcdef"), Some("Other")),
            package("gpg-pubkey", None, None, None),
        ];
        let (keys, vendors, imported) = package_statistics(&packages);
        assert_eq!(
            keys,
            [
                KeyCount {
                    key_id: Some("199e2f91fd431d51".into()),
                    imported: true,
                    packages: 2
                },
                KeyCount {
                    key_id: None,
                    imported: false,
                    packages: 1
                },
                KeyCount {
                    key_id: Some("0123456789abcdef".into()),
                    imported: false,
                    packages: 1
                },
            ]
        );
        assert_eq!(
            vendors[0],
            VendorCount {
                vendor: Some("Red Hat, Inc.".into()),
                packages: 2
            }
        );
        assert_eq!(vendors.len(), 3);
        assert_eq!(imported, ["gpg-pubkey-fd431d51-1"]);
    }

    #[test]
    fn basearch_comes_from_glibc_or_defaults() {
        assert_eq!(basearch(&[]), "x86_64");
        assert_eq!(
            basearch(&[package("glibc", Some("aarch64"), None, None)]),
            "aarch64"
        );
        assert_eq!(
            basearch(&[package("glibc", Some("i686"), None, None)]),
            "i386"
        );
        assert_eq!(
            basearch(&[package("bash", Some("noarch"), None, None)]),
            "x86_64"
        );
    }
}
