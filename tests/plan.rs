//! `leapfrog plan --events-only` and `leapfrog data check` on the real ELevate data.

mod common;

use std::path::Path;
use std::process::Output;

use serde_json::Value;

use common::*;

/// `leapfrog VERB_ARGS --installed LIST --source SOURCE --target almalinux-8.10 TAIL`.
fn on_list(verb_args: &[&str], list: &Path, source: &str, tail: &[&str]) -> Output {
    let mut args = verb_args.to_vec();
    args.extend([
        "--installed",
        list.to_str().unwrap(),
        "--source",
        source,
        "--target",
        "almalinux-8.10",
    ]);
    args.extend_from_slice(tail);
    run(&args)
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
    let out = on_list(
        &["--json", "plan"],
        f.path(),
        "centos-7.9",
        &["--leapp-data", data.to_str().unwrap(), "--events-only"],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let v = json(&out);
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
    let out = on_list(&["plan"], f.path(), "centos-7.9", &[]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("--events-only"));
    let bad = list("bash-4.2.46-35.el7_9.x86_64\nnonsense\n");
    let data = leapp_data();
    let events_only = ["--leapp-data", data.to_str().unwrap(), "--events-only"];
    let out = on_list(&["plan"], bad.path(), "centos-7.9", &events_only);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("line 2"), "{}", stderr(&out));
    let out = on_list(&["plan"], f.path(), "centos-7", &events_only);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("minor version"));
}

#[test]
fn data_check_reports_the_real_files_problems() {
    let data = leapp_data();
    let out = run(&["data", "check", "--leapp-data", data.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1), "problems found -> exit 1");
    let text = stdout(&out);
    assert!(text.contains("112 problem(s)"), "{text}");
    assert!(
        text.contains("id 750") && text.contains("needs out-packages"),
        "{text}"
    );
    let missing = run(&["data", "check", "--leapp-data", "/nonexistent/leapp"]);
    assert_eq!(missing.status.code(), Some(1));
    assert!(stderr(&missing).contains("/nonexistent/leapp"));
}

#[test]
fn events_only_plan_of_a_root_uses_its_release_and_signed_packages() {
    let world = world(&["centos-7.9"]);
    let root = install_root(&world, "c7-root", "centos-7.9", None, false);
    let data = leapp_data();
    let out = run_in(
        &root,
        &[
            "--json",
            "plan",
            "--leapp-data",
            data.to_str().unwrap(),
            "--events-only",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let v = json(&out);
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
        let verb: &[&str] = if json {
            &["--json", "why", pkg]
        } else {
            &["why", pkg]
        };
        on_list(
            verb,
            f.path(),
            "centos-7.9",
            &["--leapp-data", data.to_str().unwrap()],
        )
    };
    let out = why("chrony", false);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let text = stdout(&out);
    assert!(
        text.starts_with("chrony: installed from almalinux8-baseos"),
        "{text}"
    );
    assert!(
        text.contains("event 4 (split): ntp -> chrony, ntpstat")
            && text.contains("event 527 (replaced): ntpdate -> chrony"),
        "{text}"
    );
    let v = json(&why("dhclient", true));
    assert_eq!(v["fate"], "removed (events [525])");
    assert_eq!(v["steps"][0]["event"], 525);
    let bash = stdout(&why("bash", false));
    assert!(bash.contains("upgraded by name"), "{bash}");
    let none = stdout(&why("no-such-package", false));
    assert!(
        none.contains("not installed, and no event installs it"),
        "{none}"
    );
}
