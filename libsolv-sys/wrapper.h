/* The part of libsolv/libsolvext that libsolv-sys binds: a pool with RPM semantics, rpm-md and
 * rpmdb repositories, jobs, the solver, problems and the ordered transaction. */
#include <stdio.h>
#include <solv/pool.h>
#include <solv/poolarch.h>
#include <solv/repo.h>
#include <solv/repodata.h>
#include <solv/solvable.h>
#include <solv/solver.h>
#include <solv/problems.h>
#include <solv/rules.h>
#include <solv/selection.h>
#include <solv/transaction.h>
#include <solv/bitmap.h>
#include <solv/queue.h>
#include <solv/chksum.h>
#include <solv/repo_rpmmd.h>
#include <solv/repo_rpmdb.h>
#include <solv/solv_xfopen.h>
