//! URL schemes, the retry policy and mirrors: fetching one file from the first mirror that
//! delivers it, resuming a partial file when the server supports ranges.

use std::fs::{self, File, OpenOptions};
use std::io::{self, BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use super::FetchError;
use super::http::{self, HttpError, HttpUrl};

/// How files are fetched: timeouts, retries, and the offline switch.
#[derive(Debug, Clone)]
pub struct Transport {
    /// Refuse every network URL (only `file://` and local paths); `--offline`.
    pub offline: bool,
    /// TCP connect timeout.
    pub connect_timeout: Duration,
    /// Timeout of each read or write on the connection (a stalled server).
    pub read_timeout: Duration,
    /// Attempts per mirror for transient failures (network errors, 5xx, truncated bodies).
    pub attempts: u32,
    /// Delay before the second attempt; doubled for each further attempt.
    pub backoff: Duration,
}

impl Default for Transport {
    fn default() -> Self {
        Self {
            offline: false,
            connect_timeout: Duration::from_secs(10),
            read_timeout: Duration::from_secs(30),
            attempts: 3,
            backoff: Duration::from_millis(500),
        }
    }
}

/// Where a URL points.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Location {
    /// A local file (`file://` URL or absolute path).
    Local(PathBuf),
    /// An `http://` URL.
    Http(HttpUrl),
}

impl Transport {
    /// Classifies a URL, refusing network URLs when offline and schemes the fetcher lacks.
    pub(crate) fn locate(&self, url: &str) -> Result<Location, FetchError> {
        if let Some(path) = url.strip_prefix("file://") {
            let path = percent_decode(path);
            if !path.starts_with('/') {
                return Err(FetchError::UnsupportedUrl {
                    url: url.into(),
                    reason: "a file:// URL needs an absolute path (file:///...)".into(),
                });
            }
            return Ok(Location::Local(PathBuf::from(path)));
        }
        if url.starts_with('/') {
            return Ok(Location::Local(PathBuf::from(url)));
        }
        let scheme = url.split_once("://").map(|(s, _)| s.to_ascii_lowercase());
        match scheme.as_deref() {
            Some(_) if self.offline => Err(FetchError::Offline { url: url.into() }),
            Some("http") => {
                HttpUrl::parse(url)
                    .map(Location::Http)
                    .ok_or_else(|| FetchError::UnsupportedUrl {
                        url: url.into(),
                        reason: "malformed http:// URL".into(),
                    })
            }
            Some("https") => Err(FetchError::UnsupportedUrl {
                url: url.into(),
                reason: "https:// is not supported by leapfrog's built-in client; use an \
                         http:// mirror, a file:// path or a mounted medium"
                    .into(),
            }),
            _ => Err(FetchError::UnsupportedUrl {
                url: url.into(),
                reason: "only file://, http:// and absolute local paths are supported".into(),
            }),
        }
    }

    /// Reads a whole (small) file, e.g. repomd.xml, trying each mirror in turn.
    pub(crate) fn fetch_bytes(
        &self,
        urls: &[String],
        what: &str,
    ) -> Result<(Vec<u8>, String), FetchError> {
        self.with_mirrors(urls, what, |url| match self.locate(url)? {
            Location::Local(path) => {
                fs::read(&path)
                    .map(|b| (b, url.to_owned()))
                    .map_err(|source| FetchError::Io {
                        action: "read",
                        path,
                        source,
                    })
            }
            Location::Http(u) => {
                let mut resp = self.request(url, &u, 0)?;
                if resp.status != 200 {
                    return Err(status_error(url, &resp));
                }
                let mut out = Vec::new();
                resp.body
                    .by_ref()
                    .take(64 * 1024 * 1024)
                    .read_to_end(&mut out)
                    .map_err(|source| network(url, "connection lost while receiving", source))?;
                check_length(url, resp.content_length, out.len() as u64)?;
                Ok((out, url.to_owned()))
            }
        })
    }

    /// Fetches `urls` (mirrors of one file) into `part`, resuming it when `resume` is set and
    /// the server honours ranges. Returns the URL used and the bytes received by this call and
    /// the offset resumed from (the first attempt only).
    pub(crate) fn fetch_to_file(
        &self,
        urls: &[String],
        what: &str,
        part: &Path,
        resume: bool,
        progress: &(dyn Fn(u64) + Sync),
    ) -> Result<Fetched, FetchError> {
        let mut resumed_from = None;
        let mut received = 0u64;
        let result = self.with_mirrors(urls, what, |url| {
            let from = self.fetch_once(url, part, resume, progress, &mut received)?;
            resumed_from.get_or_insert(from);
            Ok(url.to_owned())
        });
        let url = result?;
        Ok(Fetched {
            url,
            received,
            resumed_from: resumed_from.unwrap_or(0),
        })
    }

    /// One attempt on one URL; partial data stays in `part` for the next attempt. Returns the
    /// offset it resumed from.
    fn fetch_once(
        &self,
        url: &str,
        part: &Path,
        resume: bool,
        progress: &(dyn Fn(u64) + Sync),
        received: &mut u64,
    ) -> Result<u64, FetchError> {
        match self.locate(url)? {
            Location::Local(src) => {
                let mut input = File::open(&src).map_err(|source| FetchError::Io {
                    action: "read",
                    path: src.clone(),
                    source,
                })?;
                let file = create(part, false)?;
                let n = copy_into(&mut input, file, part, url, progress)?;
                *received += n;
                Ok(0)
            }
            Location::Http(u) => {
                let have = if resume {
                    fs::metadata(part).map(|m| m.len()).unwrap_or(0)
                } else {
                    0
                };
                let mut resp = self.request(url, &u, have)?;
                let (append, from) = match resp.status {
                    206 if have > 0 => {
                        let start = resp.header("content-range").and_then(content_range_start);
                        if start == Some(have) {
                            (true, have)
                        } else {
                            // A range we did not ask for: start over.
                            let _ = fs::remove_file(part);
                            return Err(FetchError::Protocol {
                                url: url.into(),
                                reason: format!(
                                    "partial content does not start at byte {have}; restarting"
                                ),
                            });
                        }
                    }
                    200 => (false, 0),
                    416 if have > 0 => {
                        // Our partial file is not a prefix the server knows: start over.
                        let _ = fs::remove_file(part);
                        return Err(FetchError::Protocol {
                            url: url.into(),
                            reason: "range not satisfiable; restarting from scratch".into(),
                        });
                    }
                    _ => return Err(status_error(url, &resp)),
                };
                if append {
                    tracing::info!(%url, from, "resuming download");
                    progress(from);
                }
                let file = create(part, append)?;
                let n = copy_into(&mut resp.body, file, part, url, progress)?;
                *received += n;
                check_length(url, resp.content_length, n)?;
                Ok(from)
            }
        }
    }

    fn request(&self, url: &str, u: &HttpUrl, from: u64) -> Result<http::Response, FetchError> {
        let mut current = u.clone();
        let mut current_url = url.to_owned();
        for _ in 0..5 {
            let resp = http::get(&current, from, self.connect_timeout, self.read_timeout).map_err(
                |e| match e {
                    HttpError::Io(action, source) => network(&current_url, action, source),
                    HttpError::Protocol(reason) => FetchError::Protocol {
                        url: current_url.clone(),
                        reason,
                    },
                },
            )?;
            if matches!(resp.status, 301 | 302 | 303 | 307 | 308) {
                let location = resp.header("location").unwrap_or("").to_owned();
                let next = if location.starts_with('/') {
                    format!("http://{}:{}{}", current.host, current.port, location)
                } else {
                    location
                };
                match self.locate(&next)? {
                    Location::Http(n) => {
                        tracing::debug!(from = %current_url, to = %next, "redirect");
                        current = n;
                        current_url = next;
                        continue;
                    }
                    Location::Local(_) => {
                        return Err(FetchError::UnsupportedUrl {
                            url: current_url,
                            reason: format!("redirect to a local path {next:?} refused"),
                        });
                    }
                }
            }
            return Ok(resp);
        }
        Err(FetchError::Protocol {
            url: url.into(),
            reason: "too many redirects".into(),
        })
    }

    /// Runs `attempt` on each mirror, retrying transient failures with exponential backoff.
    fn with_mirrors<T>(
        &self,
        urls: &[String],
        what: &str,
        mut attempt: impl FnMut(&str) -> Result<T, FetchError>,
    ) -> Result<T, FetchError> {
        if urls.is_empty() {
            return Err(FetchError::Invalid {
                what: what.into(),
                reason: "no URL to fetch it from".into(),
            });
        }
        let mut errors = Vec::new();
        for url in urls {
            let mut delay = self.backoff;
            let attempts = self.attempts.max(1);
            for n in 1..=attempts {
                match attempt(url) {
                    Ok(v) => return Ok(v),
                    Err(e) if e.fatal() => return Err(e),
                    Err(e) if e.retryable() && n < attempts => {
                        tracing::warn!(%url, attempt = n, "{e}; retrying in {delay:?}");
                        std::thread::sleep(delay);
                        delay = delay.saturating_mul(2);
                    }
                    Err(e) => {
                        tracing::warn!(%url, "{e}");
                        errors.push(e);
                        break;
                    }
                }
            }
        }
        if errors.len() == 1 {
            Err(errors.remove(0))
        } else {
            Err(FetchError::AllMirrorsFailed {
                what: what.into(),
                errors,
            })
        }
    }
}

/// The result of [`Transport::fetch_to_file`].
#[derive(Debug, Clone)]
pub(crate) struct Fetched {
    pub url: String,
    /// Bytes received over all attempts.
    pub received: u64,
    /// Offset the first successful range request resumed from (0: from scratch).
    pub resumed_from: u64,
}

fn network(url: &str, action: &str, source: io::Error) -> FetchError {
    FetchError::Network {
        url: url.into(),
        action: action.into(),
        source,
    }
}

fn status_error(url: &str, resp: &http::Response) -> FetchError {
    FetchError::Http {
        url: url.into(),
        status: resp.status,
        reason: resp.reason.clone(),
    }
}

fn check_length(url: &str, expected: Option<u64>, got: u64) -> Result<(), FetchError> {
    match expected {
        Some(len) if len != got => Err(network(
            url,
            &format!("connection closed after {got} of {len} bytes"),
            io::Error::new(io::ErrorKind::UnexpectedEof, "truncated body"),
        )),
        _ => Ok(()),
    }
}

/// `bytes START-END/TOTAL` → START.
fn content_range_start(value: &str) -> Option<u64> {
    let rest = value.trim().strip_prefix("bytes")?.trim_start();
    rest.split('-').next()?.trim().parse().ok()
}

fn create(part: &Path, append: bool) -> Result<File, FetchError> {
    let mut o = OpenOptions::new();
    o.create(true).write(true);
    if append {
        o.append(true);
    } else {
        o.truncate(true);
    }
    o.open(part).map_err(|e| super::write_error(part, e))
}

/// Copies `input` into `file`; on a read error the bytes received so far are flushed to disk (so
/// a resume starts after them) and the error is returned as a network error.
fn copy_into(
    input: &mut dyn Read,
    file: File,
    part: &Path,
    url: &str,
    progress: &(dyn Fn(u64) + Sync),
) -> Result<u64, FetchError> {
    let mut out = BufWriter::with_capacity(256 * 1024, file);
    let mut buf = vec![0u8; 64 * 1024];
    let mut total = 0u64;
    loop {
        let n = match input.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => {
                out.flush().map_err(|e| super::write_error(part, e))?;
                return Err(network(
                    url,
                    &format!("connection lost after {total} bytes"),
                    e,
                ));
            }
        };
        out.write_all(&buf[..n])
            .map_err(|e| super::write_error(part, e))?;
        total += n as u64;
        progress(n as u64);
    }
    let file = out
        .into_inner()
        .map_err(|e| super::write_error(part, e.into_error()))?;
    file.sync_all().map_err(|e| super::write_error(part, e))?;
    Ok(total)
}

/// Decodes `%XX` escapes of a file:// URL path.
fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && let Some(v) = s
                .get(i + 1..i + 3)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
        {
            out.push(v);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_urls() {
        let t = Transport::default();
        assert_eq!(
            t.locate("file:///srv/repo%20x").unwrap(),
            Location::Local(PathBuf::from("/srv/repo x"))
        );
        assert_eq!(
            t.locate("/srv/repo").unwrap(),
            Location::Local(PathBuf::from("/srv/repo"))
        );
        assert!(matches!(t.locate("http://h/x").unwrap(), Location::Http(_)));
        let e = t.locate("https://h/x").unwrap_err();
        assert!(e.to_string().contains("https:// is not supported"), "{e}");
        assert!(t.locate("ftp://h/x").is_err());
        assert!(t.locate("relative/path").is_err());
        assert!(t.locate("file://relative").is_err());
        let off = Transport {
            offline: true,
            ..Transport::default()
        };
        assert!(matches!(
            off.locate("http://h/x").unwrap_err(),
            FetchError::Offline { .. }
        ));
        assert!(matches!(
            off.locate("https://h/x").unwrap_err(),
            FetchError::Offline { .. }
        ));
        assert!(off.locate("file:///x").is_ok());
    }

    #[test]
    fn parses_content_range() {
        assert_eq!(content_range_start("bytes 100-199/200"), Some(100));
        assert_eq!(content_range_start("bytes */200"), None);
        assert_eq!(content_range_start("items 1-2/3"), None);
    }
}
