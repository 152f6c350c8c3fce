//! `leapfrog::fetch` on a synthetic AlmaLinux 9 world: repository metadata over HTTP and in
//! place, parallel verified downloads, signatures (distro key, wrong key, unsigned), corrupted
//! packages, interrupted transfers resumed, offline mode, 404s and a full disk.
//!
//! One test binary (one world, one HTTP server) with a module per topic.

#[path = "../common/mod.rs"]
mod common;

mod metadata;
mod transfers;
mod verify;

use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::Duration;

use leapfrog::fetch::{self, Checksum, Item, Options, Transport};

use common::*;

const REL: &str = "almalinux-9.6";

fn world_dir() -> PathBuf {
    world(&[REL])
}

fn server() -> &'static str {
    static S: OnceLock<leapfrog_testkit::serve::WorldServer> = OnceLock::new();
    &S.get_or_init(|| leapfrog_testkit::serve::serve(&world_dir(), 0).unwrap())
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

/// Downloads `item` into `dest`, verified against the distribution's key.
fn download_one(item: &Item, dest: &Path) -> Result<fetch::Report, fetch::FetchError> {
    fetch::download(std::slice::from_ref(item), dest, &opts(vec![distro_key()]))
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
