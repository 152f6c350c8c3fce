//! `leapfrog upgrade` as a library call: everything before the reboot, idempotent. [`upgrade`]
//! runs the assessment ([`crate::assess`]), the plan ([`crate::plan::make`]), the download
//! ([`crate::download`]), checks the snapshot backend the offline apply will use, and stages the
//! upgrade environment ([`crate::boot::stage`]); it stops at the first step that blocks, and
//! returns one [`UpgradeReport`] with what each step concluded.

use std::path::PathBuf;

use anyhow::{Context as _, bail};
use serde::Serialize;

use crate::assess::{self, AssessInputs};
use crate::boot::{self, StageOptions, Staged, entries};
use crate::document::Document as _;
use crate::download::{self, DownloadOptions, DownloadRecord, DownloadReport};
use crate::plan::{self, PlanDocument, PlanInputs};
use crate::snapshot::{self, SnapshotBackend};
use crate::workspace::Workspace;

/// The snapshot backend the offline apply will use, as `upgrade` takes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SnapshotRequest {
    /// The best one that works here.
    Auto,
    /// This one.
    Backend(SnapshotBackend),
}

impl SnapshotRequest {
    /// The name recorded in `staged.json` (`auto`, `btrfs`, ...).
    pub fn name(self) -> &'static str {
        match self {
            SnapshotRequest::Auto => "auto",
            SnapshotRequest::Backend(b) => b.name(),
        }
    }
}

/// Options of [`upgrade`].
#[derive(Debug, Clone)]
pub struct UpgradeOptions {
    /// What the plan is made from.
    pub plan: PlanInputs,
    /// Inhibitors to waive.
    pub waive: Vec<String>,
    /// Host facts for the assessment when the root is not the running system.
    pub host_facts: Option<PathBuf>,
    /// Accept unsigned packages.
    pub nogpgcheck: bool,
    /// Show the download's progress bar.
    pub progress: bool,
    /// The snapshot backend of the offline apply.
    pub snapshot: SnapshotRequest,
    /// `--snapshot none` acknowledged.
    pub accept_no_rollback: bool,
    /// The kernel of the upgrade environment (default: the root's newest).
    pub kernel: Option<PathBuf>,
    /// Extra kernel arguments.
    pub kernel_args: Vec<String>,
    /// Extra dracut arguments.
    pub dracut_args: Vec<String>,
}

/// The assessment, summarised for the upgrade report (the whole report is in `report.json`).
#[derive(Debug, Clone, Serialize)]
pub struct AssessmentSummary {
    /// Counts by class.
    pub counts: assess::report::Counts,
    /// Titles of the inhibitors (not waived).
    pub inhibitors: Vec<String>,
    /// `report.json`.
    pub report: PathBuf,
    /// The text the terminal shows.
    #[serde(skip)]
    pub text: String,
}

/// The plan, summarised.
#[derive(Debug, Clone, Serialize)]
pub struct PlanSummary {
    /// Its identity.
    pub plan_id: String,
    /// Source release.
    pub source: String,
    /// Target release.
    pub target: String,
    /// Counts.
    pub totals: crate::plan::document::Totals,
    /// Titles of the inhibitors.
    pub inhibitors: Vec<String>,
    /// `plan.json`.
    pub path: PathBuf,
}

impl PlanSummary {
    fn of(plan: &PlanDocument, path: PathBuf) -> Self {
        Self {
            plan_id: plan.plan_id.clone(),
            source: plan.source.clone(),
            target: plan.target.clone(),
            totals: plan.totals.clone(),
            inhibitors: plan
                .inhibitor_titles()
                .into_iter()
                .map(String::from)
                .collect(),
            path,
        }
    }
}

/// How an upgrade run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum UpgradeOutcome {
    /// Staged: the next boot runs the offline upgrade.
    Staged,
    /// The same plan was staged before: nothing was done.
    AlreadyStaged,
    /// The assessment found inhibitors.
    BlockedByAssessment,
    /// The plan has inhibitors.
    BlockedByPlan,
    /// The download is not ready (test transaction problems, space).
    NotReady,
}

/// The result of [`upgrade`]: one document for the whole run.
#[derive(Debug, Clone, Serialize)]
pub struct UpgradeReport {
    /// How it ended.
    pub outcome: UpgradeOutcome,
    /// The assessment (absent when already staged).
    pub assessment: Option<AssessmentSummary>,
    /// The plan.
    pub plan: Option<PlanSummary>,
    /// The download record.
    pub download: Option<DownloadRecord>,
    /// The snapshot backend `auto` will pick, and why.
    pub snapshot: Option<(SnapshotBackend, String)>,
    /// What is staged.
    pub staged: Option<Staged>,
    /// A reboot continues the upgrade.
    pub reboot_required: bool,
}

/// The staging of the current plan, when it is complete and its files are in place.
fn already_staged(
    ws: &Workspace,
) -> anyhow::Result<Option<(Staged, PlanDocument, DownloadRecord)>> {
    let (Some(staged), Ok(Some(plan)), Ok(Some(dl))) = (
        Staged::load(ws)?,
        PlanDocument::load(ws),
        DownloadRecord::load(ws),
    ) else {
        return Ok(None);
    };
    let same = staged.plan_id == plan.plan_id && dl.ready_for(&plan.plan_id);
    Ok((same && staged.pending_in(ws)).then_some((staged, plan, dl)))
}

/// Runs everything before the reboot (see the module documentation).
///
/// # Errors
///
/// Assessment, planning or download errors, no usable snapshot backend, dracut failures.
pub fn upgrade(ws: &Workspace, opts: &UpgradeOptions) -> anyhow::Result<UpgradeReport> {
    crate::apply::merge_keep::reconcile_if_idle(ws)
        .context("cannot put back the state an LVM rollback kept on /boot")?;
    if let Some((staged, plan, dl)) = already_staged(ws)? {
        return Ok(UpgradeReport {
            outcome: UpgradeOutcome::AlreadyStaged,
            assessment: None,
            plan: Some(PlanSummary::of(&plan, ws.plan_path())),
            download: Some(dl),
            snapshot: None,
            staged: Some(staged),
            reboot_required: true,
        });
    }
    let mut report = UpgradeReport {
        outcome: UpgradeOutcome::BlockedByAssessment,
        assessment: None,
        plan: None,
        download: None,
        snapshot: None,
        staged: None,
        reboot_required: false,
    };

    let assessed = assess::assess(
        ws,
        &AssessInputs {
            target: opts.plan.target.clone(),
            waive: opts.waive.clone(),
            host_facts: opts.host_facts.clone(),
            target_sources: opts.plan.target_sources(),
        },
    )
    .context("the assessment failed")?;
    report.assessment = Some(AssessmentSummary {
        counts: assess::report::counts(&assessed.assessment.findings),
        inhibitors: assessed
            .assessment
            .blocking()
            .map(|f| f.title.clone())
            .collect(),
        report: assessed.report_json.clone(),
        text: assess::report::terminal_summary(&assessed.assessment, &assessed.info),
    });
    if assessed.inhibited() {
        return Ok(report);
    }

    let planned = plan::make(ws, &opts.plan).context("planning failed")?;
    report.plan = Some(PlanSummary::of(&planned.plan, planned.path.clone()));
    if planned.plan.inhibited() {
        report.outcome = UpgradeOutcome::BlockedByPlan;
        return Ok(report);
    }

    let downloaded = download::download(
        ws,
        &planned.plan,
        &DownloadOptions {
            nogpgcheck: opts.nogpgcheck,
            offline: opts.plan.offline,
            parallel: 4,
            progress: opts.progress,
        },
    )
    .context("the download failed")?;
    match downloaded {
        DownloadReport::Verified { record, .. } => {
            let ready = record.ready;
            report.download = Some(*record);
            if !ready {
                report.outcome = UpgradeOutcome::NotReady;
                return Ok(report);
            }
        }
        DownloadReport::Blocked { .. } => {
            report.outcome = UpgradeOutcome::BlockedByPlan;
            return Ok(report);
        }
    }

    // the snapshot backend the offline apply will use must work here
    match opts.snapshot {
        SnapshotRequest::Backend(SnapshotBackend::None) if !opts.accept_no_rollback => {
            bail!(
                "--snapshot none means a failed upgrade cannot be rolled back: add --accept-no-rollback to proceed"
            )
        }
        SnapshotRequest::Auto => {
            let (b, why) =
                snapshot::detect(ws.root()).context("cannot choose a snapshot backend")?;
            if b == SnapshotBackend::None {
                bail!("no snapshot backend works for {}", ws.root().display());
            }
            report.snapshot = Some((b, why));
        }
        SnapshotRequest::Backend(_) => {}
    }

    let (kernel, kver) = match &opts.kernel {
        Some(k) => (
            k.clone(),
            entries::kver_of(k)
                .with_context(|| format!("{} is not named vmlinuz-VERSION", k.display()))?,
        ),
        None => entries::newest_kernel(ws).with_context(|| {
            format!(
                "no /boot/vmlinuz-* in {}: pass --kernel",
                ws.root().display()
            )
        })?,
    };
    let staged = boot::stage(
        ws,
        &StageOptions {
            kernel,
            kver,
            kernel_args: opts.kernel_args.clone(),
            dracut_args: opts.dracut_args.clone(),
            snapshot: opts.snapshot.name().to_string(),
            accept_no_rollback: opts.accept_no_rollback,
            plan_id: planned.plan.plan_id.clone(),
        },
    )
    .context("cannot build the upgrade boot environment")?;
    report.staged = Some(staged);
    report.outcome = UpgradeOutcome::Staged;
    report.reboot_required = true;
    Ok(report)
}
