//! The librpm functions libsolv's rpm database reader calls, defined here so that libsolv,
//! linked statically into leapfrog (see `libsolv-sys`), uses the librpm this crate opened at run
//! time rather than one linked at build time.
//!
//! libsolv's `repo_add_rpmdb` (in `ext/repo_rpmdb.c`, built with `ENABLE_RPMDB_LIBRPM`) names
//! about twenty librpm functions and `RPMVERSION`. leapfrog's binary links no librpm, so the
//! linker resolves those names to the definitions below, each of which forwards to the same
//! function of the opened librpm ([`api`]). Where a function is missing from a supported librpm,
//! the forwarding goes through [`compat`](crate::compat): `rpmPopMacro` is 4.11's `delMacro`,
//! `headerUnload` (gone in 4.19) is `headerExport` without a size.
//!
//! These symbols are not exported from the executable (Rust does not put them in the dynamic
//! symbol table), so they never interpose on the opened librpm's own calls. libsolv calls them
//! only inside [`with_db_macros`](crate::with_db_macros), which holds the librpm lock and has
//! opened the library.

#![allow(non_snake_case, non_upper_case_globals)] // the C names libsolv links against

use std::ffi::{c_char, c_int, c_uint, c_void};

use crate::ffi;
use crate::librpm::{api, compat};

/// `RPMVERSION`, which libsolv compares with `"4.16.0"` (that release needed `%_db_backend`
/// set, which leapfrog always does). Points at the opened librpm's own string once it is opened
/// (an empty string before).
#[unsafe(no_mangle)]
pub static mut RPMVERSION: *const c_char = c"".as_ptr();

/// Points [`RPMVERSION`] at the opened librpm's version string.
///
/// # Safety
///
/// Called once, while opening librpm (under the `OnceLock` that opens it), before any libsolv
/// call can read the variable; `version` is a static string of the library, which is never
/// closed.
pub(crate) unsafe fn set_rpmversion(version: *const c_char) {
    // SAFETY: per this function's contract nothing reads the variable concurrently.
    unsafe { *std::ptr::addr_of_mut!(RPMVERSION) = version };
}

/// `rpmPopMacro` (4.11: `delMacro`, see compat.rs).
///
/// # Safety
///
/// As librpm's function.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn rpmPopMacro(mc: ffi::rpmMacroContext, name: *const c_char) -> c_int {
    // SAFETY: forwarded to the opened librpm's pop (or delMacro); libsolv passes the global
    // context (null) and a macro it defined.
    unsafe { compat().pop_macro_raw(api(), mc, name) };
    0
}

/// `rpmExpand(arg, NULL)`: librpm's is variadic; libsolv only ever passes one string and the
/// terminating null, which the x86_64 and aarch64 calling conventions pass exactly like these two
/// fixed arguments.
///
/// # Safety
///
/// As librpm's function, with one string argument.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn rpmExpand(arg: *const c_char, end: *const c_char) -> *mut c_char {
    debug_assert!(end.is_null(), "libsolv passes one argument to rpmExpand");
    // SAFETY: librpm's rpmExpand with one argument and the null terminator.
    unsafe { compat().expand(arg) }
}

/// `headerUnload` (removed in 4.19): `headerExport` without the size.
///
/// # Safety
///
/// As librpm's function.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn headerUnload(h: ffi::Header) -> *mut c_void {
    // SAFETY: headerExport with a null size pointer is what headerUnload was in 4.11-4.18.
    unsafe { api().headerExport(h, std::ptr::null_mut()) }
}

/// Defines `#[no_mangle]` functions that forward their arguments unchanged to the function of
/// the same name in the opened librpm.
macro_rules! forward {
    ($($name:ident($($arg:ident: $ty:ty),* $(,)?) -> $ret:ty;)*) => {
        $(
            #[doc = concat!("`", stringify!($name), "`, forwarded to the opened librpm.")]
            ///
            /// # Safety
            ///
            /// As librpm's function; called by libsolv under the librpm lock.
            #[unsafe(no_mangle)]
            pub unsafe extern "C" fn $name($($arg: $ty),*) -> $ret {
                // SAFETY: forwarded unchanged to the same function of the opened librpm, with
                // the types of its header.
                unsafe { api().$name($($arg),*) }
            }
        )*
    };
}

forward! {
    rpmReadConfigFiles(file: *const c_char, target: *const c_char) -> c_int;
    rpmDefineMacro(mc: ffi::rpmMacroContext, macro_: *const c_char, level: c_int) -> c_int;
    rpmtsCreate() -> ffi::rpmts;
    rpmtsFree(ts: ffi::rpmts) -> ffi::rpmts;
    rpmtsOpenDB(ts: ffi::rpmts, dbmode: c_int) -> c_int;
    rpmtsGetRdb(ts: ffi::rpmts) -> ffi::rpmdb;
    rpmtsSetVSFlags(ts: ffi::rpmts, flags: ffi::rpmVSFlags) -> ffi::rpmVSFlags;
    rpmdbInitIterator(db: ffi::rpmdb, tag: ffi::rpmDbiTagVal, key: *const c_void, keylen: usize) -> ffi::rpmdbMatchIterator;
    rpmdbNextIterator(mi: ffi::rpmdbMatchIterator) -> ffi::Header;
    rpmdbFreeIterator(mi: ffi::rpmdbMatchIterator) -> ffi::rpmdbMatchIterator;
    rpmdbGetIteratorCount(mi: ffi::rpmdbMatchIterator) -> c_int;
    rpmdbGetIteratorOffset(mi: ffi::rpmdbMatchIterator) -> c_uint;
    rpmdbIndexIteratorInit(db: ffi::rpmdb, tag: ffi::rpmDbiTag) -> ffi::rpmdbIndexIterator;
    rpmdbIndexIteratorNext(ii: ffi::rpmdbIndexIterator, key: *mut *const c_void, keylen: *mut usize) -> c_int;
    rpmdbIndexIteratorNumPkgs(ii: ffi::rpmdbIndexIterator) -> c_uint;
    rpmdbIndexIteratorPkgOffset(ii: ffi::rpmdbIndexIterator, nr: c_uint) -> c_uint;
    rpmdbIndexIteratorFree(ii: ffi::rpmdbIndexIterator) -> ffi::rpmdbIndexIterator;
}
