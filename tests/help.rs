//! The help texts under snapshot tests: `leapfrog --help` and `leapfrog <verb> --help` for every
//! verb and nested verb of `leapfrog::cli::Cli` (read from the clap definition, so a new verb
//! is covered, and fails until its snapshot is committed). The snapshots are
//! `tests/snapshots/help__*.snap`; after a deliberate change of a help text:
//! `INSTA_UPDATE=always cargo test --test help`, then review `git diff tests/snapshots`.
//! Without that, a changed text fails the test, in CI and locally alike (`.config/insta.yaml`
//! sets insta's update mode to `no`).

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

use clap::CommandFactory as _;
use leapfrog::cli::Cli;

/// Every command path of the command line: `[]` for `leapfrog` itself, `["inventory"]`, ...,
/// `["data", "check"]`.
fn command_paths() -> Vec<Vec<String>> {
    fn walk(cmd: &clap::Command, path: &[String], out: &mut Vec<Vec<String>>) {
        out.push(path.to_vec());
        for sub in cmd.get_subcommands() {
            let mut p = path.to_vec();
            p.push(sub.get_name().to_string());
            walk(sub, &p, out);
        }
    }
    let mut out = Vec::new();
    walk(&Cli::command(), &[], &mut out);
    out
}

/// The snapshot name of a command path: `leapfrog`, `leapfrog_inventory`, `leapfrog_data_check`.
fn snapshot_name(path: &[String]) -> String {
    std::iter::once("leapfrog")
        .chain(path.iter().map(String::as_str))
        .collect::<Vec<_>>()
        .join("_")
}

/// `leapfrog PATH --help` as a user sees it, the same on every machine.
///
/// The real binary runs, not `Cli::command().render_help()`: what is snapshotted is what
/// `leapfrog::cli::run` prints. Its environment is empty but for `COLUMNS=100`, which fixes the
/// width: clap (with `wrap_help`) wraps at the width of a terminal on stdout, stderr or stdin,
/// else at `$COLUMNS`, and `Command::output` gives the child pipes and a null stdin, so no
/// terminal is seen. The empty environment also keeps a `LEAPFROG_ROOT` of the caller out of
/// `--root`'s `[env: LEAPFROG_ROOT=...]` and `CLICOLOR_FORCE` from adding colour codes.
fn help(path: &[String]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_leapfrog"))
        .env_clear()
        .env("COLUMNS", "100")
        .args(path)
        .arg("--help")
        .output()
        .expect("run leapfrog");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{path:?} --help: {stderr}");
    assert!(
        stderr.is_empty(),
        "{path:?} --help wrote to stderr: {stderr}"
    );
    String::from_utf8(out.stdout).expect("help is UTF-8")
}

#[test]
fn help_texts_match_their_snapshots() {
    let paths = command_paths();
    assert!(
        paths.iter().any(|p| p == &["data", "check"]),
        "nested verbs are walked: {paths:?}"
    );
    // every mismatch is reported (insta prints each diff), not only the first
    let mut changed = Vec::new();
    for path in &paths {
        let name = snapshot_name(path);
        let text = help(path);
        let outcome = std::panic::catch_unwind(|| {
            insta::assert_snapshot!(name.as_str(), text);
        });
        if outcome.is_err() {
            changed.push(name);
        }
    }
    assert!(
        changed.is_empty(),
        "help text differs from its snapshot for {changed:?}: if intended, run \
         `INSTA_UPDATE=always cargo test --test help` and review `git diff tests/snapshots`"
    );
}

/// A snapshot whose verb is gone fails too, so that `tests/snapshots/` holds exactly the help
/// texts there are.
#[test]
fn every_help_snapshot_belongs_to_a_command() {
    let names: BTreeSet<String> = command_paths().iter().map(|p| snapshot_name(p)).collect();
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/snapshots");
    let stale: Vec<String> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter_map(|f| {
            f.strip_prefix("help__")
                .and_then(|n| n.strip_suffix(".snap"))
                .map(String::from)
        })
        .filter(|n| !names.contains(n))
        .collect();
    assert!(
        stale.is_empty(),
        "snapshots of commands that no longer exist: {stale:?} (remove them)"
    );
}
