//! `ifcfg_check`: legacy network configuration survives the upgrade. On EL9 the legacy
//! network-scripts are gone and NetworkManager is the only thing that reads `ifcfg-*` files
//! (and only those it is allowed to manage); on EL10 NetworkManager no longer reads `ifcfg-*`
//! files at all.

use crate::facts::network::IfcfgFile;
use crate::finding::{Finding, FindingInfo, Level, bullet_list};
use crate::model::CheckInput;
use crate::registry::Check;

const ID: &str = "ifcfg_check";

/// Device types NetworkManager's ifcfg-rh plugin can load (lowercase `TYPE`/`DEVICETYPE`).
pub const NM_IFCFG_TYPES: &[&str] = &[
    "ethernet",
    "ctc",
    "infiniband",
    "bond",
    "vlan",
    "bridge",
    "wireless",
    "team",
    "teamport",
];

const IFCFG_LEGACY: FindingInfo = FindingInfo {
    key: "network.ifcfg-legacy",
    level: Level::Inhibitor,
    title: "Network configuration depends on the legacy network-scripts",
};

const IFCFG_UNSUPPORTED: FindingInfo = FindingInfo {
    key: "network.ifcfg-unsupported",
    level: Level::Inhibitor,
    title: "ifcfg network configuration is not read on the target",
};

const IFCFG_MIGRATION: FindingInfo = FindingInfo {
    key: "network.ifcfg-migration",
    level: Level::Info,
    title: "ifcfg network configuration should be migrated to keyfiles",
};

/// The check.
pub const CHECK: Check = Check::new(
    ID,
    "Verifies that ifcfg network configuration keeps working: no NM_CONTROLLED=no files, enabled legacy network service or network-scripts hooks when going to EL9, no ifcfg files at all when going to EL10, and suggests migrating ifcfg files to keyfiles on EL9.",
    &["facts.network", "facts.rpm", "facts.release", "target"],
    &[IFCFG_LEGACY, IFCFG_UNSUPPORTED, IFCFG_MIGRATION],
    run,
);

fn unsupported_type(f: &IfcfgFile) -> Option<String> {
    let kind = f.kind()?;
    (!NM_IFCFG_TYPES.contains(&kind.to_ascii_lowercase().as_str())).then(|| kind.to_string())
}

fn run(input: &CheckInput<'_>) -> Vec<Finding> {
    let Some(net) = input.facts.network.get() else {
        return Vec::new();
    };
    let (Some(source), Some(target)) = (input.source_major(), input.target_major()) else {
        return Vec::new();
    };
    if target <= source {
        return Vec::new();
    }
    if input.upgrading_to_at_least(10) {
        return unsupported(input, target);
    }
    if target != 9 {
        return Vec::new();
    }
    let rpm = input.facts.rpm.get();
    let installed = |n: &str| rpm.is_some_and(|r| r.has(n));
    let network_scripts = installed("network-scripts");
    let nm_installed = installed("NetworkManager");

    let mut reasons = Vec::new();
    let mut legacy_files: Vec<&IfcfgFile> = Vec::new();
    let not_controlled: Vec<&IfcfgFile> =
        net.ifcfg.iter().filter(|f| f.not_nm_controlled()).collect();
    if !not_controlled.is_empty() {
        reasons.push(format!(
            "These ifcfg files forbid NetworkManager to manage their device (NM_CONTROLLED=no); on EL9 nothing else reads them, so the devices stay unconfigured:\n{}",
            bullet_list(&not_controlled.iter().map(|f| format!("{} ({})", f.file, f.device())).collect::<Vec<_>>(), 20)
        ));
        legacy_files.extend(&not_controlled);
    }
    let bad_type: Vec<(&IfcfgFile, String)> = if network_scripts {
        net.ifcfg
            .iter()
            .filter(|f| !f.not_nm_controlled())
            .filter_map(|f| unsupported_type(f).map(|t| (f, t)))
            .collect()
    } else {
        Vec::new()
    };
    if !bad_type.is_empty() {
        reasons.push(format!(
            "These ifcfg files describe device types NetworkManager cannot load, which only the legacy network-scripts handled:\n{}",
            bullet_list(&bad_type.iter().map(|(f, t)| format!("{} (TYPE={t})", f.file)).collect::<Vec<_>>(), 20)
        ));
        legacy_files.extend(bad_type.iter().map(|(f, _)| *f));
    }
    if network_scripts
        && !net.ifcfg.is_empty()
        && (!net.legacy_network_service.is_empty() || !nm_installed)
    {
        let why = if net.legacy_network_service.is_empty() {
            "NetworkManager is not installed, so the legacy `network` service applies them"
                .to_string()
        } else {
            format!(
                "the legacy `network` service is enabled ({})",
                net.legacy_network_service.join(", ")
            )
        };
        reasons.push(format!(
            "The network-scripts package is installed and {why}. EL9 has no network-scripts package and no `network` service; only NetworkManager can bring the network up."
        ));
    }
    if !net.custom_network_scripts.is_empty() {
        reasons.push(format!(
            "Custom network-scripts hooks exist; NetworkManager never runs them:\n{}",
            bullet_list(&net.custom_network_scripts, 10)
        ));
    }
    let mut out = Vec::new();
    if !reasons.is_empty() {
        let mut f = Finding::of(
            &IFCFG_LEGACY,
            ID,
            format!(
                "The upgrade to EL9 removes the legacy network-scripts (deprecated since EL8). {}",
                reasons.join("\n")
            ),
        )
        .hint(
            "Move the network configuration to NetworkManager before upgrading: remove NM_CONTROLLED=no \
             from the ifcfg files (or set it to yes) and describe unsupported device types in a form \
             NetworkManager accepts (see nm-settings-ifcfg-rh(5)); install and enable NetworkManager and \
             stop the legacy service (`dnf install NetworkManager && systemctl disable network && \
             systemctl enable --now NetworkManager`), then `nmcli connection reload` and check every \
             connection with `nmcli connection show`; rewrite ifup/ifdown-local hooks as \
             NetworkManager dispatcher scripts in /etc/NetworkManager/dispatcher.d/. Do this from a \
             console: a mistake takes the host off the network.",
        )
        .related("file", legacy_files.iter().map(|f| f.file.clone()))
        .related("file", net.custom_network_scripts.iter().cloned())
        .related("package", ["network-scripts", "NetworkManager"])
        .groups(&["network", "services"]);
        if !not_controlled.is_empty() {
            f = f.command(
                ["sed", "-i", "/^[[:space:]]*NM_CONTROLLED=/d"]
                    .into_iter()
                    .map(String::from)
                    .chain(not_controlled.iter().map(|f| f.file.clone())),
            );
        }
        out.push(f);
    }
    let nm_read: Vec<&IfcfgFile> = net
        .ifcfg
        .iter()
        .filter(|f| !legacy_files.iter().any(|l| l.file == f.file))
        .collect();
    if !nm_read.is_empty() {
        out.push(
            Finding::of(
                &IFCFG_MIGRATION,
                ID,
                format!(
                    "NetworkManager on EL9 still reads these ifcfg files, so they keep working after the upgrade:\n{}\n\
                     The ifcfg format is deprecated: EL9 writes new profiles as keyfiles and EL10's NetworkManager does not read ifcfg files at all, so they must be migrated before the next major upgrade.",
                    bullet_list(&nm_read.iter().map(|f| f.file.as_str()).collect::<Vec<_>>(), 20)
                ),
            )
            .hint(
                "After the upgrade (EL9 has NetworkManager 1.36 or later, which provides the command), \
                 convert the profiles to keyfiles in /etc/NetworkManager/system-connections with \
                 `nmcli connection migrate`, then check them with `nmcli -f name,uuid,filename connection`.",
            )
            .command(["nmcli", "connection", "migrate"])
            .related("file", nm_read.iter().map(|f| f.file.clone()))
            .groups(&["network"]),
        );
    }
    out
}

fn unsupported(input: &CheckInput<'_>, target: u32) -> Vec<Finding> {
    let Some(net) = input.facts.network.get() else {
        return Vec::new();
    };
    if net.ifcfg.is_empty() && net.ifcfg_companions.is_empty() {
        return Vec::new();
    }
    let mut files: Vec<String> = net
        .ifcfg
        .iter()
        .map(|f| {
            if f.not_nm_controlled() {
                format!("{} (NM_CONTROLLED=no: not loaded by NetworkManager, so `nmcli connection migrate` skips it)", f.file)
            } else {
                f.file.clone()
            }
        })
        .collect();
    files.extend(net.ifcfg_companions.iter().map(|c| {
        if c.rsplit('/').next().is_some_and(|n| n.starts_with("rule")) {
            format!("{c} (policy routing rules: cannot be migrated automatically)")
        } else {
            c.clone()
        }
    }));
    vec![
        Finding::of(
            &IFCFG_UNSUPPORTED,
            ID,
            format!(
                "NetworkManager on EL{target} no longer reads ifcfg files; this configuration would be ignored after the upgrade and its devices left unconfigured:\n{}",
                bullet_list(&files, 30)
            ),
        )
        .hint(
            "Convert the configuration to NetworkManager keyfiles before upgrading: `nmcli connection migrate` \
             (EL9) writes a keyfile in /etc/NetworkManager/system-connections for every ifcfg profile NetworkManager \
             has loaded. Express policy routing rules (rule-*/rule6-*) as ipv4.routing-rules/ipv6.routing-rules \
             first, remove NM_CONTROLLED=no where NetworkManager should manage the device, then check that \
             `nmcli -f name,filename connection` lists no file under /etc/sysconfig/network-scripts and remove \
             the leftovers.",
        )
        .command(["nmcli", "connection", "migrate"])
        .related("file", net.ifcfg.iter().map(|f| f.file.clone()))
        .related("file", net.ifcfg_companions.iter().cloned())
        .related("package", ["NetworkManager"])
        .groups(&["network", "services"]),
    ]
}
