//! `leapfrog plan --events-only` and `leapfrog data check` on the real ELevate data.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

fn leapp_data() -> PathBuf {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/leapp-data/files-installed-for-almalinux-8");
    assert!(
        p.join("pes-events.json").is_file(),
        "shared leapp data beside the checkout"
    );
    p
}

fn leapfrog(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_leapfrog"))
        .args(args)
        .output()
        .unwrap()
}

fn list(text: &str) -> tempfile::NamedTempFile {
    let f = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(f.path(), text).unwrap();
    f
}

const CENTOS7: &str = "\
dhclient-4.2.5-83.el7.centos.2.x86_64
ntp-4.2.6p5-29.el7.centos.2.x86_64
ntpdate-4.2.6p5-29.el7.centos.2.x86_64
yum-utils-1.1.31-54.el7_8.noarch
tcp_wrappers-7.6-77.el7.x86_64
bash-4.2.46-35.el7_9.x86_64
gpg-pubkey-f4a80eb5-53a7ff4b
";

#[test]
fn events_only_plan_of_a_centos7_list() {
    let f = list(CENTOS7);
    let data = leapp_data();
    let out = leapfrog(&[
        "--json",
        "plan",
        "--installed",
        f.path().to_str().unwrap(),
        "--source",
        "centos-7.9",
        "--target",
        "almalinux-8.10",
        "--leapp-data",
        data.to_str().unwrap(),
        "--events-only",
    ]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let install = |name: &str| {
        v["to_install"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["name"] == name)
            .cloned()
    };
    let dhcp = install("dhcp-client").expect("the rename dhclient -> dhcp-client (PES 525)");
    assert_eq!(dhcp["events"], serde_json::json!([525]));
    assert_eq!(dhcp["repo"], "almalinux8-baseos");
    assert_eq!(dhcp["module_stream"], Value::Null);
    assert!(
        install("chrony").is_some() && install("ntpstat").is_some(),
        "the split ntp -> chrony + ntpstat (PES 4)"
    );
    assert!(
        install("dnf-utils").is_some(),
        "yum-utils -> dnf-utils (PES 915)"
    );
    let removed: Vec<&str> = v["to_remove"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        removed,
        ["dhclient", "ntp", "ntpdate", "tcp_wrappers", "yum-utils"]
    );
    assert!(!removed.contains(&"bash") && !removed.contains(&"gpg-pubkey"));
    assert!(
        v["repos"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r == "almalinux8-baseos")
    );
    assert!(
        v["modules"]["enable"].is_array()
            && v["modules"]["reset"].is_array()
            && v["to_keep"].is_array()
            && v["findings"].is_array()
    );
}

#[test]
fn plan_refuses_what_it_cannot_do_yet_and_bad_input() {
    let f = list(CENTOS7);
    let path = f.path().to_str().unwrap();
    let out = leapfrog(&[
        "plan",
        "--installed",
        path,
        "--source",
        "centos-7.9",
        "--target",
        "almalinux-8.10",
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--events-only"));
    let bad = list("bash-4.2.46-35.el7_9.x86_64\nnonsense\n");
    let data = leapp_data();
    let out = leapfrog(&[
        "plan",
        "--installed",
        bad.path().to_str().unwrap(),
        "--source",
        "centos-7.9",
        "--target",
        "almalinux-8.10",
        "--leapp-data",
        data.to_str().unwrap(),
        "--events-only",
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("line 2"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = leapfrog(&[
        "plan",
        "--installed",
        path,
        "--source",
        "centos-7",
        "--target",
        "almalinux-8.10",
        "--leapp-data",
        data.to_str().unwrap(),
        "--events-only",
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("minor version"));
}

#[test]
fn data_check_reports_the_real_files_problems() {
    let data = leapp_data();
    let out = leapfrog(&["data", "check", "--leapp-data", data.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1), "problems found -> exit 1");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("112 problem(s)"), "{text}");
    assert!(
        text.contains("id 750") && text.contains("needs out-packages"),
        "{text}"
    );
    let missing = leapfrog(&["data", "check", "--leapp-data", "/nonexistent/leapp"]);
    assert_eq!(missing.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("/nonexistent/leapp"));
}

#[test]
fn events_only_plan_of_a_root_uses_its_release_and_signed_packages() {
    let dir = tempfile::tempdir().unwrap();
    let mut w = leapfrog_testkit::world::WorldOptions::new(
        dir.path().join("world"),
        leapfrog_testkit::world::Scale::Small,
    );
    w.releases = vec!["centos-7.9".into()];
    leapfrog_testkit::world::build_world(&w).unwrap();
    let root = dir.path().join("root");
    leapfrog_testkit::root::build_root(&leapfrog_testkit::root::RootOptions::new(
        dir.path().join("world"),
        "centos-7.9",
        &root,
    ))
    .unwrap();
    let data = leapp_data();
    let out = Command::new(env!("CARGO_BIN_EXE_leapfrog"))
        .arg("--root")
        .arg(&root)
        .args([
            "--json",
            "plan",
            "--leapp-data",
            data.to_str().unwrap(),
            "--events-only",
        ])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        (v["source"].as_str().unwrap(), v["target"].as_str().unwrap()),
        ("centos-7.9", "almalinux-8.10")
    );
    let installs: Vec<&str> = v["to_install"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    for name in [
        "almalinux-release",
        "dhcp-client",
        "chrony",
        "platform-python",
    ] {
        assert!(installs.contains(&name), "{name} missing from {installs:?}");
    }
    let third: Vec<&str> = v["not_distribution_signed"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p.as_str().unwrap())
        .collect();
    assert_eq!(
        third,
        [
            "MariaDB-client",
            "MariaDB-common",
            "MariaDB-server",
            "acme-agent",
            "htop"
        ]
    );
    // nothing was written into the root
    assert!(!root.join("var/lib/leapfrog").exists());
}

#[test]
fn why_explains_a_packages_fate_with_its_event_chain() {
    let f = list(CENTOS7);
    let data = leapp_data();
    let why = |pkg: &str, json: bool| {
        let mut args = vec![
            "why",
            pkg,
            "--installed",
            f.path().to_str().unwrap(),
            "--source",
            "centos-7.9",
            "--target",
            "almalinux-8.10",
            "--leapp-data",
            data.to_str().unwrap(),
        ];
        if json {
            args.insert(0, "--json");
        }
        leapfrog(&args)
    };
    let out = why("chrony", false);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.starts_with("chrony: installed from almalinux8-baseos"),
        "{text}"
    );
    assert!(
        text.contains("event 4 (split): ntp -> chrony, ntpstat")
            && text.contains("event 527 (replaced): ntpdate -> chrony"),
        "{text}"
    );
    let v: Value = serde_json::from_slice(&why("dhclient", true).stdout).unwrap();
    assert_eq!(v["fate"], "removed (events [525])");
    assert_eq!(v["steps"][0]["event"], 525);
    let bash = String::from_utf8_lossy(&why("bash", false).stdout).to_string();
    assert!(bash.contains("upgraded by name"), "{bash}");
    let none = String::from_utf8_lossy(&why("no-such-package", false).stdout).to_string();
    assert!(
        none.contains("not installed, and no event installs it"),
        "{none}"
    );
}
