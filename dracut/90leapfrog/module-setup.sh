#!/bin/bash
# leapfrog's dracut module: an initramfs that runs the offline stage of an upgrade
# (`leapfrog --root /sysroot offline`) when the kernel command line has leapfrog.upgrade=1, and
# then reboots. Built by `leapfrog upgrade` with `dracut --add leapfrog`; see docs/offline.md.

# the leapfrog binary to install: the one that runs dracut (LEAPFROG_BINARY), else from PATH
leapfrog_binary() {
    if [ -n "${LEAPFROG_BINARY:-}" ] && [ -x "$LEAPFROG_BINARY" ]; then
        echo "$LEAPFROG_BINARY"
    else
        command -v leapfrog
    fi
}

check() {
    [ -n "$(leapfrog_binary)" ] || return 1
    # only when asked for: dracut --add leapfrog
    return 255
}

depends() {
    echo base fs-lib
    return 0
}

install() {
    inst_binary "$(leapfrog_binary)" /usr/bin/leapfrog
    # tools the offline stage and the executor run
    inst_multiple mount umount findmnt blkid sync sh date
    inst_multiple -o rpmdb reboot poweroff btrfs lvm lvs vgs lvcreate lvconvert lvremove
    # librpm reads its configuration when it starts: rpmrc, macros, Lua init, plugins
    local f
    for f in /usr/lib/rpm/rpmrc /usr/lib/rpm/macros /usr/lib/rpm/init.lua \
             /usr/lib/rpm/macros.d/* /etc/rpm/* /usr/lib/rpm/lua/*/*.lua; do
        [ -e "$f" ] && inst_simple "$f"
    done
    for f in /usr/lib/*/rpm-plugins/*.so /usr/lib64/rpm-plugins/*.so /usr/lib/rpm-plugins/*.so; do
        [ -e "$f" ] && inst_library "$f"
    done
    inst_simple "$moddir/leapfrog-upgrade.sh" /usr/lib/leapfrog/leapfrog-upgrade.sh
    if dracut_module_included "systemd"; then
        inst_simple "$moddir/leapfrog-upgrade.service" \
            "$systemdsystemunitdir/leapfrog-upgrade.service"
        mkdir -p "$initdir/$systemdsystemunitdir/initrd.target.wants"
        ln_r "$systemdsystemunitdir/leapfrog-upgrade.service" \
            "$systemdsystemunitdir/initrd.target.wants/leapfrog-upgrade.service"
    else
        # without systemd, dracut's init runs the pre-pivot hooks with /sysroot mounted
        inst_hook pre-pivot 90 "$moddir/leapfrog-upgrade.sh"
    fi
}
