//! Release-domain checks on synthetic roots.

mod common;

use common::*;

#[test]
fn pristine_roots_have_no_release_findings() {
    for release in ["centos-7.9", "almalinux-8.10", "almalinux-9.6"] {
        let a = assess(&pristine(release), release);
        let release_keys: Vec<_> = keys(&a)
            .into_iter()
            .filter(|k| k.starts_with("release."))
            .collect();
        assert!(release_keys.is_empty(), "{release}: {release_keys:?}");
        assert!(
            a.runs.iter().all(|r| r.error.is_none()),
            "{release}: {:?}",
            a.runs
        );
    }
}

#[test]
fn unsupported_target_is_an_inhibitor() {
    let root = pristine("centos-7.9");
    let a = assess_with(&root, healthy_host("centos-7.9"), Some("almalinux-9"), &[]);
    let f = with_key(&a, "release.unsupported-path");
    assert_eq!(f.len(), 1, "{:?}", keys(&a));
    assert!(f[0].blocks());
    assert!(
        f[0].summary.contains("CentOS Linux 7") && f[0].summary.contains("AlmaLinux 9"),
        "{}",
        f[0].summary
    );
}

#[test]
fn old_minor_is_an_inhibitor_with_the_update_command() {
    let root = sandbox("almalinux-8.10");
    let os = std::fs::read_to_string(root.join("usr/lib/os-release"))
        .unwrap()
        .replace("8.10", "8.9");
    write(&root, "/usr/lib/os-release", &os);
    let a = assess(&root, "almalinux-8.10");
    let f = with_key(&a, "release.source-minor-too-old");
    assert_eq!(f.len(), 1, "{:?}", keys(&a));
    assert_eq!(
        f[0].remediation.as_ref().unwrap().command.as_ref().unwrap(),
        &["dnf", "-y", "upgrade"]
    );
}

#[test]
fn unknown_distribution_is_an_inhibitor() {
    let root = sandbox("almalinux-9.6");
    write(
        &root,
        "/usr/lib/os-release",
        "NAME=\"Fedora Linux\"\nID=fedora\nVERSION_ID=40\n",
    );
    let a = assess(&root, "almalinux-9.6");
    assert_eq!(
        with_key(&a, "release.unknown-source").len(),
        1,
        "{:?}",
        keys(&a)
    );
}
