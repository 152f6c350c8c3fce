//! rpm's problems of a transaction (unmet dependencies, conflicts, disk space...), converted
//! from librpm's problem set.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::ffi;
use crate::librpm::api;
use crate::package::owned_string;

/// One problem rpm reports for a transaction, with the packages involved as `name-[e:]v-r.arch`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "problem", rename_all = "snake_case")]
#[non_exhaustive]
pub enum TransactionProblem {
    /// `package` requires `capability` and nothing in the result provides it.
    RequiresUnmet {
        /// The package with the requirement.
        package: String,
        /// The requirement as rpm prints it (`libfoo.so.3()(64bit)`, `bar >= 2`).
        capability: String,
        /// The requiring package is installed (not part of the transaction).
        installed: bool,
    },
    /// `package` conflicts with `capability` (provided by another package).
    Conflict {
        /// The package whose Conflicts matches (or the one matched, see `installed`).
        package: String,
        /// The conflicting capability.
        capability: String,
        /// `package` is installed (not part of the transaction).
        installed: bool,
    },
    /// Two packages contain the same path with different content.
    FileConflict {
        /// The path.
        path: String,
        /// The package being installed.
        package: String,
        /// The other package.
        other: String,
        /// The other package is installed (rpm's `FILE_CONFLICT`); false when both are being
        /// installed (`NEW_FILE_CONFLICT`).
        other_installed: bool,
    },
    /// The filesystem mounted at `mount` lacks `needed` bytes (rpm counts its own 5% margin).
    DiskSpace {
        /// Mount point as seen inside the root (`/` for the filesystem holding the root's top
        /// directory, even when it is mounted above the root on the host).
        mount: String,
        /// Bytes missing.
        needed: u64,
        /// The package whose installation first went over.
        package: String,
    },
    /// The filesystem mounted at `mount` lacks `needed` inodes.
    DiskNodes {
        /// Mount point as seen inside the root (see `DiskSpace`).
        mount: String,
        /// Inodes missing.
        needed: u64,
        /// The package whose installation first went over.
        package: String,
    },
    /// Any other problem (already installed, wrong arch, obsoleted, older package...).
    Other {
        /// rpm's problem type (`RPMPROB_*` without the prefix, lowercase).
        kind: String,
        /// The package concerned (rpm's "pkg NEVR").
        package: Option<String>,
        /// The other package involved, if any (rpm's "alt NEVR": the obsoleting or newer one).
        other: Option<String>,
        /// rpm's message.
        message: String,
    },
}

impl fmt::Display for TransactionProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let installed = |b: &bool| if *b { " (installed)" } else { "" };
        match self {
            TransactionProblem::RequiresUnmet {
                package,
                capability,
                installed: i,
            } => write!(
                f,
                "{package}{} requires {capability}, which nothing provides",
                installed(i)
            ),
            TransactionProblem::Conflict {
                package,
                capability,
                installed: i,
            } => write!(f, "{package}{} conflicts with {capability}", installed(i)),
            TransactionProblem::FileConflict {
                path,
                package,
                other,
                other_installed,
            } => write!(
                f,
                "file {path} of {package} conflicts with the same file of {other}{}",
                installed(other_installed)
            ),
            TransactionProblem::DiskSpace {
                mount,
                needed,
                package,
            } => write!(
                f,
                "installing {package} needs {needed} more bytes on the filesystem at {mount}"
            ),
            TransactionProblem::DiskNodes {
                mount,
                needed,
                package,
            } => write!(
                f,
                "installing {package} needs {needed} more inodes on the filesystem at {mount}"
            ),
            TransactionProblem::Other { message, .. } => f.write_str(message),
        }
    }
}

/// The current problem set of the transaction set `ts`.
///
/// # Safety
///
/// `ts` must be a valid transaction set and the caller must hold the librpm lock.
pub(super) unsafe fn problems(ts: ffi::rpmts) -> Vec<TransactionProblem> {
    // SAFETY: `ts` is valid per the contract; rpmtsProblems returns a new reference we free
    // below.
    let ps = unsafe { api().rpmtsProblems(ts) };
    if ps.is_null() {
        return Vec::new();
    }
    let mut problems = Vec::new();
    // SAFETY: `ps` is a valid problem set.
    let psi = unsafe { api().rpmpsInitIterator(ps) };
    if !psi.is_null() {
        loop {
            // SAFETY: `psi` is a valid iterator; the problem it returns is owned by `ps`.
            let prob = unsafe { api().rpmpsiNext(psi) };
            if prob.is_null() {
                break;
            }
            // SAFETY: `prob` is valid until `ps` is freed; the caller holds the lock.
            problems.push(unsafe { convert_problem(prob) });
        }
        // SAFETY: `psi` is valid and freed once.
        unsafe { api().rpmpsFreeIterator(psi) };
    }
    // SAFETY: we own this reference to `ps` and drop it once, after the last use.
    unsafe { api().rpmpsFree(ps) };
    problems
}

/// Converts one librpm problem.
///
/// # Safety
///
/// `prob` must be a valid problem and the caller must hold the librpm lock.
unsafe fn convert_problem(prob: ffi::rpmProblem) -> TransactionProblem {
    // SAFETY: `prob` is valid per the contract; the strings are owned by it and copied.
    let (kind, package, alt, text, number) = unsafe {
        (
            api().rpmProblemGetType(prob),
            owned_string(api().rpmProblemGetPkgNEVR(prob)).unwrap_or_default(),
            owned_string(api().rpmProblemGetAltNEVR(prob)),
            owned_string(api().rpmProblemGetStr(prob)).unwrap_or_default(),
            api().rpmProblemGetDiskNeed(prob),
        )
    };
    match kind {
        ffi::RPMPROB_REQUIRES => TransactionProblem::RequiresUnmet {
            package,
            capability: text,
            installed: number != 0,
        },
        ffi::RPMPROB_CONFLICT => TransactionProblem::Conflict {
            package,
            capability: text,
            installed: number != 0,
        },
        ffi::RPMPROB_FILE_CONFLICT | ffi::RPMPROB_NEW_FILE_CONFLICT => {
            TransactionProblem::FileConflict {
                path: text,
                package,
                other: alt.unwrap_or_default(),
                other_installed: kind == ffi::RPMPROB_FILE_CONFLICT,
            }
        }
        ffi::RPMPROB_DISKSPACE => TransactionProblem::DiskSpace {
            mount: text,
            needed: number,
            package,
        },
        ffi::RPMPROB_DISKNODES => TransactionProblem::DiskNodes {
            mount: text,
            needed: number,
            package,
        },
        other => {
            // SAFETY: `prob` is valid; rpmProblemString returns a malloc'ed string we free.
            let message = unsafe {
                let raw = api().rpmProblemString(prob);
                let text = owned_string(raw).unwrap_or_default();
                if !raw.is_null() {
                    libc::free(raw.cast());
                }
                text
            };
            TransactionProblem::Other {
                kind: problem_kind_name(other).to_owned(),
                package: (!package.is_empty()).then_some(package),
                other: alt.filter(|a| !a.is_empty()),
                message,
            }
        }
    }
}

fn problem_kind_name(kind: ffi::rpmProblemType) -> &'static str {
    match kind {
        ffi::RPMPROB_BADARCH => "badarch",
        ffi::RPMPROB_BADOS => "bados",
        ffi::RPMPROB_PKG_INSTALLED => "pkg_installed",
        ffi::RPMPROB_BADRELOCATE => "badrelocate",
        ffi::RPMPROB_OLDPACKAGE => "oldpackage",
        ffi::RPMPROB_OBSOLETES => "obsoletes",
        ffi::RPMPROB_VERIFY => "verify",
        _ => "unknown",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn problems_explain_themselves() {
        let p = TransactionProblem::RequiresUnmet {
            package: "a-1-1.x86_64".into(),
            capability: "libfoo.so.3()(64bit)".into(),
            installed: false,
        };
        assert_eq!(
            p.to_string(),
            "a-1-1.x86_64 requires libfoo.so.3()(64bit), which nothing provides"
        );
        let json = serde_json::to_value(&p).unwrap();
        assert_eq!(json["problem"], "requires_unmet");
    }
}
