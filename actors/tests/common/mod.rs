//! Test harness for actors: pristine testkit roots built once per test binary, sandbox copies
//! per test, a healthy default host, and a one-call assessment.

#![allow(dead_code)]

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};

use leapfrog_actors::facts::rootfs::RootFs;
use leapfrog_actors::finding::{Finding, Level};
use leapfrog_actors::host::{HostFacts, HostFactsSource, Mount, NetInterface};
use leapfrog_actors::model::{Answers, Env};
use leapfrog_actors::registry;
use leapfrog_actors::runner::{self, Assessment};
use leapfrog_actors::upgrade_paths::TargetSpec;
use leapfrog_testkit::root::{self, RootOptions};
use leapfrog_testkit::world::{self, Scale, WorldOptions};

/// Scratch directory of this test process.
pub fn scratch() -> &'static Path {
    static DIR: OnceLock<tempfile::TempDir> = OnceLock::new();
    DIR.get_or_init(|| {
        tempfile::Builder::new()
            .prefix("actors-it-")
            .tempdir()
            .unwrap()
    })
    .path()
}

fn world() -> &'static Path {
    static W: OnceLock<PathBuf> = OnceLock::new();
    W.get_or_init(|| {
        let out = scratch().join("world");
        let mut o = WorldOptions::new(&out, Scale::Small);
        o.releases = [
            "centos-7.9",
            "almalinux-8.10",
            "almalinux-9.6",
            "almalinux-10.0",
            "rocky-8.10",
        ]
        .map(String::from)
        .to_vec();
        world::build_world(&o).expect("world builds");
        out
    })
}

/// A pristine installed root of `release` (built once per test binary, never modified).
pub fn pristine(release: &str) -> PathBuf {
    static ROOTS: OnceLock<Mutex<Vec<(String, PathBuf)>>> = OnceLock::new();
    let roots = ROOTS.get_or_init(Default::default);
    let mut guard = roots.lock().unwrap();
    if let Some((_, p)) = guard.iter().find(|(r, _)| r == release) {
        return p.clone();
    }
    let out = scratch().join(format!("pristine-{release}"));
    let target = match release {
        "centos-7.9" => Some("almalinux-8.10"),
        "almalinux-8.10" | "rocky-8.10" => Some("almalinux-9.6"),
        "almalinux-9.6" => Some("almalinux-10.0"),
        _ => None,
    };
    let mut o = RootOptions::new(world(), release, &out);
    o.target = target.map(String::from);
    root::build_root(&o).expect("root builds");
    guard.push((release.to_string(), out.clone()));
    out
}

/// A private copy of the pristine root of `release`, to modify freely.
pub fn sandbox(release: &str) -> PathBuf {
    static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let src = pristine(release);
    let dst = scratch().join(format!(
        "sandbox-{release}-{}",
        N.fetch_add(1, std::sync::atomic::Ordering::SeqCst)
    ));
    let st = std::process::Command::new("cp")
        .args(["-a", "--reflink=auto"])
        .arg(&src)
        .arg(&dst)
        .status()
        .unwrap();
    assert!(st.success());
    dst
}

/// Writes `text` to `path` inside `root`, creating directories.
pub fn write(root: &Path, path: &str, text: &str) {
    let p = root.join(path.trim_start_matches('/'));
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, text).unwrap();
}

/// The newest kernel release of a testkit release (what a healthy host runs).
pub fn newest_kernel(release: &str) -> String {
    let major: u32 = release
        .split('-')
        .nth(1)
        .unwrap()
        .split('.')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    leapfrog_testkit::catalog::kernel_releases(major)
        .pop()
        .unwrap()
}

/// A healthy host for `release`: newest kernel running, 4 GiB, x86-64-v3 CPU, plenty of space,
/// BIOS, one predictably named NIC, not in a container.
pub fn healthy_host(release: &str) -> HostFacts {
    let gib = 1u64 << 30;
    HostFacts {
        source: HostFactsSource::File(PathBuf::from("test")),
        running_kernel: Some(newest_kernel(release)),
        kernel_cmdline: Some("BOOT_IMAGE=(hd0,msdos1)/vmlinuz root=/dev/mapper/root ro crashkernel=auto rhgb quiet".into()),
        arch: Some("x86_64".into()),
        loaded_modules: vec!["xfs".into(), "virtio_net".into(), "virtio_blk".into()],
        pci_devices: Vec::new(),
        memory_kib: Some(4 * 1024 * 1024),
        cpu_flags: "fpu cx16 lahf_lm popcnt sse4_1 sse4_2 ssse3 avx avx2 bmi1 bmi2 f16c fma abm movbe xsave"
            .split(' ')
            .map(String::from)
            .collect(),
        mounts: vec![
            Mount { source: "/dev/mapper/root".into(), target: "/".into(), fstype: "xfs".into(), options: vec!["rw".into()], free_bytes: Some(20 * gib), total_bytes: Some(40 * gib), xfs_ftype: Some(1), xfs_reflink: Some(true) },
            Mount { source: "/dev/vda1".into(), target: "/boot".into(), fstype: "xfs".into(), options: vec!["rw".into()], free_bytes: Some(800 << 20), total_bytes: Some(gib), xfs_ftype: Some(1), ..Default::default() },
        ],
        network_interfaces: vec![NetInterface { name: "ens3".into(), mac: Some("52:54:00:12:34:56".into()), driver: Some("virtio_net".into()), physical: true }],
        efi: Some(false),
        container: None,
        virtualization: Some("QEMU".into()),
        ..Default::default()
    }
}

/// Runs the whole assessment of `root`.
pub fn assess_with(
    root: &Path,
    host: HostFacts,
    target: Option<&str>,
    answers: &[(&str, &str)],
) -> Assessment {
    let env = Env::new(RootFs::new(root).unwrap(), host);
    let spec: Option<TargetSpec> = target.map(|t| t.parse().unwrap());
    let answers: Answers = answers
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let a = runner::assess(&env, spec.as_ref(), &answers, &BTreeSet::new());
    // every finding of every scenario is of a kind its check declares (the runner turns any
    // other into an actor error)
    for r in &a.runs {
        assert!(
            !r.error
                .as_deref()
                .is_some_and(|e| e.contains("does not declare")),
            "{}: {:?}",
            r.id,
            r.error
        );
    }
    a
}

/// Runs the whole assessment of a sandbox of `release` with a healthy host and the default target.
pub fn assess(root: &Path, release: &str) -> Assessment {
    assess_with(root, healthy_host(release), None, &[])
}

/// The findings with `key`.
pub fn with_key<'a>(a: &'a Assessment, key: &str) -> Vec<&'a Finding> {
    a.findings.iter().filter(|f| f.key == key).collect()
}

/// Every key found.
pub fn keys(a: &Assessment) -> Vec<&str> {
    a.findings.iter().map(|f| f.key.as_str()).collect()
}

/// The level a finding key is declared with.
pub fn level_of(key: &str) -> Level {
    registry::checks()
        .iter()
        .flat_map(|c| c.findings)
        .find(|f| f.key == key)
        .map(|f| f.level)
        .unwrap_or_else(|| panic!("{key} is not declared"))
}

/// The one finding with `key`: its blocking and severity match the declared level, and its
/// summary names every object in `names`.
pub fn one<'a>(a: &'a Assessment, key: &str, names: &[&str]) -> &'a Finding {
    let found = with_key(a, key);
    assert_eq!(found.len(), 1, "{key}: {:?}", keys(a));
    let f = found[0];
    let level = level_of(key);
    assert_eq!(f.blocks(), level.is_inhibitor(), "{key}");
    assert_eq!(f.severity, level.severity(), "{key}");
    for n in names {
        assert!(f.summary.contains(n), "{key}: {n:?} not in {}", f.summary);
    }
    f
}

/// Asserts that no finding has `key`.
pub fn absent(a: &Assessment, key: &str) {
    assert!(
        with_key(a, key).is_empty(),
        "{key} unexpected: {:?}",
        with_key(a, key)
    );
}

/// The remediation command of a finding (empty when it has none).
pub fn command(f: &Finding) -> Vec<String> {
    f.remediation
        .as_ref()
        .and_then(|r| r.command.clone())
        .unwrap_or_default()
}

/// Erases package `name` from `root` with the real rpm (no dependency checks; scriptlets run).
pub fn erase(root: &Path, name: &str) {
    let home = leapfrog_testkit::fixture::rpm_home(scratch(), "/var/lib/rpm");
    let st = std::process::Command::new("rpm")
        .env("HOME", &home)
        .arg("--root")
        .arg(root)
        .args(["-e", "--nodeps", name])
        .status()
        .unwrap();
    assert!(st.success(), "rpm -e {name}");
}
