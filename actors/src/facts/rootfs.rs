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
        let mut pending: Vec<OsString> = Vec::new();
        push_components(&mut pending, path.as_ref());
        let mut resolved: Vec<OsString> = Vec::new();
        let mut followed = 0;
        while let Some(component) = pending.pop() {
            if component == ".." {
                resolved.pop();
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
                        return Err(io::Error::other(format!(
                            "too many levels of symbolic links resolving {}",
                            path.as_ref().display()
                        )));
                    }
                    let target = fs::read_link(&candidate)?;
                    if target.is_absolute() {
                        resolved.clear();
                    }
                    push_components(&mut pending, &target);
                }
                Ok(_) => resolved.push(component),
                Err(err) if is_missing(&err) => resolved.push(component),
                Err(err) => return Err(err),
            }
        }
        Ok(Path::new("/").join(resolved.iter().collect::<PathBuf>()))
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
    fn root_must_be_a_directory() {
        let dir = tempfile::tempdir().unwrap();
        assert!(RootFs::new(&dir.path().join("missing")).is_err());
        fs::write(dir.path().join("file"), "").unwrap();
        assert!(RootFs::new(&dir.path().join("file")).is_err());
    }
}
