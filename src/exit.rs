//! leapfrog's exit codes. They are part of its interface: scripts and automation branch on them.

/// The status leapfrog exits with.
///
/// Command-line usage errors exit with [`ExitCode::Error`] (not clap's usual 2, which would be
/// mistaken for [`ExitCode::Inhibited`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum ExitCode {
    /// 0: the command did what was asked.
    Ok = 0,
    /// 1: the command failed; the reason is printed on stderr.
    Error = 1,
    /// 2: the upgrade is blocked: the pre-upgrade checks found inhibitors that must be resolved
    /// first (reported on stdout). Not used yet.
    Inhibited = 2,
    /// 3: the command succeeded and a reboot is required to continue (e.g. into the upgrade
    /// environment, or to finish a rollback). Not used yet.
    RebootRequired = 3,
}

impl ExitCode {
    /// The numeric process exit status.
    pub fn code(self) -> u8 {
        self as u8
    }
}

impl From<ExitCode> for std::process::ExitCode {
    fn from(code: ExitCode) -> Self {
        std::process::ExitCode::from(code.code())
    }
}

#[cfg(test)]
mod tests {
    use super::ExitCode;

    #[test]
    fn codes_are_stable() {
        assert_eq!(ExitCode::Ok.code(), 0);
        assert_eq!(ExitCode::Error.code(), 1);
        assert_eq!(ExitCode::Inhibited.code(), 2);
        assert_eq!(ExitCode::RebootRequired.code(), 3);
    }
}
