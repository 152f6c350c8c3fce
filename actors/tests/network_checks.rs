//! Network-domain checks on synthetic roots: NIC naming, legacy ifcfg configuration, teaming.

mod common;

use common::*;
use leapfrog_actors::host::{HostFacts, NetInterface};

const ACTORS: &[&str] = &["nic_names_check", "ifcfg_check", "team_devices_check"];

fn nic(name: &str, mac: &str, physical: bool) -> NetInterface {
    NetInterface {
        name: name.into(),
        mac: Some(mac.into()),
        driver: Some("e1000e".into()),
        physical,
    }
}

fn host_with(release: &str, nics: Vec<NetInterface>) -> HostFacts {
    HostFacts {
        network_interfaces: nics,
        ..healthy_host(release)
    }
}

#[test]
fn pristine_roots_have_only_the_expected_network_findings() {
    for (release, expected) in [
        ("centos-7.9", &[][..]),
        // The testkit writes an NM-style ifcfg-eth0: still read on EL9, migration advised.
        ("almalinux-8.10", &["network.ifcfg-migration"][..]),
        ("rocky-8.10", &["network.ifcfg-migration"][..]),
        // EL9 roots use a NetworkManager keyfile, as EL9 installers write.
        ("almalinux-9.6", &[][..]),
        ("almalinux-10.0", &[][..]),
    ] {
        let a = assess(&pristine(release), release);
        let mut mine: Vec<&str> = a
            .findings
            .iter()
            .filter(|f| ACTORS.contains(&f.actor.as_str()))
            .map(|f| f.key.as_str())
            .collect();
        mine.sort();
        assert_eq!(mine, expected, "{release}");
        assert!(
            a.runs.iter().all(|r| r.error.is_none()),
            "{release}: {:?}",
            a.runs
        );
    }
}

#[test]
fn several_physical_nics_with_kernel_names_inhibit() {
    let host = host_with(
        "almalinux-8.10",
        vec![
            nic("eth0", "52:54:00:00:00:01", true),
            nic("eth1", "52:54:00:00:00:02", true),
            nic("lo", "00:00:00:00:00:00", false),
        ],
    );
    let a = assess_with(&pristine("almalinux-8.10"), host, None, &[]);
    let f = one(
        &a,
        "network.kernel-nic-names",
        &["eth0", "eth1", "52:54:00:00:00:02"],
    );
    let hint = &f.remediation.as_ref().unwrap().hint;
    assert!(
        hint.contains("MACAddress=52:54:00:00:00:01") && hint.contains(".link"),
        "{hint}"
    );
    assert!(f.related.iter().any(|r| r.title == "eth1"));

    // A kernel name next to a predictable one is just as unstable.
    let host = host_with(
        "almalinux-8.10",
        vec![
            nic("eth0", "52:54:00:00:00:01", true),
            nic("ens4", "52:54:00:00:00:02", true),
        ],
    );
    let a = assess_with(&pristine("almalinux-8.10"), host, None, &[]);
    one(&a, "network.kernel-nic-names", &["eth0"]);
}

#[test]
fn a_single_eth0_or_predictable_names_do_not_inhibit() {
    for nics in [
        vec![nic("eth0", "52:54:00:00:00:01", true)],
        // eth1 is virtual (no device): only one physical NIC.
        vec![
            nic("eth0", "52:54:00:00:00:01", true),
            nic("eth1", "52:54:00:00:00:02", false),
        ],
        vec![
            nic("ens3", "52:54:00:00:00:01", true),
            nic("ens4", "52:54:00:00:00:02", true),
        ],
    ] {
        let a = assess_with(
            &pristine("almalinux-8.10"),
            host_with("almalinux-8.10", nics.clone()),
            None,
            &[],
        );
        absent(&a, "network.kernel-nic-names");
    }
    // Unknown host facts: nothing is guessed.
    let a = assess_with(&pristine("almalinux-8.10"), HostFacts::default(), None, &[]);
    absent(&a, "network.kernel-nic-names");
}

#[test]
fn nm_controlled_no_is_a_legacy_inhibitor_for_el9() {
    let root = sandbox("almalinux-8.10");
    write(
        &root,
        "/etc/sysconfig/network-scripts/ifcfg-eth1",
        "DEVICE=eth1\nTYPE=Ethernet\nBOOTPROTO=none\nIPADDR=192.0.2.10\nNM_CONTROLLED=\"no\"\n",
    );
    let a = assess(&root, "almalinux-8.10");
    let f = one(
        &a,
        "network.ifcfg-legacy",
        &[
            "/etc/sysconfig/network-scripts/ifcfg-eth1",
            "NM_CONTROLLED=no",
        ],
    );
    let cmd = command(f);
    assert_eq!(cmd[..2], ["sed", "-i"]);
    assert_eq!(
        cmd.last().unwrap(),
        "/etc/sysconfig/network-scripts/ifcfg-eth1"
    );
    // ifcfg-eth0 is NetworkManager's and only gets the migration advice.
    let m = one(&a, "network.ifcfg-migration", &["ifcfg-eth0"]);
    assert!(!m.summary.contains("ifcfg-eth1"), "{}", m.summary);

    // The same file managed by NetworkManager is fine.
    let root = sandbox("almalinux-8.10");
    write(
        &root,
        "/etc/sysconfig/network-scripts/ifcfg-eth1",
        "DEVICE=eth1\nTYPE=Ethernet\nBOOTPROTO=none\nIPADDR=192.0.2.10\nNM_CONTROLLED=yes\n",
    );
    let a = assess(&root, "almalinux-8.10");
    absent(&a, "network.ifcfg-legacy");
    one(&a, "network.ifcfg-migration", &["ifcfg-eth1"]);

    // Upgrading to EL8, network-scripts still exists: nothing to say.
    let root = sandbox("centos-7.9");
    write(
        &root,
        "/etc/sysconfig/network-scripts/ifcfg-eth1",
        "DEVICE=eth1\nTYPE=Ethernet\nNM_CONTROLLED=no\n",
    );
    let a = assess(&root, "centos-7.9");
    absent(&a, "network.ifcfg-legacy");
    absent(&a, "network.ifcfg-migration");
}

#[test]
fn enabled_legacy_network_service_and_hooks_are_legacy_inhibitors() {
    let root = sandbox("almalinux-8.10");
    write(&root, "/etc/rc.d/init.d/network", "#!/bin/sh\n");
    std::fs::create_dir_all(root.join("etc/rc.d/rc3.d")).unwrap();
    std::os::unix::fs::symlink("../init.d/network", root.join("etc/rc.d/rc3.d/S10network"))
        .unwrap();
    let a = assess(&root, "almalinux-8.10");
    one(
        &a,
        "network.ifcfg-legacy",
        &["network-scripts", "/etc/rc.d/rc3.d/S10network"],
    );

    // A stop link only (the service is disabled) is not a use.
    let root = sandbox("almalinux-8.10");
    write(&root, "/etc/rc.d/init.d/network", "#!/bin/sh\n");
    std::fs::create_dir_all(root.join("etc/rc.d/rc3.d")).unwrap();
    std::os::unix::fs::symlink("../init.d/network", root.join("etc/rc.d/rc3.d/K90network"))
        .unwrap();
    let a = assess(&root, "almalinux-8.10");
    absent(&a, "network.ifcfg-legacy");

    let root = sandbox("almalinux-8.10");
    write(
        &root,
        "/sbin/ifup-local",
        "#!/bin/sh\nip route add 198.51.100.0/24 dev eth0\n",
    );
    let a = assess(&root, "almalinux-8.10");
    one(&a, "network.ifcfg-legacy", &["/sbin/ifup-local"]);

    // A hook under another name is not run by network-scripts either way.
    let root = sandbox("almalinux-8.10");
    write(&root, "/sbin/ifup-local.disabled", "#!/bin/sh\n");
    let a = assess(&root, "almalinux-8.10");
    absent(&a, "network.ifcfg-legacy");
}

#[test]
fn ifcfg_files_are_not_read_on_el10() {
    let root = sandbox("almalinux-9.6");
    write(
        &root,
        "/etc/sysconfig/network-scripts/ifcfg-eth0",
        "TYPE=Ethernet\nBOOTPROTO=dhcp\nNAME=eth0\nDEVICE=eth0\nONBOOT=yes\n",
    );
    write(
        &root,
        "/etc/sysconfig/network-scripts/rule-eth0",
        "from 192.0.2.0/24 table 10\n",
    );
    let a = assess(&root, "almalinux-9.6");
    let f = one(
        &a,
        "network.ifcfg-unsupported",
        &[
            "/etc/sysconfig/network-scripts/ifcfg-eth0",
            "rule-eth0",
            "EL10",
        ],
    );
    assert_eq!(command(f), ["nmcli", "connection", "migrate"]);

    // Migrated to a keyfile: nothing left to read.
    let root = sandbox("almalinux-9.6");
    let _ = std::fs::remove_file(root.join("etc/sysconfig/network-scripts/ifcfg-eth0"));
    write(
        &root,
        "/etc/NetworkManager/system-connections/eth0.nmconnection",
        "[connection]\nid=eth0\ntype=ethernet\ninterface-name=eth0\n\n[ipv4]\nmethod=auto\n",
    );
    let a = assess(&root, "almalinux-9.6");
    absent(&a, "network.ifcfg-unsupported");
}

#[test]
fn nm_managed_ifcfg_files_get_the_migration_advice_for_el9() {
    let a = assess(&pristine("rocky-8.10"), "rocky-8.10");
    let f = one(
        &a,
        "network.ifcfg-migration",
        &["/etc/sysconfig/network-scripts/ifcfg-eth0"],
    );
    assert_eq!(command(f), ["nmcli", "connection", "migrate"]);
    assert!(f.remediation.as_ref().unwrap().hint.contains("EL9"));

    let root = sandbox("almalinux-8.10");
    std::fs::remove_file(root.join("etc/sysconfig/network-scripts/ifcfg-eth0")).unwrap();
    let a = assess(&root, "almalinux-8.10");
    absent(&a, "network.ifcfg-migration");
}

#[test]
fn teams_are_deprecated_for_el9_and_removed_for_el10() {
    let root = sandbox("almalinux-8.10");
    write(
        &root,
        "/etc/sysconfig/network-scripts/ifcfg-team0",
        "DEVICE=team0\nDEVICETYPE=Team\nTEAM_CONFIG='{\"runner\": {\"name\": \"activebackup\"}}'\n",
    );
    write(
        &root,
        "/etc/sysconfig/network-scripts/ifcfg-team0-port1",
        "DEVICE=eth1\nDEVICETYPE=TeamPort\nTEAM_MASTER=team0\n",
    );
    let a = assess(&root, "almalinux-8.10");
    let f = one(
        &a,
        "network.team-deprecated",
        &["ifcfg-team0", "team device team0", "team port eth1"],
    );
    assert!(f.remediation.as_ref().unwrap().hint.contains("team2bond"));
    absent(&a, "network.team-removed");

    let root = sandbox("almalinux-9.6");
    write(
        &root,
        "/etc/NetworkManager/system-connections/team0.nmconnection",
        "[connection]\nid=team-team0\ntype=team\ninterface-name=team0\n\n[team]\nconfig={\"runner\": {\"name\": \"lacp\"}}\n",
    );
    write(
        &root,
        "/etc/NetworkManager/system-connections/team0-port1.nmconnection",
        "[connection]\nid=team0-port1\ntype=ethernet\ninterface-name=ens4\nport-type=team\ncontroller=team0\n",
    );
    let a = assess(&root, "almalinux-9.6");
    one(
        &a,
        "network.team-removed",
        &["team0.nmconnection", "team0-port1.nmconnection", "EL10"],
    );
    absent(&a, "network.team-deprecated");
}

#[test]
fn bonds_are_not_teams() {
    let root = sandbox("almalinux-9.6");
    write(
        &root,
        "/etc/NetworkManager/system-connections/bond0.nmconnection",
        "[connection]\nid=bond0\ntype=bond\ninterface-name=bond0\n\n[bond]\nmode=active-backup\n",
    );
    write(
        &root,
        "/etc/NetworkManager/system-connections/bond0-port1.nmconnection",
        "[connection]\nid=bond0-port1\ntype=ethernet\ninterface-name=ens4\nport-type=bond\ncontroller=bond0\n",
    );
    let a = assess(&root, "almalinux-9.6");
    absent(&a, "network.team-removed");
    let root = sandbox("almalinux-8.10");
    write(
        &root,
        "/etc/sysconfig/network-scripts/ifcfg-bond0",
        "DEVICE=bond0\nTYPE=Bond\nBONDING_MASTER=yes\n",
    );
    let a = assess(&root, "almalinux-8.10");
    absent(&a, "network.team-deprecated");
}
