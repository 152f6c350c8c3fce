#!/bin/sh
# leapfrog: run the offline stage of the upgrade on /sysroot, then reboot (or power off with
# leapfrog.poweroff=1). A failure reboots as well: into the old system after a rollback. Only
# rd.leapfrog.shell on the kernel command line gives an emergency shell after a failure.

cmdline=$(cat /proc/cmdline)
has() { case " $cmdline " in *" $1 "*) return 0 ;; esac; return 1; }
has leapfrog.upgrade=1 || exit 0

console=/dev/console
[ -w "$console" ] || console=/dev/null
# leapfrog.failpoints=SPEC: crash-test failpoints (docs/executor.md), for tests only
for a in $cmdline; do
    case "$a" in leapfrog.failpoints=*) export LEAPFROG_FAILPOINTS="${a#leapfrog.failpoints=}" ;; esac
done
echo "leapfrog: offline upgrade starting ($(date -u +%H:%M:%S))" >"$console"
/usr/bin/leapfrog --root /sysroot offline >"$console" 2>&1
rc=$?
echo "leapfrog: offline stage finished with exit $rc ($(date -u +%H:%M:%S))" >"$console"
sync

if [ "$rc" -gt 1 ] && has rd.leapfrog.shell; then
    echo "leapfrog: rd.leapfrog.shell given: starting a shell; exit it to reboot" >"$console"
    sh -i <"$console" >"$console" 2>&1
fi
umount -a -r >/dev/null 2>&1
sync
if has leapfrog.poweroff=1; then
    poweroff -f || echo o >/proc/sysrq-trigger
else
    reboot -f || echo b >/proc/sysrq-trigger
fi
