//! `leapfrog plan`: the upgrade plan. Today: the package-evolution stage on a plain package list
//! (`--installed FILE --events-only`), so a fleet inventory can be planned without the host.

use std::collections::BTreeSet;
use std::io::Write as _;
use std::path::PathBuf;

use anyhow::{Context as _, bail};
use clap::Args;
use leapfrog_actors::paths::TargetSpec;
use leapfrog_migration_data::leapp::{pes, repomap};
use serde_json::json;

use super::GlobalArgs;
use crate::exit::ExitCode;
use crate::plan::{self, events};

/// Options of `leapfrog plan`.
#[derive(Debug, Clone, Args)]
pub struct PlanArgs {
    /// `rpm -qa` output of the system to plan for (one NEVRA per line); without it, the
    /// distribution-signed packages installed in --root are planned
    #[arg(long, value_name = "FILE")]
    pub installed: Option<PathBuf>,
    /// The installed release, DISTRO-MAJOR.MINOR (e.g. centos-7.9); with --installed only (a
    /// root says it itself)
    #[arg(long, value_name = "DISTRO-VERSION")]
    pub source: Option<TargetSpec>,
    /// The target release, DISTRO-MAJOR.MINOR (e.g. almalinux-8.10); for a root the default is
    /// the newest supported path
    #[arg(long, value_name = "DISTRO-VERSION")]
    pub target: Option<TargetSpec>,
    /// Architecture the events are filtered for
    #[arg(long, default_value = "x86_64")]
    pub arch: String,
    /// Directory of leapp-format data (pes-events.json, repomap.json), as ELevate installs it
    #[arg(long, value_name = "DIR", default_value = "/etc/leapp/files")]
    pub leapp_data: PathBuf,
    /// Only the package-evolution stage (no depsolve, download or test transaction)
    #[arg(long)]
    pub events_only: bool,
}

/// What the event stage starts from.
struct Input {
    installed: Vec<events::Installed>,
    source: TargetSpec,
    target: TargetSpec,
    /// Installed packages left out because the distribution did not sign them (leapp gives
    /// third-party packages no instructions either).
    skipped: Vec<String>,
}

fn from_list(list: &std::path::Path, args: &PlanArgs) -> anyhow::Result<Input> {
    let (Some(source), Some(target)) = (&args.source, &args.target) else {
        bail!("--installed FILE needs --source DISTRO-VERSION and --target DISTRO-VERSION");
    };
    let text = std::fs::read_to_string(list)
        .with_context(|| format!("cannot read the package list {}", list.display()))?;
    let mut names: BTreeSet<&str> = BTreeSet::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() || line.trim_start().starts_with('#') {
            continue;
        }
        let name = plan::name_from_nevra(line).with_context(|| {
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
    Ok(Input {
        installed,
        source: source.clone(),
        target: target.clone(),
        skipped: Vec::new(),
    })
}

/// Reads the installed release and the distribution-signed packages of `--root` with the
/// assessment's scanners; the target is `--target` or the default path.
fn from_root(global: &GlobalArgs, args: &PlanArgs) -> anyhow::Result<Input> {
    use leapfrog_actors::facts::rootfs::RootFs;
    use leapfrog_actors::model::{Env, Facts};
    use leapfrog_actors::scanners;
    let root = RootFs::new(&global.root).with_context(|| {
        format!(
            "cannot use {} as the root to plan for",
            global.root.display()
        )
    })?;
    let env = Env {
        root,
        host: Default::default(),
    };
    let facts = Facts::default();
    for sc in [&scanners::release::SCANNER, &scanners::rpm::SCANNER] {
        (sc.run)(&env, &facts)
            .map_err(anyhow::Error::msg)
            .with_context(|| format!("cannot read {}", global.root.display()))?;
    }
    let (Some(release), Some(rpm)) = (facts.release.get(), facts.rpm.get()) else {
        bail!(
            "cannot read the release and packages of {}",
            global.root.display()
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
    let target = match &args.target {
        Some(t) => t.clone(),
        None => {
            let t = leapfrog_actors::paths::resolve(&release.os.id, major, None).with_context(
                || {
                    format!(
                        "no supported upgrade path from {} {}: pass --target",
                        release.os.name, release.os.version_id
                    )
                },
            )?;
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
    Ok(Input {
        installed,
        source,
        target,
        skipped,
    })
}

/// The package-evolution stage of a root or list, with the repository map for the target.
pub(crate) struct Evolution {
    pub(crate) installed: Vec<events::Installed>,
    pub(crate) source: TargetSpec,
    pub(crate) target: TargetSpec,
    pub(crate) skipped: Vec<String>,
    pub(crate) smin: u32,
    pub(crate) tmin: u32,
    pub(crate) map: repomap::RepoMap,
    pub(crate) out: events::Outcome,
}

/// Reads the input (list or root) and the leapp data and applies the events.
pub(crate) fn evolve(global: &GlobalArgs, args: &PlanArgs) -> anyhow::Result<Evolution> {
    let input = match &args.installed {
        Some(list) => from_list(list, args)?,
        None => from_root(global, args)?,
    };
    let Input {
        installed,
        source,
        target,
        skipped,
    } = input;
    let (Some(smin), Some(tmin)) = (source.minor, target.minor) else {
        bail!(
            "--source and --target need a minor version (e.g. centos-7.9, almalinux-8.10): events are selected by release"
        );
    };
    let pes_path = args.leapp_data.join("pes-events.json");
    let map_path = args.leapp_data.join("repomap.json");
    let pes = pes::load(&pes_path).context("cannot load the package-evolution data")?;
    let map = repomap::load(&map_path, &target.distro).context("cannot load the repository map")?;
    let src = pes::Version {
        major: source.major,
        minor: smin,
    };
    let tgt = pes::Version {
        major: target.major,
        minor: tmin,
    };
    let out = events::apply(&pes.events, &installed, src, tgt, &args.arch);
    Ok(Evolution {
        installed,
        source,
        target,
        skipped,
        smin,
        tmin,
        map,
        out,
    })
}

/// Runs `leapfrog plan`.
///
/// # Errors
///
/// On missing or inconsistent arguments and unreadable data or package lists.
pub fn run(global: &GlobalArgs, args: &PlanArgs) -> anyhow::Result<ExitCode> {
    if !args.events_only {
        bail!(
            "only the package-evolution stage is implemented so far: pass --events-only (depsolve, download and the test transaction are not available yet)"
        );
    }
    let Evolution {
        installed,
        source,
        target,
        skipped,
        smin,
        tmin,
        map,
        out,
    } = evolve(global, args)?;

    let mut findings = Vec::new();
    let mut repo_ids: BTreeSet<String> = BTreeSet::new();
    let mut unknown: BTreeSet<String> = BTreeSet::new();
    let repo_of = |pesid: &str| -> Option<String> {
        map.repoids_for(pesid, target.major, &args.arch)
            .first()
            .map(|s| s.to_string())
    };
    for pesid in &out.repos {
        match repo_of(pesid) {
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
        findings.push(json!({
            "key": "plan.unknown-repository",
            "severity": "high",
            "title": "Packages from unknown repositories may not be installed",
            "summary": format!("The repository map has no target repository for {}; these packages may not be installed: {}", unknown.iter().cloned().collect::<Vec<_>>().join(", "), pkgs.join(", ")),
        }));
    }
    let to_install: Vec<_> = out
        .to_install
        .iter()
        .map(|p| json!({"name": p.name, "repo": repo_of(&p.repo).unwrap_or_else(|| p.repo.clone()), "pesid": p.repo, "module_stream": p.module_stream, "events": p.events}))
        .collect();
    let doc = json!({
        "source": format!("{}-{}.{}", source.distro, source.major, smin),
        "target": format!("{}-{}.{}", target.distro, target.major, tmin),
        "arch": args.arch,
        "events_considered": out.events_considered,
        "to_install": to_install,
        "to_remove": out.to_remove,
        "to_keep": out.to_keep,
        "to_reinstall": out.to_reinstall,
        "modules": {"enable": out.modules_enable, "reset": out.modules_reset},
        "repos": repo_ids,
        "findings": findings,
        "steps": out.steps,
        "not_distribution_signed": skipped,
    });
    let mut stdout = std::io::stdout().lock();
    if global.json {
        writeln!(stdout, "{}", serde_json::to_string_pretty(&doc)?)
            .context("cannot write the plan")?;
    } else {
        writeln!(
            stdout,
            "Package evolution {} -> {} ({} packages, {} events considered)",
            doc["source"].as_str().unwrap_or(""),
            doc["target"].as_str().unwrap_or(""),
            installed.len(),
            out.events_considered
        )
        .context("cannot write the plan")?;
        for p in &out.to_install {
            writeln!(
                stdout,
                "  install {:<32} from {:<24} (events {:?})",
                p.name,
                repo_of(&p.repo).unwrap_or_else(|| p.repo.clone()),
                p.events
            )
            .context("cannot write the plan")?;
        }
        for r in &out.to_remove {
            writeln!(stdout, "  remove  {:<32} (events {:?})", r.name, r.events)
                .context("cannot write the plan")?;
        }
        writeln!(
            stdout,
            "  keep    {} package(s) explicitly; every other package is upgraded by name",
            out.to_keep.len()
        )
        .context("cannot write the plan")?;
        for f in &findings {
            writeln!(stdout, "  [high] {}", f["summary"].as_str().unwrap_or(""))
                .context("cannot write the plan")?;
        }
    }
    Ok(ExitCode::Ok)
}
