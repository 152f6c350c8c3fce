//! Finds the system libsolv and libsolvext with pkg-config and generates bindings for the small
//! part of their API that this crate uses (see `wrapper.h` and the allowlists below).

use std::env;
use std::path::PathBuf;

/// Functions the safe API calls. Keep this list minimal: every entry is API surface we depend on.
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
    println!("cargo:rerun-if-changed=wrapper.h");
    println!("cargo:rerun-if-changed=build.rs");

    let mut include_paths = Vec::new();
    for lib in ["libsolv", "libsolvext"] {
        let found = pkg_config::Config::new()
            .atleast_version("0.7")
            .probe(lib)
            .unwrap_or_else(|err| {
                panic!(
                    "libsolv-sys needs {lib} (>= 0.7) and its headers, found with pkg-config: \
                     install `libsolv-dev libsolvext-dev` (Debian/Ubuntu) or \
                     `libsolv-devel` (EL/Fedora).\n{err}"
                )
            });
        include_paths.extend(found.include_paths);
    }

    let mut builder = bindgen::Builder::default()
        .header("wrapper.h")
        .clang_args(
            include_paths
                .iter()
                .map(|dir| format!("-I{}", dir.display())),
        )
        .parse_callbacks(Box::new(bindgen::CargoCallbacks::new()))
        .prepend_enum_name(false)
        .generate_comments(false)
        .layout_tests(false)
        .derive_debug(false)
        .merge_extern_blocks(true);
    for function in FUNCTIONS {
        builder = builder.allowlist_function(function);
    }
    for var in VARS {
        builder = builder.allowlist_var(var);
    }
    for ty in TYPES {
        builder = builder.allowlist_type(ty);
    }
    let bindings = builder
        .generate()
        .expect("bindgen could not generate bindings for libsolv (is libclang installed?)");

    let out = PathBuf::from(env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    bindings
        .write_to_file(out.join("bindings.rs"))
        .expect("cannot write the libsolv bindings to OUT_DIR");
}
