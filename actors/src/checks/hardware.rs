//! Checks of the hardware domain (one file per check in `checks/hardware/`): architecture, CPU
//! level, memory and drivers or devices the target no longer supports.

use crate::registry::Check;

pub mod architecture;
pub mod cpu_level;
pub mod memory;
pub mod removed_drivers;

/// The checks of this domain.
pub const CHECKS: &[Check] = &[
    architecture::CHECK,
    cpu_level::CHECK,
    memory::CHECK,
    removed_drivers::CHECK,
];
