//! leapfrog's migration data: importers for ELevate/Leapp `leapp-data` files as installed on
//! real hosts under `/etc/leapp/files`, and validation of a loaded data set.
//!
//! * [`leapp::pes`] reads PES event files (`pes-events.json`, `<vendor>_pes.json`),
//! * [`leapp::repomap`] reads repository maps (`repomap.json`, format 1.x and 2.0.0),
//! * [`leapp::repofile`] reads dnf `.repo` files,
//! * [`leapp::vendors`] reads a `vendors.d` directory,
//! * [`data`] reads leapfrog's own YAML data (distributions, paths, repository maps, events,
//!   vendors), compiled in or from a directory,
//! * [`check`] validates a loaded [`check::DataSet`] and lists its [`check::DataSetProblem`]s.
//!
//! Everything here is pure Rust and never panics on hostile input: every failure is an
//! [`Error`] that names the file it came from.

#![warn(missing_docs)]

mod error;
mod util;

pub mod check;
pub mod data;
pub mod leapp;

pub use error::Error;
pub use util::MAX_FILE_SIZE;
