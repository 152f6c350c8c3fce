//! Finds the system librpm with pkg-config and generates bindings for the small part of its API
//! that this crate uses (see `wrapper.h` and the allowlists below) into `$OUT_DIR/bindings.rs`.

use std::env;
use std::path::PathBuf;

/// Functions the safe API calls. Keep this list minimal: every entry is API surface we depend on.
const FUNCTIONS: &[&str] = &[
    "rpmReadConfigFiles",
    "rpmPushMacro",
    "rpmPopMacro",
    "rpmtsCreate",
    "rpmtsFree",
    "rpmtsSetRootDir",
    "rpmtsSetVSFlags",
    "rpmtsOpenDB",
    "rpmtsInitIterator",
    "rpmdbNextIterator",
    "rpmdbFreeIterator",
    "headerIsEntry",
    "headerGetString",
    "headerGetNumber",
    "headerFormat",
    "rpmlogSetCallback",
    "rpmlogRecMessage",
    "rpmlogRecPriority",
    "rpmvercmp",
    "free",
    // verify.rs: package signature and digest checks against a private keyring
    "rpmKeyringNew",
    "rpmKeyringFree",
    "rpmKeyringAddKey",
    "rpmPubkeyNew",
    "rpmPubkeyFree",
    "rpmGetSubkeys",
    "pgpParsePkts",
    "rpmtsSetKeyring",
    "rpmtsSetVfyFlags",
    "rpmtsSetVfyLevel",
    "rpmcliVerifySignatures",
    "rpmlogSetMask",
];

/// Functions of the transaction API (`transaction.rs`, `header.rs`): reading package files,
/// adding install/erase elements, checking, ordering, running, problems and the notify callback.
const TRANSACTION_FUNCTIONS: &[&str] = &[
    "rpmtsSetVfyFlags",
    "rpmtsSetVfyLevel",
    "rpmtsSetFlags",
    "rpmtsSetNotifyCallback",
    "rpmtsSetScriptFd",
    "rpmtsAddInstallElement",
    "rpmtsAddEraseElement",
    "rpmtsCheck",
    "rpmtsOrder",
    "rpmtsRun",
    "rpmtsProblems",
    "rpmtsCleanProblems",
    "rpmtsNElements",
    "rpmtsElement",
    "rpmteNEVRA",
    "rpmteType",
    "rpmpsInitIterator",
    "rpmpsiNext",
    "rpmpsFreeIterator",
    "rpmpsFree",
    "rpmProblemGetType",
    "rpmProblemGetStr",
    "rpmProblemGetDiskNeed",
    "rpmProblemGetPkgNEVR",
    "rpmProblemGetAltNEVR",
    "rpmProblemString",
    "rpmReadPackageFile",
    "headerFree",
    "headerGetInstance",
    "Fopen",
    "Fclose",
    "Ferror",
    "Fstrerror",
];

/// Constants of the transaction API.
const TRANSACTION_VARS: &[&str] = &["O_RDWR", "RPMSIG_DIGEST_TYPE"];

/// Enums of the transaction API.
const TRANSACTION_TYPES: &[&str] = &[
    "rpmtransFlags_e",
    "rpmprobFilterFlags_e",
    "rpmProblemType_e",
    "rpmCallbackType_e",
    "rpmElementType_e",
    "rpmRC_e",
];

/// Constants (enumerators and `#define`s) the safe API uses.
const VARS: &[&str] = &[
    "O_RDONLY",
    "RMIL_CMDLINE",
    "RPMLOG_(EMERG|ALERT|CRIT|ERR|WARNING|NOTICE|INFO|DEBUG)",
    "RPMVERSION",
    // verify.rs
    "PGPARMOR_PUBKEY",
    "RPMSIG_(DIGEST|SIGNATURE)_TYPE",
];

/// Enums whose enumerators we need (bindgen emits an enum's constants only with its type).
const TYPES: &[&str] = &[
    "rpmTag_e",
    "rpmDbiTag_e",
    "rpmVSFlags_e",
    // verify.rs
    "pgpArmor_e",
];

fn main() {
    println!("cargo:rerun-if-changed=wrapper.h");
    println!("cargo:rerun-if-changed=build.rs");

    let librpm = pkg_config::Config::new()
        .atleast_version("4.14")
        .probe("rpm")
        .unwrap_or_else(|err| {
            panic!(
                "rpm-sys needs librpm (>= 4.14) and its headers, found with pkg-config: \
                 install `librpm-dev` (Debian/Ubuntu) or `rpm-devel` (EL/Fedora).\n{err}"
            )
        });

    let mut builder = bindgen::Builder::default()
        .header("wrapper.h")
        .clang_args(
            librpm
                .include_paths
                .iter()
                .map(|dir| format!("-I{}", dir.display())),
        )
        .parse_callbacks(Box::new(bindgen::CargoCallbacks::new()))
        .prepend_enum_name(false)
        .generate_comments(false)
        .layout_tests(false)
        .derive_debug(false)
        .merge_extern_blocks(true);
    for function in FUNCTIONS.iter().chain(TRANSACTION_FUNCTIONS) {
        builder = builder.allowlist_function(function);
    }
    for var in VARS.iter().chain(TRANSACTION_VARS) {
        builder = builder.allowlist_var(var);
    }
    for ty in TYPES.iter().chain(TRANSACTION_TYPES) {
        builder = builder.allowlist_type(ty);
    }
    let bindings = builder
        .generate()
        .expect("bindgen could not generate bindings for librpm (is libclang installed?)");

    let out = PathBuf::from(env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    bindings
        .write_to_file(out.join("bindings.rs"))
        .expect("cannot write the librpm bindings to OUT_DIR");
}
