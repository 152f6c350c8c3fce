//! `leapfrog inventory` on installed roots built by the testkit: what leapfrog reads through
//! librpm must match what the real rpm installed, for sqlite and BerkeleyDB databases alike.

mod common;

use leapfrog_testkit::root::{self, RootOptions};
use leapfrog_testkit::world::WorldManifest;
use serde_json::Value;

use common::*;

fn check(release: &str, bdb: bool) {
    let w = world(&["centos-7.9", "almalinux-8.10", "almalinux-10.0"]);
    let dir = scratch().join(format!("{release}-{bdb}"));
    let mut o = RootOptions::new(&w, release, &dir);
    o.bdb = bdb;
    let report = root::build_root(&o).unwrap();
    let inv = json(&ok(&dir, &["--json", "inventory"]));
    let rel = leapfrog_testkit::release::by_id(release).unwrap();

    assert_eq!(inv["os_release"]["id"], rel.os_id);
    assert_eq!(inv["os_release"]["version_id"], rel.version_id);
    assert_eq!(inv["rpmdb"]["dbpath"], rel.dbpath);
    assert_eq!(
        inv["rpmdb"]["backend"],
        if bdb { "bdb_ro" } else { "sqlite" }
    );

    let mut seen: Vec<String> = inv["packages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["name"] != "gpg-pubkey")
        .map(|p| {
            format!(
                "{}-{}-{}.{}",
                p["name"].as_str().unwrap(),
                p["version"].as_str().unwrap(),
                p["release"].as_str().unwrap(),
                p["arch"].as_str().unwrap()
            )
        })
        .collect();
    seen.sort();
    assert_eq!(
        seen, report.installed,
        "{release}: leapfrog and rpm disagree"
    );

    // distribution packages carry the release key id, the unsigned agent none
    let manifest = WorldManifest::load(&w).unwrap();
    let key = &manifest.release(release).unwrap().key.key_id;
    let by_name = |n: &str| {
        inv["packages"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["name"] == n)
            .unwrap()
            .clone()
    };
    assert_eq!(by_name("bash")["signature_key_id"], key.as_str());
    assert_eq!(by_name("acme-agent")["signature_key_id"], Value::Null);
    assert_eq!(
        inv["kernels"].as_array().unwrap().len(),
        2,
        "{release}: two installed kernels"
    );
    assert!(
        inv["repositories"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["id"] == "epel" && r["enabled"] == true)
    );
    assert_eq!(
        inv["problems"].as_array().unwrap().len(),
        0,
        "{:?}",
        inv["problems"]
    );
}

#[test]
fn inventory_matches_rpm_on_a_centos7_bdb_root() {
    check("centos-7.9", true);
}

#[test]
fn inventory_matches_rpm_on_an_almalinux8_root() {
    check("almalinux-8.10", false);
}

#[test]
fn inventory_matches_rpm_on_an_el10_root_with_the_usr_rpmdb() {
    check("almalinux-10.0", false);
}
