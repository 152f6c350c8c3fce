//! `architecture_check`: the host's architecture is one EL8 and later are built for.
//!
//! EL8, EL9 and EL10 exist for `x86_64`, `aarch64`, `ppc64le` and `s390x` only; 32-bit
//! machines (`i686`, `armv7l`) and big-endian `ppc64` have no target to upgrade to.

use crate::finding::{Finding, FindingInfo, Level};
use crate::model::CheckInput;
use crate::registry::Check;

const ID: &str = "architecture_check";

/// Architectures the targets are built for.
pub const SUPPORTED_ARCHES: &[&str] = &["x86_64", "aarch64", "ppc64le", "s390x"];

const UNSUPPORTED_ARCH: FindingInfo = FindingInfo {
    key: "hardware.unsupported-arch",
    level: Level::Inhibitor,
    title: "The architecture is not supported by the target",
};

/// The check.
pub const CHECK: Check = Check::new(
    ID,
    "Verifies that the host architecture is x86_64, aarch64, ppc64le or s390x (no 32-bit or big-endian POWER targets exist).",
    &["host.arch"],
    &[UNSUPPORTED_ARCH],
    run,
);

fn is_32bit(arch: &str) -> bool {
    matches!(
        arch,
        "i386" | "i486" | "i586" | "i686" | "x86" | "s390" | "ppc"
    ) || arch.starts_with("arm")
}

fn run(input: &CheckInput<'_>) -> Vec<Finding> {
    if !input.host.known() {
        return Vec::new();
    }
    let Some(arch) = input.host.arch.as_deref().map(str::trim) else {
        return Vec::new();
    };
    if arch.is_empty() || SUPPORTED_ARCHES.contains(&arch) {
        return Vec::new();
    }
    let what = if is_32bit(arch) {
        format!("The host runs on {arch}, a 32-bit architecture no target release is built for")
    } else {
        format!("The host runs on {arch}, an architecture no target release is built for")
    };
    vec![
        Finding::of(
            &UNSUPPORTED_ARCH,
            ID,
            format!(
                "{what}; EL8 and later exist for {} only.",
                SUPPORTED_ARCHES.join(", ")
            ),
        )
        .hint("There is no in-place path for this machine: install the target release on supported hardware and migrate the workload.")
        .related("architecture", [arch.to_string()])
        .groups(&["sanity"]),
    ]
}
