//! `storage_scanner`: `/etc/fstab` and `/etc/crypttab`.

use crate::facts::storage::{FstabEntry, StorageFacts};
use crate::host::unescape_octal;
use crate::model::{Env, Facts};
use crate::registry::{ActorInfo, ActorKind, Scanner};

use super::read_text;

/// The scanner.
pub const SCANNER: Scanner = Scanner {
    info: ActorInfo {
        id: "storage_scanner",
        kind: ActorKind::Scanner,
        description: "Reads /etc/fstab and /etc/crypttab.",
        reads: &["/etc/fstab", "/etc/crypttab"],
        produces: &["facts.storage"],
    },
    run,
};

/// Parses fstab text.
pub fn parse_fstab(text: &str) -> (Vec<FstabEntry>, Vec<(usize, String)>) {
    let mut ok = Vec::new();
    let mut bad = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let f: Vec<&str> = line.split_whitespace().collect();
        if f.len() < 3 {
            bad.push((i + 1, raw.to_string()));
            continue;
        }
        ok.push(FstabEntry {
            source: unescape_octal(f[0]),
            target: unescape_octal(f[1]),
            fstype: f[2].to_string(),
            options: f
                .get(3)
                .map(|o| o.split(',').map(str::to_string).collect())
                .unwrap_or_default(),
            line: i + 1,
        });
    }
    (ok, bad)
}

fn run(env: &Env, facts: &Facts) -> Result<(), String> {
    let (fstab, invalid_fstab_lines) = read_text(&env.root, "/etc/fstab")?
        .map(|t| parse_fstab(&t))
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
        fstab,
        crypttab,
        invalid_fstab_lines,
    });
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn fstab_parsing() {
        let (ok, bad) = super::parse_fstab(
            "# c\nUUID=1 / xfs defaults 0 0\nsrv:/x /mnt/a\\040b nfs ro\nbroken\n",
        );
        assert_eq!(ok.len(), 2);
        assert_eq!(ok[1].target, "/mnt/a b");
        assert_eq!(ok[1].options, ["ro"]);
        assert_eq!(bad, vec![(4, "broken".to_string())]);
    }
}
