//! `noexec_var_check`: `/var` and `/tmp` allow executing programs.
//!
//! - `/var` `noexec` (inhibitor): the upgrade keeps its working tree under `/var` (downloaded
//!   packages, the target userspace that rehearses the transaction and builds the upgrade
//!   initramfs), and rpm scriptlets run from `/var/tmp`; with `noexec` none of them can run.
//! - `/tmp` `noexec` (medium): scriptlets and tools that write helpers to `/tmp` fail; most
//!   packages use `/var/tmp`, so it is reported, not blocking.
//!
//! Both the fstab entry holding the path and the live mount (when host facts are known) are
//! looked at; `user`/`users` imply `noexec` unless `exec` follows.

use crate::checks::storage::{fstab_entry_for, is_noexec};
use crate::finding::{Finding, FindingInfo, Level, bullet_list};
use crate::model::CheckInput;
use crate::registry::Check;

const ID: &str = "noexec_var_check";

const NOEXEC_VAR: FindingInfo = FindingInfo {
    key: "storage.noexec-var",
    level: Level::Inhibitor,
    title: "/var is mounted noexec",
};

const NOEXEC_TMP: FindingInfo = FindingInfo {
    key: "storage.noexec-tmp",
    level: Level::Medium,
    title: "/tmp is mounted noexec",
};

/// The check.
pub const CHECK: Check = Check::new(
    ID,
    "Verifies that /var (inhibitor) and /tmp (medium) are not mounted noexec, in /etc/fstab or on the running host.",
    &["facts.storage", "host.mounts"],
    &[NOEXEC_VAR, NOEXEC_TMP],
    run,
);

/// Where `path` is `noexec`: descriptions naming the fstab line or the live mount, and the
/// mount points involved.
fn noexec_sources(input: &CheckInput<'_>, path: &str) -> (Vec<String>, Vec<String>) {
    let mut why = Vec::new();
    let mut points = Vec::new();
    if let Some(storage) = input.facts.storage.get()
        && let Some(e) = fstab_entry_for(&storage.fstab, path)
        && is_noexec(&e.options)
    {
        why.push(format!(
            "/etc/fstab line {}: {} on {} ({}) with options {}",
            e.line,
            e.source,
            e.target,
            e.fstype,
            e.options.join(",")
        ));
        points.push(e.target.clone());
    }
    if input.host.known()
        && let Some(m) = input.host.mount_for(path)
        && is_noexec(&m.options)
    {
        why.push(format!(
            "mounted: {} on {} ({}) with options {}",
            m.source,
            m.target,
            m.fstype,
            m.options.join(",")
        ));
        if !points.contains(&m.target) {
            points.push(m.target.clone());
        }
    }
    (why, points)
}

fn run(input: &CheckInput<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    let (why, points) = noexec_sources(input, "/var");
    if !why.is_empty() {
        out.push(
            Finding::of(
                &NOEXEC_VAR,
                ID,
                format!(
                    "The filesystem holding /var does not allow executing programs:\n{}\nThe upgrade runs its target userspace (rehearsal, upgrade initramfs build) from /var and package scriptlets from /var/tmp.",
                    bullet_list(&why, 5)
                ),
            )
            .hint(format!(
                "Remove `noexec` from the options of {} in /etc/fstab and remount it (`mount -o remount,exec {}`); put it back after the upgrade if your policy needs it.",
                points.join(", "),
                points.first().map_or("/var", String::as_str)
            ))
            .command(["mount", "-o", "remount,exec", points.first().map_or("/var", String::as_str)])
            .related("directory", points)
            .groups(&["filesystem"]),
        );
    }
    let (why, points) = noexec_sources(input, "/tmp");
    if !why.is_empty() {
        out.push(
            Finding::of(
                &NOEXEC_TMP,
                ID,
                format!(
                    "The filesystem holding /tmp does not allow executing programs:\n{}\nPackage scriptlets or tools that run helpers from /tmp fail during the upgrade.",
                    bullet_list(&why, 5)
                ),
            )
            .hint(format!(
                "Remove `noexec` from the options of {} for the upgrade (`mount -o remount,exec {}` and /etc/fstab), and restore it afterwards.",
                points.join(", "),
                points.first().map_or("/tmp", String::as_str)
            ))
            .command(["mount", "-o", "remount,exec", points.first().map_or("/tmp", String::as_str)])
            .related("directory", points)
            .groups(&["filesystem"]),
        );
    }
    out
}
