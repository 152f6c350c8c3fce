//! `storage_scanner`: `/etc/fstab` and `/etc/crypttab`.

use crate::facts::fstab::{self, Fstab};
use crate::facts::storage::StorageFacts;
use crate::model::{Env, Facts};
use crate::registry::Scanner;

use super::read_text;

/// The scanner.
pub const SCANNER: Scanner = Scanner::new(
    "storage_scanner",
    "Reads /etc/fstab and /etc/crypttab.",
    &["/etc/fstab", "/etc/crypttab"],
    &["facts.storage"],
    run,
);

fn run(env: &Env, facts: &Facts) -> Result<(), String> {
    let Fstab { entries, invalid } = read_text(&env.root, "/etc/fstab")?
        .map(|t| fstab::parse(&t))
        .unwrap_or_default();
    let crypttab = read_text(&env.root, "/etc/crypttab")?
        .map(|t| {
            t.lines()
                .map(str::trim)
                .filter(|l| !l.is_empty() && !l.starts_with('#'))
                .filter_map(|l| l.split_whitespace().next().map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    facts.storage.set(StorageFacts {
        fstab: entries,
        crypttab,
        invalid_fstab_lines: invalid,
    });
    Ok(())
}
