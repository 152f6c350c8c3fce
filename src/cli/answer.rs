//! `leapfrog answer`: record answers to the questions of the pre-upgrade assessment.

use anyhow::Context as _;
use clap::Args;

use super::GlobalArgs;
use crate::answerfile;
use crate::exit::ExitCode;

/// Options of `leapfrog answer`.
#[derive(Debug, Clone, Args)]
pub struct AnswerArgs {
    /// The answer, as SCOPE.KEY=VALUE (repeatable), e.g. sshd_root_login.keep_password_login=yes
    #[arg(long = "section", value_name = "SCOPE.KEY=VALUE", required = true)]
    pub sections: Vec<String>,
}

/// Runs `leapfrog answer`.
///
/// # Errors
///
/// When an answer is malformed or not one of the question's choices, or the answerfile cannot be
/// written.
pub fn run(global: &GlobalArgs, args: &AnswerArgs) -> anyhow::Result<ExitCode> {
    for s in &args.sections {
        let path = answerfile::answer(&global.root, s)
            .with_context(|| format!("cannot record the answer {s:?}"))?;
        if !global.json {
            println!("recorded {s} in {}", path.display());
        }
    }
    if global.json {
        println!("{}", serde_json::json!({"recorded": args.sections}));
    }
    Ok(ExitCode::Ok)
}
