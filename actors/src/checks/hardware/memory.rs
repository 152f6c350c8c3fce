//! `memory_check`: the host has the memory the upgrade needs.
//!
//! The package transaction runs in the upgrade initramfs, which is unpacked into memory, with
//! dnf/rpm, the repository metadata and the depsolved transaction in memory too. The
//! minimums follow the figures leapp uses, which match the distributions' documented minimums:
//! 1536 MiB on x86_64, aarch64 and s390x, 3072 MiB on ppc64le (64 KiB pages and larger
//! kernel structures). [`MIN_MIB_DEFAULT`], [`MIN_MIB_PPC64LE`].

use crate::finding::{Finding, FindingInfo, Level};
use crate::model::CheckInput;
use crate::registry::Check;

const ID: &str = "memory_check";

/// Minimum memory (MiB) on x86_64, aarch64 and s390x.
pub const MIN_MIB_DEFAULT: u64 = 1536;
/// Minimum memory (MiB) on ppc64le.
pub const MIN_MIB_PPC64LE: u64 = 3072;

const INSUFFICIENT_MEMORY: FindingInfo = FindingInfo {
    key: "hardware.insufficient-memory",
    level: Level::Inhibitor,
    title: "Not enough memory for the upgrade",
};

/// The check.
pub const CHECK: Check = Check::new(
    ID,
    "Verifies that the host has at least 1536 MiB of memory (3072 MiB on ppc64le), what the upgrade initramfs and its package transaction need.",
    &["host.memory_kib", "host.arch"],
    &[INSUFFICIENT_MEMORY],
    run,
);

fn run(input: &CheckInput<'_>) -> Vec<Finding> {
    let host = input.host;
    if !host.known() {
        return Vec::new();
    }
    let Some(kib) = host.memory_kib else {
        return Vec::new();
    };
    let arch = host.arch.as_deref().unwrap_or("x86_64");
    let min_mib = if arch == "ppc64le" {
        MIN_MIB_PPC64LE
    } else {
        MIN_MIB_DEFAULT
    };
    let have_mib = kib / 1024;
    if have_mib >= min_mib {
        return Vec::new();
    }
    vec![
        Finding::of(
            &INSUFFICIENT_MEMORY,
            ID,
            format!(
                "The host has {have_mib} MiB of memory; upgrading on {arch} needs at least {min_mib} MiB ({} MiB more). The package transaction runs from the upgrade initramfs, which lives in memory together with dnf, rpm and the repository metadata.",
                min_mib - have_mib
            ),
        )
        .hint(format!(
            "Give the machine at least {min_mib} MiB of memory for the upgrade (it can be reduced again afterwards), then run the assessment again."
        ))
        .groups(&["sanity"]),
    ]
}
