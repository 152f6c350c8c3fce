//! The package-evolution stage: applies PES events to an installed package set, the way leapp
//! defines it (`../shared/notes/leapp-reference.md` §4.2), and records why every package ends
//! where it does.
//!
//! - Only events for the machine's architecture (or for all) count.
//! - The releases between the source (exclusive) and the target (inclusive) are processed in
//!   ascending order, and events are chained: the result of one release is the input of the next.
//! - Among events with the same initial release and the same in-packages, only those with the
//!   highest release are kept (leapp's conflict resolution; ties are all applied).
//! - Within one release every event is judged against the set as it was when the release began,
//!   then all applicable events are applied together (order-independent).
//! - Present: re-adds an in-package that was seen earlier; Deprecated: keeps an installed package
//!   and updates its repository; Merged applies when any in-package is present, every other
//!   action when all are; the in-packages are removed and the out-packages added.
//! - Events with module-stream maps are expanded to one event per `(in, out)` stream pair.
//! - Crossing a major version demodularizes every package that no event of the target major gave
//!   a stream.
//!
//! Deliberate differences from leapp: packages are identified by name and module stream, as in
//! leapp, but the result also keeps the chain of event ids that produced each package (for
//! `leapfrog why`), and Reinstalled (ELevate's action 8) keeps the package and marks it.

use std::collections::{BTreeMap, BTreeSet};

use leapfrog_migration_data::leapp::pes::{Action, Event, ModuleStream, Package, Version};
use serde::Serialize;

/// Identity of a package in the event stage: name and module stream.
pub type Key = (String, Option<ModuleStream>);

/// An installed package as the event stage sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Installed {
    /// Name.
    pub name: String,
    /// Module stream, for modular packages.
    pub module_stream: Option<ModuleStream>,
}

/// What one event did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct Step {
    /// Event id.
    pub event: u64,
    /// Action name.
    pub action: String,
    /// `major.minor` of the release the event happens at.
    pub release: String,
    /// In-packages (names).
    pub from: Vec<String>,
    /// Out-packages (names).
    pub to: Vec<String>,
}

/// A package the stage puts into the target set.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Planned {
    /// Name.
    pub name: String,
    /// PESID of the repository it comes from.
    pub repo: String,
    /// Module stream, if modular in the target.
    pub module_stream: Option<String>,
    /// Ids of the events that led to it, in order.
    pub events: Vec<u64>,
}

/// A package the stage takes out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Removed {
    /// Name.
    pub name: String,
    /// Ids of the events that removed or replaced it.
    pub events: Vec<u64>,
}

/// The result of the event stage.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Outcome {
    /// Packages to install that were not installed.
    pub to_install: Vec<Planned>,
    /// Installed packages to remove.
    pub to_remove: Vec<Removed>,
    /// Installed packages an event explicitly keeps (Present, Deprecated, Reinstalled, moved).
    pub to_keep: Vec<String>,
    /// Packages to reinstall (ELevate's Reinstalled action).
    pub to_reinstall: Vec<String>,
    /// Module streams to enable in the target.
    pub modules_enable: Vec<String>,
    /// Module streams of the source to reset.
    pub modules_reset: Vec<String>,
    /// PESIDs of the repositories the target set needs.
    pub repos: Vec<String>,
    /// Every applied event, in order.
    pub steps: Vec<Step>,
    /// Events considered (after architecture, release window and conflict filtering).
    pub events_considered: usize,
}

fn ms_string(ms: &Option<ModuleStream>) -> Option<String> {
    ms.as_ref().map(|m| format!("{}:{}", m.name, m.stream))
}

fn action_name(a: Action) -> &'static str {
    match a {
        Action::Present => "present",
        Action::Removed => "removed",
        Action::Deprecated => "deprecated",
        Action::Replaced => "replaced",
        Action::Split => "split",
        Action::Merged => "merged",
        Action::Moved => "moved",
        Action::Renamed => "renamed",
        Action::Reinstalled => "reinstalled",
    }
}

#[derive(Debug, Clone)]
struct Current {
    repo: String,
    events: Vec<u64>,
    stream_set_in_target: bool,
}

/// One event after module-stream-map expansion.
#[derive(Debug, Clone)]
struct Concrete<'a> {
    event: &'a Event,
    ins: Vec<Package>,
    outs: Vec<Package>,
}

fn expand(e: &Event) -> Vec<Concrete<'_>> {
    let ins = e.in_packages.packages.clone();
    let outs = e.out_package_list().to_vec();
    if e.modulestream_maps.is_empty() {
        return vec![Concrete {
            event: e,
            ins,
            outs,
        }];
    }
    e.modulestream_maps
        .iter()
        .map(|(i, o)| Concrete {
            event: e,
            ins: ins
                .iter()
                .map(|p| Package {
                    module_stream: i.clone(),
                    ..p.clone()
                })
                .collect(),
            outs: outs
                .iter()
                .map(|p| Package {
                    module_stream: o.clone(),
                    ..p.clone()
                })
                .collect(),
        })
        .collect()
}

fn key(p: &Package) -> Key {
    (p.name.clone(), p.module_stream.clone())
}

/// What groups events for conflict resolution: initial release and sorted in-packages.
type ConflictGroup = (Option<(u32, u32)>, Vec<Key>);

/// Keeps only the events with the highest release among those sharing initial release and
/// in-packages.
fn resolve_conflicts<'a>(events: Vec<&'a Event>) -> Vec<&'a Event> {
    let mut groups: BTreeMap<ConflictGroup, Vec<&'a Event>> = BTreeMap::new();
    for e in events {
        let mut ins: Vec<Key> = e.in_packages.packages.iter().map(key).collect();
        ins.sort();
        let init = e.initial_release.as_ref().map(|r| (r.major, r.minor));
        groups.entry((init, ins)).or_default().push(e);
    }
    let mut out = Vec::new();
    for (_, group) in groups {
        let max = group.iter().map(|e| e.release.version()).max();
        out.extend(
            group
                .into_iter()
                .filter(|e| Some(e.release.version()) == max),
        );
    }
    out
}

/// Applies `events` to `installed` for an upgrade from `source` to `target` on `arch`.
pub fn apply(
    events: &[Event],
    installed: &[Installed],
    source: Version,
    target: Version,
    arch: &str,
) -> Outcome {
    let candidates: Vec<&Event> = events
        .iter()
        .filter(|e| e.applies_to_arch(arch))
        .filter(|e| e.release.version() > source && e.release.version() <= target)
        .collect();
    let candidates = resolve_conflicts(candidates);
    let mut releases: Vec<Version> = candidates.iter().map(|e| e.release.version()).collect();
    releases.sort();
    releases.dedup();

    let mut current: BTreeMap<Key, Current> = installed
        .iter()
        .map(|p| {
            (
                (p.name.clone(), p.module_stream.clone()),
                Current {
                    repo: String::new(),
                    events: Vec::new(),
                    stream_set_in_target: false,
                },
            )
        })
        .collect();
    let mut seen: BTreeSet<Key> = current.keys().cloned().collect();
    let mut removed_by: BTreeMap<String, Vec<u64>> = BTreeMap::new();
    let mut kept: BTreeSet<String> = BTreeSet::new();
    let mut reinstall: BTreeSet<String> = BTreeSet::new();
    let mut steps = Vec::new();

    for rel in &releases {
        let mut at: Vec<&Event> = candidates
            .iter()
            .copied()
            .filter(|e| e.release.version() == *rel)
            .collect();
        at.sort_by_key(|e| e.id);
        let concrete: Vec<Concrete<'_>> = at.iter().flat_map(|e| expand(e)).collect();
        let before: BTreeSet<Key> = current.keys().cloned().collect();
        let mut removals: Vec<(Key, u64)> = Vec::new();
        let mut additions: Vec<(Package, u64, Vec<u64>)> = Vec::new();
        for c in &concrete {
            let e = c.event;
            let present: Vec<&Package> =
                c.ins.iter().filter(|p| before.contains(&key(p))).collect();
            let applies = match e.action {
                Action::Present => c.ins.iter().any(|p| seen.contains(&key(p))),
                Action::Merged => !present.is_empty(),
                _ => !c.ins.is_empty() && present.len() == c.ins.len(),
            };
            if !applies {
                continue;
            }
            // history of the in-packages, carried to what replaces them
            let mut history: Vec<u64> = present
                .iter()
                .filter_map(|p| current.get(&key(p)))
                .flat_map(|c| c.events.clone())
                .collect();
            history.push(e.id);
            match e.action {
                Action::Present => {
                    for p in &c.ins {
                        if seen.contains(&key(p)) {
                            additions.push((p.clone(), e.id, history.clone()));
                            kept.insert(p.name.clone());
                        }
                    }
                }
                Action::Deprecated | Action::Reinstalled => {
                    for p in &present {
                        if let Some(cur) = current.get_mut(&key(p)) {
                            cur.repo = p.repository.clone();
                            cur.events.push(e.id);
                        }
                        kept.insert(p.name.clone());
                        if e.action == Action::Reinstalled {
                            reinstall.insert(p.name.clone());
                        }
                    }
                }
                _ => {
                    for p in &present {
                        removals.push((key(p), e.id));
                    }
                    for o in &c.outs {
                        additions.push((o.clone(), e.id, history.clone()));
                    }
                }
            }
            steps.push(Step {
                event: e.id,
                action: action_name(e.action).to_string(),
                release: format!("{}.{}", rel.major, rel.minor),
                from: c.ins.iter().map(|p| p.name.clone()).collect(),
                to: c.outs.iter().map(|p| p.name.clone()).collect(),
            });
        }
        for (k, id) in removals {
            if current.remove(&k).is_some() {
                removed_by.entry(k.0.clone()).or_default().push(id);
            }
        }
        for (p, _id, history) in additions {
            let k = key(&p);
            seen.insert(k.clone());
            let crossing = rel.major == target.major && rel.major > source.major;
            let entry = current.entry(k).or_insert_with(|| Current {
                repo: String::new(),
                events: Vec::new(),
                stream_set_in_target: false,
            });
            entry.repo = p.repository.clone();
            for id in history {
                if !entry.events.contains(&id) {
                    entry.events.push(id);
                }
            }
            entry.stream_set_in_target |= crossing && p.module_stream.is_some();
            removed_by.remove(&p.name);
        }
    }

    // crossing a major demodularizes what no target-major event gave a stream
    if target.major > source.major {
        let modular: Vec<Key> = current
            .iter()
            .filter(|((_, ms), c)| ms.is_some() && !c.stream_set_in_target)
            .map(|(k, _)| k.clone())
            .collect();
        for k in modular {
            if let Some(c) = current.remove(&k) {
                current.entry((k.0, None)).or_insert(c);
            }
        }
    }

    let installed_names: BTreeSet<&str> = installed.iter().map(|p| p.name.as_str()).collect();
    let current_names: BTreeSet<&str> = current.keys().map(|(n, _)| n.as_str()).collect();
    let mut out = Outcome {
        steps,
        events_considered: candidates.len(),
        ..Default::default()
    };
    for ((name, ms), c) in &current {
        if !installed_names.contains(name.as_str()) {
            out.to_install.push(Planned {
                name: name.clone(),
                repo: c.repo.clone(),
                module_stream: ms_string(ms),
                events: c.events.clone(),
            });
        }
        if ms.is_some() && !installed_names.contains(name.as_str()) {
            out.modules_enable.extend(ms_string(ms));
        }
        if !c.repo.is_empty() {
            out.repos.push(c.repo.clone());
        }
    }
    for p in installed {
        if !current_names.contains(p.name.as_str()) {
            out.to_remove.push(Removed {
                name: p.name.clone(),
                events: removed_by.get(&p.name).cloned().unwrap_or_default(),
            });
        }
        if p.module_stream.is_some() {
            out.modules_reset.extend(ms_string(&p.module_stream));
        }
    }
    out.to_keep = kept
        .into_iter()
        .filter(|n| installed_names.contains(n.as_str()) && current_names.contains(n.as_str()))
        .collect();
    out.to_reinstall = reinstall.into_iter().collect();
    for v in [
        &mut out.modules_enable,
        &mut out.modules_reset,
        &mut out.repos,
    ] {
        v.sort();
        v.dedup();
    }
    out.to_remove.sort_by(|a, b| a.name.cmp(&b.name));
    out.to_remove.dedup_by(|a, b| a.name == b.name);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use leapfrog_migration_data::leapp::pes;
    use std::path::Path;

    fn ev(
        id: u64,
        action: u8,
        ins: &[&str],
        outs: Option<&[&str]>,
        release: (u32, u32),
        arch: &[&str],
    ) -> String {
        let pkgs = |names: &[&str], repo: &str| {
            names
                .iter()
                .map(|n| {
                    format!(r#"{{"name":"{n}","repository":"{repo}","modulestreams":[null]}}"#)
                })
                .collect::<Vec<_>>()
                .join(",")
        };
        let out = match outs {
            Some(o) => format!(
                r#"{{"set_id":{},"package":[{}]}}"#,
                id * 10 + 1,
                pkgs(o, "el8-baseos")
            ),
            None => "null".into(),
        };
        let arch = arch
            .iter()
            .map(|a| format!("\"{a}\""))
            .collect::<Vec<_>>()
            .join(",");
        format!(
            r#"{{"id":{id},"action":{action},"in_packageset":{{"set_id":{},"package":[{}]}},"out_packageset":{out},"initial_release":{{"os_name":"CentOS","major_version":7,"minor_version":0}},"release":{{"os_name":"AlmaLinux","major_version":{},"minor_version":{}}},"architectures":[{arch}]}}"#,
            id * 10,
            pkgs(ins, "base"),
            release.0,
            release.1
        )
    }

    fn events(list: &[String]) -> Vec<Event> {
        let text = format!(
            r#"{{"timestamp":"x","provided_data_streams":["4.0"],"packageinfo":[{}]}}"#,
            list.join(",")
        );
        pes::parse(text.as_bytes(), Path::new("test.json"))
            .unwrap()
            .events
    }

    fn installed(names: &[&str]) -> Vec<Installed> {
        names
            .iter()
            .map(|n| Installed {
                name: n.to_string(),
                module_stream: None,
            })
            .collect()
    }

    const SRC: Version = Version { major: 7, minor: 9 };
    const TGT: Version = Version {
        major: 8,
        minor: 10,
    };

    fn names(v: &[Planned]) -> Vec<&str> {
        v.iter().map(|p| p.name.as_str()).collect()
    }

    #[test]
    fn rename_split_merge_removal() {
        let evs = events(&[
            ev(1, 7, &["dhclient"], Some(&["dhcp-client"]), (8, 0), &[]),
            ev(2, 4, &["ntp"], Some(&["chrony", "ntpstat"]), (8, 0), &[]),
            ev(3, 5, &["a", "b"], Some(&["ab"]), (8, 0), &[]),
            ev(4, 1, &["tcp_wrappers"], None, (8, 0), &[]),
        ]);
        let out = apply(
            &evs,
            &installed(&["dhclient", "ntp", "b", "tcp_wrappers", "bash"]),
            SRC,
            TGT,
            "x86_64",
        );
        assert_eq!(
            names(&out.to_install),
            ["ab", "chrony", "dhcp-client", "ntpstat"]
        );
        let removed: Vec<_> = out
            .to_remove
            .iter()
            .map(|r| (r.name.as_str(), r.events.clone()))
            .collect();
        assert_eq!(
            removed,
            [
                ("b", vec![3]),
                ("dhclient", vec![1]),
                ("ntp", vec![2]),
                ("tcp_wrappers", vec![4])
            ]
        );
        assert_eq!(
            out.to_install
                .iter()
                .find(|p| p.name == "dhcp-client")
                .unwrap()
                .events,
            [1]
        );
        assert_eq!(out.repos, ["el8-baseos"]);
    }

    #[test]
    fn events_chain_across_releases_and_outside_the_window_are_ignored() {
        let evs = events(&[
            ev(1, 7, &["a"], Some(&["b"]), (8, 0), &[]),
            ev(2, 7, &["b"], Some(&["c"]), (8, 2), &[]),
            ev(3, 7, &["c"], Some(&["d"]), (9, 0), &[]),
            ev(4, 1, &["bash"], None, (7, 6), &[]),
        ]);
        let out = apply(&evs, &installed(&["a", "bash"]), SRC, TGT, "x86_64");
        assert_eq!(names(&out.to_install), ["c"]);
        assert_eq!(out.to_install[0].events, [1, 2], "the chain is recorded");
        assert_eq!(out.to_remove.len(), 1);
        assert_eq!(out.steps.len(), 2);
    }

    #[test]
    fn architecture_filter_and_partial_inputs() {
        let evs = events(&[
            ev(1, 7, &["a"], Some(&["b"]), (8, 0), &["aarch64"]),
            ev(2, 3, &["x", "y"], Some(&["z"]), (8, 0), &[]),
        ]);
        let out = apply(&evs, &installed(&["a", "x"]), SRC, TGT, "x86_64");
        assert!(
            out.to_install.is_empty() && out.to_remove.is_empty(),
            "aarch64-only event and a replace with a missing input do nothing"
        );
    }

    #[test]
    fn conflict_resolution_keeps_the_latest_release() {
        let evs = events(&[
            ev(1, 7, &["a"], Some(&["b"]), (8, 0), &[]),
            ev(2, 7, &["a"], Some(&["c"]), (8, 2), &[]),
        ]);
        let out = apply(&evs, &installed(&["a"]), SRC, TGT, "x86_64");
        assert_eq!(names(&out.to_install), ["c"]);
        assert_eq!(out.events_considered, 1);
    }

    #[test]
    fn present_and_deprecated_keep_packages() {
        let evs = events(&[
            ev(1, 2, &["old"], None, (8, 0), &[]),
            ev(2, 0, &["back"], None, (8, 1), &[]),
            ev(3, 1, &["back"], None, (8, 0), &[]),
        ]);
        let out = apply(&evs, &installed(&["old", "back"]), SRC, TGT, "x86_64");
        assert_eq!(out.to_keep, ["back", "old"]);
        assert!(out.to_remove.is_empty(), "{:?}", out.to_remove);
    }
}
