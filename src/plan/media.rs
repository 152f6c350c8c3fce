//! Offline sources as target repositories: installation media (`--iso FILE`, loop-mounted
//! read-only) and local directories with repodata (`--local-repo DIR`).
//!
//! A medium is mounted again by every verb that needs it (plan, download), at a different place
//! each time, so its repositories are written into `plan.json` with the dnf-style variable
//! `$leapfrog_media<N>` (N: the index in the plan's `media` list) in their base URLs and key
//! locations; [`Mounted::expand`] replaces it with the current mount point.

use std::path::{Path, PathBuf};

use anyhow::{Context as _, bail};
use leapfrog_actors::facts::repos::Repository as HostRepo;

use crate::fetch::IsoMount;

/// The variable standing for the mount point of medium `n`.
pub fn variable(n: usize) -> String {
    format!("$leapfrog_media{n}")
}

/// Media mounted for the duration of one verb.
#[derive(Debug, Default)]
pub struct Mounted {
    mounts: Vec<IsoMount>,
}

impl Mounted {
    /// Mounts every image, in order (read-only loop mounts, unmounted on drop).
    ///
    /// # Errors
    ///
    /// When an image is missing or cannot be mounted.
    pub fn mount(images: &[PathBuf]) -> anyhow::Result<Mounted> {
        let mut mounts = Vec::new();
        for image in images {
            mounts.push(
                IsoMount::mount(image)
                    .with_context(|| format!("cannot mount the medium {}", image.display()))?,
            );
        }
        Ok(Mounted { mounts })
    }

    /// Replaces `$leapfrog_media<N>` with the `file://` URL of medium N's mount point. Longer
    /// indexes are replaced first, so `$leapfrog_media1` never eats into `$leapfrog_media10`.
    pub fn expand(&self, text: &str) -> String {
        let mut out = text.to_string();
        for (n, m) in self.mounts.iter().enumerate().rev() {
            out = out.replace(&variable(n), &m.url(""));
        }
        out
    }

    /// The mount point of medium `n`.
    pub fn path(&self, n: usize) -> Option<&Path> {
        self.mounts.get(n).map(IsoMount::path)
    }
}

fn has_repodata(dir: &Path) -> bool {
    dir.join("repodata/repomd.xml").is_file()
}

fn repo(id: String, name: String, baseurl: String, gpgkey: Vec<String>) -> HostRepo {
    HostRepo {
        id,
        name: Some(name),
        file: "(offline source)".to_string(),
        enabled: true,
        baseurl: vec![baseurl],
        mirrorlist: None,
        metalink: None,
        gpgcheck: Some(true),
        gpgkey,
        undefined_variables: Vec::new(),
    }
}

fn key_files(dir: &Path) -> Vec<String> {
    let mut keys: Vec<String> = std::fs::read_dir(dir)
        .map(|rd| {
            rd.filter_map(Result::ok)
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| n.starts_with("RPM-GPG-KEY"))
                .collect()
        })
        .unwrap_or_default();
    keys.sort();
    keys
}

/// The repositories of mounted medium `n`: its top directory and its first-level
/// subdirectories that have `repodata/` (`BaseOS`, `AppStream` on EL installation media),
/// with the `RPM-GPG-KEY-*` files at its top as keys. Ids are `media<N>` and
/// `media<N>-<subdir lowercased>`.
///
/// # Errors
///
/// When the medium has no repository at all.
pub fn medium_repos(mounted: &Mounted, n: usize) -> anyhow::Result<Vec<HostRepo>> {
    let top = mounted.path(n).context("medium not mounted")?;
    let var = variable(n);
    let keys: Vec<String> = key_files(top)
        .into_iter()
        .map(|k| format!("{var}/{k}"))
        .collect();
    let mut out = Vec::new();
    if has_repodata(top) {
        out.push(repo(
            format!("media{n}"),
            format!("installation medium {n}"),
            var.clone(),
            keys.clone(),
        ));
    }
    let mut subs: Vec<PathBuf> = std::fs::read_dir(top)
        .with_context(|| format!("cannot list the medium mounted at {}", top.display()))?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.is_dir() && has_repodata(p))
        .collect();
    subs.sort();
    for sub in subs {
        let name = sub
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        out.push(repo(
            format!("media{n}-{}", name.to_lowercase()),
            format!("installation medium {n}: {name}"),
            format!("{var}/{name}"),
            keys.clone(),
        ));
    }
    if out.is_empty() {
        bail!(
            "the medium {} has no repository (no repodata/ at its top or in a first-level directory)",
            n
        );
    }
    Ok(out)
}

/// A local directory with repodata as a repository (`local-<dirname>`), with the
/// `RPM-GPG-KEY-*` files in it as keys.
///
/// # Errors
///
/// When the directory has no `repodata/repomd.xml` (a plain directory of RPMs needs
/// `createrepo_c DIR` first).
pub fn local_repo(dir: &Path) -> anyhow::Result<HostRepo> {
    let dir = std::path::absolute(dir).unwrap_or_else(|_| dir.to_path_buf());
    if !has_repodata(&dir) {
        bail!(
            "{} has no repodata/repomd.xml: make it a repository with `createrepo_c {}` first",
            dir.display(),
            dir.display()
        );
    }
    let name = dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "root".into());
    let url = format!("file://{}", dir.display());
    let keys = key_files(&dir)
        .into_iter()
        .map(|k| format!("{url}/{k}"))
        .collect();
    Ok(repo(
        format!(
            "local-{}",
            name.to_lowercase().replace(
                |c: char| !c.is_ascii_alphanumeric() && c != '-' && c != '_',
                "-"
            )
        ),
        format!("local directory {}", dir.display()),
        url,
        keys,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_directories_need_repodata() {
        let dir = tempfile::tempdir().expect("tempdir");
        let err = local_repo(dir.path()).expect_err("no repodata");
        assert!(err.to_string().contains("createrepo_c"), "{err}");
        std::fs::create_dir_all(dir.path().join("repodata")).expect("mkdir");
        std::fs::write(dir.path().join("repodata/repomd.xml"), "<repomd/>").expect("write");
        std::fs::write(dir.path().join("RPM-GPG-KEY-Test"), "key").expect("write");
        let r = local_repo(dir.path()).expect("repo");
        assert!(r.id.starts_with("local-"));
        assert_eq!(r.baseurl, vec![format!("file://{}", dir.path().display())]);
        assert_eq!(
            r.gpgkey,
            vec![format!("file://{}/RPM-GPG-KEY-Test", dir.path().display())]
        );
    }

    #[test]
    fn media_variables_expand_longest_first() {
        let m = Mounted::default();
        assert_eq!(
            m.expand("$leapfrog_media0/BaseOS"),
            "$leapfrog_media0/BaseOS"
        );
        assert_eq!(variable(10), "$leapfrog_media10");
    }
}
