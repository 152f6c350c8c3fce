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
//!
//! The recipes live in one module per family of what the packages imitate: [`base`] (the base
//! system), [`package_managers`] (yum/dnf and Python), [`boot`] (kernels, grub), [`services`]
//! (OpenSSH, sudo, network configuration), [`evolution`] (the events above), [`modules`]
//! (PostgreSQL and Node.js streams), [`release_packages`], [`vendors`] (EPEL, MariaDB, the
//! unsigned agent) and [`faults`].

use std::sync::Arc;

use crate::release::Release;
use crate::spec::{Dep, DepWhen, PackageSpec, Signing};

mod base;
mod boot;
mod evolution;
mod faults;
mod modules;
mod package_managers;
mod release_packages;
mod services;
mod vendors;

pub use base::COREUTILS_APPLETS;
pub use boot::kernel_releases;
pub use modules::{default_root_modules, module_defaults, module_index};

use modules::module_defaults_contains;

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

/// The soname suffix of `libssl`/`libcrypto` on a major: it changes every major.
fn openssl_soname(major: u32) -> &'static str {
    match major {
        7 => "10",
        8 => "1.1",
        _ => "3",
    }
}

/// Every package of the small scenario set for `rel` (distribution packages, EPEL-like and
/// MariaDB-like vendor packages, an unsigned third-party package and the opt-in fault packages).
///
/// The families are built in this order, which is the order of the package files on the
/// default root's `rpm -i` command line (and so of its transaction and rpm database): keep it.
pub fn small_set(rel: &Release, cx: &CatalogContext) -> Vec<PackageSpec> {
    let mut c = Ctx {
        rel,
        key: rel.key.file.clone(),
        out: Vec::new(),
    };
    base::packages(&mut c, cx);
    package_managers::packages(&mut c);
    boot::packages(&mut c);
    services::packages(&mut c);
    evolution::packages(&mut c);
    base::utilities(&mut c);
    modules::packages(&mut c);
    release_packages::packages(&mut c, cx);
    vendors::epel_release(&mut c, cx);
    let mut out = c.out;
    out.extend(vendors::packages(rel));
    out.push(vendors::acme_agent());
    out.extend(faults::packages(rel));
    out
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
