//! `host_facts_check`: says when the facts only a running host has are unknown (a root that is
//! not the running system was assessed without `--host-facts`), which of them are missing, and
//! how to supply them; the checks that need them stay silent instead of guessing.

use crate::finding::{Finding, FindingInfo, Level};
use crate::model::CheckInput;
use crate::registry::Check;

const ID: &str = "host_facts_check";

/// The host facts and what they are used for.
pub const HOST_FACTS: &[(&str, &str)] = &[
    (
        "running_kernel",
        "the kernel that runs (booted kernel checks)",
    ),
    ("kernel_cmdline", "the kernel command line"),
    ("arch", "the machine architecture"),
    ("loaded_modules", "loaded kernel modules (removed drivers)"),
    ("pci_devices", "PCI devices (unsupported hardware)"),
    ("memory_kib", "memory size"),
    ("cpu_flags", "CPU flags (x86-64 microarchitecture level)"),
    (
        "mounts",
        "mounted file systems with free space and XFS ftype",
    ),
    ("network_interfaces", "network interfaces (NIC naming)"),
    ("efi", "UEFI or BIOS boot"),
    ("container", "whether it runs in a container"),
    ("virtualization", "hypervisor or hardware vendor"),
];

const HOST_FACTS_UNKNOWN: FindingInfo = FindingInfo {
    key: "system.host-facts-unknown",
    level: Level::Medium,
    title: "Host facts are unknown: checks that need them did not run",
};

/// The check.
pub const CHECK: Check = Check::new(
    ID,
    "Reports that host facts (running kernel, modules, PCI devices, memory, CPU, mounts, NICs, EFI, container) are unknown and how to supply them with --host-facts.",
    &["host"],
    &[HOST_FACTS_UNKNOWN],
    run,
);

fn run(input: &CheckInput<'_>) -> Vec<Finding> {
    if input.host.known() {
        return Vec::new();
    }
    let missing: Vec<String> = HOST_FACTS
        .iter()
        .map(|(field, what)| format!("- {field}: {what}"))
        .collect();
    vec![
        Finding::of(
            &HOST_FACTS_UNKNOWN,
            ID,
            format!(
                "The assessed root is not the running system and no host facts file was given, so nothing is \
                 known about the machine it runs on:\n{}\nThe checks that need these facts (boot, hardware, \
                 storage space, NIC naming, container) reported nothing; the assessment is incomplete until \
                 they are supplied.",
                missing.join("\n")
            ),
        )
        .hint(
            "Run leapfrog on the system itself (--root /), or pass the machine's facts with `--host-facts FILE`: \
             a JSON object with the fields above, e.g. {\"running_kernel\": \"4.18.0-553.el8_10.x86_64\", \
             \"kernel_cmdline\": \"root=/dev/mapper/root ro\", \"arch\": \"x86_64\", \"memory_kib\": 4194304, \
             \"cpu_flags\": [\"sse4_2\", \"avx2\"], \"efi\": false, \"mounts\": [{\"source\": \"/dev/vda1\", \
             \"target\": \"/\", \"fstype\": \"xfs\", \"free_bytes\": 21474836480}], \"network_interfaces\": \
             [{\"name\": \"ens3\", \"mac\": \"52:54:00:12:34:56\", \"physical\": true}]}; fields left out \
             count as empty.",
        )
        .groups(&["sanity"]),
    ]
}
