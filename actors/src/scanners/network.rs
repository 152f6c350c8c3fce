//! `network_scanner`: legacy `ifcfg-*` files and their `route-*`/`rule-*` companions,
//! NetworkManager keyfiles (with their connection type), whether the legacy `network` service
//! is enabled, and custom network-scripts hooks.

use crate::facts::kv;
use crate::facts::network::{IfcfgFile, NetworkFacts, NmConnection};
use crate::model::{Env, Facts};
use crate::registry::Scanner;

use super::{list, read_text};

/// Where ifcfg files live.
pub const IFCFG_DIR: &str = "/etc/sysconfig/network-scripts";

/// Where NetworkManager keyfiles live.
pub const NM_KEYFILE_DIR: &str = "/etc/NetworkManager/system-connections";

/// Hooks of the legacy network-scripts that NetworkManager never runs.
pub const CUSTOM_NETWORK_SCRIPTS: &[&str] = &[
    "/sbin/ifup-local",
    "/sbin/ifup-pre-local",
    "/sbin/ifdown-local",
    "/sbin/ifdown-pre-local",
];

/// SysV runlevel directories in which an enabled `network` service has a start link.
pub const RUNLEVEL_DIRS: &[&str] = &[
    "/etc/rc.d/rc2.d",
    "/etc/rc.d/rc3.d",
    "/etc/rc.d/rc4.d",
    "/etc/rc.d/rc5.d",
];

/// The scanner.
pub const SCANNER: Scanner = Scanner::new(
    "network_scanner",
    "Reads legacy ifcfg files, NetworkManager keyfiles, whether the legacy network service is enabled and custom network-scripts hooks.",
    &[
        IFCFG_DIR,
        NM_KEYFILE_DIR,
        "/etc/rc.d",
        "/sbin/ifup-local",
        "/sbin/ifdown-local",
    ],
    &["facts.network"],
    run,
);

/// Reads the `[connection]` settings of a keyfile (lenient: unknown lines are skipped).
pub fn parse_keyfile(file: &str, text: &str) -> NmConnection {
    let mut c = NmConnection {
        file: file.to_string(),
        ..Default::default()
    };
    let mut section = String::new();
    for line in text.lines().map(str::trim) {
        if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
            continue;
        }
        if let Some(h) = line.strip_prefix('[') {
            section = h.trim_end_matches(']').trim().to_string();
            continue;
        }
        if section != "connection" {
            continue;
        }
        let Some((k, v)) = line.split_once('=') else {
            continue;
        };
        let v = Some(v.trim().to_string()).filter(|v| !v.is_empty());
        match k.trim() {
            "id" => c.id = v,
            "type" => c.kind = v,
            "port-type" | "slave-type" => c.port_type = v,
            "interface-name" => c.interface = v,
            _ => {}
        }
    }
    c
}

fn run(env: &Env, facts: &Facts) -> Result<(), String> {
    let mut ifcfg = Vec::new();
    let mut ifcfg_companions = Vec::new();
    for path in list(&env.root, IFCFG_DIR, |n| {
        !n.ends_with(".bak") && !n.ends_with('~') && !n.ends_with(".rpmsave")
    })? {
        let file = path.display().to_string();
        let base = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        if let Some(name) = base.strip_prefix("ifcfg-") {
            if name == "lo" {
                continue;
            }
            let vars = read_text(&env.root, &file)?
                .map(|t| kv::parse(&t))
                .unwrap_or_default();
            ifcfg.push(IfcfgFile {
                file,
                name: name.to_string(),
                vars,
            });
        } else if ["route-", "route6-", "rule-", "rule6-"]
            .iter()
            .any(|p| base.starts_with(p))
        {
            ifcfg_companions.push(file);
        }
    }
    let mut nm_keyfiles = Vec::new();
    let mut nm_connections = Vec::new();
    for path in list(&env.root, NM_KEYFILE_DIR, |_| true)? {
        let file = path.display().to_string();
        if let Some(text) = read_text(&env.root, &file)? {
            nm_connections.push(parse_keyfile(&file, &text));
        }
        nm_keyfiles.push(file);
    }
    let mut legacy_network_service = Vec::new();
    for dir in RUNLEVEL_DIRS {
        legacy_network_service.extend(
            list(&env.root, dir, |n| {
                n.starts_with('S') && n.ends_with("network")
            })?
            .iter()
            .map(|p| p.display().to_string()),
        );
    }
    let custom_network_scripts = CUSTOM_NETWORK_SCRIPTS
        .iter()
        .filter(|p| env.root.is_file(p))
        .map(|p| p.to_string())
        .collect();
    facts.network.set(NetworkFacts {
        ifcfg,
        ifcfg_companions,
        nm_keyfiles,
        nm_connections,
        legacy_network_service,
        custom_network_scripts,
    });
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn keyfile_connection_settings() {
        let c = super::parse_keyfile(
            "/etc/NetworkManager/system-connections/team0.nmconnection",
            "[connection]\nid=team0\ntype=team\ninterface-name=team0\n\n[team]\nconfig={}\n[ipv4]\nmethod=auto\ntype=ignored\n",
        );
        assert_eq!(c.kind.as_deref(), Some("team"));
        assert_eq!(c.interface.as_deref(), Some("team0"));
        let p = super::parse_keyfile(
            "p",
            "garbage\n[connection]\nslave-type=team\nmaster=team0\n",
        );
        assert_eq!(p.port_type.as_deref(), Some("team"));
        assert_eq!(p.kind, None);
    }
}
