//! A small, strict parser for `repodata/repomd.xml`.
//!
//! repomd.xml is a flat document (`<repomd>` → `<revision>`, `<data type>` → `<checksum>`,
//! `<location href>`, `<size>`, ...), so a hand-written tokenizer that understands tags,
//! attributes, comments, processing instructions, CDATA-free text and the five XML entities plus
//! numeric references is enough, and keeps the dependency list short. Namespace prefixes are
//! ignored (`rpm:foo` is `foo`). Anything malformed is an error naming what is wrong.

use std::fmt;

use leapfrog_base::checksum::Checksum;

/// A parse error of repomd.xml.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct RepomdError(pub String);

/// One `<data>` entry: a metadata file of the repository.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataFile {
    /// `type` attribute: `primary`, `filelists`, `other`, `modules`, `group_gz`, ...
    pub kind: String,
    /// `<location href>`: path relative to the repository's base URL.
    pub href: String,
    /// `<checksum>` of the file as stored.
    pub checksum: Checksum,
    /// `<size>` when stated.
    pub size: Option<u64>,
}

/// A parsed repomd.xml.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Repomd {
    /// `<revision>` when present.
    pub revision: Option<String>,
    /// Every `<data>` entry, in document order.
    pub data: Vec<DataFile>,
}

impl Repomd {
    /// The entry of a given type.
    pub fn get(&self, kind: &str) -> Option<&DataFile> {
        self.data.iter().find(|d| d.kind == kind)
    }

    /// Parses repomd.xml and checks it: a `<repomd>` root, a `primary` entry, every entry with a
    /// type, a safe relative location and a supported checksum, no type twice.
    ///
    /// # Errors
    ///
    /// Malformed XML, a missing `primary`, an unsupported checksum type (md5, ...), a checksum of
    /// the wrong length, a location that is absolute or contains `..`.
    pub fn parse(text: &str) -> Result<Self, RepomdError> {
        let events = tokenize(text)?;
        let mut revision = None;
        let mut data = Vec::new();
        let mut stack: Vec<String> = Vec::new();
        let mut current: Option<Partial> = None;
        let mut text_buf = String::new();
        let mut saw_root = false;
        for ev in events {
            match ev {
                Event::Start { name, attrs, empty } => {
                    if stack.is_empty() {
                        if name != "repomd" {
                            return Err(err(format!("root element is <{name}>, not <repomd>")));
                        }
                        if saw_root {
                            return Err(err("more than one root element".into()));
                        }
                        saw_root = true;
                    }
                    text_buf.clear();
                    let parent = stack.last().map(String::as_str);
                    match (parent, name.as_str()) {
                        (Some("repomd"), "data") => {
                            let kind = attr(&attrs, "type")
                                .ok_or_else(|| err("a <data> element has no type".into()))?;
                            current = Some(Partial {
                                kind: kind.to_owned(),
                                ..Partial::default()
                            });
                        }
                        (Some("data"), "location") => {
                            if let Some(p) = current.as_mut() {
                                p.href = attr(&attrs, "href").map(str::to_owned);
                            }
                        }
                        (Some("data"), "checksum") => {
                            if let Some(p) = current.as_mut() {
                                p.checksum_type = Some(attr(&attrs, "type").unwrap_or("").into());
                            }
                        }
                        _ => {}
                    }
                    if !empty {
                        stack.push(name);
                    } else if name == "data" {
                        data.push(finish(current.take())?);
                    }
                }
                Event::Text(t) => text_buf.push_str(&t),
                Event::End(name) => {
                    let open = stack
                        .pop()
                        .ok_or_else(|| err(format!("unexpected </{name}>")))?;
                    if open != name {
                        return Err(err(format!("</{name}> closes <{open}>")));
                    }
                    let parent = stack.last().map(String::as_str);
                    let value = text_buf.trim().to_owned();
                    match (parent, name.as_str()) {
                        (Some("repomd"), "revision") => revision = Some(value),
                        (Some("repomd"), "data") => data.push(finish(current.take())?),
                        (Some("data"), "checksum") => {
                            if let Some(p) = current.as_mut() {
                                p.checksum_hex = Some(value);
                            }
                        }
                        (Some("data"), "size") => {
                            if let Some(p) = current.as_mut() {
                                p.size = Some(value.parse().map_err(|_| {
                                    err(format!("<size> of {} is not a number: {value:?}", p.kind))
                                })?);
                            }
                        }
                        _ => {}
                    }
                    text_buf.clear();
                }
            }
        }
        if let Some(open) = stack.last() {
            return Err(err(format!("<{open}> is not closed")));
        }
        if !saw_root {
            return Err(err("no <repomd> element".into()));
        }
        for (i, d) in data.iter().enumerate() {
            if data[..i].iter().any(|o| o.kind == d.kind) {
                return Err(err(format!("data type {} is listed twice", d.kind)));
            }
        }
        let md = Self { revision, data };
        if md.get("primary").is_none() {
            return Err(err("no primary metadata listed".into()));
        }
        Ok(md)
    }
}

impl fmt::Display for Repomd {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kinds: Vec<&str> = self.data.iter().map(|d| d.kind.as_str()).collect();
        write!(f, "repomd ({})", kinds.join(", "))
    }
}

#[derive(Debug, Default)]
struct Partial {
    kind: String,
    href: Option<String>,
    checksum_type: Option<String>,
    checksum_hex: Option<String>,
    size: Option<u64>,
}

fn finish(p: Option<Partial>) -> Result<DataFile, RepomdError> {
    let p = p.ok_or_else(|| err("misplaced <data>".into()))?;
    let href = p
        .href
        .ok_or_else(|| err(format!("data type {} has no <location href>", p.kind)))?;
    if !safe_relative(&href) {
        return Err(err(format!(
            "data type {} has an unsafe location {href:?} (absolute, empty or with '..')",
            p.kind
        )));
    }
    let ctype = p
        .checksum_type
        .ok_or_else(|| err(format!("data type {} has no <checksum>", p.kind)))?;
    let hex = p.checksum_hex.unwrap_or_default();
    let checksum =
        Checksum::parse(&ctype, &hex).map_err(|e| err(format!("data type {}: {e}", p.kind)))?;
    Ok(DataFile {
        kind: p.kind,
        href,
        checksum,
        size: p.size,
    })
}

/// Whether `path` is a relative path that stays inside its base (no `..`, not absolute, not
/// empty, no NUL, no backslash tricks).
pub fn safe_relative(path: &str) -> bool {
    !path.is_empty()
        && !path.starts_with('/')
        && !path.contains('\0')
        && !path.contains('\\')
        && path
            .split('/')
            .all(|c| !c.is_empty() && c != ".." && c != ".")
}

fn err(message: String) -> RepomdError {
    RepomdError(message)
}

fn attr<'a>(attrs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    attrs
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

#[derive(Debug, PartialEq, Eq)]
enum Event {
    Start {
        name: String,
        attrs: Vec<(String, String)>,
        empty: bool,
    },
    End(String),
    Text(String),
}

/// Strips a namespace prefix.
fn local(name: &str) -> String {
    name.rsplit(':').next().unwrap_or(name).to_owned()
}

fn tokenize(text: &str) -> Result<Vec<Event>, RepomdError> {
    let mut out = Vec::new();
    let mut rest = text.strip_prefix('\u{feff}').unwrap_or(text);
    while !rest.is_empty() {
        if let Some(after) = rest.strip_prefix("<?") {
            let end = after
                .find("?>")
                .ok_or_else(|| err("unterminated processing instruction".into()))?;
            rest = &after[end + 2..];
        } else if let Some(after) = rest.strip_prefix("<!--") {
            let end = after
                .find("-->")
                .ok_or_else(|| err("unterminated comment".into()))?;
            rest = &after[end + 3..];
        } else if rest.starts_with("<!") {
            return Err(err(
                "DTDs, CDATA and other declarations are not allowed".into()
            ));
        } else if let Some(after) = rest.strip_prefix("</") {
            let end = after
                .find('>')
                .ok_or_else(|| err("unterminated end tag".into()))?;
            let name = after[..end].trim();
            if name.is_empty() {
                return Err(err("empty end tag".into()));
            }
            out.push(Event::End(local(name)));
            rest = &after[end + 1..];
        } else if let Some(after) = rest.strip_prefix('<') {
            let (event, used) = start_tag(after)?;
            out.push(event);
            rest = &after[used..];
        } else {
            let end = rest.find('<').unwrap_or(rest.len());
            out.push(Event::Text(unescape(&rest[..end])?));
            rest = &rest[end..];
        }
    }
    Ok(out)
}

fn start_tag(s: &str) -> Result<(Event, usize), RepomdError> {
    let bytes = s.as_bytes();
    let mut i = 0;
    while i < bytes.len() && !bytes[i].is_ascii_whitespace() && bytes[i] != b'>' && bytes[i] != b'/'
    {
        i += 1;
    }
    let name = &s[..i];
    if name.is_empty() {
        return Err(err("a tag has no name".into()));
    }
    let mut attrs = Vec::new();
    loop {
        while i < bytes.len() && bytes[i].is_ascii_whitespace() {
            i += 1;
        }
        match bytes.get(i) {
            None => return Err(err(format!("unterminated tag <{name}"))),
            Some(b'>') => {
                return Ok((
                    Event::Start {
                        name: local(name),
                        attrs,
                        empty: false,
                    },
                    i + 1,
                ));
            }
            Some(b'/') => {
                if bytes.get(i + 1) != Some(&b'>') {
                    return Err(err(format!("malformed tag <{name}")));
                }
                return Ok((
                    Event::Start {
                        name: local(name),
                        attrs,
                        empty: true,
                    },
                    i + 2,
                ));
            }
            Some(_) => {
                let start = i;
                while i < bytes.len()
                    && bytes[i] != b'='
                    && !bytes[i].is_ascii_whitespace()
                    && bytes[i] != b'>'
                {
                    i += 1;
                }
                let key = &s[start..i];
                while i < bytes.len() && bytes[i].is_ascii_whitespace() {
                    i += 1;
                }
                if bytes.get(i) != Some(&b'=') {
                    return Err(err(format!("attribute {key:?} of <{name}> has no value")));
                }
                i += 1;
                while i < bytes.len() && bytes[i].is_ascii_whitespace() {
                    i += 1;
                }
                let quote = match bytes.get(i) {
                    Some(q @ (b'"' | b'\'')) => *q,
                    _ => {
                        return Err(err(format!("attribute {key:?} of <{name}> is not quoted")));
                    }
                };
                i += 1;
                let vstart = i;
                while i < bytes.len() && bytes[i] != quote {
                    i += 1;
                }
                if i >= bytes.len() {
                    return Err(err(format!("unterminated attribute {key:?} of <{name}>")));
                }
                let value = unescape(&s[vstart..i])?;
                i += 1;
                attrs.push((local(key), value));
            }
        }
    }
}

fn unescape(s: &str) -> Result<String, RepomdError> {
    if !s.contains('&') {
        return Ok(s.to_owned());
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(pos) = rest.find('&') {
        out.push_str(&rest[..pos]);
        let after = &rest[pos + 1..];
        let end = after
            .find(';')
            .filter(|&e| e <= 10)
            .ok_or_else(|| err(format!("unterminated entity in {s:?}")))?;
        let entity = &after[..end];
        let c = match entity {
            "amp" => '&',
            "lt" => '<',
            "gt" => '>',
            "quot" => '"',
            "apos" => '\'',
            _ => {
                let code = if let Some(hex) = entity.strip_prefix("#x") {
                    u32::from_str_radix(hex, 16).ok()
                } else if let Some(dec) = entity.strip_prefix('#') {
                    dec.parse().ok()
                } else {
                    None
                };
                code.and_then(char::from_u32)
                    .ok_or_else(|| err(format!("unknown entity &{entity};")))?
            }
        };
        out.push(c);
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SHA: &str = "7e6c5fcce0ccbcd234610749b078e9de654f896fcb9255357202677ff15004dd";

    fn doc(body: &str) -> String {
        format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<repomd xmlns=\"http://linux.duke.edu/metadata/repo\" xmlns:rpm=\"http://linux.duke.edu/metadata/rpm\">\n<revision>17</revision>\n{body}</repomd>\n"
        )
    }

    fn data(kind: &str, ctype: &str, hex: &str, href: &str) -> String {
        format!(
            "<data type=\"{kind}\"><checksum type=\"{ctype}\">{hex}</checksum><open-checksum type=\"sha256\">{SHA}</open-checksum><location href=\"{href}\"/><timestamp>1</timestamp><size>1263</size></data>\n"
        )
    }

    #[test]
    fn parses_a_createrepo_document() {
        let text = doc(&format!(
            "{}<!-- c -->{}",
            data("primary", "sha256", SHA, "repodata/x-primary.xml.gz"),
            data(
                "modules",
                "sha",
                &"b".repeat(40),
                "repodata/m&amp;n.yaml.gz"
            )
        ));
        let md = Repomd::parse(&text).unwrap();
        assert_eq!(md.revision.as_deref(), Some("17"));
        assert_eq!(md.data.len(), 2);
        let p = md.get("primary").unwrap();
        assert_eq!(p.href, "repodata/x-primary.xml.gz");
        assert_eq!(p.checksum.hex, SHA);
        assert_eq!(p.size, Some(1263));
        assert_eq!(md.get("modules").unwrap().href, "repodata/m&n.yaml.gz");
        assert_eq!(
            md.get("modules").unwrap().checksum.algo,
            leapfrog_base::checksum::Algo::Sha1
        );
    }

    #[test]
    fn repomd_without_primary_is_refused() {
        let text = doc(&data("filelists", "sha256", SHA, "repodata/f.xml.gz"));
        let e = Repomd::parse(&text).unwrap_err();
        assert!(e.0.contains("no primary"), "{e}");
        assert!(
            Repomd::parse(&doc(""))
                .unwrap_err()
                .0
                .contains("no primary")
        );
    }

    #[test]
    fn bad_checksum_types_are_refused() {
        let text = doc(&data(
            "primary",
            "md5",
            &"a".repeat(32),
            "repodata/p.xml.gz",
        ));
        let e = Repomd::parse(&text).unwrap_err();
        assert!(
            e.0.contains("checksum type \"md5\" is not supported"),
            "{e}"
        );
        let text = doc(&data("primary", "sha256", "abcd", "repodata/p.xml.gz"));
        assert!(
            Repomd::parse(&text)
                .unwrap_err()
                .0
                .contains("is not a sha256 digest")
        );
        let text = doc(&data("primary", "", SHA, "repodata/p.xml.gz"));
        assert!(
            Repomd::parse(&text)
                .unwrap_err()
                .0
                .contains("is not supported")
        );
    }

    #[test]
    fn unsafe_locations_and_malformed_xml_are_refused() {
        for href in ["/etc/passwd", "repodata/../../x", "", "a//b"] {
            let text = doc(&data("primary", "sha256", SHA, href));
            let e = Repomd::parse(&text).unwrap_err();
            assert!(e.0.contains("unsafe location"), "{href}: {e}");
        }
        assert!(Repomd::parse("<repomd><data type=\"primary\">").is_err());
        assert!(
            Repomd::parse("<other/>")
                .unwrap_err()
                .0
                .contains("not <repomd>")
        );
        assert!(
            Repomd::parse("<!DOCTYPE x [<!ENTITY a \"b\">]><repomd/>")
                .unwrap_err()
                .0
                .contains("DTD")
        );
        assert!(Repomd::parse("<repomd></data></repomd>").is_err());
        assert!(Repomd::parse("<repomd>&bogus;</repomd>").is_err());
        let twice = doc(&format!(
            "{}{}",
            data("primary", "sha256", SHA, "repodata/a"),
            data("primary", "sha256", SHA, "repodata/b")
        ));
        assert!(Repomd::parse(&twice).unwrap_err().0.contains("twice"));
        assert!(Repomd::parse("").unwrap_err().0.contains("no <repomd>"));
    }
}
