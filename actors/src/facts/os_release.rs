//! The release a root runs: `/etc/os-release` (os-release(5)) and `/etc/redhat-release`.

use std::collections::BTreeMap;
use std::io;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::rootfs::RootFs;

/// Where os-release(5) is looked for, in order.
const OS_RELEASE_PATHS: [&str; 2] = ["/etc/os-release", "/usr/lib/os-release"];

/// The parsed `os-release` of a root.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OsRelease {
    /// `ID`, e.g. `almalinux` (os-release(5) default: `linux`).
    pub id: String,
    /// `VERSION_ID`, e.g. `9.3` (required: leapfrog cannot plan an upgrade without it).
    pub version_id: String,
    /// `NAME`, e.g. `AlmaLinux` (default: `Linux`).
    pub name: String,
    /// `PRETTY_NAME`, e.g. `AlmaLinux 9.3 (Shamrock Pampas Cat)` (default: `Linux`).
    pub pretty_name: String,
    /// `VERSION`, e.g. `9.3 (Shamrock Pampas Cat)`.
    pub version: Option<String>,
    /// `PLATFORM_ID`, e.g. `platform:el9` (EL8 and later).
    pub platform_id: Option<String>,
    /// `ID_LIKE`, split on whitespace, e.g. `["rhel", "centos", "fedora"]`.
    pub id_like: Vec<String>,
    /// Every assignment of the file, unquoted and unescaped.
    pub fields: BTreeMap<String, String>,
}

impl OsRelease {
    /// The major version: `VERSION_ID` up to the first `.` (`9.3` gives `9`).
    pub fn major_version(&self) -> &str {
        self.version_id
            .split_once('.')
            .map_or(self.version_id.as_str(), |(major, _)| major)
    }

    /// Parses the text of an os-release file.
    ///
    /// # Errors
    ///
    /// On a line that is not a comment, blank or `KEY=value` assignment, a quote that is not
    /// closed on its line, or a missing or empty `VERSION_ID`.
    pub fn parse(text: &str) -> Result<Self, ParseError> {
        let mut fields = BTreeMap::new();
        for (index, line) in text.lines().enumerate() {
            let line_number = index + 1;
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let error = |message: &str| ParseError::Line {
                line: line_number,
                message: message.to_owned(),
            };
            let (key, raw) = line
                .split_once('=')
                .ok_or_else(|| error("expected KEY=value"))?;
            let key = key.trim_end();
            if !is_valid_key(key) {
                return Err(error(&format!("invalid variable name {key:?}")));
            }
            let value = unquote(raw.trim_start()).map_err(error)?;
            fields.insert(key.to_owned(), value);
        }

        let get = |key: &str| fields.get(key).filter(|v| !v.is_empty()).cloned();
        let version_id = get("VERSION_ID").ok_or(ParseError::MissingVersionId)?;
        Ok(Self {
            id: get("ID").unwrap_or_else(|| "linux".into()),
            version_id,
            name: get("NAME").unwrap_or_else(|| "Linux".into()),
            pretty_name: get("PRETTY_NAME").unwrap_or_else(|| "Linux".into()),
            version: get("VERSION"),
            platform_id: get("PLATFORM_ID"),
            id_like: get("ID_LIKE")
                .map(|v| v.split_whitespace().map(str::to_owned).collect())
                .unwrap_or_default(),
            fields,
        })
    }
}

/// A syntax problem in an os-release file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    /// A line could not be parsed.
    #[error("line {line}: {message}")]
    Line {
        /// 1-based line number.
        line: usize,
        /// What is wrong.
        message: String,
    },
    /// There is no (non-empty) `VERSION_ID`.
    #[error("no VERSION_ID")]
    MissingVersionId,
}

/// Reading a root's os-release failed.
#[derive(Debug, thiserror::Error)]
pub enum OsReleaseError {
    /// Neither `/etc/os-release` nor `/usr/lib/os-release` exists.
    #[error("no os-release in root {} (looked for /etc/os-release and /usr/lib/os-release)", root.display())]
    Missing {
        /// The root.
        root: PathBuf,
    },
    /// The file could not be read.
    #[error("cannot read {}", path.display())]
    Io {
        /// Host path of the file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: io::Error,
    },
    /// The file is not UTF-8 or not valid os-release syntax.
    #[error("invalid {}", path.display())]
    Invalid {
        /// Host path of the file.
        path: PathBuf,
        /// What is wrong.
        #[source]
        source: ParseError,
    },
}

/// Reads and parses the os-release of `root` (`/etc/os-release`, else `/usr/lib/os-release`).
///
/// # Errors
///
/// See [`OsReleaseError`].
pub fn read(root: &RootFs) -> Result<OsRelease, OsReleaseError> {
    for path in OS_RELEASE_PATHS {
        let host = root.host_path(path);
        let io_error = |source| OsReleaseError::Io {
            path: host.clone(),
            source,
        };
        let Some(bytes) = root.read_optional(path).map_err(io_error)? else {
            continue;
        };
        let text = String::from_utf8(bytes).map_err(|_| OsReleaseError::Invalid {
            path: host.clone(),
            source: ParseError::Line {
                line: 0,
                message: "not UTF-8".into(),
            },
        })?;
        return OsRelease::parse(&text).map_err(|source| OsReleaseError::Invalid {
            path: host.clone(),
            source,
        });
    }
    Err(OsReleaseError::Missing {
        root: root.path().to_path_buf(),
    })
}

/// The first line of `/etc/redhat-release`, `None` when the file does not exist.
///
/// # Errors
///
/// When it exists but cannot be read (the text is decoded lossily).
pub fn read_redhat_release(root: &RootFs) -> Result<Option<String>, OsReleaseError> {
    const PATH: &str = "/etc/redhat-release";
    let bytes = root
        .read_optional(PATH)
        .map_err(|source| OsReleaseError::Io {
            path: root.host_path(Path::new(PATH)),
            source,
        })?;
    Ok(bytes.map(|bytes| {
        String::from_utf8_lossy(&bytes)
            .lines()
            .next()
            .unwrap_or_default()
            .trim()
            .to_owned()
    }))
}

fn is_valid_key(key: &str) -> bool {
    let mut chars = key.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Undoes shell-style quoting of an os-release value: `"..."` (where `\` escapes `"`, `\`, `$`
/// and `` ` ``), `'...'` (literal) and unquoted text (where `\` escapes any character); quoted
/// and unquoted pieces may follow each other as in a shell word. Trailing whitespace outside
/// quotes is dropped.
fn unquote(raw: &str) -> Result<String, &'static str> {
    let mut out = String::with_capacity(raw.len());
    let mut chars = raw.chars().peekable();
    let mut trailing_ws = 0; // unquoted whitespace at the end of `out`, to trim
    while let Some(c) = chars.next() {
        match c {
            '"' => {
                trailing_ws = 0;
                loop {
                    match chars.next() {
                        None => return Err("unterminated double quote"),
                        Some('"') => break,
                        Some('\\') => match chars.next() {
                            None => return Err("unterminated double quote"),
                            Some(e @ ('"' | '\\' | '$' | '`')) => out.push(e),
                            Some(other) => {
                                out.push('\\');
                                out.push(other);
                            }
                        },
                        Some(other) => out.push(other),
                    }
                }
            }
            '\'' => {
                trailing_ws = 0;
                loop {
                    match chars.next() {
                        None => return Err("unterminated single quote"),
                        Some('\'') => break,
                        Some(other) => out.push(other),
                    }
                }
            }
            '\\' => {
                trailing_ws = 0;
                match chars.next() {
                    Some(escaped) => out.push(escaped),
                    None => return Err("backslash at end of line"),
                }
            }
            c if c.is_whitespace() => {
                trailing_ws += c.len_utf8();
                out.push(c);
            }
            c => {
                trailing_ws = 0;
                out.push(c);
            }
        }
    }
    out.truncate(out.len() - trailing_ws);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALMA9: &str = r#"NAME="AlmaLinux"
VERSION="9.3 (Shamrock Pampas Cat)"
ID="almalinux"
ID_LIKE="rhel centos fedora"
VERSION_ID="9.3"
PLATFORM_ID="platform:el9"
PRETTY_NAME="AlmaLinux 9.3 (Shamrock Pampas Cat)"
ANSI_COLOR="0;34"
LOGO="fedora-logo-icon"
CPE_NAME="cpe:/o:almalinux:almalinux:9::baseos"
HOME_URL="https://almalinux.org/"

ALMALINUX_MANTISBT_PROJECT="AlmaLinux-9"
"#;

    #[test]
    fn parses_a_real_os_release() {
        let os = OsRelease::parse(ALMA9).unwrap();
        assert_eq!(os.id, "almalinux");
        assert_eq!(os.version_id, "9.3");
        assert_eq!(os.major_version(), "9");
        assert_eq!(os.name, "AlmaLinux");
        assert_eq!(os.pretty_name, "AlmaLinux 9.3 (Shamrock Pampas Cat)");
        assert_eq!(os.version.as_deref(), Some("9.3 (Shamrock Pampas Cat)"));
        assert_eq!(os.platform_id.as_deref(), Some("platform:el9"));
        assert_eq!(os.id_like, ["rhel", "centos", "fedora"]);
        assert_eq!(os.fields["ANSI_COLOR"], "0;34");
        assert_eq!(os.fields.len(), 12);
    }

    #[test]
    fn el7_style_without_platform_id() {
        let os = OsRelease::parse(
            "NAME=\"CentOS Linux\"\nVERSION=\"7 (Core)\"\nID=\"centos\"\nID_LIKE=\"rhel fedora\"\n\
             VERSION_ID=\"7\"\nPRETTY_NAME=\"CentOS Linux 7 (Core)\"\n",
        )
        .unwrap();
        assert_eq!(os.major_version(), "7");
        assert_eq!(os.platform_id, None);
    }

    #[test]
    fn quoting_escapes_and_comments() {
        let os = OsRelease::parse(
            "# a comment\n  # indented comment\n\nID=rocky\nVERSION_ID='8.10'\n\
             NAME=\"Say \\\"hi\\\" \\$HOME \\\\ \\n\"\nPRETTY_NAME=Rocky\\ Linux  \n\
             VARIANT=\"a\"'b'c\nEMPTY=\nSINGLE='it\\s'\n",
        )
        .unwrap();
        assert_eq!(os.id, "rocky");
        assert_eq!(os.version_id, "8.10");
        assert_eq!(os.name, "Say \"hi\" $HOME \\ \\n");
        assert_eq!(os.pretty_name, "Rocky Linux");
        assert_eq!(os.fields["VARIANT"], "abc");
        assert_eq!(os.fields["EMPTY"], "");
        assert_eq!(os.fields["SINGLE"], "it\\s");
    }

    #[test]
    fn defaults_follow_os_release_5() {
        let os = OsRelease::parse("VERSION_ID=1\n").unwrap();
        assert_eq!((os.id.as_str(), os.name.as_str()), ("linux", "Linux"));
        assert_eq!(os.pretty_name, "Linux");
        assert!(os.id_like.is_empty());
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        let cases = [
            ("ID=x\nthis is not an assignment\n", 2),
            ("VERSION_ID=\"9\nID=x\n", 1),
            ("VERSION_ID='9\n", 1),
            ("VERSION_ID=9\\", 1),
            ("ID=x\nVERSION_ID=9\n1BAD=x\n", 3),
            ("ID=x\nVERSION_ID=9\nBAD KEY=x\n", 3),
            ("=x\n", 1),
        ];
        for (text, line) in cases {
            match OsRelease::parse(text) {
                Err(ParseError::Line { line: l, .. }) => assert_eq!(l, line, "{text:?}"),
                other => panic!("{text:?} gave {other:?}"),
            }
        }
        assert_eq!(OsRelease::parse(""), Err(ParseError::MissingVersionId));
        assert_eq!(
            OsRelease::parse("ID=x\nVERSION_ID=\"\"\n"),
            Err(ParseError::MissingVersionId)
        );
        // Arbitrary bytes never panic.
        let noise: String = (0u32..2000)
            .filter_map(|i| char::from_u32((i * 7919) % 0x3000))
            .collect();
        let _ = OsRelease::parse(&noise);
    }

    #[test]
    fn reads_from_a_root() {
        let dir = tempfile::tempdir().unwrap();
        let root = RootFs::new(dir.path()).unwrap();
        assert!(matches!(read(&root), Err(OsReleaseError::Missing { .. })));
        assert_eq!(read_redhat_release(&root).unwrap(), None);

        std::fs::create_dir_all(dir.path().join("usr/lib")).unwrap();
        std::fs::write(dir.path().join("usr/lib/os-release"), ALMA9).unwrap();
        assert_eq!(read(&root).unwrap().id, "almalinux");

        std::fs::create_dir_all(dir.path().join("etc")).unwrap();
        std::fs::write(dir.path().join("etc/os-release"), "ID=x\nVERSION_ID=\"1\n").unwrap();
        let err = read(&root).unwrap_err();
        assert!(matches!(err, OsReleaseError::Invalid { .. }));
        assert!(err.to_string().contains("etc/os-release"), "{err}");

        std::fs::write(
            dir.path().join("etc/redhat-release"),
            "AlmaLinux release 9.3 (Shamrock Pampas Cat)\n",
        )
        .unwrap();
        assert_eq!(
            read_redhat_release(&root).unwrap().as_deref(),
            Some("AlmaLinux release 9.3 (Shamrock Pampas Cat)")
        );
    }
}
