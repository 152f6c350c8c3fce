//! `cpu_level_check`: on x86_64, the CPU implements the micro-architecture level the target is
//! built for.
//!
//! EL9 is built for x86-64-v2 and EL10 for x86-64-v3: their binaries use those instructions
//! unconditionally, so on an older CPU the upgraded system does not boot (glibc refuses to start
//! or programs die with illegal instructions). The levels, as `/proc/cpuinfo` flags:
//!
//! - v2: `cx16 lahf_lm popcnt sse4_1 sse4_2 ssse3`;
//! - v3: v2 plus `avx avx2 bmi1 bmi2 f16c fma abm` (LZCNT; cpuinfo calls it `abm`) `movbe xsave`.
//!
//! Nothing is reported when the host's flags are unknown (an empty list).

use crate::finding::{Finding, FindingInfo, Level};
use crate::model::CheckInput;
use crate::registry::Check;

const ID: &str = "cpu_level_check";

/// `/proc/cpuinfo` flags of x86-64-v2.
pub const X86_64_V2: &[&str] = &["cx16", "lahf_lm", "popcnt", "sse4_1", "sse4_2", "ssse3"];

/// `/proc/cpuinfo` flags x86-64-v3 adds to v2.
pub const X86_64_V3: &[&str] = &[
    "avx", "avx2", "bmi1", "bmi2", "f16c", "fma", "abm", "movbe", "xsave",
];

const CPU_X86_64_V2: FindingInfo = FindingInfo {
    key: "hardware.cpu-x86-64-v2",
    level: Level::Inhibitor,
    title: "The CPU does not support x86-64-v2",
};

const CPU_X86_64_V3: FindingInfo = FindingInfo {
    key: "hardware.cpu-x86-64-v3",
    level: Level::Inhibitor,
    title: "The CPU does not support x86-64-v3",
};

/// The check.
pub const CHECK: Check = Check::new(
    ID,
    "x86_64: verifies the CPU flags of x86-64-v2 for EL9 targets and x86-64-v3 for EL10 targets, naming the missing ones.",
    &["host.arch", "host.cpu_flags", "facts.release", "target"],
    &[CPU_X86_64_V2, CPU_X86_64_V3],
    run,
);

fn run(input: &CheckInput<'_>) -> Vec<Finding> {
    let host = input.host;
    if !host.known() || host.arch.as_deref() != Some("x86_64") || host.cpu_flags.is_empty() {
        return Vec::new();
    }
    let (info, level, required): (&FindingInfo, &str, Vec<&str>) =
        if input.upgrading_to_at_least(10) {
            (
                &CPU_X86_64_V3,
                "x86-64-v3",
                X86_64_V2.iter().chain(X86_64_V3).copied().collect(),
            )
        } else if input.upgrading_to_at_least(9) {
            (&CPU_X86_64_V2, "x86-64-v2", X86_64_V2.to_vec())
        } else {
            return Vec::new();
        };
    let missing: Vec<&str> = required
        .into_iter()
        .filter(|f| !host.cpu_flags.iter().any(|h| h == f))
        .collect();
    if missing.is_empty() {
        return Vec::new();
    }
    let target = input.target_major().unwrap_or_default();
    vec![
        Finding::of(
            info,
            ID,
            format!(
                "EL{target} for x86_64 requires an {level} CPU; this CPU lacks the flags: {}. The upgraded system would not boot (programs would stop with illegal instructions).",
                missing.join(", ")
            ),
        )
        .hint(format!(
            "Move the system to an {level} CPU first (on a virtual machine, give the guest the host CPU model, e.g. `host-passthrough` in libvirt, or a CPU model that exposes these flags), then run the assessment again."
        ))
        .related("cpu-flag", missing.iter().map(|m| m.to_string()))
        .groups(&["sanity"]),
    ]
}
