//! The executor: applies a downloaded plan to a root with a snapshot first and an automatic
//! rollback on any failure, as a resumable state machine (`leapfrog apply`, `leapfrog
//! rollback`, `leapfrog commit`). See `docs/executor.md` for the phases and what a re-run does
//! after a crash in each of them.
//!
//! ```text
//! apply:    lock -> checks -> planned -> snapshot -> snapshotted -> applying -> rpm transaction
//!           -> verifying -> post-steps -> verify -> done
//! failure:  failed -> rolling-back -> restore -> rolled-back
//! ```

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::os::unix::fs::MetadataExt as _;
use std::path::{Path, PathBuf};
use std::time::Instant;

use leapfrog_actors::facts::rootfs::RootFs;
use leapfrog_actors::facts::rpmdb;
use rayon::prelude::*;
use rpm_sys::verify::Keyring;
use rpm_sys::{
    DbBackend, DbLocation, EraseTarget, ProgressKind, RpmDatabase, Transaction, TransactionFlags,
    read_package_file,
};
use serde::{Deserialize, Serialize};

use super::lock::{LockError, RunLock};
use super::merge_keep::{self, KeepError};
use super::progress::{Event, Sink};
use super::stale::{self, StaleError};
use super::state::{Phase, State, StateError, now};
use super::verify::{self, Failure};
use super::{post, scope, state_dir};
use crate::fetch::{self, DownloadRecord};
use crate::plan::document::{Element, PlanDocument, PlanFileError};
use crate::plan::fates::Action;
use crate::snapshot::{self, Backend, Record, SnapshotError};
use leapfrog_base::failpoints::{self, FailpointError};

/// Where the main snapshot is stored, inside the state directory.
pub const SNAPSHOT_STORE: &str = "snapshot";
/// Where the `/boot` journal is stored beside a btrfs, LVM or no snapshot.
pub const BOOT_STORE: &str = "snapshot-boot";
/// Directories that receive package files, for the removal of rpm's temporary files after a
/// restore.
const PACKAGE_DIRS: &str = "package-dirs.json";
/// The executor's log, in `var/log/leapfrog`.
pub const APPLY_LOG: &str = "apply.log";
/// Scriptlet output of the transaction, in `var/log/leapfrog`.
pub const SCRIPTLET_LOG: &str = "scriptlets.log";
/// Written for an EL8 target whose database was converted to sqlite (this librpm cannot
/// write BerkeleyDB), so that the target's rpm opens it.
pub const DB_BACKEND_MACROS: &str = "etc/rpm/macros.leapfrog-db-backend";

/// Which snapshot backend `apply` uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SnapshotChoice {
    /// The best one available ([`snapshot::detect`]).
    Auto,
    /// This one.
    Use(Backend),
}

/// Options of [`apply`].
#[derive(Debug, Clone)]
pub struct ApplyOptions {
    /// The snapshot backend.
    pub snapshot: SnapshotChoice,
    /// The operator accepted that `--snapshot none` means no rollback.
    pub accept_no_rollback: bool,
    /// Release the snapshot as soon as the upgrade is verified (commit at once).
    pub commit: bool,
}

impl Default for ApplyOptions {
    fn default() -> Self {
        Self {
            snapshot: SnapshotChoice::Auto,
            accept_no_rollback: false,
            commit: false,
        }
    }
}

/// Errors that stop the executor. When one happens after the snapshot, [`apply`] rolls back
/// first and reports the cause in [`ApplyReport::failure`] instead.
#[derive(Debug, thiserror::Error)]
pub enum ExecError {
    /// Another run holds the lock.
    #[error(transparent)]
    Lock(#[from] LockError),
    /// No usable plan.
    #[error(transparent)]
    Plan(#[from] PlanFileError),
    /// The state file.
    #[error(transparent)]
    State(#[from] StateError),
    /// Inhibitors in the plan.
    #[error(
        "the plan is blocked by inhibitors: {0}; resolve them and run `leapfrog plan` and `leapfrog download` again"
    )]
    Inhibited(String),
    /// The packages are not downloaded, or not for this plan.
    #[error("{0}")]
    NotDownloaded(String),
    /// The root changed since planning.
    #[error(transparent)]
    Stale(#[from] StaleError),
    /// A downloaded package failed its re-verification.
    #[error("the downloaded packages failed verification, nothing was changed: {0}")]
    Packages(String),
    /// The snapshot could not be taken (nothing was changed).
    #[error("cannot take the snapshot, nothing was changed: {0}")]
    Snapshot(#[source] SnapshotError),
    /// The recorded state does not allow this command.
    #[error("{0}")]
    Refused(String),
    /// The rollback itself failed: the root is in between.
    #[error(
        "ROLLBACK FAILED: {message}; the upgrade failed first because: {cause}; the state is recorded in {state}: fix the cause and run `leapfrog rollback` again"
    )]
    RollbackFailed {
        /// What failed in the rollback.
        message: String,
        /// Why the rollback was needed.
        cause: String,
        /// The state file.
        state: PathBuf,
    },
    /// The upgrade failed and there is no snapshot to roll back to (`--snapshot none`).
    #[error(
        "the upgrade failed and cannot be rolled back (it ran with --snapshot none): {cause}; the root may be partly upgraded"
    )]
    NoRollback {
        /// What failed.
        cause: String,
    },
    /// A failpoint (tests).
    #[error(transparent)]
    Failpoint(#[from] FailpointError),
    /// The state an LVM rollback kept on /boot cannot be put back after the merge.
    #[error(
        "the state and logs an LVM rollback kept in /boot/leapfrog-merge cannot be put back (remove that directory to go on with the root's own state): {0}"
    )]
    Kept(#[source] KeepError),
    /// An I/O error outside the snapshot.
    #[error("{op} {}: {source}", path.display())]
    Io {
        /// What was being done.
        op: &'static str,
        /// Path.
        path: PathBuf,
        /// Cause.
        source: std::io::Error,
    },
}

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

/// The snapshots of one run, kept in `state.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SnapshotSet {
    /// The backend of the main snapshot.
    pub backend: Backend,
    /// Why it was chosen.
    pub why: String,
    /// The main snapshot (`None` for backend none).
    pub main: Option<Record>,
    /// The `/boot` journal, when the main snapshot does not hold `/boot`.
    pub boot: Option<Record>,
    /// The stores were released (after a rollback or a commit).
    #[serde(default)]
    pub released: bool,
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
    pub phase: Phase,
    /// The plan's source and target.
    pub source: String,
    /// Target release.
    pub target: String,
    /// `created` of the plan.
    pub plan_created: String,
    /// Phase found in `state.json` when the run started, when there was one.
    pub resumed_from: Option<Phase>,
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
    fn new(
        outcome: Outcome,
        state: &State,
        resumed_from: Option<Phase>,
        log: Option<PathBuf>,
    ) -> Self {
        Self {
            outcome,
            phase: state.phase,
            source: String::new(),
            target: String::new(),
            plan_created: state.plan_created.clone(),
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

struct Run<'a> {
    root: PathBuf,
    sink: &'a Sink,
    state: State,
    report: ApplyReport,
}

impl Run<'_> {
    fn phase(&mut self, to: Phase, note: &str) -> Result<(), ExecError> {
        if matches!(
            to,
            Phase::Snapshotted | Phase::Verifying | Phase::Done | Phase::RolledBack
        ) {
            // What the phase says about the disk (the snapshot is complete, the transaction's
            // files are written, the post-steps are done, the old files are back) must be on
            // the disk before the state says it: rpm does not fsync the files it writes, and a
            // power cut after the state write would find the phase recorded and the files lost
            // (the VM power-cut test found os-release empty after a cut during verification).
            nix::unistd::sync();
        }
        self.state.transition(to, note)?;
        self.state.save(&self.root)?;
        self.report.phase = to;
        self.sink.emit(Event::Phase {
            phase: to,
            note: note.to_string(),
        });
        // The log on the disk names every phase state.json records: after a power cut the
        // operator reads in apply.log how far the run got (the VM power-cut test found the
        // first boot's phase lines lost while state.json said `applying`).
        self.sink.sync();
        Ok(())
    }

    fn step(&self, step: &str, message: impl Into<String>) {
        self.sink.emit(Event::Step {
            step: step.into(),
            message: message.into(),
        });
    }

    fn time(&mut self, step: &str, started: Instant) {
        self.report
            .timings
            .insert(step.to_string(), started.elapsed().as_secs_f64());
    }

    fn snapshots(&self) -> Option<SnapshotSet> {
        self.state
            .snapshot
            .as_ref()
            .and_then(|v| serde_json::from_value(v.clone()).ok())
    }
}

fn io(op: &'static str, path: &Path) -> impl FnOnce(std::io::Error) -> ExecError {
    let path = path.to_path_buf();
    move |source| ExecError::Io { op, path, source }
}

/// The database location of `root` as it is on disk now.
fn db_location(root: &Path) -> Result<DbLocation, ExecError> {
    let rootfs = RootFs::new(root).map_err(|e| ExecError::Io {
        op: "use as root",
        path: root.to_path_buf(),
        source: std::io::Error::other(e.to_string()),
    })?;
    let info = rpmdb::detect(&rootfs).map_err(|e| ExecError::Io {
        op: "find the rpm database of",
        path: root.to_path_buf(),
        source: std::io::Error::other(e.to_string()),
    })?;
    Ok(info.location())
}

fn incoming(plan: &PlanDocument) -> impl Iterator<Item = &Element> {
    plan.transaction
        .iter()
        .filter(|e| !matches!(e.action, Action::Erase | Action::Obsoleted))
}

/// Applies the plan of `root` (see the module documentation). A failure after the snapshot is
/// rolled back and returned as `Ok` with [`Outcome::RolledBack`] and the cause; errors are
/// returned when nothing was changed, or when the rollback itself failed.
///
/// # Errors
///
/// See [`ExecError`].
pub fn apply(root: &Path, opts: &ApplyOptions, sink: &Sink) -> Result<ApplyReport, ExecError> {
    let root = std::path::absolute(root).map_err(io("resolve", root))?;
    fs::create_dir_all(state_dir(&root)).map_err(io("create", &state_dir(&root)))?;
    let _lock = RunLock::acquire(&root)?;
    reconcile_merge(&root)?;
    let log = sink.log_to(&root, APPLY_LOG).ok();
    let plan = PlanDocument::load(&root)?;
    let previous = State::load(&root)?;
    let resumed_from = previous.as_ref().map(|s| s.phase);
    let state = match previous {
        Some(s) if s.plan_created == plan.created && s.phase != Phase::RolledBack => s,
        Some(s)
            if s.phase == Phase::Done
                && s.committed.is_none()
                && s.plan_created != plan.created =>
        {
            return Err(ExecError::Refused(format!(
                "an earlier upgrade (plan {}) is done but not committed: run `leapfrog commit` to keep it or `leapfrog rollback` to undo it before applying another plan",
                s.plan_created
            )));
        }
        Some(s) if !matches!(s.phase, Phase::Done | Phase::RolledBack) && s.committed.is_none() => {
            return Err(ExecError::Refused(format!(
                "a run of another plan (created {}) was interrupted in phase {}: run `leapfrog rollback` to finish it first",
                s.plan_created, s.phase
            )));
        }
        _ => State::new(plan.created.clone(), plan.rpmdb_fingerprint.clone()),
    };
    let mut run = Run {
        root: root.clone(),
        sink,
        report: ApplyReport {
            source: plan.source.clone(),
            target: plan.target.clone(),
            ..ApplyReport::new(Outcome::Done, &state, resumed_from, log)
        },
        state,
    };
    if let Some(p) = resumed_from
        && run.state.plan_created == plan.created
    {
        run.step(
            "resume",
            format!(
                "state.json records phase {p} for this plan; continuing from there ({})",
                match p {
                    Phase::Planned => "the snapshot was not completed: it is taken again",
                    Phase::Snapshotted => "the snapshot is complete, the transaction has not started",
                    Phase::Applying =>
                        "the transaction was interrupted: it is never run twice, the root is rolled back",
                    Phase::Verifying => "the transaction completed: post-steps and verification again",
                    Phase::Done => "the upgrade is already complete",
                    Phase::Failed | Phase::RollingBack => "the rollback is completed",
                    Phase::RolledBack => "a new attempt starts",
                }
            ),
        );
    }
    let result = drive(&mut run, &plan, opts);
    run.report.snapshot = run.snapshots();
    sink.sync();
    result.map(|()| run.report)
}

/// Runs the state machine from the recorded phase to done or rolled-back.
fn drive(run: &mut Run<'_>, plan: &PlanDocument, opts: &ApplyOptions) -> Result<(), ExecError> {
    loop {
        match run.state.phase {
            Phase::Planned => {
                let started = Instant::now();
                let files = check_ready(&run.root, plan)?;
                run.time("verify-packages", started);
                run.step(
                    "verify-packages",
                    format!(
                        "{} package files verified (size, checksum, signature) and the plan matches the root's rpm database",
                        files.len()
                    ),
                );
                // stores left by an interrupted snapshot or an earlier run
                discard_stores(&run.root)?;
                run.state.save(&run.root)?;
                take_snapshots(run, plan, &files, opts)?;
            }
            Phase::Snapshotted => {
                if let Err(cause) = transaction(run, plan) {
                    return fail_and_roll_back(run, cause);
                }
            }
            Phase::Applying => {
                let cause = "the previous run was interrupted during the RPM transaction (a transaction is never run twice)".to_string();
                return fail_and_roll_back(run, cause);
            }
            Phase::Verifying => {
                if let Err(cause) = post_and_verify(run, plan) {
                    return fail_and_roll_back(run, cause);
                }
                failpoints::fail_point("done-before")?;
                run.phase(Phase::Done, "upgraded and verified")?;
                if opts.commit {
                    commit_state(run)?;
                    run.report.committed = true;
                }
                return Ok(());
            }
            Phase::Done => {
                if run.report.resumed_from == Some(Phase::Done) {
                    run.report.outcome = Outcome::AlreadyDone;
                    run.step("done", "the upgrade was already complete: nothing to do");
                }
                return Ok(());
            }
            Phase::Failed | Phase::RollingBack => {
                let cause = run
                    .state
                    .last_error
                    .clone()
                    .unwrap_or_else(|| "an earlier run failed".into());
                return fail_and_roll_back(run, cause);
            }
            Phase::RolledBack => {
                // a finished rollback of this plan: a new attempt
                run.state = State::new(plan.created.clone(), plan.rpmdb_fingerprint.clone());
            }
        }
    }
}

/// Checks before anything changes: no inhibitor, the download belongs to this plan and was
/// ready, the root is the one planned against, every package file verifies again.
/// Returns the package file of every incoming NEVRA.
fn check_ready(root: &Path, plan: &PlanDocument) -> Result<BTreeMap<String, PathBuf>, ExecError> {
    if plan.inhibited() {
        return Err(ExecError::Inhibited(plan.inhibitor_titles().join("; ")));
    }
    let record = DownloadRecord::load(root)
        .map_err(|e| ExecError::NotDownloaded(e.to_string()))?
        .ok_or_else(|| {
            ExecError::NotDownloaded(
                "the packages of the plan are not downloaded: run `leapfrog download` first".into(),
            )
        })?;
    if record.plan_created != plan.created {
        return Err(ExecError::NotDownloaded(format!(
            "the download (for the plan of {}) does not belong to the current plan (of {}): run `leapfrog download` again",
            record.plan_created, plan.created
        )));
    }
    if !record.ready {
        return Err(ExecError::NotDownloaded(
            "the last `leapfrog download` was not ready (test transaction problems or not enough space): fix what it reported and run it again".into(),
        ));
    }
    stale::check(plan, root)?;
    let dir = fetch::packages_dir(root);
    let keys_dir = root.join(fetch::KEYS_DIR);
    let mut keys: Vec<PathBuf> = match fs::read_dir(&keys_dir) {
        Ok(entries) => entries
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.is_file())
            .collect(),
        Err(_) => Vec::new(),
    };
    keys.sort();
    if record.gpgcheck && keys.is_empty() {
        return Err(ExecError::Packages(format!(
            "signatures are to be checked but {} holds no key",
            keys_dir.display()
        )));
    }
    let keyring = Keyring::from_files(&keys).map_err(|e| ExecError::Packages(e.to_string()))?;
    let wanted: Vec<&Element> = incoming(plan).collect();
    let checked: Vec<Result<(String, PathBuf), String>> = wanted
        .par_iter()
        .map(|e| {
            let rel = record.files.get(&e.nevra).ok_or_else(|| {
                format!(
                    "{} is not in the download record: run `leapfrog download` again",
                    e.nevra
                )
            })?;
            if !fetch::repomd::safe_relative(rel) {
                return Err(format!("unsafe file name {rel:?} for {}", e.nevra));
            }
            let path = dir.join(rel);
            let item = fetch::Item {
                nevra: e.nevra.clone(),
                repo: e.repo.clone(),
                urls: Vec::new(),
                checksum: e.checksum.clone(),
                size: Some(e.download_size).filter(|s| *s > 0),
            };
            fetch::verify_file(&item, rel, &path, &keyring, record.gpgcheck)
                .map_err(|err| err.to_string())?;
            Ok((e.nevra.clone(), path))
        })
        .collect();
    let mut files = BTreeMap::new();
    let mut errors = Vec::new();
    for c in checked {
        match c {
            Ok((n, p)) => {
                files.insert(n, p);
            }
            Err(e) => errors.push(e),
        }
    }
    if !errors.is_empty() {
        return Err(ExecError::Packages(errors.join("; ")));
    }
    Ok(files)
}

/// Removes snapshot stores left by an interrupted snapshot (phase planned).
fn discard_stores(root: &Path) -> Result<(), ExecError> {
    for name in [SNAPSHOT_STORE, BOOT_STORE] {
        let store = state_dir(root).join(name);
        let Ok(md) = fs::symlink_metadata(&store) else {
            continue;
        };
        tracing::info!("removing the unfinished snapshot store {}", store.display());
        if md.ino() == 256 && crate::snapshot::btrfs::subvolume_top(&store).is_ok() {
            let _ = std::process::Command::new("btrfs")
                .args(["property", "set", "-ts"])
                .arg(&store)
                .args(["ro", "false"])
                .status();
            let st = std::process::Command::new("btrfs")
                .args(["subvolume", "delete"])
                .arg(&store)
                .output()
                .map_err(io("btrfs subvolume delete", &store))?;
            if !st.status.success() {
                return Err(ExecError::Io {
                    op: "btrfs subvolume delete",
                    path: store,
                    source: std::io::Error::other(
                        String::from_utf8_lossy(&st.stderr).trim().to_string(),
                    ),
                });
            }
        } else if md.is_dir() {
            fs::remove_dir_all(&store).map_err(io("remove", &store))?;
        } else {
            fs::remove_file(&store).map_err(io("remove", &store))?;
        }
    }
    Ok(())
}

/// Installed packages the transaction erases or replaces, with their files.
fn outgoing_files(
    root: &Path,
    location: &DbLocation,
    plan: &PlanDocument,
    installonly: &BTreeSet<String>,
) -> Result<Vec<String>, ExecError> {
    let mut nevras: BTreeSet<&str> = BTreeSet::new();
    let mut names: BTreeSet<&str> = BTreeSet::new();
    for e in &plan.transaction {
        match e.action {
            Action::Erase | Action::Obsoleted => {
                nevras.insert(&e.nevra);
            }
            _ => {
                if !installonly.contains(&e.name) {
                    names.insert(&e.name);
                }
            }
        }
        nevras.extend(e.replaces.iter().map(String::as_str));
    }
    let db = RpmDatabase::open(root, location).map_err(|e| ExecError::Io {
        op: "open the rpm database of",
        path: root.to_path_buf(),
        source: std::io::Error::other(e.to_string()),
    })?;
    let headers = db.installed_package_files().map_err(|e| ExecError::Io {
        op: "read the rpm database of",
        path: root.to_path_buf(),
        source: std::io::Error::other(e.to_string()),
    })?;
    let mut out = Vec::new();
    for h in headers {
        let nevra = h.package.nevra();
        if nevras.contains(nevra.as_str()) || names.contains(h.package.name.as_str()) {
            out.extend(h.files.into_iter().map(|f| f.path));
        }
    }
    Ok(out)
}

fn take_snapshots(
    run: &mut Run<'_>,
    plan: &PlanDocument,
    files: &BTreeMap<String, PathBuf>,
    opts: &ApplyOptions,
) -> Result<(), ExecError> {
    let root = run.root.clone();
    let started = Instant::now();
    let (backend, why) = match opts.snapshot {
        SnapshotChoice::Auto => snapshot::detect(&root).map_err(ExecError::Snapshot)?,
        SnapshotChoice::Use(b) => (b, format!("requested with --snapshot {b}")),
    };
    if backend == Backend::None && !opts.accept_no_rollback {
        return Err(ExecError::Snapshot(SnapshotError::NotAcknowledged));
    }
    run.step("snapshot", format!("backend {backend}: {why}"));
    let location = db_location(&root)?;

    // What the transaction can touch: files of the incoming and outgoing packages.
    let mut package_files: Vec<String> = Vec::new();
    let mut installonly = BTreeSet::new();
    for (nevra, path) in files {
        let h = read_package_file(path).map_err(|e| {
            ExecError::Packages(format!("{nevra}: cannot read {}: {e}", path.display()))
        })?;
        if h.installonly() {
            installonly.insert(h.package.name.clone());
        }
        package_files.extend(h.files.into_iter().map(|f| f.path));
    }
    package_files.extend(outgoing_files(&root, &location, plan, &installonly)?);
    let dirs: BTreeSet<String> = package_files
        .iter()
        .filter_map(|p| {
            Path::new(p)
                .parent()
                .map(|d| d.to_string_lossy().into_owned())
        })
        .collect();
    let dirs_path = state_dir(&root).join(PACKAGE_DIRS);
    fs::write(
        &dirs_path,
        serde_json::to_vec(&dirs).map_err(|e| ExecError::Packages(e.to_string()))?,
    )
    .map_err(io("write", &dirs_path))?;

    failpoints::fail_point("snapshot-before")?;
    // /boot (or the EFI partition) on its own filesystem: reflinks cannot reach it from the
    // store on the root filesystem, and btrfs/LVM snapshots of the root do not hold it
    let boot_separate = ["boot", "boot/efi"]
        .iter()
        .any(|b| snapshot::other_filesystem(&root, b));
    let store = state_dir(&root).join(SNAPSHOT_STORE);
    let main = match backend {
        Backend::None => None,
        Backend::Reflink | Backend::Copy => {
            let mut scope = scope::journal_scope(
                &root,
                &location.dbpath,
                package_files.iter().map(String::as_str),
            );
            if backend == Backend::Reflink && boot_separate {
                scope.paths.retain(|p| !p.starts_with("boot"));
            }
            Some(snapshot::take(backend, &scope, &store).map_err(ExecError::Snapshot)?)
        }
        Backend::Btrfs | Backend::Lvm => {
            let scope = snapshot::Scope::with_defaults(&root, Path::new(&location.dbpath));
            Some(snapshot::take(backend, &scope, &store).map_err(ExecError::Snapshot)?)
        }
    };
    let boot_journal = match backend {
        Backend::Copy => false,
        Backend::None => true,
        Backend::Reflink | Backend::Btrfs | Backend::Lvm => boot_separate,
    };
    let boot = if !boot_journal || !root.join("boot").is_dir() {
        None
    } else {
        // the store is on the root filesystem: copies (reflinks cannot cross filesystems)
        let boot_backend = if boot_separate {
            Backend::Copy
        } else if snapshot::journal::reflink_probe(&root.join("boot")).is_ok() {
            Backend::Reflink
        } else {
            Backend::Copy
        };
        let rec = snapshot::take(
            boot_backend,
            &scope::boot_scope(&root),
            &state_dir(&root).join(BOOT_STORE),
        );
        match rec {
            Ok(r) => Some(r),
            Err(e) => {
                if let Some(m) = &main {
                    let _ = snapshot::release(m);
                }
                return Err(ExecError::Snapshot(e));
            }
        }
    };
    failpoints::fail_point("snapshot-after")?;
    let set = SnapshotSet {
        backend,
        why,
        main,
        boot,
        released: false,
    };
    let summary = match &set.main {
        Some(m) => format!(
            "{} taken: {} entries, {} of file data{}",
            m.backend,
            m.entries,
            crate::plan::space::human_bytes(m.bytes),
            if set.boot.is_some() {
                ", plus a journal of /boot"
            } else {
                ""
            }
        ),
        None => "no snapshot (--snapshot none acknowledged); /boot is saved".into(),
    };
    run.state.snapshot =
        Some(serde_json::to_value(&set).map_err(|e| ExecError::Packages(e.to_string()))?);
    run.time("snapshot", started);
    run.phase(Phase::Snapshotted, &summary)?;
    Ok(())
}

/// Phase snapshotted -> applying -> (rpm) -> verifying. `Err` is the cause of a failure that
/// needs a rollback.
fn transaction(run: &mut Run<'_>, plan: &PlanDocument) -> Result<(), String> {
    let root = run.root.clone();
    let record = DownloadRecord::load(&root)
        .map_err(|e| e.to_string())?
        .ok_or("the download record disappeared")?;
    let dir = fetch::packages_dir(&root);
    run.phase(Phase::Applying, "the RPM transaction starts")
        .map_err(|e| e.to_string())?;
    failpoints::fail_point("transaction-before").map_err(|e| e.to_string())?;
    let started = Instant::now();
    let mut location = db_location(&root).map_err(|e| e.to_string())?;
    if location.backend == DbBackend::BdbReadOnly {
        // This librpm reads BerkeleyDB but cannot write it: rebuild as sqlite first (the
        // snapshot holds the BerkeleyDB files).
        run.step(
            "rpmdb",
            "rebuilding the BerkeleyDB rpm database as sqlite (this rpm cannot write BerkeleyDB)",
        );
        if let Some(now) = post::convert_rpmdb(&root, &location, 9).map_err(|e| e.to_string())? {
            location = now;
        }
    }
    let mut tx = Transaction::new(&root, &location).map_err(|e| e.to_string())?;
    let log_dir = root.join(super::progress::LOG_DIR);
    let script_log = log_dir.join(SCRIPTLET_LOG);
    match tx.set_script_output(&script_log) {
        Ok(()) => run.report.scriptlet_log = Some(script_log),
        Err(e) => tracing::warn!("scriptlet output stays on the console: {e}"),
    }
    for e in incoming(plan) {
        let rel = record
            .files
            .get(&e.nevra)
            .ok_or_else(|| format!("{} is not in the download record", e.nevra))?;
        tx.add_install(&dir.join(rel), true)
            .map_err(|err| format!("cannot add {}: {err}", e.nevra))?;
    }
    for e in plan
        .transaction
        .iter()
        .filter(|e| e.action == Action::Erase)
    {
        tx.add_erase(EraseTarget::Label(&e.nevra))
            .map_err(|err| format!("cannot add the removal of {}: {err}", e.nevra))?;
    }
    // rpm orders the elements inside run(); its element events carry the total
    let sink = run.sink.clone();
    let seen_total = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
    let total_out = seen_total.clone();
    let mut done = 0u64;
    let mut total = 0u64;
    tx.set_observer(Box::new(move |ev| match ev.kind {
        ProgressKind::Element if ev.total > total => {
            total = ev.total;
            total_out.store(total, std::sync::atomic::Ordering::Relaxed);
            sink.emit(Event::Step {
                step: "transaction".into(),
                message: format!("{total} elements (installs and erasures)"),
            });
        }
        ProgressKind::InstallStart | ProgressKind::EraseStart => sink.emit(Event::Package {
            action: if ev.kind == ProgressKind::InstallStart {
                "install".into()
            } else {
                "erase".into()
            },
            package: ev.package.clone().unwrap_or_default(),
            done,
            total,
        }),
        ProgressKind::InstallStop | ProgressKind::EraseStop => done += 1,
        ProgressKind::ScriptError => sink.emit(Event::Warning {
            message: format!(
                "a scriptlet of {} failed (exit status {})",
                ev.package.as_deref().unwrap_or("?"),
                ev.total
            ),
        }),
        ProgressKind::UnpackError => sink.emit(Event::Warning {
            message: format!(
                "cannot unpack {}",
                ev.package.as_deref().unwrap_or("a package")
            ),
        }),
        _ => {}
    }));
    let result = tx.run(real_run_flags().map_err(|e| e.to_string())?);
    drop(tx);
    let total = seen_total.load(std::sync::atomic::Ordering::Relaxed);
    run.time("transaction", started);
    let report = result.map_err(|e| format!("the RPM transaction failed: {e}"))?;
    let count = |k: ProgressKind| report.events.iter().filter(|e| e.kind == k).count() as u64;
    let script_errors: Vec<String> = report
        .events
        .iter()
        .filter(|e| e.kind == ProgressKind::ScriptError)
        .map(|e| e.package.clone().unwrap_or_default())
        .collect();
    let unpack_errors = count(ProgressKind::UnpackError);
    run.report.transaction = Some(TransactionSummary {
        elements: total,
        installed: count(ProgressKind::InstallStop),
        erased: count(ProgressKind::EraseStop),
        messages: report.messages.clone(),
    });
    for m in &report.messages {
        run.sink.emit(Event::Warning { message: m.clone() });
    }
    if !report.succeeded() || !script_errors.is_empty() || unpack_errors > 0 {
        let mut why = Vec::new();
        if !report.problems.is_empty() {
            why.push(
                report
                    .problems
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join("; "),
            );
        }
        if !script_errors.is_empty() {
            why.push(format!("failing scriptlet in {}", script_errors.join(", ")));
        }
        if unpack_errors > 0 {
            why.push(format!("{unpack_errors} package(s) could not be unpacked"));
        }
        if report.failed_elements > 0 {
            why.push(format!("{} element(s) failed", report.failed_elements));
        }
        let detail: Vec<&String> = report
            .messages
            .iter()
            .filter(|m| m.starts_with("error:") || m.contains("scriptlet failed"))
            .collect();
        let mut cause = format!("the RPM transaction failed: {}", why.join("; "));
        if !detail.is_empty() {
            cause.push_str(&format!(
                " (rpm: {})",
                detail
                    .iter()
                    .map(|s| s.as_str())
                    .collect::<Vec<_>>()
                    .join(" | ")
            ));
        }
        return Err(cause);
    }
    failpoints::fail_point("transaction-after").map_err(|e| e.to_string())?;
    run.phase(
        Phase::Verifying,
        &format!("the RPM transaction completed ({total} elements)"),
    )
    .map_err(|e| e.to_string())?;
    Ok(())
}

/// The flags of the real run: the crash tests' failpoints `rpm-after-element` and
/// `rpm-skip-diskspace-check` are handed to rpm-sys here (it reads no environment).
fn real_run_flags() -> Result<TransactionFlags, FailpointError> {
    Ok(TransactionFlags {
        after_element: failpoints::foreign("rpm-after-element")?
            .as_deref()
            .and_then(failpoints::after_element),
        ignore_diskspace: failpoints::foreign("rpm-skip-diskspace-check")?.is_some(),
        ..TransactionFlags::default()
    })
}

/// Post-steps and verification (phase verifying; both are idempotent). `Err` is the cause of
/// a failure that needs a rollback.
fn post_and_verify(run: &mut Run<'_>, plan: &PlanDocument) -> Result<(), String> {
    let root = run.root.clone();
    let started = Instant::now();
    let target_major = post::release_major(&plan.target)
        .ok_or_else(|| format!("cannot tell the major version of target {}", plan.target))?;
    let mut summary = PostSummary::default();
    let mut location = db_location(&root).map_err(|e| e.to_string())?;
    if let Some(now) =
        post::convert_rpmdb(&root, &location, target_major).map_err(|e| e.to_string())?
    {
        summary.rpmdb = Some(format!("{} ({})", now.dbpath, now.backend));
        run.step(
            "post",
            format!("rpm database now at {} ({})", now.dbpath, now.backend),
        );
        location = now;
    }
    if target_major < 9 && location.backend == DbBackend::Sqlite {
        let p = root.join(DB_BACKEND_MACROS);
        if let Some(d) = p.parent() {
            fs::create_dir_all(d).map_err(|e| format!("create {}: {e}", d.display()))?;
        }
        fs::write(
            &p,
            "# written by leapfrog: the rpm database of this host is sqlite\n%_db_backend sqlite\n",
        )
        .map_err(|e| format!("write {}: {e}", p.display()))?;
    }
    summary.module_files = post::write_module_state(&root, &plan.modules)
        .map_err(|e| e.to_string())?
        .len();
    if let Some(kver) = post::target_kernel_version(plan) {
        let id = post::set_default_boot_entry(&root, &kver).map_err(|e| e.to_string())?;
        run.step("post", format!("default boot entry {id}"));
        summary.boot_entry = Some(id);
    }
    summary.selinux_relabel = post::schedule_selinux_relabel(&root).map_err(|e| e.to_string())?;
    summary.config_leftovers = post::config_leftovers(&root).map_err(|e| e.to_string())?;
    for p in &summary.config_leftovers {
        run.sink.emit(Event::Warning {
            message: format!("{} needs a manual merge", p.display()),
        });
    }
    run.report.post = Some(summary);
    run.time("post", started);
    let started = Instant::now();
    let failures: Vec<Failure> =
        verify::verify(&root, plan, &location).map_err(|e| e.to_string())?;
    run.time("verify", started);
    if !failures.is_empty() {
        return Err(format!(
            "verification of the upgraded root failed: {}",
            failures
                .iter()
                .map(|f| f.message.as_str())
                .collect::<Vec<_>>()
                .join(" ")
        ));
    }
    run.step(
        "verify",
        format!(
            "{} packages at their planned versions, os-release is {}, boot entry in place",
            incoming(plan).count(),
            plan.target
        ),
    );
    Ok(())
}

/// Records the failure and rolls back; the run then ends with outcome rolled-back (or an
/// error when no rollback is possible or it failed).
fn fail_and_roll_back(run: &mut Run<'_>, cause: String) -> Result<(), ExecError> {
    run.sink.emit(Event::Error {
        message: cause.clone(),
    });
    run.report.failure = Some(cause.clone());
    if !matches!(run.state.phase, Phase::Failed | Phase::RollingBack) {
        run.state.fail(&cause)?;
        // On a full disk this save can fail: the restore frees space, and a crash before the
        // next save leaves phase applying, which a re-run also rolls back.
        if let Err(e) = run.state.save(&run.root) {
            tracing::warn!("cannot record the failure before the rollback: {e}");
        }
        run.report.phase = Phase::Failed;
        run.sink.emit(Event::Phase {
            phase: Phase::Failed,
            note: cause.clone(),
        });
    }
    let summary = roll_back(run, &cause)?;
    run.report.rollback = Some(summary);
    run.report.outcome = Outcome::RolledBack;
    Ok(())
}

/// Restores the snapshots (phase failed, done or rolling-back), checks the rpm database
/// against the fingerprint taken at planning, releases the stores and records rolled-back.
fn roll_back(run: &mut Run<'_>, cause: &str) -> Result<RollbackSummary, ExecError> {
    let root = run.root.clone();
    let started = Instant::now();
    let set = run.snapshots();
    let mut summary = RollbackSummary::default();
    let Some(mut set) = set else {
        // Failed before the snapshot: nothing was changed.
        summary.nothing_to_restore = true;
        if run.state.phase != Phase::RollingBack {
            run.phase(
                Phase::RollingBack,
                "nothing to restore: the run failed before the snapshot",
            )?;
        }
        run.phase(Phase::RolledBack, "nothing had been changed")?;
        return Ok(summary);
    };
    if set.main.is_none() {
        return Err(ExecError::NoRollback {
            cause: cause.to_string(),
        });
    }
    if run.state.phase != Phase::RollingBack {
        let note = format!("restoring the {} snapshot", set.backend);
        run.state.transition(Phase::RollingBack, &note)?;
        if let Err(e) = run.state.save(&root) {
            tracing::warn!("cannot record phase rolling-back before the restore: {e}");
        }
        run.report.phase = Phase::RollingBack;
        run.sink.emit(Event::Phase {
            phase: Phase::RollingBack,
            note,
        });
    }
    let rollback_failed = |message: String| ExecError::RollbackFailed {
        message,
        cause: cause.to_string(),
        state: super::state::state_path(&root),
    };
    failpoints::fail_point("rollback-before").map_err(|e| rollback_failed(e.to_string()))?;
    for rec in set.main.iter().chain(set.boot.iter()) {
        let rec = rebase(rec, &root);
        let r = match snapshot::restore(&rec, &root) {
            Err(e) if is_no_space(&e) => {
                // The filesystem is still full: give up the package cache (it can be
                // downloaded again) and finish the restore, which is idempotent.
                let cache = fetch::packages_dir(&root);
                run.sink.emit(Event::Warning {
                    message: format!(
                        "the filesystem is full ({e}): removing the package cache {} to complete the rollback; run `leapfrog download` again before the next apply",
                        cache.display()
                    ),
                });
                let _ = fs::remove_dir_all(&cache);
                snapshot::restore(&rec, &root)
            }
            other => other,
        }
        .map_err(|e| rollback_failed(e.to_string()))?;
        summary.removed += r.removed;
        summary.restored += r.restored;
        summary.pending_reboot |= r.pending_reboot;
    }
    let since = set
        .main
        .as_ref()
        .and_then(|m| humantime::parse_rfc3339(&m.created).ok());
    remove_rpm_temporaries(&root, since);
    failpoints::fail_point("rollback-after").map_err(|e| rollback_failed(e.to_string()))?;
    if !summary.pending_reboot
        && let Some(expected) = &run.state.rpmdb_fingerprint
    {
        match stale::fingerprint_root(&root) {
            Ok(now) => summary.rpmdb_matches = Some(&now == expected),
            Err(e) => {
                return Err(rollback_failed(format!(
                    "the restored rpm database cannot be read: {e}"
                )));
            }
        }
        if summary.rpmdb_matches == Some(false) {
            return Err(rollback_failed(
                "the restored rpm database differs from the one the plan was made for".into(),
            ));
        }
    }
    run.time("rollback", started);
    // Release the stores after the restore (LVM: the merge consumes the snapshot itself).
    if !summary.pending_reboot {
        for rec in set.main.iter().chain(set.boot.iter()) {
            if let Err(e) = snapshot::release(&rebase(rec, &root)) {
                run.sink.emit(Event::Warning {
                    message: format!("the snapshot store {} was not released: {e}", rec.id),
                });
            }
        }
        set.released = true;
        run.state.snapshot = serde_json::to_value(&set).ok();
    }
    let _ = fs::remove_file(state_dir(&root).join(PACKAGE_DIRS));
    // A snapshot taken in the upgrade environment holds /boot as staged (leapfrog's entry,
    // selected once): the restored system must not boot into it again.
    if let Ok(Some(_)) = crate::boot::Staged::load(&root)
        && let Err(e) = crate::boot::unstage(&root, true, true)
    {
        run.sink.emit(Event::Warning {
            message: format!("cannot remove leapfrog's upgrade boot entry: {e}"),
        });
    }
    run.phase(
        Phase::RolledBack,
        &format!(
            "restored: {} paths removed, {} written back{}",
            summary.removed,
            summary.restored,
            if summary.pending_reboot {
                "; the LVM merge completes at the next boot"
            } else {
                ""
            }
        ),
    )?;
    if summary.pending_reboot {
        keep_for_merge(run);
    }
    Ok(summary)
}

/// A scheduled LVM merge brings back the state and logs of the snapshot's moment: keep this
/// rollback's on /boot for [`merge_keep::reconcile`].
fn keep_for_merge(run: &Run<'_>) {
    run.step(
        "keep-for-merge",
        format!(
            "the state and logs of this rollback are kept in {} until the merge has completed",
            merge_keep::keep_dir(&run.root).display()
        ),
    );
    run.sink.sync();
    match merge_keep::keep(&run.root) {
        Ok(true) => {}
        Ok(false) => run.sink.emit(Event::Warning {
            message: format!(
                "/boot is on the root volume, so the merge also takes leapfrog's state and logs back to the moment of the snapshot: after the reboot `leapfrog status` shows phase planned, and this log is in {} only until then",
                run.root.join(super::progress::LOG_DIR).display()
            ),
        }),
        Err(e) => run.sink.emit(Event::Warning {
            message: format!(
                "cannot keep the state and logs of this rollback on /boot ({e}): after the merge `leapfrog status` shows the state of the moment of the snapshot"
            ),
        }),
    }
}

/// Puts back the state and logs an LVM rollback kept on /boot, once the merge has happened.
fn reconcile_merge(root: &Path) -> Result<(), ExecError> {
    merge_keep::reconcile(root)
        .map(drop)
        .map_err(ExecError::Kept)
}

/// Removes the temporary files rpm leaves when it dies or fails while unpacking
/// (`NAME;6a3f09c1`) in the directories that receive package files, and its scriptlet files
/// (`/var/tmp/rpm-tmp.*`) created since the snapshot (`since`): the journal does not know them.
fn remove_rpm_temporaries(root: &Path, since: Option<std::time::SystemTime>) {
    if let (Some(since), Ok(entries)) = (since, fs::read_dir(root.join("var/tmp"))) {
        // the snapshot time has a one-second resolution
        let since = since - std::time::Duration::from_secs(1);
        for e in entries.flatten() {
            let new = e
                .metadata()
                .and_then(|m| m.modified())
                .is_ok_and(|t| t >= since);
            if new && e.file_name().to_string_lossy().starts_with("rpm-tmp.") {
                tracing::info!("removing rpm's scriptlet file {}", e.path().display());
                let _ = fs::remove_file(e.path());
            }
        }
    }
    let Ok(bytes) = fs::read(state_dir(root).join(PACKAGE_DIRS)) else {
        return;
    };
    let Ok(dirs) = serde_json::from_slice::<Vec<String>>(&bytes) else {
        return;
    };
    for d in dirs {
        let dir = root.join(d.trim_start_matches('/'));
        let Ok(entries) = fs::read_dir(&dir) else {
            continue;
        };
        for e in entries.flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            if is_rpm_temporary(&name) {
                tracing::info!("removing rpm's temporary file {}", e.path().display());
                let _ = fs::remove_file(e.path());
            }
        }
    }
}

fn is_no_space(e: &SnapshotError) -> bool {
    match e {
        SnapshotError::NoSpace { .. } => true,
        SnapshotError::Io { source, .. } => matches!(source.raw_os_error(), Some(28 | 122)),
        _ => false,
    }
}

/// `rec` with its root and store moved onto `root`: a snapshot taken with the root mounted at
/// `/sysroot` (the upgrade initramfs) is restored from the booted system, where it is `/`.
pub fn rebase(rec: &Record, root: &Path) -> Record {
    let mut r = rec.clone();
    if r.root != root {
        if let Ok(rel) = rec.store.strip_prefix(&rec.root) {
            r.store = root.join(rel);
        }
        r.root = root.to_path_buf();
    }
    r
}

/// rpm's temporary name of a file being unpacked: the name, `;` and 8 hex digits.
pub fn is_rpm_temporary(name: &str) -> bool {
    match name.rsplit_once(';') {
        Some((base, suffix)) => {
            !base.is_empty() && suffix.len() == 8 && suffix.bytes().all(|b| b.is_ascii_hexdigit())
        }
        None => false,
    }
}

/// The result of [`rollback`].
#[derive(Debug, Clone, Serialize)]
pub struct RollbackReport {
    /// Phase found when the command started.
    pub from: Phase,
    /// Phase at the end (rolled-back).
    pub phase: Phase,
    /// The root was already rolled back: nothing was done.
    pub already: bool,
    /// What the restore did.
    pub rollback: Option<RollbackSummary>,
    /// The snapshot backend.
    pub backend: Option<Backend>,
    /// Seconds.
    pub seconds: f64,
    /// The executor's log.
    pub log: Option<PathBuf>,
}

/// `leapfrog rollback`: restores the pre-upgrade state after a done, failed or interrupted run.
///
/// # Errors
///
/// No state, a committed upgrade, a run without snapshot, or a failing restore.
pub fn rollback(root: &Path, sink: &Sink) -> Result<RollbackReport, ExecError> {
    let root = std::path::absolute(root).map_err(io("resolve", root))?;
    let _lock = RunLock::acquire(&root)?;
    reconcile_merge(&root)?;
    let log = sink.log_to(&root, APPLY_LOG).ok();
    let state = State::load(&root)?.ok_or_else(|| {
        ExecError::Refused("nothing to roll back: no upgrade has been applied to this root".into())
    })?;
    let started = Instant::now();
    let from = state.phase;
    if let Some(at) = &state.committed {
        return Err(ExecError::Refused(format!(
            "the upgrade was committed at {at}: its snapshot is released and it cannot be rolled back"
        )));
    }
    let mut run = Run {
        root: root.clone(),
        sink,
        report: ApplyReport::new(Outcome::RolledBack, &state, Some(from), log.clone()),
        state,
    };
    let backend = run.snapshots().map(|s| s.backend);
    if run.snapshots().is_some_and(|s| s.main.is_none()) && from != Phase::RolledBack {
        return Err(ExecError::Refused(
            "this upgrade ran with --snapshot none: there is no snapshot, so it cannot be rolled back"
                .into(),
        ));
    }
    if from == Phase::RolledBack {
        return Ok(RollbackReport {
            from,
            phase: from,
            already: true,
            rollback: None,
            backend,
            seconds: 0.0,
            log,
        });
    }
    let cause = match from {
        Phase::Done => "rollback requested by the operator".to_string(),
        Phase::Failed | Phase::RollingBack => run
            .state
            .last_error
            .clone()
            .unwrap_or_else(|| "an earlier run failed".into()),
        p => {
            let cause = format!("rollback requested while a run was interrupted in phase {p}");
            run.state.fail(&cause)?;
            run.state.save(&root)?;
            cause
        }
    };
    run.step("rollback", cause.clone());
    let summary = roll_back(&mut run, &cause)?;
    sink.sync();
    Ok(RollbackReport {
        from,
        phase: run.state.phase,
        already: false,
        rollback: Some(summary),
        backend,
        seconds: started.elapsed().as_secs_f64(),
        log,
    })
}

/// The result of [`commit`].
#[derive(Debug, Clone, Serialize)]
pub struct CommitReport {
    /// When.
    pub committed: String,
    /// The backend whose snapshot was released.
    pub backend: Option<Backend>,
    /// It had been committed before: nothing was done.
    pub already: bool,
}

fn commit_state(run: &mut Run<'_>) -> Result<(), ExecError> {
    failpoints::fail_point("commit-before-release")?;
    if let Some(mut set) = run.snapshots() {
        for rec in set.main.iter().chain(set.boot.iter()) {
            snapshot::release(&rebase(rec, &run.root)).map_err(|e| {
                ExecError::Refused(format!("cannot release the snapshot {}: {e}", rec.id))
            })?;
        }
        set.released = true;
        run.state.snapshot = serde_json::to_value(&set).ok();
    }
    let _ = fs::remove_file(state_dir(&run.root).join(PACKAGE_DIRS));
    run.state.committed = Some(now());
    run.state.save(&run.root)?;
    run.step("commit", "the snapshot is released: the upgrade is final");
    Ok(())
}

/// `leapfrog commit`: keeps a done upgrade and releases its snapshot.
///
/// # Errors
///
/// When no upgrade is done, or the snapshot cannot be released.
pub fn commit(root: &Path, sink: &Sink) -> Result<CommitReport, ExecError> {
    let root = std::path::absolute(root).map_err(io("resolve", root))?;
    let _lock = RunLock::acquire(&root)?;
    reconcile_merge(&root)?;
    let log = sink.log_to(&root, APPLY_LOG).ok();
    let state = State::load(&root)?
        .ok_or_else(|| ExecError::Refused("nothing to commit: no upgrade was applied".into()))?;
    if let Some(at) = &state.committed {
        return Ok(CommitReport {
            committed: at.clone(),
            backend: None,
            already: true,
        });
    }
    if state.phase != Phase::Done {
        return Err(ExecError::Refused(format!(
            "only a completed upgrade can be committed; the recorded phase is {}",
            state.phase
        )));
    }
    let mut run = Run {
        root: root.clone(),
        sink,
        report: ApplyReport::new(Outcome::Done, &state, None, log),
        state,
    };
    let backend = run.snapshots().map(|s| s.backend);
    commit_state(&mut run)?;
    Ok(CommitReport {
        committed: run.state.committed.clone().unwrap_or_default(),
        backend,
        already: false,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rpm_temporaries_are_recognised() {
        assert!(is_rpm_temporary("bash;6a3f09c1"));
        assert!(is_rpm_temporary("libc.so.6;ABCDEF01"));
        assert!(!is_rpm_temporary("bash"));
        assert!(!is_rpm_temporary(";6a3f09c1"));
        assert!(!is_rpm_temporary("a;6a3f09c"));
        assert!(!is_rpm_temporary("a;6a3f09cz"));
    }

    #[test]
    fn records_are_rebased_onto_the_current_root() {
        let rec = Record {
            backend: Backend::Copy,
            id: "snapshot".into(),
            store: "/sysroot/var/lib/leapfrog/snapshot".into(),
            root: "/sysroot".into(),
            created: String::new(),
            entries: 1,
            bytes: 1,
            lvm: None,
        };
        let r = rebase(&rec, Path::new("/"));
        assert_eq!(r.store, Path::new("/var/lib/leapfrog/snapshot"));
        assert_eq!(r.root, Path::new("/"));
        assert_eq!(rebase(&rec, Path::new("/sysroot")), rec);
    }

    #[test]
    fn rollback_without_state_is_refused() {
        let d = tempfile::tempdir().unwrap();
        let e = rollback(d.path(), &Sink::discard()).unwrap_err();
        assert!(e.to_string().contains("nothing to roll back"), "{e}");
        let e = commit(d.path(), &Sink::discard()).unwrap_err();
        assert!(e.to_string().contains("nothing to commit"), "{e}");
    }

    #[test]
    fn apply_without_plan_is_an_error_that_changes_nothing() {
        let d = tempfile::tempdir().unwrap();
        let e = apply(d.path(), &ApplyOptions::default(), &Sink::discard()).unwrap_err();
        assert!(e.to_string().contains("leapfrog plan"), "{e}");
        assert!(!super::super::state::state_path(d.path()).exists());
    }
}
