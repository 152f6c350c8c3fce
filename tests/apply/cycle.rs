//! Whole upgrades that succeed: AlmaLinux 8 -> 9 applied, rolled back, applied again and
//! committed; CentOS 7 -> AlmaLinux 8 on BerkeleyDB and back; `--snapshot none`; the
//! 1500-package sets.

use std::fs;
use std::os::unix::process::ExitStatusExt as _;
use std::path::Path;

use leapfrog::apply::state::State;
use leapfrog::plan::document::PlanDocument;
use leapfrog_testkit::root::{self, RootOptions};

use super::*;

#[test]
fn almalinux_8_to_9_apply_rollback_apply_commit() {
    let t = template("almalinux-8.10", "almalinux-9.6", false);
    let root = copy_of(&t, "a8-happy");
    let before = picture(&root);

    let o = ok(&root, &["--json", "apply", "--snapshot", "copy"]);
    let r = result_of(&o);
    assert_eq!(r["outcome"], "done", "{r}");
    assert_eq!(r["snapshot"]["backend"], "copy");
    assert!(r["transaction"]["elements"].as_u64().unwrap() > 40, "{r}");
    assert!(r["post"]["boot_entry"].as_str().unwrap().contains("el9"));
    for step in [
        "verify-packages",
        "snapshot",
        "transaction",
        "post",
        "verify",
    ] {
        assert!(r["timings"][step].as_f64().is_some(), "{step}: {r}");
    }
    // the JSON-lines stream carries every phase and one package event per element
    let out = stdout(&o);
    for phase in ["snapshotted", "applying", "verifying", "done"] {
        assert!(
            out.contains(&format!(r#""event":"phase","phase":"{phase}""#)),
            "{phase}"
        );
    }
    assert!(
        out.lines()
            .filter(|l| l.contains(r#""event":"package""#))
            .count()
            > 40
    );
    assert_new_root(&root, "after apply");
    let log = fs::read_to_string(root.join("var/log/leapfrog/apply.log")).unwrap();
    assert!(log.contains("phase done: upgraded and verified"), "{log}");
    assert!(root.join("var/log/leapfrog/scriptlets.log").is_file());

    // applying again is a no-op
    let r = result_of(&ok(&root, &["--json", "apply"]));
    assert_eq!(r["outcome"], "already-done");

    // a snapshot record that cannot be read stops the rollback, naming the file: it is never
    // taken for "nothing had been changed" over the upgraded root
    let state_path = root.join("var/lib/leapfrog/state.json");
    let good = fs::read_to_string(&state_path).unwrap();
    let upgraded = picture(&root);
    fs::write(
        &state_path,
        good.replacen(r#""backend": "copy""#, r#""backend": "tape""#, 1),
    )
    .unwrap();
    let o = run_in(&root, &["rollback"]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains(&format!(
            "{} is not a valid executor state",
            state_path.display()
        )),
        "{err}"
    );
    assert!(!err.contains("nothing had been changed"), "{err}");
    fs::write(&state_path, &good).unwrap();
    assert_unchanged(&upgraded, &root);

    // manual rollback: exactly the old root
    let o = ok(&root, &["rollback"]);
    assert!(
        stdout(&o).contains("Rolled back (from phase done)"),
        "{}",
        text(&o)
    );
    assert_old_root(&root, &before, "after a manual rollback");
    assert!(
        !root.join("var/lib/leapfrog/snapshot").exists(),
        "store released"
    );
    let o = ok(&root, &["rollback"]);
    assert!(stdout(&o).contains("Already rolled back"));

    // the same plan applies again after the rollback; commit keeps it for good
    ok(&root, &["apply", "--snapshot", "copy"]);
    assert_new_root(&root, "after the second apply");
    ok(&root, &["commit"]);
    assert!(!root.join("var/lib/leapfrog/snapshot").exists());
    assert!(
        State::require(&Workspace::unchecked(&root))
            .unwrap()
            .phase
            .committed()
            .is_some()
    );
    let o = run_in(&root, &["rollback"]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(stderr(&o).contains("cannot be rolled back"), "{}", text(&o));
}

#[test]
fn centos_7_to_almalinux_8_on_berkeleydb_and_back() {
    let t = template("centos-7.9", "almalinux-8.10", true);
    let root = copy_of(&t, "c7-happy");
    let before = picture(&root);
    assert!(
        root.join("var/lib/rpm/Packages").is_file(),
        "a BerkeleyDB root"
    );
    let r = result_of(&ok(&root, &["--json", "apply", "--snapshot", "copy"]));
    assert_eq!(r["outcome"], "done", "{r}");
    // this librpm cannot write BerkeleyDB: converted to sqlite, and the target's rpm told so
    assert!(root.join("var/lib/rpm/rpmdb.sqlite").is_file());
    assert!(!root.join("var/lib/rpm/Packages").exists());
    let macros = fs::read_to_string(root.join("etc/rpm/macros.leapfrog-db-backend")).unwrap();
    assert!(macros.contains("%_db_backend sqlite"));
    assert_new_root(&root, "CentOS 7 -> AlmaLinux 8");
    let qa = rpm_qa(&root).join("\n");
    assert!(qa.contains("almalinux-release-8"), "{qa}");
    assert!(!qa.contains("centos-release"), "{qa}");

    ok(&root, &["rollback"]);
    assert_old_root(&root, &before, "CentOS 7 after rollback");
    assert!(
        root.join("var/lib/rpm/Packages").is_file(),
        "BerkeleyDB is back"
    );

    // killed while the database is being rebuilt: the re-run rolls back to BerkeleyDB
    let root = copy_of(&t, "c7-kill-convert");
    let o = run_with_failpoints(
        &root,
        &["apply", "--snapshot", "copy"],
        "post-rpmdb-convert=kill",
    );
    assert_eq!(o.status.signal(), Some(9), "{}", text(&o));
    let o = run_in(&root, &["--json", "apply"]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert_eq!(result_of(&o)["outcome"], "rolled-back");
    assert_old_root(&root, &before, "killed in the rpmdb conversion");
}

#[test]
fn snapshot_none_with_acknowledgement_upgrades_and_saves_boot() {
    let t = template("almalinux-8.10", "almalinux-9.6", false);
    let root = copy_of(&t, "none-ack");
    let r = result_of(&ok(
        &root,
        &[
            "--json",
            "apply",
            "--snapshot",
            "none",
            "--accept-no-rollback",
        ],
    ));
    assert_eq!(r["outcome"], "done");
    assert_eq!(r["snapshot"]["backend"], "none");
    assert!(r["snapshot"]["main"].is_null());
    assert!(!r["snapshot"]["boot"].is_null(), "/boot is always saved");
    assert_new_root(&root, "none");
    let o = run_in(&root, &["rollback"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("cannot be rolled back"), "{}", text(&o));
}

/// Plans with `--drop` for every package the plan reports as removed by the solver or left
/// stranded (the 1500-package sets have such gaps on purpose), as an operator would after
/// reading the plan, then downloads.
fn plan_dropping_gaps(root: &Path) {
    let data = testkit_data();
    let mut drops: Vec<String> = Vec::new();
    for _ in 0..3 {
        let mut args = vec!["--json", "plan", "--data", data.to_str().unwrap()];
        for d in &drops {
            args.push("--drop");
            args.push(d);
        }
        let o = run_in(root, &args);
        assert!(matches!(o.status.code(), Some(0 | 2)), "{}", text(&o));
        let plan = PlanDocument::require(&Workspace::unchecked(root)).unwrap();
        let more: Vec<String> = plan
            .findings
            .iter()
            .filter(|f| matches!(f.key.as_str(), "plan.solver-removes" | "plan.stranded"))
            .flat_map(|f| f.packages.iter().cloned())
            .filter(|n| !drops.contains(n))
            .collect();
        if more.is_empty() {
            assert_eq!(o.status.code(), Some(0), "{}", text(&o));
            ok(root, &["--json", "download"]);
            return;
        }
        drops.extend(more);
    }
    panic!("the plan still has gaps after dropping {drops:?}");
}

#[test]
fn the_1500_package_sets_upgrade_and_roll_back() {
    let w = world_at(
        &["centos-7.9", "almalinux-8.10", "almalinux-9.6"],
        leapfrog_testkit::world::Scale::S1500,
    );
    for (release, target, bdb) in [
        ("almalinux-8.10", "almalinux-9.6", false),
        ("centos-7.9", "almalinux-8.10", true),
    ] {
        let dir = scratch().join(format!("scale-{release}"));
        let mut o = RootOptions::new(&w, release, &dir);
        o.target = Some(target.to_string());
        o.bdb = bdb;
        o.packages = root::PackageSelection::All;
        root::build_root(&o).expect("root");
        plan_dropping_gaps(&dir);
        let before = picture(&dir);
        assert!(before.rpm_qa.len() > 1500, "{}", before.rpm_qa.len());
        let r = result_of(&ok(&dir, &["--json", "apply", "--snapshot", "copy"]));
        assert_eq!(r["outcome"], "done", "{release}: {r}");
        assert!(r["transaction"]["elements"].as_u64().unwrap() > 1500);
        assert_new_root(&dir, release);
        ok(&dir, &["rollback"]);
        assert_old_root(&dir, &before, release);
    }
}
