//! The one way the command line writes its results ([`Printer`]). The rule, for every verb:
//!
//! - stdout carries the result; logs, progress bars and notes go to stderr;
//! - text for people by default;
//! - with `--json`, **exactly one JSON document** on stdout — except for the verbs that run
//!   the executor and stream its events (`apply`, `rollback`, `commit`, `offline`), which print
//!   **JSON lines**: one event object per line as it happens (`{"event": "phase", ...}`), the
//!   last line being the result with `"event": "result"`.
//!
//! `docs/architecture.md` (Conventions) states the same rule; the integration tests parse the
//! output of every verb by it.

use std::fmt::Write as _;
use std::io::{IsTerminal as _, Write as _};

use anyhow::Context as _;
use serde::Serialize;

use crate::apply::progress::{Event, Sink};

/// How executor events show on a terminal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Progress {
    /// A redrawn progress bar with the phase lines above it (an interactive terminal).
    Bar,
    /// Plain lines even on a terminal: the upgrade environment's console, where kernel
    /// messages interleave and a serial console log would keep every redraw.
    Lines,
}

/// Writes results as text or JSON (see the module documentation).
#[derive(Debug, Clone, Copy)]
pub struct Printer {
    json: bool,
}

impl Printer {
    /// A printer for `--json` or text.
    pub fn new(json: bool) -> Self {
        Self { json }
    }

    /// Whether results are JSON.
    pub fn is_json(&self) -> bool {
        self.json
    }

    fn write(text: &str) -> anyhow::Result<()> {
        let mut out = std::io::stdout().lock();
        out.write_all(text.as_bytes())
            .and_then(|()| out.flush())
            .context("cannot write the result")
    }

    /// The result of a verb that does not stream: `report` as one JSON document, or the text
    /// `render` writes.
    ///
    /// # Errors
    ///
    /// When stdout cannot be written.
    pub fn document<T: Serialize + ?Sized>(
        &self,
        report: &T,
        render: impl FnOnce(&mut String) -> std::fmt::Result,
    ) -> anyhow::Result<()> {
        if self.json {
            let mut text =
                serde_json::to_string_pretty(report).context("cannot serialise the result")?;
            text.push('\n');
            Self::write(&text)
        } else {
            let mut text = String::new();
            render(&mut text).context("cannot render the result")?;
            Self::write(&text)
        }
    }

    /// The last line of a streaming verb: `report` with `"event": "result"` as one JSON line,
    /// or the text `render` writes.
    ///
    /// # Errors
    ///
    /// When stdout cannot be written.
    pub fn result<T: Serialize>(
        &self,
        report: &T,
        render: impl FnOnce(&mut String) -> std::fmt::Result,
    ) -> anyhow::Result<()> {
        if self.json {
            let mut doc = serde_json::to_value(report).context("cannot serialise the result")?;
            if let Some(o) = doc.as_object_mut() {
                o.insert("event".into(), "result".into());
            }
            let mut line = serde_json::to_string(&doc).context("cannot serialise the result")?;
            line.push('\n');
            Self::write(&line)
        } else {
            let mut text = String::new();
            render(&mut text).context("cannot render the result")?;
            Self::write(&text)
        }
    }

    /// Where a streaming verb's events go: JSON lines on stdout (`--json`), a progress bar
    /// with the phase lines above it (a terminal, with [`Progress::Bar`]), or plain lines (a
    /// pipe, a log, [`Progress::Lines`]): a package line every 2 seconds and for the last
    /// element.
    pub fn events(&self, progress: Progress) -> Sink {
        if self.json {
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
                if last_line.is_none_or(|t| now.duration_since(t).as_secs() >= 2)
                    || done + 1 >= *total
                {
                    last_line = Some(now);
                    println!("{}", e.line());
                }
            }
            (other, Some(bar)) if !bar.is_hidden() && !bar.is_finished() => {
                bar.println(other.line())
            }
            (other, _) => println!("{}", other.line()),
        }))
    }

    /// Whether a download progress bar may be drawn (text mode on a terminal).
    pub fn progress_bars(&self) -> bool {
        !self.json && std::io::stderr().is_terminal()
    }
}

/// Writes `items` as `  - item` lines.
pub fn bullets(out: &mut String, items: &[impl AsRef<str>]) -> std::fmt::Result {
    for i in items {
        writeln!(out, "  - {}", i.as_ref())?;
    }
    Ok(())
}
