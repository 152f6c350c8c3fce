//! What a plan reads besides the operator's inputs: the installed system as the assessment's
//! scanners see it ([`HostState`]), `.repo` files outside the root, the package-evolution
//! events of our data and leapp's, and the identity swap of the distribution's release and
//! logos packages. Used by the `facts`, `events` and `repositories` stages of
//! [`super::pipeline`].

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use anyhow::{Context as _, bail};
use leapfrog_actors::facts::repos::{self as repofacts, Repository as HostRepo};
use leapfrog_actors::facts::rootfs::RootFs;
use leapfrog_actors::model::{Env, Facts};
use leapfrog_actors::scanners;
use leapfrog_migration_data::data::{DistroMajor, MigrationData};
use leapfrog_migration_data::leapp::pes;

use super::fates::{InstalledPackage, Origin};

/// Source release, read by the assessment's scanners.
#[derive(Debug)]
pub struct HostState {
    pub(super) distro: String,
    pub(super) major: u32,
    pub(super) minor: u32,
    pub(super) vars: BTreeMap<String, String>,
    pub(super) host_repos: Vec<HostRepo>,
    pub(super) custom_repos: Vec<HostRepo>,
    pub(super) installed: Vec<InstalledPackage>,
    pub(super) enabled_streams: Vec<String>,
}

pub(super) fn read_host(root: &Path, data: &MigrationData) -> anyhow::Result<HostState> {
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
pub(super) fn read_repo_files(
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
pub(super) fn combined_events(
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
pub(super) fn identity_swaps(
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
