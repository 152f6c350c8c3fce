//! `control_panel_check`: no hosting control panel (cPanel, Plesk, DirectAdmin) is installed.
//! Panels ship their own packages, services and databases that a distribution upgrade knows
//! nothing about; each vendor has its own upgrade procedure that must be followed instead.

use crate::facts::system::CONTROL_PANELS;
use crate::finding::{Finding, FindingInfo, Level};
use crate::model::CheckInput;
use crate::registry::Check;

const ID: &str = "control_panel_check";

const CONTROL_PANEL: FindingInfo = FindingInfo {
    key: "system.control-panel",
    level: Level::Inhibitor,
    title: "A hosting control panel is installed",
};

/// The check.
pub const CHECK: Check = Check::new(
    ID,
    "Inhibits when cPanel, Plesk or DirectAdmin is installed: their vendors' own upgrade procedures must be used.",
    &["facts.system", "facts.release", "target"],
    &[CONTROL_PANEL],
    run,
);

fn procedure(panel: &str, source: Option<u32>) -> String {
    match panel {
        "cPanel" => "cPanel: use cPanel's own ELevate wrapper, /scripts/elevate-cpanel (`/scripts/elevate-cpanel --check`, \
                     then `--start`); it stops and restores cPanel's services, databases and EasyApache \
                     packages around the distribution upgrade."
            .to_string(),
        "Plesk" => format!(
            "Plesk: use Plesk's own conversion tool for this path{}; where Plesk publishes none, Plesk \
             does not support an in-place upgrade and the sites must be migrated to a new server with \
             Plesk Migrator.",
            match source {
                Some(7) => " (plesk/centos2alma for CentOS 7 to AlmaLinux 8)",
                Some(9) => " (plesk/almalinux9to10 for AlmaLinux 9 to 10)",
                _ => "",
            }
        ),
        "DirectAdmin" => "DirectAdmin: follow DirectAdmin's documented procedure for OS major upgrades, which \
                          rebuilds all software installed by CustomBuild for the new release after the \
                          distribution upgrade."
            .to_string(),
        other => format!("{other}: follow the panel vendor's own upgrade procedure."),
    }
}

fn run(input: &CheckInput<'_>) -> Vec<Finding> {
    let Some(sys) = input.facts.system.get() else {
        return Vec::new();
    };
    if sys.control_panels.is_empty() {
        return Vec::new();
    }
    let found: Vec<String> = sys
        .control_panels
        .iter()
        .map(|p| {
            let marker = CONTROL_PANELS
                .iter()
                .find(|(n, _)| n == p)
                .map_or(String::new(), |(_, f)| format!(" ({f})"));
            format!("{p}{marker}")
        })
        .collect();
    let source = input.source_major();
    let hint = sys
        .control_panels
        .iter()
        .map(|p| procedure(p, source))
        .collect::<Vec<_>>()
        .join("\n");
    vec![
        Finding::of(
            &CONTROL_PANEL,
            ID,
            format!(
                "{} is installed. Control panels ship their own packages, services, PHP and database stacks \
                 and licences that a distribution upgrade does not know about; upgrading underneath the \
                 panel leaves it broken.",
                found.join(" and ")
            ),
        )
        .hint(hint)
        .related("control-panel", sys.control_panels.iter().cloned())
        .groups(&["sanity"]),
    ]
}
