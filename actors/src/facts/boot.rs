//! Boot facts ([`crate::model::Facts::boot`], filled by `boot_scanner`): BLS entries, grubenv,
//! `/etc/default/grub`, the kernel images in `/boot`, and the **boot layout** ([`BootSetup`],
//! read by [`read_setup`]): how GRUB builds its menu (BLS or a `grub.cfg` of menu entries),
//! the firmware, and the GRUB environment block GRUB really loads. `leapfrog upgrade` stages
//! its one-shot entry according to this layout (`src/boot/`), and `leapfrog inventory` shows it.
//!
//! Facts the layout is read from:
//!
//! | layout | grub.cfg GRUB reads | grubenv GRUB loads |
//! |---|---|---|
//! | EL7 BIOS | `/boot/grub2/grub.cfg`, menu entries | `/boot/grub2/grubenv` |
//! | EL7 UEFI | `/boot/efi/EFI/<vendor>/grub.cfg`, menu entries (`linuxefi`) | `grubenv` beside it (`/boot/grub2/grubenv` links there) |
//! | EL8+ BIOS | `/boot/grub2/grub.cfg`, `blscfg` | `/boot/grub2/grubenv` |
//! | EL8 UEFI | `/boot/efi/EFI/<vendor>/grub.cfg`, `blscfg` | `grubenv` beside it (`/boot/grub2/grubenv` links there) |
//! | EL9+ UEFI | an ESP stub that `configfile`s `/boot/grub2/grub.cfg`, `blscfg` | `/boot/grub2/grubenv` |
//!
//! GRUB's preamble loads the environment block of the directory its `grub.cfg` is in, so the
//! block that counts is the one beside the real `grub.cfg`; without a `grub.cfg` (the testkit's
//! EL8+ roots) it is `/boot/grub2/grubenv`. Symbolic links are followed inside the root only
//! ([`RootFs::resolve_existing`]).

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::grub_cfg::GrubCfg;
use super::kernels::BootEntry;
use super::rootfs::{ResolveError, RootFs};

/// The conventional place of the GRUB environment block.
pub const GRUBENV: &str = "/boot/grub2/grubenv";
/// The BIOS (and EL9+ UEFI) `grub.cfg`.
pub const BIOS_GRUB_CFG: &str = "/boot/grub2/grub.cfg";
/// Where the vendors' directories of the EFI system partition are.
pub const ESP_EFI_DIR: &str = "/boot/efi/EFI";

/// Bootloader state.
#[derive(Debug, Clone, Default, Serialize)]
pub struct BootFacts {
    /// BLS entries in `/boot/loader/entries`.
    pub entries: Vec<BootEntry>,
    /// Variables of the GRUB environment block ([`BootSetup::grubenv`], else
    /// `/boot/grub2/grubenv`): `saved_entry`, `kernelopts`, ...
    pub grubenv: BTreeMap<String, String>,
    /// Assignments of `/etc/default/grub`.
    pub default_grub: BTreeMap<String, String>,
    /// `/boot/grub2/grub.cfg` exists.
    pub grub_cfg: bool,
    /// `vmlinuz-*` images in `/boot`.
    pub images: Vec<String>,
    /// The boot layout, when it can be used for a one-shot boot.
    pub setup: Option<BootSetup>,
    /// Why it cannot ([`LayoutError`] as text), when it cannot.
    pub setup_error: Option<String>,
}

/// How GRUB builds its menu.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "kind")]
pub enum BootLayout {
    /// Boot Loader Specification: `blscfg` builds the menu from `/boot/loader/entries` (EL8
    /// and later); an entry is a file there.
    Bls,
    /// The menu is the `menuentry` blocks of this `grub.cfg` (EL7): an entry is a block of it.
    GrubCfg {
        /// The file, inside the root.
        path: String,
    },
}

/// The firmware that starts GRUB.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Firmware {
    /// BIOS (GRUB's core image in the disk's boot track).
    Bios,
    /// UEFI (GRUB from the EFI system partition).
    Uefi,
}

impl fmt::Display for Firmware {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Firmware::Bios => "BIOS",
            Firmware::Uefi => "UEFI",
        })
    }
}

/// The boot layout of a root: what a one-shot boot entry is written into and where the
/// environment block that selects it is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BootSetup {
    /// How GRUB builds its menu.
    pub layout: BootLayout,
    /// The firmware.
    pub firmware: Firmware,
    /// The firmware is the running system's (`/sys/firmware/efi`, or a host facts file);
    /// `false`: inferred from the root's files (an ESP `grub.cfg` means UEFI).
    pub firmware_known: bool,
    /// The `grub.cfg` GRUB reads (inside the root), when there is one.
    pub grub_cfg: Option<String>,
    /// The GRUB environment block GRUB loads, inside the root, symbolic links resolved: where
    /// `next_entry` and `saved_entry` are written.
    pub grubenv: String,
    /// `/boot/grub2/grubenv` is a symbolic link: its target as written.
    pub grubenv_link: Option<String>,
}

impl BootSetup {
    /// One line for people: `grub.cfg menu entries (/boot/grub2/grub.cfg), BIOS, grubenv
    /// /boot/grub2/grubenv`.
    pub fn summary(&self) -> String {
        let layout = match &self.layout {
            BootLayout::Bls => "BLS entries".to_string(),
            BootLayout::GrubCfg { path } => format!("grub.cfg menu entries ({path})"),
        };
        let firmware = if self.firmware_known {
            self.firmware.to_string()
        } else {
            format!("{} (from the root's files)", self.firmware)
        };
        let link = match &self.grubenv_link {
            Some(target) => format!(" ({GRUBENV} -> {target})"),
            None => String::new(),
        };
        format!("{layout}, {firmware}, grubenv {}{link}", self.grubenv)
    }
}

/// Why a root's boot layout cannot carry a one-shot boot of the upgrade environment.
#[derive(Debug, thiserror::Error)]
pub enum LayoutError {
    /// A path GRUB reads is a symbolic link leading out of the root or to nothing.
    #[error(transparent)]
    Path(#[from] ResolveError),
    /// No environment block where GRUB loads it.
    #[error(
        "there is no GRUB environment block at {expected}: GRUB cannot be told to boot an entry once (create it with `grub2-editenv {expected} create`)"
    )]
    NoGrubenv {
        /// Where GRUB loads it from.
        expected: String,
    },
    /// Several vendors' `grub.cfg` on the EFI system partition, none the release's own.
    #[error(
        "several grub.cfg files on the EFI system partition ({}), none in the directory of this release: which one the firmware starts is not known",
        configs.join(", ")
    )]
    SeveralEspConfigs {
        /// The files.
        configs: Vec<String>,
    },
    /// The `grub.cfg` never reads `next_entry`.
    #[error(
        "{path} does not read grubenv's one-shot next_entry (no load_env, or no `set default=\"${{next_entry}}\"`): GRUB would never boot the upgrade entry; regenerate it with grub2-mkconfig"
    )]
    NoNextEntry {
        /// The file.
        path: String,
    },
    /// The `grub.cfg` has no default entry leapfrog can follow.
    #[error("{path} has no default menu entry leapfrog can follow: {detail}")]
    NoDefaultEntry {
        /// The file.
        path: String,
        /// What is missing.
        detail: String,
    },
    /// UEFI firmware, but no `grub.cfg` on the EFI system partition: the only menu-entry
    /// configuration is the BIOS one, which GRUB on UEFI (EL7) never reads.
    #[error(
        "the machine boots with UEFI, but there is no grub.cfg in {ESP_EFI_DIR}/<vendor>/ (is the EFI system partition mounted at /boot/efi?); {path} is the BIOS configuration, which GRUB on UEFI does not read"
    )]
    NoEspConfig {
        /// The BIOS configuration found instead.
        path: String,
    },
    /// Neither a `grub.cfg` nor BLS.
    #[error(
        "the root has no grub.cfg ({BIOS_GRUB_CFG}, {ESP_EFI_DIR}/<vendor>/grub.cfg) and does not use BLS entries (/boot/loader/entries, GRUB_ENABLE_BLSCFG=true): there is nothing GRUB reads that an upgrade entry could be added to"
    )]
    NoConfig,
    /// A file cannot be read.
    #[error("cannot read {path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// Why.
        #[source]
        source: std::io::Error,
    },
}

/// Reads the boot layout of a root. `efi`: the firmware of the machine that boots the root
/// when known (the running system for `/`; `None` infers it from the root's files).
///
/// # Errors
///
/// [`LayoutError`]: the layout cannot carry a one-shot boot (and why).
pub fn read_setup(fs: &RootFs, efi: Option<bool>) -> Result<BootSetup, LayoutError> {
    let grubenv_link = grubenv_link(fs)?;
    let (firmware, firmware_known, config) = find_config(fs, efi, grubenv_link.as_deref())?;
    let grubenv = grubenv_location(fs, config.as_ref().map(|(p, _)| p.as_str()))?;
    let layout = match &config {
        Some((_, cfg)) if cfg.blscfg => BootLayout::Bls,
        // EL7's GRUB on UEFI reads its grub.cfg from its own ESP directory only
        Some((path, _)) if firmware == Firmware::Uefi && path == BIOS_GRUB_CFG => {
            return Err(LayoutError::NoEspConfig { path: path.clone() });
        }
        Some((path, cfg)) => {
            check_grub_cfg(fs, path, cfg, &grubenv)?;
            BootLayout::GrubCfg { path: path.clone() }
        }
        None if uses_bls(fs) => BootLayout::Bls,
        None => return Err(LayoutError::NoConfig),
    };
    Ok(BootSetup {
        layout,
        firmware,
        firmware_known,
        grub_cfg: config.map(|(p, _)| p),
        grubenv,
        grubenv_link,
    })
}

/// The GRUB environment block GRUB loads (inside the root), without the rest of the layout:
/// what grubenv reads and writes use.
///
/// # Errors
///
/// A link out of the root or to nothing, several ESP configurations, no block.
pub fn read_grubenv_location(fs: &RootFs, efi: Option<bool>) -> Result<String, LayoutError> {
    let link = grubenv_link(fs)?;
    let (_, _, config) = find_config(fs, efi, link.as_deref())?;
    grubenv_location(fs, config.as_ref().map(|(p, _)| p.as_str()))
}

/// `/boot/grub2/grubenv` when it is a symbolic link: its target, checked to lead to a file
/// inside the root (GRUB tools and leapfrog both write through it).
fn grubenv_link(fs: &RootFs) -> Result<Option<String>, LayoutError> {
    let Ok(host) = fs.resolve_host(Path::new(GRUBENV).parent().unwrap_or(Path::new("/"))) else {
        return Ok(None);
    };
    let host = host.join("grubenv");
    if !std::fs::symlink_metadata(&host).is_ok_and(|m| m.file_type().is_symlink()) {
        return Ok(None);
    }
    let target = std::fs::read_link(&host).map_err(|source| LayoutError::Io {
        path: GRUBENV.to_string(),
        source,
    })?;
    fs.resolve_existing(GRUBENV)?;
    Ok(Some(target.display().to_string()))
}

/// The environment block beside `config` (what GRUB's preamble loads), else
/// `/boot/grub2/grubenv`, resolved inside the root.
fn grubenv_location(fs: &RootFs, config: Option<&str>) -> Result<String, LayoutError> {
    let expected = match config.and_then(|c| Path::new(c).parent()) {
        Some(dir) => dir.join("grubenv"),
        None => PathBuf::from(GRUBENV),
    };
    match fs.resolve_existing(&expected) {
        Ok(p) => Ok(p.display().to_string()),
        Err(ResolveError::Missing { .. }) => Err(LayoutError::NoGrubenv {
            expected: expected.display().to_string(),
        }),
        Err(e) => Err(e.into()),
    }
}

type Config = (String, GrubCfg);

/// The firmware and the `grub.cfg` GRUB reads (inside the root, parsed).
fn find_config(
    fs: &RootFs,
    efi: Option<bool>,
    grubenv_link: Option<&str>,
) -> Result<(Firmware, bool, Option<Config>), LayoutError> {
    let esp = esp_configs(fs)?;
    let bios = read_config(fs, BIOS_GRUB_CFG)?;
    let (firmware, known) = match efi {
        Some(true) => (Firmware::Uefi, true),
        Some(false) => (Firmware::Bios, true),
        None if !esp.is_empty() || grubenv_link.is_some_and(|t| t.contains("efi/EFI/")) => {
            (Firmware::Uefi, false)
        }
        None => (Firmware::Bios, false),
    };
    let config = match firmware {
        Firmware::Bios => bios,
        Firmware::Uefi => {
            // a stub only loads the real configuration (EL9+: /boot/grub2/grub.cfg)
            let mut real: Vec<Config> = esp
                .into_iter()
                .filter(|(_, c)| c.configfile.is_none() || !c.entries.is_empty() || c.blscfg)
                .collect();
            match real.len() {
                0 => bios,
                1 => real.pop(),
                _ => Some(own_vendor(fs, real)?),
            }
        }
    };
    Ok((firmware, known, config))
}

/// Of several ESP configurations, the one in this release's vendor directory.
fn own_vendor(fs: &RootFs, configs: Vec<Config>) -> Result<Config, LayoutError> {
    let id = super::os_release::read(fs)
        .map(|r| r.id)
        .unwrap_or_default();
    let dir = match id.as_str() {
        "rhel" | "ol" => "redhat",
        other => other,
    };
    let names: Vec<String> = configs.iter().map(|(p, _)| p.clone()).collect();
    configs
        .into_iter()
        .find(|(p, _)| {
            Path::new(p)
                .parent()
                .and_then(Path::file_name)
                .is_some_and(|n| n.to_string_lossy().eq_ignore_ascii_case(dir))
        })
        .ok_or(LayoutError::SeveralEspConfigs { configs: names })
}

/// `/boot/efi/EFI/<vendor>/grub.cfg` files (the removable-media `BOOT` directory aside).
fn esp_configs(fs: &RootFs) -> Result<Vec<Config>, LayoutError> {
    let Ok(dir) = fs.resolve_host(ESP_EFI_DIR) else {
        return Ok(Vec::new());
    };
    let Ok(rd) = std::fs::read_dir(&dir) else {
        return Ok(Vec::new());
    };
    let mut names: Vec<String> = rd
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| !n.eq_ignore_ascii_case("BOOT"))
        .collect();
    names.sort();
    let mut out = Vec::new();
    for name in names {
        if let Some(c) = read_config(fs, &format!("{ESP_EFI_DIR}/{name}/grub.cfg"))? {
            out.push(c);
        }
    }
    Ok(out)
}

/// A `grub.cfg` of the root, resolved strictly (`None` when missing).
fn read_config(fs: &RootFs, path: &str) -> Result<Option<Config>, LayoutError> {
    let resolved = match fs.resolve_existing(path) {
        Ok(p) => p,
        Err(ResolveError::Missing { .. }) => return Ok(None),
        Err(e) => return Err(e.into()),
    };
    if !fs.host_path(&resolved).is_file() {
        return Ok(None);
    }
    let io = |source| LayoutError::Io {
        path: path.to_string(),
        source,
    };
    let bytes = std::fs::read(fs.host_path(&resolved)).map_err(io)?;
    Ok(Some((
        resolved.display().to_string(),
        GrubCfg::parse(&String::from_utf8_lossy(&bytes)),
    )))
}

/// A menu-entry `grub.cfg` can carry the one-shot entry: it reads `next_entry`, and its
/// default entry (with the block's `saved_entry`) boots a kernel with an initramfs.
fn check_grub_cfg(
    fs: &RootFs,
    path: &str,
    cfg: &GrubCfg,
    grubenv: &str,
) -> Result<(), LayoutError> {
    if !(cfg.loads_env && cfg.reads_next_entry) {
        return Err(LayoutError::NoNextEntry {
            path: path.to_string(),
        });
    }
    let saved = saved_entry(fs, grubenv);
    let no_entry = |detail: String| LayoutError::NoDefaultEntry {
        path: path.to_string(),
        detail,
    };
    let entry = cfg
        .default_entry(saved.as_deref())
        .ok_or_else(|| no_entry("it has no menuentry".into()))?;
    if !entry.boots_a_kernel() {
        return Err(no_entry(format!(
            "the default entry {:?} (line {}) has no linux16/linuxefi/linux line with an initrd line",
            entry.title, entry.line
        )));
    }
    Ok(())
}

/// `saved_entry` of an environment block of the root.
pub fn saved_entry(fs: &RootFs, grubenv: &str) -> Option<String> {
    let bytes = fs.read_optional(grubenv).ok()??;
    super::kv::parse(&String::from_utf8_lossy(&bytes))
        .remove("saved_entry")
        .filter(|s| !s.is_empty())
}

/// Without a `grub.cfg`: BLS is in use when `/etc/default/grub` enables it, or when BLS
/// entries exist on a release that is not EL7.
fn uses_bls(fs: &RootFs) -> bool {
    let default_grub = fs
        .read_optional("/etc/default/grub")
        .ok()
        .flatten()
        .map(|b| super::kv::parse(&String::from_utf8_lossy(&b)))
        .unwrap_or_default();
    if let Some(v) = default_grub.get("GRUB_ENABLE_BLSCFG") {
        return v.trim().eq_ignore_ascii_case("true");
    }
    let el7 = super::os_release::read(fs).is_ok_and(|r| r.major_version() == "7");
    !el7 && fs
        .files_in(super::kernels::BLS_DIR, |n| n.ends_with(".conf"))
        .is_ok_and(|f| !f.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;
    use std::os::unix::fs::symlink;

    use leapfrog_testkit::grub::{El7Firmware, el7_grub_cfg};

    const KVERS: &[&str] = &["3.10.0-1160.119.1.el7.x86_64", "3.10.0-1160.el7.x86_64"];

    fn el7_cfg(firmware: El7Firmware) -> String {
        el7_grub_cfg(KVERS, firmware, "")
    }

    fn block(vars: &str) -> Vec<u8> {
        let mut b = format!("# GRUB Environment Block\n{vars}").into_bytes();
        b.resize(1024, b'#');
        b
    }

    fn write(root: &Path, path: &str, bytes: &[u8]) {
        let p = root.join(path.trim_start_matches('/'));
        fs::create_dir_all(p.parent().unwrap()).unwrap();
        fs::write(p, bytes).unwrap();
    }

    fn el7_uefi(root: &Path) {
        write(
            root,
            "/boot/efi/EFI/centos/grub.cfg",
            el7_cfg(El7Firmware::Uefi).as_bytes(),
        );
        write(
            root,
            "/boot/efi/EFI/centos/grubenv",
            &block("saved_entry=0\n"),
        );
        fs::create_dir_all(root.join("boot/grub2")).unwrap();
        symlink("../efi/EFI/centos/grubenv", root.join("boot/grub2/grubenv")).unwrap();
    }

    #[test]
    fn el7_bios_is_a_grub_cfg_layout() {
        let d = tempfile::tempdir().unwrap();
        write(
            d.path(),
            BIOS_GRUB_CFG,
            el7_cfg(El7Firmware::Bios).as_bytes(),
        );
        write(d.path(), GRUBENV, &block("saved_entry=1\n"));
        let s = read_setup(&RootFs::new(d.path()).unwrap(), None).unwrap();
        assert_eq!(
            s.layout,
            BootLayout::GrubCfg {
                path: BIOS_GRUB_CFG.into()
            }
        );
        assert_eq!((s.firmware, s.firmware_known), (Firmware::Bios, false));
        assert_eq!(s.grubenv, GRUBENV);
        assert_eq!(s.grubenv_link, None);
        assert_eq!(
            s.summary(),
            "grub.cfg menu entries (/boot/grub2/grub.cfg), BIOS (from the root's files), grubenv /boot/grub2/grubenv"
        );
        // known firmware
        let s = read_setup(&RootFs::new(d.path()).unwrap(), Some(false)).unwrap();
        assert!(s.firmware_known);
    }

    #[test]
    fn el7_uefi_uses_the_esp_config_and_its_grubenv() {
        let d = tempfile::tempdir().unwrap();
        el7_uefi(d.path());
        let s = read_setup(&RootFs::new(d.path()).unwrap(), None).unwrap();
        assert_eq!(
            s.layout,
            BootLayout::GrubCfg {
                path: "/boot/efi/EFI/centos/grub.cfg".into()
            }
        );
        assert_eq!(s.firmware, Firmware::Uefi);
        assert_eq!(s.grubenv, "/boot/efi/EFI/centos/grubenv");
        assert_eq!(s.grubenv_link.as_deref(), Some("../efi/EFI/centos/grubenv"));
        // a stale BIOS config beside it does not count on UEFI, nor the ESP one on BIOS
        write(d.path(), BIOS_GRUB_CFG, b"insmod blscfg\nblscfg\n");
        let s = read_setup(&RootFs::new(d.path()).unwrap(), Some(true)).unwrap();
        assert!(matches!(s.layout, BootLayout::GrubCfg { .. }));
        let s = read_setup(&RootFs::new(d.path()).unwrap(), Some(false)).unwrap();
        assert_eq!(s.layout, BootLayout::Bls);
        assert_eq!(s.grub_cfg.as_deref(), Some(BIOS_GRUB_CFG));
        // the BIOS config's grubenv is the link to the ESP one
        assert_eq!(s.grubenv, "/boot/efi/EFI/centos/grubenv");
    }

    #[test]
    fn el8_and_el9_are_bls_with_the_grubenv_grub_loads() {
        // EL8 UEFI: the real config on the ESP, /boot/grub2/grubenv a link to the ESP block
        let d = tempfile::tempdir().unwrap();
        write(
            d.path(),
            "/boot/efi/EFI/almalinux/grub.cfg",
            b"load_env\nset default=\"${next_entry}\"\ninsmod blscfg\nblscfg\n",
        );
        write(d.path(), "/boot/efi/EFI/almalinux/grubenv", &block(""));
        write(
            d.path(),
            "/boot/efi/EFI/BOOT/grub.cfg",
            b"menuentry 'x' {\n}\n",
        );
        fs::create_dir_all(d.path().join("boot/grub2")).unwrap();
        symlink(
            "/boot/efi/EFI/almalinux/grubenv",
            d.path().join("boot/grub2/grubenv"),
        )
        .unwrap();
        let s = read_setup(&RootFs::new(d.path()).unwrap(), None).unwrap();
        assert_eq!(
            (s.layout.clone(), s.firmware),
            (BootLayout::Bls, Firmware::Uefi)
        );
        assert_eq!(s.grubenv, "/boot/efi/EFI/almalinux/grubenv");
        // EL9 UEFI: an ESP stub, the real config and grubenv in /boot/grub2
        let d = tempfile::tempdir().unwrap();
        write(
            d.path(),
            "/boot/efi/EFI/almalinux/grub.cfg",
            b"search --no-floppy --fs-uuid --set=dev 1234\nset prefix=($dev)/grub2\nexport $prefix\nconfigfile $prefix/grub.cfg\n",
        );
        write(
            d.path(),
            BIOS_GRUB_CFG,
            b"load_env\ninsmod blscfg\nblscfg\n",
        );
        write(d.path(), GRUBENV, &block(""));
        let s = read_setup(&RootFs::new(d.path()).unwrap(), None).unwrap();
        assert_eq!((s.layout, s.firmware), (BootLayout::Bls, Firmware::Uefi));
        assert_eq!(s.grub_cfg.as_deref(), Some(BIOS_GRUB_CFG));
        assert_eq!(s.grubenv, GRUBENV);
        // no grub.cfg at all, GRUB_ENABLE_BLSCFG=true (the testkit's EL8+ roots)
        let d = tempfile::tempdir().unwrap();
        write(d.path(), "/etc/default/grub", b"GRUB_ENABLE_BLSCFG=true\n");
        write(d.path(), GRUBENV, &block(""));
        let s = read_setup(&RootFs::new(d.path()).unwrap(), None).unwrap();
        assert_eq!((s.layout, s.firmware), (BootLayout::Bls, Firmware::Bios));
    }

    #[test]
    fn roots_without_a_usable_layout_are_refused_with_the_reason() {
        let err = |d: &Path| read_setup(&RootFs::new(d).unwrap(), None).unwrap_err();
        // EL7 without grub.cfg: nothing to write into
        let d = tempfile::tempdir().unwrap();
        write(d.path(), "/etc/os-release", b"ID=centos\nVERSION_ID=7\n");
        write(d.path(), "/etc/default/grub", b"GRUB_DEFAULT=saved\n");
        write(d.path(), GRUBENV, &block(""));
        assert!(matches!(err(d.path()), LayoutError::NoConfig));
        // a grub.cfg that never reads next_entry
        write(
            d.path(),
            BIOS_GRUB_CFG,
            b"set default=0\nmenuentry 'a' {\n linux16 /v\n initrd16 /i\n}\n",
        );
        let e = err(d.path());
        assert!(matches!(e, LayoutError::NoNextEntry { .. }), "{e}");
        assert!(e.to_string().contains("next_entry"), "{e}");
        // no menu entry, or a default entry without a kernel and initrd
        let head = "load_env\nset default=\"${next_entry}\"\nset default=\"${saved_entry}\"\n";
        write(d.path(), BIOS_GRUB_CFG, head.as_bytes());
        assert!(err(d.path()).to_string().contains("it has no menuentry"));
        write(
            d.path(),
            BIOS_GRUB_CFG,
            format!("{head}menuentry 'xen' {{\n multiboot /xen.gz\n module /vmlinuz\n}}\n")
                .as_bytes(),
        );
        let e = err(d.path());
        assert!(matches!(e, LayoutError::NoDefaultEntry { .. }), "{e}");
        assert!(e.to_string().contains("\"xen\" (line 4)"), "{e}");
        // the same file with a kernel entry is fine
        write(
            d.path(),
            BIOS_GRUB_CFG,
            format!(
                "{head}menuentry 'k' {{\n linux16 /vmlinuz root=/dev/sda1\n initrd16 /initrd\n}}\n"
            )
            .as_bytes(),
        );
        read_setup(&RootFs::new(d.path()).unwrap(), None).unwrap();
        // no grubenv where GRUB loads it
        fs::remove_file(d.path().join("boot/grub2/grubenv")).unwrap();
        let e = err(d.path());
        assert!(
            e.to_string()
                .contains("no GRUB environment block at /boot/grub2/grubenv"),
            "{e}"
        );
    }

    #[test]
    fn el7_on_uefi_without_the_esp_config_is_refused() {
        // the ESP not mounted: only the BIOS grub.cfg is there, GRUB on UEFI never reads it
        let d = tempfile::tempdir().unwrap();
        write(
            d.path(),
            BIOS_GRUB_CFG,
            el7_cfg(El7Firmware::Uefi).as_bytes(),
        );
        write(d.path(), GRUBENV, &block(""));
        let fs = RootFs::new(d.path()).unwrap();
        let e = read_setup(&fs, Some(true)).unwrap_err();
        assert!(matches!(e, LayoutError::NoEspConfig { .. }), "{e}");
        assert!(
            e.to_string()
                .contains("is the EFI system partition mounted"),
            "{e}"
        );
        // the same root on BIOS is fine
        read_setup(&fs, Some(false)).unwrap();
        read_setup(&fs, None).unwrap();
    }

    #[test]
    fn a_grubenv_link_out_of_the_root_or_to_nothing_is_refused() {
        let outer = tempfile::tempdir().unwrap();
        let root = outer.path().join("root");
        write(&root, "/etc/default/grub", b"GRUB_ENABLE_BLSCFG=true\n");
        fs::create_dir_all(root.join("boot/grub2")).unwrap();
        fs::write(outer.path().join("grubenv"), block("")).unwrap();
        symlink("../../../grubenv", root.join("boot/grub2/grubenv")).unwrap();
        let e = read_setup(&RootFs::new(&root).unwrap(), None).unwrap_err();
        assert!(e.to_string().contains("leads out of the root"), "{e}");
        assert!(read_grubenv_location(&RootFs::new(&root).unwrap(), None).is_err());
        fs::remove_file(root.join("boot/grub2/grubenv")).unwrap();
        // the ESP not mounted: the EL8 UEFI link leads nowhere
        symlink(
            "../efi/EFI/almalinux/grubenv",
            root.join("boot/grub2/grubenv"),
        )
        .unwrap();
        let e = read_setup(&RootFs::new(&root).unwrap(), None).unwrap_err();
        assert!(e.to_string().contains("which does not exist"), "{e}");
    }

    #[test]
    fn several_esp_configs_pick_the_releases_own_directory() {
        let d = tempfile::tempdir().unwrap();
        el7_uefi(d.path());
        write(
            d.path(),
            "/boot/efi/EFI/almalinux/grub.cfg",
            el7_cfg(El7Firmware::Bios).as_bytes(),
        );
        write(d.path(), "/etc/os-release", b"ID=centos\nVERSION_ID=7\n");
        let s = read_setup(&RootFs::new(d.path()).unwrap(), None).unwrap();
        assert_eq!(s.grub_cfg.as_deref(), Some("/boot/efi/EFI/centos/grub.cfg"));
        write(d.path(), "/etc/os-release", b"ID=rocky\nVERSION_ID=8\n");
        let e = read_setup(&RootFs::new(d.path()).unwrap(), None).unwrap_err();
        assert!(matches!(e, LayoutError::SeveralEspConfigs { .. }), "{e}");
    }
}
