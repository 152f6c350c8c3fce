//! `leapfrog upgrade`: everything before the reboot, in one idempotent command
//! ([`crate::upgrade::upgrade`]): the assessment (exit 2 on inhibitors), the plan, the download
//! and its test transaction, the snapshot backend check, the upgrade boot environment (kernel,
//! initramfs built by the system's dracut with the leapfrog module, its boot entry: a BLS file,
//! or a menu entry of the EL7 `grub.cfg`) and the one-shot selection of that entry. Then it reboots (`--reboot`) or exits 3 ("reboot required"). With
//! `--json` it prints one document for the whole run. See `docs/offline.md`.

use std::fmt::Write as _;
use std::path::PathBuf;

use anyhow::{Context as _, bail};
use clap::Args;

use super::GlobalArgs;
use super::apply::SnapshotArg;
use crate::exit::ExitCode;
use crate::plan::inputs::host_arch;
use crate::upgrade::{self, UpgradeOptions, UpgradeOutcome, UpgradeReport};

/// Options of `leapfrog upgrade`.
#[derive(Debug, Clone, Args)]
pub struct UpgradeArgs {
    #[command(flatten)]
    pub inputs: super::plan::PlanInputsArgs,
    /// Waive this assessment inhibitor (repeatable)
    #[arg(long = "waive", value_name = "KEY")]
    pub waive: Vec<String>,
    /// Host facts for the assessment when the root is not the running system
    #[arg(long, value_name = "FILE")]
    pub host_facts: Option<PathBuf>,
    /// Accept unsigned packages and unknown keys (checksums are still verified)
    #[arg(long)]
    pub nogpgcheck: bool,
    /// Snapshot backend of the offline apply
    #[arg(long, value_enum, default_value = "auto")]
    pub snapshot: SnapshotArg,
    /// Confirm that with --snapshot none a failed upgrade cannot be rolled back
    #[arg(long)]
    pub accept_no_rollback: bool,
    /// Kernel image that boots the upgrade environment (default: the newest /boot/vmlinuz-* of
    /// the root); dracut builds its initramfs with the modules of the same version
    #[arg(long, value_name = "FILE")]
    pub kernel: Option<PathBuf>,
    /// Extra kernel argument of the upgrade boot (repeatable; key=value replaces the same key)
    #[arg(long = "kernel-arg", value_name = "ARG")]
    pub kernel_arg: Vec<String>,
    /// Extra dracut argument (repeatable)
    #[arg(long = "dracut-arg", value_name = "ARG", allow_hyphen_values = true)]
    pub dracut_arg: Vec<String>,
    /// Reboot into the upgrade environment when staged (only for --root /)
    #[arg(long)]
    pub reboot: bool,
}

fn render(out: &mut String, r: &UpgradeReport, reboot: bool) -> std::fmt::Result {
    if let Some(a) = &r.assessment {
        write!(out, "{}", a.text)?;
    }
    if let Some(p) = &r.plan
        && r.outcome != UpgradeOutcome::AlreadyStaged
    {
        writeln!(
            out,
            "Plan {} -> {} (id {}): {} in, {} out; written to {}",
            p.source,
            p.target,
            crate::plan::document::short_id(&p.plan_id),
            p.totals.incoming,
            p.totals.outgoing,
            p.path.display()
        )?;
        for i in &p.inhibitors {
            writeln!(out, "  [inhibitor] {i}")?;
        }
    }
    if let Some(d) = &r.download
        && r.outcome != UpgradeOutcome::AlreadyStaged
    {
        super::download::render_record(out, d)?;
    }
    if let Some((b, why)) = &r.snapshot {
        writeln!(out, "Snapshot: the offline apply will use {b}: {why}")?;
    }
    match r.outcome {
        UpgradeOutcome::BlockedByAssessment => writeln!(
            out,
            "Blocked by the assessment: resolve the inhibitors above (or waive them with --waive KEY) and run `leapfrog upgrade` again."
        ),
        UpgradeOutcome::BlockedByPlan => writeln!(
            out,
            "Blocked by the plan: resolve the inhibitors above and run `leapfrog upgrade` again."
        ),
        UpgradeOutcome::NotReady => writeln!(
            out,
            "Not ready: fix the problems above and run `leapfrog upgrade` again."
        ),
        UpgradeOutcome::Staged | UpgradeOutcome::AlreadyStaged => {
            let Some(staged) = &r.staged else {
                return Ok(());
            };
            writeln!(
                out,
                "{}: the next boot runs the offline upgrade ({} with {}, {}). {}",
                if r.outcome == UpgradeOutcome::AlreadyStaged {
                    "Already staged"
                } else {
                    "Staged"
                },
                staged.kernel,
                staged.initramfs,
                staged.entry_description(),
                if reboot {
                    "Rebooting now."
                } else {
                    "Reboot to continue; keep a console open (the network is down during the offline stage). `leapfrog cancel` undoes the staging."
                }
            )
        }
    }
}

/// Runs `leapfrog upgrade`.
///
/// # Errors
///
/// Assessment, planning or download errors, no usable snapshot backend, dracut failures.
pub fn run(global: &GlobalArgs, args: &UpgradeArgs) -> anyhow::Result<ExitCode> {
    let ws = global.workspace()?;
    let printer = global.printer();
    if args.reboot && !ws.is_live() {
        bail!("--reboot reboots this machine: only with --root /");
    }
    let report = upgrade::upgrade(
        &ws,
        &UpgradeOptions {
            plan: args.inputs.to_inputs(&host_arch()),
            waive: args.waive.clone(),
            host_facts: args.host_facts.clone(),
            nogpgcheck: args.nogpgcheck,
            progress: printer.progress_bars(),
            snapshot: args.snapshot.into(),
            accept_no_rollback: args.accept_no_rollback,
            kernel: args.kernel.clone(),
            kernel_args: args.kernel_arg.clone(),
            dracut_args: args.dracut_arg.clone(),
        },
    )?;
    printer.document(&report, |out| render(out, &report, args.reboot))?;
    match report.outcome {
        UpgradeOutcome::BlockedByAssessment
        | UpgradeOutcome::BlockedByPlan
        | UpgradeOutcome::NotReady => Ok(ExitCode::Inhibited),
        UpgradeOutcome::Staged | UpgradeOutcome::AlreadyStaged if args.reboot => {
            let st = std::process::Command::new("systemctl")
                .arg("reboot")
                .status()
                .context("cannot run systemctl reboot")?;
            if !st.success() {
                bail!("systemctl reboot failed: {st}");
            }
            Ok(ExitCode::Ok)
        }
        UpgradeOutcome::Staged | UpgradeOutcome::AlreadyStaged => Ok(ExitCode::RebootRequired),
    }
}
