#!/usr/bin/env python3
"""A manifest of a root for the VM tests: every path's type, mode, owner, content hash and link
target, without leapfrog's own state and logs and the pseudo filesystems.

  tree.py snapshot ROOT OUT.json      write the manifest
  tree.py compare ROOT IN.json        exit 1 and list the differences when ROOT differs
  tree.py txtime APPLY.LOG            seconds from "phase applying" to the next phase

sqlite's shared-memory index of the rpm database (rpmdb.sqlite-shm) is not compared: every
reader of the database rewrites it (the staging reads the database after the snapshot of the
test was taken)."""
import hashlib, json, os, stat, sys
from datetime import datetime

SKIP = ("var/lib/leapfrog", "var/log/leapfrog", "dev", "proc", "sys", "run", "tmp")


def tree(top):
    out = {}
    for d, dirs, files in os.walk(top):
        rel_d = os.path.relpath(d, top)
        dirs[:] = [x for x in dirs if os.path.normpath(os.path.join(rel_d, x)) not in SKIP]
        for name in dirs + files:
            p = os.path.join(d, name)
            rel = os.path.normpath(os.path.join(rel_d, name))
            if rel.endswith("rpmdb.sqlite-shm"):
                continue
            st = os.lstat(p)
            what = [stat.S_IFMT(st.st_mode), stat.S_IMODE(st.st_mode), st.st_uid, st.st_gid]
            if stat.S_ISLNK(st.st_mode):
                what.append(os.readlink(p))
            elif stat.S_ISREG(st.st_mode):
                with open(p, "rb") as f:
                    what.append(hashlib.sha256(f.read()).hexdigest())
            out[rel] = what
    return out


def txtime(log):
    start = end = None
    for line in open(log, errors="replace"):
        stamp, _, rest = line.partition(" ")
        if rest.startswith("phase applying"):
            start = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
        elif start and rest.startswith(("phase verifying", "phase failed")):
            end = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    return None if start is None or end is None else (end - start).total_seconds()


def main():
    cmd = sys.argv[1]
    if cmd == "snapshot":
        json.dump(tree(sys.argv[2]), open(sys.argv[3], "w"))
    elif cmd == "compare":
        a, b = json.load(open(sys.argv[3])), tree(sys.argv[2])
        diff = sorted(k for k in a.keys() | b.keys() if a.get(k) != b.get(k))
        for k in diff[:30]:
            print(f"differs: {k}: {a.get(k)} -> {b.get(k)}", file=sys.stderr)
        print(f"{len(a)} paths compared, {len(diff)} differ")
        sys.exit(1 if diff else 0)
    elif cmd == "txtime":
        t = txtime(sys.argv[2])
        print("?" if t is None else f"{t:.1f}")
    else:
        sys.exit(f"unknown command {cmd}")


main()
