//! Finds the system librpm with pkg-config and generates bindings for the small part of its API
//! that this crate uses (see `wrapper.h` and the allowlists below) into `$OUT_DIR/ffi.rs`.

mod build_common;

use build_common::Allowlist;

/// Functions the safe API calls.
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
    // transaction/ and header.rs: reading package files, adding install/erase elements,
    // checking, ordering, running, problems and the notify callback
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

/// Constants (enumerators and `#define`s) the safe API uses.
const VARS: &[&str] = &[
    "O_RDONLY",
    "RMIL_CMDLINE",
    "RPMLOG_(EMERG|ALERT|CRIT|ERR|WARNING|NOTICE|INFO|DEBUG)",
    "RPMVERSION",
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
    );
    build_common::generate(
        "librpm",
        &include_paths,
        &Allowlist {
            functions: FUNCTIONS,
            vars: VARS,
            types: TYPES,
        },
    );
}
