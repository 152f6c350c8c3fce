//! The answerfile: questions that need a human decision, in an INI file like leapp's
//! (`var/log/leapfrog/answerfile`, [`Answerfile`]). `leapfrog preupgrade` writes every
//! question with the answers given so far; `leapfrog answer --section SCOPE.KEY=VALUE` records
//! an answer.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::PathBuf;

use leapfrog_actors::facts::repos::parse_ini;
use leapfrog_actors::finding::Question;
use leapfrog_actors::model::Answers;

use crate::document::{Document, DocumentError, Invalid};
use crate::workspace::Workspace;

/// Errors of the answerfile.
#[derive(Debug, thiserror::Error)]
pub enum AnswerError {
    /// Unreadable, not an INI file, or unwritable.
    #[error(transparent)]
    Document(#[from] DocumentError),
    /// `--section` not of the form `SCOPE.KEY=VALUE`.
    #[error(
        "invalid answer {0:?}: expected SCOPE.KEY=VALUE, e.g. sshd_root_login.keep_password_login=yes"
    )]
    Format(String),
    /// A value the question does not accept.
    #[error("{name} accepts {choices}, not {value:?}")]
    Choice {
        /// `scope.key`.
        name: String,
        /// The accepted values.
        choices: String,
        /// What was given.
        value: String,
    },
}

/// A question as stored in the file (prompt and choices are kept in comments).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Entry {
    comment: Vec<String>,
    choices: Vec<String>,
    value: String,
}

type File = BTreeMap<String, BTreeMap<String, Entry>>;

/// The answerfile as a document of the workspace.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Answerfile(File);

impl Document for Answerfile {
    const WHAT: &'static str = "answerfile";
    const SCHEMA: &'static str = "leapp-answerfile (INI)";
    const HINT: &'static str = "written by `leapfrog preupgrade`";

    fn path(ws: &Workspace) -> PathBuf {
        ws.answerfile_path()
    }

    fn encode(&self) -> Result<Vec<u8>, String> {
        Ok(render(&self.0).into_bytes())
    }

    fn decode(bytes: &[u8]) -> Result<Self, Invalid> {
        let text = std::str::from_utf8(bytes).map_err(|e| Invalid::Parse(e.to_string()))?;
        parse(text).map(Answerfile).map_err(Invalid::Parse)
    }
}

fn parse(text: &str) -> Result<File, String> {
    let sections = parse_ini(text).map_err(|e| e.to_string())?;
    let mut file = File::new();
    for (section, pairs) in sections {
        let s = file.entry(section).or_default();
        for (k, v) in pairs {
            s.entry(k).or_default().value = v;
        }
    }
    // choices live in `# choices: a, b` comments just above the key
    let mut section = String::new();
    let mut pending: Option<Vec<String>> = None;
    for line in text.lines().map(str::trim) {
        if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            section = name.trim().to_string();
        } else if let Some(c) = line.strip_prefix("# choices:") {
            pending = Some(
                c.split(',')
                    .map(|x| x.trim().to_string())
                    .filter(|x| !x.is_empty())
                    .collect(),
            );
        } else if let Some((k, _)) = line.split_once('=')
            && !line.starts_with('#')
            && let Some(choices) = pending.take()
            && let Some(e) = file
                .get_mut(&section)
                .and_then(|s| s.get_mut(&k.trim().to_ascii_lowercase()))
        {
            e.choices = choices;
        }
    }
    Ok(file)
}

fn render(file: &File) -> String {
    let mut out = String::from(
        "# leapfrog answerfile: questions that need a decision before the upgrade.\n# Answer with `leapfrog answer --section SCOPE.KEY=VALUE` or edit the values below.\n",
    );
    for (section, keys) in file {
        let _ = write!(out, "\n[{section}]\n");
        for (key, e) in keys {
            for c in &e.comment {
                let _ = writeln!(out, "# {c}");
            }
            if !e.choices.is_empty() {
                let _ = writeln!(out, "# choices: {}", e.choices.join(", "));
            }
            let _ = writeln!(out, "{key}={}", e.value);
        }
    }
    out
}

fn read_file(ws: &Workspace) -> Result<File, AnswerError> {
    Ok(Answerfile::load(ws)?.unwrap_or_default().0)
}

fn write_file(ws: &Workspace, file: File) -> Result<PathBuf, AnswerError> {
    Ok(Answerfile(file).save(ws)?)
}

/// The answers given so far (`scope.key` -> value; empty values are unanswered).
pub fn read_answers(ws: &Workspace) -> Result<Answers, AnswerError> {
    let file = read_file(ws)?;
    Ok(file
        .into_iter()
        .flat_map(|(s, keys)| {
            keys.into_iter()
                .filter(|(_, e)| !e.value.is_empty())
                .map(move |(k, e)| (format!("{s}.{k}"), e.value))
        })
        .collect())
}

/// Rewrites the answerfile with every question of this run, keeping answers already given.
pub fn write_questions(ws: &Workspace, questions: &[&Question]) -> Result<PathBuf, AnswerError> {
    let mut file = read_file(ws)?;
    for q in questions {
        let e = file
            .entry(q.section.clone())
            .or_default()
            .entry(q.key.clone())
            .or_default();
        e.comment = vec![q.prompt.clone()];
        e.choices = q.choices.clone();
    }
    write_file(ws, file)
}

/// Records `SCOPE.KEY=VALUE` (checking the value against the question's choices when known).
pub fn answer(ws: &Workspace, assignment: &str) -> Result<PathBuf, AnswerError> {
    let fmt = || AnswerError::Format(assignment.to_string());
    let (name, value) = assignment.split_once('=').ok_or_else(fmt)?;
    let (section, key) = name.trim().split_once('.').ok_or_else(fmt)?;
    let valid = |s: &str| {
        !s.is_empty()
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    };
    if !valid(section) || !valid(key) {
        return Err(fmt());
    }
    let value = value.trim();
    let mut file = read_file(ws)?;
    let e = file
        .entry(section.to_string())
        .or_default()
        .entry(key.to_ascii_lowercase())
        .or_default();
    if !e.choices.is_empty() && !e.choices.iter().any(|c| c.eq_ignore_ascii_case(value)) {
        return Err(AnswerError::Choice {
            name: name.trim().to_string(),
            choices: e.choices.join(", "),
            value: value.to_string(),
        });
    }
    e.value = value.to_string();
    write_file(ws, file)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q() -> Question {
        Question {
            section: "sshd_root_login".into(),
            key: "keep_password_login".into(),
            prompt: "Keep it?".into(),
            choices: vec!["yes".into(), "no".into()],
        }
    }

    #[test]
    fn questions_then_answers_round_trip() {
        let dir = tempfile::tempdir().unwrap();
        let ws = Workspace::open(dir.path()).unwrap();
        write_questions(&ws, &[&q()]).unwrap();
        assert!(read_answers(&ws).unwrap().is_empty(), "unanswered");
        let text = std::fs::read_to_string(ws.answerfile_path()).unwrap();
        assert!(
            text.contains("# choices: yes, no\nkeep_password_login=\n"),
            "{text}"
        );
        answer(&ws, "sshd_root_login.keep_password_login=yes").unwrap();
        assert_eq!(
            read_answers(&ws)
                .unwrap()
                .get("sshd_root_login.keep_password_login")
                .unwrap(),
            "yes"
        );
        // rewriting questions keeps the answer
        write_questions(&ws, &[&q()]).unwrap();
        assert_eq!(read_answers(&ws).unwrap().len(), 1);
    }

    #[test]
    fn bad_answers_are_rejected() {
        let dir = tempfile::tempdir().unwrap();
        let ws = Workspace::open(dir.path()).unwrap();
        write_questions(&ws, &[&q()]).unwrap();
        assert!(matches!(
            answer(&ws, "sshd_root_login.keep_password_login=maybe"),
            Err(AnswerError::Choice { .. })
        ));
        for bad in ["nodot=1", "a.b", "a b.c=1", ".k=v"] {
            assert!(
                matches!(answer(&ws, bad), Err(AnswerError::Format(_))),
                "{bad}"
            );
        }
        std::fs::write(ws.answerfile_path(), "[broken\n").unwrap();
        assert!(matches!(
            read_answers(&ws),
            Err(AnswerError::Document(DocumentError::Parse { .. }))
        ));
    }
}
