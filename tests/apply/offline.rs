//! The offline stage: `leapfrog upgrade` stages the upgrade entry (with a stand-in for dracut),
//! `status` and `cancel`, `offline` as the initramfs runs it (success, failure, power cuts,
//! boots that never finish), and `status` after an LVM merge.

use std::fs;
use std::os::unix::process::ExitStatusExt as _;
use std::path::{Path, PathBuf};
use std::process::Output;

use leapfrog::apply::state::State;
use leapfrog::document::Document as _;
use leapfrog::workspace::Workspace;
use leapfrog_testkit::fixture::TestMount;

use super::*;

/// A stand-in for dracut (the real one runs in `vm-tests/`): checks that it is asked for the
/// leapfrog module and a kernel version, and writes the output file.
fn fake_dracut() -> PathBuf {
    let p = scratch().join("fake-dracut");
    if !p.exists() {
        fs::write(
            &p,
            "#!/bin/sh\n# test stand-in for dracut\ncase \" $* \" in *\" --add leapfrog \"*) ;; *) echo 'no --add leapfrog' >&2; exit 1;; esac\ncase \" $* \" in *\" --kver \"*) ;; *) echo 'no --kver' >&2; exit 1;; esac\nfor last; do :; done\necho \"initramfs for $*\" > \"$last\"\n",
        )
        .unwrap();
        use std::os::unix::fs::PermissionsExt as _;
        fs::set_permissions(&p, fs::Permissions::from_mode(0o755)).unwrap();
    }
    p
}

fn status_of(root: &Path) -> serde_json::Value {
    json(&ok(root, &["--json", "status"]))
}

fn grubenv_var(root: &Path, key: &str) -> Option<String> {
    leapfrog::boot::grubenv::get(&fs::read(root.join("boot/grub2/grubenv")).unwrap(), key)
        .filter(|v| !v.is_empty())
}

/// `leapfrog upgrade` on a root planned with the testkit data: host facts of a healthy machine,
/// the unsigned agent kept as it is, the fake dracut, a kernel file of the root.
fn upgrade(root: &Path, extra: &[&str]) -> Output {
    let facts = scratch().join("host-facts.json");
    let kernel = leapfrog::boot::entries::newest_kernel(&Workspace::unchecked(root))
        .unwrap()
        .1;
    fs::write(
        &facts,
        format!(
            r#"{{"running_kernel": "{kernel}", "arch": "x86_64", "memory_kib": 4194304,
 "cpu_flags": ["cx16", "lahf_lm", "popcnt", "sse4_1", "sse4_2", "ssse3"],
 "mounts": [{{"source": "/dev/vda1", "target": "/", "fstype": "xfs", "free_bytes": 21474836480,
   "total_bytes": 42949672960, "xfs_ftype": 1, "xfs_reflink": true}}],
 "network_interfaces": [{{"name": "ens3", "physical": true}}], "efi": false}}"#
        ),
    )
    .unwrap();
    let data = testkit_data();
    let dracut = fake_dracut();
    let mut args = vec![
        "upgrade",
        "--data",
        data.to_str().unwrap(),
        "--host-facts",
        facts.to_str().unwrap(),
        "--waive",
        "packages.no-target",
        "--keep-foreign",
        "acme-agent",
        "--snapshot",
        "copy",
        "--kernel-arg",
        "console=ttyS0",
    ];
    args.extend_from_slice(extra);
    leapfrog()
        .env(leapfrog_base::env::DRACUT, &dracut)
        .arg("--root")
        .arg(root)
        .args(&args)
        .output()
        .expect("run leapfrog")
}

#[test]
fn upgrade_stages_status_reports_cancel_removes() {
    let dir = install_root(
        &world(),
        "stage-a8",
        "almalinux-8.10",
        Some("almalinux-9.6"),
        false,
    );
    assert_eq!(status_of(&dir)["stage"], "not-planned");
    let saved_before = grubenv_var(&dir, "saved_entry");

    // --json: the whole run (assessment, plan, download, staging) is one document
    let o = upgrade(&dir, &["--json"]);
    assert_eq!(o.status.code(), Some(3), "reboot required: {}", text(&o));
    let doc: serde_json::Value = serde_json::from_slice(&o.stdout)
        .unwrap_or_else(|e| panic!("upgrade --json is not one JSON document: {e}: {}", text(&o)));
    assert_eq!(doc["outcome"], "staged", "{doc:#}");
    assert_eq!(doc["reboot_required"], true);
    assert_eq!(doc["staged"]["snapshot"], "copy");
    assert_eq!(doc["staged"]["plan_id"], doc["plan"]["plan_id"]);
    assert_eq!(doc["download"]["plan_id"], doc["plan"]["plan_id"]);
    assert_eq!(doc["assessment"]["counts"]["inhibitors"], 0);
    assert!(!String::from_utf8_lossy(&o.stdout).contains("Next:"));
    let entry = fs::read_to_string(dir.join("boot/loader/entries/leapfrog-upgrade.conf")).unwrap();
    assert!(entry.contains("linux /leapfrog/vmlinuz-upgrade"), "{entry}");
    let options = entry.lines().find(|l| l.starts_with("options ")).unwrap();
    for want in [
        "root=/dev/mapper/almalinux-root",
        " rw ",
        "enforcing=0",
        "leapfrog.upgrade=1",
        "console=ttyS0",
    ] {
        assert!(options.contains(want), "{want}: {options}");
    }
    for gone in [" ro ", "rhgb", "quiet"] {
        assert!(!format!("{options} ").contains(gone), "{gone}: {options}");
    }
    assert!(
        fs::read_to_string(dir.join("boot/leapfrog/initramfs-upgrade.img"))
            .unwrap()
            .contains("--add leapfrog")
    );
    assert!(dir.join("boot/leapfrog/vmlinuz-upgrade").is_file());
    assert_eq!(
        grubenv_var(&dir, "next_entry").as_deref(),
        Some("leapfrog-upgrade")
    );
    assert_eq!(
        grubenv_var(&dir, "saved_entry"),
        saved_before,
        "the default is untouched"
    );
    let st = status_of(&dir);
    assert_eq!(st["stage"], "staged", "{st}");
    assert_eq!(st["staged"]["snapshot"], "copy");

    // idempotent
    let o = upgrade(&dir, &[]);
    assert_eq!(o.status.code(), Some(3), "{}", text(&o));
    assert!(stdout(&o).contains("Already staged"), "{}", text(&o));

    // cancel: nothing staged remains, the downloads stay unless asked
    ok(&dir, &["cancel"]);
    assert!(
        !dir.join("boot/loader/entries/leapfrog-upgrade.conf")
            .exists()
    );
    assert!(!dir.join("boot/leapfrog").exists());
    assert_eq!(grubenv_var(&dir, "next_entry"), None);
    assert_eq!(status_of(&dir)["stage"], "downloaded");
    ok(&dir, &["cancel", "--downloads"]);
    assert!(!dir.join("var/lib/leapfrog/packages").exists());
    assert_eq!(status_of(&dir)["stage"], "planned");

    // an inhibitor stops it with exit 2 and stages nothing
    let o = run_in(
        &dir,
        &["upgrade", "--data", testkit_data().to_str().unwrap()],
    );
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(
        !dir.join("boot/loader/entries/leapfrog-upgrade.conf")
            .exists()
    );
}

/// The testkit's fstab names a `/boot` filesystem that does not exist here: drop it.
fn without_boot_mount(dir: &Path) {
    let fstab = fs::read_to_string(dir.join("etc/fstab")).unwrap();
    fs::write(
        dir.join("etc/fstab"),
        fstab
            .lines()
            .filter(|l| !l.contains(" /boot "))
            .collect::<Vec<_>>()
            .join("\n"),
    )
    .unwrap();
}

#[test]
fn el7_upgrade_writes_a_grub_cfg_entry_that_cancel_and_offline_remove_byte_for_byte() {
    // CentOS 7: GRUB has no BLS, the entry goes into grub.cfg, selected by next_entry
    let dir = install_root(
        &world(),
        "stage-c7",
        "centos-7.9",
        Some("almalinux-8.10"),
        false,
    );
    without_boot_mount(&dir);
    let cfg_path = dir.join("boot/grub2/grub.cfg");
    let cfg_before = fs::read(&cfg_path).unwrap();
    let env_before = fs::read(dir.join("boot/grub2/grubenv")).unwrap();
    let inventory = json(&ok(&dir, &["--json", "inventory"]));
    assert_eq!(
        inventory["boot_layout"]["layout"],
        serde_json::json!({"kind": "grub-cfg", "path": "/boot/grub2/grub.cfg"})
    );

    let o = upgrade(&dir, &["--json"]);
    assert_eq!(o.status.code(), Some(3), "reboot required: {}", text(&o));
    let doc: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(doc["staged"]["entry"], "/boot/grub2/grub.cfg");
    assert_eq!(doc["staged"]["boot"]["layout"]["kind"], "grub-cfg");
    assert_eq!(doc["staged"]["boot"]["grubenv"], "/boot/grub2/grubenv");
    assert!(
        !dir.join("boot/loader/entries/leapfrog-upgrade.conf")
            .exists()
    );
    let cfg = fs::read_to_string(&cfg_path).unwrap();
    let parsed = leapfrog_actors::facts::grub_cfg::GrubCfg::parse(&cfg);
    // what GRUB boots once next_entry names leapfrog's entry
    let entry = parsed.default_entry(Some("leapfrog-upgrade")).unwrap();
    assert_eq!(entry.id.as_deref(), Some("leapfrog-upgrade"));
    let linux = entry.linux.as_ref().unwrap();
    assert_eq!(
        (linux.command.as_str(), linux.path.as_str()),
        ("linux16", "/leapfrog/vmlinuz-upgrade")
    );
    for want in [
        "root=/dev/mapper/centos-root",
        " rw ",
        "leapfrog.upgrade=1",
        "console=ttyS0",
    ] {
        assert!(
            format!(" {} ", linux.args).contains(want),
            "{want}: {}",
            linux.args
        );
    }
    assert!(
        !format!(" {} ", linux.args).contains(" rhgb "),
        "{}",
        linux.args
    );
    assert_eq!(
        entry.initrd.as_ref().unwrap().paths,
        ["/leapfrog/initramfs-upgrade.img"]
    );
    assert_eq!(
        grubenv_var(&dir, "next_entry").as_deref(),
        Some("leapfrog-upgrade")
    );
    // without next_entry GRUB boots the old default
    let saved = grubenv_var(&dir, "saved_entry");
    assert_eq!(
        parsed.default_entry(saved.as_deref()).unwrap().title,
        saved.clone().unwrap()
    );
    assert_eq!(status_of(&dir)["stage"], "staged");
    let o = upgrade(&dir, &[]);
    assert!(stdout(&o).contains("Already staged"), "{}", text(&o));

    // cancel: grub.cfg and grubenv are byte for byte what they were
    ok(&dir, &["cancel"]);
    assert_eq!(
        fs::read(&cfg_path).unwrap(),
        cfg_before,
        "grub.cfg after cancel"
    );
    assert_eq!(
        fs::read(dir.join("boot/grub2/grubenv")).unwrap(),
        env_before
    );

    // staged again and run offline: upgraded, the entry gone, grub.cfg as before
    let o = upgrade(&dir, &[]);
    assert_eq!(o.status.code(), Some(3), "{}", text(&o));
    assert_ne!(fs::read(&cfg_path).unwrap(), cfg_before);
    let o = ok(&dir, &["offline"]);
    assert!(
        stdout(&o).contains("the upgrade is complete"),
        "{}",
        text(&o)
    );
    assert_new_root(&dir, "offline CentOS 7 -> AlmaLinux 8");
    assert_eq!(
        fs::read(&cfg_path).unwrap(),
        cfg_before,
        "grub.cfg after offline"
    );
    assert_eq!(grubenv_var(&dir, "next_entry"), None);
    assert_eq!(status_of(&dir)["stage"], "done");
}

/// `upgrade` plans from local repositories (`--local-repo`, as `plan` does) when the root has
/// no target repository definitions, and downloads from them with `--offline`.
#[test]
fn upgrade_stages_from_local_repositories_without_target_definitions() {
    let dir = install_root(&world(), "stage-local", "almalinux-8.10", None, false);
    assert!(!dir.join("etc/leapfrog/target.repos.d").exists());
    // copies of the world's AlmaLinux 9 repositories, each with the key in it
    let el9 = world().join("almalinux-9.6");
    let mirror = scratch().join("el9-mirror");
    fs::create_dir_all(&mirror).unwrap();
    let (baseos, appstream) = (mirror.join("baseos"), mirror.join("appstream"));
    for (from, to) in [("baseos", &baseos), ("appstream", &appstream)] {
        copy(&el9.join(from), to);
        fs::copy(
            el9.join("RPM-GPG-KEY-AlmaLinux-9"),
            to.join("RPM-GPG-KEY-AlmaLinux-9"),
        )
        .unwrap();
    }
    let o = upgrade(
        &dir,
        &[
            "--offline",
            "--target",
            "almalinux-9.6",
            "--local-repo",
            baseos.to_str().unwrap(),
            "--local-repo",
            appstream.to_str().unwrap(),
            // the MariaDB vendor repository is not among them
            "--drop",
            "MariaDB-server",
            "--drop",
            "MariaDB-client",
        ],
    );
    assert_eq!(o.status.code(), Some(3), "{}", text(&o));
    let plan: serde_json::Value =
        serde_json::from_slice(&fs::read(dir.join("var/lib/leapfrog/plan.json")).unwrap()).unwrap();
    let ids: Vec<&str> = plan["repos"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["local-appstream", "local-baseos"]);
    assert_eq!(status_of(&dir)["stage"], "staged");

    // without them there is nothing to plan against: the assessment blocks, nothing is staged
    let bare = install_root(&world(), "stage-no-repos", "almalinux-8.10", None, false);
    let o = upgrade(&bare, &["--offline", "--target", "almalinux-9.6"]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(stdout(&o).contains("repos.no-target-repos"), "{}", text(&o));
    assert!(
        !bare
            .join("boot/loader/entries/leapfrog-upgrade.conf")
            .exists()
    );
}

/// The offline stage as the initramfs runs it, on a staged root (no separate /boot here).
fn staged_root(name: &str, failing_post: bool) -> (PathBuf, Picture) {
    let dir = install_root(
        &world(),
        name,
        "almalinux-8.10",
        Some("almalinux-9.6"),
        false,
    );
    if failing_post {
        with_failing_post(&dir);
    }
    without_boot_mount(&dir);
    let before = picture(&dir);
    let o = upgrade(&dir, &[]);
    assert_eq!(o.status.code(), Some(3), "{}", text(&o));
    (dir, before)
}

#[test]
fn offline_upgrades_then_clears_the_entry_and_prepares_first_boot() {
    let (dir, before) = staged_root("offline-ok", false);
    let o = ok(&dir, &["offline"]);
    assert!(stdout(&o).contains("the upgrade is complete"));
    assert_new_root(&dir, "offline");
    assert!(
        !dir.join("boot/loader/entries/leapfrog-upgrade.conf")
            .exists()
    );
    assert!(!dir.join("boot/leapfrog").exists());
    assert_eq!(grubenv_var(&dir, "next_entry"), None);
    assert!(grubenv_var(&dir, "saved_entry").unwrap().contains("el9"));
    assert!(Workspace::unchecked(&dir).firstboot_unit().is_file());
    let st = status_of(&dir);
    assert_eq!(st["stage"], "done", "{st}");
    assert_eq!(st["staged"]["attempts"], 1);
    assert!(st["staged"]["finished"].is_string());

    // a later rollback: the snapshot was taken with the upgrade entry staged and selected, the
    // restored system must not boot into it again; the root is as before `upgrade`
    ok(&dir, &["rollback"]);
    assert!(
        !dir.join("boot/loader/entries/leapfrog-upgrade.conf")
            .exists()
    );
    assert!(!dir.join("boot/leapfrog").exists());
    assert_eq!(grubenv_var(&dir, "next_entry"), None);
    assert_old_root_with(&dir, &before, "rollback after the offline upgrade", true);
}

#[test]
fn offline_failure_rolls_back_and_a_power_cut_boots_the_upgrade_entry_again() {
    // a failing %post: rolled back, the old default entry, no first boot
    let (dir, before) = staged_root("offline-fail", true);
    let o = run_in(&dir, &["offline"]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(stdout(&o).contains("rolled back"));
    assert_old_root_with(&dir, &before, "offline rollback", true);
    assert_eq!(grubenv_var(&dir, "next_entry"), None);
    assert!(!Workspace::unchecked(&dir).firstboot_unit().exists());

    // a power cut in the middle of the transaction: the entry is armed again, the next boot
    // of the upgrade environment rolls back
    let (dir, before) = staged_root("offline-powercut", false);
    let o = run_with_failpoints(&dir, &["offline"], "rpm-after-element=kill@9");
    assert_eq!(o.status.signal(), Some(9), "{}", text(&o));
    assert_eq!(
        grubenv_var(&dir, "next_entry").as_deref(),
        Some("leapfrog-upgrade")
    );
    let o = run_in(&dir, &["offline"]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert_old_root_with(&dir, &before, "power cut, then the next boot", true);
    assert_eq!(grubenv_var(&dir, "next_entry"), None);

    // boots that never finish: after the last attempt the old entry is chosen and the root
    // rolled back
    let (dir, before) = staged_root("offline-attempts", false);
    // the first boot dies in the transaction, the next ones before they can do anything
    for i in 0..leapfrog::boot::MAX_ATTEMPTS {
        let fp = if i == 0 {
            "rpm-after-element=kill@5"
        } else {
            "lock-acquired=kill"
        };
        let o = run_with_failpoints(&dir, &["offline"], fp);
        assert_eq!(o.status.signal(), Some(9), "{fp}: {}", text(&o));
        assert_eq!(
            grubenv_var(&dir, "next_entry").as_deref(),
            Some("leapfrog-upgrade")
        );
    }
    let o = run_in(&dir, &["offline"]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(
        stdout(&o).contains("did not finish, rolling back"),
        "{}",
        text(&o)
    );
    assert_old_root_with(&dir, &before, "attempts exhausted", true);
    assert_eq!(grubenv_var(&dir, "next_entry"), None);
}

/// An LVM rollback merges at the next boot, which brings back leapfrog's state and logs of the
/// snapshot's moment; the rollback kept its own on `/boot` (here a tmpfs: another filesystem,
/// as `/boot` is on EL installations with an LVM root) and the first `status` after the merge
/// puts them back. (The real merge runs in `vm-tests/run lvm`.)
#[test]
fn status_after_an_lvm_merge_puts_back_the_rollbacks_state() {
    use leapfrog::apply::merge_keep;
    let root = scratch().join("lvm-merge-root");
    let _ = fs::remove_dir_all(&root);
    fs::create_dir_all(&root).unwrap();
    let _boot = TestMount::tmpfs(&root, "boot", "16M");
    let ws = Workspace::unchecked(&root);
    let mut s = State::new("sha256:2026-11-22", None);
    s.snapshotted(
        leapfrog::apply::SnapshotSet {
            backend: leapfrog::snapshot::SnapshotBackend::Lvm,
            why: "test".into(),
            main: None,
            boot: None,
            released: false,
        },
        "",
    )
    .unwrap();
    s.applying("").unwrap();
    s.failed("failing-post-1.0-1.el9: %post scriptlet failed, exit status 1")
        .unwrap();
    s.rolling_back(
        "failing-post-1.0-1.el9: %post scriptlet failed, exit status 1",
        false,
        "",
    )
    .unwrap();
    s.rolled_back("restored; the LVM merge completes at the next boot")
        .unwrap();
    s.save(&ws).unwrap();
    let log = root.join("var/log/leapfrog/apply.log");
    fs::create_dir_all(log.parent().unwrap()).unwrap();
    fs::write(&log, "phase applying\nphase failed\nphase rolled-back\n").unwrap();
    assert!(
        merge_keep::keep(&Workspace::unchecked(&root)).unwrap(),
        "/boot is another filesystem"
    );
    let status = |what: &str| -> serde_json::Value {
        let o = ok(&root, &["--json", "status"]);
        serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{what}: {e}: {}", text(&o)))
    };
    // before the reboot: rolled back, the copy waits for the merge
    assert_eq!(status("before the merge")["stage"], "rolled-back");
    assert!(Workspace::unchecked(&root).merge_keep_dir().exists());
    // the merge: the state saved just before the snapshot, the log of that moment
    State::new("sha256:2026-11-22", None).save(&ws).unwrap();
    fs::write(&log, "until the snapshot\n").unwrap();
    let after = status("after the merge");
    assert_eq!(after["stage"], "rolled-back", "{after:#}");
    assert!(
        after["last_error"]
            .as_str()
            .unwrap()
            .contains("failing-post")
    );
    assert!(
        fs::read_to_string(&log)
            .unwrap()
            .contains("phase rolled-back")
    );
    assert!(!Workspace::unchecked(&root).merge_keep_dir().exists());
    // without the copy (/boot on the root volume) the merged state is what status shows
    State::new("sha256:2026-11-22", None).save(&ws).unwrap();
    assert_eq!(status("no copy")["phase"], "planned");
}
