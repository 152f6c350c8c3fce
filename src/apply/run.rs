//! One run of the executor: the workspace, the state, the report being built and where events
//! go. [`Run::enter`] is the one way into a phase: what the phase vouches for is synced to the
//! disk first, then the transition is made, `state.json` saved, and the phase logged (the log
//! synced too, so that after a power cut `apply.log` names every phase `state.json` records).

use std::time::Instant;

use super::error::StepError;
use super::progress::{Event, Sink};
use super::report::ApplyReport;
use super::state::{IllegalTransition, PhaseName, SnapshotSet, State};
use crate::document::Document as _;
use crate::workspace::Workspace;

/// A named transition of the state machine, with the data the new phase holds.
#[derive(Debug, Clone)]
pub(crate) enum Transition {
    /// planned -> snapshotted.
    Snapshotted(Box<SnapshotSet>),
    /// snapshotted -> applying.
    Applying,
    /// applying -> verifying.
    Verifying,
    /// verifying -> done.
    Done,
    /// -> failed.
    Failed(String),
    /// -> rolling-back.
    RollingBack {
        /// Why.
        cause: String,
        /// The operator asked for it.
        requested: bool,
    },
    /// rolling-back -> rolled-back.
    RolledBack,
}

impl Transition {
    fn target(&self) -> PhaseName {
        match self {
            Transition::Snapshotted(_) => PhaseName::Snapshotted,
            Transition::Applying => PhaseName::Applying,
            Transition::Verifying => PhaseName::Verifying,
            Transition::Done => PhaseName::Done,
            Transition::Failed(_) => PhaseName::Failed,
            Transition::RollingBack { .. } => PhaseName::RollingBack,
            Transition::RolledBack => PhaseName::RolledBack,
        }
    }

    fn apply(self, state: &mut State, note: &str) -> Result<(), IllegalTransition> {
        match self {
            Transition::Snapshotted(set) => state.snapshotted(*set, note),
            Transition::Applying => state.applying(note),
            Transition::Verifying => state.verifying(note),
            Transition::Done => state.done(note),
            Transition::Failed(error) => state.failed(&error),
            Transition::RollingBack { cause, requested } => {
                state.rolling_back(&cause, requested, note)
            }
            Transition::RolledBack => state.rolled_back(note),
        }
    }
}

/// How strictly [`Run::enter`] needs its save.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Save {
    /// The save must succeed.
    Required,
    /// A failed save is logged and the run goes on: on a full disk the rollback that follows
    /// frees space, and a crash before the next save leaves a phase a re-run also rolls back.
    BestEffort,
}

/// The context of one executor command.
pub(crate) struct Run<'a> {
    /// The root.
    pub ws: &'a Workspace,
    /// Where events go.
    pub sink: &'a Sink,
    /// The state, as last saved (or about to be).
    pub state: State,
    /// The report being built.
    pub report: ApplyReport,
}

impl Run<'_> {
    /// Enters a phase (see the module documentation).
    pub fn enter(&mut self, to: Transition, note: &str, save: Save) -> Result<(), StepError> {
        let target = to.target();
        if matches!(
            target,
            PhaseName::Snapshotted | PhaseName::Verifying | PhaseName::Done | PhaseName::RolledBack
        ) {
            // What the phase says about the disk (the snapshot is complete, the transaction's
            // files are written, the post-steps are done, the old files are back) must be on
            // the disk before the state says it: rpm does not fsync the files it writes, and a
            // power cut after the state write would find the phase recorded and the files lost
            // (the VM power-cut test found os-release empty after a cut during verification).
            nix::unistd::sync();
        }
        to.apply(&mut self.state, note)?;
        match (self.state.save(self.ws), save) {
            (Ok(_), _) => {}
            (Err(e), Save::Required) => return Err(e.into()),
            (Err(e), Save::BestEffort) => {
                tracing::warn!("cannot record phase {target} ({note}): {e}");
            }
        }
        self.report.phase = target;
        self.sink.emit(Event::Phase {
            phase: target,
            note: note.to_string(),
        });
        self.sink.sync();
        Ok(())
    }

    /// Reports a step.
    pub fn step(&self, step: &str, message: impl Into<String>) {
        self.sink.emit(Event::Step {
            step: step.into(),
            message: message.into(),
        });
    }

    /// Reports a warning.
    pub fn warn(&self, message: impl Into<String>) {
        self.sink.emit(Event::Warning {
            message: message.into(),
        });
    }

    /// Records how long a step took.
    pub fn time(&mut self, step: &str, started: Instant) {
        self.report
            .timings
            .insert(step.to_string(), started.elapsed().as_secs_f64());
    }
}
