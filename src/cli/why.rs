//! `leapfrog why PKG`: the chain of package-evolution events and repository decisions behind
//! one package's fate ([`crate::plan::why::explain`]).

use std::fmt::Write as _;

use clap::Args;

use super::GlobalArgs;
use super::plan::PlanArgs;
use crate::exit::ExitCode;
use crate::plan::why::{self, NamedStep, WhyReport};

/// Options of `leapfrog why`.
#[derive(Debug, Clone, Args)]
pub struct WhyArgs {
    /// The package name
    pub package: String,
    /// Where the plan comes from (the same options as `leapfrog plan --events-only`)
    #[command(flatten)]
    pub plan: PlanArgs,
}

fn write_step(out: &mut String, s: &NamedStep) -> std::fmt::Result {
    let to = if s.step.to.is_empty() {
        "(nothing)".to_string()
    } else {
        s.step.to.join(", ")
    };
    writeln!(
        out,
        "  {} event {} ({}): {} -> {to}",
        s.step.release,
        s.name,
        s.step.action,
        s.step.from.join(", ")
    )
}

fn render(out: &mut String, r: &WhyReport) -> std::fmt::Result {
    match r {
        WhyReport::Events {
            package,
            fate,
            steps,
            ..
        } => {
            writeln!(out, "{package}: {fate}")?;
            for s in steps {
                write_step(out, s)?;
            }
        }
        WhyReport::Plan {
            package,
            plan,
            releases,
            fates,
            transaction,
            steps,
            repos,
        } => {
            if fates.is_empty() && transaction.is_empty() {
                return writeln!(
                    out,
                    "{package}: not installed, and the plan {} ({} -> {}) does not bring it in",
                    crate::plan::document::short_id(plan),
                    releases.0,
                    releases.1
                );
            }
            for f in fates {
                writeln!(
                    out,
                    "{package} ({}): {} — {}",
                    f.nevra,
                    f.fate.label(),
                    f.why
                )?;
            }
            if fates.is_empty() {
                writeln!(out, "{package}: not installed; the plan brings it in")?;
            }
            for s in steps {
                write_step(out, s)?;
            }
            for e in transaction {
                let repo = repos.iter().find(|r| r.id == e.repo);
                writeln!(
                    out,
                    "  transaction: {:?} {} from {}{}",
                    e.action,
                    e.nevra,
                    e.repo,
                    repo.map(|r| format!(" ({}; {})", r.why, r.defined_in))
                        .unwrap_or_default()
                )?;
            }
        }
    }
    Ok(())
}

/// Runs `leapfrog why`.
///
/// # Errors
///
/// As `leapfrog plan --events-only`, or when the root's plan cannot be read.
pub fn run(global: &GlobalArgs, args: &WhyArgs) -> anyhow::Result<ExitCode> {
    let ws = global.workspace()?;
    // A root with a plan: its decisions are what will happen, so they are what `why` explains.
    let explicit = args.plan.installed.is_some()
        || args.plan.inputs.leapp_data.is_some()
        || args.plan.source.is_some()
        || args.plan.events_only;
    let report = why::explain(&ws, &args.package, &args.plan.events_inputs(), explicit)?;
    global
        .printer()
        .document(&report, |out| render(out, &report))?;
    Ok(ExitCode::Ok)
}
