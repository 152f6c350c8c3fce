//! Finds the system libsolv and libsolvext with pkg-config and generates bindings for the small
//! part of their API that this crate uses (see `wrapper.h` and the allowlists below) into
//! `$OUT_DIR/ffi.rs`.

// Shared with rpm-sys's build script (this crate depends on rpm-sys anyway).
#[path = "../rpm-sys/build_common.rs"]
mod build_common;

use build_common::Allowlist;

/// Functions the safe API calls.
const FUNCTIONS: &[&str] = &[
    "pool_create",
    "pool_free",
    "pool_setdisttype",
    "pool_setarch",
    "pool_set_rootdir",
    "pool_set_installed",
    "pool_createwhatprovides",
    "pool_addfileprovides",
    "pool_errstr",
    "pool_id2str",
    "pool_str2id",
    "pool_dep2str",
    "pool_solvable2str",
    "repo_create",
    "repo_internalize",
    "repo_add_rpmmd",
    "repo_add_rpmdb",
    "solvable_lookup_location",
    "solvable_lookup_bin_checksum",
    "solvable_lookup_num",
    "solvable_lookup_sourcepkg",
    "solv_chksum_type2str",
    "solv_chksum_len",
    "solv_xfopen",
    "fclose",
    "fread",
    "ferror",
    "queue_init",
    "queue_free",
    "queue_insert",
    "queue_insert2",
    "map_init",
    "map_free",
    "selection_make",
    "solver_create",
    "solver_free",
    "solver_set_flag",
    "solver_solve",
    "solver_problem_count",
    "solver_findallproblemrules",
    "solver_findproblemrule",
    "solver_ruleinfo",
    "solver_create_transaction",
    "transaction_free",
    "transaction_order",
    "transaction_type",
    "transaction_all_obs_pkgs",
];

/// Constants (`#define`s and enumerators) the safe API uses.
const VARS: &[&str] = &[
    "DISTTYPE_RPM",
    "REPO_EXTEND_SOLVABLES",
    "REPO_USE_ROOTDIR",
    "REPO_NO_INTERNALIZE",
    "RPMDB_EMPTY_REFREPO",
    "SOLVER_SOLVABLE",
    "SOLVER_SOLVABLE_NAME",
    "SOLVER_SOLVABLE_PROVIDES",
    "SOLVER_SOLVABLE_ALL",
    "SOLVER_INSTALL",
    "SOLVER_ERASE",
    "SOLVER_DISTUPGRADE",
    "SOLVER_MULTIVERSION",
    "SOLVER_LOCK",
    "SOLVER_FAVOR",
    "SOLVER_USERINSTALLED",
    "SOLVER_CLEANDEPS",
    "SOLVER_FLAG_[A-Z_]+",
    "SOLVER_RULE_[A-Z_0-9]+",
    "SOLVER_TRANSACTION_[A-Z_]+",
    "SELECTION_[A-Z_]+",
    "SOLVABLE_CHECKSUM",
    "SOLVABLE_DOWNLOADSIZE",
    "SOLVABLE_INSTALLSIZE",
];

/// Types the safe API uses (for enums, also their enumerators).
const TYPES: &[&str] = &[
    "solv_knownid",
    "Pool",
    "Repo",
    "Solvable",
    "Solver",
    "Transaction",
    "Queue",
    "Map",
];

fn main() {
    let install = "`libsolv-dev libsolvext-dev` (Debian/Ubuntu) or `libsolv-devel` (EL/Fedora)";
    let mut include_paths =
        build_common::probe("libsolv", "0.7", install, build_common::Linkage::Link);
    include_paths.extend(build_common::probe(
        "libsolvext",
        "0.7",
        install,
        build_common::Linkage::Link,
    ));
    build_common::generate(
        "libsolv",
        &include_paths,
        &Allowlist {
            functions: FUNCTIONS,
            vars: VARS,
            types: TYPES,
        },
        None,
    );
}
