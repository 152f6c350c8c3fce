//! Hardware-domain checks (architecture, CPU level, memory, removed drivers and PCI devices) on
//! synthetic roots, with leapp's real device driver deprecation data.

mod common;

use std::path::{Path, PathBuf};

use common::*;
use leapfrog_actors::finding::Severity;
use leapfrog_actors::host::{HostFacts, HostFactsSource, PciDevice};
use leapfrog_actors::runner::Assessment;
use leapfrog_actors::scanners::hardware::parse_driver_data;

const RELEASES: &[&str] = &[
    "centos-7.9",
    "almalinux-8.10",
    "almalinux-9.6",
    "almalinux-10.0",
    "rocky-8.10",
];

const DDDD: &str = "/etc/leapp/files/device_driver_deprecation_data.json";

/// leapp's device driver deprecation data as installed for AlmaLinux 9 upgrades.
fn shared_data() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(
        "../../shared/leapp-data/files-installed-for-almalinux-9/device_driver_deprecation_data.json",
    )
}

fn hw_keys(a: &Assessment) -> Vec<&str> {
    keys(a)
        .into_iter()
        .filter(|k| k.starts_with("hardware."))
        .collect()
}

/// A sandbox of `release` carrying the real data file.
fn with_data(release: &str) -> PathBuf {
    let root = sandbox(release);
    let text = std::fs::read_to_string(shared_data()).unwrap();
    write(&root, DDDD, &text);
    root
}

fn pci(address: &str, vendor: &str, device: &str, driver: Option<&str>) -> PciDevice {
    PciDevice {
        address: address.into(),
        vendor: vendor.into(),
        device: device.into(),
        driver: driver.map(String::from),
    }
}

#[test]
fn pristine_roots_have_no_hardware_findings() {
    for release in RELEASES {
        let a = assess(&pristine(release), release);
        assert!(hw_keys(&a).is_empty(), "{release}: {:?}", hw_keys(&a));
        assert!(
            !keys(&a).contains(&"actor-error.hardware_scanner"),
            "{release}: {:?}",
            keys(&a)
        );
    }
}

#[test]
fn the_shared_data_file_parses() {
    let data = parse_driver_data(&std::fs::read_to_string(shared_data()).unwrap()).unwrap();
    assert!(data.entries.len() > 300);
    assert!(data.streams.iter().any(|s| s == "3.0"));
    // the drivers the tests rely on have the support they are used for
    let driver = |n: &str| {
        data.entries
            .iter()
            .find(|e| e.driver_name == n && e.device_id.is_empty())
            .unwrap()
    };
    assert_eq!(driver("dnet").available_in, [7, 8]);
    assert!(driver("team").available_in.contains(&9) && driver("team").maintained_in.contains(&9));
    assert!(
        driver("e1000").available_in.contains(&9) && !driver("e1000").maintained_in.contains(&9)
    );
    assert_eq!(driver("pata_acpi").available_in, [7]);
}

// --- removed_drivers_check

#[test]
fn driver_removed_in_the_target_is_an_inhibitor() {
    let release = "almalinux-8.10";
    let root = with_data(release);
    let mut host = healthy_host(release);
    host.loaded_modules.push("dnet".into());
    let a = assess_with(&root, host, None, &[]);
    let f = one(&a, "hardware.removed-driver-loaded", &[]);
    assert!(
        f.summary.contains("dnet") && f.summary.contains("EL9"),
        "{}",
        f.summary
    );
    assert_eq!(
        f.remediation.as_ref().unwrap().command.as_deref().unwrap(),
        ["modprobe", "-r", "dnet"]
    );
    assert!(
        f.related
            .iter()
            .any(|r| r.scheme == "kernel-driver" && r.title == "dnet")
    );
}

#[test]
fn driver_removed_in_el8_is_an_inhibitor_on_el7() {
    let release = "centos-7.9";
    let root = with_data(release);
    let mut host = healthy_host(release);
    host.loaded_modules.push("pata_acpi".into());
    let a = assess_with(&root, host, None, &[]);
    let f = one(&a, "hardware.removed-driver-loaded", &[]);
    assert!(
        f.summary.contains("pata_acpi") && f.summary.contains("EL8"),
        "{}",
        f.summary
    );
}

#[test]
fn driver_available_and_maintained_in_the_target_passes() {
    let release = "almalinux-8.10";
    let root = with_data(release);
    let mut host = healthy_host(release);
    host.loaded_modules.push("team".into());
    let a = assess_with(&root, host, None, &[]);
    assert!(hw_keys(&a).is_empty(), "{:?}", hw_keys(&a));
}

#[test]
fn driver_no_longer_maintained_is_medium() {
    let release = "almalinux-8.10";
    let root = with_data(release);
    let mut host = healthy_host(release);
    host.loaded_modules.push("e1000".into());
    let a = assess_with(&root, host, None, &[]);
    let f = one(&a, "hardware.deprecated-driver-loaded", &[]);
    assert_eq!(f.severity, Severity::Medium);
    assert!(f.summary.contains("e1000"), "{}", f.summary);
    assert!(with_key(&a, "hardware.removed-driver-loaded").is_empty());
}

#[test]
fn pci_device_removed_in_the_target_is_an_inhibitor() {
    let release = "almalinux-8.10";
    let root = with_data(release);
    let mut host = healthy_host(release);
    // ConnectX-2 virtual function: mlx4_core, available in 7 and 8 only
    host.pci_devices
        .push(pci("0000:03:00.1", "15b3", "1002", Some("mlx4_core")));
    let a = assess_with(&root, host, None, &[]);
    let f = one(&a, "hardware.unsupported-pci-device", &[]);
    assert!(
        f.summary.contains("0000:03:00.1 [15b3:1002]") && f.summary.contains("in use by mlx4_core"),
        "{}",
        f.summary
    );
}

#[test]
fn pci_devices_the_data_does_not_list_pass() {
    let release = "almalinux-8.10";
    let root = with_data(release);
    let mut host = healthy_host(release);
    host.pci_devices
        .push(pci("0000:00:03.0", "1af4", "1000", Some("virtio-pci")));
    host.pci_devices
        .push(pci("0000:03:00.0", "15b3", "1001", None));
    let a = assess_with(&root, host, None, &[]);
    assert!(hw_keys(&a).is_empty(), "{:?}", hw_keys(&a));
}

#[test]
fn pci_device_no_longer_maintained_is_medium() {
    let release = "almalinux-8.10";
    let root = with_data(release);
    let mut host = healthy_host(release);
    // SAS2308 (mpt3sas): available through 10, maintained in 7 and 8
    host.pci_devices
        .push(pci("0000:02:00.0", "1000", "006E", Some("mpt3sas")));
    let a = assess_with(&root, host, None, &[]);
    let f = one(&a, "hardware.deprecated-pci-device", &[]);
    assert_eq!(f.severity, Severity::Medium);
    assert!(
        f.summary.contains("0000:02:00.0 [1000:006e]"),
        "{}",
        f.summary
    );
    assert!(with_key(&a, "hardware.unsupported-pci-device").is_empty());
}

#[test]
fn corrupt_data_file_is_a_scanner_error_naming_the_file() {
    let release = "almalinux-8.10";
    let root = sandbox(release);
    write(&root, DDDD, "{\"data\": [ {\"device_type\": \"pci\", ");
    let mut host = healthy_host(release);
    host.loaded_modules.push("dnet".into());
    let a = assess_with(&root, host, None, &[]);
    let f = with_key(&a, "actor-error.hardware_scanner");
    assert_eq!(f.len(), 1, "{:?}", keys(&a));
    assert!(f[0].summary.contains(DDDD), "{}", f[0].summary);
    assert!(
        hw_keys(&a).iter().all(|k| !k.contains("driver")),
        "{:?}",
        hw_keys(&a)
    );
}

#[test]
fn data_file_without_host_facts_gives_nothing() {
    let release = "almalinux-8.10";
    let root = with_data(release);
    let a = assess_with(&root, HostFacts::default(), None, &[]);
    assert!(hw_keys(&a).is_empty(), "{:?}", hw_keys(&a));
    // the same removed driver, loaded on a host whose facts are not known to be this one's
    let mut host = healthy_host(release);
    host.source = HostFactsSource::Unknown;
    host.loaded_modules.push("dnet".into());
    host.memory_kib = Some(512 * 1024);
    host.arch = Some("i686".into());
    let a = assess_with(&root, host, None, &[]);
    assert!(hw_keys(&a).is_empty(), "{:?}", hw_keys(&a));
}

// --- cpu_level_check

#[test]
fn cpu_without_x86_64_v2_is_an_inhibitor_for_el9() {
    let release = "almalinux-8.10";
    let mut host = healthy_host(release);
    host.cpu_flags.retain(|f| f != "sse4_2" && f != "popcnt");
    let a = assess_with(&pristine(release), host, None, &[]);
    let f = one(&a, "hardware.cpu-x86-64-v2", &[]);
    assert!(f.summary.contains("popcnt, sse4_2"), "{}", f.summary);
}

#[test]
fn cpu_without_v3_flags_is_fine_for_el9() {
    let release = "almalinux-8.10";
    let mut host = healthy_host(release);
    host.cpu_flags.retain(|f| f != "avx2" && f != "fma");
    let a = assess_with(&pristine(release), host, None, &[]);
    assert!(hw_keys(&a).is_empty(), "{:?}", hw_keys(&a));
}

#[test]
fn cpu_without_x86_64_v3_is_an_inhibitor_for_el10() {
    let release = "almalinux-9.6";
    let mut host = healthy_host(release);
    host.cpu_flags.retain(|f| f != "avx2" && f != "abm");
    let a = assess_with(&pristine(release), host, None, &[]);
    let f = one(&a, "hardware.cpu-x86-64-v3", &[]);
    assert!(f.summary.contains("avx2, abm"), "{}", f.summary);
    assert!(with_key(&a, "hardware.cpu-x86-64-v2").is_empty());
}

#[test]
fn el7_to_el8_needs_no_cpu_level() {
    let release = "centos-7.9";
    let mut host = healthy_host(release);
    host.cpu_flags = vec!["fpu".into(), "sse2".into()];
    let a = assess_with(&pristine(release), host, None, &[]);
    assert!(hw_keys(&a).is_empty(), "{:?}", hw_keys(&a));
}

// --- memory_check

#[test]
fn too_little_memory_is_an_inhibitor() {
    let release = "almalinux-9.6";
    let mut host = healthy_host(release);
    host.memory_kib = Some(1024 * 1024);
    let a = assess_with(&pristine(release), host, None, &[]);
    let f = one(&a, "hardware.insufficient-memory", &[]);
    assert!(
        f.summary.contains("1024 MiB") && f.summary.contains("1536 MiB"),
        "{}",
        f.summary
    );
}

#[test]
fn exactly_the_minimum_memory_passes_but_not_on_ppc64le() {
    let release = "almalinux-9.6";
    let mut host = healthy_host(release);
    host.memory_kib = Some(1536 * 1024);
    let a = assess_with(&pristine(release), host.clone(), None, &[]);
    assert!(with_key(&a, "hardware.insufficient-memory").is_empty());
    host.arch = Some("ppc64le".into());
    host.memory_kib = Some(2048 * 1024);
    let a = assess_with(&pristine(release), host, None, &[]);
    let f = one(&a, "hardware.insufficient-memory", &[]);
    assert!(
        f.summary.contains("3072 MiB") && f.summary.contains("ppc64le"),
        "{}",
        f.summary
    );
}

// --- architecture_check

#[test]
fn thirty_two_bit_host_is_an_inhibitor() {
    let release = "centos-7.9";
    let mut host = healthy_host(release);
    host.arch = Some("i686".into());
    let a = assess_with(&pristine(release), host, None, &[]);
    let f = one(&a, "hardware.unsupported-arch", &[]);
    assert!(
        f.summary.contains("i686") && f.summary.contains("32-bit"),
        "{}",
        f.summary
    );
}

#[test]
fn supported_architectures_pass() {
    let release = "centos-7.9";
    for arch in ["aarch64", "ppc64le", "s390x"] {
        let mut host = healthy_host(release);
        host.arch = Some(arch.into());
        let a = assess_with(&pristine(release), host, None, &[]);
        assert!(
            with_key(&a, "hardware.unsupported-arch").is_empty(),
            "{arch}"
        );
    }
}
