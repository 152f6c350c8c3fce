//! The whole plan on synthetic roots: `leapfrog plan` (facts, events, repositories, depsolve,
//! fates, plan.json) and `leapfrog download` (fetch, verify, test transaction, space), for
//! AlmaLinux 8 -> 9 and CentOS 7 -> AlmaLinux 8, over file:// and HTTP. Needs root (roots are
//! installed with rpm, scriptlets chrooted).

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use leapfrog_testkit::fixture::TestMount;
use leapfrog_testkit::root::{self, RootOptions};
use serde_json::Value;

use common::*;

/// What `dnf distro-sync` to AlmaLinux 9 leaves installed from EL8 on the default root
/// (measured by `testkit/tests/roots.rs::dnf_distro_sync_leaves_evolved_packages_behind`).
const DNF_LEAVES_BEHIND_EL8_TO_9: &[&str] = &[
    "iptables",
    "iptables-arptables",
    "iptables-ebtables",
    "network-scripts",
    "platform-python",
];

/// The user's decisions on a root without custom target repositories: the unsigned agent kept
/// as it is, the MariaDB packages (no target repository) dropped.
const CHOICES: &[&str] = &[
    "--keep-foreign",
    "acme-agent",
    "--drop",
    "MariaDB-server",
    "--drop",
    "MariaDB-client",
];

fn world_dir() -> PathBuf {
    world(&["centos-7.9", "almalinux-8.10", "almalinux-9.6"])
}

fn make_root(name: &str, release: &str, target: Option<&str>, bdb: bool) -> PathBuf {
    install_root(&world_dir(), name, release, target, bdb)
}

fn plan(root: &Path, extra: &[&str]) -> (Output, Value) {
    let data = testkit_data();
    let mut args = vec!["--json", "plan", "--data", data.to_str().unwrap()];
    args.extend_from_slice(extra);
    let out = run_in(root, &args);
    let v = json(&out);
    (out, v)
}

fn fate<'a>(plan: &'a Value, name: &str) -> Vec<&'a Value> {
    plan["packages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["name"] == name)
        .collect()
}

fn incoming(plan: &Value) -> Vec<&str> {
    plan["transaction"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] != "erase" && e["action"] != "obsoleted")
        .map(|e| e["name"].as_str().unwrap())
        .collect()
}

fn rpm_qa_count(root: &Path) -> usize {
    let v = json(&run_in(root, &["--json", "inventory", "--packages"]));
    v["packages"]
        .as_array()
        .map(|a| a.iter().filter(|p| p["name"] != "gpg-pubkey").count())
        .unwrap_or(0)
}

fn code(out: &Output) -> i32 {
    out.status.code().unwrap_or(-1)
}

#[test]
fn almalinux_8_to_9_plan_fixes_what_distro_sync_leaves_and_downloads() {
    let root = make_root("a8-target", "almalinux-8.10", Some("almalinux-9.6"), false);
    let (out, v) = plan(&root, &[]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(v["source"], "almalinux-8.10");
    assert_eq!(v["target"], "almalinux-9.6");
    // every installed package has exactly one fate with a reason
    let packages = v["packages"].as_array().unwrap();
    assert_eq!(packages.len(), rpm_qa_count(&root));
    assert!(
        packages
            .iter()
            .all(|p| p["fate"].is_string() && !p["why"].as_str().unwrap().is_empty())
    );
    // what dnf distro-sync leaves behind is replaced or removed here
    for name in DNF_LEAVES_BEHIND_EL8_TO_9 {
        let f = fate(&v, name);
        assert_eq!(f.len(), 1, "{name}");
        assert!(
            f[0]["fate"] == "replaced" || f[0]["fate"] == "removed",
            "{name}: {}",
            f[0]
        );
    }
    assert_eq!(fate(&v, "iptables")[0]["by"][0], "iptables-nft");
    assert_eq!(fate(&v, "platform-python")[0]["by"][0], "python3");
    let inc = incoming(&v);
    for name in ["iptables-nft", "python3", "bash", "kernel-core"] {
        assert!(inc.contains(&name), "{name} not incoming: {inc:?}");
    }
    // old kernels stay beside the new one
    assert!(fate(&v, "kernel-core").iter().all(|p| p["fate"] == "kept"));
    // vendor packages follow their vendor's target repository
    assert_eq!(fate(&v, "MariaDB-server")[0]["fate"], "kept-vendor");
    assert_eq!(v["modules"]["reset"][0], "postgresql");
    assert!(root.join("var/lib/leapfrog/plan.json").is_file());

    // why reads the plan
    let why = run_in(&root, &["why", "iptables"]);
    assert_eq!(code(&why), 0, "{}", stderr(&why));
    let text = stdout(&why);
    assert!(
        text.contains("replaced")
            && text.contains("iptables-nft")
            && text.contains("tk9-iptables-merged"),
        "{text}"
    );

    let dl = run_in(&root, &["--json", "download"]);
    assert_eq!(code(&dl), 0, "{}", stderr(&dl));
    let d = json(&dl);
    assert_eq!(d["ready"], true);
    assert_eq!(d["packages"].as_u64().unwrap() as usize, inc.len());
    assert_eq!(d["test_transaction"].as_array().unwrap().len(), 0);
    // a second download finds everything verified in place
    let again = run_in(&root, &["--json", "download"]);
    assert_eq!(code(&again), 0);
    let d2 = json(&again);
    assert_eq!(d2["downloaded"], 0);
    assert_eq!(d2["cached"].as_u64().unwrap() as usize, inc.len());
}

#[test]
fn centos_7_to_almalinux_8_on_berkeleydb_plans_renames_splits_and_removals() {
    let root = make_root("c7-target", "centos-7.9", Some("almalinux-8.10"), true);
    let (out, v) = plan(&root, &[]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(v["target"], "almalinux-8.10");
    let by = |name: &str| -> Vec<String> {
        fate(&v, name)[0]["by"]
            .as_array()
            .map(|a| a.iter().map(|x| x.as_str().unwrap().to_string()).collect())
            .unwrap_or_default()
    };
    assert_eq!(by("dhclient"), ["dhcp-client"]);
    assert_eq!(by("ntp"), ["chrony", "ntpstat"]);
    assert_eq!(by("yum-utils"), ["dnf-utils"]);
    assert_eq!(fate(&v, "tcp_wrappers")[0]["fate"], "removed");
    assert_eq!(by("centos-release"), ["almalinux-release"]);
    assert_eq!(by("centos-logos"), ["almalinux-logos"]);
    let inc = incoming(&v);
    for name in [
        "dhcp-client",
        "chrony",
        "ntpstat",
        "dnf-utils",
        "almalinux-release",
    ] {
        assert!(inc.contains(&name), "{name} not incoming: {inc:?}");
    }
    let dl = run_in(&root, &["--json", "download"]);
    assert_eq!(code(&dl), 0, "{}", stderr(&dl));
    let d = json(&dl);
    assert_eq!(d["ready"], true, "{d}");
}

#[test]
fn foreign_and_vendor_packages_block_until_the_user_decides() {
    // No custom target repositories: the migration data chooses, and it has no target for the
    // unsigned acme repository nor definitions for the vendors' target repositories.
    let root = make_root("a8-data", "almalinux-8.10", None, false);
    let (out, v) = plan(&root, &[]);
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    let keys: Vec<&str> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["inhibitor"] == true)
        .map(|f| f["key"].as_str().unwrap())
        .collect();
    assert!(keys.contains(&"plan.no-target"), "{keys:?}");
    assert!(keys.contains(&"plan.solver-removes"), "{keys:?}");
    // the finding lists the names --drop takes
    let removes = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["key"] == "plan.solver-removes")
        .unwrap();
    let names: Vec<&str> = removes["packages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n.as_str().unwrap())
        .collect();
    assert_eq!(names, ["MariaDB-client", "MariaDB-server"], "{removes}");
    assert_eq!(fate(&v, "acme-agent")[0]["fate"], "no-target");
    // download refuses a blocked plan
    let dl = run_in(&root, &["download"]);
    assert_eq!(code(&dl), 2);

    let (out, v) = plan(&root, CHOICES);
    assert_eq!(code(&out), 0, "{}", stdout(&out));
    assert_eq!(fate(&v, "acme-agent")[0]["fate"], "kept-foreign");
    assert_eq!(fate(&v, "MariaDB-server")[0]["fate"], "dropped");
    // the data names the key file but the root does not have it: the plan says so, and the
    // download refuses to accept unverifiable packages
    assert!(
        v["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["key"] == "plan.missing-key")
    );
    let dl = run_in(&root, &["download"]);
    assert_eq!(code(&dl), 1, "{}", stdout(&dl));
    assert!(
        stderr(&dl).contains("no target repository names a key"),
        "{}",
        stderr(&dl)
    );
    // with the target key where leapfrog looks for it, everything verifies
    let keys = root.join("etc/leapfrog/rpm-gpg");
    std::fs::create_dir_all(&keys).unwrap();
    std::fs::copy(
        world_dir().join("almalinux-9.6/RPM-GPG-KEY-AlmaLinux-9"),
        keys.join("RPM-GPG-KEY-AlmaLinux-9"),
    )
    .unwrap();
    let (out, v) = plan(&root, CHOICES);
    assert_eq!(code(&out), 0);
    assert!(
        !v["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["key"] == "plan.missing-key")
    );
    let dl = run_in(&root, &["download", "--offline"]);
    assert_eq!(code(&dl), 0, "{}", text(&dl));
}

#[test]
fn download_over_http_and_offline_refusal() {
    let server = leapfrog_testkit::serve::serve(&world_dir(), 0).expect("serve");
    let dir = scratch().join("a8-http");
    let mut o = RootOptions::new(world_dir(), "almalinux-8.10", &dir);
    o.target = Some("almalinux-9.6".into());
    o.base_url = Some(server.url.clone());
    root::build_root(&o).expect("root");
    // --offline refuses the http repositories while planning
    let out = run_in(
        &dir,
        &[
            "plan",
            "--data",
            testkit_data().to_str().unwrap(),
            "--offline",
        ],
    );
    assert_eq!(code(&out), 1);
    assert!(stderr(&out).contains("offline"), "{}", stderr(&out));
    let (out, v) = plan(&dir, &[]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(
        v["repos"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["baseurls"][0].as_str().unwrap().starts_with("http://"))
    );
    let dl = run_in(&dir, &["--json", "download"]);
    assert_eq!(code(&dl), 0, "{}", stderr(&dl));
    let d = json(&dl);
    assert!(d["downloaded"].as_u64().unwrap() > 0);
    assert_eq!(d["ready"], true);
    server.stop();
}

#[test]
fn download_without_a_plan_and_with_a_corrupt_plan() {
    let dir = scratch().join("no-plan");
    std::fs::create_dir_all(&dir).unwrap();
    let out = run_in(&dir, &["download"]);
    assert_eq!(code(&out), 1);
    assert!(stderr(&out).contains("run `leapfrog plan` first"));
    std::fs::create_dir_all(dir.join("var/lib/leapfrog")).unwrap();
    std::fs::write(dir.join("var/lib/leapfrog/plan.json"), "{\"schema\": 7").unwrap();
    let out = run_in(&dir, &["download"]);
    assert_eq!(code(&out), 1);
    assert!(
        stderr(&out).contains("is not a valid plan"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn offline_from_an_installation_medium_and_a_local_directory() {
    // An EL-style medium: BaseOS/ and AppStream/ with repodata, the key at the top.
    let src = scratch().join("medium-src");
    std::fs::create_dir_all(&src).unwrap();
    let el9 = world_dir().join("almalinux-9.6");
    copy(&el9.join("baseos"), &src.join("BaseOS"));
    copy(&el9.join("appstream"), &src.join("AppStream"));
    std::fs::copy(
        el9.join("RPM-GPG-KEY-AlmaLinux-9"),
        src.join("RPM-GPG-KEY-AlmaLinux-9"),
    )
    .unwrap();
    let image = scratch().join("medium.img");
    let st = Command::new("mkfs.ext4")
        .args(["-q", "-F", "-d"])
        .arg(&src)
        .arg(&image)
        .arg("64M")
        .status()
        .expect("mkfs.ext4");
    assert!(st.success());

    let root = make_root("a8-media", "almalinux-8.10", None, false);
    let extras = el9.join("extras");
    let mut args = vec![
        "--offline",
        "--iso",
        image.to_str().unwrap(),
        "--local-repo",
        extras.to_str().unwrap(),
    ];
    args.extend_from_slice(CHOICES);
    let (out, v) = plan(&root, &args);
    assert_eq!(code(&out), 0, "{}", text(&out));
    let ids: Vec<&str> = v["repos"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["local-extras", "media0-appstream", "media0-baseos"]);
    assert!(incoming(&v).contains(&"iptables-nft"));
    let mounts = || std::fs::read_to_string("/proc/self/mounts").unwrap();
    assert!(!mounts().contains("leapfrog-media"), "medium left mounted");

    let dl = run_in(&root, &["--json", "download", "--offline"]);
    assert_eq!(code(&dl), 0, "{}", text(&dl));
    let d = json(&dl);
    assert_eq!(d["ready"], true);
    assert!(!mounts().contains("leapfrog-media"), "medium left mounted");

    // a directory of packages without repodata is refused with the fix
    let bare = scratch().join("bare-rpms");
    std::fs::create_dir_all(&bare).unwrap();
    let out = run_in(
        &root,
        &[
            "plan",
            "--data",
            testkit_data().to_str().unwrap(),
            "--local-repo",
            bare.to_str().unwrap(),
        ],
    );
    assert_eq!(code(&out), 1);
    assert!(stderr(&out).contains("createrepo_c"));
}

#[test]
fn a_full_download_filesystem_blocks_the_plan() {
    let root = make_root(
        "a8-small-cache",
        "almalinux-8.10",
        Some("almalinux-9.6"),
        false,
    );
    let cache = TestMount::tmpfs(&root.join("var/lib/leapfrog"), "packages", "256k");
    let (out, v) = plan(&root, &[]);
    drop(cache);
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    let f: Vec<&Value> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["key"] == "plan.disk-space")
        .collect();
    assert_eq!(f.len(), 1, "{}", v["findings"]);
    assert!(
        f[0]["summary"].as_str().unwrap().contains("downloads"),
        "{}",
        f[0]
    );
    // with room, the same root plans fine
    let (out, v) = plan(&root, &[]);
    assert_eq!(code(&out), 0, "{}", v["findings"]);
}
