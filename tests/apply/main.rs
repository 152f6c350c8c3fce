//! `leapfrog apply` / `rollback` / `commit` end to end on testkit roots: the happy paths
//! AlmaLinux 8 -> 9 and CentOS 7 -> AlmaLinux 8 (BerkeleyDB), a failing `%post` rolled back
//! automatically, a SIGKILL at every failpoint followed by a re-run, and the refusals. "Exact old
//! root" is a manifest of every file (type, mode, owner, xattrs, content, symlink target) plus
//! `rpm -qa`, taken before and compared after. Needs root (rpm installs into the roots,
//! scriptlets run chrooted).
//!
//! One test binary (one world, one planned and downloaded template per path) with a module per
//! topic.

#[path = "../common/mod.rs"]
mod common;

mod backends;
mod cycle;
mod failures;
mod offline;

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Output;
use std::sync::{Mutex, OnceLock, PoisonError};

use leapfrog::apply::state::{PhaseName, State};
use leapfrog::apply::verify;
use leapfrog::document::Document as _;
use leapfrog::manifest::Manifest;
use leapfrog::plan::document::PlanDocument;
use leapfrog::workspace::Workspace;
use rpm_sys::{DbBackend, DbLocation};

use common::*;

fn world() -> PathBuf {
    common::world(&["centos-7.9", "almalinux-8.10", "almalinux-9.6"])
}

/// The `"event":"result"` line of a `--json` run.
fn result_of(o: &Output) -> serde_json::Value {
    let out = stdout(o);
    let line = out
        .lines()
        .rev()
        .find(|l| l.contains(r#""event":"result""#))
        .unwrap_or_else(|| panic!("no result line: {}", text(o)));
    serde_json::from_str(line).expect("result JSON")
}

/// A root of `release` targeting `target`, planned and downloaded once per process; tests get
/// copies (`cp -a`), identical down to the rpm database.
fn template(release: &str, target: &str, bdb: bool) -> PathBuf {
    static T: OnceLock<Mutex<BTreeMap<String, PathBuf>>> = OnceLock::new();
    let key = format!("{release}-{target}-{bdb}");
    let mut map = T
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(PoisonError::into_inner);
    map.entry(key.clone())
        .or_insert_with(|| {
            let dir = install_root(
                &world(),
                &format!("template-{key}"),
                release,
                Some(target),
                bdb,
            );
            plan_and_download(&dir);
            dir
        })
        .clone()
}

fn plan_and_download(root: &Path) {
    let data = testkit_data();
    ok(root, &["--json", "plan", "--data", data.to_str().unwrap()]);
    ok(root, &["--json", "download"]);
}

/// `cp -a TEMPLATE <scratch>/NAME`.
fn copy_of(template: &Path, name: &str) -> PathBuf {
    let dir = scratch().join(name);
    copy(template, &dir);
    dir
}

/// What "exactly as it was" compares: every file, and rpm's view of the database.
#[derive(Debug)]
struct Picture {
    manifest: Manifest,
    rpm_qa: Vec<String>,
}

fn rpm_qa(root: &Path) -> Vec<String> {
    let out = rpm(root)
        .args(["-qa", "--qf", "%{NEVRA} %{INSTALLTIME} %{SIGMD5}\\n"])
        .output()
        .unwrap();
    let mut v: Vec<String> = stdout(&out).lines().map(String::from).collect();
    v.sort();
    v
}

fn picture(root: &Path) -> Picture {
    Picture {
        manifest: Manifest::take_default(root).expect("manifest"),
        rpm_qa: rpm_qa(root),
    }
}

fn assert_old_root(root: &Path, before: &Picture, what: &str) {
    assert_old_root_with(root, before, what, false);
}

/// Like [`assert_old_root`]; with `shm_read`, `before` was taken before other commands read
/// the rpm database (`upgrade` plans and test-runs the transaction), which rewrites sqlite's
/// shared-memory index `rpmdb.sqlite-shm` (not content of the database): that file is not
/// compared then.
fn assert_old_root_with(root: &Path, before: &Picture, what: &str, shm_read: bool) {
    let after = picture(root);
    let ignored: &[&str] = if shm_read { &["rpmdb.sqlite-shm"] } else { &[] };
    assert_same_files(
        &before.manifest,
        &after.manifest,
        ignored,
        &format!("{what}: the root differs from before the upgrade"),
    );
    assert_eq!(before.rpm_qa, after.rpm_qa, "{what}: rpm -qa differs");
    assert!(!before.rpm_qa.is_empty());
    let state = State::require(&Workspace::unchecked(root)).unwrap();
    assert_eq!(state.name(), PhaseName::RolledBack, "{what}");
}

/// Nothing changed, except sqlite's shared-memory index of the rpm database
/// (`rpmdb.sqlite-shm`), which every reader of the database rewrites (`rpm -qa` too).
fn assert_unchanged(before: &Picture, root: &Path) {
    let after = picture(root);
    assert_same_files(
        &before.manifest,
        &after.manifest,
        &["rpmdb.sqlite-shm"],
        "a refusal changed the root",
    );
    assert_eq!(before.rpm_qa, after.rpm_qa);
}

fn assert_new_root(root: &Path, what: &str) {
    let plan = PlanDocument::require(&Workspace::unchecked(root)).unwrap();
    let state = State::require(&Workspace::unchecked(root)).unwrap();
    assert_eq!(state.name(), PhaseName::Done, "{what}");
    let db = DbLocation::new(dbpath(root), DbBackend::Sqlite);
    let failures = verify::verify(&Workspace::unchecked(root), &plan, &db).unwrap();
    assert!(failures.is_empty(), "{what}: {failures:#?}");
    let os = fs::read_to_string(root.join("etc/os-release")).unwrap();
    let version = plan.target.rsplit('-').next().unwrap();
    assert!(
        os.contains(&format!("VERSION_ID=\"{version}\"")),
        "{what}: {os}"
    );
}

/// Installs `failing-post` (its %post exits 1) into the AlmaLinux 8 root without running its
/// scripts, and adds the world's `faults` repository of AlmaLinux 9 to the target repositories,
/// so that the plan upgrades it and its new %post fails inside the transaction.
fn with_failing_post(root: &Path) {
    let w = world();
    let pkg = w.join("almalinux-8.10/faults/Packages/failing-post-1.0-1.el8.noarch.rpm");
    let st = rpm(root)
        .args(["-i", "--nodeps", "--noscripts"])
        .arg(&pkg)
        .status()
        .unwrap();
    assert!(st.success());
    let repo = root.join("etc/leapfrog/target.repos.d/testkit.repo");
    let mut text = fs::read_to_string(&repo).unwrap();
    text.push_str(&format!(
        "\n[testkit-almalinux-9.6-faults]\nname=faults\nbaseurl=file://{}/almalinux-9.6/faults/\nenabled=1\ngpgcheck=1\ngpgkey=file://{}/almalinux-9.6/RPM-GPG-KEY-AlmaLinux-9\n",
        w.display(),
        w.display()
    ));
    fs::write(&repo, text).unwrap();
}
