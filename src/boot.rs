//! The upgrade boot environment: the kernel and initramfs that run `leapfrog offline`, their BLS
//! entry, and the one-shot selection of that entry in the GRUB environment block
//! (`next_entry`, what `grub2-reboot` sets: GRUB boots it once and clears it, so a crash or power
//! cut falls back to the old default entry). `staged.json` records what was staged, so that
//! `leapfrog cancel` removes exactly that and `leapfrog offline` counts its attempts.
//! See `docs/offline.md`.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde::{Deserialize, Serialize};

use crate::apply::post::grubenv_set;
use leapfrog_actors::facts::fstab;
use leapfrog_base::time::now;

/// The id (file name without `.conf`) of leapfrog's BLS entry.
pub const ENTRY_ID: &str = "leapfrog-upgrade";
/// Where the upgrade kernel and initramfs go, inside `/boot`.
pub const BOOT_DIR: &str = "leapfrog";
/// The record of what is staged, in the state directory.
pub const STAGED_PATH: &str = "var/lib/leapfrog/staged.json";
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

/// Errors while staging or unstaging.
#[derive(Debug, thiserror::Error)]
pub enum BootError {
    /// A file operation failed.
    #[error("{op} {}: {source}", path.display())]
    Io {
        /// What was being done.
        op: &'static str,
        /// On which path.
        path: PathBuf,
        /// The error.
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
}

fn io_err(op: &'static str, path: &Path) -> impl FnOnce(io::Error) -> BootError {
    let path = path.to_path_buf();
    move |source| BootError::Io { op, path, source }
}

/// What `leapfrog upgrade` staged (`var/lib/leapfrog/staged.json`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Staged {
    /// `created` of the plan it upgrades to.
    pub plan_created: String,
    /// When it was staged.
    pub created: String,
    /// Kernel version of the upgrade environment.
    pub kver: String,
    /// The kernel image, inside the root.
    pub kernel: String,
    /// The initramfs, inside the root.
    pub initramfs: String,
    /// The BLS entry file, inside the root.
    pub entry: String,
    /// The entry's kernel command line.
    pub options: String,
    /// The snapshot backend `offline` passes to apply (`auto`, `btrfs`, ...).
    pub snapshot: String,
    /// `--snapshot none` was acknowledged.
    #[serde(default)]
    pub accept_no_rollback: bool,
    /// `next_entry` of grubenv before staging, restored by cancel.
    #[serde(default)]
    pub previous_next_entry: Option<String>,
    /// Boots of the upgrade environment so far.
    #[serde(default)]
    pub attempts: u32,
    /// When the offline stage finished (done or rolled back).
    #[serde(default)]
    pub finished: Option<String>,
}

impl Staged {
    /// `<root>/var/lib/leapfrog/staged.json`.
    pub fn path(root: &Path) -> PathBuf {
        root.join(STAGED_PATH)
    }

    /// The record of `root`, if any.
    ///
    /// # Errors
    ///
    /// An unreadable or invalid file.
    pub fn load(root: &Path) -> Result<Option<Staged>, BootError> {
        let path = Self::path(root);
        match fs::read(&path) {
            Ok(b) => serde_json::from_slice(&b).map(Some).map_err(|e| {
                BootError::Invalid(format!("{} is not a staging record: {e}", path.display()))
            }),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(io_err("read", &path)(e)),
        }
    }

    /// Writes the record atomically.
    ///
    /// # Errors
    ///
    /// When it cannot be written.
    pub fn save(&self, root: &Path) -> Result<(), BootError> {
        let path = Self::path(root);
        let bytes = serde_json::to_vec_pretty(self)
            .map_err(|e| BootError::Invalid(format!("staging record: {e}")))?;
        leapfrog_base::atomic::write_atomic(&path, &bytes, leapfrog_base::atomic::Failpoints::NONE)
            .map_err(io_err("write", &path))
    }
}

/// Whether `/boot` is its own filesystem for the boot loader: the root's existing BLS entries
/// name kernels as `/vmlinuz-...` (separate `/boot`) rather than `/boot/vmlinuz-...`, or, without
/// entries, `/etc/fstab` mounts `/boot`.
pub fn boot_is_separate(root: &Path) -> bool {
    let entries = root.join("boot/loader/entries");
    if let Ok(rd) = fs::read_dir(&entries) {
        for e in rd.flatten() {
            if let Ok(text) = fs::read_to_string(e.path())
                && let Some(linux) = text
                    .lines()
                    .find_map(|l| l.strip_prefix("linux").map(str::trim))
            {
                return !linux.starts_with("/boot/");
            }
        }
    }
    fs::read_to_string(root.join("etc/fstab"))
        .is_ok_and(|t| fstab::parse(&t).entries.iter().any(|e| e.target == "/boot"))
}

/// The kernel command line of the installed system: grubenv `kernelopts` (EL8), else
/// `/etc/kernel/cmdline` (EL9+), else `root=` from the device holding the root.
///
/// # Errors
///
/// When none of them gives a `root=`.
pub fn installed_cmdline(root: &Path) -> Result<String, BootError> {
    let grubenv = fs::read_to_string(root.join("boot/grub2/grubenv")).unwrap_or_default();
    if let Some(k) = grubenv
        .lines()
        .find_map(|l| l.strip_prefix("kernelopts="))
        .filter(|k| k.contains("root="))
    {
        return Ok(k.trim().to_string());
    }
    if let Ok(k) = fs::read_to_string(root.join("etc/kernel/cmdline"))
        && k.contains("root=")
    {
        return Ok(k.trim().to_string());
    }
    root_device_arg(root)
}

/// `root=UUID=...` of the filesystem mounted at `root` (`findmnt`, `blkid`).
///
/// # Errors
///
/// When the device or its UUID cannot be found.
pub fn root_device_arg(root: &Path) -> Result<String, BootError> {
    let out = run(Command::new("findmnt")
        .args(["-n", "-o", "UUID", "-M"])
        .arg(root))?;
    let uuid = out.trim();
    if uuid.is_empty() {
        return Err(BootError::Invalid(format!(
            "cannot find the UUID of the filesystem at {}: pass the root device with --kernel-arg root=...",
            root.display()
        )));
    }
    Ok(format!("root=UUID={uuid}"))
}

/// The upgrade boot's command line: the installed one without `rhgb quiet splash ro` and
/// `resume=`, with
/// `rw` (the offline stage writes to the root) and [`UPGRADE_ARGS`], then `extra`.
pub fn upgrade_cmdline(installed: &str, extra: &[String]) -> String {
    let mut args: Vec<String> = installed
        .split_whitespace()
        .filter(|a| !DROPPED_ARGS.contains(a))
        .filter(|a| {
            a.split_once('=')
                .is_none_or(|(k, _)| !DROPPED_KEYS.contains(&k))
        })
        .filter(|a| !a.starts_with('$'))
        .map(String::from)
        .collect();
    args.push("rw".into());
    args.extend(UPGRADE_ARGS.iter().map(|a| a.to_string()));
    for e in extra {
        // a later key=value replaces an earlier one of the same key
        if let Some((k, _)) = e.split_once('=') {
            args.retain(|a| a.split_once('=').map(|(ak, _)| ak) != Some(k));
        }
        args.push(e.clone());
    }
    args.join(" ")
}

fn run(cmd: &mut Command) -> Result<String, BootError> {
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
    /// `created` of the plan.
    pub plan_created: String,
}

/// Builds the upgrade environment into `<root>/boot/leapfrog/` (the kernel copied, the
/// initramfs built by the host's `dracut --add leapfrog`), writes its BLS entry and selects it
/// once in grubenv. Replaces an earlier staging of the same root.
///
/// # Errors
///
/// The dracut module is not installed, dracut fails, the boot files cannot be written, no
/// grubenv.
pub fn stage(root: &Path, opts: &StageOptions) -> Result<Staged, BootError> {
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
    let grubenv_path = root.join("boot/grub2/grubenv");
    let grubenv = fs::read(&grubenv_path).map_err(io_err("read", &grubenv_path))?;
    let installed = installed_cmdline(root)?;
    let options = upgrade_cmdline(&installed, &opts.kernel_args);

    let dir = root.join("boot").join(BOOT_DIR);
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

    let prefix = if boot_is_separate(root) { "" } else { "/boot" };
    let entry = root.join(format!("boot/loader/entries/{ENTRY_ID}.conf"));
    if let Some(d) = entry.parent() {
        fs::create_dir_all(d).map_err(io_err("create", d))?;
    }
    let text = format!(
        "title leapfrog offline upgrade\nversion {kver}\nlinux {prefix}/{BOOT_DIR}/vmlinuz-upgrade\ninitrd {prefix}/{BOOT_DIR}/initramfs-upgrade.img\noptions {options}\nid {ENTRY_ID}\ngrub_class kernel\n",
        kver = opts.kver
    );
    fs::write(&entry, text).map_err(io_err("write", &entry))?;

    let previous = Staged::load(root)?;
    let previous_next_entry = match &previous {
        Some(p) => p.previous_next_entry.clone(),
        None => grubenv_get(&grubenv, "next_entry").filter(|v| v != ENTRY_ID),
    };
    let armed = grubenv_set(&grubenv, "next_entry", ENTRY_ID)
        .map_err(|e| BootError::Invalid(format!("{}: {e}", grubenv_path.display())))?;
    leapfrog_base::atomic::write_atomic(
        &grubenv_path,
        &armed,
        leapfrog_base::atomic::Failpoints::NONE,
    )
    .map_err(io_err("write", &grubenv_path))?;

    let rel = |p: &Path| format!("/{}", p.strip_prefix(root).unwrap_or(p).to_string_lossy());
    let staged = Staged {
        plan_created: opts.plan_created.clone(),
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
    staged.save(root)?;
    Ok(staged)
}

/// Removes `key` from a GRUB environment block (the block is otherwise unchanged: the same
/// variables in the same order, `#`-padded to the same size).
///
/// # Errors
///
/// When `block` is not a GRUB environment block.
pub fn grubenv_unset(block: &[u8], key: &str) -> Result<Vec<u8>, String> {
    // validate through the setter, then drop the line
    grubenv_set(block, key, "")?;
    let text = String::from_utf8_lossy(block);
    let prefix = format!("{key}=");
    let mut out = String::new();
    for line in text.split_inclusive('\n') {
        if !line.starts_with(&prefix) {
            out.push_str(line);
        }
    }
    let body_end = out.trim_end_matches('#').len();
    let mut bytes = out.as_bytes()[..body_end].to_vec();
    bytes.resize(block.len(), b'#');
    Ok(bytes)
}

/// A variable of a GRUB environment block.
pub fn grubenv_get(block: &[u8], key: &str) -> Option<String> {
    String::from_utf8_lossy(block)
        .lines()
        .find_map(|l| l.strip_prefix(&format!("{key}=")).map(String::from))
}

/// Selects leapfrog's entry for the next boot (again): `next_entry=leapfrog-upgrade`.
///
/// # Errors
///
/// No usable grubenv.
pub fn arm(root: &Path) -> Result<(), BootError> {
    set_next_entry(root, Some(ENTRY_ID))
}

/// Sets (or, with `None`, empties) grubenv `next_entry`.
///
/// # Errors
///
/// No usable grubenv.
pub fn set_next_entry(root: &Path, value: Option<&str>) -> Result<(), BootError> {
    let path = root.join("boot/grub2/grubenv");
    let block = fs::read(&path).map_err(io_err("read", &path))?;
    let new = match value {
        Some(v) => grubenv_set(&block, "next_entry", v),
        None => grubenv_unset(&block, "next_entry"),
    }
    .map_err(|e| BootError::Invalid(format!("{}: {e}", path.display())))?;
    leapfrog_base::atomic::write_atomic(&path, &new, leapfrog_base::atomic::Failpoints::NONE)
        .map_err(io_err("write", &path))
}

/// Removes the BLS entry and the one-shot selection (restoring the previous `next_entry`), and,
/// with `files`, the upgrade kernel and initramfs. The staging record is kept (with
/// `finished`) when `keep_record`, removed otherwise.
///
/// # Errors
///
/// When a file cannot be removed or grubenv cannot be written.
pub fn unstage(root: &Path, files: bool, keep_record: bool) -> Result<Option<Staged>, BootError> {
    let staged = Staged::load(root)?;
    let path = root.join("boot/grub2/grubenv");
    if let Ok(block) = fs::read(&path)
        && grubenv_get(&block, "next_entry").as_deref() == Some(ENTRY_ID)
    {
        let previous = staged.as_ref().and_then(|s| s.previous_next_entry.clone());
        set_next_entry(root, previous.as_deref())?;
    }
    let entry = root.join(format!("boot/loader/entries/{ENTRY_ID}.conf"));
    remove_if_present(&entry)?;
    if files {
        let dir = root.join("boot").join(BOOT_DIR);
        if dir.exists() {
            fs::remove_dir_all(&dir).map_err(io_err("remove", &dir))?;
        }
    }
    match (&staged, keep_record) {
        (Some(s), true) => {
            let mut s = s.clone();
            s.finished.get_or_insert_with(now);
            s.save(root)?;
            Ok(Some(s))
        }
        (_, _) => {
            remove_if_present(&Staged::path(root))?;
            Ok(staged)
        }
    }
}

fn remove_if_present(p: &Path) -> Result<(), BootError> {
    match fs::remove_file(p) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(io_err("remove", p)(e)),
    }
}

/// The first-boot service of the upgraded system: a shell script (the upgraded system has no
/// leapfrog binary) and its systemd unit, enabled for `multi-user.target`. It removes leapfrog's
/// boot files, writes a MOTD line and the final report line to the log, then disables and
/// removes itself. SELinux relabelling is done by the system's own `/.autorelabel` handling,
/// before it.
pub const FIRSTBOOT_SCRIPT: &str = "var/lib/leapfrog/firstboot.sh";
/// The unit.
pub const FIRSTBOOT_UNIT: &str = "etc/systemd/system/leapfrog-firstboot.service";
const FIRSTBOOT_WANTS: &str =
    "etc/systemd/system/multi-user.target.wants/leapfrog-firstboot.service";

/// Installs the first-boot service into the upgraded root.
///
/// # Errors
///
/// When the files cannot be written.
pub fn install_firstboot(root: &Path, target: &str) -> Result<(), BootError> {
    let script = format!(
        "#!/bin/sh\n\
         # leapfrog first boot of the upgraded system (written by leapfrog offline)\n\
         rm -rf /boot/{BOOT_DIR} /boot/loader/entries/{ENTRY_ID}.conf\n\
         mkdir -p /etc/motd.d /var/log/leapfrog\n\
         echo 'This system was upgraded to {target} by leapfrog. Run `leapfrog commit` once you are satisfied, or `leapfrog rollback`.' > /etc/motd.d/leapfrog\n\
         echo \"$(date -u +%Y-%m-%dT%H:%M:%SZ) first boot of the upgraded system ({target}) complete, running kernel $(uname -r)\" >> /var/log/leapfrog/apply.log\n\
         rm -f /{FIRSTBOOT_WANTS} /{FIRSTBOOT_UNIT}\n\
         rm -f /{FIRSTBOOT_SCRIPT}\n"
    );
    let unit = format!(
        "[Unit]\nDescription=leapfrog: first boot after the upgrade\nAfter=local-fs.target selinux-autorelabel.service\nConditionPathExists=/{FIRSTBOOT_SCRIPT}\n\n[Service]\nType=oneshot\nExecStart=/bin/sh /{FIRSTBOOT_SCRIPT}\n\n[Install]\nWantedBy=multi-user.target\n"
    );
    for (rel, text, mode) in [
        (FIRSTBOOT_SCRIPT, script.as_str(), 0o755),
        (FIRSTBOOT_UNIT, unit.as_str(), 0o644),
    ] {
        let p = root.join(rel);
        if let Some(d) = p.parent() {
            fs::create_dir_all(d).map_err(io_err("create", d))?;
        }
        fs::write(&p, text).map_err(io_err("write", &p))?;
        use std::os::unix::fs::PermissionsExt as _;
        fs::set_permissions(&p, fs::Permissions::from_mode(mode)).map_err(io_err("chmod", &p))?;
    }
    let wants = root.join(FIRSTBOOT_WANTS);
    if let Some(d) = wants.parent() {
        fs::create_dir_all(d).map_err(io_err("create", d))?;
    }
    remove_if_present(&wants)?;
    std::os::unix::fs::symlink(format!("/{FIRSTBOOT_UNIT}"), &wants)
        .map_err(io_err("link", &wants))?;
    Ok(())
}

/// The default kernel of the root's running system, for `--kernel` (the newest
/// `/boot/vmlinuz-*` of the root).
pub fn newest_kernel(root: &Path) -> Option<(PathBuf, String)> {
    let mut found: Vec<(String, PathBuf)> = fs::read_dir(root.join("boot"))
        .ok()?
        .flatten()
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            let kver = name.strip_prefix("vmlinuz-")?.to_string();
            (!kver.contains("rescue")).then(|| (kver, e.path()))
        })
        .collect();
    found.sort_by(|a, b| rpm_sys::vercmp(&a.0, &b.0));
    found.pop().map(|(k, p)| (p, k))
}

/// The version in a kernel file name (`vmlinuz-6.1.0-28-amd64` -> `6.1.0-28-amd64`).
pub fn kver_of(kernel: &Path) -> Option<String> {
    kernel
        .file_name()?
        .to_str()?
        .strip_prefix("vmlinuz-")
        .map(String::from)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grubenv(vars: &str) -> Vec<u8> {
        let mut b = format!("# GRUB Environment Block\n{vars}").into_bytes();
        b.resize(1024, b'#');
        b
    }

    #[test]
    fn the_upgrade_cmdline_drops_splash_and_adds_ours() {
        let c = upgrade_cmdline(
            "root=/dev/mapper/almalinux-root ro crashkernel=auto resume=/dev/mapper/almalinux-swap rhgb quiet $tuned_params",
            &["console=ttyS0".into(), "enforcing=1".into()],
        );
        assert_eq!(
            c,
            "root=/dev/mapper/almalinux-root crashkernel=auto rw rd.plymouth=0 plymouth.enable=0 leapfrog.upgrade=1 console=ttyS0 enforcing=1"
        );
    }

    #[test]
    fn installed_cmdline_prefers_kernelopts_then_kernel_cmdline() {
        let d = tempfile::tempdir().unwrap();
        let r = d.path();
        fs::create_dir_all(r.join("boot/grub2")).unwrap();
        fs::create_dir_all(r.join("etc/kernel")).unwrap();
        fs::write(r.join("etc/kernel/cmdline"), "root=UUID=abc ro\n").unwrap();
        fs::write(r.join("boot/grub2/grubenv"), grubenv("saved_entry=x\n")).unwrap();
        assert_eq!(installed_cmdline(r).unwrap(), "root=UUID=abc ro");
        fs::write(
            r.join("boot/grub2/grubenv"),
            grubenv("kernelopts=root=/dev/vda1 ro quiet\n"),
        )
        .unwrap();
        assert_eq!(installed_cmdline(r).unwrap(), "root=/dev/vda1 ro quiet");
    }

    #[test]
    fn arming_and_unstaging_keep_the_other_variables() {
        let d = tempfile::tempdir().unwrap();
        let r = d.path();
        fs::create_dir_all(r.join("boot/grub2")).unwrap();
        fs::create_dir_all(r.join("boot/loader/entries")).unwrap();
        fs::create_dir_all(r.join("var/lib/leapfrog")).unwrap();
        fs::write(
            r.join("boot/grub2/grubenv"),
            grubenv("saved_entry=old\nnext_entry=rescue\n"),
        )
        .unwrap();
        let staged = Staged {
            plan_created: "p".into(),
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
        staged.save(r).unwrap();
        fs::write(r.join(&staged.entry[1..]), "title x\n").unwrap();
        arm(r).unwrap();
        let env = fs::read(r.join("boot/grub2/grubenv")).unwrap();
        assert_eq!(env.len(), 1024);
        assert_eq!(grubenv_get(&env, "next_entry").as_deref(), Some(ENTRY_ID));
        assert_eq!(grubenv_get(&env, "saved_entry").as_deref(), Some("old"));
        let s = unstage(r, true, true).unwrap().unwrap();
        assert!(s.finished.is_some());
        let env = fs::read(r.join("boot/grub2/grubenv")).unwrap();
        assert_eq!(grubenv_get(&env, "next_entry").as_deref(), Some("rescue"));
        // without an earlier selection the variable goes away again, byte for byte
        let plain = grubenv("saved_entry=old\n");
        let armed = grubenv_set(&plain, "next_entry", ENTRY_ID).unwrap();
        assert_eq!(grubenv_unset(&armed, "next_entry").unwrap(), plain);
        assert!(!r.join(&staged.entry[1..]).exists());
        assert!(Staged::load(r).unwrap().is_some());
        unstage(r, true, false).unwrap();
        assert!(Staged::load(r).unwrap().is_none());
    }

    #[test]
    fn firstboot_is_enabled_and_removes_itself() {
        let d = tempfile::tempdir().unwrap();
        install_firstboot(d.path(), "almalinux-9.6").unwrap();
        let script = fs::read_to_string(d.path().join(FIRSTBOOT_SCRIPT)).unwrap();
        assert!(script.contains("almalinux-9.6"));
        assert!(script.contains(&format!("rm -f /{FIRSTBOOT_WANTS}")));
        let link = fs::read_link(d.path().join(FIRSTBOOT_WANTS)).unwrap();
        assert_eq!(link, Path::new("/").join(FIRSTBOOT_UNIT));
    }

    #[test]
    fn boot_separation_follows_the_existing_entries() {
        let d = tempfile::tempdir().unwrap();
        let r = d.path();
        assert!(!boot_is_separate(r));
        fs::create_dir_all(r.join("etc")).unwrap();
        fs::write(
            r.join("etc/fstab"),
            "UUID=a / xfs defaults 0 0\nUUID=b /boot xfs defaults 0 0\n",
        )
        .unwrap();
        assert!(boot_is_separate(r));
        fs::create_dir_all(r.join("boot/loader/entries")).unwrap();
        fs::write(
            r.join("boot/loader/entries/a.conf"),
            "linux /boot/vmlinuz-1\n",
        )
        .unwrap();
        assert!(!boot_is_separate(r));
        assert_eq!(
            kver_of(Path::new("/boot/vmlinuz-6.1.0-28-amd64")).as_deref(),
            Some("6.1.0-28-amd64")
        );
    }
}
