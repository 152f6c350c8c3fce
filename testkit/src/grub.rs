//! GRUB configuration as EL installations have it, for the roots the testkit installs and for
//! the tests of other crates: the structure of an EL7 `grub.cfg` that `grub2-mkconfig` writes
//! (written for the testkit, not copied), whose preamble loads grubenv from the
//! configuration's directory, boots `next_entry` once and clears it, else `saved_entry`, and
//! whose entries carry an id through `$menuentry_id_option` and select their filesystem with
//! `set root` and `search --fs-uuid` before the kernel line. The menu waits `GRUB_TIMEOUT` (5 s,
//! the testkit's `/etc/default/grub`) before it boots the default: `vm-tests/run grub-bios`
//! boots this `grub.cfg` with a real GRUB.

/// The preamble of an EL7 `grub.cfg`.
pub const EL7_GRUB_CFG_HEAD: &str = "\
### BEGIN /etc/grub.d/00_header ###
if [ -s $prefix/grubenv ]; then
  load_env
fi
if [ \"${next_entry}\" ] ; then
  set default=\"${next_entry}\"
  set next_entry=
  save_env next_entry
  set boot_once=true
else
  set default=\"${saved_entry}\"
fi
if [ x\"${feature_menuentry_id}\" = xy ]; then
  menuentry_id_option=\"--id\"
else
  menuentry_id_option=\"\"
fi
export menuentry_id_option
set timeout=5
### END /etc/grub.d/00_header ###
";

/// How an EL7 entry starts its kernel: `linux16`/`initrd16` (BIOS) or `linuxefi`/`initrdefi`
/// (UEFI).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum El7Firmware {
    /// BIOS.
    Bios,
    /// UEFI.
    Uefi,
}

/// The title `grub2-mkconfig` gives a CentOS 7 kernel.
pub fn el7_title(kver: &str) -> String {
    format!("CentOS Linux ({kver}) 7 (Core)")
}

/// One EL7 menu entry for kernel `kver`; `prefix` is how GRUB names the root's `/boot` (``
/// when `/boot` is its own filesystem, else `/boot`).
pub fn el7_menuentry(kver: &str, firmware: El7Firmware, prefix: &str) -> String {
    let (linux, initrd, table, part) = match firmware {
        El7Firmware::Bios => ("linux16", "initrd16", "msdos", "msdos1"),
        El7Firmware::Uefi => ("linuxefi", "initrdefi", "gpt", "gpt2"),
    };
    let title = el7_title(kver);
    format!(
        "menuentry '{title}' --class centos --class gnu-linux --class gnu --class os --unrestricted $menuentry_id_option 'gnulinux-{kver}-advanced-7d3e' {{
\tload_video
\tset gfxpayload=keep
\tinsmod gzio
\tinsmod part_{table}
\tinsmod xfs
\tset root='hd0,{part}'
\tif [ x$feature_platform_search_hint = xy ]; then
\t  search --no-floppy --fs-uuid --set=root --hint='hd0,{part}'  6c1f-boot
\telse
\t  search --no-floppy --fs-uuid --set=root 6c1f-boot
\tfi
\t{linux} {prefix}/vmlinuz-{kver} root=/dev/mapper/centos-root ro crashkernel=auto rd.lvm.lv=centos/root rhgb quiet LANG=en_US.UTF-8
\t{initrd} {prefix}/initramfs-{kver}.img
}}
"
    )
}

/// A whole EL7 `grub.cfg`: the preamble and one entry per kernel, newest first.
pub fn el7_grub_cfg(kvers: &[&str], firmware: El7Firmware, prefix: &str) -> String {
    let entries: String = kvers
        .iter()
        .map(|k| el7_menuentry(k, firmware, prefix))
        .collect();
    format!(
        "{EL7_GRUB_CFG_HEAD}\n### BEGIN /etc/grub.d/10_linux ###\n{entries}### END /etc/grub.d/10_linux ###\n\n### BEGIN /etc/grub.d/40_custom ###\n### END /etc/grub.d/40_custom ###\n"
    )
}
