//! `unsigned_packages_check`: every installed package carries a signature, so its origin can be
//! verified. Unsigned packages (locally built or from repositories with `gpgcheck=0`) are named.

use crate::finding::{Finding, FindingInfo, Level, bullet_list};
use crate::model::CheckInput;
use crate::registry::Check;

const ID: &str = "unsigned_packages_check";

const UNSIGNED: FindingInfo = FindingInfo {
    key: "packages.unsigned",
    level: Level::Medium,
    title: "Packages without any signature are installed",
};

/// The check.
pub const CHECK: Check = Check::new(
    ID,
    "Finds installed packages that carry no signature at all.",
    &["facts.rpm"],
    &[UNSIGNED],
    run,
);

fn run(input: &CheckInput<'_>) -> Vec<Finding> {
    let Some(rpm) = input.facts.rpm.get() else {
        return Vec::new();
    };
    let unsigned: Vec<_> = rpm
        .real()
        .filter(|p| p.signature_key_id.is_none())
        .collect();
    if unsigned.is_empty() {
        return Vec::new();
    }
    let lines: Vec<String> = unsigned
        .iter()
        .map(
            |p| match p.vendor.as_deref().filter(|v| !v.trim().is_empty()) {
                Some(v) => format!("{} (vendor: {v})", p.nevra()),
                None => p.nevra(),
            },
        )
        .collect();
    vec![
        Finding::of(
            &UNSIGNED,
            ID,
            format!(
                "These packages carry no signature, so nobody can verify where they come from; they were installed from a repository with gpgcheck=0 or as local files. The upgrade never replaces them with signed packages on its own:\n{}",
                bullet_list(&lines, 20)
            ),
        )
        .hint("Confirm the origin of each package. Prefer signed builds from the vendor (and a repository with gpgcheck=1); rebuild local packages signed with your own key, or remove packages that are no longer needed.")
        .related("package", unsigned.iter().map(|p| p.nevra()))
        .groups(&["security"]),
    ]
}
