//! Packages-domain checks (and the conversion notice) on synthetic roots. Extra packages are
//! built with `rpmbuild`, signed with `rpmsign` and a throw-away gpg key where needed, and
//! installed into sandboxes with the real `rpm`.

mod common;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use common::*;
use leapfrog_actors::facts::rootfs::RootFs;
use leapfrog_actors::model::{Answers, Env};
use leapfrog_actors::runner;

/// Every finding key of the packages checks (and the conversion notice).
const KEYS: &[&str] = &[
    "packages.duplicate",
    "packages.third-party",
    "packages.vendor-mapped",
    "packages.unsigned",
    "packages.no-target",
    "packages.sha1-signature",
    "packages.versionlock",
    "packages.unfinished-transaction",
    "packages.modules-reset",
    "packages.rpmdb-conversion",
    "release.conversion",
];

// ---------------------------------------------------------------------------------------------
// Building and installing extra packages
// ---------------------------------------------------------------------------------------------

fn run(what: &str, cmd: &mut Command) -> String {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("cannot run {what}: {e}"));
    assert!(
        out.status.success(),
        "{what} failed ({cmd:?}): {}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A private HOME and GNUPGHOME (with one throw-away signing key, "Leapfrog Legacy").
fn tool_home() -> &'static (PathBuf, PathBuf) {
    static HOME: OnceLock<(PathBuf, PathBuf)> = OnceLock::new();
    HOME.get_or_init(|| {
        let home = scratch().join("pkg-home");
        let gnupg = scratch().join("pkg-gnupg");
        std::fs::create_dir_all(&home).unwrap();
        std::fs::create_dir_all(&gnupg).unwrap();
        std::fs::set_permissions(&gnupg, std::os::unix::fs::PermissionsExt::from_mode(0o700))
            .unwrap();
        run(
            "gpg --quick-gen-key",
            Command::new("gpg")
                .env("HOME", &home)
                .env("GNUPGHOME", &gnupg)
                .args([
                    "--batch",
                    "--pinentry-mode",
                    "loopback",
                    "--passphrase",
                    "",
                    "--quick-gen-key",
                    "Leapfrog Legacy <legacy@example.invalid>",
                    "rsa2048",
                    "sign",
                    "never",
                ]),
        );
        (home, gnupg)
    })
}

fn tool(program: &str) -> Command {
    let (home, gnupg) = tool_home();
    let mut c = Command::new(program);
    c.env("HOME", home)
        .env("GNUPGHOME", gnupg)
        .env("LC_ALL", "C");
    c
}

/// A package to build.
#[derive(Clone, Copy)]
struct Pkg<'a> {
    name: &'a str,
    version: &'a str,
    release: &'a str,
    /// `x86_64`, `i686` or `noarch`.
    arch: &'a str,
    vendor: &'a str,
    provides: &'a [&'a str],
    /// Sign with this digest (`sha1`, `sha256`); unsigned when `None`.
    digest: Option<&'a str>,
}

impl Pkg<'_> {
    fn plain<'a>(name: &'a str, version: &'a str, release: &'a str) -> Pkg<'a> {
        Pkg {
            name,
            version,
            release,
            arch: "x86_64",
            vendor: "Leapfrog Test",
            provides: &[],
            digest: None,
        }
    }
}

/// Builds (and signs) a package without files; returns the rpm file.
fn build(p: Pkg<'_>) -> PathBuf {
    static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let dir = scratch().join(format!(
        "rpmbuild-{}",
        N.fetch_add(1, std::sync::atomic::Ordering::SeqCst)
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let provides: String = p
        .provides
        .iter()
        .map(|c| format!("Provides: {c}\n"))
        .collect();
    let build_arch = if p.arch == "noarch" {
        "BuildArch: noarch\n"
    } else {
        ""
    };
    let spec = dir.join("p.spec");
    std::fs::write(
        &spec,
        format!(
            "Name: {}\nVersion: {}\nRelease: {}\nSummary: test package\nLicense: MIT\nVendor: {}\n{provides}{build_arch}%description\ntest\n%files\n",
            p.name, p.version, p.release, p.vendor
        ),
    )
    .unwrap();
    let mut cmd = tool("rpmbuild");
    cmd.args(["-bb", "--quiet"]);
    if p.arch != "noarch" {
        cmd.args(["--target", p.arch]);
    }
    run(
        "rpmbuild",
        cmd.arg("--define")
            .arg(format!("_topdir {}", dir.display()))
            .args(["--define", "debug_package %{nil}"])
            .arg(&spec),
    );
    let file = dir.join(format!(
        "RPMS/{0}/{1}-{2}-{3}.{0}.rpm",
        p.arch, p.name, p.version, p.release
    ));
    assert!(file.is_file(), "{} built", file.display());
    if let Some(digest) = p.digest {
        run(
            "rpmsign",
            tool("rpmsign")
                .args(["--define", "__gpg /usr/bin/gpg"])
                .args(["--define", "_gpg_name Leapfrog Legacy"])
                .arg("--define")
                .arg(format!("_gpg_digest_algo {digest}"))
                .arg("--addsign")
                .arg(&file),
        );
    }
    file
}

/// `rpm --root ROOT` with the root's database path.
fn rpm(root: &Path) -> Command {
    let dbpath = if root.join("usr/lib/sysimage/rpm/rpmdb.sqlite").is_file() {
        "/usr/lib/sysimage/rpm"
    } else {
        "/var/lib/rpm"
    };
    let mut c = tool("rpm");
    c.arg("--root")
        .arg(root)
        .arg("--define")
        .arg(format!("_dbpath {dbpath}"));
    c
}

/// Installs rpm files into a root (no dependency or signature checks).
fn install(root: &Path, files: &[PathBuf]) {
    run(
        "rpm -i",
        rpm(root)
            .args(["-i", "--nodeps", "--nosignature", "--noscripts"])
            .args(files),
    );
}

/// Erases packages from a root.
fn erase(root: &Path, names: &[&str]) {
    run(
        "rpm -e",
        rpm(root)
            .args(["-e", "--nodeps", "--noscripts"])
            .args(names),
    );
}

/// A sandbox without the testkit's third-party agent (package and repo file).
fn sandbox_without_acme(release: &str) -> PathBuf {
    let root = sandbox(release);
    erase(&root, &["acme-agent"]);
    std::fs::remove_file(root.join("etc/yum.repos.d/acme.repo")).unwrap();
    root
}

fn my_keys(a: &runner::Assessment) -> BTreeSet<&str> {
    keys(a).into_iter().filter(|k| KEYS.contains(k)).collect()
}

// ---------------------------------------------------------------------------------------------
// Pristine roots
// ---------------------------------------------------------------------------------------------

#[test]
fn pristine_roots_report_only_the_testkit_third_party_software() {
    for release in [
        "centos-7.9",
        "almalinux-8.10",
        "rocky-8.10",
        "almalinux-9.6",
        "almalinux-10.0",
    ] {
        let a = assess(&pristine(release), release);
        assert!(
            a.runs.iter().all(|r| r.error.is_none()),
            "{release}: {:?}",
            a.runs
        );
        let mut want: BTreeSet<&str> = ["packages.unsigned"].into();
        if release != "almalinux-10.0" {
            // acme-agent (unsigned, ACME Hosting) has no target; htop and MariaDB are mapped.
            want.extend([
                "packages.third-party",
                "packages.no-target",
                "packages.vendor-mapped",
            ]);
        }
        if release.contains("-8.") {
            want.insert("packages.modules-reset");
        }
        assert_eq!(my_keys(&a), want, "{release}");
    }
}

#[test]
fn pristine_roots_without_the_agent_have_only_informational_findings() {
    for release in [
        "centos-7.9",
        "almalinux-8.10",
        "rocky-8.10",
        "almalinux-9.6",
        "almalinux-10.0",
    ] {
        let a = assess(&sandbox_without_acme(release), release);
        let got = my_keys(&a);
        let allowed: BTreeSet<&str> = ["packages.vendor-mapped", "packages.modules-reset"].into();
        assert!(got.is_subset(&allowed), "{release}: {got:?}");
        assert!(
            a.findings
                .iter()
                .filter(|f| KEYS.contains(&f.key.as_str()))
                .all(|f| !f.inhibitor),
            "{release}"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// packages.duplicate
// ---------------------------------------------------------------------------------------------

#[test]
fn a_second_version_of_a_package_is_a_duplicate() {
    let root = sandbox("almalinux-9.6");
    let mut p = Pkg::plain("sudo", "1.9.99", "1.el9");
    p.vendor = "AlmaLinux";
    install(&root, &[build(p)]);
    let a = assess(&root, "almalinux-9.6");
    let f = one(&a, "packages.duplicate", &[]);
    assert!(f.blocks());
    assert!(
        f.summary.contains("sudo: ") && f.summary.contains("sudo-1.9.99-1.el9.x86_64"),
        "{}",
        f.summary
    );
    assert_eq!(command(f), ["dnf", "-y", "remove", "--duplicates"]);
}

#[test]
fn duplicates_on_el7_are_cleaned_with_package_cleanup() {
    let root = sandbox("centos-7.9");
    install(&root, &[build(Pkg::plain("sudo", "1.9.99", "1.el7"))]);
    let a = assess(&root, "centos-7.9");
    let f = one(&a, "packages.duplicate", &[]);
    assert!(f.blocks() && f.summary.contains("sudo"), "{}", f.summary);
    assert_eq!(command(f), ["package-cleanup", "-y", "--cleandupes"]);
}

#[test]
fn multilib_and_installonly_packages_are_not_duplicates() {
    let root = sandbox("almalinux-9.6");
    let mut multilib = Pkg::plain("sudo", "1.9.99", "1.el9");
    multilib.arch = "i686";
    let mut kmod1 = Pkg::plain("kmod-acme", "1.0", "1.el9");
    kmod1.provides = &["installonlypkg(kernel-module)"];
    let mut kmod2 = kmod1;
    kmod2.version = "1.1";
    install(&root, &[build(multilib), build(kmod1), build(kmod2)]);
    let a = assess(&root, "almalinux-9.6");
    assert!(
        with_key(&a, "packages.duplicate").is_empty(),
        "{:?}",
        keys(&a)
    );
    // the kernels of the pristine root (two versions each) are installonly by name
    let rpm = a.facts.rpm.get().unwrap();
    assert!(rpm.named("kernel-core").count() >= 2);
    assert!(rpm.installonly_providers.iter().any(|n| n == "kmod-acme"));
}

#[test]
fn names_configured_as_installonly_are_not_duplicates() {
    let root = sandbox("almalinux-9.6");
    write(
        &root,
        "/etc/dnf/dnf.conf",
        "[main]\ngpgcheck=1\ninstallonlypkgs=sudo, kmod-foo\n",
    );
    install(&root, &[build(Pkg::plain("sudo", "1.9.99", "1.el9"))]);
    let a = assess(&root, "almalinux-9.6");
    assert!(
        with_key(&a, "packages.duplicate").is_empty(),
        "{:?}",
        keys(&a)
    );
    assert_eq!(
        a.facts.package_manager.get().unwrap().installonlypkgs,
        ["sudo", "kmod-foo"]
    );
}

// ---------------------------------------------------------------------------------------------
// packages.third-party, packages.no-target, packages.unsigned, packages.vendor-mapped
// ---------------------------------------------------------------------------------------------

#[test]
fn the_unsigned_agent_is_third_party_unsigned_and_has_no_target() {
    let a = assess(&pristine("almalinux-8.10"), "almalinux-8.10");
    let third = one(&a, "packages.third-party", &[]);
    assert!(!third.blocks());
    assert!(
        third.summary.contains("ACME Hosting (unsigned)")
            && third.summary.contains("acme-agent-2.3.1-1.x86_64"),
        "{}",
        third.summary
    );
    assert!(
        !third.summary.contains("htop") && !third.summary.contains("MariaDB"),
        "mapped vendors are reported apart: {}",
        third.summary
    );
    let unsigned = one(&a, "packages.unsigned", &[]);
    assert!(!unsigned.blocks() && unsigned.summary.contains("acme-agent"));
    let no_target = one(&a, "packages.no-target", &[]);
    assert!(no_target.blocks());
    assert!(
        no_target
            .summary
            .contains("acme-agent-2.3.1-1.x86_64 (ACME Hosting)")
    );
    assert_eq!(
        command(no_target),
        ["dnf", "remove", "acme-agent-2.3.1-1.x86_64"]
    );
    assert!(
        no_target
            .remediation
            .as_ref()
            .unwrap()
            .hint
            .contains("--waive packages.no-target")
    );
}

#[test]
fn waiving_no_target_unblocks_it() {
    let root = pristine("almalinux-8.10");
    let env = Env::new(RootFs::new(&root).unwrap(), healthy_host("almalinux-8.10"));
    let waivers: BTreeSet<String> = ["packages.no-target".to_string()].into();
    let a = runner::assess(&env, None, &Answers::new(), &waivers);
    let f = with_key(&a, "packages.no-target");
    assert_eq!(f.len(), 1, "{:?}", keys(&a));
    assert!(f[0].inhibitor && f[0].waived && !f[0].blocks());
}

#[test]
fn packages_signed_by_another_key_are_third_party_but_not_unsigned() {
    let root = sandbox_without_acme("almalinux-9.6");
    let mut p = Pkg::plain("legacy-tool", "1.0", "1");
    p.vendor = "Legacy Corp";
    p.digest = Some("sha256");
    install(&root, &[build(p)]);
    let a = assess(&root, "almalinux-9.6");
    let third = one(&a, "packages.third-party", &[]);
    assert!(
        third.summary.contains("Legacy Corp (signed with key ")
            && third.summary.contains("legacy-tool-1.0-1.x86_64"),
        "{}",
        third.summary
    );
    assert!(
        one(&a, "packages.no-target", &[])
            .summary
            .contains("legacy-tool")
    );
    assert!(with_key(&a, "packages.unsigned").is_empty());
}

#[test]
fn third_party_packages_do_not_matter_for_a_same_major_conversion() {
    let root = pristine("rocky-8.10");
    let a = assess_with(&root, healthy_host("rocky-8.10"), Some("almalinux-8"), &[]);
    assert!(a.target.as_ref().unwrap().conversion);
    for key in [
        "packages.third-party",
        "packages.no-target",
        "packages.vendor-mapped",
        "packages.modules-reset",
    ] {
        assert!(with_key(&a, key).is_empty(), "{key}: {:?}", keys(&a));
    }
    // unsigned packages are worth knowing about on any run
    assert_eq!(with_key(&a, "packages.unsigned").len(), 1);
}

#[test]
fn known_vendor_packages_are_mapped_to_their_target_repositories() {
    let a = assess(&pristine("almalinux-8.10"), "almalinux-8.10");
    let f = one(&a, "packages.vendor-mapped", &[]);
    assert!(!f.blocks());
    for want in [
        "EPEL (vendor \"Fedora Project\"; target repository: testkit-almalinux-9.6-epel)",
        "htop-3.2.1-1.el8.x86_64",
        "MariaDB (vendor \"MariaDB Foundation\"; target repository: testkit-almalinux-9.6-mariadb)",
        "MariaDB-server-10.11.10-1.el8.x86_64",
    ] {
        assert!(f.summary.contains(want), "{want}: {}", f.summary);
    }
    assert!(
        !f.summary.contains("epel-release"),
        "epel-release is signed by the distribution"
    );
}

#[test]
fn a_vendor_mapping_applies_only_when_the_vendor_is_set_up() {
    let root = sandbox_without_acme("almalinux-9.6");
    // without epel-release and its repository, htop is just a third-party package
    erase(&root, &["epel-release"]);
    let _ = std::fs::remove_file(root.join("etc/yum.repos.d/epel.repo"));
    let a = assess(&root, "almalinux-9.6");
    let third = one(&a, "packages.third-party", &[]);
    assert!(
        third.summary.contains("Fedora Project (signed with key ")
            && third.summary.contains("htop"),
        "{}",
        third.summary
    );
    let mapped = one(&a, "packages.vendor-mapped", &[]);
    assert!(mapped.summary.contains("MariaDB") && !mapped.summary.contains("htop"));
    // without any vendor package there is nothing to map
    let root = sandbox_without_acme("almalinux-9.6");
    erase(
        &root,
        &["htop", "MariaDB-server", "MariaDB-client", "MariaDB-common"],
    );
    let a = assess(&root, "almalinux-9.6");
    assert!(with_key(&a, "packages.vendor-mapped").is_empty());
}

#[test]
fn a_missing_vendor_target_repository_is_named() {
    let root = sandbox("almalinux-8.10");
    let path = root.join("etc/leapfrog/target.repos.d/testkit.repo");
    let text = std::fs::read_to_string(&path).unwrap().replace(
        "[testkit-almalinux-9.6-mariadb]",
        "[testkit-almalinux-9.6-mdb]",
    );
    std::fs::write(&path, text).unwrap();
    let a = assess(&root, "almalinux-8.10");
    let f = one(&a, "packages.vendor-mapped", &[]);
    assert!(
        f.summary
            .contains("MariaDB (vendor \"MariaDB Foundation\"; no target repository of this vendor is configured yet)"),
        "{}",
        f.summary
    );
    assert!(f.remediation.as_ref().unwrap().hint.contains("MariaDB"));
}

// ---------------------------------------------------------------------------------------------
// packages.sha1-signature
// ---------------------------------------------------------------------------------------------

fn sha1_package() -> PathBuf {
    static FILE: OnceLock<PathBuf> = OnceLock::new();
    FILE.get_or_init(|| {
        let mut p = Pkg::plain("legacy-tool", "1.0", "1");
        p.vendor = "Legacy Corp";
        p.arch = "noarch";
        p.digest = Some("sha1");
        build(p)
    })
    .clone()
}

#[test]
fn sha1_signed_packages_block_upgrades_to_el9() {
    let root = sandbox("almalinux-8.10");
    install(&root, &[sha1_package()]);
    let a = assess(&root, "almalinux-8.10");
    let rpm = a.facts.rpm.get().unwrap();
    let p = rpm.named("legacy-tool").next().unwrap();
    assert_eq!(rpm.signature_algorithm(p), Some("RSA/SHA1"));
    let f = one(&a, "packages.sha1-signature", &[]);
    assert!(f.blocks());
    assert!(
        f.summary
            .contains("legacy-tool-1.0-1.noarch (RSA/SHA1, key "),
        "{}",
        f.summary
    );
}

#[test]
fn sha1_signatures_do_not_matter_below_el9_and_sha256_is_fine() {
    let root = sandbox("centos-7.9");
    install(&root, &[sha1_package()]);
    let a = assess(&root, "centos-7.9");
    assert!(with_key(&a, "packages.sha1-signature").is_empty());
    assert_eq!(
        with_key(&a, "packages.third-party").len(),
        1,
        "still third party"
    );

    let root = sandbox("almalinux-8.10");
    let mut p = Pkg::plain("legacy-tool", "1.0", "1");
    p.digest = Some("sha256");
    install(&root, &[build(p)]);
    let a = assess(&root, "almalinux-8.10");
    let rpm = a.facts.rpm.get().unwrap();
    let p = rpm.named("legacy-tool").next().unwrap();
    assert_eq!(rpm.signature_algorithm(p), Some("RSA/SHA256"));
    assert!(with_key(&a, "packages.sha1-signature").is_empty());
}

// ---------------------------------------------------------------------------------------------
// packages.versionlock
// ---------------------------------------------------------------------------------------------

#[test]
fn version_locks_are_named() {
    let root = sandbox("almalinux-8.10");
    write(
        &root,
        "/etc/dnf/plugins/versionlock.list",
        "# locked by ops\nsudo-0:1.9.5p2-1.el8_9.*\n!postgresql-0:10.23-2.*\n",
    );
    let a = assess(&root, "almalinux-8.10");
    let f = one(&a, "packages.versionlock", &[]);
    assert!(!f.blocks());
    assert!(
        f.summary.contains("- sudo-0:1.9.5p2-1.el8_9.*")
            && f.summary.contains("- !postgresql-0:10.23-2.*")
            && f.summary.contains("/etc/dnf/plugins/versionlock.list")
            && !f.summary.contains("locked by ops"),
        "{}",
        f.summary
    );
    assert_eq!(command(f), ["dnf", "versionlock", "clear"]);
}

#[test]
fn yum_version_locks_and_custom_lock_lists_are_found() {
    let root = sandbox("centos-7.9");
    write(
        &root,
        "/etc/yum/pluginconf.d/versionlock.conf",
        "[main]\nenabled = 1\nlocklist = /etc/yum/pluginconf.d/ops.list\n",
    );
    write(
        &root,
        "/etc/yum/pluginconf.d/ops.list",
        "0:bash-4.2.46-34.el7.*\n",
    );
    let a = assess(&root, "centos-7.9");
    let f = one(&a, "packages.versionlock", &[]);
    assert!(
        f.summary.contains("0:bash-4.2.46-34.el7.*")
            && f.summary.contains("/etc/yum/pluginconf.d/ops.list"),
        "{}",
        f.summary
    );
    assert_eq!(command(f), ["yum", "versionlock", "clear"]);
}

#[test]
fn empty_lock_lists_are_fine() {
    let root = sandbox("almalinux-8.10");
    write(
        &root,
        "/etc/dnf/plugins/versionlock.list",
        "# nothing locked\n\n",
    );
    let a = assess(&root, "almalinux-8.10");
    assert!(with_key(&a, "packages.versionlock").is_empty());
}

// ---------------------------------------------------------------------------------------------
// packages.unfinished-transaction
// ---------------------------------------------------------------------------------------------

#[test]
fn an_unfinished_yum_transaction_blocks() {
    let root = sandbox("centos-7.9");
    write(
        &root,
        "/var/lib/yum/transaction-all.2024-05-01.10:11.12",
        "install sudo\n",
    );
    let a = assess(&root, "centos-7.9");
    let f = one(&a, "packages.unfinished-transaction", &[]);
    assert!(f.blocks());
    assert!(
        f.summary
            .contains("/var/lib/yum/transaction-all.2024-05-01.10:11.12"),
        "{}",
        f.summary
    );
    assert_eq!(command(f), ["yum-complete-transaction", "--cleanup-only"]);
}

#[test]
fn finished_transactions_and_dnf_systems_do_not_block() {
    let root = sandbox("centos-7.9");
    write(
        &root,
        "/var/lib/yum/transaction-done.2024-05-01.10:11.12",
        "done\n",
    );
    let a = assess(&root, "centos-7.9");
    assert!(with_key(&a, "packages.unfinished-transaction").is_empty());
    // dnf does not use yum's journals: a leftover from an earlier EL7 upgrade is harmless
    let root = sandbox("almalinux-8.10");
    write(
        &root,
        "/var/lib/yum/transaction-all.2024-05-01.10:11.12",
        "install sudo\n",
    );
    let a = assess(&root, "almalinux-8.10");
    assert!(with_key(&a, "packages.unfinished-transaction").is_empty());
}

// ---------------------------------------------------------------------------------------------
// packages.modules-reset
// ---------------------------------------------------------------------------------------------

#[test]
fn enabled_module_streams_are_reported() {
    let root = sandbox("almalinux-8.10");
    write(
        &root,
        "/etc/dnf/modules.d/nodejs.module",
        "[nodejs]\nname=nodejs\nstream=20\nprofiles=\nstate=enabled\n",
    );
    let a = assess(&root, "almalinux-8.10");
    let f = one(&a, "packages.modules-reset", &[]);
    assert!(!f.blocks() && f.severity == leapfrog_actors::finding::Severity::Info);
    assert!(
        f.summary.contains("- nodejs:20") && f.summary.contains("- postgresql:10"),
        "{}",
        f.summary
    );
}

#[test]
fn disabled_modules_are_not_reported() {
    let root = sandbox("almalinux-8.10");
    write(
        &root,
        "/etc/dnf/modules.d/postgresql.module",
        "[postgresql]\nname=postgresql\nstream=\nprofiles=\nstate=disabled\n",
    );
    let a = assess(&root, "almalinux-8.10");
    assert!(
        with_key(&a, "packages.modules-reset").is_empty(),
        "{:?}",
        keys(&a)
    );
}

// ---------------------------------------------------------------------------------------------
// packages.rpmdb-conversion
// ---------------------------------------------------------------------------------------------

fn berkeley_sandbox(release: &str) -> PathBuf {
    let root = sandbox(release);
    leapfrog_testkit::bdb::convert_to_bdb(&root.join("var/lib/rpm")).unwrap();
    assert!(root.join("var/lib/rpm/Packages").is_file());
    root
}

#[test]
fn a_berkeley_db_rpmdb_is_converted_on_the_way_to_el9() {
    let root = berkeley_sandbox("almalinux-8.10");
    let a = assess(&root, "almalinux-8.10");
    let f = one(&a, "packages.rpmdb-conversion", &[]);
    assert!(!f.blocks());
    assert!(
        f.summary.contains("/var/lib/rpm") && f.summary.contains("Packages"),
        "{}",
        f.summary
    );
}

#[test]
fn berkeley_db_stays_on_el8_and_sqlite_needs_no_conversion() {
    let root = berkeley_sandbox("centos-7.9");
    let a = assess(&root, "centos-7.9");
    assert!(with_key(&a, "packages.rpmdb-conversion").is_empty());
    assert!(a.runs.iter().all(|r| r.error.is_none()), "{:?}", a.runs);
    let a = assess(&pristine("almalinux-8.10"), "almalinux-8.10");
    assert!(with_key(&a, "packages.rpmdb-conversion").is_empty());
}

// ---------------------------------------------------------------------------------------------
// release.conversion
// ---------------------------------------------------------------------------------------------

#[test]
fn a_conversion_says_what_changes() {
    let root = pristine("rocky-8.10");
    let a = assess_with(&root, healthy_host("rocky-8.10"), Some("almalinux-8"), &[]);
    let f = one(&a, "release.conversion", &[]);
    assert!(!f.blocks() && f.severity == leapfrog_actors::finding::Severity::Info);
    for want in [
        "AlmaLinux 8.10",
        "rocky-release is replaced by almalinux-release",
        "rocky-logos is replaced by almalinux-logos",
        "signing key",
    ] {
        assert!(f.summary.contains(want), "{want}: {}", f.summary);
    }
}

#[test]
fn an_upgrade_is_not_a_conversion() {
    let a = assess(&pristine("rocky-8.10"), "rocky-8.10");
    assert!(with_key(&a, "release.conversion").is_empty());
    let a = assess(&pristine("centos-7.9"), "centos-7.9");
    assert!(
        with_key(&a, "release.conversion").is_empty(),
        "changing distribution across majors is an upgrade path"
    );
}
