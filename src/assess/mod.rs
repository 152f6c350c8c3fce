//! `leapfrog preupgrade` as a library call: [`assess`] runs every scanner and check of the
//! actors crate against the workspace's root, with the operator's waivers and answers, and
//! writes what it found — `report.json` ([`ReportDocument`], leapp's format), `report.txt`,
//! the answerfile ([`answerfile::Answerfile`]) and `facts.json` ([`FactsDocument`]) — changing
//! nothing else in the root.

pub mod answerfile;
pub mod report;

use std::collections::BTreeSet;
use std::io;
use std::path::PathBuf;

use anyhow::Context as _;
use leapfrog_actors::facts::rootfs::RootFs;
use leapfrog_actors::host::HostFacts;
use leapfrog_actors::model::Env;
use leapfrog_actors::runner::{self, Assessment};
use leapfrog_actors::upgrade_paths::TargetSpec;
use serde::{Deserialize, Serialize};

use crate::document::{Document, Invalid};
use crate::workspace::Workspace;

/// What the assessment needs besides the root.
#[derive(Debug, Clone, Default)]
pub struct AssessInputs {
    /// The target; `None`: the newest supported path.
    pub target: Option<TargetSpec>,
    /// Inhibitors to waive (besides the waiver file).
    pub waive: Vec<String>,
    /// Host facts from this file instead of the running system.
    pub host_facts: Option<PathBuf>,
    /// Target repository sources given on the command line (counted as configured target
    /// repositories).
    pub target_sources: Vec<String>,
}

/// `report.json`: leapp's report (`leapp_run_id`, `entries`) plus a `leapfrog` object whose
/// `format` is the schema version.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ReportDocument(pub serde_json::Value);

impl Document for ReportDocument {
    const WHAT: &'static str = "assessment report";
    const SCHEMA: &'static str = "leapp report 1.2.0 + leapfrog.format 1";
    const HINT: &'static str = "run `leapfrog preupgrade` first";

    fn path(ws: &Workspace) -> PathBuf {
        ws.report_json_path()
    }

    fn encode(&self) -> Result<Vec<u8>, String> {
        crate::document::json::encode(&self.0)
    }

    fn decode(bytes: &[u8]) -> Result<Self, Invalid> {
        let v: serde_json::Value =
            serde_json::from_slice(bytes).map_err(|e| Invalid::Parse(e.to_string()))?;
        match v
            .pointer("/leapfrog/format")
            .and_then(serde_json::Value::as_u64)
        {
            Some(1) => Ok(ReportDocument(v)),
            Some(n) => Err(Invalid::Schema(format!("leapfrog.format {n}"))),
            None => Err(Invalid::Parse("no leapfrog.format".into())),
        }
    }
}

/// The schema of `facts.json`.
pub const FACTS_SCHEMA: &str = "leapfrog-facts/1";

/// `facts.json`: the facts of the last assessment, for support and automation.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FactsDocument {
    /// [`FACTS_SCHEMA`].
    pub schema: String,
    /// The facts of the root.
    pub facts: serde_json::Value,
    /// The host facts.
    pub host: serde_json::Value,
    /// The resolved target.
    pub target: serde_json::Value,
}

crate::json_document!(
    FactsDocument,
    "facts record",
    FACTS_SCHEMA,
    Workspace::facts_path,
    hint = "run `leapfrog preupgrade` first"
);

/// What [`assess`] found and wrote.
#[derive(Debug)]
pub struct AssessReport {
    /// The assessment.
    pub assessment: Assessment,
    /// The run's context.
    pub info: report::RunInfo,
    /// `report.json` as written.
    pub report: ReportDocument,
    /// Where the reports are.
    pub report_json: PathBuf,
    /// The text report.
    pub report_text: PathBuf,
}

impl AssessReport {
    /// Whether an inhibitor (not waived) blocks the upgrade.
    pub fn inhibited(&self) -> bool {
        self.assessment.blocking().next().is_some()
    }
}

fn read_waivers(ws: &Workspace, cli: &[String]) -> anyhow::Result<BTreeSet<String>> {
    let mut set: BTreeSet<String> = cli.iter().map(|s| s.trim().to_string()).collect();
    let file = ws.waivers_path();
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

fn host_facts(ws: &Workspace, file: Option<&std::path::Path>) -> anyhow::Result<HostFacts> {
    if let Some(f) = file {
        return HostFacts::from_file(f).context("cannot use the host facts file");
    }
    Ok(if ws.is_live() {
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

/// Assesses the root and writes the reports (see the module documentation).
///
/// # Errors
///
/// When the root, the host facts, the waivers or the answerfile cannot be read, or the reports
/// cannot be written.
pub fn assess(ws: &Workspace, inputs: &AssessInputs) -> anyhow::Result<AssessReport> {
    let rootfs = RootFs::new(ws.root())
        .with_context(|| format!("cannot use {} as the root to assess", ws.root().display()))?;
    let host = host_facts(ws, inputs.host_facts.as_deref())?;
    let waivers = read_waivers(ws, &inputs.waive)?;
    let answers = answerfile::read_answers(ws).context("cannot read the answerfile")?;
    let env = Env {
        target_sources: inputs.target_sources.clone(),
        ..Env::new(rootfs, host)
    };
    let assessment = runner::assess(&env, inputs.target.as_ref(), &answers, &waivers);

    let source = assessment
        .facts
        .release
        .get()
        .map(|r| format!("{} {}", r.os.name, r.os.version_id))
        .unwrap_or_else(|| "unknown release".to_string());
    let hostname = std::fs::read_to_string(ws.in_root("etc/hostname"))
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
    let doc = ReportDocument(report::json_report(&assessment, &info));
    let report_json = doc.save(ws).context("cannot write the report")?;
    let report_text = ws.report_text_path();
    crate::document::write_text(
        &report_text,
        "text report",
        &report::text_report(&assessment, &info),
    )
    .context("cannot write the report")?;
    let questions: Vec<_> = assessment
        .findings
        .iter()
        .filter_map(|f| f.question.as_ref())
        .collect();
    answerfile::write_questions(ws, &questions).context("cannot write the answerfile")?;
    FactsDocument {
        schema: FACTS_SCHEMA.to_string(),
        facts: serde_json::to_value(&assessment.facts).context("cannot serialise the facts")?,
        host: serde_json::to_value(&env.host).context("cannot serialise the host facts")?,
        target: serde_json::to_value(&assessment.target).context("cannot serialise the target")?,
    }
    .save(ws)
    .context("cannot write the facts")?;
    Ok(AssessReport {
        assessment,
        info,
        report: doc,
        report_json,
        report_text,
    })
}
