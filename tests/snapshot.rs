//! Snapshots of a testkit AlmaLinux 8 root: take, mutate, restore, and prove with the
//! manifest that the root is exactly as before (needs root: loop mounts, chown, tmpfs).

mod common;

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use leapfrog::manifest::{self, Manifest};
use leapfrog::snapshot::{self, Record, Scope, SnapshotBackend, SnapshotError};
use leapfrog_testkit::clone::{self, CloneMethod};
use rpm_sys::{DbBackend, DbLocation, RpmDatabase};

use common::*;

const DBPATH: &str = "/var/lib/rpm";
const NEW_TREE: &str = "usr/share/leapfrog-new";

/// A pristine AlmaLinux 8 root with SELinux labels on a few files, built once.
fn pristine() -> &'static Path {
    static R: OnceLock<PathBuf> = OnceLock::new();
    R.get_or_init(|| {
        let world = world(&["almalinux-8.10"]);
        let dir = install_root(&world, "el8-pristine", "almalinux-8.10", None, false);
        for (p, label) in [
            ("etc", "system_u:object_r:etc_t:s0"),
            ("etc/passwd", "system_u:object_r:passwd_file_t:s0"),
            ("var/lib/rpm", "system_u:object_r:rpm_var_lib_t:s0"),
        ] {
            let mut v = label.as_bytes().to_vec();
            v.push(0);
            rustix::fs::lsetxattr(
                dir.join(p),
                "security.selinux",
                &v,
                rustix::fs::XattrFlags::empty(),
            )
            .expect("label");
        }
        // Owners other than root, an ordinary xattr, odd modes: restore must put them back,
        // not just recreate files as root with default permissions.
        std::os::unix::fs::lchown(dir.join("etc/passwd"), Some(42), Some(43)).unwrap();
        std::os::unix::fs::lchown(dir.join("etc"), Some(7), Some(8)).unwrap();
        rustix::fs::lsetxattr(
            dir.join("etc/passwd"),
            "user.origin",
            b"pristine",
            rustix::fs::XattrFlags::empty(),
        )
        .unwrap();
        fs::set_permissions(dir.join("etc/passwd"), fs::Permissions::from_mode(0o640)).unwrap();
        // A hard link and a fifo.
        fs::hard_link(dir.join("etc/passwd"), dir.join("etc/passwd.hardlink")).unwrap();
        rustix::fs::mknodat(
            rustix::fs::CWD,
            dir.join("etc/initctl"),
            rustix::fs::FileType::Fifo,
            rustix::fs::Mode::from_bits_truncate(0o600),
            0,
        )
        .unwrap();
        dir
    })
}

fn copy_root(dst: &Path) {
    clone::copy_root(pristine(), dst, CloneMethod::Copy).expect("copy root");
}

/// etc, boot, the rpmdb, every file of the first packages (by name) that own regular files,
/// and a tree a new package would create.
fn scope(root: &Path) -> Scope {
    let mut s = Scope::with_defaults(root, Path::new(DBPATH));
    let db = RpmDatabase::open(root, &DbLocation::new(DBPATH, DbBackend::Sqlite)).unwrap();
    let mut headers = db.installed_package_files().unwrap();
    headers.sort_by(|a, b| a.package.name.cmp(&b.package.name));
    let mut n = 0;
    for h in headers {
        let files: Vec<&str> = h
            .files
            .iter()
            .filter(|f| !f.path.starts_with("/etc") && !f.ghost)
            .map(|f| f.path.as_str())
            .collect();
        if files.is_empty() {
            continue;
        }
        s.add(files);
        n += 1;
        if n == 6 {
            break;
        }
    }
    assert_eq!(n, 6, "the root has packages with files outside /etc");
    s.add([format!("{NEW_TREE}/sub/file")]);
    s
}

/// Package files of the scope that are regular files in the root.
fn package_files(root: &Path, s: &Scope) -> Vec<PathBuf> {
    s.paths
        .iter()
        .filter(|p| !p.starts_with("etc") && !p.starts_with("var") && !p.starts_with("boot"))
        .map(|p| root.join(p))
        .filter(|p| p.symlink_metadata().is_ok_and(|m| m.is_file()))
        .collect()
}

fn take_manifest(root: &Path) -> Manifest {
    Manifest::take_default(root).unwrap()
}

/// Every kind of change a failed transaction can leave, inside the scope.
fn mutate(root: &Path, s: &Scope) {
    let files = package_files(root, s);
    assert!(files.len() >= 3, "{files:?}");
    // Modify, delete, chmod, chown, xattr, replace a file by a directory.
    let mut data = fs::read(&files[0]).unwrap();
    data.push(b'!');
    fs::write(&files[0], data).unwrap();
    fs::remove_file(&files[1]).unwrap();
    fs::set_permissions(&files[2], fs::Permissions::from_mode(0o4711)).unwrap();
    std::os::unix::fs::lchown(root.join("etc/passwd"), Some(1234), Some(1234)).unwrap();
    rustix::fs::lsetxattr(
        root.join("etc/passwd"),
        "security.selinux",
        b"system_u:object_r:unlabeled_t:s0\0",
        rustix::fs::XattrFlags::empty(),
    )
    .unwrap();
    rustix::fs::lsetxattr(&files[2], "user.x", b"1", rustix::fs::XattrFlags::empty()).unwrap();
    rustix::fs::lsetxattr(
        root.join("etc"),
        "user.x",
        b"1",
        rustix::fs::XattrFlags::empty(),
    )
    .unwrap();
    if files.len() > 3 {
        fs::remove_file(&files[3]).unwrap();
        fs::create_dir_all(files[3].join("inner")).unwrap();
        fs::write(files[3].join("inner/x"), b"x").unwrap();
    }
    // The hard link becomes a separate copy, the fifo a file.
    fs::remove_file(root.join("etc/passwd.hardlink")).unwrap();
    fs::copy(root.join("etc/passwd"), root.join("etc/passwd.hardlink")).unwrap();
    fs::remove_file(root.join("etc/initctl")).unwrap();
    fs::write(root.join("etc/initctl"), b"").unwrap();
    // New files and trees.
    fs::write(root.join("etc/leapfrog-new.conf"), b"new\n").unwrap();
    fs::create_dir_all(root.join(NEW_TREE).join("sub")).unwrap();
    fs::write(root.join(NEW_TREE).join("sub/file"), b"new").unwrap();
    fs::write(root.join("boot/vmlinuz-new"), b"kernel").unwrap();
    // The rpmdb changes and a directory's own metadata.
    let db = root.join("var/lib/rpm/rpmdb.sqlite");
    let mut data = fs::read(&db).unwrap();
    data.extend_from_slice(b"garbage");
    fs::write(&db, data).unwrap();
    fs::set_permissions(root.join("etc"), fs::Permissions::from_mode(0o700)).unwrap();
    // A symlink retargeted, an etc subtree removed.
    let link = root.join("etc/leapfrog-link");
    assert!(link.symlink_metadata().is_err());
    for entry in fs::read_dir(root.join("etc")).unwrap().flatten() {
        if entry.file_type().unwrap().is_symlink() {
            fs::remove_file(entry.path()).unwrap();
            std::os::unix::fs::symlink("/nowhere", entry.path()).unwrap();
            break;
        }
    }
    for entry in fs::read_dir(root.join("etc")).unwrap().flatten() {
        if entry.file_type().unwrap().is_dir() {
            fs::remove_dir_all(entry.path()).unwrap();
            break;
        }
    }
}

fn assert_same(before: &Manifest, root: &Path, what: &str) {
    assert_same_files(before, &take_manifest(root), &[], what);
}

fn assert_hardlinked(root: &Path) {
    use std::os::unix::fs::MetadataExt;
    let a = fs::symlink_metadata(root.join("etc/passwd")).unwrap();
    let b = fs::symlink_metadata(root.join("etc/passwd.hardlink")).unwrap();
    assert_eq!(a.ino(), b.ino(), "the hard link was not restored");
    assert_eq!(a.nlink(), 2);
}

/// Take, mutate, restore, restore again; then an interrupted restore and its re-run.
fn round_trip(backend: SnapshotBackend, root: &Path, store: &Path) {
    let s = scope(root);
    let before = take_manifest(root);
    let t = std::time::Instant::now();
    let rec = snapshot::take(backend, &s, store).unwrap();
    eprintln!(
        "{backend}: take {} entries, {} bytes in {:?}",
        rec.entries,
        rec.bytes,
        t.elapsed()
    );
    assert_eq!(rec.backend, backend);
    assert!(rec.entries > 50, "{rec:?}");
    assert!(rec.bytes > 0);
    assert_same(&before, root, "taking a snapshot changed the root");

    mutate(root, &s);
    let mutated = take_manifest(root);
    let changes = manifest::diff(&before, &mutated);
    assert!(changes.len() >= 12, "{changes:#?}");

    let t = std::time::Instant::now();
    let report = snapshot::restore(&rec, root).unwrap();
    eprintln!("{backend}: restore {report:?} in {:?}", t.elapsed());
    assert!(report.removed >= 3 && report.restored >= 5, "{report:?}");
    assert_same(&before, root, "after restore");
    assert_hardlinked(root);
    // Idempotent.
    snapshot::restore(&rec, root).unwrap();
    assert_same(&before, root, "after a second restore");

    // Interrupted restore (failpoint after a few entries), then re-run.
    mutate(root, &s);
    let out = restore_in_child(&rec, root, "snapshot-restore-entry=5");
    assert!(
        out.contains("failpoint snapshot-restore-entry triggered (hit 5)"),
        "{out}"
    );
    let partial = manifest::diff(&before, &take_manifest(root));
    assert!(!partial.is_empty(), "the interrupted restore stopped early");
    snapshot::restore(&rec, root).unwrap();
    assert_same(&before, root, "after an interrupted restore and a re-run");
    assert_hardlinked(root);

    // The record survives serialisation (the executor keeps it in state.json).
    let json = serde_json::to_string(&rec).unwrap();
    let back: Record = serde_json::from_str(&json).unwrap();
    assert_eq!(back, rec);
    snapshot::release(&rec).unwrap();
    assert!(!store.exists());
    snapshot::release(&rec).unwrap();
}

/// Runs `snapshot::restore` in a child process of this test binary with `LEAPFROG_FAILPOINTS`
/// set; returns its error message.
fn restore_in_child(rec: &Record, root: &Path, failpoints: &str) -> String {
    let recfile = root.with_extension("record.json");
    fs::write(&recfile, serde_json::to_vec(rec).unwrap()).unwrap();
    let out = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "child_restore",
            "--nocapture",
            "--test-threads=1",
        ])
        .env("LEAPFROG_FAILPOINTS", failpoints)
        .env(leapfrog_base::env::TEST_CHILD_ARG, &recfile)
        .env(leapfrog_base::env::TEST_CHILD, root)
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "{text}");
    text
}

/// The child half of [`restore_in_child`]; does nothing in a normal run.
#[test]
fn child_restore() {
    let (Some(rec), Some(root)) = (
        std::env::var_os(leapfrog_base::env::TEST_CHILD_ARG),
        std::env::var_os(leapfrog_base::env::TEST_CHILD),
    ) else {
        return;
    };
    let rec: Record = serde_json::from_slice(&fs::read(rec).unwrap()).unwrap();
    match snapshot::restore(&rec, Path::new(&root)) {
        Ok(r) => println!("child restore finished: {r:?}"),
        Err(e) => println!("child restore error: {e}"),
    }
}

/// Loop-mounted and tmpfs test filesystems (`leapfrog_testkit::fixture::TestMount`).
type Mount = leapfrog_testkit::fixture::TestMount;

#[test]
fn copy_snapshot_restores_the_exact_root() {
    let root = scratch().join("copy-root");
    copy_root(&root);
    round_trip(SnapshotBackend::Copy, &root, &scratch().join("copy-store"));
}

#[test]
fn reflink_snapshot_on_xfs_restores_the_exact_root() {
    let m = Mount::image(
        scratch(),
        "xfs",
        "600M",
        &["mkfs.xfs", "-q", "-m", "reflink=1"],
    );
    let root = m.dir.join("root");
    copy_root(&root);
    let (b, why) = snapshot::detect(&root).unwrap();
    assert_eq!(b, SnapshotBackend::Reflink, "{why}");
    assert!(why.contains("XFS"), "{why}");
    round_trip(SnapshotBackend::Reflink, &root, &m.dir.join("store"));
    // A root on another filesystem than the store cannot be reflinked.
    let other = pristine();
    let store = m.dir.join("cross-store");
    let err = snapshot::take(SnapshotBackend::Reflink, &scope(other), &store).unwrap_err();
    assert!(
        matches!(err, SnapshotError::Unsupported { .. })
            && err.to_string().contains("different filesystems"),
        "{err}"
    );
    assert!(!store.exists());
}

#[test]
fn reflink_is_refused_where_blocks_cannot_be_shared() {
    let t = Mount::tmpfs(scratch(), "tmpfs-noreflink", "64M");
    let root = scratch().join("noreflink-root");
    copy_root(&root);
    let store = t.dir.join("store");
    let err = snapshot::take(SnapshotBackend::Reflink, &scope(&root), &store).unwrap_err();
    assert!(
        matches!(
            err,
            SnapshotError::Unsupported {
                backend: SnapshotBackend::Reflink,
                ..
            }
        ),
        "{err}"
    );
    assert!(err.to_string().contains("cannot hold reflinks"), "{err}");
    assert!(!store.exists());
    // Btrfs on a non-btrfs root says why.
    let err = snapshot::take(SnapshotBackend::Btrfs, &scope(&root), &t.dir.join("b")).unwrap_err();
    assert!(err.to_string().contains("not on btrfs"), "{err}");
    assert_eq!(fs::read_dir(&t.dir).unwrap().count(), 0);
}

#[test]
fn btrfs_snapshot_restores_the_exact_root() {
    let m = Mount::image(scratch(), "btrfs", "600M", &["mkfs.btrfs", "-q"]);
    let root = m.dir.join("root");
    btrfs_subvolume(&root);
    copy_into(pristine(), &root);
    let (b, why) = snapshot::detect(&root).unwrap();
    assert_eq!(b, SnapshotBackend::Btrfs, "{why}");
    // A plain directory on btrfs is not a subvolume top: reflink is offered instead.
    fs::create_dir_all(m.dir.join("plain")).unwrap();
    let (b, why) = snapshot::detect(&m.dir.join("plain")).unwrap();
    assert_eq!(b, SnapshotBackend::Reflink, "{why}");
    round_trip(
        SnapshotBackend::Btrfs,
        &root,
        &m.dir.join("snapshots/pre-upgrade"),
    );
}

#[test]
fn a_full_store_is_a_clear_error_and_leaves_nothing() {
    let t = Mount::tmpfs(scratch(), "tiny", "256k");
    let root = scratch().join("enospc-root");
    copy_root(&root);
    let before = take_manifest(&root);
    let store = t.dir.join("store");
    let err = snapshot::take(SnapshotBackend::Copy, &scope(&root), &store).unwrap_err();
    assert!(matches!(err, SnapshotError::NoSpace { .. }), "{err}");
    let text = err.to_string();
    assert!(
        text.contains("no space left in the snapshot store"),
        "{text}"
    );
    assert!(text.contains("partial snapshot was removed"), "{text}");
    assert!(!store.exists());
    assert_eq!(fs::read_dir(&t.dir).unwrap().count(), 0);
    assert_same(&before, &root, "a failed snapshot changed the root");
}

#[test]
fn bad_stores_and_records_are_refused() {
    let root = scratch().join("bad-root");
    copy_root(&root);
    let s = scope(&root);
    // The store must be new.
    let existing = scratch().join("existing-store");
    fs::create_dir_all(&existing).unwrap();
    let err = snapshot::take(SnapshotBackend::Copy, &s, &existing).unwrap_err();
    assert!(err.to_string().contains("already exists"), "{err}");
    // A store whose journal is missing (never completed) is refused, and nothing changes.
    let store = scratch().join("bad-store");
    let rec = snapshot::take(SnapshotBackend::Copy, &s, &store).unwrap();
    fs::remove_file(store.join("journal.json")).unwrap();
    fs::write(root.join("etc/leapfrog-new.conf"), b"x").unwrap();
    let err = snapshot::restore(&rec, &root).unwrap_err();
    assert!(matches!(err, SnapshotError::Corrupt { .. }), "{err}");
    assert!(err.to_string().contains("never completed"), "{err}");
    assert!(root.join("etc/leapfrog-new.conf").exists());
    // Scope paths may not escape the root.
    let mut s2 = s.clone();
    s2.paths.push(PathBuf::from("../outside"));
    let err =
        snapshot::take(SnapshotBackend::Copy, &s2, &scratch().join("escape-store")).unwrap_err();
    assert!(matches!(err, SnapshotError::BadScopePath(_)), "{err}");
}

#[test]
fn a_store_inside_the_scope_is_left_out_and_survives_restore() {
    let root = scratch().join("inner-store-root");
    copy_root(&root);
    let mut s = Scope::with_defaults(&root, Path::new(DBPATH));
    s.add(["var/lib"]);
    let store = root.join("var/lib/leapfrog/snapshots/pre-upgrade");
    let before = take_manifest(&root);
    let rec = snapshot::take(SnapshotBackend::Copy, &s, &store).unwrap();
    let journal = fs::read_to_string(store.join("journal.json")).unwrap();
    let journal: serde_json::Value = serde_json::from_str(&journal).unwrap();
    let saved: Vec<&str> = journal["saved"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["path"].as_str().unwrap())
        .collect();
    assert!(saved.contains(&"var/lib/rpm"));
    assert!(
        !saved.iter().any(|p| p.contains("pre-upgrade")),
        "the store saved itself"
    );
    fs::write(root.join("var/lib/leapfrog-new"), b"x").unwrap();
    fs::write(root.join("var/lib/rpm/new"), b"x").unwrap();
    assert!(!manifest::diff(&before, &take_manifest(&root)).is_empty());
    snapshot::restore(&rec, &root).unwrap();
    assert!(
        store.join("journal.json").exists(),
        "restore removed its own store"
    );
    assert_same(
        &before,
        &root,
        "after restore with the store inside the root",
    );
    snapshot::release(&rec).unwrap();
    assert!(!store.exists());
}

#[test]
fn mount_points_inside_the_scope_are_not_walked_or_emptied() {
    let root = scratch().join("mounts-root");
    copy_root(&root);
    let m = Mount::tmpfs(&root.join("etc"), "mnt", "1m");
    let mnt = m.dir.clone();
    fs::write(mnt.join("keep"), b"other filesystem").unwrap();
    let store = scratch().join("mounts-store");
    let rec = snapshot::take(SnapshotBackend::Copy, &scope(&root), &store).unwrap();
    assert!(
        !store.join("data/etc/mnt/keep").exists(),
        "walked into a mount"
    );
    fs::write(mnt.join("later"), b"x").unwrap();
    fs::write(root.join("etc/leapfrog-new.conf"), b"x").unwrap();
    snapshot::restore(&rec, &root).unwrap();
    assert!(!root.join("etc/leapfrog-new.conf").exists());
    assert!(
        mnt.join("keep").exists() && mnt.join("later").exists(),
        "emptied a mount"
    );
    // Named explicitly, the mounted directory is saved and restored like any other.
    let mut s = scope(&root);
    s.add(["etc/mnt"]);
    let store2 = scratch().join("mounts-store2");
    let rec2 = snapshot::take(SnapshotBackend::Copy, &s, &store2).unwrap();
    assert!(store2.join("data/etc/mnt/keep").exists());
    fs::remove_file(mnt.join("keep")).unwrap();
    fs::write(mnt.join("newer"), b"x").unwrap();
    snapshot::restore(&rec2, &root).unwrap();
    assert!(mnt.join("keep").exists() && !mnt.join("newer").exists());
}
