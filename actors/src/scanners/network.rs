//! `network_scanner`: legacy `ifcfg-*` files and NetworkManager keyfiles.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::facts::kv;
use crate::model::{Env, Facts};
use crate::registry::{ActorInfo, Phase, Scanner};

use super::{list, read_text};

/// Where ifcfg files live.
pub const IFCFG_DIR: &str = "/etc/sysconfig/network-scripts";

/// One `ifcfg-<name>` file.
#[derive(Debug, Clone, Serialize)]
pub struct IfcfgFile {
    /// Path inside the root.
    pub file: String,
    /// The name after `ifcfg-`.
    pub name: String,
    /// Its assignments.
    pub vars: BTreeMap<String, String>,
}

impl IfcfgFile {
    /// `NM_CONTROLLED` is explicitly `no`.
    pub fn not_nm_controlled(&self) -> bool {
        self.vars
            .get("NM_CONTROLLED")
            .is_some_and(|v| matches!(v.to_ascii_lowercase().as_str(), "no" | "n" | "false" | "0"))
    }
    /// The device name (`DEVICE`, else the file's name).
    pub fn device(&self) -> &str {
        self.vars
            .get("DEVICE")
            .map_or(self.name.as_str(), String::as_str)
    }
    /// The `TYPE` / `DEVICETYPE` (e.g. `Team`, `Bond`, `Ethernet`).
    pub fn kind(&self) -> Option<&str> {
        self.vars
            .get("DEVICETYPE")
            .or_else(|| self.vars.get("TYPE"))
            .map(String::as_str)
    }
}

/// Network configuration.
#[derive(Debug, Clone, Default, Serialize)]
pub struct NetworkFacts {
    /// `ifcfg-*` files (without `ifcfg-lo`).
    pub ifcfg: Vec<IfcfgFile>,
    /// NetworkManager keyfiles in `/etc/NetworkManager/system-connections`.
    pub nm_keyfiles: Vec<String>,
}

/// The scanner.
pub const SCANNER: Scanner = Scanner {
    info: ActorInfo {
        id: "network_scanner",
        phase: Phase::Facts,
        description: "Reads legacy ifcfg files and lists NetworkManager keyfiles.",
        reads: &[IFCFG_DIR, "/etc/NetworkManager/system-connections"],
        produces: &["facts.network"],
    },
    run,
};

fn run(env: &Env, facts: &Facts) -> Result<(), String> {
    let mut ifcfg = Vec::new();
    for path in list(&env.root, IFCFG_DIR, |n| {
        n.starts_with("ifcfg-") && n != "ifcfg-lo" && !n.ends_with(".bak") && !n.ends_with('~')
    })? {
        let file = path.display().to_string();
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().trim_start_matches("ifcfg-").to_string())
            .unwrap_or_default();
        let vars = read_text(&env.root, &file)?
            .map(|t| kv::parse(&t))
            .unwrap_or_default();
        ifcfg.push(IfcfgFile { file, name, vars });
    }
    let nm_keyfiles = list(&env.root, "/etc/NetworkManager/system-connections", |_| {
        true
    })?
    .iter()
    .map(|p| p.display().to_string())
    .collect();
    facts.network.set(NetworkFacts { ifcfg, nm_keyfiles });
    Ok(())
}
