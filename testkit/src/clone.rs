//! Cheap copies of a pristine root, so one installed root serves many tests.
//!
//! - `reflink`: `cp -a --reflink=always` (XFS with reflink, btrfs): instant, shares blocks.
//! - `copy`: `cp -a --reflink=auto`: a reflink where possible, a full copy otherwise.
//! - `overlay`: an overlayfs mount with the pristine root as the read-only lower layer; the
//!   copy's changes go to an upper directory and vanish with [`Overlay::unmount`] (needs root).

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::cmd::{self, CmdError};

/// How to copy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, serde::Serialize)]
pub enum CloneMethod {
    /// Reflink copy; fails where the filesystem cannot share blocks.
    Reflink,
    /// Reflink where possible, plain copy otherwise.
    Copy,
    /// overlayfs mount over the pristine root.
    Overlay,
}

/// An overlay copy; unmounts on [`Overlay::unmount`] or drop.
#[derive(Debug)]
pub struct Overlay {
    /// Where the merged root is mounted.
    pub merged: PathBuf,
    /// Upper (changes) directory.
    pub upper: PathBuf,
    mounted: bool,
}

impl Overlay {
    /// Unmounts the overlay (changes stay in the upper directory until it is removed).
    pub fn unmount(mut self) -> Result<(), CmdError> {
        self.mounted = false;
        cmd::run(Command::new("umount").arg(&self.merged)).map(|_| ())
    }

    /// Leaves the overlay mounted after this value is dropped (for the CLI).
    pub fn keep(mut self) -> PathBuf {
        self.mounted = false;
        self.merged.clone()
    }
}

impl Drop for Overlay {
    fn drop(&mut self) {
        if self.mounted {
            let _ = Command::new("umount").arg(&self.merged).status();
        }
    }
}

/// Copies `src` to `dst` (which must not exist) with `cp -a`.
pub fn copy_root(src: &Path, dst: &Path, method: CloneMethod) -> Result<(), CmdError> {
    let reflink = match method {
        CloneMethod::Reflink => "--reflink=always",
        _ => "--reflink=auto",
    };
    cmd::run(
        Command::new("cp")
            .args(["-a", reflink, "--no-target-directory"])
            .arg(src)
            .arg(dst),
    )
    .map(|_| ())
}

/// Mounts an overlay of `lower` at `dir/merged`, with `dir/upper` and `dir/work`.
pub fn overlay_root(lower: &Path, dir: &Path) -> Result<Overlay, CmdError> {
    let merged = dir.join("merged");
    let upper = dir.join("upper");
    let work = dir.join("work");
    for d in [&merged, &upper, &work] {
        std::fs::create_dir_all(d).map_err(|source| CmdError::Spawn {
            program: format!("mkdir {}", d.display()),
            source,
        })?;
    }
    let opts = format!(
        "lowerdir={},upperdir={},workdir={}",
        lower.display(),
        upper.display(),
        work.display()
    );
    cmd::run(
        Command::new("mount")
            .args(["-t", "overlay", "overlay", "-o", &opts])
            .arg(&merged),
    )?;
    Ok(Overlay {
        merged,
        upper,
        mounted: true,
    })
}
