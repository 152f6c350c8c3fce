//! The [`Workspace`]: one typed handle on the root leapfrog works on, created once per command
//! and passed to every library call. Every path leapfrog owns inside the root — its state
//! directory, its logs, its documents, the snapshot stores, the package cache, its boot entry
//! and the files it installs — is defined here and nowhere else.
//!
//! ```text
//! <root>/
//!   var/lib/leapfrog/          state_dir()      plan.json, download.json, state.json,
//!                                               staged.json, facts.json, lock,
//!                                               package-dirs.json, firstboot.sh,
//!                                               packages/, keys/, repos/, snapshot/,
//!                                               snapshot-boot/
//!   var/log/leapfrog/          log_dir()        report.json, report.txt, answerfile,
//!                                               apply.log, scriptlets.log
//!   boot/leapfrog/             upgrade_boot_dir()   kernel and initramfs of the upgrade
//!   boot/leapfrog-merge/       merge_keep_dir()     state kept across an LVM merge
//!   boot/loader/entries/leapfrog-upgrade.conf       the one-shot BLS entry
//!   etc/leapfrog/              config_dir()     waivers, target.repos.d/, rpm-gpg/
//! ```
//!
//! A root given with `--root` may be a customer's disk: [`Workspace::open`] refuses a root
//! whose leapfrog directories are symlinks, so that no write of leapfrog can be led outside
//! the root.

use std::io;
use std::path::{Path, PathBuf};

/// The state directory inside the root.
const STATE_DIR: &str = "var/lib/leapfrog";
/// The log directory inside the root.
const LOG_DIR: &str = "var/log/leapfrog";
/// The configuration directory inside the root.
const CONFIG_DIR: &str = "etc/leapfrog";
/// The id (file name without `.conf`) of leapfrog's BLS entry.
pub const ENTRY_ID: &str = "leapfrog-upgrade";

/// Why a root cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum WorkspaceError {
    /// The root does not exist or is not a directory.
    #[error("{} is not a directory", root.display())]
    NotADirectory {
        /// The root.
        root: PathBuf,
    },
    /// The root path cannot be made absolute.
    #[error("cannot resolve the root {}", root.display())]
    Resolve {
        /// The root.
        root: PathBuf,
        /// Why.
        #[source]
        source: io::Error,
    },
    /// A directory leapfrog writes into is a symlink (it could lead outside the root).
    #[error(
        "{} is a symbolic link leading out of the root {} (to {}): leapfrog writes there and never follows a link out of the root; replace it with a directory or a link inside the root",
        path.display(),
        root.display(),
        target.display()
    )]
    Symlink {
        /// The link.
        path: PathBuf,
        /// The root.
        root: PathBuf,
        /// Where it leads, as this process resolves it.
        target: PathBuf,
    },
}

/// Paths that are a fixed name under another path of the workspace: one line each, in the
/// table of [`Workspace`]'s `impl` below.
macro_rules! paths_under {
    ($($(#[$doc:meta])* $name:ident = $base:ident / $rel:literal;)*) => {
        $(
            $(#[$doc])*
            pub fn $name(&self) -> PathBuf {
                self.$base().join($rel)
            }
        )*
    };
}

/// One typed handle on a root. Cheap to clone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Workspace {
    root: PathBuf,
}

impl Workspace {
    /// The workspace of `root` (made absolute), checked: the root is a directory, and none of
    /// the directories leapfrog writes into (`var`, `var/lib`, `var/lib/leapfrog`, `var/log`,
    /// `var/log/leapfrog`, `boot/leapfrog`, `boot/leapfrog-merge`, `etc/leapfrog`) is a
    /// symlink.
    ///
    /// # Errors
    ///
    /// [`WorkspaceError`].
    pub fn open(root: &Path) -> Result<Workspace, WorkspaceError> {
        let abs = std::path::absolute(root).map_err(|source| WorkspaceError::Resolve {
            root: root.to_path_buf(),
            source,
        })?;
        if !abs.is_dir() {
            return Err(WorkspaceError::NotADirectory { root: abs });
        }
        let ws = Workspace { root: abs };
        ws.check_no_symlinks()?;
        Ok(ws)
    }

    /// A workspace without the checks of [`Workspace::open`], for unit tests and for code
    /// that only reads.
    pub fn unchecked(root: &Path) -> Workspace {
        Workspace {
            root: std::path::absolute(root).unwrap_or_else(|_| root.to_path_buf()),
        }
    }

    /// A directory leapfrog writes into may be a symlink (an administrator's `/var/log` on
    /// another disk) only when it leads to a place inside the root: a link resolved against
    /// this process's `/` would lead a write of a mounted root onto the host.
    fn check_no_symlinks(&self) -> Result<(), WorkspaceError> {
        let root = self
            .root
            .canonicalize()
            .unwrap_or_else(|_| self.root.clone());
        for rel in [
            "var",
            "var/lib",
            STATE_DIR,
            "var/log",
            LOG_DIR,
            "etc",
            CONFIG_DIR,
            "boot",
            "boot/leapfrog",
            "boot/leapfrog-merge",
        ] {
            let path = self.root.join(rel);
            if !std::fs::symlink_metadata(&path).is_ok_and(|m| m.file_type().is_symlink()) {
                continue;
            }
            // a dangling link leads nowhere inside the root either
            let target = path.canonicalize().unwrap_or_else(|_| path.clone());
            if !target.starts_with(&root) || target == path {
                return Err(WorkspaceError::Symlink {
                    path,
                    root: root.clone(),
                    target,
                });
            }
        }
        Ok(())
    }

    /// The root itself.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Whether the root is the running system (`/`).
    pub fn is_live(&self) -> bool {
        self.root.canonicalize().is_ok_and(|p| p == Path::new("/"))
    }

    /// `path` (absolute as seen from inside the root, or relative) inside the root.
    pub fn in_root(&self, path: impl AsRef<Path>) -> PathBuf {
        let p = path.as_ref();
        self.root.join(p.strip_prefix("/").unwrap_or(p))
    }

    /// `var/lib/leapfrog`: state, documents, caches and snapshot stores.
    pub fn state_dir(&self) -> PathBuf {
        self.root.join(STATE_DIR)
    }

    /// `var/log/leapfrog`: reports and logs.
    pub fn log_dir(&self) -> PathBuf {
        self.root.join(LOG_DIR)
    }

    /// `/boot` of the root.
    pub fn boot_dir(&self) -> PathBuf {
        self.root.join("boot")
    }

    paths_under! {
        /// `plan.json`.
        plan_path = state_dir / "plan.json";
        /// `download.json`.
        download_record_path = state_dir / "download.json";
        /// `state.json`: the executor's state machine.
        state_path = state_dir / "state.json";
        /// `staged.json`: what `leapfrog upgrade` staged for the reboot.
        staged_path = state_dir / "staged.json";
        /// `facts.json`: the facts of the last assessment.
        facts_path = state_dir / "facts.json";
        /// The run lock.
        lock_path = state_dir / "lock";
        /// The directories that receive package files during a run (rpm's temporary files are
        /// removed from them after a restore).
        package_dirs_path = state_dir / "package-dirs.json";
        /// The first-boot script.
        firstboot_script = state_dir / "firstboot.sh";
        /// The downloaded packages.
        packages_dir = state_dir / "packages";
        /// The target repositories' keys.
        keys_dir = state_dir / "keys";
        /// The repository metadata cache.
        metadata_cache_dir = state_dir / "repos";
        /// The store of the main snapshot.
        snapshot_store = state_dir / "snapshot";
        /// The store of the `/boot` journal beside a btrfs, LVM or no snapshot.
        boot_snapshot_store = state_dir / "snapshot-boot";
        /// `report.json`: the assessment, leapp's format.
        report_json_path = log_dir / "report.json";
        /// `report.txt`: the assessment for people.
        report_text_path = log_dir / "report.txt";
        /// The answerfile.
        answerfile_path = log_dir / "answerfile";
        /// The executor's log.
        apply_log_path = log_dir / "apply.log";
        /// Scriptlet output of the transaction.
        scriptlet_log_path = log_dir / "scriptlets.log";
        /// Where the upgrade kernel and initramfs go.
        upgrade_boot_dir = boot_dir / "leapfrog";
        /// Where an LVM rollback keeps its state and logs until the merge.
        merge_keep_dir = boot_dir / "leapfrog-merge";
        /// The BLS entries directory.
        bls_entries_dir = boot_dir / "loader/entries";
        /// The waiver file: one finding key per line.
        waivers_path = config_dir / "waivers";
        /// Target repository definitions given by the operator.
        target_repos_dir = config_dir / "target.repos.d";
        /// Keys of the operator's target repositories.
        config_keys_dir = config_dir / "rpm-gpg";
        /// The first-boot unit leapfrog installs.
        firstboot_unit = system / "etc/systemd/system/leapfrog-firstboot.service";
        /// Its `multi-user.target.wants` link.
        firstboot_wants_link = system / "etc/systemd/system/multi-user.target.wants/leapfrog-firstboot.service";
        /// The rpm macro file leapfrog writes when an EL8 target's database was converted to
        /// sqlite.
        db_backend_macros = system / "etc/rpm/macros.leapfrog-db-backend";
    }

    /// leapfrog's BLS entry.
    pub fn upgrade_entry_path(&self) -> PathBuf {
        self.bls_entries_dir().join(format!("{ENTRY_ID}.conf"))
    }

    /// `etc/leapfrog`: the operator's configuration.
    pub fn config_dir(&self) -> PathBuf {
        self.root.join(CONFIG_DIR)
    }

    /// The root as an owned path: the base of the files leapfrog installs into the system.
    fn system(&self) -> PathBuf {
        self.root.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_inside_the_root() {
        let d = tempfile::tempdir().unwrap();
        let ws = Workspace::open(d.path()).unwrap();
        assert_eq!(ws.plan_path(), d.path().join("var/lib/leapfrog/plan.json"));
        assert_eq!(
            ws.upgrade_entry_path(),
            d.path().join("boot/loader/entries/leapfrog-upgrade.conf")
        );
        assert_eq!(ws.in_root("/etc/fstab"), d.path().join("etc/fstab"));
        assert_eq!(ws.in_root("etc/fstab"), d.path().join("etc/fstab"));
    }

    #[test]
    fn a_symlinked_state_directory_is_refused() {
        let d = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(d.path().join("var/lib")).unwrap();
        std::os::unix::fs::symlink(outside.path(), d.path().join("var/lib/leapfrog")).unwrap();
        let e = Workspace::open(d.path()).unwrap_err();
        assert!(matches!(e, WorkspaceError::Symlink { .. }), "{e}");
        assert!(
            e.to_string()
                .contains("var/lib/leapfrog is a symbolic link leading out of the root"),
            "{e}"
        );
        std::fs::remove_file(d.path().join("var/lib/leapfrog")).unwrap();
        std::os::unix::fs::symlink(outside.path(), d.path().join("etc")).unwrap();
        assert!(Workspace::open(d.path()).is_err());
        std::fs::remove_file(d.path().join("etc")).unwrap();
        // an absolute link means the host's path when the root is mounted elsewhere
        std::fs::create_dir_all(d.path().join("var")).unwrap();
        std::os::unix::fs::symlink("/var/log", d.path().join("var/log")).unwrap();
        assert!(Workspace::open(d.path()).is_err());
        std::fs::remove_file(d.path().join("var/log")).unwrap();
        // a dangling link is refused too
        std::os::unix::fs::symlink("missing", d.path().join("var/log")).unwrap();
        assert!(Workspace::open(d.path()).is_err());
        std::fs::remove_file(d.path().join("var/log")).unwrap();
        Workspace::open(d.path()).unwrap();
    }

    #[test]
    fn a_link_inside_the_root_is_followed() {
        // an administrator's /var/log on another disk mounted inside the root
        let d = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(d.path().join("var")).unwrap();
        std::fs::create_dir_all(d.path().join("data/log")).unwrap();
        std::os::unix::fs::symlink("../data/log", d.path().join("var/log")).unwrap();
        let ws = Workspace::open(d.path()).unwrap();
        assert!(ws.log_dir().starts_with(d.path()));
    }

    #[test]
    fn a_missing_root_is_refused() {
        let e = Workspace::open(Path::new("/nonexistent/leapfrog-root")).unwrap_err();
        assert!(e.to_string().contains("is not a directory"), "{e}");
    }
}
