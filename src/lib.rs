//! leapfrog: in-place major-version upgrades and conversions for RHEL-compatible Linux
//! (EL7 → EL8 → EL9 → EL10), with rollback.
//!
//! The binary (`src/main.rs`) is a thin shell around [`cli::run`]; all logic lives here, one
//! module per concern, in layers (a module uses only modules of its own layer or below; a test
//! in `tests/layers.rs` keeps it so):
//!
//! | layer | modules | what they hold |
//! |---|---|---|
//! | 0 | [`workspace`], [`document`], [`exit`], [`logging`] | the root's paths, the documents' trait, exit codes, logging |
//! | 1 | [`rpmdb`], [`fetch`], [`snapshot`], [`manifest`] | the rpm database's location and fingerprint, downloads, snapshot backends, manifests |
//! | 2 | [`boot`] | the boot loader: the boot layout, BLS entries, the EL7 `grub.cfg` entry, grubenv, the upgrade environment, first boot |
//! | 3 | [`assess`], [`plan`], [`inventory`], [`data_check`] | the assessment, the planner, the inventory, migration data checks |
//! | 4 | [`transaction`], [`download`] | the RPM transaction of a plan, `download` |
//! | 5 | [`apply`] | the executor: snapshot, transaction, post-steps, verification, rollback, commit |
//! | 6 | [`offline`], [`upgrade`], [`status`], [`cancel`] | the verbs around the reboot |
//! | 7 | [`cli`] | arguments, the printer, one module per verb |
//!
//! Below them: `leapfrog-base` (environment variables, failpoints, the atomic writer,
//! checksums), `rpm-sys` and `libsolv-sys` (FFI), `leapfrog-actors` (facts and checks) and
//! `leapfrog-migration-data`.

pub mod apply;
pub mod assess;
pub mod boot;
pub mod cancel;
pub mod cli;
pub mod data_check;
pub mod document;
pub mod download;
pub mod exit;
pub mod fetch;
pub mod inventory;
pub mod logging;
pub mod manifest;
pub mod offline;
pub mod plan;
pub mod rpmdb;
pub mod snapshot;
pub mod status;
pub mod transaction;
pub mod upgrade;
pub mod workspace;
