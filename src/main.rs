//! The `leapfrog` binary: everything happens in the library; this only maps the outcome to an
//! exit status and prints errors, once, with their whole cause chain.

use leapfrog::exit::ExitCode;

fn main() -> std::process::ExitCode {
    match leapfrog::cli::run() {
        Ok(code) => code.into(),
        Err(err) if leapfrog::cli::is_broken_pipe(&err) => ExitCode::Ok.into(),
        Err(err) => {
            eprintln!("leapfrog: error: {err:#}");
            ExitCode::Error.into()
        }
    }
}
