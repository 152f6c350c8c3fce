//! The differences between the librpm versions leapfrog supports, in one place.
//!
//! leapfrog opens whichever librpm the host (or the target userspace) has: 4.11 (EL7,
//! `librpm.so.3`), 4.14 (EL8, `.so.8`), 4.16 (EL9, `.so.9`), 4.19 (EL10, `.so.10`), and Debian's
//! 4.18 on the development machines. The bindings come from one set of headers; what differs
//! between those versions for the calls this crate makes is handled here (facts:
//! `../shared/rpm-src/README.md`, checked against each version's headers):
//!
//! - **Macros**: 4.11 exports `addMacro`/`delMacro` (returning nothing); 4.14 renamed them
//!   `rpmPushMacro`/`rpmPopMacro` (returning a status). Same arguments. → [`Compat::push_macro`],
//!   [`Compat::pop_macro`].
//! - **Signature verification**: `rpmtsSetVfyFlags`/`rpmtsSetVfyLevel` exist from 4.14. Without
//!   them `rpmcliVerifySignatures` checks digests and signatures alike and never reports a missing
//!   signature as a failure, so `verify.rs` decides from the lines it logs (see
//!   [`Compat::verify_level`]). `rpmGetSubkeys` (OpenPGP subkeys) is absent in 4.11, whose
//!   keyring has no subkeys.
//! - **Transaction flags**: 4.11 has no `NOPRETRANS`/`NOPOSTTRANS` bits (bits 24 and 25 are
//!   unused there); `RPMTRANS_FLAG_NOSCRIPTS` (bit 2), which every version honours for the
//!   transaction scriptlets, is set with them (`transaction/flags.rs`).
//! - **Callbacks**: 4.11 sends no `RPMCALLBACK_ELEM_PROGRESS` or `RPMCALLBACK_VERIFY_*`; the
//!   progress callback counts finished elements from `INST_STOP`/`UNINST_STOP` as well.
//! - **Reused bits**: `RPMVSF_NOPAYLOAD` (1<<16) is 4.11's unimplemented `NOSHA1`, and
//!   `RPMVSF_NOSHA256HEADER` (1<<9) its unimplemented `NOMD5HEADER`: setting them on 4.11 has no
//!   effect, which is what "no such digest" means there.
//! - **Databases**: 4.11 and 4.14 read and write BerkeleyDB only; 4.16 and later read BerkeleyDB
//!   read-only (`bdb_ro`) and write sqlite. [`Compat::supports_backend`] says which backend a
//!   version can open, so a mismatch is a clear error rather than librpm's "cannot open".

use std::ffi::{CStr, c_char, c_int};
use std::fmt;

use crate::ffi;
use crate::location::DbBackend;

/// A librpm version (`RPMVERSION`, e.g. `4.11.3`, `4.16.1.3`).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
pub struct RpmVersion {
    /// 4.
    pub major: u32,
    /// 11, 14, 16, 19, ...
    pub minor: u32,
    /// The third number (0 when absent).
    pub patch: u32,
}

impl RpmVersion {
    /// The oldest librpm leapfrog supports: CentOS 7's.
    pub const OLDEST: Self = Self::new(4, 11, 0);

    /// A version from its numbers.
    pub const fn new(major: u32, minor: u32, patch: u32) -> Self {
        Self {
            major,
            minor,
            patch,
        }
    }

    /// Parses `RPMVERSION` (`4.18.0`, `4.16.1.3`, `4.19.1.1`, `4.14.3-alpha`): the first three
    /// numbers; `None` when it does not start with two.
    pub fn parse(text: &str) -> Option<Self> {
        let mut numbers = text.split(['.', '-', '~', '+']).map(|part| {
            let digits: String = part.chars().take_while(char::is_ascii_digit).collect();
            digits.parse::<u32>().ok()
        });
        let major = numbers.next()??;
        let minor = numbers.next()??;
        let patch = numbers.next().flatten().unwrap_or(0);
        Some(Self::new(major, minor, patch))
    }

    /// Whether leapfrog supports this librpm: 4.11 or later in the 4.x series.
    pub fn is_supported(self) -> bool {
        self >= Self::OLDEST && self.major == 4
    }
}

impl fmt::Display for RpmVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.major, self.minor, self.patch)
    }
}

/// 4.11's `addMacro`: `rpmPushMacro` without a result.
type AddMacroFn =
    unsafe extern "C" fn(ffi::rpmMacroContext, *const c_char, *const c_char, *const c_char, c_int);
/// 4.11's `delMacro`: `rpmPopMacro` without a result.
type DelMacroFn = unsafe extern "C" fn(ffi::rpmMacroContext, *const c_char);

/// `rpmExpand`: variadic, so resolved by hand rather than through the bindings.
type ExpandFn = unsafe extern "C" fn(*const c_char, ...) -> *mut c_char;

/// How macros are pushed and popped in this librpm.
#[derive(Clone, Copy)]
enum MacroCalls {
    /// 4.14 and later: `rpmPushMacro`/`rpmPopMacro` (through the bindings).
    Push,
    /// 4.11: `addMacro`/`delMacro`, resolved by name when the library was opened.
    Add { add: AddMacroFn, del: DelMacroFn },
}

/// How the verification level of `rpmcliVerifySignatures` is chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum VerifyLevel {
    /// 4.14 and later: `rpmtsSetVfyFlags`/`rpmtsSetVfyLevel` select digests or signatures.
    Selectable,
    /// 4.11: everything is checked and a missing signature is not a failure; the caller
    /// classifies the logged lines itself.
    Fixed,
}

/// What differs in the opened librpm, resolved once when it was opened.
pub(crate) struct Compat {
    /// Its version.
    pub(crate) version: RpmVersion,
    macros: MacroCalls,
    verify_level: VerifyLevel,
    subkeys: bool,
    expand: ExpandFn,
}

impl fmt::Debug for Compat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Compat")
            .field("version", &self.version)
            .field(
                "macros",
                &match self.macros {
                    MacroCalls::Push => "rpmPushMacro",
                    MacroCalls::Add { .. } => "addMacro",
                },
            )
            .field("verify_level", &self.verify_level)
            .field("subkeys", &self.subkeys)
            .finish()
    }
}

impl Compat {
    /// Works out the differences of the library `lib` (already checked to export every required
    /// function). The function pointers taken here stay valid while the library is open, which
    /// is the life of the process (the bindings made from it live in a static).
    pub(crate) fn resolve(version: RpmVersion, lib: &libloading::Library) -> Result<Self, String> {
        let has = |name: &str| {
            let symbol = format!("{name}\0");
            // SAFETY: only looks the name up; the pointer is not used.
            unsafe { lib.get::<*const ()>(symbol.as_bytes()) }.is_ok()
        };
        let macros = if has("rpmPushMacro") && has("rpmPopMacro") {
            MacroCalls::Push
        } else {
            // SAFETY: `addMacro`/`delMacro` of librpm 4.11 have exactly these signatures
            // (rpmio/rpmmacro.h).
            let add = unsafe { lib.get::<AddMacroFn>(b"addMacro\0") }.map(|s| *s);
            // SAFETY: as above.
            let del = unsafe { lib.get::<DelMacroFn>(b"delMacro\0") }.map(|s| *s);
            match (add, del) {
                (Ok(add), Ok(del)) => MacroCalls::Add { add, del },
                _ => {
                    return Err(
                        "it exports neither rpmPushMacro/rpmPopMacro (4.14+) nor addMacro/delMacro (4.11)"
                            .into(),
                    );
                }
            }
        };
        let verify_level = if has("rpmtsSetVfyFlags") && has("rpmtsSetVfyLevel") {
            VerifyLevel::Selectable
        } else {
            VerifyLevel::Fixed
        };
        // SAFETY: librpm's `char *rpmExpand(const char *arg, ...)` in every version.
        let expand = unsafe { lib.get::<ExpandFn>(b"rpmExpand\0") }
            .map(|s| *s)
            .map_err(|err| format!("it has no rpmExpand: {err}"))?;
        Ok(Self {
            version,
            macros,
            verify_level,
            subkeys: has("rpmGetSubkeys"),
            expand,
        })
    }

    /// Pushes macro `name` with `body` at command-line level; `false` when librpm refused it
    /// (4.11 cannot refuse).
    ///
    /// # Safety
    ///
    /// The caller holds the librpm lock; `name` and `body` are NUL-terminated.
    pub(crate) unsafe fn push_macro(&self, api: &ffi::LibrpmApi, name: &CStr, body: &CStr) -> bool {
        match self.macros {
            // SAFETY: per this function's contract; a null context is the global one and
            // librpm copies the strings.
            MacroCalls::Push => unsafe {
                api.rpmPushMacro(
                    std::ptr::null_mut(),
                    name.as_ptr(),
                    std::ptr::null(),
                    body.as_ptr(),
                    ffi::RMIL_CMDLINE,
                ) == 0
            },
            MacroCalls::Add { add, .. } => {
                // SAFETY: as above, through 4.11's `addMacro`.
                unsafe {
                    add(
                        std::ptr::null_mut(),
                        name.as_ptr(),
                        std::ptr::null(),
                        body.as_ptr(),
                        ffi::RMIL_CMDLINE,
                    );
                }
                true
            }
        }
    }

    /// Pops the innermost definition of macro `name`.
    ///
    /// # Safety
    ///
    /// The caller holds the librpm lock and pushed `name` before.
    pub(crate) unsafe fn pop_macro(&self, api: &ffi::LibrpmApi, name: &CStr) {
        match self.macros {
            // SAFETY: per this function's contract.
            MacroCalls::Push => unsafe {
                api.rpmPopMacro(std::ptr::null_mut(), name.as_ptr());
            },
            // SAFETY: per this function's contract, through 4.11's `delMacro`.
            MacroCalls::Add { del, .. } => unsafe { del(std::ptr::null_mut(), name.as_ptr()) },
        }
    }

    /// [`Self::pop_macro`] for a context and name given by C code (libsolv, `exports.rs`).
    ///
    /// # Safety
    ///
    /// The caller holds the librpm lock; `mc` is a macro context (null: the global one) and
    /// `name` a NUL-terminated macro name defined in it.
    pub(crate) unsafe fn pop_macro_raw(
        &self,
        api: &ffi::LibrpmApi,
        mc: ffi::rpmMacroContext,
        name: *const c_char,
    ) {
        match self.macros {
            // SAFETY: per this function's contract.
            MacroCalls::Push => unsafe {
                api.rpmPopMacro(mc, name);
            },
            // SAFETY: per this function's contract.
            MacroCalls::Add { del, .. } => unsafe { del(mc, name) },
        }
    }

    /// `rpmExpand(arg, NULL)`: a malloc'ed expansion of `arg`.
    ///
    /// # Safety
    ///
    /// The caller holds the librpm lock; `arg` is NUL-terminated.
    pub(crate) unsafe fn expand(&self, arg: *const c_char) -> *mut c_char {
        // SAFETY: per this function's contract, with the terminating null argument.
        unsafe { (self.expand)(arg, std::ptr::null::<c_char>()) }
    }

    /// How `rpmcliVerifySignatures` can be told what to check.
    pub(crate) fn verify_level(&self) -> VerifyLevel {
        self.verify_level
    }

    /// Whether `rpmGetSubkeys` exists.
    pub(crate) fn has_subkeys(&self) -> bool {
        self.subkeys
    }

    /// Whether this librpm can open a database of `backend` (4.11/4.14: BerkeleyDB only;
    /// 4.16+: sqlite, and BerkeleyDB read-only).
    pub(crate) fn supports_backend(&self, backend: DbBackend) -> bool {
        match backend {
            DbBackend::Sqlite => self.version >= RpmVersion::new(4, 16, 0),
            DbBackend::BdbReadOnly => true,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_of_every_el_release_parse_and_are_supported() {
        for (text, expected) in [
            ("4.11.3", RpmVersion::new(4, 11, 3)),
            ("4.14.3", RpmVersion::new(4, 14, 3)),
            ("4.16.1.3", RpmVersion::new(4, 16, 1)),
            ("4.19.1.1", RpmVersion::new(4, 19, 1)),
            ("4.18.0", RpmVersion::new(4, 18, 0)),
            ("4.20", RpmVersion::new(4, 20, 0)),
        ] {
            let parsed = RpmVersion::parse(text).expect(text);
            assert_eq!(parsed, expected, "{text}");
            assert!(parsed.is_supported(), "{text}");
        }
    }

    #[test]
    fn older_or_foreign_versions_are_refused_or_unparsed() {
        assert!(!RpmVersion::parse("4.8.0").unwrap().is_supported());
        assert!(!RpmVersion::parse("5.4.15").unwrap().is_supported());
        assert_eq!(RpmVersion::parse("x.y"), None);
        assert_eq!(RpmVersion::parse("4"), None);
        assert_eq!(RpmVersion::parse(""), None);
    }
}
