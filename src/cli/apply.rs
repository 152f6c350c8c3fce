//! `leapfrog apply`: execute the downloaded plan against the root, with a snapshot first and an
//! automatic rollback on any failure. Also the console side of the executor's events, shared
//! with `leapfrog rollback`.

use std::io::{IsTerminal as _, Write as _};

use anyhow::Context as _;
use clap::{Args, ValueEnum};

use super::GlobalArgs;
use crate::apply::executor::{self, ApplyOptions, ExecError, Outcome, SnapshotChoice};
use crate::apply::progress::{Event, Sink};
use crate::exit::ExitCode;
use crate::snapshot::Backend;

/// `--snapshot` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SnapshotArg {
    /// The best available: btrfs, then LVM, then reflink, then copy (the choice is reported)
    Auto,
    /// Read-only snapshot of the root's btrfs subvolume
    Btrfs,
    /// LVM snapshot of the root's logical volume
    Lvm,
    /// Journal of every path the transaction can touch, data shared by reflinks (XFS, btrfs)
    Reflink,
    /// The same journal with plain copies (any filesystem)
    Copy,
    /// No snapshot: a failure cannot be rolled back (needs --accept-no-rollback)
    None,
}

impl From<SnapshotArg> for SnapshotChoice {
    fn from(a: SnapshotArg) -> Self {
        match a {
            SnapshotArg::Auto => SnapshotChoice::Auto,
            SnapshotArg::Btrfs => SnapshotChoice::Use(Backend::Btrfs),
            SnapshotArg::Lvm => SnapshotChoice::Use(Backend::Lvm),
            SnapshotArg::Reflink => SnapshotChoice::Use(Backend::Reflink),
            SnapshotArg::Copy => SnapshotChoice::Use(Backend::Copy),
            SnapshotArg::None => SnapshotChoice::Use(Backend::None),
        }
    }
}

/// Options of `leapfrog apply`.
#[derive(Debug, Clone, Args)]
pub struct ApplyArgs {
    /// How to snapshot the root before the transaction
    #[arg(long, value_enum, default_value = "auto")]
    pub snapshot: SnapshotArg,
    /// Confirm that with --snapshot none a failed upgrade cannot be rolled back
    #[arg(long)]
    pub accept_no_rollback: bool,
    /// Release the snapshot as soon as the upgrade is verified (no `leapfrog rollback` later)
    #[arg(long)]
    pub commit: bool,
}

/// How package progress shows on a terminal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Progress {
    /// A redrawn progress bar with the phase lines above it (an interactive terminal).
    Bar,
    /// Plain lines even on a terminal: the upgrade environment's console, where kernel
    /// messages interleave and a serial console log would keep every redraw.
    Lines,
}

/// Where executor events go on the console: JSON lines on stdout (`--json`), a progress bar
/// with the phase lines above it (a terminal, with [`Progress::Bar`]), or plain lines (a pipe,
/// a log, [`Progress::Lines`]): a package line every 2 seconds and for the last element.
pub(crate) fn console_sink(json: bool, progress: Progress) -> Sink {
    if json {
        return Sink::new(Box::new(|e: &Event| {
            if let Ok(line) = serde_json::to_string(e) {
                let mut out = std::io::stdout().lock();
                let _ = writeln!(out, "{line}");
                let _ = out.flush();
            }
        }));
    }
    let bar = (progress == Progress::Bar && std::io::stderr().is_terminal()).then(|| {
        let bar = indicatif::ProgressBar::hidden();
        if let Ok(style) =
            indicatif::ProgressStyle::with_template("{bar:30} {pos}/{len} {wide_msg}")
        {
            bar.set_style(style);
        }
        bar
    });
    let mut last_line: Option<std::time::Instant> = None;
    Sink::new(Box::new(move |e: &Event| match (e, &bar) {
        (
            Event::Package {
                action,
                package,
                done,
                total,
            },
            Some(bar),
        ) => {
            if bar.is_hidden() {
                bar.set_draw_target(indicatif::ProgressDrawTarget::stderr());
            }
            bar.set_length(*total);
            bar.set_position(*done);
            bar.set_message(format!("{action} {package}"));
            if done + 1 >= *total {
                bar.finish_and_clear();
            }
        }
        (Event::Package { done, total, .. }, None) => {
            // lines: a progress line every 2 seconds
            let now = std::time::Instant::now();
            if last_line.is_none_or(|t| now.duration_since(t).as_secs() >= 2) || done + 1 >= *total
            {
                last_line = Some(now);
                println!("{}", e.line());
            }
        }
        (other, Some(bar)) if !bar.is_hidden() && !bar.is_finished() => bar.println(other.line()),
        (other, _) => println!("{}", other.line()),
    }))
}

/// The last line of a `--json` run: the report with `"event": "result"`, so that a reader of
/// the JSON-lines stream finds it among the events.
pub(crate) fn result_line<T: serde::Serialize>(report: &T) -> anyhow::Result<String> {
    let mut doc = serde_json::to_value(report)?;
    if let Some(o) = doc.as_object_mut() {
        o.insert("event".into(), "result".into());
    }
    Ok(serde_json::to_string(&doc)?)
}

/// Runs `leapfrog apply`.
///
/// # Errors
///
/// When nothing could be changed (no plan, not downloaded, stale plan, bad package, no
/// snapshot) or the rollback itself failed.
pub fn run(global: &GlobalArgs, args: &ApplyArgs) -> anyhow::Result<ExitCode> {
    let opts = ApplyOptions {
        snapshot: args.snapshot.into(),
        accept_no_rollback: args.accept_no_rollback,
        commit: args.commit,
    };
    let sink = console_sink(global.json, Progress::Bar);
    let report = match executor::apply(&global.root, &opts, &sink) {
        Ok(r) => r,
        Err(ExecError::Inhibited(why)) => {
            eprintln!("The plan is blocked; nothing was changed: {why}");
            return Ok(ExitCode::Inhibited);
        }
        Err(e) => {
            return Err(e)
                .with_context(|| format!("cannot apply the upgrade to {}", global.root.display()));
        }
    };
    let mut out = std::io::stdout().lock();
    if global.json {
        writeln!(out, "{}", result_line(&report)?).context("cannot write")?;
    } else {
        match report.outcome {
            Outcome::Done => writeln!(
                out,
                "Upgraded {} -> {}{}. {}",
                report.source,
                report.target,
                report
                    .snapshot
                    .as_ref()
                    .map(|s| format!(" (snapshot: {})", s.backend))
                    .unwrap_or_default(),
                if report.committed {
                    "The snapshot is released."
                } else {
                    "Check the system, then `leapfrog commit` to keep it or `leapfrog rollback` to undo it."
                }
            ),
            Outcome::AlreadyDone => writeln!(
                out,
                "Already upgraded to {}: nothing to do.",
                report.target
            ),
            Outcome::RolledBack => writeln!(
                out,
                "The upgrade FAILED and the root was rolled back to its state before the upgrade.\n  cause: {}",
                report.failure.as_deref().unwrap_or("unknown")
            ),
        }
        .context("cannot write")?;
        if let Some(log) = &report.log {
            writeln!(out, "Log: {}", log.display()).context("cannot write")?;
        }
    }
    Ok(match report.outcome {
        Outcome::Done | Outcome::AlreadyDone => ExitCode::Ok,
        Outcome::RolledBack => ExitCode::Error,
    })
}
