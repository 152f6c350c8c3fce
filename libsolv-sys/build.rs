//! Builds libsolv from source as static libraries with RPM semantics and generates bindings for
//! the small part of its API that this crate uses (see `wrapper.h` and the allowlists below) into
//! `$OUT_DIR/ffi.rs`.
//!
//! Why not the host's libsolv: Debian's `libsolvext.so` links Debian's librpm, which would pin
//! leapfrog to one librpm at build time, and EL7 hosts have libsolv 0.6. Built here, libsolv is
//! part of the binary, configured as EL's own (`FEDORA`: RPM semantics only, rich dependencies,
//! the rpm database read through librpm), and its librpm calls resolve to `rpm-sys`'s forwarding
//! functions (rpm-sys `src/exports.rs`) into the librpm opened at run time.
//!
//! The source is Debian 12's libsolv 0.7.23 release tarball (the version leapfrog was developed
//! against), fetched and checked by `scripts/fetch-libsolv` into
//! `~/.cache/leapfrog/src/libsolv-0.7.23`, or wherever `LEAPFROG_LIBSOLV_SRC` points.

use std::env;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

// Shared with rpm-sys's build script (this crate depends on rpm-sys anyway).
#[path = "../rpm-sys/build_common.rs"]
#[allow(dead_code)] // `probe` is rpm-sys's
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

/// The libsolv release this crate is built with.
const LIBSOLV_VERSION: &str = "0.7.23";

/// Where the libsolv source tree is.
fn source_dir() -> PathBuf {
    println!("cargo:rerun-if-env-changed=LEAPFROG_LIBSOLV_SRC");
    if let Some(dir) = env::var_os("LEAPFROG_LIBSOLV_SRC") {
        return PathBuf::from(dir);
    }
    let home = env::var_os("HOME").unwrap_or_default();
    Path::new(&home)
        .join(".cache/leapfrog/src")
        .join(format!("libsolv-{LIBSOLV_VERSION}"))
}

/// A C library libsolv reads metadata with: its headers, the CMake variables that name it, and
/// how leapfrog links it.
struct Dep {
    /// Headers (files or directories) to stage, relative to an include directory.
    headers: &'static [&'static str],
    /// CMake's variable for the include directory.
    include_var: &'static str,
    /// CMake's variable for the library.
    library_var: &'static str,
    /// The library file in the build machine's library directory.
    file: &'static str,
    /// `-l` name.
    name: &'static str,
    /// Linked statically: zstd, which EL7 does not have, and bzip2, whose library is
    /// `libbz2.so.1.0` on Debian but `libbz2.so.1` on EL (every EL release has expat, zlib and
    /// xz under the same sonames as Debian).
    statically: bool,
}

const DEPS: &[Dep] = &[
    Dep {
        headers: &["expat.h", "expat_external.h"],
        include_var: "EXPAT_INCLUDE_DIR",
        library_var: "EXPAT_LIBRARY",
        file: "libexpat.so",
        name: "expat",
        statically: false,
    },
    Dep {
        headers: &["zlib.h", "zconf.h"],
        include_var: "ZLIB_INCLUDE_DIR",
        library_var: "ZLIB_LIBRARY",
        file: "libz.so",
        name: "z",
        statically: false,
    },
    Dep {
        headers: &["lzma.h", "lzma"],
        include_var: "LZMA_INCLUDE_DIR",
        library_var: "LZMA_LIBRARY",
        file: "liblzma.so",
        name: "lzma",
        statically: false,
    },
    Dep {
        headers: &["bzlib.h"],
        include_var: "BZIP2_INCLUDE_DIR",
        library_var: "BZIP2_LIBRARIES",
        file: "libbz2.a",
        name: "bz2",
        statically: true,
    },
    Dep {
        headers: &["zstd.h", "zstd_errors.h"],
        include_var: "ZSTD_INCLUDE_DIRS",
        library_var: "ZSTD_LIBRARY",
        file: "libzstd.a",
        name: "zstd",
        statically: true,
    },
];

/// The build machine's include and library directories for the target (Debian's multiarch
/// layout: `/usr/include/<triplet>` before `/usr/include`, `/usr/lib/<triplet>`).
fn system_dirs() -> (Vec<PathBuf>, PathBuf) {
    let arch = env::var("CARGO_CFG_TARGET_ARCH").expect("cargo sets CARGO_CFG_TARGET_ARCH");
    let triplet = format!("{arch}-linux-gnu");
    let includes = vec![
        PathBuf::from("/usr/include").join(&triplet),
        PathBuf::from("/usr/include"),
    ];
    let libdir = [
        PathBuf::from("/usr/lib").join(&triplet),
        "/usr/lib64".into(),
    ]
    .into_iter()
    .find(|d| d.join("libz.so").exists())
    .unwrap_or_else(|| PathBuf::from("/usr/lib").join(&triplet));
    (includes, libdir)
}

/// Copies `name` (a file or a directory of headers) from the first include directory that has
/// it into `to`.
fn stage(name: &str, includes: &[PathBuf], to: &Path) {
    let found = includes
        .iter()
        .map(|dir| dir.join(name))
        .find(|p| p.exists())
        .unwrap_or_else(|| {
            panic!(
                "header {name} not found in {includes:?}: install the -dev package (scripts/setup)"
            )
        });
    copy_tree(&found, &to.join(name));
}

fn copy_tree(from: &Path, to: &Path) {
    if from.is_dir() {
        fs::create_dir_all(to).unwrap_or_else(|e| panic!("create {}: {e}", to.display()));
        for entry in fs::read_dir(from).unwrap_or_else(|e| panic!("{}: {e}", from.display())) {
            let path = entry.expect("read a directory entry").path();
            copy_tree(&path, &to.join(path.file_name().expect("a file name")));
        }
    } else {
        fs::copy(from, to).unwrap_or_else(|e| panic!("copy {}: {e}", from.display()));
    }
}

/// Stages the headers libsolv compiles against (librpm's, popt's, and the metadata libraries')
/// into `<out>/deps/include`, and links to the libraries into `<out>/deps/lib`.
///
/// Nothing is taken from `/usr/include` or `/usr/lib` wholesale: building for an older glibc
/// (`cargo zigbuild --target x86_64-unknown-linux-gnu.2.17`) must see the target's C library
/// headers and stubs, never the build machine's.
fn stage_deps(out: &Path) -> (PathBuf, PathBuf) {
    let (includes, libdir) = system_dirs();
    let include = out.join("deps/include");
    let lib = out.join("deps/lib");
    let _ = fs::remove_dir_all(out.join("deps"));
    fs::create_dir_all(&include).expect("create deps/include");
    fs::create_dir_all(&lib).expect("create deps/lib");
    for name in ["rpm", "popt.h"] {
        stage(name, &includes, &include);
    }
    for dep in DEPS {
        for header in dep.headers {
            stage(header, &includes, &include);
        }
        let file = libdir.join(dep.file);
        assert!(
            file.exists(),
            "{} not found: install its -dev package (scripts/setup)",
            file.display()
        );
        std::os::unix::fs::symlink(&file, lib.join(dep.file))
            .unwrap_or_else(|e| panic!("link {}: {e}", file.display()));
    }
    (include, lib)
}

/// Configures and builds `libsolv.a` and `libsolvext.a`; returns the build directory.
fn build_static(source: &Path, include: &Path, lib: &Path) -> PathBuf {
    let mut config = cmake::Config::new(source);
    for dep in DEPS {
        config.define(dep.include_var, include);
        config.define(dep.library_var, lib.join(dep.file));
    }
    let build = config
        // librpm's headers (for the rpm database reader); the library is never linked.
        .define("RPM_INCLUDE_DIR", include)
        .define("RPMDB_LIBRARY", "rpm-is-opened-at-run-time")
        .define("RPMIO_LIBRARY", "rpmio-is-opened-at-run-time")
        .profile("Release")
        // EL's configuration: RPM semantics (no MULTI_SEMANTICS), rich dependencies, rpm-md
        // repositories, compressed metadata of every kind EL repositories use.
        .define("FEDORA", "ON")
        .define("ENABLE_RPMDB", "ON")
        .define("ENABLE_RPMMD", "ON")
        .define("ENABLE_COMPLEX_DEPS", "ON")
        .define("ENABLE_LZMA_COMPRESSION", "ON")
        .define("ENABLE_BZIP2_COMPRESSION", "ON")
        .define("ENABLE_ZSTD_COMPRESSION", "ON")
        .define("ENABLE_STATIC", "ON")
        .define("DISABLE_SHARED", "ON")
        // The rpm database is read with the calls every librpm from 4.11 on has: never the
        // 4.16+ header-blob iterator or rpmdbFStat, whatever the build machine's librpm has.
        .define("HAVE_RPMDBNEXTITERATORHEADERBLOB", "OFF")
        .define("HAVE_RPMDBFSTAT", "OFF")
        .define("CMAKE_POSITION_INDEPENDENT_CODE", "ON")
        .build_target("libsolvext")
        .build()
        .join("build");
    // The cmake crate builds one target; libsolvext.a does not pull libsolv.a in.
    let jobs = env::var("NUM_JOBS").unwrap_or_else(|_| "2".into());
    let status = Command::new("cmake")
        .args(["--build"])
        .arg(&build)
        .args(["--target", "libsolv", "--parallel", &jobs])
        .status()
        .expect("run cmake --build for libsolv");
    assert!(status.success(), "building libsolv.a failed");
    build
}

/// Gathers the public headers as `<out>/include/solv/*.h` (how `wrapper.h` includes them).
fn stage_headers(source: &Path, build: &Path, out: &Path) -> PathBuf {
    let include = out.join("include");
    let solv = include.join("solv");
    fs::create_dir_all(&solv).expect("create the include directory in OUT_DIR");
    let dirs = [source.join("src"), source.join("ext"), build.join("src")];
    for dir in &dirs {
        for entry in fs::read_dir(dir).unwrap_or_else(|err| panic!("{}: {err}", dir.display())) {
            let path = entry.expect("read a directory entry").path();
            if path.extension().is_some_and(|e| e == "h") {
                let name = path.file_name().expect("a file name");
                fs::copy(&path, solv.join(name))
                    .unwrap_or_else(|err| panic!("copy {}: {err}", path.display()));
            }
        }
    }
    include
}

fn main() {
    let source = source_dir();
    if !source.join("CMakeLists.txt").is_file() {
        panic!(
            "libsolv-sys builds libsolv {LIBSOLV_VERSION} from source, which is not at {}: run \
             scripts/fetch-libsolv (or set LEAPFROG_LIBSOLV_SRC to a libsolv source tree)",
            source.display()
        );
    }
    println!(
        "cargo:rerun-if-changed={}",
        source.join("CMakeLists.txt").display()
    );
    let out = PathBuf::from(env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    let (deps_include, deps_lib) = stage_deps(&out);
    let build = build_static(&source, &deps_include, &deps_lib);
    let include = stage_headers(&source, &build, &out);

    println!(
        "cargo:rustc-link-search=native={}",
        build.join("ext").display()
    );
    println!(
        "cargo:rustc-link-search=native={}",
        build.join("src").display()
    );
    println!("cargo:rustc-link-lib=static=solvext");
    println!("cargo:rustc-link-lib=static=solv");
    // What libsolvext reads repository metadata with (librpm is not linked: rpm-sys provides
    // the functions libsolv calls, forwarding to the librpm opened at run time).
    println!("cargo:rustc-link-search=native={}", deps_lib.display());
    for dep in DEPS {
        let kind = if dep.statically { "static" } else { "dylib" };
        println!("cargo:rustc-link-lib={kind}={}", dep.name);
    }

    build_common::generate(
        "libsolv",
        &[include],
        &Allowlist {
            functions: FUNCTIONS,
            vars: VARS,
            types: TYPES,
        },
        None,
    );
}
