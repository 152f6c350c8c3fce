//! `kernel_cmdline_check`: the running kernel's command line has nothing the upgrade cannot
//! carry over.
//!
//! - `fips=1`: the system runs in FIPS mode. leapfrog does not upgrade FIPS systems in place:
//!   the upgrade initramfs and the first boot of the target would have to keep a validated
//!   FIPS setup (dracut `fips` module, `.hmac` files of the target kernel, crypto policy), which
//!   it does not do yet.
//! - Arguments the target kernel no longer supports ([`DEPRECATED_ARGS`]), reported low: they
//!   are ignored or replaced, not fatal.

use crate::finding::{Finding, FindingInfo, Level, bullet_list};
use crate::model::CheckInput;
use crate::registry::Check;

const ID: &str = "kernel_cmdline_check";

/// A kernel argument that a target major no longer supports.
#[derive(Debug, Clone, Copy)]
pub struct DeprecatedArg {
    /// The argument: `name=value` matches exactly, `name=` matches any value.
    pub arg: &'static str,
    /// First major whose kernel does not support it: reported when the source is older and the
    /// target is this major or newer.
    pub from_major: u32,
    /// What happens and what to use instead.
    pub why: &'static str,
}

/// Arguments removed in a target major.
///
/// - `crashkernel=auto` was a RHEL 8 kernel patch; EL9 kernels do not know it (kexec-tools
///   sets an explicit size instead, `kdumpctl reset-crashkernel`).
/// - `elevator=` has had no effect since the block layer became multi-queue only (Linux 5.0,
///   ignored with a warning since 5.4): EL9 kernels ignore it; I/O schedulers are set per
///   device (udev rule or tuned).
pub const DEPRECATED_ARGS: &[DeprecatedArg] = &[
    DeprecatedArg {
        arg: "crashkernel=auto",
        from_major: 9,
        why: "EL9+ kernels do not support crashkernel=auto: after the upgrade set an explicit reservation with `kdumpctl reset-crashkernel --kernel=ALL` (or `crashkernel=<size>`)",
    },
    DeprecatedArg {
        arg: "elevator=",
        from_major: 9,
        why: "EL9+ kernels ignore elevator= (multi-queue block layer): set the I/O scheduler per device with a udev rule or a tuned profile",
    },
];

const FIPS_ENABLED: FindingInfo = FindingInfo {
    key: "boot.fips-enabled",
    level: Level::Inhibitor,
    title: "The system runs in FIPS mode",
};

const DEPRECATED_KERNEL_ARGS: FindingInfo = FindingInfo {
    key: "boot.deprecated-kernel-args",
    level: Level::Low,
    title: "Kernel arguments the target kernel does not support",
};

/// The check.
pub const CHECK: Check = Check::new(
    ID,
    "Looks at the running kernel command line: fips=1 (FIPS systems are not upgraded in place) and arguments the target kernel no longer supports (crashkernel=auto, elevator= on EL9+).",
    &["host.kernel_cmdline", "facts.release", "target"],
    &[FIPS_ENABLED, DEPRECATED_KERNEL_ARGS],
    run,
);

fn matches(token: &str, arg: &str) -> bool {
    if arg.ends_with('=') {
        token.starts_with(arg)
    } else {
        token == arg
    }
}

fn run(input: &CheckInput<'_>) -> Vec<Finding> {
    if !input.host.known() {
        return Vec::new();
    }
    let Some(cmdline) = input.host.kernel_cmdline.as_deref() else {
        return Vec::new();
    };
    let tokens: Vec<&str> = cmdline.split_whitespace().collect();
    let mut out = Vec::new();
    if tokens.contains(&"fips=1") {
        let el8 = input.source_major().is_some_and(|m| m >= 8);
        out.push(
            Finding::of(
                &FIPS_ENABLED,
                ID,
                format!("The running kernel was booted with fips=1 (command line: {cmdline}). leapfrog cannot upgrade a FIPS-mode system in place yet: the upgrade environment and the target's first boot would not keep a validated FIPS setup."),
            )
            .hint(if el8 {
                "Disable FIPS mode (`fips-mode-setup --disable`), reboot, upgrade, then enable it again on the target with `fips-mode-setup --enable` and reboot; or reinstall the target and migrate the workload."
            } else {
                "Remove fips=1 from the kernel command line (`grubby --update-kernel=ALL --remove-args=fips=1`), rebuild the initramfs without the fips dracut module, reboot, upgrade, then enable FIPS mode on the target with `fips-mode-setup --enable`."
            })
            .command(if el8 {
                vec!["fips-mode-setup", "--disable"]
            } else {
                vec!["grubby", "--update-kernel=ALL", "--remove-args=fips=1"]
            })
            .related("kernel-argument", ["fips=1"])
            .groups(&["boot", "security"]),
        );
    }
    if let (Some(source), Some(target)) = (input.source_major(), input.target_major()) {
        // only arguments the source supports and the target drops
        let found: Vec<(&str, &DeprecatedArg)> = DEPRECATED_ARGS
            .iter()
            .filter(|d| source < d.from_major && target >= d.from_major)
            .flat_map(|d| {
                tokens
                    .iter()
                    .filter(move |t| matches(t, d.arg))
                    .map(move |t| (*t, d))
            })
            .collect();
        if !found.is_empty() {
            let lines: Vec<String> = found
                .iter()
                .map(|(t, d)| format!("{t}: {}", d.why))
                .collect();
            let args: Vec<String> = found.iter().map(|(t, _)| t.to_string()).collect();
            out.push(
                Finding::of(
                    &DEPRECATED_KERNEL_ARGS,
                    ID,
                    format!(
                        "The running kernel command line has arguments that EL{target} kernels no longer support:\n{}",
                        bullet_list(&lines, 10)
                    ),
                )
                .hint(format!(
                    "Remove them from every boot entry (`grubby --update-kernel=ALL --remove-args=\"{}\"`) and from GRUB_CMDLINE_LINUX in /etc/default/grub, or replace them after the upgrade as described.",
                    args.join(" ")
                ))
                .related("kernel-argument", args)
                .groups(&["boot", "kernel"]),
            );
        }
    }
    out
}
