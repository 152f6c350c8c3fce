//! Executor foundations on testkit roots: the rpmdb fingerprint and stale-plan check, the
//! post-steps, and the verification of a root upgraded AlmaLinux 8 -> 9 by a real librpm
//! transaction of the plan `leapfrog plan` / `leapfrog download` made. Needs root (rpm installs
//! into the roots, scriptlets run chrooted).

mod common;

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use leapfrog::apply::post::{self, PostError};
use leapfrog::apply::stale::{self, StaleError};
use leapfrog::apply::verify::{self, Check};
use leapfrog::document::Document as _;
use leapfrog::plan::document::PlanDocument;
use leapfrog::plan::fates::Action;
use leapfrog::workspace::Workspace;
use rpm_sys::{
    DbBackend, DbLocation, EraseTarget, RpmDatabase, Transaction, TransactionFlags,
    read_package_file,
};

use common::*;

fn world() -> PathBuf {
    common::world(&["almalinux-8.10", "almalinux-9.6"])
}

fn make_root(name: &str, target: Option<&str>, bdb: bool) -> PathBuf {
    install_root(&world(), name, "almalinux-8.10", target, bdb)
}

fn sqlite() -> DbLocation {
    DbLocation::new("/var/lib/rpm", DbBackend::Sqlite)
}

/// Every downloaded package file by NEVRA.
fn downloaded(root: &Path) -> BTreeMap<String, PathBuf> {
    let mut out = BTreeMap::new();
    let mut stack = vec![root.join("var/lib/leapfrog/packages")];
    while let Some(dir) = stack.pop() {
        for e in fs::read_dir(&dir).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "rpm") {
                out.insert(read_package_file(&p).unwrap().nevra(), p);
            }
        }
    }
    out
}

#[test]
fn upgraded_root_verifies_and_each_damage_is_named() {
    let _g = serial();
    let root = make_root("a8-upgrade", Some("almalinux-9.6"), false);
    let data = testkit_data();
    ok(&root, &["--json", "plan", "--data", data.to_str().unwrap()]);
    ok(&root, &["--json", "download"]);
    let plan = PlanDocument::require(&Workspace::unchecked(&root)).unwrap();

    // the plan carries the fingerprint of the root it was made for
    let before = leapfrog::rpmdb::fingerprint(&Workspace::unchecked(&root)).unwrap();
    assert_eq!(plan.rpmdb_fingerprint.as_deref(), Some(before.as_str()));
    stale::check(&plan, &Workspace::unchecked(&root)).unwrap();
    let mut old_plan = plan.clone();
    old_plan.rpmdb_fingerprint = None;
    assert!(matches!(
        stale::check(&old_plan, &Workspace::unchecked(&root)),
        Err(StaleError::NoFingerprint)
    ));

    // before the transaction, verification names what is not done
    let failures = verify::verify(&Workspace::unchecked(&root), &plan, &sqlite()).unwrap();
    assert!(failures.iter().any(|f| f.check == Check::Installed));
    assert!(failures.iter().any(|f| f.check == Check::OsRelease));

    // the real transaction, as the executor will run it
    let files = downloaded(&root);
    let mut tx = Transaction::new(&root, &sqlite()).unwrap();
    for e in plan
        .transaction
        .iter()
        .filter(|e| !matches!(e.action, Action::Erase | Action::Obsoleted))
    {
        tx.add_install(&files[&e.nevra], true).unwrap();
    }
    for e in plan
        .transaction
        .iter()
        .filter(|e| e.action == Action::Erase)
    {
        tx.add_erase(EraseTarget::Label(&e.nevra)).unwrap();
    }
    let run = tx.run(TransactionFlags::default()).unwrap();
    assert!(run.succeeded(), "{run:?}");
    drop(tx);

    // the root changed: the plan is stale now
    let e = stale::check(&plan, &Workspace::unchecked(&root))
        .unwrap_err()
        .to_string();
    assert!(e.contains("the root changed since planning"), "{e}");
    assert!(e.ends_with("plan again"), "{e}");

    // post-steps
    let target_major = post::release_major(&plan.target).unwrap();
    assert_eq!(
        post::convert_rpmdb(&Workspace::unchecked(&root), &sqlite(), target_major).unwrap(),
        None
    );
    post::write_module_state(&Workspace::unchecked(&root), &plan.modules).unwrap();
    let kver = post::target_kernel_version(&plan).expect("the plan brings a kernel");
    assert!(kver.contains("el9"), "{kver}");
    let id =
        leapfrog::boot::entries::set_default_entry(&Workspace::unchecked(&root), &kver).unwrap();
    let grubenv = fs::read(root.join("boot/grub2/grubenv")).unwrap();
    assert_eq!(grubenv.len(), 1024);
    assert!(String::from_utf8_lossy(&grubenv).contains(&format!("\nsaved_entry={id}\n")));
    assert!(post::schedule_selinux_relabel(&Workspace::unchecked(&root)).unwrap()); // testkit roots are enforcing
    assert!(root.join(".autorelabel").is_file());
    post::config_leftovers(&Workspace::unchecked(&root)).unwrap();

    let failures = verify::verify(&Workspace::unchecked(&root), &plan, &sqlite()).unwrap();
    assert!(failures.is_empty(), "{failures:#?}");

    // damage 1: an upgraded package is missing
    let victim = plan
        .transaction
        .iter()
        .find(|e| e.action == Action::Upgrade && !e.name.starts_with("kernel"))
        .expect("an upgrade")
        .clone();
    rpm_erase(&root, &victim.nevra);
    let failures = verify::verify(&Workspace::unchecked(&root), &plan, &sqlite()).unwrap();
    assert_eq!(failures.len(), 1, "{failures:#?}");
    assert_eq!(failures[0].check, Check::Installed);
    assert_eq!(
        failures[0].message,
        format!(
            "{} is planned but not installed (no version of it is installed).",
            victim.nevra
        )
    );

    // damage 2: a planned removal still installed (as if the erase had not run)
    let installed = RpmDatabase::open(&root, &sqlite())
        .unwrap()
        .installed_packages()
        .unwrap();
    let incoming: Vec<&str> = plan.transaction.iter().map(|e| e.nevra.as_str()).collect();
    let survivor = installed
        .iter()
        .find(|p| !incoming.contains(&p.nevra().as_str()))
        .expect("a package the plan does not touch");
    let (survivor_name, survivor) = (survivor.name.clone(), survivor.nevra());
    let mut plan2 = plan.clone();
    plan2.transaction.push(leapfrog::plan::document::Element {
        action: Action::Erase,
        name: survivor_name,
        nevra: survivor.clone(),
        repo: "@System".into(),
        location: None,
        checksum: None,
        download_size: 0,
        install_size: 0,
        replaces: vec![],
    });
    let failures = verify::verify(&Workspace::unchecked(&root), &plan2, &sqlite()).unwrap();
    assert!(
        failures.iter().any(|f| f.check == Check::Erased
            && f.message == format!("{survivor} should have been removed but is still installed.")),
        "{failures:#?}"
    );

    // damage 3: os-release of the source
    let os = root.join("usr/lib/os-release");
    let good = fs::read_to_string(&os).unwrap();
    fs::write(
        &os,
        good.replace("VERSION_ID=\"9.6\"", "VERSION_ID=\"8.10\""),
    )
    .unwrap();
    // damage 4: the BLS entry is gone
    let entry = leapfrog::boot::entries::bls_entry_path(&Workspace::unchecked(&root), &id);
    fs::remove_file(&entry).unwrap();
    let failures = verify::verify(&Workspace::unchecked(&root), &plan, &sqlite()).unwrap();
    let messages: Vec<&str> = failures.iter().map(|f| f.message.as_str()).collect();
    assert!(
        messages.contains(&"os-release has VERSION_ID=8.10, the target is VERSION_ID=9.6."),
        "{messages:#?}"
    );
    assert!(
        messages.contains(
            &format!(
                "The boot entry /boot/loader/entries/{id}.conf of kernel {kver} does not exist."
            )
            .as_str()
        ),
        "{messages:#?}"
    );
    // and set_default_boot_entry refuses a kernel without entry
    let e = leapfrog::boot::entries::set_default_entry(&Workspace::unchecked(&root), &kver)
        .unwrap_err();
    assert!(e.to_string().contains("does not exist"), "{e}");

    // damage 5: no rpm database at the given location
    let failures = verify::verify(
        &Workspace::unchecked(&root),
        &plan,
        &DbLocation::new("/nowhere", DbBackend::Sqlite),
    )
    .unwrap();
    assert!(
        failures.iter().any(|f| f.check == Check::Rpmdb),
        "{failures:#?}"
    );
}

#[test]
fn berkeleydb_is_converted_for_el9_and_moved_for_el10() {
    let _g = serial();
    let root = make_root("a8-bdb", None, true);
    let bdb = DbLocation::new("/var/lib/rpm", DbBackend::BdbReadOnly);
    let before = leapfrog::rpmdb::fingerprint_at(&Workspace::unchecked(&root), &bdb).unwrap();
    assert_eq!(
        leapfrog::rpmdb::fingerprint(&Workspace::unchecked(&root)).unwrap(),
        before
    );

    // an EL8 target keeps BerkeleyDB
    assert_eq!(
        post::convert_rpmdb(&Workspace::unchecked(&root), &bdb, 8).unwrap(),
        None
    );
    assert!(root.join("var/lib/rpm/Packages").is_file());

    let now = post::convert_rpmdb(&Workspace::unchecked(&root), &bdb, 9)
        .unwrap()
        .expect("converted");
    assert_eq!(now, sqlite());
    assert!(root.join("var/lib/rpm/rpmdb.sqlite").is_file());
    assert!(!root.join("var/lib/rpm/Packages").exists());
    // same packages, same install times
    assert_eq!(
        leapfrog::rpmdb::fingerprint_at(&Workspace::unchecked(&root), &now).unwrap(),
        before
    );
    // converting again changes nothing
    assert_eq!(
        post::convert_rpmdb(&Workspace::unchecked(&root), &now, 9).unwrap(),
        None
    );

    let el10 = post::convert_rpmdb(&Workspace::unchecked(&root), &now, 10)
        .unwrap()
        .expect("moved");
    assert_eq!(
        el10,
        DbLocation::new("/usr/lib/sysimage/rpm", DbBackend::Sqlite)
    );
    assert_eq!(
        fs::read_link(root.join("var/lib/rpm")).unwrap(),
        PathBuf::from("../../usr/lib/sysimage/rpm")
    );
    assert_eq!(
        leapfrog::rpmdb::fingerprint_at(&Workspace::unchecked(&root), &el10).unwrap(),
        before
    );
    // through the symlink, the old path still works
    assert_eq!(
        leapfrog::rpmdb::fingerprint_at(&Workspace::unchecked(&root), &now).unwrap(),
        before
    );
    assert_eq!(
        post::convert_rpmdb(&Workspace::unchecked(&root), &el10, 10).unwrap(),
        None
    );

    // a root without a database is a clear error
    let empty = tempfile::tempdir().unwrap();
    let e = post::convert_rpmdb(&Workspace::unchecked(empty.path()), &bdb, 9).unwrap_err();
    assert!(matches!(e, PostError::Invalid(_)));
    assert!(e.to_string().contains("does not exist"), "{e}");
    assert!(leapfrog::rpmdb::fingerprint(&Workspace::unchecked(empty.path())).is_err());
}
