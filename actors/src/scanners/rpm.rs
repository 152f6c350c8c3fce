//! `rpm_scanner`: the rpm database (location, backend) and every installed package with its
//! signing key, signature algorithm and vendor, read through librpm.

use std::collections::{BTreeMap, BTreeSet};

use rpm_sys::RpmDatabase;

use crate::facts::rpm::RpmFacts;
use crate::facts::rpmdb::{self, RpmDbInfo};
use crate::model::{Env, Facts};
use crate::registry::Scanner;

/// The scanner.
pub const SCANNER: Scanner = Scanner::new(
    "rpm_scanner",
    "Finds the rpm database (sqlite or BerkeleyDB, EL7-EL10 locations) and lists installed packages with signing key and vendor through librpm.",
    &[
        "/var/lib/rpm",
        "/usr/lib/sysimage/rpm",
        "/usr/lib/rpm/macros.d",
    ],
    &["facts.rpm"],
    run,
);

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
