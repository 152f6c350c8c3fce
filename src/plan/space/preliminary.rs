//! The plan-time space estimate: what each filesystem needs, from repository metadata sizes
//! alone, before any package is downloaded.

use std::fs;
use std::path::{Path, PathBuf};

use serde::Serialize;

use super::{MARGIN_PERCENT, SpaceError, cache_rel, fs_stats, mount_of, parse_mountinfo};
use crate::workspace::Workspace;

/// What one filesystem needs at plan time, from repository metadata sizes alone (no package is
/// downloaded yet). `leapfrog download` replaces it with [`estimate`], computed from the package
/// headers' file lists.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct PreliminaryMount {
    /// Mount point on the host.
    pub mount_point: PathBuf,
    /// What lands there (`downloads`, `installed files under /usr`).
    pub holds: Vec<String>,
    /// Free bytes now.
    pub free_bytes: u64,
    /// Bytes needed at the peak (downloads + incoming installed size + rpm's 5%).
    pub needed_bytes: u64,
    /// Whether it fits.
    pub fits: bool,
}

/// The plan-time estimate: the downloads land on the filesystem of
/// `<root>/var/lib/leapfrog/packages`, the incoming packages' installed size (plus rpm's
/// [`MARGIN_PERCENT`]) on the filesystem of `<root>/usr`. Old files are only freed after the new
/// ones are written, so nothing is subtracted: this is the peak.
///
/// # Errors
///
/// When the mount table or `statvfs` cannot be read.
pub fn preliminary(
    ws: &Workspace,
    download_bytes: u64,
    install_bytes: u64,
) -> Result<Vec<PreliminaryMount>, SpaceError> {
    let mountinfo = Path::new("/proc/self/mountinfo");
    let text = fs::read_to_string(mountinfo).map_err(|source| SpaceError::Mountinfo {
        path: mountinfo.to_path_buf(),
        source,
    })?;
    let mounts = parse_mountinfo(&text);
    let root = fs::canonicalize(ws.root()).map_err(|source| SpaceError::Root {
        path: ws.root().to_path_buf(),
        source,
    })?;
    let locate = |rel: &str| -> PathBuf {
        // The directory may not exist yet: its nearest existing ancestor decides the mount.
        let mut p = root.join(rel);
        while !p.exists() {
            if !p.pop() {
                break;
            }
        }
        fs::canonicalize(&p).unwrap_or(p)
    };
    let mut out: Vec<PreliminaryMount> = Vec::new();
    for (rel, what, bytes) in [
        (cache_rel(ws).as_str(), "downloads", download_bytes),
        (
            "usr",
            "installed files under /usr",
            install_bytes + install_bytes * MARGIN_PERCENT / 100,
        ),
    ] {
        let path = locate(rel);
        let mount_point =
            mount_of(&mounts, &path).map_or_else(|| PathBuf::from("/"), |m| m.mount_point.clone());
        match out.iter_mut().find(|m| m.mount_point == mount_point) {
            Some(m) => {
                m.holds.push(what.to_string());
                m.needed_bytes += bytes;
            }
            None => {
                let stats = fs_stats(&mount_point)?;
                out.push(PreliminaryMount {
                    mount_point,
                    holds: vec![what.to_string()],
                    free_bytes: stats.free_bytes,
                    needed_bytes: bytes,
                    fits: false,
                });
            }
        }
    }
    for m in &mut out {
        m.fits = m.needed_bytes <= m.free_bytes;
    }
    Ok(out)
}

#[cfg(test)]
mod preliminary_tests {
    use super::*;

    #[test]
    fn downloads_and_installs_on_one_filesystem_add_up() {
        let dir = tempfile::tempdir().expect("tempdir");
        let est = preliminary(&Workspace::unchecked(dir.path()), 1000, 2000).expect("estimate");
        assert_eq!(est.len(), 1, "{est:?}");
        assert_eq!(est[0].needed_bytes, 1000 + 2000 + 100);
        assert_eq!(est[0].holds.len(), 2);
        assert!(est[0].fits);
        let huge =
            preliminary(&Workspace::unchecked(dir.path()), u64::MAX / 4, 0).expect("estimate");
        assert!(!huge[0].fits);
    }
}
