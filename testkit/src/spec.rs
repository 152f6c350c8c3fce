//! The description of one synthetic package, independent of how it is built.
//!
//! A [`PackageSpec`] says everything the testkit needs to write a real RPM: its NEVRA,
//! dependencies, payload, scriptlets, which key signs it and which repository it goes to.

use std::sync::Arc;

use serde::Serialize;

/// How a dependency compares versions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum DepOp {
    /// No version: any provider satisfies it.
    Any,
    /// `= EVR`
    Eq,
    /// `>= EVR`
    GreaterEq,
    /// `< EVR`
    Less,
    /// `<= EVR`
    LessEq,
}

/// When a requirement must hold (plain, or for a scriptlet).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum DepWhen {
    /// An ordinary runtime requirement.
    Runtime,
    /// `Requires(pre)`
    Pre,
    /// `Requires(post)`
    Post,
    /// `Requires(preun)`
    Preun,
    /// `Requires(postun)`
    Postun,
}

/// One dependency (Requires, Provides, Obsoletes, Conflicts).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Dep {
    /// Capability name: a package name, a soname like `libc.so.6()(64bit)`, or a path.
    pub name: String,
    /// Version comparison.
    pub op: DepOp,
    /// `[epoch:]version[-release]`, empty for [`DepOp::Any`].
    pub evr: String,
    /// Scriptlet qualifier (only meaningful for Requires).
    pub when: DepWhen,
}

impl Dep {
    /// A dependency on a name with no version.
    pub fn any(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            op: DepOp::Any,
            evr: String::new(),
            when: DepWhen::Runtime,
        }
    }
    /// A dependency with a version comparison.
    pub fn versioned(name: impl Into<String>, op: DepOp, evr: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            op,
            evr: evr.into(),
            when: DepWhen::Runtime,
        }
    }
    /// Turns this requirement into a scriptlet requirement.
    pub fn when(mut self, when: DepWhen) -> Self {
        self.when = when;
        self
    }
}

/// Where the bytes of a regular file come from.
#[derive(Debug, Clone, Serialize)]
pub enum Content {
    /// Literal text.
    Text(String),
    /// Shared bytes (e.g. the busybox binary), not serialised into manifests.
    #[serde(skip)]
    Shared(Arc<Vec<u8>>),
    /// Deterministic pseudo-text of a given size, generated from a seed.
    Generated {
        /// Seed of the generator.
        seed: u64,
        /// Size in bytes.
        size: usize,
    },
}

/// What kind of file entry a payload path is.
#[derive(Debug, Clone, Serialize)]
pub enum FileKind {
    /// A regular file.
    Regular {
        /// Bytes of the file.
        content: Content,
        /// Permission bits.
        mode: u16,
        /// `%config(noreplace)` when true.
        config_noreplace: bool,
    },
    /// A directory owned by the package.
    Dir {
        /// Permission bits.
        mode: u16,
    },
    /// A symbolic link.
    Symlink {
        /// Link target.
        target: String,
    },
    /// `%ghost`: owned by the package but not in its payload.
    Ghost,
}

/// One path in a package.
#[derive(Debug, Clone, Serialize)]
pub struct FileSpec {
    /// Absolute path.
    pub path: String,
    /// Entry kind.
    pub kind: FileKind,
}

impl FileSpec {
    /// A regular 0644 file with literal text.
    pub fn text(path: impl Into<String>, text: impl Into<String>) -> Self {
        Self {
            path: path.into(),
            kind: FileKind::Regular {
                content: Content::Text(text.into()),
                mode: 0o644,
                config_noreplace: false,
            },
        }
    }
    /// A `%config(noreplace)` 0644 file.
    pub fn config(path: impl Into<String>, text: impl Into<String>) -> Self {
        Self {
            path: path.into(),
            kind: FileKind::Regular {
                content: Content::Text(text.into()),
                mode: 0o644,
                config_noreplace: true,
            },
        }
    }
    /// An executable (0755) file.
    pub fn exec(path: impl Into<String>, content: Content) -> Self {
        Self {
            path: path.into(),
            kind: FileKind::Regular {
                content,
                mode: 0o755,
                config_noreplace: false,
            },
        }
    }
    /// A generated data file.
    pub fn generated(path: impl Into<String>, seed: u64, size: usize) -> Self {
        Self {
            path: path.into(),
            kind: FileKind::Regular {
                content: Content::Generated { seed, size },
                mode: 0o644,
                config_noreplace: false,
            },
        }
    }
    /// A directory.
    pub fn dir(path: impl Into<String>) -> Self {
        Self {
            path: path.into(),
            kind: FileKind::Dir { mode: 0o755 },
        }
    }
    /// A symlink.
    pub fn symlink(path: impl Into<String>, target: impl Into<String>) -> Self {
        Self {
            path: path.into(),
            kind: FileKind::Symlink {
                target: target.into(),
            },
        }
    }
    /// A `%ghost` file.
    pub fn ghost(path: impl Into<String>) -> Self {
        Self {
            path: path.into(),
            kind: FileKind::Ghost,
        }
    }
}

/// Scriptlet bodies (run by `/bin/sh` inside the root).
#[derive(Debug, Clone, Default, Serialize)]
pub struct Scripts {
    /// `%pre`
    pub pre: Option<String>,
    /// `%post`
    pub post: Option<String>,
    /// `%preun`
    pub preun: Option<String>,
    /// `%postun`
    pub postun: Option<String>,
    /// `%posttrans`
    pub posttrans: Option<String>,
}

impl Scripts {
    /// True when the package has no scriptlet at all.
    pub fn is_empty(&self) -> bool {
        self.pre.is_none()
            && self.post.is_none()
            && self.preun.is_none()
            && self.postun.is_none()
            && self.posttrans.is_none()
    }
}

/// Which key signs a package.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum Signing {
    /// Signed with the named key of the world (see [`crate::keys`]).
    Key(String),
    /// Not signed at all.
    Unsigned,
}

/// How a package's payload (the cpio archive) is compressed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub enum PayloadCompression {
    /// gzip: readable by every rpm, including EL7's 4.11, which cannot unpack zstd.
    Gzip,
    /// zstd: readable from rpm 4.14 (EL8) on, and the fastest to write.
    #[default]
    Zstd,
}

/// A module stream a package belongs to (EL8/EL9 modularity).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct ModuleStream {
    /// Module name, e.g. `postgresql`.
    pub name: String,
    /// Stream, e.g. `10`.
    pub stream: String,
}

/// Everything needed to build one RPM.
#[derive(Debug, Clone, Serialize)]
pub struct PackageSpec {
    /// Package name.
    pub name: String,
    /// Epoch, when the real package has one.
    pub epoch: Option<u32>,
    /// Upstream version.
    pub version: String,
    /// Release including the dist tag (`25.el8_10`).
    pub release: String,
    /// `x86_64` or `noarch`.
    pub arch: String,
    /// One-line summary.
    pub summary: String,
    /// License tag.
    pub license: String,
    /// Vendor header.
    pub vendor: String,
    /// Requires (including scriptlet requirements).
    pub requires: Vec<Dep>,
    /// Extra Provides (the package always provides its own name = EVR).
    pub provides: Vec<Dep>,
    /// Obsoletes.
    pub obsoletes: Vec<Dep>,
    /// Conflicts.
    pub conflicts: Vec<Dep>,
    /// Payload entries.
    pub files: Vec<FileSpec>,
    /// Scriptlets.
    pub scripts: Scripts,
    /// Signing key.
    pub signing: Signing,
    /// Repository id (directory) the package is published in.
    pub repo: String,
    /// Module stream, for modular packages.
    pub module: Option<ModuleStream>,
    /// Payload compression; a world sets its release's
    /// ([`crate::release::Release::payload_compression`]).
    pub payload: PayloadCompression,
}

impl PackageSpec {
    /// A minimal package with no payload and no dependencies.
    pub fn new(name: &str, epoch: Option<u32>, version: &str, release: &str, arch: &str) -> Self {
        Self {
            name: name.to_string(),
            epoch,
            version: version.to_string(),
            release: release.to_string(),
            arch: arch.to_string(),
            summary: format!("Synthetic {name} package (leapfrog testkit)"),
            license: "GPL-2.0-or-later".to_string(),
            vendor: String::new(),
            requires: Vec::new(),
            provides: Vec::new(),
            obsoletes: Vec::new(),
            conflicts: Vec::new(),
            files: Vec::new(),
            scripts: Scripts::default(),
            signing: Signing::Unsigned,
            repo: String::new(),
            module: None,
            payload: PayloadCompression::default(),
        }
    }

    /// `[epoch:]version-release`
    pub fn evr(&self) -> String {
        match self.epoch {
            Some(e) => format!("{e}:{}-{}", self.version, self.release),
            None => format!("{}-{}", self.version, self.release),
        }
    }

    /// `name-[epoch:]version-release.arch`, as `rpm -qa` prints it without epoch.
    pub fn nevra(&self) -> String {
        format!("{}-{}.{}", self.name, self.evr(), self.arch)
    }

    /// `name-version-release.arch`, the form `rpm -qa` prints.
    pub fn nvra(&self) -> String {
        format!(
            "{}-{}-{}.{}",
            self.name, self.version, self.release, self.arch
        )
    }

    /// File name of the built RPM.
    pub fn file_name(&self) -> String {
        format!("{}.rpm", self.nvra())
    }

    /// `name-epoch:version-release.arch` with an explicit epoch (modulemd artifact form).
    pub fn nevra_with_epoch(&self) -> String {
        format!(
            "{}-{}:{}-{}.{}",
            self.name,
            self.epoch.unwrap_or(0),
            self.version,
            self.release,
            self.arch
        )
    }

    /// Adds scriptlets that append `<stage> <nvra> <args>` to `/var/log/testkit-scriptlets.log`
    /// for all five stages, with the `/bin/sh` requirements real packages carry.
    pub fn with_logging_scriptlets(mut self) -> Self {
        let nvra = self.nvra();
        let line = |stage: &str| {
            format!("echo \"{stage} {nvra} $*\" >> /var/log/testkit-scriptlets.log\n")
        };
        self.scripts.pre = Some(line("pre"));
        self.scripts.post = Some(line("post"));
        self.scripts.preun = Some(line("preun"));
        self.scripts.postun = Some(line("postun"));
        self.scripts.posttrans = Some(line("posttrans"));
        self
    }

    /// Adds a requirement.
    pub fn requires(mut self, dep: Dep) -> Self {
        self.requires.push(dep);
        self
    }

    /// Adds a provide.
    pub fn provides(mut self, dep: Dep) -> Self {
        self.provides.push(dep);
        self
    }

    /// Adds a payload entry.
    pub fn file(mut self, file: FileSpec) -> Self {
        self.files.push(file);
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nevra_forms() {
        let mut p = PackageSpec::new("openssl-libs", Some(1), "1.1.1k", "12.el8_9", "x86_64");
        assert_eq!(p.evr(), "1:1.1.1k-12.el8_9");
        assert_eq!(p.nvra(), "openssl-libs-1.1.1k-12.el8_9.x86_64");
        assert_eq!(
            p.nevra_with_epoch(),
            "openssl-libs-1:1.1.1k-12.el8_9.x86_64"
        );
        p.epoch = None;
        assert_eq!(p.nevra(), "openssl-libs-1.1.1k-12.el8_9.x86_64");
        assert_eq!(
            p.nevra_with_epoch(),
            "openssl-libs-0:1.1.1k-12.el8_9.x86_64"
        );
    }

    #[test]
    fn logging_scriptlets_cover_every_stage() {
        let p = PackageSpec::new("x", None, "1", "1", "noarch").with_logging_scriptlets();
        for s in [
            &p.scripts.pre,
            &p.scripts.post,
            &p.scripts.preun,
            &p.scripts.postun,
            &p.scripts.posttrans,
        ] {
            assert!(s.as_deref().unwrap().contains("x-1-1.noarch $*"));
        }
        assert!(!p.scripts.is_empty());
        assert!(
            PackageSpec::new("y", None, "1", "1", "noarch")
                .scripts
                .is_empty()
        );
    }
}
