//! The run lock `var/lib/leapfrog/lock` ([`Workspace::lock_path`]): an exclusive `flock` on the file, with the
//! holder's pid written inside for messages.
//!
//! The kernel releases a `flock` when its holder dies, so a crashed run never blocks the next
//! one; the pid it left in the file is then reported as a recovered stale lock (warning). The
//! file is opened close-on-exec, so scriptlets and other children never inherit the lock.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Read as _, Seek as _, SeekFrom, Write as _};
use std::os::unix::fs::MetadataExt as _;
use std::path::{Path, PathBuf};

use nix::errno::Errno;
use nix::fcntl::{Flock, FlockArg};

use leapfrog_base::failpoints::{self, FailpointError};

use crate::workspace::Workspace;

/// Why the lock could not be taken.
#[derive(Debug, thiserror::Error)]
pub enum LockError {
    /// Another process holds it.
    #[error("another leapfrog (pid {}) is running on {}", pid.map_or_else(|| "unknown".to_string(), |p| p.to_string()), root.display())]
    Busy {
        /// The root.
        root: PathBuf,
        /// The pid written by the holder, if readable.
        pid: Option<i32>,
    },
    /// The lock file cannot be used.
    #[error("cannot use the lock file {}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// Cause.
        source: io::Error,
    },
    /// A failpoint fired.
    #[error(transparent)]
    Failpoint(#[from] FailpointError),
}

/// A held run lock; released (and its pid cleared) when dropped.
#[derive(Debug)]
pub struct RunLock {
    file: Flock<File>,
    path: PathBuf,
    recovered_from: Option<i32>,
}

impl RunLock {
    /// Takes the lock of `root` without waiting.
    ///
    /// # Errors
    ///
    /// [`LockError::Busy`] naming the holder's pid when another process holds it; I/O errors.
    pub fn acquire(ws: &Workspace) -> Result<RunLock, LockError> {
        let root = ws.root();
        let path = ws.lock_path();
        let io_err = |source| LockError::Io {
            path: path.clone(),
            source,
        };
        if let Some(dir) = path.parent() {
            fs::create_dir_all(dir).map_err(io_err)?;
        }
        loop {
            let mut file = OpenOptions::new()
                .read(true)
                .write(true)
                .create(true)
                .truncate(false)
                .open(&path)
                .map_err(io_err)?;
            let previous = read_pid(&mut file);
            let mut locked = match Flock::lock(file, FlockArg::LockExclusiveNonblock) {
                Ok(l) => l,
                Err((_, Errno::EWOULDBLOCK)) => {
                    return Err(LockError::Busy {
                        root: root.to_path_buf(),
                        pid: previous,
                    });
                }
                Err((_, errno)) => return Err(io_err(io::Error::from(errno))),
            };
            // Another run may have replaced the file between open and lock: lock the live one.
            let ours = locked.metadata().map_err(io_err)?;
            match fs::metadata(&path) {
                Ok(m) if m.ino() == ours.ino() && m.dev() == ours.dev() => {}
                _ => continue,
            }
            // Re-read under the lock: the previous holder may have cleared it meanwhile.
            let previous = read_pid(&mut locked);
            let me = std::process::id() as i32;
            let recovered_from = previous.filter(|p| *p != me);
            if let Some(pid) = recovered_from {
                let state = if pid_alive(pid) {
                    "alive but not holding the lock: pid reused"
                } else {
                    "dead"
                };
                tracing::warn!(
                    "recovered a stale leapfrog lock {} left by pid {pid} ({state})",
                    path.display()
                );
            }
            locked.set_len(0).map_err(io_err)?;
            locked.seek(SeekFrom::Start(0)).map_err(io_err)?;
            locked
                .write_all(format!("{me}\n").as_bytes())
                .map_err(io_err)?;
            locked.sync_all().map_err(io_err)?;
            failpoints::fail_point("lock-acquired")?;
            return Ok(RunLock {
                file: locked,
                path,
                recovered_from,
            });
        }
    }

    /// The lock file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The pid of a dead (or non-holding) previous run whose lock was recovered, if any.
    pub fn recovered_from(&self) -> Option<i32> {
        self.recovered_from
    }
}

impl Drop for RunLock {
    fn drop(&mut self) {
        // clear the pid before the flock goes with the descriptor
        let _ = self.file.set_len(0);
    }
}

fn read_pid(file: &mut File) -> Option<i32> {
    let mut text = String::new();
    file.seek(SeekFrom::Start(0)).ok()?;
    file.read_to_string(&mut text).ok()?;
    text.trim().parse::<i32>().ok().filter(|p| *p > 0)
}

/// Whether a process with this pid exists.
fn pid_alive(pid: i32) -> bool {
    match nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid), None) {
        Ok(()) => true,
        Err(e) => e == Errno::EPERM,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::BufRead as _;
    use std::process::{Command, Stdio};

    const CHILD_ENV: &str = leapfrog_base::env::TEST_CHILD;

    /// Run by the parent test as a child process: takes the lock, says so, waits forever.
    #[test]
    #[ignore = "helper process for the lock tests"]
    fn child_holds_the_lock() {
        let Some(root) = std::env::var_os(CHILD_ENV) else {
            return;
        };
        let _lock = RunLock::acquire(&Workspace::unchecked(Path::new(&root))).unwrap();
        println!("LOCKED");
        std::io::stdout().flush().unwrap();
        std::thread::sleep(std::time::Duration::from_secs(600));
    }

    #[test]
    fn a_second_run_is_refused_and_a_dead_holder_is_recovered() {
        let dir = tempfile::tempdir().unwrap();
        let mut child = Command::new(std::env::current_exe().unwrap())
            .args([
                "--exact",
                "apply::lock::tests::child_holds_the_lock",
                "--ignored",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(CHILD_ENV, dir.path())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let pid = child.id() as i32;
        let mut out = std::io::BufReader::new(child.stdout.take().unwrap());
        let mut line = String::new();
        while !line.contains("LOCKED") {
            line.clear();
            assert!(out.read_line(&mut line).unwrap() > 0, "child ended early");
        }
        let e = RunLock::acquire(&Workspace::unchecked(dir.path())).unwrap_err();
        assert!(
            matches!(e, LockError::Busy { pid: Some(p), .. } if p == pid),
            "{e}"
        );
        assert!(
            e.to_string()
                .starts_with(&format!("another leapfrog (pid {pid}) is running")),
            "{e}"
        );
        // SIGKILL: no destructor clears the pid, the kernel drops the flock
        child.kill().unwrap();
        child.wait().unwrap();
        assert!(!pid_alive(pid));
        let lock = RunLock::acquire(&Workspace::unchecked(dir.path())).unwrap();
        assert_eq!(lock.recovered_from(), Some(pid));
        let text = fs::read_to_string(lock.path()).unwrap();
        assert_eq!(text.trim(), std::process::id().to_string());
        drop(lock);
        // a clean release leaves nothing to recover
        let again = RunLock::acquire(&Workspace::unchecked(dir.path())).unwrap();
        assert_eq!(again.recovered_from(), None);
    }

    #[test]
    fn the_same_process_cannot_take_it_twice() {
        let dir = tempfile::tempdir().unwrap();
        let first = RunLock::acquire(&Workspace::unchecked(dir.path())).unwrap();
        let e = RunLock::acquire(&Workspace::unchecked(dir.path())).unwrap_err();
        assert!(
            e.to_string()
                .contains(&format!("(pid {})", std::process::id())),
            "{e}"
        );
        drop(first);
        RunLock::acquire(&Workspace::unchecked(dir.path())).unwrap();
    }

    #[test]
    fn an_unusable_lock_path_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        fs::create_dir_all(Workspace::unchecked(dir.path()).lock_path()).unwrap(); // a directory, not a file
        let e = RunLock::acquire(&Workspace::unchecked(dir.path())).unwrap_err();
        assert!(e.to_string().contains("cannot use the lock file"), "{e}");
    }
}
