//! `duplicate_packages_check`: no package is installed in more than one version for the same
//! architecture (the leftover of an interrupted yum/dnf transaction). Installonly packages
//! (kernels, whatever provides `installonlypkg(...)`/`multiversion(...)`, and names configured
//! with `installonlypkgs` in yum.conf/dnf.conf) and `gpg-pubkey` are exempt; the same name for
//! different architectures (multilib) is not a duplicate.

use std::collections::BTreeMap;

use crate::finding::{Finding, FindingInfo, Level, bullet_list};
use crate::model::CheckInput;
use crate::registry::Check;

const ID: &str = "duplicate_packages_check";

const DUPLICATE: FindingInfo = FindingInfo {
    key: "packages.duplicate",
    level: Level::Inhibitor,
    title: "Packages are installed in more than one version",
};

/// The check.
pub const CHECK: Check = Check::new(
    ID,
    "Finds packages installed in several versions of the same architecture (leftovers of an interrupted transaction), except installonly packages.",
    &["facts.rpm", "facts.package_manager", "facts.release"],
    &[DUPLICATE],
    run,
);

fn run(input: &CheckInput<'_>) -> Vec<Finding> {
    let Some(rpm) = input.facts.rpm.get() else {
        return Vec::new();
    };
    let configured: &[String] = input
        .facts
        .package_manager
        .get()
        .map_or(&[], |pm| pm.installonlypkgs.as_slice());
    let installonly = |name: &str| rpm.is_installonly(name) || configured.iter().any(|c| c == name);
    let mut by_name_arch: BTreeMap<(&str, Option<&str>), Vec<String>> = BTreeMap::new();
    for p in rpm.real().filter(|p| !installonly(&p.name)) {
        by_name_arch
            .entry((p.name.as_str(), p.arch.as_deref()))
            .or_default()
            .push(p.nevra());
    }
    let duplicates: Vec<(&str, Vec<String>)> = by_name_arch
        .into_iter()
        .filter(|(_, v)| v.len() > 1)
        .map(|((name, _), v)| (name, v))
        .collect();
    if duplicates.is_empty() {
        return Vec::new();
    }
    let lines: Vec<String> = duplicates
        .iter()
        .map(|(name, v)| format!("{name}: {}", v.join(", ")))
        .collect();
    let el7 = input.source_major().is_some_and(|m| m <= 7);
    let (hint, command): (&str, &[&str]) = if el7 {
        (
            "Remove the older copies with package-cleanup from yum-utils (finish or clean up unfinished transactions first with yum-complete-transaction), then verify the remaining packages with `rpm -V`.",
            &["package-cleanup", "-y", "--cleandupes"],
        )
    } else {
        (
            "Remove the older copies with dnf, then verify the remaining packages with `rpm -V`.",
            &["dnf", "-y", "remove", "--duplicates"],
        )
    };
    vec![
        Finding::of(
            &DUPLICATE,
            ID,
            format!(
                "{} package name(s) are installed in more than one version for the same architecture, usually left by an interrupted yum/dnf transaction. The upgrade transaction cannot replace them consistently:\n{}",
                duplicates.len(),
                bullet_list(&lines, 20)
            ),
        )
        .hint(hint)
        .command(command.iter().copied())
        .related(
            "package",
            duplicates.iter().flat_map(|(_, v)| v.iter().cloned()),
        )
        .groups(&["sanity"]),
    ]
}
