//! Worlds synthesised from real leapp PES data (read from ../shared/leapp-data).

mod common;

use std::path::{Path, PathBuf};

use common::*;
use leapfrog_testkit::nevra;
use leapfrog_testkit::pes::{self, PesWorldOptions};
use leapfrog_testkit::root::{self, PackageSelection, RootOptions};

fn shared_pes() -> PathBuf {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/leapp-data/files-installed-for-almalinux-8/pes-events.json");
    assert!(
        p.is_file(),
        "the shared leapp data must be beside the checkout: {}",
        p.display()
    );
    p
}

fn has_rpm(dir: &Path, prefix: &str) -> bool {
    std::fs::read_dir(dir.join("Packages"))
        .map(|d| {
            d.flatten()
                .any(|e| e.file_name().to_string_lossy().starts_with(prefix))
        })
        .unwrap_or(false)
}

#[test]
fn real_pes_events_become_installable_packages() {
    let out = fresh("pes-world");
    let installed = nevra::parse_list(
        "rsh-0.17-80.el7.x86_64\npython-dns-1.12.0-4.20150617git465785f.el7.noarch\nmy-inhouse-tool-3.1-2.x86_64\nbash-4.2.46-35.el7_9.x86_64\n",
    )
    .unwrap();
    let r = pes::build_pes_world(&PesWorldOptions {
        pes: shared_pes(),
        source: "centos-7.9".into(),
        target: "almalinux-8.10".into(),
        out: out.clone(),
        installed: installed.clone(),
        busybox: "/bin/busybox".into(),
    })
    .unwrap();
    assert_eq!(r.events_total, 2381);
    assert!(
        r.events_used > 2000 && r.events_used < r.events_total,
        "{}",
        r.events_used
    );
    assert!(
        r.source_packages > 2000 && r.target_packages > 1000,
        "{r:?}"
    );
    assert_eq!(r.extra_names, 1, "only my-inhouse-tool has no event");
    let src = out.join("centos-7.9");
    let tgt = out.join("almalinux-8.10");
    // removal (PES 5): rsh exists at the source with the listed version, not at the target
    assert!(
        src.join("base/Packages/rsh-0.17-80.el7.x86_64.rpm")
            .is_file()
    );
    assert!(!has_rpm(&tgt.join("baseos"), "rsh-0") && !has_rpm(&tgt.join("appstream"), "rsh-0"));
    // split (PES 208): python-dns -> python2-dns + python3-dns
    assert!(has_rpm(&src.join("base"), "python-dns-1.12.0"));
    let target_has = |prefix: &str| {
        ["baseos", "appstream", "powertools"]
            .iter()
            .any(|r| has_rpm(&tgt.join(r), prefix))
    };
    assert!(target_has("python2-dns-2.0") && target_has("python3-dns-2.0"));
    // a modular out-package lands in a stream of the target's module metadata (PES 1658)
    assert!(has_rpm(
        &tgt.join("powertools"),
        "antlr-tool-2.0-1.el8.module_el8+201801"
    ));
    let modules = std::fs::read_dir(tgt.join("powertools/repodata"))
        .unwrap()
        .flatten()
        .any(|e| e.file_name().to_string_lossy().ends_with("modules.yaml.gz"));
    assert!(modules);
    // names without events exist on both sides
    assert!(
        src.join("base/Packages/my-inhouse-tool-3.1-2.x86_64.rpm")
            .is_file()
    );
    assert!(has_rpm(&tgt.join("baseos"), "my-inhouse-tool-3.1.1"));
    assert!(out.join("pes-world.json").is_file());

    // and a root with exactly the listed packages installs from it
    let rootdir = fresh("pes-root");
    let mut o = RootOptions::new(&out, "centos-7.9", &rootdir);
    o.packages = PackageSelection::List(installed);
    root::build_root(&o).unwrap();
    let got = common::installed(&rootdir, "/var/lib/rpm", "sqlite");
    assert_eq!(
        got,
        [
            "bash-4.2.46-35.el7_9.x86_64",
            "my-inhouse-tool-3.1-2.x86_64",
            "python-dns-1.12.0-4.20150617git465785f.el7.noarch",
            "rsh-0.17-80.el7.x86_64"
        ]
    );
}

#[test]
fn a_corrupt_pes_file_is_a_clear_error() {
    let bad = scratch().join("corrupt-pes.json");
    std::fs::write(&bad, "{\"packageinfo\": [ {\"id\": 1, ").unwrap();
    let out = testkit()
        .args(["pes-world", "--pes"])
        .arg(&bad)
        .args([
            "--source",
            "centos-7.9",
            "--target",
            "almalinux-8.10",
            "--out",
        ])
        .arg(fresh("pes-corrupt"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("is not a PES events file"), "{err}");
}
