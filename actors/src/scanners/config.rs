//! `config_scanner`: configuration that package changes across majors break: TCP wrappers rules,
//! package-manager excludes, and unmerged `.rpmnew`/`.rpmsave` files in `/etc`.

use crate::facts::config::{ConfigFacts, Exclude};
use crate::facts::repos::parse_ini;
use crate::model::{Env, Facts};
use crate::registry::Scanner;

use super::read_text;

/// The scanner.
pub const SCANNER: Scanner = Scanner::new(
    "config_scanner",
    "Reads TCP wrappers rules, package-manager excludes and finds unmerged .rpmnew/.rpmsave files in /etc.",
    &[
        "/etc/hosts.allow",
        "/etc/hosts.deny",
        "/etc/dnf/dnf.conf",
        "/etc/yum.conf",
        "/etc",
    ],
    &["facts.config"],
    run,
);

const MAX_DEPTH: usize = 6;

fn walk(env: &Env, dir: &std::path::Path, depth: usize, out: &mut Vec<String>) {
    if depth > MAX_DEPTH {
        return;
    }
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let Ok(ft) = e.file_type() else { continue };
        let p = e.path();
        if ft.is_dir() {
            walk(env, &p, depth + 1, out);
        } else if ft.is_file() {
            let name = e.file_name().to_string_lossy().into_owned();
            if (name.ends_with(".rpmnew") || name.ends_with(".rpmsave"))
                && let Ok(rel) = p.strip_prefix(env.root.path())
            {
                out.push(format!("/{}", rel.display()));
            }
        }
    }
}

fn run(env: &Env, facts: &Facts) -> Result<(), String> {
    let mut tcp_wrappers_rules = Vec::new();
    for f in ["/etc/hosts.allow", "/etc/hosts.deny"] {
        if let Some(t) = read_text(&env.root, f)? {
            tcp_wrappers_rules.extend(
                t.lines()
                    .map(str::trim)
                    .filter(|l| !l.is_empty() && !l.starts_with('#'))
                    .map(|l| (f.to_string(), l.to_string())),
            );
        }
    }
    let mut excludes = Vec::new();
    for f in ["/etc/dnf/dnf.conf", "/etc/yum.conf"] {
        // on EL8+ /etc/yum.conf is a link to dnf.conf: read each real file once
        if f == "/etc/yum.conf"
            && env.root.resolve(f).ok() == env.root.resolve("/etc/dnf/dnf.conf").ok()
        {
            continue;
        }
        let Some(t) = read_text(&env.root, f)? else {
            continue;
        };
        let sections = parse_ini(&t).map_err(|e| format!("{f}: {e}"))?;
        for (section, pairs) in sections {
            let patterns: Vec<String> = pairs
                .iter()
                .filter(|(k, _)| k == "exclude" || k == "excludepkgs")
                .flat_map(|(_, v)| {
                    v.split([',', ' ', '\n'])
                        .map(str::trim)
                        .filter(|p| !p.is_empty())
                        .map(str::to_string)
                        .collect::<Vec<_>>()
                })
                .collect();
            if !patterns.is_empty() {
                excludes.push(Exclude {
                    file: f.to_string(),
                    section,
                    patterns,
                });
            }
        }
    }
    let mut unmerged_config = Vec::new();
    if let Ok(etc) = env.root.resolve("/etc") {
        walk(env, &env.root.host_path(&etc), 0, &mut unmerged_config);
    }
    unmerged_config.sort();
    facts.config.set(ConfigFacts {
        tcp_wrappers_rules,
        excludes,
        unmerged_config,
    });
    Ok(())
}
