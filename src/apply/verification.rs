//! Phase verifying -> done: the post-steps ([`super::post`]: rpm database format and location
//! of the target, module state, default boot entry, SELinux relabel, `.rpmnew` report) and the
//! verification of the upgraded root ([`super::verify`]). Both are idempotent: a re-run after a
//! crash does them again.

use std::time::Instant;

use rpm_sys::DbBackend;

use super::error::StepError;
use super::post;
use super::report::PostSummary;
use super::run::Run;
use super::verify::{self, Failure};
use crate::boot::entries;
use crate::plan::PlanDocument;

/// Runs the post-steps and the verification.
///
/// # Errors
///
/// [`StepError`]: the caller rolls back.
pub(crate) fn post_and_verify(run: &mut Run<'_>, plan: &PlanDocument) -> Result<(), StepError> {
    let ws = run.ws;
    let started = Instant::now();
    let target_major = post::release_major(&plan.target)
        .ok_or_else(|| StepError::TargetMajor(plan.target.clone()))?;
    let mut summary = PostSummary::default();
    let mut location = crate::rpmdb::location(ws)?;
    if let Some(now) = post::convert_rpmdb(ws, &location, target_major)? {
        summary.rpmdb = Some(format!("{} ({})", now.dbpath, now.backend));
        run.step(
            "post",
            format!("rpm database now at {} ({})", now.dbpath, now.backend),
        );
        location = now;
    }
    if target_major < 9 && location.backend == DbBackend::Sqlite {
        post::write_db_backend_macros(ws)?;
    }
    summary.module_files = post::write_module_state(ws, &plan.modules)?.len();
    if let Some(kver) = post::target_kernel_version(plan) {
        let id = entries::set_default_entry(ws, &kver)?;
        run.step("post", format!("default boot entry {id}"));
        summary.boot_entry = Some(id);
    }
    summary.selinux_relabel = post::schedule_selinux_relabel(ws)?;
    summary.config_leftovers = post::config_leftovers(ws)?;
    for p in &summary.config_leftovers {
        run.warn(format!("{} needs a manual merge", p.display()));
    }
    run.report.post = Some(summary);
    run.time("post", started);
    let started = Instant::now();
    let failures: Vec<Failure> = verify::verify(ws, plan, &location)?;
    run.time("verify", started);
    if !failures.is_empty() {
        return Err(StepError::Verification(failures));
    }
    run.step(
        "verify",
        format!(
            "{} packages at their planned versions, os-release is {}, boot entry in place",
            plan.incoming().count(),
            plan.target
        ),
    );
    Ok(())
}
