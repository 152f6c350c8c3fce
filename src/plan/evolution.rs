//! The package-evolution stage on its own (`leapfrog plan --events-only`, `leapfrog why`
//! without a plan): PES events applied to a root's distribution-signed packages or to an
//! `rpm -qa` list, without repositories or depsolve, with leapp's data or ours.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use anyhow::{Context as _, bail};
use leapfrog_actors::upgrade_paths::TargetSpec;
use leapfrog_migration_data::data::{DistroMajor, MigrationData};
use leapfrog_migration_data::leapp::{pes, repomap};
use serde::Serialize;

use super::events;
use crate::workspace::Workspace;

/// What the events-only stage starts from.
#[derive(Debug, Clone, Default)]
pub struct EventsInputs {
    /// An `rpm -qa` list instead of the root's packages.
    pub installed: Option<PathBuf>,
    /// The list's release (with `installed`).
    pub source: Option<TargetSpec>,
    /// The target; `None`: the default path of the root's release.
    pub target: Option<TargetSpec>,
    /// Our migration data directory.
    pub data: Option<PathBuf>,
    /// leapp's data directory: its events and repository map instead of ours.
    pub leapp_data: Option<PathBuf>,
    /// The architecture the events are filtered for.
    pub arch: String,
}

/// The package-evolution stage of a root or list, with the repository map for the target.
#[derive(Debug)]
pub struct EventsOnly {
    /// The packages the events were applied to.
    pub installed: Vec<events::Installed>,
    /// Source release.
    pub source: TargetSpec,
    /// Target release.
    pub target: TargetSpec,
    /// Installed packages left out because the distribution did not sign them (leapp gives
    /// third-party packages no instructions either).
    pub skipped: Vec<String>,
    /// Source minor.
    pub smin: u32,
    /// Target minor.
    pub tmin: u32,
    /// PESID -> repository map.
    pub map: repomap::RepoMap,
    /// What the events decided.
    pub out: events::Outcome,
    /// The architecture.
    pub arch: String,
}

impl EventsOnly {
    /// The target repository of a PESID.
    pub fn repo_of(&self, pesid: &str) -> Option<String> {
        self.map
            .repoids_for(pesid, self.target.major, &self.arch)
            .first()
            .map(|s| s.to_string())
    }
}

fn from_list(
    list: &Path,
    inputs: &EventsInputs,
) -> anyhow::Result<(Vec<events::Installed>, TargetSpec, TargetSpec, Vec<String>)> {
    let (Some(source), Some(target)) = (&inputs.source, &inputs.target) else {
        bail!("--installed FILE needs --source DISTRO-VERSION and --target DISTRO-VERSION");
    };
    let text = std::fs::read_to_string(list)
        .with_context(|| format!("cannot read the package list {}", list.display()))?;
    let mut names: BTreeSet<&str> = BTreeSet::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() || line.trim_start().starts_with('#') {
            continue;
        }
        let name = super::name_from_nevra(line).with_context(|| {
            format!(
                "{} line {}: {line:?} is not name-version-release.arch",
                list.display(),
                i + 1
            )
        })?;
        if name != "gpg-pubkey" {
            names.insert(name);
        }
    }
    let installed = names
        .iter()
        .map(|n| events::Installed {
            name: n.to_string(),
            module_stream: None,
        })
        .collect();
    Ok((installed, source.clone(), target.clone(), Vec::new()))
}

/// Reads the installed release and the distribution-signed packages of the root with the
/// assessment's scanners; the target is the given one or the default path.
fn from_root(
    ws: &Workspace,
    inputs: &EventsInputs,
) -> anyhow::Result<(Vec<events::Installed>, TargetSpec, TargetSpec, Vec<String>)> {
    use leapfrog_actors::facts::rootfs::RootFs;
    use leapfrog_actors::model::{Env, Facts};
    use leapfrog_actors::scanners;
    let root = RootFs::new(ws.root())
        .with_context(|| format!("cannot use {} as the root to plan for", ws.root().display()))?;
    let env = Env::new(root, Default::default());
    let facts = Facts::default();
    for sc in [&scanners::release::SCANNER, &scanners::rpm::SCANNER] {
        (sc.run)(&env, &facts)
            .map_err(anyhow::Error::msg)
            .with_context(|| format!("cannot read {}", ws.root().display()))?;
    }
    let (Some(release), Some(rpm)) = (facts.release.get(), facts.rpm.get()) else {
        bail!(
            "cannot read the release and packages of {}",
            ws.root().display()
        );
    };
    let major = release.major.with_context(|| {
        format!(
            "VERSION_ID {:?} has no major version",
            release.os.version_id
        )
    })?;
    let source = TargetSpec {
        distro: release.os.id.clone(),
        major,
        minor: release.minor,
    };
    let target = match &inputs.target {
        Some(t) => t.clone(),
        None => {
            let t = leapfrog_actors::upgrade_paths::resolve(&release.os.id, major, None)
                .with_context(|| {
                    format!(
                        "no supported upgrade path from {} {}: pass --target",
                        release.os.name, release.os.version_id
                    )
                })?;
            TargetSpec {
                distro: t.distro,
                major: t.major,
                minor: Some(t.minor),
            }
        }
    };
    let keys = rpm.distribution_key_ids(&release.release_package());
    let mut installed = Vec::new();
    let mut skipped = Vec::new();
    let mut seen = BTreeSet::new();
    for p in rpm.real() {
        if !seen.insert(p.name.clone()) {
            continue;
        }
        if p.signature_key_id
            .as_ref()
            .is_some_and(|k| keys.contains(k))
        {
            installed.push(events::Installed {
                name: p.name.clone(),
                module_stream: None,
            });
        } else {
            skipped.push(p.name.clone());
        }
    }
    Ok((installed, source, target, skipped))
}

/// Our migration data: the directory given or the compiled-in set.
///
/// # Errors
///
/// When it cannot be loaded.
pub fn load_data(dir: Option<&Path>) -> anyhow::Result<MigrationData> {
    match dir {
        Some(d) => MigrationData::load(d)
            .with_context(|| format!("cannot load the migration data in {}", d.display())),
        None => MigrationData::builtin().context("cannot load the compiled-in migration data"),
    }
}

/// Reads the input (list or root) and the data and applies the events.
///
/// # Errors
///
/// On missing or inconsistent inputs and unreadable data or package lists.
pub fn evolve(ws: &Workspace, inputs: &EventsInputs) -> anyhow::Result<EventsOnly> {
    let (installed, source, target, skipped) = match &inputs.installed {
        Some(list) => from_list(list, inputs)?,
        None => from_root(ws, inputs)?,
    };
    let (Some(smin), Some(tmin)) = (source.minor, target.minor) else {
        bail!(
            "--source and --target need a minor version (e.g. centos-7.9, almalinux-8.10): events are selected by release"
        );
    };
    // leapp's data when given (its event ids and PESIDs, as ELevate users know them), else ours.
    let (pes_events, map) = match &inputs.leapp_data {
        Some(dir) => {
            let pes = pes::load(&dir.join("pes-events.json"))
                .context("cannot load the package-evolution data")?;
            let map = repomap::load(&dir.join("repomap.json"), &target.distro)
                .context("cannot load the repository map")?;
            (pes.events, map)
        }
        None => {
            let data = load_data(inputs.data.as_deref())?;
            let from = DistroMajor {
                distro: source.distro.clone(),
                major: source.major,
            };
            let to = DistroMajor {
                distro: target.distro.clone(),
                major: target.major,
            };
            (
                data.pes_events(source.major, target.major),
                data.leapp_repomap(&from, &to, &inputs.arch),
            )
        }
    };
    let out = events::apply(
        &pes_events,
        &installed,
        pes::Version {
            major: source.major,
            minor: smin,
        },
        pes::Version {
            major: target.major,
            minor: tmin,
        },
        &inputs.arch,
    );
    Ok(EventsOnly {
        installed,
        source,
        target,
        skipped,
        smin,
        tmin,
        map,
        out,
        arch: inputs.arch.clone(),
    })
}

/// One package to install, as `plan --events-only` reports it.
#[derive(Debug, Clone, Serialize)]
pub struct ToInstall {
    /// Name.
    pub name: String,
    /// Target repository (the PESID when the map has none).
    pub repo: String,
    /// The PESID.
    pub pesid: String,
    /// Module stream.
    pub module_stream: Option<String>,
    /// Events that bring it in.
    pub events: Vec<u64>,
}

/// A finding of the events-only stage.
#[derive(Debug, Clone, Serialize)]
pub struct EventsFinding {
    /// Stable key.
    pub key: &'static str,
    /// Severity.
    pub severity: &'static str,
    /// One line.
    pub title: &'static str,
    /// What was found.
    pub summary: String,
}

/// `leapfrog plan --events-only`: what the events decide.
#[derive(Debug, Clone, Serialize)]
pub struct EventsReport {
    /// Source release.
    pub source: String,
    /// Target release.
    pub target: String,
    /// Architecture.
    pub arch: String,
    /// Packages the events were applied to.
    #[serde(skip)]
    pub packages: usize,
    /// Events considered.
    pub events_considered: usize,
    /// Packages to install.
    pub to_install: Vec<ToInstall>,
    /// Packages to remove.
    pub to_remove: Vec<events::Removed>,
    /// Packages an event keeps.
    pub to_keep: Vec<String>,
    /// Packages to reinstall.
    pub to_reinstall: Vec<String>,
    /// Module streams.
    pub modules: serde_json::Value,
    /// Target repositories.
    pub repos: BTreeSet<String>,
    /// Findings.
    pub findings: Vec<EventsFinding>,
    /// Every event applied.
    pub steps: Vec<events::Step>,
    /// Packages left out (not signed by the distribution).
    pub not_distribution_signed: Vec<String>,
}

/// The events-only report of `ev`.
pub fn report(ev: &EventsOnly) -> EventsReport {
    let out = &ev.out;
    let mut findings = Vec::new();
    let mut repo_ids: BTreeSet<String> = BTreeSet::new();
    let mut unknown: BTreeSet<String> = BTreeSet::new();
    for pesid in &out.repos {
        match ev.repo_of(pesid) {
            Some(r) => {
                repo_ids.insert(r);
            }
            None => {
                unknown.insert(pesid.clone());
            }
        }
    }
    if !unknown.is_empty() {
        let pkgs: Vec<&str> = out
            .to_install
            .iter()
            .filter(|p| unknown.contains(&p.repo))
            .map(|p| p.name.as_str())
            .collect();
        findings.push(EventsFinding {
            key: "plan.unknown-repository",
            severity: "high",
            title: "Packages from unknown repositories may not be installed",
            summary: format!(
                "The repository map has no target repository for {}; these packages may not be installed: {}",
                unknown.iter().cloned().collect::<Vec<_>>().join(", "),
                pkgs.join(", ")
            ),
        });
    }
    EventsReport {
        source: format!("{}-{}.{}", ev.source.distro, ev.source.major, ev.smin),
        target: format!("{}-{}.{}", ev.target.distro, ev.target.major, ev.tmin),
        arch: ev.arch.clone(),
        packages: ev.installed.len(),
        events_considered: out.events_considered,
        to_install: out
            .to_install
            .iter()
            .map(|p| ToInstall {
                name: p.name.clone(),
                repo: ev.repo_of(&p.repo).unwrap_or_else(|| p.repo.clone()),
                pesid: p.repo.clone(),
                module_stream: p.module_stream.clone(),
                events: p.events.clone(),
            })
            .collect(),
        to_remove: out.to_remove.clone(),
        to_keep: out.to_keep.clone(),
        to_reinstall: out.to_reinstall.clone(),
        modules: serde_json::json!({"enable": out.modules_enable, "reset": out.modules_reset}),
        repos: repo_ids,
        findings,
        steps: out.steps.clone(),
        not_distribution_signed: ev.skipped.clone(),
    }
}
