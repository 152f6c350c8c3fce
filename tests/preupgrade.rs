//! `leapfrog preupgrade` end to end on testkit roots: schema-valid reports, exit codes, waivers,
//! the answerfile, bad input, and the guarantee that nothing outside leapfrog's own directories
//! changes.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::Value;
use sha2::Digest as _;

use common::*;

fn world_dir() -> PathBuf {
    world(&[
        "centos-7.9",
        "almalinux-8.10",
        "almalinux-9.6",
        "almalinux-10.0",
    ])
}

fn new_root(release: &str, target: &str, name: &str) -> PathBuf {
    install_root(&world_dir(), name, release, Some(target), false)
}

/// Host facts of a healthy machine running the newest kernel of `major`.
fn host_file(major: u32, name: &str) -> PathBuf {
    let kernel = leapfrog_testkit::catalog::kernel_releases(major)
        .pop()
        .unwrap();
    let gib = 1u64 << 30;
    let facts = serde_json::json!({
        "running_kernel": kernel,
        "kernel_cmdline": "root=/dev/mapper/root ro quiet",
        "arch": "x86_64",
        "loaded_modules": ["xfs", "virtio_net"],
        "memory_kib": 4 * 1024 * 1024,
        "cpu_flags": ["cx16", "lahf_lm", "popcnt", "sse4_1", "sse4_2", "ssse3", "avx", "avx2", "bmi1", "bmi2", "f16c", "fma", "abm", "movbe", "xsave"],
        "mounts": [
            {"source": "/dev/mapper/root", "target": "/", "fstype": "xfs", "options": ["rw"], "free_bytes": 20 * gib, "total_bytes": 40 * gib, "xfs_ftype": 1},
            {"source": "/dev/vda1", "target": "/boot", "fstype": "xfs", "options": ["rw"], "free_bytes": 800u64 << 20, "total_bytes": gib, "xfs_ftype": 1}
        ],
        "network_interfaces": [{"name": "ens3", "physical": true, "driver": "virtio_net"}],
        "efi": false
    });
    let p = scratch().join(format!("host-{name}.json"));
    std::fs::write(&p, serde_json::to_string(&facts).unwrap()).unwrap();
    p
}

/// `rpm -e --nodeps PKG` in the root, scriptlets included.
fn erase(root: &Path, pkg: &str) {
    let st = rpm(root).args(["-e", "--nodeps", pkg]).status().unwrap();
    assert!(st.success());
}

fn report(root: &Path) -> Value {
    serde_json::from_str(
        &std::fs::read_to_string(root.join("var/log/leapfrog/report.json")).unwrap(),
    )
    .unwrap()
}

/// The report's entry with `key`.
fn entry(report: &Value, key: &str) -> Option<Value> {
    report["entries"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["key"] == key)
        .cloned()
}

/// Whether a report entry is in `group` (`inhibitor`, `waived`, ...).
fn in_group(entry: &Value, group: &str) -> bool {
    entry["groups"]
        .as_array()
        .unwrap()
        .contains(&Value::from(group))
}

fn keys(report: &Value) -> Vec<String> {
    report["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["key"].as_str().unwrap().to_string())
        .collect()
}

fn validate(report: &Value) {
    let schema_path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/leapp-data/schemas/leapp-report-schema-v120.json");
    let schema: Value = serde_json::from_str(
        &std::fs::read_to_string(&schema_path).expect("shared leapp schema beside the checkout"),
    )
    .unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let errors: Vec<String> = validator
        .iter_errors(report)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "report does not validate against leapp schema 1.2.0: {errors:#?}"
    );
}

#[test]
fn reports_of_el7_el8_el9_roots_validate_against_leapps_schema() {
    for (release, target, major) in [
        ("centos-7.9", "almalinux-8.10", 7),
        ("almalinux-8.10", "almalinux-9.6", 8),
        ("almalinux-9.6", "almalinux-10.0", 9),
    ] {
        let root = new_root(release, target, &format!("schema-{release}"));
        let host = host_file(major, release);
        let out = run_in(
            &root,
            &["preupgrade", "--host-facts", host.to_str().unwrap()],
        );
        assert!(
            matches!(out.status.code(), Some(0) | Some(2)),
            "{release}: {}",
            stderr(&out)
        );
        let r = report(&root);
        validate(&r);
        assert_eq!(r["leapfrog"]["target"], target);
        assert!(root.join("var/log/leapfrog/report.txt").is_file());
        assert!(root.join("var/lib/leapfrog/facts.json").is_file());
        // the JSON on stdout is the same document
        let json = run_in(
            &root,
            &[
                "--json",
                "preupgrade",
                "--host-facts",
                host.to_str().unwrap(),
            ],
        );
        let v: Value = serde_json::from_slice(&json.stdout).unwrap();
        validate(&v);
        assert_eq!(keys(&v), keys(&report(&root)));
    }
}

fn manifest(root: &Path) -> BTreeMap<String, String> {
    let mut map = BTreeMap::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for e in std::fs::read_dir(&dir).unwrap() {
            let e = e.unwrap();
            let p = e.path();
            let rel = p.strip_prefix(root).unwrap().display().to_string();
            if rel.starts_with("var/log/leapfrog") || rel.starts_with("var/lib/leapfrog") {
                continue;
            }
            let meta = std::fs::symlink_metadata(&p).unwrap();
            use std::os::unix::fs::MetadataExt as _;
            let kind = if meta.is_symlink() {
                format!("link:{}", std::fs::read_link(&p).unwrap().display())
            } else if meta.is_dir() {
                stack.push(p.clone());
                "dir".to_string()
            } else if meta.is_file() {
                hex::encode(sha2::Sha256::digest(std::fs::read(&p).unwrap()))
            } else {
                "special".to_string()
            };
            // creating var/log/leapfrog and var/lib/leapfrog updates their parents' mtime: that
            // entry is the only change allowed there
            let mtime = if rel == "var/log" || rel == "var/lib" {
                0
            } else {
                meta.mtime()
            };
            map.insert(
                rel,
                format!(
                    "{kind} {:o} {} {} {mtime}",
                    meta.mode(),
                    meta.uid(),
                    meta.gid()
                ),
            );
        }
    }
    map
}

#[test]
fn preupgrade_changes_nothing_outside_its_own_directories() {
    for (release, target) in [
        ("almalinux-8.10", "almalinux-9.6"),
        ("centos-7.9", "almalinux-8.10"),
    ] {
        let root = new_root(release, target, &format!("nowrite-{release}"));
        let before = manifest(&root);
        let out = run_in(&root, &["preupgrade", "--target", target]);
        assert!(
            matches!(out.status.code(), Some(0) | Some(2)),
            "{}",
            stderr(&out)
        );
        let after = manifest(&root);
        let changed: Vec<_> = before
            .iter()
            .filter(|(k, v)| after.get(*k) != Some(v))
            .map(|(k, _)| k)
            .collect();
        let added: Vec<_> = after.keys().filter(|k| !before.contains_key(*k)).collect();
        assert!(
            changed.is_empty() && added.is_empty(),
            "{release}: changed {changed:?}, added {added:?}"
        );
        let written: Vec<_> = [
            "var/log/leapfrog/report.json",
            "var/log/leapfrog/report.txt",
            "var/log/leapfrog/answerfile",
            "var/lib/leapfrog/facts.json",
        ]
        .iter()
        .filter(|p| root.join(p).is_file())
        .collect();
        assert_eq!(written.len(), 4);
    }
}

#[test]
fn exit_codes_follow_inhibitors_and_waivers() {
    let root = new_root("almalinux-8.10", "almalinux-9.6", "exit-codes");
    erase(&root, "acme-agent");
    let host = host_file(8, "exit-codes");
    let h = host.to_str().unwrap();
    let ok = run_in(&root, &["preupgrade", "--host-facts", h]);
    let r = report(&root);
    assert_eq!(
        ok.status.code(),
        Some(0),
        "clean root must pass: {:?}\n{}",
        keys(&r),
        stdout(&ok)
    );
    assert!(stdout(&ok).contains("no inhibitors"));

    let blocked = run_in(
        &root,
        &["preupgrade", "--host-facts", h, "--target", "rocky-9"],
    );
    assert_eq!(blocked.status.code(), Some(2));
    let r = report(&root);
    let e = entry(&r, "release.unsupported-path").unwrap();
    assert!(in_group(&e, "inhibitor"));
    assert!(stdout(&blocked).contains("INHIBITOR"));

    let waived = run_in(
        &root,
        &[
            "preupgrade",
            "--host-facts",
            h,
            "--target",
            "rocky-9",
            "--waive",
            "release.unsupported-path",
        ],
    );
    assert_eq!(waived.status.code(), Some(0), "{}", stdout(&waived));
    let r = report(&root);
    let e = entry(&r, "release.unsupported-path").unwrap();
    assert!(in_group(&e, "waived"));
    assert_eq!(
        r["leapfrog"]["waived"],
        serde_json::json!(["release.unsupported-path"])
    );

    // the waiver file does the same
    std::fs::create_dir_all(root.join("etc/leapfrog")).unwrap();
    std::fs::write(
        root.join("etc/leapfrog/waivers"),
        "# waived after review\nrelease.unsupported-path\n",
    )
    .unwrap();
    let file_waived = run_in(
        &root,
        &["preupgrade", "--host-facts", h, "--target", "rocky-9"],
    );
    assert_eq!(file_waived.status.code(), Some(0));
}

#[test]
fn bad_input_gives_clear_errors_and_never_exit_0() {
    let missing = run_in(Path::new("/nonexistent/root"), &["preupgrade"]);
    assert_eq!(missing.status.code(), Some(1));
    assert!(stderr(&missing).contains("/nonexistent/root"));

    let root = new_root("almalinux-9.6", "almalinux-10.0", "bad-input");
    let bad_host = scratch().join("bad-host.json");
    std::fs::write(&bad_host, "{ not json").unwrap();
    let out = run_in(
        &root,
        &["preupgrade", "--host-facts", bad_host.to_str().unwrap()],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("bad-host.json"));

    let out = run_in(&root, &["preupgrade", "--target", "fedora-40"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("invalid target"));

    // a corrupt rpm database: the scanner fails, the run goes on and the failure blocks
    std::fs::write(
        root.join("var/lib/rpm/rpmdb.sqlite"),
        b"this is not a database",
    )
    .unwrap();
    for f in ["rpmdb.sqlite-shm", "rpmdb.sqlite-wal"] {
        let _ = std::fs::remove_file(root.join("var/lib/rpm").join(f));
    }
    let out = run_in(&root, &["preupgrade"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let r = report(&root);
    let e = entry(&r, "actor-error.rpm_scanner").expect("error finding names the actor");
    assert!(e["summary"].as_str().unwrap().contains("rpm_scanner"));
    validate(&r);
}

#[test]
fn a_crashing_actor_becomes_an_error_finding_and_the_run_goes_on() {
    let root = new_root("almalinux-8.10", "almalinux-9.6", "crash");
    let out = run_with_failpoints(
        &root,
        &["preupgrade", "--target", "rocky-9"],
        "actor-panic=security_scanner,actor-panic=unsupported_path_check",
    );
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let r = report(&root);
    let k = keys(&r);
    assert!(
        k.contains(&"actor-error.security_scanner".to_string()),
        "{k:?}"
    );
    assert!(
        k.contains(&"actor-error.unsupported_path_check".to_string()),
        "{k:?}"
    );
    // the other actors still ran: the release was read and the target resolved
    assert_eq!(r["leapfrog"]["target"], "rocky-9.0");
    let runs = r["leapfrog"]["actors"].as_array().unwrap();
    assert!(
        runs.iter()
            .any(|a| a["id"] == "rpm_scanner" && a.get("error").is_none())
    );
    validate(&r);
}

#[test]
fn a_question_blocks_until_answered_with_the_command_it_names() {
    // CentOS 7 -> AlmaLinux 8 with an edited sshd_config that leaves PermitRootLogin unset: root
    // would lose password login, so leapfrog asks
    let root = new_root("centos-7.9", "almalinux-8.10", "question");
    let conf = std::fs::read_to_string(root.join("etc/ssh/sshd_config")).unwrap();
    std::fs::write(
        root.join("etc/ssh/sshd_config"),
        format!("{conf}# edited by the admin\n"),
    )
    .unwrap();
    let host = host_file(7, "question");
    let h = host.to_str().unwrap();
    let out = run_in(&root, &["preupgrade", "--host-facts", h]);
    assert_eq!(out.status.code(), Some(2));
    let r = report(&root);
    let q = entry(&r, "security.sshd-root-password-login").expect("question asked");
    assert!(in_group(&q, "inhibitor"));
    let cmd: Vec<String> = q["detail"]["remediations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["type"] == "command")
        .unwrap()["context"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap().to_string())
        .collect();
    assert_eq!(&cmd[..3], ["leapfrog", "answer", "--section"]);
    let answerfile = std::fs::read_to_string(root.join("var/log/leapfrog/answerfile")).unwrap();
    assert!(
        answerfile.contains("[sshd_root_login]") && answerfile.contains("# choices: yes, no"),
        "{answerfile}"
    );
    // a value that is not a choice is refused, a valid one recorded
    assert_eq!(
        run_in(
            &root,
            &[
                "answer",
                "--section",
                "sshd_root_login.keep_password_login=maybe"
            ]
        )
        .status
        .code(),
        Some(1)
    );
    let ans = run_in(
        &root,
        &[
            "answer",
            "--section",
            "sshd_root_login.keep_password_login=yes",
        ],
    );
    assert_eq!(ans.status.code(), Some(0), "{}", stderr(&ans));
    run_in(&root, &["preupgrade", "--host-facts", h]);
    let k = keys(&report(&root));
    assert!(
        !k.contains(&"security.sshd-root-password-login".to_string()),
        "{k:?}"
    );
    assert!(
        k.contains(&"security.sshd-root-login-answered".to_string()),
        "{k:?}"
    );
}

#[test]
fn answers_are_validated_and_recorded() {
    let root = new_root("almalinux-9.6", "almalinux-10.0", "answers");
    let out = run_in(&root, &["answer", "--section", "not-an-answer"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("SCOPE.KEY=VALUE"));
    let out = run_in(&root, &["answer", "--section", "some_scope.some_key=yes"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = std::fs::read_to_string(root.join("var/log/leapfrog/answerfile")).unwrap();
    assert!(text.contains("[some_scope]\nsome_key=yes"), "{text}");
}

#[test]
fn actors_catalogue_lists_scanners_and_checks() {
    let out = run_in(Path::new("/"), &["--json", "actors"]);
    assert_eq!(out.status.code(), Some(0));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(v["scanners"].as_array().unwrap().len() >= 9);
    assert!(!v["checks"].as_array().unwrap().is_empty());
}

#[test]
fn readme_check_table_is_generated_from_the_registry() {
    let readme =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    let begin = readme
        .find("<!-- checks:begin -->\n")
        .expect("README has the checks:begin marker")
        + "<!-- checks:begin -->\n".len();
    let end = readme
        .find("<!-- checks:end -->")
        .expect("README has the checks:end marker");
    assert_eq!(
        &readme[begin..end],
        leapfrog::cli::actors::markdown(),
        "README's check table is stale: regenerate it with `cargo run -q -- actors --markdown` between the markers"
    );
}
