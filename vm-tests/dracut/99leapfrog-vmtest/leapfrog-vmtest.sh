#!/bin/sh
# vm-tests only: vmtest.leapfrog=VERB runs `leapfrog --root /sysroot VERB`; vmtest.merge-wait=1
# then finishes the merge of any merging LVM snapshot (at most 300 s each) and lists the volumes.
# Everything goes to the console; then power off.
cmdline=$(cat /proc/cmdline)
verb=
wait_merge=
for a in $cmdline; do
    case "$a" in
        vmtest.leapfrog=*) verb=${a#vmtest.leapfrog=} ;;
        vmtest.merge-wait=1) wait_merge=1 ;;
    esac
done
[ -n "$verb" ] || exit 0
console=/dev/console
boot=$(awk '$2 == "/boot" {print $1}' /sysroot/etc/fstab)
[ -n "$boot" ] && mount "$boot" /sysroot/boot >"$console" 2>&1
/usr/bin/leapfrog --root /sysroot "$verb" >"$console" 2>&1
echo "vmtest: leapfrog $verb exit $?" >"$console"
if [ -n "$wait_merge" ]; then
    # the origin of a merging snapshot has the attribute O; in the initramfs no background poll
    # finishes the merge, so poll it here (lvpoll: what LVM's background polling runs)
    echo "vmtest: volumes before the merge: $(lvm lvs -a --noheadings -o lv_name,lv_attr,origin 2>&1 | tr -s ' \n' ' ')" >"$console"
    for lv in $(lvm lvs --noheadings -o vg_name,lv_name,lv_attr 2>/dev/null | awk '$3 ~ /^O/ {print $1 "/" $2}'); do
        timeout 300 lvm lvpoll --polloperation merge --interval 1 "$lv" >"$console" 2>&1
        echo "vmtest: lvpoll merge $lv exit $?" >"$console"
    done
fi
echo "vmtest: volumes: $(lvm lvs -a --noheadings -o lv_name,lv_attr,origin 2>&1 | tr -s ' \n' ' ')" >"$console"
umount /sysroot/boot >/dev/null 2>&1
sync
poweroff -f || echo o >/proc/sysrq-trigger
