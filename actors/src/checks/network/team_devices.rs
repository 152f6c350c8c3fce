//! `team_devices_check`: no network teaming (teamd) in use. Teaming is deprecated in EL9 and
//! removed from EL10; its devices do not come up on EL10.

use crate::finding::{Finding, FindingInfo, Level, bullet_list};
use crate::model::CheckInput;
use crate::registry::Check;

const ID: &str = "team_devices_check";

const TEAM_REMOVED: FindingInfo = FindingInfo {
    key: "network.team-removed",
    level: Level::Inhibitor,
    title: "Network teaming is removed from the target",
};

const TEAM_DEPRECATED: FindingInfo = FindingInfo {
    key: "network.team-deprecated",
    level: Level::High,
    title: "Network teaming is deprecated on the target",
};

/// The check.
pub const CHECK: Check = Check::new(
    ID,
    "Finds team devices and team ports in ifcfg files and NetworkManager keyfiles: an inhibitor when going to EL10 (teamd removed), high when going to EL9 (deprecated).",
    &["facts.network", "facts.release", "target"],
    &[TEAM_REMOVED, TEAM_DEPRECATED],
    run,
);

const HINT: &str = "Replace each team with a bond (the kernel bonding driver does the same with NetworkManager): \
    export the team's configuration with `teamdctl <team> config dump actual > /root/<team>.json`, \
    let `team2bond --config=/root/<team>.json --rename=<bond>` (teamd package) print the equivalent nmcli \
    commands (add --exec-cmd to run them), delete the team and team-port profiles, then give the bond its \
    IP addresses, routes and DNS settings again (team2bond converts only the link settings). Runner to \
    bond mode: activebackup -> active-backup, loadbalance -> balance-xor, lacp -> 802.3ad, \
    roundrobin -> balance-rr, broadcast -> broadcast. Do this from a console.";

fn run(input: &CheckInput<'_>) -> Vec<Finding> {
    let Some(net) = input.facts.network.get() else {
        return Vec::new();
    };
    let (Some(source), Some(target)) = (input.source_major(), input.target_major()) else {
        return Vec::new();
    };
    if target <= source || target < 9 {
        return Vec::new();
    }
    let mut items = Vec::new();
    let mut files = Vec::new();
    for f in &net.ifcfg {
        let kind = f.kind().map(str::to_ascii_lowercase);
        let role = match kind.as_deref() {
            Some("team") => Some("team device"),
            Some("teamport") => Some("team port"),
            _ if f.vars.contains_key("TEAM_CONFIG") => Some("team device"),
            _ if f.vars.contains_key("TEAM_MASTER") => Some("team port"),
            _ => None,
        };
        if let Some(role) = role {
            items.push(format!("{} ({role} {})", f.file, f.device()));
            files.push(f.file.clone());
        }
    }
    for c in &net.nm_connections {
        let role = if c.kind.as_deref() == Some("team") {
            Some("team device")
        } else if c.port_type.as_deref() == Some("team") {
            Some("team port")
        } else {
            None
        };
        if let Some(role) = role {
            let name = c.interface.as_deref().or(c.id.as_deref()).unwrap_or("?");
            items.push(format!("{} ({role} {name})", c.file));
            files.push(c.file.clone());
        }
    }
    if items.is_empty() {
        return Vec::new();
    }
    let list = bullet_list(&items, 20);
    let f = if target >= 10 {
        Finding::of(
            &TEAM_REMOVED,
            ID,
            format!(
                "EL{target} no longer ships teamd or NetworkManager's team plugin; these team devices would not come up after the upgrade:\n{list}"
            ),
        )
    } else {
        Finding::of(
            &TEAM_DEPRECATED,
            ID,
            format!(
                "Network teaming still works on EL9 but is deprecated there and removed in EL10; this configuration must be converted to bonding before the next major upgrade:\n{list}"
            ),
        )
    };
    vec![
        f.hint(HINT)
            .related("file", files)
            .related("package", ["teamd", "NetworkManager-team"])
            .groups(&["network"]),
    ]
}
