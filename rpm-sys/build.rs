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

fn main() {
    let include_paths = build_common::probe(
        "rpm",
        "4.14",
        "`librpm-dev` (Debian/Ubuntu) or `rpm-devel` (EL/Fedora)",
        build_common::Linkage::HeadersOnly,
    );
    build_common::generate(
        "librpm",
        &include_paths,
        &Allowlist {
            functions: api_list::FUNCTIONS,
            vars: VARS,
            types: TYPES,
        },
        Some("LibrpmApi"),
    );
}
