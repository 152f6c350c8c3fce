//! The RPM transaction of a plan, filled in one place: [`fill`] adds every package the plan
//! brings in (from its downloaded, verified file) and every erasure the plan asks for. The test
//! transaction of `leapfrog download` and the real transaction of the executor are both filled
//! by it, so the test proves exactly what will run.

use std::collections::BTreeMap;
use std::path::PathBuf;

use rpm_sys::{EraseTarget, Transaction, TransactionError};

use crate::plan::PlanDocument;

/// Why the transaction cannot be filled.
#[derive(Debug, thiserror::Error)]
pub enum FillError {
    /// An incoming package has no verified file.
    #[error("{nevra} has no downloaded file: run `leapfrog download` again")]
    NoFile {
        /// The package.
        nevra: String,
    },
    /// librpm refused an element.
    #[error("cannot add {what} to the transaction")]
    Element {
        /// `bash-5.1-…` or `the removal of …`.
        what: String,
        /// Why.
        #[source]
        source: TransactionError,
    },
}

/// Adds the plan's elements to `tx`: every incoming package in upgrade mode (rpm then also
/// erases what it obsoletes; installonly packages such as kernels are added beside the old
/// ones), from `files` (NEVRA -> verified package file), then every planned erasure.
///
/// # Errors
///
/// [`FillError`].
pub fn fill(
    tx: &mut Transaction,
    plan: &PlanDocument,
    files: &BTreeMap<String, PathBuf>,
) -> Result<(), FillError> {
    for e in plan.incoming() {
        let path = files.get(&e.nevra).ok_or_else(|| FillError::NoFile {
            nevra: e.nevra.clone(),
        })?;
        tx.add_install(path, true)
            .map_err(|source| FillError::Element {
                what: e.nevra.clone(),
                source,
            })?;
    }
    for e in plan.erasures() {
        tx.add_erase(EraseTarget::Label(&e.nevra))
            .map_err(|source| FillError::Element {
                what: format!("the removal of {}", e.nevra),
                source,
            })?;
    }
    Ok(())
}
