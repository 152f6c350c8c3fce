//! `hardware_scanner`: data about hardware support in the target: leapp's
//! `device_driver_deprecation_data.json` when the host carries it.

use serde::Serialize;

use crate::model::{Env, Facts};
use crate::registry::{ActorInfo, Phase, Scanner};

/// Where the driver deprecation data is looked for, in order.
pub const DRIVER_DATA_PATHS: &[&str] = &[
    "/etc/leapfrog/files/device_driver_deprecation_data.json",
    "/etc/leapp/files/device_driver_deprecation_data.json",
];

/// Hardware-support data.
#[derive(Debug, Clone, Default, Serialize)]
pub struct HardwareFacts {
    /// Which file the driver data came from, if any.
    pub driver_data_file: Option<String>,
}

/// The scanner.
pub const SCANNER: Scanner = Scanner {
    info: ActorInfo {
        id: "hardware_scanner",
        phase: Phase::Facts,
        description: "Reads leapp's device driver deprecation data (drivers and PCI ids removed or deprecated per release).",
        reads: DRIVER_DATA_PATHS,
        produces: &["facts.hardware"],
    },
    run,
};

fn run(env: &Env, facts: &Facts) -> Result<(), String> {
    let driver_data_file = DRIVER_DATA_PATHS
        .iter()
        .find(|p| env.root.is_file(p))
        .map(|p| p.to_string());
    facts.hardware.set(HardwareFacts { driver_data_file });
    Ok(())
}
