//! Fixtures for the integration tests of the other crates: one scratch directory per test
//! process and small worlds built once per set of releases.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock, PoisonError};

use crate::world::{self, Scale, WorldOptions};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stale_scratch_directories_of_dead_processes_are_removed() {
        let d = tempfile::tempdir().unwrap();
        let dead = d.path().join("fx-999999999-abc");
        let alive = d.path().join(format!("fx-{}-abc", std::process::id()));
        let other = d.path().join("fy-999999999-abc");
        for p in [&dead, &alive, &other] {
            std::fs::create_dir_all(p).unwrap();
        }
        remove_stale(d.path(), "fx-");
        assert!(!dead.exists());
        assert!(alive.exists());
        assert!(other.exists());
    }

    #[test]
    fn rpm_home_is_never_seen_half_written() {
        let d = tempfile::tempdir().unwrap();
        let home = rpm_home(d.path(), "/var/lib/rpm");
        let macros = home.join(".rpmmacros");
        std::thread::scope(|s| {
            s.spawn(|| {
                for _ in 0..500 {
                    rpm_home(d.path(), "/var/lib/rpm");
                }
            });
            for _ in 0..2000 {
                assert_eq!(
                    std::fs::read_to_string(&macros).unwrap(),
                    "%_dbpath /var/lib/rpm\n"
                );
            }
        });
    }
}

/// A temporary directory shared by every test of this process, named `<prefix><pid>-XXXX` on
/// its first use (later prefixes are ignored). It is kept after the process ends, for
/// post-mortems, until a later test process with the same prefix starts: that one removes the
/// directories of processes that are gone (worlds and roots take hundreds of megabytes).
///
/// # Panics
///
/// When the directory cannot be created (a test fixture).
pub fn scratch(prefix: &str) -> &'static Path {
    static DIR: OnceLock<tempfile::TempDir> = OnceLock::new();
    DIR.get_or_init(|| {
        remove_stale(&std::env::temp_dir(), prefix);
        tempfile::Builder::new()
            .prefix(&format!("{prefix}{}-", std::process::id()))
            .tempdir()
            .expect("scratch directory")
    })
    .path()
}

/// A HOME for `rpm`/`dnf` under `parent` whose `~/.rpmmacros` sets `%_dbpath` (Debian's rpm
/// defaults to `~/.rpmdb`). Tests running in parallel share it, so the file is replaced
/// atomically: a concurrent reader never sees it empty (an empty one makes rpm read the wrong
/// database, which showed as a `dnf distro-sync` with nothing to do and as "GPG check FAILED").
///
/// # Panics
///
/// When the directory or file cannot be written (a test fixture).
pub fn rpm_home(parent: &Path, dbpath: &str) -> PathBuf {
    let home = parent.join(format!("rpmhome{}", dbpath.replace('/', "_")));
    std::fs::create_dir_all(&home).expect("rpm home");
    let tmp = tempfile::NamedTempFile::new_in(&home).expect("rpmmacros temp file");
    std::fs::write(tmp.path(), format!("%_dbpath {dbpath}\n")).expect("rpmmacros");
    tmp.persist(home.join(".rpmmacros"))
        .expect("rpmmacros in place");
    home
}

/// A filesystem mounted for a test, unmounted (lazily) and its image removed on drop.
#[derive(Debug)]
pub struct TestMount {
    /// The mount point.
    pub dir: PathBuf,
    /// The image file of a loop mount.
    pub image: Option<PathBuf>,
}

impl TestMount {
    /// A `size` (`truncate -s` syntax) image `<parent>/<name>.img` formatted with the `mkfs`
    /// command line and loop-mounted on `<parent>/<name>` (needs root).
    ///
    /// # Panics
    ///
    /// When a command fails (a test fixture).
    pub fn image(parent: &Path, name: &str, size: &str, mkfs: &[&str]) -> TestMount {
        let img = parent.join(format!("{name}.img"));
        let dir = parent.join(name);
        std::fs::create_dir_all(&dir).expect("mount point");
        let run = |c: &mut std::process::Command| {
            let st = c.status().expect("run");
            assert!(st.success(), "{c:?}: {st}");
        };
        run(std::process::Command::new("truncate")
            .args(["-s", size])
            .arg(&img));
        run(std::process::Command::new(mkfs[0])
            .args(&mkfs[1..])
            .arg(&img));
        run(std::process::Command::new("mount")
            .args(["-o", "loop"])
            .arg(&img)
            .arg(&dir));
        TestMount {
            dir,
            image: Some(img),
        }
    }

    /// A tmpfs of `size` on `<parent>/<name>` (needs root).
    ///
    /// # Panics
    ///
    /// When the mount fails (a test fixture).
    pub fn tmpfs(parent: &Path, name: &str, size: &str) -> TestMount {
        let dir = parent.join(name);
        std::fs::create_dir_all(&dir).expect("mount point");
        let st = std::process::Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(&dir)
            .status()
            .expect("mount");
        assert!(st.success(), "mount tmpfs: {st}");
        TestMount { dir, image: None }
    }
}

impl Drop for TestMount {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount")
            .arg("-l")
            .arg(&self.dir)
            .status();
        if let Some(img) = &self.image {
            let _ = std::fs::remove_file(img);
        }
    }
}

/// Removes `<dir>/<prefix><pid>-*` directories whose process no longer exists.
fn remove_stale(dir: &Path, prefix: &str) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        let Some(pid) = name
            .strip_prefix(prefix)
            .and_then(|rest| rest.split_once('-'))
            .and_then(|(pid, _)| pid.parse::<u32>().ok())
        else {
            continue;
        };
        if pid != std::process::id() && !Path::new(&format!("/proc/{pid}")).exists() {
            let _ = std::fs::remove_dir_all(e.path());
        }
    }
}

/// A small world of `releases`, built once per process and set of releases under [`scratch`].
///
/// # Panics
///
/// When the world cannot be built (a test fixture).
pub fn small_world(prefix: &str, releases: &[&str]) -> PathBuf {
    world_at(prefix, releases, Scale::Small)
}

/// A world of `releases` at `scale`, built once per process, set of releases and scale under
/// [`scratch`].
///
/// # Panics
///
/// When the world cannot be built (a test fixture).
pub fn world_at(prefix: &str, releases: &[&str], scale: Scale) -> PathBuf {
    static WORLDS: OnceLock<Mutex<BTreeMap<String, PathBuf>>> = OnceLock::new();
    let key = format!("{}-{scale:?}", releases.join("+"));
    let mut worlds = WORLDS
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(PoisonError::into_inner);
    worlds
        .entry(key.clone())
        .or_insert_with(|| {
            let out = scratch(prefix).join(format!("world-{key}"));
            let mut o = WorldOptions::new(&out, scale);
            o.releases = releases.iter().map(|r| (*r).to_string()).collect();
            world::build_world(&o).expect("world builds");
            out
        })
        .clone()
}
