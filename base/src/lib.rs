//! The bottom of leapfrog's crate graph: what every other crate of the workspace may use and
//! what must exist exactly once.
//!
//! - [`env`]: every `LEAPFROG_*` environment variable, declared and documented in one table;
//! - [`failpoints`]: the named failpoints of the crash tests, parsed once per process from
//!   `LEAPFROG_FAILPOINTS`;
//! - [`atomic`]: the one atomic file writer (temporary file, fsync, rename, directory fsync)
//!   behind every document leapfrog writes;
//! - [`checksum`]: the one checksum type (repodata's algorithms, hex digests, file digests);
//! - [`units`]: byte counts for humans;
//! - [`time`]: timestamps as written in leapfrog's documents.
//!
//! It depends on no other crate of the workspace, and nothing in it reads a root or calls
//! librpm.

pub mod atomic;
pub mod checksum;
pub mod env;
pub mod failpoints;
pub mod time;
pub mod units;
