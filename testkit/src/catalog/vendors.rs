//! What does not come from the distribution: `epel-release` (in the distribution's extras
//! repository, signed by the distribution), the EPEL-like `htop`, the MariaDB-like vendor
//! (`MariaDB-server`, `-client`, `-common`, built per major and linked against that major's
//! `libssl` soname) and the unsigned third-party agent `acme-agent` (vendor "ACME Hosting").

use super::{CatalogContext, Ctx, Line, pick, sh_req, soname};
use crate::release::Release;
use crate::spec::{Dep, DepWhen, FileSpec, PackageSpec, Signing};

const EPEL_RELEASE: Line = &[
    (7, None, "7", "14"),
    (8, None, "8", "21.el8"),
    (9, None, "9", "9.el9"),
    (10, None, "10", "6.el10"),
];
const HTOP: Line = &[
    (7, None, "2.2.0", "3.el7"),
    (8, None, "3.2.1", "1.el8"),
    (9, None, "3.3.0", "1.el9"),
    (10, None, "3.3.0", "5.el10"),
];

/// `epel-release`.
pub(super) fn epel_release(c: &mut Ctx<'_>, cx: &CatalogContext) {
    let rel = c.rel;
    let major = rel.major;
    // epel-release ships in the distribution's extras repository, signed by the distribution.
    let extras = rel.extras_repo();
    if let Some(mut p) = c.base("epel-release", EPEL_RELEASE, "noarch", extras) {
        let key = format!("RPM-GPG-KEY-EPEL-{major}");
        p.vendor = "Fedora Project".into();
        p = p
            .file(FileSpec::config(
                "/etc/yum.repos.d/epel.repo",
                format!(
                    "[epel]\nname=Extra Packages for Enterprise Linux {major} - $basearch\nbaseurl={}/{}/epel/\nenabled=1\ngpgcheck=1\ngpgkey=file:///etc/pki/rpm-gpg/{key}\n",
                    cx.world_var, rel.id
                ),
            ))
            .file(FileSpec::text(format!("/etc/pki/rpm-gpg/{key}"), cx.public_key(&key)));
        c.push(p);
    }
}

/// Packages of the third-party vendors for `rel`'s major.
pub(super) fn packages(rel: &Release) -> Vec<PackageSpec> {
    let major = rel.major;
    let el = rel.el();
    let ssl = match major {
        7 => "libssl.so.10",
        8 => "libssl.so.1.1",
        _ => "libssl.so.3",
    };
    let mut out = Vec::new();
    for v in crate::release::vendors() {
        let key = (v.key_file)(major);
        let mk = |name: &str, version: &str, release: &str, arch: &str| {
            let mut p = PackageSpec::new(name, None, version, release, arch);
            p.vendor = v.vendor.to_string();
            p.signing = Signing::Key(key.clone());
            p.repo = v.repo_id.to_string();
            p
        };
        match v.repo_id {
            "epel" => {
                if let Some((_, ver, relx)) = pick(HTOP, major) {
                    out.push(
                        mk("htop", ver, relx, "x86_64")
                            .file(FileSpec::generated(
                                "/usr/bin/htop",
                                0x470 + u64::from(major),
                                12 * 1024,
                            ))
                            .requires(Dep::any(soname("libc.so.6"))),
                    );
                }
            }
            "mariadb" => {
                let release = format!("1.{el}");
                let common =
                    mk("MariaDB-common", "10.11.10", &release, "x86_64").file(FileSpec::config(
                        "/etc/my.cnf",
                        "[client-server]\n!includedir /etc/my.cnf.d\n",
                    ));
                let client = mk("MariaDB-client", "10.11.10", &release, "x86_64")
                    .file(FileSpec::generated(
                        "/usr/bin/mariadb",
                        0x3a1 + u64::from(major),
                        16 * 1024,
                    ))
                    .requires(Dep::any("MariaDB-common"))
                    .requires(Dep::any(soname(ssl)));
                let server = mk("MariaDB-server", "10.11.10", &release, "x86_64")
                    .file(FileSpec::generated(
                        "/usr/sbin/mariadbd",
                        0x3a2 + u64::from(major),
                        32 * 1024,
                    ))
                    .file(FileSpec::dir("/var/lib/mysql"))
                    .requires(Dep::any("MariaDB-client"))
                    .requires(Dep::any(soname(ssl)))
                    .requires(sh_req(DepWhen::Pre))
                    .requires(sh_req(DepWhen::Post))
                    .with_logging_scriptlets();
                out.extend([common, client, server]);
            }
            other => unreachable!("vendor {other} has no package recipe"),
        }
    }
    out
}

/// An unsigned third-party agent (repo `acme`).
pub(super) fn acme_agent() -> PackageSpec {
    let mut acme = PackageSpec::new("acme-agent", None, "2.3.1", "1", "x86_64");
    acme.vendor = "ACME Hosting".into();
    acme.repo = "acme".into();
    acme.signing = Signing::Unsigned;
    acme.license = "Proprietary".into();
    acme = acme
        .file(FileSpec::config(
            "/etc/acme/agent.conf",
            "endpoint=https://acme.example.invalid/\n",
        ))
        .file(FileSpec::dir("/etc/acme"))
        .file(FileSpec::generated(
            "/opt/acme/bin/acme-agent",
            0xac3e,
            16 * 1024,
        ))
        .file(FileSpec::dir("/opt/acme"))
        .file(FileSpec::dir("/opt/acme/bin"))
        .requires(sh_req(DepWhen::Post))
        .with_logging_scriptlets();
    acme
}
