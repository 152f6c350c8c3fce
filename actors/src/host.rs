//! Facts only a running host has: the running kernel and its command line, loaded modules, PCI
//! devices, memory, CPU flags, mounts with free space, network interfaces, EFI, containers.
//!
//! With `--root /` they are read live from `/proc` and `/sys`; for another root (a mounted
//! disk, a test sandbox) or for offline assessment they come from a JSON facts file
//! (`--host-facts FILE`, the same shape as [`HostFacts`]); without either they are unknown and
//! the checks that need them say so instead of guessing.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::facts::mountinfo;

/// A mounted filesystem.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Mount {
    /// Device or remote source.
    pub source: String,
    /// Mount point.
    pub target: String,
    /// Filesystem type.
    pub fstype: String,
    /// Mount options.
    #[serde(default)]
    pub options: Vec<String>,
    /// Bytes available to unprivileged users (statvfs `f_bavail`).
    #[serde(default)]
    pub free_bytes: Option<u64>,
    /// Size in bytes.
    #[serde(default)]
    pub total_bytes: Option<u64>,
    /// For XFS: the `ftype` setting (0 or 1), when known.
    #[serde(default)]
    pub xfs_ftype: Option<u8>,
    /// For XFS: whether the filesystem supports reflinks (the cheap snapshot backend), when known.
    #[serde(default)]
    pub xfs_reflink: Option<bool>,
}

/// An LVM volume group.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct VolumeGroup {
    /// Name.
    pub name: String,
    /// Size in bytes.
    pub size_bytes: u64,
    /// Unallocated bytes (room for snapshots).
    pub free_bytes: u64,
}

/// A PCI device.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PciDevice {
    /// Bus address (`0000:00:1f.2`).
    pub address: String,
    /// Vendor id, 4 lowercase hex digits.
    pub vendor: String,
    /// Device id, 4 lowercase hex digits.
    pub device: String,
    /// Bound driver.
    #[serde(default)]
    pub driver: Option<String>,
}

/// A network interface.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NetInterface {
    /// Name (`eth0`, `enp1s0`).
    pub name: String,
    /// MAC address.
    #[serde(default)]
    pub mac: Option<String>,
    /// Driver.
    #[serde(default)]
    pub driver: Option<String>,
    /// A physical device (has `/sys/class/net/<name>/device`).
    #[serde(default)]
    pub physical: bool,
}

/// Where host facts came from.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase", tag = "kind", content = "path")]
pub enum HostFactsSource {
    /// Not known (assessing a root that is not the running system, with no facts file).
    #[default]
    Unknown,
    /// Read from the running system.
    Live,
    /// Read from a facts file.
    File(PathBuf),
}

/// Facts about the running host.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct HostFacts {
    /// Where these came from.
    pub source: HostFactsSource,
    /// `uname -r`.
    pub running_kernel: Option<String>,
    /// `/proc/cmdline`.
    pub kernel_cmdline: Option<String>,
    /// Machine architecture (`x86_64`).
    pub arch: Option<String>,
    /// Loaded kernel modules.
    pub loaded_modules: Vec<String>,
    /// PCI devices.
    pub pci_devices: Vec<PciDevice>,
    /// Total memory in KiB.
    pub memory_kib: Option<u64>,
    /// CPU flags of the first CPU.
    pub cpu_flags: Vec<String>,
    /// Mounted filesystems.
    pub mounts: Vec<Mount>,
    /// Network interfaces.
    pub network_interfaces: Vec<NetInterface>,
    /// Booted with UEFI.
    pub efi: Option<bool>,
    /// Container technology when running inside one (`docker`, `podman`, `lxc`, ...).
    pub container: Option<String>,
    /// Hypervisor vendor when virtualised.
    pub virtualization: Option<String>,
    /// LVM volume groups (`vgs`).
    pub volume_groups: Vec<VolumeGroup>,
}

/// Errors reading host facts.
#[derive(Debug, thiserror::Error)]
pub enum HostFactsError {
    /// The facts file could not be read.
    #[error("reading host facts file {path}: {source}")]
    Read {
        /// File.
        path: PathBuf,
        /// Cause.
        source: std::io::Error,
    },
    /// The facts file is not valid.
    #[error("host facts file {path} is not valid JSON of the expected shape: {message}")]
    Parse {
        /// File.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
}

impl HostFacts {
    /// Whether anything is known.
    pub fn known(&self) -> bool {
        self.source != HostFactsSource::Unknown
    }

    /// Reads a facts file.
    pub fn from_file(path: &Path) -> Result<Self, HostFactsError> {
        let text = std::fs::read_to_string(path).map_err(|source| HostFactsError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        let mut facts: HostFacts =
            serde_json::from_str(&text).map_err(|e| HostFactsError::Parse {
                path: path.to_path_buf(),
                message: e.to_string(),
            })?;
        facts.source = HostFactsSource::File(path.to_path_buf());
        Ok(facts)
    }

    /// The mount holding `path` (longest mount-point prefix).
    pub fn mount_for(&self, path: &str) -> Option<&Mount> {
        self.mounts
            .iter()
            .filter(|m| {
                path == m.target
                    || path.starts_with(&format!("{}/", m.target.trim_end_matches('/')))
                    || m.target == "/"
            })
            .max_by_key(|m| m.target.len())
    }

    /// Reads the running system from `/proc` and `/sys`.
    pub fn live() -> Self {
        let read = |p: &str| std::fs::read_to_string(p).ok();
        let mut f = HostFacts {
            source: HostFactsSource::Live,
            ..Default::default()
        };
        f.running_kernel = read("/proc/sys/kernel/osrelease").map(|s| s.trim().to_string());
        f.kernel_cmdline = read("/proc/cmdline").map(|s| s.trim().to_string());
        f.arch = Some(std::env::consts::ARCH.to_string());
        f.loaded_modules = read("/proc/modules")
            .map(|t| {
                t.lines()
                    .filter_map(|l| l.split_whitespace().next().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default();
        f.memory_kib = read("/proc/meminfo").and_then(|t| parse_meminfo_total(&t));
        f.cpu_flags = read("/proc/cpuinfo")
            .map(|t| parse_cpu_flags(&t))
            .unwrap_or_default();
        f.mounts = read("/proc/self/mountinfo")
            .map(|t| parse_mounts(&t))
            .unwrap_or_default();
        for m in &mut f.mounts {
            if let Ok(s) = nix::sys::statvfs::statvfs(m.target.as_str()) {
                let frsize = s.fragment_size();
                m.free_bytes = Some(s.blocks_available() * frsize);
                m.total_bytes = Some(s.blocks() * frsize);
            }
            if m.fstype == "xfs" && m.source.starts_with("/dev/") {
                m.xfs_ftype = read_xfs_ftype(Path::new(&m.source));
                m.xfs_reflink =
                    read_xfs_superblock(Path::new(&m.source)).and_then(|sb| parse_xfs_reflink(&sb));
            }
        }
        f.volume_groups = read_volume_groups();
        f.pci_devices = read_pci("/sys/bus/pci/devices");
        f.network_interfaces = read_net("/sys/class/net");
        f.efi = Some(Path::new("/sys/firmware/efi").exists());
        f.container = detect_container();
        f.virtualization = read("/sys/class/dmi/id/sys_vendor")
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty());
        f
    }
}

/// `MemTotal` in KiB.
pub fn parse_meminfo_total(text: &str) -> Option<u64> {
    text.lines()
        .find_map(|l| l.strip_prefix("MemTotal:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|n| n.parse().ok())
}

/// The `flags` of the first processor.
pub fn parse_cpu_flags(text: &str) -> Vec<String> {
    text.lines()
        .find_map(|l| {
            l.strip_prefix("flags")
                .and_then(|r| r.trim_start().strip_prefix(':'))
        })
        .map(|f| f.split_whitespace().map(str::to_string).collect())
        .unwrap_or_default()
}

/// The mounts of a `/proc/self/mountinfo` text (parsed by [`mountinfo::parse`]), with the
/// options `/proc/self/mounts` would show.
pub fn parse_mounts(text: &str) -> Vec<Mount> {
    mountinfo::parse(text)
        .into_iter()
        .map(|m| Mount {
            options: m.mount_table_options(),
            source: m.source,
            target: m.mount_point,
            fstype: m.fstype,
            ..Default::default()
        })
        .collect()
}

/// The `ftype` setting (0 or 1) of an XFS filesystem from its primary superblock (the first
/// 512 bytes of the device): on v5 (CRC) filesystems the `FTYPE` incompat feature
/// (`sb_features_incompat` bit 0, at byte 216), on v4 the `FTYPE` bit (0x200) of
/// `sb_features2` (byte 200, only valid when `sb_versionnum` (byte 100) has `MOREBITS`,
/// 0x8000). `None` when the bytes are not an XFS superblock.
pub fn parse_xfs_ftype(sb: &[u8]) -> Option<u8> {
    if sb.len() < 220 || &sb[0..4] != b"XFSB" {
        return None;
    }
    let be32 = |o: usize| u32::from_be_bytes([sb[o], sb[o + 1], sb[o + 2], sb[o + 3]]);
    let version = u16::from_be_bytes([sb[100], sb[101]]);
    let on = if version & 0x000f == 5 {
        be32(216) & 0x1 != 0
    } else {
        version & 0x8000 != 0 && be32(200) & 0x200 != 0
    };
    Some(u8::from(on))
}

/// Whether an XFS superblock has the reflink feature (v5 `sb_features_ro_compat` bit 2; v4
/// filesystems, such as EL7's, never have it).
pub fn parse_xfs_reflink(sb: &[u8]) -> Option<bool> {
    if sb.len() < 220 || &sb[0..4] != b"XFSB" {
        return None;
    }
    let version = u16::from_be_bytes([sb[100], sb[101]]);
    let ro_compat = u32::from_be_bytes([sb[212], sb[213], sb[214], sb[215]]);
    Some(version & 0x000f == 5 && ro_compat & 0x4 != 0)
}

fn read_xfs_superblock(device: &Path) -> Option<[u8; 512]> {
    use std::io::Read;
    let mut sb = [0u8; 512];
    std::fs::File::open(device).ok()?.read_exact(&mut sb).ok()?;
    Some(sb)
}

/// Reads the `ftype` of the XFS filesystem on `device` (needs read access to the device).
fn read_xfs_ftype(device: &Path) -> Option<u8> {
    parse_xfs_ftype(&read_xfs_superblock(device)?)
}

/// Parses `vgs --noheadings --units b --nosuffix --separator : -o vg_name,vg_size,vg_free`.
pub fn parse_vgs(text: &str) -> Vec<VolumeGroup> {
    text.lines()
        .filter_map(|l| {
            let mut it = l.trim().split(':');
            let name = it.next()?.trim().to_string();
            let size_bytes = it.next()?.trim().parse().ok()?;
            let free_bytes = it.next()?.trim().parse().ok()?;
            (!name.is_empty()).then_some(VolumeGroup {
                name,
                size_bytes,
                free_bytes,
            })
        })
        .collect()
}

fn read_volume_groups() -> Vec<VolumeGroup> {
    std::process::Command::new("vgs")
        .args([
            "--noheadings",
            "--units",
            "b",
            "--nosuffix",
            "--separator",
            ":",
            "-o",
            "vg_name,vg_size,vg_free",
        ])
        .stderr(std::process::Stdio::null())
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| parse_vgs(&String::from_utf8_lossy(&o.stdout)))
        .unwrap_or_default()
}

fn read_pci(dir: &str) -> Vec<PciDevice> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut out: Vec<PciDevice> = entries
        .flatten()
        .map(|e| {
            let p = e.path();
            let id = |f: &str| {
                std::fs::read_to_string(p.join(f))
                    .map(|s| s.trim().trim_start_matches("0x").to_lowercase())
                    .unwrap_or_default()
            };
            PciDevice {
                address: e.file_name().to_string_lossy().into_owned(),
                vendor: id("vendor"),
                device: id("device"),
                driver: std::fs::read_link(p.join("driver"))
                    .ok()
                    .and_then(|l| l.file_name().map(|n| n.to_string_lossy().into_owned())),
            }
        })
        .collect();
    out.sort_by(|a, b| a.address.cmp(&b.address));
    out
}

fn read_net(dir: &str) -> Vec<NetInterface> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut out: Vec<NetInterface> = entries
        .flatten()
        .map(|e| {
            let p = e.path();
            NetInterface {
                name: e.file_name().to_string_lossy().into_owned(),
                mac: std::fs::read_to_string(p.join("address"))
                    .ok()
                    .map(|s| s.trim().to_string()),
                driver: std::fs::read_link(p.join("device/driver"))
                    .ok()
                    .and_then(|l| l.file_name().map(|n| n.to_string_lossy().into_owned())),
                physical: p.join("device").exists(),
            }
        })
        .collect();
    out.sort_by(|a, b| a.name.cmp(&b.name));
    out
}

fn detect_container() -> Option<String> {
    if Path::new("/run/.containerenv").exists() {
        return Some("podman".into());
    }
    if Path::new("/.dockerenv").exists() {
        return Some("docker".into());
    }
    let environ = std::fs::read("/proc/1/environ").ok()?;
    environ
        .split(|b| *b == 0)
        .find_map(|kv| kv.strip_prefix(b"container="))
        .map(|v| String::from_utf8_lossy(v).into_owned())
        .filter(|v| !v.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parsers() {
        assert_eq!(
            parse_meminfo_total("MemTotal:       24576000 kB\nMemFree: 1 kB\n"),
            Some(24_576_000)
        );
        assert_eq!(parse_meminfo_total("garbage"), None);
        assert_eq!(
            parse_cpu_flags("processor\t: 0\nflags\t\t: fpu sse4_2 popcnt\n"),
            ["fpu", "sse4_2", "popcnt"]
        );
        let m = parse_mounts(
            "22 1 254:0 / / rw,relatime - xfs /dev/vda1 rw,attr2\n31 22 0:50 / /mnt/my\\040share ro,noexec - nfs4 server:/x rw,vers=4.2\nbroken\n",
        );
        assert_eq!(m.len(), 2);
        assert_eq!(m[0].source, "/dev/vda1");
        assert_eq!(m[0].options, ["rw", "relatime", "attr2"]);
        assert_eq!(m[1].target, "/mnt/my share");
        assert_eq!(m[1].fstype, "nfs4");
        assert_eq!(m[1].options, ["ro", "noexec", "vers=4.2"]);
    }

    #[test]
    fn xfs_superblock_ftype() {
        let mut sb = vec![0u8; 512];
        assert_eq!(parse_xfs_ftype(&sb), None);
        sb[0..4].copy_from_slice(b"XFSB");
        // v5 without and with the incompat FTYPE bit
        sb[100..102].copy_from_slice(&0xb4a5u16.to_be_bytes());
        assert_eq!(parse_xfs_ftype(&sb), Some(0));
        sb[216..220].copy_from_slice(&1u32.to_be_bytes());
        assert_eq!(parse_xfs_ftype(&sb), Some(1));
        // v4: features2 only counts with MOREBITS
        sb[216..220].copy_from_slice(&0u32.to_be_bytes());
        sb[100..102].copy_from_slice(&0x34a4u16.to_be_bytes());
        sb[200..204].copy_from_slice(&0x20au32.to_be_bytes());
        assert_eq!(parse_xfs_ftype(&sb), Some(0));
        sb[100..102].copy_from_slice(&0xb4a4u16.to_be_bytes());
        assert_eq!(parse_xfs_ftype(&sb), Some(1));
        sb[200..204].copy_from_slice(&0x00au32.to_be_bytes());
        assert_eq!(parse_xfs_ftype(&sb), Some(0));
        assert_eq!(parse_xfs_ftype(&sb[..100]), None);
    }

    #[test]
    fn vgs_and_reflink_parsing() {
        let v = parse_vgs("  almalinux:42945478656:1073741824\n  broken\n  data:10:x\n");
        assert_eq!(
            v,
            vec![VolumeGroup {
                name: "almalinux".into(),
                size_bytes: 42_945_478_656,
                free_bytes: 1_073_741_824
            }]
        );
        let mut sb = vec![0u8; 512];
        sb[0..4].copy_from_slice(b"XFSB");
        sb[101] = 5;
        assert_eq!(parse_xfs_reflink(&sb), Some(false));
        sb[215] = 0x4;
        assert_eq!(parse_xfs_reflink(&sb), Some(true));
        sb[101] = 4;
        assert_eq!(parse_xfs_reflink(&sb), Some(false), "v4 has no reflink");
        assert_eq!(parse_xfs_reflink(b"nope"), None);
    }

    #[test]
    fn mount_for_picks_the_longest_prefix() {
        let f = HostFacts {
            mounts: parse_mounts(
                "1 0 8:0 / / rw - xfs /dev/a rw\n2 1 8:1 / /boot rw - xfs /dev/b rw\n3 1 8:2 / /bootstrap rw - xfs /dev/c rw\n",
            ),
            ..Default::default()
        };
        assert_eq!(f.mount_for("/boot").unwrap().source, "/dev/b");
        assert_eq!(f.mount_for("/boot/efi").unwrap().source, "/dev/b");
        assert_eq!(f.mount_for("/var").unwrap().source, "/dev/a");
        assert_eq!(f.mount_for("/bootstrap/x").unwrap().source, "/dev/c");
    }

    #[test]
    fn live_facts_of_this_machine() {
        let f = HostFacts::live();
        assert_eq!(f.source, HostFactsSource::Live);
        assert!(f.running_kernel.is_some() && f.memory_kib.unwrap_or(0) > 0);
        assert!(
            f.mounts
                .iter()
                .any(|m| m.target == "/" && m.total_bytes.is_some())
        );
    }

    #[test]
    fn facts_file_round_trip_and_errors() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("host.json");
        std::fs::write(&p, r#"{"running_kernel": "4.18.0-553.el8_10.x86_64", "memory_kib": 2048000, "cpu_flags": ["sse4_2"]}"#).unwrap();
        let f = HostFacts::from_file(&p).unwrap();
        assert_eq!(
            f.running_kernel.as_deref(),
            Some("4.18.0-553.el8_10.x86_64")
        );
        assert_eq!(f.source, HostFactsSource::File(p.clone()));
        std::fs::write(&p, "{ nope").unwrap();
        assert!(matches!(
            HostFacts::from_file(&p),
            Err(HostFactsError::Parse { .. })
        ));
        assert!(matches!(
            HostFacts::from_file(&dir.path().join("missing")),
            Err(HostFactsError::Read { .. })
        ));
    }
}
