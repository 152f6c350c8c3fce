//! Installed sandbox roots: real rpm installs, scriptlets, BLS entries, BerkeleyDB, lists,
//! clones, HTTP, and the `dnf distro-sync` gap that package-evolution data must fill.

mod common;

use std::path::Path;
use std::process::Command;

use common::*;
use leapfrog_testkit::catalog::{self, CatalogContext};
use leapfrog_testkit::clone::{self, CloneMethod};
use leapfrog_testkit::release;
use leapfrog_testkit::root::{self, PackageSelection, RootError, RootOptions};
use leapfrog_testkit::{nevra, serve, world};

fn expected_default(release_id: &str) -> Vec<String> {
    let rel = release::by_id(release_id).unwrap();
    let cx = CatalogContext {
        busybox: Default::default(),
        world_var: world::WORLD_VAR,
        public_keys: Default::default(),
    };
    let specs = catalog::small_set(&rel, &cx);
    let mut v: Vec<String> = catalog::default_root_packages(&specs)
        .iter()
        .map(|p| p.nvra())
        .collect();
    v.sort();
    v
}

#[test]
fn every_release_installs_its_default_set() {
    let w = small_world();
    for rel in release::all() {
        let out = fresh(&format!("root-{}", rel.id));
        let r = root::build_root(&RootOptions::new(w, rel.id, &out)).unwrap();
        let got = installed(&out, rel.dbpath, "sqlite");
        assert_eq!(got, expected_default(rel.id), "{}", rel.id);
        assert_eq!(r.installed, got);
        assert!(
            out.join(rel.dbpath.trim_start_matches('/'))
                .join("rpmdb.sqlite")
                .is_file(),
            "{}: rpmdb at {}",
            rel.id,
            rel.dbpath
        );
        let os = std::fs::read_to_string(out.join("etc/os-release")).unwrap();
        assert!(
            os.contains(&format!("VERSION_ID=\"{}\"", rel.version_id)),
            "{}",
            rel.id
        );
        let rr = std::fs::read_to_string(out.join("etc/redhat-release")).unwrap();
        assert_eq!(rr.trim(), rel.redhat_release);
        assert!(
            out.join("etc/pki/rpm-gpg")
                .join(&rel.key.file)
                .metadata()
                .unwrap()
                .len()
                > 500,
            "{}: real key file",
            rel.id
        );
        let pubkeys = ok(rpm(&out, rel.dbpath, "sqlite").args(["-q", "gpg-pubkey"]));
        assert_eq!(
            pubkeys.lines().count(),
            3,
            "{}: release, EPEL and MariaDB keys imported",
            rel.id
        );
        let repo_files: Vec<_> = std::fs::read_dir(out.join("etc/yum.repos.d"))
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert!(repo_files.len() >= 3, "{}: {repo_files:?}", rel.id);
    }
    let el10 = scratch().join("root-almalinux-10.0");
    assert_eq!(
        std::fs::read_link(el10.join("var/lib/rpm")).unwrap(),
        Path::new("../../usr/lib/sysimage/rpm")
    );
}

#[test]
fn scriptlets_ran_and_kernels_wrote_boot_entries() {
    let w = small_world();
    let out = fresh("root-scriptlets");
    root::build_root(&RootOptions::new(w, "almalinux-8.10", &out)).unwrap();
    let log = std::fs::read_to_string(out.join("var/log/testkit-scriptlets.log")).unwrap();
    for line in [
        "pre openssh-server-8.0p1-25.el8_10.x86_64 1",
        "post openssh-server-8.0p1-25.el8_10.x86_64 1",
        "posttrans openssh-server-8.0p1-25.el8_10.x86_64",
        "post MariaDB-server-10.11.10-1.el8.x86_64 1",
        "posttrans kernel-core-4.18.0-553.16.1.el8_10.x86_64",
    ] {
        assert!(log.contains(line), "missing {line:?} in\n{log}");
    }
    let mid = std::fs::read_to_string(out.join("etc/machine-id")).unwrap();
    for k in catalog::kernel_releases(8) {
        assert!(out.join(format!("boot/vmlinuz-{k}")).is_file(), "{k}");
        let entry = std::fs::read_to_string(
            out.join(format!("boot/loader/entries/{}-{k}.conf", mid.trim())),
        )
        .unwrap();
        assert!(
            entry.contains(&format!("linux /vmlinuz-{k}")) && entry.contains("options $kernelopts"),
            "{entry}"
        );
    }
    let grubenv = std::fs::read_to_string(out.join("boot/grub2/grubenv")).unwrap();
    assert_eq!(grubenv.len(), 1024);
    assert!(grubenv.contains(&format!(
        "saved_entry={}-4.18.0-553.16.1.el8_10.x86_64",
        mid.trim()
    )));
    assert!(
        std::fs::read_to_string(out.join("etc/dnf/modules.d/postgresql.module"))
            .unwrap()
            .contains("stream=10")
    );
    let var = std::fs::read_to_string(out.join("etc/dnf/vars/testkit_world")).unwrap();
    assert_eq!(var.trim(), format!("file://{}", w.display()));
    // EL7 writes grub.cfg menu entries instead of BLS
    let c7 = fresh("root-scriptlets-el7");
    root::build_root(&RootOptions::new(w, "centos-7.9", &c7)).unwrap();
    let cfg = std::fs::read_to_string(c7.join("boot/grub2/grub.cfg")).unwrap();
    assert_eq!(cfg.matches("menuentry 'CentOS Linux (3.10.0-").count(), 2);
    // after the preamble that reads grubenv's next_entry, as grub2-mkconfig writes it
    let head = cfg.find("set default=\"${next_entry}\"").unwrap();
    assert!(cfg.find("load_env").unwrap() < head && head < cfg.find("menuentry").unwrap());
    assert!(std::fs::read_to_string(c7.join("etc/yum/vars/testkit_world")).is_ok());
}

#[test]
fn target_repo_file_points_at_the_target_release() {
    let w = small_world();
    let out = fresh("root-target");
    let mut o = RootOptions::new(w, "almalinux-8.10", &out);
    o.target = Some("almalinux-9.6".into());
    let r = root::build_root(&o).unwrap();
    let text = std::fs::read_to_string(r.target_repo_file.unwrap()).unwrap();
    assert!(text.contains(&format!(
        "baseurl=file://{}/almalinux-9.6/baseos/",
        w.display()
    )));
    assert!(text.contains("RPM-GPG-KEY-AlmaLinux-9"));
    assert!(text.contains("[testkit-almalinux-9.6-epel]") && text.contains("RPM-GPG-KEY-EPEL-9"));
    // negative: a target the world does not know
    let mut bad = RootOptions::new(w, "almalinux-8.10", fresh("root-target-bad"));
    bad.target = Some("almalinux-11.0".into());
    assert!(matches!(root::build_root(&bad), Err(RootError::World(_))));
}

#[test]
fn bdb_variant_is_readable_and_converts_like_a_real_el8_host() {
    let w = small_world();
    for id in ["centos-7.9", "almalinux-8.10"] {
        let out = fresh(&format!("root-bdb-{id}"));
        let mut o = RootOptions::new(w, id, &out);
        o.bdb = true;
        let r = root::build_root(&o).unwrap();
        assert_eq!(r.rpmdb_backend, "bdb");
        let db = out.join("var/lib/rpm");
        assert!(!db.join("rpmdb.sqlite").exists());
        let packages = std::fs::read(db.join("Packages")).unwrap();
        assert_eq!(
            &packages[12..16],
            &0x0006_1561u32.to_ne_bytes(),
            "BerkeleyDB hash magic"
        );
        assert_eq!(
            installed(&out, "/var/lib/rpm", "bdb_ro"),
            expected_default(id)
        );
        // the indexes work too
        let sh = ok(rpm(&out, "/var/lib/rpm", "bdb_ro").args(["-q", "--whatprovides", "/bin/sh"]));
        assert!(sh.starts_with("bash-"), "{sh}");
        let owner = ok(rpm(&out, "/var/lib/rpm", "bdb_ro").args(["-qf", "/usr/sbin/sshd"]));
        assert!(owner.starts_with("openssh-server-"));
        // the EL8 -> EL9 rpmdb conversion step
        ok(Command::new("rpmdb")
            .env("HOME", rpm_home("/var/lib/rpm"))
            .arg("--root")
            .arg(&out)
            .args(["--define", "_dbpath /var/lib/rpm", "--rebuilddb"]));
        assert!(db.join("rpmdb.sqlite").is_file());
        assert_eq!(
            installed(&out, "/var/lib/rpm", "sqlite"),
            expected_default(id)
        );
    }
    let mut o = RootOptions::new(w, "almalinux-9.6", fresh("root-bdb-el9"));
    o.bdb = true;
    assert!(matches!(
        root::build_root(&o),
        Err(RootError::BdbNotNative(_))
    ));
}

#[test]
fn package_list_root_has_exactly_those_packages() {
    let w = small_world();
    let list = "\
bash-4.4.20-5.el8.x86_64
filesystem-3.8-6.el8.x86_64
setup-2.12.2-11.el8.noarch
coreutils-8.30-15.el8.x86_64
glibc-2.28-251.el8_10.2.x86_64
openssl-libs-1:1.1.1k-12.el8_9.x86_64
kernel-core-4.18.0-477.10.1.el8_8.x86_64
cpanel-perl-536-5.36.0-1.cp1198.x86_64
bash-completion-1:2.7-5.el8.noarch
gpg-pubkey-c21ad6ea-5f4f3b2d
";
    let parsed = nevra::parse_list(list).unwrap();
    let out = fresh("root-list");
    let mut o = RootOptions::new(w, "almalinux-8.10", &out);
    o.packages = PackageSelection::List(parsed);
    root::build_root(&o).unwrap();
    let got = installed(&out, "/var/lib/rpm", "sqlite");
    let mut want: Vec<String> = list
        .lines()
        .filter(|l| !l.starts_with("gpg-pubkey"))
        .map(|l| {
            let n = nevra::parse(l).unwrap();
            format!("{}-{}-{}.{}", n.name, n.version, n.release, n.arch)
        })
        .collect();
    want.sort();
    assert_eq!(got, want);
    assert!(
        out.join("boot/vmlinuz-4.18.0-477.10.1.el8_8.x86_64")
            .is_file(),
        "synthesised kernel has its image"
    );
    let epoch =
        ok(rpm(&out, "/var/lib/rpm", "sqlite").args(["-q", "--qf", "%{EPOCH}", "bash-completion"]));
    assert_eq!(epoch, "1");
    // the world's own bash (with busybox) was used, so scriptlets can run
    assert!(out.join("usr/bin/busybox").metadata().unwrap().len() > 100_000);
    // negative: a malformed list through the CLI
    let bad = scratch().join("bad-list.txt");
    std::fs::write(&bad, "bash-4.4.20-5.el8.x86_64\nthis is not a package\n").unwrap();
    let o = testkit()
        .args(["root", "--world"])
        .arg(w)
        .args(["--release", "almalinux-8.10", "--out"])
        .arg(fresh("root-list-bad"))
        .arg("--packages")
        .arg(&bad)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("line 2"),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
}

#[test]
fn refuses_a_non_empty_output_directory() {
    let w = small_world();
    let out = fresh("root-nonempty");
    std::fs::create_dir_all(&out).unwrap();
    std::fs::write(out.join("precious"), "keep me").unwrap();
    let err = root::build_root(&RootOptions::new(w, "almalinux-9.6", &out)).unwrap_err();
    assert!(matches!(err, RootError::NotEmpty(_)));
    assert_eq!(
        std::fs::read_to_string(out.join("precious")).unwrap(),
        "keep me"
    );
}

/// `dnf distro-sync` from AlmaLinux 8 to 9 succeeds yet strands every package whose evolution
/// has no Obsoletes: this is the gap leapfrog's package-evolution stage exists to fill.
#[test]
fn dnf_distro_sync_leaves_evolved_packages_behind() {
    let w = small_world();
    let out = fresh("root-distro-sync");
    let mut o = RootOptions::new(w, "almalinux-8.10", &out);
    o.target = Some("almalinux-9.6".into());
    root::build_root(&o).unwrap();
    let cache = scratch().join("dnf-cache");
    let status = Command::new("dnf")
        .env("HOME", rpm_home("/var/lib/rpm"))
        .arg(format!("--installroot={}", out.display()))
        .args([
            "-y",
            "-q",
            "--releasever=9",
            "--setopt=module_platform_id=platform:el9",
            "--setopt=install_weak_deps=False",
        ])
        .arg(format!(
            "--setopt=reposdir={}",
            out.join("etc/leapfrog/target.repos.d").display()
        ))
        .arg(format!("--setopt=cachedir={}", cache.display()))
        .arg("distro-sync")
        .output()
        .unwrap();
    assert!(
        status.status.success(),
        "{}",
        String::from_utf8_lossy(&status.stderr)
    );
    let after = installed(&out, "/var/lib/rpm", "sqlite");
    let mut left: Vec<String> = after
        .iter()
        .filter(|n| n.contains(".el8") && !n.starts_with("kernel"))
        .map(|n| nevra::parse(n).unwrap().name)
        .collect();
    left.sort();
    assert_eq!(
        left,
        [
            "iptables",
            "iptables-arptables",
            "iptables-ebtables",
            "network-scripts",
            "platform-python"
        ],
        "stranded: {after:?}"
    );
    // everything with a same-name successor moved to EL9
    for name in [
        "bash-5.1.8-9.el9.x86_64",
        "openssh-server-8.7p1-45.el9.x86_64",
        "almalinux-release-9.6-1.el9.x86_64",
        "MariaDB-server-10.11.10-1.el9.x86_64",
    ] {
        assert!(after.iter().any(|a| a == name), "{name} not upgraded");
    }
    // the upgrade's own scriptlets ran in the root (argument 2 = upgrade)
    let log = std::fs::read_to_string(out.join("var/log/testkit-scriptlets.log")).unwrap();
    assert!(
        log.contains("post openssh-server-8.7p1-45.el9.x86_64 2"),
        "{log}"
    );
    assert!(
        log.contains("postun openssh-server-8.0p1-25.el8_10.x86_64 1"),
        "{log}"
    );
}

#[test]
fn clones_are_independent_of_the_pristine_root() {
    let w = small_world();
    let pristine = fresh("root-pristine");
    root::build_root(&RootOptions::new(w, "almalinux-9.6", &pristine)).unwrap();
    let before = installed(&pristine, "/var/lib/rpm", "sqlite");

    let copy = fresh("root-copy");
    clone::copy_root(&pristine, &copy, CloneMethod::Copy).unwrap();
    assert_eq!(installed(&copy, "/var/lib/rpm", "sqlite"), before);
    ok(rpm(&copy, "/var/lib/rpm", "sqlite").args(["-e", "--nodeps", "htop"]));
    assert_eq!(installed(&pristine, "/var/lib/rpm", "sqlite"), before);

    let ov = fresh("root-overlay");
    let overlay = clone::overlay_root(&pristine, &ov).unwrap();
    ok(rpm(&overlay.merged, "/var/lib/rpm", "sqlite").args(["-e", "--nodeps", "sudo"]));
    assert!(
        !installed(&overlay.merged, "/var/lib/rpm", "sqlite")
            .iter()
            .any(|p| p.starts_with("sudo-"))
    );
    overlay.unmount().unwrap();
    assert_eq!(
        installed(&pristine, "/var/lib/rpm", "sqlite"),
        before,
        "lower layer untouched"
    );
    assert!(pristine.join("etc/sudoers").exists());
}

#[test]
fn a_root_can_use_the_world_over_http() {
    let w = small_world();
    let srv = serve::serve(w, 0).unwrap();
    let out = fresh("root-http");
    let mut o = RootOptions::new(w, "almalinux-9.6", &out);
    o.base_url = Some(srv.url.clone());
    root::build_root(&o).unwrap();
    let cache = scratch().join("dnf-cache-http");
    let res = Command::new("dnf")
        .env("HOME", rpm_home("/var/lib/rpm"))
        .arg(format!("--installroot={}", out.display()))
        .args([
            "-q",
            "--releasever=9",
            "--setopt=module_platform_id=platform:el9",
        ])
        .arg(format!("--setopt=cachedir={}", cache.display()))
        .args(["--repo=appstream", "list", "--available", "nodejs"])
        .output()
        .unwrap();
    assert!(
        res.status.success(),
        "{}",
        String::from_utf8_lossy(&res.stderr)
    );
    assert!(
        String::from_utf8_lossy(&res.stdout).contains("nodejs.x86_64"),
        "{}",
        String::from_utf8_lossy(&res.stdout)
    );
    srv.stop();
}
