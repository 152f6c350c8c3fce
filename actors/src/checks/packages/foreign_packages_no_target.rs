//! `foreign_packages_no_target_check`: every installed package has a source for the target
//! release. Distribution packages come from the target distribution and packages of known vendors
//! from the vendor's target repository; any other package not signed by the distribution has no
//! target leapfrog knows of, so the upgrade would leave it built for the old major release.
//! Only major upgrades are concerned.
//!
//! Today this is the same set of packages as `packages.third-party`; this finding is the
//! decision to take (remove them, or keep them knowingly by waiving it), the other one the
//! inventory. Once target repository content is known (migration data), packages a custom
//! target repository provides will no longer be listed here.

use crate::finding::{Finding, FindingInfo, Level, bullet_list};
use crate::model::CheckInput;
use crate::registry::Check;

use super::origin;

const ID: &str = "foreign_packages_no_target_check";

const NO_TARGET: FindingInfo = FindingInfo {
    key: "packages.no-target",
    level: Level::Inhibitor,
    title: "No target is known for some third-party packages",
};

/// The check.
pub const CHECK: Check = Check::new(
    ID,
    "Blocks the upgrade while packages that are neither signed by the distribution nor from a known vendor are installed: nothing would upgrade them.",
    &["facts.rpm", "facts.release", "facts.repositories", "target"],
    &[NO_TARGET],
    run,
);

fn run(input: &CheckInput<'_>) -> Vec<Finding> {
    if !origin::is_major_upgrade(input) {
        return Vec::new();
    }
    let Some(origins) = origin::classify(input) else {
        return Vec::new();
    };
    if origins.third_party.is_empty() {
        return Vec::new();
    }
    let target = input.target.map_or_else(
        || "the target".to_string(),
        |t| format!("{} {}", t.name, t.major),
    );
    let lines: Vec<String> = origins
        .third_party
        .iter()
        .map(|p| {
            let vendor = p
                .vendor
                .as_deref()
                .filter(|v| !v.trim().is_empty())
                .unwrap_or("no vendor");
            format!("{} ({vendor})", p.nevra())
        })
        .collect();
    // NEVRAs, not names: another installed version of the same name may be the distribution's.
    let nevras: Vec<String> = origins.third_party.iter().map(|p| p.nevra()).collect();
    let pm = origin::package_manager(input);
    vec![
        Finding::of(
            &NO_TARGET,
            ID,
            format!(
                "No repository leapfrog knows provides {target} versions of these packages (they are neither signed by the distribution nor from a known vendor); the upgrade would leave them as they are, built for the old release:\n{}",
                bullet_list(&lines, 20)
            ),
        )
        .hint(format!(
            "Remove them (command below) and reinstall {target} builds after the upgrade, or keep them explicitly: once you know they work on {target}, waive this finding with `--waive {}`.",
            NO_TARGET.key
        ))
        .command(
            [pm, "remove"]
                .into_iter()
                .map(String::from)
                .chain(nevras.iter().cloned()),
        )
        .related("package", nevras)
        .groups(&["repository"]),
    ]
}
