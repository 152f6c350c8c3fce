//! `leapfrog::fetch` on a synthetic AlmaLinux 9 world: repository metadata over HTTP and in
//! place, parallel verified downloads, signatures (distro key, wrong key, unsigned), corrupted
//! packages, interrupted transfers resumed, offline mode, 404s and a full disk.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use leapfrog::fetch::{
    self, Checksum, FetchError, Item, Options, RepoLocation, SigStatus, Source, Transport,
};
use leapfrog_testkit::world::{self, Scale, WorldOptions};

const REL: &str = "almalinux-9.6";

fn scratch() -> &'static Path {
    static DIR: OnceLock<tempfile::TempDir> = OnceLock::new();
    DIR.get_or_init(|| tempfile::tempdir().unwrap()).path()
}

fn world_dir() -> &'static Path {
    static W: OnceLock<PathBuf> = OnceLock::new();
    W.get_or_init(|| {
        let out = scratch().join("world");
        let mut o = WorldOptions::new(&out, Scale::Small);
        o.releases = vec![REL.to_string()];
        world::build_world(&o).expect("world");
        out
    })
}

fn server() -> &'static str {
    static S: OnceLock<leapfrog_testkit::serve::WorldServer> = OnceLock::new();
    &S.get_or_init(|| leapfrog_testkit::serve::serve(world_dir(), 0).unwrap())
        .url
}

fn repo_dir(repo: &str) -> PathBuf {
    world_dir().join(REL).join(repo)
}

fn key(name: &str) -> PathBuf {
    world_dir().join(REL).join(name)
}

fn distro_key() -> PathBuf {
    key("RPM-GPG-KEY-AlmaLinux-9")
}

fn quick() -> Transport {
    Transport {
        backoff: Duration::from_millis(20),
        read_timeout: Duration::from_secs(5),
        ..Transport::default()
    }
}

fn opts(keys: Vec<PathBuf>) -> Options {
    Options {
        keys,
        transport: quick(),
        ..Options::default()
    }
}

fn attr<'a>(text: &'a str, tag: &str, name: &str) -> &'a str {
    let t = &text[text.find(&format!("<{tag} ")).unwrap()..];
    let t = &t[..t.find('>').unwrap()];
    let a = &t[t.find(&format!("{name}=\"")).unwrap() + name.len() + 2..];
    &a[..a.find('"').unwrap()]
}

/// The packages of a repository as download items, from its primary.xml (checksums and sizes as
/// repodata states them), with URLs under `base`.
fn items(repo: &str, base: &str) -> Vec<Item> {
    let repodata = repo_dir(repo).join("repodata");
    let primary = std::fs::read_dir(&repodata)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.to_string_lossy().ends_with("primary.xml.gz"))
        .unwrap();
    let mut xml = String::new();
    flate2::read::GzDecoder::new(std::fs::File::open(primary).unwrap())
        .read_to_string(&mut xml)
        .unwrap();
    xml.split("<package type=\"rpm\">")
        .skip(1)
        .map(|p| {
            let name = &p[p.find("<name>").unwrap() + 6..p.find("</name>").unwrap()];
            let arch = &p[p.find("<arch>").unwrap() + 6..p.find("</arch>").unwrap()];
            let (e, v, r) = (
                attr(p, "version", "epoch"),
                attr(p, "version", "ver"),
                attr(p, "version", "rel"),
            );
            let ctype = attr(p, "checksum", "type");
            let c = &p[p.find("<checksum ").unwrap()..];
            let hex = &c[c.find('>').unwrap() + 1..c.find("</checksum>").unwrap()];
            let size: u64 = attr(p, "size", "package").parse().unwrap();
            let href = attr(p, "location", "href");
            Item {
                nevra: format!("{name}-{e}:{v}-{r}.{arch}"),
                repo: repo.to_string(),
                urls: vec![format!("{}/{href}", base.trim_end_matches('/'))],
                checksum: Some(Checksum::parse(ctype, hex).unwrap()),
                size: Some(size),
            }
        })
        .collect()
}

fn http_base(repo: &str) -> String {
    format!("{}/{REL}/{repo}", server())
}

fn one(repo: &str, name: &str, base: &str) -> Item {
    items(repo, base)
        .into_iter()
        .find(|i| i.nevra.starts_with(&format!("{name}-")))
        .unwrap_or_else(|| panic!("{name} in {repo}"))
}

#[test]
fn metadata_over_http_then_warm_cache_is_a_no_op() {
    let cache = tempfile::tempdir().unwrap();
    let loc = RepoLocation {
        id: "almalinux9-appstream".into(),
        baseurls: vec![http_base("appstream")],
    };
    let first = fetch::fetch_repo_metadata(&loc, cache.path(), false).unwrap();
    assert_eq!(first.dir, cache.path().join("almalinux9-appstream"));
    assert!(!first.in_place);
    assert_eq!(first.files, ["primary", "filelists", "other", "modules"]);
    assert_eq!(first.downloaded_files, 4);
    assert!(first.downloaded_bytes > 0);
    assert!(first.dir.join("repodata/repomd.xml").is_file());
    for kind in ["primary", "filelists", "other", "modules"] {
        let local = first.data_path(kind).unwrap();
        let original = repo_dir("appstream").join(&first.repomd.get(kind).unwrap().href);
        assert_eq!(
            std::fs::read(local).unwrap(),
            std::fs::read(original).unwrap()
        );
    }
    let second = fetch::fetch_repo_metadata(&loc, cache.path(), false).unwrap();
    assert_eq!(second.downloaded_files, 0, "warm cache downloads nothing");
    assert_eq!(second.downloaded_bytes, 0);
    assert_eq!(second.files, first.files);

    // A damaged cached file is noticed and fetched again.
    let primary = second.data_path("primary").unwrap();
    std::fs::write(&primary, b"damaged").unwrap();
    let third = fetch::fetch_repo_metadata(&loc, cache.path(), false).unwrap();
    assert_eq!(third.downloaded_files, 1);
    assert_ne!(std::fs::read(&primary).unwrap(), b"damaged");
}

#[test]
fn local_repositories_are_used_in_place_and_mirrors_fall_back() {
    let cache = tempfile::tempdir().unwrap();
    let url = format!("file://{}", repo_dir("baseos").display());
    let loc = RepoLocation {
        id: "baseos".into(),
        baseurls: vec![url],
    };
    let r = fetch::fetch_repo_metadata(&loc, cache.path(), true).unwrap();
    assert!(r.in_place);
    assert_eq!(r.dir, repo_dir("baseos"));
    assert_eq!(r.downloaded_files, 0);
    assert!(r.data_path("primary").unwrap().is_file());
    assert_eq!(
        std::fs::read_dir(cache.path()).unwrap().count(),
        0,
        "nothing copied"
    );

    // A dead first mirror: the second one serves.
    let loc = RepoLocation {
        id: "baseos".into(),
        baseurls: vec![format!("{}/nowhere", server()), http_base("baseos")],
    };
    let r = fetch::fetch_repo_metadata(&loc, cache.path(), false).unwrap();
    assert_eq!(r.baseurl, http_base("baseos"));
    assert!(r.data_path("primary").is_some());

    // Every mirror dead: the error names them.
    let loc = RepoLocation {
        id: "baseos".into(),
        baseurls: vec![format!("{}/nowhere", server())],
    };
    let e = fetch::fetch_repo_metadata(&loc, cache.path(), false).unwrap_err();
    assert!(matches!(e, FetchError::Http { status: 404, .. }), "{e:?}");
    assert!(
        e.to_string().contains("/nowhere/repodata/repomd.xml"),
        "{e}"
    );
}

#[test]
fn metadata_with_a_tampered_data_file_is_refused() {
    let copy = tempfile::tempdir().unwrap();
    let dir = copy.path().join("baseos");
    let status = Command::new("cp")
        .arg("-a")
        .arg(repo_dir("baseos"))
        .arg(&dir)
        .status()
        .unwrap();
    assert!(status.success());
    let filelists = std::fs::read_dir(dir.join("repodata"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.to_string_lossy().ends_with("filelists.xml.gz"))
        .unwrap();
    let mut bytes = std::fs::read(&filelists).unwrap();
    let mid = bytes.len() / 2;
    bytes[mid] ^= 0xff;
    std::fs::write(&filelists, bytes).unwrap();
    let loc = RepoLocation {
        id: "baseos".into(),
        baseurls: vec![dir.display().to_string()],
    };
    let e = fetch::fetch_repo_metadata(&loc, copy.path(), true).unwrap_err();
    assert!(matches!(e, FetchError::Checksum { .. }), "{e:?}");
    let msg = e.to_string();
    assert!(
        msg.contains("filelists") && msg.contains("expected sha256:"),
        "{msg}"
    );
}

#[test]
fn packages_download_in_parallel_verified_and_a_second_run_downloads_nothing() {
    let dest = tempfile::tempdir().unwrap();
    let list = items("baseos", &http_base("baseos"));
    assert!(list.len() > 20, "{}", list.len());
    let o = opts(vec![distro_key()]);
    let report = fetch::download(&list, dest.path(), &o).unwrap();
    assert_eq!(report.downloaded, list.len());
    assert_eq!(report.cached, 0);
    assert_eq!(report.resumed_bytes, 0);
    let total: u64 = list.iter().map(|i| i.size.unwrap()).sum();
    assert_eq!(report.total_bytes, total);
    assert_eq!(report.downloaded_bytes, total);
    for p in &report.packages {
        assert_eq!(p.source, Source::Downloaded);
        assert_eq!(p.signature, Some(SigStatus::Ok));
        let name = p.path.file_name().unwrap();
        let original = repo_dir("baseos").join("Packages").join(name);
        assert_eq!(
            std::fs::read(&p.path).unwrap(),
            std::fs::read(original).unwrap()
        );
    }
    let leftovers: Vec<_> = std::fs::read_dir(dest.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".part"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");

    // The real rpm agrees that they verify against the key.
    let db = tempfile::tempdir().unwrap();
    let ok = Command::new("rpmkeys")
        .arg("--dbpath")
        .arg(db.path())
        .arg("--import")
        .arg(distro_key())
        .status()
        .unwrap();
    assert!(ok.success());
    let out = Command::new("rpmkeys")
        .arg("--dbpath")
        .arg(db.path())
        .args(["--define", "_pkgverify_level signature", "-K"])
        .args(report.packages.iter().map(|p| &p.path))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );

    let again = fetch::download(&list, dest.path(), &o).unwrap();
    assert_eq!(again.downloaded, 0, "second run downloads nothing");
    assert_eq!(again.cached, list.len());
    assert_eq!(again.downloaded_bytes, 0);
    assert!(again.packages.iter().all(|p| p.source == Source::Cached));
}

#[test]
fn signatures_by_an_unknown_key_or_missing_are_refused() {
    let dest = tempfile::tempdir().unwrap();
    let bash = one("baseos", "bash", &http_base("baseos"));

    // The EPEL key did not sign bash.
    let e = fetch::download(
        std::slice::from_ref(&bash),
        dest.path(),
        &opts(vec![key("RPM-GPG-KEY-EPEL-9")]),
    )
    .unwrap_err();
    match &e {
        FetchError::Signature {
            package, status, ..
        } => {
            assert_eq!(*status, SigStatus::UnknownKey);
            assert!(package.starts_with("bash-"));
        }
        other => panic!("{other:?}"),
    }
    assert!(e.to_string().contains("NOKEY"), "{e}");
    assert_eq!(
        std::fs::read_dir(dest.path()).unwrap().count(),
        0,
        "refused file removed"
    );

    // An EPEL package verifies with the EPEL key.
    let htop = one("epel", "htop", &http_base("epel"));
    let r = fetch::download(
        std::slice::from_ref(&htop),
        dest.path(),
        &opts(vec![key("RPM-GPG-KEY-EPEL-9")]),
    )
    .unwrap();
    assert_eq!(r.packages[0].signature, Some(SigStatus::Ok));

    // The unsigned third-party agent: refused with gpgcheck, accepted without.
    let acme = one("acme", "acme-agent", &http_base("acme"));
    let e = fetch::download(
        std::slice::from_ref(&acme),
        dest.path(),
        &opts(vec![distro_key()]),
    )
    .unwrap_err();
    assert!(
        matches!(
            e,
            FetchError::Signature {
                status: SigStatus::Unsigned,
                ..
            }
        ),
        "{e:?}"
    );
    assert!(e.to_string().contains("acme-agent"), "{e}");
    let mut nogpg = opts(Vec::new());
    nogpg.gpgcheck = false;
    let r = fetch::download(std::slice::from_ref(&acme), dest.path(), &nogpg).unwrap();
    assert_eq!(r.downloaded, 1);
    assert_eq!(r.packages[0].signature, None);

    // gpgcheck without any key is a usage error, not a silent pass.
    let e =
        fetch::download(std::slice::from_ref(&bash), dest.path(), &opts(Vec::new())).unwrap_err();
    assert!(e.to_string().contains("no key file"), "{e}");
}

/// A copy of the baseos repository with bytes flipped in the middle of bash's RPM (repodata
/// unchanged).
fn corrupted_repo() -> (tempfile::TempDir, PathBuf) {
    let copy = tempfile::tempdir().unwrap();
    let dir = copy.path().join("baseos");
    assert!(
        Command::new("cp")
            .arg("-a")
            .arg(repo_dir("baseos"))
            .arg(&dir)
            .status()
            .unwrap()
            .success()
    );
    let rpm = std::fs::read_dir(dir.join("Packages"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| {
            p.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("bash-")
        })
        .unwrap();
    let mut bytes = std::fs::read(&rpm).unwrap();
    let at = bytes.len() * 3 / 4;
    for b in &mut bytes[at..at + 16] {
        *b ^= 0x5a;
    }
    std::fs::write(&rpm, bytes).unwrap();
    (copy, dir)
}

#[test]
fn a_corrupted_package_is_refused_with_a_checksum_error() {
    let (_copy, dir) = corrupted_repo();
    let srv = leapfrog_testkit::serve::serve(&dir, 0).unwrap();
    let dest = tempfile::tempdir().unwrap();
    let bash = one("baseos", "bash", &srv.url);
    let e = fetch::download(
        std::slice::from_ref(&bash),
        dest.path(),
        &opts(vec![distro_key()]),
    )
    .unwrap_err();
    match &e {
        FetchError::Checksum {
            package,
            url,
            expected,
            actual,
        } => {
            assert_eq!(package, &bash.nevra);
            assert_eq!(url, &bash.urls[0]);
            assert_eq!(Some(expected), bash.checksum.as_ref());
            assert_ne!(actual, &expected.hex);
        }
        other => panic!("{other:?}"),
    }
    let msg = e.to_string();
    assert!(
        msg.contains(&bash.urls[0]) && msg.contains("expected sha256:"),
        "{msg}"
    );
    assert_eq!(std::fs::read_dir(dest.path()).unwrap().count(), 0);

    // Without a repodata checksum, librpm's own digests still catch it (also with nogpgcheck).
    let mut unchecked = bash.clone();
    unchecked.checksum = None;
    unchecked.size = None;
    let e = fetch::download(
        std::slice::from_ref(&unchecked),
        dest.path(),
        &opts(vec![distro_key()]),
    )
    .unwrap_err();
    assert!(
        matches!(
            e,
            FetchError::Signature {
                status: SigStatus::Bad,
                ..
            }
        ),
        "{e:?}"
    );
    let mut nogpg = opts(Vec::new());
    nogpg.gpgcheck = false;
    let e = fetch::download(std::slice::from_ref(&unchecked), dest.path(), &nogpg).unwrap_err();
    assert!(
        matches!(
            e,
            FetchError::Signature {
                status: SigStatus::Bad,
                ..
            }
        ),
        "{e:?}"
    );
    // The intact package from a file:// URL is fine.
    let good = one(
        "baseos",
        "bash",
        &format!("file://{}", repo_dir("baseos").display()),
    );
    let r = fetch::download(
        std::slice::from_ref(&good),
        dest.path(),
        &opts(vec![distro_key()]),
    )
    .unwrap();
    assert_eq!(r.downloaded, 1);
}

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
    let r = fetch::download(
        std::slice::from_ref(&bash),
        dest.path(),
        &opts(vec![distro_key()]),
    )
    .unwrap();
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
    let r = fetch::download(
        std::slice::from_ref(&bash),
        dest.path(),
        &opts(vec![distro_key()]),
    )
    .unwrap();
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
    let r = fetch::download(
        std::slice::from_ref(&item),
        dest.path(),
        &opts(vec![distro_key()]),
    )
    .unwrap();
    assert_eq!(r.packages[0].resumed_bytes, 1000);
    assert_eq!(r.packages[0].downloaded_bytes, (body.len() - 1000) as u64);
    assert!(seen.lock().unwrap()[1].contains("Range: bytes=1000-"));

    // A stale partial file that is not a prefix of the package: the checksum fails, the file is
    // dropped and downloaded again from scratch.
    let dest = tempfile::tempdir().unwrap();
    std::fs::write(dest.path().join(format!("{name}.part")), vec![0u8; 1000]).unwrap();
    let r = fetch::download(
        std::slice::from_ref(&bash),
        dest.path(),
        &opts(vec![distro_key()]),
    )
    .unwrap();
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
    let mnt = tempfile::tempdir().unwrap();
    let ok = Command::new("mount")
        .args(["-t", "tmpfs", "-o", "size=64k", "leapfrog-enospc"])
        .arg(mnt.path())
        .status()
        .unwrap();
    assert!(ok.success(), "mount tmpfs (tests run as root)");
    let big = items("baseos", &http_base("baseos"))
        .into_iter()
        .max_by_key(|i| i.size.unwrap())
        .unwrap();
    assert!(big.size.unwrap() > 128 * 1024, "{:?}", big.size);
    let result = fetch::download(
        std::slice::from_ref(&big),
        mnt.path(),
        &opts(vec![distro_key()]),
    );
    let listing: Vec<_> = std::fs::read_dir(mnt.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    let _ = Command::new("umount").arg(mnt.path()).status();
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
    let r = fetch::download(
        std::slice::from_ref(&bash),
        dest.path(),
        &opts(vec![distro_key()]),
    )
    .unwrap();
    assert_eq!(std::fs::read(&r.packages[0].path).unwrap(), body);
    assert_eq!(*count.lock().unwrap(), 2, "one retry after the 503");

    // A server that keeps failing: the attempts run out and the error names the status.
    let (url, count) = scripted_server(vec![unavailable]);
    bash.urls = vec![format!("{url}/{name}")];
    let fresh = tempfile::tempdir().unwrap();
    let e = fetch::download(
        std::slice::from_ref(&bash),
        fresh.path(),
        &opts(vec![distro_key()]),
    )
    .unwrap_err();
    assert!(matches!(e, FetchError::Http { status: 503, .. }), "{e:?}");
    assert_eq!(*count.lock().unwrap(), 3, "three attempts");
}

#[test]
fn installation_media_are_mounted_read_only_used_offline_and_unmounted_on_drop() {
    // A filesystem image holding the baseos repository stands in for an ISO: the same
    // `mount -o loop,ro` path.
    let tmp = tempfile::tempdir().unwrap();
    let content = tmp.path().join("content");
    std::fs::create_dir(&content).unwrap();
    assert!(
        Command::new("cp")
            .arg("-a")
            .arg(repo_dir("baseos"))
            .arg(content.join("BaseOS"))
            .status()
            .unwrap()
            .success()
    );
    let image = tmp.path().join("media.img");
    let made = Command::new("mke2fs")
        .args(["-q", "-F", "-t", "ext2", "-d"])
        .arg(&content)
        .arg(&image)
        .arg("16M")
        .status()
        .unwrap();
    assert!(made.success());

    let media = fetch::IsoMount::mount(&image).unwrap();
    let mount_point = media.path().to_path_buf();
    let loc = RepoLocation {
        id: "media-baseos".into(),
        baseurls: vec![media.url("BaseOS")],
    };
    let repo = fetch::fetch_repo_metadata(&loc, tmp.path(), true).unwrap();
    assert!(repo.in_place);
    assert!(repo.dir.starts_with(&mount_point));
    let bash = one("baseos", "bash", &media.url("BaseOS"));
    let mut o = opts(vec![distro_key()]);
    o.offline = true;
    let dest = tmp.path().join("packages");
    assert_eq!(fetch::download(&[bash], &dest, &o).unwrap().downloaded, 1);
    // Read-only.
    assert!(std::fs::write(mount_point.join("x"), b"x").is_err());
    drop(media);
    let mounts = std::fs::read_to_string("/proc/mounts").unwrap();
    assert!(
        !mounts.contains(&*mount_point.to_string_lossy()),
        "still mounted"
    );
    assert!(!mount_point.exists(), "mount point left behind");

    // Not an image, not a file.
    let e = fetch::IsoMount::mount(&content.join("BaseOS/repodata/repomd.xml")).unwrap_err();
    assert!(matches!(e, FetchError::Mount { .. }), "{e:?}");
    assert!(e.to_string().contains("mount -o loop,ro failed"), "{e}");
    let e = fetch::IsoMount::mount(&content).unwrap_err();
    assert!(e.to_string().contains("not a regular file"), "{e}");
}
