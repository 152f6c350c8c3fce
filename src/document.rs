//! The documents leapfrog keeps in a root, behind one trait: each has a path in the
//! [`Workspace`], a schema identifier checked when it is read, and one way to be written —
//! [`leapfrog_base::atomic::write_atomic`] (temporary file, fsync, rename, directory fsync).
//!
//! | document | path | schema | written by | read by |
//! |---|---|---|---|---|
//! | [`crate::plan::PlanDocument`] | `var/lib/leapfrog/plan.json` | `leapfrog-plan/2` | `plan`, `upgrade` | `download`, `apply`, `why`, `status`, `upgrade` |
//! | [`crate::download::DownloadRecord`] | `var/lib/leapfrog/download.json` | `leapfrog-download/1` | `download`, `upgrade` | `apply`, `status`, `upgrade` |
//! | [`crate::apply::state::State`] | `var/lib/leapfrog/state.json` | `leapfrog-state/2` | `apply`, `rollback`, `commit`, `offline` | the same, `status`, `cancel` |
//! | [`crate::boot::staged::Staged`] | `var/lib/leapfrog/staged.json` | `leapfrog-staged/1` | `upgrade`, `offline`, `cancel` | `status`, `offline`, `cancel`, `upgrade` |
//! | [`crate::assess::FactsDocument`] | `var/lib/leapfrog/facts.json` | `leapfrog-facts/1` | `preupgrade`, `upgrade` | operators, support |
//! | [`crate::assess::report::ReportDocument`] | `var/log/leapfrog/report.json` | leapp's report + `leapfrog.format` 1 | `preupgrade`, `upgrade` | operators, Ansible |
//! | [`crate::assess::answerfile::Answerfile`] | `var/log/leapfrog/answerfile` | leapp's INI | `preupgrade`, `answer` | `preupgrade` |
//!
//! `report.txt` is text for people and is written with the same writer
//! ([`write_text`]).

use std::io;
use std::path::{Path, PathBuf};

use leapfrog_base::atomic::{Failpoints, write_atomic};

use crate::workspace::Workspace;

/// Why a document cannot be read or written.
#[derive(Debug, thiserror::Error)]
pub enum DocumentError {
    /// A document that must exist does not.
    #[error("there is no {what} at {} ({hint})", path.display())]
    Missing {
        /// What it is.
        what: &'static str,
        /// Where it should be.
        path: PathBuf,
        /// What makes it.
        hint: &'static str,
    },
    /// The file cannot be read.
    #[error("cannot read the {what} {}", path.display())]
    Read {
        /// What it is.
        what: &'static str,
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: io::Error,
    },
    /// The file is not such a document.
    #[error("{} is not a valid {what}: {message}", path.display())]
    Parse {
        /// What it is.
        what: &'static str,
        /// The file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// The file has another schema.
    #[error("{} has schema {found:?}, this leapfrog reads {expected:?}{}", path.display(), if hint.is_empty() { String::new() } else { format!(": {hint}") })]
    Schema {
        /// The file.
        path: PathBuf,
        /// Schema found.
        found: String,
        /// Schema this leapfrog reads.
        expected: &'static str,
        /// What to do.
        hint: &'static str,
    },
    /// The file cannot be written.
    #[error("cannot write the {what} {}", path.display())]
    Write {
        /// What it is.
        what: &'static str,
        /// The file.
        path: PathBuf,
        /// Why (a failpoint of the crash tests appears here too).
        #[source]
        source: io::Error,
    },
}

/// What a document's decoder can find wrong.
#[derive(Debug)]
pub enum Invalid {
    /// Not the document's format.
    Parse(String),
    /// Another schema (found).
    Schema(String),
}

/// A document of the workspace.
pub trait Document: Sized {
    /// What it is called in messages (`plan`, `executor state`).
    const WHAT: &'static str;
    /// The schema identifier this leapfrog writes and reads.
    const SCHEMA: &'static str;
    /// What makes it, for the message when it is missing or of another schema.
    const HINT: &'static str = "";
    /// Failpoints of its atomic write (crash tests).
    const FAILPOINTS: Failpoints = Failpoints::NONE;

    /// Where it lives.
    fn path(ws: &Workspace) -> PathBuf;

    /// Its bytes on disk.
    ///
    /// # Errors
    ///
    /// When it cannot be encoded (never for the JSON documents of leapfrog's own types).
    fn encode(&self) -> Result<Vec<u8>, String>;

    /// Reads it from its bytes, checking the schema.
    ///
    /// # Errors
    ///
    /// [`Invalid`].
    fn decode(bytes: &[u8]) -> Result<Self, Invalid>;

    /// Reads the document of `ws`; `Ok(None)` when there is none.
    ///
    /// # Errors
    ///
    /// When the file exists but cannot be read, is not such a document, or has another
    /// schema.
    fn load(ws: &Workspace) -> Result<Option<Self>, DocumentError> {
        let path = Self::path(ws);
        let bytes = match std::fs::read(&path) {
            Ok(b) => b,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(source) => {
                return Err(DocumentError::Read {
                    what: Self::WHAT,
                    path,
                    source,
                });
            }
        };
        match Self::decode(&bytes) {
            Ok(doc) => Ok(Some(doc)),
            Err(Invalid::Parse(message)) => Err(DocumentError::Parse {
                what: Self::WHAT,
                path,
                message,
            }),
            Err(Invalid::Schema(found)) => Err(DocumentError::Schema {
                path,
                found,
                expected: Self::SCHEMA,
                hint: Self::HINT,
            }),
        }
    }

    /// [`Document::load`] of a document that must exist.
    ///
    /// # Errors
    ///
    /// [`DocumentError::Missing`] naming what makes it, or the errors of [`Document::load`].
    fn require(ws: &Workspace) -> Result<Self, DocumentError> {
        Self::load(ws)?.ok_or_else(|| DocumentError::Missing {
            what: Self::WHAT,
            path: Self::path(ws),
            hint: Self::HINT,
        })
    }

    /// Writes the document atomically; returns its path.
    ///
    /// # Errors
    ///
    /// When it cannot be written (or a failpoint of its write fires).
    fn save(&self, ws: &Workspace) -> Result<PathBuf, DocumentError> {
        let path = Self::path(ws);
        let write_err = |source: io::Error| DocumentError::Write {
            what: Self::WHAT,
            path: path.clone(),
            source,
        };
        let bytes = self.encode().map_err(|m| write_err(io::Error::other(m)))?;
        write_atomic(&path, &bytes, Self::FAILPOINTS).map_err(write_err)?;
        Ok(path)
    }

    /// Removes the document, if there is one.
    ///
    /// # Errors
    ///
    /// When it exists and cannot be removed.
    fn remove(ws: &Workspace) -> Result<bool, DocumentError> {
        let path = Self::path(ws);
        match std::fs::remove_file(&path) {
            Ok(()) => Ok(true),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(false),
            Err(source) => Err(DocumentError::Write {
                what: Self::WHAT,
                path,
                source,
            }),
        }
    }
}

/// A JSON document of leapfrog's own: a serde type whose `schema` field holds
/// [`Document::SCHEMA`]. [`json_document!`](crate::json_document) implements [`Document`] for
/// it.
pub mod json {
    use super::Invalid;

    /// Pretty JSON with a final newline.
    ///
    /// # Errors
    ///
    /// When serde cannot encode it.
    pub fn encode<T: serde::Serialize>(doc: &T) -> Result<Vec<u8>, String> {
        let mut bytes = serde_json::to_vec_pretty(doc).map_err(|e| e.to_string())?;
        bytes.push(b'\n');
        Ok(bytes)
    }

    /// Parses `bytes`, first checking that the top-level `schema` is `expected` (so that a
    /// document of another schema is named as such, not as a parse error of a field that
    /// changed).
    ///
    /// # Errors
    ///
    /// [`Invalid`].
    pub fn decode<T: serde::de::DeserializeOwned>(
        bytes: &[u8],
        expected: &str,
    ) -> Result<T, Invalid> {
        #[derive(serde::Deserialize)]
        struct Head {
            schema: Option<String>,
        }
        let head: Head =
            serde_json::from_slice(bytes).map_err(|e| Invalid::Parse(e.to_string()))?;
        match head.schema {
            Some(s) if s == expected => {}
            Some(s) => return Err(Invalid::Schema(s)),
            None => return Err(Invalid::Schema(String::new())),
        }
        serde_json::from_slice(bytes).map_err(|e| Invalid::Parse(e.to_string()))
    }
}

/// Implements [`Document`] for a serde type with a `schema: String` field.
///
/// ```ignore
/// json_document!(PlanDocument, "plan", SCHEMA, Workspace::plan_path, hint = "run `leapfrog plan` first");
/// ```
#[macro_export]
macro_rules! json_document {
    ($ty:ty, $what:expr, $schema:expr, $path:expr $(, hint = $hint:expr)? $(, failpoints = $fp:expr)?) => {
        impl $crate::document::Document for $ty {
            const WHAT: &'static str = $what;
            const SCHEMA: &'static str = $schema;
            $(const HINT: &'static str = $hint;)?
            $(const FAILPOINTS: leapfrog_base::atomic::Failpoints = $fp;)?

            fn path(ws: &$crate::workspace::Workspace) -> std::path::PathBuf {
                $path(ws)
            }

            fn encode(&self) -> Result<Vec<u8>, String> {
                $crate::document::json::encode(self)
            }

            fn decode(bytes: &[u8]) -> Result<Self, $crate::document::Invalid> {
                $crate::document::json::decode(bytes, $schema)
            }
        }
    };
}

/// Writes a text file of the workspace (`report.txt`) with the one atomic writer.
///
/// # Errors
///
/// When it cannot be written.
pub fn write_text(path: &Path, what: &'static str, text: &str) -> Result<(), DocumentError> {
    write_atomic(path, text.as_bytes(), Failpoints::NONE).map_err(|source| DocumentError::Write {
        what,
        path: path.to_path_buf(),
        source,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, PartialEq, serde::Serialize, serde::Deserialize)]
    struct Doc {
        schema: String,
        value: u32,
    }

    json_document!(
        Doc,
        "test document",
        "leapfrog-test/1",
        |ws: &Workspace| ws.state_dir().join("doc.json"),
        hint = "make one"
    );

    #[test]
    fn round_trip_missing_and_schema() {
        let d = tempfile::tempdir().unwrap();
        let ws = Workspace::open(d.path()).unwrap();
        assert!(Doc::load(&ws).unwrap().is_none());
        let e = Doc::require(&ws).unwrap_err().to_string();
        assert!(
            e.contains("there is no test document") && e.contains("make one"),
            "{e}"
        );
        let doc = Doc {
            schema: "leapfrog-test/1".into(),
            value: 7,
        };
        let path = doc.save(&ws).unwrap();
        assert!(std::fs::read_to_string(&path).unwrap().ends_with("}\n"));
        assert_eq!(Doc::require(&ws).unwrap(), doc);
        std::fs::write(&path, r#"{"schema": "leapfrog-test/9", "value": "x"}"#).unwrap();
        let e = Doc::load(&ws).unwrap_err().to_string();
        assert!(
            e.contains(
                "has schema \"leapfrog-test/9\", this leapfrog reads \"leapfrog-test/1\": make one"
            ),
            "{e}"
        );
        std::fs::write(&path, "{not json").unwrap();
        let e = Doc::load(&ws).unwrap_err().to_string();
        assert!(e.contains("is not a valid test document"), "{e}");
        std::fs::write(&path, r#"{"schema": "leapfrog-test/1", "value": "x"}"#).unwrap();
        assert!(matches!(
            Doc::load(&ws).unwrap_err(),
            DocumentError::Parse { .. }
        ));
        assert!(Doc::remove(&ws).unwrap());
        assert!(!Doc::remove(&ws).unwrap());
    }
}
