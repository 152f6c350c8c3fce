//! `package_manager_scanner`: dnf module states, unfinished yum/dnf transactions and version
//! locks.

use serde::Serialize;

use crate::facts::repos::parse_ini;
use crate::model::{Env, Facts};
use crate::registry::{ActorInfo, Phase, Scanner};

use super::{list, read_text};

/// A module's state in `/etc/dnf/modules.d`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ModuleState {
    /// Module name.
    pub name: String,
    /// Stream.
    pub stream: Option<String>,
    /// `enabled`, `disabled`, ...
    pub state: Option<String>,
}

/// Package-manager state.
#[derive(Debug, Clone, Default, Serialize)]
pub struct PackageManagerFacts {
    /// Module states.
    pub modules: Vec<ModuleState>,
    /// Files of unfinished yum transactions (`/var/lib/yum/transaction-all.*`).
    pub unfinished_transactions: Vec<String>,
    /// Version-lock entries (yum and dnf plugins).
    pub versionlocks: Vec<String>,
}

/// The scanner.
pub const SCANNER: Scanner = Scanner {
    info: ActorInfo {
        id: "package_manager_scanner",
        phase: Phase::Facts,
        description: "Reads dnf module states, unfinished yum transactions and version locks.",
        reads: &[
            "/etc/dnf/modules.d",
            "/var/lib/yum",
            "/etc/yum/pluginconf.d/versionlock.list",
            "/etc/dnf/plugins/versionlock.list",
        ],
        produces: &["facts.package_manager"],
    },
    run,
};

fn run(env: &Env, facts: &Facts) -> Result<(), String> {
    let mut modules = Vec::new();
    for path in list(&env.root, "/etc/dnf/modules.d", |n| n.ends_with(".module"))? {
        let file = path.display().to_string();
        let Some(text) = read_text(&env.root, &file)? else {
            continue;
        };
        let sections = parse_ini(&text).map_err(|e| format!("{file}: {e}"))?;
        for (name, pairs) in sections {
            let get = |k: &str| {
                pairs
                    .iter()
                    .rev()
                    .find(|(key, _)| key == k)
                    .map(|(_, v)| v.clone())
                    .filter(|v| !v.is_empty())
            };
            modules.push(ModuleState {
                name,
                stream: get("stream"),
                state: get("state"),
            });
        }
    }
    let unfinished_transactions = list(&env.root, "/var/lib/yum", |n| {
        n.starts_with("transaction-all.")
    })?
    .iter()
    .map(|p| p.display().to_string())
    .collect();
    let mut versionlocks = Vec::new();
    for f in [
        "/etc/yum/pluginconf.d/versionlock.list",
        "/etc/dnf/plugins/versionlock.list",
    ] {
        if let Some(t) = read_text(&env.root, f)? {
            versionlocks.extend(
                t.lines()
                    .map(str::trim)
                    .filter(|l| !l.is_empty() && !l.starts_with('#'))
                    .map(str::to_string),
            );
        }
    }
    facts.package_manager.set(PackageManagerFacts {
        modules,
        unfinished_transactions,
        versionlocks,
    });
    Ok(())
}
