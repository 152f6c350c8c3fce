//! The synthetic world: signed repositories that verify with the real rpm, reproducibly.

mod common;

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use common::*;
use leapfrog_testkit::release;
use leapfrog_testkit::world::{self, Scale, WorldManifest, WorldOptions};

fn rpms_in(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut v: Vec<_> = std::fs::read_dir(dir.join("Packages"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    v.sort();
    v
}

/// `rpmkeys -K` at signature level with exactly the given keys imported.
fn verify(keys: &[&Path], pkgs: &[std::path::PathBuf], tag: &str) -> (bool, String) {
    let db = scratch().join(format!("keydb-{tag}"));
    let _ = std::fs::remove_dir_all(&db);
    std::fs::create_dir_all(&db).unwrap();
    let home = rpm_home("/unused");
    let dbdef = format!("_dbpath {}", db.display());
    ok(Command::new("rpmkeys")
        .env("HOME", &home)
        .args(["--define", &dbdef, "--import"])
        .args(keys));
    let out = Command::new("rpmkeys")
        .env("HOME", &home)
        .args([
            "--define",
            &dbdef,
            "--define",
            "_pkgverify_level signature",
            "-K",
        ])
        .args(pkgs)
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

#[test]
fn every_release_is_in_the_manifest_with_its_repositories() {
    let w = small_world();
    let m = WorldManifest::load(w).unwrap();
    let ids: Vec<_> = m.releases.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(ids, release::ids());
    for r in &m.releases {
        let rel = release::by_id(&r.id).unwrap();
        for repo in &rel.repos {
            let info = r
                .repos
                .iter()
                .find(|x| x.id == repo.id)
                .unwrap_or_else(|| panic!("{} lacks {}", r.id, repo.id));
            assert!(info.distribution);
            assert!(
                w.join(&r.id)
                    .join(repo.id)
                    .join("repodata/repomd.xml")
                    .is_file()
            );
        }
        for vendor_repo in ["epel", "mariadb", "acme", "faults"] {
            assert!(
                r.repos
                    .iter()
                    .any(|x| x.id == vendor_repo && !x.distribution),
                "{} lacks {vendor_repo}",
                r.id
            );
        }
        assert!(w.join(&r.id).join(&r.key.file).is_file());
        assert_eq!(r.key.key_id.len(), 16);
    }
    let a8 = m.release("almalinux-8.10").unwrap();
    assert!(
        a8.repos
            .iter()
            .find(|x| x.id == "appstream")
            .unwrap()
            .modular
    );
    let modules = std::fs::read_dir(w.join("almalinux-8.10/appstream/repodata"))
        .unwrap()
        .any(|e| {
            e.unwrap()
                .file_name()
                .to_string_lossy()
                .ends_with("modules.yaml.gz")
        });
    assert!(modules, "EL8 AppStream carries modules.yaml");
    assert!(
        !m.release("almalinux-10.0")
            .unwrap()
            .repos
            .iter()
            .any(|x| x.modular),
        "EL10 has no modules"
    );
}

#[test]
fn distribution_packages_verify_with_the_release_key_only() {
    let w = small_world();
    let m = WorldManifest::load(w).unwrap();
    for r in &m.releases {
        let key = w.join(&r.id).join(&r.key.file);
        let pkgs: Vec<_> = r
            .repos
            .iter()
            .filter(|x| x.distribution)
            .flat_map(|x| rpms_in(&w.join(&r.id).join(&x.id)))
            .collect();
        assert!(pkgs.len() > 30, "{}: {} packages", r.id, pkgs.len());
        let (good, out) = verify(&[&key], &pkgs, &r.id);
        assert!(good, "{}: {out}", r.id);
        // negative: another release's key does not verify them
        let other = m
            .releases
            .iter()
            .find(|o| o.key.file != r.key.file)
            .unwrap();
        let (bad, _) = verify(
            &[&w.join(&other.id).join(&other.key.file)],
            &pkgs[..3],
            &format!("{}-wrong", r.id),
        );
        assert!(!bad, "{} packages verified with {}", r.id, other.key.file);
    }
}

#[test]
fn vendor_packages_need_their_own_keys_and_acme_is_unsigned() {
    let w = small_world();
    let dir = w.join("almalinux-9.6");
    let epel = rpms_in(&dir.join("epel"));
    let maria = rpms_in(&dir.join("mariadb"));
    let acme = rpms_in(&dir.join("acme"));
    let distro_key = dir.join("RPM-GPG-KEY-AlmaLinux-9");
    assert!(!verify(&[&distro_key], &epel, "epel-no").0);
    assert!(verify(&[&dir.join("RPM-GPG-KEY-EPEL-9")], &epel, "epel-yes").0);
    assert!(verify(&[&dir.join("RPM-GPG-KEY-MariaDB")], &maria, "maria-yes").0);
    let (signed, out) = verify(&[&distro_key], &acme, "acme");
    assert!(
        !signed,
        "the acme package must fail signature-level verification: {out}"
    );
    let info = ok(Command::new("rpm")
        .env("HOME", rpm_home("/unused"))
        .args(["-qp", "--qf", "%{SIGPGP:pgpsig}|%{RSAHEADER:pgpsig}"])
        .args(&acme));
    assert_eq!(info, "(none)|(none)");
}

#[test]
fn packages_carry_the_behaviours_upgrades_meet() {
    let w = small_world();
    let q = |path: &str, fmt: &str| {
        ok(Command::new("rpm")
            .env("HOME", rpm_home("/unused"))
            .args(["-qp", "--qf", fmt])
            .arg(w.join(path)))
    };
    // scriptlets on openssh-server, config(noreplace) on sshd_config
    let scripts = ok(Command::new("rpm")
        .env("HOME", rpm_home("/unused"))
        .args(["-qp", "--scripts"])
        .arg(w.join("almalinux-8.10/baseos/Packages/openssh-server-8.0p1-25.el8_10.x86_64.rpm")));
    for stage in [
        "preinstall",
        "postinstall",
        "preuninstall",
        "postuninstall",
        "posttrans",
    ] {
        assert!(scripts.contains(stage), "{stage} missing: {scripts}");
    }
    let cfg = ok(Command::new("rpm")
        .env("HOME", rpm_home("/unused"))
        .args(["-qpc"])
        .arg(w.join("almalinux-8.10/baseos/Packages/openssh-server-8.0p1-25.el8_10.x86_64.rpm")));
    assert!(cfg.contains("/etc/ssh/sshd_config"));
    let flags = q(
        "almalinux-8.10/baseos/Packages/openssh-server-8.0p1-25.el8_10.x86_64.rpm",
        "[%{FILENAMES} %{FILEFLAGS:fflags}\\n]",
    );
    assert!(flags.contains("/etc/ssh/sshd_config cn"), "{flags}");
    // soname requires/provides across packages
    let prov = q(
        "almalinux-8.10/baseos/Packages/openssl-libs-1.1.1k-12.el8_9.x86_64.rpm",
        "[%{PROVIDES}\\n]",
    );
    assert!(prov.contains("libssl.so.1.1()(64bit)"));
    // the one real Obsoletes, and the evolution gaps without any
    let obs = q(
        "almalinux-8.10/baseos/Packages/python3-dnf-plugin-versionlock-4.0.21-25.el8.noarch.rpm",
        "[%{OBSOLETES} %{OBSOLETEFLAGS:depflags} %{OBSOLETEVERSION}\\n]",
    );
    assert!(
        obs.starts_with("yum-plugin-versionlock < 4.0.21-25.el8"),
        "{obs}"
    );
    let nft_obs = q(
        "almalinux-9.6/baseos/Packages/iptables-nft-1.8.10-11.el9.x86_64.rpm",
        "[%{OBSOLETES}\\n]",
    );
    assert!(
        nft_obs.trim().is_empty(),
        "merge target must not obsolete: {nft_obs}"
    );
    // installonly kernels with /boot payload (EL7) or ghosts filled by %posttrans (EL8+)
    let files = q(
        "centos-7.9/base/Packages/kernel-3.10.0-1160.el7.x86_64.rpm",
        "[%{FILENAMES}\\n]",
    );
    assert!(files.contains("/boot/vmlinuz-3.10.0-1160.el7.x86_64"));
    assert!(
        w.join("centos-7.9/updates/Packages/kernel-3.10.0-1160.119.1.el7.x86_64.rpm")
            .is_file(),
        "EL7 kernel update in updates"
    );
    // opt-in fault package
    let post = q(
        "almalinux-9.6/faults/Packages/failing-post-1.0-1.el9.noarch.rpm",
        "%{POSTIN}",
    );
    assert!(post.contains("exit 1"));
}

#[test]
fn scale_world_has_1500_packages_per_release() {
    let out = fresh("scale-world");
    let mut opts = WorldOptions::new(&out, Scale::S1500);
    opts.releases = vec!["almalinux-8.10".into(), "almalinux-9.6".into()];
    let r = world::build_world(&opts).unwrap();
    for id in ["almalinux-8.10", "almalinux-9.6"] {
        let rel = r.manifest.release(id).unwrap();
        let total: usize = rel.repos.iter().map(|x| x.packages).sum();
        assert!(total > 1450, "{id}: {total}");
    }
    let mb = dir_size(&out) / 1_000_000;
    assert!(mb > 60, "realistic payload: {mb} MB");
}

fn dir_size(p: &Path) -> u64 {
    std::fs::read_dir(p)
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            let m = e.metadata().unwrap();
            if m.is_dir() {
                dir_size(&e.path())
            } else {
                m.len()
            }
        })
        .sum()
}

#[test]
fn worlds_are_reproducible() {
    let digest = |dir: &Path| -> BTreeMap<String, String> {
        let mut map = BTreeMap::new();
        let mut stack = vec![dir.to_path_buf()];
        while let Some(d) = stack.pop() {
            for e in std::fs::read_dir(&d).unwrap() {
                let p = e.unwrap().path();
                if p.is_dir() {
                    stack.push(p);
                } else {
                    use sha2::Digest;
                    let h = hex::encode(sha2::Sha256::digest(std::fs::read(&p).unwrap()));
                    map.insert(p.strip_prefix(dir).unwrap().display().to_string(), h);
                }
            }
        }
        map
    };
    let a = fresh("repro-a");
    let b = fresh("repro-b");
    for d in [&a, &b] {
        let mut o = WorldOptions::new(d, Scale::Small);
        o.releases = vec!["rocky-8.10".into()];
        world::build_world(&o).unwrap();
    }
    let (da, db) = (digest(&a), digest(&b));
    assert!(da.len() > 50);
    assert_eq!(da, db, "two builds differ");
}

#[test]
fn cli_rejects_unknown_release_with_a_clear_message() {
    let out = testkit()
        .args(["world", "--out"])
        .arg(fresh("bad-world"))
        .args(["--release", "fedora-40"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("unknown release \"fedora-40\"") && err.contains("almalinux-8.10"),
        "{err}"
    );
    let list = ok(testkit().args(["releases", "--json"]));
    let v: serde_json::Value = serde_json::from_str(&list).unwrap();
    assert_eq!(v.as_array().unwrap().len(), 7);
}

#[test]
fn cli_world_fails_cleanly_without_busybox() {
    let out = testkit()
        .args(["world", "--out"])
        .arg(fresh("no-busybox"))
        .args([
            "--release",
            "almalinux-9.6",
            "--busybox",
            "/nonexistent/busybox",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("install busybox-static"));
}
