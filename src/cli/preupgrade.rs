//! `leapfrog preupgrade`: assess whether the root can be upgraded, without changing it.
//!
//! Writes only `<root>/var/log/leapfrog/{report.json,report.txt,answerfile}` and
//! `<root>/var/lib/leapfrog/facts.json`. Exit code 0 when nothing blocks the upgrade, 2 when
//! inhibitors do, 1 when the assessment itself failed.

use std::collections::BTreeSet;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use clap::Args;
use leapfrog_actors::facts::rootfs::RootFs;
use leapfrog_actors::host::HostFacts;
use leapfrog_actors::model::Env;
use leapfrog_actors::runner;
use leapfrog_actors::upgrade_paths::TargetSpec;

use super::GlobalArgs;
use crate::exit::ExitCode;
use crate::{answerfile, report};

/// Where reports go inside the root.
pub const LOG_DIR: &str = "var/log/leapfrog";
/// Where leapfrog keeps state inside the root.
pub const STATE_DIR: &str = "var/lib/leapfrog";
/// The waiver file inside the root: one finding key per line.
pub const WAIVER_FILE: &str = "etc/leapfrog/waivers";

/// Options of `leapfrog preupgrade`.
#[derive(Debug, Clone, Args)]
pub struct PreupgradeArgs {
    /// The target: DISTRO-MAJOR[.MINOR], e.g. almalinux-9, almalinux-9.6, rocky-8 (default: the
    /// newest supported path for the installed release)
    #[arg(long, value_name = "DISTRO[-VERSION]")]
    pub target: Option<TargetSpec>,

    /// Waive the inhibitor with this key (repeatable): it is reported as waived and no longer
    /// blocks. Keys can also be listed in <root>/etc/leapfrog/waivers
    #[arg(long = "waive", value_name = "KEY")]
    pub waive: Vec<String>,

    /// Host facts (running kernel, memory, CPU, mounts, devices) from this JSON file instead of
    /// the running system; needed for a --root other than / and for offline assessment
    #[arg(long, value_name = "FILE")]
    pub host_facts: Option<PathBuf>,

    /// Show how long each actor took
    #[arg(long)]
    pub timings: bool,

    /// Target repository sources `upgrade` passes on (its --target-repo-file, --local-repo and
    /// --iso): the assessment counts them as configured target repositories
    #[arg(skip)]
    pub target_sources: Vec<String>,
}

fn read_waivers(root: &Path, cli: &[String]) -> anyhow::Result<BTreeSet<String>> {
    let mut set: BTreeSet<String> = cli.iter().map(|s| s.trim().to_string()).collect();
    let file = root.join(WAIVER_FILE);
    match std::fs::read_to_string(&file) {
        Ok(text) => set.extend(
            text.lines()
                .map(str::trim)
                .filter(|l| !l.is_empty() && !l.starts_with('#'))
                .map(str::to_string),
        ),
        Err(e) if e.kind() == io::ErrorKind::NotFound => {}
        Err(e) => {
            return Err(e)
                .with_context(|| format!("cannot read the waiver file {}", file.display()));
        }
    }
    Ok(set)
}

fn host_facts(root: &Path, file: Option<&Path>) -> anyhow::Result<HostFacts> {
    if let Some(f) = file {
        return HostFacts::from_file(f).context("cannot use the host facts file");
    }
    let is_live = root
        .canonicalize()
        .map(|p| p == Path::new("/"))
        .unwrap_or(false);
    Ok(if is_live {
        HostFacts::live()
    } else {
        HostFacts::default()
    })
}

fn run_id() -> String {
    use sha2::Digest as _;
    let seed = format!("{:?}{}", std::time::SystemTime::now(), std::process::id());
    let h = hex::encode(sha2::Sha256::digest(seed.as_bytes()));
    format!(
        "{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    )
}

fn write_atomic(path: &Path, bytes: &[u8]) -> io::Result<()> {
    leapfrog_base::atomic::write_atomic(path, bytes, leapfrog_base::atomic::Failpoints::NONE)
}

/// Runs `leapfrog preupgrade`.
///
/// # Errors
///
/// When the root, the host facts, the waivers or the answerfile cannot be read, or the report
/// cannot be written.
pub fn run(global: &GlobalArgs, args: &PreupgradeArgs) -> anyhow::Result<ExitCode> {
    let root = &global.root;
    let rootfs = RootFs::new(root)
        .with_context(|| format!("cannot use {} as the root to assess", root.display()))?;
    let host = host_facts(root, args.host_facts.as_deref())?;
    let waivers = read_waivers(root, &args.waive)?;
    let answers = answerfile::read_answers(root).context("cannot read the answerfile")?;
    let env = Env {
        target_sources: args.target_sources.clone(),
        ..Env::new(rootfs, host)
    };
    let assessment = runner::assess(&env, args.target.as_ref(), &answers, &waivers);

    let source = assessment
        .facts
        .release
        .get()
        .map(|r| format!("{} {}", r.os.name, r.os.version_id))
        .unwrap_or_else(|| "unknown release".to_string());
    let hostname = std::fs::read_to_string(root.join("etc/hostname"))
        .map(|h| h.trim().to_string())
        .ok()
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "localhost".into());
    let info = report::RunInfo {
        run_id: run_id(),
        hostname,
        time: humantime::format_rfc3339_micros(std::time::SystemTime::now()).to_string(),
        source,
        target: assessment.target.as_ref().map(|t| t.id()),
        host_facts: env.host.source.clone(),
        waived: waivers.iter().cloned().collect(),
    };
    let json = report::json_report(&assessment, &info);
    let log_dir = root.join(LOG_DIR);
    let json_text = serde_json::to_string_pretty(&json).context("cannot serialise the report")?;
    write_atomic(&log_dir.join("report.json"), json_text.as_bytes())
        .with_context(|| format!("cannot write the report in {}", log_dir.display()))?;
    write_atomic(
        &log_dir.join("report.txt"),
        report::text_report(&assessment, &info).as_bytes(),
    )
    .with_context(|| format!("cannot write the report in {}", log_dir.display()))?;
    let questions: Vec<_> = assessment
        .findings
        .iter()
        .filter_map(|f| f.question.as_ref())
        .collect();
    answerfile::write_questions(root, &questions).context("cannot write the answerfile")?;
    let facts_json = serde_json::to_vec_pretty(&serde_json::json!({"facts": &assessment.facts, "host": &env.host, "target": &assessment.target}))
        .context("cannot serialise the facts")?;
    write_atomic(&root.join(STATE_DIR).join("facts.json"), &facts_json)
        .context("cannot write the facts")?;

    let mut out = io::stdout().lock();
    if global.json {
        writeln!(out, "{json_text}").context("cannot write the report")?;
    } else {
        write!(out, "{}", report::terminal_summary(&assessment, &info))
            .context("cannot write the report")?;
        writeln!(
            out,
            "\nFull report: {}",
            log_dir.join("report.txt").display()
        )
        .context("cannot write the report")?;
        if args.timings {
            let mut runs = assessment.runs.clone();
            runs.sort_by(|a, b| b.millis.total_cmp(&a.millis));
            writeln!(out, "\nActor timings:").context("cannot write the report")?;
            for r in runs {
                writeln!(
                    out,
                    "  {:>8.2} ms  {}{}",
                    r.millis,
                    r.id,
                    r.error
                        .as_deref()
                        .map(|e| format!("  (failed: {e})"))
                        .unwrap_or_default()
                )
                .context("cannot write the report")?;
            }
        }
    }
    out.flush().context("cannot write the report")?;
    Ok(if assessment.blocking().next().is_some() {
        ExitCode::Inhibited
    } else {
        ExitCode::Ok
    })
}
