//! `leapfrog plan`: the upgrade plan of a root (every package's fate, the target repositories, the
//! solved transaction, written to `/var/lib/leapfrog/plan.json`: [`crate::plan::make`]), or only
//! the package-evolution stage of a root or of a plain package list (`--installed FILE
//! --events-only`: [`crate::plan::evolution`]), so a fleet inventory can be planned without the
//! host.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::PathBuf;

use anyhow::bail;
use clap::Args;
use leapfrog_actors::upgrade_paths::TargetSpec;
use leapfrog_base::units::human_bytes;

use super::GlobalArgs;
use crate::exit::ExitCode;
use crate::plan::evolution::{self, EventsInputs, EventsReport};
use crate::plan::inputs::host_arch;
use crate::plan::{self, PlanDocument, PlanInputs};

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
    pub inputs: PlanInputsArgs,
    /// Architecture the events are filtered for and the transaction is solved for (default:
    /// this machine's)
    #[arg(long, value_name = "ARCH")]
    pub arch: Option<String>,
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
pub struct PlanInputsArgs {
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

impl PlanInputsArgs {
    /// The library's inputs, for `arch`.
    pub fn to_inputs(&self, arch: &str) -> PlanInputs {
        PlanInputs {
            target: self.target.clone(),
            data: self.data.clone(),
            leapp_data: self.leapp_data.clone(),
            target_repo_file: self.target_repo_file.clone(),
            enablerepo: self.enablerepo.clone(),
            drop: self.drop.clone(),
            keep_foreign: self.keep_foreign.clone(),
            offline: self.offline,
            iso: self.iso.clone(),
            local_repo: self.local_repo.clone(),
            arch: arch.to_string(),
        }
    }
}

impl PlanArgs {
    /// `--arch`, or this machine's.
    pub fn arch(&self) -> String {
        self.arch.clone().unwrap_or_else(host_arch)
    }

    /// The events-only stage's inputs.
    pub fn events_inputs(&self) -> EventsInputs {
        EventsInputs {
            installed: self.installed.clone(),
            source: self.source.clone(),
            target: self.inputs.target.clone(),
            data: self.inputs.data.clone(),
            leapp_data: self.inputs.leapp_data.clone(),
            arch: self.arch(),
        }
    }
}

/// The text of a plan (`leapfrog plan`).
pub(crate) fn render_plan(out: &mut String, plan: &PlanDocument) -> std::fmt::Result {
    let mut by_fate: BTreeMap<&str, usize> = BTreeMap::new();
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
    writeln!(out, "  plan id: {}", plan.short_id())
}

fn render_events(out: &mut String, r: &EventsReport) -> std::fmt::Result {
    writeln!(
        out,
        "Package evolution {} -> {} ({} packages, {} events considered)",
        r.source, r.target, r.packages, r.events_considered
    )?;
    for p in &r.to_install {
        writeln!(
            out,
            "  install {:<32} from {:<24} (events {:?})",
            p.name, p.repo, p.events
        )?;
    }
    for p in &r.to_remove {
        writeln!(out, "  remove  {:<32} (events {:?})", p.name, p.events)?;
    }
    writeln!(
        out,
        "  keep    {} package(s) explicitly; every other package is upgraded by name",
        r.to_keep.len()
    )?;
    for f in &r.findings {
        writeln!(out, "  [{}] {}", f.severity, f.summary)?;
    }
    Ok(())
}

/// Runs `leapfrog plan`.
///
/// # Errors
///
/// On missing or inconsistent arguments and unreadable data or package lists.
pub fn run(global: &GlobalArgs, args: &PlanArgs) -> anyhow::Result<ExitCode> {
    let ws = global.workspace()?;
    let printer = global.printer();
    if args.events_only {
        let ev = evolution::evolve(&ws, &args.events_inputs())?;
        let report = evolution::report(&ev);
        printer.document(&report, |out| render_events(out, &report))?;
        return Ok(ExitCode::Ok);
    }
    if args.installed.is_some() {
        bail!(
            "--installed FILE plans the package-evolution stage only: add --events-only (a full plan needs the root)"
        );
    }
    let made = plan::make(&ws, &args.inputs.to_inputs(&args.arch()))?;
    let plan = &made.plan;
    printer.document(plan, |out| {
        render_plan(out, plan)?;
        writeln!(out, "Written to {}", made.path.display())?;
        if plan.inhibited() {
            writeln!(
                out,
                "Blocked: resolve the inhibitors above and run `leapfrog plan` again."
            )
        } else {
            writeln!(
                out,
                "Next: `leapfrog download` fetches and verifies the packages."
            )
        }
    })?;
    if args.timings {
        for (stage, d) in &made.timings {
            eprintln!("  {stage:<12} {:>8.1} ms", d.as_secs_f64() * 1000.0);
        }
    }
    Ok(if plan.inhibited() {
        ExitCode::Inhibited
    } else {
        ExitCode::Ok
    })
}
