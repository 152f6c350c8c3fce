//! How a transaction runs: [`TransactionFlags`] and the `RPMTRANS_FLAG_*` bits they map to.

use leapfrog_base::failpoints::AfterElement;
use serde::{Deserialize, Serialize};

use crate::ffi;

/// How [`Transaction::run`](crate::Transaction::run) runs (the `RPMTRANS_FLAG_*` bits leapfrog
/// uses).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TransactionFlags {
    /// `--test`: compute file conflicts and disk space, change nothing.
    pub test: bool,
    /// `--justdb`: update the database only, leave files alone.
    pub justdb: bool,
    /// `--noscripts`: run no scriptlets.
    pub noscripts: bool,
    /// `--notriggers`: run no triggers.
    pub notriggers: bool,
    /// `--excludedocs`: do not install documentation.
    pub nodocs: bool,
    /// Crash tests: end the process after the N-th finished element of a real run.
    #[serde(skip)]
    pub after_element: Option<AfterElement>,
    /// `--ignoresize` for a real run: rpm's disk-space and inode problems do not stop it (crash
    /// tests fill the disk mid-transaction).
    #[serde(skip)]
    pub ignore_diskspace: bool,
}

impl TransactionFlags {
    /// A test run.
    pub fn test() -> Self {
        Self {
            test: true,
            ..Self::default()
        }
    }

    /// The `RPMTRANS_FLAG_*` bits of these flags.
    pub(super) fn bits(self) -> ffi::rpmtransFlags {
        let mut bits: ffi::rpmtransFlags = 0;
        let set = [
            (self.test, ffi::RPMTRANS_FLAG_TEST),
            (self.justdb, ffi::RPMTRANS_FLAG_JUSTDB),
            (
                self.noscripts,
                // NOSCRIPTS as well: 4.11 has no NOPRETRANS/NOPOSTTRANS bits (compat.rs).
                ffi::RPMTRANS_FLAG_NOSCRIPTS
                    | ffi::RPMTRANS_FLAG_NOPRE
                    | ffi::RPMTRANS_FLAG_NOPOST
                    | ffi::RPMTRANS_FLAG_NOPREUN
                    | ffi::RPMTRANS_FLAG_NOPOSTUN
                    | ffi::RPMTRANS_FLAG_NOPRETRANS
                    | ffi::RPMTRANS_FLAG_NOPOSTTRANS,
            ),
            (
                self.notriggers,
                ffi::RPMTRANS_FLAG_NOTRIGGERPREIN
                    | ffi::RPMTRANS_FLAG_NOTRIGGERIN
                    | ffi::RPMTRANS_FLAG_NOTRIGGERUN
                    | ffi::RPMTRANS_FLAG_NOTRIGGERPOSTUN,
            ),
            (self.nodocs, ffi::RPMTRANS_FLAG_NODOCS),
        ];
        for (on, flag) in set {
            if on {
                bits |= flag as ffi::rpmtransFlags;
            }
        }
        bits
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_map_to_rpm_bits() {
        assert_eq!(TransactionFlags::default().bits(), 0);
        let bits = TransactionFlags::test().bits();
        assert_eq!(bits, (ffi::RPMTRANS_FLAG_TEST as ffi::rpmtransFlags));
        let bits = TransactionFlags {
            noscripts: true,
            justdb: true,
            ..TransactionFlags::default()
        }
        .bits();
        assert_ne!(bits & (ffi::RPMTRANS_FLAG_JUSTDB as ffi::rpmtransFlags), 0);
        assert_ne!(bits & (ffi::RPMTRANS_FLAG_NOPOST as ffi::rpmtransFlags), 0);
        assert_ne!(
            bits & (ffi::RPMTRANS_FLAG_NOPRETRANS as ffi::rpmtransFlags),
            0
        );
        assert_ne!(
            bits & (ffi::RPMTRANS_FLAG_NOSCRIPTS as ffi::rpmtransFlags),
            0
        );
        assert_eq!(bits & (ffi::RPMTRANS_FLAG_TEST as ffi::rpmtransFlags), 0);
    }
}
