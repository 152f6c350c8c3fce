//! The release and logos packages: os-release, the release files (`/etc/redhat-release` a
//! link, a file on Oracle Linux), the CPE name, the repo files (one per real file name, the
//! `baseurl` through the `$testkit_world` dnf variable) and the distribution's public key.

use super::{CatalogContext, Ctx};
use crate::spec::{Dep, DepOp, FileSpec, PackageSpec, Signing};

/// The release package and the logos package.
pub(super) fn packages(c: &mut Ctx<'_>, cx: &CatalogContext) {
    let rel = c.rel;
    let (name, version, release) = rel.release_package;
    let mut p = PackageSpec::new(name, None, version, release, "x86_64");
    p.vendor = rel.vendor.to_string();
    p.signing = Signing::Key(c.key.clone());
    p.repo = rel.base_repo().to_string();
    let releasever = rel.major.to_string();
    let rel_file = format!("/etc/{}-release", rel.os_id);
    p = p
        .provides(Dep::versioned(
            "redhat-release",
            DepOp::Eq,
            format!("{version}-{release}"),
        ))
        .provides(Dep::versioned(
            "system-release",
            DepOp::Eq,
            format!("{version}-{release}"),
        ))
        .provides(Dep::versioned(
            "system-release(releasever)",
            DepOp::Eq,
            releasever,
        ))
        .file(FileSpec::text("/usr/lib/os-release", rel.os_release()))
        .file(FileSpec::symlink(
            "/etc/os-release",
            "../usr/lib/os-release",
        ))
        .file(FileSpec::text(
            "/etc/system-release-cpe",
            format!("{}\n", rel.cpe_name),
        ))
        .file(FileSpec::text(
            format!("/etc/pki/rpm-gpg/{}", rel.key.file),
            cx.public_key(&rel.key.file),
        ));
    for (path, text) in &rel.extra_release_files {
        p = p.file(FileSpec::text(*path, format!("{text}\n")));
    }
    if rel_file != "/etc/redhat-release"
        && !rel
            .extra_release_files
            .iter()
            .any(|(f, _)| *f == "/etc/redhat-release")
    {
        // /etc/redhat-release is the distribution's release file on every EL but Oracle (a file there).
        if rel.os_id == "ol" {
            p = p.file(FileSpec::text(
                "/etc/redhat-release",
                format!("{}\n", rel.redhat_release),
            ));
            p = p.file(FileSpec::symlink("/etc/system-release", "oracle-release"));
        } else {
            let target = rel.extra_release_files[0].0.trim_start_matches("/etc/");
            p = p.file(FileSpec::symlink("/etc/redhat-release", target));
            p = p.file(FileSpec::symlink("/etc/system-release", target));
        }
    }
    // repo files, one per file name, baseurl through the $testkit_world variable
    let mut files: std::collections::BTreeMap<&str, String> = Default::default();
    for r in &rel.repos {
        let text = files.entry(r.file).or_default();
        text.push_str(&format!(
            "[{}]\nname={}\nbaseurl={}/{}/{}/\nenabled={}\ngpgcheck=1\ncountme=1\ngpgkey=file:///etc/pki/rpm-gpg/{}\n\n",
            r.id,
            r.name,
            cx.world_var,
            rel.id,
            r.id,
            u8::from(r.enabled),
            rel.key.file
        ));
    }
    for (file, text) in files {
        p = p.file(FileSpec::config(format!("/etc/yum.repos.d/{file}"), text));
    }
    c.push(p);
    let (lname, lversion, lrelease) = rel.logos_package;
    let mut l = PackageSpec::new(lname, None, lversion, lrelease, "noarch");
    l.vendor = rel.vendor.to_string();
    l.signing = Signing::Key(c.key.clone());
    l.repo = rel.base_repo().to_string();
    l.license = "Licensed only for approved usage".into();
    l = l
        .file(FileSpec::generated(
            format!("/usr/share/pixmaps/{}-logo.png", rel.os_id),
            0x1060,
            6 * 1024,
        ))
        .provides(Dep::any("system-logos"));
    c.push(l);
}
