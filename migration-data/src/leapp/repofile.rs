//! dnf `.repo` files (`<vendor>.repo`, `leapp_upgrade_repositories.repo`).
//!
//! A small INI reader in dnf's dialect: `[section]` headers, `key = value` or `key=value`
//! lines, `#` and `;` comment lines, and continuation lines (starting with white space) that
//! extend the previous value (dnf allows multi-line `baseurl`/`gpgkey` lists).

use std::collections::BTreeMap;
use std::path::Path;

use crate::Error;
use crate::util::read_limited;

/// A parsed `.repo` file.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RepoFile {
    /// The sections, in file order.
    pub sections: Vec<RepoSection>,
}

/// One `[repoid]` section.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RepoSection {
    /// The section name (the dnf repoid).
    pub id: String,
    /// `name=`.
    pub name: Option<String>,
    /// `baseurl=` URLs (split on white space and commas).
    pub baseurl: Vec<String>,
    /// `mirrorlist=`.
    pub mirrorlist: Option<String>,
    /// `metalink=`.
    pub metalink: Option<String>,
    /// `gpgkey=` URLs (split on white space and commas).
    pub gpgkey: Vec<String>,
    /// `enabled=` (dnf's default is enabled).
    pub enabled: bool,
    /// `gpgcheck=`, when present.
    pub gpgcheck: Option<bool>,
    /// Every key/value of the section as written (keys lower-cased, values trimmed).
    pub options: BTreeMap<String, String>,
}

/// Reads and parses a `.repo` file (refusing files larger than [`crate::MAX_FILE_SIZE`]).
pub fn load(path: &Path) -> Result<RepoFile, Error> {
    let bytes = read_limited(path, crate::MAX_FILE_SIZE)?;
    let text = std::str::from_utf8(&bytes).map_err(|e| Error::Invalid {
        path: path.to_path_buf(),
        message: format!("not UTF-8 text: {e}"),
    })?;
    parse(text, path)
}

/// Parses the text of a `.repo` file; `path` is used in error messages only.
pub fn parse(text: &str, path: &Path) -> Result<RepoFile, Error> {
    let err = |line: usize, message: String| Error::Invalid {
        path: path.to_path_buf(),
        message: format!("line {line}: {message}"),
    };
    let mut raw: Vec<(String, usize, BTreeMap<String, String>)> = Vec::new();
    let mut last_key: Option<String> = None;
    for (i, line) in text.lines().enumerate() {
        let lineno = i + 1;
        let trimmed = line.trim();
        if trimmed.is_empty() {
            last_key = None;
            continue;
        }
        if trimmed.starts_with('#') || trimmed.starts_with(';') {
            continue;
        }
        if line.starts_with([' ', '\t']) {
            if let (Some(key), Some((_, _, opts))) = (&last_key, raw.last_mut())
                && let Some(v) = opts.get_mut(key)
            {
                v.push('\n');
                v.push_str(trimmed);
                continue;
            }
            return Err(err(
                lineno,
                "continuation line without a preceding option".into(),
            ));
        }
        if let Some(rest) = trimmed.strip_prefix('[') {
            let Some(name) = rest.strip_suffix(']') else {
                return Err(err(lineno, format!("malformed section header {trimmed:?}")));
            };
            let name = name.trim();
            if name.is_empty() {
                return Err(err(lineno, "empty section name".into()));
            }
            if let Some((_, first, _)) = raw.iter().find(|(n, _, _)| n == name) {
                return Err(err(
                    lineno,
                    format!("section [{name}] already defined on line {first}"),
                ));
            }
            raw.push((name.to_string(), lineno, BTreeMap::new()));
            last_key = None;
            continue;
        }
        let Some((key, value)) = trimmed.split_once('=') else {
            return Err(err(
                lineno,
                format!("expected `key=value`, found {trimmed:?}"),
            ));
        };
        let key = key.trim().to_ascii_lowercase();
        if key.is_empty() {
            return Err(err(lineno, "empty option name".into()));
        }
        let Some((_, _, opts)) = raw.last_mut() else {
            return Err(err(
                lineno,
                format!("option {key:?} outside of any [section]"),
            ));
        };
        opts.insert(key.clone(), value.trim().to_string());
        last_key = Some(key);
    }
    let mut sections = Vec::with_capacity(raw.len());
    for (id, lineno, options) in raw {
        let bool_opt = |k: &str| -> Result<Option<bool>, Error> {
            options
                .get(k)
                .map(|v| {
                    parse_bool(v).ok_or_else(|| {
                        err(
                            lineno,
                            format!("section [{id}]: {k}={v:?} is not a boolean"),
                        )
                    })
                })
                .transpose()
        };
        let list = |k: &str| -> Vec<String> {
            options.get(k).map_or_else(Vec::new, |v| {
                v.split(|c: char| c.is_whitespace() || c == ',')
                    .filter(|s| !s.is_empty())
                    .map(str::to_string)
                    .collect()
            })
        };
        sections.push(RepoSection {
            name: options.get("name").cloned(),
            baseurl: list("baseurl"),
            mirrorlist: options.get("mirrorlist").cloned(),
            metalink: options.get("metalink").cloned(),
            gpgkey: list("gpgkey"),
            enabled: bool_opt("enabled")?.unwrap_or(true),
            gpgcheck: bool_opt("gpgcheck")?,
            id,
            options,
        });
    }
    Ok(RepoFile { sections })
}

fn parse_bool(v: &str) -> Option<bool> {
    match v.trim().to_ascii_lowercase().as_str() {
        "1" | "yes" | "true" | "on" => Some(true),
        "0" | "no" | "false" | "off" => Some(false),
        _ => None,
    }
}

impl RepoFile {
    /// The section with the given repoid.
    pub fn section(&self, id: &str) -> Option<&RepoSection> {
        self.sections.iter().find(|s| s.id == id)
    }
}
