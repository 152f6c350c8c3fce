//! `leapfrog why PKG`: the chain of package-evolution events and repository decisions behind
//! one package's fate.

use std::io::Write as _;

use anyhow::Context as _;
use clap::Args;
use serde_json::json;

use super::GlobalArgs;
use super::plan::{PlanArgs, evolve};
use crate::exit::ExitCode;

/// Options of `leapfrog why`.
#[derive(Debug, Clone, Args)]
pub struct WhyArgs {
    /// The package name
    pub package: String,
    /// Where the plan comes from (the same options as `leapfrog plan --events-only`)
    #[command(flatten)]
    pub plan: PlanArgs,
}

/// Runs `leapfrog why`.
///
/// # Errors
///
/// As `leapfrog plan --events-only`.
pub fn run(global: &GlobalArgs, args: &WhyArgs) -> anyhow::Result<ExitCode> {
    let mut plan_args = args.plan.clone();
    plan_args.events_only = true;
    let ev = evolve(global, &plan_args)?;
    let name = args.package.as_str();
    let installed = ev.installed.iter().any(|p| p.name == name);
    let third_party = ev.skipped.iter().any(|p| p == name);
    let steps: Vec<_> = ev
        .out
        .steps
        .iter()
        .filter(|s| s.from.iter().any(|n| n == name) || s.to.iter().any(|n| n == name))
        .collect();
    let install = ev.out.to_install.iter().find(|p| p.name == name);
    let remove = ev.out.to_remove.iter().find(|p| p.name == name);
    let kept = ev.out.to_keep.iter().any(|p| p == name);
    let repo = install.map(|p| {
        ev.map
            .repoids_for(&p.repo, ev.target.major, &plan_args.arch)
            .first()
            .map(|r| r.to_string())
            .unwrap_or_else(|| p.repo.clone())
    });
    let fate = if third_party {
        "third-party: not signed by the distribution, so no package-evolution event applies to it (the assessment reports it as packages.no-target or packages.vendor-mapped)".to_string()
    } else if let Some(p) = install {
        format!(
            "installed from {} (events {:?})",
            repo.clone().unwrap_or_default(),
            p.events
        )
    } else if let Some(r) = remove {
        format!(
            "removed (events {:?}){}",
            r.events,
            if r.events.is_empty() {
                " by a chain that left no successor"
            } else {
                ""
            }
        )
    } else if kept {
        "kept explicitly by an event".to_string()
    } else if installed {
        "upgraded by name: no event touches it".to_string()
    } else {
        "not installed, and no event installs it".to_string()
    };
    let mut out = std::io::stdout().lock();
    if global.json {
        let doc = json!({"package": name, "installed": installed, "fate": fate, "steps": steps, "repo": repo});
        writeln!(out, "{}", serde_json::to_string_pretty(&doc)?).context("cannot write")?;
    } else {
        writeln!(out, "{name}: {fate}").context("cannot write")?;
        for s in steps {
            writeln!(
                out,
                "  {} event {} ({}): {} -> {}",
                s.release,
                s.event,
                s.action,
                s.from.join(", "),
                if s.to.is_empty() {
                    "(nothing)".to_string()
                } else {
                    s.to.join(", ")
                }
            )
            .context("cannot write")?;
        }
    }
    Ok(ExitCode::Ok)
}
