//! Transfers that go wrong: a dropped connection resumed with a range request (or restarted),
//! a partial file of an earlier run, offline mode, 404s, a full disk, transient errors retried
//! and chunked bodies.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};

use leapfrog::fetch::{self, FetchError, RepoLocation, Source};
use leapfrog_testkit::fixture::TestMount;

use super::*;

/// A server that sends half of `body` and closes the connection on the first request, then
/// answers range requests with 206 (or, with `ranges: false`, always the whole body with 200).
/// Returns its URL and the request heads it saw.
fn flaky_server(body: Vec<u8>, ranges: bool) -> (String, Arc<Mutex<Vec<String>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    std::thread::spawn(move || {
        for (n, conn) in listener.incoming().enumerate() {
            let Ok(mut conn) = conn else { continue };
            let mut reader = BufReader::new(conn.try_clone().unwrap());
            let mut head = String::new();
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                    break;
                }
                head.push_str(&line);
            }
            log.lock().unwrap().push(head.clone());
            let range = head
                .lines()
                .find_map(|l| l.strip_prefix("Range: bytes="))
                .and_then(|r| r.trim_end_matches('-').parse::<usize>().ok());
            let len = body.len();
            if n == 0 {
                let _ = write!(conn, "HTTP/1.1 200 OK\r\nContent-Length: {len}\r\n\r\n");
                let _ = conn.write_all(&body[..len / 2]);
                let _ = conn.flush();
                drop(conn); // drop the connection mid-file
                continue;
            }
            match range {
                Some(from) if ranges && from < len => {
                    let _ = write!(
                        conn,
                        "HTTP/1.1 206 Partial Content\r\nContent-Range: bytes {from}-{}/{len}\r\nContent-Length: {}\r\n\r\n",
                        len - 1,
                        len - from
                    );
                    let _ = conn.write_all(&body[from..]);
                }
                _ => {
                    let _ = write!(conn, "HTTP/1.1 200 OK\r\nContent-Length: {len}\r\n\r\n");
                    let _ = conn.write_all(&body);
                }
            }
        }
    });
    (url, seen)
}

#[test]
fn a_dropped_connection_is_resumed_with_a_range_request() {
    let mut bash = one("baseos", "bash", "http://unused");
    let body = std::fs::read(
        repo_dir("baseos")
            .join("Packages")
            .join(bash.urls[0].rsplit('/').next().unwrap()),
    )
    .unwrap();
    let (url, seen) = flaky_server(body.clone(), true);
    let name = bash.urls[0].rsplit('/').next().unwrap().to_string();
    bash.urls = vec![format!("{url}/{name}")];
    let dest = tempfile::tempdir().unwrap();
    let r = download_one(&bash, dest.path()).unwrap();
    let p = &r.packages[0];
    assert_eq!(p.source, Source::Downloaded);
    assert_eq!(p.resumed_bytes, (body.len() / 2) as u64);
    assert_eq!(p.downloaded_bytes, body.len() as u64);
    assert_eq!(std::fs::read(&p.path).unwrap(), body);
    let heads = seen.lock().unwrap().clone();
    assert_eq!(heads.len(), 2, "{heads:?}");
    assert!(!heads[0].contains("Range:"));
    assert!(
        heads[1].contains(&format!("Range: bytes={}-", body.len() / 2)),
        "{heads:?}"
    );

    // A server without range support: the download restarts from scratch and still verifies.
    let (url, seen) = flaky_server(body.clone(), false);
    bash.urls = vec![format!("{url}/{name}")];
    let dest = tempfile::tempdir().unwrap();
    let r = download_one(&bash, dest.path()).unwrap();
    assert_eq!(r.packages[0].resumed_bytes, 0);
    assert_eq!(std::fs::read(&r.packages[0].path).unwrap(), body);
    assert_eq!(seen.lock().unwrap().len(), 2);
}

#[test]
fn a_partial_file_from_an_earlier_run_is_resumed() {
    let bash = one("baseos", "bash", &http_base("baseos"));
    let name = bash.urls[0].rsplit('/').next().unwrap().to_string();
    let body = std::fs::read(repo_dir("baseos").join("Packages").join(&name)).unwrap();
    let (url, seen) = flaky_server(body.clone(), true);
    // The flaky server drops its first connection; let it do so on a throwaway request.
    let _ = std::net::TcpStream::connect(url.trim_start_matches("http://")).and_then(|mut s| {
        s.write_all(b"GET /x HTTP/1.1\r\n\r\n")?;
        let mut v = Vec::new();
        s.read_to_end(&mut v)
    });
    let dest = tempfile::tempdir().unwrap();
    std::fs::write(dest.path().join(format!("{name}.part")), &body[..1000]).unwrap();
    let mut item = bash.clone();
    item.urls = vec![format!("{url}/{name}")];
    let r = download_one(&item, dest.path()).unwrap();
    assert_eq!(r.packages[0].resumed_bytes, 1000);
    assert_eq!(r.packages[0].downloaded_bytes, (body.len() - 1000) as u64);
    assert!(seen.lock().unwrap()[1].contains("Range: bytes=1000-"));

    // A stale partial file that is not a prefix of the package: the checksum fails, the file is
    // dropped and downloaded again from scratch.
    let dest = tempfile::tempdir().unwrap();
    std::fs::write(dest.path().join(format!("{name}.part")), vec![0u8; 1000]).unwrap();
    let r = download_one(&bash, dest.path()).unwrap();
    assert_eq!(std::fs::read(&r.packages[0].path).unwrap(), body);
}

#[test]
fn offline_refuses_network_urls_and_404s_name_the_url() {
    let dest = tempfile::tempdir().unwrap();
    let bash = one("baseos", "bash", &http_base("baseos"));
    let mut o = opts(vec![distro_key()]);
    o.offline = true;
    let e = fetch::download(std::slice::from_ref(&bash), dest.path(), &o).unwrap_err();
    assert!(matches!(e, FetchError::Offline { .. }), "{e:?}");
    assert!(e.to_string().contains(&bash.urls[0]), "{e}");
    let loc = RepoLocation {
        id: "baseos".into(),
        baseurls: vec![http_base("baseos")],
    };
    let e = fetch::fetch_repo_metadata(&loc, dest.path(), true).unwrap_err();
    assert!(matches!(e, FetchError::Offline { .. }), "{e:?}");
    // file:// still works offline.
    let local = one(
        "baseos",
        "bash",
        &format!("file://{}", repo_dir("baseos").display()),
    );
    assert_eq!(
        fetch::download(&[local], dest.path(), &o)
            .unwrap()
            .downloaded,
        1
    );

    let mut missing = bash.clone();
    missing.urls = vec![format!(
        "{}/{REL}/baseos/Packages/nothere-1-1.x86_64.rpm",
        server()
    )];
    let e =
        fetch::download(&[missing.clone()], dest.path(), &opts(vec![distro_key()])).unwrap_err();
    assert!(matches!(e, FetchError::Http { status: 404, .. }), "{e:?}");
    assert!(e.to_string().contains(&missing.urls[0]), "{e}");
    // A 404 on the first mirror falls through to the second.
    missing.urls.push(bash.urls[0].clone());
    let dest2 = tempfile::tempdir().unwrap();
    let r = fetch::download(&[missing], dest2.path(), &opts(vec![distro_key()])).unwrap();
    assert_eq!(r.packages[0].url.as_deref(), Some(bash.urls[0].as_str()));
}

#[test]
fn a_full_disk_gives_a_clear_error_and_no_file() {
    let mnt = TestMount::tmpfs(scratch(), "enospc", "64k");
    let big = items("baseos", &http_base("baseos"))
        .into_iter()
        .max_by_key(|i| i.size.unwrap())
        .unwrap();
    assert!(big.size.unwrap() > 128 * 1024, "{:?}", big.size);
    let result = download_one(&big, &mnt.dir);
    let listing: Vec<_> = std::fs::read_dir(&mnt.dir)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    drop(mnt);
    let e = result.unwrap_err();
    assert!(matches!(e, FetchError::DiskFull { .. }), "{e:?}");
    assert!(e.to_string().contains("no space left"), "{e}");
    assert!(listing.is_empty(), "{listing:?}");
}

/// A server that answers the n-th connection with `responses[n]` (the last one repeats) and
/// counts connections.
fn scripted_server(responses: Vec<Vec<u8>>) -> (String, Arc<Mutex<usize>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let count = Arc::new(Mutex::new(0));
    let seen = count.clone();
    std::thread::spawn(move || {
        for (n, conn) in listener.incoming().enumerate() {
            let Ok(mut conn) = conn else { continue };
            let mut reader = BufReader::new(conn.try_clone().unwrap());
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                    break;
                }
            }
            *seen.lock().unwrap() += 1;
            let response = &responses[n.min(responses.len() - 1)];
            let _ = conn.write_all(response);
        }
    });
    (url, count)
}

#[test]
fn transient_errors_are_retried_and_chunked_bodies_decoded() {
    let mut bash = one("baseos", "bash", "http://unused");
    let name = bash.urls[0].rsplit('/').next().unwrap().to_string();
    let body = std::fs::read(repo_dir("baseos").join("Packages").join(&name)).unwrap();
    let unavailable = b"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n\r\n".to_vec();
    let mut chunked = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n".to_vec();
    for piece in body.chunks(4000) {
        chunked.extend_from_slice(format!("{:x}\r\n", piece.len()).as_bytes());
        chunked.extend_from_slice(piece);
        chunked.extend_from_slice(b"\r\n");
    }
    chunked.extend_from_slice(b"0\r\n\r\n");
    let (url, count) = scripted_server(vec![unavailable.clone(), chunked]);
    bash.urls = vec![format!("{url}/{name}")];
    let dest = tempfile::tempdir().unwrap();
    let r = download_one(&bash, dest.path()).unwrap();
    assert_eq!(std::fs::read(&r.packages[0].path).unwrap(), body);
    assert_eq!(*count.lock().unwrap(), 2, "one retry after the 503");

    // A server that keeps failing: the attempts run out and the error names the status.
    let (url, count) = scripted_server(vec![unavailable]);
    bash.urls = vec![format!("{url}/{name}")];
    let fresh = tempfile::tempdir().unwrap();
    let e = download_one(&bash, fresh.path()).unwrap_err();
    assert!(matches!(e, FetchError::Http { status: 503, .. }), "{e:?}");
    assert_eq!(*count.lock().unwrap(), 3, "three attempts");
}
