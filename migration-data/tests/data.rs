//! leapfrog's own YAML data: loading, lookups, conversion, validation and hostile input.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use leapfrog_migration_data::data::{
    DataProblemKind, DistroMajor, MigrationData, event_number, expand_vars,
};
use leapfrog_migration_data::leapp::pes::Action;

fn shipped() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("data")
}

fn testkit() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("testkit")
}

fn dm(distro: &str, major: u32) -> DistroMajor {
    DistroMajor {
        distro: distro.into(),
        major,
    }
}

/// Copies `src` (recursively) into a fresh temporary directory.
fn copy(src: &Path) -> tempfile::TempDir {
    let t = tempfile::tempdir().unwrap();
    fn rec(from: &Path, to: &Path) {
        std::fs::create_dir_all(to).unwrap();
        for e in std::fs::read_dir(from).unwrap() {
            let e = e.unwrap();
            let dst = to.join(e.file_name());
            if e.file_type().unwrap().is_dir() {
                rec(&e.path(), &dst);
            } else {
                std::fs::copy(e.path(), dst).unwrap();
            }
        }
    }
    rec(src, t.path());
    t
}

fn edit(dir: &Path, rel: &str, from: &str, to: &str) {
    let p = dir.join(rel);
    let text = std::fs::read_to_string(&p).unwrap();
    assert!(text.contains(from), "{rel} lacks {from:?}");
    std::fs::write(&p, text.replacen(from, to, 1)).unwrap();
}

fn kinds(dir: &Path) -> Vec<(DataProblemKind, String)> {
    MigrationData::load(dir)
        .unwrap()
        .check()
        .into_iter()
        .map(|p| (p.kind, p.to_string()))
        .collect()
}

#[test]
fn shipped_and_testkit_data_check_clean() {
    for data in [
        MigrationData::builtin().unwrap(),
        MigrationData::load(&shipped()).unwrap(),
        MigrationData::load(&testkit()).unwrap(),
    ] {
        let problems = data.check();
        assert!(problems.is_empty(), "{:?}: {problems:#?}", data.root);
        assert!(!data.distributions.is_empty() && !data.paths.is_empty());
    }
}

#[test]
fn builtin_list_matches_the_directory() {
    let mut on_disk = Vec::new();
    for e in walk(&shipped()) {
        on_disk.push(
            e.strip_prefix(shipped())
                .unwrap()
                .to_string_lossy()
                .into_owned(),
        );
    }
    on_disk.sort();
    let mut built: Vec<_> = MigrationData::builtin_files().map(String::from).collect();
    built.sort();
    assert_eq!(
        built, on_disk,
        "regenerate migration-data/src/data/builtin.rs"
    );
    let a = MigrationData::builtin().unwrap();
    let b = MigrationData::load(&shipped()).unwrap();
    assert_eq!(a.distributions.len(), b.distributions.len());
    assert_eq!(a.events.len(), b.events.len());
    assert!(a.distributions[0].origin.file.starts_with("<builtin>"));
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}

#[test]
fn lookups() {
    let d = MigrationData::builtin().unwrap();
    assert_eq!(d.distribution("oracle").unwrap().id, "ol");
    assert_eq!(d.distribution("rockylinux").unwrap().id, "rocky");
    assert!(d.distribution("fedora").is_none());
    let stream = d.distribution_by_os_release("centos", 9).unwrap();
    assert_eq!(
        stream.major(9).unwrap().name.as_deref(),
        Some("CentOS Stream")
    );
    assert!(d.distribution_by_os_release("centos", 6).is_none());
    let def = d.default_path("centos", 7).unwrap();
    assert_eq!(
        (def.to.as_str(), def.to_major, def.to_minor),
        ("almalinux", 8, 10)
    );
    assert_eq!(d.paths_from("centos", 7).len(), 3);
    assert!(d.default_path("centos", 9).is_none(), "no path from Stream");
    assert_eq!(
        d.map_repo(&dm("centos", 7), &dm("almalinux", 8), "x86_64", "base"),
        ["baseos", "appstream"]
    );
    assert_eq!(
        d.map_repo(&dm("ol", 8), &dm("ol", 9), "x86_64", "ol8_appstream"),
        ["ol9_appstream"]
    );
    assert_eq!(
        d.map_repo(&dm("almalinux", 8), &dm("almalinux", 9), "x86_64", "epel"),
        ["epel"]
    );
    assert!(
        d.map_repo(&dm("centos", 7), &dm("almalinux", 9), "x86_64", "base")
            .is_empty()
    );
    assert_eq!(d.vendor_by_tag("Fedora Project").unwrap().id, "epel");
    assert_eq!(
        d.vendor_by_source_repo("mariadb-main").unwrap().id,
        "mariadb"
    );
    assert!(d.vendor_by_source_repo("myepel").is_none());
    assert!(d.vendor("epel").unwrap().is_target_repo("el9-epel"));
    assert!(!d.vendor("epel").unwrap().is_target_repo("notepel"));
}

#[test]
fn target_repositories_expand_variables() {
    let d = MigrationData::load(&testkit()).unwrap();
    let mut vars = BTreeMap::new();
    vars.insert("testkit_world".to_string(), "file:///w".to_string());
    let repos = d
        .target_repositories(&dm("almalinux", 9), "x86_64", &vars)
        .unwrap();
    let baseos = repos.iter().find(|r| r.id == "baseos").unwrap();
    assert_eq!(
        baseos.baseurl.as_deref(),
        Some("file:///w/almalinux-9.6/baseos/")
    );
    let err = d
        .target_repositories(&dm("almalinux", 9), "x86_64", &BTreeMap::new())
        .unwrap_err()
        .to_string();
    assert!(err.contains("undefined variable $testkit_world"), "{err}");
    assert!(err.contains("distributions/almalinux.yaml"), "{err}");
    assert!(
        d.target_repositories(&dm("fedora", 40), "x86_64", &vars)
            .is_err()
    );
    let real = MigrationData::builtin().unwrap();
    let r = real
        .target_repositories(&dm("rocky", 9), "aarch64", &BTreeMap::new())
        .unwrap();
    assert_eq!(
        r[0].baseurl.as_deref(),
        Some("https://dl.rockylinux.org/pub/rocky/9/BaseOS/aarch64/os/")
    );
    let mut rv = BTreeMap::new();
    rv.insert("releasever".to_string(), "8.10".to_string());
    let a = real
        .target_repositories(&dm("almalinux", 8), "x86_64", &rv)
        .unwrap();
    assert_eq!(
        a[0].mirrorlist.as_deref(),
        Some("https://mirrors.almalinux.org/mirrorlist/8.10/baseos")
    );
}

#[test]
fn variable_expansion_edge_cases() {
    let mut v = BTreeMap::new();
    v.insert("a".to_string(), "1".to_string());
    v.insert("ab".to_string(), "2".to_string());
    assert_eq!(expand_vars("x$a/$ab/${a}b", &v).unwrap(), "x1/2/1b");
    assert_eq!(expand_vars("plain", &v).unwrap(), "plain");
    assert!(expand_vars("$", &v).unwrap_err().contains("lone"));
    assert!(expand_vars("${a", &v).unwrap_err().contains("unterminated"));
    assert!(expand_vars("$zz", &v).unwrap_err().contains("$zz"));
}

#[test]
fn events_convert_to_the_pes_type() {
    let d = MigrationData::builtin().unwrap();
    let events = d.pes_events(7, 8);
    let dh = events
        .iter()
        .find(|e| e.id == event_number("el8-dhclient-renamed"))
        .unwrap();
    assert_eq!(dh.action, Action::Renamed);
    assert_eq!(dh.in_packages.packages[0].name, "dhclient");
    assert_eq!(dh.in_packages.packages[0].repository, "base");
    assert_eq!(dh.out_package_list()[0].name, "dhcp-client");
    assert_eq!((dh.release.major, dh.release.minor), (8, 0));
    assert_eq!(dh.initial_release.as_ref().unwrap().minor, 9);
    assert!(
        dh.description
            .as_deref()
            .unwrap()
            .starts_with("el8-dhclient-renamed: ")
    );
    let pg = events
        .iter()
        .find(|e| e.id == event_number("el8-postgresql-in-module"))
        .unwrap();
    let ms = pg.out_package_list()[0].module_stream.as_ref().unwrap();
    assert_eq!((ms.name.as_str(), ms.stream.as_str()), ("postgresql", "10"));
    assert!(pg.out_packages.is_some());
    let removed = events.iter().find(|e| e.action == Action::Removed).unwrap();
    assert!(removed.out_packages.is_none());
    assert!(
        events.iter().all(|e| e.release.major == 8),
        "only the releases of the path"
    );
    assert!(d.pes_events(8, 8).is_empty(), "a conversion has no events");
    assert_eq!(d.event_slug(dh.id), Some("el8-dhclient-renamed"));
    assert!(event_number("a") != event_number("b") && event_number("a") >= 1 << 63);
}

#[test]
fn leapp_repomap_uses_families() {
    let d = MigrationData::builtin().unwrap();
    let m = d.leapp_repomap(&dm("centos", 7), &dm("ol", 8), "x86_64");
    assert_eq!(m.targets_for("base", 7, 8), ["baseos", "appstream"]);
    assert_eq!(m.targets_for("extras", 7, 8), ["addons"]);
    assert_eq!(m.targets_for("epel", 7, 8), ["epel"]);
    assert!(m.targets_for("nothing", 7, 8).is_empty());
    assert!(
        m.repositories
            .iter()
            .any(|r| r.pesid == "appstream" && r.repoid == "ol8_appstream" && r.major == 8)
    );
}

#[test]
fn extends_merges_over_the_base() {
    let t = tempfile::tempdir().unwrap();
    std::fs::write(
        t.path().join("dataset.yaml"),
        "format: 1\nextends: builtin\n",
    )
    .unwrap();
    std::fs::write(
        t.path().join("paths.yaml"),
        "paths:\n- {from: centos, from_major: 7, from_min_minor: 9, to: almalinux, to_major: 8, to_minor: 9}\n",
    )
    .unwrap();
    let d = MigrationData::load(t.path()).unwrap();
    assert_eq!(d.paths.len(), MigrationData::builtin().unwrap().paths.len());
    assert_eq!(
        d.default_path("centos", 7).unwrap().to_minor,
        9,
        "overridden in place"
    );
    assert!(d.check().is_empty(), "{:?}", d.check());
    // a relative base directory
    let over = tempfile::tempdir().unwrap();
    let rel = pathdiff(&testkit(), over.path());
    std::fs::write(
        over.path().join("dataset.yaml"),
        format!("format: 1\nextends: {rel}\n"),
    )
    .unwrap();
    let d = MigrationData::load(over.path()).unwrap();
    assert_eq!(d.vendors.len(), 4);
    // a cycle is an error, not a stack overflow
    let cyc = tempfile::tempdir().unwrap();
    std::fs::write(cyc.path().join("dataset.yaml"), "format: 1\nextends: .\n").unwrap();
    let err = MigrationData::load(cyc.path()).unwrap_err().to_string();
    assert!(err.contains("extends: more than"), "{err}");
    std::fs::write(
        cyc.path().join("dataset.yaml"),
        "format: 1\nextends: /etc\n",
    )
    .unwrap();
    assert!(MigrationData::load(cyc.path()).is_err());
    std::fs::write(cyc.path().join("dataset.yaml"), "format: 2\n").unwrap();
    let err = MigrationData::load(cyc.path()).unwrap_err().to_string();
    assert!(err.contains("unsupported format 2"), "{err}");
}

/// `to` relative to `from` (both absolute), as `../..` segments.
fn pathdiff(to: &Path, from: &Path) -> String {
    let depth = from.components().count() - 1;
    format!(
        "{}{}",
        "../".repeat(depth),
        to.strip_prefix("/").unwrap().display()
    )
}

#[test]
fn hostile_input_is_an_error_naming_the_file() {
    let t = copy(&shipped());
    let p = t.path().join("paths.yaml");
    // bad types, with the YAML location
    std::fs::write(&p, "paths:\n- from: centos\n  from_major: seven\n").unwrap();
    let err = MigrationData::load(t.path()).unwrap_err().to_string();
    assert!(err.starts_with(&p.display().to_string()), "{err}");
    assert!(err.contains("line") || err.contains(":3"), "{err}");
    // unknown field
    std::fs::write(&p, "paths: []\nextra: 1\n").unwrap();
    assert!(
        MigrationData::load(t.path())
            .unwrap_err()
            .to_string()
            .contains("extra")
    );
    // deep nesting
    let deep = format!("paths: {}{}\n", "[".repeat(5000), "]".repeat(5000));
    std::fs::write(&p, deep).unwrap();
    assert!(MigrationData::load(t.path()).is_err());
    // anchors expanding exponentially (billion laughs)
    let mut bomb = String::from("a: &a [x, x, x, x, x, x, x, x, x, x]\n");
    for i in 1..12 {
        bomb.push_str(&format!(
            "{n}: &{n} [*{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}]\n",
            n = (b'a' + i) as char,
            p = (b'a' + i - 1) as char
        ));
    }
    std::fs::write(&p, bomb).unwrap();
    assert!(MigrationData::load(t.path()).is_err());
    // too large
    let f = std::fs::File::create(&p).unwrap();
    f.set_len(leapfrog_migration_data::data::MAX_YAML_SIZE + 1)
        .unwrap();
    let err = MigrationData::load(t.path()).unwrap_err().to_string();
    assert!(err.contains("more than the limit"), "{err}");
    std::fs::copy(shipped().join("paths.yaml"), &p).unwrap();
    // not UTF-8
    std::fs::write(t.path().join("events/bad.yaml"), b"\xff\xfe").unwrap();
    assert!(
        MigrationData::load(t.path())
            .unwrap_err()
            .to_string()
            .contains("UTF-8")
    );
    std::fs::remove_file(t.path().join("events/bad.yaml")).unwrap();
    // symlink escaping the directory
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(outside.path().join("x.yaml"), "events: []\n").unwrap();
    std::os::unix::fs::symlink(
        outside.path().join("x.yaml"),
        t.path().join("events/link.yaml"),
    )
    .unwrap();
    let err = MigrationData::load(t.path()).unwrap_err().to_string();
    assert!(err.contains("outside the data directory"), "{err}");
    std::fs::remove_file(t.path().join("events/link.yaml")).unwrap();
    // a symlink inside is fine
    std::os::unix::fs::symlink(
        t.path().join("events/el8.yaml"),
        t.path().join("events/again.yml"),
    )
    .unwrap();
    let d = MigrationData::load(t.path()).unwrap();
    let dups = d.check();
    assert!(
        !dups.is_empty() && dups.iter().all(|p| p.kind == DataProblemKind::DuplicateId),
        "the same events twice in one directory are duplicates: {dups:#?}"
    );
    std::fs::remove_file(t.path().join("events/again.yml")).unwrap();
    // a directory named like a data file, a FIFO, unknown top-level file
    std::fs::create_dir(t.path().join("events/dir.yaml")).unwrap();
    assert!(
        MigrationData::load(t.path())
            .unwrap_err()
            .to_string()
            .contains("not a regular file")
    );
    std::fs::remove_dir(t.path().join("events/dir.yaml")).unwrap();
    nix_mkfifo(&t.path().join("events/fifo.yaml"));
    assert!(MigrationData::load(t.path()).is_err());
    std::fs::remove_file(t.path().join("events/fifo.yaml")).unwrap();
    std::fs::write(t.path().join("other.yaml"), "x: 1\n").unwrap();
    assert!(
        MigrationData::load(t.path())
            .unwrap_err()
            .to_string()
            .contains("unknown data file")
    );
    std::fs::remove_file(t.path().join("other.yaml")).unwrap();
    assert!(MigrationData::load(t.path()).is_ok());
    assert!(MigrationData::load(&t.path().join("missing")).is_err());
}

fn nix_mkfifo(p: &Path) {
    let st = std::process::Command::new("mkfifo")
        .arg(p)
        .status()
        .unwrap();
    assert!(st.success());
}

#[test]
fn problem_duplicate_ids() {
    let t = copy(&shipped());
    edit(
        t.path(),
        "distributions/rocky.yaml",
        "aliases: [rockylinux]",
        "aliases: [alma]",
    );
    edit(
        t.path(),
        "events/el9.yaml",
        "id: el9-platform-python-to-python3",
        "id: el9-network-scripts-removed",
    );
    let k = kinds(t.path());
    assert_eq!(
        k.iter()
            .filter(|(k, _)| *k == DataProblemKind::DuplicateId)
            .count(),
        2,
        "{k:#?}"
    );
    assert!(
        k.iter().any(|(_, m)| m.contains("rocky.yaml: aliases[0]")),
        "{k:#?}"
    );
}

#[test]
fn problem_unknown_distribution_and_version() {
    let t = copy(&shipped());
    edit(t.path(), "paths.yaml", "to: rocky", "to: rockyy");
    edit(t.path(), "paths.yaml", "to_minor: 6", "to_minor: 60");
    let k = kinds(t.path());
    assert!(
        k.iter()
            .any(|(k, m)| *k == DataProblemKind::UnknownDistribution
                && m.contains("paths[1].to")
                && m.contains("rockyy")),
        "{k:#?}"
    );
    assert!(
        k.iter()
            .any(|(k, m)| *k == DataProblemKind::UnknownVersion && m.contains("9.60")),
        "{k:#?}"
    );
}

#[test]
fn problem_repomap_names_unknown_repo() {
    let t = copy(&shipped());
    edit(
        t.path(),
        "repomaps/el8-to-el9.yaml",
        "targets: [crb]",
        "targets: [codeready]",
    );
    let k = kinds(t.path());
    assert_eq!(k.len(), 2, "two target releases: {k:#?}");
    assert!(
        k.iter()
            .all(|(k, m)| *k == DataProblemKind::UnknownRepository
                && m.contains("map[3].targets[0]"))
    );
}

#[test]
fn problem_event_repo_release_and_shape() {
    let t = copy(&shipped());
    edit(
        t.path(),
        "events/el8.yaml",
        "repo: base\n",
        "repo: nowhere\n",
    );
    edit(
        t.path(),
        "events/el10.yaml",
        "release: '10.0'",
        "release: '11.0'",
    );
    edit(
        t.path(),
        "events/el9.yaml",
        "action: removed",
        "action: renamed",
    );
    let k = kinds(t.path());
    assert!(
        k.iter()
            .any(|(k, m)| *k == DataProblemKind::UnknownRepository && m.contains("nowhere")),
        "{k:#?}"
    );
    assert!(
        k.iter()
            .any(|(k, m)| *k == DataProblemKind::EventOutsidePaths && m.contains("11.0")),
        "{k:#?}"
    );
    assert!(
        k.iter()
            .any(|(k, m)| *k == DataProblemKind::BadEvent && m.contains("needs out-packages")),
        "{k:#?}"
    );
}

#[test]
fn problem_missing_keys_and_bad_values() {
    let t = copy(&shipped());
    edit(
        t.path(),
        "distributions/rocky.yaml",
        "gpgkey: RPM-GPG-KEY-Rocky-9",
        "gpgkey: RPM-GPG-KEY-Rocky-99",
    );
    edit(
        t.path(),
        "vendors/mariadb.yaml",
        "ids: [c74cd1d8",
        "ids: [C74CD1D8",
    );
    edit(
        t.path(),
        "distributions/ol.yaml",
        "platform_id: platform:el9",
        "platform_id: platform:el8",
    );
    let k = kinds(t.path());
    assert!(
        k.iter()
            .any(|(k, m)| *k == DataProblemKind::MissingKey && m.contains("RPM-GPG-KEY-Rocky-99")),
        "{k:#?}"
    );
    assert!(
        k.iter()
            .any(|(k, m)| *k == DataProblemKind::BadValue && m.contains("C74CD1D8")),
        "{k:#?}"
    );
    assert!(
        k.iter()
            .any(|(k, m)| *k == DataProblemKind::BadValue && m.contains("platform:el9")),
        "{k:#?}"
    );
    let t = copy(&testkit());
    edit(
        t.path(),
        "vendors/mariadb.yaml",
        "  keys:\n  - file: RPM-GPG-KEY-MariaDB\n    ids: []\n",
        "",
    );
    let k = kinds(t.path());
    assert!(
        k.iter()
            .any(|(k, m)| *k == DataProblemKind::MissingKey
                && m.contains("vendor mariadb is signed")),
        "{k:#?}"
    );
}
