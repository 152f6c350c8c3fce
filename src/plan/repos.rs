//! Target repository selection: which repositories the upgrade transaction is solved against,
//! and why each one is there.
//!
//! Sources, in this order (a later definition of the same id replaces an earlier one):
//!
//! 1. **Custom target repositories** — `<root>/etc/leapfrog/target.repos.d/*.repo` and every
//!    `--target-repo-file FILE`. When any exists, they *are* the target repositories (like leapp's
//!    `leapp_upgrade_repositories.repo`): the migration data's repositories are not added, because
//!    a site that mirrors its own repositories must not reach out to the public ones.
//! 2. Otherwise the **migration data**: the target release's repositories enabled by default, plus
//!    the targets the repository map gives for every repository enabled on the host (so an enabled
//!    `powertools` brings `crb`), plus the targets of **vendor overlays** whose source repositories
//!    are enabled on the host (their definitions must come from a custom repository file or a
//!    leapp `vendors.d/*.repo`; the data knows their ids only).
//! 3. `--enablerepo ID` enables a repository that is defined but disabled.
//!
//! Every source repository enabled on the host gets a [`Decision`]: mapped to which target
//! repositories, or not mapped (with the packages that came from it, a finding).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use leapfrog_actors::facts::repos::Repository as HostRepo;
use leapfrog_migration_data::data::{DistroMajor, MigrationData};
use serde::{Deserialize, Serialize};

use super::Finding;

/// A repository the transaction is solved against.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TargetRepo {
    /// Repository id.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Base URLs (mirrors, in order of preference).
    pub baseurls: Vec<String>,
    /// Mirror list URL, when no base URL is given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mirrorlist: Option<String>,
    /// Whether its packages must be signed by one of `gpgkeys`.
    pub gpgcheck: bool,
    /// Key locations (URLs or paths).
    pub gpgkeys: Vec<String>,
    /// Where the definition comes from (`migration-data`, a `.repo` file path, `leapp vendors.d`).
    pub defined_in: String,
    /// Why it is enabled.
    pub why: String,
}

/// What happened to one repository enabled on the host.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Decision {
    /// Source repository id.
    pub source: String,
    /// Target repository ids it maps to (empty: not mapped).
    pub targets: Vec<String>,
    /// Explanation.
    pub note: String,
}

/// The repositories of a plan.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Selection {
    /// Enabled target repositories.
    pub repos: Vec<TargetRepo>,
    /// One decision per source repository enabled on the host.
    pub decisions: Vec<Decision>,
    /// Problems found while selecting.
    #[serde(skip)]
    pub findings: Vec<Finding>,
}

/// Inputs of the selection.
#[derive(Debug)]
pub struct Request<'a> {
    /// Migration data.
    pub data: &'a MigrationData,
    /// Source release.
    pub source: DistroMajor,
    /// Target release.
    pub target: DistroMajor,
    /// Architecture.
    pub arch: &'a str,
    /// dnf variables of the root (for `$testkit_world` and site variables); `releasever`,
    /// `basearch` are set for the target by the selection.
    pub vars: BTreeMap<String, String>,
    /// Repositories enabled on the host.
    pub host_repos: &'a [HostRepo],
    /// Custom target repositories (`target.repos.d`, `--target-repo-file`), every one, enabled
    /// or not.
    pub custom: &'a [HostRepo],
    /// Vendor target repository definitions from leapp's `vendors.d/*.repo`.
    pub leapp_vendor_repos: &'a [HostRepo],
    /// `--enablerepo`.
    pub enable: &'a [String],
    /// Directories where key files named by the data (`RPM-GPG-KEY-AlmaLinux-9`) are looked up.
    pub key_dirs: &'a [PathBuf],
}

fn from_host(r: &HostRepo, defined_in: &str, why: String) -> TargetRepo {
    TargetRepo {
        id: r.id.clone(),
        name: r.name.clone().unwrap_or_else(|| r.id.clone()),
        baseurls: r.baseurl.clone(),
        mirrorlist: r.mirrorlist.clone().or_else(|| r.metalink.clone()),
        gpgcheck: r.gpgcheck.unwrap_or(true),
        gpgkeys: r.gpgkey.clone(),
        defined_in: defined_in.to_string(),
        why,
    }
}

/// Finds a key file named by the data in the key directories.
fn locate_key(file: &str, dirs: &[PathBuf]) -> Option<String> {
    if file.contains("://") || file.starts_with('/') {
        return Some(file.to_string());
    }
    dirs.iter()
        .map(|d| d.join(file))
        .find(|p| p.is_file())
        .map(|p| format!("file://{}", p.display()))
}

/// Selects the target repositories.
///
/// # Errors
///
/// When the migration data does not know the target release, or a repository URL names an
/// undefined variable.
pub fn select(req: &Request<'_>) -> Result<Selection, leapfrog_migration_data::Error> {
    let mut sel = Selection::default();
    let enabled_host: Vec<&HostRepo> = req.host_repos.iter().filter(|r| r.enabled).collect();
    let enable: BTreeSet<&str> = req.enable.iter().map(String::as_str).collect();
    let mut chosen: BTreeMap<String, TargetRepo> = BTreeMap::new();
    let mut missing_keys: BTreeMap<String, Vec<String>> = BTreeMap::new();

    if !req.custom.is_empty() {
        for r in req.custom {
            if r.enabled || enable.contains(r.id.as_str()) {
                let why = if r.enabled {
                    "enabled in a custom target repository file".to_string()
                } else {
                    "enabled with --enablerepo".to_string()
                };
                chosen.insert(r.id.clone(), from_host(r, &r.file, why));
            }
        }
        for r in &enabled_host {
            let targets = req.data.map_repo(&req.source, &req.target, req.arch, &r.id);
            sel.decisions.push(Decision {
                source: r.id.clone(),
                targets: targets.clone(),
                note: format!(
                    "custom target repositories are in use; the migration data maps it to {}",
                    if targets.is_empty() {
                        "nothing".to_string()
                    } else {
                        targets.join(", ")
                    }
                ),
            });
        }
    } else {
        let mut vars = req.vars.clone();
        vars.remove("releasever");
        let data_repos = req.data.target_repositories(&req.target, req.arch, &vars)?;
        let by_id: BTreeMap<&str, _> = data_repos.iter().map(|r| (r.id.as_str(), r)).collect();
        let mut wanted: BTreeMap<String, String> = BTreeMap::new();
        for r in &data_repos {
            if r.enabled {
                wanted.insert(
                    r.id.clone(),
                    format!("enabled by default in {}", req.target),
                );
            }
        }
        for r in &enabled_host {
            let targets = req.data.map_repo(&req.source, &req.target, req.arch, &r.id);
            let vendor = req.data.vendor_by_source_repo(&r.id);
            let note = match (&targets[..], vendor) {
                ([], Some(v)) => format!(
                    "{} repository without a target for {}: its packages have no target unless a custom target repository provides them",
                    v.name, req.target
                ),
                ([], None) => format!(
                    "not in the repository map for {} -> {}: its packages need a custom target repository",
                    req.source, req.target
                ),
                (t, Some(v)) => format!("{} repository, mapped to {}", v.name, t.join(", ")),
                (t, None) => format!("mapped to {}", t.join(", ")),
            };
            for t in &targets {
                wanted
                    .entry(t.clone())
                    .or_insert_with(|| format!("the host has {} enabled", r.id));
            }
            sel.decisions.push(Decision {
                source: r.id.clone(),
                targets,
                note,
            });
        }
        for id in &enable {
            wanted
                .entry((*id).to_string())
                .or_insert_with(|| "enabled with --enablerepo".to_string());
        }
        for (id, why) in wanted {
            if let Some(r) = by_id.get(id.as_str()) {
                let mut gpgkeys = Vec::new();
                let mut missing = None;
                if let Some(k) = &r.gpgkey {
                    match locate_key(k, req.key_dirs) {
                        Some(l) => gpgkeys.push(l),
                        None => missing = Some(k.clone()),
                    }
                }
                if let Some(k) = missing {
                    missing_keys.entry(k).or_default().push(id.clone());
                }
                chosen.insert(
                    id.clone(),
                    TargetRepo {
                        id: r.id.clone(),
                        name: r.name.clone(),
                        baseurls: r.baseurl.iter().cloned().collect(),
                        mirrorlist: r.mirrorlist.clone(),
                        gpgcheck: r.gpgkey.is_some(),
                        gpgkeys,
                        defined_in: "migration-data".to_string(),
                        why,
                    },
                );
            } else if let Some(r) = req.leapp_vendor_repos.iter().find(|r| r.id == id) {
                chosen.insert(id.clone(), from_host(r, &r.file, why));
            } else {
                sel.findings.push(Finding::high(
                    "plan.undefined-repository",
                    format!("The target repository {id} is not defined"),
                    format!(
                        "{id} is needed ({why}) but neither the migration data nor a vendors.d repo file defines it"
                    ),
                    format!(
                        "Define {id} in /etc/leapfrog/target.repos.d/<name>.repo (or pass --target-repo-file)"
                    ),
                ));
            }
        }
    }
    for (k, ids) in missing_keys {
        sel.findings.push(Finding::high(
            "plan.missing-key",
            format!("No key file {k} for the target repositories {}", ids.join(", ")),
            format!(
                "The migration data says {} are signed with {k}, which is in none of {}",
                ids.join(", "),
                req.key_dirs
                    .iter()
                    .map(|d| d.display().to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            format!(
                "Put the target distribution's {k} into <root>/etc/leapfrog/rpm-gpg/, or define the repositories in <root>/etc/leapfrog/target.repos.d with a gpgkey= line"
            ),
        ));
    }
    for id in &enable {
        if !chosen.contains_key(*id) {
            sel.findings.push(Finding::high(
                "plan.unknown-enablerepo",
                format!("--enablerepo {id}: no such target repository"),
                format!("No target repository definition has the id {id}"),
                "Check the id against `leapfrog plan --json` repos or the custom repo files"
                    .to_string(),
            ));
        }
    }
    sel.repos = chosen.into_values().collect();
    Ok(sel)
}

/// Key directories searched for key files the data names: `<root>/etc/leapfrog/rpm-gpg`,
/// `<leapp-data>/rpm-gpg/<major>` (where ELevate ships target keys) and, for same-major
/// conversions, the root's own `/etc/pki/rpm-gpg`.
pub fn key_dirs(
    ws: &crate::workspace::Workspace,
    leapp_data: Option<&Path>,
    target_major: u32,
) -> Vec<PathBuf> {
    let mut dirs = vec![ws.config_keys_dir()];
    if let Some(l) = leapp_data {
        dirs.push(l.join("rpm-gpg").join(target_major.to_string()));
    }
    dirs.push(ws.in_root("etc/pki/rpm-gpg"));
    dirs
}
