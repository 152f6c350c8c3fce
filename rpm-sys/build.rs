//! Finds librpm's headers with pkg-config and generates bindings for the small part of its API
//! that this crate uses (see `wrapper.h` and the allowlists below) into `$OUT_DIR/ffi.rs`.
//!
//! Nothing is linked: the functions become fields of `ffi::LibrpmApi`, resolved when the crate
//! opens the host's librpm at run time (`librpm.so.3` of EL7 to `librpm.so.10` of EL10; see
//! `src/librpm.rs`). The headers only provide types and constants, which are the same in every
//! librpm leapfrog supports except where `src/compat.rs` says otherwise.

mod build_common;
// The functions bound (and which of them a supported librpm may lack), shared with the crate.
#[path = "api_list.rs"]
#[allow(dead_code)] // OPTIONAL is for the crate
mod api_list;

use std::env;
use std::fs;
use std::path::PathBuf;

use build_common::Allowlist;

/// Constants (enumerators and `#define`s) the safe API uses.
const VARS: &[&str] = &[
    "O_RDONLY",
    "RMIL_CMDLINE",
    "RPMLOG_(EMERG|ALERT|CRIT|ERR|WARNING|NOTICE|INFO|DEBUG)",
    // verify.rs and the transaction
    "PGPARMOR_PUBKEY",
    "RPMSIG_(DIGEST|SIGNATURE)_TYPE",
    // the transaction
    "O_RDWR",
];

/// Enums whose enumerators we need (bindgen emits an enum's constants only with its type).
const TYPES: &[&str] = &[
    "rpmTag_e",
    "rpmDbiTag_e",
    "rpmVSFlags_e",
    // verify.rs
    "pgpArmor_e",
    // the transaction
    "rpmtransFlags_e",
    "rpmprobFilterFlags_e",
    "rpmProblemType_e",
    "rpmCallbackType_e",
    "rpmElementType_e",
    "rpmRC_e",
];

/// Copies librpm's headers (`<dir>/rpm/*.h` of the first include directory that has them, and
/// popt's `<dir>/popt.h` they include) to `$OUT_DIR/include`, and returns that directory.
///
/// pkg-config's include directory is usually `/usr/include`, which would also put the build
/// machine's C library headers in front of the target's when building for an older glibc
/// (`cargo zigbuild --target x86_64-unknown-linux-gnu.2.17`, whose bindgen arguments name zig's
/// glibc 2.17 headers): the two then clash. With only rpm's headers staged, the C library's come
/// from wherever the target's compiler takes them.
fn stage_rpm_headers(include_paths: &[PathBuf]) -> PathBuf {
    let source = include_paths
        .iter()
        .map(|dir| dir.join("rpm"))
        .find(|dir| dir.join("rpmlib.h").is_file())
        .unwrap_or_else(|| {
            panic!("no rpm/rpmlib.h under pkg-config's include directories {include_paths:?}")
        });
    println!("cargo:rerun-if-changed={}", source.display());
    let out = PathBuf::from(env::var_os("OUT_DIR").expect("cargo sets OUT_DIR")).join("include");
    let staged = out.join("rpm");
    fs::create_dir_all(&staged).expect("create OUT_DIR/include/rpm");
    for entry in fs::read_dir(&source).unwrap_or_else(|e| panic!("{}: {e}", source.display())) {
        let path = entry.expect("read a directory entry").path();
        if path.extension().is_some_and(|e| e == "h") {
            let name = path.file_name().expect("a file name");
            fs::copy(&path, staged.join(name))
                .unwrap_or_else(|e| panic!("copy {}: {e}", path.display()));
        }
    }
    // rpmcli.h includes popt's header, which sits beside rpm/.
    let popt = source.with_file_name("popt.h");
    if popt.is_file() {
        fs::copy(&popt, out.join("popt.h")).unwrap_or_else(|e| panic!("copy popt.h: {e}"));
    }
    out
}

fn main() {
    let include_paths = build_common::probe(
        "rpm",
        "4.14",
        "`librpm-dev` (Debian/Ubuntu) or `rpm-devel` (EL/Fedora)",
        build_common::Linkage::HeadersOnly,
    );
    build_common::generate(
        "librpm",
        &[stage_rpm_headers(&include_paths)],
        &Allowlist {
            functions: api_list::FUNCTIONS,
            vars: VARS,
            types: TYPES,
        },
        Some("LibrpmApi"),
    );
}
