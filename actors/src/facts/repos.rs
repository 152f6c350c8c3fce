//! The dnf/yum repositories a root is configured with: `/etc/yum.repos.d/*.repo`, with dnf
//! variables (`$releasever`, `$basearch`, `/etc/dnf/vars/*`, `/etc/yum/vars/*`) substituted.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::ReadProblem;
use super::rootfs::RootFs;

/// Where repository files are read from.
pub const REPOS_DIR: &str = "/etc/yum.repos.d";

/// Directories of dnf variable files, in the order dnf reads them (later ones win).
pub const VARS_DIRS: [&str; 2] = ["/etc/dnf/vars", "/etc/yum/vars"];

/// A configured repository, variables substituted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Repository {
    /// The section name, e.g. `baseos`.
    pub id: String,
    /// `name` (dnf shows the id when it is missing).
    pub name: Option<String>,
    /// The `.repo` file (inside the root) defining it.
    pub file: String,
    /// `enabled` (default: enabled).
    pub enabled: bool,
    /// `baseurl` (several URLs may be given).
    pub baseurl: Vec<String>,
    /// `mirrorlist`.
    pub mirrorlist: Option<String>,
    /// `metalink`.
    pub metalink: Option<String>,
    /// `gpgcheck`, `None` when the file does not say (dnf then uses its main configuration).
    pub gpgcheck: Option<bool>,
    /// `gpgkey` URLs.
    pub gpgkey: Vec<String>,
    /// `$variables` used by the definition that are not defined (left as they are).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub undefined_variables: Vec<String>,
}

/// A syntax error in an INI file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {message}")]
pub struct IniError {
    /// 1-based line number.
    pub line: usize,
    /// What is wrong.
    pub message: String,
}

/// One `[section]` of an INI file: its name and its `key=value` pairs in order (keys lowercase).
pub type Section = (String, Vec<(String, String)>);

/// Parses an INI file the way dnf reads `.repo` files: `[section]` headers, `key = value` lines
/// (keys are case-insensitive, the last occurrence wins), `#` and `;` comment lines, and
/// indented continuation lines that extend the previous value (joined with a newline).
///
/// # Errors
///
/// On a line that is neither a section header, an assignment, a comment nor a continuation, on
/// an assignment before the first section, and on a section defined twice.
pub fn parse_ini(text: &str) -> Result<Vec<Section>, IniError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut sections: Vec<Section> = Vec::new();
    let mut can_continue = false;
    for (index, raw_line) in text.lines().enumerate() {
        let error = |message: String| IniError {
            line: index + 1,
            message,
        };
        let line = raw_line.trim();
        if line.is_empty() {
            can_continue = false;
            continue;
        }
        if line.starts_with('#') || line.starts_with(';') {
            continue;
        }
        if raw_line.starts_with([' ', '\t']) && can_continue {
            if let Some((_, value)) = sections.last_mut().and_then(|(_, kv)| kv.last_mut()) {
                if !value.is_empty() {
                    value.push('\n');
                }
                value.push_str(line);
            }
            continue;
        }
        if let Some(header) = line.strip_prefix('[') {
            let name = header
                .strip_suffix(']')
                .ok_or_else(|| error(format!("unterminated section header {line:?}")))?
                .trim();
            if name.is_empty() {
                return Err(error("empty section name".into()));
            }
            if sections.iter().any(|(existing, _)| existing == name) {
                return Err(error(format!("section [{name}] is defined twice")));
            }
            sections.push((name.to_owned(), Vec::new()));
            can_continue = false;
            continue;
        }
        let Some((key, value)) = line.split_once('=') else {
            return Err(error(format!(
                "expected [section] or key=value, found {line:?}"
            )));
        };
        let key = key.trim().to_ascii_lowercase();
        if key.is_empty() {
            return Err(error("empty key".into()));
        }
        let Some((_, pairs)) = sections.last_mut() else {
            return Err(error(format!("{key} is set before any [section]")));
        };
        pairs.retain(|(k, _)| *k != key);
        pairs.push((key, value.trim().to_owned()));
        can_continue = true;
    }
    Ok(sections)
}

/// The dnf variables of a root: `releasever`, `basearch` and `arch` from the arguments, then
/// every file of [`VARS_DIRS`] (its first line; a file overrides an earlier definition).
pub fn read_variables(
    root: &RootFs,
    releasever: &str,
    basearch: &str,
    problems: &mut Vec<ReadProblem>,
) -> BTreeMap<String, String> {
    let mut vars = BTreeMap::from([
        ("releasever".to_owned(), releasever.to_owned()),
        ("basearch".to_owned(), basearch.to_owned()),
        ("arch".to_owned(), basearch.to_owned()),
    ]);
    for dir in VARS_DIRS {
        let files = match root.files_in(dir, is_variable_name) {
            Ok(files) => files,
            Err(err) => {
                problems.push(ReadProblem::new(
                    dir,
                    format!("cannot list dnf variables: {err}"),
                ));
                continue;
            }
        };
        for path in files {
            let name = path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            match root.read_optional(&path) {
                Ok(Some(bytes)) => {
                    let text = String::from_utf8_lossy(&bytes);
                    let value = text.lines().next().unwrap_or_default().to_owned();
                    vars.insert(name, value);
                }
                Ok(None) => {}
                Err(err) => problems.push(ReadProblem::new(
                    path.display().to_string(),
                    format!("cannot read dnf variable: {err}"),
                )),
            }
        }
    }
    vars
}

/// Reads every `*.repo` file of [`REPOS_DIR`] (sorted by name) and returns their repositories in
/// file order. Files that cannot be read or parsed, repositories with invalid ids and invalid
/// option values are reported in `problems`; the rest is still returned.
pub fn read_repositories(
    root: &RootFs,
    vars: &BTreeMap<String, String>,
    problems: &mut Vec<ReadProblem>,
) -> Vec<Repository> {
    read_repositories_in(root, REPOS_DIR, vars, problems)
}

/// Like [`read_repositories`], for the `*.repo` files of another directory (e.g. leapfrog's
/// custom target repositories in `/etc/leapfrog/target.repos.d`).
pub fn read_repositories_in(
    root: &RootFs,
    dir: &str,
    vars: &BTreeMap<String, String>,
    problems: &mut Vec<ReadProblem>,
) -> Vec<Repository> {
    let files = match root.files_in(dir, |name| name.ends_with(".repo")) {
        Ok(files) => files,
        Err(err) => {
            problems.push(ReadProblem::new(
                dir,
                format!("cannot list repository files: {err}"),
            ));
            return Vec::new();
        }
    };
    let mut repos = Vec::new();
    for path in files {
        let file = path.display().to_string();
        let text = match root.read_optional(&path) {
            Ok(Some(bytes)) => String::from_utf8_lossy(&bytes).into_owned(),
            Ok(None) => continue,
            Err(err) => {
                problems.push(ReadProblem::new(&file, format!("cannot read: {err}")));
                continue;
            }
        };
        match parse_ini(&text) {
            Ok(sections) => repos.extend(repositories(Path::new(&file), &sections, vars, problems)),
            Err(err) => problems.push(ReadProblem::new(
                &file,
                format!("ignored, not a valid repository file: {err}"),
            )),
        }
    }
    repos
}

/// Turns the sections of a `.repo` file into repositories (`[main]` is not a repository).
pub fn repositories(
    file: &Path,
    sections: &[Section],
    vars: &BTreeMap<String, String>,
    problems: &mut Vec<ReadProblem>,
) -> Vec<Repository> {
    let file = file.display().to_string();
    let mut repos = Vec::new();
    for (id, pairs) in sections {
        if id == "main" {
            continue;
        }
        if !is_valid_repo_id(id) {
            problems.push(ReadProblem::new(
                &file,
                format!(
                    "repository [{id}] ignored: ids may only contain letters, digits and - _ . :"
                ),
            ));
            continue;
        }
        let mut undefined = BTreeSet::new();
        let mut subst = |value: &str| substitute_collecting(value, vars, &mut undefined);
        let get = |key: &str| {
            pairs
                .iter()
                .find(|(k, _)| k == key)
                .map(|(_, v)| v.as_str())
        };
        let mut boolean = |key: &str| -> Option<bool> {
            let value = get(key)?;
            let parsed = parse_bool(value);
            if parsed.is_none() {
                problems.push(ReadProblem::new(
                    &file,
                    format!("repository [{id}]: invalid {key}={value:?} ignored (expected 1/0, yes/no, true/false, on/off)"),
                ));
            }
            parsed
        };
        let enabled = boolean("enabled").unwrap_or(true);
        let gpgcheck = boolean("gpgcheck");
        let list = |value: Option<&str>, subst: &mut dyn FnMut(&str) -> String| -> Vec<String> {
            value
                .map(|v| {
                    v.split(|c: char| c.is_whitespace() || c == ',')
                        .filter(|s| !s.is_empty())
                        .map(&mut *subst)
                        .collect()
                })
                .unwrap_or_default()
        };
        let baseurl = list(get("baseurl"), &mut subst);
        let gpgkey = list(get("gpgkey"), &mut subst);
        let name = get("name").map(&mut subst);
        let mirrorlist = get("mirrorlist").filter(|v| !v.is_empty()).map(&mut subst);
        let metalink = get("metalink").filter(|v| !v.is_empty()).map(&mut subst);
        repos.push(Repository {
            id: id.clone(),
            name,
            file: file.clone(),
            enabled,
            baseurl,
            mirrorlist,
            metalink,
            gpgcheck,
            gpgkey,
            undefined_variables: undefined.into_iter().collect(),
        });
    }
    repos
}

/// Substitutes dnf variables in `text`: `$name`, `${name}`, `${name:-default}` (default when
/// unset or empty) and `${name:+alternative}` (alternative when set and non-empty). Variable
/// names are letters, digits and `_`; undefined variables are left as they are.
pub fn substitute(text: &str, vars: &BTreeMap<String, String>) -> String {
    substitute_collecting(text, vars, &mut BTreeSet::new())
}

fn substitute_collecting(
    text: &str,
    vars: &BTreeMap<String, String>,
    undefined: &mut BTreeSet<String>,
) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(dollar) = rest.find('$') {
        out.push_str(&rest[..dollar]);
        let after = &rest[dollar + 1..];
        if let Some(braced) = after.strip_prefix('{') {
            if let Some((replacement, consumed)) = expand_braced(braced, vars, undefined) {
                out.push_str(&replacement);
                rest = &braced[consumed..];
                continue;
            }
            out.push('$');
            rest = after;
            continue;
        }
        let name_len = after
            .find(|c: char| !is_variable_char(c))
            .unwrap_or(after.len());
        let name = &after[..name_len];
        match vars.get(name) {
            Some(value) if !name.is_empty() => out.push_str(value),
            _ => {
                if !name.is_empty() {
                    undefined.insert(name.to_owned());
                }
                out.push('$');
                out.push_str(name);
            }
        }
        rest = &after[name_len..];
    }
    out.push_str(rest);
    out
}

/// Expands `name}`, `name:-word}` or `name:+word}` (the text after `${`). Returns the
/// replacement and how many bytes of `braced` it consumed, or `None` when this is not a
/// well-formed expression (it is then copied literally).
fn expand_braced(
    braced: &str,
    vars: &BTreeMap<String, String>,
    undefined: &mut BTreeSet<String>,
) -> Option<(String, usize)> {
    let name_len = braced.find(|c: char| !is_variable_char(c))?;
    let name = &braced[..name_len];
    if name.is_empty() {
        return None;
    }
    let value = vars.get(name).filter(|v| !v.is_empty());
    let tail = &braced[name_len..];
    if tail.starts_with('}') {
        return Some(match vars.get(name) {
            Some(value) => (value.clone(), name_len + 1),
            None => {
                undefined.insert(name.to_owned());
                (format!("${{{name}}}"), name_len + 1)
            }
        });
    }
    let operator = tail.get(..2)?;
    if operator != ":-" && operator != ":+" {
        return None;
    }
    // The word runs to the matching close brace (nested ${...} allowed).
    let word_start = name_len + 2;
    let mut depth = 0usize;
    let mut word_end = None;
    for (offset, c) in braced[word_start..].char_indices() {
        match c {
            '{' => depth += 1,
            '}' if depth == 0 => {
                word_end = Some(word_start + offset);
                break;
            }
            '}' => depth -= 1,
            _ => {}
        }
    }
    let word_end = word_end?;
    let word = &braced[word_start..word_end];
    let replacement = match (operator, value) {
        (":-", Some(value)) => value.clone(),
        (":-", None) | (_, Some(_)) => substitute_collecting(word, vars, undefined),
        (_, None) => String::new(),
    };
    Some((replacement, word_end + 1))
}

fn is_variable_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

fn is_variable_name(name: &str) -> bool {
    !name.is_empty() && name.chars().all(is_variable_char)
}

fn is_valid_repo_id(id: &str) -> bool {
    !id.is_empty()
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | ':'))
}

/// dnf's boolean values.
pub fn parse_bool(value: &str) -> Option<bool> {
    match value.trim().to_ascii_lowercase().as_str() {
        "1" | "yes" | "true" | "on" => Some(true),
        "0" | "no" | "false" | "off" => Some(false),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars() -> BTreeMap<String, String> {
        BTreeMap::from([
            ("releasever".into(), "9".into()),
            ("basearch".into(), "x86_64".into()),
            ("contentdir".into(), "pub/rocky".into()),
            ("empty".into(), String::new()),
        ])
    }

    const ROCKY: &str = "\
# comment
[baseos]
name=Rocky Linux $releasever - BaseOS
mirrorlist=https://mirrors.rockylinux.org/mirrorlist?arch=$basearch&repo=BaseOS-$releasever$rltype
#baseurl=http://dl.rockylinux.org/$contentdir/$releasever/BaseOS/$basearch/os/
gpgcheck=1
enabled=1
countme=1
metadata_expire=6h
gpgkey=file:///etc/pki/rpm-gpg/RPM-GPG-KEY-Rocky-9

[baseos-debug]
name = Rocky Linux $releasever - BaseOS - Debug
baseurl = http://dl.rockylinux.org/$contentdir/$releasever/BaseOS/$basearch/debug/tree/
   https://mirror.example/${contentdir}/${releasever}/
gpgcheck = yes
Enabled = 0
gpgkey=file:///etc/pki/rpm-gpg/RPM-GPG-KEY-Rocky-9,file:///etc/pki/rpm-gpg/RPM-GPG-KEY-extra
";

    #[test]
    fn parses_a_real_repo_file() {
        let sections = parse_ini(ROCKY).unwrap();
        let mut problems = Vec::new();
        let repos = repositories(
            Path::new("/etc/yum.repos.d/rocky.repo"),
            &sections,
            &vars(),
            &mut problems,
        );
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(repos.len(), 2);

        let baseos = &repos[0];
        assert_eq!(baseos.id, "baseos");
        assert_eq!(baseos.name.as_deref(), Some("Rocky Linux 9 - BaseOS"));
        assert!(baseos.enabled);
        assert_eq!(baseos.gpgcheck, Some(true));
        assert!(baseos.baseurl.is_empty());
        assert_eq!(
            baseos.mirrorlist.as_deref(),
            Some("https://mirrors.rockylinux.org/mirrorlist?arch=x86_64&repo=BaseOS-9$rltype")
        );
        assert_eq!(baseos.undefined_variables, ["rltype"]);
        assert_eq!(
            baseos.gpgkey,
            ["file:///etc/pki/rpm-gpg/RPM-GPG-KEY-Rocky-9"]
        );
        assert_eq!(baseos.file, "/etc/yum.repos.d/rocky.repo");

        let debug = &repos[1];
        assert!(!debug.enabled);
        assert_eq!(
            debug.baseurl,
            [
                "http://dl.rockylinux.org/pub/rocky/9/BaseOS/x86_64/debug/tree/",
                "https://mirror.example/pub/rocky/9/"
            ]
        );
        assert_eq!(debug.gpgkey.len(), 2);
        assert!(debug.undefined_variables.is_empty());
    }

    #[test]
    fn defaults_and_main_section() {
        let sections = parse_ini("[main]\ngpgcheck=1\n[x]\nbaseurl=file:///srv/x\n").unwrap();
        let mut problems = Vec::new();
        let repos = repositories(Path::new("x.repo"), &sections, &vars(), &mut problems);
        assert_eq!(repos.len(), 1);
        assert!(repos[0].enabled);
        assert_eq!(repos[0].gpgcheck, None);
        assert_eq!(repos[0].name, None);
    }

    #[test]
    fn invalid_values_and_ids_are_reported() {
        let sections = parse_ini("[bad id!]\nname=x\n[ok]\nenabled=maybe\ngpgcheck=off\n").unwrap();
        let mut problems = Vec::new();
        let repos = repositories(Path::new("x.repo"), &sections, &vars(), &mut problems);
        assert_eq!(repos.len(), 1);
        assert!(repos[0].enabled, "invalid enabled keeps the default");
        assert_eq!(repos[0].gpgcheck, Some(false));
        assert_eq!(problems.len(), 2, "{problems:?}");
        assert!(problems[0].message.contains("bad id!"));
        assert!(problems[1].message.contains("maybe"));
    }

    #[test]
    fn syntax_errors() {
        let cases = [
            ("name=x\n[a]\n", 1),
            ("[a]\nname=x\njust words\n", 3),
            ("[a\nname=x\n", 1),
            ("[]\n", 1),
            ("[a]\n=x\n", 2),
            ("[a]\n[b]\n[a]\n", 3),
        ];
        for (text, line) in cases {
            let err = parse_ini(text).expect_err(text);
            assert_eq!(err.line, line, "{text:?}: {err}");
        }
        // Noise never panics.
        let noise: String = (0u32..3000)
            .filter_map(|i| char::from_u32((i * 104_729) % 0x800))
            .collect();
        let _ = parse_ini(&noise);
        let _ = substitute(&noise, &vars());
    }

    #[test]
    fn continuation_and_comments() {
        let sections =
            parse_ini("[a]\nbaseurl=\n  http://one/\n\thttp://two/\n; note\nx = 1\n").unwrap();
        assert_eq!(
            sections[0].1[0],
            ("baseurl".into(), "http://one/\nhttp://two/".into())
        );
        assert_eq!(sections[0].1[1], ("x".into(), "1".into()));
        // An indented line after a blank line is not a continuation.
        assert!(parse_ini("[a]\nx=1\n\n  y\n").is_err());
    }

    #[test]
    fn variable_substitution() {
        let v = vars();
        assert_eq!(substitute("$releasever/$basearch", &v), "9/x86_64");
        assert_eq!(substitute("${releasever}x", &v), "9x");
        assert_eq!(substitute("$releaseverx", &v), "$releaseverx");
        assert_eq!(
            substitute("$unknown and ${unknown}", &v),
            "$unknown and ${unknown}"
        );
        assert_eq!(substitute("${empty:-fallback}", &v), "fallback");
        assert_eq!(substitute("${nope:-$releasever}", &v), "9");
        assert_eq!(substitute("${releasever:-x}", &v), "9");
        assert_eq!(substitute("${releasever:+set}", &v), "set");
        assert_eq!(substitute("${nope:+set}", &v), "");
        assert_eq!(substitute("${nope:-${basearch}}/y", &v), "x86_64/y");
        assert_eq!(
            substitute("$ ${ ${x ${releasever:?e} $", &v),
            "$ ${ ${x ${releasever:?e} $"
        );
        assert_eq!(substitute("${releasever", &v), "${releasever");
        assert_eq!(substitute("a$-b", &v), "a$-b");
        assert_eq!(substitute("ü$releaseverü", &v), "ü9ü");
    }

    #[test]
    fn booleans() {
        assert_eq!(parse_bool("YES"), Some(true));
        assert_eq!(parse_bool(" 0 "), Some(false));
        assert_eq!(parse_bool("2"), None);
    }

    #[test]
    fn reads_repositories_and_variables_from_a_root() {
        let dir = tempfile::tempdir().unwrap();
        let write = |path: &str, text: &str| {
            let path = dir.path().join(path);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        };
        write(
            "etc/dnf/vars/contentdir",
            "pub/rocky\nignored second line\n",
        );
        write("etc/dnf/vars/stream", "9-stream\n");
        write("etc/yum/vars/stream", "overridden\n");
        write("etc/dnf/vars/not-a-name", "x\n");
        write(
            "etc/yum.repos.d/a.repo",
            "[a]\nbaseurl=http://x/$contentdir/$stream/$releasever/\n",
        );
        write("etc/yum.repos.d/broken.repo", "garbage\n");
        write("etc/yum.repos.d/ignored.txt", "[b]\n");
        let root = RootFs::new(dir.path()).unwrap();
        let mut problems = Vec::new();
        let vars = read_variables(&root, "9", "x86_64", &mut problems);
        assert_eq!(vars["contentdir"], "pub/rocky");
        assert_eq!(vars["stream"], "overridden");
        assert!(!vars.contains_key("not-a-name"));
        let repos = read_repositories(&root, &vars, &mut problems);
        assert_eq!(repos.len(), 1);
        assert_eq!(repos[0].baseurl, ["http://x/pub/rocky/overridden/9/"]);
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert_eq!(problems[0].source, "/etc/yum.repos.d/broken.repo");
    }
}
