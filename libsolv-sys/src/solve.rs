//! Jobs, the solver, problems and the ordered transaction.

use std::ffi::{CString, c_int};
use std::ptr;

use crate::pool::{Pool, SolvableId};
use crate::{SolvError, ffi};

/// One request to the solver.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Job {
    /// Install something matching a name, a `name.arch`, a provide or `name >= evr`.
    Install(String),
    /// Erase every installed package matching the selection.
    Erase(String),
    /// Keep a package matching the selection installed (it may be updated, never erased).
    Keep(String),
    /// Bring every installed package to the version of the available repositories
    /// (`dnf distro-sync`: up- or downgrade, change vendor or arch as needed).
    DistroSyncAll,
    /// Packages providing this capability may be installed in several versions side by side
    /// (installonly, e.g. `installonlypkg(kernel)`).
    MultiversionProvides(String),
    /// Never change the packages matching the selection (installed ones stay, others are not
    /// installed).
    Lock(String),
    /// Prefer the packages matching the selection when there is a choice.
    Favor(String),
}

/// Solver flags; [`SolverFlags::major_upgrade`] documents our choice.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SolverFlags {
    /// `SOLVER_FLAG_YUM_OBSOLETES`: every obsoleting package is installed (yum/dnf semantics).
    pub yum_obsoletes: bool,
    /// `SOLVER_FLAG_ALLOW_UNINSTALL`: installed packages may be erased when nothing else works.
    pub allow_uninstall: bool,
    /// `SOLVER_FLAG_ALLOW_DOWNGRADE`.
    pub allow_downgrade: bool,
    /// `SOLVER_FLAG_ALLOW_VENDORCHANGE`.
    pub allow_vendorchange: bool,
    /// `SOLVER_FLAG_ALLOW_ARCHCHANGE`.
    pub allow_archchange: bool,
    /// `SOLVER_FLAG_IGNORE_RECOMMENDED` (weak dependencies are not installed).
    pub ignore_recommended: bool,
}

impl SolverFlags {
    /// The flags of a major upgrade: yum obsoletes (dnf's semantics), downgrades, vendor and
    /// arch changes allowed (a target build may have a lower version, another vendor string
    /// or move between an arch and noarch), uninstall allowed (an old package that nothing
    /// provides any more is erased rather than failing the whole upgrade; it is reported),
    /// weak dependencies ignored (as `install_weak_deps=False`).
    pub fn major_upgrade() -> Self {
        Self {
            yum_obsoletes: true,
            allow_uninstall: true,
            allow_downgrade: true,
            allow_vendorchange: true,
            allow_archchange: true,
            ignore_recommended: true,
        }
    }
}

/// The kind of a rule involved in a problem (`solver_ruleinfo`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RuleKind {
    /// Nothing provides a dependency of a package.
    NothingProvides,
    /// A package requires something that cannot be installed with the rest.
    Requires,
    /// Two packages conflict.
    Conflicts,
    /// A package obsoletes another one.
    Obsoletes,
    /// Only one package of a name can be installed.
    SameName,
    /// The package cannot be installed (wrong architecture, excluded).
    NotInstallable,
    /// A job asks for something nothing provides.
    JobNothingProvides,
    /// A job names an unknown package.
    JobUnknownPackage,
    /// A job's selection is already provided by the system.
    JobProvidedBySystem,
    /// A job (install, erase, keep, lock) itself.
    Job,
    /// An installed package cannot be kept or replaced by one of the repositories.
    Distupgrade,
    /// An installed package's update rule.
    Update,
    /// Another architecture would be needed.
    InferiorArch,
    /// Any other rule.
    Other,
}

/// One rule of a problem, with the packages and dependency it concerns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleInfo {
    /// The kind of rule.
    pub kind: RuleKind,
    /// The package the rule starts from (NEVRA).
    pub source: Option<String>,
    /// The other package (NEVRA).
    pub target: Option<String>,
    /// The dependency or job selection, as text.
    pub dep: Option<String>,
    /// Whether the source package is installed.
    pub source_installed: bool,
}

/// One problem that prevents a solution.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SolverProblem {
    /// The most relevant rule (`solver_findproblemrule`).
    pub main: RuleInfo,
    /// All rules involved (`solver_findallproblemrules`).
    pub rules: Vec<RuleInfo>,
}

/// The type of a transaction step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StepKind {
    /// A new package (also an installonly package installed beside older versions).
    Install,
    /// A newer version replaces installed packages.
    Upgrade,
    /// An older version replaces installed packages.
    Downgrade,
    /// The same version is installed again.
    Reinstall,
    /// An installed package is removed.
    Erase,
    /// An installed package is removed because a package of another name obsoletes it.
    Obsoleted,
}

/// One ordered transaction step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    /// What happens.
    pub kind: StepKind,
    /// The package (new for installs, installed for erasures).
    pub package: SolvableId,
    /// Installed packages this one replaces (for [`StepKind::Obsoleted`]: the packages that
    /// obsolete it).
    pub replaces: Vec<SolvableId>,
}

/// The result of [`Pool::solve`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The ordered transaction.
    Solved(Vec<Step>),
    /// The problems; no transaction.
    Problems(Vec<SolverProblem>),
}

/// A libsolv queue, freed on drop.
struct Queue(ffi::Queue);

impl Queue {
    fn new() -> Self {
        let mut q = ffi::Queue {
            elements: ptr::null_mut(),
            count: 0,
            alloc: ptr::null_mut(),
            left: 0,
        };
        // SAFETY: `q` is a valid Queue struct to initialise.
        unsafe { ffi::queue_init(&mut q) };
        Self(q)
    }

    fn push2(&mut self, a: ffi::Id, b: ffi::Id) {
        // SAFETY: initialised queue; inserting at `count` appends.
        unsafe { ffi::queue_insert2(&mut self.0, self.0.count, a, b) };
    }

    fn as_slice(&self) -> &[ffi::Id] {
        if self.0.count <= 0 || self.0.elements.is_null() {
            return &[];
        }
        // SAFETY: `elements` holds `count` ids.
        unsafe { std::slice::from_raw_parts(self.0.elements, self.0.count as usize) }
    }
}

impl Drop for Queue {
    fn drop(&mut self) {
        // SAFETY: initialised queue, freed once.
        unsafe { ffi::queue_free(&mut self.0) };
    }
}

struct Solver(*mut ffi::Solver);

impl Drop for Solver {
    fn drop(&mut self) {
        // SAFETY: created by solver_create, freed once, before its pool.
        unsafe { ffi::solver_free(self.0) };
    }
}

struct Trans(*mut ffi::Transaction);

impl Drop for Trans {
    fn drop(&mut self) {
        // SAFETY: created by solver_create_transaction, freed once.
        unsafe { ffi::transaction_free(self.0) };
    }
}

impl Pool {
    /// Appends `how | selection` for `spec` to `jobs`; `false` when nothing matches.
    fn select(&self, jobs: &mut Queue, spec: &str, how: u32) -> Result<bool, SolvError> {
        let c = CString::new(spec).map_err(|_| SolvError::Nul {
            what: "package selection",
            value: spec.to_owned(),
        })?;
        let mut sel = Queue::new();
        let flags = ffi::SELECTION_NAME
            | ffi::SELECTION_PROVIDES
            | ffi::SELECTION_DOTARCH
            | ffi::SELECTION_REL
            | ffi::SELECTION_FILELIST;
        // SAFETY: valid pool with what-provides prepared; `sel` is an initialised queue.
        unsafe { ffi::selection_make(self.raw, &mut sel.0, c.as_ptr(), flags as c_int) };
        let ids = sel.as_slice();
        if ids.is_empty() {
            return Ok(false);
        }
        for pair in ids.chunks_exact(2) {
            jobs.push2(pair[0] | how as ffi::Id, pair[1]);
        }
        Ok(true)
    }

    /// Solves `jobs`. Jobs whose selection matches nothing become problems of kind
    /// [`RuleKind::JobUnknownPackage`] (except erase jobs, which are then no-ops).
    ///
    /// # Errors
    ///
    /// When the pool was not prepared ([`Pool::prepare`]) or a job contains a NUL byte.
    pub fn solve(&self, jobs: &[Job], flags: SolverFlags) -> Result<Outcome, SolvError> {
        if !self.is_prepared() {
            return Err(SolvError::Usage(
                "Pool::prepare must be called before solving",
            ));
        }
        let mut queue = Queue::new();
        let mut unknown = Vec::new();
        for job in jobs {
            let (spec, how) = match job {
                Job::DistroSyncAll => {
                    queue.push2(
                        (ffi::SOLVER_DISTUPGRADE | ffi::SOLVER_SOLVABLE_ALL) as ffi::Id,
                        0,
                    );
                    continue;
                }
                Job::MultiversionProvides(dep) => {
                    let id = self.str2id(dep)?;
                    queue.push2(
                        (ffi::SOLVER_MULTIVERSION | ffi::SOLVER_SOLVABLE_PROVIDES) as ffi::Id,
                        id,
                    );
                    continue;
                }
                Job::Install(s) => (s, ffi::SOLVER_INSTALL),
                Job::Erase(s) => (s, ffi::SOLVER_ERASE),
                Job::Keep(s) => (s, ffi::SOLVER_INSTALL),
                Job::Lock(s) => (s, ffi::SOLVER_LOCK),
                Job::Favor(s) => (s, ffi::SOLVER_FAVOR),
            };
            if !self.select(&mut queue, spec, how)? && !matches!(job, Job::Erase(_)) {
                unknown.push(SolverProblem {
                    main: RuleInfo {
                        kind: RuleKind::JobUnknownPackage,
                        source: None,
                        target: None,
                        dep: Some(spec.clone()),
                        source_installed: false,
                    },
                    rules: Vec::new(),
                });
            }
        }
        if !unknown.is_empty() {
            return Ok(Outcome::Problems(unknown));
        }
        // SAFETY: valid, prepared pool.
        let solver = Solver(unsafe { ffi::solver_create(self.raw) });
        for (flag, on) in [
            (ffi::SOLVER_FLAG_YUM_OBSOLETES, flags.yum_obsoletes),
            (ffi::SOLVER_FLAG_ALLOW_UNINSTALL, flags.allow_uninstall),
            (ffi::SOLVER_FLAG_ALLOW_DOWNGRADE, flags.allow_downgrade),
            (
                ffi::SOLVER_FLAG_ALLOW_VENDORCHANGE,
                flags.allow_vendorchange,
            ),
            (ffi::SOLVER_FLAG_ALLOW_ARCHCHANGE, flags.allow_archchange),
            (
                ffi::SOLVER_FLAG_IGNORE_RECOMMENDED,
                flags.ignore_recommended,
            ),
        ] {
            // SAFETY: valid solver; known flag.
            unsafe { ffi::solver_set_flag(solver.0, flag as c_int, c_int::from(on)) };
        }
        // SAFETY: valid solver and job queue.
        let nproblems = unsafe { ffi::solver_solve(solver.0, &mut queue.0) };
        if nproblems > 0 {
            // SAFETY: valid solver after solving.
            let count = unsafe { ffi::solver_problem_count(solver.0) };
            let mut problems = Vec::new();
            for problem in 1..=count as ffi::Id {
                // SAFETY: valid solver, problem id in range.
                let main = unsafe { ffi::solver_findproblemrule(solver.0, problem) };
                let mut rules = Queue::new();
                // SAFETY: as above; `rules` is initialised.
                unsafe { ffi::solver_findallproblemrules(solver.0, problem, &mut rules.0) };
                problems.push(SolverProblem {
                    main: self.rule_info(&solver, main),
                    rules: rules
                        .as_slice()
                        .iter()
                        .map(|&r| self.rule_info(&solver, r))
                        .collect(),
                });
            }
            return Ok(Outcome::Problems(problems));
        }
        // SAFETY: valid solver without problems.
        let trans = Trans(unsafe { ffi::solver_create_transaction(solver.0) });
        // SAFETY: valid transaction.
        unsafe { ffi::transaction_order(trans.0, 0) };
        let mode = ffi::SOLVER_TRANSACTION_SHOW_ACTIVE
            | ffi::SOLVER_TRANSACTION_SHOW_ALL
            | ffi::SOLVER_TRANSACTION_SHOW_OBSOLETES
            | ffi::SOLVER_TRANSACTION_SHOW_MULTIINSTALL;
        // SAFETY: valid transaction; steps is its queue of solvable ids, copied here.
        let steps: Vec<ffi::Id> = unsafe {
            let q = &(*trans.0).steps;
            if q.count > 0 {
                std::slice::from_raw_parts(q.elements, q.count as usize).to_vec()
            } else {
                Vec::new()
            }
        };
        let mut out = Vec::new();
        for p in steps {
            // SAFETY: valid transaction; `p` is one of its steps.
            let ty = unsafe { ffi::transaction_type(trans.0, p, mode as c_int) } as u32;
            let kind = match ty {
                ffi::SOLVER_TRANSACTION_INSTALL
                | ffi::SOLVER_TRANSACTION_MULTIINSTALL
                | ffi::SOLVER_TRANSACTION_OBSOLETES => StepKind::Install,
                ffi::SOLVER_TRANSACTION_UPGRADE => StepKind::Upgrade,
                ffi::SOLVER_TRANSACTION_DOWNGRADE => StepKind::Downgrade,
                ffi::SOLVER_TRANSACTION_REINSTALL
                | ffi::SOLVER_TRANSACTION_MULTIREINSTALL
                | ffi::SOLVER_TRANSACTION_CHANGE => StepKind::Reinstall,
                ffi::SOLVER_TRANSACTION_ERASE => StepKind::Erase,
                ffi::SOLVER_TRANSACTION_OBSOLETED => StepKind::Obsoleted,
                // the installed side of an up/downgrade or reinstall: described by the new
                // package's `replaces`
                _ => continue,
            };
            let mut obs = Queue::new();
            // SAFETY: valid transaction; `obs` is initialised. For a new package this lists
            // the installed packages it replaces, for an installed one those replacing it.
            unsafe { ffi::transaction_all_obs_pkgs(trans.0, p, &mut obs.0) };
            out.push(Step {
                kind,
                package: p,
                replaces: obs.as_slice().to_vec(),
            });
        }
        Ok(Outcome::Solved(out))
    }

    fn rule_info(&self, solver: &Solver, rule: ffi::Id) -> RuleInfo {
        let (mut from, mut to, mut dep) = (0, 0, 0);
        // SAFETY: valid solver; `rule` comes from the solver's problem functions.
        let ty = unsafe { ffi::solver_ruleinfo(solver.0, rule, &mut from, &mut to, &mut dep) };
        let kind = match ty {
            ffi::SOLVER_RULE_PKG_NOTHING_PROVIDES_DEP => RuleKind::NothingProvides,
            ffi::SOLVER_RULE_PKG_REQUIRES => RuleKind::Requires,
            ffi::SOLVER_RULE_PKG_CONFLICTS | ffi::SOLVER_RULE_PKG_SELF_CONFLICT => {
                RuleKind::Conflicts
            }
            ffi::SOLVER_RULE_PKG_OBSOLETES
            | ffi::SOLVER_RULE_PKG_IMPLICIT_OBSOLETES
            | ffi::SOLVER_RULE_PKG_INSTALLED_OBSOLETES
            | ffi::SOLVER_RULE_YUMOBS => RuleKind::Obsoletes,
            ffi::SOLVER_RULE_PKG_SAME_NAME => RuleKind::SameName,
            ffi::SOLVER_RULE_PKG_NOT_INSTALLABLE => RuleKind::NotInstallable,
            ffi::SOLVER_RULE_JOB_NOTHING_PROVIDES_DEP => RuleKind::JobNothingProvides,
            ffi::SOLVER_RULE_JOB_UNKNOWN_PACKAGE => RuleKind::JobUnknownPackage,
            ffi::SOLVER_RULE_JOB_PROVIDED_BY_SYSTEM => RuleKind::JobProvidedBySystem,
            ffi::SOLVER_RULE_JOB => RuleKind::Job,
            ffi::SOLVER_RULE_DISTUPGRADE => RuleKind::Distupgrade,
            ffi::SOLVER_RULE_UPDATE => RuleKind::Update,
            ffi::SOLVER_RULE_INFARCH => RuleKind::InferiorArch,
            _ => RuleKind::Other,
        };
        let pkg = |p: ffi::Id| (p > 1).then(|| self.solvable(p).map(|s| s.nevra)).flatten();
        let dep = (dep != 0).then(|| self.dep2str(dep));
        RuleInfo {
            kind,
            source: pkg(from),
            target: pkg(to),
            dep,
            source_installed: self.is_installed(from),
        }
    }
}
