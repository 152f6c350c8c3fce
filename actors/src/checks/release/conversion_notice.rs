//! `conversion_notice_check`: reports what a same-major conversion to another distribution
//! changes (vendor, release and branding packages, signing keys), so it is not mistaken for a
//! plain update.

use crate::facts::release::release_package_of;
use crate::finding::{Finding, FindingInfo, Level, bullet_list};
use crate::model::CheckInput;
use crate::registry::Check;

const ID: &str = "conversion_notice_check";

const CONVERSION: FindingInfo = FindingInfo {
    key: "release.conversion",
    level: Level::Info,
    title: "This run converts the system to another distribution",
};

/// The check.
pub const CHECK: Check = Check::new(
    ID,
    "Reports what a same-major conversion to another distribution changes: vendor, release and branding packages, signing keys.",
    &["facts.release", "facts.rpm", "target"],
    &[CONVERSION],
    run,
);

/// The branding package of a distribution id.
fn logos_package(distro_id: &str) -> String {
    match distro_id {
        "ol" => "oracle-logos".to_string(),
        id => format!("{id}-logos"),
    }
}

fn run(input: &CheckInput<'_>) -> Vec<Finding> {
    let (Some(release), Some(target)) = (input.facts.release.get(), input.target) else {
        return Vec::new();
    };
    if !target.conversion || target.distro == release.os.id {
        return Vec::new();
    }
    let source = match release.major {
        Some(m) => format!("{} {m}", release.os.name),
        None => release.os.name.clone(),
    };
    let dest = format!("{} {}.{}", target.name, target.major, target.minor);
    let source_release = release.release_package();
    let target_release = release_package_of(&target.distro);
    let rpm = input.facts.rpm.get();
    let vendor = rpm
        .and_then(|r| r.named(&source_release).find_map(|p| p.vendor.clone()))
        .unwrap_or_else(|| release.os.name.clone());
    let keys = rpm
        .map(|r| r.distribution_key_ids(&source_release))
        .unwrap_or_default();
    let distribution_packages = rpm.map_or(0, |r| {
        r.real()
            .filter(|p| {
                p.signature_key_id
                    .as_ref()
                    .is_some_and(|k| keys.contains(k))
            })
            .count()
    });
    let mut changes = vec![
        format!(
            "vendor: the {distribution_packages} package(s) built by {vendor} are replaced by {}'s builds of the same software (dnf distro-sync), signed with {}'s key",
            target.name, target.name
        ),
        format!(
            "release package: {source_release} is replaced by {target_release} (/etc/os-release, /etc/redhat-release, the distribution's repo files in /etc/yum.repos.d and its keys in /etc/pki/rpm-gpg)"
        ),
    ];
    let source_logos = logos_package(&release.os.id);
    if rpm.is_some_and(|r| r.has(&source_logos)) {
        changes.push(format!(
            "branding: {source_logos} is replaced by {}",
            logos_package(&target.distro)
        ));
    }
    changes.push(if keys.is_empty() {
        format!("keys: {}'s signing key is imported into the rpm database", target.name)
    } else {
        format!(
            "keys: {}'s signing key is imported into the rpm database; {vendor}'s key(s) {} stay imported until you remove them",
            target.name,
            keys.join(", ")
        )
    });
    vec![
        Finding::of(
            &CONVERSION,
            ID,
            format!(
                "{source} is converted to {dest}; the major release stays the same. What changes:\n{}",
                bullet_list(&changes, 10)
            ),
        )
        .hint(format!("Check that software which tests the distribution name or vendor (support contracts, monitoring, license checks) accepts {}. After the conversion remove the old distribution's keys you no longer need with `rpm -e gpg-pubkey-<id>`.", target.name))
        .related("package", [source_release, target_release])
        .groups(&["sanity"]),
    ]
}
