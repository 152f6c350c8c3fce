//! The pre-upgrade report: `report.json` in leapp's report format (schema 1.2.0, so tooling that
//! reads leapp reports reads ours) and `report.txt` / the terminal summary for people.

use std::fmt::Write as _;
use std::io::IsTerminal as _;

use leapfrog_actors::finding::{Finding, Severity};
use leapfrog_actors::host::HostFactsSource;
use leapfrog_actors::runner::Assessment;
use serde::Serialize;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

/// Everything about a run that is not a finding.
#[derive(Debug, Clone, Serialize)]
pub struct RunInfo {
    /// Unique id of this run.
    pub run_id: String,
    /// Host name of the assessed system.
    pub hostname: String,
    /// RFC 3339 time the report was made.
    pub time: String,
    /// Source release (`AlmaLinux 8.10`).
    pub source: String,
    /// Target (`almalinux-9.6`), when resolved.
    pub target: Option<String>,
    /// Where host facts came from.
    pub host_facts: HostFactsSource,
    /// Keys waived for this run.
    pub waived: Vec<String>,
}

/// Counts of a report.
#[derive(Debug, Clone, Copy, Default, Serialize, PartialEq, Eq)]
pub struct Counts {
    /// Inhibitors not waived.
    pub inhibitors: usize,
    /// Waived inhibitors.
    pub waived: usize,
    /// High.
    pub high: usize,
    /// Medium.
    pub medium: usize,
    /// Low.
    pub low: usize,
    /// Info.
    pub info: usize,
}

/// Counts findings by class.
pub fn counts(findings: &[Finding]) -> Counts {
    let mut c = Counts::default();
    for f in findings {
        if f.blocks() {
            c.inhibitors += 1;
        } else if f.waived {
            c.waived += 1;
        } else {
            match f.severity {
                Severity::High => c.high += 1,
                Severity::Medium => c.medium += 1,
                Severity::Low => c.low += 1,
                Severity::Info => c.info += 1,
            }
        }
    }
    c
}

/// One report entry in leapp's format.
pub fn entry(f: &Finding, info: &RunInfo) -> Value {
    let mut groups = f.groups.clone();
    if f.inhibitor {
        // leapp 1.2.0 carries the inhibitor flag as a group
        groups.push(if f.waived {
            "waived".into()
        } else {
            "inhibitor".into()
        });
    }
    let mut detail = serde_json::Map::new();
    if let Some(r) = &f.remediation {
        let mut rem = Vec::new();
        if !r.hint.is_empty() {
            rem.push(json!({"type": "hint", "context": r.hint}));
        }
        if let Some(cmd) = &r.command {
            rem.push(json!({"type": "command", "context": cmd}));
        }
        if !rem.is_empty() {
            detail.insert("remediations".into(), Value::Array(rem));
        }
    }
    if !f.related.is_empty() {
        detail.insert(
            "related_resources".into(),
            serde_json::to_value(&f.related).unwrap_or(Value::Null),
        );
    }
    let id = hex::encode(Sha256::digest(
        format!("{}\0{}\0{}", info.run_id, f.key, f.summary).as_bytes(),
    ));
    let mut e = json!({
        "hostname": info.hostname,
        "severity": f.severity.as_str(),
        "timeStamp": info.time,
        "title": f.title,
        "actor": f.actor,
        "summary": f.summary,
        "audience": "sysadmin",
        "groups": groups,
        "key": f.key,
        "id": id,
    });
    if !detail.is_empty() {
        e["detail"] = Value::Object(detail);
    }
    if let Some(q) = &f.question {
        e["question"] = serde_json::to_value(q).unwrap_or(Value::Null);
    }
    e
}

/// `report.json`: leapp's top level (`leapp_run_id`, `entries`) plus a `leapfrog` object with
/// the run's context and counts.
pub fn json_report(a: &Assessment, info: &RunInfo) -> Value {
    let c = counts(&a.findings);
    json!({
        "leapp_run_id": info.run_id,
        "entries": a.findings.iter().map(|f| entry(f, info)).collect::<Vec<_>>(),
        "leapfrog": {
            "version": env!("CARGO_PKG_VERSION"),
            "format": 1,
            "source": info.source,
            "target": info.target,
            "host_facts": info.host_facts,
            "waived": info.waived,
            "counts": c,
            "inhibited": c.inhibitors > 0,
            "actors": a.runs,
        }
    })
}

struct Style {
    on: bool,
}

impl Style {
    fn paint(&self, code: &str, s: &str) -> String {
        if self.on {
            format!("\x1b[{code}m{s}\x1b[0m")
        } else {
            s.to_string()
        }
    }
}

fn indent(text: &str, pad: &str) -> String {
    text.lines()
        .map(|l| format!("{pad}{l}"))
        .collect::<Vec<_>>()
        .join("\n")
}

fn shell_quote(argv: &[String]) -> String {
    argv.iter()
        .map(|a| {
            if !a.is_empty()
                && a.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-_./=:,+%@".contains(c))
            {
                a.clone()
            } else {
                format!("'{}'", a.replace('\'', "'\\''"))
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

fn render_finding(out: &mut String, f: &Finding, st: &Style, full: bool) {
    let tag = if f.blocks() {
        st.paint("1;31", "INHIBITOR")
    } else if f.waived {
        st.paint("33", "WAIVED")
    } else {
        match f.severity {
            Severity::High => st.paint("31", "high"),
            Severity::Medium => st.paint("33", "medium"),
            Severity::Low => "low".to_string(),
            Severity::Info => "info".to_string(),
        }
    };
    let _ = writeln!(out, "[{tag}] {}  ({})", f.title, f.key);
    if full {
        let _ = writeln!(out, "{}", indent(&f.summary, "    "));
    }
    if let Some(r) = &f.remediation {
        if !r.hint.is_empty() && (full || f.blocks()) {
            let _ = writeln!(out, "    Fix: {}", r.hint);
        }
        if let Some(cmd) = &r.command
            && (full || f.blocks())
        {
            let _ = writeln!(out, "    Run: {}", shell_quote(cmd));
        }
    }
}

/// `report.txt`: every finding in full, inhibitors first.
pub fn text_report(a: &Assessment, info: &RunInfo) -> String {
    render(a, info, &Style { on: false }, true)
}

/// The terminal summary: inhibitors in full with their fixes, the rest one line each; colours
/// only when stdout is a terminal.
pub fn terminal_summary(a: &Assessment, info: &RunInfo) -> String {
    render(
        a,
        info,
        &Style {
            on: std::io::stdout().is_terminal(),
        },
        false,
    )
}

fn render(a: &Assessment, info: &RunInfo, st: &Style, full: bool) -> String {
    let c = counts(&a.findings);
    let mut out = String::new();
    let target = info
        .target
        .clone()
        .unwrap_or_else(|| "(no supported target)".into());
    let _ = writeln!(
        out,
        "leapfrog pre-upgrade report: {} -> {}",
        info.source, target
    );
    let verdict = if c.inhibitors > 0 {
        st.paint("1;31", &format!("BLOCKED by {} inhibitor(s)", c.inhibitors))
    } else {
        st.paint("1;32", "no inhibitors: the upgrade can proceed")
    };
    let _ = writeln!(
        out,
        "{verdict}; {} high, {} medium, {} low, {} info{}\n",
        c.high,
        c.medium,
        c.low,
        c.info,
        if c.waived > 0 {
            format!(", {} waived", c.waived)
        } else {
            String::new()
        }
    );
    for f in &a.findings {
        if !full && !f.blocks() && f.severity == Severity::Info {
            continue;
        }
        render_finding(&mut out, f, st, full || f.blocks());
    }
    if !full && c.info > 0 {
        let _ = writeln!(
            out,
            "({} informational findings are in the full report)",
            c.info
        );
    }
    if let HostFactsSource::Unknown = info.host_facts {
        let _ = writeln!(
            out,
            "\nHost facts were not available (a root other than / without --host-facts): checks of the running kernel, memory, CPU, mounts and devices did not run."
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info() -> RunInfo {
        RunInfo {
            run_id: "r".into(),
            hostname: "h".into(),
            time: "2026-01-01T00:00:00Z".into(),
            source: "AlmaLinux 8.10".into(),
            target: Some("almalinux-9.6".into()),
            host_facts: HostFactsSource::Live,
            waived: vec![],
        }
    }

    #[test]
    fn entries_carry_inhibitor_group_and_remediations() {
        let f = Finding::inhibitor("a.b", "x_check", "T", "S")
            .hint("h")
            .command(["dnf", "remove", "x y"]);
        let e = entry(&f, &info());
        assert_eq!(e["groups"], json!(["inhibitor"]));
        assert_eq!(
            e["detail"]["remediations"][1]["context"],
            json!(["dnf", "remove", "x y"])
        );
        let plain = entry(&Finding::new("a.c", "x", Severity::Info, "T", "S"), &info());
        assert!(
            plain.get("detail").is_none(),
            "no empty detail (the schema needs one of its keys)"
        );
        let mut w = f.clone();
        w.waived = true;
        assert_eq!(entry(&w, &info())["groups"], json!(["waived"]));
    }

    #[test]
    fn counts_and_shell_quoting() {
        let mut w = Finding::inhibitor("w", "x", "T", "S");
        w.waived = true;
        let fs = [
            Finding::inhibitor("a", "x", "T", "S"),
            w,
            Finding::new("b", "x", Severity::Low, "T", "S"),
        ];
        assert_eq!(
            counts(&fs),
            Counts {
                inhibitors: 1,
                waived: 1,
                low: 1,
                ..Default::default()
            }
        );
        assert_eq!(
            shell_quote(&["echo".into(), "a b".into(), "it's".into()]),
            "echo 'a b' 'it'\\''s'"
        );
    }
}
