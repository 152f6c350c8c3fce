//! `unmerged_config_check`: `.rpmnew` / `.rpmsave` files in `/etc` are configuration changes
//! of earlier updates that were never merged; the upgrade adds many more.

use crate::finding::{Finding, Severity, bullet_list};
use crate::model::CheckInput;
use crate::registry::{ActorInfo, ActorKind, Check, FindingInfo, Level};

const ID: &str = "unmerged_config_check";
const KEY: &str = "config.unmerged-rpmnew";

/// The check.
pub const CHECK: Check = Check {
    info: ActorInfo {
        id: ID,
        kind: ActorKind::Check,
        description: "Lists .rpmnew and .rpmsave files already in /etc, so they are not confused with the upgrade's own.",
        reads: &["facts.config"],
        produces: &[KEY],
    },
    findings: &[FindingInfo {
        key: KEY,
        level: Level::Low,
        title: "Unmerged .rpmnew/.rpmsave files in /etc",
    }],
    run,
};

fn run(input: &CheckInput<'_>) -> Vec<Finding> {
    let Some(cfg) = input.facts.config.get() else {
        return Vec::new();
    };
    if cfg.unmerged_config.is_empty() {
        return Vec::new();
    }
    vec![
        Finding::new(
            KEY,
            ID,
            Severity::Low,
            "Unmerged .rpmnew/.rpmsave files in /etc",
            format!("Configuration changes of earlier updates were never merged:\n{}", bullet_list(&cfg.unmerged_config, 20)),
        )
        .hint("Merge or remove them before upgrading, so the report after the upgrade lists only the upgrade's own .rpmnew files.")
        .related("file", cfg.unmerged_config.clone())
        .groups(&["configuration"]),
    ]
}
