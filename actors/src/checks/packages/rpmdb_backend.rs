//! `rpmdb_backend_check`: reports that a BerkeleyDB rpm database is converted to sqlite when
//! upgrading to EL9 or later (rpm from EL9 on no longer reads BerkeleyDB).

use crate::finding::{Finding, FindingInfo, Level};
use crate::model::CheckInput;
use crate::registry::Check;
use rpm_sys::DbBackend;

const ID: &str = "rpmdb_backend_check";

const RPMDB_CONVERSION: FindingInfo = FindingInfo {
    key: "packages.rpmdb-conversion",
    level: Level::Info,
    title: "The rpm database will be converted from BerkeleyDB to sqlite",
};

/// The check.
pub const CHECK: Check = Check::new(
    ID,
    "Reports that a BerkeleyDB rpm database is rebuilt as sqlite when upgrading to EL9 or later.",
    &["facts.rpm", "facts.release", "target"],
    &[RPMDB_CONVERSION],
    run,
);

fn run(input: &CheckInput<'_>) -> Vec<Finding> {
    if !input.upgrading_to_at_least(9) {
        return Vec::new();
    }
    let Some(rpm) = input.facts.rpm.get() else {
        return Vec::new();
    };
    if rpm.db.backend != DbBackend::BdbReadOnly {
        return Vec::new();
    }
    vec![
        Finding::of(
            &RPMDB_CONVERSION,
            ID,
            format!(
                "The rpm database in {} is a BerkeleyDB database ({}). rpm on EL9 and later only uses sqlite, so the upgrade rebuilds it as rpmdb.sqlite (`rpmdb --rebuilddb`) before the package transaction. Tools that read the BerkeleyDB files directly stop working afterwards.",
                rpm.db.dbpath, rpm.db.packages_file
            ),
        )
        .hint(format!("Nothing to do; make sure {} is part of your backup.", rpm.db.dbpath))
        .related("directory", [rpm.db.dbpath.clone()])
        .groups(&["sanity"]),
    ]
}
