#!/bin/bash
# A test-only dracut module for vm-tests/run: with vmtest.leapfrog=VERB on the kernel command
# line, runs `leapfrog --root /sysroot VERB` once the root is mounted (after mounting /boot from
# the root's fstab), prints its exit code and the logical volumes on the console, and powers off.
# Depends on leapfrog's module (90leapfrog) for the binary and librpm's files.

check() {
    return 255
}

depends() {
    echo leapfrog
    return 0
}

install() {
    inst_multiple awk sleep grep tr timeout
    inst_simple "$moddir/leapfrog-vmtest.sh" /usr/lib/leapfrog/leapfrog-vmtest.sh
    inst_simple "$moddir/leapfrog-vmtest.service" "$systemdsystemunitdir/leapfrog-vmtest.service"
    mkdir -p "$initdir/$systemdsystemunitdir/initrd.target.wants"
    ln_r "$systemdsystemunitdir/leapfrog-vmtest.service" \
        "$systemdsystemunitdir/initrd.target.wants/leapfrog-vmtest.service"
}
