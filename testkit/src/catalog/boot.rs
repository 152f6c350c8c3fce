//! Booting: two installonly kernels per release (providing `installonlypkg(kernel)`) whose
//! scriptlets do what the real ones do to `/boot` (EL8+: `kernel-core` ships
//! `/lib/modules/<kver>/vmlinuz`, its `%posttrans` copies the image and writes an initramfs
//! placeholder and a BLS entry; EL7: `kernel` owns `/boot/vmlinuz-<kver>` and appends a
//! `menuentry` to `grub.cfg`, its update is in `updates`), and `grub2-tools` with
//! `/etc/default/grub`.

use super::{Ctx, Line, sh_req, soname};
use crate::spec::{Dep, DepOp, DepWhen, FileSpec, PackageSpec, Signing};

const GRUB2: Line = &[
    (7, Some(1), "2.02", "0.87.el7.centos.14"),
    (8, Some(1), "2.02", "158.el8_10"),
    (9, Some(1), "2.06", "94.el9_6"),
    (10, Some(1), "2.12", "15.el10"),
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

/// The kernels of the release and `grub2-tools`.
pub(super) fn packages(c: &mut Ctx<'_>) {
    let base = c.rel.base_repo();
    let major = c.rel.major;
    // kernels (installonly)
    kernels(c, base);
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
