//! Verification of the upgraded root: the rpm database opens and lists packages, every planned
//! incoming package is installed at its planned NEVRA, every planned erasure is gone,
//! os-release names the target, and the target kernel's image and boot entry exist.

use std::collections::BTreeSet;
use std::fmt;
use std::fs;
use std::path::Path;

use rpm_sys::{DbLocation, RpmDatabase};

use super::post;
use crate::boot::entries;
use crate::plan::document::PlanDocument;
use crate::plan::fates::Action;
use crate::workspace::Workspace;
use leapfrog_base::failpoints::{self, FailpointError};

/// Which check failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Check {
    /// The rpm database.
    Rpmdb,
    /// A planned incoming package.
    Installed,
    /// A planned erasure.
    Erased,
    /// `/etc/os-release`.
    OsRelease,
    /// The target kernel image.
    Kernel,
    /// The target kernel's BLS entry.
    BootEntry,
}

/// One failed check, with a sentence saying what is wrong.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Failure {
    /// The check.
    pub check: Check,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

fn fail(check: Check, message: String) -> Failure {
    Failure { check, message }
}

/// Verifies `root` against `plan` with the database at `location` (the target's location after
/// the post-steps). An empty list means the upgrade is complete.
///
/// # Errors
///
/// Only when the `verify-before` failpoint fires; every finding is a [`Failure`].
pub fn verify(
    ws: &Workspace,
    plan: &PlanDocument,
    location: &DbLocation,
) -> Result<Vec<Failure>, FailpointError> {
    let root = ws.root();
    failpoints::fail_point("verify-before")?;
    let mut failures = Vec::new();
    match RpmDatabase::open(root, location).and_then(|db| db.installed_packages()) {
        Err(e) => failures.push(fail(
            Check::Rpmdb,
            format!("The rpm database cannot be read: {e}."),
        )),
        Ok(packages) if packages.is_empty() => failures.push(fail(
            Check::Rpmdb,
            format!("The rpm database at {} lists no package.", location.dbpath),
        )),
        Ok(packages) => {
            let installed: BTreeSet<String> = packages.iter().map(|p| p.nevra()).collect();
            check_packages(plan, &installed, &mut failures);
        }
    }
    check_os_release(root, &plan.target, &mut failures);
    check_kernel(ws, plan, &mut failures);
    Ok(failures)
}

fn check_packages(plan: &PlanDocument, installed: &BTreeSet<String>, out: &mut Vec<Failure>) {
    let incoming: BTreeSet<&str> = plan
        .transaction
        .iter()
        .filter(|e| !matches!(e.action, Action::Erase | Action::Obsoleted))
        .map(|e| e.nevra.as_str())
        .collect();
    for e in &plan.transaction {
        if matches!(e.action, Action::Erase | Action::Obsoleted) {
            if installed.contains(&e.nevra) && !incoming.contains(e.nevra.as_str()) {
                out.push(fail(
                    Check::Erased,
                    format!(
                        "{} should have been removed but is still installed.",
                        e.nevra
                    ),
                ));
            }
            continue;
        }
        if !installed.contains(&e.nevra) {
            let others: Vec<&str> = installed
                .iter()
                .filter(|n| {
                    n.strip_prefix(&e.name)
                        .and_then(|r| r.strip_prefix('-'))
                        .is_some_and(|r| r.starts_with(|c: char| c.is_ascii_digit()))
                })
                .map(String::as_str)
                .collect();
            let found = if others.is_empty() {
                "no version of it is installed".to_string()
            } else {
                format!("installed: {}", others.join(", "))
            };
            out.push(fail(
                Check::Installed,
                format!("{} is planned but not installed ({found}).", e.nevra),
            ));
        }
        for old in &e.replaces {
            if installed.contains(old) && !incoming.contains(old.as_str()) {
                out.push(fail(
                    Check::Erased,
                    format!(
                        "{old} should have been replaced by {} but is still installed.",
                        e.nevra
                    ),
                ));
            }
        }
    }
}

/// Reads a `KEY=value` from os-release text, unquoted.
fn os_release_value<'a>(text: &'a str, key: &str) -> Option<&'a str> {
    text.lines()
        .filter_map(|l| l.trim().strip_prefix(key)?.strip_prefix('='))
        .next_back()
        .map(|v| v.trim().trim_matches('"').trim_matches('\''))
}

fn check_os_release(root: &Path, target: &str, out: &mut Vec<Failure>) {
    let Some((id, version)) = target.rsplit_once('-') else {
        out.push(fail(
            Check::OsRelease,
            format!("The plan's target {target:?} is not a release id (name-version)."),
        ));
        return;
    };
    // /etc/os-release is usually a relative symlink to ../usr/lib/os-release
    let path = root.join("etc/os-release");
    let text =
        fs::read_to_string(&path).or_else(|_| fs::read_to_string(root.join("usr/lib/os-release")));
    let text = match text {
        Ok(t) => t,
        Err(e) => {
            out.push(fail(
                Check::OsRelease,
                format!("/etc/os-release cannot be read: {e}."),
            ));
            return;
        }
    };
    for (key, want) in [("ID", id), ("VERSION_ID", version)] {
        match os_release_value(&text, key) {
            Some(v) if v == want => {}
            Some(v) => out.push(fail(
                Check::OsRelease,
                format!("os-release has {key}={v}, the target is {key}={want}."),
            )),
            None => out.push(fail(
                Check::OsRelease,
                format!("os-release has no {key}, the target is {key}={want}."),
            )),
        }
    }
}

fn check_kernel(ws: &Workspace, plan: &PlanDocument, out: &mut Vec<Failure>) {
    let Some(kver) = post::target_kernel_version(plan) else {
        return; // the plan brings no kernel: nothing to check
    };
    let image = ws.boot_dir().join(format!("vmlinuz-{kver}"));
    if !image.is_file() {
        out.push(fail(
            Check::Kernel,
            format!("The target kernel image /boot/vmlinuz-{kver} does not exist."),
        ));
    }
    match entries::bls_entry_id(ws, &kver) {
        Ok(id) => {
            if !entries::bls_entry_path(ws, &id).is_file() {
                out.push(fail(
                    Check::BootEntry,
                    format!(
                        "The boot entry /boot/loader/entries/{id}.conf of kernel {kver} does not exist."
                    ),
                ));
            }
        }
        Err(e) => out.push(fail(
            Check::BootEntry,
            format!("The boot entry of kernel {kver} cannot be named: {e}."),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn os_release_values() {
        let t = "NAME=\"AlmaLinux\"\nID=\"almalinux\"\nVERSION_ID='9.6'\n";
        assert_eq!(os_release_value(t, "ID"), Some("almalinux"));
        assert_eq!(os_release_value(t, "VERSION_ID"), Some("9.6"));
        assert_eq!(os_release_value(t, "ID_LIKE"), None);
    }
}
