//! `unsupported_path_check`: the source release and the requested target have a supported
//! upgrade or conversion path, and the source is on the minor release that path starts from.

use crate::finding::{Finding, FindingInfo, Level};
use crate::model::CheckInput;
use crate::registry::Check;
use crate::upgrade_paths;

const ID: &str = "unsupported_path_check";

const UNSUPPORTED_PATH: FindingInfo = FindingInfo {
    key: "release.unsupported-path",
    level: Level::Inhibitor,
    title: "No supported path from this release to the target",
};

const SOURCE_MINOR_TOO_OLD: FindingInfo = FindingInfo {
    key: "release.source-minor-too-old",
    level: Level::Inhibitor,
    title: "The source must first be updated to its last minor release",
};

const UNKNOWN_SOURCE: FindingInfo = FindingInfo {
    key: "release.unknown-source",
    level: Level::Inhibitor,
    title: "The installed release is not one leapfrog can upgrade",
};

/// The check.
pub const CHECK: Check = Check::new(
    ID,
    "Verifies that the source release and the target form a supported upgrade or conversion path, and that the source is on the required minor release.",
    &["facts.release", "target"],
    &[UNSUPPORTED_PATH, SOURCE_MINOR_TOO_OLD, UNKNOWN_SOURCE],
    run,
);

fn supported_list() -> String {
    upgrade_paths::paths()
        .iter()
        .map(|p| {
            format!(
                "- {} {} -> {} {}",
                upgrade_paths::distro_name(&p.from),
                p.from_major,
                upgrade_paths::distro_name(&p.to),
                p.to_major
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn run(input: &CheckInput<'_>) -> Vec<Finding> {
    let Some(release) = input.facts.release.get() else {
        return Vec::new();
    };
    let source = format!("{} {}", release.os.name, release.os.version_id);
    let Some(major) = release.major else {
        return vec![
            Finding::of(
                &UNKNOWN_SOURCE,
                ID,
                format!(
                    "VERSION_ID {:?} in /etc/os-release has no major version.",
                    release.os.version_id
                ),
            )
            .groups(&["sanity"]),
        ];
    };
    if upgrade_paths::paths_from(&release.os.id, major).is_empty()
        && input.target.is_none_or(|t| !t.supported)
    {
        return vec![Finding::of(
            &UNKNOWN_SOURCE,
            ID,
            format!("{source} (ID={}) has no supported upgrade or conversion path. Supported paths:\n{}", release.os.id, supported_list()),
        )
        .groups(&["sanity"])];
    }
    let Some(target) = input.target else {
        return Vec::new();
    };
    let mut out = Vec::new();
    if !target.supported {
        out.push(
            Finding::of(
                &UNSUPPORTED_PATH,
                ID,
                format!("{source} cannot be upgraded or converted to {} {}.{} in one step. Supported paths:\n{}", target.name, target.major, target.minor, supported_list()),
            )
            .hint("Choose a supported target with --target, or upgrade in several steps.")
            .groups(&["sanity"]),
        );
    } else if let (Some(min), Some(minor)) = (target.source_min_minor, release.minor)
        && minor < min
    {
        out.push(
            Finding::of(
                &SOURCE_MINOR_TOO_OLD,
                ID,
                format!("{source} is on minor release {major}.{minor}; upgrading to {} {} starts from {major}.{min}.", target.name, target.major),
            )
            .hint("Update the system within its major release and reboot, then run the assessment again.")
            .command(if major >= 8 { ["dnf", "-y", "upgrade"] } else { ["yum", "-y", "update"] })
            .groups(&["sanity"]),
        );
    }
    out
}
