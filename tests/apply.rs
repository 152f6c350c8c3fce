//! `leapfrog apply` / `rollback` / `commit` end to end on testkit roots: the happy paths
//! AlmaLinux 8 -> 9 and CentOS 7 -> AlmaLinux 8 (BerkeleyDB), a failing `%post` rolled back
//! automatically, a SIGKILL at every failpoint followed by a re-run, and the refusals. "Exact old
//! root" is a manifest of every file (type, mode, owner, xattrs, content, symlink target) plus
//! `rpm -qa`, taken before and compared after. Needs root (rpm installs into the roots,
//! scriptlets run chrooted).

use std::fs;
use std::os::unix::process::ExitStatusExt as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::{Mutex, OnceLock, PoisonError};

use leapfrog::apply::state::{PhaseName, State};
use leapfrog::apply::verify;
use leapfrog::document::Document as _;
use leapfrog::manifest::{self, Manifest};
use leapfrog::plan::document::PlanDocument;
use leapfrog::workspace::Workspace;
use leapfrog_testkit::fixture::TestMount;
use leapfrog_testkit::root::{self, RootOptions};
use rpm_sys::{DbBackend, DbLocation};

const PREFIX: &str = "apply-it-";

fn scratch() -> &'static Path {
    leapfrog_testkit::fixture::scratch(PREFIX)
}

fn world() -> PathBuf {
    leapfrog_testkit::fixture::small_world(
        PREFIX,
        &["centos-7.9", "almalinux-8.10", "almalinux-9.6"],
    )
}

fn testkit_data() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("migration-data/testkit")
}

fn leapfrog(root: &Path, args: &[&str], failpoints: Option<&str>) -> Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_leapfrog"));
    c.arg("--root").arg(root).args(args);
    match failpoints {
        Some(f) => c.env("LEAPFROG_FAILPOINTS", f),
        None => c.env_remove("LEAPFROG_FAILPOINTS"),
    };
    c.output().expect("run leapfrog")
}

fn text(o: &Output) -> String {
    format!(
        "exit {:?} signal {:?}\nstdout:\n{}\nstderr:\n{}",
        o.status.code(),
        o.status.signal(),
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn ok(root: &Path, args: &[&str]) -> Output {
    let o = leapfrog(root, args, None);
    assert!(o.status.success(), "leapfrog {args:?}: {}", text(&o));
    o
}

/// The `"event":"result"` line of a `--json` run.
fn result_of(o: &Output) -> serde_json::Value {
    let out = String::from_utf8_lossy(&o.stdout);
    let line = out
        .lines()
        .rev()
        .find(|l| l.contains(r#""event":"result""#))
        .unwrap_or_else(|| panic!("no result line: {}", text(o)));
    serde_json::from_str(line).expect("result JSON")
}

/// A root of `release` targeting `target`, planned and downloaded once per process; tests get
/// copies (`cp -a`), identical down to the rpm database.
fn template(release: &str, target: &str, bdb: bool) -> PathBuf {
    static T: OnceLock<Mutex<std::collections::BTreeMap<String, PathBuf>>> = OnceLock::new();
    let key = format!("{release}-{target}-{bdb}");
    let mut map = T
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(PoisonError::into_inner);
    map.entry(key.clone())
        .or_insert_with(|| {
            let dir = scratch().join(format!("template-{key}"));
            let mut o = RootOptions::new(world(), release, &dir);
            o.target = Some(target.to_string());
            o.bdb = bdb;
            root::build_root(&o).expect("root");
            plan_and_download(&dir);
            dir
        })
        .clone()
}

fn plan_and_download(root: &Path) {
    let data = testkit_data();
    ok(root, &["--json", "plan", "--data", data.to_str().unwrap()]);
    ok(root, &["--json", "download"]);
}

fn copy_of(template: &Path, name: &str) -> PathBuf {
    let dir = scratch().join(name);
    let st = Command::new("cp")
        .arg("-a")
        .arg(template)
        .arg(&dir)
        .status()
        .unwrap();
    assert!(st.success());
    dir
}

/// What "exactly as it was" compares: every file, and rpm's view of the database.
#[derive(Debug)]
struct Picture {
    manifest: Manifest,
    rpm_qa: Vec<String>,
}

fn rpm_qa(root: &Path) -> Vec<String> {
    let dbpath = if root.join("usr/lib/sysimage/rpm").is_dir() {
        "/usr/lib/sysimage/rpm"
    } else {
        "/var/lib/rpm"
    };
    let out = Command::new("rpm")
        .env("HOME", "/nonexistent")
        .arg("--root")
        .arg(root)
        .args([
            "--define",
            &format!("_dbpath {dbpath}"),
            "-qa",
            "--qf",
            "%{NEVRA} %{INSTALLTIME} %{SIGMD5}\\n",
        ])
        .output()
        .unwrap();
    let mut v: Vec<String> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(String::from)
        .collect();
    v.sort();
    v
}

fn picture(root: &Path) -> Picture {
    Picture {
        manifest: Manifest::take_default(root).expect("manifest"),
        rpm_qa: rpm_qa(root),
    }
}

fn assert_old_root(root: &Path, before: &Picture, what: &str) {
    assert_old_root_with(root, before, what, false);
}

/// Like [`assert_old_root`]; with `shm_read`, `before` was taken before other commands read
/// the rpm database (`upgrade` plans and test-runs the transaction), which rewrites sqlite's
/// shared-memory index `rpmdb.sqlite-shm` (not content of the database): that file is not
/// compared then.
fn assert_old_root_with(root: &Path, before: &Picture, what: &str, shm_read: bool) {
    let after = picture(root);
    let diff: Vec<_> = manifest::diff(&before.manifest, &after.manifest)
        .into_iter()
        .filter(|d| !(shm_read && d.path.ends_with("rpmdb.sqlite-shm")))
        .collect();
    assert!(
        diff.is_empty(),
        "{what}: the root differs from before the upgrade:\n{}",
        diff.iter()
            .take(30)
            .map(|d| d.to_string())
            .collect::<Vec<_>>()
            .join("\n")
    );
    assert_eq!(before.rpm_qa, after.rpm_qa, "{what}: rpm -qa differs");
    assert!(!before.rpm_qa.is_empty());
    let state = State::require(&Workspace::unchecked(root)).unwrap();
    assert_eq!(state.name(), PhaseName::RolledBack, "{what}");
}

/// Nothing changed, except sqlite's shared-memory index of the rpm database
/// (`rpmdb.sqlite-shm`), which every reader of the database rewrites (`rpm -qa` too).
fn assert_unchanged(before: &Picture, root: &Path) {
    let after = picture(root);
    let diff: Vec<_> = manifest::diff(&before.manifest, &after.manifest)
        .into_iter()
        .filter(|d| !d.path.ends_with("rpmdb.sqlite-shm"))
        .collect();
    assert!(diff.is_empty(), "{diff:?}");
    assert_eq!(before.rpm_qa, after.rpm_qa);
}

fn assert_new_root(root: &Path, what: &str) {
    let plan = PlanDocument::require(&Workspace::unchecked(root)).unwrap();
    let state = State::require(&Workspace::unchecked(root)).unwrap();
    assert_eq!(state.name(), PhaseName::Done, "{what}");
    let dbpath = if root.join("usr/lib/sysimage/rpm").is_dir() {
        "/usr/lib/sysimage/rpm"
    } else {
        "/var/lib/rpm"
    };
    let failures = verify::verify(
        &Workspace::unchecked(root),
        &plan,
        &DbLocation::new(dbpath, DbBackend::Sqlite),
    )
    .unwrap();
    assert!(failures.is_empty(), "{what}: {failures:#?}");
    let os = fs::read_to_string(root.join("etc/os-release")).unwrap();
    let version = plan.target.rsplit('-').next().unwrap();
    assert!(
        os.contains(&format!("VERSION_ID=\"{version}\"")),
        "{what}: {os}"
    );
}

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
    let out = String::from_utf8_lossy(&o.stdout);
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
    let o = leapfrog(&root, &["rollback"], None);
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
        String::from_utf8_lossy(&o.stdout).contains("Rolled back (from phase done)"),
        "{}",
        text(&o)
    );
    assert_old_root(&root, &before, "after a manual rollback");
    assert!(
        !root.join("var/lib/leapfrog/snapshot").exists(),
        "store released"
    );
    let o = ok(&root, &["rollback"]);
    assert!(String::from_utf8_lossy(&o.stdout).contains("Already rolled back"));

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
    let o = leapfrog(&root, &["rollback"], None);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("cannot be rolled back"),
        "{}",
        text(&o)
    );
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
    let o = leapfrog(
        &root,
        &["apply", "--snapshot", "copy"],
        Some("post-rpmdb-convert=kill"),
    );
    assert_eq!(o.status.signal(), Some(9), "{}", text(&o));
    let o = leapfrog(&root, &["--json", "apply"], None);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert_eq!(result_of(&o)["outcome"], "rolled-back");
    assert_old_root(&root, &before, "killed in the rpmdb conversion");
}

/// Installs `failing-post` (its %post exits 1) into the AlmaLinux 8 root without running its
/// scripts, and adds the world's `faults` repository of AlmaLinux 9 to the target repositories,
/// so that the plan upgrades it and its new %post fails inside the transaction.
fn with_failing_post(root: &Path) {
    let w = world();
    let rpm = w.join("almalinux-8.10/faults/Packages/failing-post-1.0-1.el8.noarch.rpm");
    let st = Command::new("rpm")
        .env("HOME", "/nonexistent")
        .arg("--root")
        .arg(root)
        .args([
            "--define",
            "_dbpath /var/lib/rpm",
            "-i",
            "--nodeps",
            "--noscripts",
        ])
        .arg(&rpm)
        .status()
        .unwrap();
    assert!(st.success());
    let repo = root.join("etc/leapfrog/target.repos.d/testkit.repo");
    let mut text = fs::read_to_string(&repo).unwrap();
    text.push_str(&format!(
        "\n[testkit-almalinux-9.6-faults]\nname=faults\nbaseurl=file://{}/almalinux-9.6/faults/\nenabled=1\ngpgcheck=1\ngpgkey=file://{}/almalinux-9.6/RPM-GPG-KEY-AlmaLinux-9\n",
        w.display(),
        w.display()
    ));
    fs::write(&repo, text).unwrap();
}

#[test]
fn a_failing_post_scriptlet_rolls_back_to_the_exact_old_root() {
    let dir = scratch().join("a8-failing-post");
    let mut o = RootOptions::new(world(), "almalinux-8.10", &dir);
    o.target = Some("almalinux-9.6".into());
    root::build_root(&o).unwrap();
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
    let o = leapfrog(&dir, &["--json", "apply", "--snapshot", "copy"], None);
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
        let o = leapfrog(&root, args, Some(&c.spec));
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
            String::from_utf8_lossy(&o.stderr).contains(&format!("failpoint {name}")),
            "{}: {}",
            c.spec,
            text(&o)
        );
        names.insert(name.to_string());
        // the re-run, as after a reboot
        let o = leapfrog(&root, args, None);
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
    let o = leapfrog(&root, &["commit"], Some("commit-before-release=kill"));
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
    let st = Command::new("rpm")
        .env("HOME", "/nonexistent")
        .arg("--root")
        .arg(&root)
        .args([
            "--define",
            "_dbpath /var/lib/rpm",
            "-e",
            "--nodeps",
            "--noscripts",
            "acme-agent",
        ])
        .status()
        .unwrap();
    assert!(st.success());
    let before = picture(&root);
    let o = leapfrog(&root, &["apply"], None);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("the root changed since planning"),
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
    let o = leapfrog(&root, &["apply"], None);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("failed verification, nothing was changed"),
        "{}",
        text(&o)
    );
    assert_unchanged(&before, &root);

    // not downloaded
    let root = copy_of(&t, "refuse-nodownload");
    fs::remove_file(root.join("var/lib/leapfrog/download.json")).unwrap();
    let o = leapfrog(&root, &["apply"], None);
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains("run `leapfrog download` first"));

    // --snapshot none without the acknowledgement
    let root = copy_of(&t, "refuse-none");
    let o = leapfrog(&root, &["apply", "--snapshot", "none"], None);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(String::from_utf8_lossy(&o.stderr).contains("acknowledge"));
    assert_eq!(rpm_qa(&root), rpm_qa(&t));

    // a second run while one holds the lock
    let root = copy_of(&t, "refuse-lock");
    let _held = leapfrog::apply::lock::RunLock::acquire(&Workspace::unchecked(&root)).unwrap();
    let o = leapfrog(&root, &["apply"], None);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("another leapfrog"),
        "{}",
        text(&o)
    );

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
    let o = leapfrog(&root, &["apply"], None);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("blocked on purpose"),
        "{}",
        text(&o)
    );
    assert!(State::load(&Workspace::unchecked(&root)).unwrap().is_none());

    // nothing to roll back or commit
    let root = copy_of(&t, "refuse-rollback");
    let o = leapfrog(&root, &["rollback"], None);
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains("nothing to roll back"));
    let o = leapfrog(&root, &["commit"], None);
    assert_eq!(o.status.code(), Some(1));
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
    let o = leapfrog(&root, &["rollback"], None);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("cannot be rolled back"),
        "{}",
        text(&o)
    );
}

/// `cp -a TEMPLATE/. DIR` (into an existing directory, such as a subvolume or a mount).
fn copy_into(template: &Path, dir: &Path) {
    fs::create_dir_all(dir).unwrap();
    let st = Command::new("cp")
        .arg("-a")
        .arg(format!("{}/.", template.display()))
        .arg(dir)
        .status()
        .unwrap();
    assert!(st.success());
}

fn free_bytes(path: &Path) -> u64 {
    let out = Command::new("df")
        .args(["--output=avail", "-B1"])
        .arg(path)
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout)
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
    let o = leapfrog(
        &root,
        &["--json", "apply", "--snapshot", "copy"],
        Some("rpm-skip-diskspace-check"),
    );
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    let r = result_of(&o);
    assert_eq!(r["outcome"], "rolled-back", "{r}");
    let out = String::from_utf8_lossy(&o.stdout);
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

#[test]
fn btrfs_snapshot_apply_and_rollback() {
    let t = template("almalinux-8.10", "almalinux-9.6", false);
    let m = TestMount::image(scratch(), "btrfs", "600M", &["mkfs.btrfs", "-q"]);
    let root = m.dir.join("root");
    let st = Command::new("btrfs")
        .args(["subvolume", "create"])
        .arg(&root)
        .output()
        .unwrap();
    assert!(st.status.success(), "{st:?}");
    copy_into(&t, &root);
    let before = picture(&root);
    let r = result_of(&ok(&root, &["--json", "apply"]));
    assert_eq!(r["snapshot"]["backend"], "btrfs", "auto picks btrfs: {r}");
    assert_new_root(&root, "btrfs");
    ok(&root, &["rollback"]);
    assert_old_root(&root, &before, "btrfs rollback");
    assert!(
        !root.join("var/lib/leapfrog/snapshot").exists(),
        "subvolume deleted"
    );

    // killed in the middle of the transaction, then run again
    let root2 = m.dir.join("root2");
    let st = Command::new("btrfs")
        .args(["subvolume", "create"])
        .arg(&root2)
        .output()
        .unwrap();
    assert!(st.status.success());
    copy_into(&t, &root2);
    let before2 = picture(&root2);
    let o = leapfrog(&root2, &["apply"], Some("rpm-after-element=kill@7"));
    assert_eq!(o.status.signal(), Some(9), "{}", text(&o));
    let o = leapfrog(&root2, &["apply"], None);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert_old_root(&root2, &before2, "btrfs kill mid-transaction");
}

#[test]
fn xfs_reflink_snapshot_apply_and_rollback() {
    let t = template("almalinux-8.10", "almalinux-9.6", false);
    let m = TestMount::image(
        scratch(),
        "xfs",
        "600M",
        &["mkfs.xfs", "-q", "-m", "reflink=1"],
    );
    let root = m.dir.join("root");
    copy_into(&t, &root);
    let before = picture(&root);
    let r = result_of(&ok(&root, &["--json", "apply"]));
    assert_eq!(
        r["snapshot"]["backend"], "reflink",
        "auto picks reflink: {r}"
    );
    assert!(
        r["snapshot"]["boot"].is_null(),
        "/boot is in the journal: {r}"
    );
    assert_new_root(&root, "xfs");
    ok(&root, &["rollback"]);
    assert_old_root(&root, &before, "xfs reflink rollback");

    // /boot on its own filesystem, as EL installs it: reflinks cannot reach it from the store,
    // so it gets its own journal (copies)
    let root2 = m.dir.join("root2");
    copy_into(&t, &root2);
    let boot = TestMount::image(scratch(), "xfs-boot", "320M", &["mkfs.xfs", "-q"]);
    copy_into(&root2.join("boot"), &boot.dir);
    fs::remove_dir_all(root2.join("boot")).unwrap();
    fs::create_dir(root2.join("boot")).unwrap();
    let st = Command::new("mount")
        .arg("--bind")
        .arg(&boot.dir)
        .arg(root2.join("boot"))
        .status()
        .unwrap();
    assert!(st.success());
    let before2 = picture(&root2);
    let r = result_of(&ok(&root2, &["--json", "apply"]));
    assert_eq!(r["snapshot"]["backend"], "reflink", "{r}");
    assert_eq!(r["snapshot"]["boot"]["backend"], "copy", "{r}");
    assert_new_root(&root2, "xfs, separate /boot");
    ok(&root2, &["rollback"]);
    assert_old_root(&root2, &before2, "xfs reflink rollback, separate /boot");
    let _ = Command::new("umount").arg(root2.join("boot")).status();
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
        let o = leapfrog(root, &args, None);
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
    let w = leapfrog_testkit::fixture::world_at(
        PREFIX,
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

fn leapfrog_env(root: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_leapfrog"));
    c.arg("--root")
        .arg(root)
        .args(args)
        .env_remove("LEAPFROG_FAILPOINTS");
    for (k, v) in env {
        c.env(k, v);
    }
    c.output().expect("run leapfrog")
}

fn status_of(root: &Path) -> serde_json::Value {
    let o = ok(root, &["--json", "status"]);
    serde_json::from_slice(&o.stdout).expect("status JSON")
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
    leapfrog_env(
        root,
        &args,
        &[("LEAPFROG_DRACUT", dracut.to_str().unwrap())],
    )
}

#[test]
fn upgrade_stages_status_reports_cancel_removes() {
    let dir = scratch().join("stage-a8");
    let mut o = RootOptions::new(world(), "almalinux-8.10", &dir);
    o.target = Some("almalinux-9.6".into());
    root::build_root(&o).unwrap();
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
    assert!(
        String::from_utf8_lossy(&o.stdout).contains("Already staged"),
        "{}",
        text(&o)
    );

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
    let o = leapfrog_env(
        &dir,
        &["upgrade", "--data", testkit_data().to_str().unwrap()],
        &[],
    );
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(
        !dir.join("boot/loader/entries/leapfrog-upgrade.conf")
            .exists()
    );
}

/// `upgrade` plans from local repositories (`--local-repo`, as `plan` does) when the root has
/// no target repository definitions, and downloads from them with `--offline`.
#[test]
fn upgrade_stages_from_local_repositories_without_target_definitions() {
    let dir = scratch().join("stage-local");
    root::build_root(&RootOptions::new(world(), "almalinux-8.10", &dir)).unwrap();
    assert!(!dir.join("etc/leapfrog/target.repos.d").exists());
    // copies of the world's AlmaLinux 9 repositories, each with the key in it
    let el9 = world().join("almalinux-9.6");
    let mirror = scratch().join("el9-mirror");
    fs::create_dir_all(&mirror).unwrap();
    let (baseos, appstream) = (mirror.join("baseos"), mirror.join("appstream"));
    for (from, to) in [("baseos", &baseos), ("appstream", &appstream)] {
        let st = Command::new("cp")
            .arg("-a")
            .arg(el9.join(from))
            .arg(to)
            .status()
            .unwrap();
        assert!(st.success());
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
    let bare = scratch().join("stage-no-repos");
    root::build_root(&RootOptions::new(world(), "almalinux-8.10", &bare)).unwrap();
    let o = upgrade(&bare, &["--offline", "--target", "almalinux-9.6"]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(
        String::from_utf8_lossy(&o.stdout).contains("repos.no-target-repos"),
        "{}",
        text(&o)
    );
    assert!(
        !bare
            .join("boot/loader/entries/leapfrog-upgrade.conf")
            .exists()
    );
}

/// The offline stage as the initramfs runs it, on a staged root (no separate /boot here).
fn staged_root(name: &str, failing_post: bool) -> (PathBuf, Picture) {
    let dir = scratch().join(name);
    let mut o = RootOptions::new(world(), "almalinux-8.10", &dir);
    o.target = Some("almalinux-9.6".into());
    root::build_root(&o).unwrap();
    if failing_post {
        with_failing_post(&dir);
    }
    // the testkit's fstab names a /boot filesystem that does not exist here
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
    let before = picture(&dir);
    let o = upgrade(&dir, &[]);
    assert_eq!(o.status.code(), Some(3), "{}", text(&o));
    (dir, before)
}

#[test]
fn offline_upgrades_then_clears_the_entry_and_prepares_first_boot() {
    let (dir, before) = staged_root("offline-ok", false);
    let o = ok(&dir, &["offline"]);
    assert!(String::from_utf8_lossy(&o.stdout).contains("the upgrade is complete"));
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
    let o = leapfrog(&dir, &["offline"], None);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(String::from_utf8_lossy(&o.stdout).contains("rolled back"));
    assert_old_root_with(&dir, &before, "offline rollback", true);
    assert_eq!(grubenv_var(&dir, "next_entry"), None);
    assert!(!Workspace::unchecked(&dir).firstboot_unit().exists());

    // a power cut in the middle of the transaction: the entry is armed again, the next boot
    // of the upgrade environment rolls back
    let (dir, before) = staged_root("offline-powercut", false);
    let o = leapfrog(&dir, &["offline"], Some("rpm-after-element=kill@9"));
    assert_eq!(o.status.signal(), Some(9), "{}", text(&o));
    assert_eq!(
        grubenv_var(&dir, "next_entry").as_deref(),
        Some("leapfrog-upgrade")
    );
    let o = leapfrog(&dir, &["offline"], None);
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
        let o = leapfrog(&dir, &["offline"], Some(fp));
        assert_eq!(o.status.signal(), Some(9), "{fp}: {}", text(&o));
        assert_eq!(
            grubenv_var(&dir, "next_entry").as_deref(),
            Some("leapfrog-upgrade")
        );
    }
    let o = leapfrog(&dir, &["offline"], None);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(
        String::from_utf8_lossy(&o.stdout).contains("did not finish, rolling back"),
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
