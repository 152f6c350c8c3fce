//! The disk-space estimate of an upgrade transaction, per filesystem of the root, in terms a
//! human can check: what needs how much, where, and how much is free.
//!
//! For every filesystem that receives or loses files it adds up, in that filesystem's blocks:
//!
//! - **needed**: every non-`%ghost` entry of every package file to install (rpm's own rule:
//!   each entry rounded up to whole blocks, one inode each);
//! - **freed**: the same for every installed package that is erased or replaced by an upgrade;
//! - **replaced**: the part of *freed* at paths a new package installs again: rpm renames the
//!   new file over the old one, so that space comes back during the transaction, while the
//!   rest of *freed* only comes back when the old package's erasure runs, possibly last;
//! - **download**: package files that are not yet in the root's download cache
//!   (`var/lib/leapfrog/packages`) are copied there, on the cache's filesystem;
//! - **margins** (see [`MARGIN_PERCENT`], [`BOOT_BYTES_PER_KERNEL`]): rpm's own 5% on what it
//!   installs; the largest *replaced* amount of a single old package on that filesystem (rpm
//!   unpacks a package's new files under temporary names and renames them over the old ones
//!   only when all are unpacked, so for the duration of one package both copies exist); the rpm
//!   database's size on its filesystem (sqlite's journal of one transaction can grow to the
//!   database's size); and an initramfs per new kernel on `/boot`.
//!
//! The **required** amount is `needed - replaced + download + margins`, the peak the filesystem
//! must absorb before the old packages' erasures free the rest; the verdict compares it with
//! the bytes free for unprivileged users (`statvfs` `f_bavail`, what rpm compares too).
//! **net** is `needed + download - freed`, what the filesystem loses once everything is done.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use leapfrog_base::units::human_bytes;

use crate::workspace::Workspace;
use leapfrog_actors::facts::mountinfo;
use rpm_sys::{AddedElement, DbLocation, PackageHeader, RpmDatabase, RpmError};
use serde::Serialize;

/// rpm refuses a transaction unless the free blocks exceed the blocks it needs by 5%
/// (`adj_fs_blocks` in rpm's transaction code); we add the same on top.
pub const MARGIN_PERCENT: u64 = 5;

/// Room on `/boot`'s filesystem for every kernel the transaction installs: the initramfs is made
/// by the kernel's scriptlet and is not in the package's file sizes. 64 MiB is an assumption
/// (a generic initramfs with many drivers), not a measurement.
pub const BOOT_BYTES_PER_KERNEL: u64 = 64 << 20;

/// How many packages [`MountSpace::top`] lists.
pub const TOP_PACKAGES: usize = 5;

/// Errors of the estimate.
#[derive(Debug, thiserror::Error)]
pub enum SpaceError {
    /// `/proc/self/mountinfo` cannot be read.
    #[error("cannot read the mount table {path}", path = path.display())]
    Mountinfo {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: io::Error,
    },
    /// No mount covers the root (a mount table without `/`).
    #[error("no mounted filesystem contains {path}", path = path.display())]
    NoMount {
        /// The path.
        path: PathBuf,
    },
    /// `statvfs` failed on a mount point.
    #[error("cannot read the free space of {path}", path = path.display())]
    Statvfs {
        /// The mount point.
        path: PathBuf,
        /// Why.
        #[source]
        source: io::Error,
    },
    /// The root cannot be resolved.
    #[error("cannot resolve the root {path}", path = path.display())]
    Root {
        /// The root.
        path: PathBuf,
        /// Why.
        #[source]
        source: io::Error,
    },
    /// The rpm database cannot be read.
    #[error(transparent)]
    Rpm(#[from] RpmError),
}

/// One line of `/proc/self/mountinfo`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Mount {
    /// Where it is mounted (host path).
    pub mount_point: PathBuf,
    /// Filesystem type (`ext4`, `xfs`, `tmpfs`...).
    pub fs_type: String,
    /// The mounted device or source.
    pub source: String,
}

/// Parses `/proc/self/mountinfo` with the workspace's one parser
/// ([`leapfrog_actors::facts::mountinfo::parse`]: mount point field 5, octal escapes such as
/// `\040` decoded; type and source after the ` - ` separator). Malformed lines are skipped.
pub fn parse_mountinfo(text: &str) -> Vec<Mount> {
    mountinfo::parse(text)
        .into_iter()
        .map(|m| Mount {
            mount_point: PathBuf::from(m.mount_point),
            fs_type: m.fstype,
            source: m.source,
        })
        .collect()
}

/// The mount containing `path` (longest mount point that is a path prefix; later mounts on the
/// same point win, as they hide the earlier ones). Symlinks are not followed.
pub fn mount_of<'a>(mounts: &'a [Mount], path: &Path) -> Option<&'a Mount> {
    mounts
        .iter()
        .enumerate()
        .filter(|(_, m)| path.starts_with(&m.mount_point))
        .max_by_key(|(i, m)| (m.mount_point.components().count(), *i))
        .map(|(_, m)| m)
}

/// A package file to install, as the estimate sees it.
#[derive(Debug, Clone)]
pub struct PlannedInstall {
    /// The package file (its size is the download).
    pub path: PathBuf,
    /// Its header.
    pub header: PackageHeader,
    /// It replaces installed packages of the same name.
    pub upgrade: bool,
}

/// What the transaction installs and erases.
#[derive(Debug, Clone, Default)]
pub struct SpaceRequest {
    /// Package files to install.
    pub installs: Vec<PlannedInstall>,
    /// Installed packages erased explicitly.
    pub erases: Vec<PackageHeader>,
}

impl SpaceRequest {
    /// The request of a transaction's elements ([`rpm_sys::Transaction::elements`]).
    pub fn from_elements(elements: &[AddedElement]) -> Self {
        let mut request = Self::default();
        for element in elements {
            match element {
                AddedElement::Install {
                    path,
                    header,
                    upgrade,
                } => request.installs.push(PlannedInstall {
                    path: path.clone(),
                    header: header.clone(),
                    upgrade: *upgrade,
                }),
                AddedElement::Erase { header, .. } => request.erases.push(header.clone()),
            }
        }
        request
    }
}

/// A margin added to a filesystem's requirement, with its reason.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct Margin {
    /// Why.
    pub reason: String,
    /// Bytes.
    pub bytes: u64,
}

/// A package's share of a filesystem's need.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct Contribution {
    /// `name-[epoch:]version-release.arch`.
    pub package: String,
    /// Bytes it installs on that filesystem.
    pub bytes: u64,
}

/// Whether the transaction fits on a filesystem.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(tag = "verdict", rename_all = "snake_case")]
pub enum Verdict {
    /// Enough free bytes and inodes.
    Fits,
    /// Not enough free bytes: short by `bytes` (and perhaps inodes).
    Short {
        /// Missing bytes.
        bytes: u64,
        /// Missing inodes (0 when inodes suffice or the filesystem allocates them dynamically).
        inodes: u64,
    },
    /// Enough bytes, not enough inodes.
    ShortOfInodes {
        /// Missing inodes.
        inodes: u64,
    },
}

/// The estimate for one filesystem.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct MountSpace {
    /// Where the filesystem is mounted on the host.
    pub mount_point: PathBuf,
    /// The same place as seen inside the root (`/`, `/boot`...); `/` also for the filesystem
    /// that holds the root's top directory when it is mounted above the root (a root in a
    /// subdirectory), as rpm names it in its disk-space problems.
    pub root_path: String,
    /// Filesystem type.
    pub fs_type: String,
    /// Fundamental block size (`f_frsize`): every entry is rounded up to it.
    pub block_size: u64,
    /// Bytes free for unprivileged users (`f_bavail * f_frsize`).
    pub free_bytes: u64,
    /// Free inodes (`f_favail`); `None` when the filesystem reports none (dynamic inodes).
    pub free_inodes: Option<u64>,
    /// Bytes the new packages install here.
    pub needed_bytes: u64,
    /// Bytes the erased and replaced packages free here.
    pub freed_bytes: u64,
    /// The part of `freed_bytes` at paths the new packages install again.
    pub replaced_bytes: u64,
    /// Package files still to be copied into the download cache here.
    pub download_bytes: u64,
    /// Margins added to the requirement.
    pub margins: Vec<Margin>,
    /// `needed - replaced + download + margins`: the peak this filesystem must absorb.
    pub required_bytes: u64,
    /// `needed + download - freed`: what the filesystem loses when all is done (negative: it
    /// gains space).
    pub net_bytes: i64,
    /// Inodes the new entries take here.
    pub needed_inodes: u64,
    /// The verdict.
    pub verdict: Verdict,
    /// The packages needing the most bytes here, largest first.
    pub top: Vec<Contribution>,
}

/// The estimate for a whole transaction.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct SpaceEstimate {
    /// The root (canonical host path).
    pub root: PathBuf,
    /// Filesystems touched by the transaction, by mount point.
    pub mounts: Vec<MountSpace>,
    /// The download cache directory (host path).
    pub cache_dir: PathBuf,
    /// Bytes already in the download cache (already counted as used space).
    pub cache_bytes: u64,
    /// Kernels the transaction installs (each gets [`BOOT_BYTES_PER_KERNEL`] on `/boot`).
    pub new_kernels: Vec<String>,
}

impl SpaceEstimate {
    /// Whether every filesystem has room.
    pub fn fits(&self) -> bool {
        self.mounts.iter().all(|m| m.verdict == Verdict::Fits)
    }

    /// The estimate for the filesystem mounted at `mount_point` (host path).
    pub fn mount(&self, mount_point: &Path) -> Option<&MountSpace> {
        self.mounts.iter().find(|m| m.mount_point == mount_point)
    }

    /// The estimate for the filesystem rpm names `root_path` (a path inside the root, as in
    /// rpm's disk-space problems).
    pub fn mount_in_root(&self, root_path: &str) -> Option<&MountSpace> {
        self.mounts.iter().find(|m| m.root_path == root_path)
    }
}

impl fmt::Display for MountSpace {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let h = human_bytes;
        write!(f, "{} ({}", self.root_path, self.fs_type)?;
        if self.root_path != self.mount_point.to_string_lossy() {
            write!(f, ", mounted at {}", self.mount_point.display())?;
        }
        writeln!(f, "): {} free", h(self.free_bytes))?;
        writeln!(
            f,
            "  new packages install {}; {} of old files are overwritten in place, {} more are freed when the old packages are erased",
            h(self.needed_bytes),
            h(self.replaced_bytes),
            h(self.freed_bytes.saturating_sub(self.replaced_bytes))
        )?;
        if self.download_bytes > 0 {
            writeln!(
                f,
                "  downloads still to store here: {}",
                h(self.download_bytes)
            )?;
        }
        for margin in &self.margins {
            writeln!(f, "  + {} {}", h(margin.bytes), margin.reason)?;
        }
        let net = if self.net_bytes >= 0 {
            format!("uses {} more", h(self.net_bytes.unsigned_abs()))
        } else {
            format!("frees {}", h(self.net_bytes.unsigned_abs()))
        };
        writeln!(
            f,
            "  required at the peak: {}; afterwards the filesystem {net}",
            h(self.required_bytes)
        )?;
        if !self.top.is_empty() {
            let top: Vec<String> = self
                .top
                .iter()
                .map(|c| format!("{} ({})", c.package, h(c.bytes)))
                .collect();
            writeln!(f, "  largest: {}", top.join(", "))?;
        }
        match self.verdict {
            Verdict::Fits => write!(f, "  verdict: fits"),
            Verdict::Short { bytes, inodes } if inodes > 0 => write!(
                f,
                "  verdict: SHORT by {} and {inodes} inodes: free that much here before upgrading",
                h(bytes)
            ),
            Verdict::Short { bytes, .. } => write!(
                f,
                "  verdict: SHORT by {}: free that much here before upgrading",
                h(bytes)
            ),
            Verdict::ShortOfInodes { inodes } => write!(
                f,
                "  verdict: SHORT by {inodes} inodes: remove files here before upgrading"
            ),
        }
    }
}

impl fmt::Display for SpaceEstimate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "Disk space for the transaction in {} ({} filesystem(s)):",
            self.root.display(),
            self.mounts.len()
        )?;
        for mount in &self.mounts {
            writeln!(f, "{mount}")?;
        }
        write!(
            f,
            "The download cache {} holds {}.",
            self.cache_dir.display(),
            human_bytes(self.cache_bytes)
        )
    }
}

/// Free space of a filesystem.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FsStats {
    /// `f_frsize`.
    pub block_size: u64,
    /// `f_bavail * f_frsize`.
    pub free_bytes: u64,
    /// `f_favail`, `None` when the filesystem reports no inode count.
    pub free_inodes: Option<u64>,
}

/// `statvfs` of a mount point.
///
/// # Errors
///
/// When `statvfs` fails.
pub fn fs_stats(path: &Path) -> Result<FsStats, SpaceError> {
    let s = nix::sys::statvfs::statvfs(path).map_err(|errno| SpaceError::Statvfs {
        path: path.to_path_buf(),
        source: io::Error::from(errno),
    })?;
    let block_size = s.fragment_size().max(1);
    Ok(FsStats {
        block_size,
        free_bytes: s.blocks_available().saturating_mul(block_size),
        free_inodes: (s.files() > 0).then_some(s.files_available()),
    })
}

#[derive(Debug, Default)]
struct Tally {
    needed: u64,
    freed: u64,
    replaced: u64,
    download: u64,
    inodes: u64,
    per_package: BTreeMap<String, u64>,
    /// The most bytes one old package has at paths new packages install again.
    largest_replaced: u64,
    extra: Vec<Margin>,
}

fn round_up(size: u64, block: u64) -> u64 {
    size.div_ceil(block).saturating_mul(block)
}

/// The package cache relative to the root (`var/lib/leapfrog/packages`).
fn cache_rel(ws: &Workspace) -> String {
    let cache = ws.packages_dir();
    cache
        .strip_prefix(ws.root())
        .unwrap_or(&cache)
        .to_string_lossy()
        .into_owned()
}

/// Estimates the space `request` needs in `root` (whose rpm database is at `location`), with
/// the mount table of this process.
///
/// # Errors
///
/// When the mount table, a filesystem's free space or the rpm database cannot be read.
pub fn estimate(
    ws: &Workspace,
    location: &DbLocation,
    request: &SpaceRequest,
) -> Result<SpaceEstimate, SpaceError> {
    let mountinfo = Path::new("/proc/self/mountinfo");
    let text = fs::read_to_string(mountinfo).map_err(|source| SpaceError::Mountinfo {
        path: mountinfo.to_path_buf(),
        source,
    })?;
    estimate_with(ws, location, request, &parse_mountinfo(&text), &fs_stats)
}

/// [`estimate`] with a given mount table and `statvfs` (for tests).
///
/// # Errors
///
/// As [`estimate`].
pub fn estimate_with(
    ws: &Workspace,
    location: &DbLocation,
    request: &SpaceRequest,
    mounts: &[Mount],
    stats: &dyn Fn(&Path) -> Result<FsStats, SpaceError>,
) -> Result<SpaceEstimate, SpaceError> {
    let root = fs::canonicalize(ws.root()).map_err(|source| SpaceError::Root {
        path: ws.root().to_path_buf(),
        source,
    })?;
    // Installed packages replaced by an upgrade: every installed version of the same name
    // (installonly packages are never upgraded).
    let upgraded: BTreeSet<&str> = request
        .installs
        .iter()
        .filter(|i| i.upgrade && !i.header.installonly())
        .map(|i| i.header.package.name.as_str())
        .collect();
    let explicitly_erased: BTreeSet<String> =
        request.erases.iter().map(PackageHeader::nevra).collect();
    let mut old: Vec<PackageHeader> = request.erases.clone();
    if !upgraded.is_empty() {
        let db = RpmDatabase::open(&root, location)?;
        old.extend(
            db.installed_package_files()?
                .into_iter()
                .filter(|p| upgraded.contains(p.package.name.as_str()))
                .filter(|p| !explicitly_erased.contains(&p.nevra())),
        );
    }

    let host = |path: &str| root.join(path.trim_start_matches('/'));
    let mut stats_cache: HashMap<PathBuf, FsStats> = HashMap::new();
    let mut tallies: BTreeMap<PathBuf, Tally> = BTreeMap::new();
    let mut locate = |path: &Path| -> Result<(PathBuf, FsStats), SpaceError> {
        let mount = mount_of(mounts, path).ok_or_else(|| SpaceError::NoMount {
            path: path.to_path_buf(),
        })?;
        let point = mount.mount_point.clone();
        if let Some(s) = stats_cache.get(&point) {
            return Ok((point, *s));
        }
        let s = stats(&point)?;
        stats_cache.insert(point.clone(), s);
        Ok((point, s))
    };

    let new_paths: BTreeSet<&str> = request
        .installs
        .iter()
        .flat_map(|i| i.header.files.iter())
        .filter(|f| !f.ghost)
        .map(|f| f.path.as_str())
        .collect();

    // new files
    let mut new_kernels = Vec::new();
    for install in &request.installs {
        let nevra = install.header.nevra();
        let mut per_mount: BTreeMap<PathBuf, u64> = BTreeMap::new();
        for file in install.header.files.iter().filter(|f| !f.ghost) {
            let (point, s) = locate(&host(&file.path))?;
            let bytes = round_up(file.size, s.block_size);
            let tally = tallies.entry(point.clone()).or_default();
            tally.needed += bytes;
            tally.inodes += 1;
            *per_mount.entry(point).or_default() += bytes;
        }
        for (point, bytes) in per_mount {
            let tally = tallies.entry(point).or_default();
            *tally.per_package.entry(nevra.clone()).or_default() += bytes;
        }
        if is_kernel(&install.header) {
            new_kernels.push(nevra);
        }
    }
    // old files
    for package in &old {
        let mut replaced_here: BTreeMap<PathBuf, u64> = BTreeMap::new();
        for file in package.files.iter().filter(|f| !f.ghost) {
            let (point, s) = locate(&host(&file.path))?;
            let bytes = round_up(file.size, s.block_size);
            let tally = tallies.entry(point.clone()).or_default();
            tally.freed += bytes;
            if new_paths.contains(file.path.as_str()) {
                tally.replaced += bytes;
                *replaced_here.entry(point).or_default() += bytes;
            }
        }
        for (point, bytes) in replaced_here {
            let tally = tallies.entry(point).or_default();
            tally.largest_replaced = tally.largest_replaced.max(bytes);
        }
    }
    // downloads still to be copied into the cache
    let cache_dir = host(&cache_rel(ws));
    let cache_bytes = dir_size(&cache_dir);
    let (cache_mount, _) = locate(&cache_dir)?;
    for install in &request.installs {
        if !install.path.starts_with(&cache_dir) {
            let size = fs::metadata(&install.path).map(|m| m.len()).unwrap_or(0);
            tallies.entry(cache_mount.clone()).or_default().download += size;
        }
    }
    // the rpm database's journal
    let db_file = location.packages_file(&root);
    if let Ok(meta) = fs::metadata(&db_file) {
        let (point, _) = locate(&db_file)?;
        tallies.entry(point).or_default().extra.push(Margin {
            reason: format!(
                "for the rpm database's journal during the transaction (the size of {})",
                location.packages_file(Path::new("/")).display()
            ),
            bytes: meta.len(),
        });
    }
    // initramfs per new kernel
    if !new_kernels.is_empty() {
        let (point, _) = locate(&host("/boot"))?;
        tallies.entry(point).or_default().extra.push(Margin {
            reason: format!(
                "for the initramfs of {} new kernel(s) ({} each, made by their scriptlets)",
                new_kernels.len(),
                human_bytes(BOOT_BYTES_PER_KERNEL)
            ),
            bytes: BOOT_BYTES_PER_KERNEL * new_kernels.len() as u64,
        });
    }

    let mut out = Vec::new();
    for (point, tally) in tallies {
        let s = stats_cache.get(&point).copied().unwrap_or(FsStats {
            block_size: 1,
            free_bytes: 0,
            free_inodes: None,
        });
        let mut margins = Vec::new();
        if tally.needed > 0 {
            margins.push(Margin {
                reason: format!("rpm's own {MARGIN_PERCENT}% margin on what it installs"),
                bytes: tally.needed.saturating_mul(MARGIN_PERCENT).div_ceil(100),
            });
        }
        if tally.largest_replaced > 0 {
            margins.push(Margin {
                reason: "for the old files of the largest upgraded package here, which coexist with its new files while rpm unpacks it".into(),
                bytes: tally.largest_replaced,
            });
        }
        margins.extend(tally.extra);
        let margin_total: u64 = margins.iter().map(|m| m.bytes).sum();
        let required = tally.needed.saturating_sub(tally.replaced) + tally.download + margin_total;
        let net = i128::from(tally.needed) + i128::from(tally.download) - i128::from(tally.freed);
        let short_bytes = required.saturating_sub(s.free_bytes);
        let short_inodes = s
            .free_inodes
            .map_or(0, |free| tally.inodes.saturating_sub(free));
        let verdict = match (short_bytes, short_inodes) {
            (0, 0) => Verdict::Fits,
            (0, inodes) => Verdict::ShortOfInodes { inodes },
            (bytes, inodes) => Verdict::Short { bytes, inodes },
        };
        let mut top: Vec<Contribution> = tally
            .per_package
            .into_iter()
            .map(|(package, bytes)| Contribution { package, bytes })
            .collect();
        top.sort_by(|a, b| {
            b.bytes
                .cmp(&a.bytes)
                .then_with(|| a.package.cmp(&b.package))
        });
        top.truncate(TOP_PACKAGES);
        let root_path = match point.strip_prefix(&root) {
            Ok(rel) if !rel.as_os_str().is_empty() => format!("/{}", rel.display()),
            _ => "/".to_owned(),
        };
        out.push(MountSpace {
            root_path,
            mount_point: point.clone(),
            fs_type: mount_of(mounts, &point)
                .map(|m| m.fs_type.clone())
                .unwrap_or_default(),
            block_size: s.block_size,
            free_bytes: s.free_bytes,
            free_inodes: s.free_inodes,
            needed_bytes: tally.needed,
            freed_bytes: tally.freed,
            replaced_bytes: tally.replaced,
            download_bytes: tally.download,
            margins,
            required_bytes: required,
            net_bytes: i64::try_from(net).unwrap_or(i64::MAX),
            needed_inodes: tally.inodes,
            verdict,
            top,
        });
    }
    Ok(SpaceEstimate {
        root,
        mounts: out,
        cache_dir,
        cache_bytes,
        new_kernels,
    })
}

/// A kernel package: it ships a kernel image (`/lib/modules/<kver>/vmlinuz` on EL8+,
/// `/boot/vmlinuz-<kver>` on EL7).
fn is_kernel(header: &PackageHeader) -> bool {
    header.files.iter().any(|f| {
        (f.path.starts_with("/lib/modules/") || f.path.starts_with("/usr/lib/modules/"))
            && f.path.ends_with("/vmlinuz")
            || f.path.starts_with("/boot/vmlinuz-")
    })
}

/// Total size of the regular files under `dir` (0 when it does not exist); symlinks are not
/// followed.
fn dir_size(dir: &Path) -> u64 {
    let Ok(entries) = fs::read_dir(dir) else {
        return 0;
    };
    entries
        .flatten()
        .map(|entry| match entry.file_type() {
            Ok(t) if t.is_dir() => dir_size(&entry.path()),
            Ok(t) if t.is_file() => entry.metadata().map(|m| m.len()).unwrap_or(0),
            _ => 0,
        })
        .sum()
}

#[cfg(test)]
mod tests;

mod preliminary;
pub use preliminary::{PreliminaryMount, preliminary};
