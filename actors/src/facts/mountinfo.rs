//! The one parser of the kernel's mount table, `/proc/self/mountinfo` (proc(5)).
//!
//! A line is `ID PARENT MAJ:MIN ROOT MOUNT-POINT OPTIONS [OPTIONAL...] - FSTYPE SOURCE
//! SUPER-OPTIONS`; the mount point and the source carry fstab's octal escapes
//! ([`super::fstab::unescape_octal`]). Users: the host facts (`crate::host`) and the planner's
//! disk-space estimate.

use super::fstab::unescape_octal;

/// One mount of `/proc/self/mountinfo`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MountInfo {
    /// Where it is mounted (field 5, unescaped).
    pub mount_point: String,
    /// The mount's own options (field 6: `rw`/`ro` first, then `nosuid`, `noexec`, ...).
    pub options: Vec<String>,
    /// Filesystem type (`ext4`, `xfs`, `tmpfs`...).
    pub fstype: String,
    /// The mounted device or source (unescaped; empty when the line has none).
    pub source: String,
    /// The filesystem's options (`rw`/`ro` first, then the filesystem's own).
    pub super_options: Vec<String>,
}

impl MountInfo {
    /// The options as `/proc/self/mounts` lists them: `ro` when the mount or the filesystem is
    /// read-only (else `rw`), the mount's other options, then the filesystem's without their
    /// `rw`/`ro`.
    pub fn mount_table_options(&self) -> Vec<String> {
        let ro = self
            .options
            .iter()
            .chain(&self.super_options)
            .any(|o| o == "ro");
        let rest = |opts: &[String]| -> Vec<String> {
            opts.iter()
                .filter(|o| *o != "rw" && *o != "ro")
                .cloned()
                .collect()
        };
        let mut out = vec![if ro { "ro" } else { "rw" }.to_string()];
        out.extend(rest(&self.options));
        out.extend(rest(&self.super_options));
        out
    }
}

fn split_options(field: Option<&str>) -> Vec<String> {
    field
        .filter(|f| !f.is_empty())
        .map(|f| f.split(',').map(str::to_string).collect())
        .unwrap_or_default()
}

/// Parses `/proc/self/mountinfo`. A line without the ` - ` separator, without a mount point or
/// without a filesystem type is skipped.
pub fn parse(text: &str) -> Vec<MountInfo> {
    text.lines()
        .filter_map(|line| {
            let (before, after) = line.split_once(" - ")?;
            let mut before = before.split(' ').skip(4);
            let mount_point = before.next()?;
            let options = split_options(before.next());
            let mut after = after.split(' ');
            let fstype = after.next()?;
            let source = after.next().unwrap_or("");
            Some(MountInfo {
                mount_point: unescape_octal(mount_point),
                options,
                fstype: fstype.to_string(),
                source: unescape_octal(source),
                super_options: split_options(after.next()),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const MOUNTINFO: &str = "\
22 1 254:0 / / rw,relatime shared:1 - xfs /dev/mapper/root rw,attr2,inode64,noquota
30 22 0:25 / /tmp rw,nosuid,nodev shared:2 - tmpfs tmpfs rw,seclabel
31 22 7:0 / /mnt/with\\040space ro,noexec - nfs4 srv:/my\\040share rw,vers=4.2
32 22 7:1 / /short rw -
garbage line
1 2 3 4
";

    #[test]
    fn fields_and_escapes() {
        let m = parse(MOUNTINFO);
        assert_eq!(m.len(), 3, "{m:?}");
        assert_eq!(m[0].mount_point, "/");
        assert_eq!(m[0].fstype, "xfs");
        assert_eq!(m[0].source, "/dev/mapper/root");
        assert_eq!(m[0].options, ["rw", "relatime"]);
        assert_eq!(m[0].super_options, ["rw", "attr2", "inode64", "noquota"]);
        assert_eq!(m[2].mount_point, "/mnt/with space");
        assert_eq!(m[2].source, "srv:/my share");
    }

    #[test]
    fn options_as_the_mount_table_shows_them() {
        let m = parse(MOUNTINFO);
        assert_eq!(
            m[0].mount_table_options(),
            ["rw", "relatime", "attr2", "inode64", "noquota"]
        );
        assert_eq!(
            m[1].mount_table_options(),
            ["rw", "nosuid", "nodev", "seclabel"]
        );
        assert_eq!(m[2].mount_table_options(), ["ro", "noexec", "vers=4.2"]);
    }

    #[test]
    fn a_missing_source_is_empty() {
        let m = parse("40 22 0:40 / /x rw - overlay\n");
        assert_eq!(m[0].source, "");
        assert!(m[0].super_options.is_empty());
    }
}
