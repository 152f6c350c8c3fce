//! Worlds derived from leapp package-evolution (PES) data: every event relevant to a source ->
//! target upgrade becomes installable RPMs, so real evolution shapes (thousands of renames,
//! splits, merges, removals, module streams) can be planned and executed against.
//!
//! This reader is deliberately tolerant and minimal: it extracts only the names, repositories
//! (PESIDs), module streams, architectures and releases it needs to synthesise packages. The
//! faithful importer with validation lives in leapfrog's migration-data code.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use serde::Serialize;
use serde_json::Value;

use crate::catalog::{self, CatalogContext};
use crate::nevra::Nevra;
use crate::release::{self, Release};
use crate::spec::{FileSpec, ModuleStream, PackageSpec, Signing};
use crate::world::{self, WorldError};

/// Errors reading a PES file.
#[derive(Debug, thiserror::Error)]
pub enum PesError {
    /// Unreadable file.
    #[error("reading {path}: {source}")]
    Read {
        /// File.
        path: PathBuf,
        /// Cause.
        source: std::io::Error,
    },
    /// Not JSON, or not a PES document.
    #[error("{path} is not a PES events file: {message}")]
    Format {
        /// File.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
}

/// A package reference inside an event.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct PesPackage {
    /// Package name.
    pub name: String,
    /// PESID of the repository.
    pub repository: String,
    /// Module stream, if modular.
    pub module: Option<ModuleStream>,
}

/// The parts of one event the testkit uses.
#[derive(Debug, Clone, Serialize)]
pub struct PesEvent {
    /// Event id (string ids of real files are accepted).
    pub id: String,
    /// Action number (0 present .. 8 reinstalled).
    pub action: u32,
    /// `(major, minor)` the event happens at.
    pub release: (u32, u32),
    /// Architectures (empty = all).
    pub architectures: Vec<String>,
    /// In-packages.
    pub in_packages: Vec<PesPackage>,
    /// Out-packages (empty for removals).
    pub out_packages: Vec<PesPackage>,
}

fn module_of(pkg: &Value) -> Option<ModuleStream> {
    // both the old singular `module_stream` and the newer `modulestreams` keys exist in real files
    let v = pkg
        .get("modulestreams")
        .or_else(|| pkg.get("module_stream"))?;
    let first = match v {
        Value::Array(a) => a.first()?,
        other => other,
    };
    let name = first.get("name")?.as_str()?;
    let stream = first.get("stream")?;
    let stream = stream
        .as_str()
        .map(str::to_string)
        .unwrap_or_else(|| stream.to_string());
    Some(ModuleStream {
        name: name.to_string(),
        stream,
    })
}

fn packages(set: Option<&Value>) -> Vec<PesPackage> {
    let Some(list) = set.and_then(|s| s.get("package")).and_then(Value::as_array) else {
        return Vec::new();
    };
    list.iter()
        .filter_map(|p| {
            Some(PesPackage {
                name: p.get("name")?.as_str()?.to_string(),
                repository: p
                    .get("repository")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_string(),
                module: module_of(p),
            })
        })
        .collect()
}

fn number(v: Option<&Value>) -> Option<u32> {
    match v? {
        Value::Number(n) => n.as_u64().and_then(|n| u32::try_from(n).ok()),
        Value::String(s) => s.parse().ok(),
        _ => None,
    }
}

/// Reads the events of a PES file (skipping entries too malformed to use).
pub fn read_events(path: &Path) -> Result<Vec<PesEvent>, PesError> {
    let text = std::fs::read_to_string(path).map_err(|source| PesError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    let doc: Value = serde_json::from_str(&text).map_err(|e| PesError::Format {
        path: path.to_path_buf(),
        message: e.to_string(),
    })?;
    let list = doc
        .get("packageinfo")
        .and_then(Value::as_array)
        .ok_or_else(|| PesError::Format {
            path: path.to_path_buf(),
            message: "no `packageinfo` array".into(),
        })?;
    Ok(list
        .iter()
        .filter_map(|e| {
            let rel = e.get("release")?;
            Some(PesEvent {
                id: match e.get("id")? {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                },
                action: number(e.get("action"))?,
                release: (
                    number(rel.get("major_version"))?,
                    number(rel.get("minor_version")).unwrap_or(0),
                ),
                architectures: e
                    .get("architectures")
                    .and_then(Value::as_array)
                    .map(|a| {
                        a.iter()
                            .filter_map(|x| x.as_str().map(str::to_string))
                            .collect()
                    })
                    .unwrap_or_default(),
                in_packages: packages(e.get("in_packageset")),
                out_packages: packages(e.get("out_packageset")),
            })
        })
        .collect())
}

/// Options of [`build_pes_world`].
#[derive(Debug, Clone)]
pub struct PesWorldOptions {
    /// PES events file.
    pub pes: PathBuf,
    /// Source release id.
    pub source: String,
    /// Target release id.
    pub target: String,
    /// Output world directory.
    pub out: PathBuf,
    /// Optional `rpm -qa` list: versions for source packages, and extra names to synthesise.
    pub installed: Vec<Nevra>,
    /// Static busybox for `/bin/sh`.
    pub busybox: PathBuf,
}

/// Summary written to `DIR/pes-world.json`.
#[derive(Debug, Clone, Serialize)]
pub struct PesWorldReport {
    /// Events read.
    pub events_total: usize,
    /// Events relevant to this upgrade (release window and architecture).
    pub events_used: usize,
    /// Packages synthesised for the source release (beyond its small set).
    pub source_packages: usize,
    /// Packages synthesised for the target release (beyond its small set).
    pub target_packages: usize,
    /// Names from the installed list with no event, synthesised as plain packages on both sides.
    pub extra_names: usize,
    /// Total seconds.
    pub seconds: f64,
}

/// Maps a PESID to a repository id of `rel`.
pub fn repo_for_pesid(rel: &Release, pesid: &str) -> String {
    let p = pesid.to_ascii_lowercase();
    let find = |needles: &[&str]| {
        rel.repos
            .iter()
            .find(|r| needles.iter().any(|n| r.id.contains(n)))
            .map(|r| r.id.to_string())
    };
    if p == "base" || p.contains("baseos") {
        return rel.base_repo().to_string();
    }
    if p.contains("appstream") {
        return rel.appstream_repo().to_string();
    }
    if (p.contains("powertools") || p.contains("crb") || p.contains("codeready"))
        && let Some(r) = find(&["powertools", "crb", "codeready"])
    {
        return r;
    }
    if p.contains("extras") {
        return rel.extras_repo().to_string();
    }
    let safe: String = p
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    format!("pes-{safe}")
}

fn version_le(a: (u32, u32), b: (u32, u32)) -> bool {
    a <= b
}

/// Events that apply to going from `source` to `target` on x86_64: `source < release <= target`.
pub fn relevant_events<'a>(
    events: &'a [PesEvent],
    source: &Release,
    target: &Release,
) -> Vec<&'a PesEvent> {
    let src = (source.major, source.minor);
    let tgt = (target.major, target.minor);
    events
        .iter()
        .filter(|e| !version_le(e.release, src) && version_le(e.release, tgt))
        .filter(|e| e.architectures.is_empty() || e.architectures.iter().any(|a| a == "x86_64"))
        .collect()
}

fn synth(
    rel: &Release,
    p: &PesPackage,
    version: &str,
    release: &str,
    epoch: Option<u32>,
) -> PackageSpec {
    let modular = p.module.is_some() && rel.major == 8 || p.module.is_some() && rel.major == 9;
    let release = match (&p.module, modular) {
        (Some(m), true) => format!(
            "{release}.module_{}+{}",
            rel.el(),
            m.stream.replace(['-', '.'], "_")
        ),
        _ => release.to_string(),
    };
    let mut s = PackageSpec::new(&p.name, epoch, version, &release, "x86_64");
    s.vendor = rel.vendor.to_string();
    s.signing = Signing::Key(rel.key.file.clone());
    s.repo = repo_for_pesid(rel, &p.repository);
    s.summary = format!("{} synthesised from PES data (leapfrog testkit)", p.name);
    s.module = if modular { p.module.clone() } else { None };
    s.files.push(FileSpec::text(
        format!("/usr/share/doc/{}/README.pes", p.name),
        format!("{} ({})\n", p.name, rel.id),
    ));
    s
}

/// Builds the PES-derived world.
pub fn build_pes_world(opts: &PesWorldOptions) -> Result<PesWorldReport, crate::root::RootError> {
    let t0 = std::time::Instant::now();
    let source = release::by_id(&opts.source)
        .ok_or_else(|| WorldError::UnknownRelease(opts.source.clone()))?;
    let target = release::by_id(&opts.target)
        .ok_or_else(|| WorldError::UnknownRelease(opts.target.clone()))?;
    let events = read_events(&opts.pes).map_err(|e| WorldError::Manifest {
        path: opts.pes.clone(),
        message: e.to_string(),
    })?;
    let used = relevant_events(&events, &source, &target);

    let busybox = std::sync::Arc::new(std::fs::read(&opts.busybox).map_err(|source| {
        WorldError::Busybox {
            path: opts.busybox.clone(),
            source,
        }
    })?);
    let releases = vec![source.clone(), target.clone()];
    let keys = world::generate_keys(&releases)?;
    let cx: CatalogContext = world::catalog_context(&keys, busybox);
    let mut src_specs = catalog::small_set(&source, &cx);
    let mut tgt_specs = catalog::small_set(&target, &cx);
    let base_src: BTreeSet<String> = src_specs.iter().map(|p| p.name.clone()).collect();
    let base_tgt: BTreeSet<String> = tgt_specs.iter().map(|p| p.name.clone()).collect();
    let listed: BTreeMap<&str, &Nevra> = opts
        .installed
        .iter()
        .map(|n| (n.name.as_str(), n))
        .collect();

    let mut seen_src: BTreeSet<(String, Option<ModuleStream>)> = BTreeSet::new();
    let mut seen_tgt: BTreeSet<(String, Option<ModuleStream>)> = BTreeSet::new();
    let (mut n_src, mut n_tgt) = (0, 0);
    let mut evented: BTreeSet<String> = BTreeSet::new();
    for e in &used {
        for p in &e.in_packages {
            evented.insert(p.name.clone());
            if base_src.contains(&p.name) || !seen_src.insert((p.name.clone(), p.module.clone())) {
                continue;
            }
            let (ver, rel, epoch) = match listed.get(p.name.as_str()) {
                Some(n) => (n.version.clone(), n.release.clone(), n.epoch),
                None => ("1.0".to_string(), format!("1.{}", source.el()), None),
            };
            src_specs.push(synth(&source, p, &ver, &rel, epoch));
            n_src += 1;
        }
        for p in &e.out_packages {
            evented.insert(p.name.clone());
            if base_tgt.contains(&p.name) || !seen_tgt.insert((p.name.clone(), p.module.clone())) {
                continue;
            }
            tgt_specs.push(synth(
                &target,
                p,
                "2.0",
                &format!("1.{}", target.el()),
                None,
            ));
            n_tgt += 1;
        }
    }
    let mut extra = 0;
    for n in &opts.installed {
        if n.name == "gpg-pubkey" || evented.contains(&n.name) || base_src.contains(&n.name) {
            continue;
        }
        let p = PesPackage {
            name: n.name.clone(),
            repository: "base".into(),
            module: None,
        };
        if seen_src.insert((n.name.clone(), None)) {
            let mut s = synth(&source, &p, &n.version, &n.release, n.epoch);
            s.arch = n.arch.clone();
            src_specs.push(s);
            extra += 1;
        }
        if !base_tgt.contains(&n.name) && seen_tgt.insert((n.name.clone(), None)) {
            let mut t = synth(
                &target,
                &p,
                &format!("{}.1", n.version),
                &format!("1.{}", target.el()),
                n.epoch,
            );
            t.arch = n.arch.clone();
            tgt_specs.push(t);
        }
    }
    world::build_world_from(
        &opts.out,
        world::Scale::Small,
        vec![(source, src_specs), (target, tgt_specs)],
        &keys,
    )?;
    let report = PesWorldReport {
        events_total: events.len(),
        events_used: used.len(),
        source_packages: n_src,
        target_packages: n_tgt,
        extra_names: extra,
        seconds: t0.elapsed().as_secs_f64(),
    };
    let path = opts.out.join("pes-world.json");
    std::fs::write(
        &path,
        serde_json::to_string_pretty(&report).expect("report serialises"),
    )
    .map_err(world::io_err("writing", &path))
    .map_err(crate::root::RootError::World)?;
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_both_module_keys_and_string_ids() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("pes.json");
        std::fs::write(
            &f,
            r#"{"packageinfo":[
              {"id":"9003","action":7,"architectures":[],"release":{"major_version":8,"minor_version":0},
               "in_packageset":{"package":[{"name":"a","repository":"base","module_stream":[null]}]},
               "out_packageset":{"package":[{"name":"b","repository":"almalinux8-appstream","modulestreams":[{"name":"m","stream":"1"}]}]}},
              {"id":2,"action":1,"architectures":["aarch64"],"release":{"major_version":8,"minor_version":0},
               "in_packageset":{"package":[{"name":"c","repository":"base"}]},"out_packageset":null},
              {"broken":true}
            ]}"#,
        )
        .unwrap();
        let ev = read_events(&f).unwrap();
        assert_eq!(ev.len(), 2);
        assert_eq!(ev[0].id, "9003");
        assert_eq!(ev[0].in_packages[0].module, None);
        assert_eq!(
            ev[0].out_packages[0].module,
            Some(ModuleStream {
                name: "m".into(),
                stream: "1".into()
            })
        );
        let c7 = release::by_id("centos-7.9").unwrap();
        let a8 = release::by_id("almalinux-8.10").unwrap();
        let used = relevant_events(&ev, &c7, &a8);
        assert_eq!(used.len(), 1, "aarch64-only event dropped");
        assert_eq!(repo_for_pesid(&a8, "almalinux8-appstream"), "appstream");
        assert_eq!(repo_for_pesid(&a8, "almalinux8-powertools"), "powertools");
        assert_eq!(repo_for_pesid(&c7, "base"), "base");
        assert_eq!(repo_for_pesid(&a8, "ol7_MySQL80"), "pes-ol7_mysql80");
    }

    #[test]
    fn rejects_non_pes_documents() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("x.json");
        std::fs::write(&f, "{\"hello\": 1}").unwrap();
        assert!(matches!(read_events(&f), Err(PesError::Format { .. })));
        std::fs::write(&f, "not json").unwrap();
        assert!(matches!(read_events(&f), Err(PesError::Format { .. })));
        assert!(matches!(
            read_events(&dir.path().join("missing")),
            Err(PesError::Read { .. })
        ));
    }
}
