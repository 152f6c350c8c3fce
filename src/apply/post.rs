//! Post-steps after the RPM transaction: the rpm database format and location the target
//! expects, the module state files, the default boot entry, `.rpmnew`/`.rpmsave` files, and
//! SELinux relabel scheduling. Each step is a function of the root; each is idempotent, so
//! re-running it after a crash is safe.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::process::Command;

use rpm_sys::{DbBackend, DbLocation};

use crate::plan::document::{Modules, PlanDocument};
use crate::plan::fates::Action;
use crate::workspace::Workspace;
use leapfrog_base::atomic::{Failpoints, write_atomic};
use leapfrog_base::failpoints::{self, FailpointError};

/// The rpm database directory of EL7-EL9.
pub const VAR_LIB_RPM: &str = "/var/lib/rpm";
/// The rpm database directory of EL10 (`/var/lib/rpm` is a symlink to it).
pub const SYSIMAGE_RPM: &str = "/usr/lib/sysimage/rpm";

/// A post-step that failed.
#[derive(Debug, thiserror::Error)]
pub enum PostError {
    /// A file operation failed.
    #[error("{what} {}: {source}", path.display())]
    Io {
        /// What was being done.
        what: &'static str,
        /// The file.
        path: PathBuf,
        /// Cause.
        source: io::Error,
    },
    /// `rpmdb --rebuilddb` failed.
    #[error("rebuilding the rpm database of {} failed: {message}", root.display())]
    Rebuild {
        /// The root.
        root: PathBuf,
        /// Its output.
        message: String,
    },
    /// Input that cannot be used.
    #[error("{0}")]
    Invalid(String),
    /// A failpoint fired.
    #[error(transparent)]
    Failpoint(#[from] FailpointError),
}

fn io_err(what: &'static str, path: &Path) -> impl FnOnce(io::Error) -> PostError + use<> {
    let path = path.to_path_buf();
    move |source| PostError::Io { what, path, source }
}

/// The rpm database location a target major release uses: sqlite from EL9, in
/// `/usr/lib/sysimage/rpm` from EL10.
pub fn target_db_location(target_major: u32) -> DbLocation {
    let backend = if target_major >= 9 {
        DbBackend::Sqlite
    } else {
        DbBackend::BdbReadOnly
    };
    let dbpath = if target_major >= 10 {
        SYSIMAGE_RPM
    } else {
        VAR_LIB_RPM
    };
    DbLocation::new(dbpath, backend)
}

/// The major version of a release id such as `almalinux-9.6`.
pub fn release_major(release: &str) -> Option<u32> {
    let (_, version) = release.rsplit_once('-')?;
    version.split('.').next()?.parse().ok()
}

/// Brings the database at `current` to what `target_major` expects: moved to
/// `/usr/lib/sysimage/rpm` with a `/var/lib/rpm -> ../../usr/lib/sysimage/rpm` symlink for
/// EL10+, and rebuilt from BerkeleyDB into sqlite for EL9+ (`rpmdb --rebuilddb` with explicit
/// `%_dbpath`/`%_db_backend`). Returns the new location, or `None` when nothing had to change.
/// A target that keeps BerkeleyDB (EL8) is left alone: this rpm cannot write BerkeleyDB.
///
/// # Errors
///
/// When the database is missing, cannot be moved, or the rebuild fails.
pub fn convert_rpmdb(
    ws: &Workspace,
    current: &DbLocation,
    target_major: u32,
) -> Result<Option<DbLocation>, PostError> {
    let root = ws.root();
    let target = target_db_location(target_major);
    let packages = current.packages_file(root);
    if !packages.is_file() {
        return Err(PostError::Invalid(format!(
            "the rpm database {} does not exist",
            packages.display()
        )));
    }
    let move_needed = target.dbpath != current.dbpath && target_major >= 10;
    let rebuild_needed = current.backend == DbBackend::BdbReadOnly && target_major >= 9;
    if !move_needed && !rebuild_needed {
        return Ok(None);
    }
    failpoints::fail_point("post-rpmdb-convert")?;
    let mut now = current.clone();
    if move_needed {
        move_db_dir(root, &current.dbpath, &target.dbpath)?;
        now.dbpath = target.dbpath.clone();
    }
    if rebuild_needed {
        rebuild(root, &now.dbpath)?;
        now.backend = DbBackend::Sqlite;
        let sqlite = now.packages_file(root);
        if !sqlite.is_file() {
            return Err(PostError::Rebuild {
                root: root.to_path_buf(),
                message: format!("{} was not created", sqlite.display()),
            });
        }
        // the BerkeleyDB files are not used by the target's rpm any more
        let dir = root.join(now.dbpath.trim_start_matches('/'));
        for entry in fs::read_dir(&dir).map_err(io_err("reading", &dir))? {
            let entry = entry.map_err(io_err("reading", &dir))?;
            let name = entry.file_name().to_string_lossy().into_owned();
            if !name.starts_with("rpmdb.sqlite") && entry.path().is_file() {
                fs::remove_file(entry.path()).map_err(io_err("removing", &entry.path()))?;
            }
        }
    }
    Ok(Some(now))
}

fn move_db_dir(root: &Path, from: &str, to: &str) -> Result<(), PostError> {
    let src = root.join(from.trim_start_matches('/'));
    let dst = root.join(to.trim_start_matches('/'));
    let src_meta = fs::symlink_metadata(&src).map_err(io_err("examining", &src))?;
    if src_meta.file_type().is_symlink() {
        // already a symlink (a re-run, or a root that had both): only the target must hold it
        return Ok(());
    }
    if let Some(parent) = dst.parent() {
        fs::create_dir_all(parent).map_err(io_err("creating", parent))?;
    }
    let dst_has_files = fs::read_dir(&dst)
        .map(|mut d| d.next().is_some())
        .unwrap_or(false);
    if dst_has_files {
        // the target's rpm package may have created an empty or stale directory: keep it aside
        let aside = dst.with_extension("leapfrog-old");
        let _ = fs::remove_dir_all(&aside);
        fs::rename(&dst, &aside).map_err(io_err("moving aside", &dst))?;
    } else if dst.exists() {
        fs::remove_dir(&dst).map_err(io_err("removing", &dst))?;
    }
    fs::rename(&src, &dst).map_err(io_err("moving the rpm database", &src))?;
    failpoints::fail_point("post-rpmdb-moved")?;
    let link = relative_link(from, to);
    std::os::unix::fs::symlink(&link, &src).map_err(io_err("creating the symlink", &src))?;
    Ok(())
}

/// `../../usr/lib/sysimage/rpm` for `from = /var/lib/rpm`.
fn relative_link(from: &str, to: &str) -> PathBuf {
    let depth = from.trim_matches('/').split('/').count().saturating_sub(1);
    let mut p = PathBuf::new();
    for _ in 0..depth {
        p.push("..");
    }
    p.push(to.trim_start_matches('/'));
    p
}

fn rebuild(root: &Path, dbpath: &str) -> Result<(), PostError> {
    // HOME without a ~/.rpmmacros: only the macros given here and the system's apply
    let out = Command::new("rpmdb")
        .env("HOME", "/nonexistent")
        .arg("--root")
        .arg(root)
        .args(["--define", &format!("_dbpath {dbpath}")])
        .args(["--define", "_db_backend sqlite"])
        .arg("--rebuilddb")
        .output()
        .map_err(io_err("running rpmdb for", root))?;
    if !out.status.success() {
        return Err(PostError::Rebuild {
            root: root.to_path_buf(),
            message: format!(
                "rpmdb exited with {}: {}",
                out.status,
                String::from_utf8_lossy(&out.stderr).trim()
            ),
        });
    }
    Ok(())
}

/// Writes `/etc/dnf/modules.d/<name>.module` for the plan's module changes: reset modules get a
/// file without stream and state, enabled streams `state=enabled` (enable wins over reset).
/// Returns the files written.
///
/// # Errors
///
/// When an entry is malformed (`name:stream` expected) or a file cannot be written.
pub fn write_module_state(ws: &Workspace, modules: &Modules) -> Result<Vec<PathBuf>, PostError> {
    let root = ws.root();
    failpoints::fail_point("post-modules")?;
    let valid = |s: &str| {
        !s.is_empty()
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || "._+-".contains(c))
    };
    let mut files: std::collections::BTreeMap<String, String> = Default::default();
    for name in &modules.reset {
        if !valid(name) {
            return Err(PostError::Invalid(format!(
                "invalid module name {name:?} to reset"
            )));
        }
        files.insert(
            name.clone(),
            format!("[{name}]\nname={name}\nstream=\nprofiles=\nstate=\n"),
        );
    }
    for entry in &modules.enable {
        let Some((name, stream)) = entry.split_once(':').filter(|(n, s)| valid(n) && valid(s))
        else {
            return Err(PostError::Invalid(format!(
                "invalid module stream {entry:?} to enable (expected name:stream)"
            )));
        };
        files.insert(
            name.to_string(),
            format!("[{name}]\nname={name}\nstream={stream}\nprofiles=\nstate=enabled\n"),
        );
    }
    let dir = root.join("etc/dnf/modules.d");
    let mut written = Vec::new();
    for (name, text) in files {
        let path = dir.join(format!("{name}.module"));
        write_atomic(&path, text.as_bytes(), Failpoints::NONE).map_err(io_err("writing", &path))?;
        written.push(path);
    }
    Ok(written)
}

/// The kernel version (`version-release.arch`) of the newest incoming kernel in the plan
/// (`kernel-core` from EL8, `kernel` before).
pub fn target_kernel_version(plan: &PlanDocument) -> Option<String> {
    let mut best: Option<String> = None;
    for e in &plan.transaction {
        if matches!(e.action, Action::Erase | Action::Obsoleted) {
            continue;
        }
        if e.name != "kernel-core" && e.name != "kernel" {
            continue;
        }
        let Some(rest) = e.nevra.strip_prefix(&format!("{}-", e.name)) else {
            continue;
        };
        // kernels carry no epoch, but strip one if present
        let kver = rest.split_once(':').map_or(rest, |(_, v)| v).to_string();
        let newer = best
            .as_deref()
            .is_none_or(|b| rpm_sys::vercmp(&kver, b) == std::cmp::Ordering::Greater);
        if newer {
            best = Some(kver);
        }
    }
    best
}

/// Writes the rpm macro file that tells an EL8 target's rpm its database is sqlite (this
/// librpm cannot write BerkeleyDB, so the database was converted).
///
/// # Errors
///
/// When the file cannot be written.
pub fn write_db_backend_macros(ws: &Workspace) -> Result<(), PostError> {
    let p = ws.db_backend_macros();
    write_atomic(
        &p,
        b"# written by leapfrog: the rpm database of this host is sqlite\n%_db_backend sqlite\n",
        Failpoints::NONE,
    )
    .map_err(io_err("writing", &p))
}

/// Every `.rpmnew` and `.rpmsave` file under `/etc`, sorted, as paths inside the root.
///
/// # Errors
///
/// When a directory cannot be read.
pub fn config_leftovers(ws: &Workspace) -> Result<Vec<PathBuf>, PostError> {
    let root = ws.root();
    let etc = root.join("etc");
    let mut found = Vec::new();
    let mut stack = vec![etc];
    while let Some(dir) = stack.pop() {
        let entries = match fs::read_dir(&dir) {
            Ok(e) => e,
            Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
            Err(e) => return Err(io_err("reading", &dir)(e)),
        };
        for entry in entries {
            let entry = entry.map_err(io_err("reading", &dir))?;
            let path = entry.path();
            let ft = entry.file_type().map_err(io_err("examining", &path))?;
            if ft.is_dir() {
                stack.push(path);
            } else if path
                .extension()
                .is_some_and(|x| x == "rpmnew" || x == "rpmsave")
                && let Ok(rel) = path.strip_prefix(root)
            {
                found.push(Path::new("/").join(rel));
            }
        }
    }
    found.sort();
    Ok(found)
}

/// Creates `/.autorelabel` when `/etc/selinux/config` sets `SELINUX=enforcing` or `permissive`.
/// Returns whether a relabel was scheduled.
///
/// # Errors
///
/// When the config cannot be read (other than missing) or the file cannot be created.
pub fn schedule_selinux_relabel(ws: &Workspace) -> Result<bool, PostError> {
    let root = ws.root();
    let config = root.join("etc/selinux/config");
    let text = match fs::read_to_string(&config) {
        Ok(t) => t,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(false),
        Err(e) => return Err(io_err("reading", &config)(e)),
    };
    let mode = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| l.strip_prefix("SELINUX="))
        .next_back()
        .map(|v| v.trim().trim_matches('"').to_ascii_lowercase());
    if !matches!(mode.as_deref(), Some("enforcing" | "permissive")) {
        return Ok(false);
    }
    failpoints::fail_point("post-selinux")?;
    let flag = root.join(".autorelabel");
    write_atomic(&flag, b"", Failpoints::NONE).map_err(io_err("creating", &flag))?;
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_links() {
        assert_eq!(
            relative_link("/var/lib/rpm", "/usr/lib/sysimage/rpm"),
            PathBuf::from("../../usr/lib/sysimage/rpm")
        );
    }

    #[test]
    fn release_majors_and_locations() {
        assert_eq!(release_major("almalinux-9.6"), Some(9));
        assert_eq!(release_major("centos-7.9"), Some(7));
        assert_eq!(release_major("nonsense"), None);
        assert_eq!(target_db_location(8).backend, DbBackend::BdbReadOnly);
        assert_eq!(
            target_db_location(9),
            DbLocation::new(VAR_LIB_RPM, DbBackend::Sqlite)
        );
        assert_eq!(target_db_location(10).dbpath, SYSIMAGE_RPM);
    }

    #[test]
    fn module_files_as_dnf_writes_them() {
        let dir = tempfile::tempdir().unwrap();
        let m = Modules {
            enable: vec!["nodejs:18".into(), "php:8.1".into()],
            reset: vec!["nodejs".into(), "perl".into()],
        };
        let files = write_module_state(&Workspace::unchecked(dir.path()), &m).unwrap();
        assert_eq!(files.len(), 3);
        let d = dir.path().join("etc/dnf/modules.d");
        assert_eq!(
            fs::read_to_string(d.join("nodejs.module")).unwrap(),
            "[nodejs]\nname=nodejs\nstream=18\nprofiles=\nstate=enabled\n"
        );
        assert_eq!(
            fs::read_to_string(d.join("perl.module")).unwrap(),
            "[perl]\nname=perl\nstream=\nprofiles=\nstate=\n"
        );
        for bad in ["nodejs", "node/js:18", ":18", "nodejs:"] {
            let m = Modules {
                enable: vec![bad.into()],
                reset: vec![],
            };
            let e = write_module_state(&Workspace::unchecked(dir.path()), &m)
                .unwrap_err()
                .to_string();
            assert!(e.contains("expected name:stream"), "{bad}: {e}");
        }
        let m = Modules {
            enable: vec![],
            reset: vec!["../etc".into()],
        };
        assert!(write_module_state(&Workspace::unchecked(dir.path()), &m).is_err());
    }

    #[test]
    fn leftovers_and_selinux() {
        let dir = tempfile::tempdir().unwrap();
        let r = dir.path();
        fs::create_dir_all(r.join("etc/ssh")).unwrap();
        fs::write(r.join("etc/ssh/sshd_config.rpmnew"), "").unwrap();
        fs::write(r.join("etc/yum.conf.rpmsave"), "").unwrap();
        fs::write(r.join("etc/hosts"), "").unwrap();
        fs::write(r.join("etc/notrpmnew"), "").unwrap();
        assert_eq!(
            config_leftovers(&Workspace::unchecked(r)).unwrap(),
            vec![
                PathBuf::from("/etc/ssh/sshd_config.rpmnew"),
                PathBuf::from("/etc/yum.conf.rpmsave")
            ]
        );
        // no config: nothing scheduled
        assert!(!schedule_selinux_relabel(&Workspace::unchecked(r)).unwrap());
        fs::create_dir_all(r.join("etc/selinux")).unwrap();
        fs::write(
            r.join("etc/selinux/config"),
            "# SELINUX=enforcing\nSELINUX=disabled\n",
        )
        .unwrap();
        assert!(!schedule_selinux_relabel(&Workspace::unchecked(r)).unwrap());
        assert!(!r.join(".autorelabel").exists());
        fs::write(
            r.join("etc/selinux/config"),
            "SELINUX=permissive\nSELINUXTYPE=targeted\n",
        )
        .unwrap();
        assert!(schedule_selinux_relabel(&Workspace::unchecked(r)).unwrap());
        assert!(r.join(".autorelabel").is_file());
    }
}
