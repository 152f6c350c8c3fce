//! Validation of a loaded leapp-data set with precise messages.
//!
//! The checks: duplicate event ids (across all PES files), `set_id`s reused with different
//! package names, package PESIDs unknown to every loaded repository map (dangling
//! repositories), release major versions outside 6..=10, out-packages missing where the action
//! needs them or present where it forbids them, and empty package names.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt;
use std::path::{Path, PathBuf};

use crate::Error;
use crate::leapp::pes::{Event, PesFile, Release};
use crate::leapp::repomap::RepoMap;
use crate::leapp::{pes, repomap, vendors};

/// The PES files and repository maps of one data set, each with the path it came from.
#[derive(Debug, Clone, Default)]
pub struct DataSet {
    /// PES files (main file first, then vendor files).
    pub pes: Vec<(PathBuf, PesFile)>,
    /// Repository maps (main map first, then vendor maps).
    pub repomaps: Vec<(PathBuf, RepoMap)>,
}

/// The kinds of problems [`DataSet::check`] reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DataSetProblemKind {
    /// Two events share an id.
    DuplicateEventId,
    /// A `set_id` is reused for a different set of package names.
    ConflictingSetId,
    /// A package's repository (PESID) is unknown to every repository map.
    UnknownPesid,
    /// A release major version is outside 6..=10.
    ReleaseOutOfRange,
    /// The action needs out-packages but the event has none.
    MissingOutPackages,
    /// The action forbids out-packages but the event has some.
    UnexpectedOutPackages,
    /// A package name is empty or blank.
    EmptyPackageName,
}

/// One finding of [`DataSet::check`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataSetProblem {
    /// The file the problem is in.
    pub file: PathBuf,
    /// Where in the file, e.g. `packageinfo[12] (id 9942)`.
    pub location: String,
    /// The kind of problem.
    pub kind: DataSetProblemKind,
    /// A human-readable description.
    pub message: String,
}

impl fmt::Display for DataSetProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: {}: {}",
            self.file.display(),
            self.location,
            self.message
        )
    }
}

/// The range of plausible major versions for releases.
pub const MAJOR_RANGE: std::ops::RangeInclusive<u32> = 6..=10;

fn location(index: usize, ev: &Event) -> String {
    format!("packageinfo[{index}] (id {})", ev.id)
}

impl DataSet {
    /// Loads a leapp files directory as installed on a host (`/etc/leapp/files`):
    /// `pes-events.json`, `repomap.json` and, when present, `vendors.d/` (vendor maps and PES
    /// files are appended after the main ones). Repository maps are normalized for `distro`.
    pub fn load_leapp_files(dir: &Path, distro: &str) -> Result<DataSet, Error> {
        let pes_path = dir.join("pes-events.json");
        let map_path = dir.join("repomap.json");
        let mut set = DataSet {
            pes: vec![(pes_path.clone(), pes::load(&pes_path)?)],
            repomaps: vec![(map_path.clone(), repomap::load(&map_path, distro)?)],
        };
        let vendors_dir = dir.join("vendors.d");
        if vendors_dir.is_dir() {
            set.add_vendors(vendors::load(&vendors_dir, distro)?);
        }
        Ok(set)
    }

    /// Appends the maps and PES files of all vendors (in name order).
    pub fn add_vendors(&mut self, vendors: vendors::VendorSet) {
        for v in vendors.vendors.into_values() {
            self.repomaps.extend(v.map);
            self.pes.extend(v.pes);
        }
    }

    /// Runs all checks and returns the problems found, grouped by check, in file order.
    pub fn check(&self) -> Vec<DataSetProblem> {
        let mut out = Vec::new();
        self.check_ids(&mut out);
        self.check_set_ids(&mut out);
        self.check_pesids(&mut out);
        self.check_events(&mut out);
        out
    }

    fn events(&self) -> impl Iterator<Item = (&Path, usize, &Event)> {
        self.pes.iter().flat_map(|(p, f)| {
            f.events
                .iter()
                .enumerate()
                .map(move |(i, e)| (p.as_path(), i, e))
        })
    }

    fn check_ids(&self, out: &mut Vec<DataSetProblem>) {
        let mut seen: HashMap<u64, (&Path, usize)> = HashMap::new();
        for (file, index, ev) in self.events() {
            match seen.get(&ev.id) {
                Some((first_file, first_index)) => out.push(DataSetProblem {
                    file: file.to_path_buf(),
                    location: location(index, ev),
                    kind: DataSetProblemKind::DuplicateEventId,
                    message: format!(
                        "event id {} already used by packageinfo[{first_index}] of {}",
                        ev.id,
                        first_file.display()
                    ),
                }),
                None => {
                    seen.insert(ev.id, (file, index));
                }
            }
        }
    }

    fn check_set_ids(&self, out: &mut Vec<DataSetProblem>) {
        let mut seen: HashMap<u64, (BTreeSet<&str>, &Path, usize, u64)> = HashMap::new();
        for (file, index, ev) in self.events() {
            let sets = [
                ("in", Some(&ev.in_packages)),
                ("out", ev.out_packages.as_ref()),
            ];
            for (side, set) in sets {
                let Some(set) = set else { continue };
                let Some(set_id) = set.set_id else { continue };
                let names: BTreeSet<&str> = set.packages.iter().map(|p| p.name.as_str()).collect();
                match seen.get(&set_id) {
                    Some((first, ffile, findex, fid)) if *first != names => out.push(DataSetProblem {
                        file: file.to_path_buf(),
                        location: location(index, ev),
                        kind: DataSetProblemKind::ConflictingSetId,
                        message: format!(
                            "{side}_packageset set_id {set_id} holds {names:?}, but the same set_id \
                             holds {first:?} in packageinfo[{findex}] (id {fid}) of {}",
                            ffile.display()
                        ),
                    }),
                    Some(_) => {}
                    None => {
                        seen.insert(set_id, (names, file, index, ev.id));
                    }
                }
            }
        }
    }

    fn check_pesids(&self, out: &mut Vec<DataSetProblem>) {
        let mut known: HashMap<&str, bool> = HashMap::new();
        for (file, index, ev) in self.events() {
            let mut unknown: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
            let sides = [
                ("in", ev.in_packages.packages.as_slice()),
                ("out", ev.out_package_list()),
            ];
            for (side, pkgs) in sides {
                for p in pkgs {
                    let is_known = *known.entry(p.repository.as_str()).or_insert_with(|| {
                        self.repomaps
                            .iter()
                            .any(|(_, m)| m.knows_pesid(&p.repository))
                    });
                    if !is_known {
                        unknown
                            .entry(side)
                            .or_default()
                            .insert(p.repository.as_str());
                    }
                }
            }
            for (side, pesids) in unknown {
                for pesid in pesids {
                    out.push(DataSetProblem {
                        file: file.to_path_buf(),
                        location: location(index, ev),
                        kind: DataSetProblemKind::UnknownPesid,
                        message: format!(
                            "{side}-package repository {pesid:?} is not known to any repository map"
                        ),
                    });
                }
            }
        }
    }

    fn check_events(&self, out: &mut Vec<DataSetProblem>) {
        for (file, index, ev) in self.events() {
            let mut push = |kind, message| {
                out.push(DataSetProblem {
                    file: file.to_path_buf(),
                    location: location(index, ev),
                    kind,
                    message,
                })
            };
            let releases = [
                ("initial_release", ev.initial_release.as_ref()),
                ("release", Some(&ev.release)),
            ];
            for (what, rel) in releases {
                if let Some(Release { major, minor, .. }) = rel
                    && !MAJOR_RANGE.contains(major)
                {
                    push(
                        DataSetProblemKind::ReleaseOutOfRange,
                        format!("{what} {major}.{minor} has a major version outside 6..=10"),
                    );
                }
            }
            let n_out = ev.out_package_list().len();
            if ev.action.needs_out_packages() && n_out == 0 {
                push(
                    DataSetProblemKind::MissingOutPackages,
                    format!(
                        "action {:?} needs out-packages but the event has none",
                        ev.action
                    ),
                );
            }
            if ev.action.forbids_out_packages() && n_out > 0 {
                push(
                    DataSetProblemKind::UnexpectedOutPackages,
                    format!(
                        "action {:?} takes no out-packages but the event has {n_out}",
                        ev.action
                    ),
                );
            }
            let sides = [
                ("in", ev.in_packages.packages.as_slice()),
                ("out", ev.out_package_list()),
            ];
            for (side, pkgs) in sides {
                for (pi, p) in pkgs.iter().enumerate() {
                    if p.name.trim().is_empty() {
                        push(
                            DataSetProblemKind::EmptyPackageName,
                            format!("{side}-package #{pi} has an empty name"),
                        );
                    }
                }
            }
        }
    }
}
