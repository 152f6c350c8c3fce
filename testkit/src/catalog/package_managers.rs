//! The package managers and the Python they run on: `yum` on EL7, `dnf` (with `yum` as a
//! link) from EL8; `python`/`python-libs` on EL7, `platform-python` and `python3-libs` on EL8,
//! `python3` from EL9. The Python lines carry real evolution events without Obsoletes:
//! `python` is replaced by `platform-python` (PES 916), `python-libs` split into
//! `python3-libs` (PES 205), `platform-python` renamed `python3` at 9.

use super::{Ctx, Line, eq_evr, soname};
use crate::spec::{Dep, DepOp, FileSpec};

const YUM7: Line = &[(7, None, "3.4.3", "168.el7.centos")];
const DNF: Line = &[
    (8, None, "4.7.0", "20.el8"),
    (9, None, "4.14.0", "25.el9"),
    (10, None, "4.20.0", "14.el10"),
];
const PYTHON2: Line = &[(7, None, "2.7.5", "94.el7_9")];
const PLATFORM_PYTHON: Line = &[(8, None, "3.6.8", "62.el8_10")];
const PYTHON3: Line = &[
    (9, None, "3.9.21", "2.el9_6"),
    (10, None, "3.12.9", "1.el10"),
];
const PYTHON3_LIBS: Line = &[
    (8, None, "3.6.8", "62.el8_10"),
    (9, None, "3.9.21", "2.el9_6"),
    (10, None, "3.12.9", "1.el10"),
];

/// `yum`, `dnf`, `python*`.
pub(super) fn packages(c: &mut Ctx<'_>) {
    let base = c.rel.base_repo();
    let major = c.rel.major;
    // package managers and python
    if let Some(mut p) = c.base("yum", YUM7, "noarch", base) {
        p = p
            .file(FileSpec::config("/etc/yum.conf", "[main]\ncachedir=/var/cache/yum/$basearch/$releasever\ngpgcheck=1\ninstallonly_limit=5\n"))
            .file(FileSpec::exec("/usr/bin/yum", crate::spec::Content::Text("#!/usr/bin/python\n# yum (leapfrog testkit)\n".into())))
            .requires(Dep::any("python"))
            .requires(Dep::any("rpm"));
        c.push(p);
    }
    if let Some(mut p) = c.base("dnf", DNF, "noarch", base) {
        p = p
            .file(FileSpec::config("/etc/dnf/dnf.conf", "[main]\ngpgcheck=1\ninstallonly_limit=3\nclean_requirements_on_remove=True\nbest=True\nskip_if_unavailable=False\n"))
            .file(FileSpec::exec("/usr/bin/dnf-3", crate::spec::Content::Text("#!/usr/bin/sh\n# dnf (leapfrog testkit)\n".into())))
            .file(FileSpec::symlink("/usr/bin/dnf", "dnf-3"))
            .requires(Dep::any(if major == 8 { "platform-python" } else { "python3" }))
            .requires(Dep::any("rpm"));
        c.push(p);
        if let Some(mut y) = c.base("yum", DNF, "noarch", base) {
            y = y
                .file(FileSpec::symlink("/usr/bin/yum", "dnf-3"))
                .file(FileSpec::symlink("/etc/yum.conf", "dnf/dnf.conf"))
                .requires(Dep::any("dnf"));
            c.push(y);
        }
    }
    if let Some(mut p) = c.base("python", PYTHON2, "x86_64", base) {
        let evr = eq_evr(&p);
        p = p
            .file(FileSpec::exec(
                "/usr/bin/python2.7",
                crate::spec::Content::Generated {
                    seed: 0x27,
                    size: 8 * 1024,
                },
            ))
            .file(FileSpec::symlink("/usr/bin/python", "python2.7"))
            .requires(Dep::versioned("python-libs", DepOp::Eq, evr));
        c.push(p);
    }
    if let Some(mut p) = c.base("python-libs", PYTHON2, "x86_64", base) {
        p = p
            .file(FileSpec::generated(
                "/usr/lib64/libpython2.7.so.1.0",
                0x2701,
                32 * 1024,
            ))
            .provides(Dep::any(soname("libpython2.7.so.1.0")));
        c.push(p);
    }
    if let Some(mut p) = c.base("platform-python", PLATFORM_PYTHON, "x86_64", base) {
        // Unversioned on purpose: a stranded platform-python must not pin python3-libs.
        p = p
            .file(FileSpec::exec(
                "/usr/libexec/platform-python3.6",
                crate::spec::Content::Generated {
                    seed: 0x36,
                    size: 8 * 1024,
                },
            ))
            .file(FileSpec::symlink(
                "/usr/libexec/platform-python",
                "platform-python3.6",
            ))
            .requires(Dep::any("python3-libs"));
        c.push(p);
    }
    if let Some(mut p) = c.base("python3", PYTHON3, "x86_64", base) {
        let short = if major == 9 { "3.9" } else { "3.12" };
        p = p
            .file(FileSpec::exec(
                format!("/usr/bin/python{short}"),
                crate::spec::Content::Generated {
                    seed: 0x39,
                    size: 8 * 1024,
                },
            ))
            .file(FileSpec::symlink(
                "/usr/bin/python3",
                format!("python{short}"),
            ))
            .requires(Dep::any("python3-libs"));
        c.push(p);
    }
    if let Some(mut p) = c.base("python3-libs", PYTHON3_LIBS, "x86_64", base) {
        let lib = match major {
            8 => "libpython3.6m.so.1.0",
            9 => "libpython3.9.so.1.0",
            _ => "libpython3.12.so.1.0",
        };
        p = p
            .file(FileSpec::generated(
                format!("/usr/lib64/{lib}"),
                0x3000 + u64::from(major),
                32 * 1024,
            ))
            .provides(Dep::any(soname(lib)));
        c.push(p);
    }
}
