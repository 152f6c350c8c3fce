//! The small scenario set: a few dozen packages per release that carry every behaviour a real
//! major upgrade meets.
//!
//! Versions, names and repository placement follow the real distributions. Package evolution
//! between majors is modelled on real events and deliberately ships **without** Obsoletes, so
//! that a plain `dnf distro-sync` leaves them behind exactly as it does on real hosts:
//!
//! | shape | source (major) | target (major) | real event |
//! |---|---|---|---|
//! | rename | `dhclient` (7) | `dhcp-client` (8) | PES 525 |
//! | rename | `dhcp-client` (9) | `dhcpcd` (10) | EL10 switch to dhcpcd |
//! | rename | `platform-python` (8) | `python3` (9) | EL9 drops platform-python |
//! | replace | `python` (7) | `platform-python` (8) | PES 916 |
//! | replace | `yum-utils` (7) | `dnf-utils` (8) | PES 915 |
//! | split | `ntp` (7) | `chrony` + `ntpstat` (8) | PES 4 |
//! | split | `python-libs` (7) | `python3-libs` (8) | PES 205 |
//! | merge | `iptables` + `iptables-ebtables` + `iptables-arptables` (8) | `iptables-nft` (9) | PES 2211 |
//! | removal | `tcp_wrappers`, `tcp_wrappers-libs`, `bridge-utils` (7) | — | PES 47, 2131, 437 |
//! | removal | `network-scripts` (8) | — | EL9 removal |
//! | removal | `initscripts` (9) | — | synthetic |
//!
//! One package carries Obsoletes as the real one does: `python3-dnf-plugin-versionlock` (8+)
//! obsoletes and provides `yum-plugin-versionlock` (7).

use std::sync::Arc;

use crate::release::Release;
use crate::spec::{Dep, DepOp, DepWhen, FileSpec, ModuleStream, PackageSpec, Signing};

/// Inputs shared by every package of a world.
#[derive(Debug, Clone)]
pub struct CatalogContext {
    /// The static busybox binary that becomes `/usr/bin/busybox` (and thus `/bin/sh`).
    pub busybox: Arc<Vec<u8>>,
    /// `file://` or `http://` base URL of the world, written into repo files through the
    /// `$testkit_world` dnf variable, never literally.
    pub world_var: &'static str,
    /// Armored public keys by file name, installed under `/etc/pki/rpm-gpg/` by the release
    /// and `epel-release` packages.
    pub public_keys: std::collections::BTreeMap<String, String>,
}

impl CatalogContext {
    fn public_key(&self, file: &str) -> String {
        self.public_keys.get(file).cloned().unwrap_or_default()
    }
}

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

/// Versions of one package line per major: `(major, epoch, version, release)`.
type Line = &'static [(u32, Option<u32>, &'static str, &'static str)];

fn pick(line: Line, major: u32) -> Option<(Option<u32>, &'static str, &'static str)> {
    line.iter()
        .find(|(m, ..)| *m == major)
        .map(|(_, e, v, r)| (*e, *v, *r))
}

/// Builder of one release's packages.
struct Ctx<'a> {
    rel: &'a Release,
    key: String,
    out: Vec<PackageSpec>,
}

impl Ctx<'_> {
    fn base(&self, name: &str, line: Line, arch: &str, repo: &str) -> Option<PackageSpec> {
        let (epoch, version, release) = pick(line, self.rel.major)?;
        let mut p = PackageSpec::new(name, epoch, version, release, arch);
        p.vendor = self.rel.vendor.to_string();
        p.signing = Signing::Key(self.key.clone());
        p.repo = repo.to_string();
        p.license = "GPL-2.0-or-later".into();
        Some(p)
    }
    fn push(&mut self, p: PackageSpec) {
        self.out.push(p);
    }
}

fn eq_evr(p: &PackageSpec) -> String {
    p.evr()
}

fn sh_req(when: DepWhen) -> Dep {
    Dep::any("/bin/sh").when(when)
}

fn soname(lib: &str) -> String {
    format!("{lib}()(64bit)")
}

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
const GRUB2: Line = &[
    (7, Some(1), "2.02", "0.87.el7.centos.14"),
    (8, Some(1), "2.02", "158.el8_10"),
    (9, Some(1), "2.06", "94.el9_6"),
    (10, Some(1), "2.12", "15.el10"),
];
const OPENSSH: Line = &[
    (7, None, "7.4p1", "23.el7_9"),
    (8, None, "8.0p1", "25.el8_10"),
    (9, None, "8.7p1", "45.el9"),
    (10, None, "9.9p1", "7.el10"),
];
const SUDO: Line = &[
    (7, None, "1.8.23", "10.el7_9.3"),
    (8, None, "1.9.5p2", "1.el8_9"),
    (9, None, "1.9.5p2", "10.el9_6"),
    (10, None, "1.9.15", "8.p5.el10"),
];
const NM: Line = &[
    (7, Some(1), "1.18.8", "2.el7_9"),
    (8, Some(1), "1.40.16", "18.el8_10"),
    (9, Some(1), "1.52.0", "4.el9_6"),
    (10, Some(1), "1.52.0", "1.el10"),
];
const INITSCRIPTS: Line = &[
    (7, None, "9.49.53", "1.el7_9.1"),
    (8, None, "10.00.18", "1.el8"),
    (9, None, "10.11.8", "4.el9"),
];
const NETWORK_SCRIPTS: Line = &[(8, None, "10.00.18", "1.el8")];
const DHCLIENT: Line = &[(7, Some(12), "4.2.5", "83.el7.centos.2")];
const DHCP_CLIENT: Line = &[
    (8, Some(12), "4.3.6", "50.el8_10"),
    (9, Some(12), "4.4.2", "19.b1.el9"),
];
const DHCPCD: Line = &[(10, None, "10.0.6", "5.el10")];
const NTP: Line = &[(7, None, "4.2.6p5", "29.el7.centos.2")];
const CHRONY: Line = &[
    (8, None, "4.5", "2.el8_10"),
    (9, None, "4.6.1", "1.el9"),
    (10, None, "4.6.1", "1.el10"),
];
const NTPSTAT: Line = &[
    (8, None, "0.5", "2.el8"),
    (9, None, "0.6", "2.el9"),
    (10, None, "0.6", "7.el10"),
];
const YUM_UTILS: Line = &[(7, None, "1.1.31", "54.el7_8")];
const DNF_UTILS: Line = &[
    (8, None, "4.0.21", "25.el8"),
    (9, None, "4.3.0", "20.el9"),
    (10, None, "4.7.0", "8.el10"),
];
const TCP_WRAPPERS: Line = &[(7, None, "7.6", "77.el7")];
const BRIDGE_UTILS: Line = &[(7, None, "1.5", "9.el7")];
const IPTABLES: Line = &[
    (7, None, "1.4.21", "35.el7"),
    (8, None, "1.8.5", "11.el8_9"),
];
const IPTABLES_LIBS: Line = &[
    (8, None, "1.8.5", "11.el8_9"),
    (9, None, "1.8.10", "11.el9"),
    (10, None, "1.8.11", "8.el10"),
];
const IPTABLES_NFT: Line = &[
    (9, None, "1.8.10", "11.el9"),
    (10, None, "1.8.11", "8.el10"),
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
const POSTGRES_PLAIN: Line = &[
    (7, None, "9.2.24", "9.el7_9"),
    (9, None, "13.20", "1.el9_5"),
    (10, None, "16.8", "1.el10"),
];
const NODEJS_PLAIN: Line = &[
    (9, Some(1), "16.20.2", "8.el9_4"),
    (10, Some(1), "22.13.1", "2.el10"),
];
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

/// Kernel versions per major: `(version, release)`, oldest first; both are installed in the
/// default root so that "newest kernel not running" has something to find.
fn kernel_versions(major: u32) -> &'static [(&'static str, &'static str)] {
    match major {
        7 => &[("3.10.0", "1160.el7"), ("3.10.0", "1160.119.1.el7")],
        8 => &[("4.18.0", "553.el8_10"), ("4.18.0", "553.16.1.el8_10")],
        9 => &[("5.14.0", "570.12.1.el9_6"), ("5.14.0", "570.17.1.el9_6")],
        _ => &[("6.12.0", "55.9.1.el10_0"), ("6.12.0", "55.12.1.el10_0")],
    }
}

/// Kernel release strings (`uname -r`) of the kernels a release ships, oldest first.
pub fn kernel_releases(major: u32) -> Vec<String> {
    kernel_versions(major)
        .iter()
        .map(|(v, r)| format!("{v}-{r}.x86_64"))
        .collect()
}

/// Every package of the small scenario set for `rel` (distribution packages, EPEL-like and
/// MariaDB-like vendor packages, an unsigned third-party package and the opt-in fault packages).
pub fn small_set(rel: &Release, cx: &CatalogContext) -> Vec<PackageSpec> {
    let mut c = Ctx {
        rel,
        key: rel.key.file.clone(),
        out: Vec::new(),
    };
    let base = rel.base_repo();
    let app = rel.appstream_repo();
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
    let ssl_soname = match major {
        7 => "10",
        8 => "1.1",
        _ => "3",
    };
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
    // kernels (installonly)
    kernels(&mut c, base);
    if let Some(mut p) = c.base("grub2-tools", GRUB2, "x86_64", base) {
        let bls = if major >= 8 {
            "GRUB_ENABLE_BLSCFG=true\n"
        } else {
            ""
        };
        p = p
            .file(FileSpec::config(
                "/etc/default/grub",
                format!("GRUB_TIMEOUT=5\nGRUB_DEFAULT=saved\nGRUB_DISABLE_SUBMENU=true\nGRUB_TERMINAL_OUTPUT=\"console\"\nGRUB_CMDLINE_LINUX=\"crashkernel=auto rhgb quiet\"\nGRUB_DISABLE_RECOVERY=\"true\"\n{bls}"),
            ))
            .file(FileSpec::exec("/usr/sbin/grub2-mkconfig", crate::spec::Content::Text("#!/usr/bin/sh\necho 'grub2-mkconfig (leapfrog testkit)'\n".into())))
            .requires(Dep::any(soname("libc.so.6")));
        c.push(p);
    }
    // openssh: config(noreplace) + all five logged scriptlets
    if let Some(mut p) = c.base("openssh", OPENSSH, "x86_64", base) {
        p = p
            .file(FileSpec::generated("/usr/bin/ssh-keygen", 0x55f, 8 * 1024))
            .requires(Dep::any(soname(&format!("libcrypto.so.{ssl_soname}"))));
        c.push(p);
    }
    if let Some(mut p) = c.base("openssh-server", OPENSSH, "x86_64", base) {
        let evr = eq_evr(&p);
        let permit = if major >= 9 {
            "#PermitRootLogin prohibit-password"
        } else {
            "#PermitRootLogin yes"
        };
        p = p
            .file(FileSpec::config(
                "/etc/ssh/sshd_config",
                format!("# sshd_config (leapfrog testkit {})\n{permit}\nPasswordAuthentication yes\nUsePAM yes\nSubsystem sftp /usr/libexec/openssh/sftp-server\n", rel.id),
            ))
            .file(FileSpec::dir("/etc/ssh"))
            .file(FileSpec::exec("/usr/sbin/sshd", crate::spec::Content::Generated { seed: 0x55d + u64::from(major), size: 24 * 1024 }))
            .file(FileSpec::text("/usr/lib/systemd/system/sshd.service", "[Unit]\nDescription=OpenSSH server daemon\n[Service]\nExecStart=/usr/sbin/sshd -D\n[Install]\nWantedBy=multi-user.target\n"))
            .requires(Dep::versioned("openssh", DepOp::Eq, evr))
            .requires(Dep::any(soname(&format!("libcrypto.so.{ssl_soname}"))))
            .requires(Dep::any("systemd"))
            .requires(sh_req(DepWhen::Pre))
            .requires(sh_req(DepWhen::Post))
            .requires(sh_req(DepWhen::Preun))
            .requires(sh_req(DepWhen::Postun))
            .with_logging_scriptlets();
        if major == 7 {
            p = p.requires(Dep::any(soname("libwrap.so.0")));
        }
        c.push(p);
    }
    if let Some(mut p) = c.base("openssh-clients", OPENSSH, "x86_64", base) {
        let evr = eq_evr(&p);
        p = p
            .file(FileSpec::config(
                "/etc/ssh/ssh_config",
                "Host *\n    GSSAPIAuthentication yes\n",
            ))
            .file(FileSpec::generated("/usr/bin/ssh", 0x55c, 16 * 1024))
            .requires(Dep::versioned("openssh", DepOp::Eq, evr));
        c.push(p);
    }
    if let Some(mut p) = c.base("sudo", SUDO, "x86_64", base) {
        p.files.push(FileSpec {
            path: "/etc/sudoers".into(),
            kind: crate::spec::FileKind::Regular {
                content: crate::spec::Content::Text(
                    "root ALL=(ALL) ALL\n%wheel ALL=(ALL) ALL\n".into(),
                ),
                mode: 0o440,
                config_noreplace: true,
            },
        });
        p = p
            .file(FileSpec::generated("/usr/bin/sudo", 0x5d0, 8 * 1024))
            .requires(Dep::any(soname("libc.so.6")));
        c.push(p);
    }
    if let Some(mut p) = c.base("NetworkManager", NM, "x86_64", base) {
        p = p
            .file(FileSpec::config(
                "/etc/NetworkManager/NetworkManager.conf",
                "[main]\n#plugins=keyfile,ifcfg-rh\n",
            ))
            .file(FileSpec::dir("/etc/NetworkManager"))
            .file(FileSpec::generated(
                "/usr/sbin/NetworkManager",
                0x4e4d,
                24 * 1024,
            ))
            .requires(Dep::any("systemd"));
        c.push(p);
    }
    if let Some(mut p) = c.base("initscripts", INITSCRIPTS, "x86_64", base) {
        p = p
            .file(FileSpec::config(
                "/etc/sysconfig/network-scripts/ifcfg-lo",
                "DEVICE=lo\nIPADDR=127.0.0.1\nNETMASK=255.0.0.0\nONBOOT=yes\n",
            ))
            .file(FileSpec::dir("/etc/sysconfig/network-scripts"));
        if major == 7 {
            p = p.file(FileSpec::exec(
                "/etc/sysconfig/network-scripts/ifup-eth",
                crate::spec::Content::Text("#!/usr/bin/sh\n# ifup-eth (leapfrog testkit)\n".into()),
            ));
        }
        c.push(p);
    }
    if let Some(mut p) = c.base("network-scripts", NETWORK_SCRIPTS, "x86_64", base) {
        p = p
            .file(FileSpec::exec(
                "/etc/sysconfig/network-scripts/ifup-eth",
                crate::spec::Content::Text("#!/usr/bin/sh\n# ifup-eth (leapfrog testkit)\n".into()),
            ))
            .file(FileSpec::exec(
                "/usr/sbin/ifup",
                crate::spec::Content::Text("#!/usr/bin/sh\n# ifup (leapfrog testkit)\n".into()),
            ))
            .requires(Dep::any("initscripts"));
        c.push(p);
    }
    // renames
    for (name, line) in [
        ("dhclient", DHCLIENT),
        ("dhcp-client", DHCP_CLIENT),
        ("dhcpcd", DHCPCD),
    ] {
        if let Some(mut p) = c.base(name, line, "x86_64", base) {
            let bin = if name == "dhcpcd" {
                "/usr/sbin/dhcpcd"
            } else {
                "/usr/sbin/dhclient"
            };
            p = p.file(FileSpec::generated(
                bin,
                0xd4c + u64::from(major),
                12 * 1024,
            ));
            c.push(p);
        }
    }
    // ntp -> chrony + ntpstat
    if let Some(mut p) = c.base("ntp", NTP, "x86_64", base) {
        let evr = eq_evr(&p);
        p = p
            .file(FileSpec::config(
                "/etc/ntp.conf",
                "server 0.centos.pool.ntp.org iburst\n",
            ))
            .file(FileSpec::generated("/usr/sbin/ntpd", 0x47, 12 * 1024))
            .requires(Dep::versioned("ntpdate", DepOp::Eq, evr));
        c.push(p);
    }
    if let Some(mut p) = c.base("ntpdate", NTP, "x86_64", base) {
        p = p.file(FileSpec::generated("/usr/sbin/ntpdate", 0x48, 4 * 1024));
        c.push(p);
    }
    if let Some(mut p) = c.base("chrony", CHRONY, "x86_64", base) {
        p = p
            .file(FileSpec::config(
                "/etc/chrony.conf",
                "pool 2.pool.ntp.org iburst\n",
            ))
            .file(FileSpec::generated(
                "/usr/sbin/chronyd",
                0xc4 + u64::from(major),
                12 * 1024,
            ));
        c.push(p);
    }
    if let Some(mut p) = c.base("ntpstat", NTPSTAT, "noarch", base) {
        p = p.file(FileSpec::exec(
            "/usr/bin/ntpstat",
            crate::spec::Content::Text("#!/usr/bin/sh\necho synchronised\n".into()),
        ));
        c.push(p);
    }
    // yum-utils -> dnf-utils; the versionlock plugin that does carry Obsoletes
    if let Some(mut p) = c.base("yum-utils", YUM_UTILS, "noarch", base) {
        p = p
            .file(FileSpec::exec(
                "/usr/bin/package-cleanup",
                crate::spec::Content::Text("#!/usr/bin/python\n".into()),
            ))
            .requires(Dep::any("yum"));
        c.push(p);
    }
    if let Some(mut p) = c.base("yum-plugin-versionlock", YUM_UTILS, "noarch", base) {
        p = p
            .file(FileSpec::config(
                "/etc/yum/pluginconf.d/versionlock.conf",
                "[main]\nenabled = 1\n",
            ))
            .requires(Dep::any("yum"));
        c.push(p);
    }
    if let Some(mut p) = c.base("dnf-utils", DNF_UTILS, "noarch", base) {
        p = p
            .file(FileSpec::exec(
                "/usr/bin/package-cleanup",
                crate::spec::Content::Text("#!/usr/bin/sh\n".into()),
            ))
            .requires(Dep::any("dnf"));
        c.push(p);
    }
    if let Some(mut p) = c.base("python3-dnf-plugin-versionlock", DNF_UTILS, "noarch", base) {
        let evr = eq_evr(&p);
        p = p
            .file(FileSpec::config(
                "/etc/dnf/plugins/versionlock.conf",
                "[main]\nenabled = 1\n",
            ))
            .provides(Dep::versioned(
                "yum-plugin-versionlock",
                DepOp::Eq,
                evr.clone(),
            ))
            .requires(Dep::any("dnf"));
        p.obsoletes
            .push(Dep::versioned("yum-plugin-versionlock", DepOp::Less, evr));
        c.push(p);
    }
    // removals without replacement
    if let Some(mut p) = c.base("tcp_wrappers-libs", TCP_WRAPPERS, "x86_64", base) {
        p = p
            .file(FileSpec::generated(
                "/usr/lib64/libwrap.so.0",
                0x7c9,
                8 * 1024,
            ))
            .provides(Dep::any(soname("libwrap.so.0")));
        c.push(p);
    }
    if let Some(mut p) = c.base("tcp_wrappers", TCP_WRAPPERS, "x86_64", base) {
        let evr = eq_evr(&p);
        p = p
            .file(FileSpec::generated("/usr/sbin/tcpd", 0x7cd, 4 * 1024))
            .requires(Dep::versioned("tcp_wrappers-libs", DepOp::Eq, evr));
        c.push(p);
    }
    if let Some(mut p) = c.base("bridge-utils", BRIDGE_UTILS, "x86_64", base) {
        p = p.file(FileSpec::generated("/usr/sbin/brctl", 0xb7c, 4 * 1024));
        c.push(p);
    }
    // iptables: merge at 9
    if let Some(mut p) = c.base("iptables", IPTABLES, "x86_64", base) {
        p = p.file(FileSpec::generated(
            "/usr/sbin/iptables-legacy",
            0x1b7 + u64::from(major),
            8 * 1024,
        ));
        if major == 8 {
            // `>=` rather than the real `=`: a stranded iptables must not block distro-sync, so the
            // gap shows as a leftover package (the real pin makes dnf fail outright instead).
            p = p.requires(Dep::versioned("iptables-libs", DepOp::GreaterEq, "1.8.5"));
        }
        c.push(p);
    }
    if major == 8 {
        for (name, bin) in [
            ("iptables-ebtables", "/usr/sbin/ebtables-legacy"),
            ("iptables-arptables", "/usr/sbin/arptables-legacy"),
        ] {
            if let Some(mut p) = c.base(name, IPTABLES, "x86_64", base) {
                let evr = eq_evr(&p);
                p = p
                    .file(FileSpec::generated(bin, 0xeb7, 4 * 1024))
                    .requires(Dep::versioned("iptables", DepOp::Eq, evr));
                c.push(p);
            }
        }
    }
    if let Some(mut p) = c.base("iptables-libs", IPTABLES_LIBS, "x86_64", base) {
        p = p.file(FileSpec::generated(
            format!(
                "/usr/lib64/libxtables.so.{}",
                if major == 8 { 12 } else { 12 + major - 8 }
            ),
            0x1b1,
            8 * 1024,
        ));
        c.push(p);
    }
    if let Some(mut p) = c.base("iptables-nft", IPTABLES_NFT, "x86_64", base) {
        let evr = eq_evr(&p);
        p = p
            .file(FileSpec::generated(
                "/usr/sbin/iptables-nft",
                0x1bf,
                8 * 1024,
            ))
            .requires(Dep::versioned("iptables-libs", DepOp::Eq, evr));
        c.push(p);
    }
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
    // PostgreSQL and Node.js: non-modular where the release has them that way, module streams on
    // EL8 (default stream 10 / 10) and extra streams on EL9.
    if let Some(p) = c.base("postgresql", POSTGRES_PLAIN, "x86_64", app) {
        postgres_pair(&mut c, p, None);
    }
    if let Some(p) = c.base("nodejs", NODEJS_PLAIN, "x86_64", app) {
        let p = p.file(FileSpec::generated("/usr/bin/node", 0x0de, 16 * 1024));
        c.push(p);
    }
    if rel.repo(app).is_some_and(|r| r.modular) || major == 9 {
        for m in module_streams(major) {
            let mut p = PackageSpec::new(m.package, m.epoch, m.version, &m.release(), "x86_64");
            p.vendor = rel.vendor.to_string();
            p.signing = Signing::Key(c.key.clone());
            p.repo = app.to_string();
            p.module = Some(ModuleStream {
                name: m.module.into(),
                stream: m.stream.into(),
            });
            if m.module == "postgresql" {
                postgres_pair(&mut c, p, m.context_seed.into());
            } else {
                p = p.file(FileSpec::generated(
                    "/usr/bin/node",
                    0x0de + u64::from(m.context_seed),
                    16 * 1024,
                ));
                c.push(p);
            }
        }
    }
    // release and logos packages
    release_packages(&mut c, cx);
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
    let mut out = c.out;
    out.extend(vendor_packages(rel));
    out.extend(third_party_and_faults(rel));
    out
}

struct ModuleDef {
    module: &'static str,
    stream: &'static str,
    package: &'static str,
    epoch: Option<u32>,
    version: &'static str,
    /// e.g. `module_el8.10.0+3858+6ad51f9f`
    release_tail: &'static str,
    context_seed: u32,
}

impl ModuleDef {
    fn release(&self) -> String {
        format!("1.{}", self.release_tail)
    }
}

fn module_streams(major: u32) -> Vec<ModuleDef> {
    match major {
        8 => vec![
            ModuleDef {
                module: "postgresql",
                stream: "10",
                package: "postgresql",
                epoch: None,
                version: "10.23",
                release_tail: "module_el8.10.0+3858+6ad51f9f",
                context_seed: 1,
            },
            ModuleDef {
                module: "postgresql",
                stream: "13",
                package: "postgresql",
                epoch: None,
                version: "13.20",
                release_tail: "module_el8.10.0+3961+4b3e4b2b",
                context_seed: 2,
            },
            ModuleDef {
                module: "nodejs",
                stream: "10",
                package: "nodejs",
                epoch: Some(1),
                version: "10.24.0",
                release_tail: "module_el8.3.0+2047+b07ac3d6",
                context_seed: 3,
            },
            ModuleDef {
                module: "nodejs",
                stream: "20",
                package: "nodejs",
                epoch: Some(1),
                version: "20.18.2",
                release_tail: "module_el8.10.0+3946+b4e8e9f7",
                context_seed: 4,
            },
        ],
        9 => vec![
            ModuleDef {
                module: "postgresql",
                stream: "15",
                package: "postgresql",
                epoch: None,
                version: "15.12",
                release_tail: "module_el9.6.0+42+3cb0a33a",
                context_seed: 5,
            },
            ModuleDef {
                module: "nodejs",
                stream: "20",
                package: "nodejs",
                epoch: Some(1),
                version: "20.19.1",
                release_tail: "module_el9.6.0+60+5c6e3e4f",
                context_seed: 6,
            },
        ],
        _ => Vec::new(),
    }
}

/// The default stream of each module on a release (EL8 only: EL9 streams are non-default).
pub fn module_defaults(major: u32) -> Vec<(&'static str, &'static str)> {
    if major == 8 {
        vec![("postgresql", "10"), ("nodejs", "10")]
    } else {
        Vec::new()
    }
}

/// Module name, stream and artifact NEVRAs of every module stream in `packages`.
pub fn module_index(packages: &[PackageSpec]) -> Vec<(ModuleStream, Vec<String>)> {
    let mut map: std::collections::BTreeMap<ModuleStream, Vec<String>> = Default::default();
    for p in packages {
        if let Some(m) = &p.module {
            map.entry(m.clone()).or_default().push(p.nevra_with_epoch());
        }
    }
    map.into_iter().collect()
}

fn postgres_pair(c: &mut Ctx<'_>, client: PackageSpec, seed: Option<u32>) {
    let seed = u64::from(seed.unwrap_or(0));
    let mut server = client.clone();
    server.name = "postgresql-server".into();
    let evr = client.evr();
    let client = client.file(FileSpec::generated(
        "/usr/bin/psql",
        0x9500 + seed,
        12 * 1024,
    ));
    server = server
        .file(FileSpec::generated(
            "/usr/bin/postgres",
            0x9501 + seed,
            24 * 1024,
        ))
        .file(FileSpec::dir("/var/lib/pgsql"))
        .requires(Dep::versioned("postgresql", DepOp::Eq, evr))
        .requires(sh_req(DepWhen::Pre))
        .requires(sh_req(DepWhen::Post))
        .requires(sh_req(DepWhen::Preun))
        .requires(sh_req(DepWhen::Postun))
        .with_logging_scriptlets();
    c.push(client);
    c.push(server);
}

fn kernels(c: &mut Ctx<'_>, repo: &str) {
    let rel = c.rel;
    let major = rel.major;
    let versions = kernel_versions(major);
    for (i, (version, release)) in versions.iter().enumerate() {
        // EL7 puts kernel updates in `updates`.
        let repo = if major == 7 && i > 0 { "updates" } else { repo };
        let kver = format!("{version}-{release}.x86_64");
        let mk = |name: &str| {
            let mut p = PackageSpec::new(name, None, version, release, "x86_64");
            p.vendor = rel.vendor.to_string();
            p.signing = Signing::Key(c.key.clone());
            p.repo = repo.to_string();
            p.provides.push(Dep::any("installonlypkg(kernel)"));
            p
        };
        let boot_scripts = |p: PackageSpec, image: &str| -> PackageSpec {
            let title = format!("{} ({kver}) {}", rel.os_name, rel.os_version);
            let post = if major >= 8 {
                format!(
                    "MID=$(cat /etc/machine-id 2>/dev/null || echo testkit)\n\
                     cp {image} /boot/vmlinuz-{kver}\n\
                     echo 'initramfs {kver} (leapfrog testkit)' > /boot/initramfs-{kver}.img\n\
                     mkdir -p /boot/loader/entries\n\
                     cat > /boot/loader/entries/$MID-{kver}.conf <<'EOF'\n\
                     title {title}\n\
                     version {kver}\n\
                     linux /vmlinuz-{kver}\n\
                     initrd /initramfs-{kver}.img $tuned_initrd\n\
                     options $kernelopts $tuned_params\n\
                     id {os}-{kver}\n\
                     grub_users $grub_users\n\
                     grub_arg --unrestricted\n\
                     grub_class kernel\n\
                     EOF\n\
                     echo \"posttrans {name} $*\" >> /var/log/testkit-scriptlets.log\n",
                    os = rel.os_id,
                    name = p.nvra()
                )
            } else {
                format!(
                    "echo 'initramfs {kver} (leapfrog testkit)' > /boot/initramfs-{kver}.img\n\
                     mkdir -p /boot/grub2\n\
                     cat >> /boot/grub2/grub.cfg <<EOF\n\
                     menuentry '{title}' --class centos --unrestricted {{\n\
                     \tlinux16 /vmlinuz-{kver} root=/dev/mapper/centos-root ro crashkernel=auto rhgb quiet\n\
                     \tinitrd16 /initramfs-{kver}.img\n\
                     }}\n\
                     EOF\n\
                     echo \"posttrans {name} $*\" >> /var/log/testkit-scriptlets.log\n",
                    name = p.nvra()
                )
            };
            let preun = if major >= 8 {
                format!(
                    "MID=$(cat /etc/machine-id 2>/dev/null || echo testkit)\nrm -f /boot/vmlinuz-{kver} /boot/initramfs-{kver}.img /boot/loader/entries/$MID-{kver}.conf\n"
                )
            } else {
                format!("rm -f /boot/initramfs-{kver}.img\n")
            };
            let mut p = p
                .requires(Dep::any("coreutils").when(DepWhen::Post))
                .requires(sh_req(DepWhen::Preun));
            p.requires.push(Dep::any("coreutils"));
            p.scripts.posttrans = Some(post);
            p.scripts.preun = Some(preun);
            p
        };
        let seed = 0x4b00 + (u64::from(major) << 4) + i as u64;
        if major == 7 {
            let p = mk("kernel")
                .file(FileSpec::generated(
                    format!("/boot/vmlinuz-{kver}"),
                    seed,
                    64 * 1024,
                ))
                .file(FileSpec::generated(
                    format!("/boot/System.map-{kver}"),
                    seed + 1,
                    8 * 1024,
                ))
                .file(FileSpec::ghost(format!("/boot/initramfs-{kver}.img")))
                .file(FileSpec::dir(format!("/lib/modules/{kver}")))
                .file(FileSpec::generated(
                    format!("/lib/modules/{kver}/kernel/drivers/net/e1000.ko.xz"),
                    seed + 2,
                    8 * 1024,
                ));
            let p = boot_scripts(p, "");
            c.push(p);
        } else {
            let core = mk("kernel-core")
                .file(FileSpec::dir(format!("/lib/modules/{kver}")))
                .file(FileSpec::generated(
                    format!("/lib/modules/{kver}/vmlinuz"),
                    seed,
                    64 * 1024,
                ))
                .file(FileSpec::generated(
                    format!("/lib/modules/{kver}/System.map"),
                    seed + 1,
                    8 * 1024,
                ))
                .file(FileSpec::ghost(format!("/boot/vmlinuz-{kver}")))
                .file(FileSpec::ghost(format!("/boot/initramfs-{kver}.img")));
            let core = boot_scripts(core, &format!("/lib/modules/{kver}/vmlinuz"));
            let evr = core.evr();
            let modules = mk("kernel-modules")
                .file(FileSpec::generated(
                    format!("/lib/modules/{kver}/kernel/drivers/net/e1000.ko.xz"),
                    seed + 2,
                    8 * 1024,
                ))
                .requires(Dep::versioned("kernel-core", DepOp::Eq, evr.clone()));
            let meta = mk("kernel")
                .requires(Dep::versioned("kernel-core", DepOp::Eq, evr.clone()))
                .requires(Dep::versioned("kernel-modules", DepOp::Eq, evr));
            c.push(core);
            c.push(modules);
            c.push(meta);
        }
    }
}

fn release_packages(c: &mut Ctx<'_>, cx: &CatalogContext) {
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

/// Packages of the third-party vendors for `rel`'s major.
fn vendor_packages(rel: &Release) -> Vec<PackageSpec> {
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

/// An unsigned third-party agent (repo `acme`) and the opt-in fault packages (repo `faults`).
fn third_party_and_faults(rel: &Release) -> Vec<PackageSpec> {
    let el = rel.el();
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

    let fault = |name: &str, script: &str, stage: &str| {
        let mut p = PackageSpec::new(name, None, "1.0", &format!("1.{el}"), "noarch");
        p.vendor = rel.vendor.to_string();
        p.repo = "faults".into();
        p.signing = Signing::Key(rel.key.file.clone());
        p.summary = format!("Opt-in fault: its %{stage} fails (leapfrog testkit)");
        p = p
            .file(FileSpec::text(
                format!("/usr/share/testkit-faults/{name}"),
                "fault package\n",
            ))
            .requires(sh_req(if stage == "pre" {
                DepWhen::Pre
            } else {
                DepWhen::Post
            }));
        if stage == "pre" {
            p.scripts.pre = Some(script.to_string());
        } else {
            p.scripts.post = Some(script.to_string());
        }
        p
    };
    vec![
        acme,
        fault(
            "failing-post",
            "echo \"post failing-post $* (failing on purpose)\" >> /var/log/testkit-scriptlets.log\nexit 1\n",
            "post",
        ),
        fault(
            "failing-pre",
            "echo \"pre failing-pre $* (failing on purpose)\" >> /var/log/testkit-scriptlets.log\nexit 1\n",
            "pre",
        ),
    ]
}

/// The packages of the default root of a release ("a small server"): every distribution and
/// vendor package of the small set except the opt-in faults, both kernels, and on EL8 the
/// PostgreSQL packages of the default module stream instead of any other stream.
pub fn default_root_packages(all: &[PackageSpec]) -> Vec<&PackageSpec> {
    all.iter()
        .filter(|p| p.repo != "faults" && p.name != "nodejs")
        .filter(|p| match &p.module {
            None => true,
            Some(m) => m.name == "postgresql" && module_defaults_contains(p, m),
        })
        .collect()
}

fn module_defaults_contains(p: &PackageSpec, m: &ModuleStream) -> bool {
    let major = if p.release.contains("el8") { 8 } else { 9 };
    module_defaults(major)
        .iter()
        .any(|(n, s)| *n == m.name && *s == m.stream)
}

/// Module streams enabled in the default root (`/etc/dnf/modules.d`).
pub fn default_root_modules(major: u32) -> Vec<(&'static str, &'static str)> {
    if major == 8 {
        vec![("postgresql", "10")]
    } else {
        Vec::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::release;

    fn cx() -> CatalogContext {
        CatalogContext {
            busybox: Arc::new(b"\x7fELF".to_vec()),
            world_var: "$testkit_world",
            public_keys: Default::default(),
        }
    }

    fn names(rel: &str) -> Vec<String> {
        small_set(&release::by_id(rel).unwrap(), &cx())
            .into_iter()
            .map(|p| p.name)
            .collect()
    }

    #[test]
    fn every_release_has_release_logos_kernel_and_shell() {
        for rel in release::all() {
            let set = small_set(&rel, &cx());
            let has = |n: &str| set.iter().any(|p| p.name == n);
            assert!(has(rel.release_package.0), "{}", rel.id);
            assert!(has(rel.logos_package.0), "{}", rel.id);
            assert!(
                has("kernel") && has("bash") && has("filesystem"),
                "{}",
                rel.id
            );
            assert_eq!(
                set.iter().filter(|p| p.name == "kernel").count(),
                2,
                "{}: two installonly kernels",
                rel.id
            );
            let mut nvras: Vec<_> = set.iter().map(|p| (p.nvra(), p.repo.clone())).collect();
            nvras.sort();
            let n = nvras.len();
            nvras.dedup();
            assert_eq!(n, nvras.len(), "{}: duplicate NEVRA in a repo", rel.id);
        }
    }

    #[test]
    fn evolution_shapes_exist_without_obsoletes() {
        let c7 = names("centos-7.9");
        let a8 = names("almalinux-8.10");
        let a9 = names("almalinux-9.6");
        let a10 = names("almalinux-10.0");
        let has = |v: &[String], n: &str| v.iter().any(|x| x == n);
        assert!(has(&c7, "dhclient") && !has(&a8, "dhclient") && has(&a8, "dhcp-client"));
        assert!(has(&c7, "ntp") && has(&a8, "chrony") && has(&a8, "ntpstat") && !has(&a8, "ntp"));
        assert!(has(&a8, "iptables-ebtables") && has(&a9, "iptables-nft") && !has(&a9, "iptables"));
        assert!(has(&a8, "network-scripts") && !has(&a9, "network-scripts"));
        assert!(has(&a9, "dhcp-client") && has(&a10, "dhcpcd") && !has(&a10, "dhcp-client"));
        let set9 = small_set(&release::by_id("almalinux-9.6").unwrap(), &cx());
        for p in &set9 {
            for o in &p.obsoletes {
                assert_eq!(
                    o.name, "yum-plugin-versionlock",
                    "only the real Obsoletes is carried"
                );
            }
        }
    }

    #[test]
    fn el8_has_module_streams_with_defaults() {
        let set = small_set(&release::by_id("almalinux-8.10").unwrap(), &cx());
        let idx = module_index(&set);
        let streams: Vec<_> = idx
            .iter()
            .map(|(m, _)| format!("{}:{}", m.name, m.stream))
            .collect();
        assert_eq!(
            streams,
            ["nodejs:10", "nodejs:20", "postgresql:10", "postgresql:13"]
        );
        assert_eq!(idx[2].1.len(), 2, "postgresql:10 has client and server");
        assert_eq!(module_defaults(8), [("postgresql", "10"), ("nodejs", "10")]);
        assert!(
            module_index(&small_set(
                &release::by_id("almalinux-10.0").unwrap(),
                &cx()
            ))
            .is_empty()
        );
    }
}
