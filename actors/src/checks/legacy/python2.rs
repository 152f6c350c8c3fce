//! `python2_check`: EL9 has no Python 2; python2 packages (EL8's python27 module) are removed
//! by the upgrade, and whatever runs on them stops working.

use crate::finding::{Finding, FindingInfo, Level, bullet_list};
use crate::model::CheckInput;
use crate::registry::Check;

const ID: &str = "python2_check";

const PYTHON2_REMOVED: FindingInfo = FindingInfo {
    key: "legacy.python2-removed",
    level: Level::High,
    title: "Python 2 is removed by the upgrade",
};

/// The check.
pub const CHECK: Check = Check::new(
    ID,
    "Warns that Python 2 packages are removed when upgrading to EL9 or later.",
    &["facts.rpm", "target"],
    &[PYTHON2_REMOVED],
    run,
);

fn run(input: &CheckInput<'_>) -> Vec<Finding> {
    if !input.upgrading_to_at_least(9) {
        return Vec::new();
    }
    let Some(rpm) = input.facts.rpm.get() else {
        return Vec::new();
    };
    let mut found: Vec<String> = rpm
        .real()
        .filter(|p| p.name == "python2" || p.name.starts_with("python2-"))
        .map(|p| p.name.clone())
        .collect();
    found.sort();
    found.dedup();
    if found.is_empty() {
        return Vec::new();
    }
    vec![
        Finding::of(
            &PYTHON2_REMOVED,
            ID,
            format!("EL9 ships no Python 2. These packages will be removed, and scripts using /usr/bin/python2 will stop working:\n{}", bullet_list(&found, 20)),
        )
        .hint("Port the scripts that need them to Python 3 before upgrading, then remove the python2 packages.")
        .related("package", found)
        .groups(&["python"]),
    ]
}
