//! Network facts ([`crate::model::Facts::network`], filled by `network_scanner`): legacy ifcfg
//! files, NetworkManager keyfiles, the legacy `network` service and network-scripts hooks.

use std::collections::BTreeMap;

use serde::Serialize;

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

/// A NetworkManager keyfile connection profile (the settings that matter for the upgrade).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct NmConnection {
    /// Path inside the root.
    pub file: String,
    /// `connection.id`.
    pub id: Option<String>,
    /// `connection.type` (`ethernet`, `team`, `bond`, ...).
    pub kind: Option<String>,
    /// `connection.port-type` / `connection.slave-type` (`team`, `bond`, `bridge`).
    pub port_type: Option<String>,
    /// `connection.interface-name`.
    pub interface: Option<String>,
}

/// Network configuration.
#[derive(Debug, Clone, Default, Serialize)]
pub struct NetworkFacts {
    /// `ifcfg-*` files (without `ifcfg-lo`).
    pub ifcfg: Vec<IfcfgFile>,
    /// `route-*`, `route6-*`, `rule-*` and `rule6-*` files next to the ifcfg files.
    pub ifcfg_companions: Vec<String>,
    /// NetworkManager keyfiles in `/etc/NetworkManager/system-connections`.
    pub nm_keyfiles: Vec<String>,
    /// The same keyfiles, parsed.
    pub nm_connections: Vec<NmConnection>,
    /// Start links of the legacy `network` service (`/etc/rc.d/rc3.d/S10network`, ...): it is
    /// enabled.
    pub legacy_network_service: Vec<String>,
    /// Custom network-scripts hooks that exist (`/sbin/ifup-local`, ...).
    pub custom_network_scripts: Vec<String>,
}
