//! `virtualization_info_check`: records the environment the assessment ran in (hypervisor or
//! hardware vendor, container, firmware, architecture, kernel, memory, NICs), so the report
//! says where it was taken. Only when host facts are known.

use crate::finding::{Finding, FindingInfo, Level};
use crate::model::CheckInput;
use crate::registry::Check;

const ID: &str = "virtualization_info_check";

/// DMI system vendors (lowercase substrings) of hypervisors and cloud platforms, with a name.
pub const HYPERVISORS: &[(&str, &str)] = &[
    ("qemu", "QEMU/KVM"),
    ("kvm", "KVM"),
    ("red hat", "KVM (Red Hat)"),
    ("vmware", "VMware"),
    ("microsoft", "Microsoft Hyper-V"),
    ("xen", "Xen"),
    ("innotek", "VirtualBox"),
    ("virtualbox", "VirtualBox"),
    ("parallels", "Parallels"),
    ("amazon", "Amazon EC2"),
    ("google", "Google Compute Engine"),
    ("openstack", "OpenStack"),
    ("digitalocean", "DigitalOcean"),
    ("nutanix", "Nutanix AHV"),
    ("bochs", "Bochs"),
    ("bhyve", "bhyve"),
    ("oracle", "Oracle (VirtualBox or OCI)"),
    ("alibaba", "Alibaba Cloud"),
    ("hetzner", "Hetzner Cloud"),
    ("linode", "Linode/Akamai"),
    ("akamai", "Linode/Akamai"),
];

const VIRTUALIZATION: FindingInfo = FindingInfo {
    key: "system.virtualization",
    level: Level::Info,
    title: "Environment of the assessed system",
};

/// The check.
pub const CHECK: Check = Check::new(
    ID,
    "Records the hypervisor or hardware vendor, container, firmware, architecture, running kernel, memory and NICs of the assessed host (only when host facts are known).",
    &["host"],
    &[VIRTUALIZATION],
    run,
);

/// The hypervisor a DMI system vendor string names, if it is one.
pub fn hypervisor(vendor: &str) -> Option<&'static str> {
    let v = vendor.to_ascii_lowercase();
    HYPERVISORS
        .iter()
        .find(|(needle, _)| v.contains(needle))
        .map(|(_, name)| *name)
}

fn run(input: &CheckInput<'_>) -> Vec<Finding> {
    let h = input.host;
    if !h.known() {
        return Vec::new();
    }
    let mut lines = Vec::new();
    let platform = match (h.container.as_deref(), h.virtualization.as_deref()) {
        (Some(c), _) => format!("container: {c}"),
        (None, Some(v)) => match hypervisor(v) {
            Some(name) => format!("virtual machine: {name} (system vendor {v:?})"),
            None => format!("physical machine or unrecognised hypervisor (system vendor {v:?})"),
        },
        (None, None) => "platform unknown (no system vendor)".to_string(),
    };
    lines.push(platform);
    if let Some(a) = &h.arch {
        lines.push(format!("architecture: {a}"));
    }
    if let Some(efi) = h.efi {
        lines.push(format!("firmware: {}", if efi { "UEFI" } else { "BIOS" }));
    }
    if let Some(k) = &h.running_kernel {
        lines.push(format!("running kernel: {k}"));
    }
    if let Some(m) = h.memory_kib {
        lines.push(format!("memory: {:.1} GiB", m as f64 / (1024.0 * 1024.0)));
    }
    let nics: Vec<&str> = h
        .network_interfaces
        .iter()
        .filter(|n| n.physical)
        .map(|n| n.name.as_str())
        .collect();
    if !nics.is_empty() {
        lines.push(format!("physical NICs: {}", nics.join(", ")));
    }
    vec![
        Finding::of(
            &VIRTUALIZATION,
            ID,
            format!(
                "The host facts describe:\n{}",
                lines
                    .iter()
                    .map(|l| format!("- {l}"))
                    .collect::<Vec<_>>()
                    .join("\n")
            ),
        )
        .groups(&["os-facts"]),
    ]
}

#[cfg(test)]
mod tests {
    #[test]
    fn hypervisor_names() {
        assert_eq!(super::hypervisor("QEMU"), Some("QEMU/KVM"));
        assert_eq!(super::hypervisor("VMware, Inc."), Some("VMware"));
        assert_eq!(super::hypervisor("Dell Inc."), None);
    }
}
