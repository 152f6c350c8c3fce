//! The answerfile: questions that need a human decision, in an INI file like leapp's
//! (`<root>/var/log/leapfrog/answerfile`). `leapfrog preupgrade` writes every question with the
//! answers given so far; `leapfrog answer --section SCOPE.KEY=VALUE` records an answer.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use leapfrog_actors::facts::repos::parse_ini;
use leapfrog_actors::finding::Question;
use leapfrog_actors::model::Answers;

/// Where the answerfile lives inside the root.
pub const ANSWERFILE: &str = "var/log/leapfrog/answerfile";

/// Errors of the answerfile.
#[derive(Debug, thiserror::Error)]
pub enum AnswerError {
    /// Unreadable or unwritable.
    #[error("{action} {path}: {source}")]
    Io {
        /// What was being done.
        action: &'static str,
        /// File.
        path: PathBuf,
        /// Cause.
        source: std::io::Error,
    },
    /// Not an INI file.
    #[error("{path} is not a valid answerfile: {message}")]
    Syntax {
        /// File.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
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

fn parse(text: &str, path: &Path) -> Result<File, AnswerError> {
    let sections = parse_ini(text).map_err(|e| AnswerError::Syntax {
        path: path.to_path_buf(),
        message: e.to_string(),
    })?;
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

fn read_file(path: &Path) -> Result<File, AnswerError> {
    match std::fs::read_to_string(path) {
        Ok(t) => parse(&t, path),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(File::new()),
        Err(source) => Err(AnswerError::Io {
            action: "reading",
            path: path.to_path_buf(),
            source,
        }),
    }
}

fn write_file(path: &Path, file: &File) -> Result<(), AnswerError> {
    let io = |action| {
        move |source| AnswerError::Io {
            action,
            path: path.to_path_buf(),
            source,
        }
    };
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(io("creating the directory of"))?;
    }
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, render(file)).map_err(io("writing"))?;
    std::fs::rename(&tmp, path).map_err(io("replacing"))
}

/// The answers given so far (`scope.key` -> value; empty values are unanswered).
pub fn read_answers(root: &Path) -> Result<Answers, AnswerError> {
    let file = read_file(&root.join(ANSWERFILE))?;
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
pub fn write_questions(root: &Path, questions: &[&Question]) -> Result<PathBuf, AnswerError> {
    let path = root.join(ANSWERFILE);
    let mut file = read_file(&path)?;
    for q in questions {
        let e = file
            .entry(q.section.clone())
            .or_default()
            .entry(q.key.clone())
            .or_default();
        e.comment = vec![q.prompt.clone()];
        e.choices = q.choices.clone();
    }
    write_file(&path, &file)?;
    Ok(path)
}

/// Records `SCOPE.KEY=VALUE` (checking the value against the question's choices when known).
pub fn answer(root: &Path, assignment: &str) -> Result<PathBuf, AnswerError> {
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
    let path = root.join(ANSWERFILE);
    let mut file = read_file(&path)?;
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
    write_file(&path, &file)?;
    Ok(path)
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
        write_questions(dir.path(), &[&q()]).unwrap();
        assert!(read_answers(dir.path()).unwrap().is_empty(), "unanswered");
        let text = std::fs::read_to_string(dir.path().join(ANSWERFILE)).unwrap();
        assert!(
            text.contains("# choices: yes, no\nkeep_password_login=\n"),
            "{text}"
        );
        answer(dir.path(), "sshd_root_login.keep_password_login=yes").unwrap();
        assert_eq!(
            read_answers(dir.path())
                .unwrap()
                .get("sshd_root_login.keep_password_login")
                .unwrap(),
            "yes"
        );
        // rewriting questions keeps the answer
        write_questions(dir.path(), &[&q()]).unwrap();
        assert_eq!(read_answers(dir.path()).unwrap().len(), 1);
    }

    #[test]
    fn bad_answers_are_rejected() {
        let dir = tempfile::tempdir().unwrap();
        write_questions(dir.path(), &[&q()]).unwrap();
        assert!(matches!(
            answer(dir.path(), "sshd_root_login.keep_password_login=maybe"),
            Err(AnswerError::Choice { .. })
        ));
        for bad in ["nodot=1", "a.b", "a b.c=1", ".k=v"] {
            assert!(
                matches!(answer(dir.path(), bad), Err(AnswerError::Format(_))),
                "{bad}"
            );
        }
        std::fs::write(dir.path().join(ANSWERFILE), "[broken\n").unwrap();
        assert!(matches!(
            read_answers(dir.path()),
            Err(AnswerError::Syntax { .. })
        ));
    }
}
