//! `leapfrog why PKG`: the chain of package-evolution events and repository decisions behind
//! one package's fate.

use std::io::Write as _;

use anyhow::Context as _;
use clap::Args;
use serde_json::json;

use super::GlobalArgs;
use super::plan::{PlanArgs, evolve};
use crate::exit::ExitCode;
use crate::plan::document::PlanDocument;

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
    // A root with a plan: its decisions are what will happen, so they are what `why` explains.
    let explicit = args.plan.installed.is_some()
        || args.plan.inputs.leapp_data.is_some()
        || args.plan.source.is_some()
        || args.plan.events_only;
    if !explicit && crate::plan::document::plan_path(&global.root).is_file() {
        let doc = PlanDocument::load(&global.root)?;
        return from_plan(global, &doc, &args.package);
    }
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
            write_step(&mut out, s, &s.event.to_string())?;
        }
    }
    Ok(ExitCode::Ok)
}

/// Explains a package from the root's `plan.json`: its fate, the events behind it, and the
/// transaction elements and repositories involved.
fn from_plan(global: &GlobalArgs, doc: &PlanDocument, name: &str) -> anyhow::Result<ExitCode> {
    let fates: Vec<_> = doc.packages.iter().filter(|p| p.name == name).collect();
    let elements: Vec<_> = doc
        .transaction
        .iter()
        .filter(|e| {
            e.name == name
                || e.replaces
                    .iter()
                    .any(|r| fates.iter().any(|f| &f.nevra == r))
        })
        .collect();
    let steps: Vec<_> = doc
        .event_steps
        .iter()
        .filter(|s| s.from.iter().any(|n| n == name) || s.to.iter().any(|n| n == name))
        .collect();
    let event_name = |id: u64| {
        doc.event_names
            .get(&id)
            .cloned()
            .unwrap_or_else(|| id.to_string())
    };
    let repos: Vec<_> = elements
        .iter()
        .filter_map(|e| doc.repos.iter().find(|r| r.id == e.repo))
        .collect();
    let mut out = std::io::stdout().lock();
    if global.json {
        let doc = json!({"package": name, "plan": doc.created, "fates": fates, "transaction": elements, "steps": steps, "repos": repos});
        writeln!(out, "{}", serde_json::to_string_pretty(&doc)?).context("cannot write")?;
        return Ok(ExitCode::Ok);
    }
    if fates.is_empty() && elements.is_empty() {
        writeln!(
            out,
            "{name}: not installed, and the plan of {} ({} -> {}) does not bring it in",
            doc.created, doc.source, doc.target
        )
        .context("cannot write")?;
        return Ok(ExitCode::Ok);
    }
    for f in &fates {
        writeln!(
            out,
            "{} ({}): {} — {}",
            name,
            f.nevra,
            f.fate.label(),
            f.why
        )
        .context("cannot write")?;
    }
    if fates.is_empty() {
        writeln!(out, "{name}: not installed; the plan brings it in").context("cannot write")?;
    }
    for s in steps {
        write_step(&mut out, s, &event_name(s.event))?;
    }
    for e in &elements {
        let repo = doc.repos.iter().find(|r| r.id == e.repo);
        writeln!(
            out,
            "  transaction: {:?} {} from {}{}",
            e.action,
            e.nevra,
            e.repo,
            repo.map(|r| format!(" ({}; {})", r.why, r.defined_in))
                .unwrap_or_default()
        )
        .context("cannot write")?;
    }
    Ok(ExitCode::Ok)
}

/// One applied event, as `why` prints it.
fn write_step(
    out: &mut impl std::io::Write,
    s: &crate::plan::events::Step,
    name: &str,
) -> anyhow::Result<()> {
    let to = if s.to.is_empty() {
        "(nothing)".to_string()
    } else {
        s.to.join(", ")
    };
    writeln!(
        out,
        "  {} event {name} ({}): {} -> {to}",
        s.release,
        s.action,
        s.from.join(", ")
    )
    .context("cannot write")
}
