//! Fixtures for the integration tests of the other crates: one scratch directory per test
//! process and small worlds built once per set of releases.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock, PoisonError};

use crate::world::{self, Scale, WorldOptions};

/// A temporary directory shared by every test of this process, named `<prefix>XXXX` on its first
/// use (later prefixes are ignored). It is kept after the process ends, for post-mortems.
///
/// # Panics
///
/// When the directory cannot be created (a test fixture).
pub fn scratch(prefix: &str) -> &'static Path {
    static DIR: OnceLock<tempfile::TempDir> = OnceLock::new();
    DIR.get_or_init(|| {
        tempfile::Builder::new()
            .prefix(prefix)
            .tempdir()
            .expect("scratch directory")
    })
    .path()
}

/// A small world of `releases`, built once per process and set of releases under [`scratch`].
///
/// # Panics
///
/// When the world cannot be built (a test fixture).
pub fn small_world(prefix: &str, releases: &[&str]) -> PathBuf {
    static WORLDS: OnceLock<Mutex<BTreeMap<String, PathBuf>>> = OnceLock::new();
    let key = releases.join("+");
    let mut worlds = WORLDS
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(PoisonError::into_inner);
    worlds
        .entry(key.clone())
        .or_insert_with(|| {
            let out = scratch(prefix).join(format!("world-{key}"));
            let mut o = WorldOptions::new(&out, Scale::Small);
            o.releases = releases.iter().map(|r| (*r).to_string()).collect();
            world::build_world(&o).expect("world builds");
            out
        })
        .clone()
}
