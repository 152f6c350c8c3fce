//! `selinux_check`: reports an SELinux mode that changes what the upgrade does: disabled
//! (nothing is relabelled, and on EL9+ the config file alone no longer disables SELinux) or
//! permissive (stays permissive; denials are only logged).

use crate::finding::{Finding, FindingInfo, Level};
use crate::model::CheckInput;
use crate::registry::Check;

const ID: &str = "selinux_check";

const SELINUX_DISABLED: FindingInfo = FindingInfo {
    key: "security.selinux-disabled",
    level: Level::Medium,
    title: "SELinux is disabled",
};

const SELINUX_PERMISSIVE: FindingInfo = FindingInfo {
    key: "security.selinux-permissive",
    level: Level::Low,
    title: "SELinux is permissive",
};

/// The check.
pub const CHECK: Check = Check::new(
    ID,
    "Reports SELinux disabled (no relabelling during the upgrade; on EL9+ SELINUX=disabled no longer disables SELinux in the kernel) or permissive.",
    &[
        "facts.security",
        "facts.release",
        "target",
        "host.kernel_cmdline",
    ],
    &[SELINUX_DISABLED, SELINUX_PERMISSIVE],
    run,
);

fn run(input: &CheckInput<'_>) -> Vec<Finding> {
    let Some(sec) = input.facts.security.get() else {
        return Vec::new();
    };
    let (Some(source), Some(target)) = (input.source_major(), input.target_major()) else {
        return Vec::new();
    };
    if target <= source {
        return Vec::new();
    }
    let cmdline: Vec<&str> = if input.host.known() {
        input
            .host
            .kernel_cmdline
            .as_deref()
            .unwrap_or("")
            .split_whitespace()
            .collect()
    } else {
        Vec::new()
    };
    let kernel_off = cmdline.contains(&"selinux=0");
    let config = sec.selinux.as_deref();
    if config == Some("disabled") || kernel_off {
        let how = if kernel_off {
            "the kernel command line has selinux=0"
        } else {
            "/etc/selinux/config has SELINUX=disabled"
        };
        let mut summary = format!(
            "SELinux is disabled ({how}). Nothing labels files while SELinux is disabled: \
             files the upgrade installs or changes get no SELinux labels. The system works while SELinux stays \
             disabled, but enabling it later needs a full relabel first (`touch /.autorelabel` and a \
             reboot, which takes minutes to hours depending on the number of files); enabling it \
             without one makes services fail on unlabelled files."
        );
        let mut f;
        if target >= 9 && !kernel_off {
            summary.push_str(&format!(
                "\nOn EL{target}, SELINUX=disabled in /etc/selinux/config no longer disables SELinux in the \
                 kernel: SELinux is initialized with no policy loaded. Disabling it completely needs the \
                 kernel argument selinux=0."
            ));
            f = Finding::of(&SELINUX_DISABLED, ID, summary)
                .hint(
                    "To keep SELinux disabled on the target, add selinux=0 to every kernel's command line now. \
                     To use SELinux after the upgrade instead, set SELINUX=permissive in /etc/selinux/config, \
                     `touch /.autorelabel` and reboot before upgrading, so the upgrade keeps the labels \
                     correct; switch to enforcing once the upgraded system runs without AVC denials.",
                )
                .command(["grubby", "--update-kernel", "ALL", "--args", "selinux=0"]);
        } else {
            f = Finding::of(&SELINUX_DISABLED, ID, summary).hint(
                "If SELinux should be used after the upgrade, set SELINUX=permissive in /etc/selinux/config, \
                 `touch /.autorelabel` and reboot before upgrading, so the upgrade keeps the labels correct; \
                 switch to enforcing once the upgraded system runs without AVC denials.",
            );
        }
        f = f
            .related("file", ["/etc/selinux/config"])
            .groups(&["security", "selinux"]);
        return vec![f];
    }
    let kernel_permissive = cmdline.contains(&"enforcing=0");
    if config == Some("permissive") || (config == Some("enforcing") && kernel_permissive) {
        let how = if config == Some("permissive") {
            "/etc/selinux/config has SELINUX=permissive"
        } else {
            "the kernel command line has enforcing=0"
        };
        return vec![
            Finding::of(
                &SELINUX_PERMISSIVE,
                ID,
                format!(
                    "SELinux is permissive ({how}): policy violations are logged but not blocked. It \
                     stays permissive on the target, where the new policy may deny things the old one allowed."
                ),
            )
            .hint(
                "After the upgrade, review the denials (`ausearch -m AVC,USER_AVC -ts boot`) and fix them \
                 before switching to enforcing (SELINUX=enforcing in /etc/selinux/config, `setenforce 1`).",
            )
            .related("file", ["/etc/selinux/config"])
            .groups(&["security", "selinux"]),
        ];
    }
    Vec::new()
}
