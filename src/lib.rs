//! leapfrog: in-place major-version upgrades and conversions for RHEL-compatible Linux
//! (EL7 → EL8 → EL9 → EL10), with rollback.
//!
//! The binary (`src/main.rs`) is a thin shell around [`cli::run`]; all logic lives here, one
//! module per concern:
//!
//! - [`cli`]: command-line parsing and one module per verb (presentation, `anyhow` context);
//! - facts are read by the `leapfrog-actors` crate (`leapfrog_actors::facts`);
//! - [`inventory`]: the inventory of a root assembled from those facts;
//! - [`exit`]: the exit codes, which are part of the interface;
//! - [`logging`]: diagnostics on stderr.
//!
//! The rpm database is read through librpm by the `rpm-sys` crate, the only place in the
//! workspace with `unsafe` code.

pub mod answerfile;
pub mod apply;
pub mod boot;
pub mod cli;
pub mod exit;
pub mod fetch;

pub mod inventory;
pub mod logging;
pub mod manifest;
pub mod plan;
pub mod report;
pub mod snapshot;
