//! Installation media as a package source: an ISO (or any filesystem image) loop-mounted
//! read-only (`mount -o loop,ro`) on a private directory, unmounted when the value is dropped.
//! The repositories on it are then `file://` repositories used in place, which works offline.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicU32, Ordering};

use super::FetchError;

/// A mounted image; dropping it unmounts it and removes the mount point.
#[derive(Debug)]
pub struct IsoMount {
    image: PathBuf,
    dir: PathBuf,
    mounted: bool,
}

static NEXT: AtomicU32 = AtomicU32::new(0);

impl IsoMount {
    /// Loop-mounts `image` read-only on a new directory under the system temporary directory
    /// (needs root, as `mount` does).
    ///
    /// # Errors
    ///
    /// When the image is not a regular file, the mount point cannot be created, or `mount`
    /// fails (its message is included).
    pub fn mount(image: &Path) -> Result<Self, FetchError> {
        let fail = |reason: String| FetchError::Mount {
            image: image.to_path_buf(),
            reason,
        };
        match std::fs::metadata(image) {
            Ok(m) if m.is_file() => {}
            Ok(_) => return Err(fail("not a regular file".into())),
            Err(e) => return Err(fail(e.to_string())),
        }
        let dir = std::env::temp_dir().join(format!(
            "leapfrog-media-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir(&dir).map_err(|source| FetchError::Io {
            action: "create directory",
            path: dir.clone(),
            source,
        })?;
        let out = Command::new("mount")
            .args(["-o", "loop,ro", "--"])
            .arg(image)
            .arg(&dir)
            .output();
        match out {
            Ok(o) if o.status.success() => {
                tracing::info!(image = %image.display(), dir = %dir.display(), "mounted");
                Ok(Self {
                    image: image.to_path_buf(),
                    dir,
                    mounted: true,
                })
            }
            Ok(o) => {
                let _ = std::fs::remove_dir(&dir);
                Err(fail(format!(
                    "mount -o loop,ro failed: {}",
                    String::from_utf8_lossy(&o.stderr).trim()
                )))
            }
            Err(e) => {
                let _ = std::fs::remove_dir(&dir);
                Err(fail(format!("cannot run mount: {e}")))
            }
        }
    }

    /// The image.
    pub fn image(&self) -> &Path {
        &self.image
    }

    /// The mount point.
    pub fn path(&self) -> &Path {
        &self.dir
    }

    /// The `file://` URL of a directory on the medium (`""` for its top), e.g. a repository's
    /// base URL `BaseOS`.
    pub fn url(&self, sub: &str) -> String {
        let base = format!("file://{}", self.dir.display());
        let sub = sub.trim_matches('/');
        if sub.is_empty() {
            base
        } else {
            format!("{base}/{sub}")
        }
    }

    /// Unmounts now and removes the mount point.
    ///
    /// # Errors
    ///
    /// When `umount` fails (the medium is busy); the value then retries, lazily, on drop.
    pub fn unmount(mut self) -> Result<(), FetchError> {
        self.try_unmount(false)
    }

    fn try_unmount(&mut self, lazy: bool) -> Result<(), FetchError> {
        if self.mounted {
            let mut cmd = Command::new("umount");
            if lazy {
                cmd.arg("-l");
            }
            let out = cmd.arg(&self.dir).output().map_err(|e| FetchError::Mount {
                image: self.image.clone(),
                reason: format!("cannot run umount: {e}"),
            })?;
            if !out.status.success() {
                return Err(FetchError::Mount {
                    image: self.image.clone(),
                    reason: format!(
                        "umount {} failed: {}",
                        self.dir.display(),
                        String::from_utf8_lossy(&out.stderr).trim()
                    ),
                });
            }
            self.mounted = false;
        }
        let _ = std::fs::remove_dir(&self.dir);
        Ok(())
    }
}

impl Drop for IsoMount {
    fn drop(&mut self) {
        if self.try_unmount(false).is_err()
            && let Err(e) = self.try_unmount(true)
        {
            tracing::warn!("{e}");
        }
    }
}
