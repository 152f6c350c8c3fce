//! `versionlock_check`: no yum/dnf version locks are in place. A lock pins a package to its
//! current version, so the upgrade transaction would have to keep the old major's build.

use crate::finding::{Finding, FindingInfo, Level, bullet_list};
use crate::model::CheckInput;
use crate::registry::Check;

use super::origin;

const ID: &str = "versionlock_check";

const VERSIONLOCK: FindingInfo = FindingInfo {
    key: "packages.versionlock",
    level: Level::High,
    title: "Package versions are locked",
};

/// The check.
pub const CHECK: Check = Check::new(
    ID,
    "Finds version locks of the yum/dnf versionlock plugins, which pin packages to their current versions.",
    &["facts.package_manager", "facts.release", "target"],
    &[VERSIONLOCK],
    run,
);

fn run(input: &CheckInput<'_>) -> Vec<Finding> {
    if input.target.is_none() {
        return Vec::new();
    }
    let Some(pm) = input.facts.package_manager.get() else {
        return Vec::new();
    };
    if pm.versionlocks.is_empty() {
        return Vec::new();
    }
    let tool = origin::package_manager(input);
    vec![
        Finding::of(
            &VERSIONLOCK,
            ID,
            format!(
                "The versionlock plugin pins these packages (entries starting with ! are excluded versions) in {}; the upgrade cannot replace a locked package with its new release, so the transaction fails or keeps the old build:\n{}",
                pm.versionlock_files.join(", "),
                bullet_list(&pm.versionlocks, 20)
            ),
        )
        .hint("Note the locked entries, clear the locks before the upgrade, and lock the new versions again afterwards if you still need to.")
        .command([tool, "versionlock", "clear"])
        .related("file", pm.versionlock_files.iter().cloned())
        .groups(&["sanity"]),
    ]
}
