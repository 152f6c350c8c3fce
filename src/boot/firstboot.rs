//! The first-boot service of the upgraded system: a shell script (the upgraded system has no
//! leapfrog binary) and its systemd unit, enabled for `multi-user.target`. It removes leapfrog's
//! boot files, writes a MOTD line and the final report line to the log, then disables and
//! removes itself. SELinux relabelling is done by the system's own `/.autorelabel` handling,
//! before it.

use std::fs;
use std::os::unix::fs::PermissionsExt as _;

use super::{BootError, io_err, remove_if_present};
use crate::workspace::Workspace;

/// Installs the first-boot service into the upgraded root.
///
/// # Errors
///
/// When the files cannot be written.
pub fn install(ws: &Workspace, target: &str) -> Result<(), BootError> {
    let inside = |p: std::path::PathBuf| {
        format!(
            "/{}",
            p.strip_prefix(ws.root()).unwrap_or(&p).to_string_lossy()
        )
    };
    let (script_path, unit_path, wants) = (
        ws.firstboot_script(),
        ws.firstboot_unit(),
        ws.firstboot_wants_link(),
    );
    let (script_in, unit_in, wants_in) = (
        inside(script_path.clone()),
        inside(unit_path.clone()),
        inside(wants.clone()),
    );
    let (boot_dir, entry, log_dir, log) = (
        inside(ws.upgrade_boot_dir()),
        inside(ws.upgrade_entry_path()),
        inside(ws.log_dir()),
        inside(ws.apply_log_path()),
    );
    let script = format!(
        "#!/bin/sh\n\
         # leapfrog first boot of the upgraded system (written by leapfrog offline)\n\
         rm -rf {boot_dir} {entry}\n\
         mkdir -p /etc/motd.d {log_dir}\n\
         echo 'This system was upgraded to {target} by leapfrog. Run `leapfrog commit` once you are satisfied, or `leapfrog rollback`.' > /etc/motd.d/leapfrog\n\
         echo \"$(date -u +%Y-%m-%dT%H:%M:%SZ) first boot of the upgraded system ({target}) complete, running kernel $(uname -r)\" >> {log}\n\
         rm -f {wants_in} {unit_in}\n\
         rm -f {script_in}\n"
    );
    let unit = format!(
        "[Unit]\nDescription=leapfrog: first boot after the upgrade\nAfter=local-fs.target selinux-autorelabel.service\nConditionPathExists={script_in}\n\n[Service]\nType=oneshot\nExecStart=/bin/sh {script_in}\n\n[Install]\nWantedBy=multi-user.target\n"
    );
    for (p, text, mode) in [
        (&script_path, script.as_str(), 0o755),
        (&unit_path, unit.as_str(), 0o644),
    ] {
        if let Some(d) = p.parent() {
            fs::create_dir_all(d).map_err(io_err("create", d))?;
        }
        fs::write(p, text).map_err(io_err("write", p))?;
        fs::set_permissions(p, fs::Permissions::from_mode(mode)).map_err(io_err("chmod", p))?;
    }
    if let Some(d) = wants.parent() {
        fs::create_dir_all(d).map_err(io_err("create", d))?;
    }
    remove_if_present(&wants)?;
    std::os::unix::fs::symlink(&unit_in, &wants).map_err(io_err("link", &wants))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn firstboot_is_enabled_and_removes_itself() {
        let d = tempfile::tempdir().unwrap();
        let ws = Workspace::open(d.path()).unwrap();
        install(&ws, "almalinux-9.6").unwrap();
        let script = fs::read_to_string(ws.firstboot_script()).unwrap();
        assert!(script.contains("almalinux-9.6"));
        assert!(script.contains(
            "rm -f /etc/systemd/system/multi-user.target.wants/leapfrog-firstboot.service"
        ));
        assert!(
            script.contains("rm -rf /boot/leapfrog /boot/loader/entries/leapfrog-upgrade.conf")
        );
        let link = fs::read_link(ws.firstboot_wants_link()).unwrap();
        assert_eq!(
            link,
            std::path::Path::new("/etc/systemd/system/leapfrog-firstboot.service")
        );
    }
}
