//! `leapfrog preupgrade`: the pre-upgrade assessment ([`crate::assess::assess`]). Runs every
//! scanner and check in parallel and writes the leapp-compatible report, the text report, the
//! answerfile and the facts; exit 2 when an inhibitor (not waived) blocks the upgrade.

use std::fmt::Write as _;
use std::path::PathBuf;

use clap::Args;
use leapfrog_actors::upgrade_paths::TargetSpec;

use super::GlobalArgs;
use crate::assess::{self, AssessInputs, AssessReport, report};
use crate::exit::ExitCode;

/// Options of `leapfrog preupgrade`.
#[derive(Debug, Clone, Args)]
pub struct PreupgradeArgs {
    /// The target: DISTRO-MAJOR[.MINOR], e.g. almalinux-9, almalinux-9.6, rocky-8 (default: the
    /// newest supported path for the installed release)
    #[arg(long, value_name = "DISTRO[-VERSION]")]
    pub target: Option<TargetSpec>,

    /// Waive the inhibitor with this key (repeatable): it is reported as waived and no longer
    /// blocks. Keys can also be listed in <root>/etc/leapfrog/waivers
    #[arg(long = "waive", value_name = "KEY")]
    pub waive: Vec<String>,

    /// Host facts (running kernel, memory, CPU, mounts, devices) from this JSON file instead of
    /// the running system; needed for a --root other than / and for offline assessment
    #[arg(long, value_name = "FILE")]
    pub host_facts: Option<PathBuf>,

    /// Show how long each actor took
    #[arg(long)]
    pub timings: bool,
}

/// The text of an assessment: the summary, where the full report is, and the actor timings
/// when asked.
pub(crate) fn render(out: &mut String, r: &AssessReport, timings: bool) -> std::fmt::Result {
    write!(out, "{}", report::terminal_summary(&r.assessment, &r.info))?;
    writeln!(out, "\nFull report: {}", r.report_text.display())?;
    if timings {
        let mut runs = r.assessment.runs.clone();
        runs.sort_by(|a, b| b.millis.total_cmp(&a.millis));
        writeln!(out, "\nActor timings:")?;
        for run in runs {
            writeln!(
                out,
                "  {:>8.2} ms  {}{}",
                run.millis,
                run.id,
                run.error
                    .as_deref()
                    .map(|e| format!("  (failed: {e})"))
                    .unwrap_or_default()
            )?;
        }
    }
    Ok(())
}

/// Runs `leapfrog preupgrade`.
///
/// # Errors
///
/// When the root, the host facts, the waivers or the answerfile cannot be read, or the report
/// cannot be written.
pub fn run(global: &GlobalArgs, args: &PreupgradeArgs) -> anyhow::Result<ExitCode> {
    let ws = global.workspace()?;
    let assessed = assess::assess(
        &ws,
        &AssessInputs {
            target: args.target.clone(),
            waive: args.waive.clone(),
            host_facts: args.host_facts.clone(),
            target_sources: Vec::new(),
        },
    )?;
    global
        .printer()
        .document(&assessed.report, |out| render(out, &assessed, args.timings))?;
    Ok(if assessed.inhibited() {
        ExitCode::Inhibited
    } else {
        ExitCode::Ok
    })
}
