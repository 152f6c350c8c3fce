//! `leapfrog answer`: record answers to the questions of the pre-upgrade assessment
//! ([`crate::assess::answerfile::answer`]).

use std::fmt::Write as _;
use std::path::PathBuf;

use anyhow::Context as _;
use clap::Args;
use serde::Serialize;

use super::GlobalArgs;
use crate::assess::answerfile;
use crate::exit::ExitCode;

/// Options of `leapfrog answer`.
#[derive(Debug, Clone, Args)]
pub struct AnswerArgs {
    /// The answer, as SCOPE.KEY=VALUE (repeatable), e.g. sshd_root_login.keep_password_login=yes
    #[arg(long = "section", value_name = "SCOPE.KEY=VALUE", required = true)]
    pub sections: Vec<String>,
}

/// What was recorded.
#[derive(Debug, Serialize)]
struct Recorded {
    recorded: Vec<String>,
    answerfile: Option<PathBuf>,
}

/// Runs `leapfrog answer`.
///
/// # Errors
///
/// When an answer is malformed or not one of the question's choices, or the answerfile cannot be
/// written.
pub fn run(global: &GlobalArgs, args: &AnswerArgs) -> anyhow::Result<ExitCode> {
    let ws = global.workspace()?;
    let mut path = None;
    for s in &args.sections {
        path = Some(
            answerfile::answer(&ws, s)
                .with_context(|| format!("cannot record the answer {s:?}"))?,
        );
    }
    let report = Recorded {
        recorded: args.sections.clone(),
        answerfile: path,
    };
    global.printer().document(&report, |out| {
        for s in &report.recorded {
            if let Some(p) = &report.answerfile {
                writeln!(out, "recorded {s} in {}", p.display())?;
            }
        }
        Ok(())
    })?;
    Ok(ExitCode::Ok)
}
