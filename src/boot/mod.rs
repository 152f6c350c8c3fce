//! The boot loader side of an upgrade: the upgrade environment (kernel and initramfs that run
//! `leapfrog offline`), its boot entry and the one-shot selection of that entry in the GRUB
//! environment block (`next_entry`, what `grub2-reboot` sets: GRUB boots it once and clears it,
//! so a crash or power cut falls back to the old default entry), and the boot loader changes of
//! the upgraded system.
//!
//! The entry follows the root's boot layout ([`layout::detect`], [`BootLayout`]): a BLS file
//! `leapfrog-upgrade.conf` (EL8 and later), or a `menuentry` block appended to the `grub.cfg`
//! GRUB reads (EL7, BIOS or UEFI; [`grub_cfg`]), removed again byte for byte. `next_entry` is
//! written into the environment block GRUB loads, through a symbolic link when
//! `/boot/grub2/grubenv` is one.
//!
//! - [`stage`] / [`unstage`] / [`arm`] / [`disarm`]: the upgrade environment, recorded in
//!   [`staged::Staged`] (`staged.json`, with the layout it was written for);
//! - [`layout`]: the boot layout, the grubenv GRUB loads;
//! - [`entries`]: the kernel command line, BLS entries, the default entry, the kernels;
//! - [`grub_cfg`]: leapfrog's entry in a `grub.cfg` of menu entries;
//! - [`grubenv`]: the GRUB environment block;
//! - [`firstboot`]: the first-boot service of the upgraded system.
//!
//! See `docs/offline.md`.

pub mod entries;
pub mod firstboot;
pub mod grub_cfg;
pub mod grubenv;
pub mod layout;
pub mod staged;

use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::process::Command;

use leapfrog_actors::facts::grub_cfg::{GrubCfg, MenuEntry};
use leapfrog_actors::facts::rootfs::ResolveError;
use leapfrog_base::atomic::{Failpoints as AtomicFailpoints, replace_atomic};
use leapfrog_base::failpoints::FailpointError;
use leapfrog_base::time::now;

pub use layout::{BootLayout, BootSetup, Firmware, LayoutError};
pub use staged::Staged;

use crate::document::{Document as _, DocumentError};
use crate::workspace::{ENTRY_ID, Workspace};

/// Where the leapfrog dracut module is installed on the host that builds the initramfs.
pub const DRACUT_MODULE_DIR: &str = "/usr/lib/dracut/modules.d/90leapfrog";
/// Kernel arguments of the upgrade boot: SELinux permissive as leapp does, no splash, and the
/// switch that makes the initramfs run `leapfrog offline`.
pub const UPGRADE_ARGS: &[&str] = &[
    "enforcing=0",
    "rd.plymouth=0",
    "plymouth.enable=0",
    "leapfrog.upgrade=1",
];
/// Kernel arguments of the installed system that must not reach the upgrade boot.
const DROPPED_ARGS: &[&str] = &["rhgb", "quiet", "splash", "ro"];
/// Keys (`key=...`) dropped too: the upgrade environment never resumes a hibernated system
/// (and would wait for the swap device).
const DROPPED_KEYS: &[&str] = &["resume"];
/// How many times the upgrade environment is booted before leapfrog gives up on it and rolls
/// back (a crash or power cut in the initramfs re-arms the one-shot entry; a loop is bounded).
pub const MAX_ATTEMPTS: u32 = 3;

/// Errors of the boot loader side.
#[derive(Debug, thiserror::Error)]
pub enum BootError {
    /// A file operation failed.
    #[error("cannot {op} {}", path.display())]
    Io {
        /// What was being done.
        op: &'static str,
        /// On which path.
        path: PathBuf,
        /// The error.
        #[source]
        source: io::Error,
    },
    /// An external command failed.
    #[error("{command} failed: {detail}")]
    Command {
        /// The command line.
        command: String,
        /// Exit status and output.
        detail: String,
    },
    /// Something is missing or inconsistent.
    #[error("{0}")]
    Invalid(String),
    /// The boot layout cannot carry a one-shot boot, or a path of it leads out of the root.
    #[error(transparent)]
    Layout(#[from] LayoutError),
    /// The staging record.
    #[error(transparent)]
    Record(#[from] DocumentError),
    /// A failpoint fired (crash tests).
    #[error(transparent)]
    Failpoint(#[from] FailpointError),
}

pub(crate) fn io_err(op: &'static str, path: &Path) -> impl FnOnce(io::Error) -> BootError + use<> {
    let path = path.to_path_buf();
    move |source| BootError::Io { op, path, source }
}

pub(crate) fn remove_if_present(p: &Path) -> Result<(), BootError> {
    match fs::remove_file(p) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(io_err("remove", p)(e)),
    }
}

pub(crate) fn run(cmd: &mut Command) -> Result<String, BootError> {
    let line = format!("{cmd:?}").replace('"', "");
    let out = cmd.output().map_err(|e| BootError::Command {
        command: line.clone(),
        detail: e.to_string(),
    })?;
    if !out.status.success() {
        let stderr = String::from_utf8_lossy(&out.stderr);
        let tail: Vec<&str> = stderr.lines().rev().take(12).collect();
        return Err(BootError::Command {
            command: line,
            detail: format!(
                "{}: {}",
                out.status,
                tail.into_iter().rev().collect::<Vec<_>>().join("\n")
            ),
        });
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// What [`stage`] needs.
#[derive(Debug, Clone)]
pub struct StageOptions {
    /// The kernel image that boots the upgrade environment.
    pub kernel: PathBuf,
    /// Its version (for dracut: modules in `/lib/modules/<kver>` of the host running dracut).
    pub kver: String,
    /// Extra kernel arguments (`key=value` replaces the same key).
    pub kernel_args: Vec<String>,
    /// Extra arguments for dracut.
    pub dracut_args: Vec<String>,
    /// The snapshot backend for the offline apply.
    pub snapshot: String,
    /// `--snapshot none` acknowledged.
    pub accept_no_rollback: bool,
    /// The plan ([`crate::plan::PlanDocument::plan_id`]).
    pub plan_id: String,
}

/// Builds the upgrade environment into `/boot/leapfrog/` (the kernel copied, the initramfs
/// built by the host's `dracut --add leapfrog`), writes its entry where the root's boot layout
/// wants it (a BLS file, or a `menuentry` block of the EL7 `grub.cfg`) and selects it once in
/// the grubenv GRUB loads. Replaces an earlier staging of the same root.
///
/// # Errors
///
/// The dracut module is not installed, the boot layout cannot carry a one-shot boot
/// ([`BootError::Layout`]), dracut fails, the boot files cannot be written, a failpoint
/// (`stage-grub-cfg`).
pub fn stage(ws: &Workspace, opts: &StageOptions) -> Result<Staged, BootError> {
    // LEAPFROG_DRACUT names another dracut (a wrapper, or the target userspace's); it is then
    // responsible for providing the module
    let dracut_cmd = std::env::var(leapfrog_base::env::DRACUT).unwrap_or_else(|_| "dracut".into());
    if dracut_cmd == "dracut"
        && !Path::new(DRACUT_MODULE_DIR)
            .join("module-setup.sh")
            .is_file()
    {
        return Err(BootError::Invalid(format!(
            "the leapfrog dracut module is not installed in {DRACUT_MODULE_DIR} (it ships in the leapfrog package; from a source tree: install -D -t {DRACUT_MODULE_DIR} dracut/90leapfrog/*)"
        )));
    }
    stage_with(ws, opts, |initramfs| {
        let mut dracut = Command::new(&dracut_cmd);
        // the module installs the binary that runs it
        if let Ok(exe) = std::env::current_exe() {
            dracut.env(leapfrog_base::env::BINARY, exe);
        }
        dracut
            .args(["--force", "--quiet", "--no-hostonly", "--add", "leapfrog"])
            .args(["--kver", &opts.kver])
            .args(&opts.dracut_args)
            .arg(initramfs);
        run(&mut dracut).map(drop)
    })
}

/// [`stage`] with the initramfs built by `build` (dracut; the unit tests write a placeholder).
fn stage_with(
    ws: &Workspace,
    opts: &StageOptions,
    build: impl FnOnce(&Path) -> Result<(), BootError>,
) -> Result<Staged, BootError> {
    let setup = layout::detect(ws)?;
    let block = grubenv::read_at(&layout::resolve(ws, &setup.grubenv)?)?;
    // where the entry goes, and the installed command line it starts from
    let target = match &setup.layout {
        BootLayout::Bls => EntryTarget::Bls {
            installed: entries::installed_cmdline(ws)?,
        },
        BootLayout::GrubCfg { path } => {
            EntryTarget::grub_cfg(ws, path, grubenv::get(&block, "saved_entry"))?
        }
    };
    let options = entries::upgrade_cmdline(target.installed(), &opts.kernel_args);

    let dir = ws.upgrade_boot_dir();
    fs::create_dir_all(&dir).map_err(io_err("create", &dir))?;
    let kernel = dir.join("vmlinuz-upgrade");
    fs::copy(&opts.kernel, &kernel).map_err(io_err("copy the kernel to", &kernel))?;
    let initramfs = dir.join("initramfs-upgrade.img");
    build(&initramfs)?;

    let rel = |p: &Path| {
        format!(
            "/{}",
            p.strip_prefix(ws.root()).unwrap_or(p).to_string_lossy()
        )
    };
    let title = "leapfrog offline upgrade";
    let entry = match &target {
        EntryTarget::Bls { .. } => {
            // the boot loader sees /boot as its top when /boot is separate
            let boot_rel = |p: &Path| {
                let inside = rel(p);
                if entries::boot_is_separate(ws) {
                    inside.strip_prefix("/boot").unwrap_or(&inside).to_string()
                } else {
                    inside
                }
            };
            let entry = ws.upgrade_entry_path();
            if let Some(d) = entry.parent() {
                fs::create_dir_all(d).map_err(io_err("create", d))?;
            }
            let text = format!(
                "title {title}\nversion {kver}\nlinux {linux}\ninitrd {initrd}\noptions {options}\nid {ENTRY_ID}\ngrub_class kernel\n",
                kver = opts.kver,
                linux = boot_rel(&kernel),
                initrd = boot_rel(&initramfs),
            );
            fs::write(&entry, text).map_err(io_err("write", &entry))?;
            rel(&entry)
        }
        EntryTarget::GrubCfg(t) => {
            let GrubCfgTarget {
                inside,
                file,
                text,
                cfg,
                default,
                prefix,
                ..
            } = t.as_ref();
            let upgrade_dir = format!("{prefix}/{}", UPGRADE_DIR_NAME);
            let kernel_path = format!("{upgrade_dir}/vmlinuz-upgrade");
            let initrd_path = format!("{upgrade_dir}/initramfs-upgrade.img");
            let menuentry = grub_cfg::entry_text(
                cfg,
                default,
                &grub_cfg::UpgradeEntry {
                    title,
                    kernel: &kernel_path,
                    initrd: &initrd_path,
                    options: &options,
                },
            );
            let new = grub_cfg::insert(text, &menuentry)
                .map_err(|e| BootError::Invalid(format!("{inside}: {e}")))?;
            leapfrog_base::failpoints::fail_point("stage-grub-cfg")?;
            replace_atomic(file, new.as_bytes(), AtomicFailpoints::NONE)
                .map_err(io_err("write", file))?;
            inside.clone()
        }
    };

    let previous = Staged::load(ws)?;
    let previous_next_entry = match &previous {
        Some(p) => p.previous_next_entry.clone(),
        None => grubenv::get(&block, "next_entry").filter(|v| v != ENTRY_ID),
    };
    grubenv::write_var_in(ws, &setup.grubenv, "next_entry", Some(ENTRY_ID), None)?;

    let staged = Staged {
        schema: staged::SCHEMA.to_string(),
        plan_id: opts.plan_id.clone(),
        created: now(),
        kver: opts.kver.clone(),
        kernel: rel(&kernel),
        initramfs: rel(&initramfs),
        entry,
        options,
        snapshot: opts.snapshot.clone(),
        accept_no_rollback: opts.accept_no_rollback,
        previous_next_entry,
        attempts: 0,
        finished: None,
        boot: Some(setup),
    };
    staged.save(ws)?;
    Ok(staged)
}

/// The name of `/boot/leapfrog` inside `/boot`.
const UPGRADE_DIR_NAME: &str = "leapfrog";

/// Where [`stage`] writes the entry, and the installed command line it starts from.
enum EntryTarget {
    /// A BLS file; the command line of [`entries::installed_cmdline`].
    Bls {
        /// The installed command line.
        installed: String,
    },
    /// A block of a `grub.cfg`, modelled on its default entry (whose command line it takes).
    GrubCfg(Box<GrubCfgTarget>),
}

/// The `grub.cfg` [`stage`] writes its entry into.
struct GrubCfgTarget {
    /// The file inside the root.
    inside: String,
    /// Its host path (links resolved inside the root).
    file: PathBuf,
    /// Its text.
    text: String,
    /// Parsed.
    cfg: GrubCfg,
    /// The default entry.
    default: MenuEntry,
    /// How GRUB names the root's `/boot` in the default entry (`` or `/boot`).
    prefix: String,
    /// The installed command line.
    installed: String,
}

impl EntryTarget {
    /// The `grub.cfg` at `inside` with its default entry (`saved_entry` resolved), checked:
    /// it boots a kernel of the root's `/boot`.
    fn grub_cfg(ws: &Workspace, inside: &str, saved: Option<String>) -> Result<Self, BootError> {
        let file = layout::resolve(ws, inside)?;
        let text = String::from_utf8(fs::read(&file).map_err(io_err("read", &file))?)
            .map_err(|_| BootError::Invalid(format!("{inside} is not UTF-8 text")))?;
        let cfg = GrubCfg::parse(&text);
        let invalid = |detail: String| {
            BootError::Layout(LayoutError::NoDefaultEntry {
                path: inside.to_string(),
                detail,
            })
        };
        let default = cfg
            .default_entry(saved.as_deref())
            .filter(|e| e.boots_a_kernel())
            .cloned()
            .ok_or_else(|| invalid("no default entry that boots a kernel with an initrd".into()))?;
        let linux = default
            .linux
            .clone()
            .ok_or_else(|| invalid("no kernel line".into()))?;
        let prefix = grub_cfg::boot_prefix(&default).unwrap_or_default();
        // the entry's files must be the root's /boot: leapfrog's go beside them
        let image = linux.path.rsplit('/').next().unwrap_or_default();
        if image.is_empty() || !ws.boot_dir().join(image).is_file() {
            return Err(invalid(format!(
                "its kernel {} is not a file of the root's /boot, so leapfrog cannot tell where GRUB would find /boot/leapfrog",
                linux.path
            )));
        }
        let installed = if linux.args.contains("root=") {
            linux.args.clone()
        } else {
            entries::installed_cmdline(ws)?
        };
        Ok(EntryTarget::GrubCfg(Box::new(GrubCfgTarget {
            inside: inside.to_string(),
            file,
            text,
            cfg,
            default,
            prefix,
            installed,
        })))
    }

    fn installed(&self) -> &str {
        match self {
            EntryTarget::Bls { installed } => installed,
            EntryTarget::GrubCfg(t) => &t.installed,
        }
    }
}

/// The grubenv `staged` wrote `next_entry` into (records without the layout: the one GRUB
/// loads now), as a path inside the root.
fn staged_grubenv(ws: &Workspace, staged: Option<&Staged>) -> Result<String, BootError> {
    match staged.and_then(|s| s.boot.as_ref()) {
        Some(setup) => Ok(setup.grubenv.clone()),
        None => {
            let host = layout::grubenv_path(ws)?;
            Ok(format!(
                "/{}",
                host.strip_prefix(ws.root())
                    .unwrap_or(&host)
                    .to_string_lossy()
            ))
        }
    }
}

/// Selects leapfrog's entry for the next boot (again): `next_entry=leapfrog-upgrade` in the
/// grubenv the staging wrote.
///
/// # Errors
///
/// No usable grubenv.
pub fn arm(ws: &Workspace, staged: &Staged) -> Result<(), BootError> {
    let env = staged_grubenv(ws, Some(staged))?;
    grubenv::write_var_in(ws, &env, "next_entry", Some(ENTRY_ID), None)
}

/// Gives the next boot back to the old system: `next_entry` as it was before staging.
///
/// # Errors
///
/// No usable grubenv.
pub fn disarm(ws: &Workspace, staged: &Staged) -> Result<(), BootError> {
    let env = staged_grubenv(ws, Some(staged))?;
    grubenv::write_var_in(
        ws,
        &env,
        "next_entry",
        staged.previous_next_entry.as_deref(),
        None,
    )
}

/// Removes the entry (the BLS file, or leapfrog's block of `grub.cfg`: the file is then byte
/// for byte what it was before staging) and the one-shot selection (restoring the previous
/// `next_entry`), and, with `files`, the upgrade kernel and initramfs. The staging record is
/// kept (with `finished`) when `keep_record`, removed otherwise.
///
/// # Errors
///
/// When a file cannot be removed or written, or a failpoint (`unstage-grub-cfg`).
pub fn unstage(
    ws: &Workspace,
    files: bool,
    keep_record: bool,
) -> Result<Option<Staged>, BootError> {
    let staged = Staged::load(ws)?;
    if let Ok(env) = staged_grubenv(ws, staged.as_ref())
        && let Ok(file) = layout::resolve(ws, &env)
        && let Ok(block) = grubenv::read_at(&file)
        && grubenv::get(&block, "next_entry").as_deref() == Some(ENTRY_ID)
    {
        let previous = staged.as_ref().and_then(|s| s.previous_next_entry.clone());
        grubenv::write_var_in(ws, &env, "next_entry", previous.as_deref(), None)?;
    }
    remove_if_present(&ws.upgrade_entry_path())?;
    // the grub.cfg the record names; without a record, the one of the layout (best effort)
    let grub_cfg = match staged.as_ref().and_then(|s| s.boot.as_ref()) {
        Some(setup) => match &setup.layout {
            BootLayout::GrubCfg { path } => Some(path.clone()),
            BootLayout::Bls => None,
        },
        None => layout::detect(ws).ok().and_then(|s| match s.layout {
            BootLayout::GrubCfg { path } => Some(path),
            BootLayout::Bls => None,
        }),
    };
    if let Some(inside) = grub_cfg {
        remove_grub_cfg_entry(ws, &inside)?;
    }
    if files {
        let dir = ws.upgrade_boot_dir();
        if dir.exists() {
            fs::remove_dir_all(&dir).map_err(io_err("remove", &dir))?;
        }
    }
    match (&staged, keep_record) {
        (Some(s), true) => {
            let mut s = s.clone();
            s.finished.get_or_insert_with(now);
            s.save(ws)?;
            Ok(Some(s))
        }
        (_, _) => {
            Staged::remove(ws)?;
            Ok(staged)
        }
    }
}

/// Cuts leapfrog's block out of the `grub.cfg` at `inside` (nothing when the file or the block
/// is gone, e.g. after `grub2-mkconfig`).
fn remove_grub_cfg_entry(ws: &Workspace, inside: &str) -> Result<(), BootError> {
    let file = match layout::resolve(ws, inside) {
        Ok(f) => f,
        Err(BootError::Layout(LayoutError::Path(ResolveError::Missing { .. }))) => return Ok(()),
        Err(e) => return Err(e),
    };
    let text =
        String::from_utf8(fs::read(&file).map_err(io_err("read", &file))?).map_err(|_| {
            BootError::Invalid(format!(
                "{inside} is not UTF-8 text: leapfrog's entry is not removed from it"
            ))
        })?;
    let Some(without) =
        grub_cfg::remove(&text).map_err(|e| BootError::Invalid(format!("{inside}: {e}")))?
    else {
        return Ok(());
    };
    leapfrog_base::failpoints::fail_point("unstage-grub-cfg")?;
    replace_atomic(&file, without.as_bytes(), AtomicFailpoints::NONE)
        .map_err(io_err("write", &file))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::boot::grubenv::block;

    #[test]
    fn arming_and_unstaging_keep_the_other_variables() {
        let d = tempfile::tempdir().unwrap();
        let r = d.path();
        let ws = Workspace::open(r).unwrap();
        fs::create_dir_all(r.join("boot/grub2")).unwrap();
        fs::create_dir_all(r.join("boot/loader/entries")).unwrap();
        fs::create_dir_all(r.join("var/lib/leapfrog")).unwrap();
        fs::write(
            r.join("boot/grub2/grubenv"),
            block("saved_entry=old\nnext_entry=rescue\n"),
        )
        .unwrap();
        let staged = Staged {
            schema: staged::SCHEMA.into(),
            plan_id: "sha256:p".into(),
            created: now(),
            kver: "k".into(),
            kernel: "/boot/leapfrog/vmlinuz-upgrade".into(),
            initramfs: "/boot/leapfrog/initramfs-upgrade.img".into(),
            entry: format!("/boot/loader/entries/{ENTRY_ID}.conf"),
            options: String::new(),
            snapshot: "auto".into(),
            accept_no_rollback: false,
            previous_next_entry: Some("rescue".into()),
            attempts: 0,
            finished: None,
            boot: None,
        };
        staged.save(&ws).unwrap();
        fs::write(r.join(&staged.entry[1..]), "title x\n").unwrap();
        arm(&ws, &staged).unwrap();
        let env = fs::read(r.join("boot/grub2/grubenv")).unwrap();
        assert_eq!(env.len(), 1024);
        assert_eq!(grubenv::get(&env, "next_entry").as_deref(), Some(ENTRY_ID));
        assert_eq!(grubenv::get(&env, "saved_entry").as_deref(), Some("old"));
        let s = unstage(&ws, true, true).unwrap().unwrap();
        assert!(s.finished.is_some());
        let env = fs::read(r.join("boot/grub2/grubenv")).unwrap();
        assert_eq!(grubenv::get(&env, "next_entry").as_deref(), Some("rescue"));
        assert!(!r.join(&staged.entry[1..]).exists());
        assert!(Staged::load(&ws).unwrap().is_some());
        unstage(&ws, true, false).unwrap();
        assert!(Staged::load(&ws).unwrap().is_none());
    }
}

/// Staging and unstaging on the real source layouts (synthetic roots following the structure
/// of EL7 BIOS/UEFI and EL8 UEFI installations), the initramfs a placeholder instead of dracut.
#[cfg(test)]
mod layout_tests {
    use super::*;
    use crate::boot::grubenv::block;
    use leapfrog_testkit::grub::{EL7_GRUB_CFG_HEAD, El7Firmware, el7_grub_cfg, el7_title};
    use std::os::unix::fs::symlink;

    const KVER: &str = "3.10.0-1160.119.1.el7.x86_64";

    fn grub_cfg(firmware: El7Firmware, prefix: &str) -> String {
        el7_grub_cfg(&[KVER, "3.10.0-1160.el7.x86_64"], firmware, prefix)
    }

    fn title() -> String {
        el7_title(KVER)
    }

    fn write(root: &Path, path: &str, bytes: impl AsRef<[u8]>) {
        let p = root.join(path.trim_start_matches('/'));
        fs::create_dir_all(p.parent().unwrap()).unwrap();
        fs::write(p, bytes).unwrap();
    }

    /// An EL7 root with its kernels in `/boot`, booted by BIOS from `/boot/grub2/grub.cfg`.
    fn el7_bios() -> tempfile::TempDir {
        let d = tempfile::tempdir().unwrap();
        let r = d.path();
        write(r, "/etc/os-release", "ID=centos\nVERSION_ID=7\n");
        write(
            r,
            "/etc/default/grub",
            "GRUB_DEFAULT=saved\nGRUB_DISABLE_SUBMENU=true\n",
        );
        write(r, &format!("/boot/vmlinuz-{KVER}"), "kernel");
        write(r, "/boot/grub2/grub.cfg", grub_cfg(El7Firmware::Bios, ""));
        write(
            r,
            "/boot/grub2/grubenv",
            block(&format!("saved_entry={}\n", title())),
        );
        fs::create_dir_all(r.join("var/lib/leapfrog")).unwrap();
        d
    }

    /// An EL7 root booted by UEFI: the real `grub.cfg` and grubenv on the EFI system
    /// partition, `/boot/grub2/grubenv` a link to the latter.
    fn el7_uefi() -> tempfile::TempDir {
        let d = tempfile::tempdir().unwrap();
        let r = d.path();
        write(r, "/etc/os-release", "ID=centos\nVERSION_ID=7\n");
        write(r, "/etc/default/grub", "GRUB_DEFAULT=saved\n");
        write(r, &format!("/boot/vmlinuz-{KVER}"), "kernel");
        write(
            r,
            "/boot/efi/EFI/centos/grub.cfg",
            grub_cfg(El7Firmware::Uefi, ""),
        );
        write(
            r,
            "/boot/efi/EFI/centos/grubenv",
            block(&format!("saved_entry={}\n", title())),
        );
        fs::create_dir_all(r.join("boot/grub2")).unwrap();
        symlink("../efi/EFI/centos/grubenv", r.join("boot/grub2/grubenv")).unwrap();
        fs::create_dir_all(r.join("var/lib/leapfrog")).unwrap();
        d
    }

    fn options(root: &Path) -> StageOptions {
        let kernel = root.join("kernel-for-the-upgrade");
        fs::write(&kernel, "upgrade kernel").unwrap();
        StageOptions {
            kernel,
            kver: "6.1.0-28-amd64".into(),
            kernel_args: vec!["console=ttyS0".into()],
            dracut_args: Vec::new(),
            snapshot: "auto".into(),
            accept_no_rollback: false,
            plan_id: "sha256:plan".into(),
        }
    }

    fn placeholder(initramfs: &Path) -> Result<(), BootError> {
        fs::write(initramfs, "initramfs").map_err(io_err("write", initramfs))
    }

    fn read(root: &Path, path: &str) -> Vec<u8> {
        fs::read(root.join(path.trim_start_matches('/'))).unwrap()
    }

    /// Stages, checks what GRUB would boot, unstages, and checks the files are as before.
    fn stage_and_unstage(root: &Path, cfg: &str, env: &str, commands: (&str, &str)) -> String {
        let ws = Workspace::open(root).unwrap();
        let (cfg_before, env_before) = (read(root, cfg), read(root, env));
        let staged = stage_with(&ws, &options(root), placeholder).unwrap();
        let setup = staged.boot.clone().unwrap();
        assert_eq!(setup.layout, BootLayout::GrubCfg { path: cfg.into() });
        assert_eq!(setup.grubenv, env);
        assert_eq!(staged.entry, cfg);
        assert!(staged.pending_in(&ws));
        // no BLS entry: EL7's GRUB would never read it
        assert!(!ws.upgrade_entry_path().exists());
        // grubenv selects leapfrog's entry once, the default is untouched
        let env_now = read(root, env);
        assert_eq!(
            grubenv::get(&env_now, "next_entry").as_deref(),
            Some(ENTRY_ID)
        );
        assert_eq!(grubenv::get(&env_now, "saved_entry"), Some(title()));
        // what GRUB boots with that next_entry: the upgrade kernel from the same /boot
        let text = String::from_utf8(read(root, cfg)).unwrap();
        assert!(text.starts_with(std::str::from_utf8(&cfg_before).unwrap()));
        let parsed = GrubCfg::parse(&text);
        let e = parsed.default_entry(Some(ENTRY_ID)).unwrap();
        assert_eq!(e.id.as_deref(), Some(ENTRY_ID));
        let linux = e.linux.as_ref().unwrap();
        assert_eq!(linux.command, commands.0);
        assert_eq!(linux.path, "/leapfrog/vmlinuz-upgrade");
        assert_eq!(
            linux.args,
            "root=/dev/mapper/centos-root crashkernel=auto rd.lvm.lv=centos/root LANG=en_US.UTF-8 rw enforcing=0 rd.plymouth=0 plymouth.enable=0 leapfrog.upgrade=1 console=ttyS0"
        );
        assert_eq!(linux.args, staged.options);
        let initrd = e.initrd.as_ref().unwrap();
        assert_eq!(
            (initrd.command.as_str(), initrd.paths.as_slice()),
            (
                commands.1,
                ["/leapfrog/initramfs-upgrade.img".to_string()].as_slice()
            )
        );
        assert!(e.unrestricted);
        assert!(
            e.body
                .iter()
                .any(|l| l.contains("search --no-floppy --fs-uuid --set=root 6c1f-boot"))
        );
        assert!(
            e.body
                .iter()
                .any(|l| l.trim().starts_with("set root='hd0,"))
        );
        // without next_entry GRUB still boots the old default
        assert_eq!(parsed.default_entry(Some(&title())).unwrap().title, title());
        // a re-arm (the offline stage) and a second staging keep one entry
        arm(&ws, &staged).unwrap();
        let again = stage_with(&ws, &options(root), placeholder).unwrap();
        assert_eq!(again.previous_next_entry, None);
        let text_again = String::from_utf8(read(root, cfg)).unwrap();
        assert_eq!(text_again, text);
        // removal: byte for byte the files of before
        unstage(&ws, true, false).unwrap();
        assert_eq!(read(root, cfg), cfg_before, "grub.cfg is not what it was");
        assert_eq!(read(root, env), env_before, "grubenv is not what it was");
        assert!(!ws.upgrade_boot_dir().exists());
        assert!(Staged::load(&ws).unwrap().is_none());
        text
    }

    #[test]
    fn el7_bios_gets_a_grub_cfg_entry_removed_byte_for_byte() {
        let d = el7_bios();
        let text = stage_and_unstage(
            d.path(),
            "/boot/grub2/grub.cfg",
            "/boot/grub2/grubenv",
            ("linux16", "initrd16"),
        );
        assert!(text.contains(grub_cfg::BEGIN));
        // /boot is part of the root filesystem here: GRUB's paths start with /boot
        let d = el7_bios();
        let r = d.path();
        write(
            r,
            "/boot/grub2/grub.cfg",
            grub_cfg(El7Firmware::Bios, "/boot"),
        );
        let ws = Workspace::open(r).unwrap();
        let staged = stage_with(&ws, &options(r), placeholder).unwrap();
        let parsed = GrubCfg::parse(&String::from_utf8(read(r, "/boot/grub2/grub.cfg")).unwrap());
        let e = parsed.default_entry(Some(ENTRY_ID)).unwrap();
        assert_eq!(
            e.linux.as_ref().unwrap().path,
            "/boot/leapfrog/vmlinuz-upgrade"
        );
        assert!(staged.pending_in(&ws));
    }

    #[test]
    fn el7_uefi_gets_the_entry_on_the_esp_and_the_link_stays() {
        let d = el7_uefi();
        let r = d.path();
        stage_and_unstage(
            r,
            "/boot/efi/EFI/centos/grub.cfg",
            "/boot/efi/EFI/centos/grubenv",
            ("linuxefi", "initrdefi"),
        );
        assert!(
            fs::symlink_metadata(r.join("boot/grub2/grubenv"))
                .unwrap()
                .file_type()
                .is_symlink()
        );
        assert!(!r.join("boot/grub2/grub.cfg").exists());
    }

    #[test]
    fn el8_uefi_gets_a_bls_entry_and_next_entry_on_the_esp() {
        let d = tempfile::tempdir().unwrap();
        let r = d.path();
        write(r, "/etc/default/grub", "GRUB_ENABLE_BLSCFG=true\n");
        write(
            r,
            "/boot/efi/EFI/almalinux/grub.cfg",
            format!("{EL7_GRUB_CFG_HEAD}insmod blscfg\nblscfg\n"),
        );
        write(
            r,
            "/boot/efi/EFI/almalinux/grubenv",
            block("saved_entry=m-4.18\nkernelopts=root=/dev/vda2 ro quiet\n"),
        );
        fs::create_dir_all(r.join("boot/grub2")).unwrap();
        symlink("../efi/EFI/almalinux/grubenv", r.join("boot/grub2/grubenv")).unwrap();
        write(
            r,
            "/boot/loader/entries/m-4.18.conf",
            "linux /vmlinuz-4.18\n",
        );
        fs::create_dir_all(r.join("var/lib/leapfrog")).unwrap();
        let ws = Workspace::open(r).unwrap();
        let before = read(r, "/boot/efi/EFI/almalinux/grub.cfg");
        let staged = stage_with(&ws, &options(r), placeholder).unwrap();
        assert_eq!(staged.boot.as_ref().unwrap().layout, BootLayout::Bls);
        assert_eq!(staged.boot.as_ref().unwrap().firmware, Firmware::Uefi);
        let entry = fs::read_to_string(ws.upgrade_entry_path()).unwrap();
        assert!(
            entry.contains("linux /leapfrog/vmlinuz-upgrade\n"),
            "{entry}"
        );
        assert!(entry.contains("options root=/dev/vda2 rw "), "{entry}");
        let esp = read(r, "/boot/efi/EFI/almalinux/grubenv");
        assert_eq!(grubenv::get(&esp, "next_entry").as_deref(), Some(ENTRY_ID));
        assert!(
            fs::symlink_metadata(r.join("boot/grub2/grubenv"))
                .unwrap()
                .file_type()
                .is_symlink()
        );
        assert_eq!(read(r, "/boot/efi/EFI/almalinux/grub.cfg"), before);
        unstage(&ws, true, false).unwrap();
        assert_eq!(
            grubenv::get(&read(r, "/boot/efi/EFI/almalinux/grubenv"), "next_entry"),
            None
        );
        assert!(!ws.upgrade_entry_path().exists());
    }

    #[test]
    fn an_unusable_layout_stages_nothing() {
        // a grub.cfg that never reads next_entry
        let d = el7_bios();
        let r = d.path();
        let plain = grub_cfg(El7Firmware::Bios, "").replace(EL7_GRUB_CFG_HEAD, "");
        write(r, "/boot/grub2/grub.cfg", &plain);
        let env_before = read(r, "/boot/grub2/grubenv");
        let ws = Workspace::open(r).unwrap();
        let e = stage_with(&ws, &options(r), placeholder).unwrap_err();
        assert!(
            matches!(e, BootError::Layout(LayoutError::NoNextEntry { .. })),
            "{e}"
        );
        assert_eq!(read(r, "/boot/grub2/grub.cfg"), plain.as_bytes());
        assert_eq!(read(r, "/boot/grub2/grubenv"), env_before);
        assert!(!ws.upgrade_boot_dir().exists());
        assert!(Staged::load(&ws).unwrap().is_none());
        // the default entry's kernel is not in the root's /boot
        write(r, "/boot/grub2/grub.cfg", grub_cfg(El7Firmware::Bios, ""));
        fs::remove_file(r.join(format!("boot/vmlinuz-{KVER}"))).unwrap();
        let e = stage_with(&ws, &options(r), placeholder).unwrap_err();
        assert!(
            e.to_string().contains("is not a file of the root's /boot"),
            "{e}"
        );
        assert!(!ws.upgrade_boot_dir().exists());
        // no grub.cfg at all on EL7
        fs::remove_file(r.join("boot/grub2/grub.cfg")).unwrap();
        let e = stage_with(&ws, &options(r), placeholder).unwrap_err();
        assert!(matches!(e, BootError::Layout(LayoutError::NoConfig)), "{e}");
        // grubenv linked out of the root
        let outer = tempfile::tempdir().unwrap();
        let root = outer.path().join("root");
        fs::rename(r, &root).unwrap();
        write(
            &root,
            "/boot/grub2/grub.cfg",
            grub_cfg(El7Firmware::Bios, ""),
        );
        write(&root, &format!("/boot/vmlinuz-{KVER}"), "kernel");
        fs::write(outer.path().join("grubenv"), block("")).unwrap();
        fs::remove_file(root.join("boot/grub2/grubenv")).unwrap();
        symlink("../../../grubenv", root.join("boot/grub2/grubenv")).unwrap();
        let ws = Workspace::open(&root).unwrap();
        let e = stage_with(&ws, &options(&root), placeholder).unwrap_err();
        assert!(e.to_string().contains("leads out of the root"), "{e}");
        assert_eq!(fs::read(outer.path().join("grubenv")).unwrap(), block(""));
        assert!(!ws.upgrade_boot_dir().exists());
    }

    #[test]
    fn without_a_record_unstaging_still_removes_the_grub_cfg_entry() {
        let d = el7_bios();
        let r = d.path();
        let ws = Workspace::open(r).unwrap();
        let before = read(r, "/boot/grub2/grub.cfg");
        stage_with(&ws, &options(r), placeholder).unwrap();
        Staged::remove(&ws).unwrap();
        unstage(&ws, true, false).unwrap();
        assert_eq!(read(r, "/boot/grub2/grub.cfg"), before);
        assert_eq!(
            grubenv::get(&read(r, "/boot/grub2/grubenv"), "next_entry"),
            None
        );
    }

    /// Child process of the failpoint test: stages (`LEAPFROG_TEST_CHILD_ARG=stage`) or
    /// unstages the root named by `LEAPFROG_TEST_CHILD`.
    #[test]
    #[ignore = "helper process for failpoint tests"]
    fn child_stages_or_unstages() {
        let Some(root) = std::env::var_os(leapfrog_base::env::TEST_CHILD) else {
            return;
        };
        let root = Path::new(&root);
        let ws = Workspace::open(root).unwrap();
        match std::env::var(leapfrog_base::env::TEST_CHILD_ARG).as_deref() {
            Ok("stage") => drop(stage_with(&ws, &options(root), placeholder).unwrap()),
            _ => drop(unstage(&ws, true, false).unwrap()),
        }
    }

    #[test]
    fn a_kill_at_the_grub_cfg_failpoints_leaves_a_bootable_state_and_a_rerun_finishes() {
        use std::os::unix::process::ExitStatusExt as _;
        let d = el7_bios();
        let r = d.path();
        let run = |what: &str, failpoints: &str| {
            std::process::Command::new(std::env::current_exe().unwrap())
                .args([
                    "--exact",
                    "boot::layout_tests::child_stages_or_unstages",
                    "--ignored",
                    "--test-threads=1",
                ])
                .env(leapfrog_base::env::TEST_CHILD, r)
                .env(leapfrog_base::env::TEST_CHILD_ARG, what)
                .env(leapfrog_base::env::FAILPOINTS, failpoints)
                .output()
                .unwrap()
                .status
        };
        let (cfg, env) = (
            read(r, "/boot/grub2/grub.cfg"),
            read(r, "/boot/grub2/grubenv"),
        );
        // killed before the entry is written: grub.cfg and grubenv untouched
        assert_eq!(run("stage", "stage-grub-cfg=kill").signal(), Some(9));
        assert_eq!(read(r, "/boot/grub2/grub.cfg"), cfg);
        assert_eq!(read(r, "/boot/grub2/grubenv"), env);
        assert!(run("stage", "").success());
        let staged_cfg = read(r, "/boot/grub2/grub.cfg");
        assert!(grub_cfg::contains(
            std::str::from_utf8(&staged_cfg).unwrap()
        ));
        // killed before the entry is cut out: next_entry is already back, the entry is still
        // there but selects nothing; the re-run removes it
        assert_eq!(run("unstage", "unstage-grub-cfg=kill").signal(), Some(9));
        assert_eq!(read(r, "/boot/grub2/grub.cfg"), staged_cfg);
        assert_eq!(read(r, "/boot/grub2/grubenv"), env);
        assert!(!run("unstage", "unstage-grub-cfg").success());
        assert!(run("unstage", "").success());
        assert_eq!(read(r, "/boot/grub2/grub.cfg"), cfg);
        assert_eq!(read(r, "/boot/grub2/grubenv"), env);
    }
}
