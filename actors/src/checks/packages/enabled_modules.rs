//! `enabled_modules_check`: reports the module streams enabled on EL8/EL9 that a major upgrade
//! resets. Module streams do not carry over to the next major release: EL9 has other streams
//! (and non-modular defaults), EL10 has no modules at all.

use crate::finding::{Finding, FindingInfo, Level, bullet_list};
use crate::model::CheckInput;
use crate::registry::Check;

use super::origin;

const ID: &str = "enabled_modules_check";

const MODULES_RESET: FindingInfo = FindingInfo {
    key: "packages.modules-reset",
    level: Level::Info,
    title: "Enabled module streams will be reset",
};

/// The check.
pub const CHECK: Check = Check::new(
    ID,
    "Lists the dnf module streams enabled on the source that the major upgrade resets.",
    &["facts.package_manager", "facts.release", "target"],
    &[MODULES_RESET],
    run,
);

fn run(input: &CheckInput<'_>) -> Vec<Finding> {
    if !origin::is_major_upgrade(input) {
        return Vec::new();
    }
    let Some(pm) = input.facts.package_manager.get() else {
        return Vec::new();
    };
    let streams: Vec<String> = pm
        .modules
        .iter()
        .filter(|m| m.state.as_deref() == Some("enabled"))
        .map(|m| match &m.stream {
            Some(s) => format!("{}:{s}", m.name),
            None => m.name.clone(),
        })
        .collect();
    if streams.is_empty() {
        return Vec::new();
    }
    let (target, after) = match input.target {
        Some(t) if t.major >= 10 => (
            format!("{} {}", t.name, t.major),
            "it has no modules: their packages come in the versions of its AppStream repository",
        ),
        Some(t) => (
            format!("{} {}", t.name, t.major),
            "their packages come from its default (non-modular) AppStream versions unless you enable one of its streams after the upgrade",
        ),
        None => (
            "the target".to_string(),
            "their packages come from the target's defaults",
        ),
    };
    vec![
        Finding::of(
            &MODULES_RESET,
            ID,
            format!(
                "The upgrade resets these enabled module streams (files in /etc/dnf/modules.d); on {target} {after}:\n{}",
                bullet_list(&streams, 20)
            ),
        )
        .hint(format!("Nothing to do before the upgrade. Afterwards check the versions you got (for example of databases, whose data may need a migration) and enable another stream with `dnf module enable NAME:STREAM` where {target} offers one."))
        .related("module", streams.iter().cloned())
        .groups(&["repository"]),
    ]
}
