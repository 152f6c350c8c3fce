//! Shared fixtures: one small world per test binary, private rpm HOME, helpers to query roots.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use leapfrog_testkit::world::{self, Scale, WorldOptions};

/// A directory that lives as long as the test process.
pub fn scratch() -> &'static Path {
    static DIR: OnceLock<tempfile::TempDir> = OnceLock::new();
    DIR.get_or_init(|| {
        tempfile::Builder::new()
            .prefix("testkit-it-")
            .tempdir()
            .expect("tempdir")
    })
    .path()
}

/// The small world (every release), built once per test binary.
pub fn small_world() -> &'static Path {
    static WORLD: OnceLock<PathBuf> = OnceLock::new();
    WORLD.get_or_init(|| {
        let out = scratch().join("world");
        world::build_world(&WorldOptions::new(&out, Scale::Small)).expect("small world builds");
        out
    })
}

/// A fresh directory under the scratch area.
pub fn fresh(name: &str) -> PathBuf {
    let p = scratch().join(name);
    assert!(!p.exists(), "{name} used twice");
    p
}

/// A private HOME for rpm/dnf with `%_dbpath` set (Debian's rpm defaults to ~/.rpmdb).
pub fn rpm_home(dbpath: &str) -> PathBuf {
    leapfrog_testkit::fixture::rpm_home(scratch(), dbpath)
}

/// `rpm` with a root, dbpath and backend.
pub fn rpm(root: &Path, dbpath: &str, backend: &str) -> Command {
    let mut c = Command::new("rpm");
    c.env("HOME", rpm_home(dbpath))
        .arg("--root")
        .arg(root)
        .arg("--define")
        .arg(format!("_dbpath {dbpath}"))
        .arg("--define")
        .arg(format!("_db_backend {backend}"));
    c
}

/// Runs a command, asserting success, returning stdout.
pub fn ok(cmd: &mut Command) -> String {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("running {cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}\n{}",
        String::from_utf8_lossy(&out.stderr),
        String::from_utf8_lossy(&out.stdout)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// `rpm -qa` as sorted `name-version-release.arch`, without gpg-pubkey entries.
pub fn installed(root: &Path, dbpath: &str, backend: &str) -> Vec<String> {
    let out = ok(rpm(root, dbpath, backend).args([
        "-qa",
        "--qf",
        "%{NAME}-%{VERSION}-%{RELEASE}.%{ARCH}\\n",
    ]));
    let mut v: Vec<String> = out
        .lines()
        .filter(|l| !l.starts_with("gpg-pubkey"))
        .map(str::to_string)
        .collect();
    v.sort();
    v
}

/// The testkit binary.
pub fn testkit() -> Command {
    Command::new(env!("CARGO_BIN_EXE_leapfrog-testkit"))
}
