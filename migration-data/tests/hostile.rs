//! Hostile and malformed inputs: every failure is an error naming the file, never a panic.

use std::path::{Path, PathBuf};

use leapfrog_migration_data::Error;
use leapfrog_migration_data::check::{DataSet, DataSetProblemKind};
use leapfrog_migration_data::leapp::{pes, repofile, repomap, vendors};

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

/// Asserts that the error's message starts with the file's path and contains `needle`.
fn assert_names(err: &Error, path: &Path, needle: &str) {
    let msg = err.to_string();
    assert!(msg.starts_with(&path.display().to_string()), "{msg}");
    assert_eq!(err.path(), path);
    assert!(msg.contains(needle), "{msg:?} should contain {needle:?}");
}

const EVENT_OK: &str = r#"{"id": 7, "action": 7, "architectures": [],
  "in_packageset": {"set_id": 1, "package": [{"name": "a", "repository": "r", "module_stream": null}]},
  "out_packageset": {"set_id": 2, "package": [{"name": "b", "repository": "r", "modulestreams": [null, {"name": "m", "stream": "1"}]}]},
  "initial_release": {"os_name": "CentOS", "major_version": 7, "minor_version": 9},
  "release": {"major_version": 8, "minor_version": 0}, "extra": {"ignored": [1, 2]}}"#;

fn pes_with(events: &[&str]) -> String {
    format!(
        r#"{{"timestamp": "x", "packageinfo": [{}]}}"#,
        events.join(",")
    )
}

#[test]
fn pes_minimal_event_and_module_streams() {
    let t = tempfile::tempdir().unwrap();
    let p = write(t.path(), "p.json", &pes_with(&[EVENT_OK]));
    let f = pes::load(&p).unwrap();
    let e = &f.events[0];
    assert_eq!(e.id, 7);
    assert!(e.applies_to_arch("s390x"));
    assert_eq!(
        e.out_package_list()[0].module_stream.as_ref().unwrap().name,
        "m"
    );
    assert_eq!(e.release.os_name, None);
}

#[test]
fn pes_not_json() {
    let t = tempfile::tempdir().unwrap();
    let p = write(t.path(), "p.json", "{ this is not json");
    assert_names(&pes::load(&p).unwrap_err(), &p, "not valid JSON");
    let p = write(t.path(), "empty.json", "");
    assert_names(&pes::load(&p).unwrap_err(), &p, "not valid JSON");
    let p = write(t.path(), "list.json", "[]");
    assert_names(
        &pes::load(&p).unwrap_err(),
        &p,
        "the top level must be an object",
    );
    let p = write(t.path(), "nopi.json", r#"{"timestamp": "x"}"#);
    assert_names(&pes::load(&p).unwrap_err(), &p, "packageinfo");
}

#[test]
fn pes_deep_nesting_is_refused() {
    let t = tempfile::tempdir().unwrap();
    let text = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
    let p = write(t.path(), "deep.json", &text);
    assert_names(&pes::load(&p).unwrap_err(), &p, "nested too deeply");
    // Deep nesting inside an event is refused as well.
    let deep = format!(
        r#"{{"timestamp": "x", "packageinfo": [{}]}}"#,
        "[".repeat(10_000)
    );
    let p = write(t.path(), "deep2.json", &deep);
    assert_names(&pes::load(&p).unwrap_err(), &p, "nested too deeply");
    let m = write(t.path(), "map.json", &text);
    assert_names(
        &repomap::load(&m, "almalinux").unwrap_err(),
        &m,
        "nested too deeply",
    );
}

#[test]
fn pes_invalid_action() {
    let t = tempfile::tempdir().unwrap();
    let bad = EVENT_OK
        .replace(r#""action": 7"#, r#""action": 42"#)
        .replace(r#""id": 7"#, r#""id": 4711"#);
    let p = write(t.path(), "p.json", &pes_with(&[EVENT_OK, &bad]));
    let err = pes::load(&p).unwrap_err();
    assert_names(&err, &p, "event #1 (id 4711): invalid action 42");
    assert!(matches!(err, Error::Event { index: 1, .. }));
}

#[test]
fn pes_bad_numbers() {
    let t = tempfile::tempdir().unwrap();
    let cases = [
        (r#""id": 7"#, r#""id": 1e400"#, "number out of range"),
        (r#""id": 7"#, r#""id": -3"#, "negative number -3"),
        (r#""id": 7"#, r#""id": 99999999999999999999"#, "too large"),
        (r#""id": 7"#, r#""id": 1.5"#, "not a non-negative integer"),
        (r#""id": 7"#, r#""id": "12x""#, "not a non-negative integer"),
        (r#""action": 7"#, r#""action": -1"#, "negative number -1"),
        (
            r#""major_version": 8"#,
            r#""major_version": 4294967296"#,
            "too large",
        ),
        (
            r#""major_version": 8"#,
            r#""major_version": 99999999999999999999"#,
            "too large",
        ),
    ];
    for (i, (from, to, needle)) in cases.into_iter().enumerate() {
        let ev = EVENT_OK.replace(from, to);
        assert_ne!(ev, EVENT_OK);
        let p = write(t.path(), &format!("p{i}.json"), &pes_with(&[&ev]));
        let err = pes::load(&p).unwrap_err();
        assert_names(&err, &p, needle);
        if needle != "number out of range" {
            assert_names(&err, &p, "event #0");
        }
    }
}

#[test]
fn pes_missing_required_fields() {
    let t = tempfile::tempdir().unwrap();
    for (i, field) in ["\"action\": 7,", "\"architectures\": [],", "\"id\": 7,"]
        .iter()
        .enumerate()
    {
        let ev = EVENT_OK.replace(field, "");
        assert_ne!(ev, EVENT_OK);
        let p = write(t.path(), &format!("p{i}.json"), &pes_with(&[&ev]));
        let name = field.split('"').nth(1).unwrap();
        let err = pes::load(&p).unwrap_err();
        assert_names(&err, &p, &format!("missing field `{name}`"));
        assert_names(&err, &p, "event #0");
    }
    let ev = EVENT_OK.replace(r#""name": "a", "#, "");
    let p = write(t.path(), "noname.json", &pes_with(&[&ev]));
    assert_names(
        &pes::load(&p).unwrap_err(),
        &p,
        "event #0 (id 7): missing field `name`",
    );
}

#[test]
fn oversized_file_is_refused() {
    let t = tempfile::tempdir().unwrap();
    let p = t.path().join("huge.json");
    let f = std::fs::File::create(&p).unwrap();
    f.set_len(leapfrog_migration_data::MAX_FILE_SIZE + 1)
        .unwrap(); // sparse
    let err = pes::load(&p).unwrap_err();
    assert!(matches!(err, Error::TooLarge { .. }));
    assert_names(&err, &p, "more than the limit");
}

#[test]
fn missing_file_is_an_io_error() {
    let t = tempfile::tempdir().unwrap();
    let p = t.path().join("absent.json");
    assert_names(&pes::load(&p).unwrap_err(), &p, "cannot read");
}

const MAP_1: &str = r#"{"version_format": "1.2.0", "mapping": [{"source_major_version": "7",
  "target_major_version": 8, "entries": [{"source": "a", "target": ["b", "c"]}]}],
  "repositories": [{"pesid": "b", "entries": [{"major_version": "8", "repoid": "b-rpms",
  "arch": "x86_64", "channel": "ga", "repo_type": "rpm", "rhui": ""}]}]}"#;

#[test]
fn repomap_bad_inputs() {
    let t = tempfile::tempdir().unwrap();
    let ok = write(t.path(), "ok.json", MAP_1);
    let m = repomap::load(&ok, "almalinux").unwrap();
    assert_eq!(m.targets_for("a", 7, 8), ["b", "c"]);
    assert_eq!(m.repoids_for("b", 8, "x86_64"), ["b-rpms"]);
    assert_eq!(m.repositories[0].rhui, None);

    let p = write(t.path(), "v3.json", &MAP_1.replace("1.2.0", "3.0.0"));
    let err = repomap::load(&p, "almalinux").unwrap_err();
    assert!(matches!(err, Error::UnsupportedFormat { .. }));
    assert_names(&err, &p, "unsupported repomap version_format \"3.0.0\"");

    let p = write(
        t.path(),
        "big.json",
        &MAP_1.replace(r#""8", "repoid""#, r#"99999999999999999999, "repoid""#),
    );
    assert_names(
        &repomap::load(&p, "almalinux").unwrap_err(),
        &p,
        "too large",
    );

    let p = write(t.path(), "nover.json", r#"{"mapping": []}"#);
    assert_names(
        &repomap::load(&p, "almalinux").unwrap_err(),
        &p,
        "version_format",
    );

    // 2.0.0 with a flat list target, and with neither the distro nor "default".
    let p = write(t.path(), "v2flat.json", &MAP_1.replace("1.2.0", "2.0.0"));
    assert_names(
        &repomap::load(&p, "almalinux").unwrap_err(),
        &p,
        "unexpected JSON content",
    );
    let v2 = MAP_1
        .replace("1.2.0", "2.0.0")
        .replace(r#"["b", "c"]"#, r#"{"rocky": ["x"]}"#);
    let p = write(t.path(), "v2nodefault.json", &v2);
    assert_names(
        &repomap::load(&p, "almalinux").unwrap_err(),
        &p,
        "mapping[0].entries[0]: target has neither \"almalinux\" nor \"default\"",
    );
    let rocky = repomap::load(&p, "rocky").unwrap();
    assert_eq!(rocky.targets_for("a", 7, 8), ["x"]);
    let v2 = MAP_1
        .replace("1.2.0", "2.0.0")
        .replace(r#"["b", "c"]"#, r#"{"default": ["d"], "rocky": ["x"]}"#);
    let p = write(t.path(), "v2.json", &v2);
    assert_eq!(
        repomap::load(&p, "almalinux")
            .unwrap()
            .targets_for("a", 7, 8),
        ["d"]
    );
    assert_eq!(
        repomap::load(&p, "rocky").unwrap().targets_for("a", 7, 8),
        ["x"]
    );
}

#[test]
fn repofile_bad_inputs() {
    let t = tempfile::tempdir().unwrap();
    let ok = "# c\n[a]\nname = A\nbaseurl=http://x/1\n  http://x/2, http://x/3\nenabled=0\n\n[b]\nmirrorlist=http://m\n";
    let p = write(t.path(), "ok.repo", ok);
    let f = repofile::load(&p).unwrap();
    assert_eq!(
        f.sections[0].baseurl,
        ["http://x/1", "http://x/2", "http://x/3"]
    );
    assert!(!f.sections[0].enabled);
    assert!(f.sections[1].enabled);
    assert_eq!(f.sections[1].mirrorlist.as_deref(), Some("http://m"));
    let cases = [
        (
            "orphan.repo",
            "baseurl=x\n",
            "line 1: option \"baseurl\" outside of any [section]",
        ),
        ("hdr.repo", "[a\n", "line 1: malformed section header"),
        (
            "dup.repo",
            "[a]\n[a]\n",
            "line 2: section [a] already defined on line 1",
        ),
        ("noeq.repo", "[a]\njunk\n", "line 2: expected `key=value`"),
        (
            "bool.repo",
            "[a]\nenabled=maybe\n",
            "enabled=\"maybe\" is not a boolean",
        ),
        ("cont.repo", "  x\n", "line 1: continuation line"),
    ];
    for (name, text, needle) in cases {
        let p = write(t.path(), name, text);
        assert_names(&repofile::load(&p).unwrap_err(), &p, needle);
    }
    let p = t.path().join("bin.repo");
    std::fs::write(&p, b"[a]\nname=\xff\n").unwrap();
    assert_names(&repofile::load(&p).unwrap_err(), &p, "not UTF-8");
}

#[test]
fn vendors_symlink_outside_is_refused() {
    let t = tempfile::tempdir().unwrap();
    let d = t.path().join("vendors.d");
    std::fs::create_dir(&d).unwrap();
    std::os::unix::fs::symlink("/etc/passwd", d.join("evil_map.json")).unwrap();
    let err = vendors::load(&d, "almalinux").unwrap_err();
    assert!(matches!(err, Error::VendorEntry { .. }));
    assert_names(
        &err,
        &d.join("evil_map.json"),
        "symlink points outside the directory",
    );
}

#[test]
fn vendors_symlink_inside_is_accepted() {
    let t = tempfile::tempdir().unwrap();
    let d = t.path().join("vendors.d");
    std::fs::create_dir(&d).unwrap();
    write(&d, "real.sigs.txt", "ABCDEF0123456789\n");
    std::os::unix::fs::symlink("real.sigs.txt", d.join("v.sigs")).unwrap();
    let set = vendors::load(&d, "almalinux").unwrap();
    assert_eq!(
        set.vendors["v"].sigs.as_ref().unwrap().1,
        ["abcdef0123456789"]
    );
}

#[test]
fn vendors_directory_entry_is_refused() {
    let t = tempfile::tempdir().unwrap();
    let d = t.path().join("vendors.d");
    std::fs::create_dir_all(d.join("x_pes.json")).unwrap();
    // A key directory with another name is fine and ignored.
    std::fs::create_dir_all(d.join("rpm-gpg")).unwrap();
    let err = vendors::load(&d, "almalinux").unwrap_err();
    assert_names(
        &err,
        &d.join("x_pes.json"),
        "is a directory, not a regular file",
    );
}

#[test]
fn vendors_bad_names_and_contents() {
    let t = tempfile::tempdir().unwrap();
    let d = t.path().join("vendors.d");
    std::fs::create_dir(&d).unwrap();
    write(&d, "..x.repo", "");
    let err = vendors::load(&d, "almalinux").unwrap_err();
    assert_names(&err, &d.join("..x.repo"), "contains `..`");
    std::fs::remove_file(d.join("..x.repo")).unwrap();

    write(&d, "_map.json", MAP_1);
    assert_names(
        &vendors::load(&d, "almalinux").unwrap_err(),
        &d.join("_map.json"),
        "empty vendor name",
    );
    std::fs::remove_file(d.join("_map.json")).unwrap();

    let p = write(&d, "v.sigs", "not-a-key\n");
    assert_names(
        &vendors::load(&d, "almalinux").unwrap_err(),
        &p,
        "line 1: \"not-a-key\" is not a key id",
    );
    std::fs::remove_file(&p).unwrap();

    let p = write(&d, "v_pes.json", "{[[");
    assert_names(
        &vendors::load(&d, "almalinux").unwrap_err(),
        &p,
        "not valid JSON",
    );
    std::fs::remove_file(&p).unwrap();

    assert!(vendors::validate_vendor_name("a/b").is_err());
    assert!(vendors::validate_vendor_name("../x").is_err());
    assert!(vendors::validate_vendor_name(".hidden").is_err());
    assert!(vendors::validate_vendor_name("nginx-stable").is_ok());

    // Hidden files and unrelated names are ignored.
    write(&d, ".v.repo", "garbage");
    write(&d, "README", "garbage");
    assert!(vendors::load(&d, "almalinux").unwrap().vendors.is_empty());
}

#[test]
fn check_reports_each_kind() {
    let t = tempfile::tempdir().unwrap();
    let events = [
        EVENT_OK.to_string(),
        // duplicate id 7, set_id 1 with other names, release 11.0, unknown pesid "zz"
        EVENT_OK
            .replace(
                r#""name": "a", "repository": "r""#,
                r#""name": "q", "repository": "zz""#,
            )
            .replace(r#""major_version": 8"#, r#""major_version": 11"#),
        // Removed with out-packages, an empty name
        EVENT_OK
            .replace(r#""id": 7"#, r#""id": 8"#)
            .replace(r#""action": 7"#, r#""action": 1"#)
            .replace(r#""set_id": 1"#, r#""set_id": 5"#)
            .replace(r#""name": "a""#, r#""name": " ""#),
        // Split without out-packages
        EVENT_OK
            .replace(r#""id": 7"#, r#""id": 9"#)
            .replace(r#""action": 7"#, r#""action": 4"#)
            .replace(r#""set_id": 1"#, r#""set_id": 6"#)
            .replace(
                r#""out_packageset": {"set_id": 2"#,
                r#""out_packageset": null, "x": {"set_id": 2"#,
            ),
    ];
    let refs: Vec<&str> = events.iter().map(String::as_str).collect();
    let p = write(t.path(), "p.json", &pes_with(&refs));
    let m = write(t.path(), "m.json", &MAP_1.replace(r#""a""#, r#""r""#));
    let set = DataSet {
        pes: vec![(p.clone(), pes::load(&p).unwrap())],
        repomaps: vec![(m.clone(), repomap::load(&m, "almalinux").unwrap())],
    };
    let problems = set.check();
    let kinds: Vec<DataSetProblemKind> = problems.iter().map(|p| p.kind).collect();
    assert_eq!(
        kinds,
        [
            DataSetProblemKind::DuplicateEventId,
            DataSetProblemKind::ConflictingSetId,
            DataSetProblemKind::UnknownPesid,
            DataSetProblemKind::ReleaseOutOfRange,
            DataSetProblemKind::UnexpectedOutPackages,
            DataSetProblemKind::EmptyPackageName,
            DataSetProblemKind::MissingOutPackages,
        ],
        "{problems:#?}"
    );
    assert!(problems.iter().all(|x| x.file == p));
    assert_eq!(problems[0].location, "packageinfo[1] (id 7)");
    assert!(problems[2].message.contains("\"zz\""));
    assert!(problems[3].message.contains("release 11.0"));
    assert_eq!(problems[5].location, "packageinfo[2] (id 8)");
    assert_eq!(problems[6].location, "packageinfo[3] (id 9)");
}

#[test]
fn non_regular_files_are_refused_by_loaders() {
    let t = tempfile::tempdir().unwrap();
    let d = t.path().join("dir.json");
    std::fs::create_dir(&d).unwrap();
    assert_names(&pes::load(&d).unwrap_err(), &d, "not a regular file");
    assert_names(
        &repomap::load(&d, "almalinux").unwrap_err(),
        &d,
        "not a regular file",
    );
    assert_names(&repofile::load(&d).unwrap_err(), &d, "not a regular file");
}

#[test]
fn event_error_shows_string_id() {
    let t = tempfile::tempdir().unwrap();
    let ev = EVENT_OK
        .replace(r#""id": 7"#, r#""id": "9003""#)
        .replace(r#""action": 7"#, r#""action": 9"#);
    let p = write(t.path(), "p.json", &pes_with(&[&ev]));
    assert_names(
        &pes::load(&p).unwrap_err(),
        &p,
        "event #0 (id 9003): invalid action 9",
    );
}

#[test]
fn vendors_symlink_into_subdirectory_is_accepted() {
    let t = tempfile::tempdir().unwrap();
    let d = t.path().join("vendors.d");
    std::fs::create_dir_all(d.join("data")).unwrap();
    write(&d.join("data"), "k", "0123456789abcdef\n");
    std::os::unix::fs::symlink("data/k", d.join("v.sigs")).unwrap();
    std::os::unix::fs::symlink("data", d.join("w.sigs")).unwrap();
    let err = vendors::load(&d, "almalinux").unwrap_err();
    assert_names(
        &err,
        &d.join("w.sigs"),
        "symlink does not point to a regular file",
    );
    std::fs::remove_file(d.join("w.sigs")).unwrap();
    let set = vendors::load(&d, "almalinux").unwrap();
    assert_eq!(
        set.vendors["v"].sigs.as_ref().unwrap().1,
        ["0123456789abcdef"]
    );
}
