//! Diagnostics on stderr through `tracing`.

use std::io::IsTerminal as _;

use tracing_subscriber::EnvFilter;

/// The environment variable holding a `tracing` filter (e.g. `debug`, `leapfrog=trace,librpm=debug`).
/// When set and valid it takes precedence over `-v`.
pub const LOG_ENV: &str = leapfrog_base::env::LOG;

/// Installs the global subscriber: logs go to stderr (stdout is reserved for command output),
/// at `warn` by default, `info` with `-v`, `debug` with `-vv`, `trace` with `-vvv`.
/// Calling it again is harmless.
pub fn init(verbosity: u8) {
    let default = match verbosity {
        0 => "warn",
        1 => "info",
        2 => "debug",
        _ => "trace",
    };
    let filter = match std::env::var(LOG_ENV) {
        Ok(spec) if !spec.trim().is_empty() => EnvFilter::try_new(&spec).unwrap_or_else(|err| {
            eprintln!("leapfrog: ignoring invalid {LOG_ENV}={spec:?}: {err}");
            EnvFilter::new(default)
        }),
        _ => EnvFilter::new(default),
    };
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .with_target(verbosity >= 2)
        .try_init();
}
