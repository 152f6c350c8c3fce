//! The boot loader side of an upgrade: the upgrade environment (kernel and initramfs that run
//! `leapfrog offline`), its BLS entry and the one-shot selection of that entry in the GRUB
//! environment block (`next_entry`, what `grub2-reboot` sets: GRUB boots it once and clears it,
//! so a crash or power cut falls back to the old default entry), and the boot loader changes of
//! the upgraded system.
//!
//! - [`stage`] / [`unstage`] / [`arm`]: the upgrade environment, recorded in
//!   [`staged::Staged`] (`staged.json`);
//! - [`entries`]: the kernel command line, BLS entries, the default entry, the kernels;
//! - [`grubenv`]: the GRUB environment block;
//! - [`firstboot`]: the first-boot service of the upgraded system.
//!
//! See `docs/offline.md`.

pub mod entries;
pub mod firstboot;
pub mod grubenv;
pub mod staged;

use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::process::Command;

use leapfrog_base::failpoints::FailpointError;
use leapfrog_base::time::now;

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
/// built by the host's `dracut --add leapfrog`), writes its BLS entry and selects it once in
/// grubenv. Replaces an earlier staging of the same root.
///
/// # Errors
///
/// The dracut module is not installed, dracut fails, the boot files cannot be written, no
/// grubenv.
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
    let block = grubenv::read(ws)?;
    let installed = entries::installed_cmdline(ws)?;
    let options = entries::upgrade_cmdline(&installed, &opts.kernel_args);

    let dir = ws.upgrade_boot_dir();
    fs::create_dir_all(&dir).map_err(io_err("create", &dir))?;
    let kernel = dir.join("vmlinuz-upgrade");
    fs::copy(&opts.kernel, &kernel).map_err(io_err("copy the kernel to", &kernel))?;
    let initramfs = dir.join("initramfs-upgrade.img");
    let mut dracut = Command::new(&dracut_cmd);
    // the module installs the binary that runs it
    if let Ok(exe) = std::env::current_exe() {
        dracut.env(leapfrog_base::env::BINARY, exe);
    }
    dracut
        .args(["--force", "--quiet", "--no-hostonly", "--add", "leapfrog"])
        .args(["--kver", &opts.kver])
        .args(&opts.dracut_args)
        .arg(&initramfs);
    run(&mut dracut)?;

    let rel = |p: &Path| {
        format!(
            "/{}",
            p.strip_prefix(ws.root()).unwrap_or(p).to_string_lossy()
        )
    };
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
        "title leapfrog offline upgrade\nversion {kver}\nlinux {linux}\ninitrd {initrd}\noptions {options}\nid {ENTRY_ID}\ngrub_class kernel\n",
        kver = opts.kver,
        linux = boot_rel(&kernel),
        initrd = boot_rel(&initramfs),
    );
    fs::write(&entry, text).map_err(io_err("write", &entry))?;

    let previous = Staged::load(ws)?;
    let previous_next_entry = match &previous {
        Some(p) => p.previous_next_entry.clone(),
        None => grubenv::get(&block, "next_entry").filter(|v| v != ENTRY_ID),
    };
    grubenv::write_var(ws, "next_entry", Some(ENTRY_ID), None)?;

    let staged = Staged {
        schema: staged::SCHEMA.to_string(),
        plan_id: opts.plan_id.clone(),
        created: now(),
        kver: opts.kver.clone(),
        kernel: rel(&kernel),
        initramfs: rel(&initramfs),
        entry: rel(&entry),
        options,
        snapshot: opts.snapshot.clone(),
        accept_no_rollback: opts.accept_no_rollback,
        previous_next_entry,
        attempts: 0,
        finished: None,
    };
    staged.save(ws)?;
    Ok(staged)
}

/// Selects leapfrog's entry for the next boot (again): `next_entry=leapfrog-upgrade`.
///
/// # Errors
///
/// No usable grubenv.
pub fn arm(ws: &Workspace) -> Result<(), BootError> {
    grubenv::write_var(ws, "next_entry", Some(ENTRY_ID), None)
}

/// Removes the BLS entry and the one-shot selection (restoring the previous `next_entry`), and,
/// with `files`, the upgrade kernel and initramfs. The staging record is kept (with
/// `finished`) when `keep_record`, removed otherwise.
///
/// # Errors
///
/// When a file cannot be removed or grubenv cannot be written.
pub fn unstage(
    ws: &Workspace,
    files: bool,
    keep_record: bool,
) -> Result<Option<Staged>, BootError> {
    let staged = Staged::load(ws)?;
    if let Ok(block) = grubenv::read(ws)
        && grubenv::get(&block, "next_entry").as_deref() == Some(ENTRY_ID)
    {
        let previous = staged.as_ref().and_then(|s| s.previous_next_entry.clone());
        grubenv::write_var(ws, "next_entry", previous.as_deref(), None)?;
    }
    remove_if_present(&ws.upgrade_entry_path())?;
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
        };
        staged.save(&ws).unwrap();
        fs::write(r.join(&staged.entry[1..]), "title x\n").unwrap();
        arm(&ws).unwrap();
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
