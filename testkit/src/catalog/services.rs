//! Services and the network configuration: OpenSSH (`sshd_config` `%config(noreplace)`, all
//! five logged scriptlets, `libwrap` on EL7), `sudo` (`/etc/sudoers` 0440), `NetworkManager`,
//! `initscripts` (gone at 10) and `network-scripts` (EL8 only: removed at 9 without a
//! successor).

use super::{Ctx, Line, eq_evr, openssl_soname, sh_req, soname};
use crate::spec::{Dep, DepOp, DepWhen, FileSpec};

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

/// `openssh*`, `sudo`, `NetworkManager`, `initscripts`, `network-scripts`.
pub(super) fn packages(c: &mut Ctx<'_>) {
    let rel = c.rel;
    let base = rel.base_repo();
    let major = rel.major;
    let ssl_soname = openssl_soname(major);
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
}
