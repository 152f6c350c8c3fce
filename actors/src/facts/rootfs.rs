//! Reading files of a root the way a process chrooted into it would see them.
//!
//! The root being inspected is usually *not* the running system (`--root /mnt/sysroot`), and EL
//! roots contain absolute symlinks (`/etc/os-release -> /usr/lib/os-release` on some releases,
//! `/var/lib/rpm -> /usr/lib/sysimage/rpm` on others). Following such a link naively would read
//! the host's file. [`RootFs`] resolves every path component inside the root instead: absolute
//! link targets restart from the root and `..` never climbs above it.

use std::ffi::OsString;
use std::fs;
use std::io;
use std::path::{Component, Path, PathBuf};

/// How many symlinks one lookup may follow (Linux's limit).
const MAX_SYMLINKS: usize = 40;

/// Why [`RootFs::resolve_existing`] refused a path (paths as seen inside the root).
#[derive(Debug, thiserror::Error)]
pub enum ResolveError {
    /// A symbolic link's relative target climbs above the root.
    #[error(
        "{} is a symbolic link to {}, which leads out of the root: leapfrog never follows a link out of the root",
        link.display(),
        target.display()
    )]
    Escapes {
        /// The link.
        link: PathBuf,
        /// Its target, as written.
        target: PathBuf,
    },
    /// A symbolic link leads to nothing.
    #[error("{} is a symbolic link to {}, which does not exist", link.display(), target.display())]
    Dangling {
        /// The link.
        link: PathBuf,
        /// Its target, as written.
        target: PathBuf,
    },
    /// The file does not exist.
    #[error("{} does not exist", path.display())]
    Missing {
        /// The path.
        path: PathBuf,
    },
    /// Another I/O error, or a symlink loop.
    #[error(transparent)]
    Io(#[from] io::Error),
}

/// A directory tree treated as a root filesystem.
#[derive(Debug, Clone)]
pub struct RootFs {
    root: PathBuf,
}

impl RootFs {
    /// A root at `root`, which must be an existing directory (it is canonicalised).
    ///
    /// # Errors
    ///
    /// When `root` cannot be canonicalised or is not a directory.
    pub fn new(root: &Path) -> io::Result<Self> {
        let root = fs::canonicalize(root)?;
        if !root.is_dir() {
            return Err(io::Error::new(
                io::ErrorKind::NotADirectory,
                "not a directory",
            ));
        }
        Ok(Self { root })
    }

    /// The root directory (canonical host path).
    pub fn path(&self) -> &Path {
        &self.root
    }

    /// The host path of `path` without resolving anything (for messages).
    pub fn host_path(&self, path: impl AsRef<Path>) -> PathBuf {
        self.root
            .join(path.as_ref().strip_prefix("/").unwrap_or(path.as_ref()))
    }

    /// Resolves `path` (interpreted inside the root) to the path inside the root it designates,
    /// following symlinks with chroot semantics. Components that do not exist are kept as they
    /// are, so the result of a missing file is still meaningful in messages.
    ///
    /// # Errors
    ///
    /// On I/O errors other than "not found", and on symlink loops.
    pub fn resolve(&self, path: impl AsRef<Path>) -> io::Result<PathBuf> {
        self.walk(path.as_ref(), false).map_err(|e| match e {
            ResolveError::Io(e) => e,
            other => io::Error::other(other.to_string()),
        })
    }

    /// Resolves `path` for a **write** of leapfrog: like [`RootFs::resolve`], an absolute link
    /// target starts again from the root (`/boot/efi/EFI/centos/grubenv` of a link means that
    /// file of the root), but nothing is guessed: a link whose relative target climbs above the
    /// root, a link leading to nothing and a missing file are errors, so a write can never be
    /// led outside the root or create a file where a dangling link points.
    ///
    /// # Errors
    ///
    /// [`ResolveError`].
    pub fn resolve_existing(&self, path: impl AsRef<Path>) -> Result<PathBuf, ResolveError> {
        self.walk(path.as_ref(), true)
    }

    /// The lookup behind [`RootFs::resolve`] (`strict` false: missing components kept, `..`
    /// stops at the root) and [`RootFs::resolve_existing`] (`strict`: both are errors).
    fn walk(&self, path: &Path, strict: bool) -> Result<PathBuf, ResolveError> {
        let mut pending: Vec<OsString> = Vec::new();
        push_components(&mut pending, path);
        let mut resolved: Vec<OsString> = Vec::new();
        let mut followed = 0;
        // the last link followed, and its target: what an error names
        let mut last_link: Option<(PathBuf, PathBuf)> = None;
        let inside = |parts: &[OsString]| Path::new("/").join(parts.iter().collect::<PathBuf>());
        while let Some(component) = pending.pop() {
            if component == ".." {
                if resolved.pop().is_none() && strict {
                    let (link, target) = last_link
                        .clone()
                        .unwrap_or_else(|| (path.to_path_buf(), path.to_path_buf()));
                    return Err(ResolveError::Escapes { link, target });
                }
                continue;
            }
            let candidate = self
                .root
                .join(resolved.iter().collect::<PathBuf>())
                .join(&component);
            match fs::symlink_metadata(&candidate) {
                Ok(meta) if meta.file_type().is_symlink() => {
                    followed += 1;
                    if followed > MAX_SYMLINKS {
                        return Err(ResolveError::Io(io::Error::other(format!(
                            "too many levels of symbolic links resolving {}",
                            path.display()
                        ))));
                    }
                    let target = fs::read_link(&candidate)?;
                    let mut link = resolved.clone();
                    link.push(component);
                    last_link = Some((inside(&link), target.clone()));
                    if target.is_absolute() {
                        resolved.clear();
                    }
                    push_components(&mut pending, &target);
                }
                Ok(_) => resolved.push(component),
                Err(err) if is_missing(&err) && !strict => resolved.push(component),
                Err(err) if is_missing(&err) => {
                    resolved.push(component);
                    return Err(match last_link {
                        Some((link, target)) => ResolveError::Dangling { link, target },
                        None => ResolveError::Missing {
                            path: inside(&resolved),
                        },
                    });
                }
                Err(err) => return Err(ResolveError::Io(err)),
            }
        }
        Ok(inside(&resolved))
    }

    /// The host path `path` (inside the root) designates, symlinks resolved inside the root.
    ///
    /// # Errors
    ///
    /// As [`RootFs::resolve`].
    pub fn resolve_host(&self, path: impl AsRef<Path>) -> io::Result<PathBuf> {
        Ok(self.host_path(self.resolve(path)?))
    }

    /// Reads a file of the root; `Ok(None)` when it does not exist.
    ///
    /// # Errors
    ///
    /// On any other I/O error.
    pub fn read_optional(&self, path: impl AsRef<Path>) -> io::Result<Option<Vec<u8>>> {
        let host = self.resolve_host(path)?;
        match fs::read(&host) {
            Ok(bytes) => Ok(Some(bytes)),
            Err(err) if is_missing(&err) => Ok(None),
            Err(err) => Err(err),
        }
    }

    /// Whether `path` (inside the root) is a regular file, symlinks resolved inside the root.
    pub fn is_file(&self, path: impl AsRef<Path>) -> bool {
        self.resolve_host(path).is_ok_and(|host| host.is_file())
    }

    /// The regular files directly in directory `dir` (inside the root) whose names satisfy
    /// `select`, as paths inside the root, sorted by name. A missing directory has no files.
    ///
    /// # Errors
    ///
    /// When the directory exists but cannot be listed.
    pub fn files_in(
        &self,
        dir: impl AsRef<Path>,
        select: impl Fn(&str) -> bool,
    ) -> io::Result<Vec<PathBuf>> {
        let dir = self.resolve(dir)?;
        let entries = match fs::read_dir(self.host_path(&dir)) {
            Ok(entries) => entries,
            Err(err) if is_missing(&err) => return Ok(Vec::new()),
            Err(err) => return Err(err),
        };
        let mut files = Vec::new();
        for entry in entries {
            let entry = entry?;
            let name = entry.file_name();
            let Some(name) = name.to_str() else { continue };
            if !select(name) {
                continue;
            }
            let path = dir.join(name);
            if self.is_file(&path) {
                files.push(path);
            }
        }
        files.sort();
        Ok(files)
    }
}

/// Pushes the components of `path` so that popping yields them in order.
fn push_components(pending: &mut Vec<OsString>, path: &Path) {
    let parts: Vec<OsString> = path
        .components()
        .filter_map(|c| match c {
            Component::Normal(part) => Some(part.to_os_string()),
            Component::ParentDir => Some(OsString::from("..")),
            Component::RootDir | Component::CurDir | Component::Prefix(_) => None,
        })
        .collect();
    pending.extend(parts.into_iter().rev());
}

fn is_missing(err: &io::Error) -> bool {
    matches!(
        err.kind(),
        io::ErrorKind::NotFound | io::ErrorKind::NotADirectory
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::symlink;

    #[test]
    fn symlinks_resolve_inside_the_root() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        fs::create_dir_all(root.join("usr/lib")).unwrap();
        fs::create_dir_all(root.join("etc")).unwrap();
        fs::write(root.join("usr/lib/os-release"), "ID=inside\n").unwrap();
        // An absolute link must not escape to the host's /usr/lib/os-release.
        symlink("/usr/lib/os-release", root.join("etc/os-release")).unwrap();
        symlink("../../../../../../etc", root.join("usr/lib/up")).unwrap();
        symlink("loop", root.join("etc/loop")).unwrap();

        let fs_ = RootFs::new(root).unwrap();
        assert_eq!(
            fs_.resolve("/etc/os-release").unwrap(),
            Path::new("/usr/lib/os-release")
        );
        assert_eq!(
            fs_.read_optional("/etc/os-release").unwrap().unwrap(),
            b"ID=inside\n"
        );
        assert_eq!(
            fs_.resolve("/usr/lib/up/missing").unwrap(),
            Path::new("/etc/missing")
        );
        // ... and chains of links are followed.
        assert_eq!(
            fs_.resolve("/usr/lib/up/os-release").unwrap(),
            Path::new("/usr/lib/os-release")
        );
        assert_eq!(fs_.resolve("/../../etc/./x").unwrap(), Path::new("/etc/x"));
        assert_eq!(fs_.read_optional("/etc/missing/file").unwrap(), None);
        assert!(fs_.resolve("/etc/loop").is_err());
        assert!(fs_.read_optional("/etc/loop").is_err());
        assert_eq!(
            fs_.files_in("/etc", |_| true).unwrap(),
            [Path::new("/etc/os-release")]
        );
        assert!(fs_.files_in("/nope", |_| true).unwrap().is_empty());
    }

    #[test]
    fn strict_resolution_follows_links_inside_and_refuses_the_rest() {
        let dir = tempfile::tempdir().unwrap();
        let outer = dir.path();
        let root = outer.join("root");
        fs::create_dir_all(root.join("boot/grub2")).unwrap();
        fs::create_dir_all(root.join("boot/efi/EFI/centos")).unwrap();
        fs::write(root.join("boot/efi/EFI/centos/grubenv"), "env").unwrap();
        fs::write(outer.join("grubenv"), "outside").unwrap();
        let fs_ = RootFs::new(&root).unwrap();
        let link = root.join("boot/grub2/grubenv");
        let esp = Path::new("/boot/efi/EFI/centos/grubenv");
        // relative and absolute (root-relative) links
        for target in ["../efi/EFI/centos/grubenv", "/boot/efi/EFI/centos/grubenv"] {
            let _ = fs::remove_file(&link);
            symlink(target, &link).unwrap();
            assert_eq!(fs_.resolve_existing("/boot/grub2/grubenv").unwrap(), esp);
        }
        // out of the root
        fs::remove_file(&link).unwrap();
        symlink("../../../grubenv", &link).unwrap();
        let e = fs_.resolve_existing("/boot/grub2/grubenv").unwrap_err();
        assert!(matches!(e, ResolveError::Escapes { .. }), "{e}");
        assert!(
            e.to_string().contains(
                "/boot/grub2/grubenv is a symbolic link to ../../../grubenv, which leads out of the root"
            ),
            "{e}"
        );
        // the lenient lookup stays inside instead (chroot semantics)
        assert_eq!(
            fs_.resolve("/boot/grub2/grubenv").unwrap(),
            Path::new("/grubenv")
        );
        // dangling, and a missing plain file
        fs::remove_file(&link).unwrap();
        symlink("../efi/EFI/almalinux/grubenv", &link).unwrap();
        let e = fs_.resolve_existing("/boot/grub2/grubenv").unwrap_err();
        assert!(matches!(e, ResolveError::Dangling { .. }), "{e}");
        assert!(e.to_string().contains("which does not exist"), "{e}");
        let e = fs_.resolve_existing("/boot/grub2/grub.cfg").unwrap_err();
        assert!(
            matches!(&e, ResolveError::Missing { path } if path == Path::new("/boot/grub2/grub.cfg")),
            "{e}"
        );
        assert!(fs_.resolve_existing("/../boot").is_err());
        // a link through a directory
        symlink("efi/EFI", root.join("boot/efi-dirs")).unwrap();
        assert_eq!(
            fs_.resolve_existing("/boot/efi-dirs/centos/grubenv")
                .unwrap(),
            esp
        );
    }

    #[test]
    fn root_must_be_a_directory() {
        let dir = tempfile::tempdir().unwrap();
        assert!(RootFs::new(&dir.path().join("missing")).is_err());
        fs::write(dir.path().join("file"), "").unwrap();
        assert!(RootFs::new(&dir.path().join("file")).is_err());
    }
}
