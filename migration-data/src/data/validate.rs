//! Validation of a loaded [`MigrationData`] with precise messages: file, YAML location, what is
//! wrong and how to fix it.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::PathBuf;

use super::MigrationData;
use super::convert::{event_number, module_stream};
use super::model::{DistroMajor, EventDef, Key, Origin};
use crate::leapp::pes::Action;

/// The kinds of problems [`MigrationData::check`] reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
pub enum DataProblemKind {
    /// Two items share an id (distribution, alias, repository, path, event, vendor).
    DuplicateId,
    /// A path or repository map names a distribution or major no file defines.
    UnknownDistribution,
    /// A path names a minor its distribution does not list.
    UnknownVersion,
    /// A repository map, vendor map or event names a repository nobody defines.
    UnknownRepository,
    /// An event's release is not the target major of any path.
    EventOutsidePaths,
    /// An event's out-packages do not fit its action, or its packages are malformed.
    BadEvent,
    /// A repository or vendor names a key file that is not declared, or a signed vendor has
    /// no key on a major.
    MissingKey,
    /// A malformed value (key id, empty name, platform id).
    BadValue,
}

/// One finding of [`MigrationData::check`].
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct DataProblem {
    /// The file.
    pub file: PathBuf,
    /// YAML location in the file.
    pub location: String,
    /// The kind.
    pub kind: DataProblemKind,
    /// What is wrong and how to fix it.
    pub message: String,
}

impl fmt::Display for DataProblem {
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

struct Out(Vec<DataProblem>);

impl Out {
    fn push(&mut self, o: &Origin, loc: impl Into<String>, kind: DataProblemKind, msg: String) {
        let loc = loc.into();
        self.0.push(DataProblem {
            file: o.file.clone(),
            location: if loc.is_empty() {
                o.location.clone()
            } else {
                loc
            },
            kind,
            message: msg,
        });
    }
}

fn key_id_ok(id: &str) -> bool {
    (id.len() == 8 || id.len() == 16)
        && id
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

fn check_keys(out: &mut Out, o: &Origin, prefix: &str, keys: &[Key]) {
    for (k, key) in keys.iter().enumerate() {
        if key.file.trim().is_empty() || key.file.contains('/') {
            out.push(o, format!("{prefix}keys[{k}].file"), DataProblemKind::BadValue,
                format!("key file name {:?} is empty or contains '/'; give the bare file name under /etc/pki/rpm-gpg", key.file));
        }
        for (j, id) in key.ids.iter().enumerate() {
            if !key_id_ok(id) {
                out.push(o, format!("{prefix}keys[{k}].ids[{j}]"), DataProblemKind::BadValue,
                    format!("key id {id:?} is not 8 or 16 lower-case hex digits; write the short or long id as `rpm -q gpg-pubkey` shows it, in lower case"));
            }
        }
    }
}

impl MigrationData {
    /// Runs every check; an empty list means the data is clean.
    pub fn check(&self) -> Vec<DataProblem> {
        let mut out = Out(Vec::new());
        self.check_distributions(&mut out);
        self.check_paths(&mut out);
        self.check_repomaps(&mut out);
        self.check_vendors(&mut out);
        self.check_events(&mut out);
        out.0
    }

    /// Repository families defined for a major: the distributions' families and the vendors'
    /// repository ids.
    fn families(&self, major: u32) -> BTreeSet<&str> {
        let mut s: BTreeSet<&str> = self
            .distributions
            .iter()
            .filter_map(|d| d.major(major))
            .flat_map(|m| m.repositories.iter().map(|r| r.family()))
            .collect();
        for v in &self.vendors {
            for vm in v.majors.iter().filter(|vm| vm.major == major) {
                s.extend(vm.repositories.iter().map(String::as_str));
            }
        }
        s
    }

    fn check_distributions(&self, out: &mut Out) {
        let mut names: BTreeMap<&str, &Origin> = BTreeMap::new();
        for d in &self.distributions {
            for (i, n) in std::iter::once(&d.id).chain(&d.aliases).enumerate() {
                let loc = if i == 0 {
                    "id".to_string()
                } else {
                    format!("aliases[{}]", i - 1)
                };
                if let Some(prev) = names.insert(n, &d.origin) {
                    out.push(&d.origin, loc, DataProblemKind::DuplicateId,
                        format!("distribution name {n:?} is already used in {}; give each distribution and alias a unique name", prev.file.display()));
                }
            }
            if d.majors.is_empty() {
                out.push(
                    &d.origin,
                    "majors",
                    DataProblemKind::BadValue,
                    format!("distribution {} has no majors; add at least one", d.id),
                );
            }
            let mut majors = BTreeSet::new();
            for (mi, m) in d.majors.iter().enumerate() {
                let p = format!("majors[{mi}].");
                if !majors.insert(m.major) {
                    out.push(
                        &d.origin,
                        format!("{p}major"),
                        DataProblemKind::DuplicateId,
                        format!("major {} is defined twice; merge the two entries", m.major),
                    );
                }
                if m.minors.is_empty() {
                    out.push(&d.origin, format!("{p}minors"), DataProblemKind::BadValue,
                        "no minors listed; list the known minors (`[0]` for a release without minors)".into());
                }
                if m.os_release_ids.is_empty() {
                    out.push(
                        &d.origin,
                        format!("{p}os_release_ids"),
                        DataProblemKind::BadValue,
                        "no os-release ids; list the ID= values of this major".into(),
                    );
                }
                if let Some(pid) = &m.platform_id
                    && pid != &format!("platform:el{}", m.major)
                {
                    out.push(&d.origin, format!("{p}platform_id"), DataProblemKind::BadValue,
                        format!("platform id {pid:?} does not match the major; expected \"platform:el{}\"", m.major));
                }
                check_keys(out, &d.origin, &p, &m.keys);
                let mut ids = BTreeSet::new();
                for (ri, r) in m.repositories.iter().enumerate() {
                    let rp = format!("{p}repositories[{ri}]");
                    if !ids.insert(r.id.as_str()) {
                        out.push(
                            &d.origin,
                            format!("{rp}.id"),
                            DataProblemKind::DuplicateId,
                            format!(
                                "repository id {:?} is defined twice in {} {}; rename one",
                                r.id, d.id, m.major
                            ),
                        );
                    }
                    if r.id.trim().is_empty() {
                        out.push(
                            &d.origin,
                            format!("{rp}.id"),
                            DataProblemKind::BadValue,
                            "empty repository id".into(),
                        );
                    }
                    if r.baseurl.is_none() && r.mirrorlist.is_none() {
                        out.push(
                            &d.origin,
                            rp.clone(),
                            DataProblemKind::BadValue,
                            format!(
                                "repository {} has neither baseurl nor mirrorlist; give one",
                                r.id
                            ),
                        );
                    }
                    if let Some(k) = &r.gpgkey
                        && !m.keys.iter().any(|key| &key.file == k)
                    {
                        out.push(&d.origin, format!("{rp}.gpgkey"), DataProblemKind::MissingKey,
                            format!("repository {} uses key file {k:?}, which majors[{mi}].keys does not declare; add it there", r.id));
                    }
                }
            }
        }
    }

    fn check_paths(&self, out: &mut Out) {
        let mut seen = BTreeSet::new();
        for p in &self.paths {
            if !seen.insert((&p.from, p.from_major, &p.to, p.to_major)) {
                out.push(
                    &p.origin,
                    "",
                    DataProblemKind::DuplicateId,
                    format!(
                        "path {}-{} -> {}-{} is listed twice; keep one",
                        p.from, p.from_major, p.to, p.to_major
                    ),
                );
            }
            for (field, distro, major, minor) in [
                ("from", &p.from, p.from_major, p.from_min_minor),
                ("to", &p.to, p.to_major, p.to_minor),
            ] {
                let loc = format!("{}.{field}", p.origin.location);
                match self.distributions.iter().find(|d| &d.id == distro) {
                    None => out.push(&p.origin, loc, DataProblemKind::UnknownDistribution,
                        format!("unknown distribution {distro:?}; add distributions/{distro}.yaml or use the id of a defined one")),
                    Some(d) => match d.major(major) {
                        None => out.push(&p.origin, loc, DataProblemKind::UnknownDistribution,
                            format!("{distro} has no major {major}; add it to {}", d.origin.file.display())),
                        Some(m) if field == "to" && !m.minors.contains(&minor) => out.push(&p.origin, loc, DataProblemKind::UnknownVersion,
                            format!("{distro} {major}.{minor} is not a known minor (known: {:?}); add it to the major's minors or fix the path", m.minors)),
                        Some(m) if m.last_minor().is_some_and(|last| minor > last) => out.push(&p.origin, loc, DataProblemKind::UnknownVersion,
                            format!("minimum source minor {distro} {major}.{minor} is newer than any known minor (known: {:?}); lower it or add the minor", m.minors)),
                        Some(_) => {}
                    },
                }
            }
            if p.to_major < p.from_major || (p.to_major == p.from_major && p.to == p.from) {
                out.push(
                    &p.origin,
                    "",
                    DataProblemKind::BadValue,
                    format!(
                        "path {}-{} -> {}-{} goes nowhere or backwards",
                        p.from, p.from_major, p.to, p.to_major
                    ),
                );
            }
        }
    }

    fn repo_defined(&self, dm: &DistroMajor, id: &str) -> Option<Result<(), String>> {
        let d = self.distributions.iter().find(|d| d.id == dm.distro)?;
        let m = d.major(dm.major)?;
        Some(if m.repository(id).is_some() {
            Ok(())
        } else {
            Err(d.origin.file.display().to_string())
        })
    }

    fn check_repomaps(&self, out: &mut Out) {
        for m in &self.repomaps {
            for (side, list) in [("from", &m.from), ("to", &m.to)] {
                for (i, dm) in list.iter().enumerate() {
                    if self.repo_defined(dm, "").is_none() {
                        out.push(&m.origin, format!("{side}[{i}]"), DataProblemKind::UnknownDistribution,
                            format!("{dm} is not a defined distribution major; define it or remove it from `{side}`"));
                    }
                }
            }
            for (i, e) in m.map.iter().enumerate() {
                let mut check = |dm: &DistroMajor, id: &str, loc: String| {
                    if let Some(Err(file)) = self.repo_defined(dm, id) {
                        out.push(&m.origin, loc, DataProblemKind::UnknownRepository,
                            format!("{dm} has no repository {id:?} (see {file}); fix the id or define the repository"));
                    }
                };
                for dm in &m.from {
                    check(dm, &e.source, format!("map[{i}].source"));
                }
                for (j, t) in e.targets.iter().enumerate() {
                    for dm in &m.to {
                        check(dm, t, format!("map[{i}].targets[{j}]"));
                    }
                }
                if e.targets.is_empty() {
                    out.push(
                        &m.origin,
                        format!("map[{i}].targets"),
                        DataProblemKind::BadValue,
                        format!(
                            "{} maps to no target; list at least one or drop the entry",
                            e.source
                        ),
                    );
                }
            }
        }
    }

    fn check_vendors(&self, out: &mut Out) {
        let mut ids = BTreeMap::new();
        let mut repos: BTreeMap<(u32, &str), &str> = BTreeMap::new();
        for v in &self.vendors {
            if let Some(prev) = ids.insert(v.id.as_str(), &v.origin) {
                out.push(
                    &v.origin,
                    "id",
                    DataProblemKind::DuplicateId,
                    format!(
                        "vendor id {:?} is already used in {}",
                        v.id,
                        prev.file.display()
                    ),
                );
            }
            for (mi, vm) in v.majors.iter().enumerate() {
                let p = format!("majors[{mi}].");
                check_keys(out, &v.origin, &p, &vm.keys);
                if v.signed && vm.keys.is_empty() {
                    out.push(&v.origin, format!("{p}keys"), DataProblemKind::MissingKey,
                        format!("vendor {} is signed but declares no key file for major {}; add its key or set `signed: false`", v.id, vm.major));
                }
                if !v.signed && !vm.keys.is_empty() {
                    out.push(&v.origin, format!("{p}keys"), DataProblemKind::BadValue,
                        format!("vendor {} is declared unsigned but lists keys; drop the keys or set `signed: true`", v.id));
                }
                for (ri, r) in vm.repositories.iter().enumerate() {
                    if let Some(other) = repos.insert((vm.major, r.as_str()), v.id.as_str())
                        && other != v.id
                    {
                        out.push(
                            &v.origin,
                            format!("{p}repositories[{ri}]"),
                            DataProblemKind::DuplicateId,
                            format!(
                                "repository {r:?} on major {} already belongs to vendor {other}",
                                vm.major
                            ),
                        );
                    }
                }
            }
            for (i, m) in v.maps.iter().enumerate() {
                for (side, major) in [("from_major", m.from_major), ("to_major", m.to_major)] {
                    if !v.majors.iter().any(|vm| vm.major == major) {
                        out.push(&v.origin, format!("maps[{i}].{side}"), DataProblemKind::UnknownDistribution,
                            format!("vendor {} has no repositories on major {major}; add majors entry or fix the map", v.id));
                    }
                }
                let has = |major: u32, id: &str| {
                    v.majors
                        .iter()
                        .any(|vm| vm.major == major && vm.repositories.iter().any(|r| r == id))
                };
                for (j, e) in m.map.iter().enumerate() {
                    if !has(m.from_major, &e.source) {
                        out.push(
                            &v.origin,
                            format!("maps[{i}].map[{j}].source"),
                            DataProblemKind::UnknownRepository,
                            format!(
                                "vendor {} has no repository {:?} on major {}",
                                v.id, e.source, m.from_major
                            ),
                        );
                    }
                    for (k, t) in e.targets.iter().enumerate() {
                        if !has(m.to_major, t) {
                            out.push(
                                &v.origin,
                                format!("maps[{i}].map[{j}].targets[{k}]"),
                                DataProblemKind::UnknownRepository,
                                format!(
                                    "vendor {} has no repository {t:?} on major {}",
                                    v.id, m.to_major
                                ),
                            );
                        }
                    }
                }
            }
        }
    }

    fn check_events(&self, out: &mut Out) {
        let targets: BTreeSet<u32> = self
            .paths
            .iter()
            .filter(|p| p.to_major > p.from_major)
            .map(|p| p.to_major)
            .collect();
        let mut ids: BTreeMap<&str, &Origin> = BTreeMap::new();
        let mut numbers: BTreeMap<u64, &str> = BTreeMap::new();
        for e in self.all_events() {
            self.check_event(out, e, &targets);
            if let Some(prev) = ids.insert(e.id.as_str(), &e.origin) {
                out.push(
                    &e.origin,
                    "",
                    DataProblemKind::DuplicateId,
                    format!(
                        "event id {:?} is already used at {prev}; give each event its own id",
                        e.id
                    ),
                );
            } else if let Some(other) = numbers.insert(event_number(&e.id), e.id.as_str()) {
                out.push(
                    &e.origin,
                    "",
                    DataProblemKind::DuplicateId,
                    format!(
                        "event id {:?} hashes to the same number as {other:?}; rename one",
                        e.id
                    ),
                );
            }
        }
    }

    fn check_event(&self, out: &mut Out, e: &EventDef, targets: &BTreeSet<u32>) {
        let o = &e.origin;
        let bad = |out: &mut Out, field: &str, kind, msg: String| {
            out.push(o, format!("{}.{field}", o.location), kind, msg);
        };
        if e.id.trim().is_empty() || e.why.trim().is_empty() {
            bad(
                out,
                "id",
                DataProblemKind::BadValue,
                "id and why must not be empty".into(),
            );
        }
        if !targets.contains(&e.release.major) {
            bad(
                out,
                "release",
                DataProblemKind::EventOutsidePaths,
                format!(
                    "release {} is not reached by any upgrade path (targets: {targets:?}); fix the release or add a path",
                    e.release
                ),
            );
        }
        let act = e.to_pes().action;
        if act.needs_out_packages() && e.out_packages.is_empty() {
            bad(
                out,
                "out",
                DataProblemKind::BadEvent,
                format!(
                    "action {:?} needs out-packages; list them under `out`",
                    e.action
                ),
            );
        }
        if act.forbids_out_packages() && !e.out_packages.is_empty() {
            bad(
                out,
                "out",
                DataProblemKind::BadEvent,
                format!("action {:?} takes no out-packages; remove `out`", e.action),
            );
        }
        if e.in_packages.is_empty() {
            bad(
                out,
                "in",
                DataProblemKind::BadEvent,
                "no in-packages; list at least one under `in`".into(),
            );
        }
        if act == Action::Merged && e.out_packages.len() != 1 {
            bad(
                out,
                "out",
                DataProblemKind::BadEvent,
                "a merge has exactly one out-package".into(),
            );
        }
        if let Some(i) = e.initial_release
            && i >= e.release
        {
            bad(
                out,
                "initial_release",
                DataProblemKind::BadValue,
                format!(
                    "initial release {i} is not before the release {}",
                    e.release
                ),
            );
        }
        let in_major = e
            .initial_release
            .map_or(e.release.major.saturating_sub(1), |r| r.major);
        let in_families: BTreeSet<&str> = self
            .families(in_major)
            .into_iter()
            .chain(self.families(e.release.major))
            .collect();
        let out_families = self.families(e.release.major);
        for (side, list, fams, major) in [
            ("in", &e.in_packages, &in_families, in_major),
            ("out", &e.out_packages, &out_families, e.release.major),
        ] {
            for (i, p) in list.iter().enumerate() {
                if p.name.trim().is_empty() {
                    bad(
                        out,
                        &format!("{side}[{i}].name"),
                        DataProblemKind::BadValue,
                        "empty package name".into(),
                    );
                }
                if !fams.contains(p.repo.as_str()) {
                    bad(
                        out,
                        &format!("{side}[{i}].repo"),
                        DataProblemKind::UnknownRepository,
                        format!(
                            "no distribution or vendor defines a repository family {:?} on EL{major}; use one of {fams:?}",
                            p.repo
                        ),
                    );
                }
                if let Some(m) = &p.module
                    && module_stream(m).is_none()
                {
                    bad(
                        out,
                        &format!("{side}[{i}].module"),
                        DataProblemKind::BadValue,
                        format!("module {m:?} is not NAME:STREAM"),
                    );
                }
            }
        }
    }
}
