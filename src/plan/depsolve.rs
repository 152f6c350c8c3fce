//! Depsolving the major upgrade with libsolv (RPM semantics), through `libsolv-sys`.
//!
//! The installed packages come from the root's rpm database, the candidates from the target
//! repositories' rpm-md metadata on local disk, with the packages of inactive module streams
//! hidden ([`super::modules`]). The jobs are: distro-sync of everything installed, install jobs
//! for the packages the events bring in, erase jobs for the packages they remove, keep jobs for
//! third-party packages that must stay, and installonly (multiversion) for kernels. Problems
//! are translated into messages that name the packages and the missing capability.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use leapfrog_actors::facts::rootfs::RootFs;
use leapfrog_actors::facts::rpmdb;
use libsolv_sys::{Job, Outcome, Pool, RuleKind, SolverFlags, StepKind};
use serde::Serialize;

use super::modules::{ModuleIndex, ModulesError};

/// A target repository on local disk.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RepoSource {
    /// Repository id.
    pub id: String,
    /// Directory with `repodata/`.
    pub path: PathBuf,
    /// Priority: higher wins when several repositories offer a package.
    pub priority: i32,
}

/// What to solve.
#[derive(Debug, Clone, Default)]
pub struct Request {
    /// The installed root.
    pub root: PathBuf,
    /// Base architecture (`x86_64`).
    pub arch: String,
    /// Target repositories.
    pub repos: Vec<RepoSource>,
    /// Packages to install (names or provides, from events).
    pub install: Vec<String>,
    /// Installed packages to remove (from events).
    pub remove: Vec<String>,
    /// Installed packages that must stay installed (third-party packages to keep).
    pub keep: Vec<String>,
    /// Module streams enabled on the target (`name:stream`); other modules use their default
    /// stream. The root's own module state is not read here: the caller passes it.
    pub enable_streams: Vec<String>,
    /// Modules reset to their default stream: their entries in `enable_streams` are ignored.
    pub reset_modules: Vec<String>,
    /// Capabilities whose providers are installonly; empty means `installonlypkg(kernel)`.
    pub installonly_provides: Vec<String>,
}

/// What happens to a package.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    /// Newly installed.
    Install,
    /// Upgraded (replaces older packages).
    Upgrade,
    /// Downgraded.
    Downgrade,
    /// Reinstalled.
    Reinstall,
    /// Removed.
    Erase,
    /// Removed because another package obsoletes it.
    Obsoleted,
}

/// One ordered step of the transaction.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Step {
    /// What happens.
    pub action: Action,
    /// NEVRA of the package.
    pub nevra: String,
    /// Name.
    pub name: String,
    /// Repository id (`@System` for erasures).
    pub repo: String,
    /// RPM location relative to the repository directory (installs only).
    pub location: Option<String>,
    /// Checksum from the metadata.
    pub checksum: Option<leapfrog_base::checksum::Checksum>,
    /// RPM size.
    pub download_size: u64,
    /// Installed size.
    pub install_size: u64,
    /// NEVRAs of the installed packages this one replaces (or, for `obsoleted`, of the
    /// packages obsoleting it).
    pub replaces: Vec<String>,
    /// For erasures: whether the request asked for it (`false`: the solver had to).
    pub requested: bool,
}

/// The kind of a problem.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum DepsolveProblemKind {
    /// A dependency nothing in the target repositories provides.
    MissingDependency,
    /// Packages conflict.
    Conflict,
    /// A requested package does not exist in the target repositories.
    UnknownPackage,
    /// An installed package cannot be kept and cannot be replaced.
    NoSuccessor,
    /// Anything else.
    Other,
}

/// A problem that prevents a solution, in human terms.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DepsolveProblem {
    /// Kind.
    pub kind: DepsolveProblemKind,
    /// The packages involved (NEVRAs or requested names).
    pub packages: Vec<String>,
    /// The missing capability, when that is the problem.
    pub missing: Option<String>,
    /// What is wrong.
    pub message: String,
    /// What to do about it.
    pub hint: String,
}

/// The result: the ordered steps, or the problems.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Solution {
    /// Ordered transaction (empty when there are problems).
    pub steps: Vec<Step>,
    /// Problems (empty when solved).
    pub problems: Vec<DepsolveProblem>,
    /// Active module streams (`name:stream`) of the target.
    pub module_streams: Vec<String>,
    /// Installed packages the transaction leaves alone although a target repository carries
    /// the identical build (NEVRA -> repository id): they are not stranded.
    pub in_target: BTreeMap<String, String>,
}

impl Solution {
    /// The step of the package named `name`, if any.
    pub fn step(&self, name: &str) -> Option<&Step> {
        self.steps.iter().find(|s| s.name == name)
    }
}

/// Depsolve errors (problems of the package set are not errors but [`Solution::problems`]).
#[derive(Debug, thiserror::Error)]
pub enum DepsolveError {
    /// The root has no readable rpm database.
    #[error("cannot locate the rpm database of {}", root.display())]
    NoRpmdb {
        /// The root.
        root: PathBuf,
        /// Why.
        #[source]
        source: rpmdb::RpmDbError,
    },
    /// The root cannot be opened.
    #[error("cannot open the root {}", root.display())]
    Root {
        /// The root.
        root: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// libsolv failed (repository metadata, rpm database).
    #[error(transparent)]
    Solv(#[from] libsolv_sys::SolvError),
    /// Module metadata could not be read.
    #[error(transparent)]
    Modules(#[from] ModulesError),
    /// The request is invalid.
    #[error("invalid depsolve request: {0}")]
    Request(String),
    /// A package the transaction installs has a checksum leapfrog cannot verify.
    #[error("{nevra} (repository {repo}) cannot be verified")]
    Checksum {
        /// The package.
        nevra: String,
        /// Its repository.
        repo: String,
        /// What is wrong with its checksum.
        #[source]
        source: leapfrog_base::checksum::ChecksumError,
    },
}

/// Solves the upgrade described by `req`.
///
/// # Errors
///
/// When the root has no rpm database, a repository's metadata is missing or corrupt, module
/// metadata cannot be parsed, or the request is malformed. An unsatisfiable request is not an
/// error: it gives a [`Solution`] with problems.
pub fn solve(req: &Request) -> Result<Solution, DepsolveError> {
    if req.repos.is_empty() {
        return Err(DepsolveError::Request("no target repository".into()));
    }
    for stream in &req.enable_streams {
        if !matches!(stream.split_once(':'), Some((m, s)) if !m.is_empty() && !s.is_empty()) {
            return Err(DepsolveError::Request(format!(
                "module stream {stream:?} is not name:stream"
            )));
        }
    }
    let rootfs = RootFs::new(&req.root).map_err(|source| DepsolveError::Root {
        root: req.root.clone(),
        source,
    })?;
    let db = rpmdb::detect(&rootfs).map_err(|source| DepsolveError::NoRpmdb {
        root: req.root.clone(),
        source,
    })?;
    let mut pool = Pool::new(&req.arch)?;
    let mut modules = ModuleIndex::default();
    for repo in &req.repos {
        pool.add_rpmmd_repo(&repo.id, &repo.path, repo.priority)?;
        modules.add_repo(&repo.path)?;
    }
    pool.add_rpmdb(&req.root, &db.location())?;

    // Module filtering: a reset module goes back to its default stream, whatever is enabled.
    let enable: Vec<String> = req
        .enable_streams
        .iter()
        .filter(|s| {
            let module = s.split_once(':').map_or("", |(m, _)| m);
            !req.reset_modules.iter().any(|r| r == module)
        })
        .cloned()
        .collect();
    let filter = modules.filter(&enable);
    let mut hidden = Vec::new();
    for repo in &req.repos {
        for p in pool.repo_solvables(&repo.id) {
            if let Some(s) = pool.solvable(p)
                && filter.hides(&s.nevra, &s.name)
            {
                hidden.push(p);
            }
        }
    }
    tracing::debug!(hidden = hidden.len(), "modular packages hidden");
    pool.set_excluded(&hidden);
    pool.prepare();

    let mut jobs = vec![Job::DistroSyncAll];
    let installonly = if req.installonly_provides.is_empty() {
        vec!["installonlypkg(kernel)".to_owned()]
    } else {
        req.installonly_provides.clone()
    };
    jobs.extend(installonly.into_iter().map(Job::MultiversionProvides));
    jobs.extend(req.remove.iter().cloned().map(Job::Erase));
    jobs.extend(req.install.iter().cloned().map(Job::Install));
    jobs.extend(req.keep.iter().cloned().map(Job::Keep));
    let module_streams = filter
        .active
        .iter()
        .map(|(m, s)| format!("{m}:{s}"))
        .collect();

    // Identical builds in the target repositories, for installed packages the transaction
    // leaves alone.
    let mut target_builds: BTreeMap<String, String> = BTreeMap::new();
    for repo in &req.repos {
        for p in pool.repo_solvables(&repo.id) {
            if let Some(s) = pool.solvable(p) {
                target_builds
                    .entry(s.nevra)
                    .or_insert_with(|| repo.id.clone());
            }
        }
    }
    let installed_nevras: Vec<String> = pool
        .repo_solvables("@System")
        .into_iter()
        .filter_map(|p| pool.solvable(p).map(|s| s.nevra))
        .collect();
    let in_target = |touched: &BTreeSet<String>| -> BTreeMap<String, String> {
        installed_nevras
            .iter()
            .filter(|n| !touched.contains(*n))
            .filter_map(|n| target_builds.get(n).map(|r| (n.clone(), r.clone())))
            .collect()
    };

    match pool.solve(&jobs, SolverFlags::major_upgrade())? {
        Outcome::Solved(steps) => {
            let removed: BTreeSet<&str> = req.remove.iter().map(String::as_str).collect();
            let nevra = |p| pool.solvable(p).map(|s| s.nevra).unwrap_or_default();
            let steps = steps
                .into_iter()
                .filter_map(|step| {
                    let s = pool.solvable(step.package)?;
                    Some((step, s))
                })
                .map(|(step, s)| {
                    let action = match step.kind {
                        StepKind::Install => Action::Install,
                        StepKind::Upgrade => Action::Upgrade,
                        StepKind::Downgrade => Action::Downgrade,
                        StepKind::Reinstall => Action::Reinstall,
                        StepKind::Erase => Action::Erase,
                        StepKind::Obsoleted => Action::Obsoleted,
                    };
                    let erasing = matches!(action, Action::Erase | Action::Obsoleted);
                    let checksum = match s.checksum {
                        Some(Ok(c)) if !erasing => Some(c),
                        Some(Err(source)) if !erasing => {
                            return Err(DepsolveError::Checksum {
                                nevra: s.nevra,
                                repo: s.repo,
                                source,
                            });
                        }
                        _ => None,
                    };
                    Ok(Step {
                        action,
                        requested: !erasing || removed.contains(s.name.as_str()),
                        location: (!erasing).then_some(s.location).flatten(),
                        checksum,
                        download_size: s.download_size,
                        install_size: s.install_size,
                        replaces: step.replaces.iter().map(|&p| nevra(p)).collect(),
                        nevra: s.nevra,
                        name: s.name,
                        repo: s.repo,
                    })
                })
                .collect::<Result<Vec<Step>, DepsolveError>>()?;
            let touched: BTreeSet<String> = steps
                .iter()
                .flat_map(|s| std::iter::once(s.nevra.clone()).chain(s.replaces.iter().cloned()))
                .collect();
            Ok(Solution {
                in_target: in_target(&touched),
                steps,
                problems: Vec::new(),
                module_streams,
            })
        }
        Outcome::Problems(problems) => Ok(Solution {
            in_target: BTreeMap::new(),
            steps: Vec::new(),
            problems: problems.iter().map(translate).collect(),
            module_streams,
        }),
    }
}

/// Turns a libsolv problem into a message naming packages and capability, with a hint.
fn translate(problem: &libsolv_sys::SolverProblem) -> DepsolveProblem {
    // The most telling rule: a missing capability beats everything else.
    let rule = problem
        .rules
        .iter()
        .find(|r| r.kind == RuleKind::NothingProvides)
        .unwrap_or(&problem.main);
    let mut packages: Vec<String> = [&rule.source, &rule.target]
        .into_iter()
        .flatten()
        .cloned()
        .collect();
    let dep = rule.dep.clone().unwrap_or_default();
    let src = rule.source.clone().unwrap_or_default();
    let tgt = rule.target.clone().unwrap_or_default();
    let (kind, missing, message, hint) = match rule.kind {
        RuleKind::NothingProvides => (
            DepsolveProblemKind::MissingDependency,
            Some(dep.clone()),
            format!("nothing in the target repositories provides {dep} needed by {src}"),
            format!(
                "add a target repository that has {dep}, or remove {} with --drop",
                name_of(&src)
            ),
        ),
        RuleKind::Requires if rule.source_installed && rule.dep.is_some() => (
            DepsolveProblemKind::MissingDependency,
            Some(dep.clone()),
            format!(
                "nothing in the target repositories provides {dep} needed by {src} \
                 (only packages the upgrade replaces provide it)"
            ),
            format!(
                "add a target repository that has {dep} or a newer {}, or remove it with --drop",
                name_of(&src)
            ),
        ),
        RuleKind::JobNothingProvides | RuleKind::JobUnknownPackage => {
            packages.push(dep.clone());
            (
                DepsolveProblemKind::UnknownPackage,
                Some(dep.clone()),
                format!("no package in the target repositories matches {dep}"),
                format!(
                    "add a target repository that has {dep}, or correct the migration data that asks for it"
                ),
            )
        }
        RuleKind::Conflicts | RuleKind::Obsoletes | RuleKind::SameName => (
            DepsolveProblemKind::Conflict,
            None,
            format!(
                "{src} conflicts with {tgt}{}",
                if dep.is_empty() {
                    String::new()
                } else {
                    format!(" ({dep})")
                }
            ),
            format!("remove {} or {} with --drop", name_of(&src), name_of(&tgt)),
        ),
        RuleKind::Distupgrade | RuleKind::Update | RuleKind::NotInstallable => (
            DepsolveProblemKind::NoSuccessor,
            None,
            format!("{src} cannot be kept and nothing in the target repositories replaces it"),
            format!(
                "remove {} with --drop, or add a repository that has its successor",
                name_of(&src)
            ),
        ),
        _ => (
            DepsolveProblemKind::Other,
            rule.dep.clone(),
            format!(
                "{:?} rule: {}{}{}",
                rule.kind,
                src,
                if tgt.is_empty() {
                    String::new()
                } else {
                    format!(", {tgt}")
                },
                if dep.is_empty() {
                    String::new()
                } else {
                    format!(" ({dep})")
                }
            ),
            "inspect the packages named here and the target repositories".into(),
        ),
    };
    packages.dedup();
    DepsolveProblem {
        kind,
        packages,
        missing,
        message,
        hint,
    }
}

/// The name in a NEVRA (`acme-agent-1.0-1.x86_64` -> `acme-agent`).
fn name_of(nevra: &str) -> &str {
    super::name_from_nevra(nevra).unwrap_or(nevra)
}
