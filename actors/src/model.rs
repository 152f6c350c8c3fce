//! The shared data of a run: the environment actors read from, the typed facts scanners
//! produce, and what checks get to look at.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use serde::{Serialize, Serializer};

use crate::facts::rootfs::RootFs;
use crate::facts::{
    boot::BootFacts, config::ConfigFacts, hardware::HardwareFacts, network::NetworkFacts,
    pkgmgr::PackageManagerFacts, release::ReleaseFacts, repositories::RepositoryFacts,
    rpm::RpmFacts, security::SecurityFacts, storage::StorageFacts, system::SystemFacts,
};
use crate::host::HostFacts;
use crate::upgrade_paths::Target;

/// What every actor reads from: the root and the host facts.
#[derive(Debug)]
pub struct Env {
    /// The root being assessed.
    pub root: RootFs,
    /// Facts of the running host (or from a facts file, or unknown).
    pub host: HostFacts,
    /// Target repository sources the upgrade is given on its command line, beside the root's
    /// own definitions (`--target-repo-file F`, `--local-repo D`, `--iso I`, as written).
    pub target_sources: Vec<String>,
}

impl Env {
    /// The environment of `root` with these host facts and no command-line target sources.
    pub fn new(root: RootFs, host: HostFacts) -> Self {
        Self {
            root,
            host,
            target_sources: Vec::new(),
        }
    }
}

/// A fact slot, filled once by the scanner that produces it (scanners run in parallel).
#[derive(Debug)]
pub struct Fact<T>(OnceLock<T>);

impl<T> Default for Fact<T> {
    fn default() -> Self {
        Self(OnceLock::new())
    }
}

impl<T> Fact<T> {
    /// The value, when its scanner succeeded.
    pub fn get(&self) -> Option<&T> {
        self.0.get()
    }

    /// Fills the slot (a second fill is ignored: one scanner owns one slot).
    pub fn set(&self, value: T) {
        let _ = self.0.set(value);
    }

    /// A slot already filled (for tests that build facts by hand).
    pub fn with(value: T) -> Self {
        let f = Self::default();
        f.set(value);
        f
    }
}

impl<T: Serialize> Serialize for Fact<T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.0.get().serialize(s)
    }
}

/// Every fact of a run. A slot is empty when its scanner failed (that failure is an error
/// finding of its own).
#[derive(Debug, Default, Serialize)]
pub struct Facts {
    /// os-release and release files.
    pub release: Fact<ReleaseFacts>,
    /// The rpm database and installed packages.
    pub rpm: Fact<RpmFacts>,
    /// Boot entries and bootloader configuration.
    pub boot: Fact<BootFacts>,
    /// Configured and target repositories.
    pub repositories: Fact<RepositoryFacts>,
    /// fstab and crypttab.
    pub storage: Fact<StorageFacts>,
    /// Network configuration files.
    pub network: Fact<NetworkFacts>,
    /// SELinux, sshd, PAM, crypto policy, firewalld.
    pub security: Fact<SecurityFacts>,
    /// dnf/yum state: modules, pending transactions, version locks.
    pub package_manager: Fact<PackageManagerFacts>,
    /// Control panels, root symlinks, other tools.
    pub system: Fact<SystemFacts>,
    /// Hardware-support data (driver deprecation data).
    pub hardware: Fact<HardwareFacts>,
    /// TCP wrappers rules, package-manager excludes, unmerged config files.
    pub config: Fact<ConfigFacts>,
}

/// Answers to questions, `section.key` -> value (from the answerfile).
pub type Answers = BTreeMap<String, String>;

/// What a check gets.
#[derive(Debug, Clone, Copy)]
pub struct CheckInput<'a> {
    /// All facts.
    pub facts: &'a Facts,
    /// Host facts.
    pub host: &'a HostFacts,
    /// The target, when one could be resolved.
    pub target: Option<&'a Target>,
    /// Answers given so far.
    pub answers: &'a Answers,
}

impl CheckInput<'_> {
    /// Source major version (from os-release), if known.
    pub fn source_major(&self) -> Option<u32> {
        self.facts.release.get().and_then(|r| r.major)
    }

    /// Target major version, if known.
    pub fn target_major(&self) -> Option<u32> {
        self.target.map(|t| t.major)
    }

    /// Whether the run crosses into `major` or later (a major upgrade to at least `major`).
    pub fn upgrading_to_at_least(&self, major: u32) -> bool {
        matches!((self.source_major(), self.target_major()), (Some(s), Some(t)) if t >= major && s < t)
    }
}
