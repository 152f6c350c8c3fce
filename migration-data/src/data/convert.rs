//! Conversion of our events and repository maps into the leapp importer's types, and dnf
//! variable expansion.

use std::collections::BTreeMap;

use super::MigrationData;
use super::model::{DistroMajor, EventAction, EventDef, EventPackage, MajorMinor};
use crate::leapp::pes::{Action, Event, ModuleStream, Package, PackageSet, Release};
use crate::leapp::repomap::{Mapping, RepoEntry, RepoMap};

/// The numeric PES id of one of our events: FNV-1a (64 bit) of its slug with the top bit set,
/// so it is stable across data changes and never collides with leapp's small numbers.
pub fn event_number(id: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in id.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h | (1 << 63)
}

/// Expands dnf variables (`$name` and `${name}`, names of ASCII letters, digits and `_`).
///
/// # Errors
///
/// Names the first variable `vars` does not define.
pub fn expand_vars(text: &str, vars: &BTreeMap<String, String>) -> Result<String, String> {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(pos) = rest.find('$') {
        out.push_str(&rest[..pos]);
        let after = &rest[pos + 1..];
        let (name, consumed) = if let Some(inner) = after.strip_prefix('{') {
            let end = inner
                .find('}')
                .ok_or_else(|| format!("unterminated ${{ in {text:?}"))?;
            (&inner[..end], end + 2)
        } else {
            let end = after
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(after.len());
            (&after[..end], end)
        };
        if name.is_empty() {
            return Err(format!("a lone `$` in {text:?}"));
        }
        let value = vars
            .get(name)
            .ok_or_else(|| format!("undefined variable ${name} in {text:?}"))?;
        out.push_str(value);
        rest = &after[consumed..];
    }
    out.push_str(rest);
    Ok(out)
}

fn action(a: EventAction) -> Action {
    match a {
        EventAction::Present => Action::Present,
        EventAction::Removed => Action::Removed,
        EventAction::Deprecated => Action::Deprecated,
        EventAction::Replaced => Action::Replaced,
        EventAction::Split => Action::Split,
        EventAction::Merged => Action::Merged,
        EventAction::Moved => Action::Moved,
        EventAction::Renamed => Action::Renamed,
        EventAction::Reinstalled => Action::Reinstalled,
    }
}

/// `NAME:STREAM`, when well formed.
pub(crate) fn module_stream(s: &str) -> Option<ModuleStream> {
    let (name, stream) = s.split_once(':')?;
    (!name.is_empty() && !stream.is_empty() && !stream.contains(':')).then(|| ModuleStream {
        name: name.to_string(),
        stream: stream.to_string(),
    })
}

fn packages(list: &[EventPackage]) -> Vec<Package> {
    list.iter()
        .map(|p| Package {
            name: p.name.clone(),
            repository: p.repo.clone(),
            module_stream: p.module.as_deref().and_then(module_stream),
        })
        .collect()
}

fn release(v: MajorMinor) -> Release {
    Release {
        os_name: None,
        major: v.major,
        minor: v.minor,
    }
}

impl EventDef {
    /// This event as the leapp importer's type: the id becomes [`event_number`], packages name
    /// their repository family as PESID, `why` becomes the description (prefixed with the slug).
    pub fn to_pes(&self) -> Event {
        Event {
            id: event_number(&self.id),
            action: action(self.action),
            in_packages: PackageSet {
                set_id: None,
                packages: packages(&self.in_packages),
            },
            out_packages: (!self.out_packages.is_empty()).then(|| PackageSet {
                set_id: None,
                packages: packages(&self.out_packages),
            }),
            initial_release: self.initial_release.map(release),
            release: release(self.release),
            architectures: self.arches.clone(),
            modulestream_maps: Vec::new(),
            description: Some(format!("{}: {}", self.id, self.why)),
        }
    }
}

impl MigrationData {
    /// The events (distribution and vendor ones) whose release lies after `from_major` and up
    /// to `to_major`, converted to the PES type the planner applies (empty for a conversion
    /// within one major).
    pub fn pes_events(&self, from_major: u32, to_major: u32) -> Vec<Event> {
        self.all_events()
            .filter(|e| e.release.major > from_major && e.release.major <= to_major)
            .map(EventDef::to_pes)
            .collect()
    }

    /// The slug of an event from its numeric id (for `leapfrog why`).
    pub fn event_slug(&self, number: u64) -> Option<&str> {
        self.all_events()
            .find(|e| event_number(&e.id) == number)
            .map(|e| e.id.as_str())
    }

    /// The repository map for `from` -> `to` on `arch` as the leapp importer's type, with
    /// repository families as PESIDs: `mappings` from source to target families (distribution
    /// and vendor maps) and one `repositories` entry per repository of both releases and of
    /// the vendors on both majors (family = vendor repository id).
    pub fn leapp_repomap(&self, from: &DistroMajor, to: &DistroMajor, arch: &str) -> RepoMap {
        let family = |dm: &DistroMajor, id: &str| -> String {
            self.distribution(&dm.distro)
                .and_then(|d| d.major(dm.major))
                .and_then(|m| m.repository(id))
                .map_or_else(|| id.to_string(), |r| r.family().to_string())
        };
        let mut mappings: Vec<Mapping> = Vec::new();
        let mut add = |source: String, targets: Vec<String>| match mappings
            .iter_mut()
            .find(|m| m.source_pesid == source)
        {
            Some(m) => {
                for t in targets {
                    if !m.targets.contains(&t) {
                        m.targets.push(t);
                    }
                }
            }
            None => mappings.push(Mapping {
                source_major: from.major,
                target_major: to.major,
                source_pesid: source,
                targets,
            }),
        };
        for e in self.repo_map(from, to, arch) {
            add(
                family(from, &e.source),
                e.targets.iter().map(|t| family(to, t)).collect(),
            );
        }
        for v in &self.vendors {
            if let Some(m) = v.map(from.major, to.major) {
                for e in m
                    .map
                    .iter()
                    .filter(|e| e.arches.is_empty() || e.arches.iter().any(|a| a == arch))
                {
                    add(e.source.clone(), e.targets.clone());
                }
            }
        }
        let mut repositories = Vec::new();
        let entry = |pesid: String, major: u32, repoid: String, distro: Option<String>| RepoEntry {
            pesid,
            major,
            repoid,
            arch: arch.to_string(),
            channel: "ga".into(),
            repo_type: "rpm".into(),
            rhui: None,
            distro,
        };
        for dm in [from, to] {
            if let Some(m) = self
                .distribution(&dm.distro)
                .and_then(|d| d.major(dm.major))
            {
                for r in &m.repositories {
                    repositories.push(entry(
                        r.family().to_string(),
                        dm.major,
                        r.id.clone(),
                        Some(dm.distro.clone()),
                    ));
                }
            }
            for v in &self.vendors {
                for vm in v.majors.iter().filter(|vm| vm.major == dm.major) {
                    for r in &vm.repositories {
                        repositories.push(entry(r.clone(), dm.major, r.clone(), None));
                    }
                }
            }
        }
        RepoMap {
            format_version: "leapfrog-1".into(),
            datetime: None,
            provided_data_streams: Vec::new(),
            distro: to.distro.clone(),
            mappings,
            repositories,
        }
    }
}
