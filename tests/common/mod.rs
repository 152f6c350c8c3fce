//! Helpers shared by the root crate's integration tests (`mod common;` in each test binary):
//! the scratch directory and small world of the binary, running the `leapfrog` binary with a
//! clean environment, installed testkit roots and copies of them, `rpm` on a root, and the
//! comparison of two manifests of a root.
//!
//! Every integration test file is its own binary and builds its world once (`OnceLock` in
//! `leapfrog_testkit::fixture`); these helpers keep it that way.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::{Mutex, MutexGuard, PoisonError};

use leapfrog::manifest::{self, Manifest};
use leapfrog_testkit::root::{self, RootOptions};
use serde_json::Value;

/// The prefix of this test binary's scratch directory: `leapfrog-it-<test file>-<pid>-XXXX`.
const PREFIX: &str = concat!("leapfrog-it-", env!("CARGO_CRATE_NAME"), "-");

/// The scratch directory of this test process (`leapfrog_testkit::fixture::scratch`): kept after
/// the run for post-mortems, removed by the next run of the same test binary.
pub fn scratch() -> &'static Path {
    leapfrog_testkit::fixture::scratch(PREFIX)
}

/// The small world of `releases`, built once per test process under [`scratch`].
pub fn world(releases: &[&str]) -> PathBuf {
    leapfrog_testkit::fixture::small_world(PREFIX, releases)
}

/// The world of `releases` at `scale`, built once per test process under [`scratch`].
pub fn world_at(releases: &[&str], scale: leapfrog_testkit::world::Scale) -> PathBuf {
    leapfrog_testkit::fixture::world_at(PREFIX, releases, scale)
}

/// librpm chroots the whole process while it prepares and runs a transaction, so a thread
/// touching the filesystem meanwhile sees the wrong root: tests that run a transaction in the
/// test process hold this lock.
pub fn serial() -> MutexGuard<'static, ()> {
    static LOCK: Mutex<()> = Mutex::new(());
    LOCK.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The migration data of the testkit's releases (`migration-data/testkit`).
pub fn testkit_data() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("migration-data/testkit")
}

/// The real ELevate data for AlmaLinux 8, shared beside the checkout.
pub fn leapp_data() -> PathBuf {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/leapp-data/files-installed-for-almalinux-8");
    assert!(
        p.join("pes-events.json").is_file(),
        "shared leapp data beside the checkout"
    );
    p
}

/// The `leapfrog` binary, without any `LEAPFROG_*` variable of the environment the tests run
/// in (a developer's `LEAPFROG_LOG` or `LEAPFROG_FAILPOINTS` must not change what a test sees);
/// a test sets the ones it needs.
pub fn leapfrog() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_leapfrog"));
    for v in leapfrog_base::env::ALL {
        c.env_remove(v.name);
    }
    c
}

/// `leapfrog ARGS`.
pub fn run(args: &[&str]) -> Output {
    leapfrog().args(args).output().expect("run leapfrog")
}

/// `leapfrog --root ROOT ARGS`.
pub fn run_in(root: &Path, args: &[&str]) -> Output {
    leapfrog()
        .arg("--root")
        .arg(root)
        .args(args)
        .output()
        .expect("run leapfrog")
}

/// `leapfrog --root ROOT ARGS` with `LEAPFROG_FAILPOINTS=failpoints`.
pub fn run_with_failpoints(root: &Path, args: &[&str], failpoints: &str) -> Output {
    leapfrog()
        .env(leapfrog_base::env::FAILPOINTS, failpoints)
        .arg("--root")
        .arg(root)
        .args(args)
        .output()
        .expect("run leapfrog")
}

/// `leapfrog --root ROOT ARGS`, which must succeed.
pub fn ok(root: &Path, args: &[&str]) -> Output {
    let o = run_in(root, args);
    assert!(o.status.success(), "leapfrog {args:?}: {}", text(&o));
    o
}

/// Exit code, signal, stdout and stderr of a run, for assertion messages.
pub fn text(o: &Output) -> String {
    use std::os::unix::process::ExitStatusExt as _;
    format!(
        "exit {:?} signal {:?}\nstdout:\n{}\nstderr:\n{}",
        o.status.code(),
        o.status.signal(),
        stdout(o),
        stderr(o)
    )
}

/// The standard output of a run.
pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// The standard error of a run.
pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// The standard output of a `--json` run, one JSON document.
pub fn json(o: &Output) -> Value {
    serde_json::from_slice(&o.stdout)
        .unwrap_or_else(|e| panic!("stdout is not one JSON document ({e}): {}", text(o)))
}

/// Installs `release` of `world` into `<scratch>/<name>` with the real rpm; with `target`,
/// that release's repositories are the root's custom target repositories, with `bdb` the rpm
/// database is BerkeleyDB (EL7/EL8).
pub fn install_root(
    world: &Path,
    name: &str,
    release: &str,
    target: Option<&str>,
    bdb: bool,
) -> PathBuf {
    let dir = scratch().join(name);
    let mut o = RootOptions::new(world, release, &dir);
    o.target = target.map(String::from);
    o.bdb = bdb;
    root::build_root(&o).expect("root");
    dir
}

/// `cp -a FROM TO`.
pub fn copy(from: &Path, to: &Path) {
    let st = Command::new("cp")
        .arg("-a")
        .arg(from)
        .arg(to)
        .status()
        .expect("cp");
    assert!(st.success(), "cp -a {} {}", from.display(), to.display());
}

/// `cp -a FROM/. DIR`: the contents of `from` into `dir` (created if missing), e.g. a
/// subvolume or a mount point.
pub fn copy_into(from: &Path, dir: &Path) {
    std::fs::create_dir_all(dir).unwrap();
    copy(&from.join("."), dir);
}

/// `btrfs subvolume create PATH`.
pub fn btrfs_subvolume(path: &Path) {
    let st = Command::new("btrfs")
        .args(["subvolume", "create"])
        .arg(path)
        .output()
        .unwrap();
    assert!(st.status.success(), "{st:?}");
}

/// Where a root's rpm database is: `/usr/lib/sysimage/rpm` (EL10) or `/var/lib/rpm`.
pub fn dbpath(root: &Path) -> &'static str {
    if root.join("usr/lib/sysimage/rpm").is_dir() {
        "/usr/lib/sysimage/rpm"
    } else {
        "/var/lib/rpm"
    }
}

/// The real `rpm --root ROOT` on the root's database and without the user's macros (Debian's
/// rpm would otherwise look for `~/.rpmdb`).
pub fn rpm(root: &Path) -> Command {
    let mut c = Command::new("rpm");
    c.env("HOME", "/nonexistent")
        .arg("--root")
        .arg(root)
        .args(["--define", &format!("_dbpath {}", dbpath(root))]);
    c
}

/// `rpm -e --nodeps --noscripts NAME` in the root.
pub fn rpm_erase(root: &Path, name: &str) {
    let st = rpm(root)
        .args(["-e", "--nodeps", "--noscripts", name])
        .status()
        .unwrap();
    assert!(st.success(), "rpm -e {name}");
}

/// Asserts that two manifests of a root are the same, but for the paths ending in one of
/// `ignored` (e.g. `rpmdb.sqlite-shm`, which every reader of an rpm database rewrites); the
/// message names `what` and the first 30 differences.
pub fn assert_same_files(before: &Manifest, after: &Manifest, ignored: &[&str], what: &str) {
    let diff: Vec<_> = manifest::diff(before, after)
        .into_iter()
        .filter(|d| !ignored.iter().any(|i| d.path.ends_with(i)))
        .collect();
    assert!(
        diff.is_empty(),
        "{what}: {} differences:\n{}",
        diff.len(),
        diff.iter()
            .take(30)
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("\n")
    );
}
