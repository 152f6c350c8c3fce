//! The librpm functions rpm-sys uses. Included by `build.rs` (bindgen binds exactly these) and by
//! the crate (`src/librpm.rs` checks that the librpm it opens exports every one not in
//! [`OPTIONAL`]).

/// Functions the safe API calls: bound from the headers, resolved from the librpm opened at run
/// time (`src/librpm.rs`).
pub const FUNCTIONS: &[&str] = &[
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
    // exports.rs: what libsolv's rpm database reader calls (rpmExpand, variadic, is resolved by
    // compat.rs)
    "headerExport",
    "rpmDefineMacro",
    "rpmtsGetRdb",
    "rpmdbInitIterator",
    "rpmdbGetIteratorCount",
    "rpmdbGetIteratorOffset",
    "rpmdbIndexIteratorInit",
    "rpmdbIndexIteratorNext",
    "rpmdbIndexIteratorNumPkgs",
    "rpmdbIndexIteratorPkgOffset",
    "rpmdbIndexIteratorFree",
];

/// Functions of [`FUNCTIONS`] that some supported librpm does not export; `src/compat.rs` says
/// what is done instead. Every other function must be present or the library is refused.
pub const OPTIONAL: &[&str] = &[
    // 4.14: `addMacro`/`delMacro` of 4.11 renamed
    "rpmPushMacro",
    "rpmPopMacro",
    // 4.14: verification level and flags of `rpmcliVerifySignatures`
    "rpmtsSetVfyFlags",
    "rpmtsSetVfyLevel",
    // 4.14: OpenPGP subkeys in a keyring (4.11 has none)
    "rpmGetSubkeys",
];
