//! The installed system's boot loader as leapfrog reads and changes it: the kernel command
//! line, whether `/boot` is separate, the kernels, and BLS entries (`<machine-id>-<kver>`) with
//! the default entry (`saved_entry` in grubenv).

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use leapfrog_actors::facts::fstab;

use super::{BootError, DROPPED_ARGS, DROPPED_KEYS, UPGRADE_ARGS, grubenv, io_err, run};
use crate::workspace::Workspace;

/// Whether `/boot` is its own filesystem for the boot loader: the root's existing BLS entries
/// name kernels as `/vmlinuz-...` (separate `/boot`) rather than `/boot/vmlinuz-...`, or, without
/// entries, `/etc/fstab` mounts `/boot`.
pub fn boot_is_separate(ws: &Workspace) -> bool {
    if let Ok(rd) = fs::read_dir(ws.bls_entries_dir()) {
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
    fs::read_to_string(ws.in_root("etc/fstab"))
        .is_ok_and(|t| fstab::parse(&t).entries.iter().any(|e| e.target == "/boot"))
}

/// The kernel command line of the installed system (for a BLS layout; on EL7 the `grub.cfg`'s
/// default entry has it): grubenv `kernelopts` (EL8), else
/// `/etc/kernel/cmdline` (EL9+), else `root=` from the device holding the root.
///
/// # Errors
///
/// When none of them gives a `root=`.
pub fn installed_cmdline(ws: &Workspace) -> Result<String, BootError> {
    let block = grubenv::read(ws).unwrap_or_default();
    if let Some(k) = grubenv::get(&block, "kernelopts").filter(|k| k.contains("root=")) {
        return Ok(k.trim().to_string());
    }
    if let Ok(k) = fs::read_to_string(ws.in_root("etc/kernel/cmdline"))
        && k.contains("root=")
    {
        return Ok(k.trim().to_string());
    }
    root_device_arg(ws.root())
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
/// `resume=`, with `rw` (the offline stage writes to the root) and [`UPGRADE_ARGS`], then
/// `extra`.
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

/// The BLS entry id of kernel `kver` in the root: `<machine-id>-<kver>`.
///
/// # Errors
///
/// When `/etc/machine-id` is missing or empty.
pub fn bls_entry_id(ws: &Workspace, kver: &str) -> Result<String, BootError> {
    let path = ws.in_root("etc/machine-id");
    let mid = fs::read_to_string(&path).map_err(io_err("read", &path))?;
    let mid = mid.trim();
    if mid.is_empty() {
        return Err(BootError::Invalid(format!("{} is empty", path.display())));
    }
    Ok(format!("{mid}-{kver}"))
}

/// The BLS entry file of an entry id.
pub fn bls_entry_path(ws: &Workspace, id: &str) -> PathBuf {
    ws.bls_entries_dir().join(format!("{id}.conf"))
}

/// Sets `saved_entry` in grubenv to the BLS entry of kernel `kver`, keeping the other
/// variables and the 1024-byte block format (failpoint `post-boot-entry` before the write).
/// Returns the entry id.
///
/// # Errors
///
/// When the entry file does not exist, grubenv is missing or not a GRUB environment block, or
/// the variables no longer fit in 1024 bytes.
pub fn set_default_entry(ws: &Workspace, kver: &str) -> Result<String, BootError> {
    let id = bls_entry_id(ws, kver)?;
    let entry = bls_entry_path(ws, &id);
    if !entry.is_file() {
        return Err(BootError::Invalid(format!(
            "the boot entry {} of kernel {kver} does not exist",
            entry.display()
        )));
    }
    grubenv::write_var(ws, "saved_entry", Some(&id), Some("post-boot-entry"))?;
    Ok(id)
}

/// The default kernel of the root's running system, for `--kernel` (the newest
/// `/boot/vmlinuz-*` of the root).
pub fn newest_kernel(ws: &Workspace) -> Option<(PathBuf, String)> {
    let mut found: Vec<(String, PathBuf)> = fs::read_dir(ws.boot_dir())
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
    use crate::boot::grubenv::block;

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
        let ws = Workspace::open(r).unwrap();
        fs::create_dir_all(r.join("boot/grub2")).unwrap();
        fs::create_dir_all(r.join("etc/kernel")).unwrap();
        fs::write(r.join("etc/kernel/cmdline"), "root=UUID=abc ro\n").unwrap();
        fs::write(r.join("boot/grub2/grubenv"), block("saved_entry=x\n")).unwrap();
        assert_eq!(installed_cmdline(&ws).unwrap(), "root=UUID=abc ro");
        fs::write(
            r.join("boot/grub2/grubenv"),
            block("kernelopts=root=/dev/vda1 ro quiet\n"),
        )
        .unwrap();
        assert_eq!(installed_cmdline(&ws).unwrap(), "root=/dev/vda1 ro quiet");
    }

    #[test]
    fn boot_separation_follows_the_existing_entries() {
        let d = tempfile::tempdir().unwrap();
        let r = d.path();
        let ws = Workspace::open(r).unwrap();
        assert!(!boot_is_separate(&ws));
        fs::create_dir_all(r.join("etc")).unwrap();
        fs::write(
            r.join("etc/fstab"),
            "UUID=a / xfs defaults 0 0\nUUID=b /boot xfs defaults 0 0\n",
        )
        .unwrap();
        assert!(boot_is_separate(&ws));
        fs::create_dir_all(r.join("boot/loader/entries")).unwrap();
        fs::write(
            r.join("boot/loader/entries/a.conf"),
            "linux /boot/vmlinuz-1\n",
        )
        .unwrap();
        assert!(!boot_is_separate(&ws));
    }

    /// A root with a machine id, a BLS entry for kernel `5.14.0-1.el9.x86_64` and a grubenv.
    fn boot_root() -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        let r = dir.path();
        fs::create_dir_all(r.join("etc")).unwrap();
        fs::write(r.join("etc/machine-id"), "abc123\n").unwrap();
        fs::create_dir_all(r.join("boot/loader/entries")).unwrap();
        fs::write(
            r.join("boot/loader/entries/abc123-5.14.0-1.el9.x86_64.conf"),
            "title x\n",
        )
        .unwrap();
        fs::create_dir_all(r.join("boot/grub2")).unwrap();
        fs::write(
            r.join("boot/grub2/grubenv"),
            block("saved_entry=abc123-4.18.0-1.el8.x86_64\nboot_success=0\n"),
        )
        .unwrap();
        dir
    }

    #[test]
    fn default_boot_entry_is_set_and_refused_without_entry_or_machine_id() {
        let dir = boot_root();
        let r = dir.path();
        let ws = Workspace::open(r).unwrap();
        let id = set_default_entry(&ws, "5.14.0-1.el9.x86_64").unwrap();
        assert_eq!(id, "abc123-5.14.0-1.el9.x86_64");
        let env = fs::read(r.join("boot/grub2/grubenv")).unwrap();
        assert_eq!(
            env,
            block("saved_entry=abc123-5.14.0-1.el9.x86_64\nboot_success=0\n")
        );
        let e = set_default_entry(&ws, "5.14.0-2.el9.x86_64").unwrap_err();
        assert!(
            e.to_string().contains(
                "abc123-5.14.0-2.el9.x86_64.conf of kernel 5.14.0-2.el9.x86_64 does not exist"
            ),
            "{e}"
        );
        fs::remove_file(r.join("etc/machine-id")).unwrap();
        assert!(set_default_entry(&ws, "5.14.0-1.el9.x86_64").is_err());
    }

    /// Child process of the failpoint test: runs the step with `LEAPFROG_FAILPOINTS` set.
    #[test]
    #[ignore = "helper process for failpoint tests"]
    fn child_sets_the_boot_entry() {
        let Some(root) = std::env::var_os(leapfrog_base::env::TEST_CHILD) else {
            return;
        };
        set_default_entry(
            &Workspace::open(Path::new(&root)).unwrap(),
            "5.14.0-1.el9.x86_64",
        )
        .unwrap();
    }

    #[test]
    fn a_kill_at_the_boot_entry_failpoint_leaves_grubenv_untouched() {
        use std::os::unix::process::ExitStatusExt as _;
        let dir = boot_root();
        let before = fs::read(dir.path().join("boot/grub2/grubenv")).unwrap();
        let run = |failpoints: &str| {
            std::process::Command::new(std::env::current_exe().unwrap())
                .args([
                    "--exact",
                    "boot::entries::tests::child_sets_the_boot_entry",
                    "--ignored",
                    "--test-threads=1",
                ])
                .env(leapfrog_base::env::TEST_CHILD, dir.path())
                .env(leapfrog_base::env::FAILPOINTS, failpoints)
                .output()
                .unwrap()
                .status
        };
        let status = run("post-boot-entry=kill");
        assert_eq!(status.signal(), Some(9), "{status:?}");
        assert_eq!(
            fs::read(dir.path().join("boot/grub2/grubenv")).unwrap(),
            before
        );
        // the error action makes the step fail (the child's unwrap panics)
        assert!(!run("post-boot-entry").success());
        assert_eq!(
            fs::read(dir.path().join("boot/grub2/grubenv")).unwrap(),
            before
        );
        // re-run without the failpoint: done
        assert!(run("").success());
        assert_ne!(
            fs::read(dir.path().join("boot/grub2/grubenv")).unwrap(),
            before
        );
    }
}
