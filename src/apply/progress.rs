//! What the executor reports while it works: one [`Event`] per phase change, step, package and
//! warning. The executor writes every event to its log file in the root
//! (`var/log/leapfrog/apply.log`) and hands it to a [`Sink`]: the command line turns events
//! into a progress bar, plain lines or a JSON-lines stream (`--json`).

use std::fs;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};

use serde::Serialize;

use super::state::PhaseName;

/// One thing that happened.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "event", rename_all = "kebab-case")]
pub enum Event {
    /// The state machine entered a phase.
    Phase {
        /// The phase.
        phase: PhaseName,
        /// Why.
        note: String,
    },
    /// A step started or finished (`verify-packages`, `snapshot`, `transaction`, `post`...).
    Step {
        /// Step name.
        step: String,
        /// What it did or is doing.
        message: String,
    },
    /// rpm starts installing or erasing a package.
    Package {
        /// `install` or `erase`.
        action: String,
        /// NEVRA.
        package: String,
        /// Elements finished before this one.
        done: u64,
        /// Elements in the transaction.
        total: u64,
    },
    /// Something the operator should read (a scriptlet warning, a leftover).
    Warning {
        /// The message.
        message: String,
    },
    /// A failure, before the rollback it causes.
    Error {
        /// The message.
        message: String,
    },
}

impl Event {
    /// One human line (what the log file holds after the time stamp).
    pub fn line(&self) -> String {
        match self {
            Event::Phase { phase, note } if note.is_empty() => format!("phase {phase}"),
            Event::Phase { phase, note } => format!("phase {phase}: {note}"),
            Event::Step { step, message } => format!("{step}: {message}"),
            Event::Package {
                action,
                package,
                done,
                total,
            } => format!("[{}/{total}] {action} {package}", done + 1),
            Event::Warning { message } => format!("warning: {message}"),
            Event::Error { message } => format!("error: {message}"),
        }
    }
}

/// Receives events (on the executor's thread, also from inside librpm's callback: it must not
/// call into librpm and must not panic).
pub type Callback = Box<dyn FnMut(&Event) + Send>;

/// The log file plus the caller's callback, shareable with librpm's progress observer.
#[derive(Clone)]
pub struct Sink {
    inner: Arc<Mutex<SinkInner>>,
}

struct SinkInner {
    log: Option<fs::File>,
    log_path: Option<PathBuf>,
    callback: Callback,
}

impl std::fmt::Debug for Sink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sink").finish_non_exhaustive()
    }
}

impl Sink {
    /// A sink calling `callback` only.
    pub fn new(callback: Callback) -> Sink {
        Sink {
            inner: Arc::new(Mutex::new(SinkInner {
                log: None,
                log_path: None,
                callback,
            })),
        }
    }

    /// A sink that discards events.
    pub fn discard() -> Sink {
        Sink::new(Box::new(|_| {}))
    }

    /// Also appends every event to the log file `path` (created with its directory). Returns
    /// the log path.
    ///
    /// # Errors
    ///
    /// When the directory or the file cannot be created.
    pub fn log_to(&self, path: &Path) -> std::io::Result<PathBuf> {
        if let Some(dir) = path.parent() {
            fs::create_dir_all(dir)?;
        }
        let path = path.to_path_buf();
        let file = fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)?;
        let mut inner = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        inner.log = Some(file);
        inner.log_path = Some(path.clone());
        Ok(path)
    }

    /// The log file, when there is one.
    pub fn log_path(&self) -> Option<PathBuf> {
        self.inner
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .log_path
            .clone()
    }

    /// Records and forwards one event. A log write error is reported once through `tracing`
    /// and otherwise ignored: a full disk must not stop a rollback.
    pub fn emit(&self, event: Event) {
        let mut inner = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(log) = inner.log.as_mut() {
            let stamp = humantime::format_rfc3339_millis(std::time::SystemTime::now());
            if let Err(e) = writeln!(log, "{stamp} {}", event.line()) {
                tracing::warn!("cannot write the executor log: {e}");
                inner.log = None;
            }
        }
        (inner.callback)(&event);
    }

    /// Flushes the log to disk.
    pub fn sync(&self) {
        let inner = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(log) = inner.log.as_ref() {
            let _ = log.sync_data();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_serialise_with_a_tag_and_read_as_lines() {
        let e = Event::Package {
            action: "install".into(),
            package: "bash-5.1-1.el9.x86_64".into(),
            done: 2,
            total: 10,
        };
        assert_eq!(
            serde_json::to_string(&e).unwrap(),
            r#"{"event":"package","action":"install","package":"bash-5.1-1.el9.x86_64","done":2,"total":10}"#
        );
        assert_eq!(e.line(), "[3/10] install bash-5.1-1.el9.x86_64");
        let p = Event::Phase {
            phase: PhaseName::RollingBack,
            note: "the transaction failed".into(),
        };
        assert_eq!(p.line(), "phase rolling-back: the transaction failed");
        assert!(
            serde_json::to_string(&p)
                .unwrap()
                .contains(r#""phase":"rolling-back""#)
        );
    }

    #[test]
    fn the_sink_logs_and_forwards() {
        let d = tempfile::tempdir().unwrap();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let s2 = seen.clone();
        let sink = Sink::new(Box::new(move |e| s2.lock().unwrap().push(e.line())));
        let path = sink
            .log_to(&d.path().join("var/log/leapfrog/apply.log"))
            .unwrap();
        sink.emit(Event::Warning {
            message: "x".into(),
        });
        sink.sync();
        assert_eq!(*seen.lock().unwrap(), vec!["warning: x".to_string()]);
        let text = fs::read_to_string(&path).unwrap();
        assert!(text.trim_end().ends_with(" warning: x"), "{text}");
        assert_eq!(sink.log_path(), Some(path));
    }
}
