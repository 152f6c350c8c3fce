//! The whole plan of a root, as named stages run in order by [`make`]:
//!
//! | stage | function | gives |
//! |---|---|---|
//! | `facts` | [`read_inputs`] | the migration data, the installed system, the target |
//! | `events` | [`evolve`] | the package evolution of the distribution's and vendors' packages |
//! | `repositories` | [`select_repositories`] | the target repositories, with a reason each |
//! | `metadata` | [`fetch_metadata`] | their metadata, verified, in the workspace's cache |
//! | `depsolve` | [`solve`] | the whole transaction, solved by libsolv |
//! | `fates` | [`classify`] | every installed package's fate, and the findings they raise |
//! | `document` | [`document`] | `plan.json`'s content, space estimate and identity |
//!
//! Nothing here changes the root except the metadata cache under `/var/lib/leapfrog/repos`;
//! [`super::make`] writes the plan.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use leapfrog_base::units::human_bytes;

use anyhow::{Context as _, bail};
use leapfrog_migration_data::data::{DistroMajor, MigrationData};
use leapfrog_migration_data::leapp::pes;

use super::Finding;
use super::depsolve;
use super::document::{self, Element, Modules, PlanDocument, Totals};
use super::events;
use super::fates::{self, Action, Fate, Origin, PackageFate};
use super::inputs::PlanInputs;
use super::repos;
use super::sources::{HostState, combined_events, identity_swaps, read_host, read_repo_files};
use crate::fetch;
use crate::workspace::Workspace;

/// The plan and how long its stages took.
#[derive(Debug)]
pub struct Made {
    /// The plan.
    pub plan: PlanDocument,
    /// Stage timings, in order.
    pub timings: Vec<(&'static str, std::time::Duration)>,
}

/// What the `facts` stage reads: the data, the installed system and the target.
#[derive(Debug)]
pub struct Inputs {
    data: MigrationData,
    data_sources: Vec<String>,
    host: HostState,
    source: DistroMajor,
    target: DistroMajor,
    to_minor: u32,
}

/// Stage `facts`: the migration data, the installed system (release, packages with their
/// origin, repositories, module streams) and the target release.
///
/// # Errors
///
/// When the data or the root cannot be read, or no target is given or known.
pub fn read_inputs(ws: &Workspace, inputs: &PlanInputs) -> anyhow::Result<Inputs> {
    let data = match &inputs.data {
        Some(d) => MigrationData::load(d)
            .with_context(|| format!("cannot load the migration data in {}", d.display()))?,
        None => MigrationData::builtin().context("cannot load the compiled-in migration data")?,
    };
    let data_sources = vec![
        inputs
            .data
            .as_ref()
            .map_or_else(|| "builtin".to_string(), |d| d.display().to_string()),
    ];
    let host = read_host(ws.root(), &data)?;
    let (to, to_major, to_minor) = match &inputs.target {
        Some(t) => {
            let minor = match t.minor {
                Some(n) => n,
                None => data
                    .distribution(&t.distro)
                    .and_then(|x| x.major(t.major))
                    .and_then(|x| x.last_minor())
                    .with_context(|| {
                        format!("the migration data does not know {} {}", t.distro, t.major)
                    })?,
            };
            (t.distro.clone(), t.major, minor)
        }
        None => {
            let p = data
                .default_path(&host.distro, host.major)
                .with_context(|| {
                    format!(
                        "no supported upgrade path from {} {}: pass --target",
                        host.distro, host.major
                    )
                })?;
            (p.to.clone(), p.to_major, p.to_minor)
        }
    };
    Ok(Inputs {
        source: DistroMajor {
            distro: host.distro.clone(),
            major: host.major,
        },
        target: DistroMajor {
            distro: to,
            major: to_major,
        },
        to_minor,
        data,
        data_sources,
        host,
    })
}

/// What the `events` stage decides.
#[derive(Debug)]
pub struct Evolution {
    outcome: events::Outcome,
    swaps: Vec<pes::Event>,
}

/// Stage `events`: the package-evolution events of our data (and leapp's, where ours say
/// nothing) applied to the distribution's and known vendors' packages, plus the identity swap
/// (release and logos packages), which happens on every path.
///
/// # Errors
///
/// When leapp's data cannot be read.
pub fn evolve(inp: &mut Inputs, inputs: &PlanInputs) -> anyhow::Result<Evolution> {
    let (host, to_major, to_minor) = (&inp.host, inp.target.major, inp.to_minor);
    let (events_list, leapp_sources) = combined_events(
        &inp.data,
        inputs.leapp_data.as_deref(),
        host.major,
        to_major,
    )?;
    let swaps = identity_swaps(&inp.data, &inp.source, &inp.target, to_minor);
    let evolving: Vec<events::Installed> = {
        let mut seen = BTreeSet::new();
        host.installed
            .iter()
            .filter(|p| !matches!(p.origin, Origin::Foreign))
            .filter(|p| seen.insert(p.name.clone()))
            .map(|p| events::Installed {
                name: p.name.clone(),
                module_stream: None,
            })
            .collect()
    };
    let target_version = pes::Version {
        major: to_major,
        minor: to_minor,
    };
    let mut outcome = events::apply(
        &events_list,
        &evolving,
        pes::Version {
            major: host.major,
            minor: host.minor,
        },
        target_version,
        &inputs.arch,
    );
    // The identity swap happens on every path, conversions within a release included, so it is
    // applied over its own window rather than the source's.
    let swapped = events::apply(
        &swaps,
        &evolving,
        pes::Version {
            major: to_major.saturating_sub(1),
            minor: u32::MAX,
        },
        target_version,
        &inputs.arch,
    );
    outcome.to_install.extend(swapped.to_install);
    outcome.to_remove.extend(swapped.to_remove);
    outcome.steps.extend(swapped.steps);
    inp.data_sources.extend(leapp_sources);
    Ok(Evolution { outcome, swaps })
}

/// What the `repositories` stage chose.
#[derive(Debug)]
pub struct Repositories {
    selection: repos::Selection,
    media: super::media::Mounted,
    /// The repositories as the plan records them (mirror lists resolved), once the metadata
    /// stage has run.
    resolved: Vec<repos::TargetRepo>,
}

/// Stage `repositories`: the target repositories, from the operator's definitions
/// (`target.repos.d`, `--target-repo-file`, `--iso`, `--local-repo`), the data's repository
/// map and leapp's vendors, each with the reason it is there.
///
/// # Errors
///
/// When a repository file or medium cannot be read, or no target repository remains.
pub fn select_repositories(
    ws: &Workspace,
    inp: &Inputs,
    inputs: &PlanInputs,
) -> anyhow::Result<Repositories> {
    let host = &inp.host;
    let mut custom = host.custom_repos.clone();
    custom.extend(read_repo_files(&inputs.target_repo_file, &host.vars)?);
    let media = super::media::Mounted::mount(&inputs.iso)?;
    for n in 0..inputs.iso.len() {
        custom.extend(super::media::medium_repos(&media, n)?);
    }
    for dir in &inputs.local_repo {
        custom.push(super::media::local_repo(dir)?);
    }
    let leapp_vendor_repos = match &inputs.leapp_data {
        Some(dir) => {
            let vd = dir.join("vendors.d");
            let mut files: Vec<PathBuf> = match std::fs::read_dir(&vd) {
                Ok(rd) => rd
                    .filter_map(Result::ok)
                    .map(|e| e.path())
                    .filter(|p| p.extension().is_some_and(|x| x == "repo"))
                    .collect(),
                Err(_) => Vec::new(),
            };
            files.sort();
            read_repo_files(&files, &host.vars)?
        }
        None => Vec::new(),
    };
    let key_dirs = repos::key_dirs(ws, inputs.leapp_data.as_deref(), inp.target.major);
    let selection = repos::select(&repos::Request {
        data: &inp.data,
        source: inp.source.clone(),
        target: inp.target.clone(),
        arch: &inputs.arch,
        vars: host.vars.clone(),
        host_repos: &host.host_repos,
        custom: &custom,
        leapp_vendor_repos: &leapp_vendor_repos,
        enable: &inputs.enablerepo,
        key_dirs: &key_dirs,
    })
    .context("cannot select the target repositories")?;
    if selection.repos.is_empty() {
        bail!(
            "no target repository for {}: define them in {} or check the migration data",
            inp.target,
            ws.target_repos_dir().display()
        );
    }
    Ok(Repositories {
        selection,
        media,
        resolved: Vec::new(),
    })
}

/// Stage `metadata`: each target repository's metadata, verified, into the workspace's
/// metadata cache (local repositories are used in place). Records the repositories as the plan
/// records them (mirror lists resolved) and returns where libsolv reads each.
///
/// # Errors
///
/// When a mirror list or the metadata cannot be fetched or verified.
pub fn fetch_metadata(
    ws: &Workspace,
    chosen: &mut Repositories,
    inputs: &PlanInputs,
) -> anyhow::Result<Vec<depsolve::RepoSource>> {
    let cache = ws.metadata_cache_dir();
    let transport = fetch::Transport {
        offline: inputs.offline,
        ..fetch::Transport::default()
    };
    let mut sources = Vec::new();
    let mut repos_out = Vec::new();
    for (i, r) in chosen.selection.repos.iter().enumerate() {
        let mut r = r.clone();
        if r.baseurls.is_empty()
            && let Some(m) = &r.mirrorlist
        {
            r.baseurls = fetch::resolve_mirrorlist(m, &transport)
                .with_context(|| format!("cannot read the mirror list of {}", r.id))?;
        }
        let local = fetch::fetch_repo_metadata_with(
            &fetch::RepoLocation {
                id: r.id.clone(),
                baseurls: r.baseurls.iter().map(|u| chosen.media.expand(u)).collect(),
            },
            &cache,
            &transport,
        )
        .with_context(|| format!("cannot get the metadata of the target repository {}", r.id))?;
        sources.push(depsolve::RepoSource {
            id: r.id.clone(),
            path: local.dir.clone(),
            priority: i32::try_from(i).unwrap_or(i32::MAX),
        });
        repos_out.push(r);
    }
    chosen.resolved = repos_out;
    Ok(sources)
}

/// What the `depsolve` stage solved.
#[derive(Debug)]
pub struct Solved {
    solution: depsolve::Solution,
    enable_streams: Vec<String>,
    reset: Vec<String>,
}

/// Stage `depsolve`: the whole transaction (distro-sync, the events' installs and removals,
/// the operator's `--drop` and `--keep-foreign`, module resets and streams, installonly
/// kernels) solved by libsolv.
///
/// # Errors
///
/// When the solver cannot run (an unsatisfiable request is a solution with problems).
pub fn solve(
    ws: &Workspace,
    inp: &Inputs,
    evolution: &Evolution,
    sources: Vec<depsolve::RepoSource>,
    inputs: &PlanInputs,
) -> anyhow::Result<Solved> {
    let (host, to_major, evolution) = (&inp.host, inp.target.major, &evolution.outcome);
    let installed_names: BTreeSet<&str> = host.installed.iter().map(|p| p.name.as_str()).collect();
    let mut remove: Vec<String> = evolution.to_remove.iter().map(|r| r.name.clone()).collect();
    remove.extend(inputs.drop.iter().cloned());
    remove.sort();
    remove.dedup();
    let mut reset: Vec<String> = evolution.modules_reset.clone();
    // Streams of the old major do not exist in the new one: reset every enabled module.
    if to_major != host.major {
        reset.extend(
            host.enabled_streams
                .iter()
                .filter_map(|s| s.split_once(':').map(|(m, _)| m.to_string())),
        );
    }
    reset.sort();
    reset.dedup();
    let enable_streams: Vec<String> = if to_major == host.major {
        let mut v = host.enabled_streams.clone();
        v.extend(evolution.modules_enable.iter().cloned());
        v
    } else {
        evolution.modules_enable.clone()
    };
    let request = depsolve::Request {
        root: ws.root().to_path_buf(),
        arch: inputs.arch.clone(),
        repos: sources,
        install: evolution
            .to_install
            .iter()
            .filter(|p| !installed_names.contains(p.name.as_str()))
            .map(|p| p.name.clone())
            .collect(),
        remove,
        keep: inputs.choices().keep_foreign.into_iter().collect(),
        enable_streams: enable_streams.clone(),
        reset_modules: reset.clone(),
        installonly_provides: vec!["installonlypkg(kernel)".to_string()],
    };
    let solution = depsolve::solve(&request).context("the depsolver failed")?;
    Ok(Solved {
        solution,
        enable_streams,
        reset,
    })
}

/// The transaction elements of a solution, as `plan.json` records them.
fn elements(solution: &depsolve::Solution) -> Vec<Element> {
    solution
        .steps
        .iter()
        .map(|s| Element {
            action: s.action,
            name: s.name.clone(),
            nevra: s.nevra.clone(),
            repo: s.repo.clone(),
            location: s.location.clone(),
            checksum: s.checksum.clone(),
            download_size: s.download_size,
            install_size: s.install_size,
            replaces: s.replaces.clone(),
        })
        .collect()
}

/// What the `fates` stage classified.
#[derive(Debug)]
pub struct Classified {
    transaction: Vec<Element>,
    packages: Vec<PackageFate>,
    event_names: BTreeMap<u64, String>,
    findings: Vec<Finding>,
}

/// Stage `fates`: every installed package's fate from the solved transaction, and the
/// findings: depsolve problems, packages without a target, removals nobody asked for,
/// packages stranded in the old major.
pub fn classify(
    inp: &Inputs,
    evolution: &Evolution,
    solved: &Solved,
    inputs: &PlanInputs,
) -> Classified {
    let mut findings = Vec::new();
    for p in &solved.solution.problems {
        findings.push(
            Finding::inhibitor(
                "depsolve.problem",
                format!("The target transaction cannot be solved: {}", p.message),
                p.message.clone(),
                p.hint.clone(),
            )
            .with_packages(p.packages.clone()),
        );
    }
    let transaction = elements(&solved.solution);
    let mut event_names: BTreeMap<u64, String> = inp
        .data
        .all_events()
        .map(|e| {
            (
                leapfrog_migration_data::data::event_number(&e.id),
                e.id.clone(),
            )
        })
        .collect();
    for e in &evolution.swaps {
        if let Some((slug, _)) = e.description.as_deref().and_then(|d| d.split_once(':')) {
            event_names.insert(e.id, slug.to_string());
        }
    }
    let packages = fates::classify(
        &inp.host.installed,
        &evolution.outcome,
        &transaction,
        &fates::Context {
            choices: inputs.choices(),
            event_names: event_names.clone(),
            in_target: solved.solution.in_target.clone(),
        },
    );
    findings.extend(fate_findings(&packages));
    Classified {
        transaction,
        packages,
        event_names,
        findings,
    }
}

/// The findings the fates raise: packages without a target, removals nobody asked for,
/// packages stranded in the old major.
fn fate_findings(packages: &[PackageFate]) -> Vec<Finding> {
    let with = |pred: &dyn Fn(&Fate) -> bool| -> Vec<&PackageFate> {
        packages.iter().filter(|p| pred(&p.fate)).collect()
    };
    let names =
        |ps: &[&PackageFate]| -> Vec<String> { ps.iter().map(|p| p.name.clone()).collect() };
    let mut findings = Vec::new();
    let no_target = names(&with(&|f| *f == Fate::NoTarget));
    if !no_target.is_empty() {
        findings.push(Finding::inhibitor(
            "plan.no-target",
            format!("{} package(s) have no target", no_target.len()),
            format!(
                "No target repository provides {} and no vendor mapping knows them; leapfrog does not remove packages without being told",
                no_target.join(", ")
            ),
            "Keep each one as it is with --keep-foreign PKG, remove it with --drop PKG, or add a target repository that has it (/etc/leapfrog/target.repos.d)".to_string(),
        ).with_packages(no_target));
    }
    let removed = with(&|f| matches!(f, Fate::Removed { events } if events.is_empty()));
    if !removed.is_empty() {
        let nevras: Vec<&str> = removed.iter().map(|p| p.nevra.as_str()).collect();
        findings.push(Finding::inhibitor(
            "plan.solver-removes",
            format!("{} package(s) would be removed although nothing asked for it", removed.len()),
            format!(
                "The solver can only upgrade the rest by removing {}: their dependencies are gone from the target and no target repository has a newer build",
                nevras.join(", ")
            ),
            "Accept the removal with --drop PKG, or add a target repository with their successors (/etc/leapfrog/target.repos.d)".to_string(),
        // names, as --drop takes them
        ).with_packages(names(&removed)));
    }
    let stranded = names(&with(&|f| *f == Fate::Stranded));
    if !stranded.is_empty() {
        findings.push(Finding::high(
            "plan.stranded",
            format!("{} package(s) would stay from the old major", stranded.len()),
            format!(
                "{} have no successor in the target repositories and no package-evolution event",
                stranded.join(", ")
            ),
            "Remove them with --drop PKG, or add an event to the migration data".to_string(),
        ).with_packages(stranded));
    }
    findings
}

/// Stage `document`: the plan's totals, its plan-time space estimate (an inhibitor where the
/// transaction does not fit), the rpm database fingerprint and the plan's identity.
///
/// # Errors
///
/// When the space estimate cannot be made.
pub fn document(
    ws: &Workspace,
    inp: Inputs,
    evolution: Evolution,
    chosen: Repositories,
    solved: Solved,
    classified: Classified,
    inputs: &PlanInputs,
) -> anyhow::Result<PlanDocument> {
    let Classified {
        transaction,
        packages,
        event_names,
        mut findings,
    } = classified;
    let mut all_findings: Vec<Finding> = chosen.selection.findings.clone();
    all_findings.append(&mut findings);
    let mut findings = all_findings;
    let incoming = transaction
        .iter()
        .filter(|e| !matches!(e.action, Action::Erase | Action::Obsoleted));
    let totals = Totals {
        installed: packages.len(),
        incoming: incoming.clone().count(),
        outgoing: transaction.len() - incoming.clone().count(),
        download_bytes: incoming.clone().map(|e| e.download_size).sum(),
        install_bytes: incoming.map(|e| e.install_size).sum(),
        inhibitors: 0,
    };
    let space = super::space::preliminary(ws, totals.download_bytes, totals.install_bytes)
        .context("cannot estimate the disk space")?;
    for m in space.iter().filter(|m| !m.fits) {
        findings.push(Finding::inhibitor(
            "plan.disk-space",
            format!("Not enough space on {}", m.mount_point.display()),
            format!(
                "{} needs {} for {} and has {} free",
                m.mount_point.display(),
                human_bytes(m.needed_bytes),
                m.holds.join(" and "),
                human_bytes(m.free_bytes)
            ),
            format!(
                "Free space on that filesystem (or move {} to a filesystem with room) and plan again",
                ws.packages_dir().display()
            ),
        ));
    }
    let totals = Totals {
        inhibitors: findings.iter().filter(|f| f.inhibitor).count(),
        ..totals
    };
    let host = &inp.host;
    let mut plan = PlanDocument {
        schema: document::SCHEMA.to_string(),
        plan_id: String::new(),
        created: leapfrog_base::time::now(),
        leapfrog: env!("CARGO_PKG_VERSION").to_string(),
        root: ws.root().display().to_string(),
        source: format!("{}-{}.{}", host.distro, host.major, host.minor),
        target: format!(
            "{}-{}.{}",
            inp.target.distro, inp.target.major, inp.to_minor
        ),
        arch: inputs.arch.clone(),
        data_sources: inp.data_sources,
        repos: chosen.resolved,
        repo_decisions: chosen.selection.decisions,
        modules: Modules {
            enable: solved.enable_streams,
            reset: solved.reset,
        },
        packages,
        transaction,
        totals,
        space,
        findings,
        event_names: evolution
            .outcome
            .steps
            .iter()
            .filter_map(|s| event_names.get(&s.event).map(|n| (s.event, n.clone())))
            .collect(),
        event_steps: evolution.outcome.steps,
        media: inputs
            .iso
            .iter()
            .map(|m| std::path::absolute(m).unwrap_or_else(|_| m.clone()))
            .collect(),
        dropped: inputs.choices().drop.into_iter().collect(),
        kept_foreign: inputs.choices().keep_foreign.into_iter().collect(),
        rpmdb_fingerprint: crate::rpmdb::fingerprint(ws)
            .inspect_err(|e| tracing::warn!("no rpmdb fingerprint in the plan: {e}"))
            .ok(),
    };
    plan.seal();
    Ok(plan)
}

/// Times the stages of [`make`].
#[derive(Default)]
struct Stages {
    timings: Vec<(&'static str, std::time::Duration)>,
}

impl Stages {
    fn run<T>(&mut self, name: &'static str, stage: impl FnOnce() -> T) -> T {
        let started = std::time::Instant::now();
        let out = stage();
        self.timings.push((name, started.elapsed()));
        out
    }
}

/// Makes the plan of the workspace's root: the stages of the module documentation, in order.
///
/// # Errors
///
/// When the root, the data or a repository cannot be read, or the solver cannot run. An
/// unsatisfiable transaction is not an error: the plan carries the problems as inhibitors.
pub fn make(ws: &Workspace, inputs: &PlanInputs) -> anyhow::Result<Made> {
    let mut stages = Stages::default();
    let mut inp = stages.run("facts", || read_inputs(ws, inputs))?;
    let evolution = stages.run("events", || evolve(&mut inp, inputs))?;
    let mut chosen = stages.run("repositories", || select_repositories(ws, &inp, inputs))?;
    let sources = stages.run("metadata", || fetch_metadata(ws, &mut chosen, inputs))?;
    let solved = stages.run("depsolve", || solve(ws, &inp, &evolution, sources, inputs))?;
    let classified = stages.run("fates", || classify(&inp, &evolution, &solved, inputs));
    let plan = stages.run("document", || {
        document(ws, inp, evolution, chosen, solved, classified, inputs)
    })?;
    Ok(Made {
        plan,
        timings: stages.timings,
    })
}
