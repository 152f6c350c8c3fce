//! `system_space_check`: the filesystems holding `/`, `/usr` and `/var` have room for the
//! upgrade.
//!
//! What is needed, per path ([`NEEDS`]; estimates for a server with a few hundred packages, in
//! line with leapp's measured 1.8 GiB (8->9) to 2.9 GiB (7->8) for its target userspace and
//! downloads):
//!
//! - `/var`: 2 GiB: the downloaded target packages (typically 0.8-1.2 GiB), the target
//!   userspace used to rehearse the transaction and build the upgrade initramfs, the converted
//!   rpm database and logs;
//! - `/usr`: 512 MiB: the target's packages are larger than the source's, and rpm keeps the
//!   old and new files of a package side by side until it finishes that package;
//! - `/`: 512 MiB for the rest of the tree (`/etc`, `/opt`, new configuration files).
//!
//! Needs of paths on the same filesystem add up: with `/usr` and `/var` on `/` the root
//! filesystem needs 3 GiB. When `/boot` is on one of those filesystems its 300 MiB
//! ([`crate::checks::boot::boot_space::BOOT_NEEDED`]) is added as well.

use std::collections::BTreeMap;

use leapfrog_base::units::human_bytes;

use crate::checks::boot::boot_space::BOOT_NEEDED;
use crate::finding::{Finding, FindingInfo, Level, bullet_list};
use crate::model::CheckInput;
use crate::registry::Check;

const ID: &str = "system_space_check";

const MIB: u64 = 1 << 20;

/// Free space each path needs on the filesystem that holds it, in bytes.
pub const NEEDS: &[(&str, u64)] = &[("/", 512 * MIB), ("/usr", 512 * MIB), ("/var", 2048 * MIB)];

const INSUFFICIENT_SPACE: FindingInfo = FindingInfo {
    key: "storage.insufficient-space",
    level: Level::Inhibitor,
    title: "Not enough free disk space for the upgrade",
};

/// The check.
pub const CHECK: Check = Check::new(
    ID,
    "Verifies free space on the filesystems holding / (512 MiB), /usr (512 MiB) and /var (2 GiB), adding up the needs of paths on the same filesystem (3 GiB for / when /usr and /var are on it).",
    &["host.mounts"],
    &[INSUFFICIENT_SPACE],
    run,
);

struct Need<'a> {
    source: &'a str,
    free: Option<u64>,
    needed: u64,
    paths: Vec<&'static str>,
}

fn run(input: &CheckInput<'_>) -> Vec<Finding> {
    let host = input.host;
    if !host.known() || host.mounts.is_empty() {
        return Vec::new();
    }
    let mut needs: BTreeMap<&str, Need<'_>> = BTreeMap::new();
    for (path, bytes) in NEEDS {
        let Some(m) = host.mount_for(path) else {
            continue;
        };
        let n = needs.entry(m.target.as_str()).or_insert(Need {
            source: &m.source,
            free: m.free_bytes,
            needed: 0,
            paths: Vec::new(),
        });
        n.needed += bytes;
        n.paths.push(path);
    }
    if let Some(boot) = host.mount_for("/boot")
        && let Some(n) = needs.get_mut(boot.target.as_str())
    {
        n.needed += BOOT_NEEDED;
        n.paths.push("/boot");
    }
    let short: Vec<String> = needs
        .iter()
        .filter_map(|(mp, n)| {
            let free = n.free?;
            (free < n.needed).then(|| {
                format!(
                    "{mp} ({}, holding {}): {} free, {} needed",
                    n.source,
                    n.paths.join(", "),
                    human_bytes(free),
                    human_bytes(n.needed)
                )
            })
        })
        .collect();
    if short.is_empty() {
        return Vec::new();
    }
    let mount_points: Vec<String> = needs
        .iter()
        .filter(|(_, n)| n.free.is_some_and(|f| f < n.needed))
        .map(|(mp, _)| mp.to_string())
        .collect();
    vec![
        Finding::of(
            &INSUFFICIENT_SPACE,
            ID,
            format!(
                "These filesystems have less free space than the upgrade needs (downloaded packages and the rehearsal in /var, larger target packages in /usr):\n{}",
                bullet_list(&short, 10)
            ),
        )
        .hint("Free space on the filesystems listed (clean the package cache with `dnf clean all` or `yum clean all`, remove old logs, core dumps and unused packages) or grow them, then run the assessment again.")
        .command(if input.source_major().is_some_and(|m| m >= 8) {
            ["dnf", "clean", "all"]
        } else {
            ["yum", "clean", "all"]
        })
        .related("directory", mount_points)
        .groups(&["filesystem"]),
    ]
}
