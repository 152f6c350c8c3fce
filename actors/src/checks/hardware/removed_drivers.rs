//! `removed_drivers_check`: the loaded kernel drivers and the PCI devices present are
//! supported by the target's kernel, according to leapp's device driver deprecation data (see
//! [`crate::scanners::hardware`]).
//!
//! For the target major `T`:
//!
//! - a loaded driver whose entry does not list `T` in `available_in_rhel` is gone from the
//!   target kernel (inhibitor `hardware.removed-driver-loaded`): the device it drives (often a
//!   disk controller or NIC) stops working after the upgrade. Drivers loaded without need
//!   (`pata_acpi`, `floppy`) are unloaded to clear it;
//! - a loaded driver available in `T` but not listed in `maintained_in_rhel` still works but
//!   gets no fixes (medium `hardware.deprecated-driver-loaded`);
//! - a present PCI device whose id is not available in `T` is no longer supported by its
//!   driver (inhibitor `hardware.unsupported-pci-device`), one that is available but not
//!   maintained is `hardware.deprecated-pci-device` (medium).
//!
//! Nothing is reported without host facts, a target, or the data file, nor for conversions
//! within one major.

use crate::facts::hardware::{DriverSupport, PciSupport};
use crate::finding::{Finding, FindingInfo, Level, bullet_list};
use crate::model::CheckInput;
use crate::registry::Check;

const ID: &str = "removed_drivers_check";

const REMOVED_DRIVER_LOADED: FindingInfo = FindingInfo {
    key: "hardware.removed-driver-loaded",
    level: Level::Inhibitor,
    title: "Loaded kernel drivers are removed in the target",
};

const DEPRECATED_DRIVER_LOADED: FindingInfo = FindingInfo {
    key: "hardware.deprecated-driver-loaded",
    level: Level::Medium,
    title: "Loaded kernel drivers are no longer maintained in the target",
};

const UNSUPPORTED_PCI_DEVICE: FindingInfo = FindingInfo {
    key: "hardware.unsupported-pci-device",
    level: Level::Inhibitor,
    title: "PCI devices are not supported by the target",
};

const DEPRECATED_PCI_DEVICE: FindingInfo = FindingInfo {
    key: "hardware.deprecated-pci-device",
    level: Level::Medium,
    title: "PCI devices are no longer maintained in the target",
};

/// The check.
pub const CHECK: Check = Check::new(
    ID,
    "Compares the loaded kernel drivers and present PCI devices with leapp's device driver deprecation data: removed in the target (inhibitor) or no longer maintained (medium).",
    &[
        "facts.hardware",
        "host.loaded_modules",
        "host.pci_devices",
        "target",
    ],
    &[
        REMOVED_DRIVER_LOADED,
        DEPRECATED_DRIVER_LOADED,
        UNSUPPORTED_PCI_DEVICE,
        DEPRECATED_PCI_DEVICE,
    ],
    run,
);

fn driver_line(d: &DriverSupport) -> String {
    let mut s = d.driver.clone();
    if !d.name.is_empty() {
        s.push_str(&format!(" ({})", d.name));
    }
    if !d.deprecation_announced.is_empty() {
        s.push_str(&format!(
            ", deprecation announced {}",
            d.deprecation_announced
        ));
    }
    s
}

fn pci_line(p: &PciSupport) -> String {
    let mut s = format!("{} [{}]", p.address, p.id);
    if !p.name.is_empty() {
        s.push_str(&format!(" {}", p.name));
    }
    if !p.driver.is_empty() {
        s.push_str(&format!(", driver {}", p.driver));
    }
    match &p.bound_driver {
        Some(b) => s.push_str(&format!(", in use by {b}")),
        None => s.push_str(", no driver bound"),
    }
    s
}

fn run(input: &CheckInput<'_>) -> Vec<Finding> {
    if !input.host.known() {
        return Vec::new();
    }
    let (Some(hw), Some(target)) = (input.facts.hardware.get(), input.target_major()) else {
        return Vec::new();
    };
    let Some(file) = hw.driver_data_file.as_deref() else {
        return Vec::new();
    };
    // a conversion within one major keeps the same kernel generation
    if input.source_major().is_none_or(|s| s >= target) {
        return Vec::new();
    }
    let mut out = Vec::new();
    let removed: Vec<&DriverSupport> = hw
        .drivers
        .iter()
        .filter(|d| !d.available_in.contains(&target))
        .collect();
    let deprecated: Vec<&DriverSupport> = hw
        .drivers
        .iter()
        .filter(|d| d.available_in.contains(&target) && !d.maintained_in.contains(&target))
        .collect();
    if !removed.is_empty() {
        let names: Vec<String> = removed.iter().map(|d| d.driver.clone()).collect();
        let lines: Vec<String> = removed.iter().map(|d| driver_line(d)).collect();
        let mut argv = vec!["modprobe".to_string(), "-r".to_string()];
        argv.extend(names.iter().cloned());
        out.push(
            Finding::of(
                &REMOVED_DRIVER_LOADED,
                ID,
                format!(
                    "These loaded kernel drivers do not exist in the EL{target} kernel (per {file}):\n{}\nDevices that depend on them stop working after the upgrade.",
                    bullet_list(&lines, 20)
                ),
            )
            .hint(format!(
                "If the hardware does not need them (e.g. pata_acpi, floppy on virtual machines), unload them (`modprobe -r {}`) and keep them from loading again (`blacklist <driver>` in /etc/modprobe.d/leapfrog-blacklist.conf, then rebuild the initramfs with `dracut -f`). Otherwise replace the hardware with one the target supports.",
                names.join(" ")
            ))
            .command(argv)
            .related("kernel-driver", names)
            .groups(&["drivers", "kernel"]),
        );
    }
    if !deprecated.is_empty() {
        let names: Vec<String> = deprecated.iter().map(|d| d.driver.clone()).collect();
        let lines: Vec<String> = deprecated.iter().map(|d| driver_line(d)).collect();
        out.push(
            Finding::of(
                &DEPRECATED_DRIVER_LOADED,
                ID,
                format!(
                    "These loaded kernel drivers are still in the EL{target} kernel but no longer maintained there (per {file}):\n{}\nThey keep working, but receive no fixes and may be removed in a later major release.",
                    bullet_list(&lines, 20)
                ),
            )
            .hint("Plan to move the devices these drivers serve to supported hardware (or another virtual device model) before the next major upgrade.")
            .related("kernel-driver", names)
            .groups(&["drivers", "kernel"]),
        );
    }
    let unsupported: Vec<&PciSupport> = hw
        .pci_devices
        .iter()
        .filter(|p| !p.available_in.contains(&target))
        .collect();
    let unmaintained: Vec<&PciSupport> = hw
        .pci_devices
        .iter()
        .filter(|p| p.available_in.contains(&target) && !p.maintained_in.contains(&target))
        .collect();
    if !unsupported.is_empty() {
        let lines: Vec<String> = unsupported.iter().map(|p| pci_line(p)).collect();
        out.push(
            Finding::of(
                &UNSUPPORTED_PCI_DEVICE,
                ID,
                format!(
                    "The EL{target} kernel no longer supports these PCI devices (per {file}):\n{}\nThey will not work after the upgrade; if one holds the root filesystem or the only network link, the system will not come back.",
                    bullet_list(&lines, 20)
                ),
            )
            .hint("Replace these devices with supported ones (or, on a virtual machine, switch to another device model such as virtio) before the upgrade; devices the system does not use can be removed.")
            .related("pci-device", unsupported.iter().map(|p| format!("{} {}", p.address, p.id)))
            .groups(&["drivers"]),
        );
    }
    if !unmaintained.is_empty() {
        let lines: Vec<String> = unmaintained.iter().map(|p| pci_line(p)).collect();
        out.push(
            Finding::of(
                &DEPRECATED_PCI_DEVICE,
                ID,
                format!(
                    "The EL{target} kernel still drives these PCI devices but no longer maintains their support (per {file}):\n{}",
                    bullet_list(&lines, 20)
                ),
            )
            .hint("They keep working after the upgrade; plan to replace them before the next major upgrade.")
            .related("pci-device", unmaintained.iter().map(|p| format!("{} {}", p.address, p.id)))
            .groups(&["drivers"]),
        );
    }
    out
}
