//! `leapfrog plan`: the upgrade plan of a root (every package's fate, the target repositories, the
//! solved transaction, written to `/var/lib/leapfrog/plan.json`), or only the package-evolution
//! stage of a root or of a plain package list (`--installed FILE --events-only`), so a fleet
//! inventory can be planned without the host.

use std::collections::BTreeSet;
use std::io::Write as _;
use std::path::PathBuf;

use anyhow::{Context as _, bail};
use clap::Args;
use leapfrog_actors::upgrade_paths::TargetSpec;
use leapfrog_migration_data::data::{DistroMajor, MigrationData};
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
    #[command(flatten)]
    pub inputs: PlanInputs,
    /// Architecture the events are filtered for
    #[arg(long, default_value = "x86_64")]
    pub arch: String,
    /// Only the package-evolution stage (no repositories, depsolve or plan.json)
    #[arg(long)]
    pub events_only: bool,
    /// Print how long each stage took
    #[arg(long)]
    pub timings: bool,
}

/// What a plan is made from: the target, the data, the target repositories and the user's
/// package choices. Shared by `plan` and `upgrade` (which plans as its second step).
#[derive(Debug, Clone, Args)]
pub struct PlanInputs {
    /// The target release, DISTRO-MAJOR.MINOR (e.g. almalinux-8.10); for a root the default is
    /// the newest supported path
    #[arg(long, value_name = "DISTRO-VERSION")]
    pub target: Option<TargetSpec>,
    /// leapfrog migration data directory (default: the data compiled into leapfrog)
    #[arg(long, value_name = "DIR")]
    pub data: Option<PathBuf>,
    /// Directory of leapp-format data (pes-events.json, repomap.json, vendors.d), as ELevate
    /// installs it in /etc/leapp/files; its events are added where ours say nothing
    #[arg(long, value_name = "DIR")]
    pub leapp_data: Option<PathBuf>,
    /// A .repo file whose repositories are the target repositories (repeatable; like the
    /// files in <root>/etc/leapfrog/target.repos.d)
    #[arg(long, value_name = "FILE")]
    pub target_repo_file: Vec<PathBuf>,
    /// Enable a target repository that is defined but disabled (repeatable)
    #[arg(long, value_name = "ID")]
    pub enablerepo: Vec<String>,
    /// Remove this package during the upgrade (repeatable)
    #[arg(long = "drop", value_name = "PKG")]
    pub drop: Vec<String>,
    /// Keep this foreign package installed as it is, although no target provides it
    /// (repeatable)
    #[arg(long = "keep-foreign", value_name = "PKG")]
    pub keep_foreign: Vec<String>,
    /// Never use the network: only file:// repositories and local directories
    #[arg(long)]
    pub offline: bool,
    /// An installation medium (ISO image) whose repositories (BaseOS/, AppStream/, ...) are the
    /// target repositories; loop-mounted read-only while plan and download run (repeatable)
    #[arg(long, value_name = "FILE")]
    pub iso: Vec<PathBuf>,
    /// A local directory with repodata (createrepo_c) as a target repository (repeatable)
    #[arg(long, value_name = "DIR")]
    pub local_repo: Vec<PathBuf>,
}

impl PlanInputs {
    /// The target repository sources given on the command line, as written
    /// (`--target-repo-file F`, `--local-repo D`, `--iso I`), for the assessment.
    pub fn target_sources(&self) -> Vec<String> {
        let given = |flag: &str, paths: &[PathBuf]| -> Vec<String> {
            paths
                .iter()
                .map(|p| format!("{flag} {}", p.display()))
                .collect()
        };
        [
            given("--target-repo-file", &self.target_repo_file),
            given("--local-repo", &self.local_repo),
            given("--iso", &self.iso),
        ]
        .concat()
    }
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
    let (Some(source), Some(target)) = (&args.source, &args.inputs.target) else {
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
    let env = Env::new(root, Default::default());
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
    let target = match &args.inputs.target {
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
    // leapp's data when given (its event ids and PESIDs, as ELevate users know them), else ours.
    let (pes_events, map) = match &args.inputs.leapp_data {
        Some(dir) => {
            let pes = pes::load(&dir.join("pes-events.json"))
                .context("cannot load the package-evolution data")?;
            let map = repomap::load(&dir.join("repomap.json"), &target.distro)
                .context("cannot load the repository map")?;
            (pes.events, map)
        }
        None => {
            let data = load_data(args)?;
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
                data.leapp_repomap(&from, &to, &args.arch),
            )
        }
    };
    let src = pes::Version {
        major: source.major,
        minor: smin,
    };
    let tgt = pes::Version {
        major: target.major,
        minor: tmin,
    };
    let out = events::apply(&pes_events, &installed, src, tgt, &args.arch);
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

/// Our migration data: `--data DIR` or the compiled-in set.
pub(crate) fn load_data(args: &PlanArgs) -> anyhow::Result<MigrationData> {
    match &args.inputs.data {
        Some(d) => MigrationData::load(d)
            .with_context(|| format!("cannot load the migration data in {}", d.display())),
        None => MigrationData::builtin().context("cannot load the compiled-in migration data"),
    }
}

/// Runs `leapfrog plan`.
///
/// # Errors
///
/// On missing or inconsistent arguments and unreadable data or package lists.
pub fn run(global: &GlobalArgs, args: &PlanArgs) -> anyhow::Result<ExitCode> {
    if !args.events_only {
        if args.installed.is_some() {
            bail!(
                "--installed FILE plans the package-evolution stage only: add --events-only (a full plan needs the root)"
            );
        }
        return full(global, args);
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

/// The full plan of `--root`: written to `<root>/var/lib/leapfrog/plan.json` and summarised.
fn full(global: &GlobalArgs, args: &PlanArgs) -> anyhow::Result<ExitCode> {
    use crate::plan::pipeline;
    use crate::plan::space::human_bytes;
    let opts = pipeline::Options {
        root: global.root.clone(),
        target: args
            .inputs
            .target
            .as_ref()
            .map(|t| (t.distro.clone(), t.major, t.minor)),
        arch: args.arch.clone(),
        data_dir: args.inputs.data.clone(),
        leapp_data: args.inputs.leapp_data.clone(),
        target_repo_files: args.inputs.target_repo_file.clone(),
        enablerepo: args.inputs.enablerepo.clone(),
        choices: plan::fates::Choices {
            drop: args.inputs.drop.iter().cloned().collect(),
            keep_foreign: args.inputs.keep_foreign.iter().cloned().collect(),
        },
        offline: args.inputs.offline,
        media: args.inputs.iso.clone(),
        local_repos: args.inputs.local_repo.clone(),
    };
    let made = pipeline::make(&opts)
        .with_context(|| format!("cannot plan the upgrade of {}", global.root.display()))?;
    let plan = &made.plan;
    let path = plan.save(&global.root)?;
    let mut out = std::io::stdout().lock();
    if global.json {
        writeln!(out, "{}", serde_json::to_string_pretty(plan)?)
            .context("cannot write the plan")?;
    } else {
        let mut by_fate: std::collections::BTreeMap<&str, usize> = Default::default();
        for p in &plan.packages {
            *by_fate.entry(p.fate.label()).or_default() += 1;
        }
        writeln!(
            out,
            "Plan {} -> {} ({} installed packages)",
            plan.source, plan.target, plan.totals.installed
        )?;
        writeln!(
            out,
            "  fates: {}",
            by_fate
                .iter()
                .map(|(k, v)| format!("{v} {k}"))
                .collect::<Vec<_>>()
                .join(", ")
        )?;
        for p in plan
            .packages
            .iter()
            .filter(|p| !matches!(p.fate, plan::fates::Fate::Upgraded { .. }))
        {
            writeln!(out, "  {:<44} {:<12} {}", p.nevra, p.fate.label(), p.why)?;
        }
        writeln!(
            out,
            "  repositories: {}",
            plan.repos
                .iter()
                .map(|r| r.id.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        )?;
        let modules: Vec<String> = [
            ("reset", &plan.modules.reset),
            ("enable", &plan.modules.enable),
        ]
        .into_iter()
        .filter(|(_, names)| !names.is_empty())
        .map(|(what, names)| format!("{what} {}", names.join(", ")))
        .collect();
        if !modules.is_empty() {
            writeln!(out, "  modules: {}", modules.join("; "))?;
        }
        writeln!(
            out,
            "  transaction: {} in, {} out; {} to download, {} installed size",
            plan.totals.incoming,
            plan.totals.outgoing,
            human_bytes(plan.totals.download_bytes),
            human_bytes(plan.totals.install_bytes)
        )?;
        for m in &plan.space {
            writeln!(
                out,
                "  space: {} needs {} of {} free ({})",
                m.mount_point.display(),
                human_bytes(m.needed_bytes),
                human_bytes(m.free_bytes),
                m.holds.join(", ")
            )?;
        }
        for f in &plan.findings {
            let level = if f.inhibitor {
                "inhibitor"
            } else {
                f.severity.as_str()
            };
            writeln!(
                out,
                "  [{level}] {}\n      {}\n      hint: {}",
                f.title, f.summary, f.hint
            )?;
        }
        writeln!(out, "Written to {}", path.display())?;
        if plan.inhibited() {
            writeln!(
                out,
                "Blocked: resolve the inhibitors above and run `leapfrog plan` again."
            )?;
        } else {
            writeln!(
                out,
                "Next: `leapfrog download` fetches and verifies the packages."
            )?;
        }
    }
    if args.timings {
        for (stage, d) in &made.timings {
            eprintln!("  {stage:<10} {:>8.1} ms", d.as_secs_f64() * 1000.0);
        }
    }
    Ok(if plan.inhibited() {
        ExitCode::Inhibited
    } else {
        ExitCode::Ok
    })
}
