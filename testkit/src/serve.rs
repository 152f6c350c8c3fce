//! Serving a world over HTTP on 127.0.0.1, for download tests (`baseurl=http://...`).

use std::net::SocketAddr;
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;
use std::thread::JoinHandle;

/// A running server; stops when [`WorldServer::stop`] is called or it is dropped.
pub struct WorldServer {
    /// `http://127.0.0.1:PORT`
    pub url: String,
    server: Arc<tiny_http::Server>,
    thread: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for WorldServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WorldServer")
            .field("url", &self.url)
            .finish_non_exhaustive()
    }
}

impl WorldServer {
    /// Stops serving and waits for the thread.
    pub fn stop(mut self) {
        self.shutdown();
    }

    /// Serves until the process ends (for the CLI).
    pub fn wait(mut self) {
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }

    fn shutdown(&mut self) {
        self.server.unblock();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Drop for WorldServer {
    fn drop(&mut self) {
        self.shutdown();
    }
}

/// Resolves a request path inside `root`, refusing anything that could leave it.
pub fn resolve(root: &Path, url_path: &str) -> Option<PathBuf> {
    let path = url_path.split(['?', '#']).next().unwrap_or("");
    let mut out = root.to_path_buf();
    for c in Path::new(path.trim_start_matches('/')).components() {
        match c {
            Component::Normal(p) => out.push(p),
            Component::CurDir => {}
            _ => return None,
        }
    }
    Some(out)
}

/// Starts serving `root` on 127.0.0.1 (`port` 0 picks a free one).
pub fn serve(root: &Path, port: u16) -> std::io::Result<WorldServer> {
    let addr: SocketAddr = ([127, 0, 0, 1], port).into();
    let server = Arc::new(tiny_http::Server::http(addr).map_err(std::io::Error::other)?);
    let local = server
        .server_addr()
        .to_ip()
        .ok_or_else(|| std::io::Error::other("no IP address"))?;
    let url = format!("http://{local}");
    let root = root.to_path_buf();
    let s = server.clone();
    let thread = std::thread::spawn(move || {
        for req in s.incoming_requests() {
            let resp = match resolve(&root, req.url())
                .filter(|p| p.is_file())
                .and_then(|p| std::fs::File::open(p).ok())
            {
                Some(f) => req.respond(tiny_http::Response::from_file(f)),
                None => {
                    req.respond(tiny_http::Response::from_string("not found").with_status_code(404))
                }
            };
            if let Err(e) = resp {
                tracing::debug!("serving: {e}");
            }
        }
    });
    Ok(WorldServer {
        url,
        server,
        thread: Some(thread),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolve_stays_inside_root() {
        let root = Path::new("/w");
        assert_eq!(resolve(root, "/a/b.rpm"), Some(PathBuf::from("/w/a/b.rpm")));
        assert_eq!(resolve(root, "/a/../../etc/passwd"), None);
        assert_eq!(resolve(root, "/a/b?x=1"), Some(PathBuf::from("/w/a/b")));
    }

    #[test]
    fn serves_files_and_404s() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("hello.txt"), "hi").unwrap();
        let srv = serve(dir.path(), 0).unwrap();
        let get = |path: &str| {
            use std::io::{Read, Write};
            let addr = srv.url.trim_start_matches("http://").to_string();
            let mut s = std::net::TcpStream::connect(addr).unwrap();
            write!(s, "GET {path} HTTP/1.0\r\nHost: x\r\n\r\n").unwrap();
            let mut out = String::new();
            s.read_to_string(&mut out).unwrap();
            out
        };
        let ok = get("/hello.txt");
        assert!(
            ok.starts_with("HTTP/1.1 200") || ok.starts_with("HTTP/1.0 200"),
            "{ok}"
        );
        assert!(ok.ends_with("hi"));
        assert!(get("/missing").contains(" 404 "));
        assert!(get("/../etc/passwd").contains(" 404 "));
        srv.stop();
    }
}
