//! `leapfrog why PKG`: the chain of package-evolution events, transaction elements and
//! repository decisions behind one package's fate — from the root's `plan.json` when there is
//! one (its decisions are what will happen), else from the events-only stage.

use serde::Serialize;

use super::document::{Element, PlanDocument};
use super::events::Step;
use super::evolution::{self, EventsInputs};
use super::fates::PackageFate;
use super::repos::TargetRepo;
use crate::document::Document as _;
use crate::workspace::Workspace;

/// One applied event, with its display name.
#[derive(Debug, Clone, Serialize)]
pub struct NamedStep {
    /// The step.
    #[serde(flatten)]
    pub step: Step,
    /// The event's name (our data's slug, or its number).
    #[serde(skip)]
    pub name: String,
}

/// What `why` found.
#[derive(Debug, Clone, Serialize)]
#[serde(untagged)]
pub enum WhyReport {
    /// From the root's plan.
    Plan {
        /// The package.
        package: String,
        /// The plan's identity.
        plan: String,
        /// Its source and target, for the text.
        #[serde(skip)]
        releases: (String, String),
        /// The package's fates.
        fates: Vec<PackageFate>,
        /// The transaction elements of it or replacing it.
        transaction: Vec<Element>,
        /// The events that touched it.
        steps: Vec<NamedStep>,
        /// The repositories of those elements.
        repos: Vec<TargetRepo>,
    },
    /// From the events-only stage.
    Events {
        /// The package.
        package: String,
        /// Whether it is installed.
        installed: bool,
        /// Its fate, in a sentence.
        fate: String,
        /// The events that touched it.
        steps: Vec<NamedStep>,
        /// The repository it would come from.
        repo: Option<String>,
    },
}

fn touches(s: &Step, name: &str) -> bool {
    s.from.iter().any(|n| n == name) || s.to.iter().any(|n| n == name)
}

/// Explains `package` (see the module documentation); `explicit` inputs (a list, leapp's
/// data, an explicit source, events-only) skip the plan.
///
/// # Errors
///
/// When the plan cannot be read, or as the events-only stage.
pub fn explain(
    ws: &Workspace,
    package: &str,
    inputs: &EventsInputs,
    explicit: bool,
) -> anyhow::Result<WhyReport> {
    if !explicit && let Some(doc) = PlanDocument::load(ws)? {
        return Ok(from_plan(&doc, package));
    }
    let ev = evolution::evolve(ws, inputs)?;
    let installed = ev.installed.iter().any(|p| p.name == package);
    let third_party = ev.skipped.iter().any(|p| p == package);
    let steps: Vec<NamedStep> = ev
        .out
        .steps
        .iter()
        .filter(|s| touches(s, package))
        .map(|s| NamedStep {
            name: s.event.to_string(),
            step: s.clone(),
        })
        .collect();
    let install = ev.out.to_install.iter().find(|p| p.name == package);
    let remove = ev.out.to_remove.iter().find(|p| p.name == package);
    let kept = ev.out.to_keep.iter().any(|p| p == package);
    let repo = install.map(|p| ev.repo_of(&p.repo).unwrap_or_else(|| p.repo.clone()));
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
    Ok(WhyReport::Events {
        package: package.to_string(),
        installed,
        fate,
        steps,
        repo,
    })
}

/// Explains a package from a plan: its fate, the events behind it, and the transaction
/// elements and repositories involved.
pub fn from_plan(doc: &PlanDocument, name: &str) -> WhyReport {
    let fates: Vec<PackageFate> = doc
        .packages
        .iter()
        .filter(|p| p.name == name)
        .cloned()
        .collect();
    let transaction: Vec<Element> = doc
        .transaction
        .iter()
        .filter(|e| {
            e.name == name
                || e.replaces
                    .iter()
                    .any(|r| fates.iter().any(|f| &f.nevra == r))
        })
        .cloned()
        .collect();
    let steps = doc
        .event_steps
        .iter()
        .filter(|s| touches(s, name))
        .map(|s| NamedStep {
            name: doc
                .event_names
                .get(&s.event)
                .cloned()
                .unwrap_or_else(|| s.event.to_string()),
            step: s.clone(),
        })
        .collect();
    let repos = transaction
        .iter()
        .filter_map(|e| doc.repos.iter().find(|r| r.id == e.repo).cloned())
        .collect();
    WhyReport::Plan {
        package: name.to_string(),
        plan: doc.plan_id.clone(),
        releases: (doc.source.clone(), doc.target.clone()),
        fates,
        transaction,
        steps,
        repos,
    }
}
