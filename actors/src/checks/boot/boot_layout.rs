//! `boot_layout_check`: the root's boot layout can boot the upgrade environment once.
//!
//! `leapfrog upgrade` adds an entry for the upgrade environment where GRUB builds its menu
//! from (a BLS file on EL8 and later, a `menuentry` block of `grub.cfg` on EL7) and selects it
//! once with grubenv's `next_entry`, in the environment block GRUB really loads (beside the
//! `grub.cfg` it reads; on UEFI hosts on the EFI system partition). The layout is read by
//! `facts::boot::read_setup`; when it cannot carry that one-shot boot (no `grub.cfg` and no
//! BLS, a `grub.cfg` that ignores `next_entry` or whose default entry leapfrog cannot follow,
//! no environment block, a `grubenv` link leading out of the root or nowhere), staging would
//! fail or the machine would simply reboot into the old system: an inhibitor, naming why.

use crate::finding::{Finding, FindingInfo, Level};
use crate::model::CheckInput;
use crate::registry::Check;

const ID: &str = "boot_layout_check";

const LAYOUT_UNSUPPORTED: FindingInfo = FindingInfo {
    key: "boot.layout-unsupported",
    level: Level::Inhibitor,
    title: "GRUB cannot be told to boot the upgrade environment once",
};

/// The check.
pub const CHECK: Check = Check::new(
    ID,
    "Verifies that the boot layout (BLS entries or a grub.cfg of menu entries, and the grubenv GRUB loads) can boot the upgrade environment once through grubenv's next_entry.",
    &["facts.boot"],
    &[LAYOUT_UNSUPPORTED],
    run,
);

fn run(input: &CheckInput<'_>) -> Vec<Finding> {
    let Some(boot) = input.facts.boot.get() else {
        return Vec::new();
    };
    let Some(why) = &boot.setup_error else {
        return Vec::new();
    };
    vec![
        Finding::of(
            &LAYOUT_UNSUPPORTED,
            ID,
            format!(
                "leapfrog boots the upgrade environment once, through an entry in GRUB's menu selected by grubenv's next_entry, but on this root {why}"
            ),
        )
        .hint("Give GRUB the configuration its own tools write: on EL7 `grub2-mkconfig -o /boot/grub2/grub.cfg` (BIOS) or `grub2-mkconfig -o /boot/efi/EFI/<vendor>/grub.cfg` (UEFI), with the EFI system partition mounted at /boot/efi; /boot/grub2/grubenv must be a file or a link to one inside the root. Then run the assessment again.")
        .related("file", ["/boot/grub2/grub.cfg", "/boot/grub2/grubenv"])
        .groups(&["boot"]),
    ]
}
