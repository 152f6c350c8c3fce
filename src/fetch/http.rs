//! A minimal HTTP/1.1 client over `std::net::TcpStream`: `GET` with an optional `Range`, one
//! request per connection (`Connection: close`), `Content-Length`, chunked and read-to-close
//! bodies, redirects, connect and read timeouts, and `http_proxy`/`no_proxy`.
//!
//! Why not a client crate: leapfrog must fetch from plain-HTTP mirrors and local paths, and it
//! runs inside an upgrade environment where every dependency counts; what it needs from HTTP is
//! a single GET with a range, which is a few hundred lines with no `unsafe`, no async runtime and
//! no TLS stack. `https://` URLs are refused with a clear error (use an `http://` mirror, a
//! `file://` path or a mounted medium; a TLS client can be added behind this module later).

use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::time::Duration;

/// A parsed `http://` URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct HttpUrl {
    pub host: String,
    pub port: u16,
    /// Path and query, starting with `/`.
    pub path: String,
}

impl HttpUrl {
    pub(crate) fn parse(url: &str) -> Option<Self> {
        let rest = url.strip_prefix("http://")?;
        let (authority, path) = match rest.find(['/', '?', '#']) {
            Some(i) => (&rest[..i], &rest[i..]),
            None => (rest, "/"),
        };
        let path = path.split('#').next().unwrap_or("/");
        let path = if path.starts_with('/') {
            path.to_owned()
        } else {
            format!("/{path}")
        };
        if authority.is_empty() || authority.contains('@') {
            return None;
        }
        let (host, port) = if let Some(v6) = authority.strip_prefix('[') {
            let end = v6.find(']')?;
            let port = match &v6[end + 1..] {
                "" => 80,
                p => p.strip_prefix(':')?.parse().ok()?,
            };
            (format!("[{}]", &v6[..end]), port)
        } else {
            match authority.rsplit_once(':') {
                Some((h, p)) => (h.to_owned(), p.parse().ok()?),
                None => (authority.to_owned(), 80),
            }
        };
        if host.is_empty() || path.chars().any(|c| c.is_ascii_control() || c == ' ') {
            return None;
        }
        Some(Self { host, port, path })
    }

    fn host_header(&self) -> String {
        if self.port == 80 {
            self.host.clone()
        } else {
            format!("{}:{}", self.host, self.port)
        }
    }
}

/// The body reader of a response.
pub(crate) enum Body {
    Length(io::Take<BufReader<TcpStream>>),
    Chunked(Chunked),
    Close(BufReader<TcpStream>),
}

impl Read for Body {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Body::Length(r) => r.read(buf),
            Body::Chunked(r) => r.read(buf),
            Body::Close(r) => r.read(buf),
        }
    }
}

/// A response whose body has not been read yet.
pub(crate) struct Response {
    pub status: u16,
    pub reason: String,
    pub headers: Vec<(String, String)>,
    /// Length of the body when the server stated it.
    pub content_length: Option<u64>,
    pub body: Body,
}

impl Response {
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// Why a request failed: an I/O error (retryable) or a protocol violation.
#[derive(Debug)]
pub(crate) enum HttpError {
    Io(&'static str, io::Error),
    Protocol(String),
}

/// The proxy for `url` from `http_proxy`/`HTTP_PROXY`, unless `no_proxy` matches the host.
fn proxy_for(url: &HttpUrl) -> Option<HttpUrl> {
    let proxy = std::env::var("http_proxy")
        .or_else(|_| std::env::var("HTTP_PROXY"))
        .ok()
        .filter(|p| !p.is_empty())?;
    let no_proxy = std::env::var("no_proxy")
        .or_else(|_| std::env::var("NO_PROXY"))
        .unwrap_or_default();
    let host = url.host.trim_start_matches('[').trim_end_matches(']');
    for entry in no_proxy.split(',').map(str::trim).filter(|e| !e.is_empty()) {
        let entry = entry.trim_start_matches('.');
        if entry == "*" || host == entry || host.ends_with(&format!(".{entry}")) {
            return None;
        }
    }
    HttpUrl::parse(&proxy).or_else(|| HttpUrl::parse(&format!("http://{proxy}")))
}

/// Sends `GET url` (with `Range: bytes=<from>-` when `range_from > 0`) and reads the head.
pub(crate) fn get(
    url: &HttpUrl,
    range_from: u64,
    connect_timeout: Duration,
    read_timeout: Duration,
) -> Result<Response, HttpError> {
    let proxy = proxy_for(url);
    let target = proxy.as_ref().unwrap_or(url);
    let addrs: Vec<_> = (
        target.host.trim_start_matches('[').trim_end_matches(']'),
        target.port,
    )
        .to_socket_addrs()
        .map_err(|e| HttpError::Io("cannot resolve the host", e))?
        .collect();
    let mut last = io::Error::other("the host has no address");
    let mut stream = None;
    for addr in addrs {
        match TcpStream::connect_timeout(&addr, connect_timeout) {
            Ok(s) => {
                stream = Some(s);
                break;
            }
            Err(e) => last = e,
        }
    }
    let stream = stream.ok_or(HttpError::Io("cannot connect", last))?;
    stream
        .set_read_timeout(Some(read_timeout))
        .and_then(|()| stream.set_write_timeout(Some(read_timeout)))
        .map_err(|e| HttpError::Io("cannot set timeouts", e))?;
    let request_target = if proxy.is_some() {
        format!("http://{}{}", url.host_header(), url.path)
    } else {
        url.path.clone()
    };
    let mut request = format!(
        "GET {request_target} HTTP/1.1\r\nHost: {}\r\nUser-Agent: leapfrog/{}\r\nAccept: */*\r\nAccept-Encoding: identity\r\nConnection: close\r\n",
        url.host_header(),
        env!("CARGO_PKG_VERSION")
    );
    if range_from > 0 {
        request.push_str(&format!("Range: bytes={range_from}-\r\n"));
    }
    request.push_str("\r\n");
    (&stream)
        .write_all(request.as_bytes())
        .map_err(|e| HttpError::Io("cannot send the request", e))?;

    let mut reader = BufReader::new(stream);
    let status_line = read_line(&mut reader)?;
    let mut parts = status_line.splitn(3, ' ');
    let version = parts.next().unwrap_or("");
    if !version.starts_with("HTTP/1.") {
        return Err(HttpError::Protocol(format!(
            "bad status line {status_line:?}"
        )));
    }
    let status: u16 = parts
        .next()
        .and_then(|s| s.parse().ok())
        .filter(|s| (100..600).contains(s))
        .ok_or_else(|| HttpError::Protocol(format!("bad status line {status_line:?}")))?;
    let reason = parts.next().unwrap_or("").trim().to_owned();
    let mut headers = Vec::new();
    loop {
        let line = read_line(&mut reader)?;
        if line.is_empty() {
            break;
        }
        if headers.len() > 200 {
            return Err(HttpError::Protocol("too many header lines".into()));
        }
        let (k, v) = line
            .split_once(':')
            .ok_or_else(|| HttpError::Protocol(format!("bad header line {line:?}")))?;
        headers.push((k.trim().to_owned(), v.trim().to_owned()));
    }
    let find = |name: &str| {
        headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v): &(String, String)| v.clone())
    };
    let chunked =
        find("transfer-encoding").is_some_and(|v| v.to_ascii_lowercase().contains("chunked"));
    let content_length = match find("content-length") {
        Some(v) if !chunked => Some(
            v.parse::<u64>()
                .map_err(|_| HttpError::Protocol(format!("bad Content-Length {v:?}")))?,
        ),
        _ => None,
    };
    let body = if chunked {
        Body::Chunked(Chunked {
            inner: reader,
            remaining: 0,
            done: false,
        })
    } else if let Some(len) = content_length {
        Body::Length(reader.take(len))
    } else {
        Body::Close(reader)
    };
    Ok(Response {
        status,
        reason,
        headers,
        content_length,
        body,
    })
}

fn read_line(reader: &mut BufReader<TcpStream>) -> Result<String, HttpError> {
    let mut line = Vec::new();
    let n = reader
        .by_ref()
        .take(16 * 1024)
        .read_until(b'\n', &mut line)
        .map_err(|e| HttpError::Io("cannot read the response", e))?;
    if n == 0 {
        return Err(HttpError::Io(
            "cannot read the response",
            io::Error::new(io::ErrorKind::UnexpectedEof, "connection closed"),
        ));
    }
    if line.last() != Some(&b'\n') {
        return Err(HttpError::Protocol("header line too long".into()));
    }
    let text = String::from_utf8_lossy(&line);
    Ok(text.trim_end_matches(['\r', '\n']).to_owned())
}

/// A `Transfer-Encoding: chunked` body.
pub(crate) struct Chunked {
    inner: BufReader<TcpStream>,
    remaining: u64,
    done: bool,
}

impl Read for Chunked {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.done || buf.is_empty() {
            return Ok(0);
        }
        if self.remaining == 0 {
            let mut line = String::new();
            if self.inner.by_ref().take(1024).read_line(&mut line)? == 0 {
                return Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    "connection closed inside a chunked body",
                ));
            }
            let size = line.trim().split(';').next().unwrap_or("").trim();
            let size = u64::from_str_radix(size, 16).map_err(|_| {
                io::Error::new(
                    io::ErrorKind::InvalidData,
                    format!("bad chunk size {size:?}"),
                )
            })?;
            if size == 0 {
                // Trailers up to the empty line.
                loop {
                    let mut t = String::new();
                    if self.inner.by_ref().take(8192).read_line(&mut t)? == 0 || t.trim().is_empty()
                    {
                        break;
                    }
                }
                self.done = true;
                return Ok(0);
            }
            self.remaining = size;
        }
        let want = buf
            .len()
            .min(usize::try_from(self.remaining).unwrap_or(usize::MAX));
        let n = self.inner.read(&mut buf[..want])?;
        if n == 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "connection closed inside a chunk",
            ));
        }
        self.remaining -= n as u64;
        if self.remaining == 0 {
            let mut crlf = String::new();
            self.inner.by_ref().take(2).read_line(&mut crlf)?;
        }
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_http_urls() {
        let u = HttpUrl::parse("http://127.0.0.1:8080/a/b.rpm?x=1#frag").unwrap();
        assert_eq!(u.host, "127.0.0.1");
        assert_eq!(u.port, 8080);
        assert_eq!(u.path, "/a/b.rpm?x=1");
        let u = HttpUrl::parse("http://mirror.example").unwrap();
        assert_eq!((u.port, u.path.as_str()), (80, "/"));
        let u = HttpUrl::parse("http://[::1]:81/x").unwrap();
        assert_eq!((u.host.as_str(), u.port), ("[::1]", 81));
        assert!(HttpUrl::parse("https://x/").is_none());
        assert!(HttpUrl::parse("http://user@x/").is_none());
        assert!(HttpUrl::parse("http://x:notaport/").is_none());
        assert!(HttpUrl::parse("http:///path").is_none());
        assert!(HttpUrl::parse("http://x/a b").is_none());
    }
}
