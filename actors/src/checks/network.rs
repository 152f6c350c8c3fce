//! Checks of the network domain: NIC naming, legacy ifcfg configuration, network teaming.

use crate::registry::Check;

pub mod ifcfg;
pub mod nic_names;
pub mod team_devices;

/// The checks of this domain.
pub const CHECKS: &[Check] = &[nic_names::CHECK, ifcfg::CHECK, team_devices::CHECK];
