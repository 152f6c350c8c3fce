//! The base system every root has: the filesystem layout (with the `/bin -> usr/bin` links),
//! `setup`, `bash` carrying the static busybox as `/usr/bin/busybox` (so that `/bin/sh` really
//! runs scriptlets in a root), `coreutils` as busybox applet links, `glibc`, `openssl-libs`
//! (a soname per major, which is what strands third-party binaries), `systemd`, `rpm`; and the
//! utilities `util-linux` (which splits off `util-linux-core` at 9, with a real Requires that
//! dnf follows) and `procps-ng`.

use super::{CatalogContext, Ctx, Line, eq_evr, openssl_soname, sh_req, soname};
use crate::spec::{Dep, DepOp, DepWhen, FileSpec};

/// Applets of busybox that the `coreutils` package links, so scriptlets find the usual tools.
pub const COREUTILS_APPLETS: &[&str] = &[
    "cat",
    "cp",
    "ln",
    "ls",
    "mkdir",
    "mv",
    "rm",
    "rmdir",
    "touch",
    "date",
    "true",
    "false",
    "sed",
    "grep",
    "chmod",
    "chown",
    "head",
    "tail",
    "sort",
    "uname",
    "env",
    "sleep",
    "test",
    "install",
    "sync",
    "basename",
    "dirname",
    "readlink",
    "stat",
    "wc",
    "tr",
    "cut",
    "id",
    "printf",
    "echo",
    "find",
    "xargs",
    "awk",
    "md5sum",
    "sha256sum",
];

const FILESYSTEM: Line = &[
    (7, None, "3.2", "25.el7"),
    (8, None, "3.8", "6.el8"),
    (9, None, "3.16", "5.el9"),
    (10, None, "3.18", "17.el10"),
];
const SETUP: Line = &[
    (7, None, "2.8.71", "11.el7"),
    (8, None, "2.12.2", "11.el8"),
    (9, None, "2.13.7", "10.el9"),
    (10, None, "2.14.5", "7.el10"),
];
const BASH: Line = &[
    (7, None, "4.2.46", "35.el7_9"),
    (8, None, "4.4.20", "5.el8"),
    (9, None, "5.1.8", "9.el9"),
    (10, None, "5.2.26", "6.el10"),
];
const COREUTILS: Line = &[
    (7, None, "8.22", "24.el7_9.2"),
    (8, None, "8.30", "15.el8"),
    (9, None, "8.32", "39.el9"),
    (10, None, "9.5", "6.el10"),
];
const GLIBC: Line = &[
    (7, None, "2.17", "326.el7_9"),
    (8, None, "2.28", "251.el8_10.2"),
    (9, None, "2.34", "168.el9_6.14"),
    (10, None, "2.39", "37.el10"),
];
const OPENSSL: Line = &[
    (7, Some(1), "1.0.2k", "26.el7_9"),
    (8, Some(1), "1.1.1k", "12.el8_9"),
    (9, Some(1), "3.2.2", "6.el9_5.1"),
    (10, Some(1), "3.2.2", "16.el10"),
];
const SYSTEMD: Line = &[
    (7, None, "219", "78.el7_9.9"),
    (8, None, "239", "82.el8_10.5"),
    (9, None, "252", "51.el9_6.1"),
    (10, None, "257", "9.el10"),
];
const RPM: Line = &[
    (7, None, "4.11.3", "48.el7_9"),
    (8, None, "4.14.3", "31.el8"),
    (9, None, "4.16.1.3", "37.el9"),
    (10, None, "4.19.1.1", "12.el10"),
];
const UTIL_LINUX: Line = &[
    (7, None, "2.23.2", "65.el7_9.1"),
    (8, None, "2.32.1", "46.el8"),
    (9, None, "2.37.4", "20.el9"),
    (10, None, "2.40.2", "10.el10"),
];
const UTIL_LINUX_CORE: Line = &[
    (9, None, "2.37.4", "20.el9"),
    (10, None, "2.40.2", "10.el10"),
];
const PROCPS: Line = &[
    (7, None, "3.3.10", "28.el7"),
    (8, None, "3.3.15", "14.el8"),
    (9, None, "3.3.17", "14.el9"),
    (10, None, "4.0.4", "7.el10"),
];

/// `filesystem`, `setup`, `bash`, `coreutils`, `glibc*`, `openssl-libs`, `systemd`, `rpm`.
pub(super) fn packages(c: &mut Ctx<'_>, cx: &CatalogContext) {
    let rel = c.rel;
    let base = rel.base_repo();
    let major = rel.major;

    // filesystem and setup
    if let Some(mut p) = c.base("filesystem", FILESYSTEM, "x86_64", base) {
        for d in [
            "/boot",
            "/boot/grub2",
            "/dev",
            "/etc",
            "/etc/pki",
            "/etc/pki/rpm-gpg",
            "/etc/yum.repos.d",
            "/etc/sysconfig",
            "/etc/default",
            "/etc/yum",
            "/etc/yum/vars",
            "/home",
            "/media",
            "/mnt",
            "/opt",
            "/proc",
            "/root",
            "/run",
            "/srv",
            "/sys",
            "/tmp",
            "/usr",
            "/usr/bin",
            "/usr/lib",
            "/usr/lib64",
            "/usr/libexec",
            "/usr/sbin",
            "/usr/share",
            "/usr/lib/modules",
            "/var",
            "/var/cache",
            "/var/lib",
            "/var/log",
            "/var/tmp",
        ] {
            p = p.file(FileSpec::dir(d));
        }
        if major >= 8 {
            for d in [
                "/boot/loader",
                "/boot/loader/entries",
                "/etc/dnf",
                "/etc/dnf/vars",
                "/etc/dnf/modules.d",
            ] {
                p = p.file(FileSpec::dir(d));
            }
        }
        for (l, t) in [
            ("/bin", "usr/bin"),
            ("/sbin", "usr/sbin"),
            ("/lib", "usr/lib"),
            ("/lib64", "usr/lib64"),
        ] {
            p = p.file(FileSpec::symlink(l, t));
        }
        p = p.requires(Dep::any("setup").when(DepWhen::Pre));
        c.push(p);
    }
    if let Some(mut p) = c.base("setup", SETUP, "noarch", base) {
        p = p
            .file(FileSpec::config("/etc/passwd", "root:x:0:0:root:/root:/bin/bash\nsshd:x:74:74:Privilege-separated SSH:/usr/share/empty.sshd:/sbin/nologin\n"))
            .file(FileSpec::config("/etc/group", "root:x:0:\nwheel:x:10:\nsshd:x:74:\n"))
            .file(FileSpec::config("/etc/hosts", "127.0.0.1   localhost localhost.localdomain\n::1         localhost localhost.localdomain\n"))
            .file(FileSpec::config("/etc/profile", "# /etc/profile (leapfrog testkit)\nexport PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin\n"));
        c.push(p);
    }
    // bash carries the busybox binary so that /bin/sh really runs scriptlets in a root.
    if let Some(mut p) = c.base("bash", BASH, "x86_64", base) {
        p = p
            .file(FileSpec::exec(
                "/usr/bin/busybox",
                crate::spec::Content::Shared(cx.busybox.clone()),
            ))
            .file(FileSpec::symlink("/usr/bin/sh", "busybox"))
            .file(FileSpec::exec(
                "/usr/bin/bash",
                crate::spec::Content::Text(
                    "#!/usr/bin/sh\nexec /usr/bin/busybox sh \"$@\"\n".into(),
                ),
            ))
            .provides(Dep::any("/bin/sh"))
            .provides(Dep::any("/bin/bash"))
            .requires(Dep::any("filesystem"));
        c.push(p);
    }
    if let Some(mut p) = c.base("coreutils", COREUTILS, "x86_64", base) {
        for a in COREUTILS_APPLETS {
            p = p.file(FileSpec::symlink(format!("/usr/bin/{a}"), "busybox"));
        }
        p = p
            .requires(Dep::any("bash"))
            .requires(Dep::any(soname("libc.so.6")));
        c.push(p);
    }
    // glibc
    if let Some(mut p) = c.base("glibc", GLIBC, "x86_64", base) {
        let evr = eq_evr(&p);
        p = p
            .file(FileSpec::generated(
                "/usr/lib64/libc.so.6",
                0x6c1b + u64::from(major),
                24 * 1024,
            ))
            .file(FileSpec::generated(
                "/usr/lib64/ld-linux-x86-64.so.2",
                0x1d + u64::from(major),
                8 * 1024,
            ))
            .provides(Dep::any(soname("libc.so.6")))
            .provides(Dep::any("libc.so.6(GLIBC_2.14)(64bit)"))
            .requires(Dep::any("filesystem"))
            .requires(Dep::versioned("glibc-common", DepOp::Eq, evr));
        c.push(p);
    }
    if let Some(mut p) = c.base("glibc-common", GLIBC, "x86_64", base) {
        p = p.file(FileSpec::generated(
            "/usr/share/i18n/charmaps/UTF-8",
            0x8,
            4096,
        ));
        c.push(p);
    }
    if major >= 8
        && let Some(mut p) = c.base("glibc-langpack-en", GLIBC, "x86_64", base)
    {
        let evr = eq_evr(&p);
        p = p
            .file(FileSpec::generated(
                "/usr/lib/locale/en_US.utf8/LC_CTYPE",
                0xe,
                4096,
            ))
            .requires(Dep::versioned("glibc", DepOp::Eq, evr));
        c.push(p);
    }
    // openssl-libs: the soname changes every major, which is what strands third-party binaries.
    let ssl_soname = openssl_soname(major);
    if let Some(mut p) = c.base("openssl-libs", OPENSSL, "x86_64", base) {
        p = p
            .file(FileSpec::generated(
                format!("/usr/lib64/libssl.so.{ssl_soname}"),
                0x55 + u64::from(major),
                16 * 1024,
            ))
            .file(FileSpec::generated(
                format!("/usr/lib64/libcrypto.so.{ssl_soname}"),
                0xc0 + u64::from(major),
                32 * 1024,
            ))
            .provides(Dep::any(soname(&format!("libssl.so.{ssl_soname}"))))
            .provides(Dep::any(soname(&format!("libcrypto.so.{ssl_soname}"))))
            .requires(Dep::any(soname("libc.so.6")));
        c.push(p);
    }
    if let Some(mut p) = c.base("systemd", SYSTEMD, "x86_64", base) {
        p = p
            .file(FileSpec::exec(
                "/usr/lib/systemd/systemd",
                crate::spec::Content::Generated {
                    seed: 0x5d,
                    size: 48 * 1024,
                },
            ))
            .file(FileSpec::config(
                "/etc/systemd/system.conf",
                "[Manager]\n#LogLevel=info\n",
            ))
            .file(FileSpec::dir("/etc/systemd"))
            .file(FileSpec::dir("/etc/systemd/system"))
            .file(FileSpec::dir("/usr/lib/systemd/system"))
            .requires(Dep::any(soname("libc.so.6")))
            .requires(sh_req(DepWhen::Post))
            .with_logging_scriptlets();
        c.push(p);
    }
    if let Some(mut p) = c.base("rpm", RPM, "x86_64", base) {
        p = p
            .file(FileSpec::exec(
                "/usr/bin/rpm",
                crate::spec::Content::Generated {
                    seed: 0x4e,
                    size: 16 * 1024,
                },
            ))
            .file(FileSpec::dir(rel.dbpath))
            .requires(Dep::any(soname(&format!("libcrypto.so.{ssl_soname}"))));
        if major >= 10 {
            p = p.file(FileSpec::dir("/usr/lib/sysimage"));
        }
        c.push(p);
    }
}

/// `util-linux`, `util-linux-core` (from 9) and `procps-ng`.
pub(super) fn utilities(c: &mut Ctx<'_>) {
    let base = c.rel.base_repo();
    let major = c.rel.major;
    // util-linux splits off util-linux-core at 9 (with a real Requires, so dnf follows it)
    if let Some(mut p) = c.base("util-linux", UTIL_LINUX, "x86_64", base) {
        let evr = eq_evr(&p);
        p = p.file(FileSpec::generated(
            "/usr/bin/lsblk",
            0x8121 + u64::from(major),
            8 * 1024,
        ));
        if major >= 9 {
            p = p.requires(Dep::versioned("util-linux-core", DepOp::Eq, evr));
        }
        c.push(p);
    }
    if let Some(mut p) = c.base("util-linux-core", UTIL_LINUX_CORE, "x86_64", base) {
        p = p.file(FileSpec::generated("/usr/bin/mount", 0x8177, 8 * 1024));
        c.push(p);
    }
    if let Some(mut p) = c.base("procps-ng", PROCPS, "x86_64", base) {
        p = p.file(FileSpec::generated("/usr/bin/ps", 0x9c5, 8 * 1024));
        c.push(p);
    }
}
