//! Checks of the system domain: containers, control panels, leapp leftovers, database servers,
//! and the environment (host facts).

use crate::registry::Check;

pub mod container;
pub mod control_panel;
pub mod database_servers;
pub mod host_facts;
pub mod leapp_leftovers;
pub mod virtualization_info;

/// The checks of this domain.
pub const CHECKS: &[Check] = &[
    container::CHECK,
    control_panel::CHECK,
    leapp_leftovers::CHECK,
    database_servers::CHECK,
    virtualization_info::CHECK,
    host_facts::CHECK,
];
