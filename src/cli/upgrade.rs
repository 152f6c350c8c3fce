//! `leapfrog upgrade`: everything before the reboot, in one idempotent command: the assessment
//! (exit 2 on inhibitors), the plan, the download and its test transaction, the snapshot backend
//! check, the upgrade boot environment (kernel, initramfs built by the system's dracut with the
//! leapfrog module, BLS entry) and the one-shot selection of that entry. Then it reboots
//! (`--reboot`) or exits 3 ("reboot required"). See `docs/offline.md`.

use std::io::Write as _;
use std::path::PathBuf;

use anyhow::{Context as _, bail};
use clap::Args;

use super::GlobalArgs;
use super::apply::SnapshotArg;
use crate::boot::{self, StageOptions, Staged};
use crate::exit::ExitCode;
use crate::fetch::DownloadRecord;
use crate::plan::document::PlanDocument;
use crate::snapshot::{self, Backend};

/// Options of `leapfrog upgrade`.
#[derive(Debug, Clone, Args)]
pub struct UpgradeArgs {
    #[command(flatten)]
    pub inputs: super::plan::PlanInputs,
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

fn snapshot_name(a: SnapshotArg) -> &'static str {
    match a {
        SnapshotArg::Auto => "auto",
        SnapshotArg::Btrfs => "btrfs",
        SnapshotArg::Lvm => "lvm",
        SnapshotArg::Reflink => "reflink",
        SnapshotArg::Copy => "copy",
        SnapshotArg::None => "none",
    }
}

fn finish(
    global: &GlobalArgs,
    args: &UpgradeArgs,
    staged: &Staged,
    already: bool,
) -> anyhow::Result<ExitCode> {
    let mut out = std::io::stdout().lock();
    if global.json {
        writeln!(
            out,
            "{}",
            super::apply::result_line(&serde_json::json!({
                "staged": staged,
                "already_staged": already,
                "reboot_required": true,
            }))?
        )
        .context("cannot write")?;
    } else {
        writeln!(
            out,
            "{}: the next boot runs the offline upgrade ({} with {}, entry {}). {}",
            if already { "Already staged" } else { "Staged" },
            staged.kernel,
            staged.initramfs,
            staged.entry,
            if args.reboot {
                "Rebooting now."
            } else {
                "Reboot to continue; keep a console open (the network is down during the offline stage). `leapfrog cancel` undoes the staging."
            }
        )
        .context("cannot write")?;
    }
    drop(out);
    if args.reboot {
        if global.root != std::path::Path::new("/") {
            bail!("--reboot reboots this machine: only with --root /");
        }
        let st = std::process::Command::new("systemctl")
            .arg("reboot")
            .status()
            .context("cannot run systemctl reboot")?;
        if !st.success() {
            bail!("systemctl reboot failed: {st}");
        }
        return Ok(ExitCode::Ok);
    }
    Ok(ExitCode::RebootRequired)
}

/// Runs `leapfrog upgrade`.
///
/// # Errors
///
/// Assessment, planning or download errors, no usable snapshot backend, dracut failures.
pub fn run(global: &GlobalArgs, args: &UpgradeArgs) -> anyhow::Result<ExitCode> {
    let root = &global.root;
    crate::apply::merge_keep::reconcile_if_idle(root)
        .context("cannot put back the state an LVM rollback kept on /boot")?;
    // Idempotent: the same plan, downloaded and staged, with its entry selected.
    if let (Some(staged), Ok(plan), Ok(Some(dl))) = (
        Staged::load(root)?,
        PlanDocument::load(root),
        DownloadRecord::load(root),
    ) && staged.finished.is_none()
        && staged.plan_created == plan.created
        && dl.plan_created == plan.created
        && root.join(staged.entry.trim_start_matches('/')).is_file()
        && root
            .join(staged.initramfs.trim_start_matches('/'))
            .is_file()
    {
        return finish(global, args, &staged, true);
    }

    let pre = super::preupgrade::PreupgradeArgs {
        target: args.inputs.target.clone(),
        waive: args.waive.clone(),
        host_facts: args.host_facts.clone(),
        timings: false,
        target_sources: args.inputs.target_sources(),
    };
    match super::preupgrade::run(global, &pre).context("the assessment failed")? {
        ExitCode::Ok => {}
        code => return Ok(code),
    }
    let plan_args = super::plan::PlanArgs {
        installed: None,
        source: None,
        inputs: args.inputs.clone(),
        arch: std::env::consts::ARCH.to_string(),
        events_only: false,
        timings: false,
    };
    match super::plan::run(global, &plan_args).context("planning failed")? {
        ExitCode::Ok => {}
        code => return Ok(code),
    }
    let dl = super::download::DownloadArgs {
        nogpgcheck: args.nogpgcheck,
        offline: args.inputs.offline,
        parallel: 4,
    };
    match super::download::run(global, &dl).context("the download failed")? {
        ExitCode::Ok => {}
        code => return Ok(code),
    }
    let plan = PlanDocument::load(root)?;

    // the snapshot backend the offline apply will use must work here
    match args.snapshot {
        SnapshotArg::None if !args.accept_no_rollback => {
            bail!(
                "--snapshot none means a failed upgrade cannot be rolled back: add --accept-no-rollback to proceed"
            )
        }
        SnapshotArg::Auto => {
            let (b, why) = snapshot::detect(root).context("cannot choose a snapshot backend")?;
            eprintln!("snapshot: the offline apply will use {b}: {why}");
            if b == Backend::None {
                bail!("no snapshot backend works for {}", root.display());
            }
        }
        _ => {}
    }

    let (kernel, kver) = match &args.kernel {
        Some(k) => (
            k.clone(),
            boot::kver_of(k)
                .with_context(|| format!("{} is not named vmlinuz-VERSION", k.display()))?,
        ),
        None => boot::newest_kernel(root)
            .with_context(|| format!("no /boot/vmlinuz-* in {}: pass --kernel", root.display()))?,
    };
    let staged = boot::stage(
        root,
        &StageOptions {
            kernel,
            kver,
            kernel_args: args.kernel_arg.clone(),
            dracut_args: args.dracut_arg.clone(),
            snapshot: snapshot_name(args.snapshot).to_string(),
            accept_no_rollback: args.accept_no_rollback,
            plan_created: plan.created.clone(),
        },
    )
    .context("cannot build the upgrade boot environment")?;
    finish(global, args, &staged, false)
}
