//! The command line: argument parsing, global options, and one module per verb. Each verb
//! module only parses its arguments, calls one library function with the [`Workspace`] of
//! `--root`, and renders the typed report through the one [`printer::Printer`] (text, one JSON
//! document, or JSON lines for the streaming verbs: the rule is in [`printer`]).
//!
//! Library errors are `thiserror` types; here they get `anyhow` context naming what was being
//! done, and `main` prints the whole chain once.

use std::io;
use std::path::PathBuf;

use anyhow::Context as _;
use clap::{ArgAction, Args, Parser, Subcommand};

use crate::exit::ExitCode;
use crate::workspace::Workspace;

pub mod actors;
pub mod answer;
pub mod apply;
pub mod cancel;
pub mod commit;
pub mod data;
pub mod download;
pub mod inventory;
pub mod offline;
pub mod plan;
pub mod preupgrade;
pub mod printer;
pub mod rollback;
pub mod status;
pub mod upgrade;
pub mod why;

/// In-place major-version upgrades for RHEL-compatible Linux.
#[derive(Debug, Parser)]
#[command(name = "leapfrog", version, about, long_about = None, propagate_version = true)]
pub struct Cli {
    /// Options shared by every command.
    #[command(flatten)]
    pub global: GlobalArgs,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Options accepted by every command.
#[derive(Debug, Clone, Args)]
pub struct GlobalArgs {
    /// The root filesystem of the system to work on (an installed system mounted elsewhere,
    /// or `/` for the running one)
    #[arg(
        long,
        value_name = "DIR",
        default_value = "/",
        env = leapfrog_base::env::ROOT,
        global = true
    )]
    pub root: PathBuf,

    /// Print one machine-readable JSON document on stdout instead of text
    #[arg(long, global = true)]
    pub json: bool,

    /// Log more on stderr (-v info, -vv debug, -vvv trace; a LEAPFROG_LOG filter overrides)
    #[arg(short, long, action = ArgAction::Count, global = true)]
    pub verbose: u8,
}

impl GlobalArgs {
    /// The workspace of `--root`.
    ///
    /// # Errors
    ///
    /// When the root cannot be used ([`crate::workspace::WorkspaceError`]).
    pub fn workspace(&self) -> anyhow::Result<Workspace> {
        Workspace::open(&self.root)
            .with_context(|| format!("cannot use {} as the root", self.root.display()))
    }

    /// The printer of `--json`.
    pub fn printer(&self) -> printer::Printer {
        printer::Printer::new(self.json)
    }
}

/// The verbs.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Show what is installed in a root: the release, packages, kernels and repositories
    /// leapfrog would start from
    Inventory(inventory::InventoryArgs),
    /// Assess whether the system can be upgraded, without changing it: runs every check and
    /// writes the report (exit 0: can proceed, 2: blocked by inhibitors, 1: failed)
    Preupgrade(preupgrade::PreupgradeArgs),
    /// Record answers to the assessment's questions (SCOPE.KEY=VALUE)
    Answer(answer::AnswerArgs),
    /// List every scanner and check, with the findings each can produce
    Actors(actors::ActorsArgs),
    /// Plan the upgrade: every installed package's fate, the target repositories and the
    /// solved transaction; writes /var/lib/leapfrog/plan.json (exit 2: blocked). With
    /// --installed FILE --events-only, only the package-evolution stage of an `rpm -qa` list
    Plan(plan::PlanArgs),
    /// Fetch and verify the planned packages into /var/lib/leapfrog/packages, then prove the
    /// transaction with rpm's test flag and check the disk space (exit 2: not ready)
    Download(download::DownloadArgs),
    /// Everything before the reboot: assessment, plan, download, snapshot check, the upgrade
    /// boot environment and its one-shot boot entry (exit 3: reboot to continue; 2: blocked)
    Upgrade(upgrade::UpgradeArgs),
    /// Where the upgrade stands: stage, phase, progress, timings, last error, logs (what
    /// automation polls; --json)
    Status(status::StatusArgs),
    /// Before the reboot: remove what `upgrade` staged (boot entry, initramfs; --downloads too)
    Cancel(cancel::CancelArgs),
    /// The offline stage, run by the upgrade initramfs as `leapfrog --root /sysroot offline`
    /// (exit 0: upgraded, 1: rolled back)
    Offline(offline::OfflineArgs),
    /// Apply the downloaded plan to the root: snapshot, RPM transaction, post-steps,
    /// verification; any failure rolls the root back (exit 1). Re-running continues an
    /// interrupted run from its recorded phase
    Apply(apply::ApplyArgs),
    /// Restore the root to its state before the upgrade (after apply, or to finish an
    /// interrupted rollback; exit 3: reboot to complete an LVM merge)
    Rollback(rollback::RollbackArgs),
    /// Keep a completed upgrade: release its snapshot (no rollback afterwards)
    Commit(commit::CommitArgs),
    /// Validate migration data (`leapfrog data check`)
    Data(data::DataArgs),
    /// Explain one package's fate: the chain of events and the repository behind it
    Why(why::WhyArgs),
}

/// Parses the command line, sets up logging and runs the command.
///
/// Usage errors are printed by clap and give [`ExitCode::Error`]; `--help` and `--version`
/// give [`ExitCode::Ok`].
///
/// # Errors
///
/// Whatever the command fails with.
pub fn run() -> anyhow::Result<ExitCode> {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(err) => {
            let code = if err.use_stderr() {
                ExitCode::Error
            } else {
                ExitCode::Ok
            };
            err.print().context("cannot print the usage message")?;
            return Ok(code);
        }
    };
    crate::logging::init(cli.global.verbose);
    choose_librpm()?;
    run_command(&cli)
}

/// Opens the librpm `LEAPFROG_LIBRPM` names instead of the host's (when it is set).
fn choose_librpm() -> anyhow::Result<()> {
    let Some(path) = std::env::var_os(leapfrog_base::env::LIBRPM) else {
        return Ok(());
    };
    rpm_sys::use_librpm(rpm_sys::LibrpmSource::File(path.into()))
        .with_context(|| format!("{} is set", leapfrog_base::env::LIBRPM))
}

/// Runs an already parsed command line.
///
/// # Errors
///
/// Whatever the command fails with.
pub fn run_command(cli: &Cli) -> anyhow::Result<ExitCode> {
    match &cli.command {
        Command::Inventory(args) => inventory::run(&cli.global, args),
        Command::Preupgrade(args) => preupgrade::run(&cli.global, args),
        Command::Answer(args) => answer::run(&cli.global, args),
        Command::Actors(args) => actors::run(&cli.global, args),
        Command::Plan(args) => plan::run(&cli.global, args),
        Command::Download(args) => download::run(&cli.global, args),
        Command::Upgrade(args) => upgrade::run(&cli.global, args),
        Command::Status(args) => status::run(&cli.global, args),
        Command::Cancel(args) => cancel::run(&cli.global, args),
        Command::Offline(args) => offline::run(&cli.global, args),
        Command::Apply(args) => apply::run(&cli.global, args),
        Command::Rollback(args) => rollback::run(&cli.global, args),
        Command::Commit(args) => commit::run(&cli.global, args),
        Command::Data(args) => data::run(&cli.global, args),
        Command::Why(args) => why::run(&cli.global, args),
    }
}

/// Whether `err` comes from writing to a closed pipe (`leapfrog ... | head`), which is not
/// worth an error message.
pub fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|cause| {
        cause
            .downcast_ref::<io::Error>()
            .is_some_and(|e| e.kind() == io::ErrorKind::BrokenPipe)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn global_options_go_anywhere() {
        let cli = Cli::try_parse_from(["leapfrog", "inventory", "--root", "/mnt", "--json", "-vv"])
            .unwrap();
        assert_eq!(cli.global.root, PathBuf::from("/mnt"));
        assert!(cli.global.json);
        assert_eq!(cli.global.verbose, 2);
        let cli = Cli::try_parse_from(["leapfrog", "--json", "inventory", "--packages"]).unwrap();
        assert!(cli.global.json);
        let Command::Inventory(args) = &cli.command else {
            panic!("inventory expected")
        };
        assert!(args.packages);
    }
}
