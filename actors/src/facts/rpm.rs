//! Package facts ([`crate::model::Facts::rpm`], filled by `rpm_scanner`): the rpm database and
//! the installed packages, with the questions checks ask of them.

use std::collections::BTreeMap;

use rpm_sys::InstalledPackage;
use serde::Serialize;

use super::rpmdb::RpmDbInfo;

/// Installed packages.
#[derive(Debug, Clone, Serialize)]
pub struct RpmFacts {
    /// Where the database is and its backend.
    pub db: RpmDbInfo,
    /// Every installed package (including `gpg-pubkey` entries).
    pub packages: Vec<InstalledPackage>,
    /// Signature algorithm (`RSA/SHA256`, `RSA/SHA1`, ...) of each signed package, by NEVRA.
    pub signature_algorithms: BTreeMap<String, String>,
    /// Names of installed packages that provide `installonlypkg(...)` or `multiversion(...)`
    /// (yum/dnf keep several versions of them on purpose), sorted.
    pub installonly_providers: Vec<String>,
}

/// Package names that may be installed in several versions at once: yum's and dnf's default
/// `installonlypkgs` names and Oracle's UEK kernels (packages providing `installonlypkg(...)` or
/// `multiversion(...)` count too, see [`RpmFacts::installonly_providers`]).
pub const INSTALLONLY: &[&str] = &[
    "kernel",
    "kernel-core",
    "kernel-modules",
    "kernel-modules-extra",
    "kernel-devel",
    "kernel-debug",
    "kernel-PAE",
    "kernel-PAE-debug",
    "kernel-bigmem",
    "kernel-enterprise",
    "kernel-smp",
    "kernel-unsupported",
    "kernel-source",
    "kernel-uek",
    "kernel-uek-devel",
    "kernel-uek-debug",
    "kernel-uek-debug-devel",
    "installonlypkg(kernel)",
];

impl RpmFacts {
    /// Installed packages except the `gpg-pubkey` pseudo-packages.
    pub fn real(&self) -> impl Iterator<Item = &InstalledPackage> {
        self.packages.iter().filter(|p| p.name != "gpg-pubkey")
    }

    /// Packages called `name`.
    pub fn named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a InstalledPackage> + 'a {
        self.packages.iter().filter(move |p| p.name == name)
    }

    /// Whether a package called `name` is installed.
    pub fn has(&self, name: &str) -> bool {
        self.named(name).next().is_some()
    }

    /// Whether several versions of `name` may be installed at once: a name of [`INSTALLONLY`] or
    /// a package providing `installonlypkg(...)` or `multiversion(...)`.
    pub fn is_installonly(&self, name: &str) -> bool {
        INSTALLONLY.contains(&name) || self.installonly_providers.iter().any(|n| n == name)
    }

    /// The signature algorithm of an installed package (`None` when unsigned).
    pub fn signature_algorithm(&self, package: &InstalledPackage) -> Option<&str> {
        self.signature_algorithms
            .get(&package.nevra())
            .map(String::as_str)
    }

    /// Key ids imported into the rpmdb (`gpg-pubkey-<short id>-<date>`: the short id).
    pub fn imported_short_key_ids(&self) -> Vec<String> {
        self.named("gpg-pubkey")
            .map(|p| p.version.to_lowercase())
            .collect()
    }

    /// Long key ids that count as the distribution's: those that signed the installed release
    /// package (`*-release` providing the distribution's identity) — every real EL signs its
    /// release package with its main key.
    pub fn distribution_key_ids(&self, release_package: &str) -> Vec<String> {
        let mut v: Vec<String> = self
            .named(release_package)
            .filter_map(|p| p.signature_key_id.clone())
            .collect();
        v.sort();
        v.dedup();
        v
    }
}
