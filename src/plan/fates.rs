//! The fate of every installed package: what the solved transaction does to it, and why.
//!
//! Inputs are the installed packages (with their origin: signed by the source distribution, by a
//! known vendor, or foreign), the package-evolution outcome ([`super::events::Outcome`]), the
//! solved transaction and the user's choices (`--drop`, `--keep-foreign`). Every installed
//! package gets exactly one [`Fate`] with a sentence that explains it; a package is never dropped
//! without a fate that says so.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

pub use super::depsolve::Action;
use super::document::Element;
use super::events;

/// Where an installed package came from, judged by its signature and vendor.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "name", rename_all = "kebab-case")]
pub enum Origin {
    /// Signed by the source distribution.
    Distribution,
    /// From a third-party vendor the migration data knows (EPEL, MariaDB, ...).
    Vendor(String),
    /// From anywhere else (unknown repository, unsigned, built locally).
    Foreign,
}

/// An installed package.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstalledPackage {
    /// Name.
    pub name: String,
    /// `name-[epoch:]version-release.arch`.
    pub nevra: String,
    /// Origin.
    pub origin: Origin,
}

/// The user's decisions about packages that would otherwise block the upgrade.
#[derive(Debug, Clone, Default)]
pub struct Choices {
    /// `--drop PKG`: remove these packages.
    pub drop: BTreeSet<String>,
    /// `--keep-foreign PKG`: leave these foreign packages installed as they are.
    pub keep_foreign: BTreeSet<String>,
}

/// What the classification needs besides the packages and the transaction.
#[derive(Debug, Clone, Default)]
pub struct Context {
    /// The user's decisions.
    pub choices: Choices,
    /// Display names of events (our data's slugs), by numeric id.
    pub event_names: BTreeMap<u64, String>,
    /// Installed NEVRAs whose identical build a target repository carries (NEVRA -> repo id).
    pub in_target: BTreeMap<String, String>,
}

/// What happens to one installed package.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "fate", rename_all = "kebab-case")]
pub enum Fate {
    /// Replaced by the same name from the target.
    Upgraded {
        /// New NEVRA.
        to: String,
        /// Target repository.
        repo: String,
    },
    /// Replaced by other packages.
    Replaced {
        /// Names of the replacements.
        by: Vec<String>,
        /// Package-evolution events behind it (empty when the target package obsoletes it).
        events: Vec<u64>,
    },
    /// Removed without a replacement.
    Removed {
        /// Package-evolution events behind it (empty when the solver had to remove it).
        events: Vec<u64>,
    },
    /// A vendor package kept from (or upgraded within) the vendor's target repository.
    KeptVendor {
        /// Vendor name.
        vendor: String,
        /// New NEVRA, when the vendor's target repository has a newer build.
        to: Option<String>,
    },
    /// Stays installed as it is, on purpose (installonly kernels, same build in the target).
    Kept,
    /// A foreign package the user chose to keep (`--keep-foreign`).
    KeptForeign,
    /// Removed because the user chose so (`--drop`).
    Dropped,
    /// A foreign package with no target and no decision: blocks the upgrade.
    NoTarget,
    /// A distribution package with no successor and no event: it would stay from the old major.
    Stranded,
}

impl Fate {
    /// Short name used in JSON and summaries.
    pub fn label(&self) -> &'static str {
        match self {
            Fate::Upgraded { .. } => "upgraded",
            Fate::Replaced { .. } => "replaced",
            Fate::Removed { .. } => "removed",
            Fate::KeptVendor { .. } => "kept-vendor",
            Fate::Kept => "kept",
            Fate::KeptForeign => "kept-foreign",
            Fate::Dropped => "dropped",
            Fate::NoTarget => "no-target",
            Fate::Stranded => "stranded",
        }
    }

    /// Whether this fate blocks the upgrade until the user decides.
    pub fn is_inhibitor(&self) -> bool {
        matches!(self, Fate::NoTarget)
    }
}

/// One installed package and its fate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PackageFate {
    /// Name.
    pub name: String,
    /// Installed NEVRA.
    pub nevra: String,
    /// Origin.
    pub origin: Origin,
    /// Fate.
    #[serde(flatten)]
    pub fate: Fate,
    /// One sentence for a sysadmin.
    pub why: String,
}

fn join(names: &[String]) -> String {
    if names.is_empty() {
        "nothing".into()
    } else {
        names.join(", ")
    }
}

/// Gives every installed package its fate.
pub fn classify(
    installed: &[InstalledPackage],
    evolution: &events::Outcome,
    transaction: &[Element],
    context: &Context,
) -> Vec<PackageFate> {
    let names = |ids: &[u64]| -> String {
        ids.iter()
            .map(|i| {
                context
                    .event_names
                    .get(i)
                    .cloned()
                    .unwrap_or_else(|| i.to_string())
            })
            .collect::<Vec<_>>()
            .join(", ")
    };
    // Who replaces each installed NEVRA, and which NEVRAs are erased outright.
    let mut replaced_by: BTreeMap<&str, Vec<&Element>> = BTreeMap::new();
    let mut erased: BTreeSet<&str> = BTreeSet::new();
    for el in transaction {
        match el.action {
            Action::Erase | Action::Obsoleted => {
                erased.insert(el.nevra.as_str());
            }
            _ => {
                for old in &el.replaces {
                    replaced_by.entry(old.as_str()).or_default().push(el);
                }
            }
        }
    }
    let incoming_names: BTreeSet<&str> = transaction
        .iter()
        .filter(|e| !matches!(e.action, Action::Erase | Action::Obsoleted))
        .map(|e| e.name.as_str())
        .collect();
    let removed_by_event: BTreeMap<&str, &events::Removed> = evolution
        .to_remove
        .iter()
        .map(|r| (r.name.as_str(), r))
        .collect();
    // Replacement names per event id, to say what an event put in place of a removed package.
    let mut event_outputs: BTreeMap<u64, Vec<String>> = BTreeMap::new();
    for p in &evolution.to_install {
        for e in &p.events {
            event_outputs.entry(*e).or_default().push(p.name.clone());
        }
    }

    installed
        .iter()
        .map(|p| {
            let (fate, why) = fate_of(
                p,
                &Lookups {
                    replaced_by: &replaced_by,
                    erased: &erased,
                    incoming_names: &incoming_names,
                    removed_by_event: &removed_by_event,
                    event_outputs: &event_outputs,
                },
                context,
                &names,
            );
            PackageFate {
                name: p.name.clone(),
                nevra: p.nevra.clone(),
                origin: p.origin.clone(),
                fate,
                why,
            }
        })
        .collect()
}

/// The transaction and the event outcome, indexed for [`fate_of`].
struct Lookups<'a> {
    /// Installed NEVRA -> incoming elements replacing it.
    replaced_by: &'a BTreeMap<&'a str, Vec<&'a Element>>,
    /// Installed NEVRAs erased outright.
    erased: &'a BTreeSet<&'a str>,
    /// Names of incoming packages.
    incoming_names: &'a BTreeSet<&'a str>,
    /// Package name -> the event removal that took it out.
    removed_by_event: &'a BTreeMap<&'a str, &'a events::Removed>,
    /// Event id -> the packages it put in.
    event_outputs: &'a BTreeMap<u64, Vec<String>>,
}

fn fate_of(
    p: &InstalledPackage,
    look: &Lookups<'_>,
    context: &Context,
    names: &dyn Fn(&[u64]) -> String,
) -> (Fate, String) {
    let Lookups {
        replaced_by,
        erased,
        incoming_names,
        removed_by_event,
        event_outputs,
    } = look;
    let choices = &context.choices;
    if choices.drop.contains(&p.name) {
        return (
            Fate::Dropped,
            "removed because you chose --drop for it".to_string(),
        );
    }
    let by = replaced_by
        .get(p.nevra.as_str())
        .cloned()
        .unwrap_or_default();
    if let Some(same) = by.iter().find(|e| e.name == p.name) {
        return match &p.origin {
            Origin::Vendor(v) => (
                Fate::KeptVendor {
                    vendor: v.clone(),
                    to: Some(same.nevra.clone()),
                },
                format!(
                    "{v} package, upgraded to {} from the vendor's target repository {}",
                    same.nevra, same.repo
                ),
            ),
            _ => (
                Fate::Upgraded {
                    to: same.nevra.clone(),
                    repo: same.repo.clone(),
                },
                format!("upgraded to {} from {}", same.nevra, same.repo),
            ),
        };
    }
    if let Some(r) = removed_by_event.get(p.name.as_str()) {
        let mut outs: Vec<String> = r
            .events
            .iter()
            .filter_map(|e| event_outputs.get(e))
            .flatten()
            .cloned()
            .collect();
        outs.sort();
        outs.dedup();
        return if outs.is_empty() {
            (
                Fate::Removed {
                    events: r.events.clone(),
                },
                format!(
                    "removed: the target distribution no longer ships it (event {})",
                    names(&r.events)
                ),
            )
        } else {
            (
                Fate::Replaced {
                    by: outs.clone(),
                    events: r.events.clone(),
                },
                format!(
                    "replaced by {} (event {}; the new packages carry no Obsoletes, the event data says so)",
                    join(&outs),
                    names(&r.events)
                ),
            )
        };
    }
    if !by.is_empty() {
        let mut names: Vec<String> = by.iter().map(|e| e.name.clone()).collect();
        names.sort();
        names.dedup();
        return (
            Fate::Replaced {
                by: names.clone(),
                events: Vec::new(),
            },
            format!("replaced by {}, which obsoletes it", join(&names)),
        );
    }
    if erased.contains(p.nevra.as_str()) {
        return (
            Fate::Removed { events: Vec::new() },
            "removed by the solver: nothing in the target provides it and it conflicts with or \
             depends on what is replaced (see the depsolve findings)"
                .to_string(),
        );
    }
    // Untouched by the transaction: it stays as it is.
    if let Some(repo) = context.in_target.get(&p.nevra) {
        return match &p.origin {
            Origin::Vendor(v) => (
                Fate::KeptVendor {
                    vendor: v.clone(),
                    to: None,
                },
                format!("{v} package, kept: the target repository {repo} carries the same build"),
            ),
            _ => (
                Fate::Kept,
                format!("kept: the target repository {repo} carries the same build"),
            ),
        };
    }
    match &p.origin {
        Origin::Vendor(v) => (
            Fate::KeptVendor {
                vendor: v.clone(),
                to: None,
            },
            format!("{v} package, kept: the vendor's target repository has no newer build"),
        ),
        Origin::Foreign if choices.keep_foreign.contains(&p.name) => (
            Fate::KeptForeign,
            "kept as it is because you chose --keep-foreign for it; it was built for the old major"
                .to_string(),
        ),
        Origin::Foreign => (
            Fate::NoTarget,
            "no target repository provides it and no vendor mapping knows it: choose \
             --keep-foreign to keep it as it is or --drop to remove it"
                .to_string(),
        ),
        Origin::Distribution if incoming_names.contains(p.name.as_str()) => (
            Fate::Kept,
            "kept beside the new version (install-only package, e.g. a kernel)".to_string(),
        ),
        Origin::Distribution => (
            Fate::Stranded,
            "no successor in the target repositories and no package-evolution event: it \
             would stay from the old major; add an event or --drop it"
                .to_string(),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pkg(name: &str, nevra: &str, origin: Origin) -> InstalledPackage {
        InstalledPackage {
            name: name.into(),
            nevra: nevra.into(),
            origin,
        }
    }

    fn el(action: Action, name: &str, nevra: &str, replaces: &[&str]) -> Element {
        Element {
            action,
            name: name.into(),
            nevra: nevra.into(),
            repo: if matches!(action, Action::Erase | Action::Obsoleted) {
                "@System".into()
            } else {
                "baseos".into()
            },
            replaces: replaces.iter().map(|s| s.to_string()).collect(),
            location: None,
            checksum: None,
            download_size: 0,
            install_size: 0,
        }
    }

    fn outcome() -> events::Outcome {
        events::Outcome {
            to_install: vec![events::Planned {
                name: "dhcp-client".into(),
                repo: "rhel8-BaseOS".into(),
                module_stream: None,
                events: vec![525],
            }],
            to_remove: vec![
                events::Removed {
                    name: "dhclient".into(),
                    events: vec![525],
                },
                events::Removed {
                    name: "tcp_wrappers".into(),
                    events: vec![47],
                },
            ],
            ..Default::default()
        }
    }

    fn ctx(choices: Choices) -> Context {
        Context {
            choices,
            ..Default::default()
        }
    }

    fn fate_of_name<'a>(f: &'a [PackageFate], n: &str) -> &'a PackageFate {
        f.iter().find(|p| p.name == n).expect("package classified")
    }

    #[test]
    fn every_kind_of_fate() {
        let installed = vec![
            pkg("bash", "bash-4.2-1.el7.x86_64", Origin::Distribution),
            pkg(
                "dhclient",
                "dhclient-4.2-1.el7.x86_64",
                Origin::Distribution,
            ),
            pkg(
                "tcp_wrappers",
                "tcp_wrappers-7.6-1.el7.x86_64",
                Origin::Distribution,
            ),
            pkg(
                "yum-plugin-versionlock",
                "yum-plugin-versionlock-1.1-1.el7.noarch",
                Origin::Distribution,
            ),
            pkg("kernel", "kernel-3.10-1.el7.x86_64", Origin::Distribution),
            pkg("oddball", "oddball-1-1.el7.x86_64", Origin::Distribution),
            pkg("htop", "htop-2-1.el7.x86_64", Origin::Vendor("EPEL".into())),
            pkg("acme-agent", "acme-agent-1-1.x86_64", Origin::Foreign),
            pkg("acme-tools", "acme-tools-1-1.x86_64", Origin::Foreign),
            pkg("junk", "junk-1-1.x86_64", Origin::Foreign),
        ];
        let tx = vec![
            el(
                Action::Upgrade,
                "bash",
                "bash-5.1-1.el8.x86_64",
                &["bash-4.2-1.el7.x86_64"],
            ),
            el(
                Action::Install,
                "dhcp-client",
                "dhcp-client-4.3-1.el8.x86_64",
                &[],
            ),
            el(Action::Erase, "dhclient", "dhclient-4.2-1.el7.x86_64", &[]),
            el(
                Action::Erase,
                "tcp_wrappers",
                "tcp_wrappers-7.6-1.el7.x86_64",
                &[],
            ),
            el(
                Action::Install,
                "python3-dnf-plugin-versionlock",
                "python3-dnf-plugin-versionlock-4-1.el8.noarch",
                &["yum-plugin-versionlock-1.1-1.el7.noarch"],
            ),
            el(Action::Install, "kernel", "kernel-4.18-1.el8.x86_64", &[]),
            el(
                Action::Upgrade,
                "htop",
                "htop-3-1.el8.x86_64",
                &["htop-2-1.el7.x86_64"],
            ),
            el(Action::Erase, "junk", "junk-1-1.x86_64", &[]),
        ];
        let choices = Choices {
            drop: ["junk".to_string()].into(),
            keep_foreign: ["acme-tools".to_string()].into(),
        };
        let f = classify(&installed, &outcome(), &tx, &ctx(choices));
        assert_eq!(f.len(), installed.len());
        assert_eq!(
            fate_of_name(&f, "bash").fate,
            Fate::Upgraded {
                to: "bash-5.1-1.el8.x86_64".into(),
                repo: "baseos".into()
            }
        );
        assert_eq!(
            fate_of_name(&f, "dhclient").fate,
            Fate::Replaced {
                by: vec!["dhcp-client".into()],
                events: vec![525]
            }
        );
        assert_eq!(
            fate_of_name(&f, "tcp_wrappers").fate,
            Fate::Removed { events: vec![47] }
        );
        assert_eq!(
            fate_of_name(&f, "yum-plugin-versionlock").fate,
            Fate::Replaced {
                by: vec!["python3-dnf-plugin-versionlock".into()],
                events: vec![]
            }
        );
        assert_eq!(fate_of_name(&f, "kernel").fate, Fate::Kept);
        assert_eq!(fate_of_name(&f, "oddball").fate, Fate::Stranded);
        assert_eq!(
            fate_of_name(&f, "htop").fate,
            Fate::KeptVendor {
                vendor: "EPEL".into(),
                to: Some("htop-3-1.el8.x86_64".into())
            }
        );
        assert_eq!(fate_of_name(&f, "acme-agent").fate, Fate::NoTarget);
        assert!(fate_of_name(&f, "acme-agent").fate.is_inhibitor());
        assert_eq!(fate_of_name(&f, "acme-tools").fate, Fate::KeptForeign);
        assert_eq!(fate_of_name(&f, "junk").fate, Fate::Dropped);
        assert!(f.iter().all(|p| !p.why.is_empty()));
    }

    #[test]
    fn no_inhibitor_when_every_foreign_package_has_a_decision() {
        let installed = vec![pkg("acme-agent", "acme-agent-1-1.x86_64", Origin::Foreign)];
        let none = classify(&installed, &Default::default(), &[], &Context::default());
        assert!(none[0].fate.is_inhibitor());
        let keep = Choices {
            keep_foreign: ["acme-agent".to_string()].into(),
            ..Default::default()
        };
        let kept = classify(&installed, &Default::default(), &[], &ctx(keep));
        assert!(!kept[0].fate.is_inhibitor());
    }

    #[test]
    fn identical_target_builds_are_kept_not_blocking() {
        let installed = vec![
            pkg("acme-agent", "acme-agent-1-1.x86_64", Origin::Foreign),
            pkg("tzdata", "tzdata-2024a-1.noarch", Origin::Distribution),
        ];
        let context = Context {
            in_target: [
                ("acme-agent-1-1.x86_64".to_string(), "acme".to_string()),
                ("tzdata-2024a-1.noarch".to_string(), "baseos".to_string()),
            ]
            .into(),
            ..Default::default()
        };
        let f = classify(&installed, &Default::default(), &[], &context);
        assert!(f.iter().all(|p| p.fate == Fate::Kept), "{f:?}");
        assert!(f[0].why.contains("acme"), "{}", f[0].why);
        let none = classify(&installed, &Default::default(), &[], &Context::default());
        assert_eq!(none[0].fate, Fate::NoTarget);
        assert_eq!(none[1].fate, Fate::Stranded);
    }

    #[test]
    fn json_shape_is_flat() {
        let installed = vec![pkg("bash", "bash-4-1.x86_64", Origin::Distribution)];
        let tx = vec![el(
            Action::Upgrade,
            "bash",
            "bash-5-1.x86_64",
            &["bash-4-1.x86_64"],
        )];
        let f = classify(&installed, &Default::default(), &tx, &Context::default());
        let v = serde_json::to_value(&f[0]).expect("serializes");
        assert_eq!(v["fate"], "upgraded");
        assert_eq!(v["to"], "bash-5-1.x86_64");
        assert_eq!(v["origin"]["kind"], "distribution");
    }
}
