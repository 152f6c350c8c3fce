//! leapfrog's actors: scanners that read facts from a root and checks that turn facts into
//! findings (info, low, medium, high, or inhibitor).
//!
//! - [`facts`]: typed readers of a root (release, rpm database, kernels and boot entries,
//!   repositories), each resolving paths inside the root as if chrooted.
pub mod checks;
pub mod facts;
pub mod finding;
pub mod host;
pub mod model;
pub mod registry;
pub mod runner;
pub mod scanners;
pub mod upgrade_paths;
