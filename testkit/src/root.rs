//! Installed sandbox roots: a release's packages installed with the real rpm into a directory.
//!
//! The result is what a real host's `/` holds after installation: an rpm database at the path
//! the release uses (optionally BerkeleyDB for EL7/EL8), the release's keys imported as
//! `gpg-pubkey` packages, scriptlets really run by busybox `/bin/sh` inside the root, BLS
//! entries written by the kernels' scriptlets, repo files pointing at the world through the
//! `$testkit_world` dnf variable, and the files an installer writes (`machine-id`, `fstab`,
//! `grubenv`, an `ifcfg` file, SELinux config, enabled module streams).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::Serialize;

use crate::catalog::{self, CatalogContext};
use crate::cmd::{self, CmdError};
use crate::nevra::{self, Nevra};
use crate::release::{self, Release, RpmdbBackend};
use crate::spec::{Dep, FileSpec, PackageSpec, Signing};
use crate::world::{self, Scale, WorldError, WorldManifest, io_err};
use crate::{bdb, package_build};

/// Which packages go into the root.
#[derive(Debug, Clone)]
pub enum PackageSelection {
    /// The default small server (every behaviour of the small set).
    Default,
    /// The default set plus every scale package the world has for the release.
    All,
    /// Exactly the packages of an `rpm -qa` list.
    List(Vec<Nevra>),
}

/// Options of [`build_root`].
#[derive(Debug, Clone)]
pub struct RootOptions {
    /// The world directory (built by `world`).
    pub world: PathBuf,
    /// Release id.
    pub release: String,
    /// Output root directory (must not exist or be empty).
    pub out: PathBuf,
    /// Target release whose repositories are written to `etc/leapfrog/target.repos.d/testkit.repo`.
    pub target: Option<String>,
    /// Which packages.
    pub packages: PackageSelection,
    /// Convert the rpmdb to BerkeleyDB (EL7/EL8 only), as real hosts of those releases have.
    pub bdb: bool,
    /// Base URL for the world in repo files (`file://<world>` by default, or an `http://` URL of
    /// `leapfrog-testkit serve`).
    pub base_url: Option<String>,
}

impl RootOptions {
    /// Default package set of `release` from `world` into `out`.
    pub fn new(world: impl Into<PathBuf>, release: &str, out: impl Into<PathBuf>) -> Self {
        Self {
            world: world.into(),
            release: release.to_string(),
            out: out.into(),
            target: None,
            packages: PackageSelection::Default,
            bdb: false,
            base_url: None,
        }
    }
}

/// Errors while building a root.
#[derive(Debug, thiserror::Error)]
pub enum RootError {
    /// Problems with the world.
    #[error(transparent)]
    World(#[from] WorldError),
    /// The release is not in the world.
    #[error("release {release} is not in the world at {world} (it has: {have})")]
    ReleaseNotInWorld {
        /// Release id.
        release: String,
        /// World directory.
        world: PathBuf,
        /// What the world has.
        have: String,
    },
    /// Output exists and is not empty.
    #[error("{0} exists and is not empty; choose a new directory")]
    NotEmpty(PathBuf),
    /// BerkeleyDB was asked for a release that does not use it.
    #[error("--bdb is only for EL7/EL8 releases; {0} uses sqlite")]
    BdbNotNative(String),
    /// The package list is malformed.
    #[error("package list: {0}")]
    List(#[from] nevra::NevraError),
    /// rpm or another tool failed.
    #[error(transparent)]
    Cmd(#[from] CmdError),
    /// Converting the rpmdb failed.
    #[error(transparent)]
    Bdb(#[from] bdb::BdbError),
    /// Building a synthesised package failed.
    #[error(transparent)]
    Build(#[from] package_build::BuildError),
}

/// What was installed.
#[derive(Debug, Clone, Serialize)]
pub struct RootReport {
    /// Root directory.
    pub root: PathBuf,
    /// Release id.
    pub release: String,
    /// rpmdb directory inside the root.
    pub dbpath: String,
    /// `sqlite` or `bdb`.
    pub rpmdb_backend: &'static str,
    /// Installed NEVRAs (without gpg-pubkey), sorted.
    pub installed: Vec<String>,
    /// Where target repositories were written, if a target was given.
    pub target_repo_file: Option<PathBuf>,
    /// Seconds taken.
    pub seconds: f64,
}

fn release_in_world(world_dir: &Path, id: &str) -> Result<(Release, WorldManifest), RootError> {
    let manifest = WorldManifest::load(world_dir)?;
    let rel = release::by_id(id).ok_or_else(|| WorldError::UnknownRelease(id.to_string()))?;
    if manifest.release(id).is_none() {
        return Err(RootError::ReleaseNotInWorld {
            release: id.to_string(),
            world: world_dir.to_path_buf(),
            have: manifest
                .releases
                .iter()
                .map(|r| r.id.as_str())
                .collect::<Vec<_>>()
                .join(", "),
        });
    }
    Ok((rel, manifest))
}

/// A private HOME for rpm so no `~/.rpmmacros` of the machine leaks into the root.
fn rpm_home(root: &Path) -> Result<tempfile::TempDir, RootError> {
    let parent = root
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    tempfile::Builder::new()
        .prefix(".testkit-home-")
        .tempdir_in(parent)
        .map_err(|e| {
            RootError::World(WorldError::Io {
                action: "creating temp dir in",
                path: parent.to_path_buf(),
                source: e,
            })
        })
}

/// The specs of a release, without payload bytes that need busybox (selection only).
fn specs_for_selection(rel: &Release, scale: Scale) -> Vec<PackageSpec> {
    let cx = CatalogContext {
        busybox: Arc::new(Vec::new()),
        world_var: world::WORLD_VAR,
        public_keys: BTreeMap::new(),
    };
    world::release_packages(rel, &cx, scale)
}

/// Builds the root described by `opts`.
pub fn build_root(opts: &RootOptions) -> Result<RootReport, RootError> {
    let t0 = std::time::Instant::now();
    let world_dir = std::path::absolute(&opts.world)
        .map_err(io_err("resolving", &opts.world))
        .map_err(RootError::World)?;
    let (rel, manifest) = release_in_world(&world_dir, &opts.release)?;
    if opts.bdb && rel.native_rpmdb != RpmdbBackend::BerkeleyDb {
        return Err(RootError::BdbNotNative(rel.id.to_string()));
    }
    let target = match &opts.target {
        Some(t) => Some(release_in_world(&world_dir, t)?.0),
        None => None,
    };
    let root = std::path::absolute(&opts.out)
        .map_err(io_err("resolving", &opts.out))
        .map_err(RootError::World)?;
    if root.exists()
        && std::fs::read_dir(&root)
            .map_err(io_err("reading", &root))?
            .next()
            .is_some()
    {
        return Err(RootError::NotEmpty(root));
    }
    std::fs::create_dir_all(&root).map_err(io_err("creating", &root))?;
    let home = rpm_home(&root)?;
    let rel_dir = world_dir.join(rel.id);

    // what to install
    let specs = specs_for_selection(&rel, manifest.scale);
    let mut files: Vec<PathBuf> = Vec::new();
    let mut synth_dir = None;
    let mut nodeps = false;
    match &opts.packages {
        PackageSelection::Default | PackageSelection::All => {
            let mut chosen = catalog::default_root_packages(&specs);
            if matches!(opts.packages, PackageSelection::All) {
                chosen.extend(
                    specs
                        .iter()
                        .filter(|p| p.summary.starts_with("Scale package")),
                );
            }
            files.extend(
                chosen
                    .iter()
                    .map(|p| rel_dir.join(&p.repo).join("Packages").join(p.file_name())),
            );
        }
        PackageSelection::List(list) => {
            let dir = tempfile::Builder::new()
                .prefix(".testkit-synth-")
                .tempdir_in(home.path())
                .map_err(io_err("creating", home.path()))?;
            files.extend(synthesise_list(&rel, &specs, list, &rel_dir, dir.path())?);
            synth_dir = Some(dir);
            nodeps = true;
        }
    }

    prepare_root(&root, &rel)?;
    let dbpath = rel.dbpath;
    let rpm = |program: &str| cmd::rpm_command(program, home.path(), dbpath, "sqlite");
    // keys first, as an installed host has them (gpg-pubkey packages)
    let mut keyfiles = vec![rel_dir.join(&rel.key.file)];
    for v in release::vendors() {
        keyfiles.push(rel_dir.join((v.key_file)(rel.major)));
    }
    let mut import = rpm("rpmkeys");
    import
        .arg("--root")
        .arg(&root)
        .arg("--import")
        .args(&keyfiles);
    cmd::run(&mut import)?;
    let mut install = rpm("rpm");
    install.arg("--root").arg(&root).arg("-i").arg("--quiet");
    if nodeps {
        install.arg("--nodeps");
    }
    install.args(&files);
    cmd::run(&mut install)?;
    drop(synth_dir);

    if rel.major >= 10 {
        // EL10 keeps the rpmdb under /usr and leaves a compatibility link at the old place.
        let link = root.join("var/lib/rpm");
        if !link.exists() {
            std::os::unix::fs::symlink("../../usr/lib/sysimage/rpm", &link)
                .map_err(io_err("linking", &link))?;
        }
    }
    let base_url = opts
        .base_url
        .clone()
        .unwrap_or_else(|| format!("file://{}", world_dir.display()));
    finish_root(&root, &rel, &world_dir, &base_url)?;
    let target_repo_file = match &target {
        Some(t) => Some(write_target_repos(&root, t, &world_dir, &base_url)?),
        None => None,
    };

    // what rpm now says is installed
    let mut q = rpm("rpm");
    q.arg("--root")
        .arg(&root)
        .args(["-qa", "--qf", "%{NAME}-%{VERSION}-%{RELEASE}.%{ARCH}\\n"]);
    let out = cmd::run(&mut q)?;
    let mut installed: Vec<String> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| !l.starts_with("gpg-pubkey-"))
        .map(str::to_string)
        .collect();
    installed.sort();

    let backend = if opts.bdb {
        bdb::convert_to_bdb(&root.join(dbpath.trim_start_matches('/')))?;
        "bdb"
    } else {
        "sqlite"
    };
    Ok(RootReport {
        root,
        release: rel.id.to_string(),
        dbpath: dbpath.to_string(),
        rpmdb_backend: backend,
        installed,
        target_repo_file,
        seconds: t0.elapsed().as_secs_f64(),
    })
}

/// Files an installer creates before packages go in.
fn prepare_root(root: &Path, rel: &Release) -> Result<(), RootError> {
    let w = |rel_path: &str, text: &str| -> Result<(), RootError> {
        let p = root.join(rel_path);
        if let Some(d) = p.parent() {
            std::fs::create_dir_all(d).map_err(io_err("creating", d))?;
        }
        std::fs::write(&p, text)
            .map_err(io_err("writing", &p))
            .map_err(RootError::World)
    };
    let machine_id = hex::encode(
        &sha2::Digest::finalize(<sha2::Sha256 as sha2::Digest>::new_with_prefix(
            rel.id.as_bytes(),
        ))[..16],
    );
    w("etc/machine-id", &format!("{machine_id}\n"))?;
    w("var/log/testkit-scriptlets.log", "")?;
    if rel.major == 7 {
        // what an installed EL7 has before its kernels' entries are appended (they come from
        // the kernel packages' scriptlets): the preamble that loads grubenv, boots
        // `next_entry` once, else `saved_entry`, and defines `$menuentry_id_option`
        w("boot/grub2/grub.cfg", crate::grub::EL7_GRUB_CFG_HEAD)?;
    }
    let dev = root.join("dev");
    std::fs::create_dir_all(&dev).map_err(io_err("creating", &dev))?;
    // /dev/null for scriptlets' redirections; needs root (CAP_MKNOD), harmless to skip otherwise.
    let _ = std::process::Command::new("mknod")
        .args(["-m", "666"])
        .arg(dev.join("null"))
        .args(["c", "1", "3"])
        .status();
    Ok(())
}

/// Files an installer writes after packages are in.
fn finish_root(
    root: &Path,
    rel: &Release,
    world_dir: &Path,
    base_url: &str,
) -> Result<(), RootError> {
    let w = |rel_path: &str, text: &str| -> Result<(), RootError> {
        let p = root.join(rel_path);
        if let Some(d) = p.parent() {
            std::fs::create_dir_all(d).map_err(io_err("creating", d))?;
        }
        std::fs::write(&p, text)
            .map_err(io_err("writing", &p))
            .map_err(RootError::World)
    };
    let var_dir = if rel.major >= 8 {
        "etc/dnf/vars"
    } else {
        "etc/yum/vars"
    };
    w(
        &format!("{var_dir}/{}", world::WORLD_VAR_FILE),
        &format!("{base_url}\n"),
    )?;
    w(
        "etc/yum.repos.d/mariadb.repo",
        &format!(
            "# MariaDB 10.11 repository (as written by mariadb_repo_setup)\n[mariadb]\nname = MariaDB Server\nbaseurl = {}/{}/mariadb/\ngpgkey = file:///etc/pki/rpm-gpg/RPM-GPG-KEY-MariaDB\ngpgcheck = 1\nenabled = 1\nmodule_hotfixes = 1\n",
            world::WORLD_VAR,
            rel.id
        ),
    )?;
    // the MariaDB key is not shipped by a package: the setup script drops it
    let world_key = world_dir.join(rel.id).join("RPM-GPG-KEY-MariaDB");
    let key_text = std::fs::read_to_string(&world_key).map_err(io_err("reading", &world_key))?;
    w("etc/pki/rpm-gpg/RPM-GPG-KEY-MariaDB", &key_text)?;
    w(
        "etc/yum.repos.d/acme.repo",
        &format!(
            "[acme]\nname=ACME Hosting agent\nbaseurl={}/{}/acme/\nenabled=1\ngpgcheck=0\n",
            world::WORLD_VAR,
            rel.id
        ),
    )?;
    w(
        "etc/fstab",
        "# /etc/fstab (leapfrog testkit)\nUUID=0b7f4b8e-0000-4000-8000-000000000001 /     xfs  defaults 0 0\nUUID=0b7f4b8e-0000-4000-8000-000000000002 /boot xfs  defaults 0 0\n",
    )?;
    w(
        "etc/hostname",
        &format!("{}.testkit.invalid\n", rel.id.replace('.', "-")),
    )?;
    w(
        "etc/selinux/config",
        "SELINUX=enforcing\nSELINUXTYPE=targeted\n",
    )?;
    w(
        "etc/sysconfig/kernel",
        &format!(
            "UPDATEDEFAULT=yes\nDEFAULTKERNEL={}\n",
            if rel.major >= 8 {
                "kernel-core"
            } else {
                "kernel"
            }
        ),
    )?;
    if rel.major >= 9 {
        // EL9 installers write NetworkManager keyfiles; EL7/EL8 write ifcfg files
        let p = "etc/NetworkManager/system-connections/eth0.nmconnection";
        w(
            p,
            "[connection]\nid=eth0\ntype=ethernet\ninterface-name=eth0\n\n[ipv4]\nmethod=auto\n\n[ipv6]\nmethod=auto\n",
        )?;
        let full = root.join(p);
        std::fs::set_permissions(&full, std::os::unix::fs::PermissionsExt::from_mode(0o600))
            .map_err(io_err("setting the mode of", &full))?;
    } else {
        w(
            "etc/sysconfig/network-scripts/ifcfg-eth0",
            "TYPE=Ethernet\nBOOTPROTO=dhcp\nNAME=eth0\nDEVICE=eth0\nONBOOT=yes\n",
        )?;
    }
    for (module, stream) in catalog::default_root_modules(rel.major) {
        w(
            &format!("etc/dnf/modules.d/{module}.module"),
            &format!("[{module}]\nname={module}\nstream={stream}\nprofiles=\nstate=enabled\n"),
        )?;
    }
    // default boot entry: the newest kernel, as the installer / grubby leaves it
    let newest = catalog::kernel_releases(rel.major)
        .pop()
        .unwrap_or_default();
    let machine_id = std::fs::read_to_string(root.join("etc/machine-id")).unwrap_or_default();
    let saved = if rel.major >= 8 {
        format!("{}-{newest}", machine_id.trim())
    } else {
        format!("{} ({newest}) {}", rel.os_name, rel.os_version)
    };
    let mut grubenv = format!("# GRUB Environment Block\nsaved_entry={saved}\nboot_success=0\n");
    if rel.major >= 8 {
        grubenv.push_str("kernelopts=root=/dev/mapper/almalinux-root ro crashkernel=auto resume=/dev/mapper/almalinux-swap rhgb quiet\n");
    }
    while grubenv.len() < 1024 {
        grubenv.push('#');
    }
    grubenv.truncate(1024);
    w("boot/grub2/grubenv", &grubenv)?;
    Ok(())
}

/// Writes `etc/leapfrog/target.repos.d/testkit.repo` with the target release's repositories.
fn write_target_repos(
    root: &Path,
    target: &Release,
    world_dir: &Path,
    base_url: &str,
) -> Result<PathBuf, RootError> {
    let tdir = world_dir.join(target.id);
    let key_url = |file: &str| format!("file://{}", tdir.join(file).display());
    let mut text = format!(
        "# Target repositories of {} in the testkit world at {}\n",
        target.id,
        world_dir.display()
    );
    for r in &target.repos {
        text.push_str(&format!(
            "\n[testkit-{id}-{repo}]\nname={name} (testkit target)\nbaseurl={base_url}/{id}/{repo}/\nenabled={en}\ngpgcheck=1\ngpgkey={key}\n",
            id = target.id,
            repo = r.id,
            name = r.name,
            en = u8::from(r.enabled),
            key = key_url(&target.key.file)
        ));
    }
    for v in release::vendors() {
        text.push_str(&format!(
            "\n[testkit-{id}-{repo}]\nname={name} (testkit target vendor)\nbaseurl={base_url}/{id}/{repo}/\nenabled=1\ngpgcheck=1\ngpgkey={key}\n",
            id = target.id,
            repo = v.repo_id,
            name = v.repo_name,
            key = key_url(&(v.key_file)(target.major))
        ));
    }
    text.push_str(&format!(
        "\n[testkit-{id}-acme]\nname=ACME Hosting agent (testkit target)\nbaseurl={base_url}/{id}/acme/\nenabled=1\ngpgcheck=0\n",
        id = target.id
    ));
    let path = root.join("etc/leapfrog/target.repos.d/testkit.repo");
    std::fs::create_dir_all(path.parent().expect("has parent"))
        .map_err(io_err("creating", &path))?;
    std::fs::write(&path, text).map_err(io_err("writing", &path))?;
    Ok(path)
}

/// Finds or synthesises an RPM for every NEVRA of `list`; returns their paths.
fn synthesise_list(
    rel: &Release,
    specs: &[PackageSpec],
    list: &[Nevra],
    rel_dir: &Path,
    out: &Path,
) -> Result<Vec<PathBuf>, RootError> {
    let busybox =
        Arc::new(
            std::fs::read("/bin/busybox").map_err(|source| WorldError::Busybox {
                path: "/bin/busybox".into(),
                source,
            })?,
        );
    let mut paths = Vec::new();
    let mut to_build = Vec::new();
    for n in list.iter().filter(|n| n.name != "gpg-pubkey") {
        // the world already has this exact package (small set, scale or PES-derived)?
        let file = format!("{}-{}-{}.{}.rpm", n.name, n.version, n.release, n.arch);
        let existing = std::fs::read_dir(rel_dir)
            .into_iter()
            .flatten()
            .flatten()
            .map(|repo| repo.path().join("Packages").join(&file))
            .find(|p| p.is_file());
        if let Some(p) = existing {
            paths.push(p);
            continue;
        }
        to_build.push(crate::world::release_spec(
            rel,
            &synthesised_spec(rel, specs, n, &busybox),
        ));
    }
    // sign with the release key (keys are deterministic), like the distribution packages they stand for
    let key = crate::keys::generate(
        &rel.key.file,
        &rel.key.user_id,
        crate::keys::KeyAlgorithm::Rsa(2048),
    )
    .map_err(WorldError::from)?;
    let signer = rpm::signature::pgp::Signer::from_asc(&key.secret_armored).ok();
    let signer_for = |_: &str| signer.clone();
    for spec in &to_build {
        paths.push(package_build::build_to_dir(spec, out, &signer_for)?);
    }
    Ok(paths)
}

/// A package with exactly the NEVRA `n`: the world's recipe for that name where the recipe does
/// not depend on the version (shell, filesystem, coreutils), otherwise a plain package with a
/// documentation file (kernels get their image paths so boot facts see them).
fn synthesised_spec(
    rel: &Release,
    specs: &[PackageSpec],
    n: &Nevra,
    busybox: &Arc<Vec<u8>>,
) -> PackageSpec {
    let template = specs.iter().find(|p| {
        p.name == n.name && ["bash", "filesystem", "coreutils", "setup"].contains(&p.name.as_str())
    });
    let mut p = match template {
        Some(t) => {
            let mut t = t.clone();
            t.requires
                .retain(|d| d.name.starts_with('/') || d.name == "filesystem");
            for f in &mut t.files {
                if let crate::spec::FileKind::Regular {
                    content: crate::spec::Content::Shared(b),
                    ..
                } = &mut f.kind
                {
                    *b = busybox.clone();
                }
            }
            t
        }
        None => {
            let mut p = PackageSpec::new(&n.name, None, &n.version, &n.release, &n.arch);
            p.files.push(FileSpec::text(
                format!("/usr/share/doc/{}/README.testkit", n.name),
                format!("{} (synthesised from a package list)\n", n.name),
            ));
            if n.name == "kernel" || n.name == "kernel-core" {
                let kver = format!("{}-{}.{}", n.version, n.release, n.arch);
                p.files.push(FileSpec::generated(
                    format!("/lib/modules/{kver}/vmlinuz"),
                    0x4b,
                    4096,
                ));
                p.files.push(FileSpec::generated(
                    format!("/boot/vmlinuz-{kver}"),
                    0x4b,
                    4096,
                ));
                p.provides.push(Dep::any("installonlypkg(kernel)"));
            }
            p
        }
    };
    p.epoch = n.epoch;
    p.version = n.version.clone();
    p.release = n.release.clone();
    p.arch = n.arch.clone();
    p.vendor = rel.vendor.to_string();
    p.signing = Signing::Key(rel.key.file.clone());
    p.scripts = Default::default();
    p.obsoletes.clear();
    p.conflicts.clear();
    p
}
