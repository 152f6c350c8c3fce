//! `leapfrog inventory` against a synthetic EL10-style root assembled in a temporary directory:
//! os-release (an absolute symlink, which must resolve inside the root), redhat-release, a repo
//! file with dnf variables, a vars file, a BLS entry, and an rpm database at
//! `/usr/lib/sysimage/rpm` filled by the system's `rpmbuild` and `rpm --root -i`.
//!
//! Needs (Debian): rpm.

mod common;

use std::fs;
use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

use tempfile::TempDir;

use common::{json, stderr, stdout};

const DBPATH: &str = "/usr/lib/sysimage/rpm";
const KERNEL: &str = "6.12.0-55.el10";

struct Fixture {
    dir: TempDir,
    root: PathBuf,
}

impl Fixture {
    fn home(&self) -> PathBuf {
        self.dir.path().join("home")
    }
}

fn run_ok(what: &str, command: &mut Command) {
    let output = command
        .output()
        .unwrap_or_else(|e| panic!("cannot run {what}: {e}"));
    assert!(
        output.status.success(),
        "{what} failed: {}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

fn write(root: &Path, path: &str, text: &str) {
    let path = root.join(path);
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(path, text).unwrap();
}

fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let home = dir.path().join("home");
        let top = dir.path().join("rpmbuild");
        let root = dir.path().join("root");
        fs::create_dir_all(&home).unwrap();
        fs::create_dir_all(&root).unwrap();

        let (version, release) = KERNEL.split_once('-').unwrap();
        let specs = [
            format!(
                "Name: kernel-core\nVersion: {version}\nRelease: {release}\nSummary: k\nLicense: GPL\n\
                 Vendor: Leapfrog Test\n%description\nk\n%files\n"
            ),
            format!(
                "Name: kernel\nVersion: {version}\nRelease: {release}\nSummary: k\nLicense: GPL\n\
                 Vendor: Leapfrog Test\n%description\nk\n%files\n"
            ),
            "Name: hello\nEpoch: 1\nVersion: 2.0\nRelease: 3.el10\nSummary: h\nLicense: MIT\n\
             BuildArch: noarch\n%description\nh\n%files\n"
                .to_owned(),
        ];
        for (i, spec) in specs.iter().enumerate() {
            let path = dir.path().join(format!("{i}.spec"));
            fs::write(&path, spec).unwrap();
            run_ok(
                "rpmbuild",
                Command::new("rpmbuild")
                    .env("HOME", &home)
                    .args(["-bb", "--quiet", "--define"])
                    .arg(format!("_topdir {}", top.display()))
                    .arg(&path),
            );
        }
        let mut rpms = Vec::new();
        for arch in fs::read_dir(top.join("RPMS")).unwrap() {
            for rpm in fs::read_dir(arch.unwrap().path()).unwrap() {
                rpms.push(rpm.unwrap().path());
            }
        }
        assert_eq!(rpms.len(), 3, "{rpms:?}");
        run_ok(
            "rpm -i",
            Command::new("rpm")
                .env("HOME", &home)
                .arg("--root")
                .arg(&root)
                .args(["--define", &format!("_dbpath {DBPATH}")])
                .args(["-i", "--nodeps", "--noscripts"])
                .args(&rpms),
        );

        write(
            &root,
            "usr/lib/os-release",
            "NAME=\"AlmaLinux\"\nVERSION=\"10.0 (Purple Lion)\"\nID=\"almalinux\"\n\
             ID_LIKE=\"rhel centos fedora\"\nVERSION_ID=\"10.0\"\nPLATFORM_ID=\"platform:el10\"\n\
             PRETTY_NAME=\"AlmaLinux 10.0 (Purple Lion)\"\n",
        );
        fs::create_dir_all(root.join("etc")).unwrap();
        // Absolute: must resolve to the root's /usr/lib/os-release, not the host's.
        symlink("/usr/lib/os-release", root.join("etc/os-release")).unwrap();
        write(
            &root,
            "etc/redhat-release",
            "AlmaLinux release 10.0 (Purple Lion)\n",
        );
        write(&root, "etc/dnf/vars/contentdir", "almalinux\n");
        write(
            &root,
            "etc/yum.repos.d/almalinux.repo",
            "[baseos]\nname=AlmaLinux $releasever - BaseOS\n\
             baseurl=https://repo.example/$contentdir/$releasever/BaseOS/$basearch/os/\n\
             enabled=1\ngpgcheck=1\ngpgkey=file:///etc/pki/rpm-gpg/RPM-GPG-KEY-AlmaLinux-10\n\n\
             [crb]\nname=AlmaLinux $releasever - CRB\n\
             mirrorlist=https://mirrors.example/$releasever/crb?arch=$basearch&x=$unknown\n\
             enabled=0\n",
        );
        let arch = std::env::consts::ARCH;
        write(
            &root,
            &format!("boot/loader/entries/0123abcd-{KERNEL}.{arch}.conf"),
            &format!(
                "title AlmaLinux ({KERNEL}.{arch}) 10.0\nversion {KERNEL}.{arch}\n\
                 linux /vmlinuz-{KERNEL}.{arch}\ninitrd /initramfs-{KERNEL}.{arch}.img\n\
                 options root=/dev/vda1 ro\n"
            ),
        );
        // an EL9+ BIOS layout: grub.cfg with blscfg, grubenv beside it
        write(
            &root,
            "boot/grub2/grub.cfg",
            "load_env\nset default=\"${saved_entry}\"\ninsmod blscfg\nblscfg\n",
        );
        write(
            &root,
            "boot/grub2/grubenv",
            &format!("{:#<1024}", "# GRUB Environment Block\nsaved_entry=x\n"),
        );
        Fixture { dir, root }
    })
}

/// `leapfrog ARGS` with `HOME` (no user's rpm macros) in the fixture.
fn leapfrog(home: &Path, args: &[&str]) -> Output {
    common::leapfrog()
        .env("HOME", home)
        .args(args)
        .output()
        .expect("run leapfrog")
}

#[test]
fn json_inventory_of_a_synthetic_root() {
    let fixture = fixture();
    let root = fixture.root.to_str().unwrap();
    let output = leapfrog(&fixture.home(), &["--root", root, "--json", "inventory"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let inv = json(&output);
    let arch = std::env::consts::ARCH;

    assert_eq!(
        inv["root"],
        fixture.root.canonicalize().unwrap().to_str().unwrap()
    );
    assert_eq!(inv["os_release"]["id"], "almalinux");
    assert_eq!(inv["os_release"]["version_id"], "10.0");
    assert_eq!(inv["os_release"]["platform_id"], "platform:el10");
    assert_eq!(
        inv["os_release"]["id_like"],
        serde_json::json!(["rhel", "centos", "fedora"])
    );
    assert_eq!(
        inv["redhat_release"],
        "AlmaLinux release 10.0 (Purple Lion)"
    );

    assert_eq!(inv["rpmdb"]["dbpath"], DBPATH);
    assert_eq!(inv["rpmdb"]["backend"], "sqlite");
    // No LEAPFROG_LIBRPM: the host's librpm, opened by soname.
    let opened = inv["librpm"]["opened"].as_str().unwrap();
    assert!(opened.starts_with("librpm.so."), "{opened}");
    assert!(
        inv["librpm"]["version_text"]
            .as_str()
            .unwrap()
            .starts_with("4."),
        "{inv}"
    );

    let nevras: Vec<String> = inv["packages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            let arch = p["arch"].as_str().unwrap();
            let epoch = p["epoch"]
                .as_u64()
                .map_or(String::new(), |e| format!("{e}:"));
            format!(
                "{}-{epoch}{}-{}.{arch}",
                p["name"].as_str().unwrap(),
                p["version"].as_str().unwrap(),
                p["release"].as_str().unwrap()
            )
        })
        .collect();
    assert_eq!(
        nevras,
        [
            "hello-1:2.0-3.el10.noarch".to_owned(),
            format!("kernel-{KERNEL}.{arch}"),
            format!("kernel-core-{KERNEL}.{arch}"),
        ]
    );
    assert_eq!(inv["package_count"], 3);
    assert_eq!(
        inv["signature_keys"],
        serde_json::json!([{"key_id": null, "imported": false, "packages": 3}])
    );
    assert_eq!(inv["vendors"][0]["vendor"], "Leapfrog Test");
    assert_eq!(inv["vendors"][0]["packages"], 2);

    let kernels = inv["kernels"].as_array().unwrap();
    assert_eq!(kernels.len(), 1, "{kernels:?}");
    assert_eq!(kernels[0]["package"], "kernel-core");
    assert_eq!(kernels[0]["kernel_release"], format!("{KERNEL}.{arch}"));
    let entry_file = format!("0123abcd-{KERNEL}.{arch}.conf");
    assert_eq!(kernels[0]["boot_entries"], serde_json::json!([entry_file]));
    let entry = &inv["boot_entries"][0];
    assert_eq!(entry["file"], entry_file);
    assert_eq!(entry["title"], format!("AlmaLinux ({KERNEL}.{arch}) 10.0"));
    assert_eq!(entry["linux"], format!("/vmlinuz-{KERNEL}.{arch}"));
    assert_eq!(inv["boot_layout"]["layout"]["kind"], "bls");
    assert_eq!(inv["boot_layout"]["firmware"], "bios");
    assert_eq!(inv["boot_layout"]["grub_cfg"], "/boot/grub2/grub.cfg");
    assert_eq!(inv["boot_layout"]["grubenv"], "/boot/grub2/grubenv");
    assert!(inv["boot_layout_error"].is_null());

    assert_eq!(inv["variables"]["releasever"], "10");
    assert_eq!(inv["variables"]["contentdir"], "almalinux");
    let repos = inv["repositories"].as_array().unwrap();
    assert_eq!(repos.len(), 2);
    assert_eq!(repos[0]["id"], "baseos");
    assert_eq!(repos[0]["name"], "AlmaLinux 10 - BaseOS");
    assert_eq!(repos[0]["enabled"], true);
    assert_eq!(repos[0]["gpgcheck"], true);
    assert_eq!(repos[0]["file"], "/etc/yum.repos.d/almalinux.repo");
    // $basearch comes from the installed kernel's arch.
    assert_eq!(
        repos[0]["baseurl"],
        serde_json::json!([format!(
            "https://repo.example/almalinux/10/BaseOS/{arch}/os/"
        )])
    );
    assert_eq!(repos[1]["id"], "crb");
    assert_eq!(repos[1]["enabled"], false);
    assert_eq!(
        repos[1]["mirrorlist"],
        format!("https://mirrors.example/10/crb?arch={arch}&x=$unknown")
    );
    assert_eq!(
        repos[1]["undefined_variables"],
        serde_json::json!(["unknown"])
    );
    assert_eq!(inv["problems"], serde_json::json!([]));
}

#[test]
fn human_inventory_summarises_and_lists_packages() {
    let fixture = fixture();
    let root = fixture.root.to_str().unwrap();
    let output = leapfrog(
        &fixture.home(),
        &["inventory", "--packages", "--root", root],
    );
    assert!(output.status.success(), "{}", stderr(&output));
    let text = stdout(&output);
    for expected in [
        "AlmaLinux 10.0 (Purple Lion)",
        "/usr/lib/sysimage/rpm (sqlite)",
        "3 installed",
        "unsigned",
        "vendor Leapfrog Test",
        "2 (1 enabled)",
        "disabled  crb",
        "hello-1:2.0-3.el10.noarch",
        "Boot layout     BLS entries, BIOS (from the root's files), grubenv /boot/grub2/grubenv",
    ] {
        assert!(
            text.contains(expected),
            "{expected:?} missing from:\n{text}"
        );
    }
    // Without --packages there is no package list.
    let output = leapfrog(&fixture.home(), &["inventory", "--root", root]);
    assert!(!stdout(&output).contains("hello-1:2.0"));
}

#[test]
fn a_root_without_a_usable_boot_layout_says_why() {
    let fixture = fixture();
    let copy = fixture.dir.path().join("root-without-grubenv");
    run_ok(
        "cp -a",
        Command::new("cp").arg("-a").arg(&fixture.root).arg(&copy),
    );
    fs::remove_file(copy.join("boot/grub2/grubenv")).unwrap();
    let root = copy.to_str().unwrap();
    let output = leapfrog(&fixture.home(), &["--root", root, "--json", "inventory"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let inv = json(&output);
    assert!(inv["boot_layout"].is_null());
    let why = inv["boot_layout_error"].as_str().unwrap();
    assert!(
        why.contains("no GRUB environment block at /boot/grub2/grubenv"),
        "{why}"
    );
    let output = leapfrog(&fixture.home(), &["--root", root, "inventory"]);
    assert!(
        stdout(&output).contains(
            "Boot layout     not usable for the upgrade: there is no GRUB environment block"
        ),
        "{}",
        stdout(&output)
    );
}

#[test]
fn root_comes_from_the_environment() {
    let fixture = fixture();
    let output = common::leapfrog()
        .env("HOME", fixture.home())
        .env(leapfrog_base::env::ROOT, &fixture.root)
        .args(["inventory", "--json"])
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    let inv = json(&output);
    assert_eq!(inv["os_release"]["version_id"], "10.0");
}

#[test]
fn root_without_an_rpm_database_fails_with_exit_code_1() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "etc/os-release",
        "ID=almalinux\nVERSION_ID=9.3\n",
    );
    let root = dir.path().canonicalize().unwrap();
    let output = leapfrog(
        dir.path(),
        &["--root", root.to_str().unwrap(), "--json", "inventory"],
    );
    assert_eq!(output.status.code(), Some(1));
    assert!(output.stdout.is_empty(), "{}", stdout(&output));
    let stderr = stderr(&output);
    assert!(stderr.contains("no rpm database found"), "{stderr}");
    assert!(
        stderr.contains(&format!("{}/var/lib/rpm/Packages", root.display())),
        "{stderr}"
    );
    assert_eq!(
        stderr.trim_end().lines().count(),
        1,
        "one error line: {stderr}"
    );
}

#[test]
fn corrupt_rpm_database_fails_with_exit_code_1() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "etc/os-release",
        "ID=almalinux\nVERSION_ID=9.3\n",
    );
    write(dir.path(), "var/lib/rpm/rpmdb.sqlite", "not a database");
    let output = leapfrog(
        dir.path(),
        &["--root", dir.path().to_str().unwrap(), "inventory"],
    );
    assert_eq!(output.status.code(), Some(1));
    let stderr = stderr(&output);
    assert!(
        stderr.contains("cannot open the sqlite rpm database at /var/lib/rpm"),
        "{stderr}"
    );
}

/// `LEAPFROG_LIBRPM` naming a missing file, or a library that is no librpm: exit 1, the file
/// named, and never a fallback to the host's librpm.
#[test]
fn a_librpm_that_cannot_be_opened_is_an_error_naming_it() {
    let fixture = fixture();
    let root = fixture.root.to_str().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("librpm.so.3");
    let not_rpm = dir.path().join("libnot.so");
    // Any shared library of the host that is not librpm (the test binary's libc).
    let libc = [
        "/lib/x86_64-linux-gnu/libc.so.6",
        "/lib/aarch64-linux-gnu/libc.so.6",
    ]
    .into_iter()
    .find(|p| Path::new(p).exists())
    .expect("a libc.so.6 on this machine");
    fs::copy(libc, &not_rpm).unwrap();
    for (library, expected) in [
        (&missing, "cannot open"),
        (&not_rpm, "is no librpm (no RPMVERSION"),
    ] {
        let output = common::leapfrog()
            .env("HOME", fixture.home())
            .env("LEAPFROG_LIBRPM", library)
            .args(["--root", root, "inventory"])
            .output()
            .expect("run leapfrog");
        assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
        let stderr = stderr(&output);
        assert!(stderr.contains(expected), "{stderr}");
        assert!(stderr.contains(library.to_str().unwrap()), "{stderr}");
    }
}

#[test]
fn missing_root_or_release_fails_with_exit_code_1() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("nowhere");
    let output = leapfrog(
        dir.path(),
        &["--root", missing.to_str().unwrap(), "inventory"],
    );
    assert_eq!(output.status.code(), Some(1));
    assert!(stderr(&output).contains("nowhere"));

    write(dir.path(), "etc/os-release", "this is not os-release\n");
    let output = leapfrog(
        dir.path(),
        &["--root", dir.path().to_str().unwrap(), "inventory"],
    );
    assert_eq!(output.status.code(), Some(1));
    let stderr = stderr(&output);
    assert!(
        stderr.contains("etc/os-release") && stderr.contains("line 1"),
        "{stderr}"
    );
}

#[test]
fn usage_errors_exit_with_1_not_2() {
    let dir = tempfile::tempdir().unwrap();
    let output = leapfrog(dir.path(), &["inventory", "--no-such-flag"]);
    assert_eq!(output.status.code(), Some(1));
    let output = leapfrog(dir.path(), &[]);
    assert_eq!(output.status.code(), Some(1));
    let output = leapfrog(dir.path(), &["--help"]);
    assert_eq!(output.status.code(), Some(0));
    assert!(stdout(&output).contains("inventory"));
}
