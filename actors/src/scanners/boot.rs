//! `boot_scanner`: BLS boot entries, the boot layout (BLS or a `grub.cfg` of menu entries, the
//! firmware, the GRUB environment block GRUB loads), grubenv, `/etc/default/grub` and the kernel
//! images in `/boot`.

use crate::facts::boot::{self, BootFacts};
use crate::facts::kernels;
use crate::facts::kv;
use crate::model::{Env, Facts};
use crate::registry::Scanner;

use super::{list, read_text};

/// The scanner.
pub const SCANNER: Scanner = Scanner::new(
    "boot_scanner",
    "Reads BLS boot entries, the boot layout (grub.cfg or BLS, firmware, the grubenv GRUB loads), grubenv, /etc/default/grub and the kernel images in /boot.",
    &[
        "/boot/loader/entries",
        "/boot/grub2/grubenv",
        "/boot/grub2/grub.cfg",
        "/boot/efi/EFI",
        "/etc/default/grub",
        "/boot",
    ],
    &["facts.boot"],
    run,
);

fn run(env: &Env, facts: &Facts) -> Result<(), String> {
    let mut problems = Vec::new();
    let entries = kernels::read_boot_entries(&env.root, &mut problems);
    if let Some(p) = problems.first() {
        return Err(p.to_string());
    }
    // the firmware only when the host facts are this root's machine's
    let efi = if env.host.known() { env.host.efi } else { None };
    let setup = boot::read_setup(&env.root, efi);
    let grubenv_path = match &setup {
        Ok(s) => s.grubenv.clone(),
        Err(_) => boot::GRUBENV.to_string(),
    };
    let grubenv = read_text(&env.root, &grubenv_path)?
        .map(|t| kv::parse(&t))
        .unwrap_or_default();
    let default_grub = read_text(&env.root, "/etc/default/grub")?
        .map(|t| kv::parse(&t))
        .unwrap_or_default();
    let grub_cfg = env.root.is_file("/boot/grub2/grub.cfg");
    let images = list(&env.root, "/boot", |n| n.starts_with("vmlinuz-"))?
        .iter()
        .filter_map(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
        .collect();
    facts.boot.set(BootFacts {
        entries,
        grubenv,
        default_grub,
        grub_cfg,
        images,
        setup_error: setup.as_ref().err().map(ToString::to_string),
        setup: setup.ok(),
    });
    Ok(())
}
