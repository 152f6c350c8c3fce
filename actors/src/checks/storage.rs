//! Checks of the storage domain (one file per check in `checks/storage/`): free space, network
//! and encrypted filesystems, mount options, XFS features, root symlinks and a separate `/usr`.

use crate::facts::fstab::FstabEntry;
use crate::registry::Check;

pub mod luks_root;
pub mod network_filesystems;
pub mod noexec_var;
pub mod root_symlinks;
pub mod separate_usr;
pub mod snapshot_backend;
pub mod system_space;
pub mod xfs_ftype;

/// The checks of this domain.
pub const CHECKS: &[Check] = &[
    system_space::CHECK,
    network_filesystems::CHECK,
    noexec_var::CHECK,
    luks_root::CHECK,
    xfs_ftype::CHECK,
    root_symlinks::CHECK,
    separate_usr::CHECK,
    snapshot_backend::CHECK,
];

/// Whether `mount_point` holds `path` (`/` holds everything, `/var` holds `/var/tmp`).
pub(crate) fn holds(mount_point: &str, path: &str) -> bool {
    let mp = mount_point.trim_end_matches('/');
    mp.is_empty() || path == mp || path.starts_with(&format!("{mp}/"))
}

/// The fstab entry whose mount point holds `path` (longest mount point; swap and `noauto`
/// entries are not mounts of the tree).
pub(crate) fn fstab_entry_for<'a>(fstab: &'a [FstabEntry], path: &str) -> Option<&'a FstabEntry> {
    fstab
        .iter()
        .filter(|e| e.target.starts_with('/') && e.fstype != "swap")
        .filter(|e| !e.options.iter().any(|o| o == "noauto"))
        .filter(|e| holds(&e.target, path))
        .max_by_key(|e| e.target.trim_end_matches('/').len())
}

/// Whether mount options make the filesystem `noexec`: the last of `noexec`/`exec`/`user`/
/// `users` wins (`user` and `users` imply `noexec` unless `exec` follows).
pub(crate) fn is_noexec(options: &[String]) -> bool {
    options
        .iter()
        .rev()
        .find_map(|o| match o.as_str() {
            "noexec" | "user" | "users" => Some(true),
            "exec" => Some(false),
            _ => None,
        })
        .unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn e(target: &str, opts: &str) -> FstabEntry {
        FstabEntry {
            source: "/dev/x".into(),
            target: target.into(),
            fstype: "xfs".into(),
            options: opts.split(',').map(String::from).collect(),
            line: 1,
        }
    }

    #[test]
    fn helpers() {
        assert!(holds("/", "/var"));
        assert!(holds("/var", "/var/tmp"));
        assert!(!holds("/var", "/variable"));
        let f = [
            e("/", "defaults"),
            e("/var", "defaults"),
            e("/var/tmp", "noauto"),
        ];
        assert_eq!(fstab_entry_for(&f, "/var/tmp").unwrap().target, "/var");
        assert_eq!(fstab_entry_for(&f, "/usr").unwrap().target, "/");
        let o = |s: &str| s.split(',').map(String::from).collect::<Vec<_>>();
        assert!(is_noexec(&o("rw,noexec")));
        assert!(is_noexec(&o("rw,user")));
        assert!(!is_noexec(&o("user,exec")));
        assert!(!is_noexec(&o("noexec,exec")));
        assert!(!is_noexec(&o("defaults")));
    }
}
