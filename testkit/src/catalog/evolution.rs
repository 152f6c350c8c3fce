//! Package evolution between majors without Obsoletes, modelled on real events (the table in
//! the [catalogue's documentation](super)): the renames `dhclient` -> `dhcp-client` ->
//! `dhcpcd`, the split `ntp` -> `chrony` + `ntpstat`, the replacement `yum-utils` ->
//! `dnf-utils` (beside the one real Obsoletes: `python3-dnf-plugin-versionlock` obsoletes
//! `yum-plugin-versionlock`), the removals `tcp_wrappers` and `bridge-utils`, and the merge of
//! `iptables`, `iptables-ebtables` and `iptables-arptables` into `iptables-nft` at 9.

use super::{Ctx, Line, eq_evr, soname};
use crate::spec::{Dep, DepOp, FileSpec};

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

/// The packages of every evolution event the release takes part in.
pub(super) fn packages(c: &mut Ctx<'_>) {
    let base = c.rel.base_repo();
    let major = c.rel.major;
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
}
