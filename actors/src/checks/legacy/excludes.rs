//! `package_excludes_check`: `exclude=` in dnf.conf/yum.conf hides packages from the package
//! manager, so the target versions of excluded packages cannot be installed.

use crate::finding::{Finding, FindingInfo, Level, bullet_list};
use crate::model::CheckInput;
use crate::registry::Check;

const ID: &str = "package_excludes_check";

const PACKAGE_EXCLUDES: FindingInfo = FindingInfo {
    key: "config.package-excludes",
    level: Level::High,
    title: "Package excludes are configured",
};

/// The check.
pub const CHECK: Check = Check::new(
    ID,
    "Finds exclude= settings in dnf.conf / yum.conf that would keep packages at their old version.",
    &["facts.config"],
    &[PACKAGE_EXCLUDES],
    run,
);

fn run(input: &CheckInput<'_>) -> Vec<Finding> {
    let Some(cfg) = input.facts.config.get() else {
        return Vec::new();
    };
    if cfg.excludes.is_empty() {
        return Vec::new();
    }
    let lines: Vec<String> = cfg
        .excludes
        .iter()
        .map(|e| format!("{} [{}]: {}", e.file, e.section, e.patterns.join(" ")))
        .collect();
    let files: Vec<&str> = cfg.excludes.iter().map(|e| e.file.as_str()).collect();
    vec![
        Finding::of(
            &PACKAGE_EXCLUDES,
            ID,
            format!("These exclude settings hide packages from dnf/yum; excluded packages cannot move to their target versions and may make the upgrade transaction fail:\n{}", bullet_list(&lines, 20)),
        )
        .hint("Remove or comment out the exclude lines for the upgrade and restore them afterwards if still needed.")
        .related("file", files)
        .groups(&["repository"]),
    ]
}
