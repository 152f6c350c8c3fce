//! The one fstab parser (fstab(5)), and the octal unescape that fstab and the kernel's mount
//! tables share ([`unescape_octal`]).
//!
//! Users: the storage scanner (fact [`super::storage::StorageFacts`]), the offline stage
//! (which filesystems to mount) and the boot staging (whether `/boot` is separate).

use serde::Serialize;

/// One fstab line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FstabEntry {
    /// Device, `UUID=`, `LABEL=` or remote source.
    pub source: String,
    /// Mount point.
    pub target: String,
    /// Filesystem type.
    pub fstype: String,
    /// Options.
    pub options: Vec<String>,
    /// 1-based line number.
    pub line: usize,
}

/// A parsed fstab.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Fstab {
    /// The entries, in file order.
    pub entries: Vec<FstabEntry>,
    /// Lines that are neither blank, comments nor entries: (1-based line number, text).
    pub invalid: Vec<(usize, String)>,
}

/// Parses fstab text: fields separated by blanks, `#` comments, source and mount point
/// unescaped ([`unescape_octal`]), options split at commas (none when the field is missing).
/// A line with fewer than three fields is invalid.
pub fn parse(text: &str) -> Fstab {
    let mut out = Fstab::default();
    for (i, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let f: Vec<&str> = line.split_whitespace().collect();
        if f.len() < 3 {
            out.invalid.push((i + 1, raw.to_string()));
            continue;
        }
        out.entries.push(FstabEntry {
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
    out
}

/// Undoes the `\NNN` octal escapes of fstab and of the kernel's mount tables (`\040` for a
/// space, `\011` for a tab, `\134` for a backslash). A sequence whose value does not fit a byte
/// (`\400` to `\777`) is not an escape and is kept literally, as is a backslash not followed
/// by three octal digits. Bytes that are not UTF-8 are replaced (U+FFFD).
pub fn unescape_octal(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'\\'
            && let Some(digits) = bytes.get(i + 1..i + 4)
            && digits.iter().all(|b| (b'0'..=b'7').contains(b))
            && let Ok(byte) = u8::try_from(
                digits
                    .iter()
                    .fold(0u32, |acc, b| acc * 8 + u32::from(b - b'0')),
            )
        {
            out.push(byte);
            i += 4;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_comments_and_invalid_lines() {
        let f = parse("# c\nUUID=1 / xfs defaults 0 0\nsrv:/x /mnt/a\\040b nfs ro\nbroken\n");
        assert_eq!(f.entries.len(), 2);
        assert_eq!(f.entries[0].options, ["defaults"]);
        assert_eq!(f.entries[1].target, "/mnt/a b");
        assert_eq!(f.entries[1].options, ["ro"]);
        assert_eq!(f.entries[1].line, 3);
        assert_eq!(f.invalid, vec![(4, "broken".to_string())]);
        let f = parse("  # indented comment\n/dev/sdb1 /data xfs\n");
        assert!(f.invalid.is_empty());
        assert!(f.entries[0].options.is_empty(), "no options field");
    }

    #[test]
    fn valid_escapes_are_decoded() {
        assert_eq!(unescape_octal("/mnt/my\\040share"), "/mnt/my share");
        assert_eq!(unescape_octal("a\\011b\\134c"), "a\tb\\c");
        assert_eq!(unescape_octal("\\040"), " ");
        assert_eq!(unescape_octal("\\377"), "\u{fffd}", "not UTF-8 alone");
    }

    #[test]
    fn values_above_a_byte_are_kept_literally() {
        assert_eq!(unescape_octal("a\\400b"), "a\\400b");
        assert_eq!(unescape_octal("\\777"), "\\777");
        assert_eq!(unescape_octal("x\\777\\040y"), "x\\777 y");
    }

    #[test]
    fn incomplete_escapes_are_kept_literally() {
        assert_eq!(unescape_octal("a\\"), "a\\");
        assert_eq!(unescape_octal("a\\04"), "a\\04");
        assert_eq!(unescape_octal("a\\08x"), "a\\08x");
    }
}
