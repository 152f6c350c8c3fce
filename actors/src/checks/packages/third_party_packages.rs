//! `third_party_packages_check`: which installed packages are not the distribution's. A package
//! is the distribution's when it is signed with a key that signed the release package (the
//! installed `<os-release ID>-release`, `oraclelinux-release` on Oracle Linux). Packages of a
//! known vendor with an upgrade mapping (see [`super::vendors`]) are reported apart: they are
//! upgraded from the vendor's target repository. Only major upgrades are concerned (a same-major
//! conversion keeps third-party packages working).

use crate::finding::{Finding, FindingInfo, Level, bullet_list};
use crate::model::CheckInput;
use crate::registry::Check;

use super::origin::{self, Origins};

const ID: &str = "third_party_packages_check";

const THIRD_PARTY: FindingInfo = FindingInfo {
    key: "packages.third-party",
    level: Level::High,
    title: "Packages not signed by the distribution are installed",
};

const VENDOR_MAPPED: FindingInfo = FindingInfo {
    key: "packages.vendor-mapped",
    level: Level::Medium,
    title: "Packages of known vendors will be upgraded from the vendors' repositories",
};

/// The check.
pub const CHECK: Check = Check::new(
    ID,
    "Lists installed packages not signed by the distribution's keys, grouped by vendor; packages of known vendors with an upgrade mapping (EPEL, MariaDB) are reported separately.",
    &["facts.rpm", "facts.release", "facts.repositories", "target"],
    &[THIRD_PARTY, VENDOR_MAPPED],
    run,
);

fn run(input: &CheckInput<'_>) -> Vec<Finding> {
    if !origin::is_major_upgrade(input) {
        return Vec::new();
    }
    let Some(origins) = origin::classify(input) else {
        return Vec::new();
    };
    let target = input.target.map_or_else(
        || "the target".to_string(),
        |t| format!("{} {}", t.name, t.major),
    );
    let mut out = Vec::new();
    if !origins.third_party.is_empty() {
        out.push(third_party(&origins, &target));
    }
    if !origins.vendor_mapped.is_empty() {
        out.push(vendor_mapped(input, &origins, &target));
    }
    out
}

fn third_party(origins: &Origins<'_>, target: &str) -> Finding {
    let mut text = Vec::new();
    for ((vendor, key), packages) in origins.third_party_by_vendor() {
        let nevras: Vec<String> = packages.iter().map(|p| p.nevra()).collect();
        text.push(format!("{vendor} ({key}):\n{}", bullet_list(&nevras, 15)));
    }
    Finding::of(
        &THIRD_PARTY,
        ID,
        format!(
            "{} package(s) are not signed by the distribution (keys {} of {}) and no known vendor mapping covers them. The upgrade only replaces distribution packages: these keep their current builds, which may not work on {target} or may block the transaction when the libraries they need change.\n{}",
            origins.third_party.len(),
            origins.distribution_keys.join(", "),
            origins.release_package,
            text.join("\n")
        ),
    )
    .hint(format!("Ask each vendor for {target} builds and add the vendor's target repository to /etc/leapfrog/target.repos.d, or remove the packages you no longer need."))
    .related("package", origins.third_party.iter().map(|p| p.nevra()))
    .groups(&["repository"])
}

fn vendor_mapped(input: &CheckInput<'_>, origins: &Origins<'_>, target: &str) -> Finding {
    let repos = input.facts.repositories.get();
    let mut text = Vec::new();
    let mut missing = Vec::new();
    for (vendor, packages) in &origins.vendor_mapped {
        let nevras: Vec<String> = packages.iter().map(|p| p.nevra()).collect();
        let targets: Vec<String> = vendor
            .target_repos(repos)
            .iter()
            .map(|r| r.id.clone())
            .collect();
        let source = if targets.is_empty() {
            missing.push(vendor.name.as_str());
            "no target repository of this vendor is configured yet".to_string()
        } else {
            format!("target repository: {}", targets.join(", "))
        };
        text.push(format!(
            "{} (vendor \"{}\"; {source}):\n{}",
            vendor.name,
            vendor.vendor,
            bullet_list(&nevras, 15)
        ));
    }
    let hint = if missing.is_empty() {
        "Nothing to do: check after the upgrade that the vendor's repositories point at their content for the new major release.".to_string()
    } else {
        format!(
            "Add the {target} repositories of {} to /etc/leapfrog/target.repos.d so these packages can be upgraded during the upgrade.",
            missing.join(", ")
        )
    };
    Finding::of(
        &VENDOR_MAPPED,
        ID,
        format!(
            "These packages come from third-party vendors leapfrog knows; they will be upgraded from the vendor's target repository for {target}:\n{}",
            text.join("\n")
        ),
    )
    .hint(hint)
    .related(
        "package",
        origins
            .vendor_mapped
            .iter()
            .flat_map(|(_, v)| v.iter().map(|p| p.nevra())),
    )
    .groups(&["repository"])
}
