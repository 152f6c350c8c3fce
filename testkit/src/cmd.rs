//! Running external tools (createrepo_c, rpm, db5.3_load, dnf) with errors that carry the
//! command line and the tail of its stderr.

use std::path::Path;
use std::process::{Command, Output};

/// A tool failed or could not be started.
#[derive(Debug, thiserror::Error)]
pub enum CmdError {
    /// The program is not installed or not executable.
    #[error("cannot run `{program}` ({source}); is it installed? (see scripts/setup)")]
    Spawn {
        /// Program name.
        program: String,
        /// Cause.
        source: std::io::Error,
    },
    /// The program exited unsuccessfully.
    #[error("`{cmdline}` failed ({status}): {stderr_tail}")]
    Failed {
        /// The full command line.
        cmdline: String,
        /// Exit status.
        status: std::process::ExitStatus,
        /// Last lines of stderr (and stdout when stderr is empty).
        stderr_tail: String,
    },
}

fn cmdline(cmd: &Command) -> String {
    let mut s = cmd.get_program().to_string_lossy().into_owned();
    for a in cmd.get_args() {
        s.push(' ');
        s.push_str(&a.to_string_lossy());
    }
    s
}

fn tail(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(bytes);
    let lines: Vec<&str> = text.lines().collect();
    let start = lines.len().saturating_sub(15);
    lines[start..].join("\n")
}

/// Runs `cmd`, returning its output when it exits 0.
pub fn run(cmd: &mut Command) -> Result<Output, CmdError> {
    tracing::debug!(cmd = %cmdline(cmd), "running");
    let out = cmd.output().map_err(|source| CmdError::Spawn {
        program: cmd.get_program().to_string_lossy().into_owned(),
        source,
    })?;
    if !out.status.success() {
        let stderr_tail = if out.stderr.iter().all(u8::is_ascii_whitespace) {
            tail(&out.stdout)
        } else {
            tail(&out.stderr)
        };
        return Err(CmdError::Failed {
            cmdline: cmdline(cmd),
            status: out.status,
            stderr_tail,
        });
    }
    Ok(out)
}

/// An `rpm`/`rpmkeys` command with a private `HOME` (so no `~/.rpmmacros` leaks in) and the
/// database location and backend of a release set explicitly (Debian's rpm defaults to
/// `~/.rpmdb`).
pub fn rpm_command(program: &str, home: &Path, dbpath: &str, backend: &str) -> Command {
    let mut cmd = Command::new(program);
    cmd.env("HOME", home)
        .env("LC_ALL", "C")
        .arg("--define")
        .arg(format!("_dbpath {dbpath}"))
        .arg("--define")
        .arg(format!("_db_backend {backend}"));
    cmd
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failure_carries_command_and_stderr() {
        let err = run(Command::new("sh").args(["-c", "echo boom >&2; exit 3"])).unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains("sh -c") && msg.contains("boom"), "{msg}");
        let err = run(&mut Command::new("/nonexistent/tool")).unwrap_err();
        assert!(matches!(err, CmdError::Spawn { .. }));
    }
}
