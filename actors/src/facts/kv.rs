//! `KEY=value` files: ifcfg, `/etc/selinux/config`, `/etc/default/grub`, grubenv, sysconfig.

use std::collections::BTreeMap;

/// Parses shell-style assignments, skipping comments and blank lines and stripping one level of
/// single or double quotes. Later assignments win. Lines without `=` are ignored.
pub fn parse(text: &str) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let line = line.strip_prefix("export ").unwrap_or(line);
        let Some((k, v)) = line.split_once('=') else {
            continue;
        };
        let k = k.trim();
        if k.is_empty() || !k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            continue;
        }
        let v = v.trim();
        let v = if v.len() >= 2
            && ((v.starts_with('"') && v.ends_with('"'))
                || (v.starts_with('\'') && v.ends_with('\'')))
        {
            &v[1..v.len() - 1]
        } else {
            v
        };
        out.insert(k.to_string(), v.to_string());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_shell_assignments() {
        let m = parse(
            "# c\nSELINUX=enforcing\nNAME=\"eth 0\"\nX='y'\nexport A=1\nbad line\n=novalue\nK-Y=1\n",
        );
        assert_eq!(m.get("SELINUX").unwrap(), "enforcing");
        assert_eq!(m.get("NAME").unwrap(), "eth 0");
        assert_eq!(m.get("X").unwrap(), "y");
        assert_eq!(m.get("A").unwrap(), "1");
        assert_eq!(m.len(), 4);
    }
}
