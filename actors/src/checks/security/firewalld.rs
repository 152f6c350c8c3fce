//! `firewalld_check`: firewalld's `AllowZoneDrifting` is not enabled. EL9's firewalld removed
//! zone drifting; a configuration relying on it filters traffic differently after the upgrade.

use crate::finding::{Finding, FindingInfo, Level};
use crate::model::CheckInput;
use crate::registry::Check;

const ID: &str = "firewalld_check";
const CONF: &str = "/etc/firewalld/firewalld.conf";

const FIREWALLD_ZONE_DRIFTING: FindingInfo = FindingInfo {
    key: "security.firewalld-zone-drifting",
    level: Level::Inhibitor,
    title: "firewalld has AllowZoneDrifting enabled",
};

/// The check.
pub const CHECK: Check = Check::new(
    ID,
    "Inhibits an upgrade to EL9 or later when firewalld.conf has AllowZoneDrifting=yes (zone drifting was removed in EL9).",
    &["facts.security", "facts.release", "target"],
    &[FIREWALLD_ZONE_DRIFTING],
    run,
);

fn run(input: &CheckInput<'_>) -> Vec<Finding> {
    let Some(sec) = input.facts.security.get() else {
        return Vec::new();
    };
    if !input.upgrading_to_at_least(9) {
        return Vec::new();
    }
    let Some(value) = sec.firewalld_allow_zone_drifting.as_deref() else {
        return Vec::new();
    };
    if !matches!(value.trim().to_ascii_lowercase().as_str(), "yes" | "true") {
        return Vec::new();
    }
    vec![
        Finding::of(
            &FIREWALLD_ZONE_DRIFTING,
            ID,
            format!(
                "{CONF} sets AllowZoneDrifting={value}. With zone drifting, a packet whose source matches a \
                 source-based zone but is not accepted there falls through to the interface's zone. EL9's \
                 firewalld no longer supports it, so rules that rely on it stop applying after the upgrade."
            ),
        )
        .hint(
            "Disable zone drifting now and check that the services you need are still reachable (add them to \
             the source-based zones that need them), then reload firewalld: \
             `sed -i 's/^AllowZoneDrifting=.*/AllowZoneDrifting=no/' /etc/firewalld/firewalld.conf` and \
             `firewall-cmd --reload`.",
        )
        .command([
            "sed",
            "-i",
            "s/^AllowZoneDrifting=.*/AllowZoneDrifting=no/",
            CONF,
        ])
        .related("file", [CONF])
        .related("package", ["firewalld"])
        .groups(&["security", "firewall", "network"]),
    ]
}
