//! What the executor reports: [`ApplyReport`] for `apply` and `offline`, [`RollbackReport`],
//! [`CommitReport`], and their parts.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::Serialize;

use super::state::{PhaseName, SnapshotSet, State};
use crate::snapshot::SnapshotBackend;

/// How an `apply` ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Outcome {
    /// Upgraded and verified.
    Done,
    /// A previous run had already completed the upgrade: nothing was done.
    AlreadyDone,
    /// It failed and the root was rolled back to its state before the upgrade.
    RolledBack,
}

/// The RPM transaction, summarised.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct TransactionSummary {
    /// Elements rpm processed (installs and erasures, replaced versions included).
    pub elements: u64,
    /// Packages installed.
    pub installed: u64,
    /// Packages erased.
    pub erased: u64,
    /// Warnings and errors librpm logged (failing scriptlets among them).
    pub messages: Vec<String>,
}

/// The post-steps, summarised.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct PostSummary {
    /// The database location after the conversion, when it changed.
    pub rpmdb: Option<String>,
    /// Module state files written.
    pub module_files: usize,
    /// The default boot entry set.
    pub boot_entry: Option<String>,
    /// `/.autorelabel` created.
    pub selinux_relabel: bool,
    /// `.rpmnew` / `.rpmsave` files under `/etc` to merge by hand.
    pub config_leftovers: Vec<PathBuf>,
}

/// What a rollback did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct RollbackSummary {
    /// Paths removed (created by the upgrade).
    pub removed: usize,
    /// Paths written back.
    pub restored: usize,
    /// LVM: the merge completes at the next boot.
    pub pending_reboot: bool,
    /// The rpm database is the one planned against (fingerprint compared).
    pub rpmdb_matches: Option<bool>,
    /// Nothing had been changed (the run failed before the snapshot).
    pub nothing_to_restore: bool,
}

/// The result of [`apply`].
#[derive(Debug, Clone, Serialize)]
pub struct ApplyReport {
    /// How it ended.
    pub outcome: Outcome,
    /// The phase recorded at the end.
    pub phase: PhaseName,
    /// The plan's source and target.
    pub source: String,
    /// Target release.
    pub target: String,
    /// The plan ([`crate::plan::PlanDocument::plan_id`]).
    pub plan_id: String,
    /// Phase found in `state.json` when the run started, when there was one.
    pub resumed_from: Option<PhaseName>,
    /// The snapshots.
    pub snapshot: Option<SnapshotSet>,
    /// The transaction.
    pub transaction: Option<TransactionSummary>,
    /// The post-steps.
    pub post: Option<PostSummary>,
    /// What failed (then `outcome` is `rolled-back`).
    pub failure: Option<String>,
    /// The rollback, when one ran.
    pub rollback: Option<RollbackSummary>,
    /// The snapshot was released (`--commit`).
    pub committed: bool,
    /// Seconds per step.
    pub timings: BTreeMap<String, f64>,
    /// The executor's log.
    pub log: Option<PathBuf>,
    /// Scriptlet output.
    pub scriptlet_log: Option<PathBuf>,
}

impl ApplyReport {
    pub(crate) fn new(
        outcome: Outcome,
        state: &State,
        resumed_from: Option<PhaseName>,
        log: Option<PathBuf>,
    ) -> Self {
        Self {
            outcome,
            phase: state.name(),
            source: String::new(),
            target: String::new(),
            plan_id: state.plan_id.clone(),
            resumed_from,
            snapshot: None,
            transaction: None,
            post: None,
            failure: None,
            rollback: None,
            committed: false,
            timings: BTreeMap::new(),
            log,
            scriptlet_log: None,
        }
    }
}

/// The result of [`rollback`].
#[derive(Debug, Clone, Serialize)]
pub struct RollbackReport {
    /// Phase found when the command started.
    pub from: PhaseName,
    /// Phase at the end (rolled-back).
    pub phase: PhaseName,
    /// The root was already rolled back: nothing was done.
    pub already: bool,
    /// What the restore did.
    pub rollback: Option<RollbackSummary>,
    /// The snapshot backend.
    pub backend: Option<SnapshotBackend>,
    /// Seconds.
    pub seconds: f64,
    /// The executor's log.
    pub log: Option<PathBuf>,
}

/// The result of [`commit`].
#[derive(Debug, Clone, Serialize)]
pub struct CommitReport {
    /// When.
    pub committed: String,
    /// The backend whose snapshot was released.
    pub backend: Option<SnapshotBackend>,
    /// It had been committed before: nothing was done.
    pub already: bool,
}
