//! Phase snapshotted -> applying -> verifying: the one RPM transaction of the run, filled by
//! [`crate::transaction::fill`] from the verified package files, with rpm's progress turned
//! into events and scriptlet output into `scriptlets.log`. A BerkeleyDB database, which this
//! librpm cannot write, is rebuilt as sqlite first (the snapshot holds the BerkeleyDB files).

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use leapfrog_base::failpoints::{self, FailpointError};
use rpm_sys::{DbBackend, ProgressKind, Transaction, TransactionFlags};

use super::error::{StepError, TransactionFailure};
use super::post;
use super::progress::Event;
use super::report::TransactionSummary;
use super::run::{Run, Save, Transition};
use crate::document::Document as _;
use crate::download::DownloadRecord;
use crate::plan::PlanDocument;

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

/// The verified package files of the download record (the snapshot phase verified them).
fn recorded_files(
    run: &Run<'_>,
    plan: &PlanDocument,
) -> Result<BTreeMap<String, PathBuf>, StepError> {
    let record = DownloadRecord::require(run.ws)?;
    if record.plan_id != plan.plan_id {
        return Err(StepError::Interrupted(
            "the download record no longer belongs to the plan",
        ));
    }
    Ok(record
        .files
        .iter()
        .filter(|(_, rel)| crate::fetch::repomd::safe_relative(rel))
        .map(|(n, rel)| (n.clone(), run.ws.packages_dir().join(rel)))
        .collect())
}

/// Runs the transaction (see the module documentation).
///
/// # Errors
///
/// [`StepError`]: the caller rolls back.
pub(crate) fn run_transaction(run: &mut Run<'_>, plan: &PlanDocument) -> Result<(), StepError> {
    let ws = run.ws;
    let files = recorded_files(run, plan)?;
    run.enter(
        Transition::Applying,
        "the RPM transaction starts",
        Save::Required,
    )?;
    failpoints::fail_point("transaction-before")?;
    let started = Instant::now();
    let mut location = crate::rpmdb::location(ws)?;
    if location.backend == DbBackend::BdbReadOnly {
        run.step(
            "rpmdb",
            "rebuilding the BerkeleyDB rpm database as sqlite (this rpm cannot write BerkeleyDB)",
        );
        if let Some(now) = post::convert_rpmdb(ws, &location, 9)? {
            location = now;
        }
    }
    let mut tx = Transaction::new(ws.root(), &location).map_err(StepError::Rpm)?;
    let script_log = ws.scriptlet_log_path();
    match tx.set_script_output(&script_log) {
        Ok(()) => run.report.scriptlet_log = Some(script_log),
        Err(e) => tracing::warn!("scriptlet output stays on the console: {e}"),
    }
    crate::transaction::fill(&mut tx, plan, &files)?;
    // rpm orders the elements inside run(); its element events carry the total
    let sink = run.sink.clone();
    let seen_total = Arc::new(AtomicU64::new(0));
    let total_out = seen_total.clone();
    let mut done = 0u64;
    let mut total = 0u64;
    tx.set_observer(Box::new(move |ev| match ev.kind {
        ProgressKind::Element if ev.total > total => {
            total = ev.total;
            total_out.store(total, Ordering::Relaxed);
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
    let result = tx.run(real_run_flags()?);
    drop(tx);
    let total = seen_total.load(Ordering::Relaxed);
    run.time("transaction", started);
    let report = result.map_err(StepError::Rpm)?;
    let count = |k: ProgressKind| report.events.iter().filter(|e| e.kind == k).count() as u64;
    let failing_scriptlets: Vec<String> = report
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
        run.warn(m.clone());
    }
    if !report.succeeded() || !failing_scriptlets.is_empty() || unpack_errors > 0 {
        return Err(StepError::TransactionFailed(TransactionFailure {
            problems: report.problems.iter().map(ToString::to_string).collect(),
            failing_scriptlets,
            unpack_errors,
            failed_elements: u64::from(report.failed_elements),
            rpm_messages: report
                .messages
                .iter()
                .filter(|m| m.starts_with("error:") || m.contains("scriptlet failed"))
                .cloned()
                .collect(),
        }));
    }
    failpoints::fail_point("transaction-after")?;
    run.enter(
        Transition::Verifying,
        &format!("the RPM transaction completed ({total} elements)"),
        Save::Required,
    )?;
    Ok(())
}
