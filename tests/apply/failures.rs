//! What goes wrong: a failing `%post` rolled back automatically, a SIGKILL at every failpoint
//! followed by a re-run, the refusals that change nothing, a disk that fills up in the middle of
//! the transaction.

use std::fs;
use std::os::unix::process::ExitStatusExt as _;
use std::path::Path;
use std::process::Command;

use leapfrog::apply::state::State;
use leapfrog::plan::document::PlanDocument;
use leapfrog_testkit::fixture::TestMount;

use super::*;

#[test]
fn a_failing_post_scriptlet_rolls_back_to_the_exact_old_root() {
    let dir = install_root(
        &world(),
        "a8-failing-post",
        "almalinux-8.10",
        Some("almalinux-9.6"),
        false,
    );
    with_failing_post(&dir);
    plan_and_download(&dir);
    let plan = PlanDocument::require(&Workspace::unchecked(&dir)).unwrap();
    assert!(
        plan.transaction
            .iter()
            .any(|e| e.nevra.starts_with("failing-post-1.0-1.el9")),
        "the plan upgrades failing-post"
    );
    let before = picture(&dir);
    let o = run_in(&dir, &["--json", "apply", "--snapshot", "copy"]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    let r = result_of(&o);
    assert_eq!(r["outcome"], "rolled-back", "{r}");
    let failure = r["failure"].as_str().unwrap();
    assert!(failure.contains("failing-post"), "{failure}");
    assert!(failure.contains("scriptlet"), "{failure}");
    assert!(r["rollback"]["restored"].as_u64().unwrap() > 0);
    assert_eq!(r["rollback"]["rpmdb_matches"], true);
    assert_old_root(&dir, &before, "after the failing %post");
    // the scriptlet's own output went to the log, not the console
    let scriptlets =
        fs::read_to_string(dir.join("var/log/leapfrog/scriptlets.log")).unwrap_or_default();
    let log = fs::read_to_string(dir.join("var/log/leapfrog/apply.log")).unwrap();
    assert!(log.contains("phase rolled-back"), "{log}");
    assert!(
        log.contains("failing-post") || scriptlets.contains("failing-post"),
        "{log}"
    );
    // human output names the cause; exit 1
    let state = State::require(&Workspace::unchecked(&dir)).unwrap();
    assert!(state.phase.error().unwrap().contains("failing-post"));
}

/// One crash test: `spec` kills the first run; a second run without failpoints must end in
/// `expect` (`new`: complete upgrade, `old`: exact old root).
struct Kill {
    spec: String,
    verb: &'static str,
    expect: &'static str,
}

fn kill(spec: impl Into<String>, expect: &'static str) -> Kill {
    Kill {
        spec: spec.into(),
        verb: "apply",
        expect,
    }
}

#[test]
fn a_kill_at_every_failpoint_ends_in_the_old_or_the_complete_new_root() {
    let t = template("almalinux-8.10", "almalinux-9.6", false);
    let before = picture(&t);
    // the number of transaction elements, from a run that completes
    let probe = copy_of(&t, "kill-probe");
    let r = result_of(&ok(&probe, &["--json", "apply", "--snapshot", "copy"]));
    let elements = r["transaction"]["elements"].as_u64().unwrap();
    assert!(elements > 10);

    let mut cases = vec![
        kill("lock-acquired=kill", "new"),
        kill("state-before-rename=kill", "new"),
        kill("snapshot-before=kill", "new"),
        kill("snapshot-after=kill", "new"),
        kill("state-before-rename=kill@2", "new"),
        kill("state-after-rename=kill@2", "new"),
        kill("transaction-before=kill", "old"),
        kill("rpm-after-element=kill@1", "old"),
        kill(format!("rpm-after-element=kill@{}", elements / 2), "old"),
        kill(format!("rpm-after-element=kill@{elements}"), "old"),
        kill("transaction-after=kill", "old"),
        kill("state-before-rename=kill@4", "old"),
        kill("post-modules=kill", "new"),
        kill("post-boot-entry=kill", "new"),
        kill("post-selinux=kill", "new"),
        kill("verify-before=kill", "new"),
        kill("done-before=kill", "new"),
        kill("state-before-rename=kill@5", "new"),
        kill("verify-before=error,rollback-before=kill", "old"),
        kill("verify-before=error,snapshot-restore-entry=kill@20", "old"),
        kill("verify-before=error,rollback-after=kill", "old"),
        kill("verify-before=error,state-before-rename=kill@6", "old"),
    ];
    cases.push(Kill {
        spec: "snapshot-restore-entry=kill@10".into(),
        verb: "rollback",
        expect: "old",
    });
    cases.push(Kill {
        spec: "rollback-after=kill".into(),
        verb: "rollback",
        expect: "old",
    });
    let mut names = std::collections::BTreeSet::new();
    for (i, c) in cases.iter().enumerate() {
        let root = copy_of(&t, &format!("kill-{i}"));
        if c.verb == "rollback" {
            ok(&root, &["apply", "--snapshot", "copy"]);
        }
        let args: &[&str] = if c.verb == "apply" {
            &["apply", "--snapshot", "copy"]
        } else {
            &["rollback"]
        };
        let o = run_with_failpoints(&root, args, &c.spec);
        assert_eq!(
            o.status.signal(),
            Some(9),
            "{}: the failpoint did not kill the run: {}",
            c.spec,
            text(&o)
        );
        let killed_at = c.spec.rsplit(',').next().unwrap();
        let name = killed_at.split('=').next().unwrap();
        assert!(
            stderr(&o).contains(&format!("failpoint {name}")),
            "{}: {}",
            c.spec,
            text(&o)
        );
        names.insert(name.to_string());
        // the re-run, as after a reboot
        let o = run_in(&root, args);
        match (c.verb, c.expect) {
            ("apply", "new") => {
                assert!(o.status.success(), "{}: {}", c.spec, text(&o));
                assert_new_root(&root, &c.spec);
            }
            ("apply", _) => {
                assert_eq!(o.status.code(), Some(1), "{}: {}", c.spec, text(&o));
                assert_old_root(&root, &before, &c.spec);
            }
            _ => {
                assert!(o.status.success(), "{}: {}", c.spec, text(&o));
                assert_old_root(&root, &before, &c.spec);
            }
        }
        // a completed upgrade is not applied twice
        if c.expect == "new" {
            let again = result_of(&ok(&root, &["--json", "apply"]));
            assert_eq!(again["outcome"], "already-done", "{}", c.spec);
        }
    }
    // commit killed before the release: the re-run finishes it
    let root = copy_of(&t, "kill-commit");
    ok(&root, &["apply", "--snapshot", "copy"]);
    let o = run_with_failpoints(&root, &["commit"], "commit-before-release=kill");
    assert_eq!(o.status.signal(), Some(9), "{}", text(&o));
    names.insert("commit-before-release".into());
    ok(&root, &["commit"]);
    assert!(
        State::require(&Workspace::unchecked(&root))
            .unwrap()
            .phase
            .committed()
            .is_some()
    );
    assert!(!root.join("var/lib/leapfrog/snapshot").exists());

    assert!(
        names.len() >= 15,
        "{} distinct failpoints killed: {names:?}",
        names.len()
    );
}

#[test]
fn refusals_change_nothing() {
    let t = template("almalinux-8.10", "almalinux-9.6", false);

    // a stale plan: the rpm database changed after planning
    let root = copy_of(&t, "refuse-stale");
    rpm_erase(&root, "acme-agent");
    let before = picture(&root);
    let o = run_in(&root, &["apply"]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(
        stderr(&o).contains("the root changed since planning"),
        "{}",
        text(&o)
    );
    assert_unchanged(&before, &root);

    // a corrupted package file
    let root = copy_of(&t, "refuse-corrupt");
    let pkgs = root.join("var/lib/leapfrog/packages");
    let victim = fs::read_dir(&pkgs)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .find(|p| p.extension().is_some_and(|x| x == "rpm"))
        .unwrap();
    let mut bytes = fs::read(&victim).unwrap();
    let n = bytes.len();
    bytes[n - 100] ^= 0xff;
    fs::write(&victim, bytes).unwrap();
    let before = picture(&root);
    let o = run_in(&root, &["apply"]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    let err = stderr(&o);
    assert!(
        err.contains("failed verification, nothing was changed"),
        "{}",
        text(&o)
    );
    assert_unchanged(&before, &root);

    // not downloaded
    let root = copy_of(&t, "refuse-nodownload");
    fs::remove_file(root.join("var/lib/leapfrog/download.json")).unwrap();
    let o = run_in(&root, &["apply"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("run `leapfrog download` first"));

    // --snapshot none without the acknowledgement
    let root = copy_of(&t, "refuse-none");
    let o = run_in(&root, &["apply", "--snapshot", "none"]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(stderr(&o).contains("acknowledge"));
    assert_eq!(rpm_qa(&root), rpm_qa(&t));

    // a second run while one holds the lock
    let root = copy_of(&t, "refuse-lock");
    let _held = leapfrog::apply::lock::RunLock::acquire(&Workspace::unchecked(&root)).unwrap();
    let o = run_in(&root, &["apply"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("another leapfrog"), "{}", text(&o));

    // a plan with an inhibitor: exit 2, nothing changed
    let root = copy_of(&t, "refuse-inhibited");
    let path = root.join("var/lib/leapfrog/plan.json");
    let mut plan: serde_json::Value = serde_json::from_slice(&fs::read(&path).unwrap()).unwrap();
    plan["findings"]
        .as_array_mut()
        .unwrap()
        .push(serde_json::json!({
            "key": "test.blocked", "severity": "high", "inhibitor": true,
            "title": "blocked on purpose", "summary": "", "hint": ""
        }));
    fs::write(&path, serde_json::to_vec(&plan).unwrap()).unwrap();
    let o = run_in(&root, &["apply"]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(stderr(&o).contains("blocked on purpose"), "{}", text(&o));
    assert!(State::load(&Workspace::unchecked(&root)).unwrap().is_none());

    // nothing to roll back or commit
    let root = copy_of(&t, "refuse-rollback");
    let o = run_in(&root, &["rollback"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("nothing to roll back"));
    let o = run_in(&root, &["commit"]);
    assert_eq!(o.status.code(), Some(1));
}

fn free_bytes(path: &Path) -> u64 {
    let out = Command::new("df")
        .args(["--output=avail", "-B1"])
        .arg(path)
        .output()
        .unwrap();
    stdout(&out)
        .lines()
        .nth(1)
        .and_then(|l| l.trim().parse().ok())
        .expect("df")
}

#[test]
fn a_disk_that_fills_up_mid_transaction_is_rolled_back() {
    let t = template("almalinux-8.10", "almalinux-9.6", false);
    // how much the copy snapshot takes, from a run with room
    let probe = copy_of(&t, "enospc-probe");
    let r = result_of(&ok(&probe, &["--json", "apply", "--snapshot", "copy"]));
    let snapshot_bytes = r["snapshot"]["main"]["bytes"].as_u64().unwrap();

    let m = TestMount::image(scratch(), "enospc", "48M", &["mkfs.ext4", "-q", "-F"]);
    let root = m.dir.join("root");
    copy_into(&t, &root);
    let before = picture(&root);
    // leave room for the snapshot (and its metadata) but not for the new packages
    let leave = snapshot_bytes + snapshot_bytes / 4 + 768 * 1024;
    let free = free_bytes(&m.dir);
    assert!(free > leave, "{free} free, {leave} to leave");
    let st = Command::new("fallocate")
        .args(["-l", &(free - leave).to_string()])
        .arg(m.dir.join("filler"))
        .status()
        .unwrap();
    assert!(st.success());

    // rpm's own disk-space check would refuse to start: skip it, as if another process had
    // taken the space after the check
    let o = run_with_failpoints(
        &root,
        &["--json", "apply", "--snapshot", "copy"],
        "rpm-skip-diskspace-check",
    );
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    let r = result_of(&o);
    assert_eq!(r["outcome"], "rolled-back", "{r}");
    let out = stdout(&o);
    assert!(
        out.contains(r#""event":"package""#),
        "the transaction started: {r}"
    );
    let failure = r["failure"].as_str().unwrap();
    assert!(failure.contains("the RPM transaction failed"), "{failure}");
    assert!(failure.contains("No space left on device"), "{failure}");
    assert_old_root(&root, &before, "after a full disk");
    // the filesystem is as full as before, not fuller: the snapshot store was released
    assert!(!root.join("var/lib/leapfrog/snapshot").exists());
}
