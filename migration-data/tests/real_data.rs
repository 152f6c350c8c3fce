//! Tests against the real ELevate leapp-data files in `../shared/leapp-data`.

use std::collections::BTreeMap;
use std::path::PathBuf;

use leapfrog_migration_data::check::{DataSet, DataSetProblemKind};
use leapfrog_migration_data::leapp::pes::{Action, ModuleStream};
use leapfrog_migration_data::leapp::{pes, repofile, repomap, vendors};

fn data() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/leapp-data")
}

fn el8() -> PathBuf {
    data().join("files-installed-for-almalinux-8")
}

#[test]
fn real_pes_events_counts_per_action() {
    let f = pes::load(&el8().join("pes-events.json")).unwrap();
    assert_eq!(f.events.len(), 2381);
    assert_eq!(f.timestamp.as_deref(), Some("202108240941Z"));
    assert_eq!(f.provided_data_streams, None);
    let mut counts: BTreeMap<Action, usize> = BTreeMap::new();
    for e in &f.events {
        *counts.entry(e.action).or_default() += 1;
    }
    let expected = [
        (Action::Present, 13),
        (Action::Removed, 1039),
        (Action::Deprecated, 18),
        (Action::Replaced, 262),
        (Action::Split, 137),
        (Action::Merged, 259),
        (Action::Moved, 623),
        (Action::Renamed, 30),
    ];
    assert_eq!(counts, expected.into_iter().collect());
    assert_eq!(
        f.events
            .iter()
            .filter(|e| e.initial_release.is_none())
            .count(),
        30
    );
    assert_eq!(f.events.iter().filter(|e| e.release.major == 9).count(), 86);
}

#[test]
fn real_pes_event_525_renames_dhclient() {
    let f = pes::load(&el8().join("pes-events.json")).unwrap();
    let e = f.events.iter().find(|e| e.id == 525).unwrap();
    assert_eq!(e.action, Action::Renamed);
    assert_eq!(e.in_packages.packages.len(), 1);
    assert_eq!(e.in_packages.packages[0].name, "dhclient");
    assert_eq!(e.out_package_list().len(), 1);
    assert_eq!(e.out_package_list()[0].name, "dhcp-client");
    assert_eq!((e.release.major, e.release.minor), (8, 0));
}

#[test]
fn real_pes_modulestream_maps_and_module_streams() {
    let f = pes::load(&el8().join("pes-events.json")).unwrap();
    let with_maps: Vec<_> = f
        .events
        .iter()
        .filter(|e| !e.modulestream_maps.is_empty())
        .collect();
    assert_eq!(with_maps.len(), 50);
    assert!(with_maps.iter().all(|e| e.modulestream_maps.len() == 1));
    let e = f.events.iter().find(|e| e.id == 1658).unwrap();
    let jpt = ModuleStream {
        name: "javapackages-tools".into(),
        stream: "201801".into(),
    };
    assert_eq!(e.modulestream_maps, vec![(None, Some(jpt.clone()))]);
    // `module_stream: [null]` on the in-side, `modulestreams: [{..}]` on the out-side.
    assert_eq!(e.in_packages.packages[0].module_stream, None);
    assert_eq!(e.out_package_list()[0].module_stream, Some(jpt));
    let modular = f
        .events
        .iter()
        .flat_map(|e| e.in_packages.packages.iter().chain(e.out_package_list()))
        .filter(|p| p.module_stream.is_some())
        .count();
    assert_eq!(modular, 50);
}

#[test]
fn real_pes_string_ids_are_accepted() {
    let f = pes::load(&el8().join("pes-events.json")).unwrap();
    let e = f.events.iter().find(|e| e.id == 9003).unwrap();
    assert_eq!(e.action, Action::Removed);
    assert_eq!(e.in_packages.set_id, Some(8003));
    assert_eq!(e.in_packages.packages[0].name, "unified-monitoring-agent");
    assert_eq!(e.out_packages, None);
    let ids: Vec<u64> = f.events.iter().map(|e| e.id).collect();
    assert_eq!(
        ids.iter().filter(|&&i| (9003..=9086).contains(&i)).count(),
        84
    );
}

#[test]
fn real_repomap_format_1() {
    let m = repomap::load(&el8().join("repomap.json"), "almalinux").unwrap();
    assert_eq!(m.format_version, "1.2.0");
    assert_eq!(m.mappings.len(), 17);
    assert_eq!(m.repositories.len(), 26);
    assert_eq!(
        m.targets_for("base", 7, 8),
        [
            "almalinux8-baseos",
            "almalinux8-appstream",
            "almalinux8-powertools",
            "almalinux8-ha",
            "almalinux8-resilientstorage",
            "almalinux8-nfv",
            "almalinux8-sap",
            "almalinux8-saphana"
        ]
    );
    assert_eq!(m.targets_for("extras", 7, 8), ["almalinux8-extras"]);
    assert!(m.targets_for("extras", 8, 9).is_empty());
    assert!(m.targets_for("nonexistent", 7, 8).is_empty());
    assert_eq!(
        m.repoids_for("almalinux8-baseos", 8, "x86_64"),
        ["almalinux8-baseos"]
    );
    assert!(m.repoids_for("almalinux8-baseos", 8, "aarch64").is_empty());
    assert_eq!(m.repoids_for("centos7-els", 7, "x86_64"), ["centos7-els"]);
}

#[test]
fn real_repomap_format_2_upstream() {
    let path = data().join("repomap.upstream.json");
    let alma = repomap::load(&path, "almalinux").unwrap();
    assert_eq!(alma.format_version, "2.0.0");
    assert_eq!(alma.provided_data_streams, ["5.0"]);
    assert_eq!(alma.mappings.len(), 27 + 18);
    assert_eq!(alma.repositories.len(), 755);
    assert_eq!(alma.targets_for("rhel8-BaseOS", 8, 9), ["rhel9-BaseOS"]);
    assert_eq!(alma.targets_for("rhel9-BaseOS", 9, 10), ["rhel10-BaseOS"]);
    assert_eq!(
        alma.targets_for("rhel8-Advanced-Virt-CRB", 8, 9),
        ["rhel9-CRB"]
    );
    assert_eq!(alma.repoids_for("rhel9-BaseOS", 9, "x86_64"), ["baseos"]);
    assert_eq!(alma.repoids_for("rhel9-CRB", 9, "x86_64"), ["crb"]);
    assert_eq!(alma.repoids_for("rhel10-BaseOS", 10, "s390x"), ["baseos"]);
    let rhel = repomap::load(&path, "rhel").unwrap();
    assert_eq!(
        rhel.repoids_for("rhel9-BaseOS", 9, "x86_64"),
        [
            "rhel-9-for-x86_64-baseos-aus-rpms",
            "rhel-9-for-x86_64-baseos-beta-rpms",
            "rhel-9-for-x86_64-baseos-e4s-rpms",
            "rhel-9-for-x86_64-baseos-eus-rpms",
            "rhel-9-for-x86_64-baseos-rpms"
        ]
    );
    let rhui = rhel.entries_for("rhel9-BaseOS", 9, "x86_64");
    assert!(
        rhui.iter()
            .all(|e| e.rhui.is_none() && e.distro.as_deref() == Some("rhel"))
    );
    assert_eq!(
        rhel.repositories
            .iter()
            .filter(|e| e.rhui.is_some())
            .count(),
        191
    );
}

#[test]
fn real_vendors_d() {
    let set = vendors::load(&el8().join("vendors.d"), "almalinux").unwrap();
    let names: Vec<&str> = set.vendors.keys().map(String::as_str).collect();
    assert_eq!(
        names,
        [
            "epel",
            "imunify",
            "kernelcare",
            "mariadb",
            "nginx-mainline",
            "nginx-stable",
            "postgresql"
        ]
    );
    let epel = &set.vendors["epel"];
    assert!(epel.map.is_none() && epel.pes.is_none());
    assert_eq!(epel.sigs.as_ref().unwrap().1.len(), 4);
    assert!(set.vendors["imunify"].sigs.is_none());
    let maria = &set.vendors["mariadb"];
    let (_, map) = maria.map.as_ref().unwrap();
    assert_eq!(map.targets_for("mariadb-main", 7, 8), ["el8-mariadb-main"]);
    assert_eq!(
        map.repoids_for("el8-mariadb-tools", 8, "x86_64"),
        ["el8-mariadb-tools"]
    );
    let (_, p) = maria.pes.as_ref().unwrap();
    assert_eq!(p.events.len(), 1);
    let e = &p.events[0];
    assert_eq!((e.id, e.action), (12691, Action::Replaced));
    assert_eq!(e.in_packages.packages[0].name, "percona-xtrabackup");
    assert_eq!(e.out_package_list()[0].name, "MariaDB-backup");
    assert_eq!(
        maria.sigs.as_ref().unwrap().1,
        ["ce1a3dd5e3c94f49", "f1656f24c74cd1d8"]
    );
    let (_, repo) = maria.repo.as_ref().unwrap();
    let ids: Vec<&str> = repo.sections.iter().map(|s| s.id.as_str()).collect();
    assert_eq!(
        ids,
        [
            "el8-mariadb-main",
            "el8-mariadb-maxscale",
            "el8-mariadb-tools"
        ]
    );
    let main = repo.section("el8-mariadb-main").unwrap();
    assert_eq!(
        main.baseurl,
        ["https://dlm.mariadb.com/repo/mariadb-server/11/yum/rhel/8/$basearch"]
    );
    assert!(main.enabled);
    assert_eq!(main.gpgcheck, Some(true));
    assert_eq!(main.options["module_hotfixes"], "true");
    for v in set.vendors.values().filter(|v| v.name != "mariadb") {
        if let Some((_, p)) = &v.pes {
            assert!(p.events.is_empty(), "{}", v.name);
        }
    }
    let kc = &set.vendors["kernelcare"];
    assert_eq!(kc.sigs.as_ref().unwrap().1, ["6dc3d600cdef74bb"]);
}

#[test]
fn real_upgrade_repositories_repo_file() {
    let f = repofile::load(&el8().join("leapp_upgrade_repositories.repo")).unwrap();
    assert!(f.section("almalinux8-baseos").is_some());
    assert!(
        f.sections
            .iter()
            .all(|s| !s.baseurl.is_empty() || s.mirrorlist.is_some())
    );
}

#[test]
fn real_data_set_check() {
    let set = DataSet::load_leapp_files(&el8(), "almalinux").unwrap();
    assert_eq!(set.pes.len(), 1 + 6);
    assert_eq!(set.repomaps.len(), 1 + 6);
    let problems = set.check();
    let mut kinds: BTreeMap<DataSetProblemKind, usize> = BTreeMap::new();
    for p in &problems {
        *kinds.entry(p.kind).or_default() += 1;
    }
    let expected = [
        (DataSetProblemKind::DuplicateEventId, 1),
        (DataSetProblemKind::ConflictingSetId, 84),
        (DataSetProblemKind::UnknownPesid, 26),
        (DataSetProblemKind::MissingOutPackages, 1),
    ];
    assert_eq!(kinds, expected.into_iter().collect(), "{problems:#?}");
    let main = el8().join("pes-events.json");

    let dup: Vec<_> = problems
        .iter()
        .filter(|p| p.kind == DataSetProblemKind::DuplicateEventId)
        .collect();
    assert_eq!(dup[0].file, main);
    assert_eq!(dup[0].location, "packageinfo[2371] (id 9942)");
    assert!(
        dup[0].message.contains("packageinfo[1671]"),
        "{}",
        dup[0].message
    );

    let moved: Vec<_> = problems
        .iter()
        .filter(|p| p.kind == DataSetProblemKind::MissingOutPackages)
        .collect();
    assert_eq!(moved[0].location, "packageinfo[749] (id 750)");
    assert!(moved[0].message.contains("Moved"));

    // 84 conflicting uses of 83 distinct set ids; e.g. set_id 13 is both {chrony, ntpstat}
    // (event 4) and {ghostscript-fonts} (event 10).
    let sets: std::collections::BTreeSet<&str> = problems
        .iter()
        .filter(|p| p.kind == DataSetProblemKind::ConflictingSetId)
        .map(|p| p.message.split_whitespace().nth(2).unwrap())
        .collect();
    assert_eq!(sets.len(), 83);
    let first = problems
        .iter()
        .find(|p| p.kind == DataSetProblemKind::ConflictingSetId)
        .unwrap();
    assert_eq!(first.location, "packageinfo[9] (id 10)");
    assert!(first.message.contains("set_id 13") && first.message.contains("ntpstat"));

    let mut unknown: BTreeMap<String, usize> = BTreeMap::new();
    for p in problems
        .iter()
        .filter(|p| p.kind == DataSetProblemKind::UnknownPesid)
    {
        let pesid = p.message.split('"').nth(1).unwrap().to_string();
        *unknown.entry(pesid).or_default() += 1;
    }
    let expected = [
        ("all-mariadb-main", 1),
        ("almalinux9-baseos", 1),
        ("ol7_MySQL80", 1),
        ("ol8-uek", 1),
        ("repos", 2),
        ("sl", 20),
    ];
    let expected: BTreeMap<String, usize> = expected
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
    assert_eq!(unknown, expected);
    let maria = problems
        .iter()
        .find(|p| p.message.contains("all-mariadb-main"))
        .unwrap();
    assert_eq!(maria.file, el8().join("vendors.d/mariadb_pes.json"));
    assert_eq!(maria.location, "packageinfo[0] (id 12691)");
    assert!(
        maria
            .to_string()
            .starts_with(&maria.file.display().to_string())
    );
}

#[test]
fn real_el9_data_set() {
    let dir = data().join("files-installed-for-almalinux-9");
    let set = DataSet::load_leapp_files(&dir, "almalinux").unwrap();
    let map = &set.repomaps[0].1;
    assert_eq!(map.format_version, "1.2.0");
    assert_eq!(map.mappings.len(), 10);
    assert_eq!(map.targets_for("powertools", 8, 9), ["almalinux9-crb"]);
    assert_eq!(map.targets_for("baseos", 8, 9), ["almalinux9-baseos"]);
    assert_eq!(set.pes[0].1.events.len(), 2381);
    let problems = set.check();
    let mut kinds: BTreeMap<DataSetProblemKind, usize> = BTreeMap::new();
    let mut unknown: BTreeMap<String, usize> = BTreeMap::new();
    for p in &problems {
        *kinds.entry(p.kind).or_default() += 1;
        if p.kind == DataSetProblemKind::UnknownPesid {
            *unknown
                .entry(p.message.split('"').nth(1).unwrap().to_string())
                .or_default() += 1;
        }
    }
    // The el9 host carries the same pes-events.json (7->8 data, PESIDs `base`,
    // `almalinux8-*`) but an 8->9 repomap whose PESIDs are `baseos`, `appstream`, ...: almost
    // every package repository is unknown to it.
    let expected_kinds = [
        (DataSetProblemKind::DuplicateEventId, 1),
        (DataSetProblemKind::ConflictingSetId, 84),
        (DataSetProblemKind::UnknownPesid, 3712),
        (DataSetProblemKind::MissingOutPackages, 1),
    ];
    assert_eq!(kinds, expected_kinds.into_iter().collect());
    let expected_unknown = [
        ("all-mariadb-main", 1),
        ("almalinux8-appstream", 1085),
        ("almalinux8-baseos", 216),
        ("almalinux8-powertools", 127),
        ("base", 2259),
        ("ol7_MySQL80", 1),
        ("ol8-uek", 1),
        ("repos", 2),
        ("sl", 20),
    ];
    let expected_unknown: BTreeMap<String, usize> = expected_unknown
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
    assert_eq!(unknown, expected_unknown);
}
