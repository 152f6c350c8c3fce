//! Repos-domain checks on synthetic roots.

mod common;

use std::collections::BTreeSet;
use std::path::PathBuf;

use common::*;
use leapfrog_actors::finding::Severity;
use leapfrog_actors::runner::Assessment;

/// Every finding key of the repos checks.
const KEYS: &[&str] = &[
    "repos.no-target-repos",
    "repos.target-key-missing",
    "repos.third-party",
    "repos.vendor-mapped",
    "repos.invalid-config",
];

const TARGET_REPO: &str = "/etc/leapfrog/target.repos.d/testkit.repo";

fn my_keys(a: &Assessment) -> BTreeSet<&str> {
    keys(a).into_iter().filter(|k| KEYS.contains(k)).collect()
}

fn remove(root: &std::path::Path, path: &str) {
    std::fs::remove_file(root.join(path.trim_start_matches('/'))).unwrap();
}

/// A sandbox without the testkit's third-party agent repository.
fn sandbox_without_acme(release: &str) -> PathBuf {
    let root = sandbox(release);
    remove(&root, "/etc/yum.repos.d/acme.repo");
    root
}

// ---------------------------------------------------------------------------------------------
// Pristine roots
// ---------------------------------------------------------------------------------------------

#[test]
fn pristine_roots_report_only_the_testkit_vendor_and_agent_repositories() {
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
        let want: BTreeSet<&str> = if release == "almalinux-10.0" {
            // no target: nothing to upgrade to, no target repositories needed
            BTreeSet::new()
        } else {
            ["repos.third-party", "repos.vendor-mapped"].into()
        };
        assert_eq!(my_keys(&a), want, "{release}");
        let a = assess(&sandbox_without_acme(release), release);
        let got = my_keys(&a);
        assert!(
            got.is_subset(&["repos.vendor-mapped"].into()),
            "{release}: {got:?}"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// repos.no-target-repos
// ---------------------------------------------------------------------------------------------

#[test]
fn no_target_repository_blocks() {
    let root = sandbox("almalinux-8.10");
    remove(&root, TARGET_REPO);
    let a = assess(&root, "almalinux-8.10");
    let f = one(&a, "repos.no-target-repos", &[]);
    assert!(f.blocks());
    assert!(
        f.summary.contains("AlmaLinux 9.6")
            && f.summary
                .contains("/etc/leapfrog/target.repos.d holds no repository"),
        "{}",
        f.summary
    );
}

#[test]
fn target_sources_given_on_the_command_line_are_enough() {
    use leapfrog_actors::facts::rootfs::RootFs;
    use leapfrog_actors::model::Env;
    let root = sandbox("almalinux-8.10");
    remove(&root, TARGET_REPO);
    let env = Env {
        target_sources: vec!["--iso /srv/AlmaLinux-9.6-x86_64-dvd.iso".to_string()],
        ..Env::new(RootFs::new(&root).unwrap(), healthy_host("almalinux-8.10"))
    };
    let a = leapfrog_actors::runner::assess(&env, None, &Default::default(), &BTreeSet::new());
    assert!(
        with_key(&a, "repos.no-target-repos").is_empty(),
        "{:?}",
        keys(&a)
    );
    assert_eq!(
        a.facts.repositories.get().unwrap().command_line_sources,
        ["--iso /srv/AlmaLinux-9.6-x86_64-dvd.iso"]
    );
}

#[test]
fn only_disabled_target_repositories_block_and_are_named() {
    let root = sandbox("centos-7.9");
    write(
        &root,
        TARGET_REPO,
        "[alma8-baseos]\nname=AlmaLinux 8 BaseOS\nbaseurl=https://repo.example.invalid/8/BaseOS/\nenabled=0\n",
    );
    let a = assess(&root, "centos-7.9");
    let f = one(&a, "repos.no-target-repos", &[]);
    assert!(
        f.summary
            .contains("alma8-baseos in /etc/leapfrog/target.repos.d/testkit.repo (disabled)"),
        "{}",
        f.summary
    );
}

#[test]
fn one_enabled_target_repository_is_enough() {
    let root = sandbox("centos-7.9");
    write(
        &root,
        TARGET_REPO,
        "[alma8-baseos]\nname=AlmaLinux 8 BaseOS\nbaseurl=https://repo.example.invalid/8/BaseOS/\nenabled=1\ngpgcheck=1\ngpgkey=https://repo.example.invalid/RPM-GPG-KEY-AlmaLinux\n",
    );
    let a = assess(&root, "centos-7.9");
    assert!(
        with_key(&a, "repos.no-target-repos").is_empty(),
        "{:?}",
        keys(&a)
    );
    assert!(
        with_key(&a, "repos.target-key-missing").is_empty(),
        "remote keys are not checked"
    );
}

// ---------------------------------------------------------------------------------------------
// repos.target-key-missing
// ---------------------------------------------------------------------------------------------

#[test]
fn a_missing_target_key_file_blocks() {
    let root = sandbox("almalinux-9.6");
    let missing = scratch().join("no-such-dir/RPM-GPG-KEY-AlmaLinux-10");
    write(
        &root,
        "/etc/leapfrog/target.repos.d/extra.repo",
        &format!(
            "[alma10-extra]\nname=extra\nbaseurl=https://repo.example.invalid/10/\nenabled=1\ngpgcheck=1\ngpgkey=file://{}\n",
            missing.display()
        ),
    );
    let a = assess(&root, "almalinux-9.6");
    let f = one(&a, "repos.target-key-missing", &[]);
    assert!(f.blocks());
    assert!(
        f.summary.contains(&format!(
            "alma10-extra (/etc/leapfrog/target.repos.d/extra.repo): {}",
            missing.display()
        )),
        "{}",
        f.summary
    );
    assert_eq!(f.related[0].title, missing.display().to_string());
}

#[test]
fn target_keys_are_host_paths_and_unchecked_repositories_need_none() {
    // the testkit's target repositories name keys in the world directory on the host: present
    let a = assess(&pristine("almalinux-8.10"), "almalinux-8.10");
    assert!(with_key(&a, "repos.target-key-missing").is_empty());
    let files = &a.facts.repositories.get().unwrap().target_gpgkey_files;
    assert!(
        !files.is_empty() && files.values().all(|exists| *exists),
        "{files:?}"
    );

    // a key that exists only inside the root does not count: dnf reads file:// on the host
    let root = sandbox("almalinux-8.10");
    let inside = "/etc/pki/rpm-gpg/RPM-GPG-KEY-only-in-root";
    write(&root, inside, "key");
    write(
        &root,
        "/etc/leapfrog/target.repos.d/extra.repo",
        &format!(
            "[inside]\nname=inside\nbaseurl=https://repo.example.invalid/\ngpgkey=file://{inside}\n"
        ),
    );
    let a = assess(&root, "almalinux-8.10");
    assert!(
        one(&a, "repos.target-key-missing", &[])
            .summary
            .contains(inside)
    );

    // the same missing key on a repository with gpgcheck=0, or a disabled one, is fine
    let root = sandbox("almalinux-8.10");
    write(
        &root,
        "/etc/leapfrog/target.repos.d/extra.repo",
        "[nocheck]\nname=x\nbaseurl=https://repo.example.invalid/\ngpgcheck=0\ngpgkey=file:///nonexistent/KEY\n\n[off]\nname=y\nbaseurl=https://repo.example.invalid/\nenabled=0\ngpgkey=file:///nonexistent/KEY\n",
    );
    let a = assess(&root, "almalinux-8.10");
    assert!(
        with_key(&a, "repos.target-key-missing").is_empty(),
        "{:?}",
        keys(&a)
    );
}

// ---------------------------------------------------------------------------------------------
// repos.third-party, repos.vendor-mapped
// ---------------------------------------------------------------------------------------------

#[test]
fn third_party_repositories_are_named_with_their_files() {
    let a = assess(&pristine("almalinux-8.10"), "almalinux-8.10");
    let f = one(&a, "repos.third-party", &[]);
    assert!(!f.blocks() && f.severity == Severity::Medium);
    assert!(
        f.summary
            .contains("acme (ACME Hosting agent) in /etc/yum.repos.d/acme.repo"),
        "{}",
        f.summary
    );
    assert!(
        !f.summary.contains("baseos") && !f.summary.contains("epel"),
        "{}",
        f.summary
    );
    assert_eq!(
        command(f),
        ["dnf", "config-manager", "--set-disabled", "acme"]
    );

    let a = assess(&pristine("centos-7.9"), "centos-7.9");
    let f = one(&a, "repos.third-party", &[]);
    assert!(!f.summary.contains("CentOS-Base.repo"), "{}", f.summary);
    assert_eq!(command(f), ["yum-config-manager", "--disable", "acme"]);
}

#[test]
fn disabled_or_removed_third_party_repositories_are_fine() {
    let root = sandbox("almalinux-9.6");
    write(
        &root,
        "/etc/yum.repos.d/acme.repo",
        "[acme]\nname=ACME Hosting agent\nbaseurl=https://acme.example.invalid/\nenabled=0\n",
    );
    let a = assess(&root, "almalinux-9.6");
    assert!(
        with_key(&a, "repos.third-party").is_empty(),
        "{:?}",
        keys(&a)
    );
    // a repository in a file that does not carry the distribution's prefix is third party,
    // even with a distribution-like id
    let root = sandbox_without_acme("almalinux-9.6");
    write(
        &root,
        "/etc/yum.repos.d/mirror.repo",
        "[baseos-mirror]\nname=Local BaseOS mirror\nbaseurl=https://mirror.example.invalid/\n",
    );
    let a = assess(&root, "almalinux-9.6");
    assert!(
        one(&a, "repos.third-party", &[])
            .summary
            .contains("baseos-mirror (Local BaseOS mirror) in /etc/yum.repos.d/mirror.repo")
    );
}

#[test]
fn known_vendor_repositories_are_information() {
    let a = assess(&pristine("almalinux-8.10"), "almalinux-8.10");
    let f = one(&a, "repos.vendor-mapped", &[]);
    assert!(!f.blocks() && f.severity == Severity::Info);
    for want in [
        "epel (Extra Packages for Enterprise Linux 8 - x86_64) in /etc/yum.repos.d/epel.repo [EPEL; target: testkit-almalinux-9.6-epel]",
        "mariadb (MariaDB Server) in /etc/yum.repos.d/mariadb.repo [MariaDB; target: testkit-almalinux-9.6-mariadb]",
    ] {
        assert!(f.summary.contains(want), "{want}: {}", f.summary);
    }
    let root = sandbox("almalinux-8.10");
    remove(&root, "/etc/yum.repos.d/epel.repo");
    remove(&root, "/etc/yum.repos.d/mariadb.repo");
    let a = assess(&root, "almalinux-8.10");
    assert!(with_key(&a, "repos.vendor-mapped").is_empty());
}

#[test]
fn repositories_do_not_matter_for_a_same_major_conversion() {
    let a = assess_with(
        &pristine("rocky-8.10"),
        healthy_host("rocky-8.10"),
        Some("almalinux-8"),
        &[],
    );
    assert!(with_key(&a, "repos.third-party").is_empty());
    assert!(with_key(&a, "repos.vendor-mapped").is_empty());
}

// ---------------------------------------------------------------------------------------------
// repos.invalid-config
// ---------------------------------------------------------------------------------------------

#[test]
fn broken_repository_files_are_named_with_the_reason() {
    let root = sandbox("almalinux-9.6");
    write(
        &root,
        "/etc/yum.repos.d/broken.repo",
        "this is not a repo file\n",
    );
    write(
        &root,
        "/etc/yum.repos.d/values.repo",
        "[vals]\nname=v\nbaseurl=https://x.example.invalid/$nosuchvar/\nenabled=maybe\n",
    );
    let a = assess(&root, "almalinux-9.6");
    let f = one(&a, "repos.invalid-config", &[]);
    assert!(!f.blocks() && f.severity == Severity::Medium);
    for want in [
        "/etc/yum.repos.d/broken.repo: ignored, not a valid repository file: line 1",
        "/etc/yum.repos.d/values.repo: repository [vals]: invalid enabled=\"maybe\"",
        "repository [vals] uses undefined variable(s) $nosuchvar",
    ] {
        assert!(f.summary.contains(want), "{want}: {}", f.summary);
    }
    let related: Vec<&str> = f.related.iter().map(|r| r.title.as_str()).collect();
    assert_eq!(
        related,
        [
            "/etc/yum.repos.d/broken.repo",
            "/etc/yum.repos.d/values.repo"
        ]
    );
}

#[test]
fn valid_files_and_defined_variables_are_fine() {
    let root = sandbox("almalinux-9.6");
    write(&root, "/etc/dnf/vars/mirror", "mirror.example.invalid\n");
    write(
        &root,
        "/etc/yum.repos.d/values.repo",
        "[vals]\nname=v\nbaseurl=https://$mirror/$releasever/\nenabled=0\n\n[off]\nname=o\nbaseurl=https://x.example.invalid/$undefined_but_disabled/\nenabled=no\n",
    );
    let a = assess(&root, "almalinux-9.6");
    assert!(
        with_key(&a, "repos.invalid-config").is_empty(),
        "{:?}",
        keys(&a)
    );
}
