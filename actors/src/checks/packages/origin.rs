//! Where installed packages come from, by signature: the distribution (signed with a key that
//! signed the release package), a known vendor with an upgrade mapping, or a third party.
//! Shared by the package-origin checks; not a check itself.

use std::collections::BTreeMap;

use rpm_sys::InstalledPackage;

use super::vendors::{self, KnownVendor};
use crate::model::CheckInput;

/// Installed packages sorted by origin.
#[derive(Debug)]
pub struct Origins<'a> {
    /// The package providing the distribution's identity (`almalinux-release`).
    pub release_package: String,
    /// Long ids of the distribution's keys (those that signed the release package).
    pub distribution_keys: Vec<String>,
    /// Packages from known vendors whose vendor is set up here, by vendor.
    pub vendor_mapped: Vec<(&'static KnownVendor, Vec<&'a InstalledPackage>)>,
    /// Every other package not signed by a distribution key (unsigned ones included).
    pub third_party: Vec<&'a InstalledPackage>,
}

impl Origins<'_> {
    /// The third-party packages grouped by their `Vendor` tag and signing key:
    /// `("ACME Hosting", "unsigned")` -> packages.
    pub fn third_party_by_vendor(&self) -> BTreeMap<(String, String), Vec<&InstalledPackage>> {
        let mut groups: BTreeMap<(String, String), Vec<&InstalledPackage>> = BTreeMap::new();
        for p in &self.third_party {
            let vendor = p
                .vendor
                .clone()
                .filter(|v| !v.trim().is_empty())
                .unwrap_or_else(|| "(no vendor)".to_string());
            let key = p.signature_key_id.as_ref().map_or_else(
                || "unsigned".to_string(),
                |k| format!("signed with key {k}"),
            );
            groups.entry((vendor, key)).or_default().push(p);
        }
        groups
    }
}

/// Sorts the installed packages by origin. `None` when the rpm or release facts are missing, or
/// when the distribution's keys cannot be known (the release package is not installed or is
/// unsigned): without them every package would look foreign.
pub fn classify<'a>(input: &CheckInput<'a>) -> Option<Origins<'a>> {
    let rpm = input.facts.rpm.get()?;
    let release = input.facts.release.get()?;
    let repos = input.facts.repositories.get();
    let release_package = release.release_package();
    let distribution_keys = rpm.distribution_key_ids(&release_package);
    if distribution_keys.is_empty() {
        return None;
    }
    let mut mapped: BTreeMap<&'static str, (&'static KnownVendor, Vec<&InstalledPackage>)> =
        BTreeMap::new();
    let mut third_party = Vec::new();
    for p in rpm.real() {
        match &p.signature_key_id {
            Some(k) if distribution_keys.contains(k) => continue,
            Some(_) => {}
            None => {
                third_party.push(p);
                continue;
            }
        }
        match p
            .vendor
            .as_deref()
            .and_then(vendors::by_vendor_tag)
            .filter(|v| v.active(rpm, repos))
        {
            Some(v) => mapped
                .entry(v.name.as_str())
                .or_insert((v, Vec::new()))
                .1
                .push(p),
            None => third_party.push(p),
        }
    }
    Some(Origins {
        release_package,
        distribution_keys,
        vendor_mapped: mapped.into_values().collect(),
        third_party,
    })
}

/// The package-manager command of a source major: `yum` on EL7, `dnf` from EL8 (and when
/// unknown).
pub fn package_manager(input: &CheckInput<'_>) -> &'static str {
    if input.source_major().is_some_and(|m| m <= 7) {
        "yum"
    } else {
        "dnf"
    }
}

/// Whether the run is a major upgrade (not a same-major conversion).
pub fn is_major_upgrade(input: &CheckInput<'_>) -> bool {
    matches!((input.source_major(), input.target_major()), (Some(s), Some(t)) if t > s)
}
