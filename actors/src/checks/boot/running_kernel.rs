//! `running_kernel_check`: the host runs the newest installed kernel, and that kernel is an
//! installed package at all.
//!
//! The upgrade configures the boot loader from what is installed; when the host runs an older
//! kernel (an update installed without a reboot, a pinned default entry) the state leapfrog
//! sees is not the state the machine boots, and the kernel modules of the running kernel may
//! already be gone. The newest kernel is the newest `kernel-core` (EL8+) or `kernel` (EL7)
//! by rpm version comparison of version-release; debug/64k flavours of the same build
//! (`uname -r` ending in `+debug`) count as that build.

use std::cmp::Ordering;

use rpm_sys::vercmp;

use crate::facts::kernels::installed_kernels;
use crate::finding::{Finding, FindingInfo, Level};
use crate::model::CheckInput;
use crate::registry::Check;

const ID: &str = "running_kernel_check";

/// Packages whose `version-release.arch` is a kernel image that can be running.
const IMAGE_PACKAGES: &[&str] = &[
    "kernel",
    "kernel-core",
    "kernel-debug",
    "kernel-debug-core",
    "kernel-64k-core",
    "kernel-64k-debug-core",
    "kernel-rt",
    "kernel-rt-core",
    "kernel-plus",
    "kernel-plus-core",
    "kernel-uek",
    "kernel-uek-core",
];

const NEWEST_NOT_RUNNING: FindingInfo = FindingInfo {
    key: "kernel.newest-not-running",
    level: Level::Inhibitor,
    title: "The newest installed kernel is not the running one",
};

const RUNNING_NOT_INSTALLED: FindingInfo = FindingInfo {
    key: "kernel.running-not-installed",
    level: Level::High,
    title: "The running kernel is not an installed package",
};

/// The check.
pub const CHECK: Check = Check::new(
    ID,
    "Verifies that the running kernel is the newest installed kernel (kernel-core on EL8+, kernel on EL7) and that it is an installed package.",
    &["facts.rpm", "facts.boot", "host.running_kernel"],
    &[NEWEST_NOT_RUNNING, RUNNING_NOT_INSTALLED],
    run,
);

/// `version-release` of a `uname -r` (`4.18.0-553.el8_10.x86_64+debug` ->
/// `4.18.0-553.el8_10`), given the package arch when known.
fn version_release(uname: &str) -> &str {
    let base = uname.split('+').next().unwrap_or(uname);
    for arch in [
        "x86_64", "aarch64", "ppc64le", "s390x", "i686", "noarch", "ppc64",
    ] {
        if let Some(vr) = base.strip_suffix(&format!(".{arch}")) {
            return vr;
        }
    }
    base
}

/// rpm order of two `version-release` strings.
fn cmp_vr(a: &str, b: &str) -> Ordering {
    let (av, ar) = a.split_once('-').unwrap_or((a, ""));
    let (bv, br) = b.split_once('-').unwrap_or((b, ""));
    vercmp(av, bv).then_with(|| vercmp(ar, br))
}

fn run(input: &CheckInput<'_>) -> Vec<Finding> {
    if !input.host.known() {
        return Vec::new();
    }
    let (Some(running), Some(rpm)) = (input.host.running_kernel.as_deref(), input.facts.rpm.get())
    else {
        return Vec::new();
    };
    let running = running.trim();
    if running.is_empty() {
        return Vec::new();
    }
    let entries = input
        .facts
        .boot
        .get()
        .map(|b| b.entries.as_slice())
        .unwrap_or_default();
    let kernels = installed_kernels(&rpm.packages, entries);
    let Some(newest) = kernels.last() else {
        return Vec::new();
    };
    let running_base = running.split('+').next().unwrap_or(running);
    let installed = rpm
        .packages
        .iter()
        .filter(|p| IMAGE_PACKAGES.contains(&p.name.as_str()))
        .any(|p| {
            let kr = match &p.arch {
                Some(a) => format!("{}-{}.{a}", p.version, p.release),
                None => format!("{}-{}", p.version, p.release),
            };
            kr == running_base
        });
    let image = format!("/boot/vmlinuz-{}", newest.kernel_release);
    let grubby = [
        "grubby".to_string(),
        "--set-default".to_string(),
        image.clone(),
    ];
    let list: Vec<String> = kernels
        .iter()
        .map(|k| format!("{} ({})", k.kernel_release, k.nevra))
        .collect();
    if !installed {
        return vec![
            Finding::of(
                &RUNNING_NOT_INSTALLED,
                ID,
                format!(
                    "The host runs kernel {running}, which no installed kernel package provides. Installed kernels:\n{}\nThe upgrade replaces the installed kernels; a kernel that is not a package (built by hand, booted by the hypervisor or the provider) is not upgraded, and leapfrog cannot tell what the machine will boot.",
                    crate::finding::bullet_list(&list, 10)
                ),
            )
            .hint(format!(
                "Boot the newest installed kernel ({}) and run the assessment again: `grubby --set-default {image}`, then `reboot`. If the provider boots an external kernel, switch the instance to the distribution kernel (GRUB) first.",
                newest.kernel_release
            ))
            .command(grubby)
            .related("kernel", [running.to_string()])
            .groups(&["boot", "kernel"]),
        ];
    }
    let newest_vr = version_release(&newest.kernel_release);
    if cmp_vr(version_release(running), newest_vr) == Ordering::Less {
        return vec![
            Finding::of(
                &NEWEST_NOT_RUNNING,
                ID,
                format!(
                    "The host runs kernel {running}, but the newest installed kernel is {} ({}). Installed kernels:\n{}\nThe upgrade must start from the system as it boots: a newer kernel is installed but was never booted.",
                    newest.kernel_release,
                    newest.nevra,
                    crate::finding::bullet_list(&list, 10)
                ),
            )
            .hint(format!(
                "Make the newest kernel the default and reboot into it: `grubby --set-default {image}`, then `reboot`; run the assessment again afterwards."
            ))
            .command(grubby)
            .related("kernel", [running.to_string(), newest.kernel_release.clone()])
            .groups(&["boot", "kernel"]),
        ];
    }
    Vec::new()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn version_release_and_order() {
        assert_eq!(
            version_release("4.18.0-553.el8_10.x86_64+debug"),
            "4.18.0-553.el8_10"
        );
        assert_eq!(version_release("5.14.0-70.el9"), "5.14.0-70.el9");
        assert_eq!(
            cmp_vr("4.18.0-477.el8", "4.18.0-553.el8_10"),
            Ordering::Less
        );
        assert_eq!(
            cmp_vr("4.18.0-553.el8_10", "4.18.0-553.el8_10"),
            Ordering::Equal
        );
        assert_eq!(cmp_vr("5.14.0-1.el9", "4.18.0-553.el8"), Ordering::Greater);
    }
}
