//! What the journal snapshot (reflink/copy backends) must save before the transaction: every
//! path the RPM transaction, its scriptlets and the post-steps can touch.

use std::collections::BTreeSet;
use std::fs;
use std::path::Path;

use crate::snapshot::Scope;
use crate::workspace::Workspace;

/// Places a transaction or the post-steps may write besides package files: every location of
/// the rpm database (the EL10 move creates `usr/lib/sysimage/rpm`), `/.autorelabel`, and state
/// that common scriptlets update (alternatives, SELinux policy store, rpm's scriptlet state,
/// ldconfig's cache, dnf's history). Paths that do not exist are recorded, and removed again
/// on restore.
pub const SCRIPTLET_PATHS: &[&str] = &[
    "var/lib/rpm",
    "usr/lib/sysimage/rpm",
    "usr/lib/sysimage/rpm.leapfrog-old",
    ".autorelabel",
    "var/lib/alternatives",
    "var/lib/selinux",
    "var/lib/rpm-state",
    "var/cache/ldconfig",
    "var/lib/dnf",
];

/// The scope of the journal for an upgrade of `root` with the database at `dbpath`:
/// `/etc`, `/boot` (and the EFI partition), the database, [`SCRIPTLET_PATHS`], the log files
/// directly in `/var/log` (scriptlets append to them), and every non-directory path of
/// `package_files`: the files of the installed packages the transaction erases or replaces and
/// of the packages it installs (missing paths are recorded so that restore removes them). Existing directories of
/// packages are not added: a scope directory is saved with its whole subtree, and `/usr` would
/// be copied entirely.
pub fn journal_scope<'a>(
    ws: &Workspace,
    dbpath: &str,
    package_files: impl IntoIterator<Item = &'a str>,
) -> Scope {
    let root = ws.root();
    let mut scope = Scope::with_defaults(root, Path::new(dbpath));
    scope.add(SCRIPTLET_PATHS);
    if let Ok(entries) = fs::read_dir(root.join("var/log")) {
        for e in entries.flatten() {
            if e.file_type().is_ok_and(|t| t.is_file()) {
                scope.add([Path::new("var/log").join(e.file_name())]);
            }
        }
    }
    let paths: BTreeSet<&str> = package_files.into_iter().collect();
    let covered = ["etc/", "boot/"];
    for p in paths {
        let rel = p.trim_start_matches('/');
        if rel.is_empty() || covered.iter().any(|c| rel.starts_with(c)) {
            continue;
        }
        match fs::symlink_metadata(root.join(rel)) {
            Ok(md) if md.is_dir() => {}
            _ => scope.add([rel]),
        }
    }
    scope
}

/// The scope of the `/boot` journal taken beside a btrfs or LVM snapshot (or none): `/boot`
/// and the EFI partition, which those snapshots do not hold when they are separate
/// filesystems.
pub fn boot_scope(ws: &Workspace) -> Scope {
    let root = ws.root();
    let mut paths = vec![std::path::PathBuf::from("boot")];
    if root.join("boot/efi").is_dir() {
        paths.push("boot/efi".into());
    }
    Scope {
        root: root.to_path_buf(),
        paths,
        acknowledged: false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scope_holds_files_not_existing_directories() {
        let d = tempfile::tempdir().unwrap();
        let root = d.path();
        fs::create_dir_all(root.join("usr/bin")).unwrap();
        fs::create_dir_all(root.join("var/log/leapfrog")).unwrap();
        fs::write(root.join("usr/bin/a"), "").unwrap();
        fs::write(root.join("var/log/messages"), "").unwrap();
        let files = [
            "/usr/bin",
            "/usr/bin/a",
            "/usr/share/new/file",
            "/etc/x.conf",
            "/usr/bin/old",
        ];
        let s = journal_scope(&Workspace::unchecked(root), "/var/lib/rpm", files);
        let n = s.normalised().unwrap();
        for want in [
            "etc",
            "boot",
            "var/lib/rpm",
            "usr/lib/sysimage/rpm",
            ".autorelabel",
            "var/log/messages",
            "usr/bin/a",
            "usr/bin/old",
            "usr/share/new/file",
        ] {
            assert!(n.iter().any(|p| p == want), "{want} missing from {n:?}");
        }
        for not in ["usr/bin", "var/log/leapfrog", "etc/x.conf"] {
            assert!(!n.iter().any(|p| p == not), "{not} in {n:?}");
        }
    }

    #[test]
    fn boot_scope_has_efi_when_present() {
        let d = tempfile::tempdir().unwrap();
        assert_eq!(
            boot_scope(&Workspace::unchecked(d.path())).paths,
            vec![Path::new("boot")]
        );
        fs::create_dir_all(d.path().join("boot/efi")).unwrap();
        assert_eq!(boot_scope(&Workspace::unchecked(d.path())).paths.len(), 2);
    }
}
