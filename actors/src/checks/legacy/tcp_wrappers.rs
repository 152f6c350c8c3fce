//! `tcp_wrappers_check`: EL8 removed TCP wrappers, so access rules in `/etc/hosts.allow` and
//! `/etc/hosts.deny` silently stop protecting services after the upgrade.

use crate::finding::{Finding, FindingInfo, Level, bullet_list};
use crate::model::CheckInput;
use crate::registry::Check;

const ID: &str = "tcp_wrappers_check";

const TCP_WRAPPERS_RULES: FindingInfo = FindingInfo {
    key: "legacy.tcp-wrappers-rules",
    level: Level::Inhibitor,
    title: "TCP wrappers rules would stop being enforced",
};

/// The check.
pub const CHECK: Check = Check::new(
    ID,
    "Blocks an upgrade to EL8+ while /etc/hosts.allow or /etc/hosts.deny hold rules that would stop being enforced.",
    &["facts.config", "facts.release", "target"],
    &[TCP_WRAPPERS_RULES],
    run,
);

fn run(input: &CheckInput<'_>) -> Vec<Finding> {
    if !(input.source_major() == Some(7) && input.upgrading_to_at_least(8)) {
        return Vec::new();
    }
    let Some(cfg) = input.facts.config.get() else {
        return Vec::new();
    };
    if cfg.tcp_wrappers_rules.is_empty() {
        return Vec::new();
    }
    let lines: Vec<String> = cfg
        .tcp_wrappers_rules
        .iter()
        .map(|(f, l)| format!("{f}: {l}"))
        .collect();
    let mut files: Vec<&str> = cfg
        .tcp_wrappers_rules
        .iter()
        .map(|(f, _)| f.as_str())
        .collect();
    files.dedup();
    vec![
        Finding::of(
            &TCP_WRAPPERS_RULES,
            ID,
            format!("EL8 removed TCP wrappers (libwrap); these access rules would silently stop applying after the upgrade:\n{}", bullet_list(&lines, 20)),
        )
        .hint("Re-create the rules as firewalld rich rules or in the services' own configuration, then empty /etc/hosts.allow and /etc/hosts.deny (keep comments).")
        .related("file", files)
        .groups(&["security", "network"]),
    ]
}
