//! The rpm test transaction and the disk-space estimate on testkit roots (needs root: rpm
//! installs into the roots, and the disk-space test loop-mounts a small filesystem).

mod common;

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, OnceLock};

use leapfrog::plan::space::{self, SpaceRequest, Verdict};
use leapfrog_testkit::clone::{self, CloneMethod};
use leapfrog_testkit::fixture::TestMount;
use leapfrog_testkit::package_build;
use leapfrog_testkit::spec::{Content, FileKind, FileSpec, PackageSpec};
use rpm_sys::{
    DbBackend, DbLocation, EraseTarget, PackageHeader, ProgressKind, RpmDatabase, Transaction,
    TransactionError, TransactionFlags, TransactionProblem, read_package_file,
};
use sha2::{Digest, Sha256};

use common::*;

const DBPATH: &str = "/var/lib/rpm";

fn location() -> DbLocation {
    DbLocation::new(DBPATH, DbBackend::Sqlite)
}

fn world_dir() -> PathBuf {
    world(&["almalinux-8.10", "almalinux-9.6"])
}

/// A pristine AlmaLinux 8 root, built once; tests work on copies.
fn pristine_el8() -> &'static Path {
    static R: OnceLock<PathBuf> = OnceLock::new();
    R.get_or_init(|| install_root(&world_dir(), "el8-pristine", "almalinux-8.10", None, false))
}

fn el8_copy(name: &str) -> PathBuf {
    let dst = scratch().join(name);
    clone::copy_root(pristine_el8(), &dst, CloneMethod::Copy).expect("copy root");
    dst
}

/// Every package file of the AlmaLinux 9 repositories (but the opt-in `faults` one), newest
/// per name.
fn el9_latest() -> BTreeMap<String, (PathBuf, PackageHeader)> {
    let mut latest: BTreeMap<String, (PathBuf, PackageHeader)> = BTreeMap::new();
    let rel = world_dir().join("almalinux-9.6");
    for repo in fs::read_dir(&rel).unwrap().flatten() {
        if repo.file_name() == "faults" {
            continue;
        }
        let Ok(files) = fs::read_dir(repo.path().join("Packages")) else {
            continue;
        };
        for file in files.flatten() {
            let path = file.path();
            if path.extension().is_none_or(|e| e != "rpm") {
                continue;
            }
            let header = read_package_file(&path).expect("el9 header");
            let newer = latest.get(&header.package.name).is_none_or(|(_, old)| {
                old.package.cmp_evr(&header.package) == std::cmp::Ordering::Less
            });
            if newer {
                latest.insert(header.package.name.clone(), (path, header));
            }
        }
    }
    latest
}

/// The el9 packages that upgrade installed names (newer EVR than installed), plus `extra`
/// el9 names.
fn upgrade_set(root: &Path, extra: &[&str]) -> Vec<PathBuf> {
    let latest = el9_latest();
    let db = RpmDatabase::open(root, &location()).unwrap();
    let installed = db.installed_packages().unwrap();
    let mut out: Vec<PathBuf> = latest
        .values()
        .filter(|(_, h)| {
            installed.iter().any(|i| {
                i.name == h.package.name && i.cmp_evr(&h.package) == std::cmp::Ordering::Less
            })
        })
        .map(|(p, _)| p.clone())
        .collect();
    out.extend(extra.iter().map(|n| latest[*n].0.clone()));
    out
}

/// el9 packages whose names are not installed on el8 but which the upgraded set requires.
const EXTRA_EL9: &[&str] = &["python3", "util-linux-core"];

/// sha256 of every file under the rpmdb directory.
fn hash_dir(dir: &Path) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for entry in fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_file() {
            let digest = Sha256::digest(fs::read(&path).unwrap());
            out.insert(
                entry.file_name().to_string_lossy().into_owned(),
                hex::encode(digest),
            );
        }
    }
    out
}

fn rpm_qa(root: &Path) -> Vec<String> {
    let out = rpm(root)
        .args(["-qa", "--qf", "%{NAME}-%{VERSION}-%{RELEASE}.%{ARCH}\\n"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let mut v: Vec<String> = stdout(&out).lines().map(str::to_owned).collect();
    v.sort();
    v
}

/// Builds an unsigned noarch package into `dir`.
fn build(spec: &PackageSpec, dir: &Path) -> PathBuf {
    fs::create_dir_all(dir).unwrap();
    package_build::build_to_dir(spec, dir, &|_| None).expect("build package")
}

fn requires(problems: &[TransactionProblem]) -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = problems
        .iter()
        .map(|p| match p {
            TransactionProblem::RequiresUnmet {
                package,
                capability,
                ..
            } => (package.clone(), capability.clone()),
            other => panic!("unexpected problem {other:?}"),
        })
        .collect();
    v.sort();
    v
}

#[test]
fn test_transaction_of_the_el8_to_el9_upgrade_reports_and_changes_nothing() {
    let _serial = serial();
    let root = el8_copy("upgrade-test");
    let db_dir = root.join(DBPATH.trim_start_matches('/'));
    let before = hash_dir(&db_dir);
    let qa_before = rpm_qa(&root);

    // the upgrades alone: exactly the two requirements whose providers have new names
    let mut ts = Transaction::new(&root, &location()).unwrap();
    for path in upgrade_set(&root, &[]) {
        ts.add_install(&path, true).unwrap();
    }
    let report = ts.run(TransactionFlags::test()).unwrap();
    assert!(report.test && !report.succeeded());
    let unmet = requires(&report.problems);
    assert_eq!(unmet.len(), 2, "{unmet:?}");
    assert!(unmet[0].0.starts_with("dnf-4.14.0-25.el9") && unmet[0].1 == "python3");
    assert!(
        unmet[1].0.starts_with("util-linux-2.37.4-20.el9")
            && unmet[1].1.starts_with("util-linux-core = ")
    );
    drop(ts);

    // with the missing packages added: no problem at all
    let mut ts = Transaction::new(&root, &location()).unwrap();
    let set = upgrade_set(&root, EXTRA_EL9);
    for path in &set {
        ts.add_install(path, true).unwrap();
    }
    assert!(ts.check().unwrap().is_empty());
    let order = ts.order().unwrap();
    assert!(
        order.len() > set.len(),
        "upgrades add the erasures of the old versions"
    );
    assert!(order.iter().any(|e| e.kind == rpm_sys::ElementKind::Erase));
    let report = ts.run(TransactionFlags::test()).unwrap();
    assert!(report.succeeded(), "{:?}", report.problems);
    assert!(
        report
            .events
            .iter()
            .any(|e| e.kind == ProgressKind::PrepareStart)
    );
    // rpm walks the elements in a test run but installs and erases nothing
    let kinds: std::collections::BTreeSet<ProgressKind> =
        report.events.iter().map(|e| e.kind).collect();
    assert!(kinds.contains(&ProgressKind::Element), "{kinds:?}");
    for kind in [
        ProgressKind::InstallStart,
        ProgressKind::InstallStop,
        ProgressKind::EraseStop,
    ] {
        assert!(!kinds.contains(&kind), "{kinds:?}");
    }
    // the kernels are installonly: added beside the el8 kernels, not as upgrades
    assert!(ts.elements().iter().any(|e| matches!(e,
        rpm_sys::AddedElement::Install { header, upgrade: false, .. } if header.package.name == "kernel-core")));
    drop(ts);

    let after = hash_dir(&db_dir);
    assert_eq!(before, after, "the rpmdb files changed in a test run");
    assert_eq!(qa_before, rpm_qa(&root));
}

#[test]
fn an_el9_package_without_what_it_needs_is_an_unmet_requirement_and_conflicts_are_reported() {
    let _serial = serial();
    let root = el8_copy("unmet");
    let latest = el9_latest();
    let mut ts = Transaction::new(&root, &location()).unwrap();
    ts.add_install(&latest["dnf"].0, true).unwrap();
    let problems = ts.check().unwrap();
    assert_eq!(
        requires(&problems),
        [("dnf-4.14.0-25.el9.noarch".to_owned(), "python3".to_owned())]
    );
    let report = ts.run(TransactionFlags::test()).unwrap();
    assert!(report.problems.contains(&problems[0]));
    assert!(problems[0].to_string().contains("requires python3"));

    // a Conflicts: on an installed package
    let mut hater = PackageSpec::new("bash-hater", None, "1", "1", "noarch");
    hater
        .conflicts
        .push(leapfrog_testkit::spec::Dep::any("bash"));
    let hater = build(&hater, &scratch().join("hater"));
    let mut other = Transaction::new(&root, &location()).unwrap();
    other.add_install(&hater, true).unwrap();
    let conflicts = other.check().unwrap();
    assert_eq!(
        conflicts,
        [TransactionProblem::Conflict {
            package: "bash-hater-1-1.noarch".into(),
            capability: "bash".into(),
            installed: false,
        }]
    );
    assert_eq!(
        conflicts[0].to_string(),
        "bash-hater-1-1.noarch conflicts with bash"
    );
    drop(other);

    // negative: with its provider the same transaction has no problem
    ts.add_install(&latest["python3"].0, true).unwrap();
    assert_eq!(ts.check().unwrap(), []);
    let mut fresh = Transaction::new(&root, &location()).unwrap();
    fresh.add_install(&latest["dnf"].0, true).unwrap();
    fresh.add_install(&latest["python3"].0, true).unwrap();
    assert_eq!(fresh.check().unwrap(), []);
}

#[test]
fn file_conflicts_name_the_path_and_both_packages() {
    let _serial = serial();
    let root = el8_copy("conflicts");
    let dir = scratch().join("conflict-pkgs");
    let mut intruder = PackageSpec::new("intruder", None, "1", "1", "noarch");
    intruder
        .files
        .push(FileSpec::text("/usr/bin/busybox", "not busybox\n"));
    let intruder = build(&intruder, &dir);
    let mut twin_a = PackageSpec::new("twin-a", None, "1", "1", "noarch");
    twin_a
        .files
        .push(FileSpec::text("/usr/share/twin/data", "a\n"));
    let twin_a = build(&twin_a, &dir);
    let mut twin_b = PackageSpec::new("twin-b", None, "1", "1", "noarch");
    twin_b
        .files
        .push(FileSpec::text("/usr/share/twin/data", "b\n"));
    let twin_b = build(&twin_b, &dir);
    let mut same = PackageSpec::new("twin-c", None, "1", "1", "noarch");
    same.files
        .push(FileSpec::text("/usr/share/twin/data", "a\n"));
    let same = build(&same, &dir);

    let mut ts = Transaction::new(&root, &location()).unwrap();
    ts.add_install(&intruder, true).unwrap();
    ts.add_install(&twin_a, true).unwrap();
    ts.add_install(&twin_b, true).unwrap();
    let report = ts.run(TransactionFlags::test()).unwrap();
    let conflicts: Vec<_> = report
        .problems
        .iter()
        .filter_map(|p| match p {
            TransactionProblem::FileConflict {
                path,
                package,
                other,
                other_installed,
            } => Some((
                path.as_str(),
                package.as_str(),
                other.as_str(),
                *other_installed,
            )),
            _ => None,
        })
        .collect();
    assert_eq!(conflicts.len(), 2, "{:?}", report.problems);
    assert!(conflicts.iter().any(
        |(path, package, other, installed)| *path == "/usr/bin/busybox"
            && package.starts_with("intruder-1-1")
            && other.starts_with("bash-")
            && *installed
    ));
    assert!(
        conflicts.iter().any(
            |(path, package, other, installed)| *path == "/usr/share/twin/data"
                && [*package, *other].iter().any(|p| p.starts_with("twin-a"))
                && [*package, *other].iter().any(|p| p.starts_with("twin-b"))
                && !*installed
        )
    );

    // a package that is already installed is another kind of problem, naming the package
    let mut ts = Transaction::new(&root, &location()).unwrap();
    let acme = fs::read_dir(world_dir().join("almalinux-8.10/acme/Packages"))
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .find(|p| p.extension().is_some_and(|e| e == "rpm"))
        .unwrap();
    ts.add_install(&acme, true).unwrap();
    let report = ts.run(TransactionFlags::test()).unwrap();
    assert!(
        matches!(&report.problems[..], [TransactionProblem::Other { kind, package: Some(p), .. }]
            if kind == "pkg_installed" && p.starts_with("acme-agent-")),
        "{:?}",
        report.problems
    );

    // negative: identical files in two packages are shared, not a conflict
    let mut ts = Transaction::new(&root, &location()).unwrap();
    ts.add_install(&twin_a, true).unwrap();
    ts.add_install(&same, true).unwrap();
    assert!(ts.run(TransactionFlags::test()).unwrap().succeeded());
}

/// A root with an empty sqlite rpmdb under `base`.
fn empty_root(base: &Path) -> PathBuf {
    let root = base.join("root");
    fs::create_dir_all(&root).unwrap();
    let out = rpm(&root)
        .args(["--define", "_db_backend sqlite", "--initdb"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(root.join("var/lib/rpm/rpmdb.sqlite").is_file());
    root
}

/// A package with 80 MiB of zeros (a tiny file, a big install) and a small one.
fn big_packages() -> Vec<PathBuf> {
    static P: OnceLock<Vec<PathBuf>> = OnceLock::new();
    P.get_or_init(|| {
        let dir = scratch().join("big-pkgs");
        let mut big = PackageSpec::new("bigdata", None, "1", "1", "noarch");
        big.files.push(FileSpec {
            path: "/usr/share/bigdata/blob".into(),
            kind: FileKind::Regular {
                content: Content::Shared(Arc::new(vec![0u8; 80 << 20])),
                mode: 0o644,
                config_noreplace: false,
            },
        });
        let mut small = PackageSpec::new("smalldata", None, "1", "1", "noarch");
        small
            .files
            .push(FileSpec::text("/usr/share/smalldata/readme", "small\n"));
        vec![build(&big, &dir), build(&small, &dir)]
    })
    .clone()
}

fn space_test_run(root: &Path) -> (rpm_sys::RunReport, space::SpaceEstimate) {
    let mut ts = Transaction::new(root, &location()).unwrap();
    for p in big_packages() {
        ts.add_install(&p, true).unwrap();
    }
    let report = ts.run(TransactionFlags::test()).unwrap();
    let estimate = space::estimate(
        &leapfrog::workspace::Workspace::unchecked(root),
        &location(),
        &SpaceRequest::from_elements(ts.elements()),
    )
    .unwrap();
    (report, estimate)
}

#[test]
fn disk_space_short_on_a_small_filesystem_agrees_with_rpm() {
    let _serial = serial();
    let small = TestMount::image(scratch(), "small-fs", "64M", &["mkfs.ext4", "-q", "-F"]);
    let small_dir = fs::canonicalize(&small.dir).unwrap();
    let root = empty_root(&small_dir);
    let (report, estimate) = space_test_run(&root);
    let rpm_needed = report
        .problems
        .iter()
        .find_map(|p| match p {
            TransactionProblem::DiskSpace {
                mount,
                needed,
                package,
            } => {
                // rpm names the filesystem as seen from inside the root
                assert_eq!(mount, "/");
                assert!(package.starts_with("bigdata-1-1"), "{package}");
                Some(*needed)
            }
            _ => None,
        })
        .unwrap_or_else(|| panic!("no DiskSpace problem: {:?}", report.problems));
    let mount = estimate
        .mount(&small_dir)
        .expect("the loop mount is in the estimate");
    assert_eq!(estimate.mount_in_root("/"), Some(mount));
    assert_eq!(mount.fs_type, "ext4");
    assert!(mount.needed_bytes >= 80 << 20);
    let Verdict::Short { bytes: ours, .. } = mount.verdict else {
        panic!("estimate says it fits: {estimate}");
    };
    let ratio = ours as f64 / rpm_needed as f64;
    assert!(
        (0.9..1.25).contains(&ratio),
        "ours {ours} vs rpm {rpm_needed} (ratio {ratio:.2})\n{estimate}"
    );
    assert!(!estimate.fits());
    assert_eq!(mount.top[0].package, "bigdata-1-1.noarch");
    let text = estimate.to_string();
    assert!(
        text.contains("SHORT by") && text.contains("bigdata-1-1.noarch"),
        "{text}"
    );
    let json = serde_json::to_value(&estimate).unwrap();
    assert_eq!(json["mounts"][0]["verdict"]["verdict"], "short");
}

#[test]
fn disk_space_on_a_big_filesystem_fits() {
    let _serial = serial();
    let base = scratch().join("big-fs");
    let root = empty_root(&base);
    let (report, estimate) = space_test_run(&root);
    assert!(report.succeeded(), "{:?}", report.problems);
    assert!(estimate.fits(), "{estimate}");
    let mount = &estimate.mounts[0];
    assert!(mount.needed_bytes >= 80 << 20 && mount.required_bytes > mount.needed_bytes);
    assert!(estimate.to_string().contains("verdict: fits"));
}

#[test]
fn upgrades_free_the_old_files_in_the_estimate() {
    let _serial = serial();
    let root = el8_copy("space-upgrade");
    let mut ts = Transaction::new(&root, &location()).unwrap();
    for path in upgrade_set(&root, EXTRA_EL9) {
        ts.add_install(&path, true).unwrap();
    }
    ts.add_erase(EraseTarget::Label("acme-agent")).unwrap();
    let estimate = space::estimate(
        &leapfrog::workspace::Workspace::unchecked(&root),
        &location(),
        &SpaceRequest::from_elements(ts.elements()),
    )
    .unwrap();
    let m = &estimate.mounts[0];
    assert!(m.freed_bytes > 0 && m.replaced_bytes > 0 && m.replaced_bytes <= m.freed_bytes);
    assert!(m.needed_bytes > 0 && m.download_bytes > 0);
    assert_eq!(estimate.new_kernels.len(), 1, "{:?}", estimate.new_kernels);
    assert!(estimate.new_kernels[0].starts_with("kernel-core-5.14.0"));
    assert!(m.margins.iter().any(|x| x.reason.contains("initramfs")));
    // negative: without the upgrade flag nothing installed is freed
    let mut ts = Transaction::new(&root, &location()).unwrap();
    ts.add_install(&el9_latest()["bash"].0, false).unwrap();
    let e = space::estimate(
        &leapfrog::workspace::Workspace::unchecked(&root),
        &location(),
        &SpaceRequest::from_elements(ts.elements()),
    )
    .unwrap();
    assert_eq!(e.mounts[0].freed_bytes, 0);
    assert!(e.new_kernels.is_empty());
}

#[test]
fn bad_input_gives_clear_errors() {
    let _serial = serial();
    let root = el8_copy("errors");
    let err = Transaction::new(&root, &DbLocation::new("/nowhere", DbBackend::Sqlite)).unwrap_err();
    assert!(
        err.to_string()
            .contains("no sqlite rpm database at /nowhere"),
        "{err}"
    );
    let mut ts = Transaction::new(&root, &location()).unwrap();
    let junk = scratch().join("junk.rpm");
    fs::write(&junk, "not an rpm").unwrap();
    let err = ts.add_install(&junk, true).unwrap_err();
    assert!(matches!(err, TransactionError::PackageFile { .. }), "{err}");
    assert!(err.to_string().contains("junk.rpm"));
    let err = ts
        .add_install(&scratch().join("missing.rpm"), true)
        .unwrap_err();
    assert!(err.to_string().contains("not a regular file"), "{err}");
    let err = ts
        .add_erase(EraseTarget::Label("no-such-package"))
        .unwrap_err();
    assert!(
        matches!(err, TransactionError::NotInstalled { .. }),
        "{err}"
    );
    let err = ts.add_erase(EraseTarget::Instance(999_999)).unwrap_err();
    assert!(err.to_string().contains("rpmdb instance 999999"), "{err}");
    assert_eq!(ts.add_erase(EraseTarget::Label("bash")).unwrap(), 1);
    assert!(!ts.elements().is_empty());

    // a BerkeleyDB root can be tested but not written
    let bdb = install_root(&world_dir(), "errors-bdb", "almalinux-8.10", None, true);
    let mut ts = Transaction::new(&bdb, &DbLocation::new(DBPATH, DbBackend::BdbReadOnly)).unwrap();
    ts.add_erase(EraseTarget::Label("acme-agent")).unwrap();
    assert!(ts.run(TransactionFlags::test()).unwrap().succeeded());
    let err = ts.run(TransactionFlags::default()).unwrap_err();
    assert!(
        matches!(err, TransactionError::ReadOnlyBackend { .. }),
        "{err}"
    );
    assert!(err.to_string().contains("rpmdb --rebuilddb"), "{err}");
}

/// Runs in a child process (see the failpoint test); does nothing when run directly.
#[test]
#[ignore = "run by failpoint_kills_the_process_mid_transaction as a child process"]
fn failpoint_child() {
    let (Ok(root), Ok(list)) = (
        std::env::var(leapfrog_base::env::TEST_CHILD),
        std::env::var(leapfrog_base::env::TEST_CHILD_ARG),
    ) else {
        return;
    };
    let mut ts = Transaction::new(Path::new(&root), &location()).unwrap();
    for line in fs::read_to_string(list).unwrap().lines() {
        ts.add_install(Path::new(line), true).unwrap();
    }
    // rpm-sys reads no environment: `rpm-after-element` reaches it as a flag, as the
    // executor hands it over
    let flags = TransactionFlags {
        after_element: leapfrog_base::failpoints::foreign("rpm-after-element")
            .unwrap()
            .as_deref()
            .and_then(leapfrog_base::failpoints::after_element),
        ..TransactionFlags::default()
    };
    let report = ts.run(flags).unwrap();
    println!("child finished: {:?}", report.problems);
}

#[test]
fn a_real_run_upgrades_a_copy_and_only_once_per_process() {
    let _serial = serial();
    let root = el8_copy("real");
    let set = upgrade_set(&root, EXTRA_EL9);
    let mut ts = Transaction::new(&root, &location()).unwrap();
    for path in &set {
        ts.add_install(path, true).unwrap();
    }
    let seen = Arc::new(std::sync::Mutex::new(0usize));
    let counter = Arc::clone(&seen);
    ts.set_observer(Box::new(move |_| *counter.lock().unwrap() += 1));
    let report = ts.run(TransactionFlags::default()).unwrap();
    assert!(report.succeeded(), "{:?}", report.problems);
    let installs = report
        .events
        .iter()
        .filter(|e| e.kind == ProgressKind::InstallStop)
        .count();
    assert_eq!(installs, set.len());
    assert!(
        report
            .events
            .iter()
            .any(|e| e.kind == ProgressKind::EraseStop)
    );
    assert_eq!(*seen.lock().unwrap(), report.events.len());
    drop(ts);
    let qa = rpm_qa(&root);
    assert!(
        qa.iter().any(|p| p.starts_with("bash-5.1.8-9.el9")),
        "{qa:?}"
    );
    assert!(!qa.iter().any(|p| p.starts_with("bash-4.")), "{qa:?}");
    assert!(qa.iter().any(|p| p.starts_with("python3-3")), "{qa:?}");

    // a second real transaction in this process is refused
    let mut again = Transaction::new(&root, &location()).unwrap();
    again.add_erase(EraseTarget::Label("acme-agent")).unwrap();
    let err = again.run(TransactionFlags::default()).unwrap_err();
    assert!(matches!(err, TransactionError::SecondTransaction), "{err}");
    // test runs stay allowed
    assert!(again.run(TransactionFlags::test()).unwrap().succeeded());
}

#[test]
fn failpoint_kills_the_process_mid_transaction() {
    let _serial = serial();
    use std::os::unix::process::ExitStatusExt;
    let root = el8_copy("failpoint");
    let set = upgrade_set(&root, EXTRA_EL9);
    let list = scratch().join("failpoint-packages");
    fs::write(
        &list,
        set.iter()
            .map(|p| p.display().to_string())
            .collect::<Vec<_>>()
            .join("\n"),
    )
    .unwrap();
    let out = Command::new(std::env::current_exe().unwrap())
        .args(["failpoint_child", "--exact", "--ignored", "--nocapture"])
        .env(leapfrog_base::env::TEST_CHILD, &root)
        .env(leapfrog_base::env::TEST_CHILD_ARG, &list)
        .env("LEAPFROG_FAILPOINTS", "rpm-after-element=3")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        out.status.signal(),
        Some(6),
        "the child was not aborted: {stderr}"
    );
    assert!(
        stderr.contains("failpoint rpm-after-element=3 reached"),
        "{stderr}"
    );
    assert!(!String::from_utf8_lossy(&out.stdout).contains("child finished"));

    // the rpmdb is still readable, by librpm and by rpm, and the transaction is half done
    let db = RpmDatabase::open(&root, &location()).unwrap();
    let installed = db.installed_packages().unwrap();
    let el9 = installed
        .iter()
        .filter(|p| p.release.contains("el9"))
        .count();
    assert!(
        el9 >= 1 && el9 < set.len(),
        "{el9} el9 packages of {}",
        set.len()
    );
    assert_eq!(rpm_qa(&root).len(), installed.len());
}
