//! `rpm_scanner`: the rpm database (location, backend) and every installed package with its
//! signing key, signature algorithm and vendor, read through librpm.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use rpm_sys::{InstalledPackage, RpmDatabase};

use crate::facts::rpmdb::{self, RpmDbInfo};
use crate::model::{Env, Facts};
use crate::registry::{ActorInfo, ActorKind, Scanner};

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

/// The scanner.
pub const SCANNER: Scanner = Scanner {
    info: ActorInfo {
        id: "rpm_scanner",
        kind: ActorKind::Scanner,
        description: "Finds the rpm database (sqlite or BerkeleyDB, EL7-EL10 locations) and lists installed packages with signing key and vendor through librpm.",
        reads: &[
            "/var/lib/rpm",
            "/usr/lib/sysimage/rpm",
            "/usr/lib/rpm/macros.d",
        ],
        produces: &["facts.rpm"],
    },
    run,
};

/// Copies the regular files of the database directory into a temporary root, at the same dbpath.
fn private_copy(env: &Env, db: &RpmDbInfo) -> std::io::Result<tempfile::TempDir> {
    let tmp = tempfile::Builder::new()
        .prefix("leapfrog-rpmdb-")
        .tempdir()?;
    let dst = tmp.path().join(db.resolved_dbpath.trim_start_matches('/'));
    std::fs::create_dir_all(&dst)?;
    let src = env.root.host_path(&db.resolved_dbpath);
    for e in std::fs::read_dir(&src)? {
        let e = e?;
        let name = e.file_name();
        if e.file_type()?.is_file()
            && name != ".rpm.lock"
            && !name.to_string_lossy().starts_with("__db.")
        {
            std::fs::copy(e.path(), dst.join(&name))?;
        }
    }
    Ok(tmp)
}

fn run(env: &Env, facts: &Facts) -> Result<(), String> {
    let db = rpmdb::detect(&env.root).map_err(|e| e.to_string())?;
    // Read a private copy: even a read-only sqlite open may rewrite the WAL index
    // (`rpmdb.sqlite-shm`) of the root's database, and the assessment must change nothing.
    let copy = private_copy(env, &db).map_err(|e| {
        format!(
            "copying the rpm database {} to read it: {e}",
            db.resolved_dbpath
        )
    })?;
    let details = RpmDatabase::open(copy.path(), &db.location())
        .and_then(|d| d.installed_package_details())
        .map_err(|e| e.to_string())?;
    let mut signature_algorithms = BTreeMap::new();
    let mut installonly = BTreeSet::new();
    let mut packages = Vec::with_capacity(details.len());
    for d in details {
        if let Some(algorithm) = d.signature_algorithm {
            signature_algorithms.insert(d.package.nevra(), algorithm);
        }
        if d.provides
            .iter()
            .any(|p| p.starts_with("installonlypkg(") || p.starts_with("multiversion("))
        {
            installonly.insert(d.package.name.clone());
        }
        packages.push(d.package);
    }
    facts.rpm.set(RpmFacts {
        db,
        packages,
        signature_algorithms,
        installonly_providers: installonly.into_iter().collect(),
    });
    Ok(())
}
