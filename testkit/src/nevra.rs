//! Parsing `rpm -qa` output (`name-[epoch:]version-release.arch` per line).

use serde::Serialize;

/// One parsed NEVRA.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Nevra {
    /// Name.
    pub name: String,
    /// Epoch if written.
    pub epoch: Option<u32>,
    /// Version.
    pub version: String,
    /// Release.
    pub release: String,
    /// Architecture (`noarch` when the line has none, as for `gpg-pubkey`).
    pub arch: String,
}

/// A line that is not a NEVRA.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {text:?} is not name-[epoch:]version-release.arch")]
pub struct NevraError {
    /// 1-based line number.
    pub line: usize,
    /// The offending text.
    pub text: String,
}

const ARCHES: &[&str] = &[
    "x86_64", "noarch", "i686", "i386", "aarch64", "ppc64le", "s390x", "src",
];

/// Parses one NEVRA such as `openssl-libs-1:1.1.1k-12.el8_9.x86_64`.
pub fn parse(text: &str) -> Option<Nevra> {
    let text = text.trim();
    let text = text.strip_suffix(".rpm").unwrap_or(text);
    let (rest, arch) = match text.rsplit_once('.') {
        Some((rest, arch)) if ARCHES.contains(&arch) => (rest, arch.to_string()),
        _ => (text, "noarch".to_string()),
    };
    let (rest, release) = rest.rsplit_once('-')?;
    let (name, ev) = rest.rsplit_once('-')?;
    let (epoch, version) = match ev.split_once(':') {
        Some((e, v)) => (Some(e.parse().ok()?), v),
        None => (None, ev),
    };
    let valid = |s: &str| !s.is_empty() && !s.contains(char::is_whitespace);
    if !valid(name) || !valid(version) || !valid(release) || version.contains(':') {
        return None;
    }
    Some(Nevra {
        name: name.into(),
        epoch,
        version: version.into(),
        release: release.into(),
        arch,
    })
}

/// Parses `rpm -qa` output, skipping blank lines and `#` comments.
pub fn parse_list(text: &str) -> Result<Vec<Nevra>, NevraError> {
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty() && !l.trim_start().starts_with('#'))
        .map(|(i, l)| {
            parse(l).ok_or_else(|| NevraError {
                line: i + 1,
                text: l.to_string(),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_real_forms() {
        let n = parse("openssl-libs-1:1.1.1k-12.el8_9.x86_64").unwrap();
        assert_eq!(
            (
                n.name.as_str(),
                n.epoch,
                n.version.as_str(),
                n.release.as_str(),
                n.arch.as_str()
            ),
            ("openssl-libs", Some(1), "1.1.1k", "12.el8_9", "x86_64")
        );
        let n = parse("python3-dnf-plugin-versionlock-4.0.21-25.el8.noarch").unwrap();
        assert_eq!(n.name, "python3-dnf-plugin-versionlock");
        let n = parse("gpg-pubkey-c21ad6ea-5f4f3b2d").unwrap();
        assert_eq!((n.name.as_str(), n.arch.as_str()), ("gpg-pubkey", "noarch"));
        assert_eq!(
            parse("kernel-3.10.0-1160.el7.x86_64.rpm").unwrap().version,
            "3.10.0"
        );
    }

    #[test]
    fn rejects_garbage_with_line_numbers() {
        assert!(parse("justaname").is_none());
        assert!(parse("a-b").is_none());
        assert!(parse("x-1:y:z-1.x86_64").is_none());
        let err = parse_list("bash-4.4.20-5.el8.x86_64\n\n# comment\nnot a nevra\n").unwrap_err();
        assert_eq!(err.line, 4);
        assert_eq!(parse_list("bash-4.4.20-5.el8.x86_64\n").unwrap().len(), 1);
    }
}
