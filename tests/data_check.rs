//! `leapfrog data check` on leapfrog's own YAML data (compiled in, `--data DIR`) and together
//! with leapp-format data.

mod common;

use std::path::{Path, PathBuf};

use common::*;

fn data_dir(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("migration-data")
        .join(name)
}

#[test]
fn compiled_in_and_shipped_directories_are_clean() {
    let out = run(&["data", "check"]);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(
        text.contains("leapfrog data <builtin>: 0 problem(s)"),
        "{text}"
    );
    assert!(
        !text.contains("leapp data"),
        "leapp data is optional now: {text}"
    );
    for dir in ["data", "testkit"] {
        let d = data_dir(dir);
        let out = run(&["data", "check", "--data", d.to_str().unwrap()]);
        assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    }
}

#[test]
fn a_broken_copy_exits_1_with_file_and_location() {
    let t = tempfile::tempdir().unwrap();
    let src = data_dir("data");
    for sub in ["distributions", "repomaps", "events", "vendors"] {
        std::fs::create_dir(t.path().join(sub)).unwrap();
        for e in std::fs::read_dir(src.join(sub)).unwrap() {
            let e = e.unwrap();
            std::fs::copy(e.path(), t.path().join(sub).join(e.file_name())).unwrap();
        }
    }
    let paths = std::fs::read_to_string(src.join("paths.yaml"))
        .unwrap()
        .replacen("to: ol", "to: solaris", 1);
    std::fs::write(t.path().join("paths.yaml"), paths).unwrap();
    let out = run(&["data", "check", "--data", t.path().to_str().unwrap()]);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(
        text.contains("paths.yaml: paths[2].to: unknown distribution \"solaris\""),
        "{text}"
    );
    let json_run = run(&[
        "--json",
        "data",
        "check",
        "--data",
        t.path().to_str().unwrap(),
    ]);
    let v = json(&json_run);
    assert_eq!(v["data"]["problems"][0]["kind"], "UnknownDistribution");
    assert!(v["leapp"].is_null());
    // unreadable data is an error naming the file
    std::fs::write(t.path().join("paths.yaml"), "paths: {").unwrap();
    let out = run(&["data", "check", "--data", t.path().to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(err.contains("paths.yaml"), "{err}");
}

#[test]
fn leapp_data_is_checked_too_when_given() {
    let leapp = leapp_data();
    let out = run(&["data", "check", "--leapp-data", leapp.to_str().unwrap()]);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(
        text.contains("leapfrog data <builtin>: 0 problem(s)"),
        "{text}"
    );
    assert!(text.contains("112 problem(s)"), "{text}");
}
