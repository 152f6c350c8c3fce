//! Building a world: every synthetic release as signed dnf repositories on disk.
//!
//! Layout of `DIR` (the `--out` of `leapfrog-testkit world`):
//!
//! ```text
//! DIR/world.json                      manifest: releases, repos, keys, package counts
//! DIR/<release>/RPM-GPG-KEY-*         public keys: the release's and its vendors'
//! DIR/<release>/<repo-id>/Packages/   signed RPMs
//! DIR/<release>/<repo-id>/repodata/   createrepo_c metadata (+ modules for modular repos)
//! ```
//!
//! Repositories per release: the distribution's own (`baseos`, `appstream`, ...), the vendors
//! `epel` and `mariadb` (signed with their own keys), `acme` (unsigned third party) and
//! `faults` (opt-in failing scriptlets).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::catalog::{self, CatalogContext};
use crate::keys::{self, KeyAlgorithm, KeyPair};
use crate::release::{self, Release};
use crate::repo::{self, ModuleDoc};
use crate::spec::{PackageSpec, Signing};
use crate::{package_build, scale};

/// The dnf variable the repo files of synthetic releases use for the world's base URL.
pub const WORLD_VAR: &str = "$testkit_world";
/// The name of the dnf variable file (under `/etc/dnf/vars` and `/etc/yum/vars`).
pub const WORLD_VAR_FILE: &str = "testkit_world";

/// Size of the world.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
pub enum Scale {
    /// The scenario set only (a few dozen packages per release).
    Small,
    /// Plus 1500 generated packages per release.
    #[value(name = "1500")]
    S1500,
    /// Plus 6000 generated packages per release.
    #[value(name = "6000")]
    S6000,
}

impl Scale {
    /// Number of generated scale lines.
    pub fn lines(self) -> usize {
        match self {
            Scale::Small => 0,
            Scale::S1500 => 1500,
            Scale::S6000 => 6000,
        }
    }
}

/// Errors while building a world.
#[derive(Debug, thiserror::Error)]
pub enum WorldError {
    /// An unknown release id was asked for.
    #[error("unknown release {0:?}; known releases: {known}", known = release::ids().join(", "))]
    UnknownRelease(String),
    /// busybox is needed as the synthetic `/bin/sh`.
    #[error("reading the static busybox at {path} (install busybox-static): {source}")]
    Busybox {
        /// Where it was looked for.
        path: PathBuf,
        /// Cause.
        source: std::io::Error,
    },
    /// Key generation failed.
    #[error(transparent)]
    Key(#[from] keys::KeyError),
    /// A package failed to build.
    #[error(transparent)]
    Build(#[from] package_build::BuildError),
    /// An external tool failed.
    #[error(transparent)]
    Cmd(#[from] crate::cmd::CmdError),
    /// Filesystem error.
    #[error("{action} {path}: {source}")]
    Io {
        /// What was being done.
        action: &'static str,
        /// Path involved.
        path: PathBuf,
        /// Cause.
        source: std::io::Error,
    },
    /// The world manifest is missing or unreadable.
    #[error(
        "reading world manifest {path}: {message} (build the world first: leapfrog-testkit world --out DIR)"
    )]
    Manifest {
        /// Manifest path.
        path: PathBuf,
        /// What went wrong.
        message: String,
    },
}

pub(crate) fn io_err(
    action: &'static str,
    path: &Path,
) -> impl FnOnce(std::io::Error) -> WorldError {
    let path = path.to_path_buf();
    move |source| WorldError::Io {
        action,
        path,
        source,
    }
}

/// Options of [`build_world`].
#[derive(Debug, Clone)]
pub struct WorldOptions {
    /// Output directory.
    pub out: PathBuf,
    /// Scale.
    pub scale: Scale,
    /// Only these releases (all when empty).
    pub releases: Vec<String>,
    /// The static busybox binary to use as `/bin/sh`.
    pub busybox: PathBuf,
}

impl WorldOptions {
    /// Every release at the given scale into `out`.
    pub fn new(out: impl Into<PathBuf>, scale: Scale) -> Self {
        Self {
            out: out.into(),
            scale,
            releases: Vec::new(),
            busybox: PathBuf::from("/bin/busybox"),
        }
    }
}

/// A key as recorded in the manifest.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct KeyInfo {
    /// File name.
    pub file: String,
    /// Long key id (16 hex digits, lowercase).
    pub key_id: String,
    /// Fingerprint.
    pub fingerprint: String,
}

/// A repository as recorded in the manifest.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RepoInfo {
    /// Repository id (directory name).
    pub id: String,
    /// Number of packages.
    pub packages: usize,
    /// Key file names its packages are signed with (empty for unsigned).
    pub signed_with: Vec<String>,
    /// Carries module metadata.
    pub modular: bool,
    /// The distribution's own repository (as opposed to vendor, third-party or faults).
    pub distribution: bool,
}

/// A release as recorded in the manifest.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ReleaseInfo {
    /// Release id.
    pub id: String,
    /// Major version.
    pub major: u32,
    /// The release's signing key.
    pub key: KeyInfo,
    /// Vendor keys published in the release directory.
    pub vendor_keys: Vec<KeyInfo>,
    /// Repositories.
    pub repos: Vec<RepoInfo>,
}

/// `world.json`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct WorldManifest {
    /// Format version of this manifest.
    pub format: u32,
    /// Scale it was built at.
    pub scale: Scale,
    /// Releases.
    pub releases: Vec<ReleaseInfo>,
}

impl WorldManifest {
    /// Reads `DIR/world.json`.
    pub fn load(world: &Path) -> Result<Self, WorldError> {
        let path = world.join("world.json");
        let text = std::fs::read_to_string(&path).map_err(|e| WorldError::Manifest {
            path: path.clone(),
            message: e.to_string(),
        })?;
        serde_json::from_str(&text).map_err(|e| WorldError::Manifest {
            path,
            message: e.to_string(),
        })
    }

    /// The entry of one release.
    pub fn release(&self, id: &str) -> Option<&ReleaseInfo> {
        self.releases.iter().find(|r| r.id == id)
    }
}

/// What a build produced and how long it took.
#[derive(Debug, Clone, Serialize)]
pub struct WorldReport {
    /// Manifest written to `world.json`.
    pub manifest: WorldManifest,
    /// Total packages written.
    pub packages: usize,
    /// Seconds spent generating keys.
    pub keys_seconds: f64,
    /// Seconds spent writing RPMs.
    pub rpms_seconds: f64,
    /// Seconds spent in createrepo_c / modifyrepo_c.
    pub repodata_seconds: f64,
    /// Total seconds.
    pub total_seconds: f64,
}

/// Selects releases by id (all when `ids` is empty).
pub fn select_releases(ids: &[String]) -> Result<Vec<Release>, WorldError> {
    if ids.is_empty() {
        return Ok(release::all());
    }
    ids.iter()
        .map(|id| release::by_id(id).ok_or_else(|| WorldError::UnknownRelease(id.clone())))
        .collect()
}

/// Generates every key the given releases need (their own and their vendors'), in parallel.
pub fn generate_keys(releases: &[Release]) -> Result<BTreeMap<String, KeyPair>, WorldError> {
    let mut wanted: BTreeMap<String, String> = BTreeMap::new();
    for r in releases {
        wanted.insert(r.key.file.clone(), r.key.user_id.clone());
        for v in release::vendors() {
            wanted.insert((v.key_file)(r.major), v.key_user_id.to_string());
        }
    }
    let pairs: Result<Vec<KeyPair>, keys::KeyError> = wanted
        .into_par_iter()
        .map(|(file, uid)| keys::generate(&file, &uid, KeyAlgorithm::Rsa(2048)))
        .collect();
    Ok(pairs?.into_iter().map(|k| (k.name.clone(), k)).collect())
}

/// All package specs of a release at a scale.
pub fn release_packages(rel: &Release, cx: &CatalogContext, scale: Scale) -> Vec<PackageSpec> {
    let mut specs = catalog::small_set(rel, cx);
    specs.extend(scale::scale_set(rel, scale.lines()));
    specs
}

/// `spec` as `rel` publishes it: with the release's payload compression (gzip on EL7, whose
/// rpm 4.11 cannot unpack zstd). Every package a world or a root builds goes through here.
pub fn release_spec(rel: &Release, spec: &PackageSpec) -> PackageSpec {
    let mut s = spec.clone();
    s.payload = rel.payload_compression;
    s
}

/// The catalogue context for a set of keys and a busybox binary.
pub fn catalog_context(keys: &BTreeMap<String, KeyPair>, busybox: Arc<Vec<u8>>) -> CatalogContext {
    CatalogContext {
        busybox,
        world_var: WORLD_VAR,
        public_keys: keys
            .iter()
            .map(|(k, v)| (k.clone(), v.public_armored.clone()))
            .collect(),
    }
}

/// Builds the world described by `opts` and writes `world.json`.
pub fn build_world(opts: &WorldOptions) -> Result<WorldReport, WorldError> {
    let t0 = Instant::now();
    let releases = select_releases(&opts.releases)?;
    let busybox = Arc::new(
        std::fs::read(&opts.busybox).map_err(|source| WorldError::Busybox {
            path: opts.busybox.clone(),
            source,
        })?,
    );
    let keys = generate_keys(&releases)?;
    let keys_seconds = t0.elapsed().as_secs_f64();
    let cx = catalog_context(&keys, busybox);
    let sets = releases
        .into_iter()
        .map(|rel| {
            let specs = release_packages(&rel, &cx, opts.scale);
            (rel, specs)
        })
        .collect();
    let mut report = build_world_from(&opts.out, opts.scale, sets, &keys)?;
    report.keys_seconds = keys_seconds;
    report.total_seconds = t0.elapsed().as_secs_f64();
    Ok(report)
}

/// Writes the given package sets as releases of a world under `out` (keys already generated).
pub fn build_world_from(
    out: &Path,
    scale: Scale,
    sets: Vec<(Release, Vec<PackageSpec>)>,
    keys: &BTreeMap<String, KeyPair>,
) -> Result<WorldReport, WorldError> {
    let t0 = Instant::now();
    let signers: BTreeMap<String, rpm::signature::pgp::Signer> = keys
        .iter()
        .map(|(name, k)| {
            rpm::signature::pgp::Signer::from_asc(&k.secret_armored)
                .map(|s| (name.clone(), s))
                .map_err(|e| keys::KeyError::Generate {
                    name: name.clone(),
                    message: e.to_string(),
                })
        })
        .collect::<Result<_, _>>()?;

    std::fs::create_dir_all(out).map_err(io_err("creating", out))?;
    let mut jobs: Vec<(PathBuf, PackageSpec)> = Vec::new();
    let mut infos = Vec::new();
    let mut modular_repos: Vec<(PathBuf, String)> = Vec::new();
    for (rel, specs) in &sets {
        let rel_dir = out.join(rel.id);
        if rel_dir.exists() {
            std::fs::remove_dir_all(&rel_dir).map_err(io_err("removing old", &rel_dir))?;
        }
        // keys published beside the repos
        let mut vendor_keys = Vec::new();
        std::fs::create_dir_all(&rel_dir).map_err(io_err("creating", &rel_dir))?;
        let key_info = |k: &KeyPair| KeyInfo {
            file: k.name.clone(),
            key_id: k.key_id.clone(),
            fingerprint: k.fingerprint.clone(),
        };
        let write_key = |k: &KeyPair| {
            let p = rel_dir.join(&k.name);
            std::fs::write(&p, &k.public_armored).map_err(io_err("writing", &p))
        };
        write_key(&keys[&rel.key.file])?;
        for v in release::vendors() {
            let k = &keys[&(v.key_file)(rel.major)];
            write_key(k)?;
            vendor_keys.push(key_info(k));
        }
        // repos
        let mut by_repo: BTreeMap<String, Vec<&PackageSpec>> = BTreeMap::new();
        for s in specs {
            by_repo.entry(s.repo.clone()).or_default().push(s);
        }
        for r in &rel.repos {
            by_repo.entry(r.id.to_string()).or_default();
        }
        let mut repos = Vec::new();
        for (repo_id, pkgs) in &by_repo {
            let pkg_dir = rel_dir.join(repo_id).join("Packages");
            std::fs::create_dir_all(&pkg_dir).map_err(io_err("creating", &pkg_dir))?;
            let signed_with: BTreeSet<String> = pkgs
                .iter()
                .filter_map(|p| match &p.signing {
                    Signing::Key(k) => Some(k.clone()),
                    Signing::Unsigned => None,
                })
                .collect();
            let module_docs =
                catalog::module_index(&pkgs.iter().map(|p| (*p).clone()).collect::<Vec<_>>());
            let modular = !module_docs.is_empty();
            if modular {
                let docs: Vec<ModuleDoc> = module_docs
                    .into_iter()
                    .map(|(stream, artifacts)| ModuleDoc {
                        stream,
                        artifacts,
                        platform: rel.el(),
                        version: u64::from(rel.major) * 100_000_000_000_000
                            + u64::from(rel.minor) * 1_000_000_000_000
                            + 20_240_101_000_000,
                    })
                    .collect();
                let defaults = catalog::module_defaults(rel.major);
                modular_repos.push((rel_dir.join(repo_id), repo::modules_yaml(&docs, &defaults)));
            }
            repos.push(RepoInfo {
                id: repo_id.clone(),
                packages: pkgs.len(),
                signed_with: signed_with.into_iter().collect(),
                modular,
                distribution: rel.repo(repo_id).is_some(),
            });
            for p in pkgs {
                jobs.push((pkg_dir.clone(), release_spec(rel, p)));
            }
        }
        infos.push(ReleaseInfo {
            id: rel.id.to_string(),
            major: rel.major,
            key: key_info(&keys[&rel.key.file]),
            vendor_keys,
            repos,
        });
    }

    let t_rpms = Instant::now();
    let signer_for = |name: &str| signers.get(name).cloned();
    jobs.par_iter().try_for_each(|(dir, spec)| {
        package_build::build_to_dir(spec, dir, &signer_for).map(|_| ())
    })?;
    let rpms_seconds = t_rpms.elapsed().as_secs_f64();

    let t_repo = Instant::now();
    let repo_dirs: Vec<PathBuf> = infos
        .iter()
        .flat_map(|r| {
            r.repos
                .iter()
                .map(|x| out.join(&r.id).join(&x.id))
                .collect::<Vec<_>>()
        })
        .collect();
    repo_dirs.par_iter().try_for_each(|d| repo::createrepo(d))?;
    for (dir, yaml) in &modular_repos {
        repo::add_modules(dir, yaml)?;
    }
    let repodata_seconds = t_repo.elapsed().as_secs_f64();

    // merge with releases of an earlier build in the same directory
    let mut manifest = WorldManifest {
        format: 1,
        scale,
        releases: infos,
    };
    if let Ok(old) = WorldManifest::load(out) {
        for r in old.releases {
            if manifest.release(&r.id).is_none() && out.join(&r.id).is_dir() {
                manifest.releases.push(r);
            }
        }
    }
    let order = release::ids();
    manifest.releases.sort_by_key(|r| {
        order
            .iter()
            .position(|id| *id == r.id)
            .unwrap_or(usize::MAX)
    });
    let path = out.join("world.json");
    let text = serde_json::to_string_pretty(&manifest).expect("manifest serialises");
    std::fs::write(&path, text).map_err(io_err("writing", &path))?;
    Ok(WorldReport {
        packages: jobs.len(),
        manifest,
        keys_seconds: 0.0,
        rpms_seconds,
        repodata_seconds,
        total_seconds: t0.elapsed().as_secs_f64(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::PayloadCompression;

    /// Builds `name` of release `id` as a world would (unsigned) and reads it back.
    fn built(id: &str, name: &str) -> rpm::Package {
        let rel = release::by_id(id).unwrap();
        let cx = CatalogContext {
            busybox: Arc::new(b"#!busybox".to_vec()),
            world_var: WORLD_VAR,
            public_keys: BTreeMap::new(),
        };
        let spec = release_packages(&rel, &cx, Scale::Small)
            .into_iter()
            .find(|p| p.name == name)
            .unwrap();
        let mut spec = release_spec(&rel, &spec);
        spec.signing = Signing::Unsigned;
        let dir = tempfile::tempdir().unwrap();
        let path = package_build::build_to_dir(&spec, dir.path(), &|_| None).unwrap();
        rpm::Package::open(path).unwrap()
    }

    #[test]
    fn el7_packages_have_gzip_payloads_and_later_ones_zstd() {
        let c7 = built("centos-7.9", "bash");
        assert_eq!(
            c7.metadata.get_payload_compressor().unwrap(),
            rpm::CompressionType::Gzip
        );
        assert_eq!(&c7.payload[..2], &[0x1f, 0x8b], "gzip magic");
        // the payload decompresses to the package's files
        let busybox = c7
            .files()
            .unwrap()
            .map(Result::unwrap)
            .find(|f| f.metadata.path().ends_with("usr/bin/busybox"))
            .expect("bash carries busybox");
        assert_eq!(busybox.content(), Some(&b"#!busybox"[..]));

        let a8 = built("almalinux-8.10", "bash");
        assert_eq!(
            a8.metadata.get_payload_compressor().unwrap(),
            rpm::CompressionType::Zstd
        );
        assert_eq!(&a8.payload[..4], &[0x28, 0xb5, 0x2f, 0xfd], "zstd magic");
        assert_eq!(
            release::by_id("centos-7.9").unwrap().payload_compression,
            PayloadCompression::Gzip
        );
    }
}
