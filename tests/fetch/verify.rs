//! Verified downloads: in parallel, checked by the real rpm, cached; signatures by the
//! distribution key, a wrong key, none; a corrupted package.

use std::path::PathBuf;
use std::process::Command;

use leapfrog::fetch::{self, FetchError, SigStatus, Source};

use super::*;

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
    let e = download_one(&acme, dest.path()).unwrap_err();
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
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("baseos");
    copy(&repo_dir("baseos"), &dir);
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
    (tmp, dir)
}

#[test]
fn a_corrupted_package_is_refused_with_a_checksum_error() {
    let (_copy, dir) = corrupted_repo();
    let srv = leapfrog_testkit::serve::serve(&dir, 0).unwrap();
    let dest = tempfile::tempdir().unwrap();
    let bash = one("baseos", "bash", &srv.url);
    let e = download_one(&bash, dest.path()).unwrap_err();
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
    let e = download_one(&unchecked, dest.path()).unwrap_err();
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
    let r = download_one(&good, dest.path()).unwrap();
    assert_eq!(r.downloaded, 1);
}
