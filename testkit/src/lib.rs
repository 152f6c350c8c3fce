//! leapfrog's testkit: synthetic EL distributions that behave like the real ones.
//!
//! leapfrog never touches a real EL machine during development, so every behaviour is proven on
//! worlds this crate builds: complete, signed dnf repositories per release ([`world`]), installed
//! sandbox roots made with the real rpm ([`root`]), worlds derived from leapp PES data
//! ([`pes`]) and cheap copies of pristine roots ([`clone`]).
//!
//! The command-line tool `leapfrog-testkit` (see `src/main.rs`) is a stable interface that
//! scripts, benchmarks and external checks rely on.

pub mod bdb;
pub mod catalog;
pub mod clone;
pub mod cmd;
pub mod fixture;
pub mod grub;
pub mod keys;
pub mod nevra;
pub mod package_build;
pub mod payload;
pub mod pes;
pub mod release;
pub mod repo;
pub mod root;
pub mod scale;
pub mod serve;
pub mod spec;
pub mod world;
