//! The whole plan of a root: facts -> package evolution -> target repositories -> metadata ->
//! depsolve -> fates -> `plan.json`.
//!
//! Nothing here changes the root except the plan's own files under `/var/lib/leapfrog`
//! (`plan.json`, the metadata cache `repos/`).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use anyhow::{Context as _, bail};
use leapfrog_actors::facts::repos::{self as repofacts, Repository as HostRepo};
use leapfrog_actors::facts::rootfs::RootFs;
use leapfrog_actors::model::{Env, Facts};
use leapfrog_actors::scanners;
use leapfrog_migration_data::data::{DistroMajor, MigrationData};
use leapfrog_migration_data::leapp::pes;

use super::Finding;
use super::depsolve;
use super::document::{self, Element, Modules, PlanDocument, Totals};
use super::events;
use super::fates::{self, Action, Choices, Fate, InstalledPackage, Origin};
use super::repos;
use crate::fetch;

/// What the user asked for.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// The root to plan for.
    pub root: PathBuf,
    /// Target distribution, major and minor; `None`: the default path of the source.
    pub target: Option<(String, u32, Option<u32>)>,
    /// Architecture.
    pub arch: String,
    /// Our migration data directory (`None`: the compiled-in data).
    pub data_dir: Option<PathBuf>,
    /// leapp-data directory whose events, repository map and vendors are added.
    pub leapp_data: Option<PathBuf>,
    /// `--target-repo-file`.
    pub target_repo_files: Vec<PathBuf>,
    /// `--enablerepo`.
    pub enablerepo: Vec<String>,
    /// `--drop`, `--keep-foreign`.
    pub choices: Choices,
    /// `--offline`.
    pub offline: bool,
    /// `--iso FILE`: installation media whose repositories are target repositories.
    pub media: Vec<PathBuf>,
    /// `--local-repo DIR`: local directories with repodata as target repositories.
    pub local_repos: Vec<PathBuf>,
}

/// The plan and how long its stages took.
#[derive(Debug)]
pub struct Made {
    /// The plan.
    pub plan: PlanDocument,
    /// Stage timings, in order.
    pub timings: Vec<(&'static str, std::time::Duration)>,
}

/// Source release, read by the assessment's scanners.
struct HostState {
    distro: String,
    major: u32,
    minor: u32,
    vars: BTreeMap<String, String>,
    host_repos: Vec<HostRepo>,
    custom_repos: Vec<HostRepo>,
    installed: Vec<InstalledPackage>,
    enabled_streams: Vec<String>,
}

fn read_host(root: &Path, data: &MigrationData) -> anyhow::Result<HostState> {
    let rootfs = RootFs::new(root)
        .with_context(|| format!("cannot use {} as the root to plan for", root.display()))?;
    let env = Env::new(rootfs, Default::default());
    let facts = Facts::default();
    for sc in [
        &scanners::release::SCANNER,
        &scanners::rpm::SCANNER,
        &scanners::repositories::SCANNER,
        &scanners::pkgmgr::SCANNER,
    ] {
        (sc.run)(&env, &facts)
            .map_err(anyhow::Error::msg)
            .with_context(|| format!("cannot read {}", root.display()))?;
    }
    let (Some(release), Some(rpm), Some(repos)) = (
        facts.release.get(),
        facts.rpm.get(),
        facts.repositories.get(),
    ) else {
        bail!(
            "cannot read the release, packages and repositories of {}",
            root.display()
        );
    };
    let major = release.major.with_context(|| {
        format!(
            "VERSION_ID {:?} has no major version",
            release.os.version_id
        )
    })?;
    let minor = release.minor.unwrap_or(0);
    let keys = rpm.distribution_key_ids(&release.release_package());
    if keys.is_empty() {
        bail!(
            "the release package {} is not installed or not signed: the distribution's packages cannot be told from foreign ones",
            release.release_package()
        );
    }
    let mut installed = Vec::new();
    for p in rpm.real() {
        let origin = match &p.signature_key_id {
            Some(k) if keys.contains(k) => Origin::Distribution,
            Some(_) => match p.vendor.as_deref().and_then(|v| data.vendor_by_tag(v)) {
                Some(v) => Origin::Vendor(v.name.clone()),
                None => Origin::Foreign,
            },
            None => Origin::Foreign,
        };
        installed.push(InstalledPackage {
            name: p.name.clone(),
            nevra: p.nevra(),
            origin,
        });
    }
    let enabled_streams = facts
        .package_manager
        .get()
        .map(|m| {
            m.modules
                .iter()
                .filter(|s| s.state.as_deref() == Some("enabled"))
                .filter_map(|s| s.stream.as_ref().map(|st| format!("{}:{st}", s.name)))
                .collect()
        })
        .unwrap_or_default();
    Ok(HostState {
        distro: release.os.id.clone(),
        major,
        minor,
        vars: repos.variables.clone(),
        host_repos: repos.repos.clone(),
        custom_repos: repos.target_repos.clone(),
        installed,
        enabled_streams,
    })
}

/// Reads `.repo` files outside the root (`--target-repo-file`, leapp `vendors.d`).
fn read_repo_files(
    files: &[PathBuf],
    vars: &BTreeMap<String, String>,
) -> anyhow::Result<Vec<HostRepo>> {
    let mut out = Vec::new();
    for f in files {
        let text = std::fs::read_to_string(f)
            .with_context(|| format!("cannot read the repository file {}", f.display()))?;
        let sections = repofacts::parse_ini(&text)
            .with_context(|| format!("{} is not a valid repository file", f.display()))?;
        let mut problems = Vec::new();
        out.extend(repofacts::repositories(f, &sections, vars, &mut problems));
        if let Some(p) = problems.first() {
            bail!("{}: {}", f.display(), p.message);
        }
    }
    Ok(out)
}

/// Events of our data, plus leapp's where ours say nothing about the same packages (ours win:
/// they are maintained with the data set the plan uses).
fn combined_events(
    data: &MigrationData,
    leapp: Option<&Path>,
    from_major: u32,
    to_major: u32,
) -> anyhow::Result<(Vec<pes::Event>, Vec<String>)> {
    let mut sources = Vec::new();
    let mut ours = data.pes_events(from_major, to_major);
    let covered: BTreeSet<(String, u32)> = ours
        .iter()
        .flat_map(|e| {
            e.in_packages
                .packages
                .iter()
                .map(move |p| (p.name.clone(), e.release.major))
        })
        .collect();
    if let Some(dir) = leapp {
        let path = dir.join("pes-events.json");
        let file = pes::load(&path).context("cannot load leapp's package-evolution data")?;
        let before = ours.len();
        ours.extend(file.events.into_iter().filter(|e| {
            !e.in_packages
                .packages
                .iter()
                .any(|p| covered.contains(&(p.name.clone(), e.release.major)))
        }));
        sources.push(format!(
            "{} ({} events used)",
            path.display(),
            ours.len() - before
        ));
    }
    Ok((ours, sources))
}

/// The distribution's identity packages (release, logos) of the source replaced by the
/// target's, as events at the target release, so fates and `why` explain them like any other.
fn identity_swaps(
    data: &MigrationData,
    source: &DistroMajor,
    target: &DistroMajor,
    to_minor: u32,
) -> Vec<pes::Event> {
    let (Some(from), Some(to)) = (
        data.distribution(&source.distro)
            .and_then(|d| d.major(source.major)),
        data.distribution(&target.distro)
            .and_then(|d| d.major(target.major)),
    ) else {
        return Vec::new();
    };
    let pairs = [
        (
            "release",
            Some(from.release_package.clone()),
            Some(to.release_package.clone()),
        ),
        (
            "logos",
            from.logos_package.clone(),
            to.logos_package.clone(),
        ),
    ];
    let repo = to
        .repositories
        .iter()
        .find(|r| r.enabled)
        .map_or_else(|| "baseos".to_string(), |r| r.family().to_string());
    pairs
        .into_iter()
        .filter_map(|(what, a, b)| {
            let (a, b) = (a?, b?);
            (a != b).then(|| {
                let slug = format!("identity-{what}-{}-{}", source, target);
                pes::Event {
                    id: leapfrog_migration_data::data::event_number(&slug),
                    action: pes::Action::Replaced,
                    in_packages: pes::PackageSet {
                        set_id: None,
                        packages: vec![pes::Package {
                            name: a,
                            repository: repo.clone(),
                            module_stream: None,
                        }],
                    },
                    out_packages: Some(pes::PackageSet {
                        set_id: None,
                        packages: vec![pes::Package {
                            name: b,
                            repository: repo.clone(),
                            module_stream: None,
                        }],
                    }),
                    initial_release: None,
                    release: pes::Release {
                        os_name: None,
                        major: target.major,
                        minor: to_minor,
                    },
                    architectures: Vec::new(),
                    modulestream_maps: Vec::new(),
                    description: Some(format!(
                        "{slug}: the distribution's {what} package of {target}"
                    )),
                }
            })
        })
        .collect()
}

/// Makes the plan of a root.
///
/// # Errors
///
/// When the root, the data or a repository cannot be read, or the solver cannot run. An
/// unsatisfiable transaction is not an error: the plan carries the problems as inhibitors.
pub fn make(opts: &Options) -> anyhow::Result<Made> {
    let mut timings = Vec::new();
    let mut t = std::time::Instant::now();
    let mut lap = |name: &'static str, timings: &mut Vec<_>| {
        timings.push((name, t.elapsed()));
        t = std::time::Instant::now();
    };
    let data = match &opts.data_dir {
        Some(d) => MigrationData::load(d)
            .with_context(|| format!("cannot load the migration data in {}", d.display()))?,
        None => MigrationData::builtin().context("cannot load the compiled-in migration data")?,
    };
    let mut data_sources = vec![
        opts.data_dir
            .as_ref()
            .map_or_else(|| "builtin".to_string(), |d| d.display().to_string()),
    ];
    let host = read_host(&opts.root, &data)?;
    lap("facts", &mut timings);

    let (to, to_major, to_minor) = match &opts.target {
        Some((d, m, minor)) => {
            let minor = match minor {
                Some(n) => *n,
                None => data
                    .distribution(d)
                    .and_then(|x| x.major(*m))
                    .and_then(|x| x.last_minor())
                    .with_context(|| format!("the migration data does not know {d} {m}"))?,
            };
            (d.clone(), *m, minor)
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
    let source = DistroMajor {
        distro: host.distro.clone(),
        major: host.major,
    };
    let target = DistroMajor {
        distro: to.clone(),
        major: to_major,
    };
    let mut findings: Vec<Finding> = Vec::new();

    // Package evolution, for the distribution's and known vendors' packages.
    let (events_list, leapp_sources) =
        combined_events(&data, opts.leapp_data.as_deref(), host.major, to_major)?;
    let swaps = identity_swaps(&data, &source, &target, to_minor);
    data_sources.extend(leapp_sources);
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
    let mut evolution = events::apply(
        &events_list,
        &evolving,
        pes::Version {
            major: host.major,
            minor: host.minor,
        },
        pes::Version {
            major: to_major,
            minor: to_minor,
        },
        &opts.arch,
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
        pes::Version {
            major: to_major,
            minor: to_minor,
        },
        &opts.arch,
    );
    evolution.to_install.extend(swapped.to_install);
    evolution.to_remove.extend(swapped.to_remove);
    evolution.steps.extend(swapped.steps);
    lap("events", &mut timings);

    // Target repositories.
    let mut custom = host.custom_repos.clone();
    custom.extend(read_repo_files(&opts.target_repo_files, &host.vars)?);
    let media = super::media::Mounted::mount(&opts.media)?;
    for n in 0..opts.media.len() {
        custom.extend(super::media::medium_repos(&media, n)?);
    }
    for dir in &opts.local_repos {
        custom.push(super::media::local_repo(dir)?);
    }
    let leapp_vendor_repos = match &opts.leapp_data {
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
    let key_dirs = repos::key_dirs(&opts.root, opts.leapp_data.as_deref(), to_major);
    let selection = repos::select(&repos::Request {
        data: &data,
        source: source.clone(),
        target: target.clone(),
        arch: &opts.arch,
        vars: host.vars.clone(),
        host_repos: &host.host_repos,
        custom: &custom,
        leapp_vendor_repos: &leapp_vendor_repos,
        enable: &opts.enablerepo,
        key_dirs: &key_dirs,
    })
    .context("cannot select the target repositories")?;
    findings.extend(selection.findings.iter().cloned());
    if selection.repos.is_empty() {
        bail!(
            "no target repository for {target}: define them in {}/etc/leapfrog/target.repos.d or check the migration data",
            opts.root.display()
        );
    }

    // Metadata.
    let cache = fetch::metadata_cache_dir(&opts.root);
    let transport = fetch::Transport {
        offline: opts.offline,
        ..fetch::Transport::default()
    };
    let mut sources = Vec::new();
    let mut repos_out = Vec::new();
    for (i, r) in selection.repos.iter().enumerate() {
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
                baseurls: r.baseurls.iter().map(|u| media.expand(u)).collect(),
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
    lap("metadata", &mut timings);

    // Depsolve.
    let installed_names: BTreeSet<&str> = host.installed.iter().map(|p| p.name.as_str()).collect();
    let mut remove: Vec<String> = evolution.to_remove.iter().map(|r| r.name.clone()).collect();
    remove.extend(opts.choices.drop.iter().cloned());
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
        root: opts.root.clone(),
        arch: opts.arch.clone(),
        repos: sources,
        install: evolution
            .to_install
            .iter()
            .filter(|p| !installed_names.contains(p.name.as_str()))
            .map(|p| p.name.clone())
            .collect(),
        remove,
        keep: opts.choices.keep_foreign.iter().cloned().collect(),
        enable_streams: enable_streams.clone(),
        reset_modules: reset.clone(),
        installonly_provides: vec!["installonlypkg(kernel)".to_string()],
    };
    let solution = depsolve::solve(&request).context("the depsolver failed")?;
    lap("depsolve", &mut timings);
    for p in &solution.problems {
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
    let transaction: Vec<Element> = solution
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
        .collect();

    // Fates.
    let mut event_names: BTreeMap<u64, String> = data
        .all_events()
        .map(|e| {
            (
                leapfrog_migration_data::data::event_number(&e.id),
                e.id.clone(),
            )
        })
        .collect();
    for e in &swaps {
        if let Some((slug, _)) = e.description.as_deref().and_then(|d| d.split_once(':')) {
            event_names.insert(e.id, slug.to_string());
        }
    }
    let packages = fates::classify(
        &host.installed,
        &evolution,
        &transaction,
        &fates::Context {
            choices: opts.choices.clone(),
            event_names: event_names.clone(),
            in_target: solution.in_target.clone(),
        },
    );
    let no_target: Vec<String> = packages
        .iter()
        .filter(|p| p.fate == Fate::NoTarget)
        .map(|p| p.name.clone())
        .collect();
    if !no_target.is_empty() {
        findings.push(
            Finding::inhibitor(
                "plan.no-target",
                format!("{} package(s) have no target", no_target.len()),
                format!(
                    "No target repository provides {} and no vendor mapping knows them; leapfrog does not remove packages without being told",
                    no_target.join(", ")
                ),
                "Keep each one as it is with --keep-foreign PKG, remove it with --drop PKG, or add a target repository that has it (/etc/leapfrog/target.repos.d)".to_string(),
            )
            .with_packages(no_target),
        );
    }
    let solver_removed_pkgs: Vec<&super::fates::PackageFate> = packages
        .iter()
        .filter(|p| matches!(&p.fate, Fate::Removed { events } if events.is_empty()))
        .collect();
    let solver_removed: Vec<String> = solver_removed_pkgs
        .iter()
        .map(|p| p.nevra.clone())
        .collect();
    // names, as --drop takes them
    let solver_removed_names: Vec<String> =
        solver_removed_pkgs.iter().map(|p| p.name.clone()).collect();
    if !solver_removed.is_empty() {
        findings.push(
            Finding::inhibitor(
                "plan.solver-removes",
                format!(
                    "{} package(s) would be removed although nothing asked for it",
                    solver_removed.len()
                ),
                format!(
                    "The solver can only upgrade the rest by removing {}: their dependencies are gone from the target and no target repository has a newer build",
                    solver_removed.join(", ")
                ),
                "Accept the removal with --drop PKG, or add a target repository with their successors (/etc/leapfrog/target.repos.d)".to_string(),
            )
            .with_packages(solver_removed_names),
        );
    }
    let stranded: Vec<String> = packages
        .iter()
        .filter(|p| p.fate == Fate::Stranded)
        .map(|p| p.name.clone())
        .collect();
    if !stranded.is_empty() {
        findings.push(
            Finding::high(
                "plan.stranded",
                format!("{} package(s) would stay from the old major", stranded.len()),
                format!(
                    "{} have no successor in the target repositories and no package-evolution event",
                    stranded.join(", ")
                ),
                "Remove them with --drop PKG, or add an event to the migration data".to_string(),
            )
            .with_packages(stranded),
        );
    }
    lap("fates", &mut timings);

    let incoming = transaction
        .iter()
        .filter(|e| !matches!(e.action, Action::Erase | Action::Obsoleted));
    let totals = Totals {
        installed: packages.len(),
        incoming: incoming.clone().count(),
        outgoing: transaction.len() - incoming.clone().count(),
        download_bytes: incoming.clone().map(|e| e.download_size).sum(),
        install_bytes: incoming.map(|e| e.install_size).sum(),
        inhibitors: findings.iter().filter(|f| f.inhibitor).count(),
    };
    let space = super::space::preliminary(&opts.root, totals.download_bytes, totals.install_bytes)
        .context("cannot estimate the disk space")?;
    for m in space.iter().filter(|m| !m.fits) {
        findings.push(Finding::inhibitor(
            "plan.disk-space",
            format!("Not enough space on {}", m.mount_point.display()),
            format!(
                "{} needs {} for {} and has {} free",
                m.mount_point.display(),
                super::space::human_bytes(m.needed_bytes),
                m.holds.join(" and "),
                super::space::human_bytes(m.free_bytes)
            ),
            "Free space on that filesystem (or move /var/lib/leapfrog/packages to a filesystem with room) and plan again".to_string(),
        ));
    }
    let totals = Totals {
        inhibitors: findings.iter().filter(|f| f.inhibitor).count(),
        ..totals
    };
    let plan = PlanDocument {
        schema: document::SCHEMA.to_string(),
        created: humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string(),
        leapfrog: env!("CARGO_PKG_VERSION").to_string(),
        root: opts.root.display().to_string(),
        source: format!("{}-{}.{}", host.distro, host.major, host.minor),
        target: format!("{to}-{to_major}.{to_minor}"),
        arch: opts.arch.clone(),
        data_sources,
        repos: repos_out,
        repo_decisions: selection.decisions,
        modules: Modules {
            enable: enable_streams,
            reset,
        },
        packages,
        transaction,
        totals,
        space,
        findings,
        event_names: evolution
            .steps
            .iter()
            .filter_map(|s| event_names.get(&s.event).map(|n| (s.event, n.clone())))
            .collect(),
        event_steps: evolution.steps,
        media: opts
            .media
            .iter()
            .map(|m| std::path::absolute(m).unwrap_or_else(|_| m.clone()))
            .collect(),
        dropped: opts.choices.drop.iter().cloned().collect(),
        kept_foreign: opts.choices.keep_foreign.iter().cloned().collect(),
        rpmdb_fingerprint: crate::apply::stale::fingerprint_root(&opts.root)
            .inspect_err(|e| tracing::warn!("no rpmdb fingerprint in the plan: {e}"))
            .ok(),
    };
    Ok(Made { plan, timings })
}
