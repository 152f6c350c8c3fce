//! `leapfrog actors`: the catalogue of scanners and checks.

use std::fmt::Write as _;

use clap::Args;
use leapfrog_actors::finding::Level;
use leapfrog_actors::registry;

use super::GlobalArgs;
use crate::exit::ExitCode;

/// Options of `leapfrog actors`.
#[derive(Debug, Clone, Args)]
pub struct ActorsArgs {
    /// Print the check table in Markdown (the README's table is generated with this)
    #[arg(long)]
    pub markdown: bool,
}

fn level(l: Level) -> &'static str {
    match l {
        Level::Info => "info",
        Level::Low => "low",
        Level::Medium => "medium",
        Level::High => "high",
        Level::Inhibitor => "**inhibitor**",
    }
}

/// The Markdown table of every check and the findings it can produce.
pub fn markdown() -> String {
    let mut s = String::from("| key | level | title | actor |\n|---|---|---|---|\n");
    let mut rows: Vec<(&str, &str, &str, &str)> = registry::checks()
        .iter()
        .flat_map(|c| {
            c.findings
                .iter()
                .map(move |f| (f.key, level(f.level), f.title, c.info.id))
        })
        .collect();
    rows.sort();
    for (k, l, t, a) in rows {
        let _ = writeln!(s, "| `{k}` | {l} | {t} | `{a}` |");
    }
    s
}

/// Runs `leapfrog actors`.
///
/// # Errors
///
/// When the output cannot be written.
pub fn run(global: &GlobalArgs, args: &ActorsArgs) -> anyhow::Result<ExitCode> {
    let checks: Vec<_> = registry::checks()
        .iter()
        .map(|c| serde_json::json!({"actor": c.info, "findings": c.findings}))
        .collect();
    let scanners: Vec<_> = registry::scanners().iter().map(|s| s.info).collect();
    let catalogue = serde_json::json!({"scanners": scanners, "checks": checks});
    global.printer().document(&catalogue, |out| {
        if args.markdown {
            return write!(out, "{}", markdown());
        }
        writeln!(out, "Scanners ({}):", registry::scanners().len())?;
        for s in registry::scanners() {
            writeln!(out, "  {:<34} {}", s.info.id, s.info.description)?;
        }
        writeln!(out, "\nChecks ({}):", registry::checks().len())?;
        for c in registry::checks() {
            writeln!(out, "  {:<34} {}", c.info.id, c.info.description)?;
            for f in c.findings {
                writeln!(
                    out,
                    "      {:<44} {}",
                    f.key,
                    level(f.level).trim_matches('*')
                )?;
            }
        }
        Ok(())
    })?;
    Ok(ExitCode::Ok)
}
