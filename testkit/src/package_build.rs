//! Turns a [`PackageSpec`] into a real, optionally signed RPM file with the `rpm` crate.

use std::path::{Path, PathBuf};

use rpm::{CompressionWithLevel, Dependency, FileMode, FileOptions, PackageBuilder, Scriptlet};

use crate::payload;
use crate::spec::{
    Content, Dep, DepOp, DepWhen, FileKind, PackageSpec, PayloadCompression, Signing,
};

/// Build time and file mtimes of every synthetic package: 2024-01-01T00:00:00Z.
pub const SOURCE_DATE: u32 = 1_704_067_200;

/// zstd level for payloads: level 3 is about 15x faster than the crate's default of 19.
const ZSTD_LEVEL: i32 = 3;
/// gzip level for payloads (EL7): zlib's default.
const GZIP_LEVEL: u32 = 6;

/// Errors while building a package.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    /// The rpm crate refused the package.
    #[error("building {nvra}: {source}")]
    Rpm {
        /// Package.
        nvra: String,
        /// Cause.
        source: rpm::Error,
    },
    /// A spec names a signing key the world does not have.
    #[error("building {nvra}: no signing key named {key}")]
    UnknownKey {
        /// Package.
        nvra: String,
        /// Key name.
        key: String,
    },
    /// Writing the file failed.
    #[error("writing {path}: {source}")]
    Io {
        /// Destination.
        path: PathBuf,
        /// Cause.
        source: std::io::Error,
    },
}

fn to_dependency(dep: &Dep) -> Dependency {
    let mut d = match dep.op {
        DepOp::Any => Dependency::any(&dep.name),
        DepOp::Eq => Dependency::eq(&dep.name, &dep.evr),
        DepOp::GreaterEq => Dependency::greater_eq(&dep.name, &dep.evr),
        DepOp::Less => Dependency::less(&dep.name, &dep.evr),
        DepOp::LessEq => Dependency::less_eq(&dep.name, &dep.evr),
    };
    let scriptlet_flag = match dep.when {
        DepWhen::Runtime => None,
        DepWhen::Pre => Some(rpm::DependencyFlags::SCRIPT_PRE),
        DepWhen::Post => Some(rpm::DependencyFlags::SCRIPT_POST),
        DepWhen::Preun => Some(rpm::DependencyFlags::SCRIPT_PREUN),
        DepWhen::Postun => Some(rpm::DependencyFlags::SCRIPT_POSTUN),
    };
    if let Some(flag) = scriptlet_flag {
        d.flags |= flag;
    }
    d
}

fn scriptlet(body: &str) -> Scriptlet {
    Scriptlet::new(body).prog(vec!["/bin/sh"])
}

/// Builds `spec` into an in-memory package, signed with `signer_for(key)` when the spec names
/// a key.
pub fn build(
    spec: &PackageSpec,
    signer_for: &dyn Fn(&str) -> Option<rpm::signature::pgp::Signer>,
) -> Result<rpm::Package, BuildError> {
    let nvra = spec.nvra();
    let rpm_err = |source| BuildError::Rpm {
        nvra: nvra.clone(),
        source,
    };
    let compression = match spec.payload {
        PayloadCompression::Gzip => CompressionWithLevel::Gzip(GZIP_LEVEL),
        PayloadCompression::Zstd => CompressionWithLevel::Zstd(ZSTD_LEVEL),
    };
    let config = rpm::BuildConfig::default()
        .compression(compression)
        .source_date(SOURCE_DATE)
        .reserved_space(None);
    let mut b = PackageBuilder::new(
        &spec.name,
        &spec.version,
        &spec.license,
        &spec.arch,
        &spec.summary,
    );
    b.using_config(config)
        .release(spec.release.clone())
        .description(format!(
            "{}\n\nBuilt by the leapfrog testkit; it imitates the real package of the same name.",
            spec.summary
        ))
        .build_host("testkit.leapfrog.invalid");
    if let Some(e) = spec.epoch {
        b.epoch(e);
    }
    if !spec.vendor.is_empty() {
        b.vendor(spec.vendor.clone());
    }
    for dep in &spec.requires {
        b.requires(to_dependency(dep));
    }
    for dep in &spec.provides {
        b.provides(to_dependency(dep));
    }
    for dep in &spec.obsoletes {
        b.obsoletes(to_dependency(dep));
    }
    for dep in &spec.conflicts {
        b.conflicts(to_dependency(dep));
    }
    let mtime = rpm::Timestamp::from(SOURCE_DATE);
    for f in &spec.files {
        match &f.kind {
            FileKind::Regular {
                content,
                mode,
                config_noreplace,
            } => {
                let bytes = match content {
                    Content::Text(t) => t.clone().into_bytes(),
                    Content::Shared(b) => b.as_ref().clone(),
                    Content::Generated { seed, size } => payload::pseudo_text(*seed, *size),
                };
                let mut opts = FileOptions::new(&f.path)
                    .mode(FileMode::regular(*mode))
                    .modified_at(mtime);
                if *config_noreplace {
                    opts = opts.config().noreplace();
                }
                b.with_file_contents(bytes, opts).map_err(rpm_err)?;
            }
            FileKind::Dir { mode } => {
                b.with_dir_entry(
                    FileOptions::dir(&f.path)
                        .mode(FileMode::dir(*mode))
                        .modified_at(mtime),
                )
                .map_err(rpm_err)?;
            }
            FileKind::Symlink { target } => {
                b.with_symlink(FileOptions::symlink(&f.path, target).modified_at(mtime))
                    .map_err(rpm_err)?;
            }
            FileKind::Ghost => {
                b.with_ghost(FileOptions::ghost(&f.path).modified_at(mtime))
                    .map_err(rpm_err)?;
            }
        }
    }
    let s = &spec.scripts;
    if let Some(x) = &s.pre {
        b.pre_install_script(scriptlet(x));
    }
    if let Some(x) = &s.post {
        b.post_install_script(scriptlet(x));
    }
    if let Some(x) = &s.preun {
        b.pre_uninstall_script(scriptlet(x));
    }
    if let Some(x) = &s.postun {
        b.post_uninstall_script(scriptlet(x));
    }
    if let Some(x) = &s.posttrans {
        b.post_trans_script(scriptlet(x));
    }
    match &spec.signing {
        Signing::Unsigned => b.build().map_err(rpm_err),
        Signing::Key(key) => {
            let signer = signer_for(key).ok_or_else(|| BuildError::UnknownKey {
                nvra: nvra.clone(),
                key: key.clone(),
            })?;
            b.build_and_sign(signer).map_err(rpm_err)
        }
    }
}

/// Builds `spec` and writes it as `dir/<nvra>.rpm`; returns the path.
pub fn build_to_dir(
    spec: &PackageSpec,
    dir: &Path,
    signer_for: &dyn Fn(&str) -> Option<rpm::signature::pgp::Signer>,
) -> Result<PathBuf, BuildError> {
    let pkg = build(spec, signer_for)?;
    let path = dir.join(spec.file_name());
    pkg.write_file(&path).map_err(|e| match e {
        rpm::Error::Io(source) => BuildError::Io {
            path: path.clone(),
            source,
        },
        other => BuildError::Rpm {
            nvra: spec.nvra(),
            source: other,
        },
    })?;
    // createrepo_c records the file's mtime in the repodata: pin it for reproducible metadata
    let when = std::time::UNIX_EPOCH + std::time::Duration::from_secs(u64::from(SOURCE_DATE));
    std::fs::File::options()
        .write(true)
        .open(&path)
        .and_then(|f| f.set_modified(when))
        .map_err(|source| BuildError::Io {
            path: path.clone(),
            source,
        })?;
    Ok(path)
}
