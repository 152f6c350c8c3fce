//! Hardware-support facts ([`crate::model::Facts::hardware`], filled by `hardware_scanner`): the
//! entries of the device driver deprecation data that concern the host.

use serde::Serialize;

/// Support of a kernel driver across majors (a driver entry of the data).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DriverSupport {
    /// The module name as loaded (`-` written `_`, as in `/proc/modules`).
    pub driver: String,
    /// Description from the data (may be empty).
    pub name: String,
    /// Majors whose kernel still has the driver.
    pub available_in: Vec<u32>,
    /// Majors in which it is maintained.
    pub maintained_in: Vec<u32>,
    /// `deprecation_announced` (free text, often empty).
    pub deprecation_announced: String,
}

/// Support of one PCI device present on the host (a PCI entry of the data).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PciSupport {
    /// `vvvv:dddd`, lowercase hex.
    pub id: String,
    /// Bus address of the device on the host.
    pub address: String,
    /// Driver bound to it on the host, when any.
    pub bound_driver: Option<String>,
    /// The driver the data names for it.
    pub driver: String,
    /// Description from the data.
    pub name: String,
    /// Majors that support the device.
    pub available_in: Vec<u32>,
    /// Majors in which its support is maintained.
    pub maintained_in: Vec<u32>,
}

/// Hardware-support data.
#[derive(Debug, Clone, Default, Serialize)]
pub struct HardwareFacts {
    /// Which file the driver data came from, if any.
    pub driver_data_file: Option<String>,
    /// `provided_data_streams` of that file.
    pub data_streams: Vec<String>,
    /// Entries of the file (all kinds).
    pub entries_total: usize,
    /// Driver entries of the modules loaded on the host, sorted by driver.
    pub drivers: Vec<DriverSupport>,
    /// PCI entries of the devices present on the host, sorted by address.
    pub pci_devices: Vec<PciSupport>,
}
