//! `luks_root_check`: the root filesystem is not on a LUKS-encrypted device.
//!
//! The package transaction runs in leapfrog's upgrade initramfs, which must unlock the root
//! device without anyone at the console; unattended unlocking (TPM2/clevis, key files) is not
//! supported there yet, so an encrypted root stops the upgrade at boot.
//!
//! The root is taken to be on LUKS when `/etc/crypttab` lists mappings and either
//!
//! - the source of `/` (the live mount, or the fstab entry) is `/dev/mapper/luks-*` or
//!   `/dev/mapper/<crypttab name>`, or
//! - the kernel command line (running, `GRUB_CMDLINE_LINUX`, or grubenv `kernelopts`) asks the
//!   initramfs to unlock devices (`rd.luks.uuid=`, `rd.luks.name=`): the usual LVM-on-LUKS
//!   layout, where `/` is a logical volume on an encrypted physical volume.

use crate::finding::{Finding, FindingInfo, Level, bullet_list};
use crate::model::CheckInput;
use crate::registry::Check;

const ID: &str = "luks_root_check";

const LUKS_ROOT: FindingInfo = FindingInfo {
    key: "storage.luks-root",
    level: Level::Inhibitor,
    title: "The root filesystem is encrypted with LUKS",
};

/// The check.
pub const CHECK: Check = Check::new(
    ID,
    "Detects a root filesystem on LUKS (crypttab mappings plus a /dev/mapper/luks-* or crypttab-named root, or rd.luks.* on the kernel command line): the upgrade initramfs cannot unlock it unattended yet.",
    &[
        "facts.storage",
        "facts.boot",
        "host.mounts",
        "host.kernel_cmdline",
    ],
    &[LUKS_ROOT],
    run,
);

fn luks_args(cmdline: &str) -> Vec<String> {
    cmdline
        .split_whitespace()
        .filter(|t| t.starts_with("rd.luks.uuid=") || t.starts_with("rd.luks.name="))
        .map(str::to_string)
        .collect()
}

fn run(input: &CheckInput<'_>) -> Vec<Finding> {
    let Some(storage) = input.facts.storage.get() else {
        return Vec::new();
    };
    if storage.crypttab.is_empty() {
        return Vec::new();
    }
    let mut evidence = Vec::new();
    let mut roots: Vec<String> = Vec::new();
    if input.host.known()
        && let Some(m) = input.host.mounts.iter().find(|m| m.target == "/")
    {
        roots.push(m.source.clone());
    }
    if let Some(e) = storage.fstab.iter().find(|e| e.target == "/")
        && !roots.contains(&e.source)
    {
        roots.push(e.source.clone());
    }
    for src in &roots {
        if let Some(name) = src.strip_prefix("/dev/mapper/")
            && (name.starts_with("luks-") || storage.crypttab.iter().any(|c| c == name))
        {
            evidence.push(format!("/ is mounted from {src}, a LUKS mapping"));
        }
    }
    let mut cmdlines: Vec<(&str, &str)> = Vec::new();
    if input.host.known()
        && let Some(c) = input.host.kernel_cmdline.as_deref()
    {
        cmdlines.push(("the running kernel command line", c));
    }
    if let Some(boot) = input.facts.boot.get() {
        if let Some(c) = boot.default_grub.get("GRUB_CMDLINE_LINUX") {
            cmdlines.push(("GRUB_CMDLINE_LINUX in /etc/default/grub", c));
        }
        if let Some(c) = boot.grubenv.get("kernelopts") {
            cmdlines.push(("kernelopts in /boot/grub2/grubenv", c));
        }
    }
    for (what, c) in cmdlines {
        let args = luks_args(c);
        if !args.is_empty() {
            evidence.push(format!(
                "{what} unlocks LUKS devices in the initramfs: {}",
                args.join(" ")
            ));
        }
    }
    if evidence.is_empty() {
        return Vec::new();
    }
    vec![
        Finding::of(
            &LUKS_ROOT,
            ID,
            format!(
                "The root filesystem is on a LUKS-encrypted device:\n{}\n/etc/crypttab mappings: {}.\nThe upgrade runs in leapfrog's upgrade initramfs, which cannot unlock encrypted devices unattended yet (no TPM2/clevis or key-file support), so the upgrade would stop at boot.",
                bullet_list(&evidence, 5),
                storage.crypttab.join(", ")
            ),
        )
        .hint("Upgrading a system whose root is on LUKS is not supported yet. Reinstall the target release and migrate the data, or move the root filesystem to an unencrypted device.")
        .related("file", ["/etc/crypttab"])
        .groups(&["filesystem", "encryption"]),
    ]
}
