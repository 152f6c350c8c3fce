//! `unmerged_config_check`: `.rpmnew` / `.rpmsave` files in `/etc` are configuration changes
//! of earlier updates that were never merged; the upgrade adds many more.

use crate::finding::{Finding, FindingInfo, Level, bullet_list};
use crate::model::CheckInput;
use crate::registry::Check;

const ID: &str = "unmerged_config_check";

const UNMERGED_RPMNEW: FindingInfo = FindingInfo {
    key: "config.unmerged-rpmnew",
    level: Level::Low,
    title: "Unmerged .rpmnew/.rpmsave files in /etc",
};

/// The check.
pub const CHECK: Check = Check::new(
    ID,
    "Lists .rpmnew and .rpmsave files already in /etc, so they are not confused with the upgrade's own.",
    &["facts.config"],
    &[UNMERGED_RPMNEW],
    run,
);

fn run(input: &CheckInput<'_>) -> Vec<Finding> {
    let Some(cfg) = input.facts.config.get() else {
        return Vec::new();
    };
    if cfg.unmerged_config.is_empty() {
        return Vec::new();
    }
    vec![
        Finding::of(
            &UNMERGED_RPMNEW,
            ID,
            format!("Configuration changes of earlier updates were never merged:\n{}", bullet_list(&cfg.unmerged_config, 20)),
        )
        .hint("Merge or remove them before upgrading, so the report after the upgrade lists only the upgrade's own .rpmnew files.")
        .related("file", cfg.unmerged_config.clone())
        .groups(&["configuration"]),
    ]
}
