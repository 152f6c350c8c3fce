//! `default_boot_entry_check`: on EL8 and later (Boot Loader Specification entries), GRUB's
//! default entry exists and there are boot entries at all.
//!
//! - `saved_entry` in `/boot/grub2/grubenv` is the id (file name without `.conf`) of the
//!   entry GRUB boots by default; when no entry has that id GRUB falls back to the first entry
//!   it lists, so what the machine boots after the upgrade is not what leapfrog configured.
//!   Numeric indexes and variables are not verified.
//! - With `GRUB_ENABLE_BLSCFG=true` in `/etc/default/grub`, GRUB builds its menu from
//!   `/boot/loader/entries`; an empty directory means that regenerating the configuration,
//!   which the upgrade does, leaves a boot menu without kernels.
//!
//! EL7 keeps its menu in `grub.cfg` (no BLS) and is not checked here.

use crate::finding::{Finding, FindingInfo, Level, bullet_list};
use crate::model::CheckInput;
use crate::registry::Check;

const ID: &str = "default_boot_entry_check";

const DEFAULT_ENTRY_MISSING: FindingInfo = FindingInfo {
    key: "boot.default-entry-missing",
    level: Level::High,
    title: "The default boot entry does not exist",
};

const NO_BLS_ENTRIES: FindingInfo = FindingInfo {
    key: "boot.no-bls-entries",
    level: Level::Inhibitor,
    title: "GRUB uses BLS entries but there are none",
};

/// The check.
pub const CHECK: Check = Check::new(
    ID,
    "EL8+: verifies that grubenv's saved_entry names an existing BLS boot entry and that BLS entries exist when GRUB_ENABLE_BLSCFG=true.",
    &["facts.boot", "facts.release"],
    &[DEFAULT_ENTRY_MISSING, NO_BLS_ENTRIES],
    run,
);

fn run(input: &CheckInput<'_>) -> Vec<Finding> {
    let Some(boot) = input.facts.boot.get() else {
        return Vec::new();
    };
    if input.source_major().is_none_or(|m| m < 8) {
        return Vec::new();
    }
    let bls = boot
        .default_grub
        .get("GRUB_ENABLE_BLSCFG")
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("true"));
    if bls && boot.entries.is_empty() {
        return vec![
            Finding::of(
                &NO_BLS_ENTRIES,
                ID,
                "/etc/default/grub sets GRUB_ENABLE_BLSCFG=true, so GRUB builds its menu from /boot/loader/entries, but that directory has no *.conf entries. After the upgrade regenerates the GRUB configuration the machine would have no kernel to boot.",
            )
            .hint("Recreate the boot entries of the installed kernels (`kernel-install add <version> /lib/modules/<version>/vmlinuz` for each, or reinstall the kernel-core packages), check them with `grubby --info=ALL`, then run the assessment again.")
            .command(["grubby", "--info=ALL"])
            .related("directory", ["/boot/loader/entries"])
            .groups(&["boot"]),
        ];
    }
    let Some(saved) = boot.grubenv.get("saved_entry").map(|s| s.trim()) else {
        return Vec::new();
    };
    if saved.is_empty() || saved.contains('$') || saved.chars().all(|c| c.is_ascii_digit()) {
        return Vec::new();
    }
    if boot.entries.is_empty() {
        // no BLS in use (GRUB_ENABLE_BLSCFG off): saved_entry names a grub.cfg menu entry
        return Vec::new();
    }
    let ids: Vec<String> = boot
        .entries
        .iter()
        .map(|e| e.file.strip_suffix(".conf").unwrap_or(&e.file).to_string())
        .collect();
    if ids.iter().any(|id| id == saved) {
        return Vec::new();
    }
    let newest = boot
        .entries
        .iter()
        .filter_map(|e| e.linux.as_deref())
        .max_by(|a, b| rpm_sys::vercmp(a, b));
    let mut f = Finding::of(
        &DEFAULT_ENTRY_MISSING,
        ID,
        format!(
            "saved_entry in /boot/grub2/grubenv is {saved:?}, but no boot entry in /boot/loader/entries has that id. Existing entries:\n{}\nGRUB falls back to the first entry of its menu, so the kernel the machine boots is not the one configured.",
            bullet_list(&ids, 10)
        ),
    )
    .hint("Set the default to the entry of the newest kernel with `grubby --set-default /boot/vmlinuz-<version>` and check it with `grubby --default-kernel`.")
    .related("file", ["/boot/grub2/grubenv"])
    .groups(&["boot"]);
    if let Some(linux) = newest {
        let image = if linux.starts_with("/boot/") {
            linux.to_string()
        } else {
            format!("/boot/{}", linux.trim_start_matches('/'))
        };
        f = f.command(["grubby", "--set-default", image.as_str()]);
    }
    vec![f]
}
