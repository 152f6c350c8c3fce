//! `migration-data/testkit/` must describe exactly what the testkit builds: releases,
//! repositories, keys, vendors, and events for every evolution gap of the small set.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::sync::Arc;

use leapfrog_migration_data::data::{MigrationData, RpmdbBackend};
use leapfrog_testkit::catalog::{CatalogContext, small_set};
use leapfrog_testkit::release::{self, Release, RpmdbBackend as TkBackend};
use leapfrog_testkit::spec::{PackageSpec, Signing};

fn data() -> MigrationData {
    let d = MigrationData::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("testkit")).unwrap();
    assert!(d.check().is_empty(), "{:#?}", d.check());
    d
}

fn packages(rel: &Release) -> Vec<PackageSpec> {
    let cx = CatalogContext {
        busybox: Arc::new(b"\x7fELF".to_vec()),
        world_var: "$testkit_world",
        public_keys: BTreeMap::new(),
    };
    small_set(rel, &cx)
}

fn release_of(distro: &str, major: u32) -> Release {
    release::all()
        .into_iter()
        .find(|r| r.distro == distro && r.major == major)
        .unwrap_or_else(|| panic!("the testkit has no {distro} {major}"))
}

#[test]
fn distributions_match_the_testkit_releases() {
    let d = data();
    let majors: usize = d.distributions.iter().map(|x| x.majors.len()).sum();
    assert_eq!(
        majors,
        release::all().len(),
        "one data major per testkit release"
    );
    for rel in release::all() {
        let dist = d.distribution(rel.distro).unwrap();
        assert_eq!(dist.vendor.as_deref(), Some(rel.vendor), "{}", rel.id);
        let m = dist.major(rel.major).unwrap();
        assert_eq!(m.minors, [rel.minor], "{}", rel.id);
        assert_eq!(m.os_release_ids, [rel.os_id], "{}", rel.id);
        assert_eq!(m.platform_id, rel.platform_id(), "{}", rel.id);
        assert_eq!(m.release_package, rel.release_package.0, "{}", rel.id);
        assert_eq!(
            m.logos_package.as_deref(),
            Some(rel.logos_package.0),
            "{}",
            rel.id
        );
        assert_eq!(m.keys.len(), 1);
        assert_eq!(m.keys[0].file, rel.key.file, "{}", rel.id);
        assert_eq!(m.rpmdb.path, rel.dbpath, "{}", rel.id);
        let backend = match rel.native_rpmdb {
            TkBackend::BerkeleyDb => RpmdbBackend::Bdb,
            TkBackend::Sqlite => RpmdbBackend::Sqlite,
        };
        assert_eq!(m.rpmdb.backend, backend, "{}", rel.id);
        let ids: Vec<_> = m.repositories.iter().map(|r| r.id.as_str()).collect();
        let tk: Vec<_> = rel.repos.iter().map(|r| r.id).collect();
        assert_eq!(ids, tk, "{}", rel.id);
        for (r, t) in m.repositories.iter().zip(&rel.repos) {
            assert_eq!(r.name, t.name, "{}", rel.id);
            assert_eq!(
                (r.enabled, r.modular, r.file.as_deref()),
                (t.enabled, t.modular, Some(t.file)),
                "{} {}",
                rel.id,
                r.id
            );
            assert_eq!(
                r.baseurl.as_deref(),
                Some(format!("$testkit_world/{}/{}/", rel.id, r.id).as_str())
            );
            assert_eq!(r.gpgkey.as_deref(), Some(rel.key.file.as_str()));
        }
    }
}

#[test]
fn vendors_match_the_world_repositories() {
    let d = data();
    for rel in release::all() {
        let specs = packages(&rel);
        let dist = d
            .distribution(rel.distro)
            .unwrap()
            .major(rel.major)
            .unwrap();
        let repos: BTreeSet<&str> = specs.iter().map(|p| p.repo.as_str()).collect();
        let mut known: BTreeSet<&str> = dist.repositories.iter().map(|r| r.id.as_str()).collect();
        for v in &d.vendors {
            let vm = v
                .majors
                .iter()
                .find(|m| m.major == rel.major)
                .unwrap_or_else(|| panic!("vendor {} lacks major {}", v.id, rel.major));
            for r in &vm.repositories {
                assert!(repos.contains(r.as_str()), "{}: no packages in {r}", rel.id);
                known.insert(r);
                for p in specs.iter().filter(|p| &p.repo == r) {
                    match &p.signing {
                        Signing::Unsigned => assert!(!v.signed, "{} is unsigned", p.name),
                        Signing::Key(k) => assert!(
                            vm.keys.iter().any(|key| &key.file == k),
                            "{}: {} signed with {k}, not declared for vendor {}",
                            rel.id,
                            p.name,
                            v.id
                        ),
                    }
                    if !v.vendor_tags.is_empty() {
                        assert!(v.vendor_tags.contains(&p.vendor), "{}: {}", rel.id, p.name);
                    }
                }
            }
        }
        assert!(
            repos.is_subset(&known),
            "{}: every repository of the world is described: {repos:?} / {known:?}",
            rel.id
        );
        // vendor tags identify the vendor's packages only
        for p in &specs {
            if let Some(v) = d.vendor_by_tag(&p.vendor) {
                assert!(
                    v.is_source_repo(&p.repo) || p.name.ends_with("-release"),
                    "{}: {} in {} carries {}'s tag",
                    rel.id,
                    p.name,
                    p.repo,
                    v.id
                );
            }
        }
    }
}

/// The family of repository `repo` of `rel` (the id for vendor repositories).
fn family<'a>(d: &'a MigrationData, rel: &Release, repo: &'a str) -> &'a str {
    d.distribution(rel.distro)
        .and_then(|x| x.major(rel.major))
        .and_then(|m| m.repository(repo))
        .map_or(repo, |r| r.family())
}

#[test]
fn every_event_package_exists_in_the_world() {
    let d = data();
    let all: Vec<(Release, Vec<PackageSpec>)> = release::all()
        .into_iter()
        .map(|r| {
            let p = packages(&r);
            (r, p)
        })
        .collect();
    let found = |major: u32, p: &leapfrog_migration_data::data::EventPackage| {
        all.iter()
            .filter(|(r, _)| r.major == major)
            .any(|(r, specs)| {
                specs.iter().any(|s| {
                    s.name == p.name
                        && family(&d, r, &s.repo) == p.repo
                        && p.module.as_deref().is_none_or(|m| {
                            s.module
                                .as_ref()
                                .is_some_and(|ms| format!("{}:{}", ms.name, ms.stream) == m)
                        })
                })
            })
    };
    let mut n = 0;
    for e in d.all_events() {
        let in_major = e.initial_release.map_or(e.release.major - 1, |r| r.major);
        for p in &e.in_packages {
            assert!(
                found(in_major, p),
                "{}: {} not in any EL{in_major} release in family {}",
                e.id,
                p.name,
                p.repo
            );
            n += 1;
        }
        for p in &e.out_packages {
            assert!(
                found(e.release.major, p),
                "{}: {} not in any EL{} release in family {}",
                e.id,
                p.name,
                e.release.major,
                p.repo
            );
            assert!(
                !all.iter()
                    .filter(|(r, _)| r.major == in_major)
                    .any(|(_, s)| s.iter().any(|s| s.name == p.name)
                        && !e.in_packages.iter().any(|i| i.name == p.name)),
                "{}: {} already exists before the event",
                e.id,
                p.name
            );
        }
    }
    assert!(n >= 12, "{n} in-packages checked");
}

/// For every upgrade path (not conversions) of `d`: the distribution packages of the source
/// that the target lacks and no target package obsoletes, and those of them no event of the
/// path names as in-package.
fn gaps(d: &MigrationData) -> Vec<(String, BTreeSet<String>, Vec<String>)> {
    let mut out = Vec::new();
    for p in d.paths.iter().filter(|p| p.to_major > p.from_major) {
        let src = release_of(&p.from, p.from_major);
        let dst = release_of(&p.to, p.to_major);
        let dist_repos: BTreeSet<&str> = src.repos.iter().map(|r| r.id).collect();
        let target = packages(&dst);
        let target_names: BTreeSet<&str> = target.iter().map(|s| s.name.as_str()).collect();
        let obsoleted: BTreeSet<&str> = target
            .iter()
            .flat_map(|s| s.obsoletes.iter().map(|o| o.name.as_str()))
            .collect();
        let events = d.pes_events(p.from_major, p.to_major);
        let covered: BTreeSet<&str> = events
            .iter()
            .flat_map(|e| e.in_packages.packages.iter().map(|x| x.name.as_str()))
            .collect();
        // The release and logos packages are swapped by the upgrade itself, not by events.
        let swapped = d
            .distribution(&p.from)
            .and_then(|x| x.major(p.from_major))
            .unwrap();
        let mut gaps = BTreeSet::new();
        for s in packages(&src) {
            if s.name == swapped.release_package || Some(&s.name) == swapped.logos_package.as_ref()
            {
                continue;
            }
            if dist_repos.contains(s.repo.as_str())
                && !target_names.contains(s.name.as_str())
                && !obsoleted.contains(s.name.as_str())
            {
                gaps.insert(s.name.clone());
            }
        }
        let missing = gaps
            .iter()
            .filter(|g| !covered.contains(g.as_str()))
            .cloned()
            .collect();
        out.push((format!("{} -> {}", src.id, dst.id), gaps, missing));
    }
    out
}

#[test]
fn every_gap_of_the_small_set_has_an_event() {
    let d = data();
    let mut checked = 0;
    for (path, gaps, missing) in gaps(&d) {
        assert!(missing.is_empty(), "{path}: no event for {missing:?}");
        assert!(!gaps.is_empty(), "{path} has gaps to check");
        checked += gaps.len();
    }
    assert!(checked >= 20, "{checked}");
}

#[test]
fn a_missing_event_is_detected() {
    // The agreement check must be able to fail: without the dhclient and network-scripts
    // events their gaps are reported on every path they concern.
    let mut d = data();
    d.events
        .retain(|e| e.id != "tk8-dhclient-renamed" && e.id != "tk9-network-scripts-removed");
    let report = gaps(&d);
    let missing = |path: &str| {
        report
            .iter()
            .find(|(p, _, _)| p == path)
            .map(|(_, _, m)| m.clone())
            .unwrap()
    };
    assert_eq!(missing("centos-7.9 -> almalinux-8.10"), ["dhclient"]);
    assert_eq!(missing("centos-7.9 -> oraclelinux-8.10"), ["dhclient"]);
    assert_eq!(
        missing("almalinux-8.10 -> almalinux-9.6"),
        ["network-scripts"]
    );
    assert!(missing("almalinux-9.6 -> almalinux-10.0").is_empty());
}
