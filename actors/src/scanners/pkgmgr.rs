//! `package_manager_scanner`: dnf module states, unfinished yum/dnf transactions and version
//! locks.

use crate::facts::pkgmgr::{ModuleState, PackageManagerFacts};
use crate::facts::repos::parse_ini;
use crate::model::{Env, Facts};
use crate::registry::Scanner;

use super::{list, read_text};

/// The main configuration files of yum and dnf.
const MAIN_CONFIGS: [&str; 2] = ["/etc/yum.conf", "/etc/dnf/dnf.conf"];

/// Where the yum (EL7) and dnf (EL8+) versionlock plugins keep their configuration and, unless
/// it sets `locklist`, their lock list.
const VERSIONLOCK_PLUGINS: [(&str, &str); 2] = [
    (
        "/etc/yum/pluginconf.d/versionlock.conf",
        "/etc/yum/pluginconf.d/versionlock.list",
    ),
    (
        "/etc/dnf/plugins/versionlock.conf",
        "/etc/dnf/plugins/versionlock.list",
    ),
];

/// The scanner.
pub const SCANNER: Scanner = Scanner::new(
    "package_manager_scanner",
    "Reads dnf module states, unfinished yum transactions, version locks and configured installonly packages.",
    &[
        "/etc/yum.conf",
        "/etc/dnf/dnf.conf",
        "/etc/dnf/modules.d",
        "/var/lib/yum",
        "/etc/yum/pluginconf.d/versionlock.conf",
        "/etc/yum/pluginconf.d/versionlock.list",
        "/etc/dnf/plugins/versionlock.conf",
        "/etc/dnf/plugins/versionlock.list",
    ],
    &["facts.package_manager"],
    run,
);

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
    let mut versionlock_files = Vec::new();
    for file in versionlock_lists(env)? {
        if let Some(t) = read_text(&env.root, &file)? {
            let before = versionlocks.len();
            versionlocks.extend(
                t.lines()
                    .map(str::trim)
                    .filter(|l| !l.is_empty() && !l.starts_with('#'))
                    .map(str::to_string),
            );
            if versionlocks.len() > before {
                versionlock_files.push(file);
            }
        }
    }
    let mut installonlypkgs: Vec<String> = Vec::new();
    for conf in MAIN_CONFIGS {
        let Some(text) = read_text(&env.root, conf)? else {
            continue;
        };
        // An unparsable main configuration is not this scanner's concern (yum/dnf report it).
        let Ok(sections) = parse_ini(&text) else {
            continue;
        };
        for value in sections
            .iter()
            .filter(|(name, _)| name == "main")
            .flat_map(|(_, pairs)| pairs.iter())
            .filter(|(k, _)| k == "installonlypkgs")
            .map(|(_, v)| v)
        {
            for item in value.split(|c: char| c.is_whitespace() || c == ',') {
                if !item.is_empty() && !installonlypkgs.iter().any(|i| i == item) {
                    installonlypkgs.push(item.to_string());
                }
            }
        }
    }
    facts.package_manager.set(PackageManagerFacts {
        modules,
        unfinished_transactions,
        versionlocks,
        versionlock_files,
        installonlypkgs,
    });
    Ok(())
}

/// The lock lists of both plugins: the `locklist` their configuration sets (when it is an
/// absolute path), else the default one.
fn versionlock_lists(env: &Env) -> Result<Vec<String>, String> {
    let mut lists: Vec<String> = Vec::new();
    for (conf, default) in VERSIONLOCK_PLUGINS {
        let configured = read_text(&env.root, conf)?
            .and_then(|text| parse_ini(&text).ok())
            .and_then(|sections| {
                sections
                    .into_iter()
                    .find(|(name, _)| name == "main")
                    .and_then(|(_, pairs)| pairs.into_iter().find(|(k, _)| k == "locklist"))
                    .map(|(_, v)| v)
            })
            .filter(|v| v.starts_with('/'));
        let list = configured.unwrap_or_else(|| default.to_string());
        if !lists.contains(&list) {
            lists.push(list);
        }
    }
    Ok(lists)
}
