//! Readiness, before anything changes: the plan has no inhibitor, the download belongs to this
//! plan and was ready, the root is the one planned against (rpmdb fingerprint), and every
//! package file verifies again (size, checksum, signature against the keys of the download).

use std::collections::BTreeMap;
use std::fs;
use std::path::PathBuf;

use rayon::prelude::*;
use rpm_sys::verify::Keyring;

use super::error::ExecError;
use super::stale;
use crate::document::Document as _;
use crate::download::DownloadRecord;
use crate::fetch;
use crate::plan::PlanDocument;
use crate::plan::document::Element;
use crate::workspace::Workspace;

/// The download record of `plan`, which must be there, belong to it and have been ready.
///
/// # Errors
///
/// [`ExecError::NotDownloaded`] naming what to run.
pub(crate) fn download_record(
    ws: &Workspace,
    plan: &PlanDocument,
) -> Result<DownloadRecord, ExecError> {
    let record = DownloadRecord::load(ws)?.ok_or_else(|| {
        ExecError::NotDownloaded(
            "the packages of the plan are not downloaded: run `leapfrog download` first".into(),
        )
    })?;
    if record.plan_id != plan.plan_id {
        return Err(ExecError::NotDownloaded(format!(
            "the download (for plan {}) does not belong to the current plan ({}): run `leapfrog download` again",
            crate::plan::document::short_id(&record.plan_id),
            plan.short_id()
        )));
    }
    if !record.ready {
        return Err(ExecError::NotDownloaded(
            "the last `leapfrog download` was not ready (test transaction problems or not enough space): fix what it reported and run it again".into(),
        ));
    }
    Ok(record)
}

fn verify_one(
    ws: &Workspace,
    record: &DownloadRecord,
    keyring: &Keyring,
    e: &Element,
) -> Result<(String, PathBuf), String> {
    let rel = record.files.get(&e.nevra).ok_or_else(|| {
        format!(
            "{} is not in the download record: run `leapfrog download` again",
            e.nevra
        )
    })?;
    if !fetch::repomd::safe_relative(rel) {
        return Err(format!("unsafe file name {rel:?} for {}", e.nevra));
    }
    let path = ws.packages_dir().join(rel);
    let item = fetch::Item {
        nevra: e.nevra.clone(),
        repo: e.repo.clone(),
        urls: Vec::new(),
        checksum: e.checksum.clone(),
        size: Some(e.download_size).filter(|s| *s > 0),
    };
    fetch::verify_file(&item, rel, &path, keyring, record.gpgcheck)
        .map_err(|err| err.to_string())?;
    Ok((e.nevra.clone(), path))
}

/// Every check before anything changes. Returns the verified package file of every incoming
/// NEVRA.
///
/// # Errors
///
/// [`ExecError::Inhibited`], [`ExecError::NotDownloaded`], [`ExecError::Stale`],
/// [`ExecError::Packages`].
pub(crate) fn check(
    ws: &Workspace,
    plan: &PlanDocument,
) -> Result<BTreeMap<String, PathBuf>, ExecError> {
    if plan.inhibited() {
        return Err(ExecError::Inhibited(plan.inhibitor_titles().join("; ")));
    }
    let record = download_record(ws, plan)?;
    stale::check(plan, ws)?;
    let keys_dir = ws.keys_dir();
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
    let keyring =
        Keyring::from_files(&keys).map_err(|e| ExecError::Packages(super::error::chain(&e)))?;
    let wanted: Vec<&Element> = plan.incoming().collect();
    let checked: Vec<Result<(String, PathBuf), String>> = wanted
        .par_iter()
        .map(|e| verify_one(ws, &record, &keyring, e))
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
