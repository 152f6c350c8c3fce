//! System-domain checks on synthetic roots: containers, control panels, leapp leftovers,
//! database servers, and the host environment.

mod common;

use common::*;
use leapfrog_actors::finding::Finding;
use leapfrog_actors::host::HostFacts;

const ACTORS: &[&str] = &[
    "container_check",
    "control_panel_check",
    "leapp_leftovers_check",
    "database_servers_check",
    "virtualization_info_check",
    "host_facts_check",
];

fn hint(f: &Finding) -> &str {
    f.remediation.as_ref().map_or("", |r| r.hint.as_str())
}

#[test]
fn pristine_roots_only_record_the_environment() {
    for release in [
        "centos-7.9",
        "almalinux-8.10",
        "rocky-8.10",
        "almalinux-9.6",
        "almalinux-10.0",
    ] {
        let a = assess(&pristine(release), release);
        let mine: Vec<&str> = a
            .findings
            .iter()
            .filter(|f| ACTORS.contains(&f.actor.as_str()))
            .map(|f| f.key.as_str())
            .collect();
        assert_eq!(mine, ["system.virtualization"], "{release}");
    }
}

#[test]
fn running_in_a_container_inhibits() {
    let mut host = healthy_host("almalinux-9.6");
    host.container = Some("podman".into());
    let a = assess_with(&pristine("almalinux-9.6"), host, None, &[]);
    one(&a, "system.in-container", &["podman"]);
    one(&a, "system.virtualization", &["container: podman"]);
}

#[test]
fn no_container_or_unknown_host_does_not_inhibit() {
    let a = assess(&pristine("almalinux-9.6"), "almalinux-9.6");
    absent(&a, "system.in-container");
    let a = assess_with(&pristine("almalinux-9.6"), HostFacts::default(), None, &[]);
    absent(&a, "system.in-container");
}

#[test]
fn control_panels_inhibit_and_name_their_procedure() {
    let root = sandbox("centos-7.9");
    write(&root, "/usr/local/cpanel/cpanel", "#!/bin/sh\n");
    let a = assess(&root, "centos-7.9");
    let f = one(
        &a,
        "system.control-panel",
        &["cPanel", "/usr/local/cpanel/cpanel"],
    );
    assert!(hint(f).contains("/scripts/elevate-cpanel"), "{}", hint(f));

    let root = sandbox("almalinux-9.6");
    write(
        &root,
        "/usr/local/psa/version",
        "18.0.60 CentOS 7 1800240401.10\n",
    );
    let a = assess(&root, "almalinux-9.6");
    let f = one(&a, "system.control-panel", &["Plesk"]);
    assert!(hint(f).contains("almalinux9to10"), "{}", hint(f));
}

#[test]
fn panel_directories_without_the_panel_do_not_inhibit() {
    let root = sandbox("centos-7.9");
    write(&root, "/usr/local/cpanel/README", "leftover\n");
    write(
        &root,
        "/usr/local/directadmin/conf/directadmin.conf",
        "x=1\n",
    );
    let a = assess(&root, "centos-7.9");
    absent(&a, "system.control-panel");
}

#[test]
fn leapp_leftovers_are_medium() {
    let root = sandbox("almalinux-8.10");
    write(&root, "/var/lib/leapp/leapp.db", "");
    write(
        &root,
        "/etc/leapp/files/device_driver_deprecation_data.json",
        "{}\n",
    );
    let a = assess(&root, "almalinux-8.10");
    let f = one(
        &a,
        "system.leapp-leftovers",
        &["/var/lib/leapp", "/etc/leapp"],
    );
    assert!(!f.blocks());
    let cmd = f.remediation.as_ref().unwrap().command.clone().unwrap();
    assert_eq!(cmd, ["rm", "-rf", "/var/lib/leapp"]);
    assert!(hint(f).contains("/etc/leapfrog/files"), "{}", hint(f));
}

#[test]
fn leapfrog_own_directories_are_not_leftovers() {
    let root = sandbox("almalinux-8.10");
    write(
        &root,
        "/etc/leapfrog/files/device_driver_deprecation_data.json",
        "{}\n",
    );
    write(&root, "/var/lib/leapfrog/state.json", "{}\n");
    let a = assess(&root, "almalinux-8.10");
    absent(&a, "system.leapp-leftovers");
}

#[test]
fn an_initialized_postgresql_cluster_needs_a_major_upgrade() {
    let root = sandbox("almalinux-8.10");
    write(&root, "/var/lib/pgsql/data/PG_VERSION", "10\n");
    let a = assess(&root, "almalinux-8.10");
    let f = one(
        &a,
        "system.database-major-upgrade",
        &[
            "postgresql-server",
            "/var/lib/pgsql/data",
            "PostgreSQL 10",
            "PostgreSQL 13",
        ],
    );
    assert!(
        hint(f).contains("postgresql-setup --upgrade"),
        "{}",
        hint(f)
    );
}

#[test]
fn postgresql_without_data_or_already_on_the_target_version_is_fine() {
    // postgresql-server is installed in every pristine root, with an empty data directory.
    let a = assess(&pristine("almalinux-8.10"), "almalinux-8.10");
    absent(&a, "system.database-major-upgrade");

    // A cluster already on the version EL9 ships (postgresql:13 stream on EL8).
    let root = sandbox("almalinux-8.10");
    write(&root, "/var/lib/pgsql/data/PG_VERSION", "13\n");
    let a = assess(&root, "almalinux-8.10");
    absent(&a, "system.database-major-upgrade");
}

#[test]
fn an_initialized_vendor_mariadb_is_reported() {
    let root = sandbox("almalinux-8.10");
    write(&root, "/var/lib/mysql/mysql/db.frm", "");
    let a = assess(&root, "almalinux-8.10");
    let f = one(
        &a,
        "system.database-major-upgrade",
        &["MariaDB-server", "/var/lib/mysql"],
    );
    assert!(hint(f).contains("mariadb-upgrade"), "{}", hint(f));

    // Without the system database the server was never initialized.
    let root = sandbox("almalinux-8.10");
    write(&root, "/var/lib/mysql/README", "");
    let a = assess(&root, "almalinux-8.10");
    absent(&a, "system.database-major-upgrade");
}

#[test]
fn the_environment_is_recorded_when_host_facts_are_known() {
    let a = assess(&pristine("almalinux-9.6"), "almalinux-9.6");
    one(
        &a,
        "system.virtualization",
        &["QEMU", "x86_64", "BIOS", "ens3"],
    );
    let mut host = healthy_host("almalinux-9.6");
    host.virtualization = Some("Dell Inc.".into());
    host.efi = Some(true);
    let a = assess_with(&pristine("almalinux-9.6"), host, None, &[]);
    one(
        &a,
        "system.virtualization",
        &["physical machine", "Dell Inc.", "UEFI"],
    );
}

#[test]
fn unknown_host_facts_are_reported_and_host_checks_stay_silent() {
    let a = assess_with(&pristine("almalinux-8.10"), HostFacts::default(), None, &[]);
    let f = one(
        &a,
        "system.host-facts-unknown",
        &["running_kernel", "network_interfaces", "container"],
    );
    assert!(hint(f).contains("--host-facts"), "{}", hint(f));
    for key in [
        "system.virtualization",
        "system.in-container",
        "network.kernel-nic-names",
    ] {
        absent(&a, key);
    }
    // Facts from the root itself are still checked.
    assert!(
        !with_key(&a, "network.ifcfg-migration").is_empty(),
        "{:?}",
        keys(&a)
    );

    let a = assess(&pristine("almalinux-8.10"), "almalinux-8.10");
    absent(&a, "system.host-facts-unknown");
}
