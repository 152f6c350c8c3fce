//! leapfrog's own migration data: a directory of YAML files describing distributions, upgrade
//! paths, repository maps, package-evolution events and third-party vendors
//! (`docs/migration-data.md` documents the format).
//!
//! [`MigrationData::load`] reads a directory, [`MigrationData::builtin`] the data compiled into
//! the binary (`migration-data/data/`), and [`MigrationData::check`] validates a loaded set.
//! Events convert into the PES [`Event`](crate::leapp::pes::Event) type the leapp importer
//! produces ([`MigrationData::pes_events`]) and repository maps into a leapp
//! [`RepoMap`](crate::leapp::repomap::RepoMap) ([`MigrationData::leapp_repomap`]), so the
//! planner applies both kinds of data the same way.

mod builtin;
mod convert;
mod model;
mod validate;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;

pub use convert::{event_number, expand_vars};
pub use model::{
    Distribution, DistroMajor, EventAction, EventDef, EventPackage, Key, Major, MajorMinor,
    Manifest, Origin, RepoMap, RepoMapEntry, Repository, Rpmdb, RpmdbBackend, UpgradePath, Vendor,
    VendorMajor, VendorMap,
};
pub use validate::{DataProblem, DataProblemKind};

use crate::Error;
use crate::util::read_limited;

/// YAML files larger than this (8 MiB) are refused before being parsed.
pub const MAX_YAML_SIZE: u64 = 8 * 1024 * 1024;

/// At most this many files are read from one data directory.
pub const MAX_FILES: usize = 10_000;

/// How many `extends` levels are followed at most.
pub const MAX_EXTENDS_DEPTH: usize = 8;

/// The display root of the compiled-in data in file names and messages.
pub const BUILTIN_ROOT: &str = "<builtin>";

/// A loaded data set (after `extends` is resolved).
#[derive(Debug, Clone, Default)]
pub struct MigrationData {
    /// `name` from `dataset.yaml`.
    pub name: Option<String>,
    /// The directory (or [`BUILTIN_ROOT`]) it was read from.
    pub root: PathBuf,
    /// Distributions, by file name order.
    pub distributions: Vec<Distribution>,
    /// Supported paths; for each source the first one is the default target.
    pub paths: Vec<UpgradePath>,
    /// Repository maps.
    pub repomaps: Vec<RepoMap>,
    /// Package-evolution events (distribution events; vendor events are in [`Vendor::events`]).
    pub events: Vec<EventDef>,
    /// Third-party vendors.
    pub vendors: Vec<Vendor>,
}

/// One file of a data set: its path relative to the root and its text.
struct Source {
    rel: String,
    path: PathBuf,
    text: String,
}

const KINDS: [&str; 4] = ["distributions", "repomaps", "events", "vendors"];

fn is_yaml(name: &str) -> bool {
    name.ends_with(".yaml") || name.ends_with(".yml")
}

fn invalid(path: &Path, message: impl Into<String>) -> Error {
    Error::Invalid {
        path: path.to_path_buf(),
        message: message.into(),
    }
}

/// Refuses non-regular files and symlinks that do not resolve inside `root`.
fn check_entry(path: &Path, root: &Path) -> Result<(), Error> {
    let io = |source| Error::Io {
        path: path.to_path_buf(),
        source,
    };
    let meta = std::fs::symlink_metadata(path).map_err(io)?;
    if meta.file_type().is_symlink() {
        let target = std::fs::canonicalize(path).map_err(io)?;
        if !target.starts_with(root) {
            return Err(invalid(
                path,
                format!(
                    "symlink points outside the data directory (to {})",
                    target.display()
                ),
            ));
        }
    }
    if !std::fs::metadata(path).map_err(io)?.is_file() {
        return Err(invalid(path, "not a regular file"));
    }
    Ok(())
}

fn read_dir_sources(dir: &Path) -> Result<Vec<Source>, Error> {
    let io = |p: &Path| {
        let p = p.to_path_buf();
        move |source| Error::Io { path: p, source }
    };
    let root = std::fs::canonicalize(dir).map_err(io(dir))?;
    if !root.is_dir() {
        return Err(invalid(dir, "not a directory"));
    }
    let mut out = Vec::new();
    let add = |rel: String, path: PathBuf, out: &mut Vec<Source>| -> Result<(), Error> {
        if out.len() >= MAX_FILES {
            return Err(invalid(dir, format!("more than {MAX_FILES} data files")));
        }
        check_entry(&path, &root)?;
        let bytes = read_limited(&path, MAX_YAML_SIZE)?;
        let text =
            String::from_utf8(bytes).map_err(|e| invalid(&path, format!("not UTF-8: {e}")))?;
        out.push(Source { rel, path, text });
        Ok(())
    };
    let mut top: Vec<_> = std::fs::read_dir(dir)
        .map_err(io(dir))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(io(dir))?;
    top.sort_by_key(std::fs::DirEntry::file_name);
    for entry in top {
        let name = entry.file_name().to_string_lossy().into_owned();
        let path = entry.path();
        if KINDS.contains(&name.as_str()) {
            let meta = std::fs::symlink_metadata(&path).map_err(io(&path))?;
            if !meta.is_dir() {
                return Err(invalid(
                    &path,
                    "expected a directory (symlinks are refused)",
                ));
            }
            let mut files: Vec<_> = std::fs::read_dir(&path)
                .map_err(io(&path))?
                .collect::<Result<Vec<_>, _>>()
                .map_err(io(&path))?;
            files.sort_by_key(std::fs::DirEntry::file_name);
            for f in files {
                let fname = f.file_name().to_string_lossy().into_owned();
                if is_yaml(&fname) {
                    add(format!("{name}/{fname}"), f.path(), &mut out)?;
                }
            }
        } else if name == "dataset.yaml" || name == "paths.yaml" {
            add(name, path, &mut out)?;
        } else if is_yaml(&name) {
            return Err(invalid(
                &path,
                "unknown data file: expected dataset.yaml, paths.yaml or a file under distributions/, repomaps/, events/ or vendors/",
            ));
        }
    }
    Ok(out)
}

fn parse<T: DeserializeOwned>(src: &Source) -> Result<T, Error> {
    serde_saphyr::from_str(&src.text).map_err(|e| Error::Yaml {
        path: src.path.clone(),
        message: e.to_string(),
    })
}

fn origin(src: &Source, location: String) -> Origin {
    Origin {
        file: src.path.clone(),
        location,
    }
}

fn set_event_origins(src: &Source, prefix: &str, events: &mut [EventDef]) {
    for (i, e) in events.iter_mut().enumerate() {
        e.origin = origin(src, format!("{prefix}events[{i}] (id {})", e.id));
    }
}

/// Replaces the item with the same key or appends it.
fn upsert<T>(list: &mut Vec<T>, item: T, same: impl Fn(&T, &T) -> bool) {
    match list.iter().position(|x| same(x, &item)) {
        Some(i) => list[i] = item,
        None => list.push(item),
    }
}

impl MigrationData {
    /// Loads the data directory `dir`, following its `extends` (see the module docs).
    ///
    /// # Errors
    ///
    /// When a file cannot be read or parsed, or is refused (symlink leaving the directory,
    /// too large, not a regular file, unknown name); the error names the file and, for YAML
    /// errors, the line and column.
    pub fn load(dir: &Path) -> Result<MigrationData, Error> {
        Self::load_depth(dir, 0)
    }

    fn load_depth(dir: &Path, depth: usize) -> Result<MigrationData, Error> {
        let sources = read_dir_sources(dir)?;
        Self::from_sources(dir, &sources, depth)
    }

    /// The data compiled into the binary (`migration-data/data/`).
    ///
    /// # Errors
    ///
    /// Never for the shipped files (a test proves it); the error type is kept for symmetry.
    pub fn builtin() -> Result<MigrationData, Error> {
        let root = Path::new(BUILTIN_ROOT);
        let sources: Vec<Source> = builtin::FILES
            .iter()
            .map(|(rel, text)| Source {
                rel: (*rel).to_string(),
                path: root.join(rel),
                text: (*text).to_string(),
            })
            .collect();
        Self::from_sources(root, &sources, 0)
    }

    /// The relative paths of the compiled-in files.
    pub fn builtin_files() -> impl Iterator<Item = &'static str> {
        builtin::FILES.iter().map(|(rel, _)| *rel)
    }

    fn from_sources(root: &Path, sources: &[Source], depth: usize) -> Result<MigrationData, Error> {
        let manifest_src = sources.iter().find(|s| s.rel == "dataset.yaml");
        let manifest: Manifest = match manifest_src {
            Some(s) => parse(s)?,
            None => Manifest {
                format: 1,
                ..Manifest::default()
            },
        };
        if manifest.format != 1 {
            return Err(invalid(
                &root.join("dataset.yaml"),
                format!(
                    "format: unsupported format {} (only 1 exists)",
                    manifest.format
                ),
            ));
        }
        let mut layer = MigrationData::default();
        layer.read_layer(sources)?;
        let mut data = match &manifest.extends {
            None => layer,
            Some(base) => {
                let at = root.join("dataset.yaml");
                if depth >= MAX_EXTENDS_DEPTH {
                    return Err(invalid(
                        &at,
                        format!("extends: more than {MAX_EXTENDS_DEPTH} levels (a cycle?)"),
                    ));
                }
                let mut base = if base == "builtin" {
                    if root == Path::new(BUILTIN_ROOT) {
                        return Err(invalid(
                            &at,
                            "extends: the builtin data cannot extend itself",
                        ));
                    }
                    Self::builtin()?
                } else {
                    if Path::new(base).is_absolute() {
                        return Err(invalid(
                            &at,
                            "extends: give `builtin` or a directory relative to this one",
                        ));
                    }
                    Self::load_depth(&root.join(base), depth + 1)?
                };
                base.overlay(layer);
                base
            }
        };
        data.name = manifest.name.clone();
        data.root = root.to_path_buf();
        Ok(data)
    }

    /// Reads the files of one directory into `self` (which is empty): items are appended, so
    /// duplicates inside one directory stay visible to [`MigrationData::check`].
    fn read_layer(&mut self, sources: &[Source]) -> Result<(), Error> {
        for src in sources {
            let (kind, _) = src.rel.split_once('/').unwrap_or(("", &src.rel));
            match (kind, src.rel.as_str()) {
                (_, "dataset.yaml") => {}
                (_, "paths.yaml") => {
                    let file: model::PathsFile = parse(src)?;
                    for (i, mut p) in file.paths.into_iter().enumerate() {
                        p.origin = origin(src, format!("paths[{i}]"));
                        self.paths.push(p);
                    }
                }
                ("distributions", _) => {
                    let mut d: Distribution = parse(src)?;
                    d.origin = origin(src, "id".into());
                    self.distributions.push(d);
                }
                ("repomaps", _) => {
                    let mut m: RepoMap = parse(src)?;
                    m.origin = origin(src, "map".into());
                    self.repomaps.push(m);
                }
                ("events", _) => {
                    let mut f: model::EventsFile = parse(src)?;
                    set_event_origins(src, "", &mut f.events);
                    self.events.extend(f.events);
                }
                ("vendors", _) => {
                    let mut v: Vendor = parse(src)?;
                    v.origin = origin(src, "id".into());
                    set_event_origins(src, "", &mut v.events);
                    self.vendors.push(v);
                }
                _ => {
                    return Err(invalid(&src.path, "unknown data file"));
                }
            }
        }
        Ok(())
    }

    /// Lays `layer` over `self`: items with the same key are replaced, others appended
    /// (distributions and vendors by id, paths by source and target distribution and major,
    /// repository maps by file name, events by id).
    fn overlay(&mut self, layer: MigrationData) {
        for p in layer.paths {
            upsert(&mut self.paths, p, |a, b| {
                (a.from.as_str(), a.from_major, a.to.as_str(), a.to_major)
                    == (b.from.as_str(), b.from_major, b.to.as_str(), b.to_major)
            });
        }
        for d in layer.distributions {
            upsert(&mut self.distributions, d, |a, b| a.id == b.id);
        }
        for m in layer.repomaps {
            upsert(&mut self.repomaps, m, |a, b| {
                a.origin.file.file_name() == b.origin.file.file_name()
            });
        }
        for e in layer.events {
            upsert(&mut self.events, e, |a, b| a.id == b.id);
        }
        for v in layer.vendors {
            upsert(&mut self.vendors, v, |a, b| a.id == b.id);
        }
    }

    /// A distribution by id or alias.
    pub fn distribution(&self, name: &str) -> Option<&Distribution> {
        self.distributions
            .iter()
            .find(|d| d.id == name)
            .or_else(|| self.distributions.iter().find(|d| d.is_named(name)))
    }

    /// The distribution whose given major lists `os_release_id` (e.g. `centos` 9 is CentOS
    /// Stream).
    pub fn distribution_by_os_release(
        &self,
        os_release_id: &str,
        major: u32,
    ) -> Option<&Distribution> {
        self.distributions.iter().find(|d| {
            d.major(major)
                .is_some_and(|m| m.os_release_ids.iter().any(|i| i == os_release_id))
        })
    }

    /// Display name of a distribution id (the id itself when unknown).
    pub fn distro_name(&self, id: &str) -> String {
        self.distribution(id)
            .map_or_else(|| id.to_string(), |d| d.name.clone())
    }

    /// Supported paths from a source, the default target first.
    pub fn paths_from(&self, distro: &str, major: u32) -> Vec<&UpgradePath> {
        self.paths
            .iter()
            .filter(|p| p.from == distro && p.from_major == major)
            .collect()
    }

    /// The default path for a source (the first one listed).
    pub fn default_path(&self, distro: &str, major: u32) -> Option<&UpgradePath> {
        self.paths_from(distro, major).into_iter().next()
    }

    /// The path from `(distro, major)` to `(to, to_major)`, when supported.
    pub fn path(&self, distro: &str, major: u32, to: &str, to_major: u32) -> Option<&UpgradePath> {
        self.paths_from(distro, major)
            .into_iter()
            .find(|p| p.to == to && p.to_major == to_major)
    }

    /// The repository-map entries for `from` -> `to` on `arch` (entries of every matching
    /// map, in file order).
    pub fn repo_map(&self, from: &DistroMajor, to: &DistroMajor, arch: &str) -> Vec<&RepoMapEntry> {
        self.repomaps
            .iter()
            .filter(|m| m.applies(from, to))
            .flat_map(|m| m.map.iter())
            .filter(|e| e.arches.is_empty() || e.arches.iter().any(|a| a == arch))
            .collect()
    }

    /// The target repository ids of a source repository for `from` -> `to` on `arch`
    /// (distribution maps first, then vendor maps).
    pub fn map_repo(
        &self,
        from: &DistroMajor,
        to: &DistroMajor,
        arch: &str,
        source: &str,
    ) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        let vendor_entries = self
            .vendors
            .iter()
            .filter_map(|v| v.map(from.major, to.major))
            .flat_map(|m| m.map.iter())
            .filter(|e| e.arches.is_empty() || e.arches.iter().any(|a| a == arch));
        for e in self
            .repo_map(from, to, arch)
            .into_iter()
            .chain(vendor_entries)
        {
            if e.source == source {
                for t in &e.targets {
                    if !out.contains(t) {
                        out.push(t.clone());
                    }
                }
            }
        }
        out
    }

    /// A vendor by id.
    pub fn vendor(&self, id: &str) -> Option<&Vendor> {
        self.vendors.iter().find(|v| v.id == id)
    }

    /// The vendor one of whose repositories has this id.
    pub fn vendor_by_source_repo(&self, repo_id: &str) -> Option<&Vendor> {
        self.vendors.iter().find(|v| v.is_source_repo(repo_id))
    }

    /// The vendor whose packages carry this rpm `Vendor` tag.
    pub fn vendor_by_tag(&self, tag: &str) -> Option<&Vendor> {
        self.vendors
            .iter()
            .find(|v| v.vendor_tags.iter().any(|t| t == tag))
    }

    /// Every event, distribution events first, then each vendor's.
    pub fn all_events(&self) -> impl Iterator<Item = &EventDef> {
        self.events
            .iter()
            .chain(self.vendors.iter().flat_map(|v| v.events.iter()))
    }

    /// The repositories of a target release with dnf variables expanded: `$releasever` (the
    /// major unless `vars` gives `releasever`), `$basearch` and `$arch` (`arch`), and every
    /// variable in `vars` (e.g. `testkit_world`).
    ///
    /// # Errors
    ///
    /// When the release is unknown or a URL names a variable nobody gave (the message names it).
    pub fn target_repositories(
        &self,
        to: &DistroMajor,
        arch: &str,
        vars: &BTreeMap<String, String>,
    ) -> Result<Vec<Repository>, Error> {
        let d = self
            .distribution(&to.distro)
            .ok_or_else(|| invalid(&self.root, format!("unknown distribution {:?}", to.distro)))?;
        let m = d.major(to.major).ok_or_else(|| {
            invalid(
                &d.origin.file,
                format!("{} has no major {}", d.id, to.major),
            )
        })?;
        let mut all = BTreeMap::new();
        all.insert("releasever".to_string(), to.major.to_string());
        all.insert("basearch".to_string(), arch.to_string());
        all.insert("arch".to_string(), arch.to_string());
        all.extend(vars.iter().map(|(k, v)| (k.clone(), v.clone())));
        m.repositories
            .iter()
            .enumerate()
            .map(|(i, r)| {
                let place = |field: &str, e: String| {
                    invalid(
                        &d.origin.file,
                        format!("majors[{}].repositories[{i}].{field}: {e}", to.major),
                    )
                };
                let mut r = r.clone();
                r.name = expand_vars(&r.name, &all).map_err(|e| place("name", e))?;
                if let Some(u) = &r.baseurl {
                    r.baseurl = Some(expand_vars(u, &all).map_err(|e| place("baseurl", e))?);
                }
                if let Some(u) = &r.mirrorlist {
                    r.mirrorlist = Some(expand_vars(u, &all).map_err(|e| place("mirrorlist", e))?);
                }
                Ok(r)
            })
            .collect()
    }
}
